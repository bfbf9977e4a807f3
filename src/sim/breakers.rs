//! Circuit breakers on links in the flow engine (see `model::CircuitBreaker` for what they
//! mean), tick by tick.
//!
//! A breaker's link counts its calls' outcomes each tick as the settle pass finds them: the
//! calls that ended (answered or failed), and of them the failed (the target's failures in
//! the link's share, or on a retrying link its failed attempts, timeouts included), in
//! buckets of a tenth of the window (`BreakerWindow`). When the window holds `min_calls` and the failed share reaches the ratio, the
//! breaker opens: from the next tick the router hands nothing down the link and the calls it
//! would have handed fail at once (counted as `breaker_rejected`); a sender that splits its
//! requests by weight gives the link no weight while another of the class's links is closed,
//! so its requests take those (the fallback). When the open time is over the breaker is
//! half-open: the router lets `probes` calls through (the others fail at once, or with a
//! fallback take the other links, the probes taken off the top) and the first settle after
//! decides, as the probes would: all succeed with chance (1 − p)^sent for the probes sent
//! and the failed share p of the calls that ended that tick (drawn), then it closes with an
//! empty window, else it opens again.

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;

use crate::model::CircuitBreaker;

use super::Simulation;
use super::flow;
use super::plan::{Forwarding, NO_RETRY, Plan};

/// Buckets a breaker's window is counted in.
const BUCKETS: usize = 10;

/// A breaker's closed window, counted in `BUCKETS` buckets of a tenth of the window each
/// (as Hystrix counts its rolling window): it holds the current bucket and the nine before,
/// so between nine and ten tenths of `window_s`. Both engines count their calls in it.
#[derive(Clone, Debug)]
pub(crate) struct BreakerWindow {
    /// Calls and failed calls per bucket, the current one at `at`, which began at `start_s`.
    buckets: [(f64, f64); BUCKETS],
    at: usize,
    start_s: f64,
}

impl BreakerWindow {
    pub fn new() -> Self {
        Self {
            buckets: [(0.0, 0.0); BUCKETS],
            at: 0,
            start_s: 0.0,
        }
    }

    /// Move the buckets on to `now_s` for a window of `window_s`.
    pub fn advance(&mut self, now_s: f64, window_s: f64) {
        let bucket_s = window_s / BUCKETS as f64;
        while now_s >= self.start_s + bucket_s {
            self.start_s += bucket_s;
            self.at = (self.at + 1) % BUCKETS;
            self.buckets[self.at] = (0.0, 0.0);
            if now_s - self.start_s > window_s {
                // Long idle: start the window afresh at now.
                self.clear(now_s);
            }
        }
    }

    /// Count `calls` of which `failed` failed in the current bucket.
    pub fn add(&mut self, calls: f64, failed: f64) {
        self.buckets[self.at].0 += calls;
        self.buckets[self.at].1 += failed;
    }

    /// The window's calls and failed calls.
    pub fn totals(&self) -> (f64, f64) {
        self.buckets
            .iter()
            .fold((0.0, 0.0), |(c, f), &(bc, bf)| (c + bc, f + bf))
    }

    /// An empty window from `now_s`.
    pub fn clear(&mut self, now_s: f64) {
        self.buckets = [(0.0, 0.0); BUCKETS];
        self.start_s = now_s;
        self.at = 0;
    }

    /// Whether the window holds `min_calls` calls and `ratio` of them failed.
    pub fn trips(&self, min_calls: u32, ratio: f64) -> bool {
        let (calls, failed) = self.totals();
        calls > 0.0 && calls >= f64::from(min_calls) && failed >= ratio * calls
    }
}

/// Where a breaker stands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum BreakerState {
    Closed,
    Open {
        until_s: f64,
    },
    /// Letting its probes through (`BreakerRun::left` of them still to send).
    HalfOpen,
}

/// One breaker's run.
#[derive(Clone, Debug)]
pub(crate) struct BreakerRun {
    pub breaker: CircuitBreaker,
    pub link: crate::model::LinkId,
    pub from: u32,
    pub state: BreakerState,
    /// The closed window's calls and failed calls.
    window: BreakerWindow,
    /// This tick's calls and failures over the link's entries (gathered by the settle).
    tick_calls: f64,
    tick_failed: f64,
    /// Calls the router may still let through (infinite when closed, none when open, the
    /// probes not sent yet when half-open), and the probes it sent this tick.
    pub left: f64,
    pub sent: f64,
    /// It was open or half-open as the tick began (its time counts).
    open_this_tick: bool,
}

