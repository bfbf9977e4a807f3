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
///
/// A request of a class succeeds at a component when the component is there and what it
/// needs below does: every call of a server (and its session lookups), any one branch of a
/// split, nothing below a database or a queue (which decouples), nor down an async link
/// within a loop (it hands a follow-up job on); a cache or CDN answers what has nowhere else
/// to go, and when lost passes the rest on as misses. Losing a component
/// fails its states (component, class); a failure climbs to the states that need it. The
/// loss is a single point of failure when the failures reach a class a client sends.
///
/// Near-linear in the design: each component's loss is worked out once, nearest the clients
/// first. Where a component's every state has a single state above it, all of one component
/// that its loss fails outright, its loss is exactly as fatal as that component's (a chain
/// of a hundred thousand servers is a hundred thousand steps); otherwise the failures climb
/// until they reach a client, or a component already known fatal whose whole loss they
/// include, or die out.
pub fn structural_spofs(design: &Design) -> Vec<ComponentId> {
    let graph = StateGraph::new(design);
    let order = crate::sim::plan::processing_order(design);
    let mut fatal: HashMap<ComponentId, bool> = HashMap::new();
    let mut out = Vec::new();
    for &id in &order {
        let Some(component) = design.component(id) else {
            continue;
        };
        if component.kind.name() == KindName::Client {
            continue;
        }
        let is_fatal = graph.loss_is_fatal(id, &fatal);
        fatal.insert(id, is_fatal);
        if is_fatal && has_no_spare(&component.kind) {
            out.push(id);
        }
    }
    out.sort();
    out
}

/// The states (component, class) of a design and what needs what, for [`structural_spofs`].
struct StateGraph<'a> {
    design: &'a Design,
    /// Per state: whether a request of the class succeeds there with nothing lost.
    baseline: HashMap<(ComponentId, usize), bool>,
    /// Per state: the states that need it (whose success depends on it).
    parents: HashMap<(ComponentId, usize), Vec<(ComponentId, usize)>>,
    /// Per client: the classes it sends.
    sends: HashMap<ComponentId, Vec<usize>>,
    /// The states some client's requests reach: only their losses can matter (a server
    /// that no write reaches has a write state that needs nothing, and succeeds).
    reached: std::collections::HashSet<(ComponentId, usize)>,
    /// Each component's loop (strongly connected component): an async link within a loop
    /// hands on a job that no request waits for.
    loop_of: HashMap<ComponentId, usize>,
}

impl<'a> StateGraph<'a> {
    fn new(design: &'a Design) -> Self {
        let mut loop_of = HashMap::new();
        for (n, members) in petgraph::algo::kosaraju_scc(&design.graph)
            .into_iter()
            .enumerate()
        {
            loop_of.extend(members.into_iter().map(|id| (id, n)));
        }
        let mut graph = Self {
            design,
            baseline: HashMap::new(),
            parents: HashMap::new(),
            sends: HashMap::new(),
            reached: std::collections::HashSet::new(),
            loop_of,
        };
        for (id, component) in design.components() {
            if let ComponentKind::Client(p) = &component.kind {
                let classes = TrafficClass::ALL
                    .iter()
                    .filter(|c| p.mix.share(**c) > 0.0)
                    .map(|c| c.index())
                    .collect();
                graph.sends.insert(id, classes);
            }
            for k in 0..TrafficClass::COUNT {
                for child in graph.children(id, k) {
                    graph.parents.entry(child).or_default().push((id, k));
                }
            }
        }
        let mut stack: Vec<(ComponentId, usize)> = graph
            .sends
            .iter()
            .flat_map(|(&id, ks)| ks.iter().map(move |&k| (id, k)))
            .collect();
        while let Some(state) = stack.pop() {
            if graph.reached.insert(state) {
                stack.extend(graph.children(state.0, state.1));
            }
        }
        // Success with nothing lost, each state after all it needs (a depth-first walk
        // without recursion; a state met again while it is being worked out, on a loop,
        // counts as a success: the walk ends at the queue before the loop closes).
        let states: Vec<(ComponentId, usize)> = design
            .components()
            .flat_map(|(id, _)| (0..TrafficClass::COUNT).map(move |k| (id, k)))
            .collect();
        let mut in_progress: std::collections::HashSet<(ComponentId, usize)> =
            std::collections::HashSet::new();
        for start in states {
            if graph.baseline.contains_key(&start) {
                continue;
            }
            let mut stack = vec![(start, false)];
            while let Some((state, expanded)) = stack.pop() {
                if expanded {
                    let ok = graph.succeeds(state.0, state.1, &|c| {
                        graph.baseline.get(&c).copied().unwrap_or(true)
                    });
                    graph.baseline.insert(state, ok);
                    in_progress.remove(&state);
                    continue;
                }
                if graph.baseline.contains_key(&state) || !in_progress.insert(state) {
                    continue;
                }
                stack.push((state, true));
                for child in graph.children(state.0, state.1) {
                    if !graph.baseline.contains_key(&child) && !in_progress.contains(&child) {
                        stack.push((child, false));
                    }
                }
            }
        }
        graph
    }

