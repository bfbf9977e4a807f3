//! The tick simulation: traffic through the graph as whole-request flows, with latency from
//! queueing theory and end-to-end percentiles from sampled request paths.
//!
//! A run is deterministic: the same design, scenario and seed give bit-identical output. Every
//! traffic source has its own random stream named after it, so two variants of a design see
//! the same traffic (common random numbers). See DESIGN.md §3 and MODEL-REFERENCE.md.

pub mod flow;
pub(crate) mod kinds;
pub(crate) mod latency;
mod paths;
pub(crate) mod plan;
pub mod queueing;
pub mod report;
pub mod state;
pub mod stats;

use crate::model::{ComponentId, Design, Issue, KindName, PriceTable, Scenario};

use flow::{Counts, Rates};
use kinds::{Output, TickCtx};
use plan::{Forwarding, KindPlan, Plan};
use state::{KindState, NodeState, NodeTick};
use stats::{LogHistogram, Percentiles};

pub use report::{ComponentReport, RunSummary};

/// Why a simulation cannot start or go on.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The design breaks validation rules; it cannot run until they are fixed.
    #[error("the design is not valid: {}", .0.iter().map(|i| i.message.clone()).collect::<Vec<_>>().join("; "))]
    InvalidDesign(Vec<Issue>),
    /// A size is missing from the price table.
    #[error("size '{0}' is not in the price table")]
    UnknownSize(String),
    /// The run has reached its last tick; reset or build a longer run to go on.
    #[error("the run is over after {0} ticks")]
    Finished(u64),
}

/// Options of a run beyond the scenario.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Seed of every random stream (defaults to the scenario's).
    pub seed: Option<u64>,
    /// Number of ticks (defaults to the scenario's duration).
    pub ticks: Option<u64>,
    /// Multiplies the scenario's load multiplier.
    pub load_multiplier: Option<f64>,
    /// Request paths sampled per tick for end-to-end latency.
    pub samples_per_tick: usize,
    /// Keep a per-tick system history (for plots).
    pub keep_history: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            seed: None,
            ticks: None,
            load_multiplier: None,
            samples_per_tick: 32,
            keep_history: false,
        }
    }
}

/// The whole system in one tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct SystemTick {
    pub tick: u64,
    pub time_s: f64,
    /// Profile × load multiplier.
    pub load: f64,
    pub offered_per_s: f64,
    /// Requests per second that succeed end to end.
    pub throughput_per_s: f64,
    pub success_ratio: f64,
    pub dropped: u64,
    pub errors: u64,
    /// End-to-end latency of the sampled requests of the last few ticks, in milliseconds.
    pub latency_ms: Percentiles,
}

/// Per-node latency statistics gathered from sampled paths.
#[derive(Clone, Debug, Default)]
pub(crate) struct NodeLatency {
    pub histogram: Option<Box<LogHistogram>>,
    /// Sum and count of the model's mean latency at each visit (a Rao–Blackwellised mean).
    pub mean_sum_ms: f64,
    pub visits: u64,
}

/// A running simulation.
pub struct Simulation {
    pub(crate) plan: Plan,
    pub(crate) states: Vec<NodeState>,
    inbox: Vec<Counts>,
    inrate: Vec<Rates>,
    delayed_inbox: Vec<Counts>,
    delayed_inrate: Vec<Rates>,
    route_carry: Vec<f64>,
    pub(crate) routable: Vec<u32>,
    /// Per node: instance capacity, for least-loaded balancing.
    instance_capacity: Vec<f64>,
    /// Per node and class: chance that a request arriving this tick succeeds end to end.
    pub(crate) success: Vec<Rates>,
    /// Nodes with instances down, whose routing must be refreshed each tick.
    failing: Vec<u32>,
    scratch_weights: Vec<f64>,
    scratch_counts: Vec<u64>,
    scratch_carries: Vec<f64>,
    event_cursor: usize,
    tick: u64,
    ticks: u64,
    seed: u64,
    load_multiplier: f64,
    options: RunOptions,
    pub(crate) sampler: paths::Sampler,
    pub(crate) node_latency: Vec<NodeLatency>,
    last: SystemTick,
    history: Vec<SystemTick>,
    measured: SystemMeasured,
}

