//! Compare mode: two designs side by side, each on its own canvas with its red highlights,
//! driven by the same scenario, seed and load slider (common random numbers, so differences are
//! the designs', not the noise's); linked plots; a table of differences with the better value
//! marked; and the load sweep — the hockey sticks — run in the background on both cores,
//! each simulated curve beside the formulas' prediction (dashed) and, with several runs per
//! load, its 95 % band.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, channel};

use egui::{Color32, RichText, Ui};
use egui_plot::{
    AxisHints, ColorConflictHandling, FilledArea, Legend, Line, LineStyle, PlotPoints, VLine,
};

use super::Action;
use super::canvas::{self, CanvasInputs, CanvasState};
use super::commands::UiCommand;
use super::document::Document;
use super::icons::Icons;
use super::plots::{
    LOG_AXIS_LABEL_SPACING_POINTS, Timeline, compact_number, legend_headroom, log_axis_grid,
    multiplier_label, percent_axis, styled_plot,
};
use super::runner::{RunnerMsg, SimRunner};
use crate::analysis::compare::{
    Better, Difference, SweepOptions, SweepPoint, SweepSide, differences, mark_success_first,
    scale_variant, sweep_ceiling, sweep_loads, sweep_with,
};
use crate::analysis::cost::monthly_cost;
use crate::analysis::predict::Prediction;
use crate::analysis::replications::Interval;
use crate::analysis::report::{AnalysisOptions, FailureAnalysis, SimulateReport, analyze, number};
use crate::model::{ComponentId, Design, PriceTable, Scenario};
use crate::sim::laws::operational_laws;
use crate::sim::preflight::read_runnable_design;

pub use crate::analysis::compare::Variant;

/// Load points of the sweep.
pub const SWEEP_POINTS: usize = 20;
/// The most runs per load point the sweep's control offers.
pub const MAX_SWEEP_RUNS: usize = 20;

/// Colours of the two sides.
pub const A_COLOR: Color32 = Color32::from_rgb(86, 156, 214);
/// Side B's colour, for its labels and plot lines ([`A_COLOR`] is side A's).
pub const B_COLOR: Color32 = Color32::from_rgb(230, 140, 50);

/// One side of the comparison.
pub struct Side {
    /// The design this side runs.
    pub design: Design,
    /// Its canvas's camera and selection.
    pub canvas: CanvasState,
    /// Its live simulation.
    pub runner: SimRunner,
    /// What its plots draw, gathered from its runner's ticks.
    pub timeline: Timeline,
    /// The analysis at the current load, once done.
    pub report: Option<SimulateReport>,
    pending: Option<Receiver<Result<SimulateReport, String>>>,
    /// Monthly cost at load 0 and its growth per unit of load (for the cost plot).
    cost_fixed: f64,
    cost_per_load: f64,
    spofs: BTreeMap<ComponentId, String>,
}

impl Side {
    /// The monthly cost, plotted over the run: what running the design a month costs at
    /// the load it has carried on average so far (its servers, copies and instances, and the
    /// per-request charges at that mean load). The table's "cost a month" is the last point,
    /// so the plot and the table read one figure by one definition.
    pub fn cost_points(&self) -> Vec<[f64; 2]> {
        let mut load_sum = 0.0;
        self.timeline
            .history
            .iter()
            .enumerate()
            .map(|(i, t)| {
                load_sum += t.load;
                let mean_load = load_sum / (i + 1) as f64;
                [t.time_s, self.cost_fixed + self.cost_per_load * mean_load]
            })
            .collect()
    }

    /// The cost a month now (the last of [`Side::cost_points`]); `None` before the run.
    pub fn cost_now(&self) -> Option<f64> {
        let history = &self.timeline.history;
        (!history.is_empty()).then(|| {
            let mean_load = history.iter().map(|t| t.load).sum::<f64>() / history.len() as f64;
            self.cost_fixed + self.cost_per_load * mean_load
        })
    }

    fn new(design: Design, scenario: &Scenario, prices: &PriceTable, runner: SimRunner) -> Self {
        let (cost_fixed, cost_per_load) = operational_laws(&design, scenario, prices)
            .map(|laws| {
                let c0 = monthly_cost(&design, &laws, prices, 0.0).per_month;
                let c1 = monthly_cost(&design, &laws, prices, 1.0).per_month;
                (c0, c1 - c0)
            })
            .unwrap_or_default();
        Self {
            design,
            canvas: CanvasState::default(),
            runner,
            timeline: Timeline::default(),
            report: None,
            pending: None,
            cost_fixed,
            cost_per_load,
            spofs: BTreeMap::new(),
        }
    }
}

/// A finished sweep: its points, and why it stops short if it does.
pub struct SweepDone {
    /// Both designs at each load swept, from the lowest load up.
    pub points: Vec<SweepPoint>,
    /// Runs of each design at each load (more than one: each figure has its interval).
    pub runs: usize,
    /// Why the sweep stops short of three times the later saturation (the most a run can
    /// count), if it does.
    pub note: Option<String>,
}

/// A sweep in progress or done.
#[derive(Default)]
pub struct SweepState {
    /// Runs finished so far, counted by the sweep's threads (two per load and replication:
    /// one per design).
    pub progress: Arc<AtomicUsize>,
    /// Runs the sweep makes in all: two per load point and replication.
    pub total: usize,
    /// The finished sweep, or why it failed; `None` while it runs or before one starts.
    pub result: Option<Result<SweepDone, String>>,
    pending: Option<Receiver<Result<SweepDone, String>>>,
    /// Seconds the last sweep took.
    pub took_s: f64,
}

impl SweepState {
    /// Whether a sweep is running in the background.
    pub fn running(&self) -> bool {
        self.pending.is_some()
    }
}

