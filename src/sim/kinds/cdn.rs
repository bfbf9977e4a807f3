//! CDNs: the edge answers the static share it holds; misses and everything that is not static
//! go to the origin. Origin requests = N(1−f_static) + N·f_static·(1−h_edge).

use crate::model::{CdnParams, TrafficClass};
use crate::sim::flow;
use crate::sim::latency::GroupLoad;
use crate::sim::plan::{NodePlan, Spread, Station};
use crate::sim::state::NodeState;

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

pub(crate) fn group(plan: &CdnPlan, node: &NodePlan, st: &NodeState) -> GroupLoad {
    GroupLoad {
        station: plan.station,
        spread: Spread::Pooled,
        healthy: st.tick.healthy_instances,
        rate_per_s: st.tick.rate_in_per_s.iter().sum(),
        arrival_scv: node.arrival_scv,
    }
}

pub(crate) fn step(plan: &CdnPlan, node: &NodePlan, st: &mut NodeState, ctx: &TickCtx) {
    let alive = admit(node, st, ctx.now_s);
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
    st.tick.hit_ratio = Some(plan.edge_hit_ratio);
    let static_class = TrafficClass::Static.index();
    for k in 0..5 {
        let served = st.tick.served[k];
        let goes_on = if k == static_class {
            let hits = flow::share(served, plan.edge_hit_ratio, &mut st.class_carry[k]);
            st.fwd_rates[k] *= 1.0 - plan.edge_hit_ratio;
            served - hits
        } else {
            served
        };
        if has_route(node, k) {
            st.tick.forwarded[k] = goes_on;
        } else {
            st.tick.errors[k] += goes_on;
            st.fwd_rates[k] = 0.0;
        }
    }
}
