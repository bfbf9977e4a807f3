//! Compare: scale up or scale out, on the same seeded traffic. One-click variants of a design
//! (its bottleneck on the next larger size, or more instances behind a balancer), and a load
//! sweep that runs two designs across loads on a log scale — the hockey sticks — with what it
//! costs each of them to carry every load.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use super::cost::monthly_cost;
use super::ladder::bottleneck_ladder;
use super::predict::{Prediction, Predictor};
use super::replications::{Interval, MAX_REPLICATIONS, replication_seed};
use super::report::{AnalysisOptions, SimulateReport, analyze, number};
use crate::model::validate::MAX_RATE_PER_S;
use crate::model::{
    BalancingAlgorithm, CacheParams, Component, ComponentId, ComponentKind, Design, HitRatio,
    KindName, Link, LoadBalancerParams, Partitioning, PriceTable, Scenario, SessionState,
    TrafficClass,
};
use crate::sim::laws::operational_laws;
use crate::sim::{RunOptions, SimError, Simulation, max_runnable_load};

/// Which way to scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Vertical: the bottleneck on the next larger instance size.
    Up,
    /// Horizontal: the bottleneck gets more instances behind a balancer.
    Out,
}

/// A copy of `design` with its bottleneck scaled one way, and a sentence saying what changed.
/// Fails with the reason when there is nothing to scale that way (the vertical ceiling).
pub fn scale_variant(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    variant: Variant,
) -> Result<(Design, String), String> {
    let laws = operational_laws(design, scenario, prices).map_err(|e| e.to_string())?;
    let ladder = bottleneck_ladder(&laws);
    let first = ladder.first().ok_or("nothing in the design carries load")?;
    let mut out = design.clone();
    match variant {
        Variant::Up => {
            // The first step that has an instance size to grow.
            let step = ladder
                .iter()
                .find(|s| matches!(s.kind, KindName::Server | KindName::Database))
                .ok_or("no server or database to give a bigger machine")?;
            let component = design.component(step.id).ok_or("the bottleneck is gone")?;
            let size = component.kind.size().unwrap_or_default().to_string();
            let Some(next) = prices.next_larger(&size) else {
                return Err(format!(
                    "'{}' already runs on the largest size ({size}): that is the vertical ceiling. Scale out instead.",
                    step.name
                ));
            };
            let next = next.name.clone();
            if let Some(c) = out.component_mut(step.id) {
                match &mut c.kind {
                    ComponentKind::Server(p) => p.size.clone_from(&next),
                    ComponentKind::Database(p) => p.size.clone_from(&next),
                    _ => {}
                }
            }
            out.name = format!("{} (scaled up)", design.name);
            let note = if step.id == first.id {
                format!("'{}' moved from {size} to {next}.", step.name)
            } else {
                format!(
                    "'{}' moved from {size} to {next} ('{}' saturates first but has no instance size).",
                    step.name, first.name
                )
            };
            Ok((out, note))
        }
        Variant::Out => {
            // Enough instances to lift this step at least to the next one (or to double it).
            let target = ladder
                .get(1)
                .map_or(2.0 * first.saturates_at_load, |s| s.saturates_at_load);
            let factor = (target / first.saturates_at_load).max(1.0);
            let note = scale_out(&mut out, first.id, factor)?;
            out.name = format!("{} (scaled out)", design.name);
            Ok((out, note))
        }
    }
}

