//! Fix the next bottleneck: for a design at a load, the component that breaks first and the
//! move the primer's model (and queueing theory) suggests for it, with its reason — then the
//! design with the move made, so that "each fix reveals the next bottleneck" can be played.
//!
//! Everything here comes from the model, never from the example designs: the bottleneck
//! ladder (each component's saturation load by the operational laws), the traffic classes
//! that reach the bottleneck, and the kinds of the components.
//!
//! # The rules, in order
//!
//! First, whatever the load: a server tier whose instances keep sessions in memory where a
//! request can land on another instance (more than one, not sticky) moves them to a shared
//! session store, if the formulas then see more requests succeed.
//!
//! The load to plan for is the scenario's peak at the load asked for. A component is *short*
//! when it would be more than [`PLANNED_UTILIZATION`] busy there: capacity planning's
//! headroom, so that waits stay short and a lost instance is absorbed. The first short step
//! of the ladder is the bottleneck, and by its kind:
//!
//! - **A server tier** that static files reach for a quarter or more of its work, with no
//!   CDN in the design: a CDN takes the static traffic at the edge.
//! - **A server tier** that callers hand background (async) work directly, a quarter or
//!   more of its work: a queue before it, so that users wait only for the enqueue (the move
//!   must lift the request path's knee, not the tier's own saturation, which the work still
//!   reaches).
//! - **A server tier** otherwise: more instances behind a balancer (a pair is put in front
//!   when its callers reach it directly), as many as bring it to the planned utilization at
//!   the peak. If its sessions live in its instances' memory, they move to a shared session
//!   store in the same move (more instances would log users out). Past the most instances a
//!   tier may have, the next larger machine.
//! - **A database** busy more with writes than reads: shards, split by hash (a replica
//!   replays every write, so replicas cannot help). Busy more with reads: a cache in front
//!   when reads repeat (its keys' popularity is skewed, Zipf s ≥ 0.5), else read replicas
//!   (at most [`MAX_READ_REPLICAS`]); when replicas cannot bring it to the planned
//!   utilization (each one replays the writes), shards. Past the most shards, the next
//!   larger machine.
//! - **A load balancer, a cache, a message queue or a CDN**: more instances (consumers, edge
//!   capacity), as many as bring it to the planned utilization.
//!
//! When nothing is short, the first single point of failure (no spare, and its loss cuts a
//! client off) gets a spare: a second instance behind a balancer, or a database's hot
//! standby. When there is none either, but the design is available less of the time at the
//! peak than the scenario's success target (a thousand shards that each need all their
//! copies are down together more often than one machine), its least available group gets
//! one spare more (N+1): a copy more for each shard, or a standby for each (whichever lifts
//! the design more); an instance more for another tier. When none of that is left, there is nothing to fix.
//!
//! Each move is sized with the laws and checked with them: the bottleneck's saturation load
//! rises (or the single point of failure is gone), or no move is offered.
//!

use serde::Serialize;

use super::availability::{ComponentAvailability, availability};
use super::compare::{add_session_store, scale_out};
use super::ladder::{LadderStep, bottleneck_ladder};
use super::report::number;
use super::spof::structural_spofs;
use crate::model::validate::{MAX_INSTANCES, MAX_SHARDS};
use crate::model::{
    CacheParams, CdnParams, Component, ComponentId, ComponentKind, DatabaseParams, Design,
    HitRatio, Journey, JourneyStep, KindName, Link, Partitioning, PriceTable, QueueParams,
    Scenario, SessionState, TrafficClass,
};
use crate::sim::laws::{Laws, operational_laws};

/// The busiest a component is planned to be at the scenario's peak.
pub const PLANNED_UTILIZATION: f64 = 0.7;

/// The most copies of a database's shard (the primary and its read replicas) a move makes:
/// managed databases stop at fifteen replicas.
pub const MAX_READ_REPLICAS: u32 = 16;

/// The share of a server tier's work that static files must be for a CDN to be the move.
const STATIC_SHARE_FOR_CDN: f64 = 0.25;

/// The share of a server tier's work that background (async) work must be for a queue before
/// it to be the move.
const ASYNC_SHARE_FOR_QUEUE: f64 = 0.25;

/// The least available groups tried for one spare more, in order, before the advice gives up.
const SPARE_CANDIDATES: usize = 8;

/// The Zipf exponent from which a database's reads repeat enough for a cache in front.
const SKEW_FOR_CACHE: f64 = 0.5;

/// What a move does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Move {
    /// More instances behind a balancer.
    ScaleOut,
    /// Sessions to a shared store, and more instances behind a balancer.
    SharedSessionsThenScaleOut,
    /// Sessions to a shared store.
    SharedSessions,
    /// The next larger machine.
    ScaleUp,
    /// A CDN takes the static traffic.
    Cdn,
    /// A queue takes slow background work off the request path.
    Queue,
    /// A cache in front of a database.
    CacheInFront,
    /// Read replicas of a database.
    ReadReplicas,
    /// Shards of a database.
    Shards,
    /// Shards of a database, each with read replicas.
    ShardsAndReplicas,
    /// A second instance of a single point of failure.
    SecondInstance,
    /// A hot standby of a database.
    Standby,
    /// One spare more in a group that has too few to reach the availability target (N+1).
    OneMoreSpare,
}

