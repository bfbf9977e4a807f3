//! The report of `archsandbox simulate` (and the app's analysis panel): a simulation run with
//! the analysis beside it. The JSON field names are a contract other tools rely on: fields
//! may be added, never renamed.

use serde::Serialize;

use crate::model::{ComponentKind, Design, KindName, PriceTable, Scenario};
use crate::sim::laws::{Laws, operational_laws};
use crate::sim::report::{ComponentReport, SystemReport};
use crate::sim::{RunOptions, SimError, Simulation};

use super::availability::{AvailabilityReport, availability};
use super::cost::{CostReport, monthly_cost, per_million_requests};
use super::ladder::{LadderStep, bottleneck_ladder};
use super::spof::{FailureImpact, failure_impact, structural_spofs};

/// When to run the N−1 simulations (one run per component).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FailureAnalysis {
    /// For designs of up to [`AUTO_FAILURE_ANALYSIS_LIMIT`] components.
    #[default]
    Auto,
    /// Always, whatever the design's size.
    On,
    /// Never; the structural check for single points of failure is skipped too.
    Off,
}

/// Which engine runs the scenario.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// The flow engine: counts per tick, waits from queueing formulas (fast; every feature).
    #[default]
    Flow,
    /// The events engine: request by request through real queues (the referee; every
    /// feature, with a budget of requests a run).
    Events,
}

/// Designs larger than this skip the N−1 runs unless asked.
pub const AUTO_FAILURE_ANALYSIS_LIMIT: usize = 200;

/// Options of an analysis run.
#[derive(Clone, Debug, Default)]
pub struct AnalysisOptions {
    /// Options of the simulation run (seed, ticks, load, sampling).
    pub run: RunOptions,
    /// When to run the N−1 failure simulations (`Off` skips the structural check for single points
    /// of failure too).
    pub failure_analysis: FailureAnalysis,
    /// The engine that runs the scenario (the N−1 runs always use the flow engine).
    pub engine: Engine,
}

/// The whole system: the simulation's figures and the analysis's.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SystemSection {
    /// The simulation's figures for the whole system (their fields sit in this section in JSON).
    #[serde(flatten)]
    pub run: SystemReport,
    /// Steady-state availability from MTBF/MTTR (independent failures, instant failover).
    pub availability: f64,
    /// Expected downtime a year at that availability, in minutes.
    pub downtime_min_per_year: f64,
    /// What the design costs a month at the run's mean load, in `currency`.
    pub cost_per_month: f64,
    /// `None` (JSON null) when nothing was served.
    pub cost_per_million_requests: Option<f64>,
    /// The price table's currency of the costs.
    pub currency: String,
    /// The load multiplier at which the first component saturates (the ladder's first step).
    pub max_load_multiplier: Option<f64>,
}

/// One component: the simulation's figures and the analysis's.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComponentSection {
    /// The simulation's figures for the component (their fields sit in this section in JSON).
    #[serde(flatten)]
    pub run: ComponentReport,
    /// Steady-state availability of the component's group (all shards, for databases); `None` for
    /// clients, which never fail.
    pub availability: Option<f64>,
    /// What the component costs a month at the run's mean load (0 for clients).
    pub cost_per_month: f64,
    /// From the operational laws.
    pub saturates_at_load: Option<f64>,
    /// A database with no replica, no standby and no backups: losing it loses data.
    pub data_at_risk: bool,
}

/// Where the simulation and the operational laws disagree by more than the run's noise.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelCheck {
    /// The component's name.
    pub name: String,
    /// Its mean utilization in the run, after the warm-up.
    pub simulated_utilization: f64,
    /// The mean utilization the operational laws predict over the same ticks at the same load,
    /// capped at 1 each tick.
    pub predicted_utilization: f64,
}

/// A figure of the run that breaks an operational law by more than the run's noise allows:
/// the report says so rather than print it silently.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LawCheck {
    /// Which law: `utilization` (a component did more work than its capacity: U = X·S ≤ 1),
    /// `bottleneck` (the system completed more than its bottleneck can: X ≤ min c_k / D_k) or
    /// `little` (a component's backlog is not its throughput × its wait: L = X·W).
    pub law: &'static str,
    /// The component, or none for the system.
    pub component: Option<String>,
    /// The figure the run gave, and what the law bounds it by or expects of it.
    pub measured: f64,
    /// What the law bounds the figure by (utilization 1, the bottleneck's throughput) or expects of
    /// it (Little's L = X·W).
    pub expected: f64,
    /// How far the two may differ for the run's noise and the tick's resolution.
    pub tolerance: f64,
    /// In plain words.
    pub message: String,
}

/// The report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimulateReport {
    /// The engine that ran the scenario: "flow" or "events".
    pub engine: Engine,
    /// The design's name.
    pub design: String,
    /// The name of the scenario run.
    pub scenario: String,
    /// Seed of every random stream of the run; the same seed gives the same report.
    pub seed: u64,
    /// Ticks simulated.
    pub ticks: u64,
    /// Length of one tick, in seconds.
    pub tick_s: f64,
    /// Load multiplier of the run: the scenario's times the run options' (`--load` on the
    /// command line).
    pub load_multiplier: f64,
    /// Means are over the ticks after this warm-up.
    pub warmup_s: f64,
    /// How the warm-up was chosen, and whether the run settled.
    pub warmup: WarmupCut,
    /// The whole system: simulated figures, availability and cost.
    pub system: SystemSection,
    /// In design order.
    pub components: Vec<ComponentSection>,
    /// Ascending: the first step is today's bottleneck, the next where load goes once it is fixed.
    pub bottleneck_ladder: Vec<LadderStep>,
    /// Losing one instance of each component in turn, the worst first (empty when skipped).
    pub failure_impact: Vec<FailureImpact>,
    /// Components whose simulated utilization is further from the laws' prediction than the run's
    /// noise allows (empty when none is, or when the check was skipped).
    pub model_check: Vec<ModelCheck>,
    /// Figures that break an operational law (empty when every figure keeps them).
    pub law_checks: Vec<LawCheck>,
    /// What the figures assume, and anything left out.
    pub notes: Vec<String>,
    /// With `--replications N`: every figure of the run over N more runs on derived seeds, as
    /// a mean and its 95 % interval (absent without).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replications: Option<super::replications::Replications>,
}

