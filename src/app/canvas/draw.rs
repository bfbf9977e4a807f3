//! Painting the canvas: the grid, links and nodes, in the colours of one palette
//! ([`CanvasColors`], [`Health`]). Nothing here reacts to input.

use egui::epaint::CubicBezierShape;
use egui::{
    Align2, Color32, CornerRadius, FontId, Pos2, Rect, Shape, Stroke, StrokeKind,
    emath::TSTransform, pos2, vec2,
};

use crate::app::icons::Icons;
use crate::app::runner::NodeView;
use crate::model::{Component, KindName, Link};

use super::geometry::{
    DETAIL_ZOOM, GRID, NODE_TEXT_LEFT, NODE_TEXT_MIN_PX, NODE_TEXT_RIGHT_PAD, NodeTextLayout,
    TextLine, arrow_head, clip_segment, link_label,
};
use super::{instances_text, rate_per_s};

/// How a node looks from its figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// No traffic.
    Idle,
    /// Below 70 % utilization.
    Ok,
    /// 70 to 90 %.
    Busy,
    /// 90 % or more, or shedding work: the bottleneck colour.
    Saturated,
    /// Every instance down.
    Down,
}

impl Health {
    /// The health of a component with `instances` instances, from what the runner shows of it now
    /// (nothing yet reads as idle).
    pub fn of(view: Option<&NodeView>, instances: u32) -> Health {
        let Some(v) = view else {
            return Health::Idle;
        };
        if v.down >= instances && instances > 0 {
            return Health::Down;
        }
        if v.saturated() {
            return Health::Saturated;
        }
        if v.tick.arrived_total() == 0 && v.tick.backlog == 0 {
            return Health::Idle;
        }
        if v.tick.utilization >= 0.7 {
            Health::Busy
        } else {
            Health::Ok
        }
    }

    /// The colour of the state.
    pub fn color(self, dark: bool) -> Color32 {
        match self {
            Health::Idle => {
                if dark {
                    Color32::from_gray(110)
                } else {
                    Color32::from_gray(150)
                }
            }
            Health::Ok => Color32::from_rgb(63, 185, 80),
            Health::Busy => Color32::from_rgb(214, 158, 40),
            Health::Saturated => Color32::from_rgb(235, 72, 60),
            // Its own look, not a darker red: slate, with the node hatched (see `draw_node`).
            Health::Down => Color32::from_rgb(96, 104, 128),
        }
    }

    /// What the colour means, for the legend.
    pub fn meaning(self) -> &'static str {
        match self {
            Health::Idle => "no traffic",
            Health::Ok => "busy below 70 %",
            Health::Busy => "busy 70–90 %",
            Health::Saturated => "saturated (≥ 90 % busy) or shedding work",
            Health::Down => "every instance down",
        }
    }

    /// Every state, in the legend's order.
    pub const ALL: [Health; 5] = [
        Health::Idle,
        Health::Ok,
        Health::Busy,
        Health::Saturated,
        Health::Down,
    ];
}

/// The canvas's colours for one theme. Every colour the canvas paints comes from here or from
/// [`Health::color`] (and the selection colour from egui's visuals).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CanvasColors {
    /// A node's fill when nothing is wrong with it.
    pub node_fill: Color32,
    /// Kind icons, on nodes and in the palette.
    pub icon: Color32,
    /// Input and output ports.
    pub port: Color32,
    /// The utilization bar's empty part.
    pub bar_track: Color32,
    /// A link that carries traffic to a healthy component.
    pub link: Color32,
    /// The grid's dots.
    pub grid: Color32,
}

impl CanvasColors {
    /// The colours of the dark or the light theme.
    pub fn for_theme(dark: bool) -> Self {
        if dark {
            Self {
                node_fill: Color32::from_rgb(38, 42, 48),
                icon: Color32::from_gray(215),
                port: Color32::from_gray(160),
                bar_track: Color32::from_gray(60),
                link: Color32::from_gray(120),
                grid: Color32::from_gray(48),
            }
        } else {
            Self {
                node_fill: Color32::from_rgb(250, 250, 252),
                icon: Color32::from_gray(60),
                port: Color32::from_gray(110),
                bar_track: Color32::from_gray(220),
                link: Color32::from_gray(140),
                grid: Color32::from_gray(222),
            }
        }
    }
}

