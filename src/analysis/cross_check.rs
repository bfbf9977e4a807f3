//! The engines' cross-check: the flow engine and the events engine on the same design,
//! scenario and seeds, each replicated, and every figure both make side by side — so that a
//! user sees where the flow engine's formulas and the request-by-request referee part, and
//! whether that is more than the runs' noise.
//!
//! A row **differs** when the two 95 % intervals do not overlap (the means are further apart
//! than the sum of their half-widths) and the means are further apart than a tiny floor (so
//! that 0 against 1e-12 is not a difference). For equal widths that is 2.77 standard errors
//! of the difference: a figure that truly agrees is marked about 1 time in 180, and a table
//! of a dozen such figures is clean about 19 times in 20.
//!
//! A row that differs **by design** is one the events engine's module doc lists as modelled
//! otherwise on purpose, read here from the compiled plan of the design (never from a
//! particular example): a station of a capacity and a latency whose product is not a whole
//! number (its latency at no load), a database whose replicas apply writes slower than the
//! primary takes them (semi-synchronous writes), a component whose timeout fires (either
//! engine's runs dropped requests there: the events engine checks a timeout when a server
//! comes free, the flow engine on arrival), a component past its knee (the flow engine's
//! fluid backlog against a real queue: the latency then depends on the run's length), and
//! sticky sessions (users are not modelled one by one by the events engine).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::AtomicUsize;

use serde::Serialize;

use crate::model::{ComponentId, Design, KindName, PriceTable, Scenario, TrafficClass};
use crate::sim::laws::laws_of_plan;
use crate::sim::plan::{KindPlan, Plan, Spread};
use crate::sim::{RunOptions, SimError};

use super::replications::{Interval, Replications, replicate_counted};
use super::report::{Engine, number};

/// Replications of each engine when none is asked for.
pub const DEFAULT_REPLICATIONS: usize = 5;

/// The fewest replications a cross-check runs: an interval needs two runs.
pub const MIN_REPLICATIONS: usize = 2;

/// Differences at most this, in the figure's unit, are never marked (0 against 1e-12).
pub const ABSOLUTE_FLOOR: f64 = 1e-9;

/// Differences at most this share of the larger value are never marked (rounding of large
/// figures).
pub const RELATIVE_FLOOR: f64 = 1e-9;

/// A figure the cross-check compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// Requests completed a second (the system), or served a second (a component).
    ThroughputPerS,
    /// Of the requests that ended, the share that succeeded (the system).
    SuccessRatio,
    /// Busy server time over available server time, 0 to 1 (a component).
    Utilization,
    /// Mean latency in milliseconds: end to end, or a component's own.
    MeanLatencyMs,
    /// 99th percentile of the latency in milliseconds.
    P99LatencyMs,
}

impl Figure {
    /// The relative difference within which the engines are held to agree (the tolerances of
    /// the agreement test over the shipped designs): 2 % for throughput, success and
    /// utilization, 5 % for a mean latency, 10 % for a p99.
    pub fn tolerance(self) -> f64 {
        match self {
            Figure::ThroughputPerS | Figure::SuccessRatio | Figure::Utilization => 0.02,
            Figure::MeanLatencyMs => 0.05,
            Figure::P99LatencyMs => 0.10,
        }
    }

    /// The system's figures, in the order the table shows them.
    pub const SYSTEM: [Figure; 4] = [
        Figure::ThroughputPerS,
        Figure::SuccessRatio,
        Figure::MeanLatencyMs,
        Figure::P99LatencyMs,
    ];

    /// A component's figures, in the order the table shows them.
    pub const COMPONENT: [Figure; 4] = [
        Figure::ThroughputPerS,
        Figure::Utilization,
        Figure::MeanLatencyMs,
        Figure::P99LatencyMs,
    ];

