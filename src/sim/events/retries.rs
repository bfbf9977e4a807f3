//! Timeouts and retries on links in the events engine (see `model::RetryPolicy`).
//!
//! Each pass of a request (or of one of a server's calls) down a link with a retry policy is
//! an **attempt**, kept in a side table (so that designs without retries pay for none of it):
//! the link, the route entry, the sender, the tries made so far, and the depth of the
//! request's call stack when it was sent (the sender's frame included, for a server).
//!
//! - **Success**: the request comes back to that depth (its callee's subtree done): the
//!   attempt, and any attempt sent at the same depth (a balancer's, say, inside a client's),
//!   has succeeded.
//! - **Failure**: anything that fails the request while an attempt is out (a drop, a rate
//!   limiter, a lost session, an instance down, nowhere to go) fails the innermost attempt
//!   instead: the request's stack is cut back to the attempt's depth, and the attempt is
//!   tried again or, with no tries or budget left, fails as a failure does without retries,
//!   which the next attempt out catches in turn (or the request fails).
//! - **Timeout**: an attempt not back within the timeout is given up on: the request splits
//!   in two. The work below (the slot that events and queues name) becomes an orphan, as a
//!   request past its deadline does: it keeps its place, takes its service and makes its
//!   later calls, counted for no one, and ends when it comes back to where the attempt
//!   started. The caller goes on in a new slot with the frames above the attempt and the
//!   attempts around it, and the attempt counts as failed. An orphan makes no more retries.
//! - **Retry**: after the backoff (`backoff_s(n)` for retry n, a uniform draw below it with
//!   jitter; zero is a retry at the same instant, after what is already due then), down the
//!   same route entry: to the same component, which picks its instance afresh.
//! - **Budget**: per link, in windows of one simulated second from the run's start
//!   ([k, k + 1) s): first tries count when they are sent; a retry is allowed when it is
//!   decided (the attempt's failure) if the window's retries so far plus one are at most
//!   `budget_ratio` × its first tries so far, and then counts.
//! - **Counts** (after the warm-up): `retries` on the sender when a retry is sent, `timed_out`
//!   on the sender when an attempt times out. Every attempt that reaches a component counts
//!   there as an arrival.

use rand::RngExt;

use super::breakers::{Admission, Breaker};
use super::{Engine, What};
use crate::sim::plan::{NO_RETRY, Plan};

/// No attempt (the end of a request's chain of attempts).
const NONE: u32 = u32::MAX;

/// One call down a link with a retry policy, over its tries.
#[derive(Clone, Copy, Debug)]
struct Attempt {
    /// The request slot waiting for it.
    request: u32,
    /// The attempt the request was already in when this one was sent (`NONE`: none).
    outer: u32,
    /// The link's retry policy and budget: an index into `Plan::retry_links`.
    link: u32,
    /// The route entry it goes down, and the class it carries there.
    entry: u32,
    class: u8,
    /// The node that sends it (and counts its retries and timeouts).
    sender: u32,
    /// The request's stack depth when it was sent.
    depth: u32,
    /// Tries made so far, the current one included.
    tries: u32,
    /// Between tries: waiting for the backoff to end.
    backing_off: bool,
    /// Bumped at each try and when freed: a timeout set for an earlier one is stale.
    generation: u32,
    /// The link's circuit breaker (an index into `Plan::breaker_links`, or `NONE`), and the
    /// breaker's epoch the current try was admitted in, as a probe or not.
    breaker: u32,
    epoch: u32,
    probe: bool,
}

/// A link's retry budget over the current one-second window.
#[derive(Clone, Copy, Debug, Default)]
struct Budget {
    window: u64,
    first_tries: u64,
    retries: u64,
}

impl Budget {
    /// Start the window of `now_s` if it is a new one.
    fn roll(&mut self, now_s: f64) {
        let window = now_s.max(0.0).floor() as u64;
        if window != self.window {
            *self = Budget {
                window,
                ..Budget::default()
            };
        }
    }

    /// A first try goes at `now_s`.
    fn first_try(&mut self, now_s: f64) {
        self.roll(now_s);
        self.first_tries += 1;
    }

    /// Whether a retry decided at `now_s` is within `ratio` retries per first try in the
    /// window so far (and if so, it counts).
    fn allows_retry(&mut self, now_s: f64, ratio: f64) -> bool {
        self.roll(now_s);
        // A hair of slack, so that 0.1 × 30 first tries allows the third retry.
        let allowed = (self.retries + 1) as f64 <= ratio * self.first_tries as f64 + 1e-9;
        self.retries += u64::from(allowed);
        allowed
    }
}

