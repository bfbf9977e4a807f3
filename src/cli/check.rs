//! `archsandbox check FILE...`: validate design files.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::model::{PriceTable, Severity};
use crate::sim::preflight::read_runnable_design;

/// Print `FILE: ok` for each good file and `FILE:LINE:COL: message` on stderr for each
/// problem (`FILE: message` where it has no position). Exit 0 only if every file is good. Warnings are printed but do not fail a file.
pub fn run(files: &[PathBuf], prices: &PriceTable) -> ExitCode {
    let mut all_good = true;
    for path in files {
        match read_runnable_design(path, prices) {
            Ok(loaded) => {
                for warning in &loaded.warnings {
                    eprintln!("{}", warning.located(path));
                }
                outln!("{}: ok", path.display());
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
    if all_good {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