impl Move {
    /// Its name, as a user reads it.
    pub fn label(self) -> &'static str {
        match self {
            Move::ScaleOut => "scale out",
            Move::SharedSessionsThenScaleOut => "shared sessions, then scale out",
            Move::SharedSessions => "move sessions to a shared store",
            Move::ScaleUp => "scale up",
            Move::Cdn => "add a CDN",
            Move::Queue => "put a queue before it",
            Move::CacheInFront => "add a cache",
            Move::ReadReplicas => "add read replicas",
            Move::Shards => "shard",
            Move::ShardsAndReplicas => "shard, with read replicas",
            Move::SecondInstance => "add a spare",
            Move::Standby => "add a standby",
            Move::OneMoreSpare => "one spare more (N+1)",
        }
    }
}

/// A step of the ladder, as the advice names it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Breaks {
    /// The component.
    pub name: String,
    /// Its kind's key.
    pub kind: &'static str,
    /// The multiple of the design's base load at which it saturates.
    pub saturates_at_load: f64,
    /// The users whose load at the scenario's peak saturates it.
    pub users: f64,
}

/// What is wrong with the component the advice is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// It would be busier than planned (or saturated) at the peak.
    Saturates,
    /// It has no spare, and its loss cuts a client off.
    SinglePointOfFailure,
    /// Its instances keep sessions in memory behind a balancer that is not sticky: requests
    /// that land on another instance find no session.
    LosesSessions,
    /// The design is available less of the time than the scenario's success target at the
    /// peak, and this group, the least available that a spare lifts, has too few spares.
    TooFewSpares,
}

impl Problem {
    /// What is wrong, as a user reads it after the component's name.
    pub fn label(self) -> &'static str {
        match self {
            Problem::Saturates => "too busy at the peak",
            Problem::SinglePointOfFailure => "a single point of failure",
            Problem::LosesSessions => "logs its users out",
            Problem::TooFewSpares => "too few spares for the availability target",
        }
    }
}

/// What the advice says when there is nothing to fix.
pub fn nothing_to_fix(scenario: &Scenario) -> String {
    format!(
        "every component carries the scenario's peak at most {} % busy, none is a single point of failure a spare can fix, and the design is available at least {} % of the time at the peak (or no spare lifts it).",
        (PLANNED_UTILIZATION * 100.0).round(),
        number(scenario.target_success_ratio * 100.0)
    )
}

/// The advice for a design at a load.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Advice {
    /// The load multiplier asked for (on top of the scenario's).
    pub load: f64,
    /// The users that load is (every client's users × the scenario's multiplier × it).
    pub users: f64,
    /// The multiple of the design's base load at the scenario's peak: what the ladder's
    /// steps are compared with.
    pub peak_load: f64,
    /// The ladder's first step before the move.
    pub breaks_first: Option<Breaks>,
    /// The component the move is about.
    pub component: String,
    /// What is wrong with it.
    pub problem: Problem,
    /// The move.
    #[serde(rename = "move")]
    pub action: Move,
    /// What the move changes, in a sentence.
    pub change: String,
    /// Why this move, in a sentence.
    pub reason: String,
    /// The ladder's first step after the move.
    pub breaks_first_after: Option<Breaks>,
    /// The design with the move made.
    #[serde(skip)]
    pub design: Design,
}

impl Advice {
    /// "breaks first at ×1.04, now at ×3.1: pantry" (no arrow: the app's font has none).
    pub fn before_after(&self) -> String {
        match (&self.breaks_first, &self.breaks_first_after) {
            (Some(b), Some(a)) => format!(
                "breaks first at ×{}, now at ×{}: {}",
                number(b.saturates_at_load),
                number(a.saturates_at_load),
                a.name
            ),
            (Some(b), None) => format!(
                "breaks first at ×{}, now nothing carries load",
                number(b.saturates_at_load)
            ),
            _ => "nothing carried load".into(),
        }
    }
}

/// Every client's users at load multiplier 1 (a closed client's users; an open one's).
pub fn base_users(design: &Design) -> f64 {
    design
        .components()
        .filter_map(|(_, c)| match &c.kind {
            ComponentKind::Client(p) => Some(p.users as f64),
            _ => None,
        })
        .sum()
}

/// The load multiplier (on top of the scenario's) at which `users` run.
pub fn load_for_users(design: &Design, scenario: &Scenario, users: f64) -> Option<f64> {
    let per_load = base_users(design) * scenario.load_multiplier;
    (per_load > 0.0 && users.is_finite() && users > 0.0).then(|| users / per_load)
}

/// The ladder of a design under a scenario.
fn ladder(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
) -> Result<Vec<LadderStep>, String> {
    let laws = operational_laws(design, scenario, prices).map_err(|e| e.to_string())?;
    Ok(bottleneck_ladder(&laws))
}

/// The saturation load of a component, by name (a copy keeps names); `None` when it
/// carries nothing.
fn saturation_of(steps: &[LadderStep], name: &str) -> Option<f64> {
    steps
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.saturates_at_load)
}

