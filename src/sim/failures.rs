//! Random failures: every machine of a component fails after an exponential time with mean
//! MTBF and is repaired after one with mean MTTR, independently of the others — a two-state
//! Markov chain per machine, whose long-run share of time down is MTTR / (MTBF + MTTR), the
//! figure the availability analysis uses.
//!
//! Where failures and repairs are rare next to a tick (at most `MAX_EVENTS_PER_TICK` expected
//! in one), each is followed at its own time, failures and repairs in time order, so that a
//! failure within a tick can be repaired within it. Where they are frequent (ten thousand
//! machines failing every few seconds, or an MTBF shorter than a tick), following them one
//! by one would cost work that grows with the machines and the rates. There the tick moves
//! each group's count of machines down by the chain's exact transition over one tick: of `u`
//! machines up, Binomial(u, q(1 − e)) go down, and of `d` down, Binomial(d, q + (1 − q)e)
//! stay down, where q = MTTR / (MTBF + MTTR) and e = exp(−(1/MTBF + 1/MTTR)·tick). Both are
//! exact for independent machines; the second costs one draw per group (a database's shards
//! are its groups) whatever the rates.
//!
//! A database's random failures spread over its shards by their machines up (a failure hits a
//! machine, and every machine is alike); scheduled failures of a few instances hit the hottest
//! shard, the worst case a user asks to see.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Binomial, Distribution};

use super::Simulation;
use super::kinds;
use super::paths;
use super::plan::KindPlan;
use super::state;
use crate::model::Reliability;

/// Above this many expected failures and repairs in one tick (all machines counted), a node's
/// failures move by the tick's transition rather than one by one.
const MAX_EVENTS_PER_TICK: f64 = 64.0;
/// The most failures and repairs one tick follows one by one: far in the tail of a Poisson
/// count with mean `MAX_EVENTS_PER_TICK`, and a bound on a tick's work whatever the draws
/// (events the bound leaves are followed at the next tick).
const MAX_FOLLOWED_PER_TICK: u32 = 4_096;

/// One node's random failures.
#[derive(Clone, Debug)]
pub(crate) struct FailureClock {
    rng: Xoshiro256PlusPlus,
    /// Failure and repair rates of one machine, per second, and its long-run share of time
    /// down, MTTR / (MTBF + MTTR).
    fail_per_s: f64,
    repair_per_s: f64,
    down_share: f64,
    /// Whether the tick's transition moves the count (see the module's doc).
    by_transition: bool,
    /// When the next machine fails (followed one by one only), drawn for `drawn_for_up`
    /// machines up.
    next_failure_s: f64,
    drawn_for_up: u32,
    /// Repairs due, earliest first: the time's bits (positive times order as their bits)
    /// and the shard of the machine.
    repairs: BinaryHeap<Reverse<(u64, u32)>>,
}

impl FailureClock {
    pub fn new(
        seed: u64,
        name: &str,
        reliability: &Reliability,
        machines: u32,
        tick_s: f64,
    ) -> Self {
        // Rates from hours, so that 1e308 hours is a rate of about 3e-312 and not 1/∞ = 0
        // for both (whose down share would be 0/0).
        let fail_per_s = (1.0 / reliability.mtbf_hours) / 3600.0;
        let repair_per_s = if reliability.mttr_hours > 0.0 {
            (1.0 / reliability.mttr_hours) / 3600.0
        } else {
            f64::INFINITY
        };
        let events_per_tick = f64::from(machines) * tick_s * (fail_per_s + repair_per_s);
        let mut clock = Self {
            rng: state::stream(seed, &format!("failures/{name}")),
            fail_per_s,
            repair_per_s,
            down_share: 1.0 - reliability.availability(),
            // An infinite rate (an MTTR of 0, an MTBF of 5e-324 hours) is a transition; so is
            // the NaN of no machines times it, which then moves nothing.
            by_transition: events_per_tick > MAX_EVENTS_PER_TICK || events_per_tick.is_nan(),
            next_failure_s: f64::INFINITY,
            drawn_for_up: 0,
            repairs: BinaryHeap::new(),
        };
        clock.draw_next_failure(0.0, machines);
        clock
    }

    /// Draw the next failure after `from_s` with `up` machines up (memoryless: a fresh draw
    /// whenever the count changes is exact).
    fn draw_next_failure(&mut self, from_s: f64, up: u32) {
        self.drawn_for_up = up;
        self.next_failure_s = if up == 0 || self.fail_per_s <= 0.0 {
            f64::INFINITY
        } else {
            from_s + paths::exponential(&mut self.rng, 1.0 / (self.fail_per_s * f64::from(up)))
        };
    }

    /// Machines of a group down after one tick, from `up` up and `down` down.
    fn transition(&mut self, up: u32, down: u32, tick_s: f64) -> u32 {
        let q = self.down_share;
        let total_rate = self.fail_per_s + self.repair_per_s;
        // 1 − e, exactly for short ticks.
        let one_minus_e = -(-total_rate * tick_s).exp_m1();
        let go_down = (q * one_minus_e).clamp(0.0, 1.0);
        let stay_down = (q + (1.0 - q) * (1.0 - one_minus_e)).clamp(0.0, 1.0);
        let mut draw = |n: u32, p: f64| -> u32 {
            Binomial::new(u64::from(n), p)
                .map_or(0, |b| b.sample(&mut self.rng))
                .min(u64::from(n)) as u32
        };
        draw(up, go_down) + draw(down, stay_down)
    }
}