#[derive(Clone, Debug, Default)]
struct SystemMeasured {
    ticks: u64,
    offered: u64,
    succeeded: f64,
    dropped: u64,
    errors: u64,
}

impl Simulation {
    /// A simulation of `scenario` on `design` with the scenario's seed.
    pub fn new(
        design: &Design,
        scenario: &Scenario,
        prices: &PriceTable,
    ) -> Result<Self, SimError> {
        Self::with_options(design, scenario, prices, RunOptions::default())
    }

    /// A simulation with explicit options (seed, ticks, load, sampling).
    pub fn with_options(
        design: &Design,
        scenario: &Scenario,
        prices: &PriceTable,
        options: RunOptions,
    ) -> Result<Self, SimError> {
        let plan = Plan::compile(design, scenario, prices)?;
        let seed = options.seed.unwrap_or(scenario.seed);
        let n = plan.nodes.len();
        let mut states = Vec::with_capacity(n);
        let mut instance_capacity = Vec::with_capacity(n);
        for node in &plan.nodes {
            let kind = match &node.kind {
                KindPlan::Client(_) => KindState::Client {
                    rng: state::stream(seed, &format!("arrivals/{}", node.name)),
                    arrival_carry: 0.0,
                },
                KindPlan::Server(_) => KindState::Server {
                    session_loss_until_s: f64::NEG_INFINITY,
                    session_loss_share: 0.0,
                },
                KindPlan::Cache(_) => KindState::Cache {
                    started_at_s: vec![
                        if plan.caches_start_cold {
                            0.0
                        } else {
                            f64::NEG_INFINITY
                        };
                        node.instances as usize
                    ],
                },
                KindPlan::Database(d) => {
                    KindState::Database(kinds::database::DatabaseState::new(d))
                }
                KindPlan::MessageQueue(_) => KindState::MessageQueue {
                    accept_carry: 0.0,
                    drain_carry: 0.0,
                },
                KindPlan::LoadBalancer(_) | KindPlan::Cdn(_) => KindState::Stateless,
            };
            let mut st = NodeState::new(kind);
            st.tick.healthy_instances = node.instances;
            if plan.random_failures
                && let Some(mtbf_s) = node.mtbf_s
            {
                let mut rng = state::stream(seed, &format!("failures/{}", node.name));
                st.next_random_failure_s =
                    paths::exponential(&mut rng, mtbf_s / f64::from(node.instances.max(1)));
                st.failure_rng = Some(rng);
            }
            states.push(st);
            instance_capacity.push(match &node.kind {
                KindPlan::Client(_) => 0.0,
                KindPlan::LoadBalancer(p) => p.station.capacity_per_s(),
                KindPlan::Server(p) => p.station.capacity_per_s(),
                KindPlan::Cache(p) => p.station.capacity_per_s(),
                KindPlan::Database(p) => kinds::database::instance_capacity_per_s(p),
                KindPlan::MessageQueue(p) => p.broker.capacity_per_s(),
                KindPlan::Cdn(p) => p.station.capacity_per_s(),
            });
        }
        let routable = plan.nodes.iter().map(|n| n.instances).collect();
        let ticks = options.ticks.unwrap_or(plan.ticks).max(1);
        let load_multiplier = plan.load_multiplier * options.load_multiplier.unwrap_or(1.0);
        let sampler = paths::Sampler::new(seed, options.samples_per_tick);
        Ok(Self {
            inbox: vec![[0; 5]; n],
            inrate: vec![[0.0; 5]; n],
            delayed_inbox: vec![[0; 5]; n],
            delayed_inrate: vec![[0.0; 5]; n],
            route_carry: vec![0.0; plan.routes.len()],
            routable,
            instance_capacity,
            success: vec![[1.0; 5]; n],
            failing: Vec::new(),
            scratch_weights: Vec::new(),
            scratch_counts: Vec::new(),
            scratch_carries: Vec::new(),
            event_cursor: 0,
            tick: 0,
            ticks,
            seed,
            load_multiplier,
            options,
            sampler,
            node_latency: vec![NodeLatency::default(); n],
            last: SystemTick::default(),
            history: Vec::new(),
            measured: SystemMeasured::default(),
            plan,
            states,
        })
    }

