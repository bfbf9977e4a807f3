//! The report as a document of sections and blocks, written out as HTML and as Markdown
//! from the one structure (so the two can never tell different stories).
//!
//! The HTML is self-contained (its style and every picture inline: it opens from an e-mail
//! or a wiki attachment with nothing beside it) and well-formed XML, so that a script (and
//! the tests) can read it with an XML reader.

use std::fmt::Write as _;

/// A picture in the report: its SVG inline in the HTML, its files linked.
#[derive(Clone, Debug)]
pub struct Picture {
    /// What it shows.
    pub caption: String,
    /// The SVG document, inlined in the HTML.
    pub svg: String,
    /// Its SVG file, relative to the report's folder.
    pub svg_file: String,
    /// Its PNG file, relative to the report's folder (the Markdown shows this one).
    pub png_file: String,
    /// Its data as CSV, relative to the report's folder, if it has some.
    pub csv_file: Option<String>,
}

/// A piece of a section.
#[derive(Clone, Debug)]
pub enum Block {
    /// A paragraph of plain text.
    Text(String),
    /// A table: the header's cells and the rows'; numbers are right-aligned.
    Table {
        /// The header's cells.
        header: Vec<String>,
        /// The rows' cells.
        rows: Vec<Vec<String>>,
    },
    /// A bulleted list.
    List(Vec<String>),
    /// A picture.
    Picture(Picture),
    /// Links to files: (text, file relative to the report's folder).
    Files(Vec<(String, String)>),
}

/// A section with its anchor.
#[derive(Clone, Debug)]
pub struct Section {
    /// Its anchor (`id` in the HTML), unique in the document.
    pub id: String,
    /// Its heading.
    pub title: String,
    /// 2 for a top section, 3 for one inside a design's part of a comparison.
    pub level: u8,
    /// What it holds.
    pub blocks: Vec<Block>,
}

/// The document.
#[derive(Clone, Debug)]
pub struct Document {
    /// Its title.
    pub title: String,
    /// A line under the title: what was run, how to run it again.
    pub subtitle: String,
    /// Its sections, in order.
    pub sections: Vec<Section>,
}

