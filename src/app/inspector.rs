//! The inspector: every parameter of the selected component (or link) with its unit, a sensible
//! range and a one-sentence tooltip. An edit is checked against the validation rules before it
//! is applied; a value that breaks one is refused on the spot, with the reason.

use std::collections::HashMap;

use egui::{DragValue, Ui};

use super::Action;
use super::document::Edit;
use super::runner::NodeView;
use crate::analysis::report::{count, number};
use crate::model::validate::{
    MAX_CONSUMERS, MAX_INSTANCES, MAX_KEYS, MAX_SHARDS, MAX_UNHEALTHY_THRESHOLD,
};
use crate::model::{
    ArrivalProcess, BalancingAlgorithm, Component, ComponentId, ComponentKind, Design, HitRatio,
    Link, LinkId, Partitioning, PriceTable, Reliability, SessionState, Severity, Subject,
    TrafficClass, validate,
};

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

/// A labelled number with a unit and a tooltip; returns whether it changed.
fn number_field(
    ui: &mut Ui,
    label: &str,
    value: &mut f64,
    unit: &str,
    speed: f64,
    tip: &str,
) -> bool {
    let label = ui.label(label).on_hover_text(tip);
    let r = ui
        .add(
            DragValue::new(value)
                .speed(speed)
                .suffix(unit)
                .max_decimals(4),
        )
        .labelled_by(label.id)
        .on_hover_text(tip);
    ui.end_row();
    r.changed()
}

/// A labelled count from 0 (which validation refuses, with the reason) to `max`, the bound
/// validation allows.
fn count_field(
    ui: &mut Ui,
    label: &str,
    (value, max): (&mut u32, u32),
    unit: &str,
    tip: &str,
) -> bool {
    let label = ui.label(label).on_hover_text(tip);
    let r = ui
        .add(
            DragValue::new(value)
                .speed(0.05)
                .range(0..=max)
                .suffix(unit),
        )
        .labelled_by(label.id)
        .on_hover_text(tip);
    ui.end_row();
    r.changed()
}

/// A count that may run to trillions (a database's keys): typed, or dragged in big steps.
fn wide_count_field(
    ui: &mut Ui,
    label: &str,
    (value, max): (&mut u64, u64),
    unit: &str,
    tip: &str,
) -> bool {
    let label = ui.label(label).on_hover_text(tip);
    let speed = (*value as f64 * 0.01).max(1.0);
    let r = ui
        .add(
            DragValue::new(value)
                .speed(speed)
                .range(1..=max)
                .suffix(unit),
        )
        .labelled_by(label.id)
        .on_hover_text(tip);
    ui.end_row();
    r.changed()
}

fn reliability_fields(ui: &mut Ui, r: &mut Reliability) -> bool {
    let mut changed = number_field(
        ui,
        "MTBF",
        &mut r.mtbf_hours,
        " h",
        10.0,
        "Mean time between failures of one instance: on average it runs this long before it breaks.",
    );
    changed |= number_field(
        ui,
        "MTTR",
        &mut r.mttr_hours,
        " h",
        0.1,
        "Mean time to repair one instance: how long it stays down when it breaks.",
    );
    changed
}

fn share_field(ui: &mut Ui, label: &str, value: &mut f64, tip: &str) -> bool {
    let label = ui.label(label).on_hover_text(tip);
    let mut percent = *value * 100.0;
    let r = ui
        .add(
            DragValue::new(&mut percent)
                .speed(0.5)
                .suffix(" %")
                .max_decimals(2),
        )
        .labelled_by(label.id)
        .on_hover_text(tip);
    ui.end_row();
    if r.changed() {
        *value = percent / 100.0;
    }
    r.changed()
}

/// A labelled choice among `options`, each shown by `name`, with a tooltip; returns whether
/// it changed.
fn choice_field<T: Copy + PartialEq>(
    ui: &mut Ui,
    label: &str,
    value: &mut T,
    options: &[T],
    name: impl Fn(T) -> String,
    tip: &str,
) -> bool {
    let label_response = ui.label(label).on_hover_text(tip);
    let mut changed = false;
    egui::ComboBox::from_id_salt(label)
        .selected_text(name(*value))
        .show_ui(ui, |ui| {
            for &option in options {
                changed |= ui.selectable_value(value, option, name(option)).changed();
            }
        })
        .response
        .labelled_by(label_response.id)
        .on_hover_text(tip);
    ui.end_row();
    changed
}

