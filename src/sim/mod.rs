//! The tick simulation: traffic through the graph as whole-request flows, with latency from
//! queueing theory and end-to-end percentiles from sampled request paths.
//!
//! A run is deterministic: the same design, scenario and seed give bit-identical output. Every
//! traffic source has its own random stream named after it, so two variants of a design see
//! the same traffic (common random numbers). See DESIGN.md §3 and MODEL-REFERENCE.md.

pub mod autoscale;
mod breakers;
pub(crate) mod completions;
pub mod events;
mod failures;
pub mod flow;
pub(crate) mod kinds;
pub(crate) mod latency;
pub mod laws;
pub mod outcome;
mod paths;
pub(crate) mod plan;
pub mod preflight;
pub mod queueing;
pub mod report;
mod retries;
pub mod state;
pub mod stats;
pub mod warmup;

use crate::model::validate::{MAX_RATE_PER_S, MAX_TICKS, beyond_max_rate};
use crate::model::{ComponentId, Design, Issue, KindName, PriceTable, Scenario};

use failures::FailureClock;
use kinds::TickCtx;
use plan::{KindPlan, NodePlan, Plan, RouteOp};
use state::{Channel, KindState, Measured, NodeState, NodeTick};
use stats::{LogHistogram, Percentiles};

pub use outcome::RequestTotals;
pub use report::{ComponentReport, RunSummary};

/// Sampled request paths per tick when none is asked for: 32, or fewer for long runs, so that
/// a run samples about half a million paths without the sampling outweighing the simulation
/// of small designs. Half a million is plenty for an end-to-end p99: the quantile's standard
/// error is √(0.99 × 0.01 / n) = 0.014 % of the requests, which for an exponential-like tail
/// is 0.3 % of the p99's value.
pub fn default_samples_per_tick(ticks: u64) -> usize {
    (500_000 / ticks.max(1)).clamp(4, 32) as usize
}

/// Why a simulation cannot start or go on.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The design breaks validation rules; it cannot run until they are fixed.
    #[error("the design is not valid: {}", .0.iter().map(|i| i.message.clone()).collect::<Vec<_>>().join("; "))]
    InvalidDesign(Vec<Issue>),
    /// A size is missing from the price table.
    #[error("size '{0}' is not in the price table")]
    UnknownSize(String),
    /// Something that should not happen did (a worker thread stopped); the run cannot go on.
    #[error("internal error: {0}")]
    Internal(String),
    /// The run has reached its last tick; reset or build a longer run to go on.
    #[error("the run is over after {0} ticks")]
    Finished(u64),
    /// The run's options (ticks, samples, load) are out of range; the message says which.
    #[error("{0}")]
    BadOptions(String),
    /// The engine asked for does not model a part of the design yet; the message says which.
    #[error("{0}")]
    NotModelled(String),
}

/// The most request paths sampled per tick (each is a walk through the design).
pub const MAX_SAMPLES_PER_TICK: usize = 100_000;

/// Options of a run beyond the scenario.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Seed of every random stream (defaults to the scenario's).
    pub seed: Option<u64>,
    /// Number of ticks (defaults to the scenario's duration).
    pub ticks: Option<u64>,
    /// Multiplies the scenario's load multiplier.
    pub load_multiplier: Option<f64>,
    /// Request paths sampled per tick for end-to-end latency; `None` picks
    /// [`default_samples_per_tick`] for the run's length. A design whose clients have a
    /// deadline, or whose links time attempts out, samples at least one path a tick even
    /// when 0 is asked for: the sampled paths are how the flow engine knows the share of
    /// requests (and attempts) answered too late.
    pub samples_per_tick: Option<usize>,
    /// Keep a per-tick system history (for plots).
    pub keep_history: bool,
    /// Work out end-to-end latency percentiles of the last few ticks every tick (for a live
    /// display; implied by `keep_history`).
    pub live_latency: bool,
}

/// The whole system in one tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct SystemTick {
    /// Index of the tick, counting from 0.
    pub tick: u64,
    /// Simulated time at the start of the tick, in seconds.
    pub time_s: f64,
    /// Profile × load multiplier.
    pub load: f64,
    /// Requests per second the clients sent this tick.
    pub offered_per_s: f64,
    /// Requests per second that completed end to end this tick (left their last hop).
    pub throughput_per_s: f64,
    /// Of the requests that came to an end this tick, the share that succeeded: completed ÷
    /// (completed + failed); 1 when none did.
    pub success_ratio: f64,
    /// Requests per second that failed this tick (dropped or answered with an error).
    pub failed_per_s: f64,
    /// Requests in flight at the end of the tick: waiting somewhere, neither succeeded nor
    /// failed yet.
    pub in_flight: f64,
    /// Requests dropped at any component this tick: overflow, timeouts, dead instances, no route.
    pub dropped: u64,
    /// Requests served with an error at any component this tick (lost sessions, misses with no
    /// store behind).
    pub errors: u64,
    /// Retries handed over again down retrying links this tick, per second.
    pub retries_per_s: f64,
    /// Circuit breakers open (or half-open) this tick.
    pub open_breakers: u32,
    /// Autoscaled tiers, all together: instances in service this tick (failed ones among
    /// them).
    pub autoscaled_in_service: u32,
    /// Autoscaled tiers, all together: instances booting this tick (launched, not serving).
    pub autoscaled_booting: u32,
    /// End-to-end latency of the successful sampled requests of the last ticks (enough of
    /// them for a p99), in milliseconds.
    pub latency_ms: Percentiles,
}

/// Per-node latency statistics gathered from sampled paths.
#[derive(Clone, Debug, Default)]
pub(crate) struct NodeLatency {
    pub histogram: Option<Box<LogHistogram>>,
    /// Sum and count of the model's mean latency at each visit (a Rao–Blackwellised mean),
    /// and of its mean wait before service.
    pub mean_sum_ms: f64,
    pub wait_sum_ms: f64,
    pub visits: u64,
}

