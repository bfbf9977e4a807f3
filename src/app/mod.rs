//! The desktop app (eframe): design on a canvas, run the simulation live, see it break in red,
//! save and reopen. The UI reads the design and the latest simulation output and emits
//! [`Action`]s; [`SandboxApp::apply`] is the one place that carries them out (undo, the dirty
//! flag and validation live there).

pub mod canvas;
pub mod commands;
pub mod compare;
pub mod document;
pub mod files;
pub mod icons;
pub mod inspector;
pub mod layout;
pub mod plots;
pub mod runner;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, channel};

use egui::{Color32, Pos2, RichText, Ui};

use crate::analysis::report::{AnalysisOptions, FailureAnalysis, SimulateReport, analyze, number};
use crate::analysis::spof::structural_spofs;
use crate::model::{
    Component, ComponentId, ComponentKind, Design, KindName, LinkId, PriceTable, Scenario,
    parse_design, save_design,
};
use crate::sim::laws::operational_laws;
use crate::sim::preflight::read_runnable_design;

use canvas::{CanvasInputs, CanvasState, Clipboard, Health};
use commands::UiCommand;
use document::{Document, Edit};
use files::{Dialogs, EXAMPLES, Settings};
use icons::Icons;
use inspector::InspectorState;
use plots::Timeline;
use runner::{RunnerMsg, SimRunner};

/// The window title's first part.
pub const APP_NAME: &str = "Architecture Sandbox";

/// Something the user asked for; carried out by [`SandboxApp::apply`].
#[derive(Clone, Debug)]
pub enum Action {
    Command(UiCommand),
    Edit(Edit),
    /// Add a component of a kind (at a scene position, or the middle of the view).
    AddKind(KindName, Option<Pos2>),
    /// Select a component, then run a command on the selection.
    SelectThen(ComponentId, UiCommand),
    Select(ComponentId),
    OpenPath(PathBuf),
    OpenExample(usize),
    SaveTo(PathBuf),
    /// Save, then carry on with what waited for the answer about unsaved changes.
    SaveThen(Pending),
    Fail(ComponentId, Option<u32>),
    Recover(ComponentId),
    SetScenario(String),
    /// The slider's multiple of the scenario's load.
    SetLoad(f64),
    SetSpeed(f64),
    /// Carry out what waited for an answer about unsaved changes.
    Proceed(Pending),
}

/// What waits while the user decides about unsaved changes.
#[derive(Clone, Debug)]
pub enum Pending {
    New,
    Open,
    OpenPath(PathBuf),
    OpenExample(usize),
    Quit,
}

/// A message shown above the canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// What the analysis knows about the current design.
#[derive(Default)]
pub struct AnalysisView {
    /// The design revision it describes.
    pub revision: u64,
    /// Ladder from the operational laws: (component, saturation load).
    pub ladder: Vec<(ComponentId, String, f64)>,
    /// Single points of failure and why, in component order (a hash map's order would change
    /// from run to run, and the list on screen with it).
    pub spofs: BTreeMap<ComponentId, String>,
    /// The full report (N−1, availability, cost), once the background run is done.
    pub report: Option<SimulateReport>,
    pub running: bool,
    pending: Option<Receiver<(u64, Result<SimulateReport, String>)>>,
}

/// How the app was started.
#[derive(Clone, Debug, Default)]
pub struct StartOptions {
    pub file: Option<PathBuf>,
    pub compare: Option<(PathBuf, PathBuf)>,
    pub prices: Option<PriceTable>,
}

/// The load slider's range in users (it shows them beside its multiple): ten to ten million,
/// whatever the design's own number; ×1 is always in range.
pub const MIN_SLIDER_USERS: f64 = 10.0;
pub const MAX_SLIDER_USERS: f64 = 10_000_000.0;

/// The app.
pub struct SandboxApp {
    pub doc: Document,
    pub canvas: CanvasState,
    pub runner: SimRunner,
    pub timeline: Timeline,
    pub analysis: AnalysisView,
    pub settings: Settings,
    pub prices: PriceTable,
    pub inspector: InspectorState,
    pub notice: Option<Notice>,
    /// The scenario being run.
    pub scenario: String,
    /// The load slider: a multiple of the scenario's load (1 = the design's users at the
    /// scenario's load multiplier). What runs is always the design's users × the scenario's
    /// multiplier × this, so a client's *Users* field and the slider both move the load, and
    /// compare mode and the command line run the same product.
    pub load: f64,
    pub pending: Option<Pending>,
    pub show_gallery: bool,
    /// The prompt for a typed path (to open, or to save to) and its text so far.
    pub path_prompt: Option<(files::DialogKind, String)>,
    /// What to carry out once the document has been saved (the unsaved-changes prompt's
    /// "Save"); dropped if the save fails or is cancelled, so nothing unsaved is lost.
    after_save: Option<Pending>,
    pub compare: Option<compare::CompareView>,
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
        Self::with_parts(&cc.egui_ctx, start, settings, runner, true)
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
            path_prompt: None,
            after_save: None,
            compare: None,
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
        self.doc
            .design
            .components()
            .filter_map(|(_, c)| match &c.kind {
                ComponentKind::Client(p) => Some(p.users as f64),
                _ => None,
            })
            .sum()
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

