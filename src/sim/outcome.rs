//! What became of the clients' requests: succeeded, failed, or still in flight.
//!
//! A request has **succeeded** when it leaves its last hop, and **failed** when it is dropped
//! or answered with an error anywhere on its way; until then it is **in flight** (waiting in a
//! queue somewhere, or in transit on a link that delivers next tick). For every client and
//! for the system, over any stretch of the run,
//!
//! > offered = succeeded + failed + in flight at the end − in flight at the start,
//!
//! and over the whole run (nothing in flight before it starts) offered = succeeded + failed +
//! in flight at the end. Requests that queue behind a saturated component are in flight, not
//! successes: past the knee a client's throughput is what the bottleneck completes.
//!
//! The flow engine moves counts of *visits* (a server that calls a database five times per
//! request makes five database visits of each request), so each tick this module works out,
//! from the leaves of the graph up, how many of each channel's visits are unresolved below it
//! and expresses them in the sender's units:
//!
//! - a visit waiting at a node (or in transit to it) is unresolved;
//! - a split (client, balancer, cache misses, CDN misses) sends each request down one link:
//!   its unresolved requests are the sum of its links' shares;
//! - a server's calls are made for every request it serves, `calls_per_request` visits each
//!   (so a waiting call is 1/calls of a request, or a whole request when calls < 1), and a
//!   request is done when *all* its calls are: the links' shares join by their maximum (calls
//!   made side by side, each link's requests in order);
//! - a message queue answers its producers when it enqueues: what waits behind it is the
//!   consumers' work, not a client's request in flight.
//!
//! Failures are counted in the tick they happen, the same way from the leaves up: a dropped
//! visit or an error is a failed visit of its component's sender; a server's request fails
//! when any of its calls does (of its requests in play at a callee, a failed share p of the
//! callee's stock fails 1 − (1 − p)^calls of them), and the calls its failed requests left
//! waiting elsewhere belong to no request in flight from then on. A component shared by
//! several senders gives each the share of its failed and unresolved visits that the
//! sender's *stock* in it makes up: what the sender had unresolved there after the last tick
//! and what it handed over this tick, in whole requests (by the design's base rates only
//! when no sender has any stock there). So no sender is given more than it had in play. A
//! client loses at most what it had in play in a tick; failures shared out beyond that wait
//! for the next tick. Succeeded is what remains: offered − failed − in flight.
//!
//! The counts take a server's calls as made together (a request is done when its last call
//! is), while its latency adds the calls' times up as a request that makes them one after
//! another sees (R = Σ V_k·R_k, MODEL-REFERENCE §3): the flow engine hands all of a tick's
//! calls on in that tick, and end-to-end latency follows the textbook's network of queues.

use serde::Serialize;

use crate::model::KindName;

use super::Simulation;
use super::flow::count_f64;
use super::plan::Forwarding;

/// The fate of a client's (or the system's) requests from the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct RequestTotals {
    /// Requests the clients sent.
    pub offered: u64,
    /// Requests that left their last hop.
    pub succeeded: f64,
    /// Requests dropped or answered with an error anywhere on their way.
    pub failed: f64,
    /// Requests still waiting somewhere (or in transit), neither succeeded nor failed.
    pub in_flight: f64,
}

impl RequestTotals {
    /// What happened between `start` and `self` (later): offered and the change in each fate.
    pub fn since(&self, start: &RequestTotals) -> RequestTotals {
        RequestTotals {
            offered: self.offered - start.offered,
            succeeded: self.succeeded - start.succeeded,
            failed: self.failed - start.failed,
            in_flight: self.in_flight - start.in_flight,
        }
    }

    /// Succeeded ÷ (succeeded + failed): of the requests that came to an end, the share that
    /// succeeded (1 when none did).
    pub fn success_ratio(&self) -> f64 {
        let ended = self.succeeded.max(0.0) + self.failed.max(0.0);
        if ended > 0.0 {
            self.succeeded.max(0.0) / ended
        } else {
            1.0
        }
    }

    fn add(&mut self, other: &RequestTotals) {
        self.offered += other.offered;
        self.succeeded += other.succeeded;
        self.failed += other.failed;
        self.in_flight += other.in_flight;
    }
}

