//! The analytic prediction: what the operational laws and the queueing formulas say a design
//! does at a load, with no simulation at all — the dashed curves beside the load sweep's
//! simulated ones. Where the two part, the simulation shows something the formulas leave out.
//!
//! # What is predicted
//!
//! For a design, a scenario and a load multiplier (on top of the scenario's own), with λ the
//! rate the clients offer (their base rate × the load × the scenario's multiplier × the
//! profile):
//!
//! - **Utilization** of each component a request waits for: U_k = λ·V_k·S_k / c_k (the
//!   operational laws of [`crate::sim::laws`], forced flow and the utilization law).
//!   [`Prediction::utilization`] is the busiest one's: the bottleneck's.
//! - **Throughput**, the forced-flow bound: X = min(λ, λ / U_max) — all that is offered while
//!   every component on the path is below saturation, the bottleneck's capacity past it —
//!   times the share of requests that find their session: a tier of n instances holding
//!   sessions in memory behind a balancer that is not sticky has each request's session on one
//!   of them (1/n, as the laws take it).
//! - **Success ratio** X / λ: 1 below the knee (but for lost sessions), capacity ÷ offered
//!   past it.
//! - **Mean latency**, the laws' demand-weighted sum R = Σ_k V_k·R_k over the components a
//!   request waits for, each R_k its station's response time at its arrival rate λ·V_k
//!   (Erlang C for pooled servers, Allen–Cunneen's G/G/c correction for non-exponential
//!   service or arrivals, E_n/M/c behind round robin, independent queues behind a random
//!   split: [`crate::sim::queueing`]). Only below the knee: at or past it the formulas have
//!   no steady state, and the prediction has no latency (the sweep's dashed curve ends
//!   there).
//! - **p50 and p99 latency**, only where a closed form exists: every request waits at one
//!   station, once, and that station is M/M/c (Poisson arrivals, exponential service,
//!   pooled or split at random: the wait is 0 with chance 1 − C and exponential beyond it,
//!   C the Erlang-C probability) or E_n/M/1 (one server each behind round robin). Elsewhere
//!   (a path of several stations, non-exponential service) there are none.
//! - **The knee**: the load at which the bottleneck reaches U = 1 at the busiest tick — the
//!   bottleneck ladder's first step, on the request path.
//!
//! # Assumptions
//!
//! - Open arrivals (Poisson, or the constant stream's own variability), in steady state at
//!   each tick's rate: a profile that varies is taken tick by tick over the ticks a run
//!   measures (the pointwise stationary approximation), each tick weighted by its traffic.
//! - Product form: every component is a queue of its own, independent of the others (an
//!   open Jackson network), so the response times along a path add.
//! - Nothing fails, caches are warm at their steady hit ratio and no request times out; a
//!   sticky tier's uneven shares count only in its utilization.
//! - Every component is offered all its traffic: work behind a message queue whose consumers
//!   cannot keep up reaches what is behind them at the rate offered, not at the consumers'.
//! - A request waits for the components on its own path only: producers wait for the enqueue,
//!   not for the consumers behind a message queue (whose brokers' intake bounds the
//!   throughput; the consumers bound nothing a producer sees until the queue is full).
//! - The station models are the ones the flow engine draws its waits from; within 1 % of
//!   saturation they hold the utilization at 0.99 (a wait of about a hundred service times).
//!
//! # Where a simulation parts from it
//!
//! Past the knee (a finite run holds the excess in flight until timeouts drop it, so its
//! success ratio stays above capacity ÷ offered for a while); wherever waits approach a
//! timeout; with failures or cold caches; behind consumers that cannot keep up (what they
//! pass on is capped at their rate, so what they share with the request path is less busy
//! than the formulas take it); with several traffic classes of which only some cross the
//! bottleneck (the bound throttles all of them, a run still completes the others); and by the
//! run's own noise, which replications measure.

use serde::Serialize;

use crate::model::{Design, KindName, PriceTable, Scenario, TrafficClass};
use crate::sim::SimError;
use crate::sim::kinds;
use crate::sim::kinds::database::{
    DatabasePlan, DatabaseState, ShardState, hottest_copy_utilization, is_write,
};
use crate::sim::laws::{NodeLaw, laws_of_plan};
use crate::sim::plan::{Forwarding, KindPlan, Plan, Spread};
use crate::sim::queueing::ResponseTime;
use crate::sim::state::{KindState, NodeState};

/// Traffic classes, for per-class arrays.
const CLASSES: usize = TrafficClass::COUNT;

/// Rounds of the loops' traffic worked out before the visits must have settled.
const MAX_ROUNDS: usize = 10_000;

