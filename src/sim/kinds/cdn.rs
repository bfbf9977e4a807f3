//! CDNs: the edge answers the static share it holds; misses and everything that is not static
//! go to the origin. Origin requests = N(1−f_static) + N·f_static·(1−h_edge).

use crate::model::{CdnParams, TrafficClass};
use crate::sim::flow;
use crate::sim::latency::GroupLoad;
use crate::sim::plan::{NodePlan, Spread, Station};
use crate::sim::state::{Channel, NodeState};

use super::{TickCtx, admit, has_route, serve};

/// A CDN's compiled parameters.
#[derive(Clone, Debug)]
pub(crate) struct CdnPlan {
    pub station: Station,
    pub edge_hit_ratio: f64,
}

pub(crate) fn plan(p: &CdnParams) -> CdnPlan {
    CdnPlan {
        // Edge latency is mostly distance, not work: a generous timeout of ten seconds.
        station: Station::from_capacity(
            p.edge_capacity_per_s,
            p.edge_latency_ms / 1000.0,
            1.0,
            10.0,
        ),
        edge_hit_ratio: p.edge_hit_ratio,
    }
}

pub(crate) fn group(plan: &CdnPlan, node: &NodePlan, st: &NodeState, rate_per_s: f64) -> GroupLoad {
    GroupLoad {
        station: plan.station,
        spread: Spread::Pooled,
        healthy: st.tick.healthy_instances,
        rate_per_s,
        arrival_scv: node.arrival_scv,
    }
}

#[inline(always)]
pub(crate) fn step(
    plan: &CdnPlan,
    node: &NodePlan,
    st: &mut NodeState,
    channels: &mut [Channel],
    ctx: &TickCtx,
) {
    admit(node, st, channels, ctx.now_s);
    let capacity = f64::from(st.tick.healthy_instances) * plan.station.capacity_per_s();
    // The rate is the channels' own, filled in by serve().
    let station = group(plan, node, st, 0.0);
    serve(st, channels, capacity, station, ctx, false);
    st.tick.hit_ratio = Some(plan.edge_hit_ratio);
    let static_class = TrafficClass::Static.index() as u8;
    for c in channels.iter_mut() {
        let goes_on = if c.class == static_class {
            let hits = flow::share(c.served, plan.edge_hit_ratio, &mut c.carry);
            c.fwd_rate *= 1.0 - plan.edge_hit_ratio;
            c.served - hits
        } else {
            c.served
        };
        if has_route(node, c.class) {
            c.forwarded = goes_on;
        } else {
            c.errors += goes_on;
            c.fwd_rate = 0.0;
        }
    }
}
