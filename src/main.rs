//! The `archsandbox` binary: parse the command line, then hand over to the app or the CLI.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    match archsandbox::cli::Cli::try_parse() {
        Ok(cli) if cli.command.is_none() => open_app(cli),
        Ok(cli) => archsandbox::cli::run(cli),
        Err(error) => {
            // `archsandbox simulte x.ron` parses as a design to open plus a stray argument;
            // say what was meant instead.
            if let Some(suggestion) = misspelt_subcommand() {
                eprintln!("{suggestion}");
                return ExitCode::from(2);
            }
            error.exit()
        }
    }
}

/// The app, on the design or comparison the command line names.
#[cfg(feature = "gui")]
fn open_app(cli: archsandbox::cli::Cli) -> ExitCode {
    let prices = match archsandbox::cli::load_prices(cli.pricing.as_deref()) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    archsandbox::app::run(cli.file, cli.compare, prices)
}

/// Built without the app: say so, and what runs instead.
#[cfg(not(feature = "gui"))]
fn open_app(_cli: archsandbox::cli::Cli) -> ExitCode {
    eprintln!(
        "error: this archsandbox was built without the app (cargo feature `gui`); \
         run a command instead, e.g. `archsandbox simulate FILE` (see --help)"
    );
    ExitCode::from(2)
}

/// "unknown command 'simulte'; did you mean 'simulate'?" when the first argument is no file
/// and is one or two letters away from a subcommand's name.
fn misspelt_subcommand() -> Option<String> {
    let first = std::env::args().nth(1)?;
    if first.starts_with('-') || std::path::Path::new(&first).exists() {
        return None;
    }
    let command = archsandbox::cli::Cli::command();
    // A real command whose own arguments are wrong: clap's message says what is wrong.
    if command.get_subcommands().any(|c| c.get_name() == first) {
        return None;
    }
    let name = command
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|name| name != &first)
        .min_by_key(|name| edit_distance(name, &first))
        .filter(|name| edit_distance(name, &first) <= 2)?;
    Some(format!(
        "error: unknown command '{first}'; did you mean '{name}'?\n\nFor more information, try '--help'."
    ))
}

/// Levenshtein distance between two short words.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}
