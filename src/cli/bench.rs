//! `archsandbox bench`: simulate a generated design and report the speed.

use std::process::ExitCode;
use std::time::Instant;

use crate::model::{PriceTable, generate::benchmark_design};
use crate::sim::{RunOptions, Simulation};

/// Options of `bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Components in the generated design (rounded up to stacks of ten; default: 10,000 for
    /// the flow engine, 1,000 for the events engine, whose budget is 50 million requests).
    #[arg(long)]
    pub components: Option<usize>,
    /// Ticks to simulate (1 s each; default: 2,000 for the flow engine, 100 for the events
    /// engine).
    #[arg(long)]
    pub ticks: Option<u64>,
    /// Request paths sampled per tick (default: as for any run of this length).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Also write the generated design to this file (to open it in the app), then measure.
    #[arg(long, value_name = "FILE")]
    pub save: Option<std::path::PathBuf>,
    /// The engine to measure: `flow` (last line `component-ticks/s: X`) or `events` (last
    /// lines `events/s: X` and `requests/s: X`).
    #[arg(long, value_enum, default_value_t = crate::analysis::report::Engine::Flow)]
    pub engine: crate::analysis::report::Engine,
}

/// [`BenchArgs`] with the engine's defaults filled in.
struct ResolvedBench {
    components: usize,
    ticks: u64,
    samples: Option<usize>,
    save: Option<std::path::PathBuf>,
    engine: crate::analysis::report::Engine,
}

/// Resident memory of this process, in bytes (Linux; 0 elsewhere).
fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

/// The largest generated design (about 800 MB of simulation state).
const MAX_COMPONENTS: usize = 1_000_000;

/// Run `archsandbox bench`: generate the design, simulate it on one thread and print its size,
/// memory and speed (last line `component-ticks/s: X`).
pub fn run(args: &BenchArgs, prices: &PriceTable) -> ExitCode {
    let events = args.engine == crate::analysis::report::Engine::Events;
    let args = ResolvedBench {
        components: args
            .components
            .unwrap_or(if events { 1_000 } else { 10_000 }),
        ticks: args.ticks.unwrap_or(if events { 100 } else { 2_000 }),
        samples: args.samples,
        save: args.save.clone(),
        engine: args.engine,
    };
    let args = &args;
    if args.components > MAX_COMPONENTS {
        eprintln!(
            "--components must be at most {MAX_COMPONENTS}, not {}",
            args.components
        );
        return ExitCode::from(2);
    }
    let design = benchmark_design(args.components);
    let Some(scenario) = design.default_scenario().cloned() else {
        return ExitCode::FAILURE;
    };
    if let Some(path) = &args.save {
        if let Err(e) = crate::model::save_design(path, &design) {
            eprintln!("{}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        outln!("wrote {}", path.display());
    }
    let n = design.component_count();
    if args.engine == crate::analysis::report::Engine::Events {
        return bench_events(&design, &scenario, prices, args.ticks);
    }
    let before = resident_bytes();
    let options = RunOptions {
        ticks: Some(args.ticks),
        samples_per_tick: args.samples,
        ..RunOptions::default()
    };
    let mut sim = match Simulation::with_options(&design, &scenario, prices, options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    drop(design);
    let built = resident_bytes();
    let start = Instant::now();
    if let Err(e) = sim.run_to_end() {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let after = resident_bytes();
    let summary = sim.summary();
    let component_ticks = n as f64 * args.ticks as f64;
    outln!(
        "design: {n} components, {} links per component on average",
        {
            let d = benchmark_design(args.components);
            format!("{:.1}", d.graph.edge_count() as f64 / n as f64)
        }
    );
    outln!(
        "ran {} ticks of {} s in {:.3} s (single thread), {} sampled paths per tick",
        args.ticks,
        sim.tick_s(),
        elapsed,
        args.samples
            .unwrap_or_else(|| crate::sim::default_samples_per_tick(args.ticks))
    );
    outln!(
        "system: {:.0} requests/s offered, success ratio {:.4}",
        summary.system.offered_per_s,
        summary.system.success_ratio
    );
    outln!(
        "memory: {:.0} bytes per component for the simulation state ({} MiB resident after the run)",
        built.saturating_sub(before) as f64 / n as f64,
        after / (1024 * 1024)
    );
    outln!(
        "simulated seconds per wall second: {:.0}",
        args.ticks as f64 * sim.tick_s() / elapsed
    );
    outln!("component-ticks/s: {:.0}", component_ticks / elapsed);
    ExitCode::SUCCESS
}

/// The events engine on the generated design for `ticks` seconds: its speed in events and
/// requests a second (one thread).
fn bench_events(
    design: &crate::model::Design,
    scenario: &crate::model::Scenario,
    prices: &PriceTable,
    ticks: u64,
) -> ExitCode {
    let options = crate::sim::events::EventsOptions {
        duration_s: Some(ticks as f64 * scenario.tick_s),
        ..Default::default()
    };
    let start = Instant::now();
    let run = match crate::sim::events::run_events(design, scenario, prices, &options) {
        Ok(run) => run,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let elapsed = start.elapsed().as_secs_f64().max(1e-9);
    outln!(
        "design: {} components; ran {} s of traffic request by request in {elapsed:.3} s (single thread)",
        design.component_count(),
        ticks as f64 * scenario.tick_s
    );
    outln!(
        "{} events, {} requests; success ratio {:.4}",
        run.events,
        run.requests,
        run.system.success_ratio
    );
    outln!("events/s: {:.0}", run.events as f64 / elapsed);
    outln!("requests/s: {:.0}", run.requests as f64 / elapsed);
    ExitCode::SUCCESS
}
