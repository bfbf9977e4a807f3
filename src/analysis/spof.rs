//! Single points of failure, two ways. Structurally: a component with no spare instance whose
//! loss cuts some client off from what its requests need (every call of a fan-out, any one
//! branch of a split; a cache's loss only turns hits into misses; a queue decouples its
//! producers from what consumes). And by simulation (N−1): lose one instance of each component
//! in turn for a stretch of the scenario and rank them by the success ratio that is left.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{
    ComponentId, ComponentKind, Design, KindName, PriceTable, Scenario, ScheduledFailure,
    SessionState, TrafficClass,
};
use crate::sim::{RequestTotals, RunOptions, SimError, Simulation};

/// Whether losing one instance of the component leaves none to take over.
pub fn has_no_spare(kind: &ComponentKind) -> bool {
    match kind {
        ComponentKind::Client(_) => false,
        // A CDN is a managed service spread over many points of presence.
        ComponentKind::Cdn(_) => false,
        // Losing a cache turns hits into misses, which cuts nothing off — unless nothing is
        // behind it (a session store); that is decided by the path check.
        ComponentKind::Cache(p) => p.instances == 1,
        ComponentKind::Database(p) => p.instances == 1 && !p.standby,
        other => other.instances() == 1,
    }
}

/// Components with no spare whose loss cuts a client off from a class it sends.
pub fn structural_spofs(design: &Design) -> Vec<ComponentId> {
    let clients: Vec<_> = design.of_kind(KindName::Client).collect();
    let mut out = Vec::new();
    for (id, component) in design.components() {
        if !has_no_spare(&component.kind) {
            continue;
        }
        let cuts_off = clients.iter().any(|&client| {
            let Some(ComponentKind::Client(p)) = design.component(client).map(|c| &c.kind) else {
                return false;
            };
            TrafficClass::ALL
                .iter()
                .filter(|class| p.mix.share(**class) > 0.0)
                .any(|&class| !succeeds_without(design, client, class, id, &mut HashMap::new()))
        });
        if cuts_off {
            out.push(id);
        }
    }
    out
}

/// Whether a request of `class` arriving at `node` can succeed with `lost` gone.
fn succeeds_without(
    design: &Design,
    node: ComponentId,
    class: TrafficClass,
    lost: ComponentId,
    memo: &mut HashMap<(ComponentId, TrafficClass), bool>,
) -> bool {
    if let Some(&known) = memo.get(&(node, class)) {
        return known;
    }
    // Guard against (async) loops: assume success while the answer is being worked out.
    memo.insert((node, class), true);
    let Some(component) = design.component(node) else {
        return false;
    };
    let kind = component.kind.name();
    let next: Vec<ComponentId> = design
        .outgoing(node)
        .filter(|(_, _, l)| l.carries(class))
        .map(|(_, t, _)| t)
        .collect();
    let answer = if node == lost && kind != KindName::Cache {
        false
    } else {
        match kind {
            KindName::Database => true,
            KindName::MessageQueue => true,
            KindName::Server => {
                let sessions: Vec<ComponentId> = design
                    .outgoing(node)
                    .filter(|(_, _, l)| l.carries(TrafficClass::Session))
                    .map(|(_, t, _)| t)
                    .collect();
                next.iter()
                    .all(|&t| succeeds_without(design, t, class, lost, memo))
                    && sessions
                        .iter()
                        .all(|&t| succeeds_without(design, t, TrafficClass::Session, lost, memo))
            }
            // Hits are answered here; what misses must get through.
            KindName::Cache | KindName::Cdn if next.is_empty() => node != lost,
            _ => {
                if next.is_empty() {
                    kind != KindName::Client && kind != KindName::LoadBalancer
                } else {
                    next.iter()
                        .any(|&t| succeeds_without(design, t, class, lost, memo))
                }
            }
        }
    };
    memo.insert((node, class), answer);
    answer
}

/// What losing one instance of a component does to the success ratio.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailureImpact {
    pub name: String,
    #[serde(skip)]
    pub id: ComponentId,
    /// Success ratio while one instance (or the only one) is down, once health checks and
    /// failover have done what they can.
    pub success_ratio_when_failed: f64,
    /// Success ratio from the failure on, including the time until it was noticed or failed over.
    pub success_ratio_including_failover: f64,
    /// The same stretch without the failure.
    pub success_ratio_baseline: f64,
    /// Instances lost in the test (one; all, if the component has only one).
    pub instances_lost: u32,
    /// A stateful server whose lost instance logged its users out: a partial failure.
    pub logs_users_out: bool,
}

