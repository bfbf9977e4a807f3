//! The canvas's right-click menus and a node's hover card.

use egui::{Pos2, Ui};

use crate::app::Action;
use crate::app::commands::UiCommand;
use crate::app::runner::NodeView;
use crate::model::{Component, ComponentId, KindName};

use super::CanvasInputs;
use super::draw::Health;
use super::geometry::NODE_SIZE;

/// The right-click menu of a node.
pub(super) fn node_menu(
    ui: &mut Ui,
    id: ComponentId,
    component: &Component,
    inputs: &CanvasInputs,
    actions: &mut Vec<Action>,
) {
    let instances = component.kind.instances();
    let down = inputs.nodes.get(&id).map_or(0, |v| v.down);
    let fails = component.kind.reliability().is_some();
    if ui
        .add_enabled(
            fails && down < instances,
            egui::Button::new("Fail one instance"),
        )
        .on_hover_text("Take one instance down now; balancers notice after their health checks.")
        .clicked()
    {
        actions.push(Action::Fail(id, Some(1)));
        ui.close();
    }
    if ui
        .add_enabled(
            fails && down < instances,
            egui::Button::new("Fail all instances"),
        )
        .on_hover_text("Take the whole component down now.")
        .clicked()
    {
        actions.push(Action::Fail(id, None));
        ui.close();
    }
    if ui
        .add_enabled(down > 0, egui::Button::new("Recover"))
        .on_hover_text("Bring every down instance back (a cache comes back cold).")
        .clicked()
    {
        actions.push(Action::Recover(id));
        ui.close();
    }
    ui.separator();
    for command in [UiCommand::Copy, UiCommand::Duplicate, UiCommand::Delete] {
        if command.button(ui, true) {
            actions.push(Action::SelectThen(id, command));
        }
    }
}

/// The hover card of a node: what it is, what it is doing, and why it is red.
pub(super) fn node_tooltip(
    ui: &mut Ui,
    component: &Component,
    view: Option<(&NodeView, f64)>,
    spof: Option<&String>,
) {
    use crate::analysis::report::number;
    let kind = component.kind.name();
    ui.strong(format!("{} — {}", component.name, kind.label()));
    ui.label(kind.explanation());
    let Some((v, tick_s)) = view else {
        return;
    };
    ui.separator();
    let t = &v.tick;
    let per_s = |count: u64| number(count as f64 / tick_s);
    ui.label(format!(
        "{} requests/s arriving (expected {}/s), {}/s served, {} dropped this tick",
        per_s(t.arrived_total()),
        number(t.rate_in_per_s.iter().sum()),
        per_s(t.served_total()),
        crate::analysis::report::count(t.dropped_total())
    ));
    if t.capacity_per_s > 0.0 {
        ui.label(format!(
            "utilization {:.0} % of {} requests/s capacity; {} waiting",
            t.utilization * 100.0,
            number(t.capacity_per_s),
            crate::analysis::report::count(t.backlog)
        ));
    }
    if kind != KindName::Client {
        ui.label(format!(
            "latency here: mean {} ms, p99 {} ms (queueing model at the expected rate)",
            number(v.latency_mean_ms),
            number(v.latency_p99_ms)
        ));
    }
    if let Some(h) = t.hit_ratio {
        ui.label(format!("hit ratio {:.1} %", h * 100.0));
    }
    if v.down > 0 {
        ui.colored_label(
            Health::Down.color(ui.visuals().dark_mode),
            format!(
                "{} of {} instances down",
                v.down,
                component.kind.instances()
            ),
        );
    }
    let red = Health::Saturated.color(ui.visuals().dark_mode);
    if t.utilization >= crate::sim::report::SATURATED_UTILIZATION {
        ui.colored_label(
            red,
            format!(
                "Red: saturated — {:.0} % busy (90 % or more means requests queue up fast).",
                t.utilization * 100.0
            ),
        );
    }
    if t.overflow_dropped > 0 {
        ui.colored_label(
            red,
            format!(
                "Red: shedding {} requests this tick for lack of capacity.",
                number(t.overflow_dropped as f64)
            ),
        );
    }
    if let Some(why) = spof {
        ui.colored_label(red, format!("Single point of failure: {why}"));
    }
}

/// The right-click menu of the empty canvas: add a component where the pointer is, paste,
/// select all, fit.
pub(super) fn background_menu(ui: &mut Ui, at: Option<Pos2>, actions: &mut Vec<Action>) {
    ui.menu_button("Add here", |ui| {
        for kind in KindName::ALL {
            if ui
                .button(kind.label())
                .on_hover_text(kind.explanation())
                .clicked()
            {
                actions.push(Action::AddKind(kind, at.map(|p| p - NODE_SIZE / 2.0)));
                ui.close();
            }
        }
    });
    for command in [UiCommand::Paste, UiCommand::SelectAll, UiCommand::FitView] {
        if command.button(ui, true) {
            actions.push(Action::Command(command));
        }
    }
}
