//! How much of a run's start to cut: MSER-5 (White, 1997; Franklin and White, 2008), the
//! marginal standard error rule on batches of five observations.
//!
//! The series (one observation a tick: the requests in flight) is averaged in batches of
//! five, Z₁ … Z_m. Cutting the first d batches leaves a mean whose squared standard error
//! is estimated by
//!
//! MSER(d) = Σ_{j>d} (Z_j − Z̄_d)² / (m − d)²
//!
//! and the rule cuts the d that makes it least, looking no further than half the batches. A
//! transient at the start inflates the spread of what is kept, so cutting it lowers MSER
//! until the rest is steady; cutting more only shrinks the sample, which raises it. When the
//! least MSER lies at the end of the search (half the run), the run never settled: past the
//! knee the requests in flight grow to the end, and no cut makes the rest steady.

/// What MSER-5 found on a series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mser {
    /// Observations to cut from the start (a multiple of five).
    pub cut: usize,
    /// Whether the rest of the run is steady: the least MSER lies before half the run.
    pub settled: bool,
}

/// Batches of five the rule needs before it says anything: with fewer, nothing is cut and
/// the run counts as settled (too short to tell).
pub const MIN_BATCHES: usize = 10;

/// MSER-5 on `series` (observations in time order).
pub fn mser5(series: &[f64]) -> Mser {
    let batches: Vec<f64> = series
        .chunks_exact(5)
        .map(|b| b.iter().sum::<f64>() / 5.0)
        .collect();
    let m = batches.len();
    if m < MIN_BATCHES || batches.iter().any(|z| !z.is_finite()) {
        return Mser {
            cut: 0,
            settled: true,
        };
    }
    // Sums over the batches after d, from the end: O(m) in all.
    let mut sum = 0.0;
    let mut sum_sq = 0.0;
    let mut suffix = vec![(0.0, 0.0); m + 1];
    for j in (0..m).rev() {
        sum += batches[j];
        sum_sq += batches[j] * batches[j];
        suffix[j] = (sum, sum_sq);
    }
    let last = m / 2;
    let mut best = (f64::INFINITY, 0);
    for (d, &(s, s2)) in suffix.iter().enumerate().take(last + 1) {
        let kept = (m - d) as f64;
        // Σ(Z − Z̄)² = Σ Z² − (Σ Z)² / n, never below 0 whatever the rounding.
        let spread = (s2 - s * s / kept).max(0.0);
        let mser = spread / (kept * kept);
        if mser < best.0 {
            best = (mser, d);
        }
    }
    Mser {
        cut: best.1 * 5,
        settled: best.1 < last,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible noise in [−1, 1) (a linear congruential generator: no crate needed).
    fn noise(n: usize, seed: u64) -> Vec<f64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn a_steady_series_is_cut_little() {
        for seed in 1..20 {
            let series: Vec<f64> = noise(1_000, seed).iter().map(|e| 50.0 + e).collect();
            let m = mser5(&series);
            assert!(m.settled, "seed {seed}");
            assert!(m.cut <= 250, "seed {seed}: cut {}", m.cut);
        }
    }

    #[test]
    fn a_transient_at_the_start_is_cut_to_about_its_end() {
        // A queue filling from empty: 0 → 100 over the first 200 ticks, then 100 ± 1.
        for seed in 1..20 {
            let series: Vec<f64> = noise(1_000, seed)
                .iter()
                .enumerate()
                .map(|(t, e)| (t as f64 / 2.0).min(100.0) + e)
                .collect();
            let m = mser5(&series);
            assert!(m.settled, "seed {seed}");
            assert!(
                (185..=230).contains(&m.cut),
                "seed {seed}: cut {} (the ramp ends at 200)",
                m.cut
            );
        }
    }

    #[test]
    fn a_series_that_grows_to_the_end_never_settles() {
        // Past the knee: the backlog grows all run long.
        let series: Vec<f64> = noise(1_000, 3)
            .iter()
            .enumerate()
            .map(|(t, e)| t as f64 * 0.5 + e)
            .collect();
        let m = mser5(&series);
        assert!(!m.settled);
        assert_eq!(m.cut, 500);
    }

    #[test]
    fn short_or_broken_series_cut_nothing() {
        assert_eq!(
            mser5(&[1.0; 49]),
            Mser {
                cut: 0,
                settled: true
            }
        );
        let mut series = vec![1.0; 100];
        series[7] = f64::NAN;
        assert_eq!(mser5(&series).cut, 0);
    }
}
