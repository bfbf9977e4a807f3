//! Sampled request paths: each tick some requests walk the graph by this tick's routing
//! shares, drawing a latency at every node from its queueing model. Their sums give
//! end-to-end latency percentiles; the draws also give each node's own percentiles.
//!
//! The samples are the run's requests in miniature: a tick gets its share of them in
//! proportion to its traffic (the profile's multiplier over its mean across the run), so the
//! run's percentiles are those of its requests, not of its ticks (a lunch rush with three
//! times the diners weighs three times as much). Work that waits behind a message queue is
//! sampled too, from the queue on (what its consumers pass on), for the nodes' own figures;
//! it is no part of any client's end-to-end latency, since producers only wait for the
//! enqueue.

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, Gamma};

use crate::model::TrafficClass;

use super::Simulation;
use super::flow::count_f64;
use super::plan::{Forwarding, KindPlan};
use super::queueing::ResponseTime;
use super::state;
use super::stats::{LogHistogram, Percentiles};

/// The most node visits one sampled request may make (fan-outs multiply).
const MAX_VISITS: u32 = 256;
/// The per-tick latency figures shown while a run plays come from the last ticks' successful
/// samples: as few ticks as hold this many (at least one tick), so that a p99 is the 99th
/// percentile of enough requests and not the largest of a few dozen. Under heavy overload
/// few samples succeed and a window of ten ticks made the p99 flip between ~60 ms and ~13 s
/// as a rare slow success came and went.
const WINDOW_SAMPLES: usize = 200;
/// ... and at most this many ticks, so that the figures still follow the run.
const MAX_WINDOW_TICKS: usize = 120;

/// An exponential draw with the given mean (the ziggurat method: no logarithm for most
/// draws).
pub(crate) fn exponential(rng: &mut Xoshiro256PlusPlus, mean: f64) -> f64 {
    let unit: f64 = rand_distr::Exp1.sample(rng);
    mean * unit
}

/// Draw a response time in seconds from a node's model.
fn draw(rng: &mut Xoshiro256PlusPlus, rt: &ResponseTime) -> f64 {
    let service = if rt.service_mean_s <= 0.0 {
        0.0
    } else if rt.service_scv <= 1e-9 {
        rt.service_mean_s
    } else if (rt.service_scv - 1.0).abs() < 1e-12 {
        exponential(rng, rt.service_mean_s)
    } else {
        match Gamma::new(1.0 / rt.service_scv, rt.service_mean_s * rt.service_scv) {
            Ok(g) => g.sample(rng),
            Err(_) => rt.service_mean_s,
        }
    };
    let waited: f64 = rng.random();
    let wait = if waited < rt.wait.wait_probability {
        exponential(rng, rt.wait.wait_tail_mean_s)
    } else {
        0.0
    };
    service + rt.limited_wait_s(wait + rt.backlog_delay_s)
}

/// The sampler's own random stream and what it has gathered.
#[derive(Clone, Debug)]
pub(crate) struct Sampler {
    rng: Xoshiro256PlusPlus,
    /// Samples a tick of mean traffic gets.
    per_tick: usize,
    /// The profile's mean multiplier over the run (what `per_tick` stands for), and the
    /// fraction of a sample carried to the next tick.
    mean_load: f64,
    carry: f64,
    /// End-to-end latencies of the last ticks' successful samples, in milliseconds, a list
    /// per tick, and how many they are in all.
    window: std::collections::VecDeque<Vec<f64>>,
    window_samples: usize,
    /// A tick's list that left the window, kept for its allocation.
    spare: Vec<f64>,
    /// End-to-end latencies after the warm-up.
    pub run: LogHistogram,
    /// Sampled requests after the warm-up, and how many of them failed.
    pub sampled: u64,
    pub failed: u64,
    scratch: Vec<f64>,
    /// This tick's starting points: (cumulative requests, client, class), and of jobs
    /// behind queues: (cumulative jobs, queue, class).
    starts: Vec<(u64, usize, usize)>,
    job_starts: Vec<(u64, usize, usize)>,
    /// This tick's node latencies to add to the nodes' statistics: (node, drawn latency, the
    /// model's mean, the model's mean wait before service), in milliseconds, in the order
    /// drawn.
    visits: Vec<(u32, f64, f64, f64)>,
    /// The overload backlogs' delay the walks drew so far, in seconds (for the attempts of
    /// retrying links, which read the part of it below them).
    backlog_s: f64,
    /// A walk that failed: how long from its start the failure took to come back, in
    /// seconds (for the tries of retrying links).
    failed_after_s: f64,
    /// The walk is on a try of a retrying link (see `walk`).
    retrying: bool,
}