/// One client's account, kept tick by tick.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ClientAccount {
    pub offered: u64,
    pub failed: f64,
    pub in_flight: f64,
    /// Failures shared out to this client beyond what it had in play in their tick (the noise
    /// of sharing a component's failures out by its senders' expected rates, not their
    /// counts): counted in the next ticks with room for them.
    pub failed_pending: f64,
    /// Requests that succeeded in the last settled tick (before any deadline missed).
    pub succeeded_this_tick: f64,
}

impl ClientAccount {
    pub fn totals(&self) -> RequestTotals {
        let failed = self.failed + self.failed_pending;
        RequestTotals {
            offered: self.offered,
            failed,
            in_flight: self.in_flight,
            succeeded: count_f64(self.offered) - failed - self.in_flight,
        }
    }
}

/// What the clients' requests did in one tick, all clients together.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TickOutcome {
    pub offered: u64,
    pub failed: f64,
    /// Requests that completed this tick: never below zero but for a fraction of a request
    /// where calls per request are not whole (their carried fraction), or a tick's lag on a
    /// link that closes a loop.
    pub succeeded: f64,
    pub in_flight: f64,
}

impl Simulation {
    /// The system's requests so far (see the module's doc).
    pub fn requests(&self) -> RequestTotals {
        let mut total = RequestTotals::default();
        for account in &self.accounts {
            total.add(&account.totals());
        }
        total
    }

    /// One client's requests so far; `None` if `id` is not a client of this run.
    pub fn client_requests(&self, id: crate::model::ComponentId) -> Option<RequestTotals> {
        let &i = self.plan.index_of.get(&id)?;
        let n = self.plan.clients.iter().position(|&c| c == i)?;
        self.accounts.get(n).map(ClientAccount::totals)
    }

    /// Settle the tick's accounts: each client's requests offered, failed and in flight.
    /// `something_failed`: a request was dropped or failed somewhere this tick.
    pub(crate) fn settle_accounts(&mut self, something_failed: bool) -> TickOutcome {
        // Only where something failed, waits or travels, or waited last tick.
        let waiting = self.tick_waiting > 0 || self.in_transit() > 0;
        // A design that retries settles every tick: attempts time out and retries wait
        // whether or not anything failed.
        let retrying = self.retries.is_some() || self.breakers.is_some();
        let active = something_failed || waiting || self.parts_outstanding || retrying;
        if active {
            self.settle_pass(something_failed || retrying);
        } else {
            // Links that close a loop read their targets' figures a tick late (the target
            // settles after them): a tick with nothing to settle leaves nothing for them.
            for &ch in &self.plan.loop_channels {
                self.failed[ch as usize] = 0.0;
                self.channel_stock[ch as usize] = 0.0;
            }
            for &e in &self.plan.loop_entries {
                self.entry_stock[e as usize] = 0.0;
            }
        }
        // What links closing a loop handed over arrives next tick.
        for &e in &self.plan.loop_entries {
            let e = e as usize;
            self.loop_handed_before[e] = if active { self.handed(e) } else { 0 };
        }
        let mut outcome = TickOutcome::default();
        for (n, &client) in self.plan.clients.iter().enumerate() {
            let (a, b) = self.plan.nodes[client as usize].channels;
            let (mut offered, mut failed, mut in_flight) = (0u64, 0.0, 0.0);
            for ch in a as usize..b as usize {
                offered += self.channels[ch].arrived;
                if active {
                    failed += self.failed[ch];
                    in_flight += self.unresolved[ch];
                }
            }
            let Some(account) = self.accounts.get_mut(n) else {
                continue;
            };
            // A client cannot lose more requests in a tick than it had in play: what it sent,
            // and what was in flight before, less what is in flight now.
            let room = (count_f64(offered) + account.in_flight - in_flight).max(0.0);
            let owed = failed + account.failed_pending;
            let failed = owed.clamp(0.0, room);
            account.failed_pending = owed - failed;
            let succeeded = count_f64(offered) - failed - (in_flight - account.in_flight);
            account.offered += offered;
            account.failed += failed;
            account.in_flight = in_flight;
            account.succeeded_this_tick = succeeded;
            outcome.offered += offered;
            outcome.failed += failed;
            outcome.succeeded += succeeded;
            outcome.in_flight += in_flight;
        }
        outcome
    }

