//! Replications: the same run on independent seeds, every figure as a mean with its 95 %
//! confidence interval (Student t on the runs' spread), so that a user sees how far a figure
//! moves from seed to seed. The runs are spread over all cores (scoped threads: a plain
//! parallel map needs no crate). Either engine.
//!
//! A replication's seed is derived from the run's: seed + k × 0x9E37_79B9_7F4A_7C15 (the
//! golden ratio's 64-bit fraction), k = 1 … N, so that no two share a random stream with each
//! other or with the run itself.
//!
//! Every number of the run's summary (the system and each component) gets an interval:
//! the summary is read as JSON and each numeric leaf becomes `{ "mean", "half_width" }` at the
//! same place, so that a field added to the summary gets its interval without a change here.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{Design, PriceTable, Scenario};
use crate::sim::{RunSummary, SimError, Simulation};

use super::report::Engine;

/// The most replications one command may ask for.
pub const MAX_REPLICATIONS: usize = 1_000;

/// A figure over the replications: its mean and the half-width of its 95 % confidence
/// interval (mean ± half-width).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    /// The mean over the replications.
    pub mean: f64,
    /// Half the width of the 95 % confidence interval of the mean (Student t with N − 1
    /// degrees of freedom).
    pub half_width: f64,
}

impl Interval {
    /// The interval of these values (at least two).
    pub fn of(values: &[f64]) -> Self {
        let n = values.len();
        if n == 0 {
            return Self {
                mean: 0.0,
                half_width: 0.0,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Self {
                mean,
                half_width: f64::INFINITY,
            };
        }
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
        Self {
            mean,
            half_width: student_t_975(n as u32 - 1) * (variance / n as f64).sqrt(),
        }
    }

    /// Whether `value` lies in the interval.
    pub fn contains(&self, value: f64) -> bool {
        (value - self.mean).abs() <= self.half_width
    }
}

/// The replications of a run: how many, their seeds, and an interval for every figure of the
/// run's summary (`system` and `components`, shaped as the summary's, each number an
/// [`Interval`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Replications {
    /// Runs made.
    pub count: usize,
    /// Their seeds, in order.
    pub seeds: Vec<u64>,
    /// The system's figures as intervals.
    pub system: Value,
    /// Each component's figures as intervals, in the summary's order.
    pub components: Value,
}

impl Replications {
    /// The interval of the system's figure at `path`, keys into the summary's `system` (such
    /// as `["latency_ms", "p99"]`); `None` if the summary has no number there.
    pub fn system_figure(&self, path: &[&str]) -> Option<Interval> {
        interval_at(&self.system, path)
    }

    /// The interval of component `name`'s figure at `path`, keys into its entry of the
    /// summary's `components`; `None` if there is no such component or number.
    pub fn component_figure(&self, name: &str, path: &[&str]) -> Option<Interval> {
        let component = self
            .components
            .as_array()?
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(name))?;
        interval_at(component, path)
    }
}

/// The interval at `path` in a tree [`intervals`] made. A half-width JSON could not hold
/// (infinite: one run only) reads as infinite.
fn interval_at(value: &Value, path: &[&str]) -> Option<Interval> {
    let leaf = path.iter().try_fold(value, |v, key| v.get(key))?;
    Some(Interval {
        mean: leaf.get("mean")?.as_f64()?,
        half_width: leaf
            .get("half_width")
            .and_then(Value::as_f64)
            .unwrap_or(f64::INFINITY),
    })
}

/// The 97.5th percentile of Student's t with `df` degrees of freedom: the multiplier of a
/// two-sided 95 % interval. Exact table values up to 30 degrees of freedom; beyond, the
/// Cornish–Fisher expansion about the normal's 1.95996 (within 0.001 of the exact value).
pub fn student_t_975(df: u32) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df as usize - 1],
        _ => {
            let z = 1.959_963_984_540_054_f64;
            let v = f64::from(df);
            z + (z.powi(3) + z) / (4.0 * v)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
        }
    }
}

