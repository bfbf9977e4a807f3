//! Retries on links in the flow engine: attempt timeouts, backoff, jitter and the retry
//! budget of `model::RetryPolicy`, as counts of attempts tick by tick.
//!
//! The flow engine moves counts of visits; a retrying link's sender keeps, per route entry
//! (the link's share for one class):
//!
//! - its **attempts in play** at the target by attempt number (first tries, first retries,
//!   …): what it handed over and its part of what the target left unresolved (see
//!   `outcome`). Failures take each number in proportion to its share (a failure does not
//!   know which try it ends).
//! - **Failed attempts** each tick: the target's failures in the entry's share (drops,
//!   rejections, errors, at or below the target); the attempts **older than the timeout**
//!   still unresolved there (the part beyond what was handed over within the timeout: what
//!   waits longest was handed over first); and answered attempts up to the share of the
//!   tick's ended attempts (answered or given up on) that the sampled paths found later than
//!   the timeout. The sampled share is the model's (the stationary queueing tail and the
//!   overload's backlog); the counts' ages show part of it (at short ticks most of it) and
//!   the answered take the rest, so the share holds at every tick length. An attempt given
//!   up on by age stays at the target as work that no request owns any more: it is still
//!   served, wasted.
//! - **Retries**: of the failed attempts that have tries left, those the budget allows wait
//!   their backoff (with jitter spread evenly over it) in a delay line and are handed to
//!   the target again, real load there and below. They count as in flight for their
//!   clients while they wait. The rest, and the failed last tries, fail their calls as
//!   failures did without retries.
//!
//! A retry is handed over in the tick after its attempt failed at the earliest: with an
//! immediate retry (no backoff) a tick's failures come back in the next tick.
//!
//! The sampled paths (see `paths`) walk each attempt: an answer later than the timeout
//! costs the timeout, a failure the time it took to come back (an error after the failing
//! node's service, a drop or an open breaker's rejection nothing), then the backoff, then
//! the next try; so a success's end-to-end latency holds its failed tries.
//!
//! Retries down a link with a circuit breaker pass it as first tries do: an open breaker
//! fails them at once (counted as its rejections, not as retries), a half-open one lets its
//! probes left through.

use crate::model::RetryPolicy;

use super::Simulation;
use super::flow;
use super::plan::{NO_RETRY, Plan};

/// The most steps a retrying entry's age ring or delay line holds: beyond, a step spans
/// several ticks (a minute's backoff at 1 ms ticks is released in steps of 59 ms).
const MAX_RING_STEPS: f64 = 1024.0;

/// The time constant over which the retries' expected rate follows their counts, in seconds.
const RATE_SMOOTHING_S: f64 = 1.0;

/// The retry state of a run whose design retries somewhere.
#[derive(Clone, Debug)]
pub(crate) struct Retries {
    /// Per route entry: its slot in `entries`, or `NO_RETRY`.
    pub slot_of: Vec<u32>,
    pub entries: Vec<RetryEntry>,
    /// Per link of `Plan::retry_links`: its budget.
    pub budgets: Vec<Budget>,
    /// Per node: the range of `entries` it sends on (entries are in sender order).
    pub by_node: Vec<(u32, u32)>,
    /// Per channel: its errors, drops and arrivals over the last second or so (decayed
    /// sums), for the sampled paths' retried tries.
    pub fail_recent: Vec<(f64, f64, f64)>,
}