/// How a run's warm-up was chosen. Unless the scenario names one, the run cuts the larger
/// of the default (a tenth of the run, at least ten ticks and the slowest cold cache's
/// warm-up) and MSER-5's cut on the requests in flight tick by tick (see `sim::warmup`): a
/// transient longer than the default is cut whole, by running again on the same seed with
/// the longer warm-up (the same run, measured from later). Only a steady scenario (a
/// constant profile and no failures) is looked at: where the load varies or something
/// fails, what moves is the scenario, not a transient to cut.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WarmupCut {
    /// "scenario" (it names the warm-up), "default" (MSER-5 cut no more) or "mser-5".
    pub method: &'static str,
    /// Seconds cut from the start of the run.
    pub cut_s: f64,
    /// Seconds the default would cut.
    pub default_s: f64,
    /// Seconds MSER-5 would cut (`None`: the scenario is not steady by design).
    pub mser5_s: Option<f64>,
    /// Whether the run settled: MSER-5 found a steady rest before half the run. A run past
    /// the knee does not (what waits grows to the end), and its means are of a run still
    /// moving. `None` where MSER-5 was not applied.
    pub settled: Option<bool>,
}

/// Run `scenario` once with `engine`: its summary and the requests in flight at the end of
/// each tick.
fn run_with_series(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    run: &RunOptions,
    engine: Engine,
) -> Result<(crate::sim::RunSummary, Vec<f64>), SimError> {
    match engine {
        Engine::Flow => {
            let mut sim = Simulation::with_options(design, scenario, prices, run.clone())?;
            let mut in_flight = Vec::with_capacity(sim.ticks().min(1 << 20) as usize);
            while !sim.is_finished() {
                in_flight.push(sim.step()?.in_flight);
            }
            Ok((sim.summary(), in_flight))
        }
        Engine::Events => {
            let (summary, run) =
                crate::sim::events::run_events_summary(design, scenario, prices, run)?;
            Ok((summary, run.in_flight_per_tick))
        }
    }
}

