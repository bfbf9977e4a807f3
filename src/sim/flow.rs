//! Whole-request flows: splitting and scaling integer counts with carried remainders, so that
//! every request is accounted for exactly (flow balance holds to the request) and long-run
//! shares are exact. Randomness enters only at the sources (Poisson arrivals) and in failures;
//! splits are deterministic (error diffusion), which keeps runs cheap and reproducible.

/// Per-class counts, indexed by [`crate::model::TrafficClass::index`].
pub type Counts = [u64; 5];
/// Per-class rates per second.
pub type Rates = [f64; 5];

/// A count as a float. Counts stay far below 2⁶³, and the signed conversion is one
/// instruction where the unsigned one is a sequence.
#[inline]
pub fn count_f64(count: u64) -> f64 {
    count as i64 as f64
}

/// The whole part of an amount as a count, by the signed conversion for the same reason;
/// like `as u64`, negative amounts and NaN give 0.
#[inline]
pub fn floor_count(amount: f64) -> u64 {
    (amount as i64).max(0) as u64
}

/// `floor(carry + count·factor)`, keeping the fractional remainder in `carry` for next time.
#[inline]
pub fn scale(count: u64, factor: f64, carry: &mut f64) -> u64 {
    if count == 0 || factor <= 0.0 {
        return 0;
    }
    let exact = *carry + count_f64(count) * factor;
    // `exact` is non-negative, so truncation is the floor (and avoids a libm call).
    let whole = floor_count(exact);
    *carry = exact - count_f64(whole);
    whole
}

/// Whole requests out of `amount` (≥ 0) plus the fraction carried from before; the new
/// fraction is carried on. When `amount` is zero the carry is dropped (idle capacity is not
/// banked).
#[inline]
pub fn whole(amount: f64, carry: &mut f64) -> u64 {
    if amount <= 0.0 {
        *carry = 0.0;
        return 0;
    }
    let exact = amount + *carry;
    let whole = floor_count(exact);
    *carry = exact - count_f64(whole);
    whole
}

/// Like [`scale`] but never more than `count` (for shares ≤ 1 such as hit ratios).
#[inline]
pub fn share(count: u64, fraction: f64, carry: &mut f64) -> u64 {
    scale(count, fraction.clamp(0.0, 1.0), carry).min(count)
}

/// A split of `total` requests over a known number of weights in proportion, one part at a
/// time, so that the parts sum to `total` exactly and long-run shares match the weights:
/// `part`, called once per weight in order, takes for every weight but the last the floor of
/// its exact share plus its carried remainder (never more than is left), and for the last
/// what is left (its carry untouched). Weights need not be normalised; each keeps its carry
/// where its caller keeps it (a client's channel, a route entry, a database shard). With
/// nothing to split (`total` 0, or weights summing to 0 or less) every part is 0 and the
/// carries are left as they are. Should the weights sum to NaN, every part but the last is 0
/// and the last takes the whole (no request is lost).
#[derive(Clone, Copy, Debug)]
pub struct WeightedSplit {
    left: u64,
    scale: f64,
    active: bool,
    /// Parts not yet taken, this one included.
    parts_left: usize,
}

impl WeightedSplit {
    /// A split of `total` over `parts` weights that sum to `weight_sum`.
    #[inline]
    pub fn new(total: u64, weight_sum: f64, parts: usize) -> Self {
        let active = total > 0 && (weight_sum > 0.0 || weight_sum.is_nan());
        Self {
            left: if active { total } else { 0 },
            scale: if active {
                count_f64(total) / weight_sum
            } else {
                0.0
            },
            active,
            parts_left: parts,
        }
    }

    /// The part of the next weight: what is left if it is the last.
    #[inline]
    pub fn part(&mut self, weight: f64, carry: &mut f64) -> u64 {
        self.parts_left = self.parts_left.saturating_sub(1);
        if self.parts_left == 0 {
            return std::mem::take(&mut self.left);
        }
        if !self.active {
            return 0;
        }
        let exact = *carry + weight * self.scale;
        let want = if exact > 0.0 { floor_count(exact) } else { 0 };
        let give = want.min(self.left);
        *carry = exact - count_f64(give);
        self.left -= give;
        give
    }
}

/// Split `total` over classes in proportion to `weights` (counts), exactly, without carries.
/// Used to share a node's served and dropped requests among the classes it holds.
/// `weights` has at most five entries; the result's first `weights.len()` entries line up
/// with them.
#[inline]
pub fn split_proportional(total: u64, weights: &[u64]) -> Counts {
    let n = weights.len().min(5);
    let weights = &weights[..n];
    let sum: u64 = weights.iter().sum();
    let mut out = [0u64; 5];
    if total == 0 || sum == 0 {
        return out;
    }
    if total >= sum {
        // Enough for every weight in full: the usual case, inlined.
        out[..n].copy_from_slice(weights);
        return out;
    }
    split_short(total, weights, sum)
}