    /// Ticks simulated so far.
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// Ticks in the run.
    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    /// Seconds per tick.
    pub fn tick_s(&self) -> f64 {
        self.plan.tick_s
    }

    /// The seed of the run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Ticks at the start left out of the run's means.
    pub fn warmup_ticks(&self) -> u64 {
        self.plan.warmup_ticks
    }

    /// Whether the run has reached its last tick.
    pub fn is_finished(&self) -> bool {
        self.tick >= self.ticks
    }

    /// Let the run go on for `more` ticks past its planned end.
    pub fn extend(&mut self, more: u64) {
        self.ticks = self.ticks.saturating_add(more);
    }

    /// The load multiplier (the scenario's × any override).
    pub fn load_multiplier(&self) -> f64 {
        self.load_multiplier
    }

    /// Change the load multiplier from the next tick on (the app's load slider).
    pub fn set_load_multiplier(&mut self, multiplier: f64) {
        if multiplier.is_finite() && multiplier >= 0.0 {
            self.load_multiplier = multiplier;
        }
    }

    /// Base requests per second of all clients at multiplier 1 and profile 1.
    pub fn base_rate_per_s(&self) -> f64 {
        self.plan.base_rate_per_s()
    }

    /// The last tick's system figures.
    pub fn last(&self) -> &SystemTick {
        &self.last
    }

    /// Per-tick system figures so far (kept when [`RunOptions::keep_history`] is set).
    pub fn history(&self) -> &[SystemTick] {
        &self.history
    }

    /// What a component did in the last tick.
    pub fn node_tick(&self, id: ComponentId) -> Option<&NodeTick> {
        self.plan
            .index_of
            .get(&id)
            .map(|&i| &self.states[i as usize].tick)
    }

    /// Run one tick.
    pub fn step(&mut self) -> Result<&SystemTick, SimError> {
        if self.is_finished() {
            return Err(SimError::Finished(self.ticks));
        }
        let dt = self.plan.tick_s;
        let now_s = self.tick as f64 * dt;
        self.apply_failures(now_s);
        self.refresh_routing(now_s);
        std::mem::swap(&mut self.inbox, &mut self.delayed_inbox);
        std::mem::swap(&mut self.inrate, &mut self.delayed_inrate);
        let load = self.plan.profile.multiplier_at(now_s) * self.load_multiplier;
        for i in 0..self.plan.nodes.len() {
            self.step_node(i, now_s, load);
        }
        self.propagate_success();
        self.finish_tick(now_s, load);
        self.tick += 1;
        Ok(&self.last)
    }

    /// Run until tick `tick` (exclusive) or the end of the run.
    pub fn run_until(&mut self, tick: u64) -> Result<&SystemTick, SimError> {
        if self.is_finished() {
            return Err(SimError::Finished(self.ticks));
        }
        while self.tick < tick.min(self.ticks) {
            self.step()?;
        }
        Ok(&self.last)
    }

    /// Run to the end of the run.
    pub fn run_to_end(&mut self) -> Result<&SystemTick, SimError> {
        let ticks = self.ticks;
        self.run_until(ticks)
    }

    fn step_node(&mut self, i: usize, now_s: f64, load: f64) {
        let arrivals = std::mem::take(&mut self.inbox[i]);
        let rates = std::mem::take(&mut self.inrate[i]);
        let node = &self.plan.nodes[i];
        let st = &mut self.states[i];
        let healthy = st.tick.healthy_instances;
        st.tick = NodeTick {
            arrived: arrivals,
            healthy_instances: healthy,
            ..NodeTick::default()
        };
        let ctx = TickCtx {
            now_s,
            tick_s: self.plan.tick_s,
            load,
            routable: &self.routable,
            routes: &self.plan.routes,
        };
        let mut out = Output::default();
        match &node.kind {
            KindPlan::Client(p) => kinds::client::step(p, node, st, &ctx, &mut out),
            KindPlan::LoadBalancer(p) => {
                kinds::load_balancer::step(p, node, st, arrivals, rates, &ctx, &mut out)
            }
            KindPlan::Server(p) => {
                kinds::server::step(p, node, st, arrivals, rates, &ctx, &mut out)
            }
            KindPlan::Cache(p) => kinds::cache::step(p, node, st, arrivals, rates, &ctx, &mut out),
            KindPlan::Database(p) => {
                kinds::database::step(p, node, st, arrivals, rates, &ctx, &mut out)
            }
            KindPlan::MessageQueue(p) => {
                kinds::message_queue::step(p, node, st, arrivals, rates, &ctx, &mut out)
            }
            KindPlan::Cdn(p) => kinds::cdn::step(p, node, st, arrivals, rates, &ctx, &mut out),
        }
        self.route(i, &out);
    }