    /// Work out the ladder and structural SPOFs now; start the full analysis in the background.
    fn refresh_analysis(&mut self) {
        self.analysis.revision = self.doc.revision;
        self.analysis.report = None;
        self.analysis.ladder.clear();
        self.analysis.spofs.clear();
        let design = &self.doc.design;
        let Some(scenario) = self.current_scenario().cloned() else {
            return;
        };
        if let Ok(laws) = operational_laws(design, &scenario, &self.prices) {
            for step in crate::analysis::ladder::bottleneck_ladder(&laws) {
                self.analysis
                    .ladder
                    .push((step.id, step.name, step.saturates_at_load));
            }
        } else {
            return;
        }
        for id in structural_spofs(design) {
            let name = design.component(id).map_or("", |c| c.name.as_str());
            self.analysis.spofs.insert(
                id,
                format!("'{name}' has no spare instance, and some client's requests cannot get around it."),
            );
        }
        if !self.background_analysis {
            return;
        }
        let (tx, rx) = channel();
        let design = design.clone();
        let prices = self.prices.clone();
        let revision = self.doc.revision;
        let mut scenario = scenario;
        scenario.load_multiplier = self.load_multiplier();
        let spawned = std::thread::Builder::new()
            .name("analysis".into())
            .spawn(move || {
                let options = AnalysisOptions {
                    run: crate::sim::RunOptions {
                        samples_per_tick: Some(4),
                        ..crate::sim::RunOptions::default()
                    },
                    failure_analysis: FailureAnalysis::Auto,
                };
                let result =
                    analyze(&design, &scenario, &prices, &options).map_err(|e| e.to_string());
                let _ = tx.send((revision, result));
            });
        if spawned.is_ok() {
            self.analysis.pending = Some(rx);
            self.analysis.running = true;
        }
    }

    fn poll_analysis(&mut self) {
        let Some(rx) = &self.analysis.pending else {
            return;
        };
        let Ok((revision, result)) = rx.try_recv() else {
            return;
        };
        self.analysis.pending = None;
        self.analysis.running = false;
        if revision != self.doc.revision {
            return;
        }
        if let Ok(report) = result {
            for c in &report.components {
                if !c.run.spof {
                    continue;
                }
                let Some(id) = self.doc.design.find(&c.run.name) else {
                    continue;
                };
                if let Some(f) = report.failure_impact.iter().find(|f| f.name == c.run.name) {
                    self.analysis.spofs.insert(
                        id,
                        format!(
                            "losing {} leaves {:.1} % of requests succeeding (target {:.1} %).",
                            if f.instances_lost >= c.run.instances {
                                "it"
                            } else {
                                "one instance"
                            },
                            f.success_ratio_when_failed * 100.0,
                            self.current_scenario()
                                .map_or(99.9, |s| s.target_success_ratio * 100.0)
                        ),
                    );
                }
            }
            self.analysis.report = Some(report);
        }
    }

    /// Open a design file; on failure, keep the current design and say why (with line and column).
    pub fn open_path(&mut self, path: &Path) {
        match read_runnable_design(path, &self.prices) {
            Ok(loaded) => {
                self.doc = Document::new(loaded.design, Some(path.to_path_buf()));
                self.settings.remember(path);
                self.reset_run_settings();
                self.notice = (!loaded.warnings.is_empty()).then(|| Notice {
                    text: loaded
                        .warnings
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n"),
                    error: false,
                });
            }
            Err(e) => {
                self.notice = Some(Notice {
                    text: format!(
                        "Could not open {}:\n{}",
                        path.display(),
                        e.problems()
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("\n")
                    ),
                    error: true,
                });
            }
        }
    }

    fn open_example(&mut self, index: usize) {
        let Some(example) = EXAMPLES.get(index) else {
            return;
        };
        match parse_design(example.text, &self.prices) {
            Ok(loaded) => {
                self.doc = Document::new(loaded.design, None);
                self.reset_run_settings();
                self.notice = None;
            }
            Err(e) => {
                self.notice = Some(Notice {
                    text: format!("{}: {e}", example.file),
                    error: true,
                });
            }
        }
    }

    /// Save to a path, atomically; say so if it fails (the old file is untouched then).
    pub fn save_to(&mut self, ctx: &egui::Context, path: &Path) {
        match save_design(path, &self.doc.design) {
            Ok(()) => {
                self.doc.saved_to(path.to_path_buf());
                self.settings.remember(path);
                self.notice = Some(Notice {
                    text: format!("Saved {}", path.display()),
                    error: false,
                });
                if let Some(then) = self.after_save.take() {
                    self.apply(ctx, Action::Proceed(then));
                }
            }
            Err(e) => {
                self.after_save = None;
                self.notice = Some(Notice {
                    text: format!(
                        "Could not save {}: {e}. The file on disk is as it was, and so is the design here.",
                        path.display()
                    ),
                    error: true,
                });
            }
        }
    }

    /// Save to the document's file, or ask where if it has none.
    fn save(&mut self, ctx: &egui::Context) {
        match self.doc.path.clone() {
            Some(p) => self.save_to(ctx, &p),
            None => self.ask_where_to_save(ctx),
        }
    }

    fn ask_where_to_save(&mut self, ctx: &egui::Context) {
        let name = format!(
            "{}.ron",
            self.doc.design.name.to_lowercase().replace(' ', "-")
        );
        let folder = self
            .doc
            .path
            .as_ref()
            .and_then(|p| p.parent().map(Path::to_path_buf));
        if !self.dialogs.save_as(ctx, name, folder) {
            // Another dialog is open: nothing will answer for this save.
            self.after_save = None;
        }
    }

    fn ask_unless_clean(&mut self, ctx: &egui::Context, then: Pending) {
        if self.doc.dirty {
            self.pending = Some(then);
        } else {
            self.apply(ctx, Action::Proceed(then));
        }
    }