/// What the laws and formulas predict for one design at one load (see the module's doc for
/// how each figure is made and what it assumes).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Prediction {
    /// Requests per second the clients offer, over the ticks a run measures.
    pub offered_per_s: f64,
    /// Requests per second completed end to end: the offered rate, or the bottleneck's
    /// capacity past the knee (the forced-flow bound).
    pub throughput_per_s: f64,
    /// Throughput ÷ offered, 0 to 1.
    pub success_ratio: f64,
    /// Offered utilization of the busiest component on the request path at the run's mean
    /// load (above 1 past the knee).
    pub utilization: f64,
    /// End-to-end latency of the requests, where the formulas give it.
    pub latency_ms: PredictedLatency,
    /// The load multiplier (on top of the scenario's, as the sweep's loads are) at which the
    /// busiest tick takes the bottleneck to saturation; `None` (left out of JSON) when nothing
    /// on the path carries load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knee_load: Option<f64>,
}

/// End-to-end latency as the formulas give it, in milliseconds; `None` (left out of JSON)
/// where they give none: at or past the knee, and for percentiles without a closed form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct PredictedLatency {
    /// Mean: Σ V_k·R_k over the request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Median, where the path is one M/M/c (or E_n/M/1) station.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50: Option<f64>,
    /// 99th percentile, where the path is one M/M/c (or E_n/M/1) station.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99: Option<f64>,
}

/// Mean value analysis's asymptotes for a closed workload (see [`Predictor::closed_knee`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClosedKnee {
    /// The users at the design's base load.
    pub users: f64,
    /// N* = (D + Z)/Dmax: past it the throughput stays at its most, and each user more adds
    /// Dmax to the response time.
    pub knee_users: f64,
    /// D: the response time of an idle system, in milliseconds.
    pub idle_response_ms: f64,
    /// Z: the users' mean think time, in seconds.
    pub think_time_s: f64,
    /// 1/Dmax: the most the bottleneck completes, requests per second.
    pub most_per_s: f64,
}

/// A design's prediction, ready to be evaluated at any load: the compiled plan, the laws and
/// the request path are worked out once.
#[derive(Clone, Debug)]
pub struct Predictor {
    plan: Plan,
    /// Per plan node: requests per second arriving by class at base load (the laws').
    class_rates_per_s: Vec<[f64; CLASSES]>,
    /// Per plan node: visits by class of one request on its own path (what it waits for);
    /// `None` when the traffic round the design's loops does not settle.
    visits: Option<Vec<[f64; CLASSES]>>,
    /// The laws of the components on the request path, whose busiest bounds the throughput
    /// (a message queue's at its brokers' intake).
    path_laws: Vec<NodeLaw>,
    /// The factor on the base rates at which the first of them saturates (infinite when none
    /// carries load): a sticky tier's is found by bisection, so it is worked out once.
    saturation_factor: f64,
    /// The share of requests that find their session: behind a balancer that is not sticky,
    /// a tier of n instances holding sessions in memory has a request's session on one of
    /// them (the laws' 1/n), once per visit.
    session_survival: f64,
    /// The one station every request waits at, once, when its response time has a closed form.
    single_station: Option<usize>,
    /// The profile's multipliers over the measured ticks, each with its number of ticks.
    profile: Vec<(f64, u64)>,
    /// The scenario's load multiplier.
    scenario_load: f64,
    /// The clients' rate at base load, requests per second.
    base_rate_per_s: f64,
    /// When every client's users wait for their answers (closed workloads), their mean think
    /// time Z and the idle response time D, weighted by users, in seconds: the base rate is
    /// then the users' bound N/(Z + D).
    think_time_s: Option<(f64, f64)>,
}

/// What the formulas predict for `design` under `scenario` at `load` (on top of the scenario's
/// multiplier), over the first `ticks` ticks (default: the scenario's duration).
pub fn predict(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    load: f64,
    ticks: Option<u64>,
) -> Result<Prediction, SimError> {
    Ok(Predictor::new(design, scenario, prices, ticks)?.at(load))
}