    /// What a request of class `k` at `node` needs below: (component, class) states. An async
    /// link within a loop is no need: it hands a follow-up job on, and nothing waits for it.
    fn children(&self, node: ComponentId, k: usize) -> Vec<(ComponentId, usize)> {
        let Some(component) = self.design.component(node) else {
            return Vec::new();
        };
        let class = TrafficClass::ALL[k];
        let waited_on = |t: ComponentId, l: &crate::model::Link| {
            !(l.is_async_only() && self.loop_of.get(&node) == self.loop_of.get(&t))
        };
        match component.kind.name() {
            KindName::Database | KindName::MessageQueue => Vec::new(),
            kind => {
                let mut out: Vec<(ComponentId, usize)> = self
                    .design
                    .outgoing(node)
                    .filter(|(_, t, l)| l.carries(class) && waited_on(*t, l))
                    .map(|(_, t, _)| (t, k))
                    .collect();
                if kind == KindName::Server {
                    let session = TrafficClass::Session.index();
                    out.extend(
                        self.design
                            .outgoing(node)
                            .filter(|(_, t, l)| {
                                l.carries(TrafficClass::Session) && waited_on(*t, l)
                            })
                            .map(|(_, t, _)| (t, session)),
                    );
                    out.sort();
                    out.dedup();
                }
                out
            }
        }
    }

    /// Whether a request of class `k` succeeds at `node` (taken as there), given whether each
    /// state below it does.
    fn succeeds(
        &self,
        node: ComponentId,
        k: usize,
        ok: &dyn Fn((ComponentId, usize)) -> bool,
    ) -> bool {
        let Some(component) = self.design.component(node) else {
            return false;
        };
        let kind = component.kind.name();
        let children = self.children(node, k);
        match kind {
            KindName::Database | KindName::MessageQueue => true,
            KindName::Server => children.iter().all(|&c| ok(c)),
            KindName::Cache | KindName::Cdn if children.is_empty() => true,
            _ if children.is_empty() => kind != KindName::Client && kind != KindName::LoadBalancer,
            _ => children.iter().any(|&c| ok(c)),
        }
    }

    /// Whether a state can matter to a loss: some client's requests reach it, and they
    /// succeed there with nothing lost.
    fn counts(&self, state: (ComponentId, usize)) -> bool {
        self.reached.contains(&state) && self.baseline.get(&state).copied().unwrap_or(false)
    }

    /// The states losing `node` fails outright: all it handles, but for a cache only what has
    /// nowhere else to go (the rest passes on as misses).
    fn lost_states(&self, node: ComponentId) -> Vec<(ComponentId, usize)> {
        let is_cache = self
            .design
            .component(node)
            .is_some_and(|c| c.kind.name() == KindName::Cache);
        (0..TrafficClass::COUNT)
            .filter(|&k| self.counts((node, k)))
            .filter(|&k| !is_cache || self.children(node, k).is_empty())
            .map(|k| (node, k))
            .collect()
    }

