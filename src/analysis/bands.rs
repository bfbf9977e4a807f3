//! Bands over time: the run the plots show, replicated on derived seeds, so that each curve
//! over simulated time has its 95 % interval beside it — how far it would move with another
//! seed.
//!
//! Each replication (the flow engine, as the live plots are) keeps its per-tick history; the
//! ticks are grouped into at most [`MAX_BINS`] bins of equal length, each figure is averaged
//! over a bin within each run, and a bin's interval is the mean ± Student-t half-width of
//! those per-run averages across the runs (independent runs, so independent values: the
//! within-run correlation of neighbouring ticks does not narrow it). The seeds are those of
//! `simulate --replications N` (see [`super::replications::replication_seed`]).

use std::sync::atomic::AtomicUsize;

use serde::Serialize;

use super::replications::{Interval, MAX_REPLICATIONS, over_seeds, replication_seed};
use crate::model::{Design, PriceTable, Scenario};
use crate::sim::{RunOptions, SimError, Simulation, SystemTick};

/// The most time bins a band has: finer than a plot's pixels is wasted work.
pub const MAX_BINS: usize = 400;

/// One figure over time: its interval in each bin.
pub type Band = Vec<Interval>;

/// The plotted figures over time, each a band across the replications.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Bands {
    /// Runs made.
    pub replications: usize,
    /// The middle of each bin, in simulated seconds.
    pub time_s: Vec<f64>,
    /// Requests completed end to end a second.
    pub throughput_per_s: Band,
    /// Requests failed a second.
    pub failed_per_s: Band,
    /// Of the requests that ended, the share that succeeded (0 to 1).
    pub success_ratio: Band,
    /// End-to-end latency percentiles of the requests that succeeded, in milliseconds.
    pub latency_p50_ms: Band,
    /// See `latency_p50_ms`.
    pub latency_p99_ms: Band,
    /// Client requests in flight.
    pub in_flight: Band,
}

/// The figures a band is made of, read from one tick.
const FIGURES: [fn(&SystemTick) -> f64; 6] = [
    |t| t.throughput_per_s,
    |t| t.failed_per_s,
    |t| t.success_ratio,
    |t| t.latency_ms.p50,
    |t| t.latency_ms.p99,
    |t| t.in_flight,
];

/// Replicate the run `run` describes `count` times (at least 2) on derived seeds, over all
/// cores, adding one to `done` as each ends, and make its figures over time bands.
pub fn replicate_bands(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    run: &RunOptions,
    count: usize,
    done: &AtomicUsize,
) -> Result<Bands, SimError> {
    if !(2..=MAX_REPLICATIONS).contains(&count) {
        return Err(SimError::BadOptions(format!(
            "replications must be between 2 and {MAX_REPLICATIONS}, not {count}"
        )));
    }
    let base = run.seed.unwrap_or(scenario.seed);
    let seeds: Vec<u64> = (1..=count).map(|k| replication_seed(base, k)).collect();
    // Each run: per bin, the mean of each figure (bins and their times are the same in every
    // run: the same ticks).
    let runs = over_seeds(&seeds, done, |seed| {
        let options = RunOptions {
            seed: Some(seed),
            keep_history: true,
            ..run.clone()
        };
        let mut sim = Simulation::with_options(design, scenario, prices, options)?;
        sim.run_to_end()?;
        Ok(binned(sim.history()))
    })?;
    let Some((time_s, _)) = runs.first() else {
        return Ok(Bands::default());
    };
    let time_s = time_s.clone();
    let band = |figure: usize| -> Band {
        (0..time_s.len())
            .map(|b| {
                let values: Vec<f64> = runs
                    .iter()
                    .filter_map(|(_, bins)| bins.get(b).map(|row| row[figure]))
                    .filter(|v| v.is_finite())
                    .collect();
                Interval::of(&values)
            })
            .collect()
    };
    Ok(Bands {
        replications: count,
        throughput_per_s: band(0),
        failed_per_s: band(1),
        success_ratio: band(2),
        latency_p50_ms: band(3),
        latency_p99_ms: band(4),
        in_flight: band(5),
        time_s,
    })
}

/// One run's history in at most [`MAX_BINS`] bins of whole ticks: each bin's middle time and
/// its mean of each figure. A latency of a tick in which nothing succeeded (0) is left out of
/// its bin's latency means.
fn binned(history: &[SystemTick]) -> (Vec<f64>, Vec<[f64; FIGURES.len()]>) {
    let per_bin = history.len().div_ceil(MAX_BINS).max(1);
    let mut times = Vec::with_capacity(MAX_BINS);
    let mut rows = Vec::with_capacity(MAX_BINS);
    for bin in history.chunks(per_bin) {
        let (Some(first), Some(last)) = (bin.first(), bin.last()) else {
            continue;
        };
        times.push(0.5 * (first.time_s + last.time_s));
        let mut row = [0.0; FIGURES.len()];
        for (f, figure) in FIGURES.iter().enumerate() {
            let is_latency = f == 3 || f == 4;
            let values = bin
                .iter()
                .map(figure)
                .filter(|v| v.is_finite() && (!is_latency || *v > 0.0));
            let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
            // A bin with no figure (no request succeeded: no latency) is NaN, left out of
            // the band across the runs rather than averaged in as 0.
            row[f] = if n > 0 { sum / n as f64 } else { f64::NAN };
        }
        rows.push(row);
    }
    (times, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick(i: u64, throughput: f64) -> SystemTick {
        SystemTick {
            tick: i,
            time_s: i as f64,
            throughput_per_s: throughput,
            success_ratio: 1.0,
            ..SystemTick::default()
        }
    }

    #[test]
    fn a_long_history_is_binned_to_at_most_max_bins_of_whole_ticks() {
        let history: Vec<SystemTick> = (0..1_000).map(|i| tick(i, i as f64)).collect();
        let (times, rows) = binned(&history);
        assert!(times.len() <= MAX_BINS && times.len() >= MAX_BINS / 2);
        assert_eq!(times.len(), rows.len());
        // Three ticks a bin: the first bin holds ticks 0, 1, 2, whose mean is 1.
        assert_eq!(times[0], 1.0);
        assert_eq!(rows[0][0], 1.0);
        // A latency of 0 (nothing succeeded) is not averaged in: no latency in the bin.
        assert!(rows[0][3].is_nan());
    }

    #[test]
    fn a_short_history_keeps_a_bin_a_tick() {
        let history: Vec<SystemTick> = (0..10).map(|i| tick(i, 5.0)).collect();
        let (times, rows) = binned(&history);
        assert_eq!(times.len(), 10);
        assert!(rows.iter().all(|r| r[0] == 5.0 && r[2] == 1.0));
        assert_eq!(binned(&[]), (Vec::new(), Vec::new()));
    }
}