/// The attempts of a run whose design has links with a retry policy.
#[derive(Clone, Debug)]
pub(super) struct Retries {
    attempts: Vec<Attempt>,
    free: Vec<u32>,
    /// Per request slot: its innermost attempt, or `NONE`.
    head: Vec<u32>,
    /// Per retry link.
    budgets: Vec<Budget>,
    /// Per breaker link (see `breakers`).
    breakers: Vec<Breaker>,
    /// Per node: calls its links' open breakers failed at once after the warm-up.
    breaker_rejected: Vec<u64>,
}

impl Retries {
    pub(super) fn new(plan: &Plan) -> Self {
        Self {
            attempts: Vec::new(),
            free: Vec::new(),
            head: Vec::new(),
            budgets: vec![Budget::default(); plan.retry_links.len()],
            breakers: plan
                .breaker_links
                .iter()
                .map(|b| Breaker::new(b.breaker))
                .collect(),
            breaker_rejected: if plan.breaker_links.is_empty() {
                Vec::new()
            } else {
                vec![0; plan.nodes.len()]
            },
        }
    }

    /// Whether the breaker of route entry `breaker` (its index, or `NO_RETRY`) would admit
    /// a try at `now_s`.
    pub(super) fn breaker_admits(&self, breaker: u32, now_s: f64) -> bool {
        breaker == NO_RETRY
            || self
                .breakers
                .get(breaker as usize)
                .is_none_or(|b| b.would_admit(now_s))
    }

    /// An open breaker of node `sender`'s failed a call at once.
    pub(super) fn count_rejected(&mut self, sender: u32, measuring: bool) {
        if measuring && let Some(n) = self.breaker_rejected.get_mut(sender as usize) {
            *n += 1;
        }
    }

    /// Node `node`'s calls failed at once by open breakers after the warm-up.
    pub(super) fn rejected_by(&self, node: usize) -> u64 {
        self.breaker_rejected.get(node).copied().unwrap_or(0)
    }

    /// Node `node`'s links' breakers' seconds open or half-open in [warm-up, `end_s`].
    pub(super) fn open_seconds_of(
        &self,
        plan: &Plan,
        node: usize,
        end_s: f64,
        warmup_s: f64,
    ) -> f64 {
        plan.breaker_links
            .iter()
            .zip(&self.breakers)
            .filter(|(l, _)| l.from as usize == node)
            .map(|(_, b)| b.open_seconds(end_s, warmup_s))
            .sum()
    }

    /// Attempt `a`'s try will have no outcome: a probe's place is free again.
    fn abandon(&mut self, a: u32) {
        let at = self.attempts[a as usize];
        if at.probe
            && let Some(b) = self.breakers.get_mut(at.breaker as usize)
        {
            b.abandon(at.epoch);
        }
    }

    /// Attempt `a`'s try has ended, failed or not, at `now_s`.
    fn outcome(&mut self, a: u32, failed: bool, now_s: f64, warmup_s: f64) {
        let at = self.attempts[a as usize];
        if let Some(b) = self.breakers.get_mut(at.breaker as usize) {
            b.record(at.epoch, failed, now_s, warmup_s);
        }
    }

    /// Request slot `id`'s innermost attempt, the table grown to hold it. (A slot is freed in
    /// no attempt, so a reused one starts in none.)
    fn head_mut(&mut self, id: u32) -> &mut u32 {
        let i = id as usize;
        if self.head.len() <= i {
            self.head.resize(i + 1, NONE);
        }
        &mut self.head[i]
    }

    /// Whether request `id` is waiting for an attempt.
    #[inline]
    pub(super) fn in_attempt(&self, id: u32) -> bool {
        self.head.get(id as usize).is_some_and(|&a| a != NONE)
    }

    /// Free the attempts of request `id` (it makes no more retries).
    pub(super) fn free_chain(&mut self, id: u32) {
        let Some(&head) = self.head.get(id as usize) else {
            return;
        };
        let mut a = head;
        while a != NONE {
            let next = self.attempts[a as usize].outer;
            if !self.attempts[a as usize].backing_off {
                self.abandon(a);
            }
            self.release(a);
            a = next;
        }
        self.head[id as usize] = NONE;
    }

    fn release(&mut self, a: u32) {
        let at = &mut self.attempts[a as usize];
        at.generation = at.generation.wrapping_add(1);
        at.request = NONE;
        self.free.push(a);
    }

