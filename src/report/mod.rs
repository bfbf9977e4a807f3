//! The shareable report (`archsandbox report`, and the app's File → Export report…): a folder
//! with `report.html` (self-contained) and `report.md`, the design's picture, the bottleneck
//! ladder, single points of failure and what losing each costs, availability and downtime,
//! cost, the plots over time (SVG and PNG) and every time series as CSV; for a comparison,
//! the side-by-side table and the load sweep's curves too. `report.json` holds the figures
//! the pages show (the `simulate` or `compare` JSON), so a script reads the same numbers.
//!
//! Nothing in the folder depends on the time it was written: a report regenerated from the
//! same design and seed is the same, byte for byte (it can live in git).

pub mod csv;
pub mod doc;
pub mod plots;

use std::path::Path;

use crate::analysis::compare::{CompareReport, SweepPoint, SweepSide, differences};
use crate::analysis::report::{SimulateReport, count, number};
use crate::analysis::series::{TimeSeries, time_series};
use crate::analysis::{AnalysisOptions, analyze};
use crate::model::{Design, PriceTable, Scenario};
use doc::{Block, Document, Picture, Section};
use plots::{Axis, Chart, Line, PALETTE};

/// A file of the report: its path relative to the report's folder, and its bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportFile {
    /// Relative path (`/`-separated), such as `plots/throughput.svg`.
    pub name: String,
    /// What it holds.
    pub bytes: Vec<u8>,
}

/// What a report is about.
#[derive(Clone, Debug)]
pub struct ReportRequest<'a> {
    /// The design (A of a comparison).
    pub design: &'a Design,
    /// The design compared with it (B), if any.
    pub compare: Option<&'a Design>,
    /// The scenario both run.
    pub scenario: &'a Scenario,
    /// The price table.
    pub prices: &'a PriceTable,
    /// The run's options (seed, ticks, load).
    pub options: &'a AnalysisOptions,
    /// Load points of a comparison's sweep.
    pub sweep_points: usize,
    /// The command line that makes this report again, shown under its title (`None` for
    /// one made in the app from an unsaved design).
    pub command: Option<String>,
}

/// `text` as one word of a POSIX shell's command line: as it is when it holds only plain
/// characters, else in single quotes (a quote inside written `'\''`).
pub fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// Busiest components plotted for utilization and backlog.
const BUSIEST: usize = 5;

/// The report's files: `report.html`, `report.md`, `report.json`, pictures, plots and CSV.
pub fn build(request: &ReportRequest<'_>) -> Result<Vec<ReportFile>, String> {
    let mut files = Vec::new();
    let run = &request.options.run;
    let series_of = |design: &Design| {
        time_series(design, request.scenario, request.prices, run).map_err(|e| e.to_string())
    };
    let document = match request.compare {
        None => {
            let report = analyze(
                request.design,
                request.scenario,
                request.prices,
                request.options,
            )
            .map_err(|e| e.to_string())?;
            let series = series_of(request.design)?;
            let sections = design_sections(
                &Part {
                    design: request.design,
                    report: &report,
                    series: &series,
                    folder: "",
                    anchor: "",
                    level: 2,
                },
                &mut files,
            )?;
            files.push(ReportFile {
                name: "report.json".into(),
                bytes: json(&report)?,
            });
            Document {
                title: format!("{} — design report", report.design),
                subtitle: subtitle(&report, request.command.as_deref()),
                sections,
            }
        }
        Some(other) => {
            let compared = crate::analysis::compare::compare(
                request.design,
                other,
                request.scenario,
                request.prices,
                request.options,
                request.sweep_points,
            )
            .map_err(|e| {
                let side = match e.side {
                    crate::analysis::compare::Side::A => "A",
                    crate::analysis::compare::Side::B => "B",
                };
                format!("design {side}: {}", e.error)
            })?;
            let mut sections = comparison_sections(&compared, &mut files)?;
            for (side, design, report) in [
                ("a", request.design, &compared.a),
                ("b", other, &compared.b),
            ] {
                let series = series_of(design)?;
                let mut part = design_sections(
                    &Part {
                        design,
                        report,
                        series: &series,
                        folder: side,
                        anchor: side,
                        level: 3,
                    },
                    &mut files,
                )?;
                sections.push(Section {
                    id: format!("design-{side}"),
                    title: format!("{}: {}", side.to_uppercase(), report.design),
                    level: 2,
                    blocks: vec![Block::Text(format!(
                        "Design {} on its own: what breaks, what it costs, and its run over time.",
                        side.to_uppercase()
                    ))],
                });
                sections.append(&mut part);
            }
            files.push(ReportFile {
                name: "report.json".into(),
                bytes: json(&compared)?,
            });
            Document {
                title: format!(
                    "{} vs {} — comparison report",
                    compared.a.design, compared.b.design
                ),
                subtitle: subtitle(&compared.a, request.command.as_deref()),
                sections,
            }
        }
    };
    files.push(ReportFile {
        name: "report.html".into(),
        bytes: document.html().into_bytes(),
    });
    files.push(ReportFile {
        name: "report.md".into(),
        bytes: document.markdown().into_bytes(),
    });
    Ok(files)
}

