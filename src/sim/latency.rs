//! Latency of a node in a tick, from queueing theory at the tick's expected arrival rate
//! (not its Poisson-noisy count: feeding noise into the convex waiting-time formula would bias
//! the mean upward, by Jensen's inequality), plus the delay of a macroscopic backlog.

use super::plan::{Spread, Station};
use super::queueing::{ResponseTime, gg_c_wait};

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
    /// The response-time distribution of one request, with `backlog` requests waiting at the
    /// start of the tick.
    pub fn response(&self, backlog: u64) -> ResponseTime {
        let service_mean_s = self.station.service_mean_s;
        if self.healthy == 0 || self.rate_per_s <= 0.0 {
            return ResponseTime {
                service_mean_s,
                service_scv: self.station.service_scv,
                ..Default::default()
            };
        }
        let wait = self.wait();
        let lq = self.rate_per_s * wait.mean_s();
        let capacity = f64::from(self.healthy) * self.station.capacity_per_s();
        let macro_backlog = (backlog as f64 - lq).max(0.0);
        ResponseTime {
            service_mean_s,
            service_scv: self.station.service_scv,
            wait,
            backlog_delay_s: macro_backlog / capacity,
        }
    }

    /// The waiting time in the queueing model that the spread implies (MODEL-REFERENCE §2:
    /// one pooled queue waits least; round robin smooths each instance's arrivals; a random
    /// split gives independent queues).
    pub fn wait(&self) -> super::queueing::Wait {
        let n = f64::from(self.healthy);
        let s = &self.station;
        match self.spread {
            Spread::Pooled => gg_c_wait(
                self.healthy * s.servers,
                s.rate_per_server_s,
                self.rate_per_s,
                self.arrival_scv,
                s.service_scv,
            ),
            Spread::RoundRobin => gg_c_wait(
                s.servers,
                s.rate_per_server_s,
                self.rate_per_s / n,
                self.arrival_scv / n,
                s.service_scv,
            ),
            Spread::Random | Spread::Sticky => {
                let p = 1.0 / n;
                gg_c_wait(
                    s.servers,
                    s.rate_per_server_s,
                    self.rate_per_s / n,
                    1.0 - p + p * self.arrival_scv,
                    s.service_scv,
                )
            }
        }
    }

    /// Requests beyond the stationary queue length (Little: L_q = λ·W_q): the backlog that
    /// the queueing formula does not already account for.
    pub fn macro_backlog(&self, backlog: u64) -> f64 {
        if backlog == 0 {
            return 0.0;
        }
        if self.healthy == 0 {
            return backlog as f64;
        }
        (backlog as f64 - self.rate_per_s * self.wait().mean_s()).max(0.0)
    }
}
