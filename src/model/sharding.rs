//! Which share of a database's traffic each shard gets, from a key popularity model.
//!
//! The data holds `keys` keys, numbered 1 to N; key i is requested with probability
//! i^(−s) / Σ_j j^(−s) (Zipf with exponent s = the database's `key_skew`; s = 0 is uniform),
//! so key 1 is the most popular. A shard's share is the sum of its keys' shares:
//!
//! - **by range**: shard j (from 0) holds the contiguous IDs ⌊j·N/S⌋ + 1 to ⌊(j + 1)·N/S⌋,
//!   so with any skew the first range is the hot shard;
//! - **by hash**: key i lives on shard `JumpConsistentHash(SplitMix64(i), S)` (Lamping and
//!   Veach's jump consistent hash of the key's SplitMix64 mix, see [`key_shard`]); the shard
//!   that holds the most popular keys is the hot one.
//!
//! (The model's, not the simulation's: files written before keys existed are migrated with it,
//! and the simulation takes each shard's share from it.)
//!
//! Range sums are exact for the first thousand keys and Euler–Maclaurin beyond (within 1e-12
//! of the plain sum). Hash sums add the first 2^18 keys one by one; past them every shard is
//! given an even part of the remaining popularity (with 2^18 keys already placed, what the
//! rest deviate from even is far below a thousandth of a shard's share).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::component::Partitioning;

/// Shares worked out already, by (keys, shards, hashed, the exponent's bits): a design's
/// shares are worked out again for every run (a sweep, the N−1 runs), and hashing sums 2^18
/// keys.
type ShareMemo = Mutex<HashMap<(u64, u32, bool, u64), Vec<f64>>>;

/// Keys placed one by one under hashing; the rest are spread evenly.
pub const HASHED_KEYS_EXACT: u64 = 1 << 18;

