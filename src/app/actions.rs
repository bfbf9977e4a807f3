//! What the user can ask for ([`Action`]) and the one place that carries it out:
//! [`SandboxApp::apply`] (undo, the dirty flag and validation live there), with the
//! commands behind menus and shortcuts, opening and saving.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use egui::Pos2;

use crate::model::{Component, ComponentId, Design, KindName, LinkId, parse_design, save_design};
use crate::sim::preflight::read_runnable_design;

use super::canvas::Clipboard;
use super::commands::UiCommand;
use super::document::{Document, Edit};
use super::files::EXAMPLES;
use super::runner::RunnerMsg;
use super::{Notice, SandboxApp};
use super::{canvas, compare, files};

/// A design's name as a file's name: lower case, dashes for spaces and for anything a file
/// name cannot hold everywhere (a slash would put the file in another folder).
pub(super) fn file_stem(name: &str) -> String {
    let stem: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem.trim_matches(['-', '.']);
    if stem.is_empty() {
        "design".into()
    } else {
        stem.to_string()
    }
}

/// Something the user asked for; carried out by [`SandboxApp::apply`].
#[derive(Clone, Debug)]
pub enum Action {
    /// Run a command from the menus, the toolbar or a shortcut.
    Command(UiCommand),
    /// Write a picture of the design here: Mermaid for `.mmd` or `.md`, PNG for `.png`,
    /// else SVG.
    ExportPictureTo(std::path::PathBuf),
    /// Write the report of what is open (the design, or the comparison) into this folder.
    ExportReportTo(std::path::PathBuf),
    /// Make the next fix the analysis panel offers (one undo step), and open compare mode on
    /// the design before it against after.
    ApplyAdvice,
    /// Change the design, as one undo step.
    Edit(Edit),
    /// Add a component of a kind (at a scene position, or the middle of the view).
    AddKind(KindName, Option<Pos2>),
    /// Select a component, then run a command on the selection.
    SelectThen(ComponentId, UiCommand),
    /// Select just this component (a line of the analysis panel was clicked).
    Select(ComponentId),
    /// Open the design file at this path (a recent, dropped or typed-in file), asking first about
    /// unsaved changes.
    OpenPath(PathBuf),
    /// Open the built-in example at this index in [`EXAMPLES`], asking first about unsaved changes.
    OpenExample(usize),
    /// Save the design to this path (picked in the save dialog or typed in).
    SaveTo(PathBuf),
    /// Save, then carry on with what waited for the answer about unsaved changes.
    SaveThen(Pending),
    /// Take this many instances of a component down in the running simulation (all of them for
    /// `None`).
    Fail(ComponentId, Option<u32>),
    /// Bring every down instance of a component back in the running simulation.
    Recover(ComponentId),
    /// Run the design's scenario of this name instead; the run starts again from time zero.
    SetScenario(String),
    /// The slider's multiple of the scenario's load.
    SetLoad(f64),
    /// Set how fast the run goes, in simulated seconds per real second (kept in the settings).
    SetSpeed(f64),
    /// Set the engine that makes the analysis panel's report (kept in the settings).
    SetEngine(crate::analysis::report::Engine),
    /// Draw the plots' confidence bands over this many runs (under 2: off).
    SetBandRuns(usize),
    /// Carry out what waited for an answer about unsaved changes.
    Proceed(Pending),
}

/// What waits while the user decides about unsaved changes.
#[derive(Clone, Debug)]
pub enum Pending {
    /// Start an empty design.
    New,
    /// Show the dialog to pick a design file to open.
    Open,
    /// Open the design file at this path.
    OpenPath(PathBuf),
    /// Open the built-in example at this index in [`EXAMPLES`].
    OpenExample(usize),
    /// Close the window.
    Quit,
}

impl SandboxApp {
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

