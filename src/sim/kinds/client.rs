//! Clients: users × rate per user × the scenario's profile × the load multiplier, drawn as
//! Poisson arrivals per tick (or an even stream), split into classes by the mix and sent down
//! the links that carry each class.

use rand_distr::{Distribution, Poisson};

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
}

/// A closed workload: `users` who each send, wait for the answer, think, and send again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ClosedPlan {
    pub users: f64,
    pub think_time_s: f64,
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
        }),
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
    let rate_per_s = plan.base_rate_per_s * ctx.load;
    let mean = rate_per_s * ctx.tick_s;
    let arrivals = {
        let KindState::Client(client) = &mut st.kind else {
            return;
        };
        let ClientState {
            rng,
            arrival_carry,
            poisson,
        } = &mut **client;
        if mean <= 0.0 || !mean.is_finite() {
            0
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
        }
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