/// The compare view.
pub struct CompareView {
    /// Side A: the design the comparison starts from.
    pub a: Side,
    /// Side B: the design compared with it.
    pub b: Side,
    /// Side A's name as shown: its file name, or the document's title.
    pub a_title: String,
    /// Side B's name as shown: its file name, or "scaled up" or "scaled out" for a variant.
    pub b_title: String,
    /// The scenario both sides run (one of side A's).
    pub scenario: Scenario,
    /// The price table both sides are run and costed with.
    pub prices: PriceTable,
    /// Total users of side A's clients (the load slider); side B runs the same multiplier.
    pub users: f64,
    base_users: f64,
    /// What the one-click variant changed.
    pub note: Option<String>,
    /// The load sweep, running or done.
    pub sweep: SweepState,
    /// Whether the load sweep's window is open.
    pub show_sweep: bool,
    /// Runs of each design at each load of the next sweep (1 to [`MAX_SWEEP_RUNS`]), each on
    /// its own derived seed: with more than one, each point has its 95 % interval.
    pub sweep_runs: usize,
    /// What the sweep's first plot shows.
    pub sweep_figure: SweepFigure,
    /// Whether the sweep's plots draw the formulas' curves (dashed) beside the simulated ones.
    pub show_formulas: bool,
    /// Whether the sweep's first plot has a logarithmic value axis (latency below the knee
    /// stays readable beside the timeouts past it).
    pub sweep_log_y: bool,
    threaded: bool,
    /// The load the reports were worked out for.
    report_load: f64,
    sweep_timer: Option<Receiver<f64>>,
}

fn base_users(design: &Design) -> f64 {
    crate::analysis::advise::base_users(design).max(1.0)
}

impl CompareView {
    fn build(
        a: Design,
        b: Design,
        a_title: String,
        b_title: String,
        scenario: Scenario,
        prices: &PriceTable,
        ctx: Option<&egui::Context>,
    ) -> Self {
        let runner = || match ctx {
            Some(ctx) => SimRunner::threaded(ctx.clone()),
            None => SimRunner::inline(),
        };
        let base = base_users(&a);
        let mut view = Self {
            a: Side::new(a, &scenario, prices, runner()),
            b: Side::new(b, &scenario, prices, runner()),
            a_title,
            b_title,
            users: base * scenario.load_multiplier,
            base_users: base,
            scenario,
            prices: prices.clone(),
            note: None,
            sweep: SweepState::default(),
            show_sweep: false,
            sweep_runs: 1,
            sweep_figure: SweepFigure::default(),
            show_formulas: true,
            sweep_log_y: false,
            threaded: ctx.is_some(),
            report_load: f64::NAN,
            sweep_timer: None,
        };
        view.restart();
        if view.threaded {
            // In the app the comparison starts running at once.
            view.send(RunnerMsg::Play);
        }
        view
    }

