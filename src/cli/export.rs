//! `archsandbox export FILE --format svg|png|mermaid`: a picture of the design, headless.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::model::{PriceTable, located};

/// What to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PictureFormat {
    /// SVG: the canvas as it looks (bottlenecks red, SPOF badges).
    Svg,
    /// PNG: the same picture as pixels (`--scale 2` for a sharp slide); needs `-o`.
    Png,
    /// Mermaid `flowchart LR`, to paste into markdown or a wiki.
    Mermaid,
}

/// Options of `export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The design file.
    pub file: PathBuf,
    /// What to write.
    #[arg(long, value_enum)]
    pub format: PictureFormat,
    /// Where to write it (default: standard output); written atomically.
    #[arg(short = 'o', long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// The picture's size as a multiple of the canvas at 100 % (a PNG's pixels: 2 for a
    /// high-density screen or a slide).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f32,
    /// The scenario whose run marks bottlenecks and single points of failure (default: the
    /// design's default scenario).
    #[arg(long)]
    pub scenario: Option<String>,
    /// Draw the design alone, without running it to mark what breaks.
    #[arg(long)]
    pub no_marks: bool,
}

/// Run `archsandbox export`.
pub fn run(args: &ExportArgs, prices: &PriceTable) -> ExitCode {
    match export(args, prices) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn export(args: &ExportArgs, prices: &PriceTable) -> Result<(), String> {
    if !(args.scale.is_finite() && args.scale > 0.0) {
        return Err(format!(
            "--scale must be a positive number, not {}",
            args.scale
        ));
    }
    if args.format == PictureFormat::Png && args.output.is_none() {
        return Err("a PNG is written to a file: give -o FILE.png".into());
    }
    let (design, scenario) =
        super::simulate::design_and_scenario(&args.file, args.scenario.as_deref(), 1.0, prices)?;
    let marks = if args.no_marks {
        crate::export::Marks::default()
    } else {
        let options = crate::analysis::AnalysisOptions {
            run: crate::sim::RunOptions::default(),
            failure_analysis: crate::analysis::report::FailureAnalysis::Auto,
            engine: crate::analysis::report::Engine::Flow,
        };
        let report = crate::analysis::analyze(&design, &scenario, prices, &options)
            .map_err(|e| located(&args.file, None, &e.to_string()))?;
        crate::export::Marks::of_report(&design, &report)
    };
    let bytes = match args.format {
        PictureFormat::Svg => crate::export::svg(&design, &marks, args.scale).into_bytes(),
        // Drawn at 100 % and rendered at the scale: text and lines stay sharp.
        PictureFormat::Png => {
            crate::render::png_from_svg(&crate::export::svg(&design, &marks, 1.0), args.scale)?
        }
        PictureFormat::Mermaid => crate::export::mermaid(&design, &marks).into_bytes(),
    };
    match &args.output {
        None => {
            outln!("{}", String::from_utf8_lossy(&bytes).trim_end());
            Ok(())
        }
        Some(path) => {
            use std::io::Write as _;
            crate::model::file::write_atomically(path, |f| f.write_all(&bytes))
                .map_err(|e| format!("{}: cannot write: {e}", path.display()))
        }
    }
}
