//! One file per component kind: how it turns a tick's arrivals into served, dropped, waiting
//! and forwarded requests. Shared here: the tick context and the station step that load
//! balancers, servers, caches and CDNs have in common.

pub mod cache;
pub mod cdn;
pub mod client;
pub mod database;
pub mod load_balancer;
pub mod message_queue;
pub mod server;

use super::flow::{self, Counts};
use super::plan::NodePlan;
use super::state::NodeState;

/// What every kind's step may read about the tick.
pub(crate) struct TickCtx<'a> {
    pub now_s: f64,
    pub tick_s: f64,
    /// Profile × load multiplier at this tick.
    pub load: f64,
    /// Per route entry: this tick's weight (zero for a target with no instance in rotation).
    pub route_weight: &'a [f64],
}

/// Whether any link of the node carries the class.
pub(crate) fn has_route(node: &NodePlan, class: usize) -> bool {
    let (a, b) = node.routes[class];
    a < b
}

/// Health of a group this tick: (healthy instances, instances still routed to although dead,
/// instances routed to).
pub(crate) fn health(node: &NodePlan, st: &NodeState, now_s: f64) -> (u32, u32, u32) {
    let down = st.down_since.len() as u32;
    if down == 0 {
        return (node.instances, 0, node.instances);
    }
    let noticed = st.noticed_down(now_s, node.detection_delay_s);
    let healthy = node.instances.saturating_sub(down);
    let routable = node.instances.saturating_sub(noticed);
    (healthy, down - noticed.min(down), routable)
}

/// The arrivals that reach live instances: all of them, less the share that lands on
/// instances which are down but still routed to (dropped here). Scales the expected rates the
/// same way.
pub(crate) fn admit(node: &NodePlan, st: &mut NodeState, now_s: f64) -> Counts {
    let (healthy, routed_dead, routable) = health(node, st, now_s);
    st.tick.healthy_instances = healthy;
    st.tick.routed_dead_instances = routed_dead;
    let arrivals = st.tick.arrived;
    if routed_dead == 0 && routable > 0 {
        return arrivals;
    }
    let dead_share = if routable == 0 {
        1.0
    } else {
        f64::from(routed_dead) / f64::from(routable)
    };
    let doomed_total = flow::share(flow::total(&arrivals), dead_share, &mut st.doom_carry);
    let doomed = flow::split_proportional(doomed_total, &arrivals);
    let mut alive = arrivals;
    for k in 0..5 {
        alive[k] -= doomed[k];
        st.tick.dropped[k] += doomed[k];
        st.tick.rate_in_per_s[k] *= 1.0 - dead_share;
    }
    alive
}

/// The station step: serve up to capacity from the backlog and `alive` arrivals (shares by
/// class), keep the rest waiting up to what can be served within the timeout, drop the
/// overflow. Writes served, dropped, backlog, utilization into the node's tick and the
/// expected served rates into `fwd_rates`, from the expected arrival rates in
/// `tick.rate_in_per_s`.
pub(crate) fn serve(
    st: &mut NodeState,
    alive: &Counts,
    capacity_per_s: f64,
    timeout_s: f64,
    macro_backlog: f64,
    tick_s: f64,
) {
    let capacity = flow::whole(capacity_per_s * tick_s, &mut st.capacity_carry);
    let backlog_total = flow::total(&st.backlog);
    let arrived_total = flow::total(alive);
    let total = arrived_total + backlog_total;
    let served_total = total.min(capacity);
    if served_total == total {
        // Everything fits: the common case, without any splitting.
        for k in 0..5 {
            st.tick.served[k] += alive[k] + st.backlog[k];
        }
        st.backlog = [0; 5];
        st.tick.backlog = 0;
    } else {
        let mut available = st.backlog;
        for k in 0..5 {
            available[k] += alive[k];
        }
        let served = flow::split_proportional(served_total, &available);
        let mut left = available;
        for k in 0..5 {
            left[k] -= served[k];
        }
        let left_total = total - served_total;
        let limit = (capacity_per_s * timeout_s).max(0.0) as u64;
        let dropped_total = left_total.saturating_sub(limit);
        let dropped = flow::split_proportional(dropped_total, &left);
        for k in 0..5 {
            left[k] -= dropped[k];
            st.tick.served[k] += served[k];
            st.tick.dropped[k] += dropped[k];
        }
        st.backlog = left;
        st.tick.overflow_dropped += dropped_total;
        st.tick.backlog = left_total - dropped_total;
    }
    st.tick.capacity_per_s = capacity_per_s;
    let rate_in: f64 = st.tick.rate_in_per_s.iter().sum();
    if capacity_per_s > 0.0 {
        st.tick.utilization = (served_total as f64 / (capacity_per_s * tick_s)).min(1.0);
        st.tick.offered_utilization = rate_in / capacity_per_s;
    } else {
        st.tick.utilization = if total > 0 { 1.0 } else { 0.0 };
        st.tick.offered_utilization = if rate_in > 0.0 { f64::INFINITY } else { 0.0 };
    }
    // Expected served rate: arrivals plus the draining of a macroscopic backlog, up to capacity.
    let served_rate = (rate_in + macro_backlog / tick_s)
        .min(capacity_per_s)
        .max(0.0);
    if rate_in > 0.0 {
        let factor = served_rate / rate_in;
        for k in 0..5 {
            st.fwd_rates[k] = st.tick.rate_in_per_s[k] * factor;
        }
    } else if backlog_total > 0 {
        // Only an old backlog drains: pass its mix on.
        for k in 0..5 {
            st.fwd_rates[k] = served_rate * st.tick.served[k] as f64 / served_total.max(1) as f64;
        }
    }
}