impl Sampler {
    /// A sampler of `per_tick` samples for a tick of the profile's mean multiplier
    /// `mean_load` (more in busier ticks, fewer in quieter ones).
    pub fn new(seed: u64, per_tick: usize, mean_load: f64) -> Self {
        Self {
            rng: state::stream(seed, "paths"),
            per_tick,
            mean_load: if mean_load > 0.0 && mean_load.is_finite() {
                mean_load
            } else {
                1.0
            },
            carry: 0.0,
            window: std::collections::VecDeque::new(),
            window_samples: 0,
            spare: Vec::new(),
            run: LogHistogram::default(),
            sampled: 0,
            failed: 0,
            scratch: Vec::new(),
            starts: Vec::new(),
            job_starts: Vec::new(),
            visits: Vec::new(),
            backlog_s: 0.0,
            failed_after_s: 0.0,
            retrying: false,
        }
    }

    /// Drop the oldest ticks the window can do without (see `WINDOW_SAMPLES`).
    fn trim_window(&mut self) {
        while let Some(oldest) = self.window.front() {
            let too_long = self.window.len() > MAX_WINDOW_TICKS;
            let enough_without = self.window_samples - oldest.len() >= WINDOW_SAMPLES;
            if self.window.len() == 1 || !(too_long || enough_without) {
                break;
            }
            if let Some(oldest) = self.window.pop_front() {
                self.window_samples -= oldest.len();
                self.spare = oldest;
            }
        }
    }

    /// Percentiles over the last ticks' samples.
    pub fn window_percentiles(&mut self) -> Percentiles {
        self.scratch.clear();
        for tick in &self.window {
            self.scratch.extend_from_slice(tick);
        }
        Percentiles::of_sample(&mut self.scratch)
    }
}

impl Simulation {
    /// Sample this tick's request paths; `profile_load` is the profile's multiplier now.
    #[inline(never)]
    pub(crate) fn sample_paths(&mut self, measuring: bool, profile_load: f64) {
        if let Some(retries) = self.retries.as_mut() {
            retries.note_failures(&self.channels, self.plan.tick_s);
        }
        let wanted = self.sampler.per_tick as f64 * profile_load / self.sampler.mean_load;
        let per_tick = super::flow::whole(wanted, &mut self.sampler.carry) as usize;
        let mut this_tick = std::mem::take(&mut self.sampler.spare);
        this_tick.clear();
        // Where requests start this tick: (client, class) weighted by arrivals; and where
        // jobs start behind queues: (queue, class) weighted by what its consumers pass on.
        self.sampler.starts.clear();
        self.sampler.job_starts.clear();
        let mut clients = 0u64;
        for &i in &self.plan.clients {
            let (a, b) = self.plan.nodes[i as usize].channels;
            for c in &self.channels[a as usize..b as usize] {
                if c.arrived > 0 {
                    clients += c.arrived;
                    self.sampler
                        .starts
                        .push((clients, i as usize, c.class as usize));
                }
            }
        }
        let mut jobs = 0u64;
        for &i in &self.plan.queues {
            let (a, b) = self.plan.nodes[i as usize].channels;
            for c in &self.channels[a as usize..b as usize] {
                if c.forwarded > 0 {
                    jobs += c.forwarded;
                    self.sampler
                        .job_starts
                        .push((jobs, i as usize, c.class as usize));
                }
            }
        }
        // Jobs get samples in proportion to their share beside the clients' requests, at
        // most as many as the clients get (and all of them if no client sent anything).
        let job_samples = if jobs == 0 {
            0
        } else if clients == 0 {
            per_tick
        } else {
            ((per_tick as f64 * jobs as f64 / clients as f64).round() as usize).min(per_tick)
        };
        let client_samples = if clients > 0 { per_tick } else { 0 };
        for _ in 0..client_samples.min(super::MAX_SAMPLES_PER_TICK) {
            let pick = self.sampler.rng.random_range(0..clients);
            let at = self
                .sampler
                .starts
                .partition_point(|(cumulative, _, _)| *cumulative <= pick);
            let Some(&(_, node, class)) = self.sampler.starts.get(at) else {
                continue;
            };
            let mut visits = 0;
            let mut result = self.walk(node, class, &mut visits, measuring);
            if measuring {
                self.sampler.sampled += 1;
            }
            // A request answered after its client's deadline has failed: its latency is no
            // success's, and the client's account takes the late share (see `miss_deadlines`).
            // The share is of the answered samples: it is applied to the answered requests,
            // and a sample that failed on its way is no answer, late or not.
            if let KindPlan::Client(c) = &self.plan.nodes[node].kind
                && let Some(deadline_s) = c.deadline_s
                && let Some(latency_s) = result
                && let Some(n) = self.plan.clients.iter().position(|&j| j as usize == node)
                && let Some(late) = self.deadline_samples.get_mut(n)
            {
                late.0 += 1;
                if latency_s > deadline_s {
                    late.1 += 1;
                    result = None;
                }
            }
            match result {
                Some(latency_s) => {
                    let ms = latency_s * 1000.0;
                    this_tick.push(ms);
                    if measuring {
                        self.sampler.run.add(ms);
                    }
                }
                None => {
                    if measuring {
                        self.sampler.failed += 1;
                    }
                }
            }
        }
        for _ in 0..job_samples.min(super::MAX_SAMPLES_PER_TICK) {
            let pick = self.sampler.rng.random_range(0..jobs);
            let at = self
                .sampler
                .job_starts
                .partition_point(|(cumulative, _, _)| *cumulative <= pick);
            let Some(&(_, node, class)) = self.sampler.job_starts.get(at) else {
                continue;
            };
            // The job's own path: it is no client's latency.
            let mut visits = 0;
            self.walk_on(node, class, 0.0, &mut visits, measuring);
        }
        // The attempts' late shares, for the next tick's settle.
        if let Some(retries) = self.retries.as_mut() {
            for entry in &mut retries.entries {
                entry.take_samples(self.plan.tick_s);
            }
        }
        self.sampler.window_samples += this_tick.len();
        self.sampler.window.push_back(this_tick);
        self.sampler.trim_window();
        self.add_visits();
    }

