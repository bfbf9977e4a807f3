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
    /// Check a figure of the run, for a CI gate: `--assert 'p99_ms < 200'`,
    /// `--assert 'success >= 0.999'`, `--assert 'kitchen.utilization < 0.8'` (with the
    /// scenario's own `assertions`). Each prints PASS or FAIL with the measured value; the
    /// exit code is 0 when all hold, 3 when one fails, 2 for an `--assert` that cannot be read
    /// (its column said) or an assertion that names no figure of the run, and 1 when the
    /// design cannot run (a file's own assertion that cannot be read makes the file invalid).
    #[arg(long = "assert", value_name = "EXPR")]
    pub assertions: Vec<String>,
}

/// The exit code when an assertion does not hold.
pub const ASSERTION_FAILED: u8 = 3;
/// The exit code when an assertion cannot be read or names nothing in the run.
pub const BAD_ASSERTION: u8 = 2;

/// Why a command that checks assertions stopped.
pub(super) enum Stop {
    /// The design could not be read or run (exit 1).
    Run(String),
    /// An assertion could not be read or names nothing in the run (exit 2).
    BadAssertion(String),
}

impl Stop {
    /// Say why on standard error and give the exit code.
    pub(super) fn exit(self) -> ExitCode {
        match self {
            Stop::Run(message) => {
                eprintln!("{message}");
                ExitCode::FAILURE
            }
            Stop::BadAssertion(message) => {
                eprintln!("{message}");
                ExitCode::from(BAD_ASSERTION)
            }
        }
    }
}

/// A report as JSON, the form assertions read it in.
pub(super) fn report_json(
    report: &crate::analysis::report::SimulateReport,
) -> Result<serde_json::Value, Stop> {
    serde_json::to_value(report).map_err(|e| Stop::Run(e.to_string()))
}

/// Check `texts` on a report's JSON: the results, or why one could not be checked (`place`
/// says where the assertion came from, for the message).
pub(super) fn check_assertions(
    json: &serde_json::Value,
    texts: &[String],
    place: &dyn Fn(&str) -> String,
) -> Result<Vec<crate::model::assertions::AssertionResult>, Stop> {
    crate::model::assertions::check_all(texts, json)
        .map_err(|(text, e)| Stop::BadAssertion(format!("{}: {e}", place(&text))))
}

/// Run `archsandbox simulate`: print the report (and what its assertions found), or the
/// error on standard error with a failing exit code (see `SimulateArgs::assertions`).
pub fn run(args: &SimulateArgs, prices: &PriceTable) -> ExitCode {
    match simulate(args, prices) {
        Ok((text, held)) => {
            outln!("{text}");
            if held {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(ASSERTION_FAILED)
            }
        }
        Err(stop) => stop.exit(),
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

/// The report as text or JSON, and whether every assertion held.
fn simulate(args: &SimulateArgs, prices: &PriceTable) -> Result<(String, bool), Stop> {
    let path: &Path = &args.file;
    // Assertions that cannot be read are refused before the run.
    for text in &args.assertions {
        if let Err(e) = crate::model::assertions::parse(text) {
            return Err(Stop::BadAssertion(format!("--assert '{text}': {e}")));
        }
    }
    let (design, scenario) = design_and_scenario(path, args.scenario.as_deref(), args.load, prices)
        .map_err(Stop::Run)?;
    let report = report_of(args, &design, &scenario, prices).map_err(Stop::Run)?;
    // The report as JSON, once: what the assertions read, and the JSON output.
    let gated = !scenario.assertions.is_empty() || !args.assertions.is_empty();
    let json = if gated || args.format == Format::Json {
        Some(report_json(&report)?)
    } else {
        None
    };
    // The scenario's own assertions, then the command line's.
    let mut results = Vec::new();
    if let Some(json) = json.as_ref().filter(|_| gated) {
        let in_file = |text: &str| {
            format!(
                "{}: scenario '{}': assertion '{text}'",
                path.display(),
                scenario.name
            )
        };
        results = check_assertions(json, &scenario.assertions, &in_file)?;
        let on_command_line = |text: &str| format!("--assert '{text}'");
        results.extend(check_assertions(json, &args.assertions, &on_command_line)?);
    }
    let held = results.iter().all(|r| r.holds);
    let out = match (args.format, json) {
        (Format::Json, Some(mut json)) => {
            if !results.is_empty()
                && let Some(object) = json.as_object_mut()
            {
                let results =
                    serde_json::to_value(&results).map_err(|e| Stop::Run(e.to_string()))?;
                object.insert("assertions".into(), results);
            }
            serde_json::to_string_pretty(&json).map_err(|e| Stop::Run(e.to_string()))?
        }
        _ => {
            let mut text = report.to_text();
            if !results.is_empty() {
                text.push_str("\nASSERTIONS\n");
                for r in &results {
                    text.push_str(&format!("  {}\n", r.line()));
                }
            }
            text
        }
    };
    Ok((out, held))
}

/// The analysis of the run `args` ask for (with its replications).
fn report_of(
    args: &SimulateArgs,
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
) -> Result<crate::analysis::report::SimulateReport, String> {
    let path: &Path = &args.file;
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
    let mut report = crate::analysis::analyze(design, scenario, prices, &options)
        .map_err(|e| located(path, None, &e.to_string()))?;
    if let Some(count) = args.replications {
        // The replications cut the warm-up the run chose (MSER-5's, when it cut more).
        let cut = crate::model::Scenario {
            warmup_s: Some(report.warmup_s),
            ..scenario.clone()
        };
        let replications = crate::analysis::replications::replicate(
            design,
            &cut,
            prices,
            &options.run,
            args.engine,
            count,
        )
        .map_err(|e| located(path, None, &e.to_string()))?;
        report.replications = Some(replications);
    }
    Ok(report)
}