    /// The figure in words, as a table row names it.
    pub fn label(self) -> &'static str {
        match self {
            Figure::ThroughputPerS => "throughput",
            Figure::SuccessRatio => "success ratio",
            Figure::Utilization => "utilization",
            Figure::MeanLatencyMs => "mean latency",
            Figure::P99LatencyMs => "p99 latency",
        }
    }

    /// Its unit: "/s", "ms", or "" for a ratio from 0 to 1.
    pub fn unit(self) -> &'static str {
        match self {
            Figure::ThroughputPerS => "/s",
            Figure::SuccessRatio | Figure::Utilization => "",
            Figure::MeanLatencyMs | Figure::P99LatencyMs => "ms",
        }
    }

    /// Where the figure sits in a run summary's system or component (JSON keys).
    fn path(self, system: bool) -> &'static [&'static str] {
        match self {
            Figure::ThroughputPerS if system => &["throughput_per_s"],
            Figure::ThroughputPerS => &["served_per_s"],
            Figure::SuccessRatio => &["success_ratio"],
            Figure::Utilization => &["utilization"],
            Figure::MeanLatencyMs => &["latency_ms", "mean"],
            Figure::P99LatencyMs => &["latency_ms", "p99"],
        }
    }
}

/// What the cross-check makes of a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    /// Within the runs' noise (or the tiny floor) of each other.
    Agree,
    /// Further apart than the runs' noise, and no reason in the design says why: one engine
    /// is off (usually the flow engine's formula, the events engine being the referee).
    Differs,
    /// Further apart than the runs' noise, where the engines model the design differently on
    /// purpose; the reason in plain words.
    DiffersByDesign(String),
    /// Further apart than the runs' noise, but by less than the engines' agreement tolerance
    /// for the figure ([`Figure::tolerance`]): real, and too small to matter (the flow
    /// engine's formula-based means have almost no noise, so a 0.1 % approximation shows).
    Slight,
}

/// One figure of the system or of a component, from both engines.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The component, or `None` (JSON null) for the system.
    pub component: Option<String>,
    /// The component's kind as its snake_case key, or `None` for the system.
    pub kind: Option<&'static str>,
    /// Which figure.
    pub figure: Figure,
    /// Its unit: "/s", "ms", or "" for a ratio.
    pub unit: &'static str,
    /// The flow engine's mean ± half-width over its replications.
    pub flow: Interval,
    /// The events engine's mean ± half-width over its replications.
    pub events: Interval,
    /// Events minus flow, in the figure's unit.
    pub difference: f64,
    /// The difference over the flow engine's mean; `None` when that is 0.
    pub relative_difference: Option<f64>,
    /// The runs' noise: the sum of the two half-widths (the intervals overlap within it).
    pub noise: f64,
    /// Agree, differs, or differs by design (with its reason), flattened into the row in
    /// JSON as `verdict` and `reason`.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// Both engines on one design and scenario, figure by figure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CrossCheck {
    /// The design's name.
    pub design: String,
    /// The scenario run.
    pub scenario: String,
    /// Replications of each engine.
    pub replications: usize,
    /// The seeds of the replications, the same for both engines.
    pub seeds: Vec<u64>,
    /// The load multiplier run: the scenario's times the run options'.
    pub load_multiplier: f64,
    /// Seconds each run simulates.
    pub duration_s: f64,
    /// The system's figures first, then each component's (clients left out: the system's
    /// figures are theirs), in the design's order.
    pub rows: Vec<Row>,
}

impl CrossCheck {
    /// Rows that differ by more than the runs' noise with no reason in the design.
    pub fn differing(&self) -> impl Iterator<Item = &Row> + '_ {
        self.rows.iter().filter(|r| r.verdict == Verdict::Differs)
    }

    /// The reasons of the rows that differ by design, each once, in the rows' order.
    pub fn reasons(&self) -> Vec<&str> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for row in &self.rows {
            if let Verdict::DiffersByDesign(reason) = &row.verdict {
                for sentence in reason.split('\n') {
                    if seen.insert(sentence) {
                        out.push(sentence);
                    }
                }
            }
        }
        out
    }
}

impl Figure {
    /// A value of the figure as the table shows it: ratios to four places, others as the
    /// report's numbers.
    pub fn show(self, value: f64) -> String {
        match self {
            Figure::SuccessRatio | Figure::Utilization => format!("{value:.4}"),
            _ => number(value),
        }
    }
}