    /// Carry out an action. The one place that changes the document or the run.
    pub fn apply(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::Command(c) => self.command(ctx, c),
            Action::Edit(edit) => {
                let added = self.doc.apply(edit);
                if !added.is_empty() {
                    self.canvas.select_only(added);
                }
                self.canvas.prune(&self.doc.design);
            }
            Action::AddKind(kind, at) => {
                let at = at.unwrap_or_else(|| self.canvas.view_center() - canvas::NODE_SIZE / 2.0);
                let position = self.doc.design.free_position(if self.canvas.snap {
                    canvas::snapped(at)
                } else {
                    (at.x, at.y)
                });
                let name = kind.key().replace('_', "-");
                self.apply(
                    ctx,
                    Action::Edit(Edit::Add(Component::new(name, kind, position))),
                );
            }
            Action::SelectThen(id, c) => {
                if !self.canvas.is_selected(id) {
                    self.canvas.select_only([id]);
                }
                self.command(ctx, c);
            }
            Action::Select(id) => self.canvas.select_only([id]),
            Action::OpenPath(p) => self.ask_unless_clean(ctx, Pending::OpenPath(p)),
            Action::OpenExample(i) => self.ask_unless_clean(ctx, Pending::OpenExample(i)),
            Action::SaveTo(p) => self.save_to(ctx, &p),
            // The unsaved-changes prompt's "Save": what it held back is carried on once the
            // save succeeds (after a dialog, if the design has no file yet); a failed or
            // cancelled save carries on nothing.
            Action::SaveThen(then) => {
                self.pending = None;
                self.after_save = Some(then);
                self.save(ctx);
            }
            Action::Fail(id, k) => self.runner.send(RunnerMsg::Fail(id, k)),
            Action::Recover(id) => self.runner.send(RunnerMsg::Recover(id)),
            Action::SetScenario(name) => {
                self.scenario = name;
                self.sent_revision = None;
            }
            Action::SetLoad(load) => {
                let range = self.load_range();
                self.load = load.clamp(*range.start(), *range.end());
                self.runner.send(RunnerMsg::SetLoad(self.load_multiplier()));
            }
            Action::SetSpeed(s) => {
                self.settings.speed = s;
                self.runner.send(RunnerMsg::Speed(s));
            }
            Action::Proceed(p) => {
                self.pending = None;
                match p {
                    Pending::New => {
                        let mut design = Design::new("untitled");
                        design.description = "A new design.".into();
                        self.doc = Document::new(design, None);
                        self.reset_run_settings();
                    }
                    Pending::Open => {
                        let folder = self
                            .doc
                            .path
                            .as_ref()
                            .and_then(|p| p.parent().map(Path::to_path_buf));
                        self.dialogs.open(ctx, folder);
                    }
                    Pending::OpenPath(p) => self.open_path(&p),
                    Pending::OpenExample(i) => self.open_example(i),
                    Pending::Quit => {
                        self.allow_close = true;
                        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                }
            }
        }
    }

    fn command(&mut self, ctx: &egui::Context, command: UiCommand) {
        let selection = self.canvas.selection.clone();
        // A save or an open the user asks for anew is no longer the unsaved-changes prompt's:
        // what that prompt left to carry on after its save is dropped.
        if matches!(
            command,
            UiCommand::Save | UiCommand::SaveAs | UiCommand::SavePath | UiCommand::OpenPath
        ) {
            self.after_save = None;
        }
        // Compare mode: its run answers play, step, reset and the sweep; the editor's
        // document and run are hidden, so what would change them does nothing.
        if let Some(view) = &mut self.compare {
            match command {
                UiCommand::PlayPause => {
                    let playing = view.a.runner.with_output(|o| o.playing);
                    view.send(if playing {
                        RunnerMsg::Pause
                    } else {
                        RunnerMsg::Play
                    });
                    return;
                }
                UiCommand::Step => {
                    view.send(RunnerMsg::Step);
                    return;
                }
                UiCommand::Reset => {
                    view.restart();
                    return;
                }
                UiCommand::LoadSweep => {
                    view.start_sweep();
                    return;
                }
                c if c.in_compare() => {}
                _ => return,
            }
        }
        match command {
            UiCommand::New => self.ask_unless_clean(ctx, Pending::New),
            UiCommand::Open => self.ask_unless_clean(ctx, Pending::Open),
            UiCommand::OpenPath => {
                self.path_prompt = Some((files::DialogKind::Open, String::new()));
            }
            UiCommand::SavePath => {
                let current = self.doc.path.as_ref().map(|p| p.display().to_string());
                self.path_prompt = Some((files::DialogKind::SaveAs, current.unwrap_or_default()));
            }
            UiCommand::Gallery => self.show_gallery = true,
            UiCommand::Save => self.save(ctx),
            UiCommand::SaveAs => self.ask_where_to_save(ctx),
            UiCommand::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            UiCommand::Undo => {
                self.doc.undo();
                self.canvas.prune(&self.doc.design);
            }
            UiCommand::Redo => {
                self.doc.redo();
                self.canvas.prune(&self.doc.design);
            }
            UiCommand::Copy | UiCommand::Cut | UiCommand::Duplicate => {
                let design = &self.doc.design;
                let index: HashMap<ComponentId, usize> = selection
                    .iter()
                    .enumerate()
                    .map(|(i, id)| (*id, i))
                    .collect();
                let components: Vec<Component> = selection
                    .iter()
                    .filter_map(|id| design.component(*id).cloned())
                    .collect();
                let links = design
                    .links()
                    .filter_map(|(_, a, b, l)| Some((*index.get(&a)?, *index.get(&b)?, l.clone())))
                    .collect();
                self.canvas.clipboard = Some(Clipboard { components, links });
                if command == UiCommand::Cut {
                    self.command(ctx, UiCommand::Delete);
                }
                if command == UiCommand::Duplicate {
                    self.command(ctx, UiCommand::Paste);
                }
            }
            UiCommand::Paste => {
                if let Some(clip) = self.canvas.clipboard.clone() {
                    // Clear of every component on the canvas, the originals included.
                    let positions: Vec<(f32, f32)> =
                        clip.components.iter().map(|c| c.position).collect();
                    let (dx, dy) = self.doc.design.free_offset(&positions);
                    let components = clip
                        .components
                        .into_iter()
                        .map(|mut c| {
                            c.position = (c.position.0 + dx, c.position.1 + dy);
                            c
                        })
                        .collect();
                    self.apply(
                        ctx,
                        Action::Edit(Edit::Paste {
                            components,
                            links: clip.links,
                        }),
                    );
                }
            }
            UiCommand::Delete => {
                let links = self
                    .canvas
                    .selected_link
                    .into_iter()
                    .collect::<Vec<LinkId>>();
                if !selection.is_empty() || !links.is_empty() {
                    self.apply(
                        ctx,
                        Action::Edit(Edit::Remove {
                            components: selection,
                            links,
                        }),
                    );
                }
            }
            UiCommand::SelectAll => {
                let all: Vec<ComponentId> =
                    self.doc.design.components().map(|(id, _)| id).collect();
                self.canvas.select_only(all);
            }
            UiCommand::Connect => {
                for pair in selection.windows(2) {
                    let link = canvas::default_link(&self.doc.design, pair[0], pair[1]);
                    self.apply(
                        ctx,
                        Action::Edit(Edit::Connect {
                            from: pair[0],
                            to: pair[1],
                            link,
                        }),
                    );
                }
            }
            UiCommand::FitView => self.canvas.fit(&self.doc.design),
            UiCommand::ZoomIn => self.canvas.zoom_by(1.25),
            UiCommand::ZoomOut => self.canvas.zoom_by(0.8),
            UiCommand::ToggleSnap => {
                self.canvas.snap = !self.canvas.snap;
                self.settings.snap = self.canvas.snap;
            }
            UiCommand::TogglePalette => self.settings.show_palette ^= true,
            UiCommand::ToggleSidePanel => self.settings.show_side_panel ^= true,
            UiCommand::TogglePlots => self.settings.show_plots ^= true,
            UiCommand::ToggleTheme => {
                self.settings.dark = !self.settings.dark;
                ctx.set_visuals(if self.settings.dark {
                    egui::Visuals::dark()
                } else {
                    egui::Visuals::light()
                });
            }
            UiCommand::PlayPause => {
                self.sync_runner();
                let playing = self.runner.with_output(|o| o.playing);
                self.runner.send(if playing {
                    RunnerMsg::Pause
                } else {
                    RunnerMsg::Play
                });
            }
            UiCommand::Step => {
                self.sync_runner();
                self.runner.send(RunnerMsg::Step);
            }
            UiCommand::Reset => {
                self.sync_runner();
                self.runner.send(RunnerMsg::Reset);
            }
            UiCommand::FailOne => {
                for id in selection {
                    self.runner.send(RunnerMsg::Fail(id, Some(1)));
                }
            }
            UiCommand::Recover => {
                for id in selection {
                    self.runner.send(RunnerMsg::Recover(id));
                }
            }
            UiCommand::ScaleUp | UiCommand::ScaleOut | UiCommand::LoadSweep => {
                self.compare_command(command);
            }
        }
    }