    /// Add the tick's node latencies to the nodes' statistics, in the order they were drawn.
    /// Done apart from the walks: the walks visit nodes all over the design, and a node's
    /// statistics are rarely in cache. Here the loads of one visit do not wait on the random
    /// draws of the walk, so the processor overlaps the cache misses of many visits.
    fn add_visits(&mut self) {
        for &(i, latency_ms, mean_ms, wait_ms) in &self.sampler.visits {
            let Some(stats) = self.node_latency.get_mut(i as usize) else {
                continue;
            };
            stats
                .histogram
                .get_or_insert_with(|| Box::new(LogHistogram::with_bin_ratio(1.01)))
                .add(latency_ms);
            stats.mean_sum_ms += mean_ms;
            stats.wait_sum_ms += wait_ms;
            stats.visits += 1;
        }
        self.sampler.visits.clear();
    }

    /// Walk one request of class `k` from node `i`; its latency in seconds, or `None` if it
    /// failed somewhere.
    fn walk(&mut self, i: usize, k: usize, visits: &mut u32, measuring: bool) -> Option<f64> {
        *visits += 1;
        if *visits > MAX_VISITS {
            return Some(0.0);
        }
        let ch = self.plan.nodes[i].class_channel[k];
        let Some(channel) = self.channels.get(ch as usize).copied() else {
            // The class cannot reach this node (no channel): nothing to walk.
            return Some(0.0);
        };
        let arrived = channel.arrived;
        let failed = channel.dropped + channel.errors;
        // The shares of arrivals that failed, and of them with an error after service. The
        // tries of a retrying link read the channel's shares over the last second or so,
        // not this tick's few counts: at short ticks a tick with an error would fail every
        // try in it and a tick without one none, where tries fail independently (and a
        // tick's ratio of few counts is biased).
        let recent = if self.sampler.retrying {
            self.retries
                .as_ref()
                .and_then(|r| r.fail_recent.get(ch as usize))
                .copied()
                .filter(|&(_, _, arrived)| arrived > 0.0)
        } else {
            None
        };
        let (fail_share, errors_share) = match recent {
            Some((errors, dropped, arrived)) => {
                (((errors + dropped) / arrived).min(1.0), errors / arrived)
            }
            None if failed == 0 => (0.0, 0.0),
            None if arrived > 0 => (
                (count_f64(failed) / count_f64(arrived)).min(1.0),
                count_f64(channel.errors) / count_f64(arrived),
            ),
            None => (1.0, 0.0),
        };
        if fail_share > 0.0 {
            let u: f64 = self.sampler.rng.random();
            if u < fail_share {
                // How long the failure took: an error comes back after the node's service
                // (its mean response, without a further draw), a drop at once.
                // (Only a retrying link's try reads it.)
                self.sampler.failed_after_s = if self.sampler.retrying && u < errors_share {
                    self.mean_latency_ms(i) / 1000.0
                } else {
                    0.0
                };
                return None;
            }
        }
        let node = &self.plan.nodes[i];
        // This node's own latency.
        let own = match &node.kind {
            KindPlan::Client(_) => 0.0,
            KindPlan::Database(p) => {
                let u: f64 = self.sampler.rng.random();
                let mut shard = 0;
                let mut acc = 0.0;
                for (j, s) in p.shard_share.iter().enumerate() {
                    acc += s;
                    shard = j;
                    if u < acc {
                        break;
                    }
                }
                let rt = self.sampled_response(i, k, shard);
                self.record(i, &rt, measuring)
            }
            _ => {
                let rt = self.sampled_response(i, k, 0);
                self.record(i, &rt, measuring)
            }
        };
        let node = &self.plan.nodes[i];
        let hit = match &node.kind {
            KindPlan::Cache(_) | KindPlan::Cdn(_) => {
                let ok = channel.served.saturating_sub(channel.errors);
                let goes_on = if ok > 0 {
                    count_f64(channel.forwarded) / count_f64(ok)
                } else {
                    1.0
                };
                let u: f64 = self.sampler.rng.random();
                u >= goes_on
            }
            // Producers wait only for the enqueue.
            KindPlan::MessageQueue(_) => true,
            _ => false,
        };
        if hit || k == TrafficClass::Session.index() && node.forwarding != Forwarding::FanOut {
            return Some(own);
        }
        self.walk_on(i, k, own, visits, measuring)
    }