impl Row {
    /// One engine's interval as the table shows it: mean ± half-width, with the unit.
    pub fn show(&self, interval: Interval) -> String {
        let unit = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", self.unit)
        };
        format!(
            "{} ± {}{unit}",
            self.figure.show(interval.mean),
            self.figure.show(interval.half_width)
        )
    }

    /// The difference as the table shows it: relative as a signed percentage, or absolute
    /// when the flow engine's figure is 0.
    pub fn show_difference(&self) -> String {
        match self.relative_difference {
            Some(r) => format!("{:+.1} %", r * 100.0),
            None if self.difference == 0.0 => "0".into(),
            None => format!("{}{}", self.figure.show(self.difference), self.unit),
        }
    }

    /// Who the row is about: the component's name, or "system".
    pub fn who(&self) -> &str {
        self.component.as_deref().unwrap_or("system")
    }
}

impl CrossCheck {
    /// The cross-check as a table for people: one line a figure, `!` where the engines differ
    /// by more than the runs' noise, `~` where they differ by design (the reasons below).
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut t = String::new();
        let _ = writeln!(
            t,
            "Cross-check of \"{}\" under \"{}\": the flow and events engines, {} runs each on the same seeds, {} s a run at load ×{}.",
            self.design,
            self.scenario,
            self.replications,
            number(self.duration_s),
            number(self.load_multiplier)
        );
        let _ = writeln!(
            t,
            "Each figure is a mean ± the half-width of its 95 % interval over the runs.\n"
        );
        let name_width = self
            .rows
            .iter()
            .map(|r| r.who().chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        let _ = writeln!(
            t,
            "{:<name_width$}  {:<13} {:>24} {:>24} {:>9}",
            "", "", "flow", "events", "Δ"
        );
        let mut last = None;
        for row in &self.rows {
            let who = row.who();
            let shown = if last == Some(who) { "" } else { who };
            last = Some(who);
            let mark = match row.verdict {
                Verdict::Agree => "",
                Verdict::Differs => "  !",
                Verdict::DiffersByDesign(_) => "  ~",
                Verdict::Slight => "  ·",
            };
            let _ = writeln!(
                t,
                "{shown:<name_width$}  {:<13} {:>24} {:>24} {:>9}{mark}",
                row.figure.label(),
                row.show(row.flow),
                row.show(row.events),
                row.show_difference()
            );
        }
        let (agree, differ, by_design) = self.counts();
        let slight = self
            .rows
            .iter()
            .filter(|r| r.verdict == Verdict::Slight)
            .count();
        let _ = writeln!(
            t,
            "\n{agree} figures agree, {differ} differ by more than the runs' noise (!), {by_design} differ by design (~), {slight} differ slightly (·: beyond the noise, within the engines' agreement tolerance of 2 % for throughput, success and utilization, 5 % for means, 10 % for p99)."
        );
        if differ > 0 {
            let _ = writeln!(
                t,
                "! the intervals do not overlap: usually the flow engine's formula is off there, the events engine being the referee (their 95 % intervals do not overlap: a figure that truly agrees is marked by chance about 1 time in 180)."
            );
        }
        let reasons = self.reasons();
        if !reasons.is_empty() {
            let _ = writeln!(t, "~ where the engines model the design differently:");
            for reason in reasons {
                let _ = writeln!(t, "  - {reason}");
            }
        }
        t
    }

    /// Rows that agree, rows that differ, rows that differ by design.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |f: fn(&Verdict) -> bool| self.rows.iter().filter(|r| f(&r.verdict)).count();
        (
            count(|v| *v == Verdict::Agree),
            count(|v| *v == Verdict::Differs),
            count(|v| matches!(v, Verdict::DiffersByDesign(_))),
        )
    }
}

/// The verdict on two intervals of one figure, given the design's reason to expect them
/// apart, if it has one (a row within the noise agrees, whatever the design says).
pub fn judge(flow: Interval, events: Interval, reason: Option<&str>) -> Verdict {
    let difference = (events.mean - flow.mean).abs();
    // Marked only where the two 95 % intervals do not overlap: for equal widths that is
    // 2.77 standard errors of the difference, a chance mark 1 time in 180 a figure, so that a
    // table of a dozen figures that truly agree is clean about 19 times in 20 (the combined
    // half-width, √(hw₁² + hw₂²), marked one figure in twenty and a clean table one time in
    // two or three).
    let noise = flow.half_width + events.half_width;
    let floor = ABSOLUTE_FLOOR + RELATIVE_FLOOR * flow.mean.abs().max(events.mean.abs());
    // Written so that a NaN anywhere agrees rather than marks a row it cannot judge.
    if !(difference > noise && difference > floor) {
        return Verdict::Agree;
    }
    match reason {
        Some(reason) => Verdict::DiffersByDesign(reason.to_string()),
        None => Verdict::Differs,
    }
}

