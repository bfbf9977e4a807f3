//! The command line: subcommands run headless. `archsandbox [FILE]` (no subcommand) opens
//! the app, which `main` starts: this module never does.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::model::PriceTable;

/// Print a line on standard output. When the reader has gone (`archsandbox … | head`), stop
/// quietly as other command-line tools do, instead of panicking on the broken pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            eprintln!("cannot write to standard output: {e}");
        }
    }};
}

pub mod advise;
pub mod bench;
mod check;
pub mod compare;
pub mod cross_check;
pub mod export;
mod fmt;
pub mod import;
pub mod report;
pub mod simulate;

/// Architecture Sandbox: design a software architecture, drive traffic through it, and watch
/// where it breaks.
#[derive(Debug, Parser)]
#[command(name = "archsandbox", version, about)]
pub struct Cli {
    /// A design file to open in the app (default: the built-in example design).
    pub file: Option<PathBuf>,
    /// Open the app in compare mode on two designs.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub compare: Option<Vec<PathBuf>>,
    /// A price table to use instead of the built-in `assets/pricing.ron`.
    #[arg(long, global = true, value_name = "FILE")]
    pub pricing: Option<PathBuf>,
    /// The headless command to run; without one, `main` opens the app.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Headless commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate design files: `FILE: ok`, or `FILE:LINE:COL: message` for each problem.
    Check {
        /// Design files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also run every scenario that has `assertions` and check them (a CI gate over a
        /// folder of designs): exit 0 when all hold, 3 when one fails, 2 for an assertion
        /// that names nothing in its run, 1 for a file that is not good.
        #[arg(long)]
        assert_all: bool,
    },
    /// Run a scenario on a design and report what happened.
    Simulate(simulate::SimulateArgs),
    /// Compare two designs on the same seeded traffic, with a load sweep.
    Compare(compare::CompareArgs),
    /// Run both engines (flow and events) on a design and scenario, figure by figure, and
    /// mark the figures that differ by more than the runs' noise.
    CrossCheck(cross_check::CrossCheckArgs),
    /// What breaks first at a load, the move that fixes it and why (`--apply -o OUT.ron`
    /// writes the design with the move made): each fix reveals the next bottleneck.
    Advise(advise::AdviseArgs),
    /// Simulate a generated design and report the speed (last line: `component-ticks/s: X`).
    Bench(bench::BenchArgs),
    /// Write a picture of a design: SVG or PNG (as the canvas draws it, bottlenecks red,
    /// SPOF badges) or Mermaid (`flowchart LR`).
    Export(export::ExportArgs),
    /// A report to share: `report.html` (self-contained) and `report.md` with the design's
    /// picture, what breaks first, single points of failure, availability, cost and plots
    /// over time (SVG and PNG), every time series as CSV; with `--compare`, the side-by-side
    /// table and the load sweep's curves.
    Report(report::ReportArgs),
    /// A design from a `docker-compose.yml`: services become components by what they run,
    /// `depends_on` and `links` become links; prints what it guessed and left out.
    Import(import::ImportArgs),
    /// Rewrite design files in the canonical layout (the layout the app saves).
    Fmt {
        /// Design files to rewrite.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Only report files that are not canonical; change nothing.
        #[arg(long)]
        check: bool,
        /// Rewrite files that have comments too; their comments are lost.
        #[arg(long)]
        drop_comments: bool,
    },
}

/// Run the parsed command line and return the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    // A design to open and a subcommand exclude each other; `--pricing` goes with either, before
    // or after the subcommand (clap's own exclusion also refused it before one).
    if cli.command.is_some() && (cli.file.is_some() || cli.compare.is_some()) {
        eprintln!(
            "error: a design to open in the app (FILE or --compare) cannot be given with a subcommand"
        );
        eprintln!(
            "Usage: archsandbox [OPTIONS] [FILE]\n       archsandbox [--pricing FILE] <COMMAND>"
        );
        return ExitCode::from(2);
    }
    let prices = match load_prices(cli.pricing.as_deref()) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Some(Command::Check { files, assert_all }) => check::run(&files, assert_all, &prices),
        Some(Command::Fmt {
            files,
            check,
            drop_comments,
        }) => fmt::run(&files, check, drop_comments, &prices),
        Some(Command::Simulate(args)) => simulate::run(&args, &prices),
        Some(Command::Bench(args)) => bench::run(&args, &prices),
        Some(Command::Compare(args)) => compare::run(&args, &prices),
        Some(Command::CrossCheck(args)) => cross_check::run(&args, &prices),
        Some(Command::Export(args)) => export::run(&args, &prices),
        Some(Command::Import(args)) => import::run(&args, &prices),
        Some(Command::Report(args)) => report::run(&args, &prices),
        Some(Command::Advise(args)) => advise::run(&args, &prices),
        None => {
            // `main` opens the app when no command is given; this module never starts it.
            eprintln!("error: no command given (see --help)");
            ExitCode::from(2)
        }
    }
}

/// The price table: from `--pricing FILE`, or the built-in one. Errors read
/// `FILE:LINE:COL: message` like every error about a file.
pub fn load_prices(path: Option<&std::path::Path>) -> Result<PriceTable, String> {
    use crate::model::located;
    match path {
        None => Ok(PriceTable::builtin()),
        Some(path) => {
            let bytes = crate::model::file::read_at_most(path, 16 * 1024 * 1024)
                .map_err(|e| located(path, None, &format!("cannot read the price table: {e}")))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                let valid = e.utf8_error().valid_up_to();
                let before = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
                located(
                    path,
                    Some(crate::model::locate::position_of_offset(&before, valid)),
                    "the price table is not UTF-8 text",
                )
            })?;
            PriceTable::parse(&text).map_err(|e| located(path, e.position, &e.message))
        }
    }
}
