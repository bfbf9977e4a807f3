//! `archsandbox fmt FILE...`: rewrite design files in canonical layout.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::model::locate::first_comment;
use crate::model::{PriceTable, located, read_design, save_design, to_ron};

/// Rewrite each file as the app would save it (atomically). With `check_only`, report the
/// files that differ and change nothing. A file that does not load is left alone, and so is
/// one with comments (the canonical layout has none) unless `drop_comments`.
pub fn run(
    files: &[PathBuf],
    check_only: bool,
    drop_comments: bool,
    prices: &PriceTable,
) -> ExitCode {
    let mut ok = true;
    for path in files {
        let loaded = match read_design(path, prices) {
            Ok(l) => l,
            Err(e) => {
                ok = false;
                for problem in e.problems() {
                    let mut problem = problem;
                    problem.message = format!("not rewritten: {}", problem.message);
                    eprintln!("{}", problem.located(path));
                }
                continue;
            }
        };
        let canonical = to_ron(&loaded.design);
        let current = std::fs::read_to_string(path).unwrap_or_default();
        if current == canonical {
            continue;
        }
        let comment = first_comment(&current);
        if let (Some(offset), false, false) = (comment, check_only, drop_comments) {
            ok = false;
            eprintln!(
                "{}",
                located(
                    path,
                    Some(crate::model::locate::position_of_offset(&current, offset)),
                    "not rewritten: the file has comments, which the canonical layout does not keep (pass --drop-comments to rewrite it anyway)"
                )
            );
            continue;
        }
        if check_only {
            ok = false;
            outln!("{}: not in canonical layout", path.display());
        } else if let Err(e) = save_design(path, &loaded.design) {
            ok = false;
            eprintln!("{}", located(path, None, &format!("cannot write: {e}")));
        } else {
            outln!("{}: rewritten", path.display());
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