/// Scale one component out by at least `factor`.
pub(crate) fn scale_out(
    design: &mut Design,
    id: ComponentId,
    factor: f64,
) -> Result<String, String> {
    let component = design
        .component(id)
        .cloned()
        .ok_or("the bottleneck is gone")?;
    let name = &component.name;
    // Grow a count by the factor (at least by one, at most to the kind's limit) and say so.
    let grow = |count: &mut u32, what: &str| {
        let before = *count;
        let limit = if what.contains("consumers") {
            crate::model::validate::MAX_CONSUMERS
        } else {
            crate::model::validate::MAX_INSTANCES
        };
        let wanted = (f64::from(before) * factor).ceil();
        let grown = if wanted.is_finite() {
            wanted.min(f64::from(limit)) as u32
        } else {
            limit
        };
        *count = grown.max(before.saturating_add(1)).min(limit.max(before));
        format!("'{name}' went from {before} to {} {what}", *count)
    };
    let mut notes = Vec::new();
    let mut kind = component.kind.clone();
    match &mut kind {
        ComponentKind::Server(p) => {
            // An autoscaled tier scales out by its most instances (what the ladder counts);
            // it starts where it did.
            match p.autoscale.as_mut() {
                Some(a) => notes.push(grow(
                    &mut a.max_instances,
                    "most instances (its autoscaling's bound)",
                )),
                None => notes.push(grow(&mut p.instances, "instances")),
            }
            if p.sessions == SessionState::InMemory {
                p.sessions = SessionState::Stateless;
                notes.push("its sessions moved to a shared session store, so any instance can serve any user".into());
            }
        }
        ComponentKind::LoadBalancer(p) => notes.push(grow(&mut p.instances, "instances")),
        ComponentKind::Cache(p) => notes.push(grow(&mut p.instances, "instances")),
        // Autoscaled consumers scale out by their most (what the ladder counts).
        ComponentKind::MessageQueue(p) => match p.autoscale.as_mut() {
            Some(a) => notes.push(grow(
                &mut a.max_instances,
                "most consumers (its autoscaling's bound)",
            )),
            None => notes.push(grow(&mut p.consumers, "consumers")),
        },
        ComponentKind::Cdn(p) => {
            let before = p.edge_capacity_per_s;
            p.edge_capacity_per_s = (before * factor.max(2.0)).min(MAX_RATE_PER_S);
            notes.push(format!(
                "'{}' got {}× the edge capacity",
                component.name,
                number(p.edge_capacity_per_s / before.max(f64::MIN_POSITIVE))
            ));
        }
        ComponentKind::Database(p) => {
            // Reads scale with replicas; writes only with shards.
            if p.write_service_time_ms >= p.read_service_time_ms * 2.0 && p.shards < 64 {
                p.partitioning = Partitioning::Hash;
                notes.push(format!("{}, split by hash", grow(&mut p.shards, "shards")));
            } else {
                notes.push(grow(&mut p.instances, "copies (read replicas)"));
            }
        }
        ComponentKind::Client(_) => return Err("clients are not scaled".into()),
    }
    let was_stateful =
        matches!(&component.kind, ComponentKind::Server(p) if p.sessions == SessionState::InMemory);
    if let Some(c) = design.component_mut(id) {
        c.kind = kind;
    }
    // Many instances need a balancer in front (and none of the callers may bypass it).
    let is_group = matches!(component.kind.name(), KindName::Server);
    let behind_balancer = design.incoming(id).all(|(_, s, _)| {
        design
            .component(s)
            .is_some_and(|c| c.kind.name() == KindName::LoadBalancer)
    });
    if is_group && !behind_balancer {
        // Halfway between its callers and the group, where no link crosses another box.
        let callers: Vec<ComponentId> = design.incoming(id).map(|(_, s, _)| s).collect();
        let mut linked = callers.clone();
        linked.push(id);
        let (x, y) = component.position;
        let (cx, cy) = callers
            .iter()
            .filter_map(|&s| design.component(s))
            .fold((0.0, 0.0), |(sx, sy), c| {
                (sx + c.position.0, sy + c.position.1)
            });
        let n = callers.len().max(1) as f32;
        let wanted = if callers.is_empty() {
            (x - 220.0, y)
        } else {
            ((x + cx / n) / 2.0, (y + cy / n) / 2.0)
        };
        let position = design.clear_position(wanted, &linked);
        let lb = design.add(Component {
            name: design.unique_name(&format!("{} lb", component.name)),
            position,
            kind: ComponentKind::LoadBalancer(LoadBalancerParams {
                instances: 2,
                algorithm: BalancingAlgorithm::RoundRobin,
                ..LoadBalancerParams::default()
            }),
        });
        design.put_in_front(id, lb);
        notes.push("a pair of load balancers now spreads requests over them".into());
    }
    if was_stateful {
        add_session_store(design, id);
    }
    let mut note = notes.join("; ");
    note.push('.');
    if let Some(first) = note.get(..1) {
        note = first.to_uppercase() + &note[1..];
    }
    Ok(note)
}