/// The breakers of a run whose design has any.
#[derive(Clone, Debug)]
pub(crate) struct Breakers {
    pub links: Vec<BreakerRun>,
    /// Per route entry: calls an open breaker held back this tick (they failed at once):
    /// first tries (the router's) and retries (`dispatch_retries`').
    pub blocked: Vec<u64>,
    pub retry_blocked: Vec<u64>,
    /// Per node: its route entries that have a breaker.
    pub entries_of: Vec<Vec<u32>>,
    /// Per breaker entry of a splitting sender: the entry, the range of route entries of its
    /// class, and the sender.
    pub class_range: Vec<(u32, u32, u32, u32)>,
    rng: Xoshiro256PlusPlus,
    /// A breaker changed state: the routing weights must be worked out again.
    pub changed: bool,
}

impl Breakers {
    /// The breakers for `plan`, or `None` when no link has one.
    pub fn new(plan: &Plan, seed: u64) -> Option<Box<Self>> {
        if plan.breaker_links.is_empty() {
            return None;
        }
        let mut entries_of = vec![Vec::new(); plan.nodes.len()];
        let mut class_range = Vec::new();
        for (i, node) in plan.nodes.iter().enumerate() {
            for &(a, b) in node.routes.iter().chain(&node.session_routes) {
                for e in a..b {
                    if plan.routes[e as usize].breaker != NO_RETRY {
                        entries_of[i].push(e);
                        if matches!(node.forwarding, Forwarding::Split | Forwarding::Balance) {
                            class_range.push((e, a, b, i as u32));
                        }
                    }
                }
            }
        }
        Some(Box::new(Self {
            links: plan
                .breaker_links
                .iter()
                .map(|l| BreakerRun {
                    breaker: l.breaker,
                    link: l.link,
                    from: l.from,
                    state: BreakerState::Closed,
                    window: BreakerWindow::new(),
                    tick_calls: 0.0,
                    tick_failed: 0.0,
                    left: f64::INFINITY,
                    sent: 0.0,
                    open_this_tick: false,
                })
                .collect(),
            blocked: vec![0; plan.routes.len()],
            retry_blocked: vec![0; plan.routes.len()],
            entries_of,
            class_range,
            rng: super::state::stream(seed, "breakers"),
            changed: false,
        }))
    }

    /// Probes breaker `breaker` (a `RouteEntry::breaker`) still wants sent: those left when
    /// half-open, none otherwise.
    #[inline]
    pub fn probes_wanted(&self, breaker: u32) -> u64 {
        match self.links.get(breaker as usize) {
            Some(b) if matches!(b.state, BreakerState::HalfOpen) => flow::floor_count(b.left),
            _ => 0,
        }
    }

    /// Calls route entry `e`'s breaker held back this tick.
    #[inline]
    pub fn blocked_of(&self, e: usize) -> f64 {
        let first = self.blocked.get(e).copied().unwrap_or(0);
        let retries = self.retry_blocked.get(e).copied().unwrap_or(0);
        flow::count_f64(first + retries)
    }
}

impl BreakerRun {
    /// Whether it is open or half-open (calls beyond the probes left are held back).
    pub fn is_open(&self) -> bool {
        !matches!(self.state, BreakerState::Closed)
    }

    /// Take the tick's outcomes into the window (moving its buckets on with the time), then
    /// decide: open, close, or stay. Returns whether the state changed.
    fn judge(&mut self, now_s: f64, rng: &mut Xoshiro256PlusPlus) -> bool {
        self.window.advance(now_s, self.breaker.window_s);
        let (calls, failed) = (
            std::mem::take(&mut self.tick_calls),
            std::mem::take(&mut self.tick_failed),
        );
        match self.state {
            BreakerState::Closed => {
                self.window.add(calls, failed);
                if self
                    .window
                    .trips(self.breaker.min_calls, self.breaker.failure_ratio)
                {
                    self.state = BreakerState::Open {
                        until_s: now_s + self.breaker.open_s,
                    };
                    self.left = 0.0;
                    return true;
                }
                false
            }
            BreakerState::Open { .. } => false,
            BreakerState::HalfOpen => {
                let sent = std::mem::take(&mut self.sent);
                if sent <= 0.0 {
                    return false;
                }
                // The probes sent this tick all succeed with (1 − p)^sent, p the failed share
                // of the calls handed.
                let p = if calls > 0.0 {
                    (failed / calls).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let u: f64 = rng.random();
                if u >= (1.0 - p).powf(sent) {
                    self.state = BreakerState::Open {
                        until_s: now_s + self.breaker.open_s,
                    };
                    self.left = 0.0;
                    true
                } else if self.left <= 0.0 {
                    // Every probe sent and none failed.
                    self.state = BreakerState::Closed;
                    self.left = f64::INFINITY;
                    self.window.clear(now_s);
                    true
                } else {
                    false
                }
            }
        }
    }

    /// The router's share of a tick's `count` calls down the link: those it lets through
    /// (all when closed, none when open, the probes left when half-open).
    pub fn let_through(&mut self, count: u64) -> u64 {
        if self.left.is_infinite() {
            return count;
        }
        let through = count.min(flow::floor_count(self.left));
        self.left -= flow::count_f64(through);
        if matches!(self.state, BreakerState::HalfOpen) {
            self.sent += flow::count_f64(through);
        }
        through
    }
}

impl Simulation {
    /// At the start of a tick: open breakers whose time is over turn half-open (their probes
    /// may go), and which are not closed this tick is noted (see `count_breaker_time`).
    pub(crate) fn start_breakers(&mut self, now_s: f64) {
        let Some(breakers) = self.breakers.as_mut() else {
            return;
        };
        for b in &mut breakers.links {
            if let BreakerState::Open { until_s } = b.state
                && now_s >= until_s
            {
                b.state = BreakerState::HalfOpen;
                b.left = f64::from(b.breaker.probes);
                b.sent = 0.0;
                breakers.changed = true;
            }
            b.open_this_tick = b.is_open();
        }
        if std::mem::take(&mut breakers.changed) {
            self.routing_dirty = true;
        }
    }

