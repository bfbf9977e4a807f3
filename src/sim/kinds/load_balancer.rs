//! Load balancers: pass requests to the healthy instances of their targets. The split itself
//! is the router's `Balance` mode (link weight × instances still in rotation, × instance
//! capacity for least-loaded); here, the balancer's own capacity and latency.

use crate::model::{BalancingAlgorithm, LoadBalancerParams};
use crate::sim::flow;
use crate::sim::latency::GroupLoad;
use crate::sim::plan::{NodePlan, Spread, Station};
use crate::sim::state::NodeState;

use super::{TickCtx, admit, serve};

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

pub(crate) fn step(plan: &BalancerPlan, node: &NodePlan, st: &mut NodeState, ctx: &TickCtx) {
    let mut alive = admit(node, st, ctx.now_s);
    // A class with no target in rotation has nowhere to go.
    for k in 0..5 {
        let (a, b) = node.routes[k];
        if alive[k] == 0 && st.tick.rate_in_per_s[k] == 0.0 {
            continue;
        }
        if !ctx.route_weight[a as usize..b as usize]
            .iter()
            .any(|w| *w > 0.0)
        {
            st.tick.dropped[k] += alive[k];
            alive[k] = 0;
            st.tick.rate_in_per_s[k] = 0.0;
        }
    }
    let capacity = f64::from(st.tick.healthy_instances) * plan.station.capacity_per_s();
    let macro_backlog = if flow::total(&st.backlog) == 0 {
        0.0
    } else {
        group(plan, node, st).macro_backlog(flow::total(&st.backlog))
    };
    serve(
        st,
        &alive,
        capacity,
        plan.station.timeout_s,
        macro_backlog,
        ctx.tick_s,
    );
    st.tick.forwarded = st.tick.served;
}
