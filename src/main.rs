//! The `archsandbox` binary: parse the command line, then hand over to the app or the CLI.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = archsandbox::cli::Cli::parse();
    archsandbox::cli::run(cli)
}
