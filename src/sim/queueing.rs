//! Queueing formulas: Erlang B/C, Allen–Cunneen, the Universal Scalability Law, response-time
//! distributions and their percentiles, and Che's approximation for LRU caches.
//!
//! See MODEL-REFERENCE.md sections 2–4. Rates are per second, times in seconds unless a name
//! ends in `_ms`.

/// Universal Scalability Law: the effective number of cores that `n` cores amount to,
/// `n / (1 + σ(n−1) + κ·n(n−1))`. Equals `n` when σ = κ = 0; never quite doubles when `n` does.
pub fn usl_effective(n: f64, contention: f64, coherency: f64) -> f64 {
    if n <= 0.0 {
        return 0.0;
    }
    n / (1.0 + contention * (n - 1.0) + coherency * n * (n - 1.0))
}

/// Erlang C: the probability that an arrival waits in an M/M/c queue with offered load
/// `a = λ/μ` (in Erlangs). Computed through the Erlang B recursion
/// `B_k = a·B_{k−1}/(k + a·B_{k−1})` (run on 1/B), `C = B/(1 − ρ(1−B))`, which is stable for
/// large `c`.
/// Returns 1 when the queue is unstable (`a ≥ c`).
pub fn erlang_c(servers: u64, offered_erlangs: f64) -> f64 {
    let c = servers as f64;
    if servers == 0 || offered_erlangs >= c || offered_erlangs.is_nan() {
        return 1.0;
    }
    if offered_erlangs <= 0.0 {
        return 0.0;
    }
    // A big, lightly loaded station (a CDN edge, thousands of servers) almost never queues:
    // B(c, a) ≤ 2·P(X = c) for X ~ Poisson(a) when c ≥ a, so when that bound is negligible
    // skip the O(c) recursion.
    let rho = offered_erlangs / c;
    if servers > 64 {
        let log_pmf = -offered_erlangs + c * offered_erlangs.ln() - ln_gamma(c + 1.0);
        if log_pmf < -40.0 && (2.0 * log_pmf.exp() / (1.0 - rho)) < 1e-15 {
            return 0.0;
        }
    }
    // The same recursion on 1/B, `1/B_k = 1 + (k/a)·(1/B_{k−1})`: all terms positive (as
    // stable), and a multiply-add per server instead of a division, whose latency would chain.
    // 1/B only grows, and C < 1/((1 − ρ)/B): once (1 − ρ)/B passes 1e15 the chance of
    // waiting is below 1e-15, nil for every figure shown, and a big lightly loaded station
    // stops here instead of running through all its servers.
    //
    // Below k = a the recursion forgets where it started: each step multiplies an error in
    // 1/B by k/a < 1, so from k₀ = a − 12√a to a the error shrinks by about e^(−72). A big
    // station (ten thousand instances of a million servers pool 1e10) starts there, from the
    // recursion's fixed point a/(a − k₀), and runs some 20√a steps instead of c.
    let per_erlang = 1.0 / offered_erlangs;
    let nil_above = 1e15 / (1.0 - rho);
    // (Only where it saves steps: a station of a few hundred servers runs them all.)
    let start = if servers > 256 {
        (offered_erlangs - 12.0 * offered_erlangs.sqrt()).floor()
    } else {
        0.0
    };
    let (mut k, mut inverse_b) = if start >= 1.0 {
        (start, offered_erlangs / (offered_erlangs - start))
    } else {
        (0.0, 1.0)
    };
    while k < c {
        k += 1.0;
        inverse_b = 1.0 + k * per_erlang * inverse_b;
        if inverse_b > nil_above {
            return 0.0;
        }
    }
    // C = B / (1 − ρ(1 − B)) = 1 / ((1 − ρ)/B + ρ).
    1.0 / ((1.0 - rho) * inverse_b + rho)
}

/// The waiting-time distribution of a G/G/c station in the Allen–Cunneen approximation:
/// an arrival waits with probability `wait_probability` (Erlang C), and then for an
/// exponential time with mean `wait_tail_mean_s`, which is the M/M/c mean
/// `1/(cμ−λ)` scaled by `(Ca² + Cs²)/2`. Exact for M/M/c.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Wait {
    /// Chance that an arrival waits at all, 0 to 1 (Erlang C).
    pub wait_probability: f64,
    /// Mean wait of an arrival that does wait, in seconds: 1/(cμ−λ) scaled by (Ca² + Cs²)/2.
    pub wait_tail_mean_s: f64,
}