/// A shared session store (a pair of cache instances that always answer) that the server
/// `id` looks its sessions up in. The caller makes the server stateless.
pub(crate) fn add_session_store(design: &mut Design, id: ComponentId) {
    let Some((x, y)) = design.component(id).map(|c| c.position) else {
        return;
    };
    let store = design.add(Component {
        name: design.unique_name("session-store"),
        position: design.clear_position((x + 220.0, y + 140.0), &[id]),
        kind: ComponentKind::Cache(CacheParams {
            instances: 2,
            hit_ratio: HitRatio::Fixed(1.0),
            ..CacheParams::default()
        }),
    });
    design.connect(id, store, Link::new(&[TrafficClass::Session]));
}

/// Which of the two designs compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The first design.
    A,
    /// The second design.
    B,
}

/// An error of one of the two designs compared, so that a message can name its file.
#[derive(Debug, thiserror::Error)]
#[error("design {side:?}: {error}")]
pub struct SideError {
    /// The design the error is about.
    pub side: Side,
    /// Why its run or analysis failed.
    #[source]
    pub error: SimError,
}

impl Side {
    /// The error `error`, of this side.
    pub fn error(self, error: SimError) -> SideError {
        SideError { side: self, error }
    }
}

/// One design at one load in a sweep. With replications, each simulated figure is the mean
/// over the runs and `intervals` holds its 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SweepSide {
    /// Of the requests that came to an end at this load, the share that succeeded, 0 to 1.
    pub success_ratio: f64,
    /// Requests per second completed end to end at this load.
    pub throughput_per_s: f64,
    /// End-to-end latency of the successful sampled requests, in milliseconds.
    pub latency_ms: SweepLatency,
    /// The design as it is, for a month at this load.
    pub cost_per_month: f64,
    /// The cheapest way to carry this load by scaling the same way the design scales
    /// (bigger sizes for one that has a single instance, more instances otherwise); `None`
    /// past the largest size — the vertical ceiling.
    pub cost_to_carry_per_month: Option<f64>,
    /// What the operational laws and queueing formulas predict at this load, with no
    /// simulation (see [`crate::analysis::predict`]): the dashed curve beside the simulated
    /// one.
    pub predicted: Prediction,
    /// With replications: each simulated figure's mean and 95 % interval over the runs;
    /// `None` for a single run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervals: Option<SweepIntervals>,
}

/// End-to-end latency at a sweep point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SweepLatency {
    /// Median end-to-end latency, in milliseconds.
    pub p50: f64,
    /// 99th percentile of end-to-end latency, in milliseconds.
    pub p99: f64,
    /// Mean end-to-end latency, in milliseconds.
    pub mean: f64,
}

/// A sweep point's simulated figures over its replications, each as its mean ± the
/// half-width of its 95 % confidence interval (Student t over the runs).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SweepIntervals {
    /// Runs made at this point, each on its own derived seed.
    pub runs: usize,
    /// Of the requests that came to an end, the share that succeeded.
    pub success_ratio: Interval,
    /// Requests per second completed end to end.
    pub throughput_per_s: Interval,
    /// Median end-to-end latency, in milliseconds.
    pub latency_p50_ms: Interval,
    /// 99th percentile of end-to-end latency, in milliseconds.
    pub latency_p99_ms: Interval,
    /// Mean end-to-end latency, in milliseconds.
    pub latency_mean_ms: Interval,
}

/// Both designs at one load.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SweepPoint {
    /// The load multiplier of this point, on top of the scenario's own.
    pub load: f64,
    /// The first design at this load.
    pub a: SweepSide,
    /// The second design at this load.
    pub b: SweepSide,
}

/// `points` loads on a log scale from `from` to `to` (all `from` when `to` is not above it).
pub fn sweep_loads(from: f64, to: f64, points: usize) -> Vec<f64> {
    let to = to.max(from);
    let n = points.max(2);
    let ratio = to / from;
    (0..n)
        .map(|i| from * ratio.powf(i as f64 / (n - 1) as f64))
        .collect()
}