    /// Carry a request of class `k` on from node `i` (which took `own` seconds) down its
    /// links; its latency from `i` on in seconds, or `None` if it failed below.
    fn walk_on(
        &mut self,
        i: usize,
        k: usize,
        own: f64,
        visits: &mut u32,
        measuring: bool,
    ) -> Option<f64> {
        let node = &self.plan.nodes[i];
        let mut total = own;
        match node.forwarding {
            Forwarding::Terminal => {}
            Forwarding::FanOut => {
                // Every link of the class, then the session lookups; each called `calls`
                // times on average (the fraction by a coin).
                let (a, b) = node.routes[k];
                let (sa, sb) = node.session_routes[k];
                let session = TrafficClass::Session.index();
                let calls = (a..b).map(|e| (e, k)).chain((sa..sb).map(|e| (e, session)));
                for (e, class) in calls {
                    let entry = self.plan.routes[e as usize];
                    // `calls` is positive: truncation is the floor (without a libm call).
                    let whole = entry.calls as u32;
                    let extra: f64 = self.sampler.rng.random();
                    let n = whole + u32::from(extra < entry.calls - f64::from(whole));
                    for _ in 0..n {
                        let target = entry.target as usize;
                        let Some(latency_s) =
                            self.attempt(e as usize, target, class, visits, measuring)
                        else {
                            self.sampler.failed_after_s += total;
                            return None;
                        };
                        total += latency_s;
                    }
                }
            }
            Forwarding::Split | Forwarding::Balance => {
                let (a, b) = node.routes[k];
                if a == b {
                    return Some(total);
                }
                let sum: f64 = self.route_weight[a as usize..b as usize].iter().sum();
                if sum <= 0.0 {
                    // Nowhere to go: failed at once.
                    self.sampler.failed_after_s = 0.0;
                    return None;
                }
                let mut u = self.sampler.rng.random::<f64>() * sum;
                let mut chosen = a as usize;
                for (j, e) in (a..b).enumerate() {
                    let w = self.route_weight[a as usize + j];
                    chosen = e as usize;
                    if u < w {
                        break;
                    }
                    u -= w;
                }
                let target = self.plan.routes[chosen].target as usize;
                let Some(latency_s) = self.attempt(chosen, target, k, visits, measuring) else {
                    self.sampler.failed_after_s += total;
                    return None;
                };
                total += latency_s;
            }
        }
        Some(total)
    }

