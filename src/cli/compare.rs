//! `archsandbox compare A.ron B.ron`: two designs under one scenario and seed, and the sweep.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::analysis::AnalysisOptions;
use crate::analysis::compare::{Better, Side, compare, differences, shared_scenario};
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
    let report = compare(&a, &b, &scenario, prices, &options, args.points.max(2)).map_err(|e| {
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
                "\nLOAD SWEEP (success ratio, p99 latency, cost to carry the load a month)"
            );
            let _ = writeln!(
                t,
                "{:>10}   {:>9} {:>10} {:>10}   {:>9} {:>10} {:>10}",
                "load", "A ok", "A p99", "A cost", "B ok", "B p99", "B cost"
            );
            for p in &report.sweep {
                let cost = |c: Option<f64>| c.map_or("ceiling".to_string(), number);
                let _ = writeln!(
                    t,
                    "{:>10}   {:>8.2}% {:>8} ms {:>10}   {:>8.2}% {:>8} ms {:>10}",
                    format!("×{}", number(p.load)),
                    p.a.success_ratio * 100.0,
                    number(p.a.latency_ms.p99),
                    cost(p.a.cost_to_carry_per_month),
                    p.b.success_ratio * 100.0,
                    number(p.b.latency_ms.p99),
                    cost(p.b.cost_to_carry_per_month)
                );
            }
            if let Some(note) = &report.sweep_note {
                let _ = writeln!(t, "Note: {note}.");
            }
            Ok(t)
        }
    }
}
