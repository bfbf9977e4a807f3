//! Scenarios: the traffic a design is driven with, the failures it suffers, and how long and
//! how finely it is simulated. A design holds several, one of them the default.

use serde::{Deserialize, Serialize};

/// How the offered load changes over time, as a multiplier of the clients' base rates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TrafficProfile {
    /// The same load all the time.
    Constant,
    /// From `from` to `to` times the base load, linearly between `start_s` and `end_s`.
    Ramp {
        /// Load multiplier up to `start_s`.
        from: f64,
        /// Load multiplier from `end_s` on.
        to: f64,
        /// When the ramp starts, in seconds from the start of the run.
        start_s: f64,
        /// When the ramp reaches `to`, in seconds from the start of the run; after `start_s`.
        end_s: f64,
    },
    /// A sudden surge to `multiplier` at `at_s`, back to 1 at `until_s` (or never).
    StepSurge {
        /// When the surge starts, in seconds from the start of the run.
        at_s: f64,
        /// Load multiplier during the surge.
        multiplier: f64,
        /// When the load falls back to 1, in seconds from the start of the run (after `at_s`);
        /// `None` keeps the surge to the end.
        until_s: Option<f64>,
    },
    /// A viral spike: rises linearly to `peak` over `rise_s` from `at_s`, then decays
    /// exponentially back to 1 with time constant `decay_s`.
    Spike {
        /// When the spike starts to rise, in seconds from the start of the run.
        at_s: f64,
        /// Load multiplier at the top of the spike.
        peak: f64,
        /// Seconds from the start of the spike to its peak.
        rise_s: f64,
        /// Time constant of the decay back to 1, in seconds: after it, about 37 % of the excess
        /// over 1 remains.
        decay_s: f64,
    },
    /// A daily wave between `trough` and `peak`, highest at `peak_at_s` within each `period_s`.
    DailyWave {
        /// Length of one wave, in seconds (86,400 for a day).
        period_s: f64,
        /// Lowest load multiplier, reached half a period after each peak.
        trough: f64,
        /// Highest load multiplier.
        peak: f64,
        /// A time of a peak, in seconds from the start of the run; the wave repeats every
        /// `period_s` around it.
        peak_at_s: f64,
    },
    /// Piecewise linear through `(time_s, multiplier)` points, held flat outside them.
    Points(Vec<(f64, f64)>),
}

impl TrafficProfile {
    /// The load multiplier at time `t_s` seconds into the run.
    pub fn multiplier_at(&self, t_s: f64) -> f64 {
        match self {
            TrafficProfile::Constant => 1.0,
            TrafficProfile::Ramp {
                from,
                to,
                start_s,
                end_s,
            } => {
                if t_s <= *start_s {
                    *from
                } else if t_s >= *end_s {
                    *to
                } else {
                    from + (to - from) * (t_s - start_s) / (end_s - start_s)
                }
            }
            TrafficProfile::StepSurge {
                at_s,
                multiplier,
                until_s,
            } => {
                let ended = until_s.is_some_and(|u| t_s >= u);
                if t_s >= *at_s && !ended {
                    *multiplier
                } else {
                    1.0
                }
            }
            TrafficProfile::Spike {
                at_s,
                peak,
                rise_s,
                decay_s,
            } => {
                if t_s < *at_s {
                    1.0
                } else if t_s < at_s + rise_s {
                    1.0 + (peak - 1.0) * (t_s - at_s) / rise_s
                } else {
                    1.0 + (peak - 1.0) * (-(t_s - at_s - rise_s) / decay_s).exp()
                }
            }
            TrafficProfile::DailyWave {
                period_s,
                trough,
                peak,
                peak_at_s,
            } => {
                // The time since the last peak, within one period first, so that no product
                // overflows whatever the times (a peak at 1e308 s made the phase infinite).
                let since_peak = (t_s - peak_at_s).rem_euclid(*period_s);
                let phase = std::f64::consts::TAU * (since_peak / period_s);
                let m = trough + (peak - trough) * 0.5 * (1.0 + phase.cos());
                if m.is_finite() { m } else { 0.0 }
            }
            TrafficProfile::Points(points) => piecewise_linear(points, t_s),
        }
    }

    /// The highest multiplier the profile reaches at any time (at least the 1 that a spike
    /// or surge starts and ends at).
    pub fn peak_multiplier(&self) -> f64 {
        match self {
            TrafficProfile::Constant => 1.0,
            TrafficProfile::Ramp { from, to, .. } => from.max(*to),
            TrafficProfile::StepSurge { multiplier, .. } => multiplier.max(1.0),
            TrafficProfile::Spike { peak, .. } => peak.max(1.0),
            TrafficProfile::DailyWave { trough, peak, .. } => trough.max(*peak),
            TrafficProfile::Points(points) => points
                .iter()
                .map(|(_, m)| *m)
                .fold(if points.is_empty() { 1.0 } else { 0.0 }, f64::max),
        }
    }