/// Simulate a scenario and analyse the design.
pub fn analyze(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    options: &AnalysisOptions,
) -> Result<SimulateReport, SimError> {
    let (mut summary, in_flight) =
        run_with_series(design, scenario, prices, &options.run, options.engine)?;
    // Random failures are excluded too: an outage early in the run is a spike MSER-5 would
    // cut, and the means would leave out the very losses the scenario is about.
    let steady = scenario.profile == crate::model::TrafficProfile::Constant
        && scenario.failures.is_empty()
        && !scenario.random_failures;
    let mser = steady.then(|| crate::sim::warmup::mser5(&in_flight));
    let mut warmup = WarmupCut {
        method: if scenario.warmup_s.is_some() {
            "scenario"
        } else {
            "default"
        },
        cut_s: summary.warmup_s,
        default_s: summary.warmup_s,
        mser5_s: mser.map(|m| m.cut as f64 * summary.tick_s),
        settled: mser.map(|m| m.settled),
    };
    if let Some(m) = mser
        && scenario.warmup_s.is_none()
        && m.settled
        && m.cut as u64 > summary.warmup_ticks
    {
        let longer = Scenario {
            warmup_s: Some(m.cut as f64 * summary.tick_s),
            ..scenario.clone()
        };
        summary = run_with_series(design, &longer, prices, &options.run, options.engine)?.0;
        warmup.method = "mser-5";
        warmup.cut_s = summary.warmup_s;
    }
    let laws = operational_laws(design, scenario, prices)?;
    let load = summary.load_multiplier;
    // The profile's mean over the measured ticks scales the base load for cost and k-of-n.
    let profile_mean = profile_mean(scenario, summary.warmup_ticks, summary.ticks);
    let effective_load = load * profile_mean;
    let ladder = bottleneck_ladder(&laws);
    let avail = availability(design, &laws, effective_load);
    let cost = monthly_cost(design, &laws, prices, effective_load);
    let mut notes = vec![
        "Availability assumes independent failures and instant failover.".to_string(),
        match options.engine {
            Engine::Flow => "Engine: flow (counts per tick, waits from queueing formulas; end-to-end percentiles from sampled request paths).".to_string(),
            Engine::Events => "Engine: events (request by request through first-come-first-served queues; every request measured). The N−1 failure runs use the flow engine.".to_string(),
        },
        format!(
            "Saturation loads are multiples of the design's base load ({:.0} requests/s: every client's users × rate, or a closed client's most, users ÷ (think time + idle response); profile 1).",
            laws.base_rate_per_s
        ),
    ];
    // `--failure-analysis off` skips both: the structural check and the N−1 runs.
    let structural = if options.failure_analysis == FailureAnalysis::Off {
        Vec::new()
    } else {
        structural_spofs(design)
    };
    let mut run_n1 = match options.failure_analysis {
        FailureAnalysis::On => true,
        FailureAnalysis::Off => false,
        FailureAnalysis::Auto => design.component_count() <= AUTO_FAILURE_ANALYSIS_LIMIT,
    };
    // A single point of failure is about redundancy, not capacity: if the design already
    // misses its target at this load, test the losses at a load it carries comfortably.
    let n1_load = if summary.system.success_ratio < scenario.target_success_ratio {
        let safe = ladder
            .first()
            .map_or(load, |s| 0.7 * s.saturates_at_load / profile_peak(scenario));
        safe.min(load)
    } else {
        load
    };
    if run_n1 && n1_load < crate::model::validate::MIN_MULTIPLIER {
        // Overloaded a million times over: there is no load it carries to lose instances at.
        run_n1 = false;
        notes.push(format!(
            "The N−1 failure runs were skipped: the design carries its load only below ×{n1_load:.1e} of it, too little to run."
        ));
    } else if run_n1 && n1_load < load {
        notes.push(format!(
            "The design misses its {:.1} % target at this load, so single instances were lost at ×{} instead, where it carries the load.",
            scenario.target_success_ratio * 100.0,
            number(n1_load)
        ));
    }
    let impact = if run_n1 {
        failure_impact(design, scenario, prices, n1_load, summary.seed)?
    } else {
        if options.failure_analysis == FailureAnalysis::Off {
            notes.push(
                "The failure analysis was skipped (--failure-analysis off): no single points of failure were looked for."
                    .into(),
            );
        } else if n1_load >= crate::model::validate::MIN_MULTIPLIER {
            notes.push(format!(
                "The N−1 failure runs were skipped ({} components; ask with --failure-analysis on).",
                design.component_count()
            ));
        }
        Vec::new()
    };
    let target = scenario.target_success_ratio;
    // Look-ups by id and name, each built once: the report is linear in the components.
    let ids = design.ids_by_name();
    let structural: std::collections::HashSet<_> = structural.iter().copied().collect();
    let impact_of: std::collections::HashMap<_, _> = impact.iter().map(|f| (f.id, f)).collect();
    let availability_of: std::collections::HashMap<_, _> = avail
        .components
        .iter()
        .map(|a| (a.id, a.availability))
        .collect();
    let cost_of: std::collections::HashMap<_, _> = cost
        .components
        .iter()
        .map(|c| (c.id, c.per_month))
        .collect();
    let law_of: std::collections::HashMap<_, _> = laws.nodes.iter().map(|n| (n.id, n)).collect();
    let components = summary
        .components
        .iter()
        .map(|run| {
            let id = ids.get(run.name.as_str()).copied();
            let spof = id.is_some_and(|id| {
                structural.contains(&id)
                    || impact_of.get(&id).is_some_and(|f| {
                        f.success_ratio_when_failed < target
                            && f.success_ratio_baseline - f.success_ratio_when_failed > 1.0 - target
                    })
            });
            let data_at_risk = id
                .and_then(|id| design.component(id))
                .is_some_and(|c| matches!(&c.kind, ComponentKind::Database(p) if p.instances == 1 && !p.standby && !p.backups));
            ComponentSection {
                run: ComponentReport { spof, ..run.clone() },
                availability: id.and_then(|id| availability_of.get(&id).copied()),
                cost_per_month: id.and_then(|id| cost_of.get(&id).copied()).unwrap_or(0.0),
                saturates_at_load: id
                    .and_then(|id| law_of.get(&id))
                    .and_then(|n| n.saturates_at_load())
                    .filter(|_| run.kind != "client"),
                data_at_risk,
            }
        })
        .collect::<Vec<_>>();
    let workloads = design
        .components()
        .filter_map(|(_, c)| match &c.kind {
            ComponentKind::Client(p) => Some(p.think_time_s().is_some()),
            _ => None,
        })
        .fold((false, false), |(open, closed), is_closed| {
            (open || !is_closed, closed || is_closed)
        });
    let model_check = model_check(scenario, &laws, &summary, load, workloads, &mut notes);
    if workloads.1
        && let Ok(predictor) =
            crate::analysis::predict::Predictor::new(design, scenario, prices, Some(summary.ticks))
        && let Some(knee) = predictor.closed_knee()
    {
        notes.push(format!(
            "Closed workload: {} users who think {} s between requests. The knee is at N* = (D + Z)/Dmax = {} users (D = {} ms for one request through an idle system, at most {} requests/s through the bottleneck): past it the throughput stays there and each user more adds Dmax = {} ms to the response time (mean value analysis's asymptotes).",
            number(knee.users * load),
            number(knee.think_time_s),
            number(knee.knee_users),
            number(knee.idle_response_ms),
            number(knee.most_per_s),
            number(1000.0 / knee.most_per_s),
        ));
    }
    let sources = if design.component_count() <= BOTTLENECK_CHECK_LIMIT {
        crate::sim::laws::source_laws(design, scenario, prices).ok()
    } else {
        None
    };
    let law_checks = law_checks(design, sources.as_deref(), &summary);
    let system = system_section(&summary.system, &avail, &cost, &ladder);
    Ok(SimulateReport {
        engine: options.engine,
        design: design.name.clone(),
        scenario: scenario.name.clone(),
        seed: summary.seed,
        ticks: summary.ticks,
        tick_s: summary.tick_s,
        load_multiplier: load,
        warmup_s: summary.warmup_s,
        warmup,
        system,
        components,
        bottleneck_ladder: ladder,
        failure_impact: impact,
        model_check,
        law_checks,
        notes,
        replications: None,
    })
}

fn system_section(
    s: &SystemReport,
    avail: &AvailabilityReport,
    cost: &CostReport,
    ladder: &[LadderStep],
) -> SystemSection {
    SystemSection {
        run: s.clone(),
        availability: avail.system,
        downtime_min_per_year: avail.downtime_min_per_year,
        cost_per_month: cost.per_month,
        cost_per_million_requests: per_million_requests(cost.per_month, s.throughput_per_s),
        currency: cost.currency.clone(),
        max_load_multiplier: ladder.first().map(|s| s.saturates_at_load),
    }
}

/// The profile's highest multiplier over the run.
fn profile_peak(scenario: &Scenario) -> f64 {
    (0..scenario.ticks())
        .map(|t| scenario.profile.multiplier_at(t as f64 * scenario.tick_s))
        .fold(0.0, f64::max)
        .max(1e-9)
}

