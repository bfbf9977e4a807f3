//! The shareable report (issue 18): `archsandbox report` writes report.html (self-contained,
//! well-formed) and report.md with every section, each picture and plot as SVG and PNG, and
//! the time series as CSV whose columns give back the JSON's figures; with a second design,
//! the side-by-side table and the load sweep. PNG pictures from `export`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::root;

fn run(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_archsandbox"))
        .args(args)
        .output()
        .expect("runs")
}

fn design(name: &str) -> String {
    root()
        .join("saved-designs")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Write a report into a fresh folder and give the folder.
fn report(args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("report");
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    let out_text = out.to_string_lossy().into_owned();
    all.extend_from_slice(&["-o", &out_text]);
    let done = run(&all);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(String::from_utf8_lossy(&done.stdout).contains("report.html"));
    (dir, out)
}

/// What an HTML page holds, read as XML: its sections (id → inline SVGs and links), and
/// every link.
#[derive(Debug, Default)]
struct Page {
    /// Per section id: the number of inline `<svg>` documents, and its links in order.
    sections: BTreeMap<String, (usize, Vec<String>)>,
    /// Every `<h2>`'s text, in order.
    headings: Vec<String>,
}

fn read_page(html: &str) -> Page {
    let mut reader = Reader::from_str(html);
    let mut page = Page::default();
    let mut section: Option<String> = None;
    let mut in_h2 = false;
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed at {}: {e}", reader.buffer_position()));
        match event {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let attr = |name: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == name)
                        .map(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .expect("attribute")
                                .into_owned()
                        })
                };
                match e.name().as_ref() {
                    b"section" => {
                        let id = attr(b"id").expect("every section has an id");
                        assert!(
                            page.sections.insert(id.clone(), (0, Vec::new())).is_none(),
                            "section ids are unique: {id}"
                        );
                        section = Some(id);
                    }
                    b"svg" => {
                        if let Some(s) = &section {
                            page.sections.get_mut(s).expect("open").0 += 1;
                        }
                    }
                    b"a" => {
                        if let (Some(s), Some(href)) = (&section, attr(b"href")) {
                            page.sections.get_mut(s).expect("open").1.push(href);
                        }
                    }
                    b"h2" => in_h2 = true,
                    _ => {}
                }
            }
            Event::Text(t) if in_h2 => {
                page.headings.push(t.decode().expect("text").into_owned());
            }
            Event::End(e) => match e.name().as_ref() {
                b"section" => section = None,
                b"h2" => in_h2 = false,
                _ => {}
            },
            _ => {}
        }
    }
    page
}

/// A PNG's width and height, after checking its signature.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
    assert_eq!(&bytes[12..16], b"IHDR");
    let word =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (word(16), word(20))
}

/// A CSV file read into its header and rows (RFC 4180: quoted fields may hold commas,
/// doubled quotes and line breaks).
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "the file ends its last row"
    );
    let header = rows.remove(0);
    for r in &rows {
        assert_eq!(r.len(), header.len(), "every row has every column: {r:?}");
    }
    (header, rows)
}

/// A CSV column as numbers (an empty field: `None`).
fn column(header: &[String], rows: &[Vec<String>], name: &str) -> Vec<Option<f64>> {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    rows.iter()
        .map(|r| {
            (!r[i].is_empty()).then(|| {
                r[i].parse::<f64>()
                    .unwrap_or_else(|e| panic!("{name}: '{}' is not a number: {e}", r[i]))
            })
        })
        .collect()
}

fn close(a: f64, b: f64, what: &str) {
    // The CSV keeps ten significant digits: a mean of thousands of them is within a part in
    // a hundred million of the exact figure.
    assert!(
        (a - b).abs() <= 1e-8 * a.abs().max(b.abs()).max(1e-6),
        "{what}: CSV gives {a}, the JSON {b}"
    );
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report.json")).expect("JSON")
}

/// Every link of the page names a file the report wrote; every PNG is a real picture.
fn links_resolve(dir: &Path, page: &Page) {
    for (id, (_, links)) in &page.sections {
        for href in links {
            if href.starts_with('#') {
                continue;
            }
            let path = dir.join(href.replace("%20", " "));
            assert!(
                path.is_file(),
                "section {id} links {href}, which is missing"
            );
            if href.ends_with(".png") {
                let (w, h) = png_size(&path);
                assert!(w >= 100 && h >= 100, "{href} is {w}×{h}");
            }
        }
    }
}