/// How far a sweep goes, and why it stops short if it does.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepCeiling {
    /// Where the sweep starts: ×1, or a quarter of the first knee when a design breaks
    /// below ×1 already (so the curves show their flat part before the hockey stick).
    pub from: f64,
    /// Where the sweep ends, as a multiplier on top of the scenario's load: three times where the
    /// later design saturates (at least ×2), or less when `note` says why.
    pub load: f64,
    /// Set when the most a run can count (`MAX_RATE_PER_S` a second at the peak) stops the
    /// sweep before three times the later saturation.
    pub note: Option<String>,
}

/// The load up to which a sweep should go: three times where the later of the two designs
/// saturates, so both are seen breaking; but no further than either design can be run
/// (`MAX_RATE_PER_S` a second at its peak), which the ceiling's note then says.
pub fn sweep_ceiling(
    a: &Design,
    b: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
) -> Result<SweepCeiling, SideError> {
    // A design with no knee (nothing carries load) breaks nowhere: it neither lowers the
    // sweep's start nor sets its end.
    let first = |d: &Design, side: Side| -> Result<(Option<f64>, f64), SideError> {
        let laws = operational_laws(d, scenario, prices).map_err(|e| side.error(e))?;
        let saturates = bottleneck_ladder(&laws)
            .first()
            .map(|s| s.saturates_at_load)
            .filter(|s| s.is_finite() && *s > 0.0);
        let limit = max_runnable_load(d, scenario, prices).map_err(|e| side.error(e))?;
        Ok((saturates, limit))
    };
    let ((saturates_a, limit_a), (saturates_b, limit_b)) = (first(a, Side::A)?, first(b, Side::B)?);
    // The ladder's loads are multiples of the base load at profile 1; the sweep's multiply
    // the scenario's load and its profile over the ticks a sweep runs (the first
    // SWEEP_TICKS: a lunch rush that peaks later is not reached): a design breaks where
    // that peak reaches its knee.
    let swept_ticks = scenario.ticks().min(SWEEP_TICKS);
    let swept_peak = (0..swept_ticks)
        .map(|t| scenario.profile.multiplier_at(t as f64 * scenario.tick_s))
        .fold(0.0, f64::max);
    // (A profile that is nil over those ticks falls back to its overall peak.)
    let swept_peak = if swept_peak > 0.0 {
        swept_peak
    } else {
        scenario.profile.peak_multiplier()
    };
    let scenario_load = (scenario.load_multiplier * swept_peak).max(f64::MIN_POSITIVE);
    let knees: Vec<f64> = [saturates_a, saturates_b]
        .into_iter()
        .flatten()
        .map(|s| s / scenario_load)
        .filter(|k| k.is_finite())
        .collect();
    let wanted = (knees.iter().copied().fold(1.0, f64::max) * 3.0).max(2.0);
    // Never below a billionth of the base load: a run needs a load it can divide by.
    let lowest = (1e-9 / scenario.load_multiplier.max(f64::MIN_POSITIVE)).min(1.0);
    let from = (knees.iter().copied().fold(4.0, f64::min) / 4.0)
        .min(1.0)
        .max(lowest);
    let (limit, which) = if limit_a <= limit_b {
        (limit_a, &a.name)
    } else {
        (limit_b, &b.name)
    };
    if wanted <= limit {
        return Ok(SweepCeiling {
            from,
            load: wanted,
            note: None,
        });
    }
    // A limit of nothing (a loop without end) still sweeps ×1, and check says why.
    let top = if limit > 0.0 { limit } else { 1.0 };
    Ok(SweepCeiling {
        from: from.min(top),
        load: top,
        note: Some(format!(
            "the sweep stops at ×{} (not ×{}): past it '{which}' would take more than {MAX_RATE_PER_S:e} requests a second at its peak, the most a run can count",
            number(limit.max(1.0)),
            number(wanted)
        )),
    })
}

/// Ticks each sweep run simulates (at most).
pub const SWEEP_TICKS: u64 = 600;

/// How each point of a sweep is run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepOptions {
    /// Ticks each run simulates, at most [`SWEEP_TICKS`] (default: the scenario's duration,
    /// so capped).
    pub ticks: Option<u64>,
    /// Runs of each design at each load, on seeds derived from the scenario's as
    /// `simulate --replications` derives them (the same seeds for both designs: common
    /// random numbers); 0 or 1 makes one run on the scenario's own seed. At most
    /// [`MAX_REPLICATIONS`].
    pub replications: usize,
}

