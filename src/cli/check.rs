//! `archsandbox check FILE...`: validate design files.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::model::{PriceTable, Severity};
use crate::sim::preflight::read_runnable_design;

/// Print `FILE: ok` for each good file and `FILE:LINE:COL: message` on stderr for each
/// problem. Exit 0 only if every file is good. Warnings are printed but do not fail a file.
pub fn run(files: &[PathBuf], prices: &PriceTable) -> ExitCode {
    let mut all_good = true;
    for path in files {
        let shown = path.display();
        match read_runnable_design(path, prices) {
            Ok(loaded) => {
                for warning in &loaded.warnings {
                    let pos = warning
                        .position
                        .unwrap_or(crate::model::TextPosition { line: 1, column: 1 });
                    eprintln!(
                        "{shown}:{}:{}: {}",
                        pos.line,
                        pos.column,
                        without_position(warning)
                    );
                }
                outln!("{shown}: ok");
            }
            Err(crate::model::LoadError::Io { source, .. }) => {
                all_good = false;
                eprintln!("{shown}: cannot read: {source}");
            }
            Err(err) => {
                for problem in err.problems() {
                    if problem.severity == Severity::Error {
                        all_good = false;
                    }
                    let pos = problem
                        .position
                        .unwrap_or(crate::model::TextPosition { line: 1, column: 1 });
                    eprintln!(
                        "{shown}:{}:{}: {}",
                        pos.line,
                        pos.column,
                        without_position(&problem)
                    );
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

/// The problem's text without its own position prefix.
fn without_position(problem: &crate::model::Problem) -> String {
    let mut p = problem.clone();
    p.position = None;
    p.to_string()
}
