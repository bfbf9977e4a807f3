//! Clients: users × rate per user × the scenario's profile × the load multiplier, drawn as
//! Poisson arrivals per tick (or an even stream), split into classes by the mix and sent down
//! the links that carry each class.

use rand_distr::{Binomial, Distribution, Poisson};

use crate::model::{ArrivalProcess, ClientParams};
use crate::sim::flow::{self, Rates};
use crate::sim::plan::NodePlan;
use crate::sim::state::{Channel, ClientState, KindState, NodeState};

use super::{TickCtx, has_route};

/// A client's compiled parameters.
#[derive(Clone, Debug)]
pub(crate) struct ClientPlan {
    /// Requests per second at load multiplier 1.
    pub base_rate_per_s: f64,
    /// Share of each class.
    pub mix: Rates,
    pub constant: bool,
    /// A closed workload's users at load multiplier 1 (before the profile scales them) and
    /// their mean think time in seconds; `None` for an open workload.
    pub closed: Option<ClosedPlan>,
    /// The end-to-end deadline of its requests, in seconds.
    pub deadline_s: Option<f64>,
}

/// A closed workload: `users` who each send, wait for the answer, think, and send again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ClosedPlan {
    pub users: f64,
    pub think_time_s: f64,
    /// D: one request's response time through the idle system, in seconds (the plan's
    /// compile works it out; the base rate is then N/(Z + D)).
    pub idle_response_s: f64,
}

pub(crate) fn plan(p: &ClientParams) -> ClientPlan {
    ClientPlan {
        base_rate_per_s: p.rate_per_s(),
        mix: [
            p.mix.read,
            p.mix.write,
            p.mix.static_files,
            p.mix.async_jobs,
            0.0,
        ],
        constant: p.arrivals == ArrivalProcess::Constant,
        closed: p.think_time_s().map(|think_time_s| ClosedPlan {
            users: p.users as f64,
            think_time_s,
            idle_response_s: 0.0,
        }),
        deadline_s: p.deadline_ms.map(|ms| ms / 1000.0),
    }
}

/// The requests a closed workload's users send in a tick of `tick_s`, on average, and the
/// users waiting for an answer at its end (`in_system`, updated).
///
/// Each of the `users` alternates between thinking (exponential, mean `think_time_s`) and
/// waiting for an answer (mean `response_s`, the model's response time at the last tick):
/// a two-state chain whose share of users waiting relaxes towards R/(Z + R) at the rate
/// 1/Z + 1/R. It is integrated exactly over the tick, so at any tick length a steady state
/// sends N/(Z + R) a second (the response time law) and its users wait the share Little's law
/// gives; R comes from the engine's queueing formulas at the rate the users send, which is
/// the fixed point mean value analysis finds for one station and approximates for several
/// (MODEL-REFERENCE, closed workloads). When the users fall below those waiting (the profile
/// drops), the excess retire as their answers come.
pub(crate) fn closed_sends(
    users: f64,
    think_time_s: f64,
    response_s: f64,
    in_system: &mut f64,
    tick_s: f64,
) -> f64 {
    // Written so that a NaN sends nothing.
    let positive = |x: f64| x > 0.0;
    if !positive(users) || !positive(think_time_s) || !positive(tick_s) {
        *in_system = 0.0;
        return 0.0;
    }
    // A response too short to matter is a user who thinks again at once.
    let response_s = response_s.max(1e-9);
    let relax_per_s = 1.0 / think_time_s + 1.0 / response_s;
    let waiting_steady = users * response_s / (think_time_s + response_s);
    let waiting_before = *in_system;
    let settle = (-relax_per_s * tick_s).exp();
    // Thinking users send at 1/Z: their number over the tick, integrated.
    let thinking_steady = users - waiting_steady;
    let thinking_before = users - waiting_before;
    let sends = (thinking_steady * tick_s
        + (thinking_before - thinking_steady) * (1.0 - settle) / relax_per_s)
        / think_time_s;
    *in_system = waiting_steady + (waiting_before - waiting_steady) * settle;
    if sends.is_finite() {
        sends.max(0.0)
    } else {
        0.0
    }
}