/// One retrying route entry.
#[derive(Clone, Debug)]
pub(crate) struct RetryEntry {
    pub entry: u32,
    pub link: u32,
    pub from: u32,
    policy: RetryPolicy,
    /// Attempts in play at the target by attempt number (0: first tries).
    cohorts: Vec<f64>,
    /// The sender's part at the target after the last tick (after attempts given up on).
    part_before: f64,
    /// Handed over in the last ticks (newest at `handed_at`), for the age of what waits:
    /// as many ticks as the timeout spans and one more.
    handed_ring: Vec<f64>,
    handed_at: usize,
    /// Ticks per step of the age ring and of the delay line (1 but for long timeouts or
    /// backoffs at short ticks, whose rings would otherwise hold a step per tick).
    age_step: u64,
    delay_step: u64,
    handed_sum: f64,
    /// Retries waiting for their backoff, by tick slot and attempt number
    /// (`slot * attempts + n`), and the jitter's even spread as a rate that starts and stops
    /// at slots (a difference ring of the same shape) with its running value per number.
    pending: Vec<f64>,
    spread: Vec<f64>,
    spreading: Vec<f64>,
    /// Retries waiting, all slots together (in flight for their clients).
    pub waiting: f64,
    /// The retries' expected rate per second, smoothed over `RATE_SMOOTHING_S`.
    rate_per_s: f64,
    /// Retries handed over this tick (whole requests) and the carried fraction.
    pub handed: u64,
    handed_carry: f64,
    /// Calls failed for good this tick (last tries, and retries the budget refused).
    pub final_failed: f64,
    /// This tick's attempts that ended (answered, failed or given up on) and of them the
    /// failed.
    pub tick_ended: f64,
    pub tick_failed: f64,
    /// Sampled answered attempts this tick, and of them those later than the timeout; the
    /// late share of the last tick with samples.
    pub samples: (u32, u32),
    pub late_share: f64,
    /// Sampled answered attempts and the late among them, decayed over `RATE_SMOOTHING_S`.
    sampled_recent: f64,
    late_recent: f64,
    /// The overload backlogs' delay this tick's sampled answered attempts drew below the
    /// link, summed; and whether the last tick with samples drew any.
    pub backlog_samples_s: f64,
    pub backlog_below: bool,
    /// Late attempts the sampled share asked for that no tick could take yet (negative:
    /// attempts given up on by age beyond the share), set against the next ticks.
    late_balance: f64,
    timed_out_carry: f64,
}

/// A link's retry budget over the current second.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Budget {
    window: i64,
    first_tries: f64,
    retries: f64,
    /// Of the retries wanted at the last settle, the share the budget let go (for the
    /// sampled paths).
    pub pass_share: f64,
}

impl Retries {
    /// The retry state for `plan`, or `None` when no link retries.
    pub fn new(plan: &Plan) -> Option<Box<Self>> {
        if plan.retry_links.is_empty() {
            return None;
        }
        let mut slot_of = vec![NO_RETRY; plan.routes.len()];
        let mut order: Vec<u32> = (0..plan.routes.len() as u32)
            .filter(|&e| plan.routes[e as usize].retry != NO_RETRY)
            .collect();
        order.sort_by_key(|&e| plan.retry_links[plan.routes[e as usize].retry as usize].from);
        let mut entries = Vec::with_capacity(order.len());
        let mut by_node = vec![(0u32, 0u32); plan.nodes.len()];
        for (slot, &e) in order.iter().enumerate() {
            let link = plan.routes[e as usize].retry;
            let retry_link = plan.retry_links[link as usize];
            let policy = retry_link.policy;
            let attempts = policy.attempts.max(1) as usize;
            // Ticks the timeout spans, in steps of whole ticks so that the ring stays short.
            let age_ticks = policy
                .timeout_s()
                .map_or(1.0, |t| (t / plan.tick_s).floor() + 1.0);
            let age_step = (age_ticks / MAX_RING_STEPS).ceil().max(1.0);
            let age_steps = (age_ticks / age_step).ceil() as usize;
            // The longest backoff, likewise, and room for the next step and the jitter's end.
            let delay_ticks = (policy.backoff_cap_ms / 1000.0 / plan.tick_s).ceil();
            let delay_step = (delay_ticks / MAX_RING_STEPS).ceil().max(1.0);
            let delay_slots = (delay_ticks / delay_step).ceil() as usize + 3;
            slot_of[e as usize] = slot as u32;
            let from = retry_link.from;
            let range = &mut by_node[from as usize];
            if range.0 == range.1 {
                *range = (slot as u32, slot as u32 + 1);
            } else {
                range.1 = slot as u32 + 1;
            }
            entries.push(RetryEntry {
                entry: e,
                link,
                from,
                policy,
                cohorts: vec![0.0; attempts],
                part_before: 0.0,
                handed_ring: vec![0.0; age_steps.max(1)],
                handed_at: 0,
                age_step: age_step as u64,
                delay_step: delay_step as u64,
                handed_sum: 0.0,
                pending: vec![0.0; delay_slots * attempts],
                spread: vec![0.0; delay_slots * attempts],
                spreading: vec![0.0; attempts],
                waiting: 0.0,
                rate_per_s: 0.0,
                handed: 0,
                handed_carry: 0.0,
                final_failed: 0.0,
                tick_ended: 0.0,
                tick_failed: 0.0,
                samples: (0, 0),
                late_share: 0.0,
                sampled_recent: 0.0,
                late_recent: 0.0,
                backlog_samples_s: 0.0,
                backlog_below: false,
                late_balance: 0.0,
                timed_out_carry: 0.0,
            });
        }
        Some(Box::new(Self {
            slot_of,
            entries,
            budgets: vec![
                Budget {
                    window: -1,
                    pass_share: 1.0,
                    ..Budget::default()
                };
                plan.retry_links.len()
            ],
            by_node,
            fail_recent: vec![(0.0, 0.0, 0.0); plan.channel_class.len()],
        }))
    }