/// The seed of replication `k` (from 1) of a run seeded `seed`.
pub fn replication_seed(seed: u64, k: usize) -> u64 {
    seed.wrapping_add((k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Run `count` replications of the run `options` describes (its seed the base) with
/// `engine`, over all cores, and make each figure an interval.
pub fn replicate(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    run: &crate::sim::RunOptions,
    engine: Engine,
    count: usize,
) -> Result<Replications, SimError> {
    replicate_counted(
        design,
        scenario,
        prices,
        run,
        engine,
        count,
        &AtomicUsize::new(0),
    )
}

/// [`replicate`], adding one to `done` as each run ends (for a progress bar on another
/// thread).
pub fn replicate_counted(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    run: &crate::sim::RunOptions,
    engine: Engine,
    count: usize,
    done: &AtomicUsize,
) -> Result<Replications, SimError> {
    if !(2..=MAX_REPLICATIONS).contains(&count) {
        return Err(SimError::BadOptions(format!(
            "replications must be between 2 and {MAX_REPLICATIONS}, not {count}"
        )));
    }
    let base = run.seed.unwrap_or(scenario.seed);
    let seeds: Vec<u64> = (1..=count).map(|k| replication_seed(base, k)).collect();
    let one = |seed: u64| -> Result<RunSummary, SimError> {
        let options = crate::sim::RunOptions {
            seed: Some(seed),
            ..run.clone()
        };
        match engine {
            Engine::Flow => {
                let mut sim = Simulation::with_options(design, scenario, prices, options)?;
                sim.run_to_end()?;
                Ok(sim.summary())
            }
            Engine::Events => {
                crate::sim::events::run_events_summary(design, scenario, prices, &options)
                    .map(|(summary, _)| summary)
            }
        }
    };
    let summaries = over_seeds(&seeds, done, one)?;
    let as_json =
        |s: &RunSummary, part: &str| serde_json::to_value(s).ok().map(|v| v[part].clone());
    let systems: Vec<Value> = summaries
        .iter()
        .filter_map(|s| as_json(s, "system"))
        .collect();
    let components: Vec<Value> = summaries
        .iter()
        .filter_map(|s| as_json(s, "components"))
        .collect();
    Ok(Replications {
        count,
        seeds,
        system: intervals(&systems),
        components: intervals(&components),
    })
}

/// `one(seed)` for every seed, over all cores (scoped threads taking the next seed as they
/// finish one), in the seeds' order; adds one to `done` as each ends. The first error (in
/// the seeds' order) fails the lot.
pub fn over_seeds<T: Send>(
    seeds: &[u64],
    done: &AtomicUsize,
    one: impl Fn(u64) -> Result<T, SimError> + Sync,
) -> Result<Vec<T>, SimError> {
    let count = seeds.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(count.max(1));
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<T, SimError>>> = (0..count).map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut finished = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&seed) = seeds.get(k) else {
                            break;
                        };
                        let result = one(seed);
                        done.fetch_add(1, Ordering::Relaxed);
                        finished.push((k, result));
                    }
                    finished
                })
            })
            .collect();
        for worker in workers {
            // A run that panicked is reported below as missing.
            if let Ok(finished) = worker.join() {
                for (k, result) in finished {
                    results[k] = Some(result);
                }
            }
        }
    });
    results
        .into_iter()
        .map(|result| {
            result.unwrap_or_else(|| Err(SimError::Internal("a replication stopped".into())))
        })
        .collect()
}

/// The values' common shape with every number replaced by its interval across them; strings
/// and other leaves are kept from the first (names, kinds).
fn intervals(values: &[Value]) -> Value {
    let Some(first) = values.first() else {
        return Value::Null;
    };
    match first {
        Value::Number(_) => {
            let numbers: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
            serde_json::to_value(Interval::of(&numbers)).unwrap_or(Value::Null)
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for key in map.keys() {
                let children: Vec<Value> =
                    values.iter().filter_map(|v| v.get(key).cloned()).collect();
                out.insert(key.clone(), intervals(&children));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            (0..items.len())
                .map(|i| {
                    let children: Vec<Value> =
                        values.iter().filter_map(|v| v.get(i).cloned()).collect();
                    intervals(&children)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_t_matches_the_tables_and_tends_to_the_normal() {
        assert_eq!(student_t_975(1), 12.706);
        assert_eq!(student_t_975(9), 2.262);
        assert_eq!(student_t_975(29), 2.045);
        // Beyond the table: 40 → 2.021, 60 → 2.000, 120 → 1.980 (published values).
        for (df, t) in [(40, 2.021), (60, 2.000), (120, 1.980)] {
            assert!(
                (student_t_975(df) - t).abs() < 0.001,
                "{df}: {}",
                student_t_975(df)
            );
        }
        assert!((student_t_975(1_000_000) - 1.96).abs() < 0.001);
    }

    #[test]
    fn an_interval_is_the_mean_plus_or_minus_t_times_the_standard_error() {
        // 1, 2, 3, 4, 5: mean 3, s = √2.5, t(4) = 2.776, half-width 2.776 × √(2.5/5).
        let i = Interval::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(i.mean, 3.0);
        assert!((i.half_width - 2.776 * (0.5f64).sqrt()).abs() < 1e-12);
        assert!(i.contains(4.9) && !i.contains(5.1));
    }

    #[test]
    fn numbers_become_intervals_in_place_and_names_stay() {
        let runs = [
            serde_json::json!({"name": "a", "x": 1.0, "inner": {"y": [2.0, 10.0]}}),
            serde_json::json!({"name": "a", "x": 3.0, "inner": {"y": [4.0, 10.0]}}),
        ];
        let out = intervals(&runs);
        assert_eq!(out["name"], "a");
        assert_eq!(out["x"]["mean"], 2.0);
        assert_eq!(out["inner"]["y"][0]["mean"], 3.0);
        assert_eq!(out["inner"]["y"][1]["half_width"], 0.0);
    }

    #[test]
    fn a_figure_is_found_by_its_path_and_a_component_by_its_name() {
        let replications = Replications {
            count: 2,
            seeds: vec![1, 2],
            system: intervals(&[
                serde_json::json!({"latency_ms": {"p99": 10.0}}),
                serde_json::json!({"latency_ms": {"p99": 12.0}}),
            ]),
            components: intervals(&[
                serde_json::json!([{"name": "a", "utilization": 0.5}, {"name": "b", "utilization": 0.1}]),
                serde_json::json!([{"name": "a", "utilization": 0.7}, {"name": "b", "utilization": 0.1}]),
            ]),
        };
        let p99 = replications.system_figure(&["latency_ms", "p99"]);
        assert_eq!(p99.map(|i| i.mean), Some(11.0));
        let a = replications.component_figure("a", &["utilization"]);
        assert!(a.is_some_and(|i| (i.mean - 0.6).abs() < 1e-12 && i.half_width > 0.0));
        assert_eq!(replications.component_figure("c", &["utilization"]), None);
        assert_eq!(replications.system_figure(&["nothing"]), None);
    }
}
