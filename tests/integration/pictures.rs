//! Pictures of a design (issue 18): the SVG reads as XML and holds one group per component
//! and per link, marked as the run marks them; the Mermaid text gives back every name and
//! edge; `archsandbox export` writes both.

use std::collections::BTreeSet;

use archsandbox::export::{Marks, mermaid, svg};
use archsandbox::model::{ComponentKind, Design, Link, TrafficClass};
use quick_xml::Reader;
use quick_xml::events::Event;

use crate::ron_files;
use crate::simulation::{placed, server};

fn shipped_designs() -> Vec<Design> {
    let prices = archsandbox::model::PriceTable::builtin();
    ron_files("saved-designs")
        .into_iter()
        .map(|p| {
            archsandbox::model::read_design(&p, &prices)
                .expect("loads")
                .design
        })
        .collect()
}

/// Names that need escaping in both XML and Mermaid.
fn awkward() -> Design {
    let mut design = Design::new("awkward <&> \"names\"");
    let a = design.add(placed(
        "a \"quoted\" <tag> & #1",
        0,
        ComponentKind::Client(Default::default()),
    ));
    let b = design.add(server("b's | pipe [x]", 1, "small", 2, 0.01, 1.0));
    design.connect(a, b, Link::new(&[TrafficClass::Read, TrafficClass::Write]));
    design
}

