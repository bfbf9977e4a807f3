//! `archsandbox fmt FILE...`: rewrite design files in canonical layout.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::model::locate::first_comment;
use crate::model::{PriceTable, read_design, save_design, to_ron};

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
                eprintln!("{}: not rewritten:\n{e}", path.display());
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
                "{}:{}: not rewritten: the file has comments, which the canonical layout does not keep (pass --drop-comments to rewrite it anyway)",
                path.display(),
                crate::model::locate::position_of_offset(&current, offset)
            );
            continue;
        }
        if check_only {
            ok = false;
            outln!("{}: not in canonical layout", path.display());
        } else if let Err(e) = save_design(path, &loaded.design) {
            ok = false;
            eprintln!("{}: cannot write: {e}", path.display());
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