/// Mean of the profile over ticks `from..to`.
fn profile_mean(scenario: &Scenario, from: u64, to: u64) -> f64 {
    if to <= from {
        return scenario.profile.multiplier_at(0.0);
    }
    let sum: f64 = (from..to)
        .map(|t| scenario.profile.multiplier_at(t as f64 * scenario.tick_s))
        .sum();
    sum / (to - from) as f64
}

/// Compare each component's simulated mean utilization with what the laws predict for the
/// same load over the same ticks (capped at 1); report differences beyond the run's noise.
fn model_check(
    scenario: &Scenario,
    laws: &Laws,
    summary: &crate::sim::RunSummary,
    load: f64,
    (open, closed): (bool, bool),
    notes: &mut Vec<String>,
) -> Vec<ModelCheck> {
    if !scenario.failures.is_empty() || scenario.random_failures || scenario.caches_start_cold {
        notes.push(
            "The model check against the operational laws was skipped: failures or cold caches change the load the laws assume."
                .into(),
        );
        return Vec::new();
    }
    if summary.system.rejected > 0 {
        notes.push(
            "The model check against the operational laws was skipped: rate limiters turned requests away, and the laws assume every request goes on."
                .into(),
        );
        return Vec::new();
    }
    if summary.system.retries > 0 || summary.system.timed_out > 0 {
        notes.push(
            "The model check against the operational laws was skipped: retries sent calls again, and the laws count each call once."
                .into(),
        );
        return Vec::new();
    }
    if summary.components.iter().any(|c| c.autoscaling.is_some()) {
        notes.push(
            "The model check against the operational laws was skipped: autoscaling changes the instances over the run, and the laws hold one capacity."
                .into(),
        );
        return Vec::new();
    }
    if summary.system.breaker_open_s > 0.0 {
        notes.push(
            "The model check against the operational laws was skipped: circuit breakers held calls back, and the laws send every call."
                .into(),
        );
        return Vec::new();
    }
    if open && closed {
        notes.push(
            "The model check against the operational laws was skipped: the design mixes open clients with closed ones, whose load is what their users' answers allow, and the laws hold one load for all."
                .into(),
        );
        return Vec::new();
    }
    let mut ticks: Vec<f64> = (summary.warmup_ticks..summary.ticks)
        .map(|t| scenario.profile.multiplier_at(t as f64 * scenario.tick_s) * load)
        .collect();
    if ticks.is_empty() {
        return Vec::new();
    }
    if closed {
        // A closed workload sends what its users' answers allow, not its bound (users over
        // think time) that the laws' base load takes: the laws are held to the load the run
        // measured, each tick's profile in proportion.
        let profile_mean = ticks.iter().sum::<f64>() / ticks.len() as f64;
        if laws.base_rate_per_s > 0.0 && profile_mean > 0.0 {
            let measured = summary.system.offered_per_s / laws.base_rate_per_s / profile_mean;
            ticks.iter_mut().for_each(|l| *l *= measured);
        }
    }
    let mut out = Vec::new();
    let runs: std::collections::HashMap<&str, &ComponentReport> = summary
        .components
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    for law in &laws.nodes {
        if law.kind == KindName::Client || law.utilization <= 0.0 {
            continue;
        }
        let Some(&run) = runs.get(law.name.as_str()) else {
            continue;
        };
        // Stateful servers without sticky sessions pass on only the requests that keep
        // their session; the laws count the same, so no exception is needed there.
        let predicted = ticks
            .iter()
            .map(|l| law.utilization_at(*l).min(1.0))
            .sum::<f64>()
            / ticks.len() as f64;
        // Poisson noise of the mean utilization over the run, and the tick-level capping.
        let noise = 3.0
            * (predicted.max(1e-9)
                / (law.rate_per_s * load * scenario.tick_s * ticks.len() as f64).max(1.0))
            .sqrt();
        let tolerance = 0.03f64.max(0.05 * predicted).max(noise);
        if (run.utilization - predicted).abs() > tolerance {
            out.push(ModelCheck {
                name: law.name.clone(),
                simulated_utilization: run.utilization,
                predicted_utilization: predicted,
            });
        }
    }
    out
}

