//! Clients: users × rate per user × the scenario's profile × the load multiplier, drawn as
//! Poisson arrivals per tick (or an even stream), split into classes by the mix and sent down
//! the links that carry each class.

use rand_distr::{Distribution, Poisson};

use crate::model::{ArrivalProcess, ClientParams};
use crate::sim::flow::{self, Rates};
use crate::sim::plan::NodePlan;
use crate::sim::state::{KindState, NodeState};

use super::{TickCtx, has_route};

/// A client's compiled parameters.
#[derive(Clone, Debug)]
pub(crate) struct ClientPlan {
    /// Requests per second at load multiplier 1.
    pub base_rate_per_s: f64,
    /// Share of each class.
    pub mix: Rates,
    pub constant: bool,
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
    }
}

/// Draw this tick's requests and pass them on. Requests of a class no link carries are
/// dropped here.
pub(crate) fn step(plan: &ClientPlan, node: &NodePlan, st: &mut NodeState, ctx: &TickCtx) {
    let rate_per_s = plan.base_rate_per_s * ctx.load;
    let mean = rate_per_s * ctx.tick_s;
    let arrivals = {
        let KindState::Client { rng, arrival_carry } = &mut st.kind else {
            return;
        };
        if mean <= 0.0 || !mean.is_finite() {
            0
        } else if plan.constant {
            flow::whole(mean, arrival_carry)
        } else {
            match Poisson::new(mean) {
                Ok(poisson) => {
                    let draw: f64 = poisson.sample(rng);
                    draw as u64
                }
                Err(_) => mean.round() as u64,
            }
        }
    };
    // Split by the mix, exactly, with carried remainders.
    let mut by_class = [0u64; 5];
    flow::split_weighted(arrivals, &plan.mix, &mut st.class_carry, &mut by_class);
    for k in 0..5 {
        st.tick.arrived[k] = by_class[k];
        st.tick.rate_in_per_s[k] = plan.mix[k] * rate_per_s;
        if has_route(node, k) {
            st.tick.served[k] = by_class[k];
            st.tick.forwarded[k] = by_class[k];
            st.fwd_rates[k] = st.tick.rate_in_per_s[k];
        } else {
            st.tick.dropped[k] = by_class[k];
        }
    }
    st.tick.healthy_instances = 1;
}