/// The time series' CSV columns give back the report's figures: the mean of a rate over
/// the rows after the warm-up is the JSON's rate, and their sum the run's count.
fn csv_matches_json(dir: &Path, report: &serde_json::Value) {
    let warmup_s = report["warmup_s"].as_f64().expect("warmup_s");
    let (header, rows) = read_csv(&dir.join("data/timeseries.csv"));
    let time = column(&header, &rows, "time_s");
    let duration = column(&header, &rows, "duration_s");
    let after: Vec<usize> = (0..rows.len())
        .filter(|&i| time[i].expect("time") >= warmup_s - 1e-9)
        .collect();
    assert!(after.len() > 10 && after.len() < rows.len());
    let mean_after = |name: &str| {
        let c = column(&header, &rows, name);
        after.iter().map(|&i| c[i].expect("a number")).sum::<f64>() / after.len() as f64
    };
    for name in ["offered_per_s", "throughput_per_s", "failed_per_s"] {
        close(
            mean_after(name),
            report["system"][name].as_f64().expect("figure"),
            name,
        );
    }
    let offered = column(&header, &rows, "offered_per_s");
    let total: f64 = (0..rows.len())
        .map(|i| offered[i].expect("n") * duration[i].expect("d"))
        .sum();
    close(
        total,
        report["system"]["requests"]["offered"]
            .as_f64()
            .expect("offered"),
        "requests offered in the run",
    );

    let (header, rows) = read_csv(&dir.join("data/components.csv"));
    let names = header.iter().position(|h| h == "component").expect("name");
    let time = column(&header, &rows, "time_s");
    for component in report["components"].as_array().expect("components") {
        let name = component["name"].as_str().expect("name");
        let mine: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i][names] == name && time[i].expect("t") >= warmup_s - 1e-9)
            .collect();
        assert_eq!(mine.len(), after.len(), "{name}: a row per tick");
        for (csv_name, json_name) in [
            ("arrived_per_s", "offered_per_s"),
            ("served_per_s", "served_per_s"),
            ("backlog", "backlog"),
        ] {
            let c = column(&header, &rows, csv_name);
            let mean = mine.iter().map(|&i| c[i].expect("n")).sum::<f64>() / mine.len() as f64;
            close(
                mean,
                component[json_name].as_f64().expect("figure"),
                &format!("{name}.{csv_name}"),
            );
        }
    }
}

#[test]
fn a_design_report_has_every_section_its_pictures_and_csv_that_match_the_json() {
    let file = design("viral-restaurant.ron");
    let (_keep, dir) = report(&[&file]);
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    let page = read_page(&html);
    let expected = [
        "summary",
        "picture",
        "ladder",
        "spof",
        "availability",
        "cost",
        "over-time",
    ];
    assert_eq!(
        page.sections.keys().cloned().collect::<BTreeSet<_>>(),
        expected.iter().map(|s| s.to_string()).collect(),
    );
    // The picture inline, with its SVG and PNG beside; a plot per figure over time.
    assert_eq!(page.sections["picture"].0, 1);
    assert_eq!(
        page.sections["picture"].1,
        vec!["design.svg".to_string(), "design.png".to_string()]
    );
    assert!(
        page.sections["over-time"].0 >= 5,
        "{:?}",
        page.sections["over-time"]
    );
    links_resolve(&dir, &page);
    // Self-contained: nothing is fetched from elsewhere.
    assert!(
        !html.contains(" src=\""),
        "pictures are inline, nothing fetched"
    );
    assert!(!html.contains("<link"), "the style is inline");
    assert!(!html.contains("<script"), "no scripts");
    // The figures are the run's: the bottleneck ladder names the JSON's first step.
    let report = json(&dir.join("report.json"));
    let first = report["bottleneck_ladder"][0]["name"]
        .as_str()
        .expect("a step");
    assert!(html.contains(&format!("<td>{first}</td>")));
    for spof in report["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter(|c| c["spof"] == true)
    {
        let name = spof["name"].as_str().expect("name");
        assert!(
            html.contains(&format!("<li>{name} (")),
            "{name} listed as a SPOF"
        );
    }
    csv_matches_json(&dir, &report);

    // The Markdown tells the same sections, with the pictures as PNG.
    let md = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    for id in expected {
        assert!(md.contains(&format!("<a id=\"{id}\"></a>")), "{id}");
    }
    for line in md.lines().filter(|l| l.starts_with("![")) {
        let target = line.rsplit('(').next().expect("link").trim_end_matches(')');
        assert!(target.ends_with(".png"), "{line}");
        assert!(dir.join(target).is_file(), "{target}");
    }
}

#[test]
fn a_report_made_twice_is_the_same_byte_for_byte() {
    // Nothing in it depends on when it was made: it can live in git.
    let file = design("one-server.ron");
    let (_keep, dir) = report(&[&file, "--ticks", "120"]);
    let names = [
        "report.html",
        "report.md",
        "report.json",
        "data/timeseries.csv",
        "data/components.csv",
        "plots/throughput.svg",
        "plots/throughput.png",
        "design.png",
    ];
    let first: Vec<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(dir.join(n)).expect("written"))
        .collect();
    let out = dir.to_string_lossy().into_owned();
    let done = run(&["report", &file, "--ticks", "120", "-o", &out]);
    assert!(done.status.success());
    for (name, before) in names.iter().zip(first) {
        let after = std::fs::read(dir.join(name)).expect("written again");
        assert!(after == before, "{name} changed between two runs");
    }
}

