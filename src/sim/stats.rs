//! Statistics: log-spaced histograms for latency percentiles, and percentiles of small samples.

/// The smallest latency told apart, in milliseconds (values below share the first bin).
const FLOOR_MS: f64 = 0.001;
/// Empty bins added at least when a histogram grows downwards (see `add_outside`).
const MIN_SPARE_BINS: usize = 16;

/// A histogram of positive values in log-linear bins (each power of two split into 2^m
/// equal parts, as HdrHistogram does), growing to the range it sees. A value's bin comes
/// straight from the bits of its floating-point number, with no logarithm: the exponent
/// picks the octave and the top m bits of the mantissa the part. A bin is at most 2^-m of
/// its lower edge wide.
#[derive(Clone, Debug)]
pub struct LogHistogram {
    /// Bits of the mantissa that pick the part of an octave (m).
    mantissa_bits: u32,
    first_bin: i64,
    counts: Vec<u32>,
    total: u64,
    sum: f64,
}

impl Default for LogHistogram {
    /// Bins at most 0.4 % wide (2^-8): quantiles read to about a fifth of a percent.
    fn default() -> Self {
        Self::with_bin_ratio(1.005)
    }
}

impl LogHistogram {
    /// A histogram whose bins are at most `ratio − 1` of their lower edge wide (`ratio` > 1;
    /// the widths are powers of two, so the bins are usually somewhat finer).
    pub fn with_bin_ratio(ratio: f64) -> Self {
        let parts = 1.0 / (ratio - 1.0).clamp(1e-4, 1.0);
        Self {
            mantissa_bits: parts.log2().ceil().clamp(0.0, 14.0) as u32,
            first_bin: 0,
            counts: Vec::new(),
            total: 0,
            sum: 0.0,
        }
    }

    fn bin(&self, value_ms: f64) -> i64 {
        let x = value_ms * (1.0 / FLOOR_MS);
        if x.is_nan() || x < 1.0 {
            return 0;
        }
        let bits = x.to_bits();
        // x ≥ 1, so the biased exponent is at least 1023.
        let octave = ((bits >> 52) & 0x7ff) as i64 - 1023;
        let part = ((bits & ((1u64 << 52) - 1)) >> (52 - self.mantissa_bits)) as i64;
        (octave << self.mantissa_bits) + part + 1
    }

    fn lower_edge(&self, bin: i64) -> f64 {
        if bin <= 0 {
            return 0.0;
        }
        let b = bin - 1;
        let octave = b >> self.mantissa_bits;
        let part = b & ((1i64 << self.mantissa_bits) - 1);
        let parts = (1i64 << self.mantissa_bits) as f64;
        FLOOR_MS * 2f64.powi(octave as i32) * (1.0 + part as f64 / parts)
    }

    /// Add one value (milliseconds). Non-finite values are ignored.
    pub fn add(&mut self, value_ms: f64) {
        if !value_ms.is_finite() || value_ms < 0.0 {
            return;
        }
        let bin = self.bin(value_ms);
        // The common case first: a bin inside the range seen so far (one bounds check).
        let index = (bin - self.first_bin) as usize;
        match self.counts.get_mut(index) {
            Some(slot) if bin >= self.first_bin => *slot = slot.saturating_add(1),
            _ => self.add_outside(bin),
        }
        self.total += 1;
        self.sum += value_ms;
    }

    /// Count a value in `bin`, which lies outside the bins kept so far: grow the range to it.
    #[cold]
    fn add_outside(&mut self, bin: i64) {
        if self.counts.is_empty() {
            self.first_bin = bin;
            self.counts.push(0);
        } else if bin < self.first_bin {
            // Grow downwards with room to spare, as a Vec grows upwards, so that a run of ever
            // smaller values copies the bins a few times instead of once per value. The spare
            // bins stay empty, and empty bins change no quantile. Bins start at 0.
            let spare = (self.counts.len() / 2).max(MIN_SPARE_BINS) as i64;
            let first = (bin - spare).max(0);
            let grow = (self.first_bin - first) as usize;
            let mut counts = Vec::with_capacity(grow + self.counts.capacity());
            counts.resize(grow, 0);
            counts.extend_from_slice(&self.counts);
            self.counts = counts;
            self.first_bin = first;
        } else {
            self.counts.resize((bin - self.first_bin + 1) as usize, 0);
        }
        let slot = &mut self.counts[(bin - self.first_bin) as usize];
        *slot = slot.saturating_add(1);
    }

