//! Plots over simulated time (egui_plot): throughput, success ratio, end-to-end latency,
//! utilization of the busiest components, and backlog. The timeline keeps what the runner
//! produced, thinned as it grows.

use std::collections::HashMap;

use egui::{Color32, Ui};
use egui_plot::{AxisHints, FilledArea, GridInput, GridMark, Legend, Line, Plot, PlotPoints};

use super::runner::RunnerOutput;
use crate::analysis::bands::{Band, Bands};
use crate::model::{ComponentId, Design};
use crate::sim::SystemTick;

/// Points kept per series before older ones are thinned to every other.
const POINTS: usize = 4_000;

/// What the plots draw, accumulated from the runner's fresh ticks.
#[derive(Debug, Default)]
pub struct Timeline {
    generation: u64,
    /// The system's ticks so far, oldest first (the older half thinned to every other as it grows).
    pub history: Vec<SystemTick>,
    /// Utilization per component: (time, utilization).
    pub utilization: HashMap<ComponentId, Vec<[f64; 2]>>,
    /// Backlog of the whole system per tick: (time, requests waiting).
    pub backlog: Vec<[f64; 2]>,
    /// The palette colour each component's utilization line has had, kept while it is shown
    /// so that a line does not change colour when the busiest five change.
    line_colors: HashMap<ComponentId, usize>,
}

/// The system over the last ticks (at least `seconds` of them, or one tick): offered,
/// completed and failed a second, the share of the ended requests that succeeded, what is in
/// flight now, and the latest latency. At 1 ms ticks a single tick completes nothing or a
/// thousand a second; a second's worth reads steadily.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Recent {
    /// Requests offered a second, averaged over the window.
    pub offered_per_s: f64,
    /// Requests completed end to end a second, averaged over the window.
    pub throughput_per_s: f64,
    /// Requests failed a second (dropped or answered with an error), averaged over the window.
    pub failed_per_s: f64,
    /// Of the requests that ended in the window, the share that succeeded (0 to 1; 1 when none
    /// ended).
    pub success_ratio: f64,
    /// Requests in flight at the end of the last tick: waiting somewhere, neither succeeded nor
    /// failed yet.
    pub in_flight: f64,
    /// The latest end-to-end latency of successful requests (mean and percentiles), in
    /// milliseconds.
    pub latency_ms: crate::sim::stats::Percentiles,
}

/// See [`Recent`].
pub fn recent(history: &[SystemTick], tick_s: f64, seconds: f64) -> Option<Recent> {
    let last = history.last()?;
    let ticks = ((seconds / tick_s.max(1e-9)).ceil() as usize).clamp(1, history.len());
    let window = &history[history.len() - ticks..];
    let n = window.len() as f64;
    let mean = |f: &dyn Fn(&SystemTick) -> f64| window.iter().map(f).sum::<f64>() / n;
    let throughput = mean(&|t| t.throughput_per_s);
    let failed = mean(&|t| t.failed_per_s);
    let ended = throughput.max(0.0) + failed;
    Some(Recent {
        offered_per_s: mean(&|t| t.offered_per_s),
        throughput_per_s: throughput.max(0.0),
        failed_per_s: failed,
        success_ratio: if ended > 0.0 {
            throughput.max(0.0) / ended
        } else {
            1.0
        },
        in_flight: last.in_flight,
        latency_ms: last.latency_ms,
    })
}