/// The advice for `design` at `load` (a multiplier on top of the scenario's): `None` when
/// every component carries the peak within the planned utilization and none is a single
/// point of failure (that a spare can fix); an error when a component is short and no move
/// lifts it.
pub fn advise(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    load: f64,
) -> Result<Option<Advice>, String> {
    if !(load.is_finite() && load > 0.0) {
        return Err(format!("the load must be a positive number, not {load}"));
    }
    let peak_load = load * scenario.load_multiplier * scenario.profile.peak_multiplier();
    let users_per_load = base_users(design) / scenario.profile.peak_multiplier().max(1e-300);
    let breaks = |s: &LadderStep, kind: &'static str| Breaks {
        name: s.name.clone(),
        kind,
        saturates_at_load: s.saturates_at_load,
        users: users_per_load * s.saturates_at_load,
    };
    let kind_key =
        |d: &Design, id: ComponentId| d.component(id).map_or("", |c| c.kind.name().key());
    let laws = operational_laws(design, scenario, prices).map_err(|e| e.to_string())?;
    let before = bottleneck_ladder(&laws);
    let breaks_first = before.first().map(|s| breaks(s, kind_key(design, s.id)));
    let wanted = peak_load / PLANNED_UTILIZATION;
    let short = before.iter().find(|s| s.saturates_at_load < wanted);
    // First of all, a tier that logs its users out: no load makes that right.
    let found = if let Some((name, m)) = shared_sessions(design, scenario, prices, load)? {
        (name, Problem::LosesSessions, m)
    } else {
        match short {
            Some(step) => {
                // The move must lift the component, and leave a design that is valid; if the
                // kind's special move (a CDN, a queue, a cache, replicas) does not, the plain
                // one (more instances, shards, a bigger machine) is tried.
                let works = |m: &Made| {
                    let lifted = if m.action == Move::Queue {
                        // Off the request path: what users wait for saturates later.
                        let knee = |d: &Design| {
                            super::predict::Predictor::new(d, scenario, prices, None)
                                .ok()
                                .and_then(|p| p.knee_load())
                                .unwrap_or(f64::INFINITY)
                        };
                        knee(&m.design) > knee(design) * (1.0 + 1e-9)
                    } else {
                        ladder(&m.design, scenario, prices).is_ok_and(|after| {
                            saturation_of(&after, &step.name)
                                .is_none_or(|now| now > step.saturates_at_load * (1.0 + 1e-9))
                        })
                    };
                    lifted && crate::model::is_valid(&m.design, prices)
                };
                let made = match relieve(design, scenario, prices, step, wanted, true)?
                    .filter(|m| works(m))
                {
                    Some(m) => Some(m),
                    None => {
                        relieve(design, scenario, prices, step, wanted, false)?.filter(|m| works(m))
                    }
                };
                match made {
                    Some(m) => (step.name.clone(), Problem::Saturates, m),
                    None => {
                        return Err(format!(
                            "'{}' saturates at ×{} but no move the advice knows lifts it within the limits of a design: split its work, or cut what reaches it",
                            step.name,
                            number(step.saturates_at_load)
                        ));
                    }
                }
            }
            None => match spare(design, prices)? {
                Some((name, m)) => (name, Problem::SinglePointOfFailure, m),
                None => match one_more_spare(design, &laws, scenario, prices, peak_load)? {
                    Some((name, m)) => (name, Problem::TooFewSpares, m),
                    None => return Ok(None),
                },
            },
        }
    };
    let (component, problem, made) = found;
    let after = ladder(&made.design, scenario, prices)?;
    Ok(Some(Advice {
        load,
        users: base_users(design) * scenario.load_multiplier * load,
        peak_load,
        breaks_first,
        component,
        problem,
        action: made.action,
        change: made.change,
        reason: made.reason,
        breaks_first_after: after
            .first()
            .map(|s| breaks(s, kind_key(&made.design, s.id))),
        design: made.design,
    }))
}

/// The first server tier whose instances keep sessions in memory where a request can land
/// on another instance (more than one, behind a balancer that is not sticky, as the laws
/// count it) moved to a shared session store — if that lifts the share of requests the
/// formulas see succeed at `load`.
fn shared_sessions(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    load: f64,
) -> Result<Option<(String, Made)>, String> {
    let success = |d: &Design| -> Result<f64, String> {
        Ok(super::predict::Predictor::new(d, scenario, prices, None)
            .map_err(|e| e.to_string())?
            .at(load)
            .success_ratio)
    };
    let before = success(design)?;
    for (id, component) in design.components() {
        let ComponentKind::Server(p) = &component.kind else {
            continue;
        };
        if p.sessions != SessionState::InMemory || p.instances < 2 {
            continue;
        }
        let name = component.name.clone();
        let mut out = design.clone();
        if let Some(ComponentKind::Server(q)) = out.component_mut(id).map(|c| &mut c.kind) {
            q.sessions = SessionState::Stateless;
        }
        add_session_store(&mut out, id);
        let after = success(&out)?;
        if after > before + 1e-9 && crate::model::is_valid(&out, prices) {
            return Ok(Some((
                name.clone(),
                Made {
                    design: out,
                    action: Move::SharedSessions,
                    change: format!(
                        "'{name}' keeps no session in memory now: it looks each one up in a shared session store."
                    ),
                    reason: format!(
                        "The instances of '{name}' keep sessions in their own memory, so a request that lands on another one finds none and fails ({:.0} % succeed by the formulas): any instance must be able to serve any user.",
                        before * 100.0
                    ),
                },
            )));
        }
    }
    Ok(None)
}

/// A move made on a copy of the design.
struct Made {
    design: Design,
    action: Move,
    change: String,
    reason: String,
}

