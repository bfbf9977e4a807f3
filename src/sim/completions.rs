//! How many requests a station completes in one tick. A busy server does not finish the same
//! number every tick: with exponential service its completions over a tick are Poisson, and
//! in general a renewal process of service times with squared coefficient of variation cs²
//! completes, over a tick in which it expects m, a count of mean m and variance m·cs². So a
//! growing backlog spreads as √((λ + μ)·t) with Poisson arrivals and exponential service
//! (MODEL-REFERENCE §5), not as √(λ·t) as it would if only arrivals varied.
//!
//! Each station draws from a stream of its own named after it (see [`service_seed`]), seeded
//! afresh from the tick's number, so a run stays bit-for-bit reproducible and needs no
//! random state per station.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, Gamma, Poisson, StandardNormal};

use super::flow;

/// Above this many expected completions a tick, the count is drawn from the normal
/// distribution of the same mean and variance (rounded): at 64 a Poisson's skewness is 1/8,
/// and the backlog it feeds sums many ticks.
const NORMAL_ABOVE: f64 = 64.0;

/// The seed of a station's completions stream, from the run's seed and the station's name
/// (and a part number, for a database's shards and their reads and writes).
pub(crate) fn service_seed(seed: u64, name: &str, part: u64) -> u64 {
    super::state::stream_seed(seed, &format!("service/{name}"))
        ^ part.wrapping_mul(0xd6e8_feb8_6659_fd93)
}

/// Requests a station completes this tick: at most `available`, drawn with mean `expected`
/// and variance `expected × scv` (what the tick's capacity allows, see the module's doc).
///
/// - `scv` 0 (constant service): exactly the capacity, the remainder carried to the next tick
///   in `carry` while there is work (as [`flow::whole`]);
/// - 1 (exponential): Poisson;
/// - between: a constant part m(1 − scv) (carried as above) plus a Poisson of mean m·scv;
/// - above 1: a gamma mixture of Poissons (negative binomial);
/// - more than 64 expected: the normal distribution of that mean and variance, rounded.
///
/// When so little is waiting that the capacity could not fall short of it but for a chance
/// below 10⁻¹², everything waiting completes without a draw.
#[inline(always)]
pub(crate) fn completions(
    expected: f64,
    scv: f64,
    available: u64,
    carry: &mut f64,
    seed: u64,
    tick: u64,
) -> u64 {
    if scv <= 1e-9 || expected.is_nan() || expected <= 0.0 {
        return flow::whole(expected, carry).min(available);
    }
    // available ≤ m − 7.5·√(m·scv) − 1, without the square root: the usual case of a node
    // with room to spare costs a few multiplications.
    let room = expected - 1.0 - flow::count_f64(available);
    if room >= 0.0 && room * room >= 56.25 * expected * scv {
        return available;
    }
    draw(expected, scv, available, carry, seed, tick)
}

/// The draw of [`completions`] when the capacity could fall short of what waits.
#[inline(never)]
fn draw(expected: f64, scv: f64, available: u64, carry: &mut f64, seed: u64, tick: u64) -> u64 {
    let spread = (expected * scv).sqrt();
    let mut rng =
        Xoshiro256PlusPlus::seed_from_u64(seed ^ tick.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let drawn = if expected > NORMAL_ABOVE {
        let z: f64 = StandardNormal.sample(&mut rng);
        flow::floor_count((expected + spread * z + 0.5).max(0.0))
    } else if (scv - 1.0).abs() < 1e-9 {
        poisson(expected, &mut rng)
    } else if scv < 1.0 {
        // Mean m(1 − scv) + m·scv = m, variance m·scv.
        flow::whole(expected * (1.0 - scv), carry) + poisson(expected * scv, &mut rng)
    } else {
        // Poisson of a gamma-distributed mean: mean m, variance m + m(scv − 1) = m·scv.
        match Gamma::new(expected / (scv - 1.0), scv - 1.0) {
            Ok(g) => {
                let mean: f64 = g.sample(&mut rng);
                poisson(mean, &mut rng)
            }
            Err(_) => flow::floor_count(expected + 0.5),
        }
    };
    drawn.min(available)
}

/// A Poisson draw of mean `mean` (≥ 0).
fn poisson(mean: f64, rng: &mut Xoshiro256PlusPlus) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    match Poisson::new(mean) {
        Ok(p) => flow::floor_count(p.sample(rng)),
        Err(_) => flow::floor_count(mean + 0.5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean and variance of `n` ticks' completions with plenty waiting, and the standard
    /// error of that variance (from the draws' fourth central moment).
    fn moments(expected: f64, scv: f64, n: u64) -> (f64, f64, f64) {
        let mut carry = 0.0;
        let draws: Vec<f64> = (0..n)
            .map(|t| completions(expected, scv, 1 << 40, &mut carry, 42, t) as f64)
            .collect();
        let count = n as f64;
        let mean = draws.iter().sum::<f64>() / count;
        let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (count - 1.0);
        let fourth = draws.iter().map(|d| (d - mean).powi(4)).sum::<f64>() / count;
        (mean, var, ((fourth - var * var) / count).sqrt())
    }

    #[test]
    fn a_busy_station_completes_the_capacity_on_average_with_the_service_distributions_spread() {
        // 40,000 ticks: the mean's standard error is √(m·scv/40,000); the variance's is
        // estimated from the draws; the bounds are five of each.
        let n = 40_000;
        for expected in [0.3, 5.0, 40.0, 100.0, 2_500.0] {
            for scv in [0.25, 1.0, 4.0] {
                let (mean, var, se_var) = moments(expected, scv, n);
                let se_mean = (expected * scv / n as f64).sqrt();
                assert!(
                    (mean - expected).abs() <= 5.0 * se_mean,
                    "m {expected}, scv {scv}: mean {mean}"
                );
                // Whole counts: a normal draw is rounded (adding 1/12), and a constant part's
                // carry makes it vary by its fraction f of a request (f(1 − f)).
                let constant = expected * (1.0 - scv);
                let fraction = constant - constant.floor();
                let expected_var = if expected > NORMAL_ABOVE {
                    expected * scv + 1.0 / 12.0
                } else if scv < 1.0 {
                    expected * scv + fraction * (1.0 - fraction)
                } else {
                    expected * scv
                };
                assert!(
                    (var - expected_var).abs() <= 5.0 * se_var,
                    "m {expected}, scv {scv}: variance {var}, expected {expected_var}"
                );
            }
        }
    }

    #[test]
    fn constant_service_completes_the_capacity_exactly_carrying_fractions() {
        let mut carry = 0.0;
        let done: u64 = (0..1_000)
            .map(|t| completions(0.25, 0.0, 5, &mut carry, 1, t))
            .sum();
        assert_eq!(done, 250);
    }

    #[test]
    fn never_more_than_is_waiting_and_the_same_tick_draws_the_same() {
        let mut carry = 0.0;
        for t in 0..1_000 {
            assert!(completions(50.0, 1.0, 45, &mut carry, 7, t) <= 45);
        }
        let a = completions(50.0, 1.0, 1_000, &mut carry, 7, 12);
        let b = completions(50.0, 1.0, 1_000, &mut carry, 7, 12);
        assert_eq!(a, b);
    }
}