    /// Pass a node's output down its links.
    fn route(&mut self, i: usize, out: &Output) {
        let node = &self.plan.nodes[i];
        let (routes, session_routes, forwarding) =
            (node.routes, node.session_routes, node.forwarding);
        match forwarding {
            Forwarding::Terminal => {}
            Forwarding::FanOut => {
                for k in 0..5 {
                    let (a, b) = routes[k];
                    for e in a..b {
                        let entry = self.plan.routes[e as usize];
                        let count = flow::scale(
                            out.forward[k],
                            entry.calls,
                            &mut self.route_carry[e as usize],
                        );
                        let rate = out.forward_rates[k] * entry.calls;
                        deliver(
                            &mut self.inbox,
                            &mut self.inrate,
                            &mut self.delayed_inbox,
                            &mut self.delayed_inrate,
                            entry,
                            k,
                            count,
                            rate,
                        );
                    }
                }
                let (a, b) = session_routes;
                let session = crate::model::TrafficClass::Session.index();
                for e in a..b {
                    let entry = self.plan.routes[e as usize];
                    let count =
                        flow::scale(out.session, entry.calls, &mut self.route_carry[e as usize]);
                    let rate = out.session_rate * entry.calls;
                    deliver(
                        &mut self.inbox,
                        &mut self.inrate,
                        &mut self.delayed_inbox,
                        &mut self.delayed_inrate,
                        entry,
                        session,
                        count,
                        rate,
                    );
                }
            }
            Forwarding::Split | Forwarding::Balance => {
                for k in 0..5 {
                    let (a, b) = routes[k];
                    if a == b || (out.forward[k] == 0 && out.forward_rates[k] == 0.0) {
                        continue;
                    }
                    if b - a == 1 {
                        let entry = self.plan.routes[a as usize];
                        let usable = forwarding == Forwarding::Split
                            || self.routable[entry.target as usize] > 0;
                        if usable {
                            deliver(
                                &mut self.inbox,
                                &mut self.inrate,
                                &mut self.delayed_inbox,
                                &mut self.delayed_inrate,
                                entry,
                                k,
                                out.forward[k],
                                out.forward_rates[k],
                            );
                        }
                        continue;
                    }
                    self.split_weights(i, k);
                    let len = (b - a) as usize;
                    self.scratch_counts.clear();
                    self.scratch_counts.resize(len, 0);
                    self.scratch_carries.clear();
                    self.scratch_carries
                        .extend_from_slice(&self.route_carry[a as usize..b as usize]);
                    flow::split_weighted(
                        out.forward[k],
                        &self.scratch_weights,
                        &mut self.scratch_carries,
                        &mut self.scratch_counts,
                    );
                    self.route_carry[a as usize..b as usize].copy_from_slice(&self.scratch_carries);
                    let weight_sum: f64 = self.scratch_weights.iter().sum();
                    for (j, e) in (a..b).enumerate() {
                        let entry = self.plan.routes[e as usize];
                        let rate = if weight_sum > 0.0 {
                            out.forward_rates[k] * self.scratch_weights[j] / weight_sum
                        } else {
                            0.0
                        };
                        deliver(
                            &mut self.inbox,
                            &mut self.inrate,
                            &mut self.delayed_inbox,
                            &mut self.delayed_inrate,
                            entry,
                            k,
                            self.scratch_counts[j],
                            rate,
                        );
                    }
                }
            }
        }
    }

    /// This tick's weights of the links of node `i` for class `k`, into `scratch_weights`.
    pub(crate) fn split_weights(&mut self, i: usize, k: usize) {
        let node = &self.plan.nodes[i];
        let (a, b) = node.routes[k];
        self.scratch_weights.clear();
        for e in a..b {
            let entry = &self.plan.routes[e as usize];
            let w = match (&node.kind, node.forwarding) {
                (KindPlan::LoadBalancer(lb), Forwarding::Balance) => {
                    kinds::load_balancer::target_weight(
                        lb,
                        entry.weight,
                        self.routable[entry.target as usize],
                        self.instance_capacity[entry.target as usize],
                    )
                }
                _ => entry.weight,
            };
            self.scratch_weights.push(w);
        }
    }

