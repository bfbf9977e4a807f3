//! The run summary: per component and for the whole system, over the ticks after the warm-up.

use serde::Serialize;

use super::Simulation;
use super::plan::KindPlan;
use super::stats::Percentiles;

/// A component counts as saturated from this utilization on (or when it sheds work).
pub const SATURATED_UTILIZATION: f64 = 0.9;

/// Counts over the whole run, warm-up included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct RunTotals {
    pub arrived: u64,
    pub served: u64,
    pub dropped: u64,
    pub backlog_end: u64,
}

/// One component over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComponentReport {
    pub name: String,
    pub kind: &'static str,
    pub instances: u32,
    /// Instances up at the end of the run.
    pub healthy_instances: u32,
    /// Mean busy share after the warm-up (the hottest shard for databases).
    pub utilization: f64,
    /// Highest utilization of any tick after the warm-up.
    pub max_utilization: f64,
    /// Mean expected utilization after the warm-up: what the offered load asks of the node,
    /// which exceeds 1 when it is overloaded.
    pub offered_utilization: f64,
    pub offered_per_s: f64,
    pub served_per_s: f64,
    pub capacity_per_s: f64,
    /// Requests dropped after the warm-up.
    pub dropped: u64,
    /// Of those, shed for want of capacity.
    pub overflow_dropped: u64,
    /// Requests served with an error (lost sessions) after the warm-up.
    pub errors: u64,
    /// Mean backlog after the warm-up, in requests.
    pub backlog: f64,
    /// The node's own latency (without what it waits for downstream).
    pub latency_ms: Percentiles,
    /// Hit ratio at the end of the run (caches and CDNs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hit_ratio: Option<f64>,
    /// Queues: how long a message waits for a consumer on average (backlog ÷ drain rate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_wait_ms: Option<f64>,
    /// Saturated in the run: utilization ≥ 0.9 or shedding work.
    pub bottleneck: bool,
    /// A single point of failure (set by the analysis).
    pub spof: bool,
    pub totals: RunTotals,
}

/// The whole system over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SystemReport {
    pub offered_per_s: f64,
    pub throughput_per_s: f64,
    pub success_ratio: f64,
    /// Requests dropped after the warm-up, at any component.
    pub dropped: u64,
    /// Requests failed with an error after the warm-up.
    pub errors: u64,
    /// End-to-end latency of successful sampled requests.
    pub latency_ms: Percentiles,
    /// Request paths sampled after the warm-up, and how many failed.
    pub sampled_requests: u64,
    pub failed_samples: u64,
}

/// What a run measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    pub ticks: u64,
    pub tick_s: f64,
    pub seed: u64,
    pub load_multiplier: f64,
    /// Ticks at the start left out of the means, and their length in seconds.
    pub warmup_ticks: u64,
    pub warmup_s: f64,
    pub system: SystemReport,
    /// In design order.
    pub components: Vec<ComponentReport>,
}

impl Simulation {
    /// The summary of the run so far.
    pub fn summary(&self) -> RunSummary {
        let dt = self.plan.tick_s;
        let measured_s = self.measured.ticks as f64 * dt;
        let per_s = |count: f64| {
            if measured_s > 0.0 {
                count / measured_s
            } else {
                0.0
            }
        };
        let mut order: Vec<usize> = (0..self.plan.nodes.len()).collect();
        order.sort_by_key(|&i| self.plan.nodes[i].id);
        let components = order
            .into_iter()
            .map(|i| {
                let node = &self.plan.nodes[i];
                let st = &self.states[i];
                let m = &self.measured_of(i);
                // Every node steps every tick: the system's count of measured ticks is each node's.
                let ticks = self.measured.ticks.max(1) as f64;
                let utilization = m.utilization_sum / ticks;
                let capacity = m.capacity_sum / ticks;
                let offered_utilization = m.offered_utilization_sum / ticks;
                let stats = &self.node_latency[i];
                let latency_ms = match (&stats.histogram, stats.visits) {
                    (Some(h), v) if v > 0 => Percentiles {
                        mean: stats.mean_sum_ms / v as f64,
                        ..Percentiles::of(h)
                    },
                    _ => {
                        // No sampled request visited: the model at the last tick.
                        let rt = self.response(i, 0, 0);
                        Percentiles {
                            mean: self.mean_latency_ms(i),
                            p50: rt.quantile_s(0.50) * 1000.0,
                            p95: rt.quantile_s(0.95) * 1000.0,
                            p99: rt.quantile_s(0.99) * 1000.0,
                        }
                    }
                };
                let latency_ms = if matches!(node.kind, KindPlan::Client(_)) {
                    Percentiles::default()
                } else {
                    latency_ms
                };
                ComponentReport {
                    name: node.name.clone(),
                    kind: node.kind_name.key(),
                    instances: node.instances,
                    healthy_instances: st.tick.healthy_instances,
                    utilization,
                    max_utilization: m.max_utilization,
                    offered_utilization,
                    offered_per_s: per_s(m.arrived as f64),
                    served_per_s: per_s(m.served as f64),
                    capacity_per_s: capacity,
                    dropped: m.dropped,
                    overflow_dropped: m.overflow_dropped,
                    errors: m.errors,
                    backlog: m.backlog_sum / ticks,
                    latency_ms,
                    hit_ratio: st.tick.hit_ratio,
                    message_wait_ms: match &node.kind {
                        KindPlan::MessageQueue(q) => Some(
                            super::kinds::message_queue::message_wait_s(q, m.backlog_sum / ticks)
                                * 1000.0,
                        ),
                        _ => None,
                    },
                    bottleneck: utilization >= SATURATED_UTILIZATION || m.overflow_dropped > 0,
                    spof: false,
                    totals: RunTotals {
                        arrived: st.sums.arrived,
                        served: st.sums.served,
                        dropped: st.sums.dropped,
                        backlog_end: st.tick.backlog,
                    },
                }
            })
            .collect();
        let sm = &self.measured;
        RunSummary {
            ticks: self.tick,
            tick_s: dt,
            seed: self.seed,
            load_multiplier: self.load_multiplier,
            warmup_ticks: self.plan.warmup_ticks,
            warmup_s: self.plan.warmup_ticks as f64 * dt,
            system: SystemReport {
                offered_per_s: per_s(sm.offered as f64),
                throughput_per_s: per_s(sm.succeeded),
                success_ratio: if sm.offered > 0 {
                    sm.succeeded / sm.offered as f64
                } else {
                    1.0
                },
                dropped: sm.dropped,
                errors: sm.errors,
                latency_ms: Percentiles::of(&self.sampler.run),
                sampled_requests: self.sampler.sampled,
                failed_samples: self.sampler.failed,
            },
            components,
        }
    }
}