/// A verdict that differs becomes [`Verdict::Slight`] where the means are within the
/// figure's tolerance of each other (relative to the larger).
pub fn material(figure: Figure, verdict: Verdict, flow: Interval, events: Interval) -> Verdict {
    if verdict == Verdict::Agree {
        return verdict;
    }
    let scale = flow.mean.abs().max(events.mean.abs());
    if (events.mean - flow.mean).abs() <= figure.tolerance() * scale {
        Verdict::Slight
    } else {
        verdict
    }
}

/// Run both engines `replications` times each (at least [`MIN_REPLICATIONS`]) on `design`
/// under `scenario` with the run options `run` (their seed the base of the replications'),
/// and set every figure side by side. Fails as the events engine does on a design it does
/// not model yet ([`SimError::NotModelled`], whose message says what), or as either run does.
pub fn cross_check(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    run: &RunOptions,
    replications: usize,
) -> Result<CrossCheck, SimError> {
    cross_check_counted(
        design,
        scenario,
        prices,
        run,
        replications,
        &AtomicUsize::new(0),
    )
}

/// [`cross_check`], adding one to `done` as each of its 2 × `replications` runs ends.
pub fn cross_check_counted(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    run: &RunOptions,
    replications: usize,
    done: &AtomicUsize,
) -> Result<CrossCheck, SimError> {
    if replications < MIN_REPLICATIONS {
        return Err(SimError::BadOptions(format!(
            "a cross-check needs at least {MIN_REPLICATIONS} replications of each engine, not {replications}"
        )));
    }
    // The events engine first: a design it does not model is refused before any run.
    let events = replicate_counted(
        design,
        scenario,
        prices,
        run,
        Engine::Events,
        replications,
        done,
    )?;
    let flow = replicate_counted(
        design,
        scenario,
        prices,
        run,
        Engine::Flow,
        replications,
        done,
    )?;
    let load_multiplier = scenario.load_multiplier * run.load_multiplier.unwrap_or(1.0);
    let duration_s = run
        .ticks
        .map_or(scenario.duration_s, |t| t as f64 * scenario.tick_s);
    let causes = causes(design, scenario, prices, load_multiplier, &flow, &events)?;
    let mut rows = Vec::new();
    for figure in Figure::SYSTEM {
        let reason = join(causes.iter().filter(|c| c.system.contains(&figure)));
        if let Some(row) = row(None, None, figure, &flow, &events, reason.as_deref()) {
            rows.push(row);
        }
    }
    for (id, component) in design.components() {
        let kind = component.kind.name();
        if kind == KindName::Client {
            continue;
        }
        for figure in Figure::COMPONENT {
            let reason = join(
                causes
                    .iter()
                    .filter(|c| c.touches.iter().any(|&(at, f)| at == id && f == figure)),
            );
            let name = Some(component.name.as_str());
            if let Some(row) = row(
                name,
                Some(kind.key()),
                figure,
                &flow,
                &events,
                reason.as_deref(),
            ) {
                rows.push(row);
            }
        }
    }
    Ok(CrossCheck {
        design: design.name.clone(),
        scenario: scenario.name.clone(),
        replications,
        seeds: events.seeds.clone(),
        load_multiplier,
        duration_s,
        rows,
    })
}

/// The row of one figure, if both engines' summaries have it.
fn row(
    component: Option<&str>,
    kind: Option<&'static str>,
    figure: Figure,
    flow: &Replications,
    events: &Replications,
    reason: Option<&str>,
) -> Option<Row> {
    let path = figure.path(component.is_none());
    let find = |r: &Replications| match component {
        Some(name) => r.component_figure(name, path),
        None => r.system_figure(path),
    };
    let (f, e) = (find(flow)?, find(events)?);
    let difference = e.mean - f.mean;
    Some(Row {
        component: component.map(str::to_string),
        kind,
        figure,
        unit: figure.unit(),
        flow: f,
        events: e,
        difference,
        relative_difference: (f.mean != 0.0).then(|| difference / f.mean.abs()),
        noise: f.half_width + e.half_width,
        verdict: material(figure, judge(f, e, reason), f, e),
    })
}