impl Timeline {
    /// Colours for the lines of `shown`: each keeps the one it had unless another shown line
    /// has it; the others take the first free ones.
    fn colors_for(&mut self, shown: &[ComponentId]) -> Vec<Color32> {
        let mut taken = [false; PALETTE.len()];
        let mut kept: Vec<Option<usize>> = Vec::with_capacity(shown.len());
        for id in shown {
            let color = self.line_colors.get(id).copied().filter(|c| !taken[*c]);
            if let Some(c) = color {
                taken[c] = true;
            }
            kept.push(color);
        }
        shown
            .iter()
            .zip(kept)
            .map(|(id, color)| {
                let c = color.unwrap_or_else(|| {
                    let free = taken.iter().position(|t| !t).unwrap_or(0);
                    taken[free] = true;
                    free
                });
                self.line_colors.insert(*id, c);
                PALETTE[c]
            })
            .collect()
    }
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
const PALETTE: [Color32; 10] = [
    Color32::from_rgb(86, 156, 214),
    Color32::from_rgb(235, 72, 60),
    Color32::from_rgb(63, 185, 80),
    Color32::from_rgb(214, 158, 40),
    Color32::from_rgb(180, 120, 220),
    Color32::from_rgb(90, 200, 200),
    Color32::from_rgb(230, 130, 180),
    Color32::from_rgb(160, 160, 160),
    Color32::from_rgb(150, 190, 60),
    Color32::from_rgb(240, 200, 110),
];

/// Points between grid lines below which egui_plot draws none (its default grid spacing):
/// the `base_step_size` a grid spacer is given is this many points in plot units.
const GRID_SPACING_POINTS: f64 = 8.0;
/// Points between x-axis labels from which the app's plots draw them (egui_plot's own 60
/// left five plots abreast with a lone 0 on their time axes).
pub const X_LABEL_SPACING_POINTS: f32 = 40.0;
/// Points between y-axis labels from which egui_plot draws them (its default).
const Y_LABEL_SPACING_POINTS: f32 = 20.0;
/// Points between the load sweep's x-axis labels from which they are drawn, at once at full
/// strength (see `log_axis_grid`).
pub const LOG_AXIS_LABEL_SPACING_POINTS: f32 = 30.0;

/// A plot in the app's style: value labels on a 1-2-5 grid (egui_plot's default powers of
/// ten leave a short plot with a lone 0 on its axis), and, for plots of several series, a
/// small, see-through legend that hides little of the lines (a plot of one series is named
/// by its axis).
///
/// The x axis labels its marks once they are 40 points apart, not egui_plot's 60: the app's
/// plots stand five abreast, and their labels are short numbers (egui_plot still never draws
/// a label closer to the next one than its own width).
pub fn styled_plot(id: &str, legend: bool) -> Plot<'static> {
    let plot = Plot::new(id.to_string())
        .custom_x_axes(vec![
            AxisHints::new_x().label_spacing(X_LABEL_SPACING_POINTS..=X_LABEL_SPACING_POINTS * 1.5),
        ])
        // Readable marks: "16 h 40 min", not "60000"; "1.4 M", not "1400000".
        .x_axis_formatter(|mark, _| duration_label(mark.value))
        .y_axis_formatter(|mark, _| compact_number(mark.value))
        .x_grid_spacer(|input| one_two_five_grid(input, X_LABEL_SPACING_POINTS))
        .y_grid_spacer(|input| one_two_five_grid(input, Y_LABEL_SPACING_POINTS));
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

/// A time axis mark in seconds as people read it: seconds below a thousand ("45 s", "500 s":
/// short labels on a short run), then the two largest units that are not zero ("16 min
/// 40 s", "16 h 40 min", "2 d 6 h").
pub fn duration_label(seconds: f64) -> String {
    if !seconds.is_finite() {
        return String::new();
    }
    let sign = if seconds < 0.0 { "-" } else { "" };
    let s = seconds.abs();
    if s < 1_000.0 {
        let text = format!("{s:.2}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        return format!("{sign}{text} s");
    }
    let whole = s.round() as u64;
    let parts = [
        (whole / 86_400, "d"),
        (whole % 86_400 / 3_600, "h"),
        (whole % 3_600 / 60, "min"),
        (whole % 60, "s"),
    ];
    let first = parts.iter().position(|(n, _)| *n > 0).unwrap_or(3);
    let shown: Vec<String> = parts[first..(first + 2).min(4)]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    format!("{sign}{}", shown.join(" "))
}

/// A value axis mark, short: "950", "12 k", "1.4 M", "3 G"; small values as they are.
pub fn compact_number(v: f64) -> String {
    let trimmed = |x: f64| {
        let text = format!("{x:.1}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    let a = v.abs();
    if a >= 1e9 {
        format!("{} G", trimmed(v / 1e9))
    } else if a >= 1e6 {
        format!("{} M", trimmed(v / 1e6))
    } else if a >= 1e4 {
        format!("{} k", trimmed(v / 1e3))
    } else if a >= 1.0 || a == 0.0 {
        trimmed(v)
    } else {
        let text = format!("{v:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The smallest 1-2-5 number (…, 1, 2, 5, 10, 20, …) at least `v`.
fn one_two_five_at_least(v: f64) -> f64 {
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= v * (1.0 - 1e-12))
        .unwrap_or(10.0 * magnitude)
}

/// The mantissa of a 1-2-5 number: 1, 2 or 5.
fn mantissa(step: f64) -> f64 {
    (step / 10f64.powf(step.log10().floor())).round()
}

/// Grid levels on 1-2-5 steps for an axis `span` long: the first level whose marks egui_plot
/// labels (the smallest step of at least `label_step`), the finer ones below it down to
/// `finest` for the lines between labels, and coarser ones above it until one spans the
/// axis. Each level divides the one above it (…, 1, 2, 10, 20, … or …, 1, 5, 10, 50, …), so
/// a mark's level is the largest that divides it and the labels of a level fall evenly,
/// never between those of a finer one. Building from the labelled level, not from the
/// finest, is what makes every span get labels about as close as they may be: a chain
/// built up from 100 goes 100, 200, 1,000 and gave a plot where 200 s were 31 points and
/// 1,000 s wider than the axis no label but its 0.
fn one_two_five_levels(finest: f64, label_step: f64, span: f64) -> Vec<f64> {
    /// A step can grow from the finest to a whole axis in this many levels at most.
    const MAX_GRID_LEVELS: usize = 24;
    let finest = one_two_five_at_least(finest);
    let labelled = one_two_five_at_least(label_step.max(finest));
    let finer = |step: f64| {
        if mantissa(step) == 5.0 {
            step / 5.0
        } else {
            step / 2.0
        }
    };
    let coarser = |step: f64| {
        if mantissa(step) == 2.0 {
            step * 5.0
        } else {
            step * 2.0
        }
    };
    let mut levels = vec![labelled];
    while levels.len() < MAX_GRID_LEVELS / 2
        && finer(levels[levels.len() - 1]) >= finest * (1.0 - 1e-9)
    {
        levels.push(finer(levels[levels.len() - 1]));
    }
    levels.reverse();
    while let Some(&last) = levels.last()
        && last < span
        && levels.len() < MAX_GRID_LEVELS
    {
        levels.push(coarser(last));
    }
    levels
}

/// The marks of `levels` (finest first) within `bounds`, each with the largest level that
/// divides it as its step; none if there would be more than egui_plot could use.
fn marks_of_levels(bounds: (f64, f64), levels: &[f64]) -> Vec<GridMark> {
    let (low, high) = bounds;
    let finest = levels[0];
    let (first, last) = ((low / finest).ceil(), (high / finest).floor());
    if !(last - first).is_finite() || last - first > 2_000.0 {
        return Vec::new();
    }
    let multiple_of = |v: f64, step: f64| ((v / step).round() * step - v).abs() < step * 1e-6;
    (first as i64..=last as i64)
        .map(|i| {
            let value = i as f64 * finest;
            let step_size = levels
                .iter()
                .rev()
                .copied()
                .find(|s| multiple_of(value, *s))
                .unwrap_or(finest);
            GridMark { value, step_size }
        })
        .collect()
}

/// Whether egui_plot's input describes an axis a grid can be drawn on.
fn drawable(input: &GridInput) -> bool {
    let (low, high) = input.bounds;
    let base = input.base_step_size;
    base > 0.0 && base.is_finite() && low.is_finite() && high.is_finite() && low < high
}

/// Grid marks on 1-2-5 steps for an axis whose labels egui_plot draws once they are
/// `label_spacing_points` apart: the finest level egui_plot can show as lines, the level
/// that is labelled (see `one_two_five_levels`), and coarser ones for stronger lines.
pub fn one_two_five_grid(input: GridInput, label_spacing_points: f32) -> Vec<GridMark> {
    one_two_five_grid_from(input, label_spacing_points, 0.0)
}

/// As `one_two_five_grid`, with no step below `smallest` (1 for whole counts and decades).
pub fn one_two_five_grid_from(
    input: GridInput,
    label_spacing_points: f32,
    smallest: f64,
) -> Vec<GridMark> {
    if !drawable(&input) {
        return Vec::new();
    }
    let base = input.base_step_size;
    let label_step = base * f64::from(label_spacing_points) / GRID_SPACING_POINTS;
    let levels = one_two_five_levels(
        base.max(smallest),
        label_step.max(smallest) * (1.0 + 1e-9),
        input.bounds.1 - input.bounds.0,
    );
    marks_of_levels(input.bounds, &levels)
}

/// Grid marks for an axis that shows the base-10 logarithm of a value (the load sweep's
/// multipliers), labelled from `LOG_AXIS_LABEL_SPACING_POINTS` apart: whole decades (×1,
/// ×10, ×100, on 1-2-5 multiples of a decade when decades are close), then within each
/// decade the marks of log paper, coarse to fine: 2 and 5; 3, 4, 6, 7, 8 and 9; and tenths
/// (1.1, 1.2, …). A mark's step is its smaller gap to a neighbour of its own set, so egui_plot
/// labels it, and draws its line strongly, only where it stands far enough from those
/// neighbours: a narrow sweep from ×1 to ×3 is labelled ×1, ×2, ×3, a wide one ×1, ×10,
/// ×100. An axis too short for two such marks gets the 1-2-5 marks of its logarithms.
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
    if !drawable(&input) {
        return Vec::new();
    }
    let (low, high) = input.bounds;
    let base = input.base_step_size;
    // Whole decades first.
    let mut marks = one_two_five_grid_from(
        GridInput {
            bounds: input.bounds,
            base_step_size: base,
        },
        LOG_AXIS_LABEL_SPACING_POINTS,
        1.0,
    );
    if high - low <= MAX_DECADES_WITH_MANTISSAS {
        let mut coarser: &[f64] = &[1.0];
        let sets = mantissa_sets();
        for set in &sets {
            let logs: Vec<f64> = set.iter().map(|m| m.log10()).collect();
            let gap = |i: usize| {
                let next = logs.get(i + 1).copied().unwrap_or(1.0);
                let previous = if i == 0 {
                    logs[logs.len() - 1] - 1.0
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
        return one_two_five_grid(input, LOG_AXIS_LABEL_SPACING_POINTS);
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

/// The top of a value axis that leaves room for a legend in the top corner above the
/// highest of `values` (a third of the plot more).
pub fn legend_headroom(values: impl Iterator<Item = f64>) -> f64 {
    values.filter(|v| v.is_finite()).fold(0.0, f64::max) * 1.35
}

/// A 0–100 % axis with room above 100 for a legend of `entries` (a line's worth each),
/// unlabelled: lines that run along the top stay clear of the legend.
pub fn percent_axis(plot: Plot<'static>, entries: usize) -> Plot<'static> {
    plot.include_y(100.0 + 11.0 * entries as f64)
        .y_axis_formatter(|mark, _| {
            if mark.value > 100.0 + 1e-9 {
                String::new()
            } else {
                format!("{:.0}", mark.value)
            }
        })
}

/// Draw the plots side by side; their time axes move together.
/// A band's 95 % interval as a shaded area in `color`, named for the legend (scaled by
/// `scale`: 100 for percentages).
fn band_area(bands: &Bands, band: &Band, color: Color32, scale: f64) -> FilledArea {
    let low: Vec<f64> = band
        .iter()
        .map(|i| (i.mean - i.half_width).max(0.0) * scale)
        .collect();
    let high: Vec<f64> = band
        .iter()
        .map(|i| (i.mean + i.half_width) * scale)
        .collect();
    // One run too few for an interval gives an infinite half-width: drawn as nothing.
    let finite = |v: &f64| v.is_finite();
    let (xs, low, high) = if low.iter().all(finite) && high.iter().all(finite) {
        (bands.time_s.as_slice(), low, high)
    } else {
        (&[][..], Vec::new(), Vec::new())
    };
    FilledArea::new(band_name(bands), xs, &low, &high).fill_color(color.gamma_multiply(0.25))
}

/// The legend's name of the bands.
pub fn band_name(bands: &Bands) -> String {
    format!("95 % over {} runs", bands.replications)
}

/// The five plots, with the bands' 95 % intervals shaded behind their curves when given.
pub fn show(
    ui: &mut Ui,
    timeline: &mut Timeline,
    design: &Design,
    selection: &[ComponentId],
    bands: Option<&Bands>,
) {
    let group = ui.make_persistent_id("plots-time-axis");
    // Exactly the panel's height: a resizable panel keeps the size its contents take, so
    // anything less would shrink it frame by frame.
    let height = ui.available_height().max(80.0);
    // Five abreast in the panel's width (six for a design that autoscales: its instances
    // plot must not hide past the edge); in a narrow window each gets narrower (not less than
    // `PLOT_MIN_WIDTH`), and past that the row scrolls instead of running under the side panel.
    let autoscales = design.components().any(|(_, c)| match &c.kind {
        crate::model::ComponentKind::Server(p) => p.autoscale.is_some(),
        crate::model::ComponentKind::MessageQueue(q) => q.autoscale.is_some(),
        _ => false,
    });
    let width = super::layout::plot_width(
        ui.available_width(),
        super::layout::PLOT_COUNT + usize::from(autoscales),
    );
    // The selected components, else the busiest five now.
    let mut ids: Vec<ComponentId> = selection.to_vec();
    if ids.is_empty() {
        let mut busiest: Vec<(ComponentId, f64)> = timeline
            .utilization
            .iter()
            .filter_map(|(id, s)| s.last().map(|last| (*id, last[1])))
            .filter(|(_, u)| *u > 0.0)
            .collect();
        busiest.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ids = busiest.into_iter().take(5).map(|(id, _)| id).collect();
    }
    ids.truncate(PALETTE.len());
    let colors = timeline.colors_for(&ids);
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
            .x_axis_label("time")
            .y_axis_label(y.to_string())
            .include_y(0.0)
    };
    egui::ScrollArea::horizontal().show(ui, |ui| {
        ui.horizontal(|ui| {
            plot("throughput", "requests/s", true)
                .include_y(legend_headroom(h.iter().map(|t| t.offered_per_s)))
                .show(ui, |p| {
                    if let Some(b) = bands {
                        p.add(band_area(b, &b.throughput_per_s, PALETTE[2], 1.0));
                        p.add(band_area(b, &b.failed_per_s, PALETTE[1], 1.0));
                    }
                    p.line(Line::new("offered", series(&|t| t.offered_per_s)).color(PALETTE[0]));
                    p.line(
                        Line::new("succeeded", series(&|t| t.throughput_per_s)).color(PALETTE[2]),
                    );
                    p.line(Line::new("failed", series(&|t| t.failed_per_s)).color(PALETTE[1]));
                    // Retries are load again on the hops they repeat: shown where a link retries.
                    if h.iter().any(|t| t.retries_per_s > 0.0) {
                        p.line(
                            Line::new("retries", series(&|t| t.retries_per_s))
                                .color(PALETTE[3])
                                .style(egui_plot::LineStyle::dashed_dense()),
                        );
                    }
                });
            plot("success", "success %", bands.is_some())
                .include_y(100.0)
                .show(ui, |p| {
                    if let Some(b) = bands {
                        p.add(band_area(b, &b.success_ratio, PALETTE[2], 100.0));
                    }
                    p.line(
                        Line::new("success ratio", series(&|t| t.success_ratio * 100.0))
                            .color(PALETTE[2]),
                    );
                    // A circuit breaker's state: up (at 100) while any is open or half-open.
                    if h.iter().any(|t| t.open_breakers > 0) {
                        p.line(
                            Line::new(
                                "breaker open",
                                series(&|t| if t.open_breakers > 0 { 100.0 } else { 0.0 }),
                            )
                            .color(PALETTE[1])
                            .style(egui_plot::LineStyle::dashed_dense()),
                        );
                    }
                });
            plot("latency", "ms (end to end)", true)
                .include_y(legend_headroom(h.iter().map(|t| t.latency_ms.p99)))
                .show(ui, |p| {
                    if let Some(b) = bands {
                        p.add(band_area(b, &b.latency_p50_ms, PALETTE[0], 1.0));
                        p.add(band_area(b, &b.latency_p99_ms, PALETTE[1], 1.0));
                    }
                    p.line(Line::new("p50", series(&|t| t.latency_ms.p50)).color(PALETTE[0]));
                    p.line(Line::new("p99", series(&|t| t.latency_ms.p99)).color(PALETTE[1]));
                });
            // The busiest lines run along the top, under the legend.
            percent_axis(plot("utilization", "utilization %", true), ids.len()).show(ui, |p| {
                for (id, color) in ids.iter().zip(colors) {
                    let (Some(s), Some(c)) = (timeline.utilization.get(id), design.component(*id))
                    else {
                        continue;
                    };
                    let points: PlotPoints = s.iter().map(|p| [p[0], p[1] * 100.0]).collect();
                    p.line(Line::new(c.name.clone(), points).color(color));
                }
            });
            // Whole requests: marks on whole numbers, and an axis up to at least one.
            plot("backlog", "requests waiting", true)
                .include_y(legend_headroom(
                    timeline
                        .backlog
                        .iter()
                        .map(|p| p[1])
                        .chain(h.iter().map(|t| t.in_flight)),
                ))
                .include_y(1.0)
                .y_grid_spacer(|input| one_two_five_grid_from(input, Y_LABEL_SPACING_POINTS, 1.0))
                .show(ui, |p| {
                    // Visits queued at components, and the clients' requests that have neither
                    // succeeded nor failed yet (a request waits in one queue or in several).
                    if let Some(b) = bands {
                        p.add(band_area(b, &b.in_flight, PALETTE[4], 1.0));
                    }
                    let points: PlotPoints = timeline.backlog.iter().copied().collect();
                    p.line(Line::new("queued at components", points).color(PALETTE[3]));
                    p.line(
                        Line::new("requests in flight", series(&|t| t.in_flight)).color(PALETTE[4]),
                    );
                });
            // Autoscaling groups: their instances in service and booting over time (a sixth
            // plot, only for a design that autoscales).
            let scaled = |t: &SystemTick| t.autoscaled_in_service + t.autoscaled_booting;
            if autoscales {
                plot("instances", "instances, consumers (autoscaled)", true)
                    .include_y(legend_headroom(h.iter().map(|t| f64::from(scaled(t)))))
                    .include_y(1.0)
                    .y_grid_spacer(|input| {
                        one_two_five_grid_from(input, Y_LABEL_SPACING_POINTS, 1.0)
                    })
                    .show(ui, |p| {
                        p.line(
                            Line::new(
                                "in service",
                                series(&|t| f64::from(t.autoscaled_in_service)),
                            )
                            .color(PALETTE[2]),
                        );
                        p.line(
                            Line::new("booting", series(&|t| f64::from(t.autoscaled_booting)))
                                .color(PALETTE[3])
                                .style(egui_plot::LineStyle::dashed_dense()),
                        );
                    });
            }
        })
    });
}

#[cfg(test)]
mod tests {

    #[test]
    fn axis_marks_read_as_people_write_them() {
        // Issue 15, item 16: "1400000" and "60000 s" on the axes.
        assert_eq!(duration_label(0.0), "0 s");
        assert_eq!(duration_label(45.0), "45 s");
        assert_eq!(duration_label(2.5), "2.5 s");
        assert_eq!(duration_label(500.0), "500 s");
        assert_eq!(duration_label(1_000.0), "16 min 40 s");
        assert_eq!(duration_label(3_600.0), "1 h");
        assert_eq!(duration_label(60_000.0), "16 h 40 min");
        assert_eq!(duration_label(86_400.0 * 2.0 + 6.0 * 3_600.0), "2 d 6 h");
        assert_eq!(compact_number(1_400_000.0), "1.4 M");
        assert_eq!(compact_number(12_000.0), "12 k");
        assert_eq!(compact_number(950.0), "950");
        assert_eq!(compact_number(0.0), "0");
        assert_eq!(compact_number(0.25), "0.25");
        assert_eq!(compact_number(2.5e9), "2.5 G");
    }
    use super::*;

    /// The distinct steps of `marks`, smallest first.
    fn steps_of(marks: &[GridMark]) -> Vec<f64> {
        let mut steps: Vec<f64> = marks.iter().map(|m| m.step_size).collect();
        steps.sort_by(f64::total_cmp);
        steps.dedup();
        steps
    }

    #[test]
    fn the_grid_steps_go_one_two_five_and_mark_each_value_by_its_largest_step() {
        // 80 units on 278 points (2.3 units per 8 points): lines every 5, labels every 20.
        let marks = one_two_five_grid(
            GridInput {
                bounds: (0.0, 80.0),
                base_step_size: 2.3,
            },
            X_LABEL_SPACING_POINTS,
        );
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
    }

    #[test]
    fn every_axis_is_labelled_about_as_densely_as_labels_fit_and_levels_divide_each_other() {
        // Spans from a few seconds to a day, on plots from 100 to 1,200 points.
        for span in [
            7.0, 30.0, 100.0, 430.0, 736.0, 1_000.0, 3_600.0, 20_000.0, 86_400.0,
        ] {
            for width in (100..=1_200).step_by(13) {
                let points_per_unit = f64::from(width) / span;
                for label_points in [X_LABEL_SPACING_POINTS, Y_LABEL_SPACING_POINTS] {
                    let marks = one_two_five_grid(
                        GridInput {
                            bounds: (0.0, span),
                            base_step_size: GRID_SPACING_POINTS / points_per_unit,
                        },
                        label_points,
                    );
                    let case = format!("{span} on {width} points, labels from {label_points}");
                    let steps = steps_of(&marks);
                    for pair in steps.windows(2) {
                        let ratio = pair[1] / pair[0];
                        assert!(
                            (ratio - 2.0).abs() < 1e-9 || (ratio - 5.0).abs() < 1e-9,
                            "{case}: {steps:?}"
                        );
                    }
                    // The labelled level is the first whose marks stand far enough apart, at
                    // most a 1-2-5 step further: labels are never needlessly sparse.
                    let label_min = f64::from(label_points);
                    let labelled = steps
                        .iter()
                        .position(|s| s * points_per_unit > label_min)
                        .unwrap_or_else(|| panic!("{case}: no labelled level in {steps:?}"));
                    assert!(
                        steps[labelled] * points_per_unit <= label_min * 2.5 + 1e-9,
                        "{case}: labels {} points apart",
                        steps[labelled] * points_per_unit
                    );
                    let shown = marks
                        .iter()
                        .filter(|m| m.step_size * points_per_unit > label_min)
                        .count();
                    assert!(shown >= 2, "{case}: {shown} labels");
                }
            }
        }
    }

    #[test]
    fn a_line_keeps_its_colour_while_the_others_shown_change() {
        let id = |i: u32| ComponentId::new(i as usize);
        let mut timeline = Timeline::default();
        let first = timeline.colors_for(&[id(1), id(2), id(3)]);
        // 2 drops out, 4 comes in ahead of the others: 1 and 3 keep theirs, 4 takes 2's.
        let second = timeline.colors_for(&[id(4), id(1), id(3)]);
        assert_eq!((second[1], second[2]), (first[0], first[2]));
        assert_eq!(second[0], first[1]);
        // No two shown lines share a colour.
        let many: Vec<ComponentId> = (0..PALETTE.len() as u32).map(id).collect();
        let colors = timeline.colors_for(&many);
        for (i, a) in colors.iter().enumerate() {
            assert!(colors[i + 1..].iter().all(|b| b != a));
        }
    }

    #[test]
    fn a_count_axis_is_marked_on_whole_numbers_only() {
        // Three requests waiting at most, on 150 points: 0, 1, 2, 3 (not 0, 0.5, 1, …, which
        // whole-number labels showed as 0, 1, 1, 2, 2, 3).
        let marks = one_two_five_grid_from(
            GridInput {
                bounds: (0.0, 3.0),
                base_step_size: 3.0 * GRID_SPACING_POINTS / 150.0,
            },
            Y_LABEL_SPACING_POINTS,
            1.0,
        );
        let values: Vec<f64> = marks.iter().map(|m| m.value).collect();
        assert_eq!(values, [0.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn some_level_of_marks_spans_the_axis_so_that_a_narrow_plot_is_labelled() {
        // A run of 430 s on a plot about 130 points wide: egui_plot asks for steps of 27 s.
        let marks = one_two_five_grid(
            GridInput {
                bounds: (0.0, 430.0),
                base_step_size: 27.0,
            },
            X_LABEL_SPACING_POINTS,
        );
        let steps = steps_of(&marks);
        for step in [50.0, 100.0, 200.0] {
            assert!(steps.contains(&step), "{step} in {steps:?}");
        }
        let widest = steps.iter().copied().fold(0.0, f64::max);
        assert!(widest >= 430.0, "{steps:?}");
    }

    #[test]
    fn a_degenerate_axis_gets_no_grid() {
        for (bounds, base) in [
            ((0.0, 1.0), 0.0),
            ((0.0, 1.0), f64::NAN),
            ((f64::NEG_INFINITY, 1.0), 1.0),
            ((0.0, 1e12), 1e-6),
        ] {
            let marks = one_two_five_grid(
                GridInput {
                    bounds,
                    base_step_size: base,
                },
                X_LABEL_SPACING_POINTS,
            );
            assert!(marks.is_empty(), "{bounds:?} {base}");
        }
    }

    /// The labels egui_plot draws from `marks` at `points_per_unit`: those of the marks whose
    /// step is wider than the sweep's label spacing, in order.
    fn labels(marks: &[GridMark], points_per_unit: f64) -> Vec<String> {
        marks
            .iter()
            .filter(|m| m.step_size * points_per_unit > f64::from(LOG_AXIS_LABEL_SPACING_POINTS))
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
        assert_eq!(
            labels(&marks, per_decade),
            ["×1", "×2", "×5", "×10", "×20", "×50", "×100"]
        );
        let (marks, per_decade) = log_axis(1.0, 1_000.0, 230.0);
        assert_eq!(labels(&marks, per_decade), ["×1", "×10", "×100", "×1,000"]);
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
}
