//! Statistics: log-spaced histograms for latency percentiles, and percentiles of small samples.

/// The smallest latency told apart, in milliseconds.
const FLOOR_MS: f64 = 0.001;

/// A histogram of positive values in log-spaced bins, growing to the range it sees.
/// Bins are 0.5 % wide by default (quantiles read to about a quarter percent); per-component
/// histograms use 1 % bins to stay small.
#[derive(Clone, Debug)]
pub struct LogHistogram {
    /// ln of the ratio between neighbouring bin edges.
    log_ratio: f64,
    first_bin: i64,
    counts: Vec<u32>,
    total: u64,
    sum: f64,
}

impl Default for LogHistogram {
    fn default() -> Self {
        Self::with_bin_ratio(1.005)
    }
}

impl LogHistogram {
    /// A histogram whose bin edges grow by `ratio` (> 1).
    pub fn with_bin_ratio(ratio: f64) -> Self {
        Self {
            log_ratio: ratio.max(1.0001).ln(),
            first_bin: 0,
            counts: Vec::new(),
            total: 0,
            sum: 0.0,
        }
    }

    fn bin(&self, value_ms: f64) -> i64 {
        if value_ms <= FLOOR_MS {
            0
        } else {
            ((value_ms / FLOOR_MS).ln() / self.log_ratio).floor() as i64 + 1
        }
    }

    fn lower_edge(&self, bin: i64) -> f64 {
        if bin <= 0 {
            0.0
        } else {
            FLOOR_MS * ((bin - 1) as f64 * self.log_ratio).exp()
        }
    }

    /// Add one value (milliseconds). Non-finite values are ignored.
    pub fn add(&mut self, value_ms: f64) {
        if !value_ms.is_finite() || value_ms < 0.0 {
            return;
        }
        let bin = self.bin(value_ms);
        if self.counts.is_empty() {
            self.first_bin = bin;
            self.counts.push(0);
        } else if bin < self.first_bin {
            let grow = (self.first_bin - bin) as usize;
            let mut counts = vec![0; grow];
            counts.extend_from_slice(&self.counts);
            self.counts = counts;
            self.first_bin = bin;
        } else if bin >= self.first_bin + self.counts.len() as i64 {
            self.counts.resize((bin - self.first_bin + 1) as usize, 0);
        }
        let slot = &mut self.counts[(bin - self.first_bin) as usize];
        *slot = slot.saturating_add(1);
        self.total += 1;
        self.sum += value_ms;
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
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
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
}