/// The SplitMix64 finaliser: a well-mixed 64-bit value for each key.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Jump consistent hash (Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash
/// Algorithm", 2014): the bucket in 0..`buckets` of a 64-bit key.
pub fn jump_consistent_hash(mut key: u64, buckets: u32) -> u32 {
    let buckets = i64::from(buckets.max(1));
    let (mut b, mut j) = (-1i64, 0i64);
    while j < buckets {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b as u32
}

/// The shard (from 0) that holds key `key` (from 1) of `keys` under `partitioning`.
pub fn key_shard(key: u64, keys: u64, shards: u32, partitioning: Partitioning) -> u32 {
    let shards = shards.max(1);
    match partitioning {
        Partitioning::Range => {
            // The shard j with ⌊j·N/S⌋ < key ≤ ⌊(j + 1)·N/S⌋.
            let (n, s) = (u128::from(keys.max(1)), u128::from(shards));
            let k = u128::from(key.clamp(1, keys.max(1)));
            (((k * s - 1) / n) as u32).min(shards - 1)
        }
        Partitioning::Hash => jump_consistent_hash(splitmix64(key), shards),
    }
}

/// Each shard's share of the traffic (they sum to 1), see the module's doc.
pub fn shard_shares(keys: u64, shards: u32, partitioning: Partitioning, zipf_s: f64) -> Vec<f64> {
    let shards = shards.max(1);
    let keys = keys.max(1);
    if shards == 1 {
        return vec![1.0];
    }
    static MEMO: OnceLock<ShareMemo> = OnceLock::new();
    let memo_key = (
        keys,
        shards,
        partitioning == Partitioning::Hash,
        zipf_s.to_bits(),
    );
    let memo = MEMO.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(shares) = memo.lock().ok().and_then(|m| m.get(&memo_key).cloned()) {
        return shares;
    }
    let weights: Vec<f64> = match partitioning {
        Partitioning::Range => (0..shards)
            .map(|j| {
                let first = range_start(j, keys, shards) + 1;
                let last = range_start(j + 1, keys, shards);
                zipf_sum(first, last, zipf_s)
            })
            .collect(),
        Partitioning::Hash => {
            let mut weights = vec![0.0; shards as usize];
            let exact = keys.min(HASHED_KEYS_EXACT);
            for key in 1..=exact {
                weights[key_shard(key, keys, shards, partitioning) as usize] +=
                    (key as f64).powf(-zipf_s);
            }
            if keys > exact {
                let rest = zipf_sum(exact + 1, keys, zipf_s) / f64::from(shards);
                weights.iter_mut().for_each(|w| *w += rest);
            }
            weights
        }
    };
    let total: f64 = weights.iter().sum();
    let shares: Vec<f64> = if total > 0.0 {
        weights.iter().map(|w| w / total).collect()
    } else {
        vec![1.0 / f64::from(shards); shards as usize]
    };
    if let Ok(mut m) = memo.lock() {
        if m.len() > 256 {
            m.clear();
        }
        m.insert(memo_key, shares.clone());
    }
    shares
}

/// ⌊j·N/S⌋: the last key before range j.
fn range_start(j: u32, keys: u64, shards: u32) -> u64 {
    (u128::from(j) * u128::from(keys) / u128::from(shards)) as u64
}

/// Σ_{i = first}^{last} i^(−s), 0 for an empty range.
pub fn zipf_sum(first: u64, last: u64, s: f64) -> f64 {
    if last < first {
        return 0.0;
    }
    const EXACT_BELOW: u64 = 1_000;
    let mut sum = 0.0;
    let mut i = first;
    while i <= last && i < EXACT_BELOW {
        sum += (i as f64).powf(-s);
        i += 1;
    }
    if i > last {
        return sum;
    }
    sum + euler_maclaurin(i as f64, last as f64, s)
}

/// Σ_{i=a}^{b} i^(−s) for whole a ≤ b, a ≥ 1000: the integral, the end points' halves and
/// three Bernoulli corrections (the remainder is below a^(−s−7)).
fn euler_maclaurin(a: f64, b: f64, s: f64) -> f64 {
    let f = |x: f64| x.powf(-s);
    let one_minus_s = 1.0 - s;
    let integral = if one_minus_s.abs() < 1e-12 {
        (b / a).ln()
    } else {
        // a^(1−s)·(e^((1−s)·ln(b/a)) − 1)/(1 − s), stable as s nears 1.
        a.powf(one_minus_s) * (one_minus_s * (b / a).ln()).exp_m1() / one_minus_s
    };
    // f′(x) = −s·x^(−s−1), f‴(x) = −s(s+1)(s+2)·x^(−s−3), f⁽⁵⁾ = −s(s+1)…(s+4)·x^(−s−5).
    let d1 = |x: f64| -s * x.powf(-s - 1.0);
    let d3 = |x: f64| -s * (s + 1.0) * (s + 2.0) * x.powf(-s - 3.0);
    let d5 = |x: f64| -s * (s + 1.0) * (s + 2.0) * (s + 3.0) * (s + 4.0) * x.powf(-s - 5.0);
    integral + 0.5 * (f(a) + f(b)) + (d1(b) - d1(a)) / 12.0 - (d3(b) - d3(a)) / 720.0
        + (d5(b) - d5(a)) / 30_240.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euler_maclaurin_agrees_with_the_plain_sum() {
        for s in [0.0, 0.5, 0.99, 1.0, 1.01, 1.2, 2.0] {
            for (a, b) in [
                (1u64, 1u64),
                (1, 999),
                (1, 5_000),
                (700, 123_456),
                (2_000, 2_001),
            ] {
                let plain: f64 = (a..=b).map(|i| (i as f64).powf(-s)).sum();
                let fast = zipf_sum(a, b, s);
                assert!(
                    (fast - plain).abs() <= 1e-12 * plain.max(1.0),
                    "s {s}, {a}..={b}: {fast} vs {plain}"
                );
            }
        }
    }

    #[test]
    fn ranges_cover_every_key_once() {
        for (keys, shards) in [(10u64, 4u32), (1_000, 16), (7, 7), (3, 5)] {
            let mut counts = vec![0u64; shards as usize];
            for key in 1..=keys {
                counts[key_shard(key, keys, shards, Partitioning::Range) as usize] += 1;
            }
            for j in 0..shards {
                let expected = range_start(j + 1, keys, shards) - range_start(j, keys, shards);
                assert_eq!(counts[j as usize], expected, "{keys} keys, {shards} shards");
            }
        }
    }

    #[test]
    fn jump_hash_spreads_keys_evenly_and_moves_few_when_a_shard_is_added() {
        let keys = 100_000u64;
        let mut counts = [0u64; 16];
        let mut moved = 0;
        for key in 1..=keys {
            let j = key_shard(key, keys, 16, Partitioning::Hash);
            counts[j as usize] += 1;
            if key_shard(key, keys, 17, Partitioning::Hash) != j {
                moved += 1;
            }
        }
        for c in counts {
            // 6,250 expected, standard deviation 77.
            assert!((c as f64 - 6_250.0).abs() < 400.0, "{counts:?}");
        }
        // Adding a 17th shard moves about one key in 17.
        assert!((moved as f64 / keys as f64 - 1.0 / 17.0).abs() < 0.01);
    }
}
