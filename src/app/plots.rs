//! Plots over simulated time (egui_plot): throughput, success ratio, end-to-end latency,
//! utilization of the busiest components, and backlog. The timeline keeps what the runner
//! produced, thinned as it grows.

use std::collections::HashMap;

use egui::{Color32, Ui};
use egui_plot::{AxisHints, GridInput, GridMark, Legend, Line, Plot, PlotPoints};

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

/// A plot in the app's style: value labels on a 1-2-5 grid (egui_plot's default powers of
/// ten leave a short plot with a lone 0 on its axis), and, for plots of several series, a
/// small, see-through legend that hides little of the lines (a plot of one series is named
/// by its axis).
///
/// The x axis labels its marks once they are 40 points apart, not egui_plot's 60: the app's
/// plots stand five abreast, and their labels are short numbers (egui_plot still never draws
/// a label closer to the next one than its own width). At 60, a run of about 400 s showed
/// only its 0: its marks 200 s apart are 59 points apart.
pub fn styled_plot(id: &str, legend: bool) -> Plot<'static> {
    let plot = Plot::new(id.to_string())
        .custom_x_axes(vec![AxisHints::new_x().label_spacing(40.0..=60.0)])
        .x_grid_spacer(one_two_five_grid)
        .y_grid_spacer(one_two_five_grid);
    if legend {
        plot.legend(
            Legend::default()
                .text_style(egui::TextStyle::Small)
                .background_alpha(0.45),
        )
    } else {
        plot
    }
}

/// Grid marks on 1-2-5 steps (…, 1, 2, 5, 10, 20, …) from the smallest one egui_plot can
/// show, each level a multiple of the one below (1, 2, 10, 20, … or 5, 10, 20, 100, …) so
/// that the labels of one level are evenly spaced, up to the first level whose step spans
/// the axis: egui_plot labels the marks of a level only when they are far enough apart, and
/// some level always is. (Three levels, as egui_plot's own spacer has, span only ten times
/// the first step here, and a narrow plot of a few hundred seconds got no labels.)
pub fn one_two_five_grid(input: GridInput) -> Vec<GridMark> {
    // Enough for a step to grow from the smallest egui_plot asks for to a whole axis (a
    // level at most multiplies the step by five; the first is at most 2,000 below the span).
    const MAX_GRID_LEVELS: usize = 12;
    let (low, high) = input.bounds;
    let base = input.base_step_size;
    if !(base > 0.0 && base.is_finite() && low.is_finite() && high.is_finite()) {
        return Vec::new();
    }
    // The smallest 1-2-5 step at least `base`.
    let magnitude = 10f64.powf(base.log10().floor());
    let Some(first_step) = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= base * (1.0 - 1e-12))
    else {
        return Vec::new();
    };
    // The next level: the smallest 1-2-5 step above that is a multiple of it.
    let coarser = |step: f64| {
        let mantissa = step / 10f64.powf(step.log10().floor());
        if (mantissa - 2.0).abs() < 1e-6 {
            step * 5.0
        } else {
            step * 2.0
        }
    };
    let span = high - low;
    let mut steps = vec![first_step];
    while let Some(&last) = steps.last()
        && last < span
        && steps.len() < MAX_GRID_LEVELS
    {
        steps.push(coarser(last));
    }
    let (first, last) = ((low / steps[0]).ceil(), (high / steps[0]).floor());
    if !(last - first).is_finite() || last - first > 2_000.0 {
        return Vec::new();
    }
    let multiple_of = |v: f64, step: f64| ((v / step).round() * step - v).abs() < step * 1e-6;
    (first as i64..=last as i64)
        .map(|i| {
            let value = i as f64 * steps[0];
            let step_size = steps
                .iter()
                .rev()
                .copied()
                .find(|s| multiple_of(value, *s))
                .unwrap_or(steps[0]);
            GridMark { value, step_size }
        })
        .collect()
}