    /// Compare two design files (the command line's `--compare A B`).
    pub fn from_files(
        a: &Path,
        b: &Path,
        prices: &PriceTable,
        ctx: Option<&egui::Context>,
    ) -> Result<Self, String> {
        let load = |p: &Path| {
            read_runnable_design(p, prices)
                .map(|l| l.design)
                .map_err(|e| format!("Could not open {}:\n{e}", p.display()))
        };
        let (da, db) = (load(a)?, load(b)?);
        let scenario = crate::analysis::compare::shared_scenario(&da, None)?;
        let title = |p: &Path| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        };
        Ok(Self::build(
            da,
            db,
            title(a),
            title(b),
            scenario,
            prices,
            ctx,
        ))
    }

    /// Compare a document with its scaled-up or scaled-out variant.
    pub fn variant(
        doc: &Document,
        scenario: &Scenario,
        prices: &PriceTable,
        variant: Variant,
        ctx: Option<&egui::Context>,
    ) -> Result<Self, String> {
        let (b, note) = scale_variant(&doc.design, scenario, prices, variant)?;
        let b_title = match variant {
            Variant::Up => "scaled up".to_string(),
            Variant::Out => "scaled out".to_string(),
        };
        let mut view = Self::build(
            doc.design.clone(),
            b,
            doc.title(),
            b_title,
            scenario.clone(),
            prices,
            ctx,
        );
        view.note = Some(note);
        Ok(view)
    }

    /// Compare mode on two designs already made (a design before a fix and after it), under
    /// one scenario.
    pub fn pair(
        a: Design,
        b: Design,
        titles: (String, String),
        scenario: &Scenario,
        prices: &PriceTable,
        ctx: Option<&egui::Context>,
    ) -> Self {
        Self::build(a, b, titles.0, titles.1, scenario.clone(), prices, ctx)
    }

    /// The load multiplier of the slider.
    pub fn load_multiplier(&self) -> f64 {
        self.users / self.base_users
    }

    /// Run both designs under another of A's scenarios, from time zero (the load slider
    /// stays as set; the sweep, run under the old scenario, is dropped).
    pub fn set_scenario(&mut self, name: &str) -> Result<(), String> {
        let scenario = crate::analysis::compare::shared_scenario(&self.a.design, Some(name))?;
        self.scenario = scenario;
        for side in [&mut self.a, &mut self.b] {
            side.timeline = Timeline::default();
            side.report = None;
        }
        self.sweep = SweepState::default();
        self.show_sweep = false;
        self.restart();
        Ok(())
    }

    /// Load both designs into their runners again, from time zero at the slider's load; refit both
    /// canvases and work out both reports again.
    pub fn restart(&mut self) {
        let load = self.load_multiplier();
        for (i, side) in [&mut self.a, &mut self.b].into_iter().enumerate() {
            side.runner.send(RunnerMsg::Load {
                design: Box::new(side.design.clone()),
                scenario: Box::new(self.scenario.clone()),
                prices: Box::new(self.prices.clone()),
                load_multiplier: load,
                revision: i as u64,
            });
            side.canvas.fit_requested = true;
            side.spofs = crate::analysis::spof::structural_spofs(&side.design)
                .into_iter()
                .map(|id| {
                    (
                        id,
                        "no spare instance, and clients cannot get around it".to_string(),
                    )
                })
                .collect();
        }
        self.refresh_reports();
    }

    /// Set the load of both sides.
    pub fn set_users(&mut self, users: f64) {
        self.users = users.max(1.0);
        let load = self.load_multiplier();
        self.a.runner.send(RunnerMsg::SetLoad(load));
        self.b.runner.send(RunnerMsg::SetLoad(load));
    }

    /// Send a message to both runners.
    pub fn send(&mut self, msg: RunnerMsg) {
        self.a.runner.send(msg.clone());
        self.b.runner.send(msg);
    }

    /// Work out both sides' analyses at the current load (in the background in the app).
    fn refresh_reports(&mut self) {
        let load = self.load_multiplier();
        self.report_load = load;
        for side in [&mut self.a, &mut self.b] {
            let design = side.design.clone();
            let mut scenario = self.scenario.clone();
            scenario.load_multiplier = load;
            let prices = self.prices.clone();
            let job = move || {
                let options = AnalysisOptions {
                    run: crate::sim::RunOptions {
                        ticks: Some(scenario.ticks().min(1_800)),
                        samples_per_tick: Some(8),
                        ..crate::sim::RunOptions::default()
                    },
                    failure_analysis: FailureAnalysis::Auto,
                    engine: crate::analysis::report::Engine::Flow,
                };
                analyze(&design, &scenario, &prices, &options).map_err(|e| e.to_string())
            };
            if self.threaded {
                let (tx, rx) = channel();
                if std::thread::Builder::new()
                    .name("compare analysis".into())
                    .spawn(move || {
                        let _ = tx.send(job());
                    })
                    .is_ok()
                {
                    side.pending = Some(rx);
                }
            } else {
                side.report = job().ok();
            }
        }
    }

    /// Start the load sweep (in the background in the app).
    pub fn start_sweep(&mut self) {
        self.show_sweep = true;
        if self.sweep.running() {
            return;
        }
        let (a, b) = (self.a.design.clone(), self.b.design.clone());
        let scenario = self.scenario.clone();
        let prices = self.prices.clone();
        let progress = Arc::new(AtomicUsize::new(0));
        let runs = self.sweep_runs.clamp(1, MAX_SWEEP_RUNS);
        self.sweep = SweepState {
            progress: Arc::clone(&progress),
            total: 2 * SWEEP_POINTS * runs,
            ..SweepState::default()
        };
        let job = move || -> (Result<SweepDone, String>, f64) {
            let start = std::time::Instant::now();
            let options = SweepOptions {
                ticks: None,
                replications: runs,
            };
            let result = sweep_ceiling(&a, &b, &scenario, &prices)
                .and_then(|ceiling| {
                    let points = sweep_with(
                        &a,
                        &b,
                        &scenario,
                        &prices,
                        &sweep_loads(ceiling.from, ceiling.load, SWEEP_POINTS),
                        &options,
                        &progress,
                    )?;
                    Ok(SweepDone {
                        points,
                        runs,
                        note: ceiling.note,
                    })
                })
                .map_err(|e| e.to_string());
            (result, start.elapsed().as_secs_f64())
        };
        if self.threaded {
            let (tx, rx) = channel();
            let (ttx, trx) = channel();
            if std::thread::Builder::new()
                .name("sweep".into())
                .spawn(move || {
                    let (result, took) = job();
                    let _ = ttx.send(took);
                    let _ = tx.send(result);
                })
                .is_ok()
            {
                self.sweep.pending = Some(rx);
                self.sweep_timer = Some(trx);
            }
        } else {
            let (result, took) = job();
            self.sweep.result = Some(result);
            self.sweep.took_s = took;
        }
    }

    /// Per-frame work: fresh ticks, finished analyses, the sweep.
    pub fn update(&mut self, ctx: &egui::Context) {
        let dt = f64::from(ctx.input(|i| i.stable_dt).min(0.1));
        for side in [&mut self.a, &mut self.b] {
            side.runner.poll(dt);
            let timeline = &mut side.timeline;
            side.runner.with_output(|o| timeline.take(o));
            if let Some(rx) = &side.pending
                && let Ok(result) = rx.try_recv()
            {
                side.pending = None;
                side.report = result.ok();
                if let Some(r) = &side.report {
                    for c in r.components.iter().filter(|c| c.run.spof) {
                        if let Some(id) = side.design.find(&c.run.name) {
                            side.spofs.entry(id).or_insert_with(|| {
                                "losing it drops the success ratio below target".into()
                            });
                        }
                    }
                }
            }
        }
        if let Some(rx) = &self.sweep.pending
            && let Ok(result) = rx.try_recv()
        {
            self.sweep.pending = None;
            self.sweep.result = Some(result);
            if let Some(t) = self.sweep_timer.take().and_then(|r| r.try_recv().ok()) {
                self.sweep.took_s = t;
            }
        }
        if self.sweep.running() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        let busy = self.a.pending.is_some() || self.b.pending.is_some();
        if !busy && (self.load_multiplier() / self.report_load - 1.0).abs() > 0.01 {
            self.refresh_reports();
        }
    }
}

