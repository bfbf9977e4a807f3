//! `archsandbox import docker-compose.yml -o design.ron`: a design from a compose file.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::model::{PriceTable, Severity, located, validate};

/// Options of `import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The compose file (`docker-compose.yml`).
    pub file: PathBuf,
    /// Where to write the design (written atomically).
    #[arg(short = 'o', long, value_name = "OUT")]
    pub output: PathBuf,
}

/// Run `archsandbox import`: print what it guessed and left out, write the design; or the
/// error (`FILE:LINE:COL: message` for bad YAML) with exit code 1.
pub fn run(args: &ImportArgs, prices: &PriceTable) -> ExitCode {
    match import(args, prices) {
        Ok(notes) => {
            for note in notes {
                outln!("{note}");
            }
            outln!("wrote {}", args.output.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn import(args: &ImportArgs, prices: &PriceTable) -> Result<Vec<String>, String> {
    let path = &args.file;
    let bytes = crate::model::file::read_at_most(path, 16 * 1024 * 1024)
        .map_err(|e| located(path, None, &format!("cannot read it: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| located(path, None, "the compose file is not UTF-8 text"))?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "imported".into());
    let imported = crate::import::from_compose(&text, &name)
        .map_err(|e| located(path, e.position, &e.message))?;
    // What the import makes must be a design the app opens and the commands run.
    let errors: Vec<String> = validate(&imported.design, prices)
        .into_iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| i.message)
        .collect();
    if !errors.is_empty() {
        return Err(located(
            path,
            None,
            &format!(
                "the services make no design that can run: {}",
                errors.join("; ")
            ),
        ));
    }
    crate::model::file::save_design(&args.output, &imported.design)
        .map_err(|e| format!("{}: cannot write: {e}", args.output.display()))?;
    Ok(imported.notes)
}
