//! The inspector of a selected link: what it carries, calls per request, timeout, and the
//! same checks on each edit as a component's fields get.

use egui::Ui;

use crate::app::Action;
use crate::app::document::Edit;
use crate::model::{Design, Link, LinkId, PriceTable, Subject, TrafficClass};

use super::InspectorState;
use super::fields::{number_field, refusals, with_labels};

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

/// A link's refusal in the inspector's words.
pub(super) fn as_shown_for_link(message: &str) -> String {
    with_labels(
        message,
        &[
            ("calls_per_request", "Calls per request"),
            ("weight", "Weight"),
            ("carries", "Carries"),
        ],
    )
}