    /// Work out, from the leaves up, the chance that a request of each class arriving at each
    /// node this tick succeeds: its own drops and errors, then what it depends on downstream
    /// (any one of a split; all calls of a fan-out; only misses of a cache; nothing past a
    /// queue, which decouples).
    fn propagate_success(&mut self) {
        for i in (0..self.plan.nodes.len()).rev() {
            let mut result = [1.0; 5];
            for (k, slot) in result.iter_mut().enumerate() {
                let tick = &self.states[i].tick;
                let arrived = tick.arrived[k];
                let failed = tick.dropped[k] + tick.errors[k];
                let local = if arrived > 0 {
                    1.0 - (failed as f64 / arrived as f64).min(1.0)
                } else if failed > 0 {
                    0.0
                } else {
                    1.0
                };
                let node = &self.plan.nodes[i];
                let ok_served = tick.served[k].saturating_sub(tick.errors[k]);
                let forwarded_share = match node.kind_name {
                    KindName::MessageQueue => 0.0,
                    KindName::Cache | KindName::Cdn => {
                        if ok_served > 0 {
                            (tick.forwarded[k] as f64 / ok_served as f64).min(1.0)
                        } else {
                            let hit = tick.hit_ratio.unwrap_or(0.0);
                            match k {
                                0 | 2 => 1.0 - hit,
                                _ => 1.0,
                            }
                        }
                    }
                    _ => 1.0,
                };
                let downstream = if forwarded_share > 0.0 {
                    self.downstream_success(i, k)
                } else {
                    1.0
                };
                *slot = local * (1.0 - forwarded_share + forwarded_share * downstream);
            }
            self.success[i] = result;
        }
    }

    fn downstream_success(&mut self, i: usize, k: usize) -> f64 {
        let node = &self.plan.nodes[i];
        let (a, b) = node.routes[k];
        match node.forwarding {
            Forwarding::Terminal => 1.0,
            Forwarding::FanOut => {
                let mut s = 1.0;
                for e in a..b {
                    let entry = &self.plan.routes[e as usize];
                    s *= self.success[entry.target as usize][k].powf(entry.calls);
                }
                let (sa, sb) = node.session_routes;
                let session = crate::model::TrafficClass::Session.index();
                for e in sa..sb {
                    let entry = &self.plan.routes[e as usize];
                    s *= self.success[entry.target as usize][session].powf(entry.calls);
                }
                s
            }
            Forwarding::Split | Forwarding::Balance => {
                if a == b {
                    return 1.0;
                }
                self.split_weights(i, k);
                let sum: f64 = self.scratch_weights.iter().sum();
                if sum <= 0.0 {
                    return 0.0;
                }
                (a..b)
                    .zip(self.scratch_weights.iter())
                    .map(|(e, w)| w * self.success[self.plan.routes[e as usize].target as usize][k])
                    .sum::<f64>()
                    / sum
            }
        }
    }

