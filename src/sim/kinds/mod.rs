//! One file per component kind: how it turns a tick's arrivals into served, dropped, waiting
//! and forwarded requests, working on the node's channels (one per class that can reach it).
//! Shared here: the tick context, health, and the station step that load balancers, servers,
//! caches and CDNs have in common.

pub mod cache;
pub mod cdn;
pub mod client;
pub mod database;
pub mod load_balancer;
pub mod message_queue;
pub mod server;

use super::completions::completions;
use super::flow;
use super::latency::{GroupLoad, fluid_step};
use super::plan::{KindPlan, NodePlan};
use super::state::{Channel, NodeState};

/// What every kind's step may read about the tick.
pub(crate) struct TickCtx {
    /// The tick's number (it seeds the stations' completion draws).
    pub tick: u64,
    pub now_s: f64,
    pub tick_s: f64,
    /// Profile × load multiplier at this tick.
    pub load: f64,
}

/// Whether any link of the node carries the class.
pub(crate) fn has_route(node: &NodePlan, class: u8) -> bool {
    let (a, b) = node.routes[class as usize];
    a < b
}

/// Health of a group this tick: (healthy instances, instances still routed to although dead,
/// instances routed to).
pub(crate) fn health(node: &NodePlan, st: &NodeState, now_s: f64) -> (u32, u32, u32) {
    let down = st.down_since.len();
    let running = st.running(node);
    if down == 0 {
        return (running, 0, running);
    }
    let noticed = st.noticed_down(now_s, node.detection_delay_s);
    let healthy = running.saturating_sub(down);
    let routable = running.saturating_sub(noticed);
    (healthy, down - noticed.min(down), routable)
}

/// Requests of a channel still to be served this tick: arrived, less what was already dropped
/// (dead instances) or passed straight on (a cache's bypass).
#[inline]
pub(crate) fn pending(c: &Channel) -> u64 {
    c.arrived - c.dropped - c.forwarded
}

/// A `fraction` of the channels' `count`s in all (whole requests, the remainder carried in
/// `carry`), shared among the channels in proportion to their counts.
pub(crate) fn share_of(
    channels: &[Channel],
    count: impl Fn(&Channel) -> u64,
    fraction: f64,
    carry: &mut f64,
) -> flow::Counts {
    let mut counts = [0u64; 5];
    for (slot, c) in counts.iter_mut().zip(channels) {
        *slot = count(c);
    }
    let total = flow::share(flow::total(&counts), fraction, carry);
    flow::split_proportional(total, &counts[..channels.len()])
}

/// A token bucket in front of the node (`limit`): of the tick's arrivals it admits as many as
/// its tokens and the tick's refill allow, and turns the rest away (into each channel's
/// `dropped` and the node's `rejected`, in proportion to what each brought). The refill is
/// spread over the tick like the arrivals, so a tick's worth of the rate always gets in;
/// bursts shorter than a tick are not seen (the events engine sees them). The expected rates
/// the formulas take are cut to what the bucket passes in the long run.
#[inline]
pub(crate) fn limit_rate(
    limit: Option<crate::model::RateLimit>,
    st: &mut NodeState,
    channels: &mut [Channel],
    tick_s: f64,
) {
    let Some(limit) = limit else {
        return;
    };
    let arrived: u64 = channels.iter().map(|c| c.arrived - c.dropped).sum();
    // The bucket keeps its deficit below full (a new bucket is full).
    let available = (limit.burst - st.token_deficit) + limit.rate_per_s * tick_s;
    let admitted = arrived.min(flow::floor_count(available.max(0.0)));
    st.token_deficit = (limit.burst - (available - flow::count_f64(admitted))).max(0.0);
    let rejected = arrived - admitted;
    if rejected > 0 {
        let mut counts = [0u64; 5];
        for (slot, c) in counts.iter_mut().zip(channels.iter()) {
            *slot = c.arrived - c.dropped;
        }
        let shares = flow::split_proportional(rejected, &counts[..channels.len()]);
        for (c, r) in channels.iter_mut().zip(shares) {
            c.dropped += r;
        }
        st.tick.rejected += rejected;
    }
    let rate_in = rate_of(channels);
    if rate_in > limit.rate_per_s {
        let factor = limit.rate_per_s / rate_in;
        for c in channels.iter_mut() {
            c.rate_in *= factor;
        }
    }
}

/// Drop the share of arrivals that lands on instances which are down but still routed to
/// (into each channel's `dropped`), and scale the expected rates the same way.
#[inline]
pub(crate) fn admit(node: &NodePlan, st: &mut NodeState, channels: &mut [Channel], now_s: f64) {
    if st.down_since.is_empty() && st.parked == 0 && node.instances > 0 {
        // Every instance up: the usual case, with nothing to drop.
        st.tick.healthy_instances = node.instances;
        st.tick.routed_dead_instances = 0;
        return;
    }
    admit_with_instances_down(node, st, channels, now_s);
}