    /// Take the tick's errors, drops and arrivals into each channel's recent sums.
    pub fn note_failures(&mut self, channels: &[super::state::Channel], tick_s: f64) {
        let forget = (-tick_s / RATE_SMOOTHING_S).exp();
        for (recent, c) in self.fail_recent.iter_mut().zip(channels) {
            recent.0 = recent.0 * forget + flow::count_f64(c.errors);
            recent.1 = recent.1 * forget + flow::count_f64(c.dropped);
            recent.2 = recent.2 * forget + flow::count_f64(c.arrived);
        }
    }

    /// Route entry `e`'s retry state, if its link retries.
    #[inline]
    pub fn of(&self, e: usize) -> Option<&RetryEntry> {
        let slot = *self.slot_of.get(e)?;
        self.entries.get(slot as usize)
    }

    /// Route entry `e`'s part at its target was cut to `part` (of requests that failed at
    /// another of the server's calls): its attempts in play follow, and it keeps the share
    /// `kept` of its waiting retries, with them and the part together at most `most` (the
    /// rest belong to requests that failed: a server stops retrying their calls).
    pub fn keep(&mut self, e: usize, kept: f64, most: f64, part: f64) {
        let Some(&slot) = self.slot_of.get(e) else {
            return;
        };
        let Some(r) = self.entries.get_mut(slot as usize) else {
            return;
        };
        let total: f64 = r.cohorts.iter().sum();
        if total > 0.0 && part < r.part_before {
            let factor = (part / total).clamp(0.0, 1.0);
            for cohort in &mut r.cohorts {
                *cohort *= factor;
            }
        }
        r.part_before = r.part_before.min(part);
        if r.waiting <= 0.0 {
            return;
        }
        let room = (most - part).max(0.0);
        let factor = kept.min(room / r.waiting).clamp(0.0, 1.0);
        if factor < 1.0 {
            r.waiting *= factor;
            for x in r
                .pending
                .iter_mut()
                .chain(&mut r.spread)
                .chain(&mut r.spreading)
            {
                *x *= factor;
            }
        }
    }

    /// Route entry `e`'s retry state and its link's budget, for a sampled path.
    pub fn policy_of(&self, e: usize) -> Option<(usize, RetryPolicy, f64)> {
        let slot = *self.slot_of.get(e)? as usize;
        let entry = self.entries.get(slot)?;
        let pass = self.budgets.get(entry.link as usize)?.pass_share;
        Some((slot, entry.policy, pass))
    }
}

impl RetryEntry {
    fn attempts(&self) -> usize {
        self.cohorts.len()
    }

    fn slots(&self) -> usize {
        self.pending.len() / self.attempts()
    }

