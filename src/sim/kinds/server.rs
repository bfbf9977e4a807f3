//! Application servers: capacity from instance size through the Universal Scalability Law;
//! in-memory sessions break behind a balancer that is not sticky; stateless servers may look
//! sessions up in a shared store (their `Session` links).

use crate::model::{ServerParams, SessionState};
use crate::sim::latency::GroupLoad;
use crate::sim::plan::{NodePlan, Spread, Station, effective_cores};
use crate::sim::state::{Channel, KindState, NodeState};

use super::{TickCtx, admit, serve, share_of};

/// A server tier's compiled parameters.
#[derive(Clone, Debug)]
pub(crate) struct ServerPlan {
    /// One instance: as many servers as the USL's effective cores (rounded up), each slowed
    /// just enough that together they do exactly the effective cores' worth of work. So an
    /// idle request takes about its service time, and the machine queues like `eff` cores.
    pub station: Station,
    pub stateful: bool,
    /// A token bucket in front of the tier.
    pub rate_limit: Option<crate::model::RateLimit>,
    /// Autoscaling, and the instances it starts with (the plan's node counts its most).
    pub autoscale: Option<crate::model::Autoscaling>,
    pub start_instances: u32,
}

pub(crate) fn plan(p: &ServerParams, vcpu: u32) -> ServerPlan {
    let effective = effective_cores(vcpu, p.contention, p.coherency);
    let service_s = p.service_time_ms / 1000.0;
    ServerPlan {
        station: Station::from_effective_cores(
            effective,
            service_s,
            p.service_scv,
            p.timeout_ms / 1000.0,
        ),
        stateful: p.sessions == SessionState::InMemory,
        rate_limit: p.rate_limit,
        autoscale: p.autoscale,
        start_instances: p.instances,
    }
}

pub(crate) fn group(
    plan: &ServerPlan,
    node: &NodePlan,
    st: &NodeState,
    rate_per_s: f64,
) -> GroupLoad {
    GroupLoad {
        station: plan.station,
        spread: node.spread,
        healthy: st.tick.healthy_instances,
        rate_per_s,
        arrival_scv: node.arrival_scv,
    }
}

/// With sticky sessions, users are pinned: the hottest instance carries more than its share.
/// Expected largest share of `users` spread at random over `n` instances (normal
/// approximation of the multinomial maximum), as a multiple of the even share.
pub(crate) fn sticky_hot_factor(users: f64, n: u32) -> f64 {
    if n <= 1 || users <= 0.0 {
        return 1.0;
    }
    let n = f64::from(n);
    let p = 1.0 / n;
    let sd = (p * (1.0 - p) / users).sqrt();
    ((p + (2.0 * n.ln()).sqrt() * sd) / p).min(n)
}

/// Users pinned to failed instances of a sticky, stateful tier lose their sessions: their
/// next request (about users ÷ request rate seconds away) fails.
pub(crate) fn on_failure(
    plan: &ServerPlan,
    node: &NodePlan,
    st: &mut NodeState,
    rate: f64,
    failed: u32,
    healthy_before: u32,
    now_s: f64,
) {
    if !plan.stateful || node.spread != Spread::Sticky || healthy_before == 0 {
        return;
    }
    let think_s = if rate > 0.0 {
        node.users_upstream / rate
    } else {
        0.0
    };
    if let KindState::Server {
        session_loss_until_s,
        session_loss_share,
    } = &mut st.kind
    {
        *session_loss_share = (f64::from(failed) / f64::from(healthy_before)).min(1.0);
        *session_loss_until_s = now_s + node.detection_delay_s.min(3600.0) + think_s.min(3600.0);
    }
}

#[inline(always)]
pub(crate) fn step(
    plan: &ServerPlan,
    node: &NodePlan,
    st: &mut NodeState,
    channels: &mut [Channel],
    ctx: &TickCtx,
) {
    super::limit_rate(plan.rate_limit, st, channels, ctx.tick_s);
    admit(node, st, channels, ctx.now_s);
    let healthy = st.tick.healthy_instances;
    let mut capacity = f64::from(healthy) * plan.station.capacity_per_s();
    if node.spread == Spread::Sticky {
        capacity /= sticky_hot_factor(node.users_upstream * ctx.load, healthy);
    }
    // The rate is the channels' own, filled in by serve().
    let station = group(plan, node, st, 0.0);
    serve(st, channels, capacity, station, ctx, true);
    if plan.stateful {
        // Lost sessions: the request reaches an instance that does not hold the user's session.
        let routable = st
            .running(node)
            .saturating_sub(st.noticed_down(ctx.now_s, node.detection_delay_s));
        let error_share = if node.spread == Spread::Sticky {
            match st.kind {
                KindState::Server {
                    session_loss_until_s,
                    session_loss_share,
                } if ctx.now_s < session_loss_until_s => session_loss_share,
                _ => 0.0,
            }
        } else if routable > 1 {
            1.0 - 1.0 / f64::from(routable)
        } else {
            0.0
        };
        if error_share > 0.0 {
            let errors = share_of(channels, |c| c.served, error_share, &mut st.error_carry);
            for (c, e) in channels.iter_mut().zip(errors) {
                c.errors += e;
                c.forwarded -= e;
                c.fwd_rate *= 1.0 - error_share;
            }
        }
    }
}