/// A reason the engines part on some figures, from the design.
struct Cause {
    /// The components' figures it moves.
    touches: Vec<(ComponentId, Figure)>,
    /// The system's figures it moves.
    system: Vec<Figure>,
    /// One short sentence, naming the component.
    text: String,
}

/// The causes' sentences, one a line; `None` if there are none.
fn join<'a>(causes: impl Iterator<Item = &'a Cause>) -> Option<String> {
    let texts: Vec<&str> = causes.map(|c| c.text.as_str()).collect();
    (!texts.is_empty()).then(|| texts.join("\n"))
}

/// Every reason the design gives the engines to part (see the module's doc).
fn causes(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    load_multiplier: f64,
    flow: &Replications,
    events: &Replications,
) -> Result<Vec<Cause>, SimError> {
    let plan = Plan::compile(design, scenario, prices, Some(1))?;
    let laws = laws_of_plan(&plan);
    let law_of: HashMap<ComponentId, &crate::sim::laws::NodeLaw> =
        laws.nodes.iter().map(|n| (n.id, n)).collect();
    let peak_load = load_multiplier * scenario.profile.peak_multiplier();
    let latency = [Figure::MeanLatencyMs, Figure::P99LatencyMs];
    let mut out = Vec::new();
    // Closed workloads: the flow engine's waits are its open formulas at the rate the users
    // send (mean value analysis only at light load and at saturation); the events engine's
    // users meet the queues they make, which is MVA.
    for &c in &plan.clients {
        let client = &plan.nodes[c as usize];
        let KindPlan::Client(p) = &client.kind else {
            continue;
        };
        if p.closed.is_none() {
            continue;
        }
        let every = [
            Figure::ThroughputPerS,
            Figure::Utilization,
            Figure::MeanLatencyMs,
            Figure::P99LatencyMs,
        ];
        out.push(Cause {
            touches: plan
                .nodes
                .iter()
                .flat_map(|n| every.iter().map(move |&f| (n.id, f)))
                .collect(),
            system: vec![
                Figure::ThroughputPerS,
                Figure::MeanLatencyMs,
                Figure::P99LatencyMs,
            ],
            text: format!(
                "'{}': its users wait for their answers (a closed workload); the flow engine \
                 waits at its open formulas at the rate they send, which overstates the waits \
                 near the knee, while the events engine's users meet the queues they make (mean \
                 value analysis).",
                client.name
            ),
        });
    }
    for node in &plan.nodes {
        let id = node.id;
        let name = &node.name;
        let own = |figures: &[Figure]| figures.iter().map(|&f| (id, f)).collect::<Vec<_>>();
        // A station of a capacity and a latency: the events engine holds a request for one
        // server's share of the capacity, the latency only when capacity × latency is whole.
        let station = match &node.kind {
            KindPlan::LoadBalancer(b) => Some(b.station),
            KindPlan::Cache(c) => Some(c.station),
            KindPlan::Cdn(c) => Some(c.station),
            KindPlan::MessageQueue(q) => Some(q.broker),
            _ => None,
        };
        if let Some(s) = station {
            let hold_s = 1.0 / s.rate_per_server_s;
            if (hold_s - s.service_mean_s).abs() > 1e-9 * s.service_mean_s.max(hold_s) {
                out.push(Cause {
                    touches: own(&latency),
                    system: latency.to_vec(),
                    text: format!(
                        "'{name}': capacity × latency ({}/s × {} ms) is not a whole number, so \
                         the events engine holds a request {} ms (one server's share of the \
                         capacity), not {} ms.",
                        short(s.capacity_per_s()),
                        short(s.service_mean_s * 1000.0),
                        short(hold_s * 1000.0),
                        short(s.service_mean_s * 1000.0)
                    ),
                });
            }
        }
        let law = law_of.get(&id);
        // Semi-synchronous writes: the flow engine paces writes to the replicas' applies.
        if let KindPlan::Database(db) = &node.kind {
            let writes = law.is_some_and(|l| {
                l.class_rates_per_s[TrafficClass::Write.index()]
                    + l.class_rates_per_s[TrafficClass::Async.index()]
                    > 0.0
            });
            if writes && db.copies > 1 && db.apply_s > db.write_s {
                out.push(Cause {
                    touches: own(&[
                        Figure::Utilization,
                        Figure::MeanLatencyMs,
                        Figure::P99LatencyMs,
                    ]),
                    system: latency.to_vec(),
                    text: format!(
                        "'{name}': its replicas apply a write ({} ms) slower than the primary \
                         takes it ({} ms); the flow engine holds writes to the replicas' pace \
                         (semi-synchronous), the events engine lets the applies queue behind.",
                        short(db.apply_s * 1000.0),
                        short(db.write_s * 1000.0)
                    ),
                });
            }
        }
        // Sticky sessions: the flow engine loads the hottest instance more.
        if node.spread == Spread::Sticky && node.instances > 1 {
            out.push(Cause {
                touches: own(&[
                    Figure::Utilization,
                    Figure::MeanLatencyMs,
                    Figure::P99LatencyMs,
                ]),
                system: latency.to_vec(),
                text: format!(
                    "'{name}': sticky sessions load its busiest instance more in the flow \
                     engine (users pinned unevenly); the events engine, with no users one by \
                     one, picks an instance at random."
                ),
            });
        }
        // Past the knee: offered more than the capacity at the scenario's peak.
        let offered = law.map_or(0.0, |l| l.utilization_at(peak_load));
        if offered > 1.0 {
            out.push(Cause {
                touches: own(&latency),
                system: latency.to_vec(),
                text: format!(
                    "'{name}' is past its knee (offered {}× its capacity at the scenario's \
                     peak): the flow engine's fluid backlog and the events engine's real \
                     queue grow differently, and the latency depends on the run's length.",
                    short(offered)
                ),
            });
        }
        // Timeouts that fire (either engine's runs dropped requests here): checked when a
        // server comes free in the events engine, on arrival (only what can be served in time
        // is queued) in the flow engine. What is dropped is not served downstream either.
        let timeout_s = match &node.kind {
            KindPlan::LoadBalancer(b) => b.station.timeout_s,
            KindPlan::Server(s) => s.station.timeout_s,
            KindPlan::Cache(c) => c.station.timeout_s,
            KindPlan::Cdn(c) => c.station.timeout_s,
            KindPlan::Database(d) => d.timeout_s,
            KindPlan::Client(_) | KindPlan::MessageQueue(_) => f64::INFINITY,
        };
        let dropped = |r: &Replications| {
            r.component_figure(name, &["dropped"])
                .is_some_and(|i| i.mean > 0.0)
        };
        if timeout_s.is_finite() && (dropped(flow) || dropped(events)) {
            let mut touches = own(&Figure::COMPONENT);
            for below in downstream(design, id) {
                touches.push((below, Figure::ThroughputPerS));
                touches.push((below, Figure::Utilization));
            }
            out.push(Cause {
                touches,
                system: Figure::SYSTEM.to_vec(),
                text: format!(
                    "'{name}' drops requests on its {} ms timeout: the events engine checks it \
                     when a server comes free, the flow engine on arrival (it queues only what \
                     it can serve in time).",
                    short(timeout_s * 1000.0)
                ),
            });
        }
    }
    Ok(out)
}

