//! `archsandbox check FILE...`: validate design files, and with `--assert-all` run every
//! scenario that has assertions and check them (a CI gate over a folder of designs).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::model::{PriceTable, Severity, located};
use crate::sim::preflight::read_runnable_design;

use super::simulate::{ASSERTION_FAILED, Stop, check_assertions, report_json};

/// Print `FILE: ok` for each good file and `FILE:LINE:COL: message` on stderr for each
/// problem (`FILE: message` where it has no position). Exit 0 only if every file is good. Warnings are printed but do not fail a file.
///
/// With `assert_all`, each good file's scenarios that have `assertions` are run (the flow
/// engine, as `simulate` runs them) and each assertion prints `FILE: scenario 'S': PASS …`
/// or `FAIL …`; then the exit code is 1 for a file that is not good, else 2 for an assertion
/// that names nothing in its run, else 3 when one does not hold, else 0.
pub fn run(files: &[PathBuf], assert_all: bool, prices: &PriceTable) -> ExitCode {
    let mut all_good = true;
    let mut bad_assertion = false;
    let mut all_hold = true;
    for path in files {
        match read_runnable_design(path, prices) {
            Ok(loaded) => {
                for warning in &loaded.warnings {
                    eprintln!("{}", warning.located(path));
                }
                outln!("{}: ok", path.display());
                if assert_all {
                    let at_scenarios = loaded.map.key("scenarios");
                    match gate(path, &loaded.design, prices, &|message| {
                        located(path, at_scenarios, message)
                    }) {
                        Ok(held) => all_hold &= held,
                        Err(Stop::Run(message)) => {
                            eprintln!("{message}");
                            all_good = false;
                        }
                        Err(Stop::BadAssertion(message)) => {
                            eprintln!("{message}");
                            bad_assertion = true;
                        }
                    }
                }
            }
            Err(err) => {
                for problem in err.problems() {
                    if problem.severity == Severity::Error {
                        all_good = false;
                    }
                    eprintln!("{}", problem.located(path));
                }
            }
        }
    }
    if !all_good {
        ExitCode::FAILURE
    } else if bad_assertion {
        ExitCode::from(super::simulate::BAD_ASSERTION)
    } else if !all_hold {
        ExitCode::from(ASSERTION_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// Run each scenario of `design` that has assertions and print what each found. Returns
/// whether all held.
fn gate(
    path: &Path,
    design: &crate::model::Design,
    prices: &PriceTable,
    locate: &dyn Fn(&str) -> String,
) -> Result<bool, Stop> {
    let mut held = true;
    for scenario in design.scenarios.iter().filter(|s| !s.assertions.is_empty()) {
        let options = crate::analysis::AnalysisOptions {
            run: crate::sim::RunOptions::default(),
            failure_analysis: crate::analysis::report::FailureAnalysis::Auto,
            engine: crate::analysis::report::Engine::Flow,
        };
        let report = crate::analysis::analyze(design, scenario, prices, &options)
            .map_err(|e| Stop::Run(locate(&format!("scenario '{}': {e}", scenario.name))))?;
        let place =
            |text: &str| locate(&format!("scenario '{}': assertion '{text}'", scenario.name));
        let json = report_json(&report)?;
        for result in check_assertions(&json, &scenario.assertions, &place)? {
            held &= result.holds;
            outln!(
                "{}: scenario '{}': {}",
                path.display(),
                scenario.name,
                result.line()
            );
        }
    }
    Ok(held)
}
