//! Message queues: brokers accept messages up to their capacity; consumers drain the backlog
//! at their rate; the backlog grows at λ − μ while arrivals outpace them, and a full queue
//! drops new messages. Producers only wait for the enqueue.

use crate::model::QueueParams;
use crate::sim::completions::completions;
use crate::sim::flow;
use crate::sim::latency::{GroupLoad, fluid_step};
use crate::sim::plan::{NodePlan, Spread, Station};
use crate::sim::state::{Channel, KindState, NodeState};

use super::{TickCtx, admit, has_route, pending, set_busy};

/// A queue's compiled parameters.
#[derive(Clone, Debug)]
pub(crate) struct QueuePlan {
    /// One broker instance accepting messages.
    pub broker: Station,
    /// All consumers together (an autoscaled group's most: those not running are parked,
    /// see `KindState::MessageQueue`).
    pub consumers: Station,
    pub max_depth: u64,
    /// The consumers' autoscaling, and the consumers it starts with.
    pub autoscale: Option<crate::model::Autoscaling>,
    pub start_consumers: u32,
}

pub(crate) fn plan(p: &QueueParams) -> QueuePlan {
    QueuePlan {
        // A broker takes or refuses a message at once: no timeout bounds its producers' wait.
        broker: Station::from_capacity(p.capacity_per_s, p.latency_ms / 1000.0, 1.0, f64::INFINITY),
        consumers: Station {
            servers: p.autoscale.map_or(p.consumers, |a| a.max_instances),
            rate_per_server_s: p.consumer_rate_per_s,
            service_mean_s: 1.0 / p.consumer_rate_per_s,
            service_scv: p.consumer_service_scv,
            timeout_s: f64::INFINITY,
        },
        max_depth: p.max_depth,
        autoscale: p.autoscale,
        start_consumers: p.consumers,
    }
}

/// Messages a second the consumers running now drain: all of them but an autoscaled group's
/// parked ones.
fn drain_capacity_per_s(plan: &QueuePlan, parked_consumers: u32) -> f64 {
    f64::from(plan.consumers.servers.saturating_sub(parked_consumers))
        * plan.consumers.rate_per_server_s
}

/// The producers' view: the brokers' enqueue station.
pub(crate) fn group(
    plan: &QueuePlan,
    node: &NodePlan,
    st: &NodeState,
    rate_per_s: f64,
) -> GroupLoad {
    GroupLoad {
        station: plan.broker,
        spread: Spread::Pooled,
        healthy: st.tick.healthy_instances,
        rate_per_s,
        arrival_scv: node.arrival_scv,
    }
}

/// How long the newest message waits for a consumer: backlog ÷ drain rate.
pub(crate) fn message_wait_s(plan: &QueuePlan, backlog: f64) -> f64 {
    let drain = plan.consumers.capacity_per_s();
    if drain > 0.0 {
        backlog / drain
    } else {
        f64::INFINITY
    }
}

#[inline(always)]
pub(crate) fn step(
    plan: &QueuePlan,
    node: &NodePlan,
    st: &mut NodeState,
    channels: &mut [Channel],
    ctx: &TickCtx,
) {
    admit(node, st, channels, ctx.now_s);
    let healthy = st.tick.healthy_instances;
    let service_seed = st.service_seed;
    let KindState::MessageQueue {
        accept_carry,
        drain_carry,
        parked_consumers,
    } = &mut st.kind
    else {
        return;
    };
    let consumers_running = plan.consumers.servers.saturating_sub(*parked_consumers);
    let n = channels.len();
    let mut alive = [0u64; 5];
    let mut queued = [0u64; 5];
    let mut rate_sum = 0.0;
    for (k, c) in channels.iter().enumerate() {
        alive[k] = pending(c);
        queued[k] = c.backlog;
        rate_sum += c.rate_in;
    }
    // Accept up to the brokers' capacity; the rest is refused at once.
    let accept_rate = f64::from(healthy) * plan.broker.capacity_per_s();
    let accept = flow::whole(accept_rate * ctx.tick_s, accept_carry);
    let offered = flow::total(&alive);
    let accepted_total = offered.min(accept);
    let accepted = flow::split_proportional(accepted_total, &alive[..n]);
    // Consumers drain while a broker is up; each works on one message at a time.
    let drain_rate = if healthy > 0 {
        drain_capacity_per_s(plan, *parked_consumers)
    } else {
        0.0
    };
    for k in 0..n {
        queued[k] += accepted[k];
    }
    let queued_total = flow::total(&queued);
    let consumers = f64::from(consumers_running.max(1));
    let busy_share = (flow::count_f64(queued_total) / consumers).min(1.0);
    let drain = completions(
        drain_rate * ctx.tick_s * busy_share,
        plan.consumers.service_scv,
        queued_total,
        drain_carry,
        service_seed,
        ctx.tick,
    );
    let served_total = queued_total.min(drain);
    let served = flow::split_proportional(served_total, &queued[..n]);
    let mut left = [0u64; 5];
    for k in 0..n {
        left[k] = queued[k] - served[k];
    }
    let left_total = queued_total - served_total;
    let overflow_total = left_total.saturating_sub(plan.max_depth);
    st.tick.overflow_dropped += overflow_total + (offered - accepted_total);
    let overflow = flow::split_proportional(overflow_total, &left[..n]);
    st.tick.backlog = left_total - overflow_total;
    st.tick.capacity_per_s = drain_rate;
    let work = if drain_rate > 0.0 {
        flow::count_f64(served_total) / (drain_rate * ctx.tick_s)
    } else if queued_total > 0 {
        1.0
    } else {
        0.0
    };
    set_busy(st, work, plan.consumers.service_mean_s / ctx.tick_s);
    let accepted_rate = rate_sum.min(accept_rate);
    st.tick.offered_utilization = if drain_rate > 0.0 {
        accepted_rate / drain_rate
    } else if accepted_rate > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    // Consumers work at the arrival rate, or flat out while a fluid backlog waits (see
    // `latency`): the expected rate they pass on.
    let consumed_rate = fluid_step(
        &mut st.fluid_backlog,
        accepted_rate,
        drain_rate,
        ctx.tick_s,
        plan.max_depth as f64,
    );
    for (k, c) in channels.iter_mut().enumerate() {
        c.dropped += alive[k] - accepted[k] + overflow[k];
        c.served += served[k];
        c.backlog = left[k] - overflow[k];
        // Without a link for the class, the consumers do the work themselves.
        if has_route(node, c.class) {
            c.forwarded = served[k];
            c.fwd_rate = if rate_sum > 0.0 {
                c.rate_in * consumed_rate / rate_sum
            } else if served_total > 0 {
                consumed_rate * flow::count_f64(served[k]) / flow::count_f64(served_total)
            } else {
                0.0
            };
        }
    }
}