/// The table of differences: the reports' rows, with the latency, throughput, success ratio
/// and requests in flight of the live runs at the slider's load in place of the reports'
/// (which ran the scenario's load); throughput and success over the last ten seconds.
pub fn difference_table(view: &CompareView) -> Vec<Difference> {
    let mut rows = differences(view.a.report.as_ref(), view.b.report.as_ref());
    let live = |s: &Side| s.timeline.history.last().copied();
    // Throughput and success over the last ten seconds: a single tick's is mostly noise.
    let recent = |s: &Side| {
        let tick_s = s.runner.with_output(|o| o.tick_s);
        crate::app::plots::recent(&s.timeline.history, tick_s, 10.0)
    };
    for row in &mut rows {
        match row.label {
            "p99 latency" => {
                row.label = "p99 latency now";
                row.a = live(&view.a).map(|t| t.latency_ms.p99);
                row.b = live(&view.b).map(|t| t.latency_ms.p99);
            }
            "success ratio" => {
                row.label = "success ratio now";
                row.a = recent(&view.a).map(|t| t.success_ratio);
                row.b = recent(&view.b).map(|t| t.success_ratio);
            }
            "throughput" => {
                row.label = "throughput now";
                row.a = recent(&view.a).map(|t| t.throughput_per_s);
                row.b = recent(&view.b).map(|t| t.throughput_per_s);
            }
            "cost a month" => {
                row.label = "cost a month (mean load so far)";
                row.a = view.a.cost_now().or(row.a);
                row.b = view.b.cost_now().or(row.b);
            }
            "in flight at the end" => {
                row.label = "in flight now";
                row.a = live(&view.a).map(|t| t.in_flight);
                row.b = live(&view.b).map(|t| t.in_flight);
            }
            _ => {}
        }
    }
    mark_success_first(&mut rows);
    rows
}

/// Draw compare mode. Returns true when the user closes it.
pub fn show(
    ui: &mut Ui,
    view: &mut CompareView,
    icons: &Icons,
    _prices: &PriceTable,
    actions: &mut Vec<Action>,
) -> bool {
    let mut close = false;
    let playing = view.a.runner.with_output(|o| o.playing);
    let layout = super::layout::PanelLayout::for_window(ui.ctx().content_rect().size());
    egui::Panel::top("compare-bar").show(ui, |ui| {
        // Wrapped, so that a narrow window puts the rest on a second row, not off the edge.
        ui.horizontal_wrapped(|ui| {
            if ui.button("Back to the editor").clicked() {
                close = true;
            }
            ui.separator();
            ui.colored_label(A_COLOR, format!("A: {}", view.a_title));
            ui.label("vs");
            ui.colored_label(B_COLOR, format!("B: {}", view.b_title));
            ui.separator();
            // Both sides run one scenario: A's, by name.
            let label = ui.label("Scenario");
            let mut picked = None;
            egui::ComboBox::from_id_salt("compare-scenario")
                .selected_text(view.scenario.name.clone())
                .show_ui(ui, |ui| {
                    for s in &view.a.design.scenarios {
                        if ui
                            .selectable_label(s.name == view.scenario.name, &s.name)
                            .on_hover_text(&s.description)
                            .clicked()
                        {
                            picked = Some(s.name.clone());
                        }
                    }
                })
                .response
                .labelled_by(label.id);
            if let Some(name) = picked {
                // Picked from A's own scenarios: it is always there.
                let found = view.set_scenario(&name).is_ok();
                debug_assert!(found, "scenario '{name}' is A's");
            }
            ui.separator();
            // The same command path as the keyboard's (see `SandboxApp::command`).
            if ui.button(if playing { "Pause" } else { "Play" }).clicked() {
                actions.push(Action::Command(UiCommand::PlayPause));
            }
            if ui.button("Step").clicked() {
                actions.push(Action::Command(UiCommand::Step));
            }
            if ui.button("Reset").clicked() {
                actions.push(Action::Command(UiCommand::Reset));
            }
            let mut users = view.users;
            ui.spacing_mut().slider_width = layout.slider_width;
            // The slider, its value and its unit stay on one row.
            super::layout::keep_together(ui, layout.slider_width + 120.0);
            if ui
                .add(
                    egui::Slider::new(&mut users, 10.0..=10_000_000.0)
                        .logarithmic(true)
                        .text("users")
                        .custom_formatter(|v, _| number(v.round())),
                )
                .on_hover_text("Load of both designs: the same users, the same seeded traffic.")
                .changed()
            {
                view.set_users(users);
            }
            ui.separator();
            if view.sweep.running() {
                let done = view.sweep.progress.load(Ordering::Relaxed);
                ui.add(
                    egui::ProgressBar::new(done as f32 / view.sweep.total.max(1) as f32)
                        .desired_width(160.0)
                        .text(format!("sweep {done}/{}", view.sweep.total)),
                );
            } else {
                // The runs per point and the button stay on one row.
                super::layout::keep_together(ui, 190.0);
                let label = ui.label("runs");
                ui.add(
                    egui::DragValue::new(&mut view.sweep_runs)
                        .range(1..=MAX_SWEEP_RUNS)
                        .speed(0.1),
                )
                .labelled_by(label.id)
                .on_hover_text(
                    "Runs of each design at each load of the sweep, each on its own seed: \
                     with 2 or more, every point is a mean and its 95 % interval is shaded.",
                );
                if ui
                    .button("Load sweep")
                    .on_hover_text(UiCommand::LoadSweep.tooltip())
                    .clicked()
                {
                    actions.push(Action::Command(UiCommand::LoadSweep));
                }
            }
        });
        if let Some(note) = &view.note {
            ui.weak(format!("B is A with: {note}"));
        }
    });
    egui::Panel::bottom("compare-details")
        .resizable(true)
        .default_size(layout.compare_details_default_height)
        .size_range(120.0..=layout.plots_max_height)
        .show(ui, |ui| {
            ui.columns(2, |cols| {
                compare_plots(&mut cols[0], view);
                // The table scrolls in a short panel instead of growing it over the canvases.
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(&mut cols[1], |ui| table_ui(ui, view));
            });
        });
    if view.show_sweep {
        let mut open = true;
        egui::Window::new("Load sweep: the hockey sticks")
            .open(&mut open)
            .default_size([900.0, 420.0])
            .show(ui.ctx(), |ui| sweep_ui(ui, view));
        view.show_sweep = open;
    }
    egui::CentralPanel::default().show(ui, |ui| {
        ui.columns(2, |cols| {
            let (left, right) = cols.split_at_mut(1);
            for (col, side, color, title) in [
                (&mut left[0], &mut view.a, A_COLOR, &view.a_title),
                (&mut right[0], &mut view.b, B_COLOR, &view.b_title),
            ] {
                col.colored_label(color, title);
                let side_id = if std::ptr::eq(title, &view.a_title) {
                    "side-a"
                } else {
                    "side-b"
                };
                let (nodes, tick_s, playing, open_breakers) = side.runner.with_output(|o| {
                    (
                        o.nodes.clone(),
                        o.tick_s,
                        o.playing,
                        o.open_breakers.clone(),
                    )
                });
                let inputs = CanvasInputs {
                    design: &side.design,
                    nodes: &nodes,
                    tick_s,
                    spofs: &side.spofs,
                    icons,
                    playing,
                    open_breakers: &open_breakers,
                };
                // Compare mode is for looking: edits on these canvases are not applied.
                col.push_id(side_id, |ui| {
                    let _ = canvas::show(ui, &mut side.canvas, &inputs);
                });
            }
        });
    });
    close
}