impl Wait {
    /// No waiting at all.
    pub const NONE: Wait = Wait {
        wait_probability: 0.0,
        wait_tail_mean_s: 0.0,
    };

    /// Mean waiting time in seconds: `C · (Ca²+Cs²)/2 / (cμ − λ)`.
    pub fn mean_s(&self) -> f64 {
        self.wait_probability * self.wait_tail_mean_s
    }

    /// The p-quantile of the waiting time alone: `m·ln(C/(1−p))` when `C > 1−p`, else 0.
    pub fn quantile_s(&self, p: f64) -> f64 {
        if self.wait_probability <= 1.0 - p || self.wait_tail_mean_s <= 0.0 {
            0.0
        } else {
            self.wait_tail_mean_s * (self.wait_probability / (1.0 - p)).ln()
        }
    }
}

/// The most utilization a stable-queue formula is evaluated at (on either side of 1, see
/// [`formula_rate`]).
pub const MAX_FORMULA_UTILIZATION: f64 = 0.99;

/// The arrival rate a stationary waiting-time formula is evaluated at, for a station of
/// `capacity_per_s` fed at `arrival_rate_per_s`.
///
/// Below capacity, the rate itself. Above it, the fluid backlog (see `latency`) carries the
/// queue's growth, and what the formula adds is the queue's excess over that fluid: in the
/// heavy-traffic (diffusion) limit an overloaded queue holds σ²/2(λ − μ) more than (λ − μ)·t,
/// and a stable one σ²/2(μ − λ) — the same expression either side of μ, with σ² = λca² + μcs²
/// nearly unchanged when λ and μ trade places. So an overloaded station waits, beyond its
/// fluid backlog, what the stable one at utilization μ/λ does: the rate μ²/λ. Either way the
/// utilization is capped at [`MAX_FORMULA_UTILIZATION`] (its inverse above 1), where the
/// formula's wait is already a hundred service times. The wait is continuous through μ and
/// falls back as the fluid backlog takes over, instead of adding the capped wait of a
/// saturated queue to the backlog a real one would have instead.
pub fn formula_rate(capacity_per_s: f64, arrival_rate_per_s: f64) -> f64 {
    let mirrored = if arrival_rate_per_s > capacity_per_s {
        capacity_per_s * capacity_per_s / arrival_rate_per_s
    } else {
        arrival_rate_per_s
    };
    mirrored.min(MAX_FORMULA_UTILIZATION * capacity_per_s)
}

/// The waiting time of `servers` parallel servers of rate `service_rate_per_s` each, fed at
/// `arrival_rate_per_s`, with squared coefficients of variation `arrival_scv` and `service_scv`.
pub fn gg_c_wait(
    servers: u64,
    service_rate_per_s: f64,
    arrival_rate_per_s: f64,
    arrival_scv: f64,
    service_scv: f64,
) -> Wait {
    if servers == 0 || service_rate_per_s <= 0.0 || arrival_rate_per_s <= 0.0 {
        return Wait::NONE;
    }
    let capacity = servers as f64 * service_rate_per_s;
    let lambda = formula_rate(capacity, arrival_rate_per_s);
    let c = erlang_c(servers, lambda / service_rate_per_s);
    let variability = 0.5 * (arrival_scv + service_scv);
    Wait {
        wait_probability: c,
        wait_tail_mean_s: variability / (capacity - lambda),
    }
}