/// Write the report's files under `dir` (made if missing), each atomically: a reader never
/// sees half a file, and files of the folder the report does not write are left alone.
pub fn write(dir: &Path, files: &[ReportFile]) -> Result<(), String> {
    for file in files {
        let path = file
            .name
            .split('/')
            .fold(dir.to_path_buf(), |p, segment| p.join(segment));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("{}: cannot make the folder: {e}", parent.display()))?;
        }
        crate::model::file::write_atomically(&path, |f| {
            use std::io::Write as _;
            f.write_all(&file.bytes)
        })
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    }
    Ok(())
}

fn json(value: &impl serde::Serialize) -> Result<Vec<u8>, String> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text.into_bytes())
}

/// The line under the title: the run, and how to make the report again.
fn subtitle(report: &SimulateReport, command: Option<&str>) -> String {
    let mut s = format!(
        "Scenario \"{}\", seed {}: {} ticks of {} s at load ×{}; means after a {} s warm-up. Made by archsandbox {}.",
        report.scenario,
        report.seed,
        count(report.ticks),
        report.tick_s,
        number(report.load_multiplier),
        number(report.warmup_s),
        env!("CARGO_PKG_VERSION"),
    );
    if let Some(command) = command {
        s.push_str(&format!(" To make it again: {command}"));
    }
    s
}

/// One design's part of a report.
struct Part<'a> {
    design: &'a Design,
    report: &'a SimulateReport,
    series: &'a TimeSeries,
    /// The folder its files go in (`""`: the report's own).
    folder: &'a str,
    /// The prefix of its sections' anchors (`""`: none).
    anchor: &'a str,
    /// Its sections' heading level.
    level: u8,
}

impl Part<'_> {
    fn file(&self, name: &str) -> String {
        if self.folder.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.folder)
        }
    }

    fn id(&self, name: &str) -> String {
        if self.anchor.is_empty() {
            name.to_string()
        } else {
            format!("{}-{name}", self.anchor)
        }
    }

    fn section(&self, name: &str, title: &str, blocks: Vec<Block>) -> Section {
        Section {
            id: self.id(name),
            title: title.to_string(),
            level: self.level,
            blocks,
        }
    }
}

/// A picture's SVG and PNG files added to `files`, and the block that shows it.
fn picture(
    files: &mut Vec<ReportFile>,
    stem: &str,
    svg: String,
    caption: String,
    csv_file: Option<String>,
) -> Result<Block, String> {
    let png = crate::render::png_fitting(&svg, 1.0)?;
    let (svg_file, png_file) = (format!("{stem}.svg"), format!("{stem}.png"));
    files.push(ReportFile {
        name: svg_file.clone(),
        bytes: svg.clone().into_bytes(),
    });
    files.push(ReportFile {
        name: png_file.clone(),
        bytes: png,
    });
    Ok(Block::Picture(Picture {
        caption,
        svg,
        svg_file,
        png_file,
        csv_file,
    }))
}

fn percent(v: f64) -> String {
    format!("{:.2} %", v * 100.0)
}

