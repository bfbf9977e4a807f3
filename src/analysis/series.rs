//! A run's figures over time, for the shareable report's plots and CSV files: the system's
//! every tick and each component's, from the flow engine on the same design, scenario, seed
//! and options as the report's run, so that a series' mean after the warm-up is the report's
//! figure.
//!
//! A long run is cut into at most [`MAX_ROWS`] spans of equal length (fewer for a design of
//! many components, [`MAX_COMPONENT_ROWS`] in all): each row is then the mean of its span's
//! ticks (rates, utilizations, backlogs, instances), its success ratio that of the requests
//! that ended in the span, and its latency the last tick's (a percentile of recent requests,
//! which does not average). Each row says how long its span is.

use crate::model::{Design, PriceTable, Scenario};
use crate::sim::stats::Percentiles;
use crate::sim::{RunOptions, SimError, Simulation, SystemTick};

/// The most rows a series keeps (a span of ticks per row beyond it).
pub const MAX_ROWS: usize = 20_000;

/// The most component rows (rows × components) a series keeps: a design of thousands of
/// components gets longer spans instead of a CSV of tens of millions of lines.
pub const MAX_COMPONENT_ROWS: usize = 2_000_000;

/// The whole system in one row.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SystemRow {
    /// Simulated time at the start of the row's span, in seconds.
    pub time_s: f64,
    /// Length of the row's span, in seconds (one tick, or several averaged).
    pub duration_s: f64,
    /// Profile × load multiplier.
    pub load: f64,
    /// Requests per second the clients sent.
    pub offered_per_s: f64,
    /// Requests per second completed end to end.
    pub throughput_per_s: f64,
    /// Requests per second that failed (dropped or answered with an error).
    pub failed_per_s: f64,
    /// Of the requests that ended in the span, the share that succeeded (1 when none did).
    pub success_ratio: f64,
    /// Requests in flight at the end of a tick (mean over the span).
    pub in_flight: f64,
    /// Retries sent down links per second.
    pub retries_per_s: f64,
    /// Circuit breakers open or half-open (mean over the span).
    pub open_breakers: f64,
    /// Autoscaled tiers' instances in service, all together (mean over the span).
    pub autoscaled_in_service: f64,
    /// Autoscaled tiers' instances booting, all together (mean over the span).
    pub autoscaled_booting: f64,
    /// End-to-end latency of the recent successful sampled requests, in milliseconds (the
    /// span's last tick).
    pub latency_ms: Percentiles,
}

/// One component in one row.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ComponentRow {
    /// Busy share of the capacity in service, 0 to 1.
    pub utilization: f64,
    /// Work arriving per second over the capacity in service (above 1: overloaded).
    pub offered_utilization: f64,
    /// Requests arriving per second.
    pub arrived_per_s: f64,
    /// Requests served per second.
    pub served_per_s: f64,
    /// Requests dropped per second (overflow, timeouts, dead instances, no route).
    pub dropped_per_s: f64,
    /// Requests waiting at the end of a tick.
    pub backlog: f64,
    /// Requests per second the component can serve now.
    pub capacity_per_s: f64,
    /// Instances up.
    pub healthy_instances: f64,
    /// An autoscaled component's instances (or consumers) in service; `None` otherwise.
    pub in_service: Option<f64>,
}

/// One component's series.
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentSeries {
    /// The component's name.
    pub name: String,
    /// Its kind's key (`server`, `database`, …).
    pub kind: &'static str,
    /// One row per row of [`TimeSeries::system`].
    pub rows: Vec<ComponentRow>,
}

/// A run's figures over time.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeSeries {
    /// Length of one tick, in seconds.
    pub tick_s: f64,
    /// Ticks averaged into each row (1: a row per tick).
    pub ticks_per_row: u64,
    /// The system, row by row.
    pub system: Vec<SystemRow>,
    /// Each component in the design's order, row by row.
    pub components: Vec<ComponentSeries>,
}

/// Sums of a span's ticks, turned into a row's means.
#[derive(Default)]
struct Span {
    ticks: u64,
    system: SystemRow,
    components: Vec<ComponentRow>,
}

