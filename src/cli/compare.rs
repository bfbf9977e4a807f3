//! `archsandbox compare A.ron B.ron`: two designs under one scenario and seed, and the sweep.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::analysis::AnalysisOptions;
use crate::analysis::compare::{
    Better, Side, SweepPoint, SweepSide, compare_with, differences, shared_scenario,
};
use crate::analysis::replications::{Interval, MAX_REPLICATIONS};
use crate::analysis::report::number;
use crate::model::{PriceTable, located};
use crate::sim::RunOptions;
use crate::sim::preflight::read_runnable_design;

use super::simulate::Format;

/// Options of `compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The first design (A).
    pub a: PathBuf,
    /// The second design (B).
    pub b: PathBuf,
    /// The scenario both run (default: the first design's default scenario).
    #[arg(long)]
    pub scenario: Option<String>,
    /// Seed of every random stream (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Load points of the sweep.
    #[arg(long, default_value_t = 20)]
    pub points: usize,
    /// Ticks to run each design (default: the scenario's duration); the sweep's runs take
    /// at most 600.
    #[arg(long)]
    pub ticks: Option<u64>,
    /// Run each design at each load of the sweep N times on derived seeds (over all cores),
    /// and give every swept figure as a mean ± its 95 % interval (the JSON's `intervals`).
    #[arg(long, value_name = "N")]
    pub replications: Option<usize>,
    /// Report format: text for people, JSON for scripts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Run `archsandbox compare`: print the report, or the error on standard error with a failing exit
