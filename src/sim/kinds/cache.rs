//! Caches: hits are answered here, misses (and writes, written through) go on downstream.
//! A dead instance's keys miss (its share bypasses to the store behind, which is how a cache
//! failure turns into a database surge); a restarted instance comes back cold and warms up.

use crate::model::{CacheParams, HitRatio, TrafficClass};
use crate::sim::flow;
use crate::sim::latency::GroupLoad;
use crate::sim::plan::{NodePlan, Spread, Station};
use crate::sim::queueing::che_lru_hit_ratio;
use crate::sim::state::{Channel, KindState, NodeState};

use super::{TickCtx, has_route, serve, share_of};

/// A cache's compiled parameters.
#[derive(Clone, Debug)]
pub(crate) struct CachePlan {
    pub station: Station,
    /// Steady-state hit ratio of a warm cache (given, or from Che's approximation).
    pub hit_ratio: f64,
    pub warmup_s: f64,
}

pub(crate) fn plan(p: &CacheParams) -> CachePlan {
    let hit_ratio = match &p.hit_ratio {
        HitRatio::Fixed(h) => *h,
        HitRatio::Lru {
            capacity_items,
            working_set_items,
            zipf_exponent,
        } => che_lru_hit_ratio(
            *capacity_items * f64::from(p.instances),
            *working_set_items,
            *zipf_exponent,
        ),
    };
    CachePlan {
        station: Station::from_capacity(
            p.capacity_per_s,
            p.latency_ms / 1000.0,
            1.0,
            p.timeout_ms / 1000.0,
        ),
        hit_ratio,
        warmup_s: p.warmup_s,
    }
}

/// Keys are spread over instances by hash: each instance is its own queue.
pub(crate) fn group(
    plan: &CachePlan,
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

/// How warm an instance started `age_s` ago is: 0 when just started, 95 % at `warmup_s`.
pub(crate) fn warmth(age_s: f64, warmup_s: f64) -> f64 {
    if warmup_s <= 0.0 {
        1.0
    } else {
        1.0 - (-3.0 * age_s.max(0.0) / warmup_s).exp()
    }
}

/// The hit ratio of the live instances now, counting their warmth.
pub(crate) fn current_hit_ratio(plan: &CachePlan, st: &NodeState, now_s: f64) -> f64 {
    let KindState::Cache { started_at_s } = &st.kind else {
        return plan.hit_ratio;
    };
    if started_at_s.is_empty() {
        return 0.0;
    }
    // Instances that have been up for ten warm-ups are as warm as they get.
    if started_at_s
        .iter()
        .all(|t| now_s - t > 10.0 * plan.warmup_s)
    {
        return plan.hit_ratio;
    }
    let warm: f64 = started_at_s
        .iter()
        .map(|t| warmth(now_s - t, plan.warmup_s))
        .sum();
    plan.hit_ratio * warm / started_at_s.len() as f64
}

/// Classes a cache can answer: reads and static files (sessions always, if it is the store).
fn is_cacheable(k: u8) -> bool {
    k == TrafficClass::Read.index() as u8 || k == TrafficClass::Static.index() as u8
}

#[inline(always)]
pub(crate) fn step(
    plan: &CachePlan,
    node: &NodePlan,
    st: &mut NodeState,
    channels: &mut [Channel],
    ctx: &TickCtx,
) {
    let down = st.down_since.len();
    let healthy = node.instances.saturating_sub(down);
    st.tick.healthy_instances = healthy;
    // Keys of dead instances bypass the cache: passed straight on, as misses.
    let bypass_share = f64::from(down.min(node.instances)) / f64::from(node.instances.max(1));
    let mut bypass_rates = [0.0; 5];
    if down > 0 {
        let bypass = share_of(channels, |c| c.arrived, bypass_share, &mut st.doom_carry);
        for (k, c) in channels.iter_mut().enumerate() {
            c.forwarded = bypass[k];
            bypass_rates[k] = c.rate_in * bypass_share;
            c.rate_in -= bypass_rates[k];
        }
    }
    let capacity = f64::from(healthy) * plan.station.capacity_per_s();
    // The rate is the channels' own, filled in by serve().
    let station = group(plan, node, st, 0.0);
    serve(st, channels, capacity, station, ctx, false);
    let hit_ratio = current_hit_ratio(plan, st, ctx.now_s);
    st.tick.hit_ratio = Some(hit_ratio);
    let session = TrafficClass::Session.index() as u8;
    for (k, c) in channels.iter_mut().enumerate() {
        // What serve() served from the cache; the bypass is already in `forwarded`.
        let from_cache = c.served;
        let misses = if c.class == session {
            c.fwd_rate = 0.0;
            0
        } else if is_cacheable(c.class) {
            let hits = flow::share(from_cache, hit_ratio, &mut c.carry);
            c.fwd_rate *= 1.0 - hit_ratio;
            from_cache - hits
        } else {
            from_cache
        };
        let bypass = c.forwarded;
        c.served += bypass;
        c.fwd_rate += bypass_rates[k];
        c.rate_in += bypass_rates[k];
        if has_route(node, c.class) {
            c.forwarded = misses + bypass;
        } else {
            // A miss with no store behind the cache cannot be answered.
            c.forwarded = 0;
            c.errors += misses + bypass;
            c.fwd_rate = 0.0;
        }
    }
}