/// Check the run's figures against the operational laws (MODEL-REFERENCE §1); each figure
/// that breaks one by more than the run's noise allows comes back, said in words. `sources`
/// are the laws of each client's classes alone ([`crate::sim::laws::source_laws`]); without
/// them (a large design) the bottleneck law is not checked.
///
/// - **Utilization**: a component's mean utilization (work done over work its capacity
///   allows) at most 1, but for the noise of its completions over the run: `NOISE_SDS`
///   standard deviations of what one instance completes, √(SCV · count) with the service's
///   SCV (at least 1), and `NOISE_SDS` completions more.
/// - **Bottleneck**: the system's throughput at most what each class of each client could
///   complete on its own, summed: its base rate over the utilization it alone puts on the
///   busiest component that every one of its requests passes (X_c ≤ c_k / D_kc; a component
///   only some of its requests pass, such as the database behind a cache that answers most
///   reads, bounds nothing, and neither does what waits behind a message queue). Summing the
///   classes' own bounds holds whatever mix completes; the same allowance for noise. Only
///   over a run long enough for the law to bind (`LAW_SETTLE_RESIDUALS`).
/// - **Little**: at each component other than clients and queues, the mean backlog L and the
///   served rate X times the mean wait W agree within what a tick hides (a request served
///   in the tick it arrives is never seen waiting: X × the tick) and a fifth of the larger
///   (the slow convergence of a queue's time average near saturation), plus three requests.
pub fn law_checks(
    design: &Design,
    sources: Option<&[crate::sim::laws::SourceLaw]>,
    summary: &crate::sim::RunSummary,
) -> Vec<LawCheck> {
    let mut out = Vec::new();
    let measured_s =
        ((summary.ticks.saturating_sub(summary.warmup_ticks)) as f64 * summary.tick_s).max(1e-9);
    let ids = design.ids_by_name();
    for c in &summary.components {
        if c.kind == "client" {
            continue;
        }
        let scv = ids
            .get(c.name.as_str())
            .and_then(|&id| design.component(id))
            .map_or(1.0, |component| match &component.kind {
                ComponentKind::Server(p) => p.service_scv,
                ComponentKind::Database(p) => p.service_scv,
                ComponentKind::MessageQueue(p) => p.consumer_service_scv,
                _ => 1.0,
            })
            .max(1.0);
        let completions = c.capacity_per_s / f64::from(c.instances.max(1)) * measured_s;
        let tolerance = if completions > 0.0 {
            (NOISE_SDS * (scv * completions).sqrt() + NOISE_SDS) / completions + 1e-9
        } else {
            1e-9
        };
        if c.utilization > 1.0 + tolerance {
            out.push(LawCheck {
                law: "utilization",
                component: Some(c.name.clone()),
                measured: c.utilization,
                expected: 1.0,
                tolerance,
                message: format!(
                    "{} did {:.1} % of the work its capacity allows ({} requests/s on {} a second): more than it can",
                    c.name,
                    c.utilization * 100.0,
                    number(c.utilization * c.capacity_per_s),
                    number(c.capacity_per_s)
                ),
            });
        }
        if c.kind == "message_queue" {
            continue;
        }
        let throughput = c.served_per_s;
        let expected = throughput * c.wait_ms / 1000.0;
        // Over a stretch of finite length T the requests waiting when it begins or ends add
        // to the mean backlog without their waits being in W (those at the start arrived
        // before it; those at the end are not served yet). N of them, served first come
        // first served at the stretch's rate X, are gone (or have waited) within N/X: they
        // add at most N·min(1, N/(X·T)). In a steady run that is about L·W/T, nothing; a
        // burst that drains through a short run is all boundary.
        let served = throughput * measured_s;
        let boundary = |n: u64| {
            let n = n as f64;
            if served > 0.0 {
                n * (n / served).min(1.0)
            } else {
                n
            }
        };
        let boundary = boundary(c.totals.backlog_start) + boundary(c.totals.backlog_end);
        let tolerance =
            throughput * summary.tick_s + 0.2 * c.backlog.max(expected) + 3.0 + boundary;
        if (c.backlog - expected).abs() > tolerance {
            out.push(LawCheck {
                law: "little",
                component: Some(c.name.clone()),
                measured: c.backlog,
                expected,
                tolerance,
                message: format!(
                    "{} held {} requests waiting on average, but serving {} a second with a wait of {} ms it should hold {} (Little's law)",
                    c.name,
                    number(c.backlog),
                    number(throughput),
                    number(c.wait_ms),
                    number(expected)
                ),
            });
        }
    }
    if let Some(bound) = sources.and_then(|s| throughput_bound(design, s, measured_s)) {
        let throughput = summary.system.throughput_per_s;
        let count = bound * measured_s;
        let tolerance = (NOISE_SDS * count.sqrt() + NOISE_SDS) / measured_s + 1e-9 * bound;
        if throughput > bound + tolerance {
            out.push(LawCheck {
                law: "bottleneck",
                component: None,
                measured: throughput,
                expected: bound,
                tolerance,
                message: format!(
                    "the system completed {} requests/s, more than its bottlenecks allow ({} a second)",
                    number(throughput),
                    number(bound)
                ),
            });
        }
    }
    out
}

/// How far a count of completions may stray before a check says a law is broken: this many
/// standard deviations, and as many completions more (a Poisson count of mean 2 passes 5σ
/// far more often than a normal one would). A healthy run trips it less than once in a
/// million; a check that cried wolf in one component of a thousand would teach users to
/// ignore it.
const NOISE_SDS: f64 = 5.0;

/// Designs larger than this skip the bottleneck check (its sets of components grow with the
/// design).
pub const BOTTLENECK_CHECK_LIMIT: usize = 2_000;

/// How many mean residual service times (E[S]·(1 + SCV)/2: how long a request that finds a
/// server busy waits for it) a run must measure for the bottleneck law to bind. The law is a
/// long-run one: from an empty start, a highly variable service's short draws complete at
/// once while its long ones have not yet filled the servers (a run of 50 s on services of a
/// mean of 2.8 hours and SCV 100 saw nine in ten finish), so a shorter run can complete more
/// than the law's long-run most; the check then says nothing.
const LAW_SETTLE_RESIDUALS: f64 = 10.0;

/// The mean service time in seconds and its SCV of a component's servers, where it has one
/// a bound can rest on.
fn mean_service(kind: &ComponentKind) -> Option<(f64, f64)> {
    match kind {
        ComponentKind::Server(p) => Some((p.service_time_ms / 1000.0, p.service_scv)),
        ComponentKind::Database(p) => Some((
            p.read_service_time_ms.max(p.write_service_time_ms) / 1000.0,
            p.service_scv,
        )),
        ComponentKind::LoadBalancer(p) => Some((p.latency_ms / 1000.0, 1.0)),
        ComponentKind::Cache(p) => Some((p.latency_ms / 1000.0, 1.0)),
        ComponentKind::Cdn(p) => Some((p.edge_latency_ms / 1000.0, 1.0)),
        ComponentKind::Client(_) | ComponentKind::MessageQueue(_) => None,
    }
}

