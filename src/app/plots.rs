//! Plots over simulated time (egui_plot): throughput, success ratio, end-to-end latency,
//! utilization of the busiest components, and backlog. The timeline keeps what the runner
//! produced, thinned as it grows.

use std::collections::HashMap;

use egui::{Color32, Ui};
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::runner::RunnerOutput;
use crate::model::{ComponentId, Design};
use crate::sim::SystemTick;

/// Points kept per series before older ones are thinned to every other.
const POINTS: usize = 4_000;

/// What the plots draw, accumulated from the runner's fresh ticks.
#[derive(Debug, Default)]
pub struct Timeline {
    generation: u64,
    pub history: Vec<SystemTick>,
    /// Utilization per component: (time, utilization).
    pub utilization: HashMap<ComponentId, Vec<[f64; 2]>>,
    /// Backlog of the whole system per tick: (time, requests waiting).
    pub backlog: Vec<[f64; 2]>,
}

fn thin<T: Copy>(v: &mut Vec<T>) {
    if v.len() > POINTS {
        let half = v.len() / 2;
        let mut kept: Vec<T> = v[..half].iter().step_by(2).copied().collect();
        kept.extend_from_slice(&v[half..]);
        *v = kept;
    }
}

impl Timeline {
    /// Take the runner's fresh ticks.
    pub fn take(&mut self, out: &mut RunnerOutput) {
        if out.generation != self.generation {
            *self = Timeline {
                generation: out.generation,
                ..Timeline::default()
            };
        }
        let fresh = std::mem::take(&mut out.fresh);
        let utilization = std::mem::take(&mut out.fresh_utilization);
        for (t, row) in fresh.iter().zip(utilization.iter()) {
            for (id, u) in out.ids.iter().zip(row.iter()) {
                let series = self.utilization.entry(*id).or_default();
                series.push([t.time_s, f64::from(*u)]);
                thin(series);
            }
        }
        for t in &fresh {
            self.history.push(*t);
            thin(&mut self.history);
        }
        // The system backlog now (the runner's latest view).
        if let Some(t) = fresh.last() {
            let waiting: u64 = out.nodes.values().map(|n| n.tick.backlog).sum();
            self.backlog.push([t.time_s, waiting as f64]);
            thin(&mut self.backlog);
        }
    }
}

/// Colours for series, readable on dark and light.
const PALETTE: [Color32; 6] = [
    Color32::from_rgb(86, 156, 214),
    Color32::from_rgb(235, 72, 60),
    Color32::from_rgb(63, 185, 80),
    Color32::from_rgb(214, 158, 40),
    Color32::from_rgb(180, 120, 220),
    Color32::from_rgb(90, 200, 200),
];

/// Draw the plots side by side; their time axes move together.
pub fn show(ui: &mut Ui, timeline: &Timeline, design: &Design, selection: &[ComponentId]) {
    let group = ui.make_persistent_id("plots-time-axis");
    // Exactly the panel's height: a resizable panel keeps the size its contents take, so
    // anything less would shrink it frame by frame.
    let height = ui.available_height().max(80.0);
    let width = (ui.available_width() / 5.0 - 8.0).max(120.0);
    let h = &timeline.history;
    let series = |f: &dyn Fn(&SystemTick) -> f64| -> PlotPoints<'static> {
        h.iter().map(|t| [t.time_s, f(t)]).collect()
    };
    // A plot of one series is named by its axis; plots of several have a small, see-through
    // legend so that it hides little of the lines.
    let plot = |id: &str, y: &str, legend: bool| {
        let plot = Plot::new(id.to_string());
        let plot = if legend {
            plot.legend(
                Legend::default()
                    .text_style(egui::TextStyle::Small)
                    .background_alpha(0.45),
            )
        } else {
            plot
        };
        plot.height(height)
            .width(width)
            .link_axis(group, [true, false])
            .link_cursor(group, [true, false])
            .allow_scroll(false)
            .x_axis_label("time (s)")
            .y_axis_label(y.to_string())
            .include_y(0.0)
    };
    ui.horizontal(|ui| {
        plot("throughput", "requests/s", true).show(ui, |p| {
            p.line(Line::new("offered", series(&|t| t.offered_per_s)).color(PALETTE[0]));
            p.line(Line::new("succeeded", series(&|t| t.throughput_per_s)).color(PALETTE[2]));
        });
        plot("success", "success %", false)
            .include_y(100.0)
            .show(ui, |p| {
                p.line(
                    Line::new("success ratio", series(&|t| t.success_ratio * 100.0))
                        .color(PALETTE[2]),
                );
            });
        plot("latency", "ms (end to end)", true).show(ui, |p| {
            p.line(Line::new("p50", series(&|t| t.latency_ms.p50)).color(PALETTE[0]));
            p.line(Line::new("p99", series(&|t| t.latency_ms.p99)).color(PALETTE[1]));
        });
        plot("utilization", "utilization %", true)
            .include_y(100.0)
            .show(ui, |p| {
                // The selected components, else the busiest five now.
                let mut ids: Vec<ComponentId> = selection.to_vec();
                if ids.is_empty() {
                    let mut busiest: Vec<(ComponentId, f64)> = timeline
                        .utilization
                        .iter()
                        .filter_map(|(id, s)| s.last().map(|last| (*id, last[1])))
                        .filter(|(_, u)| *u > 0.0)
                        .collect();
                    busiest.sort_by(|a, b| b.1.total_cmp(&a.1));
                    ids = busiest.into_iter().take(5).map(|(id, _)| id).collect();
                }
                for (n, id) in ids.iter().enumerate() {
                    let (Some(s), Some(c)) = (timeline.utilization.get(id), design.component(*id))
                    else {
                        continue;
                    };
                    let points: PlotPoints = s.iter().map(|p| [p[0], p[1] * 100.0]).collect();
                    p.line(Line::new(c.name.clone(), points).color(PALETTE[n % PALETTE.len()]));
                }
            });
        plot("backlog", "requests waiting", false).show(ui, |p| {
            let points: PlotPoints = timeline.backlog.iter().copied().collect();
            p.line(Line::new("backlog", points).color(PALETTE[3]));
        });
    });
}
