//! The engines' cross-check window: both engines on the design and scenario being run, each
//! several times, figure by figure (see [`crate::analysis::cross_check`]), on a background
//! thread; rows that differ by more than the runs' noise in red, rows that differ by design
//! in amber with the reason in words.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;

use super::background::Started;

use egui::{RichText, Ui};

use crate::analysis::cross_check::{
    CrossCheck, DEFAULT_REPLICATIONS, Verdict, cross_check_counted,
};
use crate::analysis::report::number;

use super::SandboxApp;
use super::canvas::Health;

/// The window's title.
pub const TITLE: &str = "Cross-check engines";

/// What the live plots and the engine choice's tooltip say about the engines.
pub const ENGINE_TOOLTIP: &str = "Which engine makes the analysis panel's report. The live \
     plots and the canvas are always the flow engine's (counts per tick, waits from queueing \
     formulas). The events engine runs the scenario request by request on a background \
     thread: slower, the referee for the flow engine's formulas (failures and sessions in \
     memory included).";

/// A cross-check running or done, and its window.
#[derive(Default)]
pub struct CrossCheckView {
    /// Whether the window is open.
    pub open: bool,
    /// Runs finished so far (both engines').
    pub progress: Arc<AtomicUsize>,
    /// Runs in all: two engines × the replications.
    pub total: usize,
    /// The finished cross-check, or why it could not run (in words); `None` while it runs.
    pub result: Option<Result<CrossCheck, String>>,
    /// The design revision it ran on.
    pub revision: u64,
    pending: Option<Receiver<Result<CrossCheck, String>>>,
}

impl CrossCheckView {
    /// Whether a cross-check is running in the background.
    pub fn running(&self) -> bool {
        self.pending.is_some()
    }
}

impl SandboxApp {
    /// Open the window and cross-check the design and scenario being run, at the load the
    /// slider runs (on a background thread in the app, inline in tests).
    pub(super) fn start_cross_check(&mut self) {
        self.cross_check.open = true;
        if self.cross_check.running() {
            return;
        }
        let Some(mut scenario) = self.current_scenario().cloned() else {
            self.cross_check.result = Some(Err("The design has no scenario to run.".into()));
            return;
        };
        scenario.load_multiplier = self.load_multiplier();
        let design = self.doc.design.clone();
        let prices = self.prices.clone();
        let progress = Arc::new(AtomicUsize::new(0));
        self.cross_check = CrossCheckView {
            open: true,
            progress: Arc::clone(&progress),
            total: 2 * DEFAULT_REPLICATIONS,
            result: None,
            revision: self.doc.revision,
            pending: None,
        };
        let job = move || {
            cross_check_counted(
                &design,
                &scenario,
                &prices,
                &crate::sim::RunOptions::default(),
                DEFAULT_REPLICATIONS,
                &progress,
            )
            .map_err(|e| e.to_string())
        };
        match super::background::start(self.repaint.clone(), "cross-check", job, |e| {
            Err(format!("Could not start the cross-check: {e}"))
        }) {
            Started::Pending(rx) => self.cross_check.pending = Some(rx),
            Started::Done(result) => self.cross_check.result = Some(result),
        }
    }

    /// Take a finished cross-check from its thread.
    pub(super) fn poll_cross_check(&mut self) {
        if let Some(rx) = &self.cross_check.pending
            && let Ok(result) = rx.try_recv()
        {
            self.cross_check.pending = None;
            self.cross_check.result = Some(result);
        }
    }

    /// The window, while it is open.
    pub(super) fn cross_check_window(&mut self, ctx: &egui::Context) {
        if !self.cross_check.open {
            return;
        }
        let mut open = true;
        let mut again = false;
        let stale = self.cross_check.revision != self.doc.revision;
        egui::Window::new(TITLE)
            .open(&mut open)
            .default_size([760.0, 520.0])
            .show(ctx, |ui| {
                again = cross_check_ui(ui, &self.cross_check, stale);
            });
        self.cross_check.open = open;
        if again {
            self.start_cross_check();
        }
        if self.cross_check.running() {
            ctx.request_repaint_after(std::time::Duration::from_millis(200));
        }
    }
}

