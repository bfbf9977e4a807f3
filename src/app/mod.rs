//! The desktop app (eframe): design on a canvas, run the simulation live, see it break in red,
//! save and reopen. The UI reads the design and the latest simulation output and emits
//! [`Action`]s; [`SandboxApp::apply`] is the one place that carries them out (undo, the dirty
//! flag and validation live there).

mod actions;
mod analysis_panel;
mod background;
pub mod bands;
pub mod canvas;
mod chrome;
pub mod commands;
pub mod compare;
pub mod cross_check;
mod dialogs;
pub mod document;
pub mod files;
pub mod icons;
pub mod inspector;
mod journey;
pub mod layout;
pub mod plots;
pub mod runner;
mod settings;
mod share;
mod walk;

pub use actions::{Action, Pending};
pub use analysis_panel::{AnalysisView, LadderLine, ladder_lines};
pub use settings::Settings;

use std::path::PathBuf;
use std::process::ExitCode;

use egui::Ui;

use crate::model::{Design, PriceTable, Scenario, parse_design};

use canvas::CanvasState;
use document::Document;
use files::{Dialogs, EXAMPLES};
use icons::Icons;
use inspector::InspectorState;
use plots::Timeline;
use runner::{RunnerMsg, SimRunner};

/// The window title's first part.
pub const APP_NAME: &str = "Architecture Sandbox";

/// A message shown above the canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// The message.
    pub text: String,
    /// Whether it reports a failure (shown in the error colour).
    pub error: bool,
}

/// How the app was started.
#[derive(Clone, Debug, Default)]
pub struct StartOptions {
    /// A design file to open (else the built-in example design).
    pub file: Option<PathBuf>,
    /// Two design files to open in compare mode (`--compare A B`).
    pub compare: Option<(PathBuf, PathBuf)>,
    /// A price table to use instead of the built-in one (`--pricing FILE`).
    pub prices: Option<PriceTable>,
}

/// The load slider's range in users (it shows them beside its multiple): ten to ten million,
/// whatever the design's own number; ×1 is always in range.
pub const MIN_SLIDER_USERS: f64 = 10.0;
/// The load slider's top, in users.
pub const MAX_SLIDER_USERS: f64 = 10_000_000.0;

/// The app.
pub struct SandboxApp {
    /// The open design, with its file, undo history and unsaved-changes flag.
    pub doc: Document,
    /// The canvas's camera, selection and clipboard.
    pub canvas: CanvasState,
    /// The live simulation of the open design.
    pub runner: SimRunner,
    /// What the plots draw, gathered from the runner's ticks.
    pub timeline: Timeline,
    /// The side panel's analysis: the bottleneck ladder, single points of failure, the full report.
    pub analysis: AnalysisView,
    /// Settings kept between sessions.
    pub settings: Settings,
    /// The price table in use (the built-in one unless `--pricing` gave another).
    pub prices: PriceTable,
    /// The inspector's state kept between frames (its last refused edit, a name being typed).
    pub inspector: InspectorState,
    /// The message shown above the canvas, until dismissed.
    pub notice: Option<Notice>,
    /// The scenario being run.
    pub scenario: String,
    /// The load slider: a multiple of the scenario's load (1 = the design's users at the
    /// scenario's load multiplier). What runs is always the design's users × the scenario's
    /// multiplier × this, so a client's *Users* field and the slider both move the load, and
    /// compare mode and the command line run the same product.
    pub load: f64,
    /// What waits for the answer about unsaved changes (the prompt shows while this is set).
    pub pending: Option<Pending>,
    /// Whether the example designs window is open.
    pub show_gallery: bool,
    /// Whether the Journey window is open.
    pub show_journey: bool,
    /// Whether the walk through the primer is open.
    pub show_walk: bool,
    /// The prompt for a typed path (to open, or to save to) and its text so far.
    pub path_prompt: Option<(files::DialogKind, String)>,
    /// What to carry out once the document has been saved (the unsaved-changes prompt's
    /// "Save"); dropped if the save fails or is cancelled, so nothing unsaved is lost.
    after_save: Option<Pending>,
    /// Compare mode, while it is open: it takes the window, and the editor's design waits hidden.
    pub compare: Option<compare::CompareView>,
    /// The engines' cross-check, running or done, and its window.
    pub cross_check: cross_check::CrossCheckView,
    /// The plots' confidence bands.
    pub bands: bands::BandsView,
    /// A report being written (File → Export report…).
    report_job: Option<share::ReportJob>,
    /// A fix being measured for the journey: the design it made, and the design with its
    /// journey step when it comes.
    journey_job: Option<(Design, std::sync::mpsc::Receiver<Result<Design, String>>)>,
    dialogs: Dialogs,
    icons: Icons,
    /// The design revision last sent to the runner.
    sent_revision: Option<u64>,
    title: String,
    allow_close: bool,
    /// Run the N−1 analysis in the background (off in tests, for speed and determinism).
    background_analysis: bool,
    /// For work on other threads to ask for a repaint (none in tests: work runs inline).
    repaint: Option<egui::Context>,
}

