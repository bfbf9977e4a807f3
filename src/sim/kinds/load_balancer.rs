//! Load balancers: pass requests to the healthy instances of their targets. The split itself
//! is the router's `Balance` mode (link weight × instances still in rotation, × instance
//! capacity for least-loaded); here, the balancer's own capacity and latency.

use crate::model::{BalancingAlgorithm, LoadBalancerParams};
use crate::sim::latency::GroupLoad;
use crate::sim::plan::{NodePlan, Spread, Station};
use crate::sim::state::{Channel, NodeState};

use super::{TickCtx, admit, pending, serve};

/// A balancer's compiled parameters.
#[derive(Clone, Debug)]
pub(crate) struct BalancerPlan {
    pub station: Station,
    pub least_loaded: bool,
    /// A token bucket in front of the balancer.
    pub rate_limit: Option<crate::model::RateLimit>,
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
        rate_limit: p.rate_limit,
    }
}

/// The balancer's instances are peers behind DNS or anycast: one pooled station.
pub(crate) fn group(
    plan: &BalancerPlan,
    node: &NodePlan,
    st: &NodeState,
    rate_per_s: f64,
) -> GroupLoad {
    GroupLoad {
        station: plan.station,
        spread: if node.instances > 1 {
            Spread::Random
        } else {
            Spread::Pooled
        },
        healthy: st.tick.healthy_instances,
        rate_per_s,
        arrival_scv: node.arrival_scv,
    }
}

/// The classes (bit k for class k) that have no target in rotation: no link carries them, or
/// every target's weight is nil.
pub(crate) fn stranded_classes(node: &NodePlan, route_weight: &[f64]) -> u8 {
    let mut stranded = 0u8;
    for (k, &(a, b)) in node.routes.iter().enumerate() {
        if !route_weight[a as usize..b as usize]
            .iter()
            .any(|w| *w > 0.0)
        {
            stranded |= 1 << k;
        }
    }
    stranded
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

#[inline(always)]
pub(crate) fn step(
    plan: &BalancerPlan,
    node: &NodePlan,
    st: &mut NodeState,
    channels: &mut [Channel],
    ctx: &TickCtx,
    stranded_classes: u8,
) {
    super::limit_rate(plan.rate_limit, st, channels, ctx.tick_s);
    admit(node, st, channels, ctx.now_s);
    // A class with no target in rotation (see `stranded_classes`) has nowhere to go.
    if stranded_classes != 0 {
        for c in channels.iter_mut() {
            if stranded_classes & (1 << c.class) != 0 {
                c.dropped += pending(c);
                c.rate_in = 0.0;
            }
        }
    }
    let capacity = f64::from(st.tick.healthy_instances) * plan.station.capacity_per_s();
    // The rate is the channels' own, filled in by serve().
    let station = group(plan, node, st, 0.0);
    serve(st, channels, capacity, station, ctx, true);
}