/// The move that lifts `step`'s component to `wanted` (a saturation load), if there is one.
fn relieve(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    step: &LadderStep,
    wanted: f64,
    special: bool,
) -> Result<Option<Made>, String> {
    let Some(component) = design.component(step.id) else {
        return Ok(None);
    };
    let name = component.name.clone();
    let factor = (wanted / step.saturates_at_load).max(1.0);
    let laws = operational_laws(design, scenario, prices).map_err(|e| e.to_string())?;
    let law = laws.nodes.iter().find(|l| l.id == step.id);
    let share = |class: TrafficClass| {
        law.map_or(0.0, |l| {
            let total: f64 = l.class_rates_per_s.iter().sum();
            if total > 0.0 {
                l.class_rates_per_s[class.index()] / total
            } else {
                0.0
            }
        })
    };
    let planned = format!(
        "{} % busy at the peak (×{} of the base load)",
        (PLANNED_UTILIZATION * 100.0).round(),
        number(wanted * PLANNED_UTILIZATION)
    );
    match &component.kind {
        ComponentKind::Server(p) => {
            let has_cdn = design.of_kind(KindName::Cdn).next().is_some();
            if special && !has_cdn && share(TrafficClass::Static) >= STATIC_SHARE_FOR_CDN {
                let mut out = design.clone();
                let added = add_cdn(&mut out);
                if added {
                    return Ok(Some(Made {
                        design: out,
                        action: Move::Cdn,
                        change: format!(
                            "A CDN now answers the static files at the edge; only its misses reach the origin ({} % of the work of '{name}' was static).",
                            (share(TrafficClass::Static) * 100.0).round()
                        ),
                        reason: "Static files are the same for everyone: an edge close to the users answers them, and the servers keep their cores for what only they can do.".into(),
                    }));
                }
            }
            let called_directly = design.incoming(step.id).any(|(_, from, link)| {
                link.carries.contains(&TrafficClass::Async)
                    && design
                        .component(from)
                        .is_some_and(|c| c.kind.name() != KindName::MessageQueue)
            });
            if special && called_directly && share(TrafficClass::Async) >= ASYNC_SHARE_FOR_QUEUE {
                let async_per_s =
                    law.map_or(0.0, |l| l.class_rates_per_s[TrafficClass::Async.index()]);
                let mut out = design.clone();
                let consumers = queue_before(
                    &mut out,
                    step.id,
                    async_per_s * wanted * PLANNED_UTILIZATION,
                );
                return Ok(Some(Made {
                    design: out,
                    action: Move::Queue,
                    change: format!(
                        "A queue now takes the background work of '{name}' from its callers; {consumers} consumers hand it on as it can take it."
                    ),
                    reason: format!(
                        "{} % of the work of '{name}' is background work its callers wait for: on a queue they wait only for the enqueue, and a surge waits in the queue instead of failing.",
                        (share(TrafficClass::Async) * 100.0).round()
                    ),
                }));
            }
            let now = p.autoscale.map_or(p.instances, |a| a.max_instances);
            let needed = (f64::from(now) * factor).ceil();
            if needed > f64::from(MAX_INSTANCES)
                && let Some(made) = scale_up(
                    design,
                    step.id,
                    &name,
                    prices,
                    &format!(
                        "'{name}' would need more than the most instances a tier may have ({MAX_INSTANCES}) on this machine: the next larger one gives each instance more cores."
                    ),
                )
            {
                return Ok(Some(made));
            }
            let factor = factor.min(f64::from(MAX_INSTANCES) / f64::from(now.max(1)));
            let mut out = design.clone();
            let change = scale_out(&mut out, step.id, factor)?;
            let stateful = p.sessions == SessionState::InMemory;
            Ok(Some(Made {
                design: out,
                action: if stateful {
                    Move::SharedSessionsThenScaleOut
                } else {
                    Move::ScaleOut
                },
                change,
                reason: if stateful {
                    format!(
                        "Its sessions live in each instance's memory, so more instances would log users out: the sessions move to a shared store first, then the tier grows to {planned}."
                    )
                } else {
                    format!(
                        "A stateless tier grows by adding instances: a balancer spreads the load over them, sized for {planned}."
                    )
                },
            }))
        }
        ComponentKind::Database(p) => {
            let busy = |class: TrafficClass, ms: f64| {
                law.map_or(0.0, |l| l.class_rates_per_s[class.index()] * ms)
            };
            let writes = busy(TrafficClass::Write, p.write_service_time_ms);
            let reads = busy(TrafficClass::Read, p.read_service_time_ms);
            let has_cache_in_front = design.incoming(step.id).any(|(_, s, _)| {
                design
                    .component(s)
                    .is_some_and(|c| c.kind.name() == KindName::Cache)
            });
            if special && reads > writes && !has_cache_in_front && p.key_skew >= SKEW_FOR_CACHE {
                let mut out = design.clone();
                add_cache_in_front(&mut out, step.id);
                return Ok(Some(Made {
                    design: out,
                    action: Move::CacheInFront,
                    change: format!("A cache in front of '{name}' answers the reads it has seen."),
                    reason: format!(
                        "'{name}' is busy mostly with reads, and they repeat (key popularity Zipf s = {}): a cache answers the popular ones from memory.",
                        number(p.key_skew)
                    ),
                }));
            }
            let reaches = |d: &Design| -> Result<bool, String> {
                Ok(saturation_of(&ladder(d, scenario, prices)?, &name).is_none_or(|s| s >= wanted))
            };
            // The database with `shards` shards (by hash, once split) of `copies` copies each.
            let with = |shards: u32, copies: u32| {
                let mut d = design.clone();
                if let Some(ComponentKind::Database(q)) =
                    d.component_mut(step.id).map(|c| &mut c.kind)
                {
                    if shards != q.shards {
                        q.partitioning = Partitioning::Hash;
                    }
                    q.shards = shards;
                    q.instances = copies;
                }
                d
            };
            let most_copies = MAX_READ_REPLICAS.max(p.instances);
            let replicas_note = |n: u32| {
                format!(
                    "'{name}' went from {} to {n} copies of each shard (the primary and {} read replicas).",
                    p.instances,
                    n - 1
                )
            };
            // Reads: replicas first, as they leave the data whole.
            if special
                && reads > writes
                && let Some(n) = smallest(p.instances + 1, most_copies, |n| {
                    reaches(&with(p.shards, n))
                })?
            {
                return Ok(Some(Made {
                    design: with(p.shards, n),
                    action: Move::ReadReplicas,
                    change: replicas_note(n),
                    reason: format!(
                        "'{name}' is busy mostly with reads, and any copy can answer a read: replicas share them, sized for {planned}."
                    ),
                }));
            }
            // Writes, or reads past what replicas can carry (each replays every write):
            // shards split both; with replicas too when reads need them.
            let why = if writes >= reads {
                format!(
                    "'{name}' is busy mostly with writes, which only a shard's primary can take (every replica replays them): shards split the keys, by hash so that no shard is hot, sized for {planned}."
                )
            } else {
                format!(
                    "'{name}' is busy mostly with reads, but replicas alone cannot carry them: each replays every write. Shards split reads and writes alike, by hash, sized for {planned}."
                )
            };
            let shards_note = |n: u32| {
                format!(
                    "'{name}' went from {} to {n} shards, split by hash",
                    p.shards
                )
            };
            if let Some(n) = smallest(p.shards + 1, MAX_SHARDS.max(p.shards), |n| {
                reaches(&with(n, p.instances))
            })? {
                return Ok(Some(Made {
                    design: with(n, p.instances),
                    action: Move::Shards,
                    change: format!("{}.", shards_note(n)),
                    reason: why,
                }));
            }
            if let Some(n) = smallest(p.shards, MAX_SHARDS.max(p.shards), |n| {
                reaches(&with(n, most_copies))
            })? {
                // The fewest copies that carry it with these shards.
                let copies = smallest(p.instances, most_copies, |c| reaches(&with(n, c)))?
                    .unwrap_or(most_copies);
                return Ok(Some(Made {
                    design: with(n, copies),
                    action: Move::ShardsAndReplicas,
                    change: format!(
                        "{}, each with {copies} copies (the primary and {} read replicas).",
                        shards_note(n),
                        copies - 1
                    ),
                    reason: format!(
                        "'{name}' needs both: shards for its writes (only a primary takes them) and replicas for its reads, sized for {planned}."
                    ),
                }));
            }
            // Not even the most shards and copies: a bigger machine, or the most of both.
            if let Some(made) = scale_up(
                design,
                step.id,
                &name,
                prices,
                &format!(
                    "'{name}' cannot carry the load on this machine even with the most shards ({MAX_SHARDS}) and copies ({most_copies}): the next larger one gives each more cores."
                ),
            ) {
                return Ok(Some(made));
            }
            let most_shards = MAX_SHARDS.max(p.shards);
            if (most_shards, most_copies) == (p.shards, p.instances) {
                return Ok(None);
            }
            Ok(Some(Made {
                design: with(most_shards, most_copies),
                action: Move::ShardsAndReplicas,
                change: format!(
                    "{} (the most), each with {most_copies} copies (the most a move makes).",
                    shards_note(most_shards)
                ),
                reason: format!(
                    "'{name}' cannot carry the load even then, on its largest machine: this is as far as one database goes. Split the data over databases, or cut what reaches it."
                ),
            }))
        }
        ComponentKind::LoadBalancer(_)
        | ComponentKind::Cache(_)
        | ComponentKind::MessageQueue(_)
        | ComponentKind::Cdn(_) => {
            let mut out = design.clone();
            let change = scale_out(&mut out, step.id, factor)?;
            // A queue's brokers may bind rather than its consumers: grow them too if the
            // consumers alone did not lift it.
            if let ComponentKind::MessageQueue(q) = &component.kind {
                let lifted = saturation_of(&ladder(&out, scenario, prices)?, &name)
                    .is_none_or(|s| s >= wanted * (1.0 - 1e-9));
                if !lifted
                    && let Some(c) = out.component_mut(step.id)
                    && let ComponentKind::MessageQueue(p) = &mut c.kind
                {
                    let wanted = (f64::from(q.instances) * factor).ceil();
                    p.instances = if wanted.is_finite() {
                        wanted.min(f64::from(MAX_INSTANCES)) as u32
                    } else {
                        MAX_INSTANCES
                    }
                    .max(q.instances.saturating_add(1))
                    .min(MAX_INSTANCES.max(q.instances));
                }
            }
            Ok(Some(Made {
                design: out,
                action: Move::ScaleOut,
                change,
                reason: format!(
                    "{} grows by adding instances, sized for {planned}.",
                    match component.kind.name() {
                        KindName::LoadBalancer => "A balancer tier",
                        KindName::Cache => "A cache spreads keys over its instances: it",
                        KindName::MessageQueue => "A queue's consumer group",
                        _ => "An edge",
                    }
                ),
            }))
        }
        ComponentKind::Client(_) => Ok(None),
    }
}