/// A design's sections: its figures, picture, ladder, SPOFs, availability, cost and plots.
fn design_sections(part: &Part<'_>, files: &mut Vec<ReportFile>) -> Result<Vec<Section>, String> {
    let r = part.report;
    let s = &r.system;
    let mut sections = Vec::new();

    let mut figures = vec![
        vec![
            "offered".to_string(),
            format!("{} requests/s", number(s.run.offered_per_s)),
        ],
        vec![
            "succeeded".into(),
            format!(
                "{} requests/s ({} of the requests that ended)",
                number(s.run.throughput_per_s),
                percent(s.run.success_ratio)
            ),
        ],
        vec![
            "failed".into(),
            format!(
                "{} requests/s; {} in flight at the end",
                number(s.run.failed_per_s),
                count(s.run.requests.in_flight_end)
            ),
        ],
        vec![
            "latency (end to end)".into(),
            format!(
                "mean {} ms · p50 {} ms · p95 {} ms · p99 {} ms",
                number(s.run.latency_ms.mean),
                number(s.run.latency_ms.p50),
                number(s.run.latency_ms.p95),
                number(s.run.latency_ms.p99)
            ),
        ],
        vec![
            "max sustainable load (laws)".into(),
            s.max_load_multiplier
                .map_or("—".into(), |l| format!("×{}", number(l))),
        ],
        vec![
            "availability".into(),
            format!(
                "{:.4} % ({} minutes down a year)",
                s.availability * 100.0,
                number(s.downtime_min_per_year)
            ),
        ],
        vec![
            "cost".into(),
            format!(
                "{} {} a month{}",
                number(s.cost_per_month),
                s.currency,
                s.cost_per_million_requests
                    .map_or(String::new(), |c| format!(
                        " · {} {} per million requests served",
                        number(c),
                        s.currency
                    ))
            ),
        ],
    ];
    if s.run.retries > 0 || s.run.timed_out > 0 {
        figures.push(vec![
            "retries".into(),
            format!(
                "{} retries sent, {} attempts given up on after the warm-up",
                count(s.run.retries),
                count(s.run.timed_out)
            ),
        ]);
    }
    let mut summary = vec![Block::Table {
        header: vec!["figure".into(), "value".into()],
        rows: figures,
    }];
    for check in &r.law_checks {
        summary.push(Block::Text(format!(
            "Law check: {} — do not trust these figures.",
            check.message
        )));
    }
    for note in &r.notes {
        summary.push(Block::Text(format!("Note: {note}")));
    }
    sections.push(part.section("summary", "The run in figures", summary));

    let marks = crate::export::Marks::of_report(part.design, r);
    let picture_block = picture(
        files,
        &part.file("design"),
        crate::export::svg(part.design, &marks, 1.0),
        format!(
            "{}: bottlenecks of this run filled red, single points of failure outlined red with a SPOF badge.",
            r.design
        ),
        None,
    )?;
    sections.push(part.section("picture", "The design", vec![picture_block]));

    let kind_of = |name: &str| {
        r.components
            .iter()
            .find(|c| c.run.name == name)
            .map_or(String::new(), |c| c.run.kind.replace('_', " "))
    };
    let ladder_rows: Vec<Vec<String>> = r
        .bottleneck_ladder
        .iter()
        .enumerate()
        .map(|(i, step)| {
            vec![
                format!("{}", i + 1),
                step.name.clone(),
                kind_of(&step.name),
                format!("×{}", number(step.saturates_at_load)),
                percent(step.utilization_at_base_load),
                if step.saturates_at_load < r.load_multiplier {
                    "already past it at this load".into()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    let ladder = if ladder_rows.is_empty() {
        vec![Block::Text("Nothing carries load.".into())]
    } else {
        vec![
            Block::Text(
                "Each component's saturation load by the operational laws (capacity ÷ visits per request), lowest first: the first breaks first, the next is where the load goes once it is fixed."
                    .into(),
            ),
            Block::Table {
                header: vec![
                    "step".into(),
                    "component".into(),
                    "kind".into(),
                    "saturates at load".into(),
                    "utilization at base load".into(),
                    String::new(),
                ],
                rows: ladder_rows,
            },
        ]
    };
    sections.push(part.section("ladder", "What breaks first", ladder));

    let mut spof = Vec::new();
    let spofs: Vec<_> = r.components.iter().filter(|c| c.run.spof).collect();
    if spofs.is_empty() {
        spof.push(Block::Text(
            "None: losing any one instance keeps the success ratio on target.".into(),
        ));
    } else {
        spof.push(Block::List(
            spofs
                .iter()
                .map(|c| {
                    let impact = r.failure_impact.iter().find(|f| f.name == c.run.name);
                    let detail = match impact {
                        Some(f) => format!(
                            "losing {} leaves {} of requests succeeding",
                            if f.instances_lost == 1 && c.run.instances == 1 {
                                "it".to_string()
                            } else {
                                format!("{} of {} instances", f.instances_lost, c.run.instances)
                            },
                            percent(f.success_ratio_when_failed)
                        ),
                        None => "it has no spare, and clients cannot get around it".into(),
                    };
                    format!(
                        "{} ({}): {detail}",
                        c.run.name,
                        c.run.kind.replace('_', " ")
                    )
                })
                .collect(),
        ));
    }
    let mut warnings: Vec<String> = r
        .failure_impact
        .iter()
        .filter(|f| f.logs_users_out)
        .map(|f| {
            format!(
                "{}: a lost instance logs its users out (sessions live in its memory).",
                f.name
            )
        })
        .collect();
    warnings.extend(r.components.iter().filter(|c| c.data_at_risk).map(|c| {
        format!(
            "{}: data at risk — no replica, standby or backups; losing it loses data, not just time.",
            c.run.name
        )
    }));
    if !warnings.is_empty() {
        spof.push(Block::List(warnings));
    }
    if !r.failure_impact.is_empty() {
        spof.push(Block::Text(
            "Losing one instance (N−1, worst first): the success ratio once failover has settled, with the failover itself, and the same stretch without the failure."
                .into(),
        ));
        spof.push(Block::Table {
            header: vec![
                "component".into(),
                "instances lost".into(),
                "success when failed".into(),
                "with the failover".into(),
                "without the failure".into(),
            ],
            rows: r
                .failure_impact
                .iter()
                .map(|f| {
                    vec![
                        f.name.clone(),
                        f.instances_lost.to_string(),
                        percent(f.success_ratio_when_failed),
                        percent(f.success_ratio_including_failover),
                        percent(f.success_ratio_baseline),
                    ]
                })
                .collect(),
        });
    }
    sections.push(part.section("spof", "Single points of failure", spof));

    let availability_rows = r
        .components
        .iter()
        .filter_map(|c| {
            c.availability.map(|a| {
                vec![
                    c.run.name.clone(),
                    c.run.kind.replace('_', " "),
                    c.run.instances.to_string(),
                    format!("{:.4} %", a * 100.0),
                    number((1.0 - a) * crate::analysis::availability::MINUTES_PER_YEAR),
                ]
            })
        })
        .collect();
    sections.push(part.section(
        "availability",
        "Availability and downtime",
        vec![
            Block::Text(format!(
                "The system: {:.4} % available, {} minutes down a year (independent failures, instant failover; the request path's components in series, each tier k-of-n).",
                s.availability * 100.0,
                number(s.downtime_min_per_year)
            )),
            Block::Table {
                header: vec![
                    "component".into(),
                    "kind".into(),
                    "instances".into(),
                    "availability".into(),
                    "minutes down a year".into(),
                ],
                rows: availability_rows,
            },
        ],
    ));

    let mut cost_rows: Vec<Vec<String>> = r
        .components
        .iter()
        .filter(|c| c.cost_per_month > 0.0)
        .map(|c| {
            vec![
                c.run.name.clone(),
                c.run.kind.replace('_', " "),
                c.run.instances.to_string(),
                number(c.cost_per_month),
            ]
        })
        .collect();
    // The rest of the total is the data sent back to clients (the price table's transfer).
    let components_cost: f64 = r.components.iter().map(|c| c.cost_per_month).sum();
    let transfer = s.cost_per_month - components_cost;
    if transfer > 1e-9 * s.cost_per_month.abs() {
        cost_rows.push(vec![
            "data transfer".into(),
            "responses to clients".into(),
            String::new(),
            number(transfer),
        ]);
    }
    cost_rows.push(vec![
        "total".into(),
        String::new(),
        String::new(),
        number(s.cost_per_month),
    ]);
    sections.push(part.section(
        "cost",
        "Cost",
        vec![
            Block::Text(format!(
                "A month at this load, in {} from the price table{}.",
                s.currency,
                s.cost_per_million_requests
                    .map_or(String::new(), |c| format!(
                        "; {} per million requests served",
                        number(c)
                    ))
            )),
            Block::Table {
                header: vec![
                    "component".into(),
                    "kind".into(),
                    "instances".into(),
                    format!("{} a month", s.currency),
                ],
                rows: cost_rows,
            },
        ],
    ));

    if let Some(journey) = part.design.journey.as_ref().filter(|j| !j.steps.is_empty()) {
        sections.push(part.section(
            "journey",
            "Journey: the fixes so far",
            journey_blocks(journey),
        ));
    }
    sections.push(part.section("over-time", "Over time", time_plots(part, files)?));
    Ok(sections)
}

/// A journey as a table: each fix with the users the design then carries and its figures.
fn journey_blocks(journey: &crate::model::Journey) -> Vec<Block> {
    vec![
        Block::Text(format!(
            "Each fix made so far (in the app's Fix the next bottleneck, or by archsandbox advise --apply), measured under the scenario '{}' at the users it was made for (over its first hour of ticks at most).",
            journey.scenario
        )),
        Block::Table {
            header: crate::analysis::advise::JOURNEY_COLUMNS
                .map(String::from)
                .to_vec(),
            rows: crate::analysis::advise::journey_rows(journey)
                .into_iter()
                .map(|row| row.to_vec())
                .collect(),
        },
        Block::List(
            journey
                .steps
                .iter()
                .enumerate()
                .skip(1)
                .map(|(i, s)| format!("step {i}, {}: {}", s.title, s.change))
                .collect(),
        ),
    ]
}

/// The plots over time and the CSV files they come from.
fn time_plots(part: &Part<'_>, files: &mut Vec<ReportFile>) -> Result<Vec<Block>, String> {
    let series = part.series;
    let system_csv = part.file("data/timeseries.csv");
    let components_csv = part.file("data/components.csv");
    files.push(ReportFile {
        name: system_csv.clone(),
        bytes: csv::system(series).into_bytes(),
    });
    files.push(ReportFile {
        name: components_csv.clone(),
        bytes: csv::components(series).into_bytes(),
    });
    let time: Vec<f64> = series.system.iter().map(|r| r.time_s).collect();
    let line = |label: &str, color: usize, values: &mut dyn Iterator<Item = f64>| Line {
        label: label.to_string(),
        points: time.iter().copied().zip(values).collect(),
        color: PALETTE[color % PALETTE.len()],
        dashed: false,
        width: 2,
    };
    let chart = |title: &str, y_label: &str, y_axis: Axis, lines: Vec<Line>| Chart {
        title: title.to_string(),
        x_label: "simulated time (s)".into(),
        y_label: y_label.to_string(),
        x_axis: Axis::Plain,
        y_axis,
        lines,
    };
    let sys = &series.system;
    let mut throughput = vec![
        line("offered", 0, &mut sys.iter().map(|r| r.offered_per_s)),
        line("succeeded", 2, &mut sys.iter().map(|r| r.throughput_per_s)),
        line("failed", 1, &mut sys.iter().map(|r| r.failed_per_s)),
    ];
    if sys.iter().any(|r| r.retries_per_s > 0.0) {
        throughput.push(line("retries", 3, &mut sys.iter().map(|r| r.retries_per_s)));
    }
    let mut charts = vec![
        (
            "throughput",
            chart("Requests per second", "requests/s", Axis::Plain, throughput),
        ),
        (
            "success",
            chart(
                "Success ratio",
                "succeeded ÷ ended",
                Axis::Percent,
                vec![line(
                    "success ratio",
                    2,
                    &mut sys.iter().map(|r| r.success_ratio),
                )],
            ),
        ),
        (
            "latency",
            chart(
                "End-to-end latency of recent successful requests",
                "ms",
                Axis::Plain,
                vec![
                    line("p50", 0, &mut sys.iter().map(|r| r.latency_ms.p50)),
                    line("p95", 4, &mut sys.iter().map(|r| r.latency_ms.p95)),
                    line("p99", 1, &mut sys.iter().map(|r| r.latency_ms.p99)),
                ],
            ),
        ),
    ];
    // The busiest components (by mean utilization over the run), clients left out.
    let mut busiest: Vec<_> = series
        .components
        .iter()
        .filter(|c| c.kind != "client")
        .map(|c| {
            let mean =
                c.rows.iter().map(|r| r.utilization).sum::<f64>() / c.rows.len().max(1) as f64;
            (mean, c)
        })
        .collect();
    busiest.sort_by(|a, b| b.0.total_cmp(&a.0));
    busiest.truncate(BUSIEST);
    charts.push((
        "utilization",
        chart(
            "Utilization of the busiest components",
            "busy share of capacity",
            Axis::Percent,
            busiest
                .iter()
                .enumerate()
                .map(|(i, (_, c))| line(&c.name, i, &mut c.rows.iter().map(|r| r.utilization)))
                .collect(),
        ),
    ));
    let mut backlog = vec![line(
        "in flight (system)",
        6,
        &mut sys.iter().map(|r| r.in_flight),
    )];
    let mut deepest: Vec<_> = series
        .components
        .iter()
        .map(|c| (c.rows.iter().map(|r| r.backlog).fold(0.0, f64::max), c))
        .filter(|(most, _)| *most > 0.0)
        .collect();
    deepest.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (i, (_, c)) in deepest.iter().take(BUSIEST).enumerate() {
        backlog.push(line(
            &format!("{} waiting", c.name),
            i,
            &mut c.rows.iter().map(|r| r.backlog),
        ));
    }
    charts.push((
        "backlog",
        chart("Requests waiting", "requests", Axis::Plain, backlog),
    ));
    let scaled: Vec<_> = series
        .components
        .iter()
        .filter(|c| c.rows.iter().any(|r| r.in_service.is_some()))
        .collect();
    if !scaled.is_empty() {
        charts.push((
            "instances",
            chart(
                "Autoscaled instances (or consumers) in service",
                "instances",
                Axis::Plain,
                scaled
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        line(
                            &c.name,
                            i,
                            &mut c.rows.iter().map(|r| r.in_service.unwrap_or(0.0)),
                        )
                    })
                    .collect(),
            ),
        ));
    }
    let mut blocks = vec![Block::Text(format!(
        "The whole run, warm-up included (the means above leave out its first {} s). {}",
        number(part.report.warmup_s),
        if series.ticks_per_row > 1 {
            format!(
                "Each point is the mean of {} ticks (latency: the last tick's).",
                series.ticks_per_row
            )
        } else {
            "One point a tick.".to_string()
        }
    ))];
    for (stem, c) in &charts {
        let caption = c.title.clone();
        let svg = plots::svg(c)?;
        let csv_file = if *stem == "utilization" || *stem == "backlog" || *stem == "instances" {
            components_csv.clone()
        } else {
            system_csv.clone()
        };
        blocks.push(picture(
            files,
            &part.file(&format!("plots/{stem}")),
            svg,
            caption,
            Some(csv_file),
        )?);
    }
    let every = if series.ticks_per_row > 1 {
        format!("every {} ticks", series.ticks_per_row)
    } else {
        "every tick".to_string()
    };
    blocks.push(Block::Files(vec![
        (format!("the system, {every} (CSV)"), system_csv),
        (format!("each component, {every} (CSV)"), components_csv),
    ]));
    Ok(blocks)
}

/// One design's side of a sweep point.
type Pick = fn(&SweepPoint) -> &SweepSide;

/// A comparison's own sections: the side-by-side table and the load sweep.
fn comparison_sections(
    compared: &CompareReport,
    files: &mut Vec<ReportFile>,
) -> Result<Vec<Section>, String> {
    let (ra, rb) = (&compared.a, &compared.b);
    let rows = differences(Some(ra), Some(rb))
        .iter()
        .map(|row| {
            let mark = |side| {
                if row.better() == side { " ★" } else { "" }
            };
            vec![
                row.label.to_string(),
                format!(
                    "{}{}",
                    row.show(row.a),
                    mark(crate::analysis::compare::Better::A)
                ),
                format!(
                    "{}{}",
                    row.show(row.b),
                    mark(crate::analysis::compare::Better::B)
                ),
            ]
        })
        .collect();
    let mut sections = vec![Section {
        id: "comparison".into(),
        title: "Side by side".into(),
        level: 2,
        blocks: vec![
            Block::Text(format!(
                "A: {}. B: {}. The same scenario and seed for both (common random numbers); ★ marks the better value (latency not, when the success ratios are far apart). Costs in {}.",
                ra.design, rb.design, ra.system.currency
            )),
            Block::Table {
                header: vec![String::new(), "A".into(), "B".into()],
                rows,
            },
        ],
    }];

    let sweep_csv = "data/sweep.csv".to_string();
    files.push(ReportFile {
        name: sweep_csv.clone(),
        bytes: csv::sweep(&compared.sweep).into_bytes(),
    });
    let sides: [(&str, Pick, usize); 2] = [("A", |p| &p.a, 0), ("B", |p| &p.b, 1)];
    let curve = |name: &str,
                 pick: Pick,
                 color: usize,
                 dashed: bool,
                 value: &dyn Fn(&SweepSide) -> Option<f64>| Line {
        label: name.to_string(),
        points: compared
            .sweep
            .iter()
            .filter_map(|p| value(pick(p)).map(|v| (p.load, v)))
            .collect(),
        color: PALETTE[color],
        dashed,
        // A's lines wider: where B's coincide with them, A still shows on both sides.
        width: if color == 0 { 4 } else { 2 },
    };
    let chart = |title: &str, y_label: &str, y_axis: Axis, lines: Vec<Line>| Chart {
        title: title.to_string(),
        x_label: "load (× the scenario's, log scale)".into(),
        y_label: y_label.to_string(),
        x_axis: Axis::LogLoad,
        y_axis,
        lines,
    };
    let with_formulas = |value: fn(&SweepSide) -> Option<f64>,
                         predicted: fn(&SweepSide) -> Option<f64>| {
        let mut lines = Vec::new();
        for (name, pick, color) in sides {
            lines.push(curve(name, pick, color, false, &value));
            let formulas = curve(&format!("{name} [formulas]"), pick, color, true, &predicted);
            if !formulas.points.is_empty() {
                lines.push(formulas);
            }
        }
        lines
    };
    let charts = [
        (
            "sweep-success",
            chart(
                "Success ratio as the load grows",
                "succeeded ÷ ended",
                Axis::Percent,
                with_formulas(
                    |s| Some(s.success_ratio),
                    |s| Some(s.predicted.success_ratio),
                ),
            ),
        ),
        (
            "sweep-throughput",
            chart(
                "Throughput as the load grows",
                "requests/s completed",
                Axis::Plain,
                with_formulas(
                    |s| Some(s.throughput_per_s),
                    |s| Some(s.predicted.throughput_per_s),
                ),
            ),
        ),
        (
            "sweep-p99",
            chart(
                "p99 latency as the load grows",
                "ms",
                Axis::Plain,
                with_formulas(|s| Some(s.latency_ms.p99), |s| s.predicted.latency_ms.p99),
            ),
        ),
        (
            "sweep-cost",
            chart(
                "Cost to carry the load (scaling the way each design scales)",
                &format!("{} a month", ra.system.currency),
                Axis::Plain,
                sides
                    .iter()
                    .map(|&(name, pick, color)| {
                        curve(name, pick, color, false, &|s| s.cost_to_carry_per_month)
                    })
                    .collect(),
            ),
        ),
    ];
    let mut blocks = vec![Block::Text(
        "Both designs at each load, simulated (solid) and as the operational laws and queueing formulas predict (dashed: steady state, Poisson arrivals, nothing failing; no latency at or past the knee, and percentiles only where the path is one M/M/c station). A's lines are drawn wider: where only one colour shows, B's curve lies on A's. A cost curve stops where the design cannot be scaled further."
            .into(),
    )];
    for (stem, c) in &charts {
        blocks.push(picture(
            files,
            &format!("plots/{stem}"),
            plots::svg(c)?,
            c.title.clone(),
            Some(sweep_csv.clone()),
        )?);
    }
    let mut table_rows = Vec::new();
    for p in &compared.sweep {
        let cell = |s: &SweepSide| {
            [
                percent(s.success_ratio),
                format!("{} ms", number(s.latency_ms.p99)),
                s.cost_to_carry_per_month.map_or("ceiling".into(), number),
            ]
        };
        let mut row = vec![format!("×{}", number(p.load))];
        row.extend(cell(&p.a));
        row.extend(cell(&p.b));
        table_rows.push(row);
    }
    blocks.push(Block::Table {
        header: vec![
            "load".into(),
            "A success".into(),
            "A p99".into(),
            "A cost to carry".into(),
            "B success".into(),
            "B p99".into(),
            "B cost to carry".into(),
        ],
        rows: table_rows,
    });
    if let Some(note) = &compared.sweep_note {
        blocks.push(Block::Text(format!("Note: {note}.")));
    }
    blocks.push(Block::Files(vec![(
        "the sweep, every figure (CSV)".into(),
        sweep_csv,
    )]));
    sections.push(Section {
        id: "sweep".into(),
        title: "Load sweep".into(),
        level: 2,
        blocks,
    });
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn shell_words_are_quoted_only_when_they_must_be() {
        assert_eq!(shell_word("saved-designs/a.ron"), "saved-designs/a.ron");
        assert_eq!(shell_word("lunch rush"), "'lunch rush'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("$(rm -rf x)"), "'$(rm -rf x)'");
    }
}
