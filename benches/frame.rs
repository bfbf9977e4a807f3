//! Frame CPU time of the app with a 500-component design while the simulation runs on its own
//! thread: `cargo bench --bench frame`. A frame here is what eframe asks of the CPU before the
//! GPU draws: the app's logic and UI pass plus tessellation into meshes. The app is driven
//! through a plain `egui::Context` (no window, no accessibility tree: eframe builds that only
//! when a screen reader asks), at 1600×1000 points with the whole design fitted in view.
//! Prints the median and the 95th percentile over 400 frames, and what a frame draws.
//! `FRAME_BENCH_COMPONENTS=N` changes the design's size.

use std::time::Instant;

/// CPU time this thread has run, in ms (0 where there is no thread CPU clock). Unlike the
/// wall clock it leaves out the time the other threads held the two cores. The thread CPU
/// clock is exact; Linux's `/proc/thread-self/schedstat` is not: it is brought up to date
/// only at scheduler ticks, which rounded frame times to 4 ms steps.
#[cfg(unix)]
fn thread_cpu_ms() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through the valid, exclusive pointer it gets.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if status == 0 {
        now.tv_sec as f64 * 1e3 + now.tv_nsec as f64 / 1e6
    } else {
        0.0
    }
}

#[cfg(not(unix))]
fn thread_cpu_ms() -> f64 {
    0.0
}

use archsandbox::app::commands::UiCommand;
use archsandbox::app::{Action, SandboxApp, StartOptions};
use archsandbox::model::{generate::benchmark_design, save_design};

const FRAMES: usize = 400;
const WARM_UP_FRAMES: usize = 60;
/// A 60 Hz display.
const FRAME_INTERVAL_S: f64 = 1.0 / 60.0;

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
    let ctx = egui::Context::default();
    let mut app = SandboxApp::headless(
        &ctx,
        StartOptions {
            file: Some(path.clone()),
            ..StartOptions::default()
        },
    );
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1600.0, 1000.0));
    let mut time_s = 0.0;
    let mut frame = |app: &mut SandboxApp| {
        time_s += FRAME_INTERVAL_S;
        let input = egui::RawInput {
            screen_rect: Some(screen),
            time: Some(time_s),
            predicted_dt: FRAME_INTERVAL_S as f32,
            ..egui::RawInput::default()
        };
        let output = ctx.run_ui(input, |ui| {
            app.update_state(ui.ctx());
            app.show(ui);
        });
        let shapes = output.shapes.len();
        let meshes = ctx.tessellate(output.shapes, output.pixels_per_point);
        let vertices: usize = meshes
            .iter()
            .map(|m| match &m.primitive {
                egui::epaint::Primitive::Mesh(mesh) => mesh.vertices.len(),
                egui::epaint::Primitive::Callback(_) => 0,
            })
            .sum();
        (shapes, vertices)
    };
    for _ in 0..5 {
        frame(&mut app);
    }
    app.apply(&ctx, Action::Command(UiCommand::PlayPause));
    // Warm up: let the simulation get going and the layout settle.
    for _ in 0..WARM_UP_FRAMES {
        frame(&mut app);
    }
    let nodes = app.doc.design.component_count();
    println!(
        "frame bench: {nodes} components, 1600x1000 points, simulation running on its own thread"
    );
    let measure = |app: &mut SandboxApp,
                   frame: &mut dyn FnMut(&mut SandboxApp) -> (usize, usize),
                   view: &str| {
        let mut times_ms = Vec::with_capacity(FRAMES);
        let mut cpu_ms = Vec::with_capacity(FRAMES);
        let mut drawn = (0, 0);
        let ticks_before = app.runner.with_output(|o| o.tick);
        let start = Instant::now();
        for _ in 0..FRAMES {
            let t0 = Instant::now();
            let cpu0 = thread_cpu_ms();
            drawn = frame(app);
            cpu_ms.push(thread_cpu_ms() - cpu0);
            times_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        }
        let wall = start.elapsed().as_secs_f64();
        let ticks = app.runner.with_output(|o| o.tick) - ticks_before;
        times_ms.sort_by(f64::total_cmp);
        cpu_ms.sort_by(f64::total_cmp);
        let at = |v: &[f64], p: f64| v[((p * v.len() as f64) as usize).min(v.len() - 1)];
        let to_scene = app.canvas.to_screen.inverse() * app.canvas.screen_rect;
        let in_view = app
            .doc
            .design
            .components()
            .filter(|(_, c)| to_scene.contains(egui::pos2(c.position.0, c.position.1)))
            .count();
        println!(
            "{view}: zoom {:.2}, {in_view} components in view; {ticks} ticks simulated during {FRAMES} frames ({wall:.2} s); a frame draws {} shapes, {} vertices",
            app.canvas.to_screen.scaling, drawn.0, drawn.1
        );
        println!(
            "{view}: frame CPU time (logic + UI pass + tessellation): median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
            at(&cpu_ms, 0.5),
            at(&cpu_ms, 0.95),
            at(&cpu_ms, 1.0)
        );
        println!(
            "{view}: frame wall time (with the simulation and analysis threads on the same two cores): median {:.2} ms, p95 {:.2} ms",
            at(&times_ms, 0.5),
            at(&times_ms, 0.95),
        );
    };
    measure(&mut app, &mut frame, "fit to view");
    // Close up: 1:1 on the top left corner of the design, where names and figures are drawn.
    let top_left = app
        .doc
        .design
        .components()
        .map(|(_, c)| egui::pos2(c.position.0, c.position.1))
        .fold(egui::pos2(f32::MAX, f32::MAX), |a, b| a.min(b));
    app.canvas.scene_rect = egui::Rect::from_min_size(
        top_left - egui::vec2(40.0, 40.0),
        app.canvas.screen_rect.size(),
    );
    for _ in 0..WARM_UP_FRAMES {
        frame(&mut app);
    }
    measure(&mut app, &mut frame, "close up");
    let _ = std::fs::remove_dir_all(&dir);
}