    /// Clients with a deadline: of the requests that left their last hop this tick, the
    /// share the tick's sampled paths found later than the deadline failed instead (their
    /// work was done and wasted). A tick without samples of a client takes its last share.
    /// Returns the requests moved from succeeded to failed.
    pub(crate) fn miss_deadlines(&mut self) -> f64 {
        let mut moved = 0.0;
        for n in 0..self.deadline_samples.len() {
            let (sampled, late) = std::mem::take(&mut self.deadline_samples[n]);
            if sampled > 0 {
                self.late_share[n] = f64::from(late) / f64::from(sampled);
            }
            let share = self.late_share[n];
            if share <= 0.0 {
                continue;
            }
            let Some(account) = self.accounts.get_mut(n) else {
                continue;
            };
            let late = account.succeeded_this_tick.max(0.0) * share;
            account.failed += late;
            moved += late;
        }
        moved
    }

    /// Requests handed over on links that deliver next tick (async links closing a loop).
    fn in_transit(&self) -> u64 {
        self.plan
            .loop_channels
            .iter()
            .map(|&ch| self.channels[ch as usize].incoming)
            .sum()
    }

    /// What route entry `e` handed to its target this tick: its first tries, and the
    /// retries it handed over again (see `retries`).
    fn handed(&self, e: usize) -> u64 {
        match &self.retries {
            Some(retries) => self.handed_first(e) + retries.of(e).map_or(0, |r| r.handed),
            None => self.handed_first(e),
        }
    }

    /// What route entry `e`'s sender passed on down it this tick, retries aside.
    pub(crate) fn handed_first(&self, e: usize) -> u64 {
        let r = &self.plan.routes[e];
        if r.direct {
            self.channels
                .get(r.from_channel as usize)
                .map_or(0, |c| c.forwarded)
        } else {
            self.route_handed[e]
        }
    }