/// code.
pub fn run(args: &CompareArgs, prices: &PriceTable) -> ExitCode {
    match compare_files(args, prices) {
        Ok(text) => {
            outln!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// The most load points a sweep runs (each is a simulation of both designs).
const MAX_POINTS: usize = 200;

fn compare_files(args: &CompareArgs, prices: &PriceTable) -> Result<String, String> {
    if !(2..=MAX_POINTS).contains(&args.points) {
        return Err(format!(
            "--points must be between 2 and {MAX_POINTS}, not {}",
            args.points
        ));
    }
    if let Some(n) = args.replications
        && !(2..=MAX_REPLICATIONS).contains(&n)
    {
        return Err(format!(
            "--replications must be between 2 and {MAX_REPLICATIONS}, not {n}"
        ));
    }
    let load = |p: &PathBuf| read_runnable_design(p, prices).map_err(|e| e.located(p));
    let (loaded_a, loaded_b) = (load(&args.a)?, load(&args.b)?);
    let mut scenario = shared_scenario(&loaded_a.design, args.scenario.as_deref())
        .map_err(|e| located(&args.a, loaded_a.map.key("scenarios"), &e))?;
    let (a, b) = (loaded_a.design, loaded_b.design);
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let options = AnalysisOptions {
        run: RunOptions {
            seed: args.seed,
            ticks: args.ticks,
            ..RunOptions::default()
        },
        ..AnalysisOptions::default()
    };
    let replications = args.replications.unwrap_or(1);
    let points = args.points.max(2);
    let report =
        compare_with(&a, &b, &scenario, prices, &options, points, replications).map_err(|e| {
            let file = match e.side {
                Side::A => &args.a,
                Side::B => &args.b,
            };
            located(file, None, &e.error.to_string())
        })?;
    match args.format {
        Format::Json => serde_json::to_string_pretty(&report).map_err(|e| e.to_string()),
        Format::Text => {
            use std::fmt::Write;
            let mut t = String::new();
            let (ra, rb) = (&report.a, &report.b);
            let _ = writeln!(t, "A: {}\nB: {}", ra.design, rb.design);
            let _ = writeln!(
                t,
                "Scenario \"{}\", seed {}, the same traffic for both (common random numbers).\n",
                ra.scenario, ra.seed
            );
            // The better value of each row is marked with a star (latency not, when the
            // success ratios are far apart: see `mark_success_first`).
            let _ = writeln!(t, "{:<28} {:>18} {:>18}", "", "A", "B");
            for row in differences(Some(ra), Some(rb)) {
                let mark = |side: Better| if row.better() == side { " *" } else { "  " };
                let _ = writeln!(
                    t,
                    "{:<28} {:>16}{} {:>16}{}",
                    row.label,
                    row.show(row.a),
                    mark(Better::A),
                    row.show(row.b),
                    mark(Better::B)
                );
            }
            let _ = writeln!(t, "(* the better value; costs in {})", ra.system.currency);
            let _ = writeln!(
                t,
                "\nLOAD SWEEP (success ratio, mean and p99 latency, cost to carry the load a month)"
            );
            let _ = writeln!(
                t,
                "[formulas]: what the operational laws and queueing formulas predict, with no simulation"
            );
            let _ = writeln!(
                t,
                "(steady state, Poisson arrivals, nothing failing, no timeouts; no latency at or past the knee,"
            );
            let _ = writeln!(
                t,
                "and percentiles only where the path is one M/M/c station)."
            );
            if replications > 1 {
                let _ = writeln!(
                    t,
                    "Each simulated figure: the mean ± the half-width of its 95 % interval over {replications} runs on derived seeds."
                );
            }
            for (name, title, pick) in [
                ("A", &ra.design, (|p| &p.a) as fn(&SweepPoint) -> &SweepSide),
                ("B", &rb.design, |p| &p.b),
            ] {
                let _ = writeln!(t, "\n{name}: {title}");
                t.push_str(&sweep_table(&report.sweep, pick));
            }
            if let Some(note) = &report.sweep_note {
                let _ = writeln!(t, "Note: {note}.");
            }
            Ok(t)
        }
    }
}

/// A figure with its interval when there is one: `50.2 ± 0.8`.
fn with_interval(value: f64, interval: Option<Interval>, show: impl Fn(f64) -> String) -> String {
    match interval {
        Some(i) => format!("{} ± {}", show(i.mean), show(i.half_width)),
        None => show(value),
    }
}

/// One design's side of the sweep as a text table: each load's simulated success ratio, mean
/// and p99 latency (with their intervals over replications) beside what the formulas predict,
/// and the cost to carry the load; columns right-aligned to their widest cell.
fn sweep_table(points: &[SweepPoint], pick: fn(&SweepPoint) -> &SweepSide) -> String {
    let percent = |v: f64| format!("{:.2}%", v * 100.0);
    let ms = |v: f64| format!("{} ms", number(v));
    let mut rows: Vec<[String; 8]> = vec![[
        "load".into(),
        "success".into(),
        "[formulas]".into(),
        "mean".into(),
        "[formulas]".into(),
        "p99".into(),
        "[formulas]".into(),
        "cost to carry".into(),
    ]];
    // Percentiles have a closed form for the whole sweep or for none of it.
    let closed_form = points
        .iter()
        .any(|p| pick(p).predicted.latency_ms.p99.is_some());
    for p in points {
        let s = pick(p);
        let f = &s.predicted;
        let i = s.intervals;
        let past_knee = f.knee_load.is_some_and(|k| p.load >= k);
        let predicted = |v: Option<f64>, given_below_knee: bool| match v {
            Some(v) => format!("[{}]", ms(v)),
            None if past_knee && given_below_knee => "[past knee]".into(),
            None => "[—]".into(),
        };
        rows.push([
            format!("×{}", number(p.load)),
            with_interval(s.success_ratio, i.map(|i| i.success_ratio), percent),
            format!("[{}]", percent(f.success_ratio)),
            with_interval(s.latency_ms.mean, i.map(|i| i.latency_mean_ms), ms),
            predicted(f.latency_ms.mean, true),
            with_interval(s.latency_ms.p99, i.map(|i| i.latency_p99_ms), ms),
            predicted(f.latency_ms.p99, closed_form),
            s.cost_to_carry_per_month
                .map_or("ceiling".to_string(), number),
        ]);
    }
    let mut widths = [0usize; 8];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:>w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
