//! A journey: the fixes made to a design one after another ("each fix reveals the next
//! bottleneck"), each with what the design could do after it. It is saved with the design
//! (format version 4), so that a design carries the story of how it got there; Undo walks
//! back along it because it is part of the design.

use serde::{Deserialize, Serialize};

/// The most steps a journey keeps (the oldest fixes are dropped beyond it).
pub const MAX_STEPS: usize = 1_000;

/// One step: the design as it was at the start, or after a fix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JourneyStep {
    /// What the step was: "start", or the fix ("kitchen: scale out").
    pub title: String,
    /// What the fix changed, in a sentence (empty for the start).
    #[serde(default)]
    pub change: String,
    /// The users the fix was made for (every client's users × the scenario's multiplier ×
    /// the load slider).
    pub users: f64,
    /// The multiple of the design's base load at which its first bottleneck saturates (the
    /// ladder's first step); `None` when nothing saturates.
    #[serde(default)]
    pub sustainable_load: Option<f64>,
    /// The users whose load at the scenario's peak saturates the design's first bottleneck;
    /// `None` when nothing saturates.
    pub users_carried: Option<f64>,
    /// Of the requests that ended in a run at `users`, the share that succeeded, 0 to 1.
    pub success_ratio: f64,
    /// The 99th percentile of end-to-end latency in that run, in milliseconds.
    pub p99_ms: f64,
    /// The steady-state availability, 0 to 1.
    pub availability: f64,
    /// What the design costs a month at `users`, in the price table's currency.
    pub cost_per_month: f64,
}

/// The fixes made to a design, the design as it started first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Journey {
    /// The scenario the steps were measured under.
    pub scenario: String,
    /// The steps, in order.
    pub steps: Vec<JourneyStep>,
}

impl Journey {
    /// Add a step, dropping the oldest fix (never the start) past [`MAX_STEPS`].
    pub fn push(&mut self, step: JourneyStep) {
        self.steps.push(step);
        if self.steps.len() > MAX_STEPS {
            self.steps.remove(1);
        }
    }

    /// What is wrong with its numbers, if anything: each a sentence naming the step.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.steps.len() > MAX_STEPS {
            out.push(format!(
                "the journey has {} steps; it keeps at most {MAX_STEPS}",
                self.steps.len()
            ));
        }
        for (i, s) in self.steps.iter().enumerate() {
            let at = format!("journey step {i} ('{}')", s.title);
            let mut check = |what: &str, v: f64, lo: f64, hi: f64| {
                if !(v.is_finite() && v >= lo && v <= hi) {
                    out.push(format!(
                        "{at}: {what} must be between {lo} and {hi}, not {v}"
                    ));
                }
            };
            check("users", s.users, 0.0, f64::MAX);
            if let Some(load) = s.sustainable_load {
                check("sustainable_load", load, 0.0, f64::MAX);
            }
            if let Some(carried) = s.users_carried {
                check("users_carried", carried, 0.0, f64::MAX);
            }
            check("success_ratio", s.success_ratio, 0.0, 1.0);
            check("p99_ms", s.p99_ms, 0.0, f64::MAX);
            check("availability", s.availability, 0.0, 1.0);
            check("cost_per_month", s.cost_per_month, 0.0, f64::MAX);
        }
        out
    }
}
