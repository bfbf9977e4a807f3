//! Load balancers: pass requests to the healthy instances of their targets. The split itself
//! is the router's `Balance` mode (link weight × instances still in rotation, × instance
//! capacity for least-loaded); here, the balancer's own capacity and latency.

use crate::model::{BalancingAlgorithm, LoadBalancerParams};
use crate::sim::flow::{self, Counts, Rates};
use crate::sim::latency::GroupLoad;
use crate::sim::plan::{NodePlan, Spread, Station};
use crate::sim::state::NodeState;

use super::{Output, TickCtx, drop_dead_share, serve};

/// A balancer's compiled parameters.
#[derive(Clone, Debug)]
pub(crate) struct BalancerPlan {
    pub station: Station,
    pub least_loaded: bool,
}

pub(crate) fn plan(p: &LoadBalancerParams) -> BalancerPlan {
    BalancerPlan {
        station: Station::from_capacity(
            p.capacity_per_s,
            p.latency_ms / 1000.0,
            1.0,
            p.timeout_ms / 1000.0,
        ),
        least_loaded: p.algorithm == BalancingAlgorithm::LeastLoaded,
    }
}

/// The balancer's instances are peers behind DNS or anycast: one pooled station.
pub(crate) fn group(plan: &BalancerPlan, node: &NodePlan, st: &NodeState) -> GroupLoad {
    GroupLoad {
        station: plan.station,
        spread: if node.instances > 1 {
            Spread::Random
        } else {
            Spread::Pooled
        },
        healthy: st.tick.healthy_instances,
        rate_per_s: st.tick.rate_in_per_s.iter().sum(),
        arrival_scv: node.arrival_scv,
    }
}

/// Weight of a target in this tick's split: link weight × instances in rotation
/// (× instance capacity when least loaded).
pub(crate) fn target_weight(
    plan: &BalancerPlan,
    link_weight: f64,
    routable: u32,
    instance_capacity_per_s: f64,
) -> f64 {
    let w = link_weight * f64::from(routable);
    if plan.least_loaded {
        w * instance_capacity_per_s
    } else {
        w
    }
}

pub(crate) fn step(
    plan: &BalancerPlan,
    node: &NodePlan,
    st: &mut NodeState,
    arrivals: Counts,
    rates: Rates,
    ctx: &TickCtx,
    out: &mut Output,
) {
    let (mut alive, mut live_rates) = drop_dead_share(node, st, arrivals, rates, ctx.now_s);
    // A class with no target in rotation has nowhere to go.
    for k in 0..5 {
        let (a, b) = node.routes[k];
        let in_rotation = ctx.routes[a as usize..b as usize]
            .iter()
            .any(|r| ctx.routable[r.target as usize] > 0);
        if !in_rotation && alive[k] > 0 {
            st.tick.dropped[k] += alive[k];
            alive[k] = 0;
        }
        if !in_rotation {
            live_rates[k] = 0.0;
        }
    }
    let capacity = f64::from(st.tick.healthy_instances) * plan.station.capacity_per_s();
    st.tick.rate_in_per_s = live_rates;
    let macro_backlog = group(plan, node, st).macro_backlog(flow::total(&st.backlog));
    let (served, served_rates) = serve(
        st,
        alive,
        live_rates,
        capacity,
        plan.station.timeout_s,
        macro_backlog,
        ctx.tick_s,
    );
    st.tick.forwarded = served;
    out.forward = served;
    out.forward_rates = served_rates;
}