fn compare_plots(ui: &mut Ui, view: &CompareView) {
    let group = ui.make_persistent_id("compare-time");
    // Two rows that fill the panel exactly (a resizable panel keeps the size its contents
    // take, so anything less would shrink it frame by frame).
    let height = ((ui.available_height() - ui.spacing().item_spacing.y) / 2.0).max(80.0);
    let width = (ui.available_width() / 2.0 - 6.0).max(120.0);
    let plot = |id: &str, y: &str| {
        styled_plot(id, true)
            .height(height)
            .width(width)
            .link_axis(group, [true, false])
            .link_cursor(group, [true, false])
            .allow_scroll(false)
            .y_axis_label(y.to_string())
            .include_y(0.0)
    };
    let series = |side: &Side, f: &dyn Fn(&crate::sim::SystemTick) -> f64| -> PlotPoints<'static> {
        side.timeline
            .history
            .iter()
            .map(|t| [t.time_s, f(t)])
            .collect()
    };
    let highest = |f: fn(&crate::sim::SystemTick) -> f64| {
        legend_headroom(
            [&view.a, &view.b]
                .into_iter()
                .flat_map(|side| side.timeline.history.iter().map(f)),
        )
    };
    ui.horizontal(|ui| {
        plot("cmp-throughput", "requests/s")
            .include_y(highest(|t| t.throughput_per_s))
            .show(ui, |p| {
                p.line(
                    Line::new("A throughput", series(&view.a, &|t| t.throughput_per_s))
                        .color(A_COLOR),
                );
                p.line(
                    Line::new("B throughput", series(&view.b, &|t| t.throughput_per_s))
                        .color(B_COLOR),
                );
            });
        percent_axis(plot("cmp-success", "success %"), 2).show(ui, |p| {
            p.line(
                Line::new("A success", series(&view.a, &|t| t.success_ratio * 100.0))
                    .color(A_COLOR),
            );
            p.line(
                Line::new("B success", series(&view.b, &|t| t.success_ratio * 100.0))
                    .color(B_COLOR),
            );
        });
    });
    ui.horizontal(|ui| {
        plot("cmp-p99", "p99 ms")
            .include_y(highest(|t| t.latency_ms.p99))
            .show(ui, |p| {
                p.line(Line::new("A p99", series(&view.a, &|t| t.latency_ms.p99)).color(A_COLOR));
                p.line(Line::new("B p99", series(&view.b, &|t| t.latency_ms.p99)).color(B_COLOR));
            });
        // Each side's points once a frame: for the headroom and for the lines.
        let (cost_a, cost_b) = (view.a.cost_points(), view.b.cost_points());
        plot("cmp-cost", "cost a month")
            .include_y(legend_headroom(cost_a.iter().chain(&cost_b).map(|p| p[1])))
            .show(ui, |p| {
                p.line(Line::new("A cost", PlotPoints::from(cost_a)).color(A_COLOR));
                p.line(Line::new("B cost", PlotPoints::from(cost_b)).color(B_COLOR));
            });
    });
}

fn table_ui(ui: &mut Ui, view: &CompareView) {
    ui.strong(format!(
        "Differences at {} users (×{})",
        number(view.users),
        number(view.load_multiplier())
    ));
    egui::Grid::new("differences")
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            ui.label("");
            ui.colored_label(A_COLOR, "A");
            ui.colored_label(B_COLOR, "B");
            ui.end_row();
            // "Better" in the healthy colour of the canvas legend.
            let good = canvas::Health::Ok.color(ui.visuals().dark_mode);
            for row in difference_table(view) {
                if row.moot {
                    ui.label(row.label).on_hover_text(
                        "Not marked: the success ratios are far apart, and the design that fails more looks faster only because the requests it drops are the ones that would have waited.",
                    );
                } else {
                    ui.label(row.label);
                }
                let cell = |ui: &mut Ui, value: Option<f64>, side: Better| {
                    let text = row.show(value);
                    if row.better() == side {
                        ui.label(
                            RichText::new(format!("{text}  (better)"))
                                .color(good)
                                .strong(),
                        )
                    } else {
                        ui.label(text)
                    }
                };
                cell(ui, row.a, Better::A);
                cell(ui, row.b, Better::B);
                ui.end_row();
            }
        });
    if view.a.report.is_none() || view.b.report.is_none() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.weak("Analysing availability, failures and cost…");
        });
    }
    ui.weak("(better) marks the better value. Availability assumes independent failures and instant failover.");
}