impl SweepOptions {
    /// Runs of each design at each load: at least one.
    pub fn runs(&self) -> usize {
        self.replications.clamp(1, MAX_REPLICATIONS)
    }

    /// Ticks each run simulates under `scenario`.
    pub fn run_ticks(&self, scenario: &Scenario) -> u64 {
        self.ticks.unwrap_or(scenario.ticks()).min(SWEEP_TICKS)
    }
}

/// What one run at a sweep point measured.
#[derive(Clone, Copy, Debug, PartialEq)]
struct RunFigures {
    success_ratio: f64,
    throughput_per_s: f64,
    latency_ms: SweepLatency,
}

/// Run one design at one load: a short steady run of the scenario (`ticks` ticks), on `seed`
/// (default: the scenario's).
fn sweep_run(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    (load, ticks): (f64, u64),
    seed: Option<u64>,
) -> Result<RunFigures, SimError> {
    let options = RunOptions {
        seed,
        ticks: Some(ticks),
        load_multiplier: Some(load),
        samples_per_tick: Some(8),
        ..RunOptions::default()
    };
    let mut sim = Simulation::with_options(design, scenario, prices, options)?;
    sim.run_to_end()?;
    let system = sim.summary().system;
    Ok(RunFigures {
        success_ratio: system.success_ratio,
        throughput_per_s: system.throughput_per_s,
        latency_ms: SweepLatency {
            p50: system.latency_ms.p50,
            p99: system.latency_ms.p99,
            mean: system.latency_ms.mean,
        },
    })
}

/// The figures of a point's runs (one, or the mean of several with their intervals).
fn combine(runs: &[RunFigures]) -> (RunFigures, Option<SweepIntervals>) {
    match runs {
        [one] => (*one, None),
        _ => {
            let of =
                |f: fn(&RunFigures) -> f64| Interval::of(&runs.iter().map(f).collect::<Vec<_>>());
            let intervals = SweepIntervals {
                runs: runs.len(),
                success_ratio: of(|r| r.success_ratio),
                throughput_per_s: of(|r| r.throughput_per_s),
                latency_p50_ms: of(|r| r.latency_ms.p50),
                latency_p99_ms: of(|r| r.latency_ms.p99),
                latency_mean_ms: of(|r| r.latency_ms.mean),
            };
            let means = RunFigures {
                success_ratio: intervals.success_ratio.mean,
                throughput_per_s: intervals.throughput_per_s.mean,
                latency_ms: SweepLatency {
                    p50: intervals.latency_p50_ms.mean,
                    p99: intervals.latency_p99_ms.mean,
                    mean: intervals.latency_mean_ms.mean,
                },
            };
            (means, Some(intervals))
        }
    }
}

/// The cheapest monthly cost of a version of `design` that carries `load` (every component
/// below 90 % busy by the operational laws), growing the bottleneck again and again the way
/// the design grows: single-instance servers and databases get bigger sizes (until the
/// largest, past which there is no answer); everything else gets more instances.
pub fn cost_to_carry(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    load: f64,
) -> Option<f64> {
    let mut d = design.clone();
    for _ in 0..64 {
        let laws = operational_laws(&d, scenario, prices).ok()?;
        let ladder = bottleneck_ladder(&laws);
        let Some(first) = ladder.first() else {
            return Some(
                monthly_cost(&d, &laws, prices, load * scenario.load_multiplier).per_month,
            );
        };
        let effective = load * scenario.load_multiplier;
        if first.saturates_at_load * 0.9 >= effective {
            return Some(monthly_cost(&d, &laws, prices, effective).per_month);
        }
        let component = d.component(first.id)?.clone();
        let single_sized = component.kind.instances() == 1 && component.kind.size().is_some();
        if single_sized {
            let next = prices.next_larger(component.kind.size()?)?.name.clone();
            if let Some(c) = d.component_mut(first.id) {
                match &mut c.kind {
                    ComponentKind::Server(p) => p.size = next,
                    ComponentKind::Database(p) => p.size = next,
                    _ => {}
                }
            }
        } else {
            let factor = (effective / (first.saturates_at_load * 0.9)).max(1.05);
            scale_out(&mut d, first.id, factor).ok()?;
        }
    }
    None
}

