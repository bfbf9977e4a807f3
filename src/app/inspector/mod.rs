//! The inspector: every parameter of the selected component (or link) with its unit, a sensible
//! range and a one-sentence tooltip. An edit is checked against the validation rules before it
//! is applied; a value that breaks one is refused on the spot, with the reason.
//!
//! - `fields`: the field widgets, and how a refusal names the field as shown;
//! - `kinds`: the fields of each kind of component, one function a kind;
//! - `link`: the inspector of a selected link.

mod fields;
mod kinds;
mod link;

use std::collections::HashMap;

use egui::Ui;

use super::Action;
use super::document::Edit;
use super::runner::NodeView;
use crate::analysis::report::{count, number};
use crate::model::{Component, ComponentId, ComponentKind, Design, LinkId, PriceTable, Subject};

use fields::{as_shown, refusals};
use link::link_inspector;

/// Inspector state kept between frames.
#[derive(Debug, Default)]
pub struct InspectorState {
    /// The last refused edit: which component, and why.
    pub refused: Option<(ComponentId, String)>,
    /// The last refused edit of a link.
    pub refused_link: Option<(LinkId, String)>,
    /// The name being typed, before it is committed.
    name_edit: Option<(ComponentId, String)>,
}

/// Show the inspector for the selection and collect edits.
pub fn show(
    ui: &mut Ui,
    design: &Design,
    (selection, selected_link): (&[ComponentId], Option<LinkId>),
    (nodes, tick_s): (&HashMap<ComponentId, NodeView>, f64),
    prices: &PriceTable,
    state: &mut InspectorState,
) -> Vec<Action> {
    let mut actions = Vec::new();
    // A refusal is about the value just typed: it goes once the component is left.
    let still_shown = matches!(selection, [id] if selected_link.is_none()
        && state.refused.as_ref().is_some_and(|(refused, _)| refused == id));
    if !still_shown {
        state.refused = None;
    }
    if state
        .refused_link
        .as_ref()
        .is_some_and(|(l, _)| Some(*l) != selected_link)
    {
        state.refused_link = None;
    }
    if let Some(link) = selected_link {
        link_inspector(ui, design, link, prices, state, &mut actions);
        return actions;
    }
    match selection {
        [] => {
            ui.weak("Select a component to see and edit its parameters.");
            ui.add_space(6.0);
            ui.label("Drag from the palette to add one; drag from a node's right port to link it.");
        }
        [id] => {
            if let Some(component) = design.component(*id) {
                component_inspector(
                    ui,
                    design,
                    *id,
                    component,
                    nodes.get(id).map(|v| (v, tick_s)),
                    prices,
                    state,
                    &mut actions,
                );
            }
        }
        many => {
            ui.strong(format!("{} components selected", many.len()));
            ui.label("Press L to link them in the order you selected them, Delete to remove them.");
        }
    }
    actions
}

