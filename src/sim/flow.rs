//! Whole-request flows: splitting and scaling integer counts with carried remainders, so that
//! every request is accounted for exactly (flow balance holds to the request) and long-run
//! shares are exact. Randomness enters only at the sources (Poisson arrivals) and in failures;
//! splits are deterministic (error diffusion), which keeps runs cheap and reproducible.

/// Per-class counts, indexed by [`crate::model::TrafficClass::index`].
pub type Counts = [u64; 5];
/// Per-class rates per second.
pub type Rates = [f64; 5];

/// `floor(carry + count·factor)`, keeping the fractional remainder in `carry` for next time.
#[inline]
pub fn scale(count: u64, factor: f64, carry: &mut f64) -> u64 {
    if count == 0 || factor <= 0.0 {
        return 0;
    }
    let exact = *carry + count as f64 * factor;
    let whole = exact.floor();
    *carry = exact - whole;
    whole as u64
}

/// Like [`scale`] but never more than `count` (for shares ≤ 1 such as hit ratios).
#[inline]
pub fn share(count: u64, fraction: f64, carry: &mut f64) -> u64 {
    scale(count, fraction.clamp(0.0, 1.0), carry).min(count)
}

/// Split `total` over weights in proportion (largest remainder with carried remainders), so
/// that the parts sum to `total` exactly and long-run shares match the weights.
/// `weights` need not be normalised; `carries` has one entry per weight.
pub fn split_weighted(total: u64, weights: &[f64], carries: &mut [f64], out: &mut [u64]) {
    debug_assert_eq!(weights.len(), carries.len());
    debug_assert_eq!(weights.len(), out.len());
    let sum: f64 = weights.iter().sum();
    if out.is_empty() {
        return;
    }
    if total == 0 || sum <= 0.0 {
        out.iter_mut().for_each(|o| *o = 0);
        return;
    }
    if out.len() == 1 {
        out[0] = total;
        return;
    }
    let mut assigned = 0u64;
    for i in 0..out.len() {
        let exact = carries[i] + total as f64 * (weights[i] / sum);
        let whole = exact.floor().max(0.0);
        carries[i] = exact - whole;
        out[i] = whole as u64;
        assigned += out[i];
    }
    // Floors lose less than one request per part: hand the rest to the largest remainders.
    while assigned < total {
        let mut best = 0;
        for i in 1..out.len() {
            if carries[i] > carries[best] {
                best = i;
            }
        }
        out[best] += 1;
        carries[best] -= 1.0;
        assigned += 1;
    }
    // Rounding can overshoot by one in pathological float cases: take it back.
    while assigned > total {
        let mut worst = usize::MAX;
        for i in 0..out.len() {
            if out[i] > 0 && (worst == usize::MAX || carries[i] < carries[worst]) {
                worst = i;
            }
        }
        if worst == usize::MAX {
            break;
        }
        out[worst] -= 1;
        carries[worst] += 1.0;
        assigned -= 1;
    }
}

/// Split `total` over classes in proportion to `weights` (counts), exactly, without carries.
/// Used to share a node's served and dropped requests among the classes it holds.
pub fn split_proportional(total: u64, weights: &Counts) -> Counts {
    let sum: u64 = weights.iter().sum();
    let mut out = [0u64; 5];
    if total == 0 || sum == 0 {
        return out;
    }
    if total >= sum {
        return *weights;
    }
    // Fast path: one class present.
    if let Some(only) = single_class(weights) {
        out[only] = total;
        return out;
    }
    let mut assigned = 0u64;
    let mut remainders = [0u128; 5];
    for k in 0..5 {
        let exact = u128::from(total) * u128::from(weights[k]);
        out[k] = (exact / u128::from(sum)) as u64;
        remainders[k] = exact % u128::from(sum);
        assigned += out[k];
    }
    while assigned < total {
        let mut best = 0;
        for k in 1..5 {
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
pub fn single_class(counts: &Counts) -> Option<usize> {
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
            let mut out = [0u64; 3];
            split_weighted(n % 13, &weights, &mut carries, &mut out);
            assert_eq!(out.iter().sum::<u64>(), n % 13);
            for i in 0..3 {
                totals[i] += out[i];
            }
        }
        let all: u64 = totals.iter().sum();
        for i in 0..3 {
            let expected = all as f64 * weights[i] / 10.0;
            assert!((totals[i] as f64 - expected).abs() <= 1.0, "{totals:?}");
        }
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