/// What a sweep plot shows of each design at each load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SweepFigure {
    /// End-to-end p99 latency, in milliseconds.
    #[default]
    P99Latency,
    /// End-to-end mean latency, in milliseconds.
    MeanLatency,
    /// Requests completed end to end a second.
    Throughput,
    /// The success ratio, in percent.
    SuccessPercent,
}

impl SweepFigure {
    /// The figures the first plot can show, in the order its picker lists them.
    pub const PICKABLE: [SweepFigure; 3] = [
        SweepFigure::P99Latency,
        SweepFigure::MeanLatency,
        SweepFigure::Throughput,
    ];

    /// The figure's name in the picker.
    pub fn label(self) -> &'static str {
        match self {
            SweepFigure::P99Latency => "p99 latency",
            SweepFigure::MeanLatency => "mean latency",
            SweepFigure::Throughput => "throughput",
            SweepFigure::SuccessPercent => "success ratio",
        }
    }

    /// The plot's value axis.
    fn axis(self) -> &'static str {
        match self {
            SweepFigure::P99Latency => "p99 latency (ms)",
            SweepFigure::MeanLatency => "mean latency (ms)",
            SweepFigure::Throughput => "throughput (requests/s)",
            SweepFigure::SuccessPercent => "success %",
        }
    }

    /// The simulated value at a point, and its interval when the sweep ran replications
    /// (both in the plot's unit).
    fn simulated(self, side: &SweepSide) -> (f64, Option<Interval>) {
        let intervals = side.intervals;
        match self {
            SweepFigure::P99Latency => (side.latency_ms.p99, intervals.map(|i| i.latency_p99_ms)),
            SweepFigure::MeanLatency => {
                (side.latency_ms.mean, intervals.map(|i| i.latency_mean_ms))
            }
            SweepFigure::Throughput => {
                (side.throughput_per_s, intervals.map(|i| i.throughput_per_s))
            }
            SweepFigure::SuccessPercent => (
                side.success_ratio * 100.0,
                intervals.map(|i| Interval {
                    mean: i.success_ratio.mean * 100.0,
                    half_width: i.success_ratio.half_width * 100.0,
                }),
            ),
        }
    }

    /// What the formulas predict, where they give the figure.
    fn predicted(self, prediction: &Prediction) -> Option<f64> {
        match self {
            SweepFigure::P99Latency => prediction.latency_ms.p99,
            SweepFigure::MeanLatency => prediction.latency_ms.mean,
            SweepFigure::Throughput => Some(prediction.throughput_per_s),
            SweepFigure::SuccessPercent => Some(prediction.success_ratio * 100.0),
        }
    }
}

/// A 95 % band: at each x, the interval's low and high ends.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepBand {
    /// The x of each point (log10 of the load).
    pub x: Vec<f64>,
    /// The low end at each point (never below 0).
    pub low: Vec<f64>,
    /// The high end at each point.
    pub high: Vec<f64>,
}

/// One design's curves in a sweep plot, x being log10 of the load: worked out apart from
/// drawing them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepCurves {
    /// The simulated figure at each load (the runs' mean with replications).
    pub simulated: Vec<[f64; 2]>,
    /// Its 95 % band, when the sweep ran replications.
    pub band: Option<SweepBand>,
    /// What the formulas predict, at the loads where they give the figure (latency ends at
    /// the knee).
    pub formulas: Vec<[f64; 2]>,
    /// The knee the formulas put the design's bottleneck at (log10 of the load), when it
    /// lies within the sweep.
    pub knee: Option<f64>,
}

/// The curves of one design (`pick` chooses it from each point) for `figure`.
pub fn sweep_curves(
    points: &[SweepPoint],
    pick: fn(&SweepPoint) -> &SweepSide,
    figure: SweepFigure,
) -> SweepCurves {
    let x = |p: &SweepPoint| p.load.log10();
    let simulated = points
        .iter()
        .map(|p| [x(p), figure.simulated(pick(p)).0])
        .collect();
    let intervals: Option<Vec<Interval>> =
        points.iter().map(|p| figure.simulated(pick(p)).1).collect();
    let band = intervals
        .filter(|i| !i.is_empty() && i.iter().all(|i| i.half_width.is_finite()))
        .map(|intervals| SweepBand {
            x: points.iter().map(x).collect(),
            low: intervals
                .iter()
                .map(|i| (i.mean - i.half_width).max(0.0))
                .collect(),
            high: intervals.iter().map(|i| i.mean + i.half_width).collect(),
        });
    let formulas = points
        .iter()
        .filter_map(|p| figure.predicted(&pick(p).predicted).map(|v| [x(p), v]))
        .collect();
    let range = points
        .first()
        .zip(points.last())
        .map(|(a, b)| a.load..=b.load);
    let knee = points
        .first()
        .and_then(|p| pick(p).predicted.knee_load)
        .filter(|k| range.is_some_and(|r| r.contains(k)))
        .map(f64::log10);
    SweepCurves {
        simulated,
        band,
        formulas,
        knee,
    }
}