#[test]
fn a_comparison_report_has_the_side_by_side_table_the_sweep_and_both_designs() {
    let (a, b) = (design("scale-up.ron"), design("scale-out.ron"));
    let (_keep, dir) = report(&[&a, "--compare", &b, "--points", "6", "--ticks", "600"]);
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    let page = read_page(&html);
    for id in ["comparison", "sweep", "design-a", "design-b"] {
        assert!(page.sections.contains_key(id), "{id}");
    }
    for side in ["a", "b"] {
        for id in [
            "summary",
            "picture",
            "ladder",
            "spof",
            "availability",
            "cost",
            "over-time",
        ] {
            assert!(
                page.sections.contains_key(&format!("{side}-{id}")),
                "{side}-{id}"
            );
        }
        assert!(dir.join(side).join("design.png").is_file());
        assert!(dir.join(side).join("data/components.csv").is_file());
    }
    assert_eq!(
        page.sections["sweep"].0, 4,
        "success, throughput, p99 and cost curves"
    );
    links_resolve(&dir, &page);
    let report = json(&dir.join("report.json"));
    // The table of differences shows both designs' figures.
    for name in [&report["a"]["design"], &report["b"]["design"]] {
        assert!(html.contains(name.as_str().expect("name")));
    }
    // The sweep's CSV is the JSON's sweep, load by load.
    let (header, rows) = read_csv(&dir.join("data/sweep.csv"));
    let points = report["sweep"].as_array().expect("sweep");
    assert_eq!(rows.len(), points.len());
    assert_eq!(rows.len(), 6);
    for (csv_name, path) in [
        ("load", vec!["load"]),
        ("a_success_ratio", vec!["a", "success_ratio"]),
        ("b_success_ratio", vec!["b", "success_ratio"]),
        ("a_latency_p99_ms", vec!["a", "latency_ms", "p99"]),
        ("b_throughput_per_s", vec!["b", "throughput_per_s"]),
        (
            "b_cost_to_carry_per_month",
            vec!["b", "cost_to_carry_per_month"],
        ),
        (
            "a_predicted_success_ratio",
            vec!["a", "predicted", "success_ratio"],
        ),
    ] {
        for (got, point) in column(&header, &rows, csv_name).iter().zip(points) {
            let want = path.iter().fold(point, |v, k| &v[*k]).as_f64();
            match (got, want) {
                (Some(g), Some(w)) => close(*g, w, csv_name),
                (None, None) => {}
                _ => panic!("{csv_name}: CSV {got:?}, JSON {want:?}"),
            }
        }
    }
    // Each design's time series match its own report.
    csv_matches_json(&dir.join("a"), &report["a"]);
    csv_matches_json(&dir.join("b"), &report["b"]);
}