/// The components `id`'s requests go on to, at any depth (not `id` itself unless a loop
/// brings them back).
fn downstream(design: &Design, id: ComponentId) -> Vec<ComponentId> {
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<ComponentId> = design.outgoing(id).map(|(_, to, _)| to).collect();
    while let Some(next) = queue.pop_front() {
        if seen.insert(next) {
            queue.extend(design.outgoing(next).map(|(_, to, _)| to));
        }
    }
    seen.into_iter().collect()
}

/// A number in a sentence: up to three significant digits, no trailing zeros.
fn short(x: f64) -> String {
    if !x.is_finite() {
        return "∞".into();
    }
    let digits = if x.abs() >= 100.0 {
        0
    } else if x.abs() >= 10.0 {
        1
    } else if x.abs() >= 1.0 {
        2
    } else {
        3
    };
    let text = format!("{x:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if x.abs() >= 1000.0 {
        crate::analysis::report::count(x.round() as u64)
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(mean: f64, half_width: f64) -> Interval {
        Interval { mean, half_width }
    }

    #[test]
    fn equal_intervals_agree() {
        let i = interval(10.0, 0.5);
        assert_eq!(judge(i, i, None), Verdict::Agree);
        assert_eq!(judge(i, i, Some("why")), Verdict::Agree);
    }

    #[test]
    fn overlapping_intervals_agree_and_apart_ones_differ() {
        // 0.3 + 0.4 = 0.7: 0.69 apart overlaps and agrees, 0.71 apart differs.
        let flow = interval(10.0, 0.3);
        assert_eq!(judge(flow, interval(10.69, 0.4), None), Verdict::Agree);
        assert_eq!(judge(flow, interval(9.31, 0.4), None), Verdict::Agree);
        assert_eq!(judge(flow, interval(10.71, 0.4), None), Verdict::Differs);
        assert_eq!(judge(flow, interval(9.29, 0.4), None), Verdict::Differs);
    }

    #[test]
    fn far_apart_intervals_differ_and_a_reason_says_why() {
        let (flow, events) = (interval(10.0, 0.1), interval(20.0, 0.1));
        assert_eq!(judge(flow, events, None), Verdict::Differs);
        assert_eq!(
            judge(flow, events, Some("a reason")),
            Verdict::DiffersByDesign("a reason".into())
        );
    }

    #[test]
    fn a_difference_beyond_the_noise_but_within_the_tolerance_is_slight() {
        // 13.4 against 13.3 ms with no flow noise: real, 0.75 %, under the 5 % for means.
        let (flow, events) = (interval(13.4, 0.0), interval(13.3, 0.02));
        let verdict = judge(flow, events, None);
        assert_eq!(verdict, Verdict::Differs);
        assert_eq!(
            material(Figure::MeanLatencyMs, verdict, flow, events),
            Verdict::Slight
        );
        // 6 % apart is beyond it, and stays marked (by design too).
        let events = interval(12.6, 0.02);
        let by_design = judge(flow, events, Some("why"));
        assert_eq!(
            material(Figure::MeanLatencyMs, by_design.clone(), flow, events),
            by_design
        );
        // A p99 may part by 10 %, a throughput by 2 % only.
        let (a, b) = (interval(100.0, 0.1), interval(103.0, 0.1));
        assert_eq!(
            material(Figure::P99LatencyMs, judge(a, b, None), a, b),
            Verdict::Slight
        );
        assert_eq!(
            material(Figure::ThroughputPerS, judge(a, b, None), a, b),
            Verdict::Differs
        );
    }

    #[test]
    fn a_tiny_difference_with_no_noise_is_not_marked() {
        // Both exact (no noise): 0 against 1e-12 is rounding, 0 against 1e-3 is not.
        assert_eq!(
            judge(interval(0.0, 0.0), interval(1e-12, 0.0), None),
            Verdict::Agree
        );
        assert_eq!(
            judge(interval(1e6, 0.0), interval(1e6 + 1e-6, 0.0), None),
            Verdict::Agree
        );
        assert_eq!(
            judge(interval(0.0, 0.0), interval(1e-3, 0.0), None),
            Verdict::Differs
        );
    }

    #[test]
    fn figures_the_engines_cannot_judge_agree() {
        // A NaN or an infinite half-width (one run) marks nothing.
        assert_eq!(
            judge(interval(f64::NAN, 0.0), interval(1.0, 0.0), None),
            Verdict::Agree
        );
        assert_eq!(
            judge(interval(1.0, f64::INFINITY), interval(5.0, 0.0), None),
            Verdict::Agree
        );
    }

    #[test]
    fn a_verdict_reads_as_verdict_and_reason_in_json() {
        let json = |v: Verdict| serde_json::to_value(v).unwrap_or_default();
        assert_eq!(
            json(Verdict::Agree),
            serde_json::json!({"verdict": "agree"})
        );
        assert_eq!(
            json(Verdict::DiffersByDesign("why".into())),
            serde_json::json!({"verdict": "differs_by_design", "reason": "why"})
        );
    }

    #[test]
    fn numbers_in_sentences_are_short() {
        assert_eq!(short(0.5), "0.5");
        assert_eq!(short(1.0), "1");
        assert_eq!(short(12.34), "12.3");
        assert_eq!(short(20_000.0), "20,000");
        assert_eq!(short(0.0333333), "0.033");
    }
}
