//! The inspector's field widgets (a number with its unit, a count, a share, a choice, a size)
//! and how a refused edit names the field as the user sees it.

use egui::{DragValue, Ui};

use crate::model::{ComponentKind, Design, PriceTable, Reliability, Severity, Subject, validate};

/// A labelled number with a unit and a tooltip; returns whether it changed.
pub(super) fn number_field(
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
pub(super) fn count_field(
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
pub(super) fn wide_count_field(
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

pub(super) fn reliability_fields(ui: &mut Ui, r: &mut Reliability) -> bool {
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

pub(super) fn share_field(ui: &mut Ui, label: &str, value: &mut f64, tip: &str) -> bool {
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
pub(super) fn choice_field<T: Copy + PartialEq>(
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

pub(super) fn size_field(ui: &mut Ui, size: &mut String, prices: &PriceTable, tip: &str) -> bool {
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

/// The errors an edit brings: those about its subject (`about`), and any other the design
/// did not have before. Run-time limits count too (a link's calls can push the busiest
/// component past what a run can count; a loop can grow without end).
pub(super) fn refusals(
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
pub(super) fn field_labels(kind: &ComponentKind) -> Vec<(&'static str, &'static str)> {
    let instances = match kind {
        ComponentKind::Database(_) => "Copies",
        ComponentKind::MessageQueue(_) => "Brokers",
        _ => "Instances",
    };
    let mut labels = vec![("instances", instances)];
    // A queue's autoscaling counts its consumers.
    if let ComponentKind::MessageQueue(_) = kind {
        labels.extend([
            ("min_instances", "Least consumers"),
            ("max_instances", "Most consumers"),
        ]);
    }
    labels.extend([
        ("rate_per_user_per_s", "Rate per user"),
        ("think_time_s", "Think time"),
        ("deadline_ms", "Deadline after"),
        ("rate_per_s", "Limit rate"),
        ("burst", "Burst"),
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
        ("target_utilization", "Target utilization"),
        ("min_instances", "Least instances"),
        ("max_instances", "Most instances"),
        ("provision_s", "Boot time"),
        ("cooldown_s", "Cooldown"),
        ("interval_s", "Decide every"),
    ]);
    labels
}

/// Replace each field name in `message` (as a whole word) by the label shown for it.
pub(super) fn with_labels(message: &str, labels: &[(&str, &str)]) -> String {
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
pub(super) fn as_shown(message: &str, kind: &ComponentKind) -> String {
    with_labels(message, &field_labels(kind))
}