/// Draw one design's curves: its band shaded (named as its line, so that one legend entry
/// shows or hides both), its simulated line, and the formulas' dashed line in the same
/// colour, with a thin dashed line at the knee where latency ends.
fn draw_curves(
    p: &mut egui_plot::PlotUi<'_>,
    curves: SweepCurves,
    name: &str,
    side: &str,
    color: Color32,
    formulas: bool,
) {
    if let Some(band) = &curves.band {
        p.add(
            FilledArea::new(name, &band.x, &band.low, &band.high)
                .fill_color(color.gamma_multiply(0.25)),
        );
    }
    p.line(Line::new(name, PlotPoints::from(curves.simulated)).color(color));
    if formulas {
        let label = formulas_label(side);
        p.line(
            Line::new(label.clone(), PlotPoints::from(curves.formulas))
                .color(color)
                .style(LineStyle::dashed_loose()),
        );
        if let Some(knee) = curves.knee {
            // Named as the curve, in its colour: one legend entry shows or hides both.
            p.vline(
                VLine::new(label, knee)
                    .color(color)
                    .width(0.5)
                    .style(LineStyle::dashed_dense()),
            );
        }
    }
}

/// The curves with every value as its logarithm, for a log axis: values that are not
/// positive are left out of the lines, and a band's ends never go below `floor`.
fn logarithmic(mut curves: SweepCurves, floor: f64) -> SweepCurves {
    let log = |points: Vec<[f64; 2]>| -> Vec<[f64; 2]> {
        points
            .into_iter()
            .filter(|p| p[1] > 0.0)
            .map(|p| [p[0], p[1].log10()])
            .collect()
    };
    curves.simulated = log(curves.simulated);
    curves.formulas = log(curves.formulas);
    if let Some(band) = &mut curves.band {
        for v in band.low.iter_mut().chain(band.high.iter_mut()) {
            *v = v.max(floor).log10();
        }
    }
    curves
}

/// The legend's name of a design's formulas curves: "A (formulas)".
pub fn formulas_label(side: &str) -> String {
    format!("{side} (formulas)")
}