/// What painting a node needs besides the node itself: the scene painter, the painter of the
/// labels (in screen space, above the scene) and the transform between them, the icons and the
/// theme.
pub(super) struct Pen<'a> {
    pub painter: &'a egui::Painter,
    pub labels: &'a egui::Painter,
    pub to_screen: TSTransform,
    pub icons: &'a Icons,
    pub colors: CanvasColors,
    pub dark: bool,
    pub visuals: &'a egui::Visuals,
}

/// How a node stands: its latest figures (none before the first tick), whether it is a single
/// point of failure, and whether it is selected.
#[derive(Clone, Copy)]
pub(super) struct NodeLook<'a> {
    pub view: Option<&'a NodeView>,
    pub spof: bool,
    pub selected: bool,
}

/// The grid's dots over the visible part of the scene (none when zoomed far out).
pub(super) fn draw_grid(painter: &egui::Painter, visible: Rect, zoom: f32, colors: CanvasColors) {
    if zoom < 0.3 {
        return;
    }
    let step = GRID * 5.0;
    let color = colors.grid;
    let x0 = (visible.min.x / step).floor() as i64;
    let x1 = (visible.max.x / step).ceil() as i64;
    let y0 = (visible.min.y / step).floor() as i64;
    let y1 = (visible.max.y / step).ceil() as i64;
    if (x1 - x0) * (y1 - y0) > 40_000 {
        return;
    }
    for x in x0..=x1 {
        for y in y0..=y1 {
            painter.circle_filled(
                pos2(x as f32 * step, y as f32 * step),
                1.2 / zoom.max(0.5),
                color,
            );
        }
    }
}

