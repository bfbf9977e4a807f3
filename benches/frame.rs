//! Frame CPU time of the app with a 500-component design while the simulation runs on its own
//! thread: `cargo bench --bench frame`. Each frame is the UI pass plus tessellation (what the
//! CPU does before the GPU draws); it prints the median and the 95th percentile.

use std::time::Instant;

use archsandbox::app::commands::UiCommand;
use archsandbox::app::{Action, SandboxApp, StartOptions};
use archsandbox::model::{generate::benchmark_design, save_design};
use egui_kittest::Harness;

fn main() {
    let components: usize = std::env::var("FRAME_BENCH_COMPONENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let dir = std::env::temp_dir().join(format!("archsandbox-frame-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("generated.ron");
    if let Err(e) = save_design(&path, &benchmark_design(components)) {
        eprintln!("cannot write the generated design: {e}");
        return;
    }
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .build_eframe(|cc| {
            SandboxApp::headless(
                &cc.egui_ctx,
                StartOptions {
                    file: Some(path.clone()),
                    ..StartOptions::default()
                },
            )
        });
    harness.run_steps(5);
    let ctx = harness.ctx.clone();
    harness
        .state_mut()
        .apply(&ctx, Action::Command(UiCommand::PlayPause));
    // Warm up: let the simulation get going and the layout settle.
    for _ in 0..60 {
        harness.step();
    }
    let mut times_ms = Vec::new();
    let ticks_before = harness.state().runner.with_output(|o| o.tick);
    let start = Instant::now();
    for _ in 0..400 {
        let t0 = Instant::now();
        harness.step();
        let shapes = harness.output().shapes.clone();
        let ppp = harness.ctx.pixels_per_point();
        let meshes = harness.ctx.tessellate(shapes, ppp);
        std::hint::black_box(meshes);
        times_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    let wall = start.elapsed().as_secs_f64();
    let ticks = harness.state().runner.with_output(|o| o.tick) - ticks_before;
    times_ms.sort_by(f64::total_cmp);
    let at = |p: f64| times_ms[((p * times_ms.len() as f64) as usize).min(times_ms.len() - 1)];
    let nodes = harness.state().doc.design.component_count();
    println!(
        "frame bench: {nodes} components on the canvas (fit to view), simulation running on its own thread"
    );
    println!(
        "simulated {ticks} ticks during {} frames ({wall:.2} s)",
        times_ms.len()
    );
    println!(
        "frame CPU time (UI pass + tessellation): median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        at(0.5),
        at(0.95),
        at(1.0)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