    /// Per-frame work that paints nothing: file dialog answers, runner output, analysis.
    pub fn update_state(&mut self, ctx: &egui::Context) {
        if let Some(answer) = self.dialogs.poll() {
            match answer {
                files::Answer::Picked(files::DialogKind::Open, p) => self.open_path(&p),
                files::Answer::Picked(files::DialogKind::SaveAs, p) => self.save_to(ctx, &p),
                files::Answer::Cancelled(_) => self.after_save = None,
                // No dialog could be shown (no desktop portal): ask for the path here.
                files::Answer::Unavailable(kind) => {
                    let current = match kind {
                        files::DialogKind::SaveAs => self.doc.path.as_ref(),
                        files::DialogKind::Open => None,
                    };
                    let text = current.map(|p| p.display().to_string()).unwrap_or_default();
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
        for action in actions {
            self.apply(&ctx, action);
        }
        let playing = self.runner.with_output(|o| o.playing);
        if playing {
            ctx.request_repaint_after(std::time::Duration::from_millis(33));
        }
    }

    fn editor(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        // Each panel can be hidden (View menu, Ctrl+1/2/3) so a small window keeps a canvas;
        // their sizes follow the window's (see `layout`).
        let layout = layout::PanelLayout::for_window(ui.ctx().content_rect().size());
        if self.settings.show_plots && layout.plots_full_width {
            self.plots_panel(ui, &layout);
        }
        if self.settings.show_palette {
            egui::Panel::left("palette")
                .resizable(false)
                .exact_size(layout.palette_width)
                .show(ui, |ui| {
                    // A short window scrolls the palette rather than cut off its last kinds.
                    egui::ScrollArea::vertical()
                        .show(ui, |ui| self.palette(ui, layout.compact_palette, actions));
                });
        }
        if self.settings.show_side_panel {
            egui::Panel::right("inspector")
                .resizable(true)
                .default_size(layout.side_default_width)
                .size_range(160.0..=layout.side_max_width)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        let (nodes, tick_s) =
                            self.runner.with_output(|o| (o.nodes.clone(), o.tick_s));
                        actions.extend(inspector::show(
                            ui,
                            &self.doc.design,
                            (&self.canvas.selection, self.canvas.selected_link),
                            (&nodes, tick_s),
                            &self.prices,
                            &mut self.inspector,
                        ));
                        ui.separator();
                        self.analysis_panel(ui, actions);
                        ui.separator();
                        legend(ui);
                    });
                });
        }
        if self.settings.show_plots && !layout.plots_full_width {
            self.plots_panel(ui, &layout);
        }
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(n) = self.notice.clone() {
                let color = if n.error {
                    ui.visuals().error_fg_color
                } else {
                    ui.visuals().text_color()
                };
                // The button first and the message wrapped in what is left of the row: a long
                // message on one line pushed the button out of sight and widened the canvas
                // over the right panel.
                ui.horizontal(|ui| {
                    if ui
                        .small_button("Dismiss")
                        .on_hover_text("Hide this message")
                        .clicked()
                    {
                        self.notice = None;
                    }
                    ui.add(egui::Label::new(RichText::new(&n.text).color(color)).wrap());
                });
            }
            let (nodes, tick_s, playing, error) = self
                .runner
                .with_output(|o| (o.nodes.clone(), o.tick_s, o.playing, o.error.clone()));
            if let Some(e) = error {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("The design cannot run yet: {e}"),
                );
            }
            let inputs = CanvasInputs {
                design: &self.doc.design,
                nodes: &nodes,
                tick_s,
                spofs: &self.analysis.spofs,
                icons: &self.icons,
                playing,
            };
            actions.extend(canvas::show(ui, &mut self.canvas, &inputs));
        });
    }

    fn menu_bar(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        let can_undo = self.doc.can_undo();
        let can_redo = self.doc.can_redo();
        let has_selection = !self.canvas.selection.is_empty();
        // In compare mode only what means something there is offered (see `command`).
        let comparing = self.compare.is_some();
        let allowed = |c: UiCommand| !comparing || c.in_compare();
        ui.menu_button("File", |ui| {
            for c in [
                UiCommand::New,
                UiCommand::Open,
                UiCommand::OpenPath,
                UiCommand::Gallery,
            ] {
                if c.button(ui, allowed(c)) {
                    actions.push(Action::Command(c));
                }
            }
            ui.menu_button("Open recent", |ui| {
                if self.settings.recent.is_empty() {
                    ui.weak("No recent files");
                }
                for p in self.settings.recent.clone() {
                    if ui.button(p.display().to_string()).clicked() {
                        actions.push(Action::OpenPath(p));
                        ui.close();
                    }
                }
            });
            ui.separator();
            for c in [UiCommand::Save, UiCommand::SaveAs, UiCommand::SavePath] {
                if c.button(ui, allowed(c)) {
                    actions.push(Action::Command(c));
                }
            }
            ui.separator();
            if UiCommand::Quit.button(ui, allowed(UiCommand::Quit)) {
                actions.push(Action::Command(UiCommand::Quit));
            }
        });
        ui.menu_button("Edit", |ui| {
            for (c, enabled) in [
                (UiCommand::Undo, can_undo),
                (UiCommand::Redo, can_redo),
                (UiCommand::Cut, has_selection),
                (UiCommand::Copy, has_selection),
                (UiCommand::Paste, self.canvas.clipboard.is_some()),
                (UiCommand::Duplicate, has_selection),
                (
                    UiCommand::Delete,
                    has_selection || self.canvas.selected_link.is_some(),
                ),
                (UiCommand::SelectAll, true),
                (UiCommand::Connect, self.canvas.selection.len() >= 2),
            ] {
                if c.button(ui, allowed(c) && enabled) {
                    actions.push(Action::Command(c));
                }
            }
        });
        ui.menu_button("View", |ui| {
            for c in [UiCommand::FitView, UiCommand::ZoomIn, UiCommand::ZoomOut] {
                if c.button(ui, allowed(c)) {
                    actions.push(Action::Command(c));
                }
            }
            let mut snap = self.canvas.snap;
            if ui
                .checkbox(&mut snap, UiCommand::ToggleSnap.label())
                .on_hover_text(UiCommand::ToggleSnap.tooltip())
                .changed()
            {
                actions.push(Action::Command(UiCommand::ToggleSnap));
            }
            if UiCommand::ToggleTheme.button(ui, allowed(UiCommand::ToggleTheme)) {
                actions.push(Action::Command(UiCommand::ToggleTheme));
            }
            ui.separator();
            for (c, shown) in [
                (UiCommand::TogglePalette, self.settings.show_palette),
                (UiCommand::ToggleSidePanel, self.settings.show_side_panel),
                (UiCommand::TogglePlots, self.settings.show_plots),
            ] {
                let mut on = shown;
                let mut checkbox = ui.checkbox(&mut on, c.label()).on_hover_text(c.tooltip());
                if let Some(s) = c.shortcut() {
                    checkbox = checkbox.on_hover_text(ui.ctx().format_shortcut(&s));
                }
                if checkbox.changed() && allowed(c) {
                    actions.push(Action::Command(c));
                }
            }
        });
        ui.menu_button("Simulation", |ui| {
            for c in [UiCommand::PlayPause, UiCommand::Step, UiCommand::Reset] {
                if c.button(ui, allowed(c)) {
                    actions.push(Action::Command(c));
                }
            }
            ui.separator();
            for c in [UiCommand::FailOne, UiCommand::Recover] {
                if c.button(ui, allowed(c) && has_selection) {
                    actions.push(Action::Command(c));
                }
            }
        });
        ui.menu_button("Compare", |ui| {
            for c in [
                UiCommand::ScaleUp,
                UiCommand::ScaleOut,
                UiCommand::LoadSweep,
            ] {
                if c.button(ui, allowed(c)) {
                    actions.push(Action::Command(c));
                }
            }
        });
        ui.menu_button("Help", |ui| {
            ui.label(format!("{APP_NAME} {}", env!("CARGO_PKG_VERSION")));
            ui.label("Pan: right or middle drag, or scroll. Zoom: Ctrl + scroll, at the pointer.");
            ui.label("Select: click, Shift/Ctrl-click, or drag a box on empty space.");
            ui.label(
                "Link: drag from a node's right port to another node (or select two and press L).",
            );
            ui.separator();
            ui.strong("Shortcuts");
            // Grouped as the menus are, shortcut and command in aligned columns.
            egui::Grid::new("shortcuts")
                .num_columns(2)
                .spacing([16.0, 2.0])
                .show(ui, |ui| {
                    for group in commands::GROUPS {
                        ui.weak(group);
                        ui.end_row();
                        for c in UiCommand::ALL.into_iter().filter(|c| c.group() == group) {
                            if let Some(s) = c.shortcut() {
                                ui.monospace(ui.ctx().format_shortcut(&s));
                                ui.label(c.label());
                                ui.end_row();
                            }
                        }
                    }
                });
        });
    }

    fn plots_panel(&mut self, ui: &mut Ui, layout: &layout::PanelLayout) {
        egui::Panel::bottom("plots")
            .resizable(true)
            .default_size(layout.plots_default_height)
            .size_range(100.0..=layout.plots_max_height)
            .show(ui, |ui| {
                plots::show(
                    ui,
                    &mut self.timeline,
                    &self.doc.design,
                    &self.canvas.selection,
                );
            });
    }

    fn toolbar(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        let (playing, tick, tick_s, last, error) = self.runner.with_output(|o| {
            (
                o.playing,
                o.tick,
                o.tick_s,
                plots::recent(&self.timeline.history, o.tick_s, 1.0),
                o.error.is_some(),
            )
        });
        // Wrapped, so that in a narrow window the figures go to a second line, not off the edge.
        ui.horizontal_wrapped(|ui| {
            let play = if playing { "Pause" } else { "Play" };
            if ui
                .add_enabled(!error, egui::Button::new(play))
                .on_hover_text(UiCommand::PlayPause.tooltip())
                .clicked()
            {
                actions.push(Action::Command(UiCommand::PlayPause));
            }
            if ui.add_enabled(!error, egui::Button::new("Step")).on_hover_text(UiCommand::Step.tooltip()).clicked() {
                actions.push(Action::Command(UiCommand::Step));
            }
            if ui.button("Reset").on_hover_text(UiCommand::Reset.tooltip()).clicked() {
                actions.push(Action::Command(UiCommand::Reset));
            }
            ui.separator();
            let speed_label = ui.label("Speed").on_hover_text("Simulated seconds per real second.");
            egui::ComboBox::from_id_salt("speed")
                .selected_text(format!("{}×", number(self.settings.speed)))
                .show_ui(ui, |ui| {
                    for s in [1.0, 10.0, 60.0, 300.0, 3600.0] {
                        if ui.selectable_label(self.settings.speed == s, format!("{}×", number(s))).clicked() {
                            actions.push(Action::SetSpeed(s));
                        }
                    }
                })
                .response
                .labelled_by(speed_label.id);
            let scenario_label = ui.label("Scenario");
            egui::ComboBox::from_id_salt("scenario")
                .selected_text(self.scenario.clone())
                .show_ui(ui, |ui| {
                    for s in &self.doc.design.scenarios {
                        if ui
                            .selectable_label(s.name == self.scenario, &s.name)
                            .on_hover_text(&s.description)
                            .clicked()
                        {
                            actions.push(Action::SetScenario(s.name.clone()));
                        }
                    }
                })
                .response
                .labelled_by(scenario_label.id);
            ui.separator();
            let slider_width =
                layout::PanelLayout::for_window(ui.ctx().content_rect().size()).slider_width;
            ui.spacing_mut().slider_width = slider_width;
            // The label, the slider and its "×k = N users" box stay on one row.
            layout::keep_together(ui, slider_width + 210.0);
            let mut load = self.load;
            let users_per_load = self.users() / self.load;
            let load_label = ui.label("Load");
            let slider = egui::Slider::new(&mut load, self.load_range())
                .logarithmic(true)
                .custom_formatter(move |v, _| {
                    format!("×{} = {} users", number(v), number((v * users_per_load).round()))
                });
            if ui
                .add(slider)
                .on_hover_text("Load: a multiple of the design's own users (its clients' Users fields, at the scenario's load multiplier). What runs is their product. Takes effect at once.")
                .labelled_by(load_label.id)
                .changed()
            {
                actions.push(Action::SetLoad(load));
            }
            ui.separator();
            let now_s = tick as f64 * tick_s;
            let end_s = self.current_scenario().map_or(f64::INFINITY, |s| s.duration_s);
            if now_s > end_s {
                // The live run goes on past the scenario's end (its profile holds its last
                // value); the figures of `simulate` stop there, so say where it is.
                ui.label(
                    RichText::new(format!(
                        "t = {} · past the scenario's end ({})",
                        format_time(now_s),
                        format_time(end_s)
                    ))
                    .color(ui.visuals().warn_fg_color),
                )
                .on_hover_text("The scenario ends here; the live run carries on at its last load. Reset (Ctrl+R) starts it again.");
            } else {
                ui.label(format!("t = {}", format_time(now_s)));
            }
            if let Some(t) = last {
                // Red once requests fail, or pile up faster than they complete.
                let piling_up = t.throughput_per_s < 0.98 * t.offered_per_s
                    && t.in_flight > t.offered_per_s;
                let color = if t.success_ratio < 0.999 || piling_up {
                    ui.visuals().error_fg_color
                } else {
                    ui.visuals().text_color()
                };
                // Offered and completed, with the share of ended requests that succeeded and
                // what waits; the latency is of the requests that succeed, which says so once
                // some fail.
                let p99 = if t.success_ratio < 0.999 { "p99 of those ok" } else { "p99" };
                ui.colored_label(
                    color,
                    format!(
                        "{} offered · {} done/s · {:.2} % ok · {} in flight · {p99} {} ms",
                        number(t.offered_per_s),
                        number(t.throughput_per_s),
                        t.success_ratio * 100.0,
                        crate::analysis::report::count(t.in_flight.round().max(0.0) as u64),
                        number(t.latency_ms.p99)
                    ),
                )
                .on_hover_text(
                    "Over the last second: requests offered a second, requests completed end \
                     to end a second, and of the requests that ended (completed or failed) \
                     the share that succeeded; then the requests in flight now (waiting \
                     somewhere, neither done nor failed), and the 99th percentile of the \
                     end-to-end latency of the last ticks' sampled successful requests (at \
                     least 200 of them, at most 120 ticks).",
                );
            }
        });
    }

    fn palette(&mut self, ui: &mut Ui, compact: bool, actions: &mut Vec<Action>) {
        if !compact {
            ui.heading("Palette");
            ui.weak("Drag onto the canvas, or click to add in the middle.");
        }
        ui.add_space(4.0);
        let dark = ui.visuals().dark_mode;
        for kind in KindName::ALL {
            // A row that can be clicked (add in the middle) or dragged onto the canvas; in a
            // narrow window the icon alone, named in its tooltip and to screen readers.
            let icon_color = if dark {
                Color32::from_gray(210)
            } else {
                Color32::from_gray(60)
            };
            let response = if compact {
                let (rect, response) =
                    ui.allocate_exact_size(egui::vec2(32.0, 32.0), egui::Sense::click_and_drag());
                if response.hovered() {
                    ui.painter()
                        .rect_filled(rect, 4.0, ui.visuals().widgets.hovered.weak_bg_fill);
                }
                self.icons
                    .paint(ui.painter(), kind, rect.shrink(5.0), icon_color);
                response.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Button, true, kind.label())
                });
                response.on_hover_text(format!("{}: {}", kind.label(), kind.explanation()))
            } else {
                ui.horizontal(|ui| {
                    let (icon, _) =
                        ui.allocate_exact_size(egui::vec2(22.0, 22.0), egui::Sense::hover());
                    self.icons.paint(ui.painter(), kind, icon, icon_color);
                    ui.add(
                        egui::Button::new(kind.label())
                            .frame(false)
                            .sense(egui::Sense::click_and_drag()),
                    )
                })
                .inner
                .on_hover_text(kind.explanation())
            };
            if response.drag_started() {
                egui::DragAndDrop::set_payload(ui.ctx(), kind);
            }
            if response.dragged() {
                ui.ctx().set_cursor_icon(egui::CursorIcon::Grabbing);
                if let Some(p) = ui.ctx().pointer_latest_pos() {
                    egui::Area::new(ui.make_persistent_id("palette-drag"))
                        .fixed_pos(p + egui::vec2(12.0, 12.0))
                        .order(egui::Order::Tooltip)
                        .show(ui.ctx(), |ui| {
                            egui::Frame::popup(ui.style()).show(ui, |ui| {
                                ui.label(format!("Add {}", kind.label().to_lowercase()))
                            });
                        });
                }
            }
            if response.clicked() {
                actions.push(Action::AddKind(kind, None));
            }
            ui.add_space(4.0);
        }
    }

    fn analysis_panel(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        ui.strong("What breaks first");
        ui.weak(
            "From the operational laws: each step saturates at this multiple of the design's \
             load, reached at its peak by the users shown.",
        );
        let red = Health::Saturated.color(ui.visuals().dark_mode);
        for line in ladder_lines(
            &self.analysis.ladder,
            self.load_multiplier(),
            self.users(),
            self.current_scenario()
                .map_or(1.0, |s| s.profile.peak_multiplier()),
        ) {
            match line {
                LadderLine::Here(text) => {
                    ui.label(RichText::new(text).strong())
                        .on_hover_text("The load running now, at the scenario's peak: the slider's users times the profile's highest multiplier.");
                }
                LadderLine::Step { id, text, broken } => {
                    let color = if broken {
                        red
                    } else {
                        ui.visuals().text_color()
                    };
                    if ui
                        .add(egui::Button::new(RichText::new(text).color(color)).frame(false))
                        .on_hover_text("Click to select it.")
                        .clicked()
                    {
                        actions.push(Action::Select(id));
                    }
                }
            }
        }
        if !self.analysis.spofs.is_empty() {
            ui.add_space(4.0);
            ui.strong("Single points of failure");
            for (id, why) in &self.analysis.spofs {
                let name = self
                    .doc
                    .design
                    .component(*id)
                    .map_or("?", |c| c.name.as_str());
                if ui
                    .add(
                        egui::Button::new(
                            RichText::new(format!("{name}: {why}"))
                                .color(Health::Saturated.color(ui.visuals().dark_mode)),
                        )
                        .frame(false)
                        .wrap(),
                    )
                    .clicked()
                {
                    actions.push(Action::Select(*id));
                }
            }
        }
        ui.add_space(4.0);
        let serves = self.doc.design.components().any(|(id, c)| {
            c.kind.name() == KindName::Client && self.doc.design.outgoing(id).next().is_some()
        });
        match &self.analysis.report {
            // Nothing to serve: no availability, cost or percentages of nothing.
            _ if !serves => {
                ui.weak("Nothing to serve yet: add a client and link it to what it calls.");
            }
            Some(r) => {
                if !r.law_checks.is_empty() {
                    ui.label(
                        RichText::new("Law check: these figures break an operational law")
                            .strong()
                            .color(red),
                    );
                    for check in &r.law_checks {
                        ui.label(RichText::new(&check.message).color(red));
                    }
                    ui.add_space(4.0);
                }
                let s = &r.system;
                ui.label(format!(
                    "Availability {:.4} % ({} min down a year), assuming independent failures and instant failover.",
                    s.availability * 100.0,
                    number(s.downtime_min_per_year)
                ));
                ui.label(format!(
                    "Cost {} {} a month · {}.",
                    number(s.cost_per_month),
                    s.currency,
                    s.cost_per_million_requests.map_or(
                        "nothing served, so no cost per request".to_string(),
                        |c| format!("{} per million requests", number(c))
                    )
                ));
            }
            None if self.analysis.running => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.weak("Analysing availability, failures and cost…");
                });
            }
            None => {}
        }
    }

    fn dialogs_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        if let Some(p) = self.pending.clone() {
            let name = self.doc.title();
            let modal = egui::Modal::new(egui::Id::unique("unsaved changes")).show(ctx, |ui| {
                ui.heading("Unsaved changes");
                ui.label(format!("Save the changes to {name} first?"));
                ui.horizontal(|ui| {
                    if ui.button("Save").clicked() {
                        actions.push(Action::SaveThen(p.clone()));
                    }
                    if ui.button("Don't save").clicked() {
                        actions.push(Action::Proceed(p.clone()));
                    }
                    if ui.button("Cancel").clicked() {
                        self.pending = None;
                    }
                });
            });
            if modal.should_close() {
                self.pending = None;
            }
        }
        if self.show_gallery {
            let mut open = true;
            egui::Window::new("Example designs")
                .open(&mut open)
                .collapsible(false)
                .show(ctx, |ui| {
                    ui.label("The story of a restaurant that goes viral, one move at a time:");
                    for (i, e) in EXAMPLES.iter().enumerate() {
                        let description = parse_design(e.text, &self.prices)
                            .map(|l| (l.design.name, l.design.description))
                            .unwrap_or_default();
                        ui.horizontal_wrapped(|ui| {
                            if ui.button(&description.0).clicked() {
                                actions.push(Action::OpenExample(i));
                                self.show_gallery = false;
                            }
                            ui.weak(&description.1);
                        });
                    }
                });
            if !open {
                self.show_gallery = false;
            }
        }
        if let Some((kind, mut text)) = self.path_prompt.take() {
            let mut keep = true;
            let (title, label, button) = match kind {
                files::DialogKind::Open => ("Open path", "Path of a design file:", "Open"),
                files::DialogKind::SaveAs => ("Save to path", "Save the design to:", "Save"),
            };
            egui::Window::new(title).collapsible(false).show(ctx, |ui| {
                ui.label(label);
                let r = ui.text_edit_singleline(&mut text);
                // The field takes the keyboard as the prompt opens (and whenever nothing else
                // has it): typing a path must not reach the shortcuts ("." steps a tick).
                if ui.memory(|m| m.focused().is_none()) {
                    r.request_focus();
                }
                ui.horizontal(|ui| {
                    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if ui.button(button).clicked() || enter {
                        let path = PathBuf::from(text.trim());
                        actions.push(match kind {
                            files::DialogKind::Open => Action::OpenPath(path),
                            files::DialogKind::SaveAs => Action::SaveTo(path),
                        });
                        keep = false;
                    }
                    if ui.button("Cancel").clicked() {
                        keep = false;
                        self.after_save = None;
                    }
                });
            });
            if keep {
                self.path_prompt = Some((kind, text));
            }
        }
    }

    fn open_compare_files(&mut self, a: &Path, b: &Path) {
        match compare::CompareView::from_files(a, b, &self.prices, self.repaint.as_ref()) {
            Ok(view) => self.compare = Some(view),
            Err(e) => {
                self.notice = Some(Notice {
                    text: e,
                    error: true,
                });
            }
        }
    }

    fn compare_command(&mut self, command: UiCommand) {
        let Some(scenario) = self.current_scenario().cloned() else {
            return;
        };
        let ctx = self.repaint.clone();
        let variant =
            |v| compare::CompareView::variant(&self.doc, &scenario, &self.prices, v, ctx.as_ref());
        let result = match command {
            UiCommand::ScaleUp => variant(compare::Variant::Up),
            UiCommand::ScaleOut => variant(compare::Variant::Out),
            _ => match &mut self.compare {
                Some(c) => {
                    c.start_sweep();
                    return;
                }
                None => variant(compare::Variant::Out).map(|mut c| {
                    c.start_sweep();
                    c
                }),
            },
        };
        match result {
            // Compare mode runs the users the editor runs.
            Ok(mut view) => {
                view.set_users(self.users());
                self.compare = Some(view);
            }
            Err(e) => {
                self.notice = Some(Notice {
                    text: e,
                    error: true,
                })
            }
        }
    }
}