    /// What is due at `tick`, by attempt number, into `due`; clears the slot. The delay line
    /// moves a step at a time: between steps nothing is due.
    fn take_due(&mut self, tick: u64, due: &mut [f64]) {
        let n = self.attempts();
        if !tick.is_multiple_of(self.delay_step) {
            due.fill(0.0);
            return;
        }
        let base = ((tick / self.delay_step) as usize % self.slots()) * n;
        for j in 0..n {
            self.spreading[j] += std::mem::take(&mut self.spread[base + j]);
            // A rate spread over slots can round to a hair below zero as it stops.
            let rate = self.spreading[j].max(0.0);
            due[j] = std::mem::take(&mut self.pending[base + j]) + rate;
        }
    }

    /// Schedule `amount` retries of attempt number `n` (1 for the first retry) failed in
    /// tick `tick`, after their backoff (spread evenly over it with jitter). The backoff
    /// counts from the tick, not from the start of its step: with steps of several ticks, a
    /// retry without jitter is released at the step nearest its due tick, and a jittered one's
    /// wait uniform over [0, backoff] is shared out over the steps its due ticks fall in
    /// (step s releases those due in ((s − 1)·step, s·step]), never before the next step.
    fn schedule(&mut self, tick: u64, tick_s: f64, n: usize, amount: f64) {
        if amount <= 0.0 {
            return;
        }
        let attempts = self.attempts();
        let slots = self.slots();
        let step = self.delay_step as f64;
        let now = tick / self.delay_step;
        let offset_of = |s: u64| (s.saturating_sub(now) as usize).clamp(1, slots - 2);
        let at = |offset: usize| ((now as usize + offset) % slots) * attempts + n;
        let from = tick as f64;
        let backoff_ticks = self.policy.backoff_s(n as u32) / tick_s;
        let due = from + backoff_ticks;
        if !self.policy.jitter {
            let s = (due / step).round() as u64;
            self.pending[at(offset_of(s))] += amount;
            return;
        }
        let first = now + 1;
        let last = (due / step).ceil() as u64;
        if last <= first || backoff_ticks <= 0.0 {
            self.pending[at(offset_of(first))] += amount;
            return;
        }
        let per_tick = amount / backoff_ticks;
        let (a, b) = (offset_of(first), offset_of(last));
        self.pending[at(a)] += per_tick * (first as f64 * step - from);
        if b > a + 1 {
            self.spread[at(a + 1)] += per_tick * step;
            self.spread[at(b)] -= per_tick * step;
        }
        let in_full = per_tick * step * b.saturating_sub(a + 1) as f64;
        let rest = amount - per_tick * (first as f64 * step - from) - in_full;
        self.pending[at(b)] += rest.max(0.0);
    }

    /// Take this tick's sampled attempts into the late share: a ratio of sums over the last
    /// second or so (a tick's own ratio is biased: a late sample's retry is a further
    /// sample in the same tick, so ticks with late samples have more of them).
    pub fn take_samples(&mut self, tick_s: f64) {
        let (sampled, late) = std::mem::take(&mut self.samples);
        let backlog_s = std::mem::take(&mut self.backlog_samples_s);
        let forget = (-tick_s / RATE_SMOOTHING_S).exp();
        self.sampled_recent = self.sampled_recent * forget + f64::from(sampled);
        self.late_recent = self.late_recent * forget + f64::from(late);
        if self.sampled_recent > 0.0 {
            self.late_share = self.late_recent / self.sampled_recent;
        }
        if sampled > 0 {
            self.backlog_below = backlog_s > 0.0;
        }
    }

    /// Add this tick's handed-over attempts and return those handed over within the timeout
    /// (`span` ticks): the ring's steps but the oldest, and the timeout's fraction of that one.
    fn recent_handed(&mut self, tick: u64, handed: f64, span: f64) -> f64 {
        let len = self.handed_ring.len();
        if tick.is_multiple_of(self.age_step) {
            // A new step: the oldest leaves the ring.
            self.handed_at = (self.handed_at + 1) % len;
            let old = std::mem::take(&mut self.handed_ring[self.handed_at]);
            self.handed_sum -= old;
            if self.handed_at == 0 {
                // Keep the running sum from drifting.
                self.handed_sum = self.handed_ring.iter().sum();
            }
        }
        self.handed_ring[self.handed_at] += handed;
        self.handed_sum += handed;
        let steps = span / self.age_step as f64;
        let recent = if len == 1 {
            handed * steps.min(1.0)
        } else {
            let oldest = self.handed_ring[(self.handed_at + 1) % len];
            self.handed_sum - (1.0 - (steps - steps.floor())) * oldest
        };
        recent.max(0.0)
    }
}

