//! Circuit breakers on links in the events engine (see `model::CircuitBreaker`).
//!
//! A call down a link with a breaker is an attempt of the retries' side table (a link with a
//! breaker and no retry policy makes one try, with no timeout), so that its outcome is known
//! as a retry's is: **success** when the request comes back to the attempt's depth,
//! **failure** when the attempt fails (each failed try of a retrying link, a timed-out one
//! included, is a failed call). An outcome is recorded when it is known.
//!
//! - **Admission**: each try is admitted when it is sent (a first try, and each retry when
//!   its backoff ends). Closed: it goes. Open (before `open_s` has passed): it fails at once
//!   without reaching the target, counted in the sender's `breaker_rejected`, and is not
//!   retried. When `open_s` has passed, the breaker is half-open: the next `probes` tries go
//!   as probes; tries beyond them while the probes' outcomes are pending fail at once.
//! - **Fallback**: a split (client, balancer, cache's misses) draws among its links whose
//!   breaker would admit a try now, by their weights; with none, it draws among them all and
//!   the chosen link's breaker fails the call at once (in `breaker_rejected`), as the flow
//!   engine's router does.
//! - **Closed window**: the outcomes of the last `window_s` seconds, counted in ten buckets
//!   of a tenth of it (the flow engine's `BreakerWindow`: memory that does not grow with the
//!   rate). At each outcome recorded, when the window holds at least `min_calls` outcomes
//!   and failures / outcomes ≥ `failure_ratio`, it opens for `open_s`.
//! - **Half-open**: a probe's failure opens it again for `open_s`; when all `probes` have
//!   succeeded it closes with an empty window. A probe whose outcome is never known (its
//!   request given up by a deadline or a timeout above it) frees its place for another.
//! - **Epochs**: each change of state starts a new epoch; an outcome counts only in the epoch
//!   its try was admitted in (a call sent while closed that ends while open is ignored).
//! - **Orphans** (work given up on by a deadline or a timeout) pass through breakers
//!   unjudged and uncounted, as they make no retries.
//! - `breaker_open_s`: the time each breaker was open or half-open, clipped to the measured
//!   stretch, summed on the link's sender.

use crate::model::CircuitBreaker;
use crate::sim::breakers::BreakerWindow;

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Closed,
    /// Open until then; half-open after.
    Open {
        until_s: f64,
    },
    /// Probes admitted so far, and those that succeeded.
    HalfOpen {
        sent: u32,
        succeeded: u32,
    },
}

/// How a try down a link with a breaker is admitted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Admission {
    /// It goes, in this epoch; a probe if the breaker is half-open.
    Go { epoch: u32, probe: bool },
    /// It fails at once.
    Reject,
}

/// One link's breaker while the run goes.
#[derive(Clone, Debug)]
pub(super) struct Breaker {
    config: CircuitBreaker,
    state: State,
    epoch: u32,
    /// Closed: the outcomes of the window.
    window: BreakerWindow,
    /// Since when it has been open or half-open (when not closed).
    open_since_s: f64,
    /// Open or half-open seconds after the warm-up, of spells that have ended.
    open_s: f64,
}

impl Breaker {
    pub(super) fn new(config: CircuitBreaker) -> Self {
        Self {
            config,
            state: State::Closed,
            epoch: 0,
            window: BreakerWindow::new(),
            open_since_s: 0.0,
            open_s: 0.0,
        }
    }

    /// Open past its time: half-open now.
    fn roll(&mut self, now_s: f64) {
        if let State::Open { until_s } = self.state
            && now_s >= until_s
        {
            self.state = State::HalfOpen {
                sent: 0,
                succeeded: 0,
            };
            self.epoch = self.epoch.wrapping_add(1);
        }
    }

    /// Whether a try at `now_s` would be admitted (without taking a probe's place).
    pub(super) fn would_admit(&self, now_s: f64) -> bool {
        match self.state {
            State::Closed => true,
            State::Open { until_s } => now_s >= until_s && self.config.probes > 0,
            State::HalfOpen { sent, .. } => sent < self.config.probes,
        }
    }

    /// Admit a try at `now_s` (or not).
    pub(super) fn admit(&mut self, now_s: f64) -> Admission {
        self.roll(now_s);
        match &mut self.state {
            State::Closed => Admission::Go {
                epoch: self.epoch,
                probe: false,
            },
            State::Open { .. } => Admission::Reject,
            State::HalfOpen { sent, .. } => {
                if *sent < self.config.probes {
                    *sent += 1;
                    Admission::Go {
                        epoch: self.epoch,
                        probe: true,
                    }
                } else {
                    Admission::Reject
                }
            }
        }
    }