    /// Work out, from the leaves up, each channel's failed and unresolved visits, and share
    /// them out to the senders (see the module's doc).
    ///
    /// A channel's stock this tick is what its senders had unresolved in it after the last
    /// tick (their parts) and what they handed it this tick. Its failures and what is left
    /// unresolved are shared out in proportion to each sender's stock, so no sender is given
    /// more than it had in play: the parts after this tick are the unresolved visits in that
    /// proportion. `failures`: something failed this tick (else nothing did, and the failed
    /// counts are zero without looking).
    #[inline(never)]
    fn settle_pass(&mut self, failures: bool) {
        let mut outstanding = false;
        for i in (0..self.plan.nodes.len()).rev() {
            // Its targets are settled: its retrying links' attempts can be.
            let retries_here = self
                .retries
                .as_ref()
                .is_some_and(|r| r.by_node[i].0 < r.by_node[i].1);
            if retries_here {
                self.settle_retries(i);
            }
            let breakers_here = self
                .breakers
                .as_ref()
                .is_some_and(|b| !b.entries_of[i].is_empty());
            if breakers_here {
                self.settle_breakers(i);
            }
            let retries_here = retries_here || breakers_here;
            let node = &self.plan.nodes[i];
            let (ca, cb) = (node.channels.0 as usize, node.channels.1 as usize);
            let is_queue = node.kind_name == KindName::MessageQueue;
            let below_dirty = !is_queue
                && (retries_here
                    || node
                        .routes
                        .iter()
                        .chain(&node.session_routes)
                        .flat_map(|&(a, b)| a..b)
                        .any(|e| {
                            let r = &self.plan.routes[e as usize];
                            r.backward || self.node_dirty[r.target as usize]
                        }));
            let mut dirty = false;
            for ch in ca..cb {
                let c = self.channels[ch];
                let local_failed = if failures {
                    count_f64(c.dropped + c.errors)
                } else {
                    0.0
                };
                // What is in transit to it (on a link closing a loop) is its sender's.
                let own = count_f64(c.backlog);
                let (failed_below, unresolved_below, in_play) = if below_dirty {
                    self.below(i, ch, failures)
                } else {
                    (0.0, 0.0, 0.0)
                };
                if below_dirty && node.forwarding == Forwarding::FanOut {
                    // The calls this channel's failed requests left at its links (those that
                    // still wait) belong to no request in flight any more: its parts there
                    // lose the share of them whose requests failed, and hold no more than its
                    // requests still unresolved make. A call still waiting at a link was not
                    // dropped there: its request failed only if another of its calls did — at
                    // another link (with the chance those links' failures give), or at this
                    // one when it makes several calls there ((1 − p)^(calls − 1) survive).
                    // Counting a link's own drops against its waiting calls would give the
                    // survivors' calls away, and the next tick would fail fewer requests
                    // than were dropped: successes from nothing.
                    let (a, b) = node.routes[c.class as usize];
                    let (sa, sb) = node.session_routes[c.class as usize];
                    let entries = || (a as usize..b as usize).chain(sa as usize..sb as usize);
                    // Each link's share of the requests in play that it failed, and its
                    // target's failed share p, all read before any part changes.
                    let mut shares = std::mem::take(&mut self.scratch_shares);
                    shares.clear();
                    shares.extend(entries().map(|e| {
                        let (_, failed_requests, p) = self.link_failures(e, failures);
                        let r = if in_play > 0.0 {
                            (failed_requests / in_play).min(1.0)
                        } else {
                            0.0
                        };
                        (r, p)
                    }));
                    for (n, e) in entries().enumerate() {
                        let others: f64 = shares
                            .iter()
                            .enumerate()
                            .filter(|&(m, _)| m != n)
                            .map(|(_, &(r, _))| 1.0 - r)
                            .product();
                        let per_request = self.plan.routes[e].calls.max(1.0);
                        let own = (1.0 - shares[n].1).powf(per_request - 1.0);
                        let kept = (own * others).clamp(0.0, 1.0);
                        let most = unresolved_below * per_request;
                        self.entry_part[e] = (self.entry_part[e] * kept).min(most);
                        // A server stops retrying the calls of requests that failed.
                        if let Some(retries) = self.retries.as_mut() {
                            retries.keep(e, kept, most, self.entry_part[e]);
                        }
                    }
                    self.scratch_shares = shares;
                }
                // A queue answers its producers on enqueue: what waits is the consumers'.
                let unresolved = if is_queue {
                    0.0
                } else {
                    own + unresolved_below
                };
                let failed = local_failed + failed_below;
                // The stock: what was unresolved here after the last tick (the senders' parts,
                // and what no request owns any more), and what the senders handed it now.
                let previous = self.unresolved[ch];
                self.failed[ch] = failed;
                self.unresolved[ch] = unresolved;
                dirty |= failed > 0.0 || unresolved > 0.0;
                let (ea, eb) = self.plan.channel_in[ch];
                let mut stock = previous;
                let mut owned = 0.0;
                for &e in &self.plan.in_entries[ea as usize..eb as usize] {
                    let e = e as usize;
                    // What arrived from it this tick (a link closing a loop delivers a tick late).
                    let handed = count_f64(if self.plan.routes[e].backward {
                        self.loop_handed_before[e]
                    } else {
                        self.handed(e)
                    });
                    let s = self.entry_part[e] + handed;
                    self.entry_stock[e] = s;
                    stock += handed;
                    owned += s;
                }
                let stock = stock.max(owned);
                self.channel_stock[ch] = stock;
                if unresolved > 0.0 {
                    for &e in &self.plan.in_entries[ea as usize..eb as usize] {
                        let e = e as usize;
                        let share = if stock > 0.0 {
                            self.entry_stock[e] / stock
                        } else {
                            self.entry_base_share[e]
                        };
                        self.entry_part[e] = unresolved * share;
                    }
                    outstanding = true;
                } else {
                    for &e in &self.plan.in_entries[ea as usize..eb as usize] {
                        self.entry_part[e as usize] = 0.0;
                    }
                }
            }
            self.node_dirty[i] = dirty;
        }
        // Something unresolved (even owned by no request) makes the next tick settle too.
        self.parts_outstanding = outstanding;
    }

    /// What route entry `e`'s sender has unresolved at or on the way to its target: its part
    /// there; down a link closing a loop (whose target settles after it) also what arrived
    /// there this tick, not settled yet, and what is in transit.
    fn waiting_at(&self, e: usize) -> f64 {
        let r = &self.plan.routes[e];
        if !r.backward {
            return self.entry_part[e] + self.retry_waiting(e);
        }
        let is_queue = self.plan.nodes[r.target as usize].kind_name == KindName::MessageQueue;
        let arrived = if is_queue {
            0.0
        } else {
            count_f64(self.loop_handed_before[e])
        };
        self.entry_part[e] + arrived + count_f64(self.handed(e))
    }

    /// Route entry `e`'s share of its target channel's stock this tick.
    pub(crate) fn stock_share(&self, e: usize) -> f64 {
        let t = self.plan.routes[e].channel as usize;
        let stock = self.channel_stock[t];
        if stock > 0.0 {
            self.entry_stock[e] / stock
        } else {
            self.entry_base_share[e]
        }
    }