/// A closed workload's sends in one tick, of mean `mean`, from `free_users` users not waiting
/// for an answer. While the mean is at most one send per free user, each sends at most once:
/// a binomial draw over them. A mean above that means users answered and thought more than
/// once within the tick (think time plus response time shorter than a tick): each free user
/// then has `k` = ⌈mean / free⌉ chances. With no user free nobody sends unless a user's whole
/// cycle (`cycle_s`, think time plus response time) fits in the tick: only then can a waiting
/// user be answered, think and send again within it. The mean is exact in every other case.
fn closed_draw(
    mean: f64,
    free_users: u64,
    cycle_s: f64,
    tick_s: f64,
    rng: &mut rand::rngs::Xoshiro256PlusPlus,
) -> u64 {
    let free = free_users.min(1 << 40);
    if free == 0 && (mean < 1.0 || cycle_s > tick_s) {
        return 0;
    }
    let users = flow::count_f64(free.max(1));
    let chances = (mean / users).ceil().max(1.0).min(f64::from(1u32 << 20));
    let trials = flow::floor_count(users * chances);
    let p = (mean / flow::count_f64(trials)).min(1.0);
    match Binomial::new(trials, p) {
        Ok(b) => b.sample(rng),
        Err(_) => 0,
    }
}

/// Draw this tick's requests and pass them on. Requests of a class no link carries are
/// dropped here.
#[inline(always)]
pub(crate) fn step(
    plan: &ClientPlan,
    node: &NodePlan,
    st: &mut NodeState,
    channels: &mut [Channel],
    ctx: &TickCtx,
) {
    let (arrivals, rate_per_s) = {
        let KindState::Client(client) = &mut st.kind else {
            return;
        };
        let ClientState {
            rng,
            arrival_carry,
            poisson,
            closed_in_system,
            closed_response_s,
            closed_waiting,
        } = &mut **client;
        // A closed workload's users who may send: those not waiting for an answer.
        let mut free_users = u64::MAX;
        let mean = match plan.closed {
            None => plan.base_rate_per_s * ctx.load * ctx.tick_s,
            Some(closed) => {
                // Users are whole people: the load scales their number, rounded, as the
                // events engine's population follows it.
                let users = (closed.users * ctx.load).round();
                free_users = flow::floor_count((users - *closed_waiting).max(0.0));
                // The fluid of waiting users is the chain's own: raising it to the counts'
                // waiting users each tick (the max of two noisy figures) held users ~one
                // service time too long at short ticks (7 % less throughput at 1 ms ticks).
                // The counts bound the sends through the free users instead.
                closed_sends(
                    users,
                    closed.think_time_s,
                    *closed_response_s,
                    closed_in_system,
                    ctx.tick_s,
                )
            }
        };
        let rate_per_s = mean / ctx.tick_s;
        let arrivals = if mean <= 0.0 || !mean.is_finite() {
            0
        } else if plan.closed.is_some() {
            let cycle_s = plan
                .closed
                .map_or(0.0, |c| c.think_time_s + *closed_response_s);
            closed_draw(mean, free_users, cycle_s, ctx.tick_s, rng)
        } else if plan.constant {
            flow::whole(mean, arrival_carry)
        } else {
            // Setting up a Poisson distribution costs logarithms: reuse it while the mean holds.
            if poisson.as_ref().is_none_or(|(m, _)| *m != mean) {
                *poisson = Poisson::new(mean).ok().map(|p| (mean, p));
            }
            match poisson {
                Some((_, p)) => {
                    let draw: f64 = p.sample(rng);
                    flow::floor_count(draw)
                }
                None => mean.round() as u64,
            }
        };
        (arrivals, rate_per_s)
    };
    // Split by the mix over the classes it sends, exactly, with each channel's carried
    // remainder.
    let weight_sum: f64 = channels.iter().map(|c| plan.mix[c.class as usize]).sum();
    let mut split = flow::WeightedSplit::new(arrivals, weight_sum, channels.len());
    for c in channels.iter_mut() {
        let weight = plan.mix[c.class as usize];
        let count = split.part(weight, &mut c.carry);
        c.arrived = count;
        c.rate_in = weight * rate_per_s;
        if has_route(node, c.class) {
            c.served = count;
            c.forwarded = count;
            c.fwd_rate = c.rate_in;
        } else {
            c.dropped = count;
        }
    }
    st.tick.healthy_instances = 1;
}