    /// The outcome of a try admitted in `epoch` is known at `now_s`.
    pub(super) fn record(&mut self, epoch: u32, failed: bool, now_s: f64, warmup_s: f64) {
        if epoch != self.epoch {
            return;
        }
        match &mut self.state {
            State::Closed => {
                self.window.advance(now_s, self.config.window_s);
                self.window.add(1.0, if failed { 1.0 } else { 0.0 });
                if self
                    .window
                    .trips(self.config.min_calls, self.config.failure_ratio)
                {
                    self.window.clear(now_s);
                    self.open_since_s = now_s;
                    self.open(now_s);
                }
            }
            State::Open { .. } => {}
            State::HalfOpen { succeeded, .. } => {
                if failed {
                    self.open(now_s);
                } else {
                    *succeeded += 1;
                    if *succeeded >= self.config.probes {
                        self.state = State::Closed;
                        self.window.clear(now_s);
                        self.epoch = self.epoch.wrapping_add(1);
                        self.open_s += clipped(self.open_since_s, now_s, warmup_s);
                    }
                }
            }
        }
    }

    /// A probe admitted in `epoch` will have no outcome: its place is free again.
    pub(super) fn abandon(&mut self, epoch: u32) {
        if epoch != self.epoch {
            return;
        }
        if let State::HalfOpen { sent, .. } = &mut self.state {
            *sent = sent.saturating_sub(1);
        }
    }

    fn open(&mut self, now_s: f64) {
        self.state = State::Open {
            until_s: now_s + self.config.open_s,
        };
        self.epoch = self.epoch.wrapping_add(1);
    }

    /// Open or half-open seconds in [warm-up, `end_s`].
    pub(super) fn open_seconds(&self, end_s: f64, warmup_s: f64) -> f64 {
        match self.state {
            State::Closed => self.open_s,
            _ => self.open_s + clipped(self.open_since_s, end_s, warmup_s),
        }
    }
}

/// The length of [from, to] clipped below at the warm-up's end.
fn clipped(from_s: f64, to_s: f64, warmup_s: f64) -> f64 {
    (to_s - from_s.max(warmup_s)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> CircuitBreaker {
        CircuitBreaker {
            failure_ratio: 0.5,
            window_s: 10.0,
            min_calls: 4,
            open_s: 30.0,
            probes: 2,
        }
    }

    fn go(b: &mut Breaker, now_s: f64) -> (u32, bool) {
        match b.admit(now_s) {
            Admission::Go { epoch, probe } => (epoch, probe),
            Admission::Reject => panic!("rejected at {now_s}"),
        }
    }

    #[test]
    fn a_breaker_opens_at_the_ratio_probes_and_closes() {
        let mut b = Breaker::new(config());
        // Three failures out of three: too few calls to judge.
        for t in 0..3 {
            let (e, _) = go(&mut b, f64::from(t));
            b.record(e, true, f64::from(t), 0.0);
        }
        assert_eq!(b.state, State::Closed);
        // The oldest has left the window by 10.5 s: 2 failures of 3 calls.
        let (e, _) = go(&mut b, 10.5);
        b.record(e, false, 10.5, 0.0);
        assert_eq!(b.state, State::Closed);
        let (e, _) = go(&mut b, 10.8);
        b.record(e, false, 10.8, 0.0);
        assert_eq!(b.state, State::Open { until_s: 40.8 }, "2 of 4 failed");
        assert_eq!(b.admit(40.0), Admission::Reject);
        assert!(!b.would_admit(40.7));
        assert!(b.would_admit(41.0));
        // Half-open: two probes, a third waits; one probe abandoned frees its place.
        let (e1, p) = go(&mut b, 41.0);
        assert!(p);
        let (e2, _) = go(&mut b, 41.0);
        assert_eq!(b.admit(41.5), Admission::Reject);
        b.abandon(e2);
        let (e3, _) = go(&mut b, 42.0);
        b.record(e1, false, 43.0, 0.0);
        b.record(e3, false, 44.0, 0.0);
        assert_eq!(b.state, State::Closed);
        assert_eq!(b.window.totals(), (0.0, 0.0));
        assert!((b.open_seconds(100.0, 0.0) - 33.2).abs() < 1e-9);
        // A probe's failure opens it again.
        let mut b = Breaker::new(config());
        for t in 0..4 {
            let (e, _) = go(&mut b, 50.0);
            b.record(e, t % 2 == 0, 50.0, 0.0);
        }
        let (e, _) = go(&mut b, 80.0);
        b.record(e, true, 80.5, 0.0);
        assert_eq!(b.state, State::Open { until_s: 110.5 });
        assert!((b.open_seconds(100.0, 60.0) - 40.0).abs() < 1e-9);
    }
}
