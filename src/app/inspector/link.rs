//! The inspector of a selected link: what it carries, calls per request, timeout, and the
//! same checks on each edit as a component's fields get.

use egui::Ui;

use crate::app::Action;
use crate::app::document::Edit;
use crate::model::validate::{MAX_ATTEMPTS, MAX_BREAKER_CALLS};
use crate::model::{
    CircuitBreaker, Design, Link, LinkId, PriceTable, RetryPolicy, Subject, TrafficClass,
};

use super::InspectorState;
use super::fields::{count_field, number_field, refusals, share_field, with_labels};

pub(super) fn link_inspector(
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
        retry_fields(ui, &mut edited.retry);
        breaker_fields(ui, &mut edited.breaker);
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

/// The sender's timeout and retries on the link: a switch, then the policy's fields with
/// their units; each edit is checked by validation like any other.
fn retry_fields(ui: &mut Ui, retry: &mut Option<RetryPolicy>) {
    let mut retries = retry.is_some();
    let label = ui.label("Retries").on_hover_text(
        "The sender times out and retries failed calls down this link (every retry is load again on every hop it repeats).",
    );
    if ui
        .checkbox(&mut retries, "")
        .labelled_by(label.id)
        .changed()
    {
        *retry = retries.then(RetryPolicy::default);
    }
    ui.end_row();
    let Some(policy) = retry else {
        return;
    };
    count_field(
        ui,
        "Attempts",
        (&mut policy.attempts, MAX_ATTEMPTS),
        "",
        "The most tries of one call, the first included (1: no retry, only the timeout).",
    );
    let mut has_timeout = policy.timeout_ms.is_some();
    let label = ui
        .label("Attempt timeout")
        .on_hover_text("Whether the sender stops waiting for an attempt's answer after a while.");
    if ui
        .checkbox(&mut has_timeout, "")
        .labelled_by(label.id)
        .changed()
    {
        policy.timeout_ms = has_timeout.then_some(1_000.0);
    }
    ui.end_row();
    if let Some(timeout_ms) = &mut policy.timeout_ms {
        number_field(
            ui,
            "Give up after",
            timeout_ms,
            " ms",
            10.0,
            "How long the sender waits for one attempt; the work it started goes on below, wasted.",
        );
    }
    number_field(
        ui,
        "Backoff base",
        &mut policy.backoff_base_ms,
        " ms",
        5.0,
        "The wait before the first retry; it doubles with each retry (0: retry at once).",
    );
    number_field(
        ui,
        "Backoff cap",
        &mut policy.backoff_cap_ms,
        " ms",
        10.0,
        "The longest wait before a retry.",
    );
    let label = ui.label("Jitter").on_hover_text(
        "Draw each wait uniformly between 0 and the backoff, so that callers who failed together do not come back together.",
    );
    ui.checkbox(&mut policy.jitter, "").labelled_by(label.id);
    ui.end_row();
    let mut has_budget = policy.budget_ratio.is_some();
    let label = ui.label("Retry budget").on_hover_text(
        "Hold retries to a share of first tries, counted each second: what keeps a brief overload from feeding itself.",
    );
    if ui
        .checkbox(&mut has_budget, "")
        .labelled_by(label.id)
        .changed()
    {
        policy.budget_ratio = has_budget.then_some(0.1);
    }
    ui.end_row();
    if let Some(ratio) = &mut policy.budget_ratio {
        number_field(
            ui,
            "Retries per first try",
            ratio,
            "",
            0.01,
            "At most this many retries for each first try within a second (0.1: one retry for ten first tries).",
        );
    }
}

/// The link's circuit breaker: a switch, then its fields with their units.
fn breaker_fields(ui: &mut Ui, breaker: &mut Option<CircuitBreaker>) {
    let mut on = breaker.is_some();
    let label = ui.label("Circuit breaker").on_hover_text(
        "Stop calling down this link for a while when too many of its calls fail: they fail at once, or a sender that splits takes its other links.",
    );
    if ui.checkbox(&mut on, "").labelled_by(label.id).changed() {
        *breaker = on.then(CircuitBreaker::default);
    }
    ui.end_row();
    let Some(b) = breaker else {
        return;
    };
    share_field(
        ui,
        "Open at failed share",
        &mut b.failure_ratio,
        "Open when at least this share of the window's calls failed.",
    );
    number_field(
        ui,
        "Window",
        &mut b.window_s,
        " s",
        0.5,
        "The last seconds of calls the failed share is counted over.",
    );
    count_field(
        ui,
        "Least calls",
        (&mut b.min_calls, MAX_BREAKER_CALLS),
        "",
        "Judge a window only when it holds at least this many calls.",
    );
    number_field(
        ui,
        "Open for",
        &mut b.open_s,
        " s",
        1.0,
        "How long it holds calls back once open, before it tries the link again.",
    );
    count_field(
        ui,
        "Probes",
        (&mut b.probes, MAX_BREAKER_CALLS),
        "",
        "Calls let through after the open time: all succeed and it closes, one fails and it opens again.",
    );
}

/// A link's refusal in the inspector's words.
pub(super) fn as_shown_for_link(message: &str) -> String {
    with_labels(
        message,
        &[
            ("calls_per_request", "Calls per request"),
            ("weight", "Weight"),
            ("carries", "Carries"),
            ("attempts", "Attempts"),
            ("timeout_ms", "Give up after"),
            ("backoff_base_ms", "Backoff base"),
            ("backoff_cap_ms", "Backoff cap"),
            ("budget_ratio", "Retries per first try"),
            ("retry", "Retries"),
            ("failure_ratio", "Open at failed share"),
            ("window_s", "Window"),
            ("min_calls", "Least calls"),
            ("open_s", "Open for"),
            ("probes", "Probes"),
            ("breaker", "Circuit breaker"),
        ],
    )
}