/// The smallest `n` in `from..=to` for which `reaches(n)` holds (it holds for every larger
/// one too), by bisection; `None` when not even `to` reaches.
fn smallest(
    from: u32,
    to: u32,
    reaches: impl Fn(u32) -> Result<bool, String>,
) -> Result<Option<u32>, String> {
    if from > to || !reaches(to)? {
        return Ok(None);
    }
    let (mut lo, mut hi) = (from, to);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if reaches(mid)? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(Some(lo))
}

/// The component on the next larger machine, if there is one, for `reason`.
fn scale_up(
    design: &Design,
    id: ComponentId,
    name: &str,
    prices: &PriceTable,
    reason: &str,
) -> Option<Made> {
    let size = design.component(id)?.kind.size()?.to_string();
    let next = prices.next_larger(&size)?.name.clone();
    let mut out = design.clone();
    match &mut out.component_mut(id)?.kind {
        ComponentKind::Server(p) => p.size.clone_from(&next),
        ComponentKind::Database(p) => p.size.clone_from(&next),
        _ => return None,
    }
    Some(Made {
        design: out,
        action: Move::ScaleUp,
        change: format!("'{name}' moved from {size} to {next}."),
        reason: reason.to_string(),
    })
}

/// A CDN in front of the design: every client's static traffic goes to it, and its misses
/// to where the static traffic went. False if no client sends static files.
fn add_cdn(design: &mut Design) -> bool {
    let links: Vec<_> = design
        .links()
        .filter(|(_, from, _, link)| {
            design
                .component(*from)
                .is_some_and(|c| c.kind.name() == KindName::Client)
                && link.carries.contains(&TrafficClass::Static)
        })
        .map(|(id, from, to, link)| (id, from, to, link.clone()))
        .collect();
    if links.is_empty() {
        return false;
    }
    let (x, y) = links
        .first()
        .and_then(|(_, from, _, _)| design.component(*from))
        .map_or((0.0, 0.0), |c| c.position);
    let linked: Vec<ComponentId> = links.iter().flat_map(|(_, f, t, _)| [*f, *t]).collect();
    let cdn = design.add(Component {
        name: design.unique_name("cdn"),
        position: design.clear_position((x + 240.0, y - 160.0), &linked),
        kind: ComponentKind::Cdn(CdnParams::default()),
    });
    let mut origins = Vec::new();
    for (id, _, to, _) in links {
        divert(design, id, TrafficClass::Static, cdn);
        if !origins.contains(&to) {
            origins.push(to);
        }
    }
    for origin in origins {
        design.connect(cdn, origin, Link::new(&[TrafficClass::Static]));
    }
    true
}