impl SandboxApp {
    /// The app as eframe creates it.
    pub fn new(cc: &eframe::CreationContext<'_>, start: StartOptions) -> Self {
        let settings: Settings = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        let runner = SimRunner::threaded(cc.egui_ctx.clone());
        let mut app = Self::with_parts(&cc.egui_ctx, start, settings, runner, true);
        // A first start offers the walk through the primer, once.
        app.offer_walk_once();
        app
    }

    /// Open the walk through the primer if it was never offered (a first start), and
    /// remember that it was.
    pub fn offer_walk_once(&mut self) {
        if !self.settings.walk_offered {
            self.settings.walk_offered = true;
            self.show_walk = true;
        }
    }

    /// The app as it runs for a user (simulation and analysis on their own threads) but with
    /// default settings and no window: for benchmarks.
    pub fn headless(ctx: &egui::Context, start: StartOptions) -> Self {
        let runner = SimRunner::threaded(ctx.clone());
        Self::with_parts(ctx, start, Settings::default(), runner, true)
    }

    /// The app with an inline simulation runner and default settings, for tests.
    pub fn for_tests(ctx: &egui::Context, start: StartOptions) -> Self {
        Self::with_parts(ctx, start, Settings::default(), SimRunner::inline(), false)
    }

    fn with_parts(
        ctx: &egui::Context,
        start: StartOptions,
        settings: Settings,
        runner: SimRunner,
        background_analysis: bool,
    ) -> Self {
        let prices = start.prices.clone().unwrap_or_else(PriceTable::builtin);
        let example = &EXAMPLES[files::DEFAULT_EXAMPLE];
        let default_design = parse_design(example.text, &prices)
            .map(|l| l.design)
            .unwrap_or_else(|_| Design::new("untitled"));
        ctx.set_visuals(if settings.dark {
            egui::Visuals::dark()
        } else {
            egui::Visuals::light()
        });
        let mut app = Self {
            doc: Document::new(default_design, None),
            canvas: CanvasState::default(),
            runner,
            timeline: Timeline::default(),
            analysis: AnalysisView::default(),
            prices,
            inspector: InspectorState::default(),
            notice: None,
            scenario: String::new(),
            load: 1.0,
            pending: None,
            show_gallery: false,
            show_journey: false,
            show_walk: false,
            path_prompt: None,
            after_save: None,
            compare: None,
            cross_check: cross_check::CrossCheckView::default(),
            bands: bands::BandsView::default(),
            report_job: None,
            journey_job: None,
            dialogs: Dialogs::default(),
            icons: Icons::load(),
            sent_revision: None,
            title: String::new(),
            allow_close: false,
            background_analysis,
            repaint: background_analysis.then(|| ctx.clone()),
            settings,
        };
        app.canvas.snap = app.settings.snap;
        app.runner.send(RunnerMsg::Speed(app.settings.speed));
        app.reset_run_settings();
        let opened_a_file = start.file.is_some();
        if let Some(path) = start.file {
            app.open_path(&path);
        } else if app.background_analysis {
            // The default design opens running, so its weak spots show red at once.
            app.sync_runner();
            app.runner.send(RunnerMsg::Play);
        }
        if let Some((a, b)) = start.compare {
            // "Back to the editor" returns to A, the design the comparison starts from.
            if !opened_a_file {
                app.open_path(&a);
            }
            app.open_compare_files(&a, &b);
        }
        app
    }

