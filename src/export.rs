//! Pictures of a design for documents, headless: SVG (the canvas as it looks, nodes where
//! the design puts them, links as the canvas curves them, bottlenecks filled red and single
//! points of failure outlined red with a SPOF badge) and Mermaid (`flowchart LR`, to paste
//! into a markdown document or a wiki). `archsandbox export` and the app's File → Export
//! picture… write them.
//!
//! The SVG holds one `<g class="component …">` per component (with `data-name` and its kind)
//! and one `<g class="link" data-from data-to>` per link, so that a document's stylesheet or
//! a script can find them.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::model::component::instances_text;
use crate::model::design::COMPONENT_FOOTPRINT;
use crate::model::link::link_label;
use crate::model::{ComponentId, ComponentKind, Design};

/// What the picture marks, as the canvas does: components that saturate or shed work, and
/// single points of failure.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Marks {
    /// Components drawn red (saturated, or shedding work).
    pub bottlenecks: BTreeSet<ComponentId>,
    /// Components outlined red with a SPOF badge.
    pub spofs: BTreeSet<ComponentId>,
}

impl Marks {
    /// The marks of a run's report: its components flagged as bottlenecks and as single
    /// points of failure, found in `design` by name.
    pub fn of_report(design: &Design, report: &crate::analysis::report::SimulateReport) -> Self {
        let ids = design.ids_by_name();
        let mut marks = Marks::default();
        for c in &report.components {
            if let Some(&id) = ids.get(c.run.name.as_str()) {
                if c.run.bottleneck {
                    marks.bottlenecks.insert(id);
                }
                if c.run.spof {
                    marks.spofs.insert(id);
                }
            }
        }
        marks
    }
}

/// `text` with each character `code` names written as that code, and characters no text
/// format carries (control characters, U+FFFE and U+FFFF) as spaces. Validation refuses
/// control characters in names; a description is not drawn.
fn escaped(text: &str, code: fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match code(c) {
            Some(code) => out.push_str(code),
            None if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push(' '),
            None => out.push(c),
        }
    }
    out
}

/// Text safe inside XML (element text and attribute values).
fn xml(text: &str) -> String {
    escaped(text, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&apos;"),
        _ => None,
    })
}

/// A kind's CSS class (`kind-load-balancer`).
fn kind_class(kind: &ComponentKind) -> String {
    format!(
        "kind-{}",
        kind.name().label().to_lowercase().replace(' ', "-")
    )
}

/// Space around the design in the picture, in design units.
const MARGIN: f32 = 40.0;