    fn finish_tick(&mut self, now_s: f64, load: f64) {
        let dt = self.plan.tick_s;
        let mut offered = 0u64;
        let mut succeeded = 0.0;
        let mut dropped = 0u64;
        let mut errors = 0u64;
        let measuring = self.tick >= self.plan.warmup_ticks;
        for (i, node) in self.plan.nodes.iter().enumerate() {
            let st = &mut self.states[i];
            let t = &st.tick;
            let arrived = t.arrived_total();
            let served = t.served_total();
            let node_dropped = t.dropped_total();
            let node_errors = t.errors_total();
            if node.kind_name == KindName::Client {
                offered += arrived;
                succeeded += (0..5)
                    .map(|k| t.arrived[k] as f64 * self.success[i][k])
                    .sum::<f64>();
            }
            dropped += node_dropped;
            errors += node_errors;
            st.totals.arrived += arrived;
            st.totals.served += served;
            st.totals.dropped += node_dropped;
            st.totals.errors += node_errors;
            if measuring {
                let m = &mut st.measured;
                m.ticks += 1;
                m.arrived += arrived;
                m.served += served;
                m.dropped += node_dropped;
                m.errors += node_errors;
                m.overflow_dropped += t.overflow_dropped;
                m.utilization_sum += t.utilization;
                if t.offered_utilization.is_finite() {
                    m.offered_utilization_sum += t.offered_utilization;
                }
                m.backlog_sum += t.backlog as f64;
                m.rate_in_sum += t.rate_in_per_s.iter().sum::<f64>();
                m.capacity_sum += t.capacity_per_s;
                m.max_utilization = m.max_utilization.max(t.utilization);
                if t.utilization >= report::SATURATED_UTILIZATION || node_dropped > 0 {
                    m.saturated_ticks += 1;
                }
            }
        }
        self.sample_paths(measuring);
        let success_ratio = if offered > 0 {
            succeeded / offered as f64
        } else {
            1.0
        };
        self.last = SystemTick {
            tick: self.tick,
            time_s: now_s,
            load,
            offered_per_s: offered as f64 / dt,
            throughput_per_s: succeeded / dt,
            success_ratio,
            dropped,
            errors,
            latency_ms: if self.options.keep_history {
                self.sampler.window_percentiles()
            } else {
                Percentiles::default()
            },
        };
        if measuring {
            let m = &mut self.measured;
            m.ticks += 1;
            m.offered += offered;
            m.succeeded += succeeded;
            m.dropped += dropped;
            m.errors += errors;
        }
        if self.options.keep_history {
            self.history.push(self.last);
        }
    }

    /// Scheduled and random failures and repairs due at this tick.
    fn apply_failures(&mut self, now_s: f64) {
        while let Some(event) = self.plan.events.get(self.event_cursor).copied() {
            if event.tick > self.tick {
                break;
            }
            self.event_cursor += 1;
            if event.recover {
                self.recover_instances(event.node as usize, event.instances, now_s);
            } else {
                self.fail_instances(event.node as usize, event.instances, now_s);
            }
        }
        if self.plan.random_failures {
            for i in 0..self.plan.nodes.len() {
                self.random_failures(i, now_s);
            }
        }
    }

    fn random_failures(&mut self, i: usize, now_s: f64) {
        let Some(mtbf_s) = self.plan.nodes[i].mtbf_s else {
            return;
        };
        let mttr_s = self.plan.nodes[i].mttr_s;
        // Repairs due.
        let due = {
            let st = &mut self.states[i];
            let before = st.repair_at_s.len();
            st.repair_at_s.retain(|t| *t > now_s);
            (before - st.repair_at_s.len()) as u32
        };
        if due > 0 {
            self.recover_instances(i, due, now_s);
        }
        while self.states[i].next_random_failure_s <= now_s {
            let failed = self.fail_instances(i, 1, now_s);
            let instances = self.plan.nodes[i].instances;
            let st = &mut self.states[i];
            let Some(rng) = st.failure_rng.as_mut() else {
                break;
            };
            if failed > 0 {
                let repair = now_s + paths::exponential(rng, mttr_s);
                st.repair_at_s.push(repair);
            }
            let alive = instances.saturating_sub(self.states[i].down_since.len() as u32);
            let st = &mut self.states[i];
            let Some(rng) = st.failure_rng.as_mut() else {
                break;
            };
            let rate_s = mtbf_s / f64::from(alive.max(1));
            st.next_random_failure_s = now_s + paths::exponential(rng, rate_s).max(1e-9);
        }
    }

    /// Fail `k` instances of node `i` (`u32::MAX`: all). Returns how many went down.
    pub(crate) fn fail_instances(&mut self, i: usize, k: u32, now_s: f64) -> u32 {
        let node = &self.plan.nodes[i];
        let st = &mut self.states[i];
        let failed = match &node.kind {
            KindPlan::Database(p) => {
                let failed = kinds::database::fail(p, st, k, now_s);
                // Keep the node-level list in step for health and display.
                for _ in 0..failed {
                    st.down_since.push(now_s);
                }
                failed
            }
            _ => {
                let up = node.instances.saturating_sub(st.down_since.len() as u32);
                let failed = k.min(up);
                for _ in 0..failed {
                    st.down_since.push(now_s);
                }
                if let KindState::Cache { started_at_s } = &mut st.kind {
                    for _ in 0..failed {
                        started_at_s.pop();
                    }
                }
                if let KindPlan::Server(p) = &node.kind {
                    kinds::server::on_failure(p, node, st, failed, up, now_s);
                }
                failed
            }
        };
        if failed > 0 && !self.failing.contains(&(i as u32)) {
            self.failing.push(i as u32);
        }
        failed
    }