/// One job of a sweep: a load's index, side B or not, and the replication (from 0).
type Job = (usize, bool, usize);

/// What a sweep job finished: its job, the run's figures, and (for a point's first
/// replication) the cost to carry that load.
type Finished = Vec<(Job, RunFigures, Option<Option<f64>>)>;

/// A design's side of the sweep, worked out once: its laws (for costs) and its predictor.
struct SideModel<'d> {
    design: &'d Design,
    laws: crate::sim::laws::Laws,
    predictor: Predictor,
}

/// Run both designs at every load, on both cores. `progress` counts finished runs (two per
/// load). The same seed drives both (common random numbers).
pub fn sweep(
    a: &Design,
    b: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    loads: &[f64],
    ticks: Option<u64>,
    progress: &AtomicUsize,
) -> Result<Vec<SweepPoint>, SideError> {
    let options = SweepOptions {
        ticks,
        replications: 1,
    };
    sweep_with(a, b, scenario, prices, loads, &options, progress)
}

/// Run both designs at every load, `options.runs()` times each on derived seeds, spread over
/// the cores (each run a job of its own); beside each point, what the formulas predict.
/// `progress` counts finished runs (two per load and replication). Both designs run on the
/// same seeds (common random numbers).
pub fn sweep_with<'d>(
    a: &'d Design,
    b: &'d Design,
    scenario: &Scenario,
    prices: &PriceTable,
    loads: &[f64],
    options: &SweepOptions,
    progress: &AtomicUsize,
) -> Result<Vec<SweepPoint>, SideError> {
    let runs = options.runs();
    let ticks = options.run_ticks(scenario);
    let model = |d: &'d Design, side: Side| -> Result<SideModel<'d>, SideError> {
        Ok(SideModel {
            design: d,
            laws: operational_laws(d, scenario, prices).map_err(|e| side.error(e))?,
            predictor: Predictor::new(d, scenario, prices, Some(ticks))
                .map_err(|e| side.error(e))?,
        })
    };
    let models = [model(a, Side::A)?, model(b, Side::B)?];
    // One run on the scenario's seed, or replications on seeds derived from it.
    let seed = |k: usize| (runs > 1).then(|| replication_seed(scenario.seed, k + 1));
    let jobs: Vec<Job> = (0..loads.len())
        .flat_map(|i| (0..runs).flat_map(move |k| [(i, false, k), (i, true, k)]))
        .collect();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4);
    let results: Vec<Result<Finished, SideError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let j = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(i, is_b, k)) = jobs.get(j) else {
                            break;
                        };
                        let design = if is_b { b } else { a };
                        let which = if is_b { Side::B } else { Side::A };
                        // The cost to carry a load is worked out once per point.
                        let carry =
                            (k == 0).then(|| cost_to_carry(design, scenario, prices, loads[i]));
                        let figures =
                            sweep_run(design, scenario, prices, (loads[i], ticks), seed(k))
                                .map_err(|e| which.error(e))?;
                        done.push(((i, is_b, k), figures, carry));
                        progress.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(done)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or(Err(Side::A.error(SimError::Internal(
                    "a sweep worker stopped unexpectedly".into(),
                ))))
            })
            .collect()
    });
    // Per load and side: each replication's figures, in order, and the cost to carry.
    type Slot = (Vec<Option<RunFigures>>, Option<f64>);
    let mut slots: Vec<[Slot; 2]> = (0..loads.len())
        .map(|_| [(vec![None; runs], None), (vec![None; runs], None)])
        .collect();
    for r in results {
        for ((i, is_b, k), figures, carry) in r? {
            let slot = &mut slots[i][usize::from(is_b)];
            slot.0[k] = Some(figures);
            if let Some(carry) = carry {
                slot.1 = carry;
            }
        }
    }
    let side = |load: f64, slot: &Slot, model: &SideModel| -> Option<SweepSide> {
        let figures: Vec<RunFigures> = slot.0.iter().copied().collect::<Option<_>>()?;
        let (figures, intervals) = combine(&figures);
        Some(SweepSide {
            success_ratio: figures.success_ratio,
            throughput_per_s: figures.throughput_per_s,
            latency_ms: figures.latency_ms,
            cost_per_month: monthly_cost(
                model.design,
                &model.laws,
                prices,
                load * scenario.load_multiplier,
            )
            .per_month,
            cost_to_carry_per_month: slot.1,
            predicted: model.predictor.at(load),
            intervals,
        })
    };
    Ok(loads
        .iter()
        .zip(&slots)
        .filter_map(|(&load, [slot_a, slot_b])| {
            Some(SweepPoint {
                load,
                a: side(load, slot_a, &models[0])?,
                b: side(load, slot_b, &models[1])?,
            })
        })
        .collect())
}

