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

use super::flow::{self, Counts, Rates};
use super::plan::{NodePlan, RouteEntry};
use super::state::NodeState;

/// What every kind's step may read about the tick.
pub(crate) struct TickCtx<'a> {
    pub now_s: f64,
    pub tick_s: f64,
    /// Profile × load multiplier at this tick.
    pub load: f64,
    /// Per node: instances the balancers in front still route to.
    pub routable: &'a [u32],
    pub routes: &'a [RouteEntry],
}

/// What a node passes on this tick.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Output {
    pub forward: Counts,
    pub forward_rates: Rates,
    /// Servers: session-store lookups.
    pub session: u64,
    pub session_rate: f64,
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
    let noticed = st.noticed_down(now_s, node.detection_delay_s);
    let healthy = node.instances.saturating_sub(down);
    let routable = node.instances.saturating_sub(noticed);
    (healthy, down - noticed.min(down), routable)
}

/// Drop the share of arrivals that lands on instances which are down but still routed to.
/// Returns the arrivals and rates that reach live instances.
pub(crate) fn drop_dead_share(
    node: &NodePlan,
    st: &mut NodeState,
    arrivals: Counts,
    rates: Rates,
    now_s: f64,
) -> (Counts, Rates) {
    let (healthy, routed_dead, routable) = health(node, st, now_s);
    st.tick.healthy_instances = healthy;
    st.tick.routed_dead_instances = routed_dead;
    if routed_dead == 0 && routable > 0 {
        return (arrivals, rates);
    }
    let dead_share = if routable == 0 {
        1.0
    } else {
        f64::from(routed_dead) / f64::from(routable)
    };
    let total = flow::total(&arrivals);
    let doomed_total = flow::share(total, dead_share, &mut st.doom_carry);
    let doomed = flow::split_proportional(doomed_total, &arrivals);
    let mut alive = arrivals;
    for k in 0..5 {
        alive[k] -= doomed[k];
        st.tick.dropped[k] += doomed[k];
    }
    let live_rates = rates.map(|r| r * (1.0 - dead_share));
    (alive, live_rates)
}

/// The station step: serve up to capacity from backlog and arrivals (shares by class), keep
/// the rest waiting up to what can be served within the timeout, drop the overflow.
/// Records served, dropped, backlog, utilization and rates in the node's tick, and returns the
/// served counts and the expected served rates.
pub(crate) fn serve(
    st: &mut NodeState,
    arrivals: Counts,
    rates: Rates,
    capacity_per_s: f64,
    timeout_s: f64,
    macro_backlog: f64,
    tick_s: f64,
) -> (Counts, Rates) {
    let backlog_before = st.backlog;
    let mut available = arrivals;
    for k in 0..5 {
        available[k] += backlog_before[k];
    }
    let total = flow::total(&available);
    let capacity_exact = capacity_per_s * tick_s + st.capacity_carry;
    let capacity = capacity_exact.floor().max(0.0);
    st.capacity_carry = if capacity_per_s > 0.0 {
        capacity_exact - capacity
    } else {
        0.0
    };
    let capacity = capacity as u64;
    let served_total = total.min(capacity);
    let served = flow::split_proportional(served_total, &available);
    let mut left = available;
    for k in 0..5 {
        left[k] -= served[k];
    }
    let left_total = total - served_total;
    let limit = (capacity_per_s * timeout_s).floor().max(0.0) as u64;
    let dropped_total = left_total.saturating_sub(limit);
    let dropped = flow::split_proportional(dropped_total, &left);
    for k in 0..5 {
        left[k] -= dropped[k];
        st.tick.served[k] += served[k];
        st.tick.dropped[k] += dropped[k];
    }
    st.tick.overflow_dropped += dropped_total;
    st.backlog = left;
    st.tick.backlog = left_total - dropped_total;
    st.tick.capacity_per_s = capacity_per_s;
    st.tick.utilization = if capacity_per_s > 0.0 {
        (served_total as f64 / (capacity_per_s * tick_s)).min(1.0)
    } else if total > 0 {
        1.0
    } else {
        0.0
    };
    let rate_in: f64 = rates.iter().sum();
    st.tick.rate_in_per_s = rates;
    st.tick.offered_utilization = if capacity_per_s > 0.0 {
        rate_in / capacity_per_s
    } else if rate_in > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    // Expected served rate: arrivals plus the draining of a macroscopic backlog, up to capacity.
    let served_rate = (rate_in + macro_backlog / tick_s)
        .min(capacity_per_s)
        .max(0.0);
    let served_rates = if rate_in > 0.0 {
        let factor = served_rate / rate_in;
        rates.map(|r| r * factor)
    } else {
        let held: u64 = backlog_before.iter().sum();
        if held == 0 {
            [0.0; 5]
        } else {
            backlog_before.map(|b| served_rate * b as f64 / held as f64)
        }
    };
    (served, served_rates)
}