/// Whole requests out of `amount` and the fraction carried from before, carrying the new
/// fraction on even through ticks with nothing (retries come in fractions of a request a
/// tick, between ticks with none: dropping the carry there would lose them).
fn whole_keeping(amount: f64, carry: &mut f64) -> u64 {
    let exact = amount.max(0.0) + *carry;
    let whole = flow::floor_count(exact);
    *carry = exact - flow::count_f64(whole);
    whole
}

impl Simulation {
    /// Hand this tick's due retries to their targets (before any node steps).
    pub(crate) fn dispatch_retries(&mut self) {
        let Some(retries) = self.retries.as_mut() else {
            return;
        };
        let tick_s = self.plan.tick_s;
        let smoothing = -(-tick_s / RATE_SMOOTHING_S).exp_m1();
        let mut due = [0.0f64; crate::model::validate::MAX_ATTEMPTS as usize];
        for r in &mut retries.entries {
            let n = r.attempts();
            r.take_due(self.tick, &mut due[..n]);
            let amount: f64 = due[..n].iter().sum();
            // The retries' expected rate, for the target's queueing formulas: their count
            // each tick follows the failures' noise, which is no intensity (a lumpy tick would
            // look like an overload and pile up a fluid backlog); smoothed over a second.
            r.rate_per_s += (amount / tick_s - r.rate_per_s) * smoothing;
            let count = whole_keeping(amount, &mut r.handed_carry);
            let entry = &self.plan.routes[r.entry as usize];
            // The link's circuit breaker: an open one fails the retries at once (counted as
            // rejected by it, not as retries, as the events engine does), a half-open one
            // lets its probes left through.
            let (through, holding) = match self.breakers.as_deref_mut() {
                Some(breakers) if entry.breaker != NO_RETRY => {
                    match breakers.links.get_mut(entry.breaker as usize) {
                        Some(b) => {
                            let through = b.let_through(count);
                            breakers.retry_blocked[r.entry as usize] = count - through;
                            (through, b.is_open())
                        }
                        None => (count, false),
                    }
                }
                _ => (count, false),
            };
            let rate_per_s = if holding { 0.0 } else { r.rate_per_s };
            r.handed = through;
            if amount <= 0.0 && count == 0 && r.rate_per_s < 1e-12 {
                continue;
            }
            // What goes on is in play at the target (what a breaker held back failed).
            let kept = if count > 0 {
                flow::count_f64(through) / flow::count_f64(count)
            } else if holding {
                0.0
            } else {
                1.0
            };
            for (cohort, d) in r.cohorts.iter_mut().zip(&due[..n]) {
                *cohort += d * kept;
            }
            // What is handed over leaves the wait: whole requests (the fraction carried waits on).
            r.waiting = (r.waiting - flow::count_f64(count)).max(0.0);
            if let Some(channel) = self.channels.get_mut(entry.channel as usize) {
                channel.hand_over(through, rate_per_s);
            }
            self.states[r.from as usize].sums.retries += through;
        }
    }