    /// At the end of a tick (its sums past any warm-up snapshot): the tick's open time.
    pub(crate) fn count_breaker_time(&mut self) {
        let Some(breakers) = self.breakers.as_ref() else {
            return;
        };
        let tick_s = self.plan.tick_s;
        for b in breakers.links.iter().filter(|b| b.open_this_tick) {
            self.states[b.from as usize].sums.breaker_open_s += tick_s;
        }
    }

    /// Give the links of open breakers no weight where the sender splits its requests and
    /// another link of the class is closed (its fallback); static splits take back their
    /// weights first (balancers' are worked out afresh by `refresh_balance_weights`).
    pub(crate) fn breaker_weights(&mut self) {
        let Some(breakers) = self.breakers.as_ref() else {
            return;
        };
        // Open or half-open: a half-open link gets its probes apart (see the router).
        let open = |e: u32| {
            let r = &self.plan.routes[e as usize];
            r.breaker != NO_RETRY
                && breakers
                    .links
                    .get(r.breaker as usize)
                    .is_some_and(BreakerRun::is_open)
        };
        for &(_, a, b, from) in &breakers.class_range {
            if self.plan.nodes[from as usize].forwarding == Forwarding::Split {
                for x in a..b {
                    self.route_weight[x as usize] = self.plan.routes[x as usize].weight;
                }
            }
        }
        for &(e, a, b, _) in &breakers.class_range {
            let fallback = (a..b).any(|x| !open(x) && self.route_weight[x as usize] > 0.0);
            if open(e) && fallback {
                self.route_weight[e as usize] = 0.0;
            }
        }
    }

    /// Settle node `i`'s breakers' entries for this tick: their calls and failed calls into
    /// the window, and the breakers' decisions.
    pub(crate) fn settle_breakers(&mut self, i: usize) {
        let Some(mut breakers) = self.breakers.take() else {
            return;
        };
        let now_s = self.tick as f64 * self.plan.tick_s;
        let entries = std::mem::take(&mut breakers.entries_of[i]);
        for &e in &entries {
            let e = e as usize;
            let link = self.plan.routes[e].breaker as usize;
            let blocked = breakers.blocked[e] + breakers.retry_blocked[e];
            self.states[i].sums.breaker_rejected += blocked;
            // The calls that ended this tick (answered or failed: outcomes, as the events
            // engine records them) and of them the failed: a retrying link's attempts.
            let (calls, failed) = match self.retries.as_ref().and_then(|r| r.of(e)) {
                Some(r) => (r.tick_ended, r.tick_failed),
                None => {
                    let route = &self.plan.routes[e];
                    let target = route.channel as usize;
                    let failed = self.failed[target] * self.stock_share(e);
                    // Its stock at the target less its part still unresolved there (a link
                    // closing a loop settles a tick late: its calls handed).
                    let ended = if route.backward {
                        flow::count_f64(self.handed_first(e))
                    } else {
                        (self.entry_stock[e] - self.entry_part[e]).max(0.0)
                    };
                    (ended.max(failed), failed)
                }
            };
            if let Some(b) = breakers.links.get_mut(link) {
                b.tick_calls += calls;
                b.tick_failed += failed.min(calls);
            }
        }
        breakers.entries_of[i] = entries;
        let Breakers {
            links,
            rng,
            changed,
            ..
        } = &mut *breakers;
        for b in links.iter_mut().filter(|b| b.from as usize == i) {
            if b.judge(now_s, rng) {
                *changed = true;
            }
        }
        self.breakers = Some(breakers);
    }
}