fn format_time(s: f64) -> String {
    let s = s.max(0.0) as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// What the colours mean.
fn legend(ui: &mut Ui) {
    ui.strong("Legend");
    let dark = ui.visuals().dark_mode;
    for h in Health::ALL {
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 3.0, h.color(dark));
            // Wrapped: an unwrapped row would hold the side panel wider than a small window
            // can give it.
            ui.add(egui::Label::new(h.meaning()).wrap());
        });
    }
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
        ui.painter().rect_stroke(
            rect,
            3.0,
            egui::Stroke::new(2.5, Health::Saturated.color(dark)),
            egui::StrokeKind::Inside,
        );
        ui.add(egui::Label::new("red outline + SPOF badge: a single point of failure").wrap());
    });
    ui.label("dashed outline: some instances down · dashed link: async only · moving dashes: traffic flowing");
    ui.label("link letters: R read, W write, S static, A async; thicker = more requests");
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
            .with_min_inner_size([900.0, 600.0])
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

/// One line of the bottleneck ladder as the analysis panel shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum LadderLine {
    /// Where the load running now stands among the steps.
    Here(String),
    /// A step: its component, its text, and whether the load running now is past it.
    Step {
        id: ComponentId,
        text: String,
        broken: bool,
    },
}

/// The ladder's lines (at most eight steps) with a marker where the load running now stands:
/// `multiplier` is the slider's multiple of the design's load (`users` in all), `peak` the
/// scenario's highest profile multiplier. Each step says its multiple, and the users at which
/// the scenario's peak reaches it; the steps below the marker are broken now.
pub fn ladder_lines(
    ladder: &[(ComponentId, String, f64)],
    multiplier: f64,
    users: f64,
    peak: f64,
) -> Vec<LadderLine> {
    let running = multiplier * peak;
    let users_per_load = if multiplier > 0.0 {
        users / multiplier
    } else {
        0.0
    };
    let users_at = |at: f64| (users_per_load * at / peak.max(f64::MIN_POSITIVE)).round();
    let here = LadderLine::Here(format!(
        "you are here: ×{} at the scenario's peak ({} users)",
        number(running),
        crate::analysis::report::count(users.round() as u64)
    ));
    let mut lines = Vec::new();
    let mut placed = false;
    for (i, (id, name, at)) in ladder.iter().enumerate().take(8) {
        if !placed && *at > running {
            lines.push(here.clone());
            placed = true;
        }
        let broken = *at <= running;
        let when = if i == 0 { "breaks first at" } else { "then at" };
        lines.push(LadderLine::Step {
            id: *id,
            text: format!(
                "{when} ×{} ({} users): {name}{}",
                number(*at),
                crate::analysis::report::count(users_at(*at) as u64),
                if broken { " — broken now" } else { "" }
            ),
            broken,
        });
    }
    if !placed {
        lines.push(here);
    }
    lines
}