    /// Values added.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// Mean of the values added (0 when none were).
    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum / self.total as f64
        }
    }

    /// The p-quantile (0..1), interpolated geometrically inside its bin (0 when empty).
    pub fn quantile(&self, p: f64) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let rank = p.clamp(0.0, 1.0) * self.total as f64;
        let mut seen = 0.0;
        for (i, &c) in self.counts.iter().enumerate() {
            let next = seen + c as f64;
            if next >= rank && c > 0 {
                let bin = self.first_bin + i as i64;
                let lo = self.lower_edge(bin);
                let hi = self.lower_edge(bin + 1);
                let within = ((rank - seen) / c as f64).clamp(0.0, 1.0);
                return if lo <= 0.0 {
                    hi * within
                } else {
                    lo * (hi / lo).powf(within)
                };
            }
            seen = next;
        }
        self.lower_edge(self.first_bin + self.counts.len() as i64)
    }
}

/// Mean and percentiles of a latency, in milliseconds (all 0 when nothing was measured).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Percentiles {
    /// Mean, in milliseconds.
    pub mean: f64,
    /// Median (50th percentile), in milliseconds.
    pub p50: f64,
    /// 95th percentile, in milliseconds.
    pub p95: f64,
    /// 99th percentile, in milliseconds.
    pub p99: f64,
}

impl Percentiles {
    /// From a histogram.
    pub fn of(h: &LogHistogram) -> Self {
        Self {
            mean: h.mean(),
            p50: h.quantile(0.50),
            p95: h.quantile(0.95),
            p99: h.quantile(0.99),
        }
    }

    /// Of a small sample (reorders it).
    pub fn of_sample(values: &mut [f64]) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let mut at = |p: f64| {
            let i = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1;
            *values.select_nth_unstable_by(i, f64::total_cmp).1
        };
        Self {
            mean,
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_of_a_uniform_ramp() {
        let mut h = LogHistogram::default();
        for i in 1..=10_000 {
            h.add(i as f64 * 0.01);
        }
        assert!((h.quantile(0.5) - 50.0).abs() < 0.5);
        assert!((h.quantile(0.99) - 99.0).abs() < 0.6);
        assert!((h.mean() - 50.005).abs() < 1e-9);
    }

    #[test]
    fn bins_follow_the_bits_and_their_edges_bracket_every_value() {
        for ratio in [1.005, 1.01, 1.1] {
            let h = LogHistogram::with_bin_ratio(ratio);
            let mut previous = 0;
            for i in 0..20_000 {
                let v = 0.0005 * 1.0007f64.powi(i);
                let bin = h.bin(v);
                assert!(bin >= previous, "bins grow with the value");
                previous = bin;
                let (lo, hi) = (h.lower_edge(bin), h.lower_edge(bin + 1));
                assert!(lo <= v * (1.0 + 1e-12) && v < hi, "{v} in [{lo}, {hi})");
                if lo > 0.0 {
                    assert!(
                        hi / lo <= ratio + 1e-12,
                        "bin {lo}..{hi} wider than {ratio}"
                    );
                }
            }
        }
    }

    #[test]
    fn quantiles_do_not_depend_on_the_order_values_arrive_in() {
        // Falling values grow the bins downwards, with spare empty bins in front; rising ones
        // grow them upwards. Both must count every value in the same bin.
        let values: Vec<f64> = (0..5_000).map(|i| 0.002 * 1.003f64.powi(i)).collect();
        let mut rising = LogHistogram::with_bin_ratio(1.01);
        let mut falling = LogHistogram::with_bin_ratio(1.01);
        for &v in &values {
            rising.add(v);
        }
        for &v in values.iter().rev() {
            falling.add(v);
        }
        assert_eq!(rising.count(), falling.count());
        for p in [0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
            assert_eq!(rising.quantile(p), falling.quantile(p), "p = {p}");
        }
        assert!((rising.mean() - falling.mean()).abs() < 1e-9 * rising.mean());
    }

    #[test]
    fn odd_values_land_in_the_first_bin_or_are_ignored() {
        let mut h = LogHistogram::default();
        h.add(f64::NAN);
        h.add(-1.0);
        h.add(f64::INFINITY);
        assert_eq!(h.count(), 0);
        h.add(0.0);
        h.add(1e-9);
        assert_eq!(h.count(), 2);
        assert_eq!(h.quantile(0.99), h.lower_edge(1) * 0.99);
        h.add(f64::MAX);
        assert_eq!(h.count(), 3);
    }
}