/// Ticks the N−1 runs measure after failover has settled (at least a minute of them).
pub const N_MINUS_ONE_SETTLED_TICKS: u64 = 450;

/// Of the requests that came to an end in a stretch of a run, or piled up in it, the share
/// that succeeded: succeeded ÷ (succeeded + failed + the growth of what is in flight). A lost
/// instance that only makes requests queue without end is as bad as one that fails them.
fn completed_share(window: &RequestTotals) -> f64 {
    let succeeded = window.succeeded.max(0.0);
    let ended = succeeded + window.failed.max(0.0) + window.in_flight.max(0.0);
    if ended > 0.0 {
        (succeeded / ended).min(1.0)
    } else {
        1.0
    }
}

/// Seconds until every balancer has noticed a dead instance and every database has promoted
/// a replica: after this, a lost instance's effect is what remains.
pub fn settle_s(design: &Design) -> f64 {
    design
        .components()
        .map(|(_, c)| match &c.kind {
            ComponentKind::LoadBalancer(p) => p.detection_delay_s(),
            ComponentKind::Database(p) => p.failover_s,
            _ => 0.0,
        })
        .fold(0.0, f64::max)
}

/// Run the N−1 test: for each component (clients aside), lose one instance (the only one, if
/// it has one) a stretch into the scenario, and measure the success ratio from when failover
/// has settled to the end. Ranked from the worst.
pub fn failure_impact(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    load_multiplier: f64,
    seed: u64,
) -> Result<Vec<FailureImpact>, SimError> {
    let tick_s = scenario.tick_s;
    let fail_tick = ((60.0 / tick_s).ceil() as u64).max(10);
    let settled_tick = fail_tick + ((settle_s(design) / tick_s).ceil() as u64) + 5;
    let ticks = settled_tick + N_MINUS_ONE_SETTLED_TICKS.max((60.0 / tick_s).ceil() as u64);
    let at_s = fail_tick as f64 * tick_s;
    let window = |extra: Option<ScheduledFailure>| -> Result<(f64, f64, u64), SimError> {
        let mut s = scenario.clone();
        s.failures = extra.into_iter().collect();
        s.random_failures = false;
        let options = RunOptions {
            seed: Some(seed),
            ticks: Some(ticks),
            load_multiplier: Some(
                load_multiplier / scenario.load_multiplier.max(f64::MIN_POSITIVE),
            ),
            samples_per_tick: Some(1),
            keep_history: false,
            live_latency: false,
        };
        let mut sim = Simulation::with_options(design, &s, prices, options)?;
        let (mut at_failure, mut at_settled) = (RequestTotals::default(), None);
        let mut errors = 0u64;
        while !sim.is_finished() {
            if sim.tick() == fail_tick {
                at_failure = sim.requests();
            }
            if sim.tick() == settled_tick {
                at_settled = Some(sim.requests());
            }
            let t = *sim.step()?;
            if t.tick >= fail_tick {
                errors += t.errors;
            }
        }
        let end = sim.requests();
        let settled = at_settled.unwrap_or(at_failure);
        Ok((
            completed_share(&end.since(&settled)),
            completed_share(&end.since(&at_failure)),
            errors,
        ))
    };
    let (baseline, _, baseline_errors) = window(None)?;
    let mut impacts = Vec::new();
    for (id, component) in design.components() {
        if component.kind.name() == KindName::Client {
            continue;
        }
        // A sharded database loses one machine: one copy of one shard.
        let instances = component.kind.machines();
        let lose = if instances > 1 { Some(1) } else { None };
        let (success, including_failover, errors) = window(Some(ScheduledFailure {
            component: component.name.clone(),
            instances: lose,
            at_s,
            recover_at_s: None,
        }))?;
        let stateful = matches!(&component.kind, ComponentKind::Server(p) if p.sessions == SessionState::InMemory);
        impacts.push(FailureImpact {
            name: component.name.clone(),
            id,
            success_ratio_when_failed: success,
            success_ratio_including_failover: including_failover,
            success_ratio_baseline: baseline,
            instances_lost: lose.unwrap_or(instances),
            logs_users_out: stateful && errors > baseline_errors,
        });
    }
    impacts.sort_by(|a, b| {
        a.success_ratio_when_failed
            .total_cmp(&b.success_ratio_when_failed)
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(impacts)
}