    /// A server's link (route entry `e`) this tick: its requests in play there (its stock, a
    /// request per `calls` visits), those of them the target's failures failed (a request
    /// fails if any of its calls does), and the share p of the target's stock that failed.
    fn link_failures(&self, e: usize, failures: bool) -> (f64, f64, f64) {
        let per_request = self.plan.routes[e].calls.max(1.0);
        // Calls an open circuit breaker held back were in play, and failed at once.
        let blocked = self.breakers.as_ref().map_or(0.0, |b| b.blocked_of(e));
        let stock = self.entry_stock[e].max(self.waiting_at(e)) + blocked;
        let requests = stock / per_request;
        if !failures || stock <= 0.0 {
            return (requests, 0.0, 0.0);
        }
        let t = self.plan.routes[e].channel as usize;
        // A retrying link's calls fail for good only when their retries are spent.
        let (failed, total) = match self.retries.as_ref().and_then(|r| r.of(e)) {
            Some(r) => (r.final_failed + blocked, stock),
            None if blocked > 0.0 => (self.failed[t] * self.stock_share(e) + blocked, stock),
            None => (self.failed[t], self.channel_stock[t]),
        };
        if total > 0.0 && failed > 0.0 {
            let p = (failed / total).min(1.0);
            (requests, requests * (1.0 - (1.0 - p).powf(per_request)), p)
        } else {
            (requests, 0.0, 0.0)
        }
    }

    /// Channel `ch` of node `i`: its visits that failed below it this tick, those still
    /// unresolved below it, and (a server's) its requests in play at its callees, in its own
    /// visits. A split's are the sum of its parts at its
    /// targets. A server's requests each call every link: of its requests in play at a callee
    /// (its stock there, a request per `calls` visits), a failed share p of the callee's stock
    /// fails 1 − (1 − p)^calls; a request fails if any link fails it; of the rest, as many are
    /// unresolved as still wait at the callee where most of them do.
    fn below(&self, i: usize, ch: usize, failures: bool) -> (f64, f64, f64) {
        let node = &self.plan.nodes[i];
        let c = &self.channels[ch];
        let (a, b) = node.routes[c.class as usize];
        match node.forwarding {
            Forwarding::Terminal => (0.0, 0.0, 0.0),
            Forwarding::Split | Forwarding::Balance => {
                let (mut failed, mut unresolved) = (0.0, 0.0);
                for e in a as usize..b as usize {
                    if failures {
                        failed += match self.retries.as_ref().and_then(|r| r.of(e)) {
                            // A retrying link's calls fail for good only when their retries
                            // are spent.
                            Some(r) => r.final_failed,
                            None => {
                                let t = self.plan.routes[e].channel as usize;
                                self.failed[t] * self.stock_share(e)
                            }
                        } + self.breakers.as_ref().map_or(0.0, |b| b.blocked_of(e));
                    }
                    unresolved += self.waiting_at(e);
                }
                (failed, unresolved, 0.0)
            }
            Forwarding::FanOut => {
                // Per link (its session lookups among them): our requests in play there (our
                // stock, a request per `calls` visits), those of them its failures failed,
                // and those still waiting there.
                let (sa, sb) = node.session_routes[c.class as usize];
                let mut failed_at = [0.0f64; 16];
                let mut extra = Vec::new();
                let (mut in_play, mut waiting) = (0.0f64, 0.0f64);
                let entries = (a as usize..b as usize).chain(sa as usize..sb as usize);
                for (n, e) in entries.enumerate() {
                    let per_request = self.plan.routes[e].calls.max(1.0);
                    let (requests, failed_requests, _) = self.link_failures(e, failures);
                    in_play = in_play.max(requests);
                    waiting = waiting.max(self.waiting_at(e) / per_request);
                    match failed_at.get_mut(n) {
                        Some(slot) => *slot = failed_requests,
                        None => extra.push(failed_requests),
                    }
                }
                // A request fails if any link fails it: each link's failures spread over all
                // the requests in play.
                let mut survive = 1.0;
                if in_play > 0.0 {
                    for &failed_requests in failed_at.iter().chain(&extra) {
                        survive *= 1.0 - (failed_requests / in_play).min(1.0);
                    }
                }
                let failed = in_play * (1.0 - survive);
                (failed, waiting.min(in_play - failed).max(0.0), in_play)
            }
        }
    }
}