    /// Settle node `i`'s retrying entries for this tick (its targets are settled): failed
    /// attempts, attempts given up on, retries scheduled and calls failed for good.
    pub(crate) fn settle_retries(&mut self, i: usize) {
        let Some(mut retries) = self.retries.take() else {
            return;
        };
        let (a, b) = retries.by_node[i];
        let now_s = self.tick as f64 * self.plan.tick_s;
        let window = now_s.floor() as i64;
        let forget = (-self.plan.tick_s / RATE_SMOOTHING_S).exp();
        for slot in a as usize..b as usize {
            let e = retries.entries[slot].entry as usize;
            let first_tries = flow::count_f64(self.handed_first(e));
            let budget = &mut retries.budgets[retries.entries[slot].link as usize];
            if budget.window != window {
                budget.window = window;
                budget.first_tries = 0.0;
                budget.retries = 0.0;
            }
            budget.first_tries += first_tries;
            let r = &mut retries.entries[slot];
            r.cohorts[0] += first_tries;
            let handed = first_tries + flow::count_f64(r.handed);
            let target = self.plan.routes[e].channel as usize;
            let dropped = self.failed[target] * self.stock_share(e);
            let part = self.entry_part[e];
            // Given up on by age: only where an overload's backlog holds the attempts below
            // (there the counts wait as the model does; at short ticks a stationary queue's
            // counts wait in lumps the model's waits do not have, and its tail is the
            // sampled late share's).
            let aged = match r.policy.timeout_s() {
                Some(timeout_s) => {
                    let recent = r.recent_handed(self.tick, handed, timeout_s / self.plan.tick_s);
                    if r.backlog_below {
                        (part - recent).max(0.0)
                    } else {
                        0.0
                    }
                }
                None => 0.0,
            };
            let part_after = part - aged;
            self.entry_part[e] = part_after;
            let in_play = r.part_before + handed;
            let answered = (in_play - dropped - part).max(0.0);
            // Of the attempts that ended this tick (answered, or given up on by age), the
            // sampled share was late: the counts' ages show part of the queueing tail (at
            // short ticks most of it), the answered take the rest.
            let late = if r.policy.timeout_ms.is_some() {
                // The share holds over the ticks, not tick by tick (a tick's ages, its
                // answers and its few samples are lumpy): what one tick could not take (more
                // given up on by age than its share, or more late than it answered) is set
                // against the next ones (the ages' excess forgotten over a second).
                let owed = r.late_balance + r.late_share * (answered + aged) - aged;
                let late = owed.clamp(0.0, answered);
                let balance = owed - late;
                r.late_balance = if balance < 0.0 {
                    balance * forget
                } else {
                    balance
                };
                late
            } else {
                0.0
            };
            let failed = (dropped + aged + late).clamp(0.0, in_play.max(0.0));
            let timed_out = whole_keeping(aged + late, &mut r.timed_out_carry);
            self.states[r.from as usize].sums.timed_out += timed_out;
            // Failures and what stays take each attempt number in proportion.
            let total: f64 = r.cohorts.iter().sum();
            let attempts = r.attempts();
            let mut failed_by = [0.0f64; crate::model::validate::MAX_ATTEMPTS as usize];
            if total > 0.0 {
                let keep = (part_after / total).clamp(0.0, 1.0);
                for (j, cohort) in r.cohorts.iter_mut().enumerate() {
                    failed_by[j] = failed * *cohort / total;
                    *cohort *= keep;
                }
            } else {
                failed_by[0] = failed;
            }
            r.part_before = part_after;
            r.tick_ended = (in_play - part_after).max(failed);
            r.tick_failed = failed;
            let wanted: f64 = failed_by[..attempts - 1].iter().sum();
            let allowed = match r.policy.budget_ratio {
                // Whole retries: a window with N first tries allows ⌊ratio · N⌋ of them, as
                // the events engine's retry-by-retry check does.
                Some(ratio) => wanted
                    .min(((ratio * budget.first_tries + 1e-9).floor() - budget.retries).max(0.0)),
                None => wanted,
            };
            budget.retries += allowed;
            let pass = if wanted > 0.0 { allowed / wanted } else { 1.0 };
            budget.pass_share = pass;
            for (j, &f) in failed_by[..attempts - 1].iter().enumerate() {
                r.schedule(self.tick, self.plan.tick_s, j + 1, f * pass);
            }
            r.waiting += allowed;
            r.final_failed = failed_by[attempts - 1] + (wanted - allowed);
        }
        self.retries = Some(retries);
    }

    /// Clients' requests waiting for a retry on route entry `e`.
    #[inline]
    pub(crate) fn retry_waiting(&self, e: usize) -> f64 {
        self.retries
            .as_ref()
            .and_then(|r| r.of(e))
            .map_or(0.0, |r| r.waiting)
    }
}