    /// Request `id` is back at stack depth `depth`: the attempts sent at that depth or deeper
    /// have succeeded (at `now_s`).
    #[inline]
    pub(super) fn returned(&mut self, id: u32, depth: usize, now_s: f64, warmup_s: f64) {
        while let Some(&a) = self.head.get(id as usize) {
            if a == NONE || (self.attempts[a as usize].depth as usize) < depth {
                return;
            }
            self.outcome(a, false, now_s, warmup_s);
            self.head[id as usize] = self.attempts[a as usize].outer;
            self.release(a);
        }
    }
}

impl Engine<'_> {
    /// Request `id` goes down route entry `entry` (whose link has a retry policy) as
    /// `class`: a first try, unless it is an orphan (which makes no retries). Kept out of
    /// line: the paths without retries only test the entry's `retry`.
    #[cold]
    #[inline(never)]
    pub(super) fn send_attempt(&mut self, id: u32, entry: u32, class: u8) {
        let plan = self.plan;
        let route = plan.routes[entry as usize];
        let sender = match plan.retry_links.get(route.retry as usize) {
            Some(link) => link.from,
            None => plan
                .breaker_links
                .get(route.breaker as usize)
                .map_or(0, |link| link.from),
        };
        let depth = self.requests[id as usize].stack.len() as u32;
        let now_s = self.now_s;
        let measuring = self.measuring();
        let orphan = self.requests[id as usize].orphan;
        let Some(rt) = self.retry.as_deref_mut() else {
            self.arrive(id, route.target, class);
            return;
        };
        if orphan {
            self.arrive(id, route.target, class);
            return;
        }
        let (epoch, probe) = match rt.breakers.get_mut(route.breaker as usize) {
            None => (0, false),
            Some(breaker) => match breaker.admit(now_s) {
                Admission::Go { epoch, probe } => (epoch, probe),
                Admission::Reject => {
                    // Failed at once, not retried: as a failure at the sender.
                    rt.count_rejected(sender, measuring);
                    self.fail(id);
                    return;
                }
            },
        };
        if let Some(budget) = rt.budgets.get_mut(route.retry as usize) {
            budget.first_try(now_s);
        }
        let attempt = Attempt {
            request: id,
            outer: *rt.head_mut(id),
            link: route.retry,
            entry,
            class,
            sender,
            depth,
            tries: 1,
            backing_off: false,
            generation: 0,
            breaker: route.breaker,
            epoch,
            probe,
        };
        let a = match rt.free.pop() {
            Some(a) => {
                let generation = rt.attempts[a as usize].generation;
                rt.attempts[a as usize] = Attempt {
                    generation,
                    ..attempt
                };
                a
            }
            None => {
                rt.attempts.push(attempt);
                (rt.attempts.len() - 1) as u32
            }
        };
        *rt.head_mut(id) = a;
        self.try_attempt(id, a);
    }

    /// Attempt `a` of request `id` goes: its timeout is set (when it can come before the
    /// run's end) and the request arrives at the link's target.
    fn try_attempt(&mut self, id: u32, a: u32) {
        let Some(rt) = self.retry.as_deref_mut() else {
            return;
        };
        let at = &mut rt.attempts[a as usize];
        at.generation = at.generation.wrapping_add(1);
        at.backing_off = false;
        let (generation, entry, class, link) = (at.generation, at.entry, at.class, at.link);
        let timeout_s = self
            .plan
            .retry_links
            .get(link as usize)
            .and_then(|l| l.policy.timeout_s());
        if let Some(timeout_s) = timeout_s
            && self.now_s + timeout_s <= self.until_s
        {
            self.schedule(
                self.now_s + timeout_s,
                What::AttemptTimeout {
                    attempt: a,
                    generation,
                },
            );
        }
        let target = self.plan.routes[entry as usize].target;
        self.arrive(id, target, class);
    }

    /// Request `id` failed while in an attempt (the caller checked): the innermost one
    /// fails.
    #[cold]
    #[inline(never)]
    pub(super) fn fail_attempt(&mut self, id: u32) {
        let Some(a) = self
            .retry
            .as_deref()
            .and_then(|rt| rt.head.get(id as usize).copied())
        else {
            return;
        };
        self.attempt_failed(id, a);
    }

    /// Attempt `a`, innermost of request `id`, has failed: the request is back at the
    /// sender, which tries again after the backoff if tries and the budget allow, or fails
    /// the call.
    fn attempt_failed(&mut self, id: u32, a: u32) {
        let now_s = self.now_s;
        let until_s = self.until_s;
        let Some(rt) = self.retry.as_deref_mut() else {
            return;
        };
        let at = rt.attempts[a as usize];
        rt.outcome(a, true, now_s, self.warmup_s);
        self.requests[id as usize].stack.truncate(at.depth as usize);
        // A link with a breaker and no retry policy makes one try.
        let Some(policy) = self
            .plan
            .retry_links
            .get(at.link as usize)
            .map(|l| l.policy)
        else {
            rt.head[id as usize] = at.outer;
            rt.release(a);
            self.fail(id);
            return;
        };
        let allowed = at.tries < policy.attempts
            && policy
                .budget_ratio
                .is_none_or(|ratio| rt.budgets[at.link as usize].allows_retry(now_s, ratio));
        if !allowed {
            // The call fails: as a failure does without retries, caught by the attempt
            // around this one, if any.
            rt.head[id as usize] = at.outer;
            rt.release(a);
            self.fail(id);
            return;
        }
        let attempt = &mut rt.attempts[a as usize];
        attempt.tries += 1;
        attempt.backing_off = true;
        // The try that failed is over: its timeout, if still to come, is stale.
        attempt.generation = attempt.generation.wrapping_add(1);
        let mut backoff_s = policy.backoff_s(at.tries);
        if policy.jitter {
            backoff_s *= self.rng.random::<f64>();
        }
        // A retry due after the run's end is not scheduled: the request is in flight then.
        if now_s + backoff_s <= until_s {
            let incarnation = self.requests[id as usize].incarnation;
            self.schedule(
                now_s + backoff_s,
                What::Retry {
                    request: id,
                    incarnation,
                },
            );
        }
    }

    /// The backoff of request `id`'s innermost attempt has ended: the retry goes (an
    /// orphan, past its deadline or given up on by a caller, goes no further).
    pub(super) fn retry_due(&mut self, id: u32, incarnation: u32) {
        let r = &self.requests[id as usize];
        if !r.live || r.incarnation != incarnation {
            return;
        }
        if r.orphan {
            self.release(id);
            return;
        }
        let Some(rt) = self.retry.as_deref() else {
            return;
        };
        let a = rt.head.get(id as usize).copied().unwrap_or(NONE);
        if a == NONE || !rt.attempts[a as usize].backing_off {
            return;
        }
        let sender = rt.attempts[a as usize].sender;
        let measuring = self.measuring();
        let now_s = self.now_s;
        if let Some(rt) = self.retry.as_deref_mut() {
            let b = rt.attempts[a as usize].breaker;
            if let Some(breaker) = rt.breakers.get_mut(b as usize) {
                match breaker.admit(now_s) {
                    Admission::Go { epoch, probe } => {
                        let at = &mut rt.attempts[a as usize];
                        at.epoch = epoch;
                        at.probe = probe;
                    }
                    Admission::Reject => {
                        // The retry fails at once, and the call with it.
                        rt.count_rejected(sender, measuring);
                        rt.head[id as usize] = rt.attempts[a as usize].outer;
                        rt.release(a);
                        self.fail(id);
                        return;
                    }
                }
            }
        }
        if measuring {
            self.nodes[sender as usize].retries += 1;
        }
        self.try_attempt(id, a);
    }

    /// Attempt `a`'s timeout has come: if that try is still out, the sender gives up on it.
    /// The work below goes on as an orphan in the request's slot; the caller goes on in a
    /// new slot, and the attempt has failed there.
    pub(super) fn attempt_timeout(&mut self, a: u32, generation: u32) {
        let Some(rt) = self.retry.as_deref() else {
            return;
        };
        let at = rt.attempts[a as usize];
        if at.generation != generation || at.backing_off || at.request == NONE {
            return;
        }
        let id = at.request;
        if self.measuring() {
            self.nodes[at.sender as usize].timed_out += 1;
        }
        let caller = self.split_off_caller(id, a);
        self.attempt_failed(caller, a);
    }

    /// Split request `id` at attempt `a`: a new slot takes the caller's part (the frames up
    /// to the attempt's depth, attempt `a` and those around it, the deadline); `id` keeps the
    /// work below as an orphan, its attempts inside `a` dropped. Returns the new slot.
    fn split_off_caller(&mut self, id: u32, a: u32) -> u32 {
        let (class, measured, job, client, started_s) = {
            let r = &self.requests[id as usize];
            (r.class, r.measured, r.job, r.client, r.started_s)
        };
        let caller = self.alloc(class, measured, job);
        let depth = self
            .retry
            .as_deref()
            .map_or(0, |rt| rt.attempts[a as usize].depth as usize);
        let mut stack = std::mem::take(&mut self.requests[id as usize].stack);
        let kept = depth.min(stack.len());
        {
            let c = &mut self.requests[caller as usize];
            c.started_s = started_s;
            c.client = client;
            c.stack.extend(stack.drain(..kept));
        }
        let r = &mut self.requests[id as usize];
        r.stack = stack;
        r.orphan = true;
        if let Some(rt) = self.retry.as_deref_mut() {
            // The attempts inside `a` belong to the work given up on: they end.
            let mut inner = rt.head[id as usize];
            while inner != a && inner != NONE {
                let next = rt.attempts[inner as usize].outer;
                if !rt.attempts[inner as usize].backing_off {
                    rt.abandon(inner);
                }
                rt.release(inner);
                inner = next;
            }
            // `a` and those around it wait in the caller's slot now.
            let mut outer = a;
            while outer != NONE {
                rt.attempts[outer as usize].request = caller;
                outer = rt.attempts[outer as usize].outer;
            }
            *rt.head_mut(caller) = a;
            *rt.head_mut(id) = NONE;
        }
        // The client's deadline follows the caller (the orphan's own is ignored), if it can
        // come before the run's end.
        if !job
            && let Some(deadline_s) = self.nodes.get(client as usize).and_then(|n| n.deadline_s)
            && started_s + deadline_s <= self.until_s
        {
            let incarnation = self.requests[caller as usize].incarnation;
            self.schedule(
                (started_s + deadline_s).max(self.now_s),
                What::Deadline {
                    request: caller,
                    incarnation,
                },
            );
        }
        caller
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_allows_its_ratio_of_the_first_tries_of_the_second_so_far() {
        let mut b = Budget::default();
        // No first try yet: no retry.
        assert!(!b.allows_retry(0.1, 0.5));
        b.first_try(0.2);
        assert!(!b.allows_retry(0.3, 0.5), "half a retry is none");
        b.first_try(0.4);
        assert!(b.allows_retry(0.5, 0.5));
        assert!(!b.allows_retry(0.6, 0.5), "one retry for two first tries");
        // 0.1 × 30 is 3 retries, rounding notwithstanding.
        let mut b = Budget::default();
        for _ in 0..30 {
            b.first_try(3.0);
        }
        assert!((0..3).all(|_| b.allows_retry(3.5, 0.1)));
        assert!(!b.allows_retry(3.5, 0.1));
        // A new second starts afresh: its first tries and retries from nothing.
        assert!(!b.allows_retry(4.0, 0.1));
        assert_eq!((b.window, b.first_tries, b.retries), (4, 0, 0));
        b.first_try(4.99);
        assert!(b.allows_retry(4.999, 1.0));
    }

    #[test]
    fn a_return_ends_the_attempts_sent_at_that_depth_or_deeper() {
        let plan_links = 1;
        let mut rt = Retries {
            attempts: Vec::new(),
            free: Vec::new(),
            head: Vec::new(),
            budgets: vec![Budget::default(); plan_links],
            breakers: Vec::new(),
            breaker_rejected: Vec::new(),
        };
        *rt.head_mut(0) = NONE;
        // Attempts at depths 0 (a client's), 1 and 1 (a server's call, then its balancer's).
        let push = |rt: &mut Retries, depth: u32| {
            let outer = rt.head[0];
            rt.attempts.push(Attempt {
                request: 0,
                outer,
                link: 0,
                entry: 0,
                class: 0,
                sender: 0,
                depth,
                tries: 1,
                backing_off: false,
                generation: 0,
                breaker: NONE,
                epoch: 0,
                probe: false,
            });
            rt.head[0] = (rt.attempts.len() - 1) as u32;
        };
        push(&mut rt, 0);
        push(&mut rt, 1);
        push(&mut rt, 1);
        rt.returned(0, 2, 0.0, 0.0);
        assert_eq!(rt.head[0], 2, "nothing sent at depth 2");
        rt.returned(0, 1, 0.0, 0.0);
        assert_eq!(rt.head[0], 0, "both depth-1 attempts are answered");
        assert_eq!(
            rt.attempts[1].generation, 1,
            "a freed attempt's timeout is stale"
        );
        assert!(rt.in_attempt(0));
        rt.returned(0, 0, 0.0, 0.0);
        assert!(!rt.in_attempt(0));
        assert_eq!(rt.free.len(), 3);
    }
}