/// A message queue before `tier` for its background work: every link that hands it async
/// work directly hands it to the queue instead, and the queue's consumers (enough to drain
/// `async_per_s` at the planned utilization) pass it on. Returns the consumers.
fn queue_before(design: &mut Design, tier: ComponentId, async_per_s: f64) -> u32 {
    use crate::model::QueueParams;
    let Some(component) = design.component(tier).cloned() else {
        return 0;
    };
    let params = QueueParams::default();
    let consumers = (async_per_s / (params.consumer_rate_per_s * PLANNED_UTILIZATION))
        .ceil()
        .clamp(1.0, f64::from(crate::model::validate::MAX_CONSUMERS)) as u32;
    let callers: Vec<_> = design
        .incoming(tier)
        .filter(|(_, from, link)| {
            link.carries.contains(&TrafficClass::Async)
                && design
                    .component(*from)
                    .is_some_and(|c| c.kind.name() != KindName::MessageQueue)
        })
        .map(|(id, from, link)| (id, from, link.clone()))
        .collect();
    let mut linked: Vec<ComponentId> = callers.iter().map(|(_, f, _)| *f).collect();
    linked.push(tier);
    let (x, y) = component.position;
    let queue = design.add(Component {
        name: design.unique_name(&format!("{} queue", component.name)),
        position: design.clear_position((x - 200.0, y + 120.0), &linked),
        kind: ComponentKind::MessageQueue(QueueParams {
            instances: 2,
            consumers,
            ..params
        }),
    });
    for (id, _, _) in callers {
        divert(design, id, TrafficClass::Async, queue);
    }
    design.connect(queue, tier, Link::new(&[TrafficClass::Async]));
    consumers
}

/// Send `class` down `link` to `via` instead of its target: the link keeps its other classes
/// (or goes, if it carried nothing else) and a link from its source to `via`, alike but for
/// carrying `class` alone, takes the class.
fn divert(design: &mut Design, link: crate::model::LinkId, class: TrafficClass, via: ComponentId) {
    let Some((from, to)) = design.graph.edge_endpoints(link) else {
        return;
    };
    let Some(old) = design.graph.remove_edge(link) else {
        return;
    };
    let rest: Vec<TrafficClass> = old
        .carries
        .iter()
        .copied()
        .filter(|&c| c != class)
        .collect();
    if !rest.is_empty() {
        design.connect(
            from,
            to,
            Link {
                carries: rest,
                ..old.clone()
            },
        );
    }
    design.connect(
        from,
        via,
        Link {
            carries: vec![class],
            ..old
        },
    );
}

/// A cache between a database and everything that calls it.
fn add_cache_in_front(design: &mut Design, db: ComponentId) {
    let Some(component) = design.component(db).cloned() else {
        return;
    };
    let ComponentKind::Database(p) = &component.kind else {
        return;
    };
    let callers: Vec<ComponentId> = design.incoming(db).map(|(_, s, _)| s).collect();
    let mut linked = callers.clone();
    linked.push(db);
    let (x, y) = component.position;
    let cache = design.add(Component {
        name: design.unique_name(&format!("{} cache", component.name)),
        position: design.clear_position((x - 130.0, y - 120.0), &linked),
        kind: ComponentKind::Cache(CacheParams {
            instances: 2,
            // An LRU holding a tenth of the keys, under the database's own popularity.
            hit_ratio: HitRatio::Lru {
                capacity_items: (p.keys as f64 / 10.0).max(1.0),
                working_set_items: p.keys as f64,
                zipf_exponent: p.key_skew,
            },
            ..CacheParams::default()
        }),
    });
    design.put_in_front(db, cache);
}