#[allow(clippy::too_many_arguments)]
fn component_inspector(
    ui: &mut Ui,
    design: &Design,
    id: ComponentId,
    component: &Component,
    view: Option<(&NodeView, f64)>,
    prices: &PriceTable,
    state: &mut InspectorState,
    actions: &mut Vec<Action>,
) {
    let kind = component.kind.name();
    ui.heading(kind.label());
    ui.label(kind.explanation());
    ui.separator();
    let mut edited = component.clone();
    // The name commits when the field loses focus (so half-typed names are not applied).
    // Only while the field has focus does it hold typed text; otherwise it shows the
    // document as it is now — after an undo, a redo, a delete or a load, and for a new
    // component that took a deleted one's id.
    let field_id = ui.make_persistent_id(("component name", id));
    let typing = ui.memory(|m| m.has_focus(field_id));
    let buffer = match &mut state.name_edit {
        Some((edit_id, text)) if *edit_id == id && typing => text,
        slot => {
            *slot = Some((id, component.name.clone()));
            match slot {
                Some((_, text)) => text,
                None => return,
            }
        }
    };
    ui.horizontal(|ui| {
        let label = ui.label("Name");
        let r = ui
            .add(egui::TextEdit::singleline(buffer).id(field_id))
            .labelled_by(label.id)
            .on_hover_text("A name unique in the design.");
        if r.lost_focus() && *buffer != component.name {
            edited.name = buffer.clone();
        }
    });
    let mut changed = edited.name != component.name;
    egui::Grid::new("params")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            changed |= kind_fields(ui, &mut edited.kind, prices);
        });
    if changed {
        // Check the edit against the rules before applying it.
        let mut candidate = design.clone();
        if let Some(c) = candidate.component_mut(id) {
            *c = edited.clone();
        }
        // What the edit breaks: its component's errors, and any other it brings (a client's
        // users can push a scenario's peak past what can be simulated).
        let problems = refusals(
            design,
            &candidate,
            prices,
            |subject| matches!(subject, Subject::Component { name, .. } if *name == edited.name),
        );
        if problems.is_empty() {
            state.refused = None;
            state.name_edit = None;
            actions.push(Action::Edit(Edit::Replace(id, edited)));
        } else {
            state.refused = Some((id, as_shown(&problems.join("; "), &edited.kind)));
            if let Some((_, text)) = &mut state.name_edit {
                text.clone_from(&component.name);
            }
        }
    }
    if let Some((refused_id, why)) = &state.refused
        && *refused_id == id
    {
        ui.colored_label(ui.visuals().error_fg_color, format!("Refused: {why}"));
    }
    if let Some((v, tick_s)) = view {
        ui.separator();
        ui.strong("Now");
        let t = &v.tick;
        // This tick's counts as rates, as utilization has them; the expected rate beside.
        let per_s = |count: u64| number(count as f64 / tick_s);
        egui::Grid::new("now").num_columns(2).show(ui, |ui| {
            let mut row = |label: &str, value: String| {
                ui.label(label);
                ui.label(value);
                ui.end_row();
            };
            row(
                "arriving",
                format!(
                    "{} /s (expected {} /s)",
                    per_s(t.arrived_total()),
                    number(t.rate_in_per_s.iter().sum())
                ),
            );
            row("served", format!("{} /s", per_s(t.served_total())));
            row("utilization", format!("{:.1} %", t.utilization * 100.0));
            if t.capacity_per_s > 0.0 {
                row("capacity", format!("{} /s", number(t.capacity_per_s)));
            }
            row("waiting", count(t.backlog));
            row("dropped this tick", count(t.dropped_total()));
            if kind != crate::model::KindName::Client {
                row(
                    "latency",
                    format!(
                        "mean {} ms · p99 {} ms",
                        number(v.latency_mean_ms),
                        number(v.latency_p99_ms)
                    ),
                );
            }
            if let Some(h) = t.hit_ratio {
                row("hit ratio", format!("{:.1} %", h * 100.0));
            }
            if v.down > 0 {
                row(
                    "down",
                    format!("{} of {}", v.down, component.kind.machines()),
                );
            }
        });
    }
}

/// The fields of a kind; returns whether any changed.
fn kind_fields(ui: &mut Ui, kind: &mut ComponentKind, prices: &PriceTable) -> bool {
    match kind {
        ComponentKind::Client(p) => kinds::client_fields(ui, p),
        ComponentKind::LoadBalancer(p) => kinds::balancer_fields(ui, p),
        ComponentKind::Server(p) => kinds::server_fields(ui, p, prices),
        ComponentKind::Cache(p) => kinds::cache_fields(ui, p),
        ComponentKind::Database(p) => kinds::database_fields(ui, p, prices),
        ComponentKind::MessageQueue(p) => kinds::queue_fields(ui, p),
        ComponentKind::Cdn(p) => kinds::cdn_fields(ui, p),
    }
}