    /// The title the window should have.
    pub fn window_title(&self) -> String {
        let mut title = format!("{APP_NAME} — {}", self.doc.title());
        if let Some(c) = &self.compare {
            title = format!("{APP_NAME} — {} vs {}", c.a_title, c.b_title);
        }
        if self.doc.dirty && self.compare.is_none() {
            title.push_str(" •");
        }
        title
    }

    /// Users of all clients at load multiplier 1.
    fn base_users(&self) -> f64 {
        crate::analysis::advise::base_users(&self.doc.design)
    }

    /// The load multiplier that runs: the scenario's times the slider's.
    pub fn load_multiplier(&self) -> f64 {
        self.current_scenario().map_or(1.0, |s| s.load_multiplier) * self.load
    }

    /// The users that run: every client's users × the load multiplier.
    pub fn users(&self) -> f64 {
        self.base_users() * self.load_multiplier()
    }

    /// The slider's range of multiples: ten users to ten million (×1 included).
    pub fn load_range(&self) -> std::ops::RangeInclusive<f64> {
        let per_load =
            self.base_users() * self.current_scenario().map_or(1.0, |s| s.load_multiplier);
        if per_load > 0.0 {
            (MIN_SLIDER_USERS / per_load).min(1.0)..=(MAX_SLIDER_USERS / per_load).max(1.0)
        } else {
            1.0..=1.0
        }
    }

    /// The scenario being run.
    pub fn current_scenario(&self) -> Option<&Scenario> {
        self.doc
            .design
            .scenario(&self.scenario)
            .or_else(|| self.doc.design.default_scenario())
    }

    /// After a new document: its default scenario and load.
    fn reset_run_settings(&mut self) {
        self.scenario = self.doc.design.default_scenario.clone();
        self.load = 1.0;
        self.canvas.fit_requested = true;
        self.canvas.selection.clear();
        self.canvas.selected_link = None;
        self.sent_revision = None;
        self.analysis = AnalysisView::default();
        self.analysis.revision = u64::MAX;
        // A cross-check of the design that was open says nothing of this one.
        self.cross_check = cross_check::CrossCheckView::default();
    }

    /// Send the current design to the runner if it changed.
    fn sync_runner(&mut self) {
        if self.sent_revision == Some(self.doc.revision) {
            return;
        }
        self.sent_revision = Some(self.doc.revision);
        let Some(scenario) = self.current_scenario().cloned() else {
            return;
        };
        self.runner.send(RunnerMsg::Load {
            design: Box::new(self.doc.design.clone()),
            scenario: Box::new(scenario),
            prices: Box::new(self.prices.clone()),
            load_multiplier: self.load_multiplier(),
            revision: self.doc.revision,
        });
        self.refresh_analysis();
    }