/// A node: box, health fill, outlines, icon, utilization bar, ports and its lines of text.
pub(super) fn draw_node(pen: &Pen<'_>, rect: Rect, component: &Component, look: NodeLook<'_>) {
    let Pen {
        painter,
        labels,
        to_screen,
        icons,
        colors,
        dark,
        visuals,
    } = *pen;
    let NodeLook {
        view,
        spof,
        selected,
    } = look;
    let instances = component.kind.instances();
    let health = Health::of(view, instances);
    let status = health.color(dark);
    let zoom = to_screen.scaling;
    let base = colors.node_fill;
    let fill = match health {
        Health::Saturated => base.lerp_to_gamma(status, 0.35),
        Health::Down => base.lerp_to_gamma(status, 0.45),
        _ => base,
    };
    if zoom < DETAIL_ZOOM {
        draw_node_from_afar(pen, rect, (fill, status), look);
        return;
    }
    let radius = CornerRadius::same(10);
    painter.rect(
        rect,
        radius,
        fill,
        Stroke::new(1.0, status.gamma_multiply(0.8)),
        StrokeKind::Inside,
    );
    if spof {
        painter.rect_stroke(
            rect.expand(3.0),
            radius,
            Stroke::new(3.0, Health::Saturated.color(dark)),
            StrokeKind::Outside,
        );
    }
    if selected {
        painter.rect_stroke(
            rect.expand(6.0),
            radius,
            Stroke::new(2.0, visuals.selection.stroke.color),
            StrokeKind::Outside,
        );
    }
    if health == Health::Down {
        // Hatched: every instance is down (a saturated node is filled red, not hatched).
        let step = 14.0;
        let mut x = rect.left() - rect.height();
        while x < rect.right() {
            let (a, b) = (pos2(x, rect.bottom()), pos2(x + rect.height(), rect.top()));
            let clipped = clip_segment(a, b, rect.shrink(2.0));
            if let Some((a, b)) = clipped {
                painter.line_segment([a, b], Stroke::new(1.5, status.gamma_multiply(0.7)));
            }
            x += step;
        }
    }
    let partly_down = view.is_some_and(|v| v.down > 0 && v.down < instances);
    if partly_down {
        // Inside the node, clear of the single-point-of-failure outline around it.
        let r = rect.shrink(4.0);
        let corners = [
            r.left_top(),
            r.right_top(),
            r.right_bottom(),
            r.left_bottom(),
            r.left_top(),
        ];
        painter.extend(Shape::dashed_line(
            &corners,
            Stroke::new(2.5, Health::Down.color(dark)),
            6.0,
            4.0,
        ));
    }
    // Icon and status strip.
    let icon_rect = Rect::from_min_size(rect.min + vec2(10.0, 10.0), vec2(28.0, 28.0));
    icons.paint(painter, component.kind.name(), icon_rect, colors.icon);
    // Utilization bar along the bottom.
    if let Some(v) = view {
        let bar = Rect::from_min_max(
            rect.left_bottom() + vec2(10.0, -12.0),
            rect.right_bottom() + vec2(-10.0, -7.0),
        );
        painter.rect_filled(bar, 2.0, colors.bar_track);
        let filled = Rect::from_min_size(
            bar.min,
            vec2(
                bar.width() * v.tick.utilization.clamp(0.0, 1.0) as f32,
                bar.height(),
            ),
        );
        painter.rect_filled(filled, 2.0, status);
    }
    // Input and output ports.
    let port_color = colors.port;
    if component.kind.name() != KindName::Client {
        painter.circle_filled(rect.left_center(), 4.0, port_color);
    }
    if component.kind.name() != KindName::Database {
        painter.circle_stroke(rect.right_center(), 5.0, Stroke::new(2.0, port_color));
    }
    // Text, in screen space so it stays crisp at any zoom, never smaller than can be read:
    // lines that would not fit at a readable size are left out (the hover card has them all).
    let text_color = visuals.strong_text_color();
    let layout = NodeTextLayout::at(zoom);
    let screen = to_screen * rect;
    let left = screen.left() + NODE_TEXT_LEFT * zoom;
    let width = screen.right() - NODE_TEXT_RIGHT_PAD * zoom - left;
    if spof {
        // The badge on the top edge, in screen space like the text: sized to its text, which
        // is never below the readable least, and the name stops short of it.
        let text = labels.layout_no_wrap(
            "SPOF".into(),
            FontId::proportional((10.0 * zoom).max(NODE_TEXT_MIN_PX - 1.0)),
            Color32::WHITE,
        );
        let size = (vec2(40.0, 16.0) * zoom).max(text.size() + vec2(10.0, 3.0));
        // On the top edge; when zoomed out, raised until it clears the name.
        let name_top = screen.top() + layout.name.map_or(0.0, |l| l.top_px);
        let centre_y = (screen.top() - zoom).min(name_top - 1.0 - size.y / 2.0);
        let badge = Rect::from_center_size(
            pos2(screen.right() - 4.0 * zoom - size.x / 2.0, centre_y),
            size,
        );
        labels.rect_filled(badge, size.y / 2.0, Health::Saturated.color(dark));
        labels.galley(badge.center() - text.size() / 2.0, text, Color32::WHITE);
    }
    let line = |text: String, at: TextLine, color: Color32| {
        let mut job =
            egui::text::LayoutJob::simple_singleline(text, FontId::proportional(at.size_px), color);
        job.wrap = egui::text::TextWrapping::truncate_at_width(width);
        let galley = labels.layout_job(job);
        labels.galley(pos2(left, screen.top() + at.top_px), galley, color);
    };
    if let Some(at) = layout.name {
        line(component.name.clone(), at, text_color);
    }
    if let Some(at) = layout.instances {
        line(
            instances_text(
                component,
                view.map_or(0, |v| v.down),
                view.and_then(|v| v.scaling),
            ),
            at,
            visuals.text_color(),
        );
    }
    if let (Some(v), Some(at)) = (view, layout.figures) {
        let figures = if health == Health::Down {
            "DOWN".to_string()
        } else if component.kind.name() == KindName::Client {
            format!("{} /s", crate::analysis::report::number(rate_per_s(v)))
        } else {
            format!(
                "{} /s · {:.0} %",
                crate::analysis::report::number(rate_per_s(v)),
                v.tick.utilization * 100.0
            )
        };
        line(figures, at, text_color);
    }
}

