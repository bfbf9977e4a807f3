//! Latency of a node in a tick: one waiting-time model for every tick length.
//!
//! A request waits for two reasons, and each is counted once:
//!
//! - **The stationary queue** that Poisson-like arrivals build in front of busy servers, from
//!   queueing theory (Erlang C with Allen–Cunneen's correction; behind round robin, E_n/M/1
//!   exactly for one server per instance, and for several the exact GI/M/c tail with its
//!   chance of waiting scaled from M/M/c, see `round_robin_wait`) at
//!   the tick's *expected* arrival rate — not its Poisson-noisy count, which would bias the
//!   convex waiting-time formula upward (Jensen's inequality), nor the tick's whole-request
//!   backlog, whose noise the formula already describes (adding it again made the mean grow
//!   as ticks shrank: +15 % for M/M/1 at 1 ms ticks).
//! - **The fluid backlog**: what piles up while the expected arrival rate exceeds the capacity
//!   (overload, lost instances), integrated from the expected rates with [`fluid_step`]. It is
//!   zero whenever the queue is stable, so a steady queue is never counted twice, and it is the
//!   same at any tick length: a backlog that grows at λ − μ for t seconds delays the next
//!   arrival by (λ − μ)·t / μ.
//!
//! No request that is served waits longer than its station's timeout (longer waits are
//! dropped), so the wait before service is limited there.
//!
//! The whole-request counts (the backlog a node reports, what it drops when a wait would pass
//! its timeout, conservation) come from the flow engine; the waiting times from this model.

use super::plan::{Spread, Station};
use super::queueing::{ResponseTime, Wait, gg_c_wait, round_robin_wait};

/// How arrivals reach a group of `healthy` identical stations.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GroupLoad {
    pub station: Station,
    pub spread: Spread,
    pub healthy: u32,
    /// Expected arrivals per second into the whole group.
    pub rate_per_s: f64,
    /// Squared coefficient of variation of those arrivals.
    pub arrival_scv: f64,
}

impl GroupLoad {
    /// The response-time distribution of one request that finds a fluid backlog ahead of it
    /// that takes `backlog_delay_s` to work off (see the module's doc), its wait before
    /// service limited by the station's timeout.
    pub fn response(&self, backlog_delay_s: f64) -> ResponseTime {
        let wait = if self.healthy == 0 || self.rate_per_s <= 0.0 {
            Wait::NONE
        } else {
            self.wait()
        };
        ResponseTime {
            service_mean_s: self.station.service_mean_s,
            service_scv: self.station.service_scv,
            wait,
            backlog_delay_s: backlog_delay_s.max(0.0),
            wait_limit_s: self.station.timeout_s,
        }
    }

    /// The waiting time in the queueing model that the spread implies (MODEL-REFERENCE §2:
    /// one pooled queue waits least; round robin deals each instance Erlang arrivals; a
    /// random split gives independent queues).
    pub fn wait(&self) -> Wait {
        let n = f64::from(self.healthy);
        let s = &self.station;
        match self.spread {
            Spread::Pooled => gg_c_wait(
                // Up to 1e4 instances × 1e6 servers: past what 32 bits hold.
                u64::from(self.healthy) * u64::from(s.servers),
                s.rate_per_server_s,
                self.rate_per_s,
                self.arrival_scv,
                s.service_scv,
            ),
            // A Poisson stream dealt in turn: each instance sees Erlang-n interarrival
            // times: E_n/M/1 exactly, E_n/M/c in part (see `round_robin_wait`). A stream
            // that is not Poisson (constant clients) keeps Allen–Cunneen with its SCV over n.
            Spread::RoundRobin if (self.arrival_scv - 1.0).abs() < 1e-12 => round_robin_wait(
                self.healthy,
                s.servers,
                s.rate_per_server_s,
                self.rate_per_s,
                s.service_scv,
            ),
            Spread::RoundRobin => gg_c_wait(
                u64::from(s.servers),
                s.rate_per_server_s,
                self.rate_per_s / n,
                self.arrival_scv / n,
                s.service_scv,
            ),
            Spread::Random | Spread::Sticky => {
                let p = 1.0 / n;
                gg_c_wait(
                    u64::from(s.servers),
                    s.rate_per_server_s,
                    self.rate_per_s / n,
                    1.0 - p + p * self.arrival_scv,
                    s.service_scv,
                )
            }
        }
    }
}

/// One tick of a fluid queue: `rate_in_per_s` arrives, up to `capacity_per_s` is served, the
/// rest piles up in `backlog`, which holds at most `limit` (what the timeout lets wait; the
/// rest would be shed). Returns the expected rate served: the arrivals and as much of the
/// backlog as the capacity leaves room for.
#[inline]
pub(crate) fn fluid_step(
    backlog: &mut f64,
    rate_in_per_s: f64,
    capacity_per_s: f64,
    tick_s: f64,
    limit: f64,
) -> f64 {
    let capacity = capacity_per_s.max(0.0);
    if *backlog <= 0.0 && rate_in_per_s <= capacity {
        // Stable: nothing piles up (the usual case).
        *backlog = 0.0;
        return rate_in_per_s.max(0.0);
    }
    let served = (rate_in_per_s + *backlog / tick_s).min(capacity).max(0.0);
    *backlog = (*backlog + (rate_in_per_s - served) * tick_s).clamp(0.0, limit.max(0.0));
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fluid_backlog_grows_at_lambda_minus_mu_and_drains_alike_at_any_tick_length() {
        for tick_s in [1.0f64, 0.1, 0.01, 0.001] {
            let mut backlog = 0.0;
            let ticks = (60.0 / tick_s).round() as u64;
            for _ in 0..ticks {
                fluid_step(&mut backlog, 120.0, 100.0, tick_s, f64::INFINITY);
            }
            assert!((backlog - 1_200.0).abs() < 1e-6, "{tick_s}: {backlog}");
            // Then 50/s: drains at 50 a second, empty after 24 s.
            let mut seconds = 0.0;
            while backlog > 0.0 {
                let served = fluid_step(&mut backlog, 50.0, 100.0, tick_s, f64::INFINITY);
                assert!(served <= 100.0 + 1e-9);
                seconds += tick_s;
            }
            assert!(
                (seconds - 24.0_f64).abs() <= tick_s + 1e-9,
                "{tick_s}: {seconds}"
            );
        }
    }

    #[test]
    fn a_stable_queue_has_no_fluid_backlog_and_passes_its_arrivals_on() {
        let mut backlog = 0.0;
        assert_eq!(fluid_step(&mut backlog, 80.0, 100.0, 0.001, 1e9), 80.0);
        assert_eq!(backlog, 0.0);
        // The timeout bounds what piles up.
        fluid_step(&mut backlog, 1_000.0, 100.0, 1.0, 500.0);
        assert_eq!(backlog, 500.0);
    }
}