#[cold]
fn admit_with_instances_down(
    node: &NodePlan,
    st: &mut NodeState,
    channels: &mut [Channel],
    now_s: f64,
) {
    let (healthy, routed_dead, routable) = health(node, st, now_s);
    st.tick.healthy_instances = healthy;
    st.tick.routed_dead_instances = routed_dead;
    if routed_dead == 0 && routable > 0 {
        return;
    }
    let dead_share = if routable == 0 {
        1.0
    } else {
        f64::from(routed_dead) / f64::from(routable)
    };
    // What a rate limiter turned away never reached an instance.
    let doomed = share_of(
        channels,
        |c| c.arrived - c.dropped,
        dead_share,
        &mut st.doom_carry,
    );
    for (c, d) in channels.iter_mut().zip(doomed) {
        c.dropped += d;
        c.rate_in *= 1.0 - dead_share;
    }
}

/// The station step: complete up to what the tick's capacity allows from each channel's
/// backlog and pending arrivals (in proportion), keep the rest waiting up to what can be
/// served within the timeout, drop the overflow. Writes served, dropped and backlog per
/// channel, the node's utilization and capacity, and the expected served rates (`fwd_rate`)
/// from the expected arrival rates and the node's fluid backlog. `station` is the node's
/// queueing model (its rate is taken from the channels here); it gives the timeout and the
/// service's variability. With `pass_on`, everything served is also forwarded (balancers,
/// servers).
///
/// Completions vary from tick to tick as the service distribution says (see `completions`);
/// the busy servers are all of them once as many requests wait, else one per request.
///
/// Always inlined: it is the hot path of four kinds, and inlined each copy drops the station
/// model it does not need on the common path (2 % fewer instructions a tick, measured).
#[inline(always)]
pub(crate) fn serve(
    st: &mut NodeState,
    channels: &mut [Channel],
    capacity_per_s: f64,
    mut station: GroupLoad,
    ctx: &TickCtx,
    pass_on: bool,
) {
    let tick_s = ctx.tick_s;
    let mut total = 0u64;
    let mut backlog_total = 0u64;
    let mut rate_in = 0.0;
    for c in channels.iter() {
        total += pending(c) + c.backlog;
        backlog_total += c.backlog;
        rate_in += c.rate_in;
    }
    station.rate_per_s = rate_in;
    let servers = f64::from(station.healthy) * f64::from(station.station.servers.max(1));
    let waiting = flow::count_f64(total);
    let busy_servers_share = if waiting >= servers {
        1.0
    } else {
        waiting / servers
    };
    let capacity = completions(
        capacity_per_s * tick_s * busy_servers_share,
        station.station.service_scv,
        total,
        &mut st.capacity_carry,
        st.service_seed,
        ctx.tick,
    );
    let served_total = total.min(capacity);
    let timeout_s = station.station.timeout_s;
    // Expected served rate: arrivals plus the draining of a fluid backlog, up to capacity.
    let served_rate = fluid_step(
        &mut st.fluid_backlog,
        rate_in,
        capacity_per_s,
        tick_s,
        capacity_per_s * timeout_s,
    );
    st.fluid_delay_s = if capacity_per_s > 0.0 {
        st.fluid_backlog / capacity_per_s
    } else {
        0.0
    };
    st.tick.capacity_per_s = capacity_per_s;
    if capacity_per_s > 0.0 {
        let work = flow::count_f64(served_total) / (capacity_per_s * tick_s);
        set_busy(st, work, station.station.service_mean_s / tick_s);
        st.tick.offered_utilization = rate_in / capacity_per_s;
    } else {
        let work = if total > 0 { 1.0 } else { 0.0 };
        set_busy(st, work, 0.0);
        st.tick.offered_utilization = if rate_in > 0.0 { f64::INFINITY } else { 0.0 };
    }
    if served_total == total && (rate_in > 0.0 || backlog_total == 0) {
        // Everything fits: the common case, in one pass and without any splitting.
        let factor = if rate_in > 0.0 {
            served_rate / rate_in
        } else {
            0.0
        };
        for c in channels.iter_mut() {
            c.served += pending(c) + c.backlog;
            c.backlog = 0;
            c.fwd_rate = c.rate_in * factor;
            if pass_on {
                c.forwarded = c.served;
            }
        }
        st.tick.backlog = 0;
        return;
    }
    if served_total == total {
        for c in channels.iter_mut() {
            c.served += pending(c) + c.backlog;
            c.backlog = 0;
        }
        st.tick.backlog = 0;
    } else {
        let n = channels.len();
        let mut available = [0u64; 5];
        for (slot, c) in available.iter_mut().zip(channels.iter()) {
            *slot = pending(c) + c.backlog;
        }
        let served = flow::split_proportional(served_total, &available[..n]);
        let mut left = [0u64; 5];
        for k in 0..n {
            left[k] = available[k] - served[k];
        }
        let left_total = total - served_total;
        let limit = flow::floor_count((capacity_per_s * timeout_s).max(0.0));
        let dropped_total = left_total.saturating_sub(limit);
        let dropped = flow::split_proportional(dropped_total, &left[..n]);
        for (k, c) in channels.iter_mut().enumerate() {
            c.served += served[k];
            c.dropped += dropped[k];
            c.backlog = left[k] - dropped[k];
        }
        st.tick.overflow_dropped += dropped_total;
        st.tick.backlog = left_total - dropped_total;
    }
    if rate_in > 0.0 {
        let factor = served_rate / rate_in;
        for c in channels.iter_mut() {
            c.fwd_rate = c.rate_in * factor;
        }
    } else if backlog_total > 0 {
        // Only an old backlog drains: pass its mix on.
        for c in channels.iter_mut() {
            c.fwd_rate =
                served_rate * flow::count_f64(c.served) / flow::count_f64(served_total.max(1));
        }
    }
    if pass_on {
        for c in channels.iter_mut() {
            c.forwarded = c.served;
        }
    }
}