/// The design as SVG, `scale` times its size on the canvas at 100 % (the drawing is vector:
/// the scale sets the width and height a viewer gives it).
pub fn svg(design: &Design, marks: &Marks, scale: f32) -> String {
    let (w, h) = COMPONENT_FOOTPRINT;
    let boxes: Vec<(ComponentId, (f32, f32))> = design
        .components()
        .map(|(id, c)| (id, (c.position.0, c.position.1)))
        .collect();
    let (mut x0, mut y0, mut x1, mut y1) = (0.0f32, 0.0f32, w, h);
    if let Some((_, (x, y))) = boxes.first() {
        (x0, y0, x1, y1) = (*x, *y, x + w, y + h);
    }
    for (_, (x, y)) in &boxes {
        x0 = x0.min(*x);
        y0 = y0.min(*y);
        x1 = x1.max(x + w);
        y1 = y1.max(y + h);
    }
    let (x0, y0) = (x0 - MARGIN, y0 - MARGIN);
    let (width, height) = (x1 + MARGIN - x0, y1 + MARGIN - y0);
    let scale = if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1.0
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="{x0} {y0} {width} {height}" font-family="sans-serif">"#,
        width * scale,
        height * scale,
    );
    let _ = writeln!(out, "<title>{}</title>", xml(&design.name));
    // Colours as presentation attributes, not a stylesheet: every SVG reader honours those.
    let position = |id: ComponentId| {
        design
            .component(id)
            .map_or((0.0, 0.0), |c| (c.position.0, c.position.1))
    };
    let name = |id: ComponentId| design.component(id).map_or("", |c| c.name.as_str());
    // Links first, under the boxes: a bezier from the sender's right edge to the target's
    // left edge, as the canvas draws it, with an arrow head and the classes it carries.
    for (_, from, to, link) in design.links() {
        let (a, b) = (position(from), position(to));
        let start = (a.0 + w, a.1 + h / 2.0);
        let end = (b.0, b.1 + h / 2.0);
        let reach = ((end.0 - start.0).abs() * 0.5).max(60.0);
        let (c1, c2) = ((start.0 + reach, start.1), (end.0 - reach, end.1));
        // The curve's middle (t = 1/2) for the label.
        let mid = (
            (start.0 + 3.0 * c1.0 + 3.0 * c2.0 + end.0) / 8.0,
            (start.1 + 3.0 * c1.1 + 3.0 * c2.1 + end.1) / 8.0,
        );
        let _ = writeln!(
            out,
            r##"<g class="link" data-from="{}" data-to="{}"><path d="M {} {} C {} {} {} {} {} {}" fill="none" stroke="#80868b" stroke-width="1.5"/><polygon points="{},{} {},{} {},{}" fill="#80868b"/><text x="{}" y="{}" text-anchor="middle" font-size="10" fill="#5f6368">{}</text></g>"##,
            xml(name(from)),
            xml(name(to)),
            start.0,
            start.1,
            c1.0,
            c1.1,
            c2.0,
            c2.1,
            end.0,
            end.1,
            end.0,
            end.1,
            end.0 - 9.0,
            end.1 - 5.0,
            end.0 - 9.0,
            end.1 + 5.0,
            mid.0,
            mid.1 - 6.0,
            xml(&link_label(link)),
        );
    }
    for (id, c) in design.components() {
        let (x, y) = (c.position.0, c.position.1);
        let mut class = format!("component {}", kind_class(&c.kind));
        let (mut fill, mut stroke, mut stroke_width) = ("#ffffff", "#9aa0a6", 1.5);
        if marks.bottlenecks.contains(&id) {
            class.push_str(" bottleneck");
            (fill, stroke) = ("#fde2e1", "#d93025");
        }
        if marks.spofs.contains(&id) {
            class.push_str(" spof");
            (stroke, stroke_width) = ("#d93025", 3.0);
        }
        // The second line says the kind; the third the instances and size, where it says more.
        let kind = c.kind.name().label();
        let detail = instances_text(c, 0, None);
        let detail = if detail.eq_ignore_ascii_case(kind) {
            String::new()
        } else {
            detail
        };
        let _ = write!(
            out,
            r##"<g class="{class}" data-name="{}"><rect class="box" x="{x}" y="{y}" width="{w}" height="{h}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width}"/><text class="name" x="{}" y="{}" font-size="14" font-weight="bold" fill="#202124">{}</text><text class="kind" x="{}" y="{}" font-size="11" fill="#5f6368">{}</text><text class="detail" x="{}" y="{}" font-size="11" fill="#5f6368">{}</text>"##,
            xml(&c.name),
            x + 12.0,
            y + 24.0,
            xml(&c.name),
            x + 12.0,
            y + 44.0,
            xml(kind),
            x + 12.0,
            y + 62.0,
            xml(&detail),
        );
        if marks.spofs.contains(&id) {
            let _ = write!(
                out,
                r##"<g class="badge"><rect x="{}" y="{}" width="38" height="16" rx="4" fill="#d93025"/><text x="{}" y="{}" text-anchor="middle" font-size="10" font-weight="bold" fill="#ffffff">SPOF</text></g>"##,
                x + w - 44.0,
                y - 8.0,
                x + w - 25.0,
                y + 4.0,
            );
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// Text safe inside a Mermaid label's quotes (its entity codes for what would end or break
/// the label).
fn mermaid_text(text: &str) -> String {
    escaped(text, |c| match c {
        '#' => Some("#35;"),
        '"' => Some("#quot;"),
        '<' => Some("#lt;"),
        '>' => Some("#gt;"),
        _ => None,
    })
}

/// The design as a Mermaid `flowchart LR`: a node per component (`c0`, `c1`, … in design
/// order, labelled with its name, kind and instances, shaped by kind), an edge per link
/// (labelled with what it carries), and the marks as classes.
pub fn mermaid(design: &Design, marks: &Marks) -> String {
    let ids: Vec<ComponentId> = design.components().map(|(id, _)| id).collect();
    let node = |id: ComponentId| {
        ids.iter()
            .position(|&i| i == id)
            .map_or_else(|| "missing".to_string(), |k| format!("c{k}"))
    };
    let mut out = String::from("flowchart LR\n");
    for (id, c) in design.components() {
        let label = format!(
            "{}<br/>{}",
            mermaid_text(&c.name),
            mermaid_text(&instances_text(c, 0, None))
        );
        let (open, close) = match c.kind {
            ComponentKind::Client(_) => ("([", "])"),
            ComponentKind::LoadBalancer(_) => ("{{", "}}"),
            ComponentKind::Server(_) => ("[", "]"),
            ComponentKind::Cache(_) => ("[/", "/]"),
            ComponentKind::Database(_) => ("[(", ")]"),
            ComponentKind::MessageQueue(_) => ("[[", "]]"),
            ComponentKind::Cdn(_) => ("((", "))"),
        };
        let _ = writeln!(out, "    {}{open}\"{label}\"{close}", node(id));
    }
    for (_, from, to, link) in design.links() {
        let _ = writeln!(
            out,
            "    {} -->|\"{}\"| {}",
            node(from),
            mermaid_text(&link_label(link)),
            node(to)
        );
    }
    if !marks.bottlenecks.is_empty() || !marks.spofs.is_empty() {
        out.push_str("    classDef bottleneck fill:#fde2e1,stroke:#d93025\n");
        out.push_str("    classDef spof stroke:#d93025,stroke-width:3px\n");
        for (set, class) in [(&marks.bottlenecks, "bottleneck"), (&marks.spofs, "spof")] {
            if !set.is_empty() {
                let list: Vec<String> = set.iter().map(|&id| node(id)).collect();
                let _ = writeln!(out, "    class {} {class}", list.join(","));
            }
        }
    }
    out
}