/// The first single point of failure (nearest the clients) given a spare: a second instance
/// (behind a balancer, for a server tier), or a database's hot standby. `None` when there is
/// none, or none a spare can fix (a CDN, a client).
fn spare(design: &Design, prices: &PriceTable) -> Result<Option<(String, Made)>, String> {
    for id in structural_spofs(design) {
        let Some(component) = design.component(id) else {
            continue;
        };
        let name = component.name.clone();
        let mut out = design.clone();
        let made = match &component.kind {
            ComponentKind::Database(_) => {
                if let Some(ComponentKind::Database(p)) = out.component_mut(id).map(|c| &mut c.kind)
                {
                    p.standby = true;
                }
                Made {
                    design: out,
                    action: Move::Standby,
                    change: format!("'{name}' has a hot standby for each shard."),
                    reason: format!(
                        "Losing '{name}' would cut users off: a standby is promoted in its failover time."
                    ),
                }
            }
            // A queue's spare is a second broker (its consumers are not what fails).
            ComponentKind::MessageQueue(q) => {
                let brokers = q.instances.max(1) * 2;
                if let Some(ComponentKind::MessageQueue(p)) =
                    out.component_mut(id).map(|c| &mut c.kind)
                {
                    p.instances = brokers.min(MAX_INSTANCES);
                }
                Made {
                    design: out,
                    action: Move::SecondInstance,
                    change: format!("'{name}' went from {} to {brokers} brokers.", q.instances),
                    reason: format!(
                        "Losing '{name}' would cut users off: with a second broker the queue carries on."
                    ),
                }
            }
            ComponentKind::Server(_) | ComponentKind::LoadBalancer(_) | ComponentKind::Cache(_) => {
                let change = scale_out(&mut out, id, 2.0)?;
                Made {
                    design: out,
                    action: Move::SecondInstance,
                    change,
                    reason: format!(
                        "Losing '{name}' would cut users off: with a second instance the others carry on."
                    ),
                }
            }
            ComponentKind::Cdn(_) | ComponentKind::Client(_) => continue,
        };
        // Offered only if it does what it says, and leaves a valid design.
        let fixed = !structural_spofs(&made.design).contains(&id)
            && crate::model::is_valid(&made.design, prices);
        if fixed {
            return Ok(Some((name, made)));
        }
    }
    Ok(None)
}

/// When the design carries the peak and has no single point of failure, but is available
/// less of the time than the scenario's success target there (a year's downtime fails
/// requests as surely as overload): the least available group that fails the requests
/// reaching it gets one spare more — a database's shards a copy more each or a hot standby
/// each (whichever lifts the design more: a standby stands in only for a lost primary), any
/// other tier one instance more. Many shards that each need every copy they have multiply
/// their small chances of being down; a copy more each lets every shard lose one. Offered
/// only if it lifts the design's availability at the peak.
fn one_more_spare(
    design: &Design,
    laws: &Laws,
    scenario: &Scenario,
    prices: &PriceTable,
    peak_load: f64,
) -> Result<Option<(String, Made)>, String> {
    let before = availability(design, laws, peak_load);
    let target = scenario.target_success_ratio;
    if before.system.is_nan() || before.system >= target {
        return Ok(None);
    }
    let available_after = |d: &Design| {
        operational_laws(d, scenario, prices)
            .ok()
            .map(|laws| availability(d, &laws, peak_load))
    };
    let mut groups: Vec<&ComponentAvailability> = before
        .components
        .iter()
        .filter(|g| g.in_series && g.availability < 1.0)
        .collect();
    groups.sort_by(|a, b| a.availability.total_cmp(&b.availability));
    // The least available first; a group at its limits passes to the next, a few at most
    // (each try works out the laws again: on a design of thousands that takes a while).
    for group in groups.into_iter().take(SPARE_CANDIDATES) {
        let Some(component) = design.component(group.id) else {
            continue;
        };
        let name = component.name.clone();
        // The spares the group can take; of a database's two, the one that lifts more.
        let mut tries: Vec<(Move, String, Design)> = Vec::new();
        let mut with_kind = |kind: ComponentKind, action: Move, change: String| {
            let mut out = design.clone();
            if let Some(c) = out.component_mut(group.id) {
                c.kind = kind;
            }
            tries.push((action, change, out));
        };
        let one_more =
            |from: u32, what: &str| format!("'{name}' went from {from} to {} {what}.", from + 1);
        match &component.kind {
            ComponentKind::Database(p) => {
                if p.instances < MAX_READ_REPLICAS {
                    with_kind(
                        ComponentKind::Database(DatabaseParams {
                            instances: p.instances + 1,
                            ..p.clone()
                        }),
                        Move::OneMoreSpare,
                        one_more(p.instances, "copies of each shard"),
                    );
                }
                if !p.standby {
                    with_kind(
                        ComponentKind::Database(DatabaseParams {
                            standby: true,
                            ..p.clone()
                        }),
                        Move::Standby,
                        format!("'{name}' has a hot standby for each shard."),
                    );
                }
            }
            ComponentKind::MessageQueue(p) if p.instances < MAX_INSTANCES => with_kind(
                ComponentKind::MessageQueue(QueueParams {
                    instances: p.instances + 1,
                    ..p.clone()
                }),
                Move::OneMoreSpare,
                one_more(p.instances, "brokers"),
            ),
            // A tier grows as when it scales out (behind a balancer, if it had none).
            ComponentKind::Server(_) | ComponentKind::LoadBalancer(_) => {
                let mut out = design.clone();
                if let Ok(change) = scale_out(&mut out, group.id, 1.0) {
                    tries.push((Move::OneMoreSpare, change, out));
                }
            }
            _ => {}
        }
        let best = tries
            .into_iter()
            .filter(|(_, _, out)| crate::model::is_valid(out, prices))
            .filter_map(|(action, change, out)| {
                let after = available_after(&out)?;
                (after.system > before.system * (1.0 + 1e-12))
                    .then_some((action, change, out, after))
            })
            .max_by(|x, y| x.3.system.total_cmp(&y.3.system));
        let Some((action, change, out, after)) = best else {
            continue;
        };
        let percent = |a: f64| format!("{:.4} %", a * 100.0);
        let needs = match &component.kind {
            ComponentKind::Database(p) => format!(
                "each shard needs {} of its {} copies{}",
                group.needed,
                p.instances,
                if p.standby {
                    ", and its standby stands in for the primary only"
                } else {
                    ""
                }
            ),
            ComponentKind::MessageQueue(_) => {
                format!(
                    "it needs {} of its {} brokers",
                    group.needed, group.instances
                )
            }
            _ => format!(
                "it needs {} of its {} instances",
                group.needed, group.instances
            ),
        };
        let group_after = after
            .components
            .iter()
            .find(|g| g.id == group.id)
            .map_or(group.availability, |g| g.availability);
        let reason = format!(
            "At the peak the design is up {} of the time, short of the {} % target; '{name}' is up {} ({needs}). One spare more lifts it to {} and the design to {}.",
            percent(before.system),
            number(target * 100.0),
            percent(group.availability),
            percent(group_after),
            percent(after.system),
        );
        return Ok(Some((
            name,
            Made {
                design: out,
                action,
                change,
                reason,
            },
        )));
    }
    Ok(None)
}