/// A running simulation.
pub struct Simulation {
    pub(crate) plan: Plan,
    pub(crate) states: Vec<NodeState>,
    /// Per node: its run sums when the warm-up ended (the measured means count from there).
    warmup_sums: Vec<Measured>,
    /// Each node's backlog when the warm-up ended (Little's law over a finite stretch).
    pub(crate) warmup_backlogs: Vec<u64>,
    /// Per node, in runs with random failures (else empty): its failure clock, if it fails.
    failure_clocks: Vec<Option<FailureClock>>,
    /// Per channel (a class at a node): this tick's arrivals and what they do, and what has
    /// been handed to it since its node last stepped.
    pub(crate) channels: Vec<Channel>,
    route_carry: Vec<f64>,
    /// Per route entry passed on by a route op (not a whole-channel hand-off): the requests
    /// it handed over this tick.
    pub(crate) route_handed: Vec<u64>,
    /// Per route entry closing a loop: what it handed over the tick before (arriving now).
    pub(crate) loop_handed_before: Vec<u64>,
    pub(crate) routable: Vec<u32>,
    /// Per node: instance capacity, for least-loaded balancing.
    instance_capacity: Vec<f64>,
    /// Per channel: its requests that failed this tick, here or below, in its own visits (see
    /// `outcome`), on ticks where something failed.
    pub(crate) failed: Vec<f64>,
    /// Per channel: visits unresolved at the end of the tick, here and below (see `outcome`).
    pub(crate) unresolved: Vec<f64>,
    /// Per channel: its senders' stock in it this tick (see `outcome`).
    pub(crate) channel_stock: Vec<f64>,
    /// Per node: some of its channels failed or left visits unresolved this tick.
    pub(crate) node_dirty: Vec<bool>,
    /// Per route entry: its sender's stock in its target channel this tick, and its part of
    /// what the target left unresolved (see `outcome`).
    pub(crate) entry_stock: Vec<f64>,
    pub(crate) entry_part: Vec<f64>,
    /// Some entry's part is not zero: the next tick must settle even if nothing happens.
    pub(crate) parts_outstanding: bool,
    /// Scratch for the settle pass: a server's links' failed shares (kept to not allocate).
    pub(crate) scratch_shares: Vec<(f64, f64)>,
    /// Per route entry: its share of its target channel's arrivals at the design's base load
    /// (for sharing out what waits at a component its senders left nothing in).
    pub(crate) entry_base_share: Vec<f64>,
    /// Per closed client (by node index): the visits one of its requests makes, by node and
    /// class, on its way to the answer (see `laws::request_visits`).
    closed_visits: Vec<ClosedVisits>,
    /// Per client (in `plan.clients`' order) with a deadline: this tick's sampled paths that
    /// succeeded at their last hop, and of them those later than the deadline; empty without
    /// deadlines.
    pub(crate) deadline_samples: Vec<(u32, u32)>,
    /// Per client: the share of its requests that last missed their deadline.
    pub(crate) late_share: Vec<f64>,
    /// Links that retry: their attempts, delay lines and budgets (`None` when none does).
    pub(crate) retries: Option<Box<retries::Retries>>,
    /// Links with a circuit breaker: their states and windows (`None` when none has one).
    pub(crate) breakers: Option<Box<breakers::Breakers>>,
    /// The autoscalers of autoscaled tiers (none in most designs).
    pub(crate) autoscalers: Vec<autoscale::Autoscaler>,
    /// Per client (in `plan.clients`' order): its requests so far, and as the warm-up ended.
    pub(crate) accounts: Vec<outcome::ClientAccount>,
    accounts_at_warmup: Vec<outcome::ClientAccount>,
    /// Requests waiting at the end of the tick at components other than message queues.
    pub(crate) tick_waiting: u64,
    /// Per route entry: this tick's weight (static splits normalised; balancers by instances
    /// in rotation).
    pub(crate) route_weight: Vec<f64>,
    /// Per node (balancers; zero elsewhere): the classes with no target in rotation, worked
    /// out with the weights.
    stranded_classes: Vec<u8>,
    /// Routing weights must be worked out again (an instance went down or came back).
    routing_dirty: bool,
    tick_dropped: u64,
    tick_errors: u64,
    /// Nodes with instances down, whose routing must be refreshed each tick.
    failing: Vec<u32>,
    event_cursor: usize,
    tick: u64,
    ticks: u64,
    seed: u64,
    load_multiplier: f64,
    /// Requests a second at the run's peak per unit of load multiplier: offered, or into the
    /// busiest component if calls multiply them (see `MAX_RATE_PER_S`).
    peak_per_unit_load: f64,
    options: RunOptions,
    pub(crate) sampler: paths::Sampler,
    pub(crate) node_latency: Vec<NodeLatency>,
    /// Response models worked out this tick, so that the sampled paths that visit a node
    /// work its model out once.
    response_cache: std::cell::RefCell<ResponseCache>,
    last: SystemTick,
    history: Vec<SystemTick>,
    measured: SystemMeasured,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct SystemMeasured {
    ticks: u64,
    offered: u64,
    succeeded: f64,
    failed: f64,
    in_flight_sum: f64,
    dropped: u64,
    errors: u64,
}

/// A closed client's node index, and the visits one of its requests makes on its way to the
/// answer: (node index, class index, visits), those above zero.
type ClosedVisits = (usize, Vec<(usize, usize, f64)>);

/// Per closed client (by node index), the visits one of its requests makes on its way to the
/// answer, by node and class (only those above zero).
fn closed_visits(plan: &Plan) -> Vec<ClosedVisits> {
    plan.clients
        .iter()
        .map(|&c| c as usize)
        .filter(|&i| matches!(&plan.nodes[i].kind, KindPlan::Client(p) if p.closed.is_some()))
        .map(|i| {
            let visits = laws::request_visits(plan, i)
                .iter()
                .enumerate()
                .flat_map(|(j, v)| {
                    v.iter()
                        .enumerate()
                        .filter(|&(_, &x)| x > 0.0)
                        .map(move |(k, &x)| (j, k, x))
                })
                .filter(|&(j, _, _)| j != i)
                .collect();
            (i, visits)
        })
        .collect()
}

/// Requests a second at the peak of the run's profile, per unit of load multiplier: what the
/// clients offer, or what the busiest component takes if calls per request (loops included)
/// multiply it (the operational laws' rates at base load).
fn peak_per_unit_load(plan: &Plan, laws: &laws::Laws) -> f64 {
    let busiest = laws.nodes.iter().map(|n| n.rate_per_s).fold(0.0, f64::max);
    plan.base_rate_per_s().max(busiest) * plan.profile.peak_multiplier()
}

/// The largest load multiplier (on top of the scenario's own) at which a run of `scenario` on
/// `design` stays within `MAX_RATE_PER_S` at its peak: what a sweep may go up to. Infinite
/// for a design that sends nothing; zero for one whose loop traffic grows without end.
pub fn max_runnable_load(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
) -> Result<f64, SimError> {
    let plan = Plan::compile(design, scenario, prices, Some(1))?;
    let laws = laws::laws_of_plan(&plan);
    if let laws::LoopTraffic::Unbounded { .. } = laws.loops {
        return Ok(0.0);
    }
    let peak = peak_per_unit_load(&plan, &laws) * plan.load_multiplier;
    Ok(if peak > 0.0 {
        MAX_RATE_PER_S / peak
    } else {
        f64::INFINITY
    })
}

/// Why a run of `plan` at `load` times its scenario's load could not be counted, if it could
/// not: a loop whose traffic grows without end, or a peak past `MAX_RATE_PER_S` a second at
/// the busiest component. One rule for `check` (see `preflight`) and for starting a run.
pub(crate) fn peak_limit_message(plan: &Plan, laws: &laws::Laws, load: f64) -> Option<String> {
    if let laws::LoopTraffic::Unbounded { .. } = laws.loops {
        return Some(
            "a loop sends back at least as many jobs as it takes: its traffic grows without end"
                .into(),
        );
    }
    let peak_per_s = peak_per_unit_load(plan, laws) * plan.load_multiplier * load;
    if beyond_max_rate(peak_per_s) {
        let busiest = laws
            .nodes
            .iter()
            .max_by(|a, b| a.rate_per_s.total_cmp(&b.rate_per_s))
            .map_or(String::new(), |n| format!(" ('{}')", n.name));
        return Some(format!(
            "at its peak this run would send {peak_per_s:e} requests a second (offered, or \
             into its busiest component{busiest} once calls per request multiply them); at \
             most {MAX_RATE_PER_S:e} can be simulated (lower the load, the users or the calls \
             per request)"
        ));
    }
    None
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
        if let Some(ticks) = options.ticks
            && !(1..=MAX_TICKS).contains(&ticks)
        {
            return Err(SimError::BadOptions(format!(
                "ticks must be between 1 and {MAX_TICKS}, not {ticks}"
            )));
        }
        if let Some(samples) = options.samples_per_tick
            && samples > MAX_SAMPLES_PER_TICK
        {
            return Err(SimError::BadOptions(format!(
                "at most {MAX_SAMPLES_PER_TICK} paths can be sampled per tick, not {samples}"
            )));
        }
        let plan = Plan::compile(design, scenario, prices, options.ticks)?;
        // Below this the rates are too small to divide by (5e-324 made capacities infinite).
        const SMALLEST_LOAD: f64 = 1e-12;
        if let Some(load) = options.load_multiplier
            && !(load.is_finite() && load * plan.load_multiplier >= SMALLEST_LOAD)
        {
            return Err(SimError::BadOptions(format!(
                "the load multiplier times the scenario's ({}) must be a number of at least {SMALLEST_LOAD:e}, not {load:e}",
                plan.load_multiplier
            )));
        }
        let laws = laws::laws_of_plan(&plan);
        let peak_per_unit_load = peak_per_unit_load(&plan, &laws);
        if let Some(message) =
            peak_limit_message(&plan, &laws, options.load_multiplier.unwrap_or(1.0))
        {
            return Err(SimError::BadOptions(message));
        }
        let entry_base_share = laws::entry_shares(&plan);
        let closed_visits = closed_visits(&plan);
        let seed = options.seed.unwrap_or(scenario.seed);
        let n = plan.nodes.len();
        let mut states = Vec::with_capacity(n);
        let mut failure_clocks = Vec::new();
        let mut instance_capacity = Vec::with_capacity(n);
        for node in &plan.nodes {
            let kind = match &node.kind {
                KindPlan::Client(_) => KindState::Client(Box::new(state::ClientState {
                    rng: state::stream(seed, &format!("arrivals/{}", node.name)),
                    arrival_carry: 0.0,
                    poisson: None,
                    closed_in_system: 0.0,
                    closed_response_s: 0.0,
                    closed_waiting: 0.0,
                })),
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
                    KindState::Database(Box::new(kinds::database::DatabaseState::new(d)))
                }
                KindPlan::MessageQueue(_) => KindState::MessageQueue {
                    accept_carry: 0.0,
                    drain_carry: 0.0,
                    parked_consumers: 0,
                },
                KindPlan::LoadBalancer(_) | KindPlan::Cdn(_) => KindState::Stateless,
            };
            let service_seed = completions::service_seed(seed, &node.name, 0);
            let mut st = NodeState::new(kind, service_seed);
            st.tick.healthy_instances = node.instances;
            if plan.random_failures {
                failure_clocks.push(node.reliability.as_ref().map(|reliability| {
                    FailureClock::new(seed, &node.name, reliability, node.instances, plan.tick_s)
                }));
            }
            states.push(st);
            instance_capacity.push(kinds::instance_capacity_per_s(&node.kind));
        }
        let autoscalers = Self::new_autoscalers(&plan, &mut states);
        let routable = plan
            .nodes
            .iter()
            .zip(&states)
            .map(|(n, st)| st.running(n))
            .collect();
        let ticks = plan.ticks;
        let load_multiplier = plan.load_multiplier * options.load_multiplier.unwrap_or(1.0);
        let has_deadlines = plan.clients.iter().any(|&c| {
            matches!(&plan.nodes[c as usize].kind, KindPlan::Client(p) if p.deadline_s.is_some())
        });
        // Deadlines and attempt timeouts read their late shares from the sampled paths.
        let needs_paths = has_deadlines
            || plan
                .retry_links
                .iter()
                .any(|l| l.policy.timeout_ms.is_some());
        let sampler = paths::Sampler::new(
            seed,
            options
                .samples_per_tick
                .unwrap_or_else(|| default_samples_per_tick(plan.ticks))
                .max(usize::from(needs_paths)),
            plan.profile_mean(),
        );
        Ok(Self {
            channels: plan
                .channel_class
                .iter()
                .map(|&class| Channel {
                    class,
                    ..Channel::default()
                })
                .collect(),
            route_carry: vec![0.0; plan.routes.len()],
            route_handed: vec![0; plan.routes.len()],
            loop_handed_before: vec![0; plan.routes.len()],
            routable,
            instance_capacity,
            failed: vec![0.0; plan.channel_class.len()],
            unresolved: vec![0.0; plan.channel_class.len()],
            channel_stock: vec![0.0; plan.channel_class.len()],
            node_dirty: vec![false; n],
            entry_stock: vec![0.0; plan.routes.len()],
            entry_part: vec![0.0; plan.routes.len()],
            parts_outstanding: false,
            scratch_shares: Vec::new(),
            entry_base_share,
            closed_visits,
            deadline_samples: if has_deadlines {
                vec![(0, 0); plan.clients.len()]
            } else {
                Vec::new()
            },
            late_share: vec![0.0; plan.clients.len()],
            retries: retries::Retries::new(&plan),
            breakers: breakers::Breakers::new(&plan, seed),
            autoscalers,
            accounts: vec![outcome::ClientAccount::default(); plan.clients.len()],
            accounts_at_warmup: vec![outcome::ClientAccount::default(); plan.clients.len()],
            tick_waiting: 0,
            route_weight: plan.routes.iter().map(|r| r.weight).collect(),
            stranded_classes: vec![0; n],
            routing_dirty: true,
            tick_dropped: 0,
            tick_errors: 0,
            failing: Vec::new(),
            event_cursor: 0,
            tick: 0,
            ticks,
            seed,
            load_multiplier,
            peak_per_unit_load,
            options,
            sampler,
            node_latency: vec![NodeLatency::default(); n],
            response_cache: std::cell::RefCell::new(ResponseCache::new()),
            last: SystemTick::default(),
            history: Vec::new(),
            measured: SystemMeasured::default(),
            warmup_sums: vec![Measured::default(); n],
            warmup_backlogs: vec![0; n],
            failure_clocks,
            plan,
            states,
        })
    }

    /// No request was dropped or failed anywhere in the last tick (so the failure pass, which
    /// would find nothing, did not run and `failed` is stale).
    fn all_succeeded(&self) -> bool {
        self.tick_dropped == 0 && self.tick_errors == 0
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

    /// Change the load multiplier from the next tick on (the app's load slider), up to what
    /// keeps the run's peak within `MAX_RATE_PER_S`.
    pub fn set_load_multiplier(&mut self, multiplier: f64) {
        if multiplier.is_finite() && multiplier >= 0.0 {
            let most = if self.peak_per_unit_load > 0.0 {
                MAX_RATE_PER_S / self.peak_per_unit_load
            } else {
                f64::INFINITY
            };
            self.load_multiplier = multiplier.min(most);
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
    pub fn node_tick(&self, id: ComponentId) -> Option<NodeTick> {
        self.plan
            .index_of
            .get(&id)
            .map(|&i| self.tick_of(i as usize))
    }

    /// What node `i` did in the last tick.
    pub(crate) fn tick_of(&self, i: usize) -> NodeTick {
        NodeTick::from_parts(self.node_channels(i), &self.states[i].tick)
    }

    /// Take `instances` instances of a component down now (all of them for `None`); they stay
    /// down until [`Simulation::recover`]. Returns how many went down.
    pub fn fail(&mut self, id: ComponentId, instances: Option<u32>) -> u32 {
        let Some(&i) = self.plan.index_of.get(&id) else {
            return 0;
        };
        let now_s = self.tick as f64 * self.plan.tick_s;
        self.fail_instances(i as usize, instances.unwrap_or(u32::MAX), now_s)
    }

    /// Bring every down instance of a component back now (a cache comes back cold).
    pub fn recover(&mut self, id: ComponentId) -> u32 {
        let Some(&i) = self.plan.index_of.get(&id) else {
            return 0;
        };
        let now_s = self.tick as f64 * self.plan.tick_s;
        self.recover_instances(i as usize, u32::MAX, now_s)
    }

    /// An autoscaled tier's instances now: in service (failed ones among them) and booting;
    /// `None` for a component without autoscaling.
    pub fn scaling_now(&self, id: ComponentId) -> Option<(u32, u32)> {
        let &i = self.plan.index_of.get(&id)?;
        self.autoscalers
            .iter()
            .find(|a| a.node == i)
            .map(|a| (a.in_service, a.booting_count))
    }

    /// Instances of a component that are down now.
    pub fn down_instances(&self, id: ComponentId) -> u32 {
        self.plan
            .index_of
            .get(&id)
            .map_or(0, |&i| self.states[i as usize].down_since.len())
    }

    /// A component's own latency this tick from its queueing model, in milliseconds: the mean
    /// and the 99th percentile.
    pub fn latency_now_ms(&self, id: ComponentId) -> Option<(f64, f64)> {
        let &i = self.plan.index_of.get(&id)?;
        let i = i as usize;
        if matches!(self.plan.nodes[i].kind, KindPlan::Client(_)) {
            return Some((0.0, 0.0));
        }
        let mean = self.mean_latency_ms(i);
        let p99 = self.response(i, 0, 0).quantile_s(0.99) * 1000.0;
        Some((mean, p99))
    }

    /// Node `i`'s channels.
    pub(crate) fn node_channels(&self, i: usize) -> &[Channel] {
        let (a, b) = self.plan.nodes[i].channels;
        &self.channels[a as usize..b as usize]
    }

    /// Run one tick.
    #[inline(never)]
    pub fn step(&mut self) -> Result<&SystemTick, SimError> {
        if self.is_finished() {
            return Err(SimError::Finished(self.ticks));
        }
        let dt = self.plan.tick_s;
        let now_s = self.tick as f64 * dt;
        self.apply_failures(now_s);
        if !self.autoscalers.is_empty() {
            self.start_autoscaling(now_s);
        }
        self.start_breakers(now_s);
        self.refresh_routing(now_s);
        let load = self.plan.profile.multiplier_at(now_s) * self.load_multiplier;
        if self.tick == self.plan.warmup_ticks {
            // The warm-up ends: the run's means count from here.
            for ((st, at_warmup), backlog) in self
                .states
                .iter_mut()
                .zip(&mut self.warmup_sums)
                .zip(&mut self.warmup_backlogs)
            {
                st.sums.max_utilization = 0.0;
                *at_warmup = st.sums;
                *backlog = st.tick.backlog;
            }
            self.accounts_at_warmup.clone_from(&self.accounts);
        }
        let ctx = TickCtx {
            tick: self.tick,
            now_s,
            tick_s: dt,
            load,
        };
        self.dispatch_retries();
        let mut router = Router {
            plan: &self.plan,
            channels: &mut self.channels,
            route_weight: &self.route_weight,
            route_carry: &mut self.route_carry,
            route_handed: &mut self.route_handed,
            breakers: self.breakers.as_deref_mut(),
        };
        let (mut tick_dropped, mut tick_errors, mut tick_waiting) = (0, 0, 0);
        let nodes = self.plan.nodes.iter().zip(&mut self.states);
        for ((node, st), &stranded_classes) in nodes.zip(&self.stranded_classes) {
            let (dropped, errors) = router.step_node(node, st, &ctx, stranded_classes);
            tick_dropped += dropped;
            tick_errors += errors;
            if node.kind_name != KindName::MessageQueue {
                tick_waiting += st.tick.backlog;
            }
        }
        (self.tick_dropped, self.tick_errors) = (tick_dropped, tick_errors);
        self.tick_waiting = tick_waiting;
        // When nothing failed anywhere this tick (the usual case), every request succeeds and
        // the success pass has nothing to find.
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

    /// Work out again the weights of balancers' links: link weight × instances in rotation
    /// (× instance capacity for least loaded). Static splits keep their normalised weights.
    fn refresh_balance_weights(&mut self) {
        for (i, node) in self.plan.nodes.iter().enumerate() {
            let KindPlan::LoadBalancer(lb) = &node.kind else {
                continue;
            };
            for &(a, b) in &node.routes {
                for e in a..b {
                    let entry = &self.plan.routes[e as usize];
                    self.route_weight[e as usize] = kinds::load_balancer::target_weight(
                        lb,
                        entry.weight,
                        self.routable[entry.target as usize],
                        self.instance_capacity[entry.target as usize],
                    );
                }
            }
            self.stranded_classes[i] =
                kinds::load_balancer::stranded_classes(node, &self.route_weight);
        }
    }

    #[inline(never)]
    fn finish_tick(&mut self, now_s: f64, load: f64) {
        let dt = self.plan.tick_s;
        let measuring = self.tick >= self.plan.warmup_ticks;
        let mut outcome = self.settle_accounts(!self.all_succeeded());
        let (dropped, errors) = (self.tick_dropped, self.tick_errors);
        self.sample_paths(measuring, self.plan.profile.multiplier_at(now_s));
        if !self.deadline_samples.is_empty() {
            let late = self.miss_deadlines();
            outcome.succeeded -= late;
            outcome.failed += late;
        }
        self.update_closed_users();
        self.count_breaker_time();
        if !self.autoscalers.is_empty() {
            self.observe_autoscaling();
        }
        let ended = outcome.succeeded.max(0.0) + outcome.failed;
        let success_ratio = if ended > 0.0 {
            outcome.succeeded.max(0.0) / ended
        } else {
            1.0
        };
        self.last = SystemTick {
            tick: self.tick,
            time_s: now_s,
            load,
            offered_per_s: outcome.offered as f64 / dt,
            throughput_per_s: outcome.succeeded / dt,
            success_ratio,
            failed_per_s: outcome.failed / dt,
            in_flight: outcome.in_flight,
            dropped,
            errors,
            retries_per_s: self.retries.as_ref().map_or(0.0, |r| {
                r.entries.iter().map(|e| e.handed as f64).sum::<f64>() / dt
            }),
            open_breakers: self
                .breakers
                .as_ref()
                .map_or(0, |b| b.links.iter().filter(|l| l.is_open()).count() as u32),
            autoscaled_in_service: self.autoscalers.iter().map(|a| a.in_service).sum(),
            autoscaled_booting: self.autoscalers.iter().map(|a| a.booting_count).sum(),
            latency_ms: if self.options.keep_history || self.options.live_latency {
                self.sampler.window_percentiles()
            } else {
                Percentiles::default()
            },
        };
        if measuring {
            let m = &mut self.measured;
            m.ticks += 1;
            m.offered += outcome.offered;
            m.succeeded += outcome.succeeded;
            m.failed += outcome.failed;
            m.in_flight_sum += outcome.in_flight;
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

    /// Node `i`'s sums over the ticks after the warm-up (nothing until the warm-up is over).
    pub(crate) fn measured_of(&self, i: usize) -> Measured {
        if self.tick > self.plan.warmup_ticks {
            self.states[i].sums.since(&self.warmup_sums[i])
        } else {
            Measured::default()
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
                st.down_since.push(now_s, failed);
                failed
            }
            _ => {
                let up = st.running(node).saturating_sub(st.down_since.len());
                let failed = k.min(up);
                st.down_since.push(now_s, failed);
                if let KindState::Cache { started_at_s } = &mut st.kind {
                    for _ in 0..failed {
                        started_at_s.pop();
                    }
                }
                if let KindPlan::Server(p) = &node.kind {
                    let (a, b) = node.channels;
                    let rate = kinds::rate_of(&self.channels[a as usize..b as usize]);
                    kinds::server::on_failure(p, node, st, rate, failed, up, now_s);
                }
                failed
            }
        };
        self.note_failing(i, failed);
        failed
    }

    /// Remember that node `i` has instances down (its routing is refreshed each tick).
    pub(crate) fn note_failing(&mut self, i: usize, failed: u32) {
        if failed > 0 && !self.failing.contains(&(i as u32)) {
            self.failing.push(i as u32);
        }
    }

    /// Repair `k` instances of node `i` (`u32::MAX`: all). A cache comes back cold.
    pub(crate) fn recover_instances(&mut self, i: usize, k: u32, now_s: f64) -> u32 {
        let node = &self.plan.nodes[i];
        let st = &mut self.states[i];
        let repaired = match &node.kind {
            KindPlan::Database(p) => kinds::database::recover(p, st, k),
            _ => k.min(st.down_since.len()),
        };
        // The longest-down instances come back first.
        st.down_since.pop_oldest(repaired);
        if let KindState::Cache { started_at_s } = &mut st.kind {
            for _ in 0..repaired {
                started_at_s.push(now_s);
            }
        }
        repaired
    }

    /// Refresh, for groups with instances down, how many instances the balancers route to.
    fn refresh_routing(&mut self, now_s: f64) {
        if !self.failing.is_empty() {
            self.routing_dirty = true;
        }
        let plan = &self.plan;
        let states = &self.states;
        let routable = &mut self.routable;
        self.failing.retain(|&i| {
            let node = &plan.nodes[i as usize];
            let st = &states[i as usize];
            let noticed = st.noticed_down(now_s, node.detection_delay_s);
            routable[i as usize] = st.running(node).saturating_sub(noticed);
            !st.down_since.is_empty()
        });
        if self.routing_dirty {
            self.refresh_balance_weights();
            self.breaker_weights();
            self.routing_dirty = false;
        }
    }

    /// The response-time model of node `i` for class `k` in the tick being sampled (for
    /// databases, of shard `shard`), worked out once per tick: for path sampling only.
    ///
    /// Only path sampling fills the table, so an entry for tick `t` was always worked out
    /// from tick `t`'s state. (Models looked up between ticks, as the app does for every
    /// component after each step, used to go in under the tick about to run, and that tick's
    /// paths then drew from the state before it: a run watched in the app differed from the
    /// same run on the command line.)
    pub(crate) fn sampled_response(
        &self,
        i: usize,
        k: usize,
        shard: usize,
    ) -> queueing::ResponseTime {
        // A node has one model; a database one per shard for reads and one for writes.
        let part = match &self.plan.nodes[i].kind {
            KindPlan::Database(_) => 2 * shard + usize::from(kinds::database::is_write(k)),
            _ => 0,
        };
        let key = ResponseKey {
            tick: self.tick,
            node: i as u32,
            part: part as u32,
        };
        if let Some(rt) = self.response_cache.borrow().get(key) {
            return rt;
        }
        let rt = self.response(i, k, shard);
        self.response_cache.borrow_mut().put(key, rt);
        rt
    }

    /// The response-time model of node `i` for class `k` in its current state (for
    /// databases, of shard `shard`).
    pub(crate) fn response(&self, i: usize, k: usize, shard: usize) -> queueing::ResponseTime {
        let node = &self.plan.nodes[i];
        let st = &self.states[i];
        let channels = self.node_channels(i);
        let backlog = st.fluid_delay_s;
        let rate = kinds::rate_of(channels);
        match &node.kind {
            KindPlan::Client(_) => queueing::ResponseTime::default(),
            KindPlan::LoadBalancer(p) => {
                kinds::load_balancer::group(p, node, st, rate).response(backlog)
            }
            KindPlan::Server(p) => kinds::server::group(p, node, st, rate).response(backlog),
            KindPlan::Cache(p) => kinds::cache::group(p, node, st, rate).response(backlog),
            KindPlan::Cdn(p) => kinds::cdn::group(p, node, st, rate).response(backlog),
            // Producers wait for the enqueue only; the broker does not queue them.
            KindPlan::MessageQueue(p) => {
                kinds::message_queue::group(p, node, st, rate).response(0.0)
            }
            KindPlan::Database(p) => {
                kinds::database::response(p, st, shard, kinds::database::is_write(k))
            }
        }
    }

    /// What each closed client's users meet at the end of this tick (see `kinds::client`):
    /// the mean response time of its requests in the state the tick left (the sum over the
    /// nodes on a request's way of its visits there times the node's mean response, a
    /// database's over its shards' shares), and its requests still waiting somewhere, whose
    /// users cannot send.
    fn update_closed_users(&mut self) {
        for c in 0..self.closed_visits.len() {
            let (client, ref visits) = self.closed_visits[c];
            let waiting = self
                .plan
                .clients
                .iter()
                .position(|&n| n as usize == client)
                .and_then(|n| self.accounts.get(n))
                .map_or(0.0, |a| a.in_flight);
            let mut response_s = 0.0;
            for &(j, k, v) in visits {
                let mean_s = match &self.plan.nodes[j].kind {
                    KindPlan::Database(p) => p
                        .shard_share
                        .iter()
                        .enumerate()
                        .map(|(shard, share)| share * self.response(j, k, shard).mean_s())
                        .sum(),
                    _ => self.response(j, k, 0).mean_s(),
                };
                response_s += v * mean_s;
            }
            let response_s = if response_s.is_finite() {
                response_s
            } else {
                0.0
            };
            // A user whose answer misses the deadline has given up on it and thinks again:
            // it waits min(R, D), whose mean is r(1 − e^(−D/r)) for a response time R of mean
            // r taken as exponential, and the users still waiting are at most those who sent
            // within the last deadline (the late requests go on as wasted work, no user's).
            let deadline_s = match &self.plan.nodes[client].kind {
                KindPlan::Client(p) => p.deadline_s,
                _ => None,
            };
            let (waiting, response_s) = match deadline_s {
                Some(deadline_s) => {
                    let (a, b) = self.plan.nodes[client].channels;
                    let sent_per_s: f64 = self.channels[a as usize..b as usize]
                        .iter()
                        .map(|c| c.rate_in)
                        .sum();
                    let patient_s = if response_s > 0.0 {
                        response_s * -(-deadline_s / response_s).exp_m1()
                    } else {
                        0.0
                    };
                    (waiting.min(sent_per_s * deadline_s), patient_s)
                }
                None => (waiting, response_s),
            };
            if let KindState::Client(state) = &mut self.states[client].kind {
                state.closed_waiting = waiting;
                state.closed_response_s = response_s;
            }
        }
    }

    /// The links whose circuit breakers are open or half-open now.
    pub fn open_breakers(&self) -> Vec<crate::model::LinkId> {
        self.breakers.as_ref().map_or_else(Vec::new, |b| {
            b.links
                .iter()
                .filter(|l| l.is_open())
                .map(|l| l.link)
                .collect()
        })
    }

    /// Mean latency of node `i` for its current mix, in milliseconds.
    pub(crate) fn mean_latency_ms(&self, i: usize) -> f64 {
        self.model_mean(i, queueing::ResponseTime::mean_s) * 1000.0
    }

    /// The mean wait before service of node `i` at the last tick, in ms: a database's over
    /// its shards and classes as `mean_latency_ms` takes them.
    pub(crate) fn mean_wait_ms(&self, i: usize) -> f64 {
        self.model_mean(i, queueing::ResponseTime::wait_mean_s) * 1000.0
    }

    /// A figure of node `i`'s response model at the last tick, in seconds: a database's
    /// weighted by its shards' shares and its classes' rates (shard 0 alone may take
    /// nothing, when the keys all sit on another).
    fn model_mean(&self, i: usize, figure: fn(&queueing::ResponseTime) -> f64) -> f64 {
        let node = &self.plan.nodes[i];
        match &node.kind {
            KindPlan::Database(p) => {
                let rates = self.tick_of(i).rate_in_per_s;
                let total: f64 = rates.iter().sum();
                if total <= 0.0 {
                    return figure(&self.response(i, 0, 0));
                }
                let mut mean = 0.0;
                for (j, share) in p.shard_share.iter().enumerate() {
                    for (k, r) in rates.iter().enumerate() {
                        if *r > 0.0 {
                            mean += share * r / total * figure(&self.response(i, k, j));
                        }
                    }
                }
                mean
            }
            _ => figure(&self.response(i, 0, 0)),
        }
    }
}

/// Which response model: a node's (`part` 0), or a database shard's reads or writes, as
/// worked out at `tick`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct ResponseKey {
    tick: u64,
    node: u32,
    part: u32,
}

/// Response models worked out lately, in a small direct-mapped table: a model goes in the
/// entry its key hashes to, in place of whatever was there.
///
/// A tick's sampled paths usually visit a few hundred nodes (at most 32 paths of a dozen
/// visits or so), so a table of 1,024 entries keeps nearly every model worked out this
/// tick, whatever the size of the design, and stays in the processor's cache. A table with
/// an entry per node was as large as the design, and at 10,000 components nearly every
/// visit missed the cache twice on it (the node's slot, then the entry) before finding the
/// entry stale. Which models the table keeps changes no result: only path sampling fills
/// it, a model depends only on the tick's state, and path sampling does not change that
/// state, so a model worked out again is the same.
#[derive(Clone, Debug)]
struct ResponseCache {
    entries: Vec<(ResponseKey, queueing::ResponseTime)>,
}

impl ResponseCache {
    const BITS: u32 = 10;

    fn new() -> Self {
        let empty = ResponseKey {
            tick: u64::MAX,
            node: u32::MAX,
            part: u32::MAX,
        };
        Self {
            entries: vec![(empty, queueing::ResponseTime::default()); 1 << Self::BITS],
        }
    }

    fn index(key: ResponseKey) -> usize {
        let mixed =
            (u64::from(key.node) << 16 ^ u64::from(key.part)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (mixed >> (64 - Self::BITS)) as usize
    }

    fn get(&self, key: ResponseKey) -> Option<queueing::ResponseTime> {
        let (held, rt) = self.entries.get(Self::index(key))?;
        (*held == key).then_some(*rt)
    }

    fn put(&mut self, key: ResponseKey, rt: queueing::ResponseTime) {
        if let Some(entry) = self.entries.get_mut(Self::index(key)) {
            *entry = (key, rt);
        }
    }
}

/// What a node's step reads and writes beyond its own plan and state: every channel (its own,
/// and those it hands requests to) and the routing tables. Borrowed apart from the rest of the
/// simulation so that the step loop walks nodes and states side by side.
struct Router<'a> {
    plan: &'a Plan,
    channels: &'a mut [Channel],
    route_weight: &'a [f64],
    route_carry: &'a mut [f64],
    /// Per route entry passed on by a route op: what it handed over this tick.
    route_handed: &'a mut [u64],
    /// The links' circuit breakers, which may hold calls back.
    breakers: Option<&'a mut breakers::Breakers>,
}

impl Router<'_> {
    /// Step one node: take its arrivals, run its kind, add the tick to its run sums and hand
    /// its output on. Returns the requests it dropped and failed with an error this tick.
    /// `stranded_classes`: for a balancer, the classes with no target in rotation.
    #[inline(always)]
    fn step_node(
        &mut self,
        node: &NodePlan,
        st: &mut NodeState,
        ctx: &TickCtx,
        stranded_classes: u8,
    ) -> (u64, u64) {
        let (a, b) = (node.channels.0 as usize, node.channels.1 as usize);
        let channels = &mut self.channels[a..b];
        // Dispatched on the number of channels, so that each copy's loops over them have a
        // known length (unrolled, without bounds checks).
        let (dropped, errors) = match channels.len() {
            1 => step_channels(node, st, &mut channels[..1], ctx, stranded_classes),
            2 => step_channels(node, st, &mut channels[..2], ctx, stranded_classes),
            3 => step_channels(node, st, &mut channels[..3], ctx, stranded_classes),
            4 => step_channels(node, st, &mut channels[..4], ctx, stranded_classes),
            _ => step_channels(node, st, channels, ctx, stranded_classes),
        };
        // Whole channels handed on: the common case, as a tight loop.
        let (da, db) = node.direct;
        for &(from, to) in &self.plan.direct[da as usize..db as usize] {
            let c = &self.channels[from as usize];
            let (count, rate) = (c.forwarded, c.fwd_rate);
            self.channels[to as usize].hand_over(count, rate);
        }
        if node.ops.0 < node.ops.1 {
            self.route(node);
        }
        (dropped, errors)
    }

    /// Pass a node's output down its links by its compiled route ops (beyond the whole-channel
    /// hand-offs `step_node` does itself).
    #[inline(never)]
    fn route(&mut self, node: &NodePlan) {
        let (a, b) = node.ops;
        for op in &self.plan.ops[a as usize..b as usize] {
            match *op {
                RouteOp::Scaled { from, entry } => {
                    let c = &self.channels[from as usize];
                    let e = self.plan.routes[entry as usize];
                    let count =
                        flow::scale(c.forwarded, e.calls, &mut self.route_carry[entry as usize]);
                    let rate = c.fwd_rate * e.calls;
                    let (count, rate) = self.hold(entry as usize, count, rate);
                    self.route_handed[entry as usize] = count;
                    self.channels[e.channel as usize].hand_over(count, rate);
                }
                RouteOp::Split { from, start, end } => {
                    let c = &self.channels[from as usize];
                    let (forwarded, fwd_rate) = (c.forwarded, c.fwd_rate);
                    let (a, b) = (start as usize, end as usize);
                    if forwarded == 0 && fwd_rate == 0.0 {
                        self.route_handed[a..b].fill(0);
                        if let Some(breakers) = self.breakers.as_deref_mut() {
                            breakers.blocked[a..b].fill(0);
                        }
                        continue;
                    }
                    // A half-open breaker's link that its sender gives no weight (its other
                    // links take the calls) still gets its probes, taken off the top.
                    let mut probes = match self.breakers.as_deref() {
                        Some(breakers) => (a..b)
                            .filter(|&e| self.route_weight[e] <= 0.0)
                            .map(|e| breakers.probes_wanted(self.plan.routes[e].breaker))
                            .sum::<u64>()
                            .min(forwarded),
                        None => 0,
                    };
                    let weight_sum: f64 = self.route_weight[a..b].iter().sum();
                    let mut split = flow::WeightedSplit::new(forwarded - probes, weight_sum, b - a);
                    for e in a..b {
                        let weight = self.route_weight[e];
                        let mut count = split.part(weight, &mut self.route_carry[e]);
                        if probes > 0
                            && weight <= 0.0
                            && let Some(breakers) = self.breakers.as_deref()
                        {
                            let wanted = breakers
                                .probes_wanted(self.plan.routes[e].breaker)
                                .min(probes);
                            count += wanted;
                            probes -= wanted;
                        }
                        let rate = if weight_sum > 0.0 {
                            fwd_rate * weight / weight_sum
                        } else {
                            0.0
                        };
                        let channel = self.plan.routes[e].channel;
                        let (count, rate) = self.hold(e, count, rate);
                        self.route_handed[e] = count;
                        self.channels[channel as usize].hand_over(count, rate);
                    }
                }
            }
        }
    }
}

impl Router<'_> {
    /// Route entry `e`'s `count` calls at `rate`: what its circuit breaker lets through (all
    /// without one), the rest held back (they fail at once, see `breakers`).
    #[inline]
    fn hold(&mut self, e: usize, count: u64, rate: f64) -> (u64, f64) {
        let breaker = self.plan.routes[e].breaker;
        let Some(breakers) = self.breakers.as_deref_mut() else {
            return (count, rate);
        };
        if breaker == plan::NO_RETRY {
            return (count, rate);
        }
        let Some(b) = breakers.links.get_mut(breaker as usize) else {
            return (count, rate);
        };
        let through = b.let_through(count);
        breakers.blocked[e] = count - through;
        let rate = if b.is_open() { 0.0 } else { rate };
        (through, rate)
    }
}

/// Take a node's arrivals, run its kind and add the tick to its run sums. Returns the requests
/// it dropped and failed with an error this tick.
#[inline(always)]
fn step_channels(
    node: &NodePlan,
    st: &mut NodeState,
    channels: &mut [Channel],
    ctx: &TickCtx,
    stranded_classes: u8,
) -> (u64, u64) {
    // Take what was handed over since the last step: this tick's from nodes earlier in
    // the order, last tick's from later ones (async links that close a loop).
    for c in channels.iter_mut() {
        let rate_in = std::mem::take(&mut c.incoming_rate);
        *c = Channel {
            arrived: std::mem::take(&mut c.incoming),
            rate_in,
            arrival_rate: rate_in,
            backlog: c.backlog,
            carry: c.carry,
            class: c.class,
            ..Channel::default()
        };
    }
    st.tick = state::NodeScalars {
        healthy_instances: st.tick.healthy_instances,
        ..state::NodeScalars::default()
    };
    match &node.kind {
        KindPlan::Client(p) => kinds::client::step(p, node, st, channels, ctx),
        KindPlan::LoadBalancer(p) => {
            kinds::load_balancer::step(p, node, st, channels, ctx, stranded_classes)
        }
        KindPlan::Server(p) => kinds::server::step(p, node, st, channels, ctx),
        KindPlan::Cache(p) => kinds::cache::step(p, node, st, channels, ctx),
        KindPlan::Database(p) => kinds::database::step(p, node, st, channels, ctx),
        KindPlan::MessageQueue(p) => kinds::message_queue::step(p, node, st, channels, ctx),
        KindPlan::Cdn(p) => kinds::cdn::step(p, node, st, channels, ctx),
    }
    // The tick into the run's sums.
    let (mut arrived, mut served, mut dropped, mut errors) = (0u64, 0u64, 0u64, 0u64);
    for c in channels.iter() {
        arrived += c.arrived;
        served += c.served;
        dropped += c.dropped;
        errors += c.errors;
    }
    let t = &st.tick;
    let m = &mut st.sums;
    m.arrived += arrived;
    m.served += served;
    m.dropped += dropped;
    m.errors += errors;
    m.overflow_dropped += t.overflow_dropped;
    m.rejected += t.rejected;
    m.utilization_sum += t.busy;
    if t.offered_utilization.is_finite() {
        m.offered_utilization_sum += t.offered_utilization;
    }
    m.backlog_sum += flow::count_f64(t.backlog);
    m.capacity_sum += t.capacity_per_s;
    m.max_utilization = m.max_utilization.max(t.utilization);
    (dropped, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_response_cache_gives_back_only_the_model_of_the_same_node_part_and_tick() {
        let mut cache = ResponseCache::new();
        let model = queueing::ResponseTime {
            service_mean_s: 0.01,
            ..Default::default()
        };
        let key = ResponseKey {
            tick: 7,
            node: 42,
            part: 3,
        };
        assert_eq!(cache.get(key), None, "nothing is kept before it is put");
        cache.put(key, model);
        assert_eq!(cache.get(key), Some(model));
        assert_eq!(
            cache.get(ResponseKey { tick: 8, ..key }),
            None,
            "a later tick"
        );
        assert_eq!(
            cache.get(ResponseKey { part: 2, ..key }),
            None,
            "another part"
        );
        assert_eq!(
            cache.get(ResponseKey { node: 43, ..key }),
            None,
            "another node"
        );
        // A key that lands on the same entry takes its place.
        let rival = (0..u32::MAX)
            .map(|node| ResponseKey { node, ..key })
            .find(|k| k.node != key.node && ResponseCache::index(*k) == ResponseCache::index(key))
            .expect("the table is smaller than the nodes");
        cache.put(rival, queueing::ResponseTime::default());
        assert_eq!(cache.get(key), None);
        assert_eq!(cache.get(rival), Some(queueing::ResponseTime::default()));
    }
}