/// The most requests a second the clients can complete by the operational laws (see
/// [`law_checks`]): the sum over each client's classes of its base rate over the highest
/// utilization it alone puts on a component every one of its requests passes. `None` when a
/// class is bounded by nothing it must pass, or when the run (`measured_s`) is too short
/// for the law to bind at that component (see [`LAW_SETTLE_RESIDUALS`]).
fn throughput_bound(
    design: &Design,
    sources: &[crate::sim::laws::SourceLaw],
    measured_s: f64,
) -> Option<f64> {
    use crate::model::{ComponentId, HitRatio, TrafficClass};
    use std::collections::{BTreeSet, HashMap};
    if design.component_count() > BOTTLENECK_CHECK_LIMIT || sources.is_empty() {
        return None;
    }
    // Per (component, class): the components every request of the class arriving there passes,
    // itself included, worked out from the last component back.
    let order = crate::sim::plan::processing_order(design);
    let position: HashMap<ComponentId, usize> =
        order.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut must: HashMap<(ComponentId, usize), BTreeSet<ComponentId>> = HashMap::new();
    for &id in order.iter().rev() {
        let Some(component) = design.component(id) else {
            continue;
        };
        for class in TrafficClass::ALL {
            let k = class.index();
            let mut set = BTreeSet::from([id]);
            // Where a request of the class ends: answered here, or passed on.
            let ends_here = match &component.kind {
                ComponentKind::Database(_) | ComponentKind::MessageQueue(_) => true,
                ComponentKind::Cache(p) => {
                    class == TrafficClass::Session
                        || (matches!(class, TrafficClass::Read | TrafficClass::Static)
                            && !matches!(p.hit_ratio, HitRatio::Fixed(h) if h <= 0.0))
                }
                ComponentKind::Cdn(p) => class == TrafficClass::Static && p.edge_hit_ratio > 0.0,
                _ => false,
            };
            if !ends_here {
                // Links down which this class goes on (only those that deliver in the tick).
                let next: Vec<(ComponentId, f64)> = design
                    .outgoing(id)
                    .filter(|(_, to, link)| {
                        link.carries(class) && position.get(to).is_some_and(|p| *p > position[&id])
                    })
                    .map(|(_, to, link)| (to, link.calls_per_request))
                    .collect();
                let sets =
                    |to: ComponentId, k: usize| must.get(&(to, k)).cloned().unwrap_or_default();
                if component.kind.name() == KindName::Server {
                    // A server calls every link; a link it calls at least once per request
                    // is passed by every request, and so are its session lookups.
                    let session = TrafficClass::Session.index();
                    for (to, calls) in &next {
                        if *calls >= 1.0 {
                            set.extend(sets(*to, k));
                        }
                    }
                    for (_, to, link) in design.outgoing(id) {
                        if link.carries(TrafficClass::Session) && link.calls_per_request >= 1.0 {
                            set.extend(sets(to, session));
                        }
                    }
                } else if let Some(((first, _), rest)) = next.split_first() {
                    // Any one of the links: only what all of them pass is certain.
                    let mut common = sets(*first, k);
                    for (to, _) in rest {
                        let other = sets(*to, k);
                        common.retain(|c| other.contains(c));
                    }
                    set.extend(common);
                }
            }
            must.insert((id, k), set);
        }
    }
    let mut bound = 0.0;
    for source in sources {
        let passed = must.get(&(source.client, source.class.index()))?;
        let (busiest_id, busiest) = source
            .utilization
            .iter()
            .filter(|(id, _)| passed.contains(id))
            .filter(|(id, _)| {
                design.component(*id).is_some_and(|c| {
                    !matches!(c.kind.name(), KindName::Client | KindName::MessageQueue)
                })
            })
            .fold(
                (None, 0.0),
                |best, &(id, u)| {
                    if u > best.1 { (Some(id), u) } else { best }
                },
            );
        if busiest <= 0.0 {
            // Nothing bounds this class's requests but what it offers.
            return None;
        }
        let settled = busiest_id
            .and_then(|id| design.component(id))
            .and_then(|c| mean_service(&c.kind))
            .is_none_or(|(mean_s, scv)| {
                measured_s >= LAW_SETTLE_RESIDUALS * mean_s * (1.0 + scv) / 2.0
            });
        if !settled {
            return None;
        }
        bound += source.rate_per_s / busiest;
    }
    Some(bound)
}