/// The tick's utilization from the work completed (`work`: completions ÷ what the tick's
/// capacity allows, the utilization law's U = X·S for this tick, unclipped).
///
/// Two shares come from it. The run's sums take `busy`: the work spread forward over as many
/// ticks as it fills, none of it dropped, so its mean over a long run is X·S at any tick length
/// while no window can be busier than its length. (A 10,000 s read completed in a single
/// measured 60 s tick is 167 ticks' work: the tick was busy throughout, not 16,700 %.) The
/// tick's own `utilization`, for the plots, spreads work only as long as one service lasts
/// (`spill_ticks`, in ticks): at 1 ms ticks a 10 ms request keeps its server busy through ten
/// of them; beyond that the excess is a fast draw of the service times, not work still to do.
#[inline]
pub(crate) fn set_busy(st: &mut NodeState, work: f64, spill_ticks: f64) {
    let owed = st.work_carry + work;
    st.tick.busy = owed.min(1.0);
    st.work_carry = owed - st.tick.busy;
    let total = st.busy_carry + work;
    st.tick.utilization = total.min(1.0);
    st.busy_carry = (total - 1.0).clamp(0.0, spill_ticks.max(0.0));
}

/// Expected arrival rate of all channels.
#[inline]
pub(crate) fn rate_of(channels: &[Channel]) -> f64 {
    channels.iter().map(|c| c.rate_in).sum()
}

/// What one instance of a component can serve a second (a database's: one copy's reads; a
/// message queue's: one broker's intake): what least-loaded balancing weighs targets by, in
/// both engines.
pub(crate) fn instance_capacity_per_s(kind: &KindPlan) -> f64 {
    match kind {
        KindPlan::Client(_) => 0.0,
        KindPlan::LoadBalancer(p) => p.station.capacity_per_s(),
        KindPlan::Server(p) => p.station.capacity_per_s(),
        KindPlan::Cache(p) => p.station.capacity_per_s(),
        KindPlan::Database(p) => database::instance_capacity_per_s(p),
        KindPlan::MessageQueue(p) => p.broker.capacity_per_s(),
        KindPlan::Cdn(p) => p.station.capacity_per_s(),
    }
}

/// The queueing model of node `i` (not a database's or a client's) fed at `rate_per_s`,
/// every instance up (an autoscaled tier's: as many as its policy settles at for the rate):
/// the station and spread its kind gives it in a run.
pub(crate) fn group_at(
    plan: &crate::sim::plan::Plan,
    i: usize,
    rate_per_s: f64,
) -> Option<crate::sim::latency::GroupLoad> {
    let node = &plan.nodes[i];
    let mut st = NodeState::new(crate::sim::state::KindState::Stateless, 0);
    st.tick.healthy_instances = node.instances;
    // An autoscaled tier at the instances its policy settles at under this rate.
    if let KindPlan::Server(p) = &node.kind
        && let Some(config) = &p.autoscale
    {
        let per_instance = p.station.capacity_per_s();
        let busy = if per_instance > 0.0 {
            rate_per_s / per_instance
        } else {
            0.0
        };
        st.tick.healthy_instances =
            crate::sim::autoscale::settled_instances(config, p.start_instances, busy);
    }
    Some(match &node.kind {
        KindPlan::LoadBalancer(p) => load_balancer::group(p, node, &st, rate_per_s),
        KindPlan::Server(p) => server::group(p, node, &st, rate_per_s),
        KindPlan::Cache(p) => cache::group(p, node, &st, rate_per_s),
        KindPlan::Cdn(p) => cdn::group(p, node, &st, rate_per_s),
        KindPlan::MessageQueue(p) => message_queue::group(p, node, &st, rate_per_s),
        KindPlan::Client(_) | KindPlan::Database(_) => return None,
    })
}
