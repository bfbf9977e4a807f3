//! `archsandbox advise FILE [--users N | --load X]`: what breaks first at that load, the move
//! that fixes it and why; `--apply -o OUT.ron` writes the design with the move made.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::analysis::advise::{Advice, advise, load_for_users};
use crate::analysis::report::{count, number};
use crate::model::PriceTable;

use super::simulate::Format;

/// Options of `advise`.
#[derive(Debug, clap::Args)]
pub struct AdviseArgs {
    /// The design file.
    pub file: PathBuf,
    /// The scenario whose peak the design must carry (default: the design's default).
    #[arg(long)]
    pub scenario: Option<String>,
    /// The users to carry (every client's users × the scenario's multiplier × the load).
    #[arg(long, conflicts_with = "load")]
    pub users: Option<f64>,
    /// The load to carry, a multiple of the scenario's (default 1).
    #[arg(long)]
    pub load: Option<f64>,
    /// Report format: text for people, JSON for scripts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the design with the move made to `-o OUT.ron`.
    #[arg(long, requires = "output")]
    pub apply: bool,
    /// Where `--apply` writes the design (atomically).
    #[arg(short = 'o', long, value_name = "OUT.ron", requires = "apply")]
    pub output: Option<PathBuf>,
}

/// Run `archsandbox advise`.
pub fn run(args: &AdviseArgs, prices: &PriceTable) -> ExitCode {
    match advise_file(args, prices) {
        Ok(text) => {
            outln!("{}", text.trim_end());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// The advice as text, for people.
pub fn advice_text(advice: &Advice) -> String {
    let mut t = format!(
        "At ×{} ({} users; ×{} of the design's base load at the scenario's peak):\n",
        number(advice.load),
        count(advice.users.round() as u64),
        number(advice.peak_load)
    );
    if let Some(b) = &advice.breaks_first {
        t.push_str(&format!(
            "  breaks first  {} ({}) at ×{} ({} users)\n",
            b.name,
            b.kind.replace('_', " "),
            number(b.saturates_at_load),
            count(b.users.round() as u64)
        ));
    }
    let problem = advice.problem.label();
    t.push_str(&format!(
        "  fix           {}: {problem}\n",
        advice.component
    ));
    t.push_str(&format!(
        "  move          {}: {}\n",
        advice.action.label(),
        advice.change
    ));
    t.push_str(&format!("  why           {}\n", advice.reason));
    t.push_str(&format!("  then          {}\n", advice.before_after()));
    t
}

fn advise_file(args: &AdviseArgs, prices: &PriceTable) -> Result<String, String> {
    let (design, scenario) =
        super::simulate::design_and_scenario(&args.file, args.scenario.as_deref(), 1.0, prices)?;
    let load = match (args.users, args.load) {
        (Some(users), _) => load_for_users(&design, &scenario, users).ok_or_else(|| {
            format!("--users must be a positive number and the design must have users, not {users}")
        })?,
        (None, Some(load)) => load,
        (None, None) => 1.0,
    };
    if !(load.is_finite() && load > 0.0) {
        return Err(format!("--load must be a positive number, not {load}"));
    }
    let advice = advise(&design, &scenario, prices, load)
        .map_err(|e| format!("{}: {e}", args.file.display()))?;
    if let (Some(advice), Some(out)) = (&advice, &args.output) {
        // The fix joins the design's journey, with what the design can do after it; a fix
        // whose run cannot be measured is written without its step, and says so.
        let design = match crate::analysis::advise::with_journey(&design, advice, &scenario, prices)
        {
            Ok(design) => design,
            Err(e) => {
                eprintln!("warning: the fix is not added to the journey: {e}");
                advice.design.clone()
            }
        };
        crate::model::save_design(out, &design)
            .map_err(|e| format!("{}: cannot write: {e}", out.display()))?;
    }
    match args.format {
        Format::Json => {
            let value = serde_json::json!({ "advice": advice });
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
        }
        Format::Text => Ok(match &advice {
            Some(a) => {
                let mut t = advice_text(a);
                if let Some(out) = &args.output {
                    t.push_str(&format!("Wrote {}\n", out.display()));
                }
                t
            }
            None => format!(
                "At ×{}: nothing to fix — {}",
                number(load),
                crate::analysis::advise::nothing_to_fix(&scenario)
            ),
        }),
    }
}