    /// One call down route entry `e` to `target`, in seconds, or `None` if it failed. With a
    /// retry policy, its tries until one is answered within the timeout, the budget refuses a
    /// retry (with the chance it refused them at the last settle), or the tries are spent: an
    /// answer later than the timeout costs the timeout, a failure the time it took to come
    /// back (an error after the service that answered it, a drop nothing), and each retry
    /// waits its backoff (a uniform share of it with jitter).
    fn attempt(
        &mut self,
        e: usize,
        target: usize,
        k: usize,
        visits: &mut u32,
        measuring: bool,
    ) -> Option<f64> {
        let Some((slot, policy, pass)) = self.retries.as_ref().and_then(|r| r.policy_of(e)) else {
            if self.breaker_holds(e) {
                self.sampler.failed_after_s = 0.0;
                return None;
            }
            return self.walk(target, k, visits, measuring);
        };
        let timeout_s = policy.timeout_s();
        let mut spent_s = 0.0;
        for n in 1..=policy.attempts.max(1) {
            let backlog_before_s = self.sampler.backlog_s;
            let answer = if self.breaker_holds(e) {
                // Failed at once by the link's open breaker.
                self.sampler.failed_after_s = 0.0;
                None
            } else {
                let retrying = std::mem::replace(&mut self.sampler.retrying, true);
                let answer = self.walk(target, k, visits, measuring);
                self.sampler.retrying = retrying;
                answer
            };
            if let Some(latency_s) = answer {
                let late = timeout_s.is_some_and(|t| latency_s > t);
                let backlog_s = self.sampler.backlog_s - backlog_before_s;
                if timeout_s.is_some()
                    && let Some(entry) = self.retries.as_mut().and_then(|r| r.entries.get_mut(slot))
                {
                    entry.samples.0 += 1;
                    entry.samples.1 += u32::from(late);
                    entry.backlog_samples_s += backlog_s;
                }
                if !late {
                    return Some(spent_s + latency_s);
                }
                spent_s += timeout_s.unwrap_or(0.0);
            } else {
                // A failed try costs the time its failure took to come back (but never more
                // than the timeout).
                spent_s += timeout_s.map_or(self.sampler.failed_after_s, |t| {
                    self.sampler.failed_after_s.min(t)
                });
            }
            if n >= policy.attempts || self.sampler.rng.random::<f64>() >= pass {
                // The call failed after all its tries and their waits.
                self.sampler.failed_after_s = spent_s;
                return None;
            }
            let backoff_s = policy.backoff_s(n);
            spent_s += if policy.jitter {
                backoff_s * self.sampler.rng.random::<f64>()
            } else {
                backoff_s
            };
        }
        None
    }

    /// Whether route entry `e`'s circuit breaker holds this call back (fails it at once):
    /// drawn with the share of the tick's calls down the entry that it held back.
    fn breaker_holds(&mut self, e: usize) -> bool {
        let Some(breakers) = self.breakers.as_deref() else {
            return false;
        };
        let blocked = breakers.blocked_of(e);
        if blocked <= 0.0 {
            return false;
        }
        let retried = self
            .retries
            .as_ref()
            .and_then(|r| r.of(e))
            .map_or(0, |r| r.handed);
        let handed = count_f64(self.route_handed[e] + retried);
        let share = blocked / (blocked + handed);
        self.sampler.rng.random::<f64>() < share
    }

    /// Draw node `i`'s latency, to be recorded in the node's statistics at the end of the
    /// tick.
    fn record(&mut self, i: usize, rt: &ResponseTime, measuring: bool) -> f64 {
        let latency_s = draw(&mut self.sampler.rng, rt);
        self.sampler.backlog_s += rt.backlog_delay_s;
        if measuring {
            self.sampler.visits.push((
                i as u32,
                latency_s * 1000.0,
                rt.mean_s() * 1000.0,
                rt.wait_mean_s() * 1000.0,
            ));
        }
        latency_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window after ticks that each had `per_tick` successful samples.
    fn window_after(ticks: usize, per_tick: usize) -> (usize, usize) {
        let mut sampler = Sampler::new(1, per_tick, 1.0);
        for _ in 0..ticks {
            sampler.window.push_back(vec![1.0; per_tick]);
            sampler.window_samples += per_tick;
            sampler.trim_window();
        }
        (sampler.window.len(), sampler.window_samples)
    }

    #[test]
    fn the_latency_window_holds_enough_samples_for_a_p99_within_a_bounded_time() {
        // 16 successes a tick: 13 ticks hold 208, the fewest that hold 200.
        assert_eq!(window_after(50, 16), (13, 208));
        // Five a tick (heavy overload): 40 ticks.
        assert_eq!(window_after(100, 5), (40, 200));
        // One a tick would need 200 ticks; the window stops at 120.
        assert_eq!(window_after(300, 1), (MAX_WINDOW_TICKS, MAX_WINDOW_TICKS));
        // A tick of many is a window on its own.
        assert_eq!(window_after(5, 1_000), (1, 1_000));
        // Nothing succeeding keeps an empty window of bounded length.
        assert_eq!(window_after(300, 0), (MAX_WINDOW_TICKS, 0));
    }
}