/// The decay σ of the GI/M/c queue whose arrivals are Erlang-`stages` at `arrival_rate_per_s`
/// (the sum of `stages` exponential phases: what one of `stages` instances sees when a Poisson
/// stream is dealt to them in turn), served by servers that together complete
/// `service_rate_per_s` while all are busy: the root in (0, 1) of σ = A*(cμ(1 − σ)), with the
/// interarrival time's Laplace transform A*(s) = (nλ/(nλ + s))^n (MODEL-REFERENCE §2, E_n/M/1).
/// Solved by Newton's method from 0: σ − A*(cμ(1 − σ)) is concave in σ, so the iterates rise
/// to the root without overshooting it. `None` when the queue is not stable (λ ≥ cμ).
pub fn erlang_arrivals_sigma(
    stages: f64,
    arrival_rate_per_s: f64,
    service_rate_per_s: f64,
) -> Option<f64> {
    if !(stages >= 1.0 && arrival_rate_per_s > 0.0 && arrival_rate_per_s < service_rate_per_s) {
        return None;
    }
    let phase_rate = stages * arrival_rate_per_s;
    // Stages are whole (instances dealt to in turn): a power by squaring, not a logarithm.
    let whole = stages.fract() == 0.0 && stages <= f64::from(i32::MAX);
    // A*(cμ(1 − σ)) and its derivative in σ.
    let transform = |sigma: f64| {
        let s = service_rate_per_s * (1.0 - sigma);
        let base = phase_rate / (phase_rate + s);
        let value = if whole {
            base.powi(stages as i32)
        } else {
            base.powf(stages)
        };
        let slope = value * stages * service_rate_per_s / (phase_rate + s);
        (value, slope)
    };
    let mut sigma = 0.0f64;
    for _ in 0..200 {
        let (value, slope) = transform(sigma);
        let step = (value - sigma) / (1.0 - slope);
        if !step.is_finite() || step <= 0.0 {
            break;
        }
        let next = (sigma + step).min(1.0 - 1e-15);
        if next - sigma <= 1e-15 * next {
            sigma = next;
            break;
        }
        sigma = next;
    }
    (sigma > 0.0 && sigma < 1.0).then_some(sigma)
}

/// The waiting time at one of `instances` identical instances of `servers` exponential servers
/// each (rate `service_rate_per_s`), to which a Poisson stream of `arrival_rate_per_s` in all
/// is dealt round robin, so that each instance sees Erlang-`instances` interarrival times:
///
/// - one server per instance: the exact E_n/M/1 result, an arrival waits with probability σ
///   and then for an exponential time of mean 1/(μ(1 − σ));
/// - several: the tail is the exact GI/M/c one, exponential of mean 1/(cμ(1 − σ)); the chance
///   of waiting is set so that the mean wait is M/M/c's scaled by the one-server ratio
///   E_n/M/1 ÷ M/M/1 at the same utilization (exact for one server, and M/M/c when n = 1);
/// - service that is not exponential (`service_scv` ≠ 1): that wait scaled by
///   (ca² + cs²)/(ca² + 1) with ca² = 1/n, Allen–Cunneen's correction for service variability.
pub fn round_robin_wait(
    instances: u32,
    servers: u32,
    service_rate_per_s: f64,
    arrival_rate_per_s: f64,
    service_scv: f64,
) -> Wait {
    if instances == 0 || servers == 0 || service_rate_per_s <= 0.0 || arrival_rate_per_s <= 0.0 {
        return Wait::NONE;
    }
    let n = f64::from(instances);
    let c = f64::from(servers);
    let capacity = c * service_rate_per_s;
    // Per instance, beyond capacity as every formula is (see `formula_rate`).
    let lambda = formula_rate(capacity, arrival_rate_per_s / n);
    let rho = lambda / capacity;
    let Some(sigma_c) = erlang_arrivals_sigma(n, lambda, capacity) else {
        return Wait::NONE;
    };
    let tail_mean_s = 1.0 / (capacity * (1.0 - sigma_c));
    let mut mean_s = if servers == 1 {
        sigma_c * tail_mean_s
    } else {
        // M/M/c's mean wait × (E_n/M/1 ÷ M/M/1) at utilization ρ on one server of rate cμ.
        let mmc = erlang_c(u64::from(servers), lambda / service_rate_per_s) / (capacity - lambda);
        let one_server = erlang_arrivals_sigma(n, rho, 1.0).map_or(1.0, |sigma_1| {
            (sigma_1 / (1.0 - sigma_1)) / (rho / (1.0 - rho))
        });
        mmc * one_server
    };
    if (service_scv - 1.0).abs() > 1e-12 {
        let arrival_scv = 1.0 / n;
        mean_s *= (arrival_scv + service_scv) / (arrival_scv + 1.0);
    }
    let wait_probability = (mean_s / tail_mean_s).min(1.0);
    Wait {
        wait_probability,
        // Where the chance would pass 1, the tail grows instead, so the mean holds.
        wait_tail_mean_s: mean_s / wait_probability.max(f64::MIN_POSITIVE),
    }
}