#[test]
fn a_report_against_a_scaled_copy_names_the_change_and_bad_options_are_refused() {
    let file = design("viral-restaurant.ron");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("r");
    let out_text = out.to_string_lossy();
    let done = run(&[
        "report",
        &file,
        "--variant",
        "out",
        "--points",
        "3",
        "--ticks",
        "400",
        "-o",
        &out_text,
    ]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let said = String::from_utf8_lossy(&done.stdout);
    assert!(
        said.starts_with("B: 'back office' went from 4 to 5 instances"),
        "{said}"
    );
    let report = json(&out.join("report.json"));
    assert!(
        report["b"]["system"]["max_load_multiplier"].as_f64()
            > report["a"]["system"]["max_load_multiplier"].as_f64(),
        "the copy carries more"
    );
    for (args, says) in [
        (
            vec!["--compare", "x.ron", "--variant", "up"],
            "cannot be used with",
        ),
        (vec!["--points", "1"], "--points must be between 2"),
        (vec!["--load=-2"], "--load must be a positive number"),
        (vec!["--scenario", "nope"], "no scenario named 'nope'"),
    ] {
        let mut all = vec!["report", file.as_str(), "-o", &out_text];
        all.extend(args.iter().copied());
        let done = run(&all);
        assert!(!done.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&done.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // A design that cannot be read: its place in the file, and nothing written.
    let bad = dir.path().join("bad.ron");
    std::fs::write(&bad, "(version: 3, name: \"x\", components: [ (").expect("write");
    let nowhere = dir.path().join("never");
    let done = run(&[
        "report",
        &bad.to_string_lossy(),
        "-o",
        &nowhere.to_string_lossy(),
    ]);
    assert_eq!(done.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&done.stderr).contains("bad.ron:1:"));
    assert!(!nowhere.exists());
}

#[test]
fn export_writes_a_png_at_a_scale() {
    let file = design("viral-restaurant.ron");
    let dir = tempfile::tempdir().expect("temp dir");
    let svg = dir.path().join("d.svg");
    let png = dir.path().join("d.png");
    let png2 = dir.path().join("d2.png");
    for (format, path, scale) in [("svg", &svg, "1"), ("png", &png, "1"), ("png", &png2, "2")] {
        let done = run(&[
            "export",
            &file,
            "--format",
            format,
            "--scale",
            scale,
            "-o",
            &path.to_string_lossy(),
        ]);
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
    let text = std::fs::read_to_string(&svg).expect("svg");
    let attr = |name: &str| -> f64 {
        let at = text.find(&format!(" {name}=\"")).expect("attribute") + name.len() + 3;
        text[at..]
            .split('"')
            .next()
            .and_then(|v| v.parse().ok())
            .expect("number")
    };
    let (w, h) = (attr("width"), attr("height"));
    assert_eq!(png_size(&png), (w.ceil() as u32, h.ceil() as u32));
    assert_eq!(
        png_size(&png2),
        ((2.0 * w).ceil() as u32, (2.0 * h).ceil() as u32)
    );
    // A PNG needs a file to go to.
    let done = run(&["export", &file, "--format", "png"]);
    assert!(!done.status.success());
    assert!(String::from_utf8_lossy(&done.stderr).contains("-o"));
}

#[test]
fn a_design_with_a_journey_reports_it_as_a_table() {
    let file = design("one-server.ron");
    let dir = tempfile::tempdir().expect("temp dir");
    let next = dir.path().join("next.ron");
    let next_text = next.to_string_lossy().into_owned();
    let done = run(&[
        "advise", &file, "--users", "10000", "--apply", "-o", &next_text,
    ]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let (_keep, out) = report(&[&next_text, "--ticks", "300"]);
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    let page = read_page(&html);
    assert!(
        page.sections.contains_key("journey"),
        "{:?}",
        page.sections.keys()
    );
    let at = html.find("<section id=\"journey\">").expect("the section");
    let section = &html[at..at + html[at..].find("</section>").expect("its end")];
    assert_eq!(
        section.matches("<tr>").count(),
        3,
        "a header, the start and one fix"
    );
    assert!(section.contains("<td>start</td>") && section.contains("<td>kitchen: scale out</td>"));
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(md.contains("| 1 | kitchen: scale out |"), "{md}");
    assert!(section.contains("<th>sustainable load</th>"));
}