    /// Repair `k` instances of node `i` (`u32::MAX`: all). A cache comes back cold.
    pub(crate) fn recover_instances(&mut self, i: usize, k: u32, now_s: f64) -> u32 {
        let node = &self.plan.nodes[i];
        let st = &mut self.states[i];
        let repaired = match &node.kind {
            KindPlan::Database(p) => kinds::database::recover(p, st, k),
            _ => k.min(st.down_since.len() as u32),
        };
        // The longest-down instances come back first.
        let n = (repaired as usize).min(st.down_since.len());
        st.down_since.drain(0..n);
        if let KindState::Cache { started_at_s } = &mut st.kind {
            for _ in 0..repaired {
                started_at_s.push(now_s);
            }
        }
        repaired
    }

    /// Refresh, for groups with instances down, how many instances the balancers route to.
    fn refresh_routing(&mut self, now_s: f64) {
        let plan = &self.plan;
        let states = &self.states;
        let routable = &mut self.routable;
        self.failing.retain(|&i| {
            let node = &plan.nodes[i as usize];
            let st = &states[i as usize];
            let noticed = st.noticed_down(now_s, node.detection_delay_s);
            routable[i as usize] = node.instances.saturating_sub(noticed);
            !st.down_since.is_empty()
        });
    }

    /// The response-time model of node `i` for class `k` this tick (for databases, of shard
    /// `shard`).
    pub(crate) fn response(&self, i: usize, k: usize, shard: usize) -> queueing::ResponseTime {
        let node = &self.plan.nodes[i];
        let st = &self.states[i];
        let backlog = flow::total(&st.backlog);
        match &node.kind {
            KindPlan::Client(_) => queueing::ResponseTime::default(),
            KindPlan::LoadBalancer(p) => kinds::load_balancer::group(p, node, st).response(backlog),
            KindPlan::Server(p) => kinds::server::group(p, node, st).response(backlog),
            KindPlan::Cache(p) => kinds::cache::group(p, node, st).response(backlog),
            KindPlan::Cdn(p) => kinds::cdn::group(p, node, st).response(backlog),
            KindPlan::MessageQueue(p) => kinds::message_queue::group(p, node, st).response(0),
            KindPlan::Database(p) => {
                let write = k == crate::model::TrafficClass::Write.index()
                    || k == crate::model::TrafficClass::Async.index();
                kinds::database::response(p, st, shard, write)
            }
        }
    }

    /// Mean latency of node `i` for its current mix, in milliseconds.
    pub(crate) fn mean_latency_ms(&self, i: usize) -> f64 {
        let node = &self.plan.nodes[i];
        match &node.kind {
            KindPlan::Database(p) => {
                let rates = self.states[i].tick.rate_in_per_s;
                let total: f64 = rates.iter().sum();
                if total <= 0.0 {
                    return self.response(i, 0, 0).mean_s() * 1000.0;
                }
                let mut mean = 0.0;
                for (j, share) in p.shard_share.iter().enumerate() {
                    for (k, r) in rates.iter().enumerate() {
                        if *r > 0.0 {
                            mean += share * r / total * self.response(i, k, j).mean_s();
                        }
                    }
                }
                mean * 1000.0
            }
            _ => self.response(i, 0, 0).mean_s() * 1000.0,
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline]
fn deliver(
    inbox: &mut [Counts],
    inrate: &mut [Rates],
    delayed_inbox: &mut [Counts],
    delayed_inrate: &mut [Rates],
    entry: plan::RouteEntry,
    k: usize,
    count: u64,
    rate: f64,
) {
    let t = entry.target as usize;
    if entry.delayed {
        delayed_inbox[t][k] += count;
        delayed_inrate[t][k] += rate;
    } else {
        inbox[t][k] += count;
        inrate[t][k] += rate;
    }
}