impl Span {
    fn add(
        &mut self,
        t: &SystemTick,
        nodes: &[(crate::sim::state::NodeTick, Option<u32>)],
        tick_s: f64,
    ) {
        let s = &mut self.system;
        if self.ticks == 0 {
            s.time_s = t.time_s;
        }
        s.load += t.load;
        s.offered_per_s += t.offered_per_s;
        s.throughput_per_s += t.throughput_per_s;
        s.failed_per_s += t.failed_per_s;
        s.in_flight += t.in_flight;
        s.retries_per_s += t.retries_per_s;
        s.open_breakers += f64::from(t.open_breakers);
        s.autoscaled_in_service += f64::from(t.autoscaled_in_service);
        s.autoscaled_booting += f64::from(t.autoscaled_booting);
        s.latency_ms = t.latency_ms;
        self.components.resize(nodes.len(), ComponentRow::default());
        for (row, (n, in_service)) in self.components.iter_mut().zip(nodes) {
            row.utilization += n.utilization;
            row.offered_utilization += n.offered_utilization;
            row.arrived_per_s += n.arrived_total() as f64 / tick_s;
            row.served_per_s += n.served_total() as f64 / tick_s;
            row.dropped_per_s += n.dropped.iter().sum::<u64>() as f64 / tick_s;
            row.backlog += n.backlog as f64;
            row.capacity_per_s += n.capacity_per_s;
            row.healthy_instances += f64::from(n.healthy_instances);
            if let Some(k) = in_service {
                *row.in_service.get_or_insert(0.0) += f64::from(*k);
            }
        }
        self.ticks += 1;
    }

    /// The span's means, and a fresh span.
    fn take(&mut self, tick_s: f64) -> (SystemRow, Vec<ComponentRow>) {
        let n = self.ticks.max(1) as f64;
        let s = self.system;
        let system = SystemRow {
            time_s: s.time_s,
            duration_s: self.ticks as f64 * tick_s,
            load: s.load / n,
            offered_per_s: s.offered_per_s / n,
            throughput_per_s: s.throughput_per_s / n,
            failed_per_s: s.failed_per_s / n,
            // Weighted by what ended: a tick where nothing ended does not count as a success.
            success_ratio: if s.throughput_per_s + s.failed_per_s > 0.0 {
                s.throughput_per_s / (s.throughput_per_s + s.failed_per_s)
            } else {
                1.0
            },
            in_flight: s.in_flight / n,
            retries_per_s: s.retries_per_s / n,
            open_breakers: s.open_breakers / n,
            autoscaled_in_service: s.autoscaled_in_service / n,
            autoscaled_booting: s.autoscaled_booting / n,
            latency_ms: s.latency_ms,
        };
        let components = self
            .components
            .iter()
            .map(|c| ComponentRow {
                utilization: c.utilization / n,
                offered_utilization: c.offered_utilization / n,
                arrived_per_s: c.arrived_per_s / n,
                served_per_s: c.served_per_s / n,
                dropped_per_s: c.dropped_per_s / n,
                backlog: c.backlog / n,
                capacity_per_s: c.capacity_per_s / n,
                healthy_instances: c.healthy_instances / n,
                in_service: c.in_service.map(|k| k / n),
            })
            .collect();
        *self = Span::default();
        (system, components)
    }
}

/// Run `scenario` on `design` with the flow engine and `run`'s options, and keep its
/// figures over time.
pub fn time_series(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    run: &RunOptions,
) -> Result<TimeSeries, SimError> {
    let options = RunOptions {
        live_latency: true,
        ..run.clone()
    };
    let mut sim = Simulation::with_options(design, scenario, prices, options)?;
    let tick_s = sim.tick_s();
    let ids: Vec<_> = design
        .components()
        .map(|(id, c)| (id, c.name.clone(), c.kind.name().key()))
        .collect();
    let rows = MAX_ROWS.min(MAX_COMPONENT_ROWS / ids.len().max(1)).max(1) as u64;
    let ticks_per_row = sim.ticks().div_ceil(rows).max(1);
    let mut series = TimeSeries {
        tick_s,
        ticks_per_row,
        system: Vec::new(),
        components: ids
            .iter()
            .map(|(_, name, kind)| ComponentSeries {
                name: name.clone(),
                kind,
                rows: Vec::new(),
            })
            .collect(),
    };
    let mut span = Span::default();
    let mut nodes = Vec::with_capacity(ids.len());
    while !sim.is_finished() {
        let tick = *sim.step()?;
        nodes.clear();
        for (id, _, _) in &ids {
            let node = sim.node_tick(*id).unwrap_or_default();
            nodes.push((node, sim.scaling_now(*id).map(|(in_service, _)| in_service)));
        }
        span.add(&tick, &nodes, tick_s);
        if span.ticks == ticks_per_row || sim.is_finished() {
            let (system, components) = span.take(tick_s);
            series.system.push(system);
            for (c, row) in series.components.iter_mut().zip(components) {
                c.rows.push(row);
            }
        }
    }
    Ok(series)
}