/// Mean and squared coefficient of variation of the service time of one FCFS queue fed by a
/// mix of classes, each `(arrival rate, mean service time)` with service SCV `scv`: the
/// mixture's mean `S̄ = Σ p_i S_i` and `cs² = Σ p_i S_i²(1 + scv) / S̄² − 1`. Classes that take
/// no time (or do not arrive) are left out. `None` when nothing is left.
pub fn mixture_service(classes: &[(f64, f64)], scv: f64) -> Option<(f64, f64)> {
    let (mut rate, mut first, mut second) = (0.0, 0.0, 0.0);
    for &(r, s) in classes {
        if r > 0.0 && s > 0.0 {
            rate += r;
            first += r * s;
            second += r * s * s * (1.0 + scv);
        }
    }
    if rate <= 0.0 || first <= 0.0 {
        return None;
    }
    let mean = first / rate;
    let scv_mix = (second / rate / (mean * mean) - 1.0).max(0.0);
    Some((mean, scv_mix))
}

/// A station's response-time distribution: service time (mean and squared coefficient of
/// variation, drawn as a gamma distribution) after a wait before service — the queueing wait
/// plus a fixed delay for a backlog built up under overload — that never passes the
/// station's timeout: a request that would wait longer is dropped, so none that succeeds
/// waits longer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResponseTime {
    /// Mean service time, in seconds.
    pub service_mean_s: f64,
    /// Squared coefficient of variation of the service time (0 = always the same, 1 = exponential).
    pub service_scv: f64,
    /// The queueing wait before service, in the Allen–Cunneen approximation.
    pub wait: Wait,
    /// Time to work off the backlog ahead of a new arrival (overload only), in seconds.
    pub backlog_delay_s: f64,
    /// The longest a request that is served waits before service, in seconds (its
    /// station's timeout; infinite when nothing bounds it).
    pub wait_limit_s: f64,
}

impl Default for ResponseTime {
    fn default() -> Self {
        Self {
            service_mean_s: 0.0,
            service_scv: 0.0,
            wait: Wait::NONE,
            backlog_delay_s: 0.0,
            wait_limit_s: f64::INFINITY,
        }
    }
}

impl ResponseTime {
    /// Mean response time in seconds.
    pub fn mean_s(&self) -> f64 {
        self.service_mean_s + self.wait_mean_s()
    }

    /// Mean time before service in seconds: E[min(D + W, L)] for the backlog's delay D, the
    /// queueing wait W (0, or exponential with chance C) and the limit L.
    pub fn wait_mean_s(&self) -> f64 {
        let (d, l) = (self.backlog_delay_s, self.wait_limit_s);
        if d >= l {
            return l;
        }
        let (c, m) = (self.wait.wait_probability, self.wait.wait_tail_mean_s);
        if c <= 0.0 || m <= 0.0 {
            return d;
        }
        let cut = if l.is_finite() {
            1.0 - (-(l - d) / m).exp()
        } else {
            1.0
        };
        d + c * m * cut
    }

    /// The wait before service of a request whose unbounded wait would be `wait_s`.
    pub fn limited_wait_s(&self, wait_s: f64) -> f64 {
        wait_s.min(self.wait_limit_s)
    }

    /// Probability that the response time exceeds `t_s`: R = S + min(D + W, L).
    pub fn exceedance(&self, t_s: f64) -> f64 {
        let (d, l) = (self.backlog_delay_s, self.wait_limit_s);
        let (c, m) = (self.wait.wait_probability, self.wait.wait_tail_mean_s);
        if d >= l {
            // Every request waits the limit.
            return if t_s < l {
                1.0
            } else {
                service_exceedance(self.service_mean_s, self.service_scv, t_s - l)
            };
        }
        let unbounded = self.unbounded_exceedance(t_s);
        if !l.is_finite() || c <= 0.0 || m <= 0.0 {
            return unbounded;
        }
        // Those whose wait passes the limit (chance C·e^{−(L−D)/m}, and then an exponential
        // excess, memoryless) wait exactly L instead.
        let over = c * (-(l - d) / m).exp();
        let after = t_s - l;
        let (with_excess, at_limit) = if after < 0.0 {
            (1.0, 1.0)
        } else {
            (
                wait_plus_service_exceedance(m, self.service_mean_s, self.service_scv, after),
                service_exceedance(self.service_mean_s, self.service_scv, after),
            )
        };
        (unbounded - over * (with_excess - at_limit)).clamp(0.0, 1.0)
    }