    /// Per-frame work that paints nothing: file dialog answers, runner output, analysis.
    pub fn update_state(&mut self, ctx: &egui::Context) {
        if let Some(answer) = self.dialogs.poll() {
            match answer {
                files::Answer::Picked(files::DialogKind::Open, p) => self.open_path(&p),
                files::Answer::Picked(files::DialogKind::SaveAs, p) => self.save_to(ctx, &p),
                files::Answer::Picked(files::DialogKind::ExportPicture, p) => {
                    self.export_picture_to(&p)
                }
                // The report gets a folder of its own in the folder picked (its dozen files
                // together, named after the design), and the notice says where.
                files::Answer::Picked(files::DialogKind::ExportReport, p) => {
                    let name = self
                        .report_folder()
                        .file_name()
                        .map(std::path::PathBuf::from)
                        .unwrap_or_else(|| "report".into());
                    self.export_report_to(&p.join(name))
                }
                files::Answer::Cancelled(_) => self.after_save = None,
                // No dialog could be shown (no desktop portal): ask for the path here.
                files::Answer::Unavailable(kind) => {
                    let current = match kind {
                        files::DialogKind::SaveAs => self.doc.path.as_ref(),
                        files::DialogKind::Open
                        | files::DialogKind::ExportPicture
                        | files::DialogKind::ExportReport => None,
                    };
                    let text = match kind {
                        // Beside the design's file, where it has one (a bare name would land
                        // wherever the app was started).
                        files::DialogKind::ExportPicture => {
                            let name = self.file_name_with("svg");
                            self.document_folder()
                                .map_or(name.clone(), |f| f.join(&name).display().to_string())
                        }
                        files::DialogKind::ExportReport => {
                            self.report_folder().display().to_string()
                        }
                        _ => current.map(|p| p.display().to_string()).unwrap_or_default(),
                    };
                    self.path_prompt = Some((kind, text));
                    self.notice = Some(Notice {
                        text: "No file dialog could be shown here (it needs a desktop portal); type the path instead.".into(),
                        error: false,
                    });
                }
            }
        }
        let dt = ctx.input(|i| i.stable_dt).min(0.1);
        self.runner.poll(f64::from(dt));
        self.sync_runner();
        let timeline = &mut self.timeline;
        self.runner.with_output(|out| timeline.take(out));
        self.poll_analysis();
        self.poll_report();
        self.poll_journey();
        self.poll_cross_check();
        self.update_bands();
        if let Some(c) = &mut self.compare {
            c.update(ctx);
        }
        // A design dropped on the window opens (after asking about unsaved changes).
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        if let Some(p) = dropped
            .into_iter()
            .find(|p| p.extension().is_some_and(|e| e == "ron"))
        {
            self.apply(ctx, Action::OpenPath(p));
        }
    }

    /// The whole UI.
    pub fn show(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        let mut actions: Vec<Action> = commands::pressed(&ctx)
            .into_iter()
            .map(Action::Command)
            .collect();

        // Closing with unsaved changes asks first.
        if ctx.input(|i| i.viewport().close_requested()) && self.doc.dirty && !self.allow_close {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.pending = Some(Pending::Quit);
        }
        let title = self.window_title();
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }

        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| self.menu_bar(ui, &mut actions));
        });
        if self.compare.is_none() {
            egui::Panel::top("toolbar").show(ui, |ui| self.toolbar(ui, &mut actions));
        }
        if self.compare.is_some() {
            let mut close = false;
            if let Some(c) = &mut self.compare {
                close = compare::show(ui, c, &self.icons, &self.prices, &mut actions);
            }
            if close {
                self.compare = None;
            }
        } else {
            self.editor(ui, &mut actions);
        }
        self.dialogs_ui(&ctx, &mut actions);
        if self.compare.is_none() {
            self.cross_check_window(&ctx);
        }
        for action in actions {
            self.apply(&ctx, action);
        }
        let playing = self.runner.with_output(|o| o.playing);
        if playing {
            ctx.request_repaint_after(std::time::Duration::from_millis(33));
        }
    }
}

impl eframe::App for SandboxApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.update_state(ctx);
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}

/// Open the app window.
pub fn run(file: Option<PathBuf>, compare: Option<Vec<PathBuf>>, prices: PriceTable) -> ExitCode {
    let compare = compare.and_then(|v| match v.as_slice() {
        [a, b] => Some((a.clone(), b.clone())),
        _ => None,
    });
    let start = StartOptions {
        file,
        compare,
        prices: Some(prices),
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1440.0, 900.0])
            // The smallest layout `layout` keeps usable (a test checks it at this size).
            .with_min_inner_size([800.0, 500.0])
            .with_title(APP_NAME)
            .with_app_id("archsandbox")
            .with_drag_and_drop(true),
        ..Default::default()
    };
    let result = eframe::run_native(
        APP_NAME,
        options,
        Box::new(move |cc| Ok(Box::new(SandboxApp::new(cc, start)))),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot open the window: {e}");
            ExitCode::FAILURE
        }
    }
}