/// Machines of each group of node `i`'s: a database's shards, or the whole node.
fn groups(sim: &Simulation, i: usize) -> Vec<(u32, u32)> {
    let node = &sim.plan.nodes[i];
    let st = &sim.states[i];
    match &node.kind {
        KindPlan::Database(p) => {
            let per_shard = p.copies + u32::from(p.standby);
            kinds::database::shard_down_counts(st)
                .map(|down| (per_shard.saturating_sub(down), down))
                .collect()
        }
        _ => {
            let running = st.running(node);
            let down = st.down_since.len().min(running);
            vec![(running - down, down)]
        }
    }
}

/// A group drawn in proportion to `weight` of each (None when all weigh nothing).
fn pick(
    rng: &mut Xoshiro256PlusPlus,
    groups: &[(u32, u32)],
    weight: fn(&(u32, u32)) -> u32,
) -> Option<usize> {
    let total: u64 = groups.iter().map(|g| u64::from(weight(g))).sum();
    if total == 0 {
        return None;
    }
    let mut at = rng.random_range(0..total);
    groups.iter().position(|g| {
        let w = u64::from(weight(g));
        if at < w {
            true
        } else {
            at -= w;
            false
        }
    })
}

impl Simulation {
    /// Node `i`'s random failures and repairs up to `now_s`.
    pub(super) fn random_failures(&mut self, i: usize, now_s: f64) {
        let Some(Some(clock)) = self.failure_clocks.get(i) else {
            return;
        };
        if clock.by_transition {
            self.failures_by_transition(i, now_s);
        } else {
            self.failures_one_by_one(i, now_s);
        }
    }

    fn failures_by_transition(&mut self, i: usize, now_s: f64) {
        let tick_s = self.plan.tick_s;
        let groups = groups(self, i);
        for (j, &(up, down)) in groups.iter().enumerate() {
            let Some(Some(clock)) = self.failure_clocks.get_mut(i) else {
                return;
            };
            let after = clock.transition(up, down, tick_s);
            if after > down {
                self.fail_in_group(i, j, after - down, now_s);
            } else if after < down {
                self.recover_in_group(i, j, down - after, now_s);
            }
        }
    }

    fn failures_one_by_one(&mut self, i: usize, now_s: f64) {
        let machines = self.states[i].running(&self.plan.nodes[i]);
        for _ in 0..MAX_FOLLOWED_PER_TICK {
            let up = machines.saturating_sub(self.down_machines(i));
            let Some(Some(clock)) = self.failure_clocks.get_mut(i) else {
                return;
            };
            // Machines brought down or back by something else (a scheduled failure, a click)
            // change the rate: draw again from now.
            if up != clock.drawn_for_up {
                clock.draw_next_failure(now_s, up);
            }
            let repair = clock
                .repairs
                .peek()
                .map(|Reverse((bits, group))| (f64::from_bits(*bits), *group as usize));
            let repair_s = repair.map_or(f64::INFINITY, |(t, _)| t);
            let failure_s = clock.next_failure_s;
            let at_s = repair_s.min(failure_s);
            if at_s > now_s || at_s.is_nan() {
                return;
            }
            if repair_s <= failure_s {
                clock.repairs.pop();
                let group = repair.map_or(0, |(_, g)| g);
                self.recover_in_group(i, group, 1, at_s);
            } else {
                let groups = groups(self, i);
                let Some(Some(clock)) = self.failure_clocks.get_mut(i) else {
                    return;
                };
                let group = pick(&mut clock.rng, &groups, |&(up, _)| up).unwrap_or(0);
                let repair_at_s =
                    at_s + paths::exponential(&mut clock.rng, 1.0 / clock.repair_per_s);
                if self.fail_in_group(i, group, 1, at_s) > 0
                    && let Some(Some(clock)) = self.failure_clocks.get_mut(i)
                {
                    clock
                        .repairs
                        .push(Reverse((repair_at_s.max(0.0).to_bits(), group as u32)));
                }
            }
            let up = machines.saturating_sub(self.down_machines(i));
            if let Some(Some(clock)) = self.failure_clocks.get_mut(i) {
                clock.draw_next_failure(at_s, up);
            }
        }
    }

    /// Machines of node `i` down now.
    fn down_machines(&self, i: usize) -> u32 {
        match &self.plan.nodes[i].kind {
            KindPlan::Database(_) => kinds::database::down_count(&self.states[i]),
            _ => self.states[i].down_since.len(),
        }
    }

    /// Fail `k` machines of group `j` of node `i` (a database's shard `j`).
    fn fail_in_group(&mut self, i: usize, j: usize, k: u32, at_s: f64) -> u32 {
        if let KindPlan::Database(p) = &self.plan.nodes[i].kind {
            let st = &mut self.states[i];
            let Some(Some(clock)) = self.failure_clocks.get_mut(i) else {
                return 0;
            };
            let failed = kinds::database::fail_shard(p, st, j, k, at_s, &mut clock.rng);
            st.down_since.push(at_s, failed);
            self.note_failing(i, failed);
            failed
        } else {
            self.fail_instances(i, k, at_s)
        }
    }

    /// Repair `k` machines of group `j` of node `i`.
    fn recover_in_group(&mut self, i: usize, j: usize, k: u32, at_s: f64) -> u32 {
        if let KindPlan::Database(p) = &self.plan.nodes[i].kind {
            let st = &mut self.states[i];
            let repaired = kinds::database::recover_shard(p, st, j, k);
            st.down_since.pop_oldest(repaired);
            repaired
        } else {
            self.recover_instances(i, k, at_s)
        }
    }
}