impl Predictor {
    /// Work out the laws and the request path of `design` under `scenario`, for runs of
    /// `ticks` ticks (default: the scenario's duration; it sets which ticks of the profile a
    /// run measures). Fails as a simulation would on a design that is not valid.
    pub fn new(
        design: &Design,
        scenario: &Scenario,
        prices: &PriceTable,
        ticks: Option<u64>,
    ) -> Result<Self, SimError> {
        let plan = Plan::compile(design, scenario, prices, ticks)?;
        let laws = laws_of_plan(&plan);
        let n = plan.nodes.len();
        let mut class_rates_per_s = vec![[0.0; CLASSES]; n];
        let mut law_at: Vec<Option<&NodeLaw>> = vec![None; n];
        let mut answered = vec![[0.0; CLASSES]; n];
        for law in &laws.nodes {
            if let Some(&i) = plan.index_of.get(&law.id) {
                let i = i as usize;
                class_rates_per_s[i] = law.class_rates_per_s;
                law_at[i] = Some(law);
                answered[i] = law.answered_share;
            }
        }
        let visits = request_visits(&plan, &answered);
        let on_path: Vec<usize> = visits.as_ref().map_or_else(
            // Loops that do not settle: every component counts.
            || (0..n).collect(),
            |v| (0..n).filter(|&i| v[i].iter().sum::<f64>() > 0.0).collect(),
        );
        let on_path: Vec<usize> = on_path
            .into_iter()
            .filter(|&i| plan.nodes[i].kind_name != KindName::Client)
            .collect();
        let path_laws: Vec<NodeLaw> = on_path
            .iter()
            .filter_map(|&i| {
                let law = law_at[i]?.clone();
                Some(match &plan.nodes[i].kind {
                    // The brokers' intake: producers do not wait for the consumers.
                    KindPlan::MessageQueue(p) => {
                        let rate: f64 = class_rates_per_s[i].iter().sum();
                        let capacity =
                            f64::from(plan.nodes[i].instances.max(1)) * p.broker.capacity_per_s();
                        NodeLaw {
                            utilization: if capacity > 0.0 {
                                rate / capacity
                            } else {
                                f64::INFINITY
                            },
                            ..law
                        }
                    }
                    _ => law,
                })
            })
            .collect();
        let single_station = match (&visits, on_path.as_slice()) {
            (Some(v), &[i]) if (v[i].iter().sum::<f64>() - 1.0).abs() < 1e-9 => {
                closed_form(&plan, i, &class_rates_per_s[i]).then_some(i)
            }
            _ => None,
        };
        let session_survival = match &visits {
            Some(v) => on_path
                .iter()
                .filter(|&&i| {
                    let node = &plan.nodes[i];
                    matches!(&node.kind, KindPlan::Server(p) if p.stateful)
                        && node.spread != Spread::Sticky
                        && node.instances > 1
                })
                .map(|&i| {
                    let visits: f64 = v[i].iter().sum();
                    (1.0 / f64::from(plan.nodes[i].instances)).powf(visits)
                })
                .product(),
            None => 1.0,
        };
        let base_rate_per_s = plan.base_rate_per_s();
        let closed: Vec<(f64, f64, f64)> = plan
            .clients
            .iter()
            .filter_map(|&c| match &plan.nodes[c as usize].kind {
                KindPlan::Client(p) => Some(
                    p.closed
                        .map(|c| (c.users, c.think_time_s, c.idle_response_s)),
                ),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default();
        let users: f64 = closed.iter().map(|(n, _, _)| n).sum();
        let think_time_s = (!closed.is_empty() && users > 0.0).then(|| {
            (
                closed.iter().map(|(n, z, _)| n * z).sum::<f64>() / users,
                closed.iter().map(|(n, _, d)| n * d).sum::<f64>() / users,
            )
        });
        let saturation_factor = path_laws
            .iter()
            .filter_map(NodeLaw::saturates_at_load)
            .fold(f64::INFINITY, f64::min);
        Ok(Self {
            saturation_factor,
            think_time_s,
            session_survival,
            profile: measured_profile(&plan),
            scenario_load: plan.load_multiplier,
            plan,
            class_rates_per_s,
            visits,
            path_laws,
            single_station,
            base_rate_per_s,
        })
    }

    /// The load multiplier (on top of the scenario's) at which the busiest measured tick
    /// takes the bottleneck to saturation; `None` when nothing on the path carries load.
    pub fn knee_load(&self) -> Option<f64> {
        let peak = self.profile.iter().map(|&(p, _)| p).fold(0.0, f64::max);
        let knee = self.saturation_factor / (self.scenario_load * peak);
        (knee.is_finite() && knee > 0.0 && self.saturation_factor > 0.0).then_some(knee)
    }

    /// Utilization of the busiest component on the request path with every rate `factor`
    /// times its base value.
    fn busiest_utilization_at(&self, factor: f64) -> f64 {
        self.path_laws
            .iter()
            .map(|l| l.utilization_at(factor))
            .fold(0.0, f64::max)
    }

    /// The prediction at `load` (a multiplier on top of the scenario's, as the sweep's loads
    /// are).
    pub fn at(&self, load: f64) -> Prediction {
        let scale = load * self.scenario_load;
        let (mut ticks, mut offered, mut throughput) = (0.0, 0.0, 0.0);
        let mut utilization_sum = 0.0;
        // Latency is weighted by the requests that complete: Σ ticks·X·R / Σ ticks·X.
        let mut latency_sum_s = 0.0;
        let mut stable = self.visits.is_some();
        let mut responses: Vec<(f64, ResponseTime)> = Vec::new();
        for &(multiplier, count) in &self.profile {
            let weight = count as f64;
            let mut factor = scale * multiplier;
            if let Some((think_s, idle_s)) = self.think_time_s {
                // Closed: the users send N/(Z + R) (the response time law), R the formulas'
                // at that rate: the fixed point, below the bottleneck's saturation.
                factor = self.closed_factor(factor, think_s, idle_s);
            }
            let offered_here = self.base_rate_per_s * factor;
            let utilization = self.busiest_utilization_at(factor);
            // (The offered utilization, before closed users slow down: the same unless they
            // do.)
            utilization_sum += weight
                * if self.think_time_s.is_some() {
                    self.busiest_utilization_at(scale * multiplier)
                } else {
                    utilization
                };
            let throughput_here = self.session_survival
                * if utilization > 1.0 {
                    offered_here / utilization
                } else {
                    offered_here
                };
            ticks += weight;
            offered += weight * offered_here;
            throughput += weight * throughput_here;
            stable &= utilization < 1.0;
            if stable && throughput_here > 0.0 {
                latency_sum_s += weight * throughput_here * self.mean_latency_s(factor);
                if let Some(i) = self.single_station {
                    let rt = self.response(i, factor, false);
                    responses.push((weight * throughput_here, rt));
                }
            }
        }
        let ticks = ticks.max(f64::MIN_POSITIVE);
        let (offered, throughput) = (offered / ticks, throughput / ticks);
        let mean_s = (stable && throughput > 0.0).then(|| latency_sum_s / (throughput * ticks));
        let quantile_ms = |p: f64| {
            if stable && self.single_station.is_some() {
                mixture_quantile_s(&responses, p).map(|s| s * 1000.0)
            } else {
                None
            }
        };
        // A figure the formulas cannot give as a number (a station of no capacity) is none.
        let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
        Prediction {
            offered_per_s: offered,
            throughput_per_s: throughput,
            success_ratio: if offered > 0.0 {
                (throughput / offered).min(1.0)
            } else {
                1.0
            },
            utilization: utilization_sum / ticks,
            latency_ms: PredictedLatency {
                mean: finite(mean_s.map(|s| s * 1000.0)),
                p50: finite(quantile_ms(0.50)),
                p99: finite(quantile_ms(0.99)),
            },
            knee_load: self.knee_load(),
        }
    }

    /// For closed workloads: the knee N* = (D + Z)/Dmax, in users, with D the response time
    /// of an idle system, Z the think time and 1/Dmax the most the bottleneck completes a
    /// second; and that most (mean value analysis's asymptotes). `None` for open workloads.
    pub fn closed_knee(&self) -> Option<ClosedKnee> {
        let (think_s, idle_s) = self.think_time_s?;
        let most_per_s = self.base_rate_per_s * self.saturation_factor;
        let knee_users = (idle_s + think_s) * most_per_s;
        knee_users.is_finite().then_some(ClosedKnee {
            users: self.base_rate_per_s * (think_s + idle_s),
            knee_users,
            idle_response_ms: idle_s * 1000.0,
            think_time_s: think_s,
            most_per_s,
        })
    }

    /// The rate closed users send at, as a factor of their base rate N/(Z + D) (`bound`: the
    /// users' factor): the f with f·(Z + R(f)) = bound·(Z + D), found by bisection below
    /// saturation.
    fn closed_factor(&self, bound: f64, think_s: f64, idle_s: f64) -> f64 {
        // Written so that a NaN gives nothing.
        let positive = |x: f64| x > 0.0;
        if !positive(bound) || !positive(think_s) {
            return 0.0;
        }
        let saturation = self.saturation_factor;
        let target = bound * (think_s + idle_s);
        let (mut low, mut high) = (0.0, bound.min(saturation));
        for _ in 0..100 {
            let f = 0.5 * (low + high);
            if f * (think_s + self.mean_latency_s(f)) < target {
                low = f;
            } else {
                high = f;
            }
        }
        low
    }

    /// Mean end-to-end latency in seconds with every rate `factor` times its base value:
    /// Σ over the path of visits × the station's mean response time.
    fn mean_latency_s(&self, factor: f64) -> f64 {
        let Some(visits) = &self.visits else {
            return f64::INFINITY;
        };
        let mut total = 0.0;
        for (i, by_class) in visits.iter().enumerate() {
            if by_class.iter().all(|v| *v <= 0.0) {
                continue;
            }
            match &self.plan.nodes[i].kind {
                KindPlan::Client(_) => {}
                KindPlan::Database(_) => {
                    let read = self.response_mean_s(i, factor, false);
                    let write = self.response_mean_s(i, factor, true);
                    for (k, v) in by_class.iter().enumerate() {
                        total += v * if is_write(k) { write } else { read };
                    }
                }
                _ => {
                    let one = self.response_mean_s(i, factor, false);
                    total += by_class.iter().sum::<f64>() * one;
                }
            }
        }
        total
    }

    /// Node `i`'s mean response time in seconds (a database's, for writes when `write`,
    /// over its shards as requests pick them).
    fn response_mean_s(&self, i: usize, factor: f64, write: bool) -> f64 {
        match &self.plan.nodes[i].kind {
            KindPlan::Database(p) => {
                let st = database_state(p, &self.class_rates_per_s[i], factor);
                let sum = p.shard_share_sum.max(f64::MIN_POSITIVE);
                p.shard_share
                    .iter()
                    .enumerate()
                    .map(|(j, share)| {
                        share / sum
                            * unlimited(kinds::database::response(p, &st, j, write)).mean_s()
                    })
                    .sum()
            }
            _ => self.response(i, factor, write).mean_s(),
        }
    }

    /// Node `i`'s response-time distribution with every rate `factor` times its base value,
    /// with no timeout (a database's: its first shard's).
    fn response(&self, i: usize, factor: f64, write: bool) -> ResponseTime {
        let rates = &self.class_rates_per_s[i];
        match &self.plan.nodes[i].kind {
            KindPlan::Database(p) => {
                let st = database_state(p, rates, factor);
                unlimited(kinds::database::response(p, &st, 0, write))
            }
            _ => kinds::group_at(&self.plan, i, rates.iter().sum::<f64>() * factor)
                .map_or_else(ResponseTime::default, |g| unlimited(g.response(0.0))),
        }
    }
}

/// No timeout bounds the wait: the formulas' own distribution.
fn unlimited(mut rt: ResponseTime) -> ResponseTime {
    rt.wait_limit_s = f64::INFINITY;
    rt.backlog_delay_s = 0.0;
    rt
}

/// A database's state at `factor` times its base rates: each shard's reads and writes by its
/// share, and its offered utilization (the hottest copy's, as a run works it out).
fn database_state(p: &DatabasePlan, rates: &[f64; CLASSES], factor: f64) -> NodeState {
    let (mut reads, mut writes) = (0.0, 0.0);
    for (k, rate) in rates.iter().enumerate() {
        if is_write(k) {
            writes += rate * factor;
        } else {
            reads += rate * factor;
        }
    }
    let shards = p
        .shard_share
        .iter()
        .map(|share| {
            let (r, w) = (reads * share, writes * share);
            ShardState {
                read_rate_per_s: r,
                write_rate_per_s: w,
                offered_utilization: if p.copies == 0 {
                    f64::INFINITY
                } else {
                    hottest_copy_utilization(p.copies, w * p.write_s, w * p.apply_s, r * p.read_s)
                        / p.effective_cores
                },
                ..ShardState::default()
            }
        })
        .collect();
    NodeState::new(KindState::Database(Box::new(DatabaseState { shards })), 0)
}

/// Whether node `i`'s response time is one with a closed form: M/M/c (Poisson arrivals,
/// exponential service whose mean is its servers' rate, pooled or split at random over
/// instances) or E_n/M/1 (one server each, dealt to in turn); a database only with one shard,
/// one copy and one kind of request (reads or writes).
fn closed_form(plan: &Plan, i: usize, rates: &[f64; CLASSES]) -> bool {
    let node = &plan.nodes[i];
    let exponential = |scv: f64| (scv - 1.0).abs() < 1e-12;
    if !exponential(node.arrival_scv) {
        return false;
    }
    match &node.kind {
        KindPlan::Database(p) => {
            let writes = rates
                .iter()
                .enumerate()
                .any(|(k, r)| is_write(k) && *r > 0.0);
            let reads = rates
                .iter()
                .enumerate()
                .any(|(k, r)| !is_write(k) && *r > 0.0);
            p.shard_share.len() == 1
                && p.copies == 1
                && exponential(p.service_scv)
                && !(reads && writes)
        }
        _ => kinds::group_at(plan, i, 1.0).is_some_and(|g| {
            let s = &g.station;
            let pure = exponential(s.service_scv)
                && (s.service_mean_s * s.rate_per_server_s - 1.0).abs() < 1e-9;
            pure && match g.spread {
                Spread::Pooled | Spread::Random => true,
                Spread::RoundRobin => s.servers == 1,
                // Uneven shares: not the even M/M/c the formula takes.
                Spread::Sticky => false,
            }
        }),
    }
}

/// The profile's multipliers over the ticks a run of `plan` measures (after its warm-up;
/// all of them if the warm-up takes the whole run), each with how many ticks have it.
fn measured_profile(plan: &Plan) -> Vec<(f64, u64)> {
    let from = if plan.warmup_ticks < plan.ticks {
        plan.warmup_ticks
    } else {
        0
    };
    let mut multipliers: Vec<f64> = (from..plan.ticks)
        .map(|t| plan.profile.multiplier_at(t as f64 * plan.tick_s))
        .filter(|m| m.is_finite() && *m >= 0.0)
        .collect();
    if multipliers.is_empty() {
        return vec![(plan.profile.multiplier_at(0.0).max(0.0), 1)];
    }
    multipliers.sort_by(f64::total_cmp);
    let mut out: Vec<(f64, u64)> = Vec::new();
    for m in multipliers {
        match out.last_mut() {
            Some((last, count)) if *last == m => *count += 1,
            _ => out.push((m, 1)),
        }
    }
    out
}

/// Visits per request, by class, of every node on the requests' own paths: what a request
/// waits for, as a run's sampled paths walk it. From the clients by their mix; on down the
/// links as a run routes (a fan-out calls every link `calls_per_request` times, a split
/// takes one by weight); caches and CDNs answer their hits; a message queue ends the path (a
/// producer waits for the enqueue only); a session lookup ends where it is answered. Links
/// closing loops carry their share into the next round, until the rounds settle (`None` if
/// they do not).
fn request_visits(plan: &Plan, answered: &[[f64; CLASSES]]) -> Option<Vec<[f64; CLASSES]>> {
    let n = plan.nodes.len();
    let base = plan.base_rate_per_s();
    if base <= 0.0 {
        return Some(vec![[0.0; CLASSES]; n]);
    }
    let mut feedback = vec![[0.0; CLASSES]; n];
    for _ in 0..MAX_ROUNDS {
        let (visits, back) = visit_round(plan, answered, &feedback, base);
        let total: f64 = back.iter().flatten().sum();
        let change: f64 = back
            .iter()
            .flatten()
            .zip(feedback.iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .sum();
        if total <= 0.0 || change <= 1e-12 * total {
            return Some(visits);
        }
        if !total.is_finite() || total > 1e12 {
            return None;
        }
        feedback = back;
    }
    None
}

/// One pass of [`request_visits`] in processing order, with `feedback` arriving from the
/// links that close loops: the visits, and what those links carry back now.
fn visit_round(
    plan: &Plan,
    answered: &[[f64; CLASSES]],
    feedback: &[[f64; CLASSES]],
    base: f64,
) -> (Vec<[f64; CLASSES]>, Vec<[f64; CLASSES]>) {
    let n = plan.nodes.len();
    let mut visits = feedback.to_vec();
    let mut back = vec![[0.0; CLASSES]; n];
    let session = TrafficClass::Session.index();
    for i in 0..n {
        let node = &plan.nodes[i];
        if let KindPlan::Client(c) = &node.kind {
            for (k, share) in c.mix.iter().enumerate() {
                visits[i][k] += c.base_rate_per_s * share / base;
            }
        }
        let here = visits[i];
        for (k, &arrived) in here.iter().enumerate() {
            let goes_on = match &node.kind {
                KindPlan::MessageQueue(_) => 0.0,
                _ if k == session && node.forwarding != Forwarding::FanOut => 0.0,
                KindPlan::Cache(_) | KindPlan::Cdn(_) => 1.0 - answered[i][k],
                _ => 1.0,
            };
            let amount = arrived * goes_on;
            if amount <= 0.0 {
                continue;
            }
            let mut deliver = |e: u32, class: usize, v: f64| {
                if let Some(r) = plan.routes.get(e as usize) {
                    let slot = if r.backward { &mut back } else { &mut visits };
                    if let Some(target) = slot.get_mut(r.target as usize) {
                        target[class] += v;
                    }
                }
            };
            let (a, b) = node.routes[k];
            match node.forwarding {
                Forwarding::Terminal => {}
                Forwarding::FanOut => {
                    for e in a..b {
                        deliver(e, k, amount * plan.routes[e as usize].calls);
                    }
                    let (sa, sb) = node.session_routes[k];
                    for e in sa..sb {
                        deliver(e, session, amount * plan.routes[e as usize].calls);
                    }
                }
                Forwarding::Split | Forwarding::Balance => {
                    let weight = |e: u32| {
                        let r = &plan.routes[e as usize];
                        match &node.kind {
                            KindPlan::LoadBalancer(lb) => {
                                let target = &plan.nodes[r.target as usize];
                                kinds::load_balancer::target_weight(
                                    lb,
                                    r.weight,
                                    target.instances,
                                    kinds::instance_capacity_per_s(&target.kind),
                                )
                            }
                            _ => r.weight,
                        }
                    };
                    let weights: Vec<f64> = (a..b).map(weight).collect();
                    let sum: f64 = weights.iter().sum();
                    if sum > 0.0 {
                        for (e, w) in (a..b).zip(weights) {
                            deliver(e, k, amount * w / sum);
                        }
                    }
                }
            }
        }
    }
    (visits, back)
}

/// The `p`-quantile in seconds of a mixture of response times, each with its weight (the
/// requests it stands for): by bisection between the parts' own quantiles, on the mixture's
/// exceedance. `None` when nothing weighs.
fn mixture_quantile_s(parts: &[(f64, ResponseTime)], p: f64) -> Option<f64> {
    let total: f64 = parts.iter().map(|(w, _)| w).sum();
    if total <= 0.0 || parts.is_empty() {
        return None;
    }
    if let [(_, only)] = parts {
        return Some(only.quantile_s(p));
    }
    let quantiles: Vec<f64> = parts.iter().map(|(_, rt)| rt.quantile_s(p)).collect();
    let mut lo = quantiles.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = quantiles.iter().copied().fold(0.0, f64::max);
    let exceedance = |t: f64| {
        parts
            .iter()
            .map(|(w, rt)| w * rt.exceedance(t))
            .sum::<f64>()
            / total
    };
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if exceedance(mid) > 1.0 - p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-9 * hi.max(1e-12) {
            break;
        }
    }
    Some(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::ladder::bottleneck_ladder;
    use crate::model::read_design;
    use crate::sim::laws::operational_laws;

    fn validation(name: &str) -> Design {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("saved-designs/validation")
            .join(name);
        read_design(&path, &PriceTable::builtin())
            .expect("loads")
            .design
    }

    fn predictor(design: &Design) -> Predictor {
        let scenario = design.default_scenario().expect("scenario");
        Predictor::new(design, scenario, &PriceTable::builtin(), None).expect("predicts")
    }

    fn assert_close(what: &str, got: f64, want: f64, relative: f64) {
        assert!(
            (got - want).abs() <= relative * want.abs(),
            "{what}: {got}, expected {want}"
        );
    }

    #[test]
    fn an_mm1_server_follows_the_hockey_stick_r_equals_s_over_one_minus_rho() {
        // MODEL-REFERENCE §6: one server at 100/s; the design offers 80/s at ×1.
        let p = predictor(&validation("mm1.ron"));
        for lambda in [50.0, 80.0, 90.0, 95.0] {
            let at = p.at(lambda / 80.0);
            let rho: f64 = lambda / 100.0;
            let r_ms = 10.0 / (1.0 - rho);
            assert_close("offered", at.offered_per_s, lambda, 1e-12);
            assert_close("throughput", at.throughput_per_s, lambda, 1e-12);
            assert_eq!(at.success_ratio, 1.0);
            assert_close("utilization", at.utilization, rho, 1e-12);
            assert_close("mean", at.latency_ms.mean.expect("mean"), r_ms, 1e-9);
            // Response time ~ Exp(μ − λ): the p-th percentile is −ln(1 − p)·R.
            let p99 = at.latency_ms.p99.expect("closed form");
            assert_close("p99", p99, 100f64.ln() * r_ms, 1e-6);
            let p50 = at.latency_ms.p50.expect("closed form");
            assert_close("p50", p50, 2f64.ln() * r_ms, 1e-6);
        }
        // The worked cases: 50 ms and p99 230.3 ms at 80/s, p99 460.5 ms at 90/s.
        assert_close(
            "R at 80/s",
            p.at(1.0).latency_ms.mean.expect("mean"),
            50.0,
            1e-9,
        );
        let p99_90 = p.at(90.0 / 80.0).latency_ms.p99.expect("p99");
        assert!((p99_90 - 460.5).abs() < 0.1, "{p99_90}");
    }

    #[test]
    fn past_the_knee_throughput_is_the_capacity_and_latency_has_no_steady_state() {
        let p = predictor(&validation("mm1.ron"));
        assert_close("knee", p.knee_load().expect("knee"), 1.25, 1e-12);
        let at = p.at(1.5);
        assert_close("throughput", at.throughput_per_s, 100.0, 1e-12);
        assert_close("success", at.success_ratio, 100.0 / 120.0, 1e-12);
        assert_close("utilization", at.utilization, 1.2, 1e-12);
        assert_eq!(at.latency_ms, PredictedLatency::default());
        // At the knee itself there is no steady state either.
        assert_eq!(p.at(1.25).latency_ms.mean, None);
    }

    #[test]
    fn a_tandem_adds_its_stations_response_times() {
        // 200/s → web M/M/1 μ 400 → app M/M/2 μ 150 each → DB M/M/1 μ 250 (MODEL-REFERENCE
        // §6): 5 + 12 + 20 = 37 ms at ×1.
        let p = predictor(&validation("tandem.ron"));
        let at = p.at(1.0);
        assert_close("mean at ×1", at.latency_ms.mean.expect("mean"), 37.0, 1e-9);
        // Three stations: no closed form for the sum's percentiles.
        assert_eq!(at.latency_ms.p99, None);
        for load in [0.25, 0.5, 0.9, 1.2] {
            let lambda = 200.0 * load;
            let mm1 = |mu: f64| 1000.0 / (mu - lambda);
            // M/M/2: ρ = λ/2μ, C = 2ρ²/(1 + ρ), R = 1/μ + C/(2μ − λ).
            let rho: f64 = lambda / 300.0;
            let c = 2.0 * rho * rho / (1.0 + rho);
            let mm2 = 1000.0 / 150.0 + 1000.0 * c / (300.0 - lambda);
            let sum = mm1(400.0) + mm2 + mm1(250.0);
            let mean = p.at(load).latency_ms.mean.expect("below the knee");
            assert_close(&format!("mean at ×{load}"), mean, sum, 1e-9);
        }
    }

    #[test]
    fn the_knee_is_where_the_bottleneck_ladder_says() {
        for name in ["mm1.ron", "tandem.ron"] {
            let design = validation(name);
            let scenario = design.default_scenario().expect("scenario");
            let prices = PriceTable::builtin();
            let laws = operational_laws(&design, scenario, &prices).expect("laws");
            let first = bottleneck_ladder(&laws)[0].saturates_at_load;
            let knee = predictor(&design).knee_load().expect("knee");
            assert_close(name, knee, first / scenario.load_multiplier, 1e-12);
            // Just below it the latency is there; just past it, the throughput is capped.
            let p = predictor(&design);
            assert!(p.at(knee * 0.999).latency_ms.mean.is_some());
            let past = p.at(knee * 1.1);
            assert_close("capped", past.success_ratio, 1.0 / 1.1, 1e-9);
        }
    }

    #[test]
    fn a_varying_profile_is_taken_tick_by_tick_weighted_by_traffic() {
        // Half the measured ticks at 40/s, half at 80/s: R = 10/(1 − 0.4) = 50/3 ms and
        // 10/(1 − 0.8) = 50 ms, weighted by the requests: (40·50/3 + 80·50) / 120 = 350/9 ms.
        let mut design = validation("mm1.ron");
        let scenario = &mut design.scenarios[0];
        scenario.duration_s = 200.0;
        scenario.warmup_s = Some(0.0);
        scenario.profile = crate::model::TrafficProfile::StepSurge {
            at_s: 100.0,
            multiplier: 2.0,
            until_s: None,
        };
        let p = predictor(&design);
        let at = p.at(0.5);
        assert_close("offered", at.offered_per_s, 60.0, 1e-12);
        assert_close("mean", at.latency_ms.mean.expect("mean"), 350.0 / 9.0, 1e-9);
        // The knee is reached by the surge: 80/s × 2 × 0.625 = 100/s.
        assert_close("knee", p.knee_load().expect("knee"), 0.625, 1e-12);
        // The p99 of the mixture: P(R > t) = (40·e^(−3t/50) + 80·e^(−t/50)) / 120 = 1 %.
        let p99 = at.latency_ms.p99.expect("closed form");
        let exceed = (40.0 * (-3.0 * p99 / 50.0f64).exp() + 80.0 * (-p99 / 50.0f64).exp()) / 120.0;
        assert!((exceed - 0.01).abs() < 1e-9, "{p99}: {exceed}");
    }

    #[test]
    fn constant_arrivals_have_no_closed_form_percentiles() {
        let mut design = validation("mm1.ron");
        let client = design.find("arrivals").expect("client");
        if let Some(c) = design.component_mut(client)
            && let crate::model::ComponentKind::Client(p) = &mut c.kind
        {
            p.arrivals = crate::model::ArrivalProcess::Constant;
        }
        let at = predictor(&design).at(1.0);
        assert_eq!(at.latency_ms.p99, None);
        // Allen–Cunneen: D/M/1 waits (0 + 1)/2 of M/M/1's 40 ms.
        assert_close("mean", at.latency_ms.mean.expect("mean"), 30.0, 1e-9);
    }
}
