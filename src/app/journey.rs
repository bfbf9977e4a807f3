//! The Journey window: the fixes made to the design so far, each with what the design could
//! do after it — a table, and one plot of the users carried and the monthly cost per step.
//! The journey is part of the design, so Undo walks back along it and it saves with it.

use egui::Ui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::SandboxApp;
use crate::model::Journey;

impl SandboxApp {
    /// The Journey window, while it is open.
    pub(super) fn journey_window(&mut self, ctx: &egui::Context) {
        if !self.show_journey {
            return;
        }
        let mut open = true;
        egui::Window::new("Journey")
            .open(&mut open)
            .default_width(760.0)
            .show(ctx, |ui| match &self.doc.design.journey {
                Some(journey) if !journey.steps.is_empty() => journey_ui(ui, journey),
                _ => {
                    ui.label("No fixes yet.");
                    ui.weak(
                        "Apply one with Fix the next bottleneck in the analysis panel (or \
                         `archsandbox advise --apply`): each fix joins the journey with the \
                         users the design then carries, its p99, availability and cost.",
                    );
                }
            });
        self.show_journey &= open;
    }
}

/// The journey's table and plot.
fn journey_ui(ui: &mut Ui, journey: &Journey) {
    ui.weak(format!(
        "Measured under the scenario '{}', each step at the users it was made for. Undo walks back along it; it saves with the design.",
        journey.scenario
    ));
    egui::ScrollArea::vertical()
        .max_height(260.0)
        .show(ui, |ui| {
            egui::Grid::new("journey")
                .striped(true)
                .num_columns(9)
                .show(ui, |ui| {
                    for header in crate::analysis::advise::JOURNEY_COLUMNS {
                        ui.strong(header);
                    }
                    ui.end_row();
                    let rows = crate::analysis::advise::journey_rows(journey);
                    for (row, step) in rows.iter().zip(&journey.steps) {
                        for (i, cell) in row.iter().enumerate() {
                            let label = ui.label(cell);
                            if i == 1 && !step.change.is_empty() {
                                label.on_hover_text(&step.change);
                            }
                        }
                        ui.end_row();
                    }
                });
        });
    ui.add_space(6.0);
    // One plot of two quantities of different units: both on a log scale (each step's users
    // carried, and its cost a month), where a fix's effect reads as a step up.
    let log_points = |value: &dyn Fn(usize) -> Option<f64>| -> PlotPoints<'static> {
        (0..journey.steps.len())
            .filter_map(|i| value(i).filter(|v| *v > 0.0).map(|v| [i as f64, v.log10()]))
            .collect::<Vec<_>>()
            .into()
    };
    Plot::new("journey plot")
        .height(200.0)
        .legend(Legend::default())
        .x_axis_label("step")
        .y_axis_label("log scale")
        .y_axis_formatter(|mark, _| crate::analysis::report::number(10f64.powf(mark.value)))
        .x_axis_formatter(|mark, _| {
            if mark.value.fract() == 0.0 && mark.value >= 0.0 {
                format!("{}", mark.value)
            } else {
                String::new()
            }
        })
        .show(ui, |p| {
            p.line(Line::new(
                "users carried",
                log_points(&|i| journey.steps[i].users_carried),
            ));
            p.line(Line::new(
                "cost a month",
                log_points(&|i| Some(journey.steps[i].cost_per_month)),
            ));
        });
}