/// How a figure in the table of differences reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// A multiple of the base load, shown as ×2.5.
    LoadMultiplier,
    /// A time in milliseconds.
    Milliseconds,
    /// A ratio shown as a percentage with this many decimals.
    Percent(usize),
    /// Downtime in minutes a year.
    MinutesPerYear,
    /// A count, shown without decimals.
    Count,
    /// An amount in the price table's currency, shown as a bare number.
    Money,
    /// A rate in requests per second.
    RequestsPerSecond,
}

impl Figure {
    /// The value `v` as the table shows it, with its unit.
    pub fn show(self, v: f64) -> String {
        match self {
            Figure::LoadMultiplier => format!("×{}", number(v)),
            Figure::Milliseconds => format!("{} ms", number(v)),
            Figure::Percent(decimals) => format!("{:.*} %", decimals, v * 100.0),
            Figure::MinutesPerYear => format!("{} min", number(v)),
            Figure::Count => format!("{v:.0}"),
            Figure::Money => number(v),
            Figure::RequestsPerSecond => format!("{}/s", number(v)),
        }
    }
}

/// Which side a row of the table of differences favours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// The first design's value is better.
    A,
    /// The second design's value is better.
    B,
    /// Equal, or not known for both.
    Neither,
}

/// One row of the table of differences between two designs.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// What the row measures, as the table shows it (such as "p99 latency").
    pub label: &'static str,
    /// The first design's value; `None` while its report is missing or where the figure has no
    /// value.
    pub a: Option<f64>,
    /// The second design's value; `None` while its report is missing or where the figure has no
    /// value.
    pub b: Option<f64>,
    /// Whether the larger value is the better one (throughput) rather than the smaller (latency,
    /// cost).
    pub higher_is_better: bool,
    /// How the values read: their unit and format.
    pub figure: Figure,
    /// Set when the comparison means nothing because of another row (see
    /// [`mark_success_first`]): no side is marked better.
    pub moot: bool,
}

/// Success ratios further apart than this make latency incomparable: the design that fails
/// more requests looks faster only because it answers fewer of the slow ones.
pub const FAR_APART_SUCCESS: f64 = 0.01;

/// Success first: where one design's success ratio is far below the other's, its latency
/// is not "better" whatever it reads — the requests it drops are the ones that would have
/// waited. The latency rows are then marked for neither side.
pub fn mark_success_first(rows: &mut [Difference]) {
    let apart = rows
        .iter()
        .find(|r| r.label.starts_with("success ratio"))
        .and_then(|r| Some((r.a? - r.b?).abs()))
        .is_some_and(|d| d > FAR_APART_SUCCESS);
    for row in rows.iter_mut() {
        row.moot = apart && row.label.contains("latency");
    }
}