    /// A short label for pickers.
    pub fn label(&self) -> &'static str {
        match self {
            TrafficProfile::Constant => "constant",
            TrafficProfile::Ramp { .. } => "ramp",
            TrafficProfile::StepSurge { .. } => "step surge",
            TrafficProfile::Spike { .. } => "spike",
            TrafficProfile::DailyWave { .. } => "daily wave",
            TrafficProfile::Points(_) => "points",
        }
    }
}

fn piecewise_linear(points: &[(f64, f64)], t_s: f64) -> f64 {
    let Some(first) = points.first() else {
        return 1.0;
    };
    if t_s <= first.0 {
        return first.1;
    }
    for pair in points.windows(2) {
        let (t0, m0) = pair[0];
        let (t1, m1) = pair[1];
        if t_s <= t1 {
            if t1 <= t0 {
                return m1;
            }
            return m0 + (m1 - m0) * (t_s - t0) / (t1 - t0);
        }
    }
    points.last().map_or(1.0, |p| p.1)
}

/// A failure the scenario schedules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledFailure {
    /// The name of the component that fails.
    pub component: String,
    /// How many of its instances fail; `None` fails them all.
    #[serde(default)]
    pub instances: Option<u32>,
    /// When it fails, in seconds from the start.
    pub at_s: f64,
    /// When it comes back, in seconds from the start; `None` = not during this run.
    #[serde(default)]
    pub recover_at_s: Option<f64>,
}

/// A named scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// The scenario's name, unique within the design; `default_scenario` and `--scenario` pick
    /// scenarios by it.
    pub name: String,
    /// What the scenario shows, in plain text (line breaks allowed).
    pub description: String,
    /// Seed of every random stream in the run.
    pub seed: u64,
    /// Length of one simulation tick, in seconds (0.001 to 60).
    pub tick_s: f64,
    /// Length of the run, in seconds.
    pub duration_s: f64,
    /// Seconds at the start left out of run means; `None` picks a default the report states.
    pub warmup_s: Option<f64>,
    /// Multiplies every client's rate (the load slider).
    pub load_multiplier: f64,
    /// Success ratio the design must keep; failing a component that drops it lower makes that
    /// component a single point of failure.
    pub target_success_ratio: f64,
    /// How the load changes over the run, as a multiplier on top of `load_multiplier` (default
    /// constant).
    pub profile: TrafficProfile,
    /// Failures at fixed times, each of a named component (none by default).
    pub failures: Vec<ScheduledFailure>,
    /// Also fail instances at random, drawn from each component's MTBF and MTTR.
    pub random_failures: bool,
    /// Caches start empty and warm up (otherwise they start at their hit ratio).
    pub caches_start_cold: bool,
    /// What a run of this scenario must show, checked by `archsandbox simulate` and
    /// `archsandbox check --assert-all` (a CI gate): each a figure, a comparison and a number,
    /// such as `"p99_ms < 200"` or `"kitchen.utilization < 0.8"` (see
    /// `model::assertions`). None by default.
    pub assertions: Vec<String>,
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            name: "steady".into(),
            description: String::new(),
            seed: 1,
            tick_s: 1.0,
            duration_s: 600.0,
            warmup_s: None,
            load_multiplier: 1.0,
            target_success_ratio: 0.999,
            profile: TrafficProfile::Constant,
            failures: Vec::new(),
            random_failures: false,
            caches_start_cold: false,
            assertions: Vec::new(),
        }
    }
}

impl Scenario {
    /// The number of whole ticks in the run (at least one).
    pub fn ticks(&self) -> u64 {
        if self.tick_s > 0.0 && self.duration_s.is_finite() {
            ((self.duration_s / self.tick_s).round() as u64).max(1)
        } else {
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piecewise_profile_interpolates_and_holds_at_the_ends() {
        let p = TrafficProfile::Points(vec![(10.0, 1.0), (20.0, 3.0)]);
        assert_eq!(p.multiplier_at(0.0), 1.0);
        assert_eq!(p.multiplier_at(15.0), 2.0);
        assert_eq!(p.multiplier_at(99.0), 3.0);
    }

    #[test]
    fn daily_wave_peaks_at_its_peak_time() {
        let p = TrafficProfile::DailyWave {
            period_s: 100.0,
            trough: 0.5,
            peak: 2.0,
            peak_at_s: 30.0,
        };
        assert!((p.multiplier_at(30.0) - 2.0).abs() < 1e-12);
        assert!((p.multiplier_at(80.0) - 0.5).abs() < 1e-12);
    }
}
