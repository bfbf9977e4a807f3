//! The side panel's analysis: what breaks first (the bottleneck ladder with "you are here"),
//! single points of failure, availability and cost; worked out when the design changes, the
//! slow part on a background thread.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, channel};

use egui::{RichText, Ui};

use crate::analysis::advise::Advice;
use crate::analysis::report::{
    AnalysisOptions, Engine, FailureAnalysis, SimulateReport, analyze, number,
};
use crate::analysis::spof::structural_spofs;
use crate::model::{ComponentId, KindName};
use crate::sim::laws::operational_laws;

use super::canvas::Health;
use super::commands::UiCommand;
use super::cross_check::ENGINE_TOOLTIP;
use super::{Action, SandboxApp};

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
    /// The full report is being worked out in the background.
    pub running: bool,
    /// Why the last report could not be made (such as a design the events engine does not
    /// model yet), in words.
    pub error: Option<String>,
    pending: Option<Receiver<(u64, Result<SimulateReport, String>)>>,
    /// The next fix at the load running now: what it is for (the design revision, the
    /// scenario and the load), and the advice (`None`: nothing to fix).
    pub advice: Option<(AdviceKey, Result<Option<Advice>, String>)>,
}

/// What an advice is for: the design's revision, the scenario's name and the load's bits.
pub type AdviceKey = (u64, String, u64);

/// One line of the bottleneck ladder as the analysis panel shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum LadderLine {
    /// Where the load running now stands among the steps.
    Here(String),
    /// A step: its component, its text, and whether the load running now is past it.
    Step {
        /// The component that saturates at this step (clicking the line selects it).
        id: ComponentId,
        /// The line as shown: the step's multiple of the load, the users at which the scenario's
        /// peak reaches it, and the component's name.
        text: String,
        /// The load running now is past this step (the line is drawn red).
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

/// An engine's name in a sentence.
fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Flow => "flow",
        Engine::Events => "events",
    }
}

impl SandboxApp {
    /// The panel's header: which engine makes the report, and the cross-check of both.
    fn engine_choice(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Report engine").on_hover_text(ENGINE_TOOLTIP);
            let current = self.settings.engine;
            egui::ComboBox::from_id_salt("report-engine")
                .selected_text(engine_name(current))
                .show_ui(ui, |ui| {
                    for (engine, what) in [
                        (
                            Engine::Flow,
                            "counts per tick, waits from formulas; fast, every feature",
                        ),
                        (
                            Engine::Events,
                            "request by request through real queues; the referee",
                        ),
                    ] {
                        if ui
                            .selectable_label(current == engine, engine_name(engine))
                            .on_hover_text(what)
                            .clicked()
                        {
                            actions.push(Action::SetEngine(engine));
                        }
                    }
                })
                .response
                .on_hover_text(ENGINE_TOOLTIP)
                .labelled_by(label.id);
            if ui
                .button(UiCommand::CrossCheck.label())
                .on_hover_text(UiCommand::CrossCheck.tooltip())
                .clicked()
            {
                actions.push(Action::Command(UiCommand::CrossCheck));
            }
        });
    }

    /// Work out the ladder and structural SPOFs now; start the full analysis in the background.
    pub(super) fn refresh_analysis(&mut self) {
        self.analysis.revision = self.doc.revision;
        self.analysis.report = None;
        self.analysis.error = None;
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
        let engine = self.settings.engine;
        let spawned = std::thread::Builder::new()
            .name("analysis".into())
            .spawn(move || {
                let options = AnalysisOptions {
                    run: crate::sim::RunOptions {
                        samples_per_tick: Some(4),
                        ..crate::sim::RunOptions::default()
                    },
                    failure_analysis: FailureAnalysis::Auto,
                    engine,
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

    pub(super) fn poll_analysis(&mut self) {
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
        let report = match result {
            Ok(report) => report,
            Err(e) => {
                self.analysis.error = Some(e);
                return;
            }
        };
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

    /// The next fix for the design at the load running now, worked out again when either
    /// changed (the laws only: no simulation).
    pub(super) fn refresh_advice(&mut self) {
        let load = self.load;
        let Some(scenario) = self.current_scenario() else {
            self.analysis.advice = None;
            return;
        };
        let key = (self.doc.revision, scenario.name.clone(), load.to_bits());
        if self
            .analysis
            .advice
            .as_ref()
            .is_some_and(|(k, _)| *k == key)
        {
            return;
        }
        let advice =
            crate::analysis::advise::advise(&self.doc.design, scenario, &self.prices, load);
        self.analysis.advice = Some((key, advice));
    }

    /// "Fix the next bottleneck": what breaks, the move and why, and the button that makes it.
    fn next_fix_ui(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        // On a large design the advice takes a while (`advise` on 5,000 servers that each need
        // a spare: 0.4 s with reading the file, dev profile): while the
        // slider is dragged it waits for the release instead of stalling every frame.
        let dragging = ui.input(|i| i.pointer.any_down());
        if !(dragging
            && self.analysis.advice.is_some()
            && self.doc.design.component_count() > 1_000)
        {
            self.refresh_advice();
        }
        let Some((_, advice)) = &self.analysis.advice else {
            return;
        };
        ui.add_space(4.0);
        ui.strong("Fix the next bottleneck");
        match advice {
            Ok(Some(a)) => {
                ui.label(format!("{}: {}", a.component, a.action.label()));
                ui.weak(&a.change);
                ui.weak(&a.reason);
                if ui
                    .button("Apply the fix and compare")
                    .on_hover_text(format!(
                        "Make the move (Undo takes it back) and open compare mode: the design before it against after ({}).",
                        a.before_after()
                    ))
                    .clicked()
                {
                    actions.push(Action::ApplyAdvice);
                }
            }
            Ok(None) => {
                let said = self
                    .current_scenario()
                    .map_or_else(String::new, crate::analysis::advise::nothing_to_fix);
                ui.weak(format!("Nothing to fix at this load: {said}"));
            }
            Err(e) => {
                ui.weak(format!("No advice: {e}"));
            }
        }
        let fixes = self
            .doc
            .design
            .journey
            .as_ref()
            .map_or(0, |j| j.steps.len().saturating_sub(1));
        if fixes > 0
            && ui
                .button(format!(
                    "Journey: {fixes} fix{} so far…",
                    if fixes == 1 { "" } else { "es" }
                ))
                .on_hover_text(UiCommand::ShowJourney.tooltip())
                .clicked()
        {
            actions.push(Action::Command(UiCommand::ShowJourney));
        }
    }

    pub(super) fn analysis_panel(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        self.engine_choice(ui, actions);
        ui.add_space(4.0);
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
        self.next_fix_ui(ui, actions);
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
                let s = &r.system;
                ui.label(format!(
                    "The {} engine over the scenario: {} done/s · {:.2} % ok · p99 {} ms.",
                    engine_name(r.engine),
                    number(s.run.throughput_per_s),
                    s.run.success_ratio * 100.0,
                    number(s.run.latency_ms.p99)
                ))
                .on_hover_text("The report's run: the whole scenario at the load running now, after its warm-up.");
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
            None if self.analysis.error.is_some() => {
                let e = self.analysis.error.as_deref().unwrap_or_default();
                ui.label(
                    RichText::new(format!(
                        "No report from the {} engine: {e}.",
                        engine_name(self.settings.engine)
                    ))
                    .color(ui.visuals().warn_fg_color),
                );
            }
            None => {}
        }
    }
}