/// A node seen from afar (level of detail below [`DETAIL_ZOOM`]): a few pixels wide, so its
/// health colour, utilization bar, SPOF outline and selection are all that can be seen; text,
/// icon and ports would only cost time.
fn draw_node_from_afar(
    pen: &Pen<'_>,
    rect: Rect,
    (fill, status): (Color32, Color32),
    look: NodeLook<'_>,
) {
    let (painter, dark, visuals) = (pen.painter, pen.dark, pen.visuals);
    let NodeLook {
        view,
        spof,
        selected,
    } = look;
    painter.rect(
        rect,
        CornerRadius::ZERO,
        fill,
        Stroke::new(2.0, status),
        StrokeKind::Inside,
    );
    if let Some(v) = view {
        let bar = Rect::from_min_max(
            rect.left_bottom() + vec2(0.0, -20.0),
            rect.left_bottom()
                + vec2(
                    rect.width() * v.tick.utilization.clamp(0.0, 1.0) as f32,
                    0.0,
                ),
        );
        painter.rect_filled(bar, CornerRadius::ZERO, status);
    }
    if spof {
        painter.rect_stroke(
            rect.expand(8.0),
            CornerRadius::ZERO,
            Stroke::new(8.0, Health::Saturated.color(dark)),
            StrokeKind::Outside,
        );
    }
    if selected {
        painter.rect_stroke(
            rect.expand(20.0),
            CornerRadius::ZERO,
            Stroke::new(8.0, visuals.selection.stroke.color),
            StrokeKind::Outside,
        );
    }
}

/// How a link stands: its stroke width (from its traffic), whether it is selected, whether it
/// leads into a saturated or down component (then it is red), and whether requests flow on it
/// now (then its dashes move).
#[derive(Clone, Copy)]
pub(super) struct LinkLook {
    pub width: f32,
    pub selected: bool,
    pub into_trouble: bool,
    pub flowing: bool,
    /// Its circuit breaker is open: drawn grey and broken in the middle.
    pub breaker_open: bool,
}

/// A link along `curve`: from afar a straight line as thick as its traffic; close up a curve
/// with an arrow head, dashed when it only carries async work, moving dashes while requests
/// flow, and the classes it carries at its middle. `time_s` drives the moving dashes.
pub(super) fn draw_link(pen: &Pen<'_>, curve: [Pos2; 4], link: &Link, look: LinkLook, time_s: f64) {
    let painter = pen.painter;
    let zoom = pen.to_screen.scaling;
    let color = if look.selected {
        pen.visuals.selection.stroke.color
    } else if look.breaker_open {
        pen.visuals.weak_text_color()
    } else if look.into_trouble {
        Health::Saturated.color(pen.dark)
    } else {
        pen.colors.link
    };
    let stroke = Stroke::new(look.width, color);
    if zoom < DETAIL_ZOOM {
        // Level of detail: curves, arrow heads and moving dashes would be a pixel or two.
        painter.line_segment([curve[0], curve[3]], stroke);
        return;
    }
    let async_only = link.is_async_only();
    let shape = CubicBezierShape::from_points_stroke(curve, false, Color32::TRANSPARENT, stroke);
    if look.breaker_open {
        // Broken in the middle: the breaker holds the calls back.
        let points = shape.flatten(Some(0.5));
        let n = points.len();
        let (first, second) = (&points[..n * 2 / 5], &points[(n * 3 / 5).min(n)..]);
        for part in [first, second] {
            if part.len() >= 2 {
                painter.add(Shape::line(part.to_vec(), stroke));
            }
        }
    } else if async_only || look.flowing {
        let points = shape.flatten(Some(0.5));
        let phase = if look.flowing {
            (time_s * 40.0) as f32 % 16.0
        } else {
            0.0
        };
        let (dash, gap) = if async_only { (6.0, 6.0) } else { (10.0, 6.0) };
        if !async_only {
            painter.add(Shape::line(
                points.clone(),
                Stroke::new(look.width, color.gamma_multiply(0.35)),
            ));
        }
        painter.extend(Shape::dashed_line_with_offset(
            &points,
            stroke,
            &[dash],
            &[gap],
            -phase,
        ));
    } else {
        painter.add(shape.clone());
    }
    painter.add(Shape::convex_polygon(
        arrow_head(curve[3], look.width),
        color,
        Stroke::NONE,
    ));
    // The classes it carries, at its middle: left out when too small to read.
    let label_px = 10.0 * zoom;
    if label_px >= LINK_LABEL_MIN_PX - 2.0 {
        pen.labels.text(
            pen.to_screen * (shape.sample(0.5) - vec2(0.0, 8.0)),
            Align2::CENTER_BOTTOM,
            if look.breaker_open {
                // The label ends "· breaker": it says the state.
                format!("{} open", link_label(link))
            } else {
                link_label(link)
            },
            FontId::proportional(label_px.clamp(LINK_LABEL_MIN_PX, 18.0)),
            pen.visuals.weak_text_color(),
        );
    }
}

/// The smallest a link's label is drawn at, in screen pixels.
const LINK_LABEL_MIN_PX: f32 = 9.0;