impl Difference {
    /// The side with the better value (equal within rounding, or equal as shown: neither;
    /// nor when the row is moot).
    pub fn better(&self) -> Better {
        if self.moot {
            return Better::Neither;
        }
        match (self.a, self.b) {
            (Some(a), Some(b))
                if (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
                    || self.figure.show(a) == self.figure.show(b) =>
            {
                Better::Neither
            }
            (Some(a), Some(b)) if (a > b) == self.higher_is_better => Better::A,
            (Some(_), Some(_)) => Better::B,
            _ => Better::Neither,
        }
    }

    /// A value as the row shows it (`…` while unknown).
    pub fn show(&self, v: Option<f64>) -> String {
        v.map_or_else(|| "…".to_string(), |v| self.figure.show(v))
    }
}

/// The table of differences between two reports (either may still be missing): max
/// sustainable load, p99 latency, throughput, success ratio, requests in flight at the end,
/// availability, downtime, SPOF count, cost a month and per million requests.
pub fn differences(a: Option<&SimulateReport>, b: Option<&SimulateReport>) -> Vec<Difference> {
    let row =
        |label, f: &dyn Fn(&SimulateReport) -> Option<f64>, higher_is_better, figure| Difference {
            label,
            a: a.and_then(f),
            b: b.and_then(f),
            higher_is_better,
            figure,
            moot: false,
        };
    let mut rows = vec![
        row(
            "max sustainable load (laws)",
            &|r| r.system.max_load_multiplier,
            true,
            Figure::LoadMultiplier,
        ),
        row(
            "p99 latency",
            &|r| Some(r.system.run.latency_ms.p99),
            false,
            Figure::Milliseconds,
        ),
        row(
            "throughput",
            &|r| Some(r.system.run.throughput_per_s),
            true,
            Figure::RequestsPerSecond,
        ),
        row(
            "success ratio",
            &|r| Some(r.system.run.success_ratio),
            true,
            Figure::Percent(3),
        ),
        row(
            "in flight at the end",
            &|r| Some(r.system.run.in_flight_end),
            false,
            Figure::Count,
        ),
        row(
            "availability",
            &|r| Some(r.system.availability),
            true,
            Figure::Percent(4),
        ),
        row(
            "downtime a year",
            &|r| Some(r.system.downtime_min_per_year),
            false,
            Figure::MinutesPerYear,
        ),
        row(
            "single points of failure",
            &|r| Some(r.components.iter().filter(|c| c.run.spof).count() as f64),
            false,
            Figure::Count,
        ),
        row(
            "cost a month",
            &|r| Some(r.system.cost_per_month),
            false,
            Figure::Money,
        ),
        row(
            "cost per million requests",
            &|r| r.system.cost_per_million_requests,
            false,
            Figure::Money,
        ),
    ];
    mark_success_first(&mut rows);
    rows
}

/// `archsandbox compare`'s report: both designs' simulate reports and the sweep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompareReport {
    /// The first design's report.
    pub a: SimulateReport,
    /// The second design's report.
    pub b: SimulateReport,
    /// Both designs at each load of the sweep, lowest load first.
    pub sweep: Vec<SweepPoint>,
    /// Why the sweep stops short of three times the later saturation, if it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep_note: Option<String>,
}

/// Compare two designs under one scenario and seed, with one run per design and load in the
/// sweep.
pub fn compare(
    a: &Design,
    b: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    options: &AnalysisOptions,
    sweep_points: usize,
) -> Result<CompareReport, SideError> {
    compare_with(a, b, scenario, prices, options, sweep_points, 1)
}

/// [`compare`], running each design at each load of the sweep `replications` times on derived
/// seeds (0 or 1: once), so that every swept figure has its 95 % interval.
pub fn compare_with(
    a: &Design,
    b: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    options: &AnalysisOptions,
    sweep_points: usize,
    replications: usize,
) -> Result<CompareReport, SideError> {
    let ra = analyze(a, scenario, prices, options).map_err(|e| Side::A.error(e))?;
    let rb = analyze(b, scenario, prices, options).map_err(|e| Side::B.error(e))?;
    let ceiling = sweep_ceiling(a, b, scenario, prices)?;
    let loads = sweep_loads(ceiling.from, ceiling.load, sweep_points);
    let mut seeded = scenario.clone();
    seeded.seed = ra.seed;
    let sweep_options = SweepOptions {
        ticks: options.run.ticks,
        replications,
    };
    let points = sweep_with(
        a,
        b,
        &seeded,
        prices,
        &loads,
        &sweep_options,
        &AtomicUsize::new(0),
    )?;
    Ok(CompareReport {
        a: ra,
        b: rb,
        sweep: points,
        sweep_note: ceiling.note,
    })
}

/// The scenario two designs are compared under: the named one from the first design (or its
/// default); the second must know no other.
pub fn shared_scenario(a: &Design, name: Option<&str>) -> Result<Scenario, String> {
    match name {
        Some(n) => a
            .scenario(n)
            .cloned()
            .ok_or_else(|| format!("the first design has no scenario named '{n}'")),
        None => a
            .default_scenario()
            .cloned()
            .ok_or_else(|| "the first design has no scenario".into()),
    }
}
