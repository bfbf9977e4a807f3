//! Statistics: log-spaced histograms for latency percentiles, and percentiles of small samples.

/// Relative width of a histogram bin: quantiles are read to within about a quarter percent.
const BIN_RATIO: f64 = 1.005;
/// The smallest latency told apart, in milliseconds.
const FLOOR_MS: f64 = 0.001;

/// A histogram of positive values in log-spaced bins, growing to the range it sees.
#[derive(Clone, Debug, Default)]
pub struct LogHistogram {
    first_bin: i64,
    counts: Vec<u64>,
    total: u64,
    sum: f64,
}

impl LogHistogram {
    fn bin(value_ms: f64) -> i64 {
        if value_ms <= FLOOR_MS {
            0
        } else {
            ((value_ms / FLOOR_MS).ln() / BIN_RATIO.ln()).floor() as i64 + 1
        }
    }

    fn lower_edge(bin: i64) -> f64 {
        if bin <= 0 {
            0.0
        } else {
            FLOOR_MS * BIN_RATIO.powi((bin - 1) as i32)
        }
    }

    /// Add one value (milliseconds). Non-finite values are ignored.
    pub fn add(&mut self, value_ms: f64) {
        if !value_ms.is_finite() || value_ms < 0.0 {
            return;
        }
        let bin = Self::bin(value_ms);
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
        self.counts[(bin - self.first_bin) as usize] += 1;
        self.total += 1;
        self.sum += value_ms;
    }

    /// Values added.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// Mean of the values added.
    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            f64::NAN
        } else {
            self.sum / self.total as f64
        }
    }

    /// The p-quantile (0..1), interpolated geometrically inside its bin.
    pub fn quantile(&self, p: f64) -> f64 {
        if self.total == 0 {
            return f64::NAN;
        }
        let rank = p.clamp(0.0, 1.0) * self.total as f64;
        let mut seen = 0.0;
        for (i, &c) in self.counts.iter().enumerate() {
            let next = seen + c as f64;
            if next >= rank && c > 0 {
                let bin = self.first_bin + i as i64;
                let lo = Self::lower_edge(bin);
                let hi = Self::lower_edge(bin + 1);
                let within = ((rank - seen) / c as f64).clamp(0.0, 1.0);
                return if lo <= 0.0 {
                    hi * within
                } else {
                    lo * (hi / lo).powf(within)
                };
            }
            seen = next;
        }
        Self::lower_edge(self.first_bin + self.counts.len() as i64)
    }
}

/// Mean and percentiles of a latency, in milliseconds.
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
            return Self {
                mean: f64::NAN,
                p50: f64::NAN,
                p95: f64::NAN,
                p99: f64::NAN,
            };
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
