//! `archsandbox cross-check FILE`: both engines on one design and scenario, figure by figure,
//! with the figures that differ by more than the runs' noise marked. A report, not a gate:
//! it exits 0 whenever it ran, whatever it found.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::analysis::cross_check::DEFAULT_REPLICATIONS;
use crate::model::{PriceTable, located};
use crate::sim::RunOptions;

use super::simulate::{Format, design_and_scenario};

/// Options of `cross-check`.
#[derive(Debug, clap::Args)]
pub struct CrossCheckArgs {
    /// The design file.
    pub file: PathBuf,
    /// The scenario to run (default: the design's default scenario).
    #[arg(long)]
    pub scenario: Option<String>,
    /// Runs of each engine, on derived seeds (at least 2).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_REPLICATIONS)]
    pub replications: usize,
    /// Multiply the load (1 = as designed).
    #[arg(long, default_value_t = 1.0)]
    pub load: f64,
    /// The seed the replications' seeds derive from (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Ticks each run lasts (default: the scenario's duration).
    #[arg(long)]
    pub ticks: Option<u64>,
    /// Report format: text for people, JSON for scripts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Run `archsandbox cross-check`: print the table, or the error (such as a design the events
/// engine does not model yet) on standard error with a failing exit code.
pub fn run(args: &CrossCheckArgs, prices: &PriceTable) -> ExitCode {
    match cross_check_file(args, prices) {
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

fn cross_check_file(args: &CrossCheckArgs, prices: &PriceTable) -> Result<String, String> {
    let path = &args.file;
    let (design, scenario) =
        design_and_scenario(path, args.scenario.as_deref(), args.load, prices)?;
    let run = RunOptions {
        seed: args.seed,
        ticks: args.ticks,
        load_multiplier: Some(args.load),
        ..RunOptions::default()
    };
    let check = crate::analysis::cross_check::cross_check(
        &design,
        &scenario,
        prices,
        &run,
        args.replications,
    )
    .map_err(|e| located(path, None, &e.to_string()))?;
    match args.format {
        Format::Json => serde_json::to_string_pretty(&check).map_err(|e| e.to_string()),
        Format::Text => Ok(check.to_text()),
    }
}
