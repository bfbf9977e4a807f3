//! `archsandbox report FILE [--compare OTHER] -o DIR`: the shareable report (HTML, Markdown,
//! pictures, plots and CSV) of a design, or of two compared.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::analysis::AnalysisOptions;
use crate::model::PriceTable;
use crate::sim::RunOptions;

/// Options of `report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The design file (A, with `--compare`).
    pub file: PathBuf,
    /// A second design to compare with the first on the same seeded traffic: the report
    /// gains the side-by-side table and the load sweep's curves.
    #[arg(long, value_name = "OTHER", conflicts_with = "variant")]
    pub compare: Option<PathBuf>,
    /// Compare the design with a copy of it whose bottleneck is scaled `up` (the next larger
    /// size) or `out` (more instances behind a balancer), as the app's Scale up and Scale
    /// out make it.
    #[arg(long, value_enum)]
    pub variant: Option<Scaling>,
    /// The scenario to run (default: the design's default scenario).
    #[arg(long)]
    pub scenario: Option<String>,
    /// Seed of every random stream (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Ticks to run (default: the scenario's duration).
    #[arg(long)]
    pub ticks: Option<u64>,
    /// Multiply the load (1 = as designed).
    #[arg(long, default_value_t = 1.0)]
    pub load: f64,
    /// Load points of a comparison's sweep.
    #[arg(long, default_value_t = 12)]
    pub points: usize,
    /// The folder to write into (made if missing; the report's own files in it are
    /// replaced, others left alone).
    #[arg(short = 'o', long, value_name = "DIR")]
    pub output: PathBuf,
}

/// Which way `--variant` scales the design's bottleneck.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scaling {
    /// The bottleneck on the next larger instance size.
    Up,
    /// The bottleneck with more instances behind a balancer.
    Out,
}

/// The most load points a report's sweep runs.
const MAX_POINTS: usize = 200;

/// Run `archsandbox report`.
pub fn run(args: &ReportArgs, prices: &PriceTable) -> ExitCode {
    match report(args, prices) {
        Ok(count) => {
            outln!(
                "Wrote {} ({count} files): open {}",
                args.output.display(),
                args.output.join("report.html").display()
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// The command line that makes the same report, with the options that differ from the
/// defaults.
fn command_line(args: &ReportArgs) -> String {
    use crate::report::shell_word;
    let path = |p: &std::path::Path| shell_word(&p.display().to_string());
    let mut c = format!("archsandbox report {}", path(&args.file));
    if let Some(other) = &args.compare {
        c.push_str(&format!(" --compare {}", path(other)));
    }
    if let Some(v) = args.variant {
        c.push_str(match v {
            Scaling::Up => " --variant up",
            Scaling::Out => " --variant out",
        });
    }
    if let Some(s) = &args.scenario {
        c.push_str(&format!(" --scenario {}", shell_word(s)));
    }
    if let Some(seed) = args.seed {
        c.push_str(&format!(" --seed {seed}"));
    }
    if let Some(ticks) = args.ticks {
        c.push_str(&format!(" --ticks {ticks}"));
    }
    if args.load != 1.0 {
        c.push_str(&format!(" --load {}", args.load));
    }
    if (args.compare.is_some() || args.variant.is_some()) && args.points != 12 {
        c.push_str(&format!(" --points {}", args.points));
    }
    c.push_str(&format!(" -o {}", path(&args.output)));
    c
}

fn report(args: &ReportArgs, prices: &PriceTable) -> Result<usize, String> {
    if !(2..=MAX_POINTS).contains(&args.points) {
        return Err(format!(
            "--points must be between 2 and {MAX_POINTS}, not {}",
            args.points
        ));
    }
    // The scenario both designs run is the first design's (`--scenario`, or its default).
    let (design, mut scenario) = super::simulate::design_and_scenario(
        &args.file,
        args.scenario.as_deref(),
        args.load,
        prices,
    )?;
    let other = match (&args.compare, args.variant) {
        (Some(path), _) => {
            let loaded = crate::sim::preflight::read_runnable_design(path, prices)
                .map_err(|e| e.located(path))?;
            Some(loaded.design)
        }
        (None, Some(way)) => {
            use crate::analysis::compare::{Variant, scale_variant};
            let way = match way {
                Scaling::Up => Variant::Up,
                Scaling::Out => Variant::Out,
            };
            let (copy, change) = scale_variant(&design, &scenario, prices, way)
                .map_err(|e| format!("{}: {e}", args.file.display()))?;
            outln!("B: {change}");
            Some(copy)
        }
        (None, None) => None,
    };
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let options = AnalysisOptions {
        run: RunOptions {
            seed: args.seed,
            ticks: args.ticks,
            load_multiplier: Some(args.load),
            ..RunOptions::default()
        },
        ..AnalysisOptions::default()
    };
    let files = crate::report::build(&crate::report::ReportRequest {
        design: &design,
        compare: other.as_ref(),
        scenario: &scenario,
        prices,
        options: &options,
        sweep_points: args.points,
        command: Some(command_line(args)),
    })?;
    crate::report::write(&args.output, &files)?;
    Ok(files.len())
}