/// The design's component names and its links as (from, to) names.
fn names_and_edges(design: &Design) -> (BTreeSet<String>, Vec<(String, String)>) {
    let name = |id| {
        design
            .component(id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let names = design.components().map(|(_, c)| c.name.clone()).collect();
    let mut edges: Vec<(String, String)> = design
        .links()
        .map(|(_, from, to, _)| (name(from), name(to)))
        .collect();
    edges.sort();
    (names, edges)
}

/// The groups of an SVG: per `<g>` with a class, its class and its attributes.
fn groups(svg: &str) -> Vec<(String, std::collections::HashMap<String, String>)> {
    let mut reader = Reader::from_str(svg);
    let mut out = Vec::new();
    let mut depth = 0;
    loop {
        match reader.read_event().expect("the SVG is well-formed XML") {
            Event::Start(e) => {
                depth += 1;
                if e.name().as_ref() == b"g" {
                    let attributes: std::collections::HashMap<String, String> = e
                        .attributes()
                        .map(|a| {
                            let a = a.expect("an attribute");
                            (
                                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .expect("a value")
                                    .into_owned(),
                            )
                        })
                        .collect();
                    if let Some(class) = attributes.get("class") {
                        out.push((class.clone(), attributes.clone()));
                    }
                }
            }
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "every element is closed");
    out
}

#[test]
fn the_svg_parses_and_holds_one_group_per_component_and_link_marked_as_given() {
    let mut designs = shipped_designs();
    designs.push(awkward());
    for design in designs {
        let ids: Vec<_> = design.components().map(|(id, _)| id).collect();
        // Mark the first component a bottleneck and the last a SPOF.
        let marks = Marks {
            bottlenecks: ids.first().copied().into_iter().collect(),
            spofs: ids.last().copied().into_iter().collect(),
        };
        let picture = svg(&design, &marks, 1.0);
        let groups = groups(&picture);
        let (names, edges) = names_and_edges(&design);
        let components: Vec<_> = groups
            .iter()
            .filter(|(class, _)| class.split(' ').any(|c| c == "component"))
            .collect();
        let drawn: BTreeSet<String> = components
            .iter()
            .map(|(_, a)| a["data-name"].clone())
            .collect();
        assert_eq!(components.len(), names.len(), "{}", design.name);
        assert_eq!(drawn, names, "{}", design.name);
        let mut links: Vec<(String, String)> = groups
            .iter()
            .filter(|(class, _)| class == "link")
            .map(|(_, a)| (a["data-from"].clone(), a["data-to"].clone()))
            .collect();
        links.sort();
        assert_eq!(links, edges, "{}", design.name);
        // The marks: exactly the components given.
        let marked = |mark: &str| -> BTreeSet<String> {
            components
                .iter()
                .filter(|(class, _)| class.split(' ').any(|c| c == mark))
                .map(|(_, a)| a["data-name"].clone())
                .collect()
        };
        let name_of = |id| {
            design
                .component(id)
                .map(|c| c.name.clone())
                .unwrap_or_default()
        };
        assert_eq!(
            marked("bottleneck"),
            marks.bottlenecks.iter().map(|&id| name_of(id)).collect()
        );
        assert_eq!(
            marked("spof"),
            marks.spofs.iter().map(|&id| name_of(id)).collect()
        );
        assert_eq!(
            groups.iter().filter(|(class, _)| class == "badge").count(),
            marks.spofs.len(),
            "a SPOF badge each"
        );
    }
}

/// Mermaid's entity codes back to text.
fn unescape(text: &str) -> String {
    text.replace("#quot;", "\"")
        .replace("#lt;", "<")
        .replace("#gt;", ">")
        .replace("#35;", "#")
}

#[test]
fn the_mermaid_text_gives_back_every_name_and_edge() {
    let mut designs = shipped_designs();
    designs.push(awkward());
    for design in designs {
        let text = mermaid(&design, &Marks::default());
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("flowchart LR"));
        let mut label_of = std::collections::HashMap::new();
        let mut edges = Vec::new();
        for line in lines.map(str::trim) {
            if let Some((from, rest)) = line.split_once(" -->|\"") {
                let (_, to) = rest.rsplit_once("\"| ").expect("an edge's target");
                edges.push((from.to_string(), to.to_string()));
            } else {
                // A node: `id` then its shape's opening, the quoted label, the closing.
                let id: String = line
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                let first = line.find('"').expect("a quoted label");
                let last = line.rfind('"').expect("a closing quote");
                let label = &line[first + 1..last];
                assert!(
                    !label.contains('"'),
                    "quotes inside a label are escaped: {line}"
                );
                let name = label.split("<br/>").next().unwrap_or("");
                label_of.insert(id, unescape(name));
            }
        }
        let (names, expected_edges) = names_and_edges(&design);
        let got: BTreeSet<String> = label_of.values().cloned().collect();
        assert_eq!(got, names, "{}", design.name);
        let mut got_edges: Vec<(String, String)> = edges
            .iter()
            .map(|(a, b)| (label_of[a].clone(), label_of[b].clone()))
            .collect();
        got_edges.sort();
        assert_eq!(got_edges, expected_edges, "{}", design.name);
    }
}

#[test]
fn export_writes_svg_at_a_scale_and_mermaid_marked_by_the_run() {
    let design = crate::root().join("saved-designs/viral-restaurant.ron");
    let design = design.to_string_lossy();
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_archsandbox"))
            .args(args)
            .output()
            .expect("runs")
    };
    let one = dir.path().join("one.svg");
    let two = dir.path().join("two.svg");
    for (path, scale) in [(&one, "1"), (&two, "2")] {
        let out = run(&[
            "export",
            &design,
            "--format",
            "svg",
            "--scale",
            scale,
            "-o",
            &path.to_string_lossy(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let size = |path: &std::path::Path| -> (f64, f64) {
        let text = std::fs::read_to_string(path).expect("written");
        let attr = |name: &str| -> f64 {
            let at = text.find(&format!(" {name}=\"")).expect("the attribute") + name.len() + 3;
            text[at..]
                .split('"')
                .next()
                .and_then(|v| v.parse().ok())
                .expect("a number")
        };
        (attr("width"), attr("height"))
    };
    let (w1, h1) = size(&one);
    let (w2, h2) = size(&two);
    assert_eq!((w2, h2), (2.0 * w1, 2.0 * h1));
    // The run's marks: the report's bottlenecks and single points of failure.
    let out = run(&["export", &design, "--format", "mermaid"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let report = run(&["simulate", &design, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).expect("JSON");
    let flagged = |flag: &str| -> BTreeSet<String> {
        report["components"]
            .as_array()
            .expect("components")
            .iter()
            .filter(|c| c[flag] == true)
            .map(|c| c["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let class_members = |class: &str| -> BTreeSet<String> {
        let ids: Vec<String> = text
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("class ")
                    .and_then(|r| r.strip_suffix(&format!(" {class}")))
                    .map(|ids| ids.split(',').map(str::to_string).collect())
            })
            .unwrap_or_default();
        ids.iter()
            .filter_map(|id| {
                text.lines()
                    .map(str::trim)
                    .find(|l| {
                        l.starts_with(id.as_str()) && l[id.len()..].starts_with(['(', '[', '{'])
                    })
                    .and_then(|l| l.split('"').nth(1))
                    .map(|label| label.split("<br/>").next().unwrap_or("").to_string())
            })
            .collect()
    };
    assert!(!flagged("bottleneck").is_empty() && !flagged("spof").is_empty());
    assert_eq!(class_members("bottleneck"), flagged("bottleneck"));
    assert_eq!(class_members("spof"), flagged("spof"));
}