/// The most ticks a journey step's run takes: the app measures a fix as it is applied, so a
/// scenario of millions of ticks is measured over its first hour of ticks.
pub const JOURNEY_MAX_TICKS: u64 = 3_600;

/// The figures of `design` at `load` (on top of the scenario's), as a journey step: a run
/// of the scenario (its first [`JOURNEY_MAX_TICKS`] ticks; no N−1 runs) and the laws.
pub fn journey_step(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    load: f64,
    title: String,
    change: String,
) -> Result<JourneyStep, String> {
    use super::report::FailureAnalysis;
    let options = super::AnalysisOptions {
        run: crate::sim::RunOptions {
            load_multiplier: Some(load),
            ticks: Some(scenario.ticks().min(JOURNEY_MAX_TICKS)),
            ..crate::sim::RunOptions::default()
        },
        failure_analysis: FailureAnalysis::Off,
        ..super::AnalysisOptions::default()
    };
    let report = super::analyze(design, scenario, prices, &options).map_err(|e| e.to_string())?;
    let s = &report.system;
    let users_per_load = base_users(design) / scenario.profile.peak_multiplier().max(1e-300);
    let step = JourneyStep {
        title,
        change,
        users: base_users(design) * scenario.load_multiplier * load,
        sustainable_load: s.max_load_multiplier.filter(|m| m.is_finite()),
        users_carried: s
            .max_load_multiplier
            .map(|m| users_per_load * m)
            .filter(|u| u.is_finite()),
        success_ratio: s.run.success_ratio.clamp(0.0, 1.0),
        p99_ms: s.run.latency_ms.p99.max(0.0),
        availability: s.availability.clamp(0.0, 1.0),
        cost_per_month: s.cost_per_month.max(0.0),
    };
    // A step that its own file could not hold (a figure not a finite number) is refused.
    let problems = Journey {
        scenario: scenario.name.clone(),
        steps: vec![step.clone()],
    }
    .problems();
    match problems.first() {
        Some(problem) => Err(format!("the step's figures cannot be kept: {problem}")),
        None => Ok(step),
    }
}

/// The advised design with the fix added to its journey: the journey of the design before
/// it, or a new one that starts with that design (also when the fixes so far were measured
/// under another scenario).
pub fn with_journey(
    before: &Design,
    advice: &Advice,
    scenario: &Scenario,
    prices: &PriceTable,
) -> Result<Design, String> {
    let mut journey = before
        .journey
        .clone()
        .filter(|j| j.scenario == scenario.name && !j.steps.is_empty())
        .unwrap_or_else(|| Journey {
            scenario: scenario.name.clone(),
            steps: Vec::new(),
        });
    if journey.steps.is_empty() {
        journey.push(journey_step(
            before,
            scenario,
            prices,
            advice.load,
            "start".into(),
            String::new(),
        )?);
    }
    journey.push(journey_step(
        &advice.design,
        scenario,
        prices,
        advice.load,
        format!("{}: {}", advice.component, advice.action.label()),
        advice.change.clone(),
    )?);
    let mut design = advice.design.clone();
    design.journey = Some(journey);
    Ok(design)
}

/// The columns of a journey's table, as the app and the report show it.
pub const JOURNEY_COLUMNS: [&str; 9] = [
    "step",
    "fix",
    "users",
    "sustainable load",
    "carries users",
    "success",
    "p99",
    "availability",
    "cost a month",
];

/// A journey's rows, each under [`JOURNEY_COLUMNS`].
pub fn journey_rows(journey: &Journey) -> Vec<[String; 9]> {
    use super::report::count;
    journey
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            [
                i.to_string(),
                s.title.clone(),
                count(s.users.round() as u64),
                s.sustainable_load
                    .map_or("any".into(), |l| format!("×{}", number(l))),
                s.users_carried
                    .map_or("all".into(), |u| count(u.round() as u64)),
                format!("{:.3} %", s.success_ratio * 100.0),
                format!("{} ms", number(s.p99_ms)),
                format!("{:.4} %", s.availability * 100.0),
                number(s.cost_per_month),
            ]
        })
        .collect()
}