fn sweep_ui(ui: &mut Ui, view: &mut CompareView) {
    let Some(result) = &view.sweep.result else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Running both designs across loads…");
        });
        return;
    };
    let (points, note, runs) = match result {
        Ok(done) => (&done.points, &done.note, done.runs),
        Err(e) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
            return;
        }
    };
    let runs_text = if runs > 1 {
        format!("{runs} runs per design and load on derived seeds, each figure their mean")
    } else {
        "both designs on the same seeded traffic".to_string()
    };
    ui.label(format!(
        "{} loads from ×{} to ×{} on a log scale (a quarter of the first knee or ×1, to three times the last), {runs_text} ({:.2} s on {} threads).",
        points.len(),
        number(points.first().map_or(1.0, |p| p.load)),
        number(points.last().map_or(1.0, |p| p.load)),
        view.sweep.took_s,
        std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4)
    ));
    if let Some(note) = note {
        ui.weak(format!("Note: {note}."));
    }
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("First plot");
        egui::ComboBox::from_id_salt("sweep-figure")
            .selected_text(view.sweep_figure.label())
            .show_ui(ui, |ui| {
                for figure in SweepFigure::PICKABLE {
                    ui.selectable_value(&mut view.sweep_figure, figure, figure.label());
                }
            })
            .response
            .labelled_by(label.id);
        ui.checkbox(&mut view.sweep_log_y, "log scale")
            .on_hover_text("A logarithmic value axis for the first plot: latency below the knee stays readable beside the waits of the overloaded loads.");
        ui.checkbox(&mut view.show_formulas, "formulas (dashed)")
            .on_hover_text(
                "What the operational laws and queueing formulas predict for each design, with no simulation: steady state, Poisson arrivals, nothing failing, no timeouts. Their latency ends at the knee (thin dashed line), where there is no steady state; a p99 only where every request waits at one M/M/c station.",
            );
    });
    let log_x = |load: f64| load.log10();
    let height = (ui.available_height() - 60.0).max(120.0);
    let width = (ui.available_width() / 3.0 - 8.0).max(160.0);
    let group = ui.make_persistent_id("sweep-x");
    // `log_y`: the values drawn are logarithms (see `logarithmic`).
    let plot = |id: &str, y: &str, log_y: bool| {
        let plot = styled_plot(id, true)
            // A band is named as its line, and the formulas' knee as their curve: the legend
            // shows the line's colour for both (egui_plot greys an entry whose items differ).
            .legend(
                Legend::default()
                    .text_style(egui::TextStyle::Small)
                    .background_alpha(0.45)
                    .color_conflict_handling(ColorConflictHandling::PickLast),
            )
            // Only round multipliers get marks wide enough to be labelled, so labels show
            // from 30 points apart, at full strength: egui_plot's fade from 40 to 60 points
            // gave the three plots, a few points apart in width, different labels.
            .custom_x_axes(vec![AxisHints::new_x().label_spacing(
                LOG_AXIS_LABEL_SPACING_POINTS..=LOG_AXIS_LABEL_SPACING_POINTS + 0.5,
            )])
            .x_grid_spacer(log_axis_grid)
            .height(height)
            .width(width)
            .link_axis(group, [true, false])
            .link_cursor(group, [true, false])
            .x_axis_label("load multiplier (log)")
            .y_axis_label(y.to_string())
            .x_axis_formatter(|mark, _| multiplier_label(10f64.powf(mark.value)))
            .label_formatter(move |hover| {
                let (name, point) = match hover {
                    egui_plot::HoverPosition::NearDataPoint {
                        plot_name,
                        position,
                        ..
                    } => (*plot_name, *position),
                    egui_plot::HoverPosition::Elsewhere { position } => ("", *position),
                };
                let y = if log_y { 10f64.powf(point.y) } else { point.y };
                Some(format!(
                    "{name}\n×{}: {}",
                    number(10f64.powf(point.x)),
                    number(y)
                ))
            });
        if log_y {
            plot.y_grid_spacer(log_axis_grid)
                .y_axis_formatter(|mark, _| compact_number(10f64.powf(mark.value)))
        } else {
            plot.include_y(0.0)
        }
    };
    let formulas = view.show_formulas;
    let (a_name, b_name) = (format!("A {}", view.a_title), format!("B {}", view.b_title));
    // Each side's curves for a figure, and the top of the values they draw.
    let curves_of = |figure: SweepFigure| {
        let a = sweep_curves(points, |p| &p.a, figure);
        let b = sweep_curves(points, |p| &p.b, figure);
        let values = [&a, &b].into_iter().flat_map(|c| {
            let formulas = formulas.then_some(&c.formulas).into_iter().flatten();
            c.simulated
                .iter()
                .chain(formulas)
                .map(|p| p[1])
                .chain(c.band.iter().flat_map(|b| b.high.iter().copied()))
        });
        let top = legend_headroom(values);
        (a, b, top)
    };
    // Legend entries: each side's line, and its formulas' when shown.
    let entries = if formulas { 4 } else { 2 };
    ui.horizontal(|ui| {
        let figure = view.sweep_figure;
        let (a, b, top) = curves_of(figure);
        let first = if view.sweep_log_y {
            // Half the smallest value drawn is the floor of the bands.
            let smallest = [&a, &b]
                .into_iter()
                .flat_map(|c| c.simulated.iter().chain(&c.formulas).map(|p| p[1]))
                .filter(|v| *v > 0.0)
                .fold(f64::INFINITY, f64::min);
            let floor = if smallest.is_finite() {
                smallest / 2.0
            } else {
                1e-3
            };
            let (a, b) = (logarithmic(a, floor), logarithmic(b, floor));
            // A third of the height above the highest value for the legend, as on a linear axis.
            let (low, high) = [&a, &b]
                .into_iter()
                .flat_map(|c| c.simulated.iter().chain(&c.formulas).map(|p| p[1]))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                    (l.min(v), h.max(v))
                });
            if !(low.is_finite() && high.is_finite()) {
                (a, b, [0.0, 1.0])
            } else {
                let headroom = if high > low { (high - low) * 0.5 } else { 1.0 };
                (a, b, [low, high + headroom])
            }
        } else {
            (a, b, [0.0, top])
        };
        let (a, b, [low, high]) = first;
        plot("sweep-first", figure.axis(), view.sweep_log_y)
            .include_y(low.min(high))
            .include_y(high)
            .show(ui, |p| {
                draw_curves(p, a, &a_name, "A", A_COLOR, formulas);
                draw_curves(p, b, &b_name, "B", B_COLOR, formulas);
            });
        let (a, b, _) = curves_of(SweepFigure::SuccessPercent);
        percent_axis(plot("sweep-success", "success %", false), entries).show(ui, |p| {
            draw_curves(p, a, &a_name, "A", A_COLOR, formulas);
            draw_curves(p, b, &b_name, "B", B_COLOR, formulas);
        });
        let both = |f: fn(&SweepSide) -> Option<f64>| {
            legend_headroom(points.iter().flat_map(|s| [f(&s.a), f(&s.b)]).flatten())
        };
        plot("sweep-cost", "cost to carry the load (a month)", false)
            .include_y(both(|s| s.cost_to_carry_per_month))
            .show(ui, |p| {
                // A line stops where that design cannot be grown to carry the load any more:
                // the vertical ceiling.
                let a: PlotPoints = points
                    .iter()
                    .filter_map(|s| s.a.cost_to_carry_per_month.map(|c| [log_x(s.load), c]))
                    .collect();
                let b: PlotPoints = points
                    .iter()
                    .filter_map(|s| s.b.cost_to_carry_per_month.map(|c| [log_x(s.load), c]))
                    .collect();
                p.line(Line::new(a_name.clone(), a).color(A_COLOR));
                p.line(Line::new(b_name.clone(), b).color(B_COLOR));
                for (side, color) in [
                    (&points.iter().map(|s| s.a).collect::<Vec<_>>(), A_COLOR),
                    (&points.iter().map(|s| s.b).collect::<Vec<_>>(), B_COLOR),
                ] {
                    if let Some(i) = side
                        .iter()
                        .position(|s| s.cost_to_carry_per_month.is_none())
                        && i > 0
                    {
                        let x = (log_x(points[i - 1].load) + log_x(points[i].load)) / 2.0;
                        p.vline(
                            VLine::new("ceiling", x)
                                .color(color)
                                .style(LineStyle::dashed_loose()),
                        );
                    }
                }
            });
    });
    if formulas {
        let shaded = if runs > 1 {
            format!(" Shaded: the 95 % interval over {runs} runs.")
        } else {
            String::new()
        };
        ui.weak(format!(
            "Dashed: the operational laws and queueing formulas, no simulation (steady state, nothing failing, no timeouts); their latency ends at the knee.{shaded} Costs come from the laws alone."
        ));
    }
    let ceiling = |pick: fn(&SweepPoint) -> &SweepSide| {
        points
            .iter()
            .position(|s| pick(s).cost_to_carry_per_month.is_none())
            .map(|i| points[i].load)
    };
    match (ceiling(|s| &s.a), ceiling(|s| &s.b)) {
        (Some(a), None) => {
            ui.label(format!(
                "A hits its ceiling near ×{}: no bigger machine carries more. B keeps going, at a cost.",
                number(a)
            ));
        }
        (None, Some(b)) => {
            ui.label(format!(
                "B hits its ceiling near ×{}: no bigger machine carries more. A keeps going, at a cost.",
                number(b)
            ));
        }
        _ => {}
    }
}