/// Grid marks for an axis that shows the base-10 logarithm of a value (the load sweep's
/// multipliers): every decade (×1, ×10, ×100, on 1-2-5 multiples of a decade when decades
/// are close), then within each decade the marks of log paper, coarse to fine: 2 and 5;
/// 3, 4, 6, 7, 8 and 9; and tenths (1.1, 1.2, …). A mark's step is its smaller gap to a
/// neighbour of its own set, so egui_plot labels it, and draws its line strongly, only where
/// it stands far enough from those neighbours: a narrow sweep from ×1 to ×3 is labelled
/// ×1, ×2, ×3, a wide one ×1, ×10, ×100. An axis too short for two such marks gets the 1-2-5
/// marks of its logarithms.
pub fn log_axis_grid(input: GridInput) -> Vec<GridMark> {
    /// Mantissas within a decade, coarse to fine, each set with the coarser ones in it.
    fn mantissa_sets() -> [Vec<f64>; 3] {
        [
            vec![1.0, 2.0, 5.0],
            (1..10).map(f64::from).collect(),
            (10..100).map(|m| f64::from(m) / 10.0).collect(),
        ]
    }
    /// More decades than any axis of this app spans; beyond it, decades alone.
    const MAX_DECADES_WITH_MANTISSAS: f64 = 40.0;
    let (low, high) = input.bounds;
    let base = input.base_step_size;
    if !(base > 0.0 && base.is_finite() && low.is_finite() && high.is_finite() && low < high) {
        return Vec::new();
    }
    let mut marks = one_two_five_grid(GridInput {
        bounds: input.bounds,
        base_step_size: base.max(1.0),
    });
    if high - low <= MAX_DECADES_WITH_MANTISSAS {
        let mut coarser: &[f64] = &[1.0];
        let sets = mantissa_sets();
        for set in &sets {
            let logs: Vec<f64> = set.iter().map(|m| m.log10()).collect();
            let gap = |i: usize| {
                let next = logs.get(i + 1).copied().unwrap_or(1.0);
                let previous = if i == 0 {
                    logs[0] - (1.0 - logs[logs.len() - 1])
                } else {
                    logs[i - 1]
                };
                (logs[i] - previous).min(next - logs[i])
            };
            let smallest_gap = (0..logs.len()).map(gap).fold(f64::INFINITY, f64::min);
            if smallest_gap <= base {
                break; // this set's lines would stand closer than egui_plot draws
            }
            for decade in (low.floor() as i64)..=(high.ceil() as i64) {
                for (i, mantissa) in set.iter().enumerate() {
                    let value = decade as f64 + logs[i];
                    if !coarser.contains(mantissa) && (low..=high).contains(&value) {
                        marks.push(GridMark {
                            value,
                            step_size: gap(i),
                        });
                    }
                }
            }
            coarser = set.as_slice();
        }
    }
    if marks.len() < 2 {
        return one_two_five_grid(input);
    }
    marks.sort_by(|a, b| a.value.total_cmp(&b.value));
    marks
}