impl SimulateReport {
    /// The report in plain words, for people.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut t = String::new();
        let s = &self.system;
        let _ = writeln!(
            t,
            "{} — scenario \"{}\": {} ticks of {} s, seed {}, load ×{}",
            self.design,
            self.scenario,
            self.ticks,
            self.tick_s,
            self.seed,
            number(self.load_multiplier)
        );
        let w = &self.warmup;
        let how = match w.method {
            "mser-5" => format!(
                "cut by MSER-5 on the requests in flight; the default was {} s",
                number(w.default_s)
            ),
            "scenario" => "as the scenario names it".to_string(),
            _ => match w.mser5_s {
                Some(mser) if mser <= 0.0 => "the default; MSER-5 would cut nothing".to_string(),
                Some(mser) => format!("the default; MSER-5 would cut {} s", number(mser)),
                None => {
                    "the default; the load varies or something fails, so no steady state is sought"
                        .to_string()
                }
            },
        };
        let _ = writeln!(
            t,
            "Means are over the run after a {} s warm-up ({how}).",
            number(self.warmup_s)
        );
        if w.settled == Some(false) {
            let _ = writeln!(
                t,
                "The run never settled: what is in flight still moves at its end (past the knee, or a run too short), so its means depend on the run's length."
            );
        }
        let _ = writeln!(t);
        let _ = writeln!(t, "THE SYSTEM");
        let _ = writeln!(
            t,
            "  offered        {} requests/s",
            number(s.run.offered_per_s)
        );
        let _ = writeln!(
            t,
            "  succeeded      {} requests/s ({:.2} % of the requests that ended)",
            number(s.run.throughput_per_s),
            s.run.success_ratio * 100.0
        );
        if s.run.failed_per_s > 0.0 || s.run.requests.in_flight_end > 0 {
            let _ = writeln!(
                t,
                "  failed         {} requests/s · in flight at the end: {} requests (of {} offered in the run: {} succeeded, {} failed)",
                number(s.run.failed_per_s),
                count(s.run.requests.in_flight_end),
                count(s.run.requests.offered),
                count(s.run.requests.succeeded),
                count(s.run.requests.failed)
            );
        }
        if s.run.rejected > 0 {
            let _ = writeln!(
                t,
                "  rejected       {} requests turned away by rate limiters after the warm-up (among the failed; not for want of capacity)",
                count(s.run.rejected)
            );
        }
        if s.run.breaker_open_s > 0.0 || s.run.breaker_rejected > 0 {
            let _ = writeln!(
                t,
                "  breakers       open {} s in all after the warm-up (summed over the links), failing {} calls at once without sending them",
                number(s.run.breaker_open_s),
                count(s.run.breaker_rejected)
            );
        }
        for c in &self.components {
            if let Some(a) = &c.run.autoscaling {
                let _ = writeln!(
                    t,
                    "  autoscaling    {}: {} to {} {} in service (mean {} after the warm-up), {} launched and {} stopped in the run; {} {}-hours after the warm-up",
                    c.run.name,
                    a.timeline.iter().map(|x| x.in_service).min().unwrap_or(0),
                    a.peak_in_service,
                    a.group,
                    number(a.mean_in_service),
                    count(a.launched),
                    count(a.stopped),
                    number(a.hours),
                    if a.group == "consumers" {
                        "consumer"
                    } else {
                        "instance"
                    }
                );
            }
        }
        if s.run.retries > 0 || s.run.timed_out > 0 {
            let _ = writeln!(
                t,
                "  retries        {} retries sent and {} attempts given up on (past their timeout) after the warm-up: each retry is load again on every hop it repeats, each attempt given up on is work done for no one",
                count(s.run.retries),
                count(s.run.timed_out)
            );
        }
        let _ = writeln!(
            t,
            "  latency        end to end: mean {} ms · p50 {} ms · p95 {} ms · p99 {} ms",
            number(s.run.latency_ms.mean),
            number(s.run.latency_ms.p50),
            number(s.run.latency_ms.p95),
            number(s.run.latency_ms.p99)
        );
        let _ = writeln!(
            t,
            "  availability   {:.4} % ({} minutes down a year; independent failures, instant failover)",
            s.availability * 100.0,
            number(s.downtime_min_per_year)
        );
        let _ = writeln!(
            t,
            "  cost           {} {} a month · {}\n",
            number(s.cost_per_month),
            s.currency,
            s.cost_per_million_requests
                .map_or("nothing served".to_string(), |c| format!(
                    "{} {} per million requests served",
                    number(c),
                    s.currency
                )),
        );

        let _ = writeln!(
            t,
            "WHAT BREAKS FIRST (operational laws: capacity ÷ visits per request)"
        );
        if self.bottleneck_ladder.is_empty() {
            let _ = writeln!(t, "  nothing carries load");
        }
        for (i, step) in self.bottleneck_ladder.iter().enumerate() {
            let kind = self
                .components
                .iter()
                .find(|c| c.run.name == step.name)
                .map_or("", |c| c.run.kind);
            let when = if i == 0 { "breaks first" } else { "then" };
            let state = if step.saturates_at_load < self.load_multiplier {
                " — already past it at this load"
            } else {
                ""
            };
            let _ = writeln!(
                t,
                "  {:>2}. {when} at ×{}: {} ({}){state}",
                i + 1,
                number(step.saturates_at_load),
                step.name,
                kind.replace('_', " ")
            );
            if i >= 7 && self.bottleneck_ladder.len() > 8 {
                let _ = writeln!(t, "      … and {} more", self.bottleneck_ladder.len() - 8);
                break;
            }
        }
        let _ = writeln!(t);

        let spofs: Vec<&ComponentSection> = self.components.iter().filter(|c| c.run.spof).collect();
        let _ = writeln!(t, "SINGLE POINTS OF FAILURE");
        if spofs.is_empty() {
            let _ = writeln!(
                t,
                "  none: losing any one instance keeps the success ratio on target"
            );
        }
        let impact_of: std::collections::HashMap<&str, &FailureImpact> = self
            .failure_impact
            .iter()
            .map(|f| (f.name.as_str(), f))
            .collect();
        for c in &spofs {
            let impact = impact_of.get(c.run.name.as_str());
            let detail = match impact {
                Some(f) => format!(
                    "losing {} leaves {:.2} % of requests succeeding",
                    if f.instances_lost == 1 && c.run.instances == 1 {
                        "it".to_string()
                    } else {
                        format!("{} of {} instances", f.instances_lost, c.run.instances)
                    },
                    f.success_ratio_when_failed * 100.0
                ),
                None => "it has no spare, and clients cannot get around it".to_string(),
            };
            let _ = writeln!(
                t,
                "  {} ({}): {detail}",
                c.run.name,
                c.run.kind.replace('_', " ")
            );
        }
        for f in self.failure_impact.iter().filter(|f| f.logs_users_out) {
            let _ = writeln!(
                t,
                "  {}: a lost instance logs its users out (a partial failure: sessions live in its memory)",
                f.name
            );
        }
        for c in self.components.iter().filter(|c| c.data_at_risk) {
            let _ = writeln!(
                t,
                "  {}: data at risk — no replica, standby or backups; losing it loses data, not just time",
                c.run.name
            );
        }
        let _ = writeln!(t);

        if !self.failure_impact.is_empty() {
            let _ = writeln!(
                t,
                "LOSING ONE INSTANCE (N−1, worst first; success ratio once failover has settled)"
            );
            for f in self.failure_impact.iter().take(10) {
                let _ = writeln!(
                    t,
                    "  {:<24} {:>8.2} %   (with the failover itself: {:.2} %; without the failure: {:.2} %)",
                    f.name,
                    f.success_ratio_when_failed * 100.0,
                    f.success_ratio_including_failover * 100.0,
                    f.success_ratio_baseline * 100.0
                );
            }
            let _ = writeln!(t);
        }