    pub(super) fn open_example(&mut self, index: usize) {
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
    pub(super) fn save(&mut self, ctx: &egui::Context) {
        match self.doc.path.clone() {
            Some(p) => self.save_to(ctx, &p),
            None => self.ask_where_to_save(ctx),
        }
    }

    pub(super) fn ask_where_to_save(&mut self, ctx: &egui::Context) {
        let (name, folder) = (self.file_name_with("ron"), self.document_folder());
        if !self.dialogs.save_as(ctx, name, folder) {
            // Another dialog is open: nothing will answer for this save.
            self.after_save = None;
        }
    }

    /// The file name a file of the design is offered under: its name in lower case with
    /// dashes for spaces, and `extension`.
    pub(super) fn file_name_with(&self, extension: &str) -> String {
        format!("{}.{extension}", file_stem(&self.doc.design.name))
    }

    /// The folder of the document's file, where file dialogs start.
    pub(super) fn document_folder(&self) -> Option<std::path::PathBuf> {
        self.doc
            .path
            .as_ref()
            .and_then(|p| p.parent().map(Path::to_path_buf))
    }

    /// Write a picture of the design to `path` (Mermaid for `.mmd` or `.md`, PNG at twice the
    /// canvas's 100 % for `.png`, else SVG at 100 %), marked as the canvas marks it now:
    /// saturated components red, single points of failure outlined with a badge.
    pub fn export_picture_to(&mut self, path: &Path) {
        let bottlenecks = self.runner.with_output(|o| {
            o.nodes
                .iter()
                .filter(|(_, v)| v.saturated())
                .map(|(id, _)| *id)
                .collect()
        });
        let marks = crate::export::Marks {
            bottlenecks,
            spofs: self.analysis.spofs.keys().copied().collect(),
        };
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let bytes = match extension.as_str() {
            "mmd" | "md" => Ok(crate::export::mermaid(&self.doc.design, &marks).into_bytes()),
            // Twice the canvas's 100 %: sharp on a high-density screen or a slide (the
            // command line's `export --scale` chooses another).
            "png" => {
                crate::render::png_from_svg(&crate::export::svg(&self.doc.design, &marks, 1.0), 2.0)
            }
            // Vector: the scale sets only the size a viewer opens it at.
            _ => Ok(crate::export::svg(&self.doc.design, &marks, 1.0).into_bytes()),
        };
        let written = bytes.and_then(|bytes| {
            crate::model::file::write_atomically(path, |f| {
                use std::io::Write as _;
                f.write_all(&bytes)
            })
            .map_err(|e| e.to_string())
        });
        self.notice = Some(match written {
            Ok(()) => Notice {
                text: format!("Wrote a picture of the design to {}", path.display()),
                error: false,
            },
            Err(e) => Notice {
                text: format!("Could not write {}: {e}", path.display()),
                error: true,
            },
        });
    }

    pub(super) fn ask_unless_clean(&mut self, ctx: &egui::Context, then: Pending) {
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
            Action::ExportPictureTo(p) => self.export_picture_to(&p),
            Action::ExportReportTo(p) => self.export_report_to(&p),
            Action::ApplyAdvice => self.apply_advice(),
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
            Action::SetBandRuns(runs) => {
                self.settings.band_runs = runs;
                self.update_bands();
            }
            Action::SetEngine(engine) => {
                if self.settings.engine != engine {
                    self.settings.engine = engine;
                    self.refresh_analysis();
                }
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
                        let folder = self.document_folder();
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

    pub(super) fn command(&mut self, ctx: &egui::Context, command: UiCommand) {
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
            UiCommand::ExportPicture => {
                let (name, folder) = (self.file_name_with("svg"), self.document_folder());
                self.dialogs.export_picture(ctx, name, folder);
            }
            UiCommand::ExportReport => {
                let folder = self.document_folder();
                self.dialogs.export_report(ctx, folder);
            }
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
            UiCommand::ShowJourney => self.show_journey = true,
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
            UiCommand::CrossCheck => self.start_cross_check(),
        }
    }

    pub(super) fn open_compare_files(&mut self, a: &Path, b: &Path) {
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

    /// Make the next fix the analysis panel offers, as one undo step, and open compare mode
    /// on the design before it (A) against after (B), with what changed and the ladder before
    /// and after as its note.
    pub(super) fn apply_advice(&mut self) {
        if self.journey_job.is_some() {
            self.notice = Some(Notice {
                text: "The last fix is still being measured for the journey; apply the next in a moment.".into(),
                error: false,
            });
            return;
        }
        self.refresh_advice();
        let Some((_, Ok(Some(advice)))) = self.analysis.advice.take() else {
            return;
        };
        let Some(scenario) = self.current_scenario().cloned() else {
            return;
        };
        let before = self.doc.design.clone();
        let titles = (
            format!("before: {}", self.doc.title()),
            format!("after: {}", advice.action.label()),
        );
        // The fix is made at once; its journey step (a run of the design before it, if the
        // journey starts here, and of the design after it) is measured on a thread of its
        // own and put on the design when it comes (see `poll_journey`).
        let after = advice.design.clone();
        let note = format!("{} Ladder: {}.", advice.change, advice.before_after());
        self.doc.apply(Edit::Design(after.clone()));
        self.canvas.prune(&self.doc.design);
        let prices = self.prices.clone();
        let job_scenario = scenario.clone();
        let job_before = before.clone();
        let job = move || {
            crate::analysis::advise::with_journey(&job_before, &advice, &job_scenario, &prices)
        };
        match super::background::start(self.repaint.clone(), "journey", job, |e| {
            Err(format!("could not start measuring the fix: {e}"))
        }) {
            super::background::Started::Pending(rx) => self.journey_job = Some((after.clone(), rx)),
            super::background::Started::Done(result) => self.journey_measured(&after, result),
        }
        let mut view = compare::CompareView::pair(
            before,
            after,
            titles,
            &scenario,
            &self.prices,
            self.repaint.as_ref(),
        );
        view.note = Some(note);
        view.set_users(self.users());
        self.compare = Some(view);
    }

    /// Take a fix's measured journey step from its thread.
    pub(super) fn poll_journey(&mut self) {
        let Some((_, rx)) = &self.journey_job else {
            return;
        };
        let result = match rx.try_recv() {
            Ok(result) => result,
            Err(std::sync::mpsc::TryRecvError::Empty) => return,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                Err("the measuring thread stopped".into())
            }
        };
        if let Some((expected, _)) = self.journey_job.take() {
            self.journey_measured(&expected, result);
        }
    }

    /// A fix's journey step has been measured: put it on the design if the design is still
    /// the one the fix made (an edit since would make the step describe another design).
    fn journey_measured(&mut self, expected: &Design, result: Result<Design, String>) {
        match result {
            Ok(measured) if self.doc.design == *expected => {
                self.doc.set_journey(measured.journey);
            }
            Ok(_) => {
                self.notice = Some(Notice {
                    text:
                        "The fix was measured after further edits: the journey has no step for it."
                            .into(),
                    error: false,
                });
            }
            Err(e) => {
                self.notice = Some(Notice {
                    text: format!("The fix is made, but not added to the journey: {e}"),
                    error: true,
                });
            }
        }
    }

    pub(super) fn compare_command(&mut self, command: UiCommand) {
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