    /// P(S + D + W > t), the wait not limited.
    fn unbounded_exceedance(&self, t_s: f64) -> f64 {
        let t = t_s - self.backlog_delay_s;
        if t < 0.0 {
            return 1.0;
        }
        let c = self.wait.wait_probability;
        let m = self.wait.wait_tail_mean_s;
        let s_tail = service_exceedance(self.service_mean_s, self.service_scv, t);
        if c <= 0.0 || m <= 0.0 {
            return s_tail;
        }
        let waited = c * wait_plus_service_exceedance(m, self.service_mean_s, self.service_scv, t);
        (1.0 - c) * s_tail + waited
    }

    /// The p-quantile of the response time in seconds (0 < p < 1), by bisection on the
    /// exceedance function.
    pub fn quantile_s(&self, p: f64) -> f64 {
        let target = 1.0 - p;
        // An upper bound: every part at a generous multiple of its mean.
        let mut hi = self.backlog_delay_s.min(self.wait_limit_s)
            + self.service_mean_s * (1.0 + 10.0 * (1.0 + self.service_scv))
            + self.wait.quantile_s(p) * 2.0
            + self.wait.wait_tail_mean_s * 10.0
            + 1e-9;
        while self.exceedance(hi) > target && hi < 1e9 {
            hi *= 2.0;
        }
        let mut lo = 0.0;
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if self.exceedance(mid) > target {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo <= 1e-9 * hi.max(1e-12) {
                break;
            }
        }
        0.5 * (lo + hi)
    }
}

/// P(S > t) for a service time with the given mean and squared coefficient of variation:
/// deterministic for SCV 0, exponential for SCV 1, gamma (shape 1/SCV) otherwise.
pub fn service_exceedance(mean_s: f64, scv: f64, t_s: f64) -> f64 {
    if mean_s <= 0.0 {
        return if t_s < 0.0 { 1.0 } else { 0.0 };
    }
    if scv <= 1e-9 {
        return if t_s < mean_s { 1.0 } else { 0.0 };
    }
    if (scv - 1.0).abs() < 1e-12 {
        return (-t_s / mean_s).exp();
    }
    let shape = 1.0 / scv;
    let scale = mean_s * scv;
    upper_regularized_gamma(shape, t_s / scale)
}

/// P(W + S > t) where W ~ Exp(mean `m`) and S is the service time.
fn wait_plus_service_exceedance(m: f64, service_mean_s: f64, scv: f64, t: f64) -> f64 {
    if service_mean_s <= 0.0 {
        return (-t / m).exp();
    }
    if scv <= 1e-9 {
        // Deterministic service: W + S > t ⇔ W > t − S.
        return if t < service_mean_s {
            1.0
        } else {
            (-(t - service_mean_s) / m).exp()
        };
    }
    if (scv - 1.0).abs() < 1e-12 {
        // Hypoexponential: sum of Exp(1/m) and Exp(1/S).
        let a = 1.0 / m;
        let b = 1.0 / service_mean_s;
        if (a - b).abs() < 1e-12 * a.max(b) {
            return (-a * t).exp() * (1.0 + a * t);
        }
        return (b * (-a * t).exp() - a * (-b * t).exp()) / (b - a);
    }
    // General: P(W+S > t) = P(W > t) + ∫_0^t f_W(w)·P(S > t−w) dw, by Simpson's rule
    // (integrating over the wait keeps the integrand bounded for any gamma shape).
    let steps = 400;
    let h = t / steps as f64;
    let integrand = |w: f64| (-w / m).exp() / m * service_exceedance(service_mean_s, scv, t - w);
    let mut sum = integrand(0.0) + integrand(t);
    for i in 1..steps {
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += weight * integrand(i as f64 * h);
    }
    ((-t / m).exp() + sum * h / 3.0).min(1.0)
}