        let _ = writeln!(t, "COMPONENTS (means after the warm-up)");
        let _ = writeln!(
            t,
            "  {:<22} {:<14} {:>5} {:>6} {:>10} {:>10} {:>9} {:>9} {:>10}  flags",
            "name", "kind", "inst", "util", "in/s", "ok/s", "dropped", "mean ms", "p99 ms"
        );
        for c in &self.components {
            let r = &c.run;
            let mut flags = Vec::new();
            if r.bottleneck {
                flags.push("BOTTLENECK");
            }
            if r.spof {
                flags.push("SPOF");
            }
            if c.data_at_risk {
                flags.push("DATA AT RISK");
            }
            if r.errors > 0 {
                flags.push("errors");
            }
            let _ = writeln!(
                t,
                "  {:<22} {:<14} {:>5} {:>6} {:>10} {:>10} {:>9} {:>9} {:>10}  {}",
                truncate(&r.name, 22),
                r.kind.replace('_', " "),
                r.instances,
                format!("{:.0}%", r.utilization * 100.0),
                number(r.offered_per_s),
                number(
                    r.served_per_s
                        - r.errors as f64
                            / (self.ticks as f64 * self.tick_s - self.warmup_s).max(1.0)
                ),
                r.dropped,
                number(r.latency_ms.mean),
                number(r.latency_ms.p99),
                flags.join(" ")
            );
        }
        if !self.law_checks.is_empty() {
            let _ = writeln!(
                t,
                "\nLAW CHECK: these figures break an operational law; do not trust them"
            );
            for check in &self.law_checks {
                let _ = writeln!(t, "  {}", check.message);
            }
        }
        if !self.model_check.is_empty() {
            let _ = writeln!(
                t,
                "\nMODEL CHECK: the simulation and the operational laws disagree on"
            );
            for m in &self.model_check {
                let _ = writeln!(
                    t,
                    "  {}: simulated utilization {:.3}, the laws predict {:.3}",
                    m.name, m.simulated_utilization, m.predicted_utilization
                );
            }
        }
        if let Some(r) = &self.replications {
            let _ = writeln!(
                t,
                "\nREPLICATIONS ({} runs on derived seeds: mean ± 95 % interval)",
                r.count
            );
            let show = |v: &serde_json::Value| match (v["mean"].as_f64(), v["half_width"].as_f64())
            {
                (Some(m), Some(h)) => format!("{} ± {}", number(m), number(h)),
                _ => "—".into(),
            };
            let percent =
                |v: &serde_json::Value| match (v["mean"].as_f64(), v["half_width"].as_f64()) {
                    (Some(m), Some(h)) => format!("{:.2} ± {:.2} %", m * 100.0, h * 100.0),
                    _ => "—".into(),
                };
            let sys = &r.system;
            let _ = writeln!(
                t,
                "  throughput     {} requests/s",
                show(&sys["throughput_per_s"])
            );
            let _ = writeln!(t, "  success ratio  {}", percent(&sys["success_ratio"]));
            let _ = writeln!(
                t,
                "  latency        mean {} ms · p99 {} ms",
                show(&sys["latency_ms"]["mean"]),
                show(&sys["latency_ms"]["p99"])
            );
            for c in r.components.as_array().into_iter().flatten() {
                if c["kind"] == "client" {
                    continue;
                }
                let _ = writeln!(
                    t,
                    "  {:<22} utilization {} · mean {} ms · p99 {} ms",
                    c["name"].as_str().unwrap_or(""),
                    percent(&c["utilization"]),
                    show(&c["latency_ms"]["mean"]),
                    show(&c["latency_ms"]["p99"])
                );
            }
        }
        let _ = writeln!(t);
        for note in &self.notes {
            let _ = writeln!(t, "Note: {note}");
        }
        t
    }
}

/// A whole count with thousands separators: "0", "1,202".
pub fn count(n: u64) -> String {
    let text = number(n as f64);
    // From a quadrillion up the number is in powers of ten: its mantissa's point stays.
    if text.contains('e') {
        return text;
    }
    text.split('.')
        .next()
        .map_or_else(|| n.to_string(), str::to_string)
}

/// A number for people: thousands separated, sensible digits; in powers of ten from a
/// quadrillion up (1e308 would be 309 digits).
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return "∞".into();
    }
    if x.abs() >= 1e15 {
        return format!("{x:.3e}");
    }
    let digits = if x.abs() >= 100.0 {
        0
    } else if x.abs() >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{x:.digits$}");
    // A value that rounds to zero reads 0, not "-0.00" (an empty design's cost was −0.00).
    let text = if text.trim_start_matches(['-', '0', '.']).is_empty() {
        text.trim_start_matches('-').to_string()
    } else {
        text
    };
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (text.clone(), None),
    };
    let negative = int.starts_with('-');
    let digits_only = int.trim_start_matches('-');
    let mut grouped = String::new();
    for (i, ch) in digits_only.chars().enumerate() {
        if i > 0 && (digits_only.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let mut out = if negative {
        format!("-{grouped}")
    } else {
        grouped
    };
    if let Some(f) = frac {
        out.push('.');
        out.push_str(&f);
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).chain(std::iter::once('…')).collect()
    }
}

#[cfg(test)]
mod number_tests {
    use super::number;

    #[test]
    fn a_value_that_rounds_to_zero_reads_zero_without_a_sign() {
        // Issue 15, item 12: an empty design cost "-0.00 USD".
        assert_eq!(number(-0.0), "0.00");
        assert_eq!(number(-0.001), "0.00");
        assert_eq!(number(-1.5), "-1.50");
        assert_eq!(number(-1234.0), "-1,234");
        assert_eq!(number(0.0), "0.00");
    }
}