fn size_field(ui: &mut Ui, size: &mut String, prices: &PriceTable, tip: &str) -> bool {
    let label = ui.label("Size").on_hover_text(tip);
    let mut changed = false;
    egui::ComboBox::from_id_salt("size")
        .selected_text(size.as_str())
        .show_ui(ui, |ui| {
            for s in &prices.sizes {
                let text = format!(
                    "{} — {} vCPU, {} GiB, {} {}/month",
                    s.name, s.vcpu, s.memory_gib, s.price_per_month, prices.currency
                );
                if ui.selectable_label(*size == s.name, text).clicked() {
                    *size = s.name.clone();
                    changed = true;
                }
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text(tip);
    ui.end_row();
    changed
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
    let mut c = false;
    match kind {
        ComponentKind::Client(p) => {
            let label = ui
                .label("Users")
                .on_hover_text("How many people use the system (the load slider multiplies them).");
            c |= ui
                .add(
                    DragValue::new(&mut p.users)
                        .speed(10.0)
                        .range(0..=u64::MAX / 4),
                )
                .labelled_by(label.id)
                .on_hover_text("How many people use the system; the load slider multiplies them.")
                .changed();
            ui.end_row();
            c |= number_field(
                ui,
                "Rate per user",
                &mut p.rate_per_user_per_s,
                " req/s",
                0.001,
                "Requests each user sends per second, on average.",
            );
            c |= share_field(
                ui,
                "Reads",
                &mut p.mix.read,
                "Share of requests that only read (a cache or replica can answer them).",
            );
            c |= share_field(
                ui,
                "Writes",
                &mut p.mix.write,
                "Share of requests that change data (they always reach the primary database).",
            );
            c |= share_field(
                ui,
                "Static",
                &mut p.mix.static_files,
                "Share of requests for images and files (a CDN can answer them).",
            );
            c |= share_field(
                ui,
                "Async",
                &mut p.mix.async_jobs,
                "Share of requests that start background work (a queue can take it).",
            );
            c |= choice_field(
                ui,
                "Arrivals",
                &mut p.arrivals,
                &[ArrivalProcess::Poisson, ArrivalProcess::Constant],
                |a| format!("{a:?}"),
                "Poisson: independent users; constant: an even stream.",
            );
        }
        ComponentKind::LoadBalancer(p) => {
            c |= choice_field(
                ui,
                "Algorithm",
                &mut p.algorithm,
                &BalancingAlgorithm::ALL,
                |a| a.label().to_string(),
                "How the balancer picks an instance for each request.",
            );
            c |= count_field(
                ui,
                "Instances",
                (&mut p.instances, MAX_INSTANCES),
                "",
                "Balancer instances sharing the traffic (two avoid a single point of failure).",
            );
            c |= number_field(
                ui,
                "Capacity",
                &mut p.capacity_per_s,
                " req/s",
                100.0,
                "Requests per second one instance can pass.",
            );
            c |= number_field(
                ui,
                "Latency",
                &mut p.latency_ms,
                " ms",
                0.05,
                "Time to pass one request through.",
            );
            c |= number_field(
                ui,
                "Health check",
                &mut p.health_check_interval_s,
                " s",
                0.5,
                "Seconds between checks of each target instance.",
            );
            c |= count_field(
                ui,
                "Unhealthy after",
                (&mut p.unhealthy_threshold, MAX_UNHEALTHY_THRESHOLD),
                " checks",
                "Failed checks in a row before an instance leaves rotation.",
            );
            c |= number_field(
                ui,
                "Timeout",
                &mut p.timeout_ms,
                " ms",
                50.0,
                "Requests that would wait longer are dropped.",
            );
            c |= reliability_fields(ui, &mut p.reliability);
        }
        ComponentKind::Server(p) => {
            c |= size_field(
                ui,
                &mut p.size,
                prices,
                "Instance size: more vCPUs serve more, never quite in proportion (USL). The largest is the ceiling.",
            );
            c |= count_field(
                ui,
                "Instances",
                (&mut p.instances, MAX_INSTANCES),
                "",
                "Identical instances; more of them need a balancer in front.",
            );
            c |= number_field(
                ui,
                "Service time",
                &mut p.service_time_ms,
                " ms",
                0.5,
                "CPU time one request needs on one core: the cook's time per dish.",
            );
            c |= number_field(
                ui,
                "Variability (SCV)",
                &mut p.service_scv,
                "",
                0.05,
                "0 = every request takes the same time, 1 = exponential; more waits longer in queue.",
            );
            c |= number_field(
                ui,
                "Contention σ",
                &mut p.contention,
                "",
                0.005,
                "USL contention: the share of work that cores must take turns on.",
            );
            c |= number_field(
                ui,
                "Coherency κ",
                &mut p.coherency,
                "",
                0.00005,
                "USL coherency: the cost of cores keeping each other up to date.",
            );
            c |= choice_field(
                ui,
                "Sessions",
                &mut p.sessions,
                &[SessionState::Stateless, SessionState::InMemory],
                |s| format!("{s:?}"),
                "Stateless servers keep no session; in-memory sessions break behind a balancer that is not sticky.",
            );
            c |= number_field(
                ui,
                "Timeout",
                &mut p.timeout_ms,
                " ms",
                50.0,
                "Requests that would wait longer are dropped.",
            );
            c |= reliability_fields(ui, &mut p.reliability);
        }
        ComponentKind::Cache(p) => {
            c |= count_field(
                ui,
                "Instances",
                (&mut p.instances, MAX_INSTANCES),
                "",
                "Cache nodes; keys are spread over them.",
            );
            c |= number_field(
                ui,
                "Capacity",
                &mut p.capacity_per_s,
                " req/s",
                100.0,
                "Requests per second one instance answers.",
            );
            c |= number_field(
                ui,
                "Latency",
                &mut p.latency_ms,
                " ms",
                0.05,
                "Time to answer a request.",
            );
            match &mut p.hit_ratio {
                HitRatio::Fixed(h) => {
                    c |= share_field(
                        ui,
                        "Hit ratio",
                        h,
                        "Share of reads the cache answers: the pre-prepped ingredients on the counter.",
                    );
                }
                HitRatio::Lru {
                    capacity_items,
                    working_set_items,
                    zipf_exponent,
                } => {
                    c |= number_field(
                        ui,
                        "Holds",
                        capacity_items,
                        " items",
                        10.0,
                        "Items one instance holds.",
                    );
                    c |= number_field(
                        ui,
                        "Working set",
                        working_set_items,
                        " items",
                        100.0,
                        "Distinct items requested.",
                    );
                    c |= number_field(
                        ui,
                        "Zipf exponent",
                        zipf_exponent,
                        "",
                        0.01,
                        "How skewed popularity is (0 = even, 1 = very skewed).",
                    );
                }
            }
            c |= number_field(
                ui,
                "Warm-up",
                &mut p.warmup_s,
                " s",
                5.0,
                "Time a cold or restarted cache takes to reach its hit ratio.",
            );
            c |= number_field(
                ui,
                "Timeout",
                &mut p.timeout_ms,
                " ms",
                10.0,
                "Requests that would wait longer are dropped.",
            );
            c |= reliability_fields(ui, &mut p.reliability);
        }
        ComponentKind::Database(p) => {
            c |= size_field(ui, &mut p.size, prices, "Instance size of every copy.");
            c |= count_field(
                ui,
                "Copies",
                (&mut p.instances, MAX_INSTANCES),
                "",
                "Primary plus read replicas per shard: reads spread, every write is replayed on each.",
            );
            ui.label("Standby")
                .on_hover_text("A hot standby per shard that serves nothing but can take over.");
            c |= ui.checkbox(&mut p.standby, "").changed();
            ui.end_row();
            c |= number_field(
                ui,
                "Read time",
                &mut p.read_service_time_ms,
                " ms",
                0.1,
                "CPU time of one read.",
            );
            c |= number_field(
                ui,
                "Write time",
                &mut p.write_service_time_ms,
                " ms",
                0.1,
                "CPU time of one write on the primary.",
            );
            c |= number_field(
                ui,
                "Replay time",
                &mut p.replica_apply_ms,
                " ms",
                0.1,
                "CPU time for a replica to replay one write.",
            );
            c |= count_field(
                ui,
                "Shards",
                (&mut p.shards, MAX_SHARDS),
                "",
                "Pieces the data is split into; the hottest one sets the capacity.",
            );
            c |= choice_field(
                ui,
                "Partitioning",
                &mut p.partitioning,
                &[Partitioning::Range, Partitioning::Hash],
                |s| format!("{s:?}"),
                "By key range (the range of the most popular keys is a hot shard) or by hash (popular keys scatter).",
            );
            c |= wide_count_field(
                ui,
                "Keys",
                (&mut p.keys, MAX_KEYS),
                "",
                "Distinct keys (user IDs, rows) the data holds; key 1 is the most popular.",
            );
            c |= number_field(
                ui,
                "Key skew",
                &mut p.key_skew,
                "",
                0.01,
                "Zipf exponent of key popularity: key i is asked for in proportion to 1/i^s (0 = every key alike).",
            );
            c |= number_field(
                ui,
                "Failover",
                &mut p.failover_s,
                " s",
                1.0,
                "Time to promote a replica or standby when the primary dies.",
            );
            ui.label("Backups")
                .on_hover_text("Without replicas or backups, losing the database loses data.");
            c |= ui.checkbox(&mut p.backups, "").changed();
            ui.end_row();
            c |= number_field(
                ui,
                "Timeout",
                &mut p.timeout_ms,
                " ms",
                50.0,
                "Requests that would wait longer are dropped.",
            );
            c |= reliability_fields(ui, &mut p.reliability);
        }
        ComponentKind::MessageQueue(p) => {
            c |= count_field(
                ui,
                "Brokers",
                (&mut p.instances, MAX_INSTANCES),
                "",
                "Broker instances accepting messages.",
            );
            c |= number_field(
                ui,
                "Capacity",
                &mut p.capacity_per_s,
                " msg/s",
                100.0,
                "Messages per second one broker accepts.",
            );
            ui.label("Max depth")
                .on_hover_text("Messages the queue holds before it drops new ones.");
            c |= ui
                .add(DragValue::new(&mut p.max_depth).speed(100.0))
                .changed();
            ui.end_row();
            c |= count_field(
                ui,
                "Consumers",
                (&mut p.consumers, MAX_CONSUMERS),
                "",
                "Workers draining the queue.",
            );
            c |= number_field(
                ui,
                "Consumer rate",
                &mut p.consumer_rate_per_s,
                " msg/s",
                1.0,
                "Messages per second one consumer handles.",
            );
            c |= number_field(
                ui,
                "Consumer variability (SCV)",
                &mut p.consumer_service_scv,
                "",
                0.05,
                "0 = every message takes a consumer the same time, 1 = exponential; more spreads the backlog.",
            );
            c |= reliability_fields(ui, &mut p.reliability);
        }
        ComponentKind::Cdn(p) => {
            c |= share_field(
                ui,
                "Edge hit ratio",
                &mut p.edge_hit_ratio,
                "Share of static requests the edge answers without asking the origin.",
            );
            c |= number_field(
                ui,
                "Edge capacity",
                &mut p.edge_capacity_per_s,
                " req/s",
                1000.0,
                "Requests per second the edge answers.",
            );
            c |= number_field(
                ui,
                "Edge latency",
                &mut p.edge_latency_ms,
                " ms",
                0.5,
                "Time for the edge to answer (mostly distance).",
            );
            c |= reliability_fields(ui, &mut p.reliability);
        }
    }
    c
}

fn link_inspector(
    ui: &mut Ui,
    design: &Design,
    link: LinkId,
    prices: &PriceTable,
    state: &mut InspectorState,
    actions: &mut Vec<Action>,
) {
    let (Some((from, to)), Some(l)) = (
        design.graph.edge_endpoints(link),
        design.graph.edge_weight(link),
    ) else {
        return;
    };
    let name = |id| design.component(id).map_or("?", |c| c.name.as_str());
    ui.heading("Link");
    // "to", not an arrow: the default fonts have no glyph for U+2192.
    ui.label(format!("from {} to {}", name(from), name(to)));
    ui.separator();
    let mut edited: Link = l.clone();
    ui.label("Carries");
    for class in TrafficClass::ALL {
        let mut on = edited.carries(class);
        if ui.checkbox(&mut on, class.label()).changed() {
            if on {
                edited.carries.push(class);
            } else {
                edited.carries.retain(|c| *c != class);
            }
            edited.carries.sort();
        }
    }
    egui::Grid::new("link").num_columns(2).show(ui, |ui| {
        number_field(ui, "Weight", &mut edited.weight, "", 0.05, "Share of traffic when the source splits over several links.");
        number_field(ui, "Calls per request", &mut edited.calls_per_request, "", 0.1, "Calls a server makes down this link for each request (a page that runs 4 queries has 4).");
    });
    if edited != *l {
        // Checked the way a component's edit is: by the validation rules (and what a run
        // needs: calls multiply along paths and round loops), before it is applied.
        let mut candidate = design.clone();
        if let Some(w) = candidate.graph.edge_weight_mut(link) {
            *w = edited.clone();
        }
        let (from_name, to_name) = (name(from).to_owned(), name(to).to_owned());
        let problems = refusals(
            design,
            &candidate,
            prices,
            |subject| matches!(subject, Subject::Link { from, to, .. } if *from == from_name && *to == to_name),
        );
        if problems.is_empty() {
            state.refused_link = None;
            actions.push(Action::Edit(Edit::SetLink(link, edited)));
        } else {
            state.refused_link = Some((link, as_shown_for_link(&problems.join("; "))));
        }
    }
    if let Some((refused, why)) = &state.refused_link
        && *refused == link
    {
        ui.colored_label(ui.visuals().error_fg_color, format!("Refused: {why}"));
    }
    if ui.button("Remove link").clicked() {
        actions.push(Action::Edit(Edit::Remove {
            components: Vec::new(),
            links: vec![link],
        }));
    }
}

/// The errors an edit brings: those about its subject (`about`), and any other the design
/// did not have before. Run-time limits count too (a link's calls can push the busiest
/// component past what a run can count; a loop can grow without end).
fn refusals(
    design: &Design,
    candidate: &Design,
    prices: &PriceTable,
    about: impl Fn(&Subject) -> bool,
) -> Vec<String> {
    let errors = |d: &Design| {
        let mut issues = validate(d, prices);
        if issues.iter().all(|i| i.severity != Severity::Error) {
            issues.extend(crate::sim::preflight::runnable_issues(d, prices));
        }
        issues
            .into_iter()
            .filter(|i| i.severity == Severity::Error)
            .collect::<Vec<_>>()
    };
    let before: Vec<String> = errors(design).into_iter().map(|i| i.message).collect();
    errors(candidate)
        .into_iter()
        .filter(|i| about(&i.subject) || !before.contains(&i.message))
        .map(|i| i.message)
        .collect()
}

/// The file's field names, as the inspector labels them (a refusal names what the user sees:
/// "Service time must be …", not `service_time_ms`). Kind-dependent ones first.
fn field_labels(kind: &ComponentKind) -> Vec<(&'static str, &'static str)> {
    let instances = match kind {
        ComponentKind::Database(_) => "Copies",
        ComponentKind::MessageQueue(_) => "Brokers",
        _ => "Instances",
    };
    let mut labels = vec![("instances", instances)];
    labels.extend([
        ("rate_per_user_per_s", "Rate per user"),
        ("users", "Users"),
        ("read_service_time_ms", "Read time"),
        ("write_service_time_ms", "Write time"),
        ("replica_apply_ms", "Replay time"),
        ("service_time_ms", "Service time"),
        ("consumer_service_scv", "Variability (SCV)"),
        ("service_scv", "Variability (SCV)"),
        ("contention", "Contention σ"),
        ("coherency", "Coherency κ"),
        ("edge_capacity_per_s", "Edge capacity"),
        ("consumer_rate_per_s", "Consumer rate"),
        ("capacity_per_s", "Capacity"),
        ("edge_latency_ms", "Edge latency"),
        ("latency_ms", "Latency"),
        ("health_check_interval_s", "Health check"),
        ("unhealthy_threshold", "Unhealthy after"),
        ("timeout_ms", "Timeout"),
        ("edge_hit_ratio", "Edge hit ratio"),
        ("hit_ratio", "Hit ratio"),
        ("capacity_items", "Holds"),
        ("working_set_items", "Working set"),
        ("zipf_exponent", "Zipf exponent"),
        ("key_skew", "Key skew"),
        ("keys", "Keys"),
        ("shards", "Shards"),
        ("failover_s", "Failover"),
        ("consumers", "Consumers"),
        ("max_depth", "Max depth"),
        ("mtbf_hours", "MTBF"),
        ("mttr_hours", "MTTR"),
    ]);
    labels
}

/// Replace each field name in `message` (as a whole word) by the label shown for it.
fn with_labels(message: &str, labels: &[(&str, &str)]) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while !rest.is_empty() {
        let at_word_start = out.chars().next_back().is_none_or(|c| !is_word(c));
        let hit = at_word_start
            .then(|| {
                labels.iter().find(|(field, _)| {
                    rest.starts_with(field)
                        && rest[field.len()..]
                            .chars()
                            .next()
                            .is_none_or(|c| !is_word(c))
                })
            })
            .flatten();
        match hit {
            Some((field, label)) => {
                out.push_str(label);
                rest = &rest[field.len()..];
            }
            None => {
                let c = rest.chars().next().unwrap_or(' ');
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// A component's refusal in the inspector's words.
pub fn as_shown(message: &str, kind: &ComponentKind) -> String {
    with_labels(message, &field_labels(kind))
}

/// A link's refusal in the inspector's words.
fn as_shown_for_link(message: &str) -> String {
    with_labels(
        message,
        &[
            ("calls_per_request", "Calls per request"),
            ("weight", "Weight"),
            ("carries", "Carries"),
        ],
    )
}