/// Lanczos approximation of ln Γ(x) for x > 0.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = COEF[0];
    let t = x + G + 0.5;
    for (i, c) in COEF.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Q(a, x) = Γ(a, x)/Γ(a): series for x < a + 1, continued fraction otherwise
/// (Numerical Recipes' gammp/gammq).
pub fn upper_regularized_gamma(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x < a + 1.0 {
        let mut sum = 1.0 / a;
        let mut term = sum;
        let mut n = a;
        for _ in 0..500 {
            n += 1.0;
            term *= x / n;
            sum += term;
            if term.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        let p = sum * (-x + a * x.ln() - ln_gamma(a)).exp();
        (1.0 - p).clamp(0.0, 1.0)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..500 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-15 {
                break;
            }
        }
        ((-x + a * x.ln() - ln_gamma(a)).exp() * h).clamp(0.0, 1.0)
    }
}

/// Che's approximation of the hit ratio of an LRU cache holding `capacity_items` of
/// `working_set_items` equally sized items whose popularity follows Zipf with exponent `s`.
/// Solves `Σ_i (1 − e^{−p_i·T}) = C` for the characteristic time T, then the hit ratio is
/// `Σ_i p_i (1 − e^{−p_i·T})`. Items are grouped in log-spaced rank bands for speed.
pub fn che_lru_hit_ratio(capacity_items: f64, working_set_items: f64, zipf_exponent: f64) -> f64 {
    if capacity_items >= working_set_items {
        return 1.0;
    }
    if capacity_items <= 0.0 || working_set_items <= 0.0 {
        return 0.0;
    }
    // Rank bands: [start, end) with a representative rank and the number of items in it.
    let n = working_set_items.floor().max(1.0);
    let mut bands: Vec<(f64, f64)> = Vec::new(); // (popularity weight of one item, item count)
    let mut start = 1.0f64;
    while start <= n {
        let end = if start < 1000.0 {
            start + 1.0
        } else {
            (start * 1.01).ceil().min(n + 1.0)
        };
        // Past 2^53 a float cannot count one more (n + 1 == n): the rest is one last band.
        let end = if end > start {
            end
        } else {
            n + start.max(1.0) * f64::EPSILON
        };
        let count = (end - start).max(1.0);
        let mid = if count <= 1.0 {
            start
        } else {
            (start * (end - 1.0)).sqrt()
        };
        bands.push((mid.powf(-zipf_exponent), count));
        if end <= start {
            break;
        }
        start = end;
    }
    let total: f64 = bands.iter().map(|(w, k)| w * k).sum();
    let occupancy = |t: f64| -> f64 {
        bands
            .iter()
            .map(|(w, k)| k * (1.0 - (-(w / total) * t).exp()))
            .sum()
    };
    // Bisection on T in log space.
    let (mut lo, mut hi) = (1e-12f64, 1.0f64);
    while occupancy(hi) < capacity_items && hi < 1e300 {
        hi *= 4.0;
    }
    for _ in 0..200 {
        let mid = (lo * hi).sqrt();
        if occupancy(mid) < capacity_items {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi / lo < 1.0 + 1e-12 {
            break;
        }
    }
    let t = (lo * hi).sqrt();
    bands
        .iter()
        .map(|(w, k)| {
            let p = w / total;
            k * p * (1.0 - (-p * t).exp())
        })
        .sum::<f64>()
        .clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-12)
    }

    #[test]
    fn erlang_c_of_one_server_is_utilization() {
        assert!(close(erlang_c(1, 0.8), 0.8, 1e-12));
    }

    #[test]
    fn erlang_c_matches_the_closed_form_for_two_servers() {
        // a = 200/150, c = 2: C = 2ρ²/(1+ρ) with ρ = a/2.
        let a = 200.0 / 150.0;
        let rho = a / 2.0;
        assert!(close(erlang_c(2, a), 2.0 * rho * rho / (1.0 + rho), 1e-12));
    }

    #[test]
    fn erlang_c_matches_the_sum_formula_for_three_servers() {
        // a = 2, c = 3: B = (a³/3!) / Σ_{k≤3} aᵏ/k! = (4/3)/(19/3) = 4/19, C = B/(1 − ρ(1 − B))
        // with ρ = 2/3: 4/9.
        assert!(close(erlang_c(3, 2.0), 4.0 / 9.0, 1e-12));
    }

    #[test]
    fn erlang_c_of_a_huge_idle_station_is_nil() {
        let c = erlang_c(3000, 0.5);
        assert!(c.is_finite() && (0.0..1e-12).contains(&c), "{c}");
    }

    #[test]
    fn erlang_c_agrees_with_the_textbook_recursion_and_stops_only_below_1e_15() {
        // The textbook recursion on B, run through every server: the stop on 1/B may only
        // turn a chance of waiting below 1e-15 into 0.
        let textbook = |servers: u32, a: f64| {
            let mut b = 1.0;
            for k in 1..=servers {
                b = a * b / (f64::from(k) + a * b);
            }
            let rho = a / f64::from(servers);
            b / (1.0 - rho * (1.0 - b))
        };
        // From 257 servers on, a busy station starts its recursion at a − 12√a.
        for servers in [1, 2, 3, 7, 16, 42, 64, 200, 300, 1_000, 20_000] {
            for rho in [0.001, 0.01, 0.1, 0.3, 0.5, 0.8, 0.95, 0.999] {
                let a = rho * f64::from(servers);
                let (fast, slow) = (erlang_c(u64::from(servers), a), textbook(servers, a));
                if fast == 0.0 {
                    assert!(slow < 1e-15, "c {servers}, ρ {rho}: {slow} cut to 0");
                } else {
                    assert!(
                        close(fast, slow, 1e-10),
                        "c {servers}, ρ {rho}: {fast} vs {slow}"
                    );
                }
            }
        }
    }

    #[test]
    fn erlang_c_of_ten_billion_servers_is_the_halfin_whitt_limit() {
        // Ten thousand instances of a million servers, pooled: c = 1e10 (past 32 bits). In
        // the Halfin–Whitt regime β = (c − a)/√a, C → 1/(1 + βΦ(β)/φ(β)), within O(1/√a);
        // at β = 1: 1/(1 + 0.841345/0.241971) = 0.223356.
        let c = 1e10;
        let a = c - 1e5;
        let limit = 1.0 / (1.0 + 0.841_344_746 / 0.241_970_725);
        let erlang = erlang_c(c as u64, a);
        assert!(close(erlang, limit, 1e-3), "{erlang} vs {limit}");
    }

    #[test]
    fn erlang_c_is_stable_for_thousands_of_servers() {
        let c = erlang_c(5000, 4900.0);
        assert!(c.is_finite() && c > 0.0 && c < 1.0);
    }

    #[test]
    fn mm1_response_time_is_exponential() {
        // λ 80, μ 100: R ~ Exp(20/s): mean 50 ms, p50 34.66 ms, p99 230.3 ms.
        let r = ResponseTime {
            service_mean_s: 0.01,
            service_scv: 1.0,
            wait: gg_c_wait(1, 100.0, 80.0, 1.0, 1.0),
            backlog_delay_s: 0.0,
            wait_limit_s: f64::INFINITY,
        };
        assert!(close(r.mean_s(), 0.050, 1e-12));
        assert!(close(r.quantile_s(0.5), 0.034_657, 1e-4));
        assert!(close(r.quantile_s(0.99), 0.230_259, 1e-4));
    }

    #[test]
    fn deterministic_service_halves_the_mm1_wait() {
        let w = gg_c_wait(1, 100.0, 80.0, 1.0, 0.0);
        assert!(close(w.mean_s(), 0.020, 1e-12));
    }

    #[test]
    fn a_mix_of_service_times_waits_as_pollaczek_khinchine_says() {
        // Reads 1 ms and writes 10 ms, exponential, half each, at ρ = 0.8 on one server:
        // S̄ = 5.5 ms, E[S²] = 101 ms², cs² = 101/30.25 − 1, and P–K gives
        // Wq = λ·E[S²]/(2(1−ρ)) = 36.727 ms.
        let (s, cs2) = mixture_service(&[(1.0, 0.001), (1.0, 0.010)], 1.0).expect("a mix");
        assert!(close(s, 0.0055, 1e-12));
        assert!(close(cs2, 101.0 / 30.25 - 1.0, 1e-12));
        let lambda = 0.8 / s;
        let w = gg_c_wait(1, 1.0 / s, lambda, 1.0, cs2);
        assert!(close(w.mean_s(), lambda * 101e-6 / (2.0 * 0.2), 1e-12));
        assert!(close(w.mean_s(), 0.036_727_27, 1e-6));
        // One class alone, or classes of one service time, is that class.
        let (s0, c0) = mixture_service(&[(3.0, 0.004)], 1.0).expect("one class");
        assert!(close(s0, 0.004, 1e-12) && close(c0, 1.0, 1e-12));
        let (s1, c1) = mixture_service(&[(1.0, 0.004), (2.0, 0.004)], 0.5).expect("a mix");
        assert!(close(s1, 0.004, 1e-12) && close(c1, 0.5, 1e-12));
        // Nothing arriving, or nothing taking time, is no mix.
        assert_eq!(mixture_service(&[(0.0, 0.004), (5.0, 0.0)], 1.0), None);
    }

    #[test]
    fn a_mix_on_two_servers_waits_as_allen_cunneen_says() {
        // The same mix at ρ = 0.8 on two servers: C(2, 1.6) = 2ρ²/(1+ρ) = 0.7111,
        // Wq(M/M/2) = C/(2/S̄ − λ) = 9.778 ms, times (1 + cs²)/2 = 1.6694: 16.323 ms.
        let (s, cs2) = mixture_service(&[(1.0, 0.001), (1.0, 0.010)], 1.0).expect("a mix");
        let lambda = 1.6 / s;
        let w = gg_c_wait(2, 1.0 / s, lambda, 1.0, cs2);
        assert!(close(w.wait_probability, 1.28 / 1.8, 1e-12));
        assert!(close(w.mean_s(), 0.016_323_23, 1e-6));
    }

    #[test]
    fn gamma_service_quantiles_agree_with_the_exponential_limit() {
        let gamma = ResponseTime {
            service_mean_s: 0.01,
            service_scv: 1.0 + 1e-9,
            wait: gg_c_wait(1, 100.0, 80.0, 1.0, 1.0),
            backlog_delay_s: 0.0,
            wait_limit_s: f64::INFINITY,
        };
        assert!(close(gamma.quantile_s(0.99), 0.230_259, 2e-3));
    }

    #[test]
    fn usl_matches_the_worked_case() {
        // λ₁ 1000/s, σ 0.03, κ 0.0001: X(8) ≈ 6,581/s, X(32) ≈ 15,770/s.
        assert!(close(
            1000.0 * usl_effective(8.0, 0.03, 0.0001),
            6581.0,
            1e-3
        ));
        assert!(close(
            1000.0 * usl_effective(32.0, 0.03, 0.0001),
            15_770.0,
            1e-3
        ));
    }

    #[test]
    fn regularized_gamma_matches_known_values() {
        // Q(1, x) = e^{−x}; Q(2, x) = e^{−x}(1 + x).
        assert!(close(
            upper_regularized_gamma(1.0, 2.0),
            (-2.0f64).exp(),
            1e-10
        ));
        assert!(close(
            upper_regularized_gamma(2.0, 0.5),
            (-0.5f64).exp() * 1.5,
            1e-10
        ));
        assert!(close(
            upper_regularized_gamma(2.0, 5.0),
            (-5.0f64).exp() * 6.0,
            1e-10
        ));
    }

    #[test]
    fn che_hit_ratio_ends_for_working_sets_past_what_a_float_counts_one_by_one() {
        // 2^53 and beyond: n + 1 == n in floating point.
        for n in [2f64.powi(53), 1e17, 1e300] {
            let h = che_lru_hit_ratio(1e6, n, 0.9);
            assert!(h.is_finite() && (0.0..=1.0).contains(&h), "{n}: {h}");
        }
    }

    #[test]
    fn che_hit_ratio_grows_with_cache_size() {
        let small = che_lru_hit_ratio(1_000.0, 100_000.0, 0.9);
        let large = che_lru_hit_ratio(10_000.0, 100_000.0, 0.9);
        assert!(small > 0.0 && small < large && large < 1.0);
        // Uniform popularity: LRU holds a random C/N share of items.
        assert!(close(che_lru_hit_ratio(250.0, 1_000.0, 0.0), 0.25, 1e-3));
    }
}