    /// Whether losing `node` fails a class a client sends, with `known` the components whose
    /// loss has been worked out (see [`structural_spofs`]).
    fn loss_is_fatal(&self, node: ComponentId, known: &HashMap<ComponentId, bool>) -> bool {
        let lost = self.lost_states(node);
        if lost.is_empty() {
            return false;
        }
        // A chain: every lost state has one state above it, all of one component that the
        // loss fails outright and whose own loss is known.
        let above: Vec<(ComponentId, usize)> = lost
            .iter()
            .flat_map(|s| self.parents.get(s).into_iter().flatten().copied())
            .filter(|&p| self.counts(p))
            .collect();
        if let Some(&(parent, _)) = above.first()
            && above.len() == lost.len()
            && lost.iter().all(|s| {
                self.parents
                    .get(s)
                    .is_some_and(|ps| ps.iter().filter(|&&p| self.counts(p)).count() == 1)
            })
            && above.iter().all(|(p, _)| *p == parent)
            && let Some(&parent_fatal) = known.get(&parent)
        {
            let failed: std::collections::HashSet<_> = lost.iter().copied().collect();
            let parent_lost = self.lost_states(parent);
            let fails_parent = parent_lost.len() == above.len()
                && above.iter().all(|&(p, k)| {
                    !self.succeeds(p, k, &|c| {
                        !failed.contains(&c) && self.baseline.get(&c).copied().unwrap_or(true)
                    })
                });
            if fails_parent && parent_lost.iter().all(|s| above.contains(s)) {
                return parent_fatal;
            }
        }
        // Otherwise the failures climb.
        let mut failed: std::collections::HashSet<(ComponentId, usize)> =
            lost.iter().copied().collect();
        let mut failed_of: HashMap<ComponentId, usize> = HashMap::new();
        let mut queue: Vec<(ComponentId, usize)> = lost.clone();
        while let Some(state) = queue.pop() {
            for &parent in self.parents.get(&state).into_iter().flatten() {
                if failed.contains(&parent) || !self.counts(parent) {
                    continue;
                }
                let fails = !self.succeeds(parent.0, parent.1, &|c| {
                    !failed.contains(&c) && self.baseline.get(&c).copied().unwrap_or(true)
                });
                if !fails {
                    continue;
                }
                if self
                    .sends
                    .get(&parent.0)
                    .is_some_and(|ks| ks.contains(&parent.1))
                {
                    return true;
                }
                failed.insert(parent);
                queue.push(parent);
                // A component already known fatal, all of whose loss has now failed.
                let count = failed_of.entry(parent.0).or_default();
                *count += 1;
                if known.get(&parent.0) == Some(&true)
                    && *count >= self.lost_states(parent.0).len()
                    && self
                        .lost_states(parent.0)
                        .iter()
                        .all(|s| failed.contains(s))
                {
                    return true;
                }
            }
        }
        false
    }
}

/// What losing one instance of a component does to the success ratio.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailureImpact {
    /// The component's name.
    pub name: String,
    /// The component's id in the design (not in JSON).
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

/// The most ticks one N−1 run takes. Each run spans a minute before the loss, the time to
/// settle (up to 60,000 s of health checks or an hour of failover) and a measured stretch;
/// at a scenario's 1 ms tick that would be millions of ticks per component. The flow model
/// holds at every tick length, so the runs take a longer tick instead: the same span of time
/// in at most this many ticks.
pub const N_MINUS_ONE_MAX_TICKS: u64 = 2_000;

/// The tick of the N−1 runs: the scenario's, or the shortest longer one that spans the run in
/// `N_MINUS_ONE_MAX_TICKS` (never past the 60 s a scenario may have).
pub fn n_minus_one_tick_s(scenario_tick_s: f64, settle_s: f64) -> f64 {
    // Fail at 60 s (at least 10 ticks in), settle (5 ticks more), then measure for
    // max(450 ticks, 60 s), each rounded up: below 0.14 s a tick (60 s / 450) the measured
    // stretch is the minute, so the span is 120 s + settle.
    let fixed_ticks = (N_MINUS_ONE_SETTLED_TICKS + 10 + 5 + 2) as f64;
    let fitting_s = (60.0 + settle_s) / (N_MINUS_ONE_MAX_TICKS as f64 - fixed_ticks);
    let fitting_s = fitting_s.max((120.0 + settle_s) / (N_MINUS_ONE_MAX_TICKS as f64 - 17.0));
    scenario_tick_s.max(fitting_s).min(60.0)
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
    let tick_s = n_minus_one_tick_s(scenario.tick_s, settle_s(design));
    let fail_tick = ((60.0 / tick_s).ceil() as u64).max(10);
    let settled_tick = fail_tick + ((settle_s(design) / tick_s).ceil() as u64) + 5;
    let ticks = settled_tick + N_MINUS_ONE_SETTLED_TICKS.max((60.0 / tick_s).ceil() as u64);
    let at_s = fail_tick as f64 * tick_s;
    let window = |extra: Option<ScheduledFailure>| -> Result<(f64, f64, u64), SimError> {
        let mut s = scenario.clone();
        s.tick_s = tick_s;
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
