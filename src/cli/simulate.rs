//! `archsandbox simulate FILE`: run a scenario and report.

use std::path::Path;
use std::process::ExitCode;

use crate::model::{Design, PriceTable, Scenario, located};
use crate::sim::RunOptions;
use crate::sim::preflight::read_runnable_design;

/// Output format of reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Plain text, for people.
    Text,
    /// JSON, for scripts: fields may be added in later versions, never renamed.
    Json,
}

/// Options of `simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The design file.
    pub file: std::path::PathBuf,
    /// The scenario to run (default: the design's default scenario).
    #[arg(long)]
    pub scenario: Option<String>,
    /// Ticks to run (default: the scenario's duration).
    #[arg(long)]
    pub ticks: Option<u64>,
    /// Seed of every random stream (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Multiply the load (1 = as designed).
    #[arg(long, default_value_t = 1.0)]
    pub load: f64,
    /// Request paths sampled per tick for end-to-end latency (default: 32, fewer for long runs).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Report format: text for people, JSON for scripts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The engine: `flow` (counts per tick, waits from formulas; fast, every feature) or
    /// `events` (request by request, the referee; every feature, within a budget of requests).
    #[arg(long, value_enum, default_value_t = crate::analysis::report::Engine::Flow)]
    pub engine: crate::analysis::report::Engine,
    /// Also run N replications on derived seeds (over all cores) and give every figure as a
    /// mean ± its 95 % interval (the JSON's `replications`).
    #[arg(long, value_name = "N")]
    pub replications: Option<usize>,
    /// Run the N−1 failure analysis (one simulation per component; `auto`: up to 200 components).
    #[arg(long, value_enum, default_value_t = crate::analysis::report::FailureAnalysis::Auto)]
    pub failure_analysis: crate::analysis::report::FailureAnalysis,
}

/// Run `archsandbox simulate`: print the report, or the error on standard error with a failing exit
/// code.
pub fn run(args: &SimulateArgs, prices: &PriceTable) -> ExitCode {
    match simulate(args, prices) {
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

/// A design file that can run and the scenario asked for (`--scenario NAME`, or the design's
/// default), with `--load` checked: errors read `FILE:LINE:COL: message`.
pub(super) fn design_and_scenario(
    path: &Path,
    scenario: Option<&str>,
    load: f64,
    prices: &PriceTable,
) -> Result<(Design, Scenario), String> {
    let loaded = read_runnable_design(path, prices).map_err(|e| e.located(path))?;
    let design = loaded.design;
    // Messages about the scenarios point at the file's list of them.
    let at_scenarios = |message: String| located(path, loaded.map.key("scenarios"), &message);
    let scenario = match scenario {
        Some(name) => design.scenario(name).cloned().ok_or_else(|| {
            at_scenarios(format!(
                "no scenario named '{name}' (scenarios: {})",
                design
                    .scenarios
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?,
        None => design
            .default_scenario()
            .cloned()
            .ok_or_else(|| at_scenarios("the design has no scenario".into()))?,
    };
    if !(load.is_finite() && load > 0.0) {
        return Err(format!("--load must be a positive number, not {load}"));
    }
    Ok((design, scenario))
}

fn simulate(args: &SimulateArgs, prices: &PriceTable) -> Result<String, String> {
    let path: &Path = &args.file;
    let (design, scenario) =
        design_and_scenario(path, args.scenario.as_deref(), args.load, prices)?;
    let options = crate::analysis::AnalysisOptions {
        run: RunOptions {
            seed: args.seed,
            ticks: args.ticks,
            load_multiplier: Some(args.load),
            samples_per_tick: args.samples,
            keep_history: false,
            live_latency: false,
        },
        failure_analysis: args.failure_analysis,
        engine: args.engine,
    };
    let mut report = crate::analysis::analyze(&design, &scenario, prices, &options)
        .map_err(|e| located(path, None, &e.to_string()))?;
    if let Some(count) = args.replications {
        // The replications cut the warm-up the run chose (MSER-5's, when it cut more).
        let cut = crate::model::Scenario {
            warmup_s: Some(report.warmup_s),
            ..scenario.clone()
        };
        let replications = crate::analysis::replications::replicate(
            &design,
            &cut,
            prices,
            &options.run,
            args.engine,
            count,
        )
        .map_err(|e| located(path, None, &e.to_string()))?;
        report.replications = Some(replications);
    }
    match args.format {
        Format::Json => serde_json::to_string_pretty(&report).map_err(|e| e.to_string()),
        Format::Text => Ok(report.to_text()),
    }
}