/// A multiplier as an axis label: "×1", "×2.5", "×1,000" (no trailing zeros).
pub fn multiplier_label(multiplier: f64) -> String {
    let text = crate::analysis::report::number(multiplier);
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    format!("×{text}")
}

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
    let plot = |id: &str, y: &str, legend: bool| {
        let plot = styled_plot(id, legend);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_steps_go_one_two_five_and_mark_each_value_by_its_largest_step() {
        let marks = one_two_five_grid(GridInput {
            bounds: (0.0, 80.0),
            base_step_size: 2.3,
        });
        // From 2.3 up: steps 5, 10 and 20.
        assert_eq!(marks.len(), 17);
        let step_at = |v: f64| {
            marks
                .iter()
                .find(|m| (m.value - v).abs() < 1e-9)
                .map(|m| m.step_size)
        };
        assert_eq!(step_at(5.0), Some(5.0));
        assert_eq!(step_at(10.0), Some(10.0));
        assert_eq!(step_at(40.0), Some(20.0));
        assert_eq!(step_at(2.0), None);
        // From 1.5 up: steps 2, 10 and 20 (no 5: its labels would fall between the 2s).
        let marks = one_two_five_grid(GridInput {
            bounds: (0.0, 100.0),
            base_step_size: 1.5,
        });
        let steps: Vec<f64> = marks.iter().map(|m| m.step_size).collect();
        assert!(steps.contains(&2.0) && steps.contains(&10.0) && steps.contains(&20.0));
        assert!(!steps.contains(&5.0), "{steps:?}");
    }

    #[test]
    fn some_level_of_marks_spans_the_axis_so_that_a_narrow_plot_is_labelled() {
        // A run of 430 s on a plot about 130 points wide: egui_plot asks for steps of 27 s.
        let marks = one_two_five_grid(GridInput {
            bounds: (0.0, 430.0),
            base_step_size: 27.0,
        });
        let steps: Vec<f64> = marks.iter().map(|m| m.step_size).collect();
        for step in [50.0, 100.0, 200.0] {
            assert!(steps.contains(&step), "{step} in {steps:?}");
        }
        let widest = steps.iter().copied().fold(0.0, f64::max);
        assert!(widest >= 430.0, "{steps:?}");
    }

    /// The labels egui_plot draws from `marks` at `points_per_unit`: those of the marks whose
    /// step is wider than the x axis's label spacing (40 points), in order.
    fn labels(marks: &[GridMark], points_per_unit: f64) -> Vec<String> {
        marks
            .iter()
            .filter(|m| m.step_size * points_per_unit > 40.0)
            .map(|m| multiplier_label(10f64.powf(m.value)))
            .collect()
    }

    /// The marks of a log axis from `from` to `to` drawn `width_points` wide (egui_plot asks
    /// for steps of 8 points), and the points per decade.
    fn log_axis(from: f64, to: f64, width_points: f64) -> (Vec<GridMark>, f64) {
        let bounds = (from.log10(), to.log10());
        let per_decade = width_points / (bounds.1 - bounds.0);
        let marks = log_axis_grid(GridInput {
            bounds,
            base_step_size: 8.0 / per_decade,
        });
        (marks, per_decade)
    }

    #[test]
    fn a_log_axis_is_labelled_at_round_multipliers_however_many_decades_it_spans() {
        let (marks, per_decade) = log_axis(1.0, 3.26, 230.0);
        assert_eq!(labels(&marks, per_decade), ["×1", "×2", "×3"]);
        // Its finer lines are log paper's: 1.5, 2.5 are not on it, 4 is beyond the axis.
        for mark in &marks {
            let multiplier = 10f64.powf(mark.value);
            assert!(
                (multiplier - multiplier.round()).abs() < 1e-9,
                "×{multiplier}"
            );
        }
        let (marks, per_decade) = log_axis(1.0, 100.0, 230.0);
        assert_eq!(labels(&marks, per_decade), ["×1", "×10", "×100"]);
        assert!(
            marks
                .iter()
                .any(|m| (10f64.powf(m.value) - 50.0).abs() < 1e-9)
        );
        // Seven decades on 200 points: every other decade is labelled.
        let (marks, per_decade) = log_axis(1.0, 1e7, 200.0);
        assert_eq!(
            labels(&marks, per_decade),
            ["×1", "×100", "×10,000", "×1,000,000"]
        );
        // Close up, the tenths between 1 and 2 show.
        let (marks, per_decade) = log_axis(1.0, 2.0, 600.0);
        let shown = labels(&marks, per_decade);
        assert!(shown.contains(&"×1.5".to_string()), "{shown:?}");
        assert_eq!(shown.first().map(String::as_str), Some("×1"));
        assert_eq!(shown.last().map(String::as_str), Some("×2"));
    }

    #[test]
    fn a_log_axis_too_short_for_round_multipliers_still_gets_marks() {
        let (marks, _) = log_axis(1.26, 1.28, 200.0);
        assert!(marks.len() >= 2, "{marks:?}");
        for (bounds, base) in [((0.0, 1.0), 0.0), ((1.0, 0.0), 0.1), ((f64::NAN, 1.0), 0.1)] {
            let marks = log_axis_grid(GridInput {
                bounds,
                base_step_size: base,
            });
            assert!(marks.is_empty(), "{bounds:?} {base}");
        }
    }

    #[test]
    fn multipliers_are_labelled_without_trailing_zeros() {
        assert_eq!(multiplier_label(10f64.powf(2f64.log10())), "×2");
        assert_eq!(multiplier_label(2.5), "×2.5");
        assert_eq!(multiplier_label(1_000.0), "×1,000");
        assert_eq!(multiplier_label(10.0), "×10");
    }

    #[test]
    fn a_degenerate_axis_gets_no_grid() {
        for (bounds, base) in [
            ((0.0, 1.0), 0.0),
            ((0.0, 1.0), f64::NAN),
            ((f64::NEG_INFINITY, 1.0), 1.0),
            ((0.0, 1e12), 1e-6),
        ] {
            let marks = one_two_five_grid(GridInput {
                bounds,
                base_step_size: base,
            });
            assert!(marks.is_empty(), "{bounds:?} {base}");
        }
    }
}