/// `text` escaped for HTML (and XML) text and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Characters XML cannot carry: as spaces (names may hold them).
            c if (c.is_control() && c != '\n') || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push(' ')
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` escaped for a Markdown table cell or line: characters that would start markup
/// are backslashed, a pipe cannot end the cell, a line break cannot end the row.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A file's path as a link target: each segment percent-encoded where it is not plain.
fn href(file: &str) -> String {
    let mut out = String::new();
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || b"-_./".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Whether a cell reads as a number (right-aligned): it starts with a digit, a sign, `×`
/// or `∞`.
fn numeric(cell: &str) -> bool {
    cell.chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || "−-+×∞".contains(c))
}

/// An SVG document ready to sit inside HTML: without an XML declaration or a doctype.
fn inline_svg(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |at| &svg[at..])
}

const STYLE: &str = "body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #202124; max-width: 1040px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #dadce0; padding-bottom: 0.2em; margin-top: 1.8em; }
.subtitle { color: #5f6368; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #dadce0; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f1f3f4; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1em 0; }
figure svg { max-width: 100%; height: auto; border: 1px solid #eceff1; }
figcaption { color: #5f6368; font-size: 0.9em; }
nav ul { columns: 2; }
.files a { margin-right: 1em; }
";

impl Document {
    /// The document as a self-contained HTML page (well-formed XML).
    pub fn html(&self) -> String {
        let mut h = String::new();
        let _ = writeln!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<meta name=\"generator\" content=\"archsandbox {}\"/>\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>",
            env!("CARGO_PKG_VERSION"),
            esc(&self.title)
        );
        let _ = writeln!(h, "<h1>{}</h1>", esc(&self.title));
        let _ = writeln!(h, "<p class=\"subtitle\">{}</p>", esc(&self.subtitle));
        let _ = writeln!(h, "<nav><ul>");
        for s in self.sections.iter().filter(|s| s.level == 2) {
            let _ = writeln!(
                h,
                "<li><a href=\"#{}\">{}</a></li>",
                esc(&s.id),
                esc(&s.title)
            );
        }
        let _ = writeln!(h, "</ul></nav>");
        for s in &self.sections {
            let _ = writeln!(
                h,
                "<section id=\"{}\">\n<h{level}>{}</h{level}>",
                esc(&s.id),
                esc(&s.title),
                level = s.level
            );
            for block in &s.blocks {
                match block {
                    Block::Text(t) => {
                        let _ = writeln!(h, "<p>{}</p>", esc(t));
                    }
                    Block::List(items) => {
                        let _ = writeln!(h, "<ul>");
                        for i in items {
                            let _ = writeln!(h, "<li>{}</li>", esc(i));
                        }
                        let _ = writeln!(h, "</ul>");
                    }
                    Block::Table { header, rows } => {
                        let _ = write!(h, "<table>\n<thead><tr>");
                        for cell in header {
                            let _ = write!(h, "<th>{}</th>", esc(cell));
                        }
                        let _ = writeln!(h, "</tr></thead>\n<tbody>");
                        for row in rows {
                            let _ = write!(h, "<tr>");
                            for cell in row {
                                let class = if numeric(cell) { " class=\"n\"" } else { "" };
                                let _ = write!(h, "<td{class}>{}</td>", esc(cell));
                            }
                            let _ = writeln!(h, "</tr>");
                        }
                        let _ = writeln!(h, "</tbody>\n</table>");
                    }
                    Block::Picture(p) => {
                        let _ = writeln!(h, "<figure>\n{}", inline_svg(&p.svg).trim_end());
                        let _ = write!(
                            h,
                            "<figcaption>{} <span class=\"files\"><a href=\"{}\">SVG</a> <a href=\"{}\">PNG</a>",
                            esc(&p.caption),
                            esc(&href(&p.svg_file)),
                            esc(&href(&p.png_file))
                        );
                        if let Some(csv) = &p.csv_file {
                            let _ = write!(h, " <a href=\"{}\">CSV</a>", esc(&href(csv)));
                        }
                        let _ = writeln!(h, "</span></figcaption>\n</figure>");
                    }
                    Block::Files(files) => {
                        let _ = write!(h, "<p class=\"files\">");
                        for (text, file) in files {
                            let _ =
                                write!(h, "<a href=\"{}\">{}</a> ", esc(&href(file)), esc(text));
                        }
                        let _ = writeln!(h, "</p>");
                    }
                }
            }
            let _ = writeln!(h, "</section>");
        }
        let _ = writeln!(h, "</body>\n</html>");
        h
    }

    /// The document as Markdown (GitHub's flavour: tables, pictures as the PNG files).
    pub fn markdown(&self) -> String {
        let mut m = String::new();
        let _ = writeln!(m, "# {}\n\n{}\n", md(&self.title), md(&self.subtitle));
        for s in self.sections.iter().filter(|s| s.level == 2) {
            let _ = writeln!(m, "- [{}](#{})", md(&s.title), s.id);
        }
        let _ = writeln!(m);
        for s in &self.sections {
            // An explicit anchor: a heading's own slug differs between renderers.
            let _ = writeln!(
                m,
                "<a id=\"{}\"></a>\n\n{} {}\n",
                esc(&s.id),
                "#".repeat(usize::from(s.level)),
                md(&s.title)
            );
            for block in &s.blocks {
                match block {
                    Block::Text(t) => {
                        let _ = writeln!(m, "{}\n", md(t));
                    }
                    Block::List(items) => {
                        for i in items {
                            let _ = writeln!(m, "- {}", md(i));
                        }
                        let _ = writeln!(m);
                    }
                    Block::Table { header, rows } => {
                        let cells = |cells: &[String]| {
                            cells.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | ")
                        };
                        let _ = writeln!(m, "| {} |", cells(header));
                        let align: Vec<&str> = (0..header.len())
                            .map(|i| {
                                if rows.iter().any(|r| r.get(i).is_some_and(|c| numeric(c))) {
                                    "---:"
                                } else {
                                    "---"
                                }
                            })
                            .collect();
                        let _ = writeln!(m, "| {} |", align.join(" | "));
                        for row in rows {
                            let _ = writeln!(m, "| {} |", cells(row));
                        }
                        let _ = writeln!(m);
                    }
                    Block::Picture(p) => {
                        let _ = write!(
                            m,
                            "![{}]({})\n\n*{}* [SVG]({}) · [PNG]({})",
                            md(&p.caption),
                            href(&p.png_file),
                            md(&p.caption),
                            href(&p.svg_file),
                            href(&p.png_file)
                        );
                        if let Some(csv) = &p.csv_file {
                            let _ = write!(m, " · [CSV]({})", href(csv));
                        }
                        let _ = writeln!(m, "\n");
                    }
                    Block::Files(files) => {
                        let links: Vec<String> = files
                            .iter()
                            .map(|(text, file)| format!("[{}]({})", md(text), href(file)))
                            .collect();
                        let _ = writeln!(m, "{}\n", links.join(" · "));
                    }
                }
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Document {
        Document {
            title: "A <b> & \"c\"".into(),
            subtitle: "sub".into(),
            sections: vec![Section {
                id: "ladder".into(),
                title: "What | breaks *first*".into(),
                level: 2,
                blocks: vec![
                    Block::Text("x < y & z".into()),
                    Block::Table {
                        header: vec!["name".into(), "load".into()],
                        rows: vec![vec!["a|b".into(), "×2".into()]],
                    },
                    Block::Files(vec![("data".into(), "data/a b.csv".into())]),
                ],
            }],
        }
    }

    #[test]
    fn html_escapes_and_reads_as_xml() {
        let html = document().html();
        assert!(html.contains("A &lt;b&gt; &amp; &quot;c&quot;"));
        assert!(html.contains("<td class=\"n\">×2</td>"));
        assert!(html.contains("href=\"data/a%20b.csv\""));
        let mut reader = quick_xml::Reader::from_str(&html);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("not well-formed at {}: {e}", reader.buffer_position()),
            }
        }
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        let text = document().markdown();
        assert!(text.contains("| a\\|b | ×2 |"), "{text}");
        assert!(text.contains("| --- | ---: |"), "{text}");
        assert!(text.contains("What \\| breaks \\*first\\*"));
    }
}