/// The window's contents; returns whether "Run again" was clicked.
fn cross_check_ui(ui: &mut Ui, view: &CrossCheckView, stale: bool) -> bool {
    let Some(result) = &view.result else {
        let done = view.progress.load(Ordering::Relaxed);
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!(
                "Running both engines, {DEFAULT_REPLICATIONS} times each… {done} of {} runs done.",
                view.total
            ));
        });
        ui.weak(
            "The events engine runs request by request: on a long scenario this takes a while.",
        );
        return false;
    };
    let dark = ui.visuals().dark_mode;
    let red = Health::Saturated.color(dark);
    let amber = Health::Busy.color(dark);
    let mut again = false;
    ui.horizontal_wrapped(|ui| {
        again = ui
            .button("Run again")
            .on_hover_text("Cross-check the design as it is now, at the load running now.")
            .clicked();
        if stale {
            ui.label(
                RichText::new("The design has changed since this ran.")
                    .color(ui.visuals().warn_fg_color),
            );
        }
    });
    let check = match result {
        Ok(check) => check,
        Err(e) => {
            ui.label(
                RichText::new(format!("The engines could not be cross-checked: {e}."))
                    .color(ui.visuals().error_fg_color),
            );
            return again;
        }
    };
    ui.label(format!(
        "\"{}\" at load ×{}: the flow and events engines, {} runs each on the same seeds, {} s a run. Each figure is a mean ± the half-width of its 95 % interval.",
        check.scenario,
        number(check.load_multiplier),
        check.replications,
        number(check.duration_s),
    ));
    let (agree, differ, by_design) = check.counts();
    let plain = ui.visuals().text_color();
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{agree} agree ·"));
        ui.label(
            RichText::new(format!("{differ} differ")).color(if differ > 0 { red } else { plain }),
        )
        .on_hover_text(DIFFERS);
        ui.label("·");
        ui.label(
            RichText::new(format!("{by_design} differ by design")).color(if by_design > 0 {
                amber
            } else {
                plain
            }),
        )
        .on_hover_text(
            "The engines model this part of the design differently on purpose; the reason is \
             said in words.",
        );
        let slight = check
            .rows
            .iter()
            .filter(|r| r.verdict == Verdict::Slight)
            .count();
        ui.label("·");
        ui.label(format!("{slight} slight")).on_hover_text(SLIGHT);
    });
    // The reasons before the table, so that a long table never hides them.
    let reasons = check.reasons();
    if !reasons.is_empty() {
        ui.label(RichText::new("Where the engines model the design differently:").color(amber));
        for reason in reasons {
            ui.add(egui::Label::new(RichText::new(format!("• {reason}")).color(amber)).wrap());
        }
    }
    if differ > 0 {
        ui.add(egui::Label::new(RichText::new(DIFFERS).color(red)).wrap());
    }
    ui.separator();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("cross-check")
                .striped(true)
                .num_columns(6)
                .show(ui, |ui| {
                    for heading in ["", "", "flow", "events", "Δ", ""] {
                        ui.strong(heading);
                    }
                    ui.end_row();
                    let mut last = None;
                    for row in &check.rows {
                        let who = row.who();
                        ui.label(if last == Some(who) { "" } else { who });
                        last = Some(who);
                        let (color, mark, why) = match &row.verdict {
                            Verdict::Agree => (None, "", None),
                            Verdict::Differs => (Some(red), "differs", Some(DIFFERS.to_string())),
                            Verdict::DiffersByDesign(reason) => {
                                (Some(amber), "by design", Some(reason.clone()))
                            }
                            Verdict::Slight => (None, "slight", Some(SLIGHT.to_string())),
                        };
                        let text = |s: String| match color {
                            Some(c) => RichText::new(s).color(c),
                            None => RichText::new(s),
                        };
                        let cells = [
                            row.figure.label().to_string(),
                            row.show(row.flow),
                            row.show(row.events),
                            row.show_difference(),
                            mark.to_string(),
                        ];
                        for cell in cells {
                            let response = ui.label(text(cell));
                            if let Some(why) = &why {
                                response.on_hover_text(why);
                            }
                        }
                        ui.end_row();
                    }
                });
        });
    again
}

/// What a row that differs slightly means (its tooltip).
const SLIGHT: &str = "Slight: the engines' intervals do not overlap, but they are closer \
     than the agreement the engines are held to (2 % for throughput, success and utilization, \
     5 % for mean latencies, 10 % for p99): a real difference, too small to matter. The flow \
     engine's means come from formulas with almost no noise, so their approximations show.";

/// What a row that differs means (its tooltip, and a note when there are some).
const DIFFERS: &str = "Red: the two engines' 95 % intervals do not overlap, with no reason \
     in the design. Usually the flow engine's formula is off there, the events engine being \
     the referee; a figure that truly agrees is marked by chance about 1 time in 180.";