/// [`split_proportional`] when `total` falls short of the weights' `sum` (0 < total < sum).
fn split_short(total: u64, weights: &[u64], sum: u64) -> Counts {
    let n = weights.len();
    let mut out = [0u64; 5];
    // Fast path: one class present.
    if let Some(only) = single_class(weights) {
        out[only] = total;
        return out;
    }
    let mut assigned = 0u64;
    let mut remainders = [0u128; 5];
    if total < 1 << 32 && sum < 1 << 32 {
        // Products fit in 64 bits: the common case, without 128-bit division.
        for k in 0..n {
            if weights[k] == 0 {
                continue;
            }
            let exact = total * weights[k];
            out[k] = exact / sum;
            remainders[k] = u128::from(exact % sum);
            assigned += out[k];
        }
    } else {
        for k in 0..n {
            let exact = u128::from(total) * u128::from(weights[k]);
            out[k] = (exact / u128::from(sum)) as u64;
            remainders[k] = exact % u128::from(sum);
            assigned += out[k];
        }
    }
    while assigned < total {
        let mut best = 0;
        for k in 1..n {
            if remainders[k] > remainders[best] {
                best = k;
            }
        }
        out[best] += 1;
        remainders[best] = 0;
        assigned += 1;
    }
    out
}

/// The index of the only non-zero class, if exactly one is non-zero.
#[inline]
pub fn single_class(counts: &[u64]) -> Option<usize> {
    let mut found = None;
    for (k, &c) in counts.iter().enumerate() {
        if c > 0 {
            if found.is_some() {
                return None;
            }
            found = Some(k);
        }
    }
    found
}

/// Sum of counts.
#[inline]
pub fn total(counts: &Counts) -> u64 {
    counts.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_convert_like_the_unsigned_casts() {
        for amount in [0.0, 0.4, 1.0, 7.9, 1e12 + 0.5, -0.5, -3.7, f64::NAN] {
            assert_eq!(floor_count(amount), amount as u64, "{amount}");
        }
        for count in [0u64, 1, 12_345, 1 << 40] {
            assert_eq!(count_f64(count), count as f64);
        }
    }

    #[test]
    fn scaling_with_carry_is_exact_in_the_long_run() {
        let mut carry = 0.0;
        let sent: u64 = (0..1000).map(|_| scale(7, 0.3, &mut carry)).sum();
        assert_eq!(sent, 2100);
    }

    #[test]
    fn weighted_split_sums_exactly_and_follows_weights() {
        let weights = [1.0, 2.0, 7.0];
        let mut carries = [0.0; 3];
        let mut totals = [0u64; 3];
        for n in 0..1000u64 {
            let total = n % 13;
            let before = carries;
            let mut split = WeightedSplit::new(total, weights.iter().sum(), 3);
            let out = [
                split.part(weights[0], &mut carries[0]),
                split.part(weights[1], &mut carries[1]),
                split.part(weights[2], &mut carries[2]),
            ];
            assert_eq!(out.iter().sum::<u64>(), total);
            if total == 0 {
                // Nothing to split: the carries wait for the next requests.
                assert_eq!(carries, before);
            }
            for i in 0..3 {
                totals[i] += out[i];
            }
        }
        // Every part but the last stays within one request of its exact share; the last
        // takes the rest, so it stays within n − 1.
        let all: u64 = totals.iter().sum();
        for i in 0..3 {
            let expected = all as f64 * weights[i] / 10.0;
            let bound = if i < 2 { 1.0 } else { 2.0 };
            assert!((totals[i] as f64 - expected).abs() < bound, "{totals:?}");
        }
        // Weights that sum to NaN lose nothing: the last part takes the whole.
        let mut split = WeightedSplit::new(5, f64::NAN, 2);
        assert_eq!(split.part(0.5, &mut 0.0), 0);
        assert_eq!(split.part(0.5, &mut 0.0), 5);
    }

    #[test]
    fn proportional_split_is_exact() {
        let out = split_proportional(10, &[3, 0, 3, 1, 0]);
        assert_eq!(out.iter().sum::<u64>(), 7);
        let out = split_proportional(5, &[3, 0, 3, 1, 0]);
        assert_eq!(out.iter().sum::<u64>(), 5);
        assert!(out[0] <= 3 && out[2] <= 3 && out[3] <= 1);
    }
}
