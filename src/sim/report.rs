//! The run summary: per component and for the whole system, over the ticks after the warm-up.

use serde::Serialize;

use super::Simulation;
use super::outcome::RequestTotals;
use super::plan::KindPlan;
use super::stats::Percentiles;

/// A component counts as saturated from this utilization on (or when it sheds work).
pub const SATURATED_UTILIZATION: f64 = 0.9;

/// Counts over the whole run, warm-up included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct RunTotals {
    /// Requests that arrived at the component.
    pub arrived: u64,
    /// Requests the component served, including those served with an error.
    pub served: u64,
    /// Requests the component dropped.
    pub dropped: u64,
    /// Waiting when the measured stretch began (after the warm-up; 0 without one) and at
    /// the end of the run.
    pub backlog_start: u64,
    /// Waiting at the end of the run.
    pub backlog_end: u64,
}

/// One component over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComponentReport {
    /// The component's name.
    pub name: String,
    /// The component's kind as its snake_case key, such as "load_balancer".
    pub kind: &'static str,
    /// Machines in the group: its instances, and for a database every copy and standby of every
    /// shard.
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
    /// Requests per second that arrived after the warm-up.
    pub offered_per_s: f64,
    /// Requests per second served after the warm-up.
    pub served_per_s: f64,
    /// Mean of what the component could serve each tick after the warm-up, requests per second
    /// (queues: what the consumers drain).
    pub capacity_per_s: f64,
    /// Requests dropped after the warm-up.
    pub dropped: u64,
    /// Of those, shed for want of capacity.
    pub overflow_dropped: u64,
    /// Of those, turned away by the component's rate limiter (not for want of capacity).
    pub rejected: u64,
    /// Requests served with an error (lost sessions) after the warm-up.
    pub errors: u64,
    /// Retries the component sent down its links after the warm-up (each a further attempt
    /// of a call that failed or timed out; see `RetryPolicy`).
    pub retries: u64,
    /// Attempts down its links the component stopped waiting for after the warm-up (their
    /// link's attempt timeout passed; the work below went on, wasted).
    pub timed_out: u64,
    /// Seconds its links' circuit breakers were open (or half-open) after the warm-up, summed
    /// over its links.
    pub breaker_open_s: f64,
    /// Calls down its links that an open circuit breaker failed at once after the warm-up.
    pub breaker_rejected: u64,
    /// Instance-hours it ran after the warm-up: an autoscaled tier's instances in service and
    /// booting over time, any other component's machines × the measured hours.
    pub instance_hours: f64,
    /// An autoscaled tier: what its autoscaler did (over the whole run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<AutoscalingReport>,
    /// Mean backlog after the warm-up, in requests.
    pub backlog: f64,
    /// The node's own latency (without what it waits for downstream).
    pub latency_ms: Percentiles,
    /// Of the mean latency, the time before service: the queueing wait and the delay of a
    /// backlog piled up by overload (for Little's law: the backlog is served rate × this).
    pub wait_ms: f64,
    /// Hit ratio at the end of the run (caches and CDNs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hit_ratio: Option<f64>,
    /// Queues: how long a message waits for a consumer on average (backlog ÷ drain rate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_wait_ms: Option<f64>,
    /// Saturated in the run: utilization ≥ 0.9 or shedding work.
    pub bottleneck: bool,
    /// Clients only: what became of their requests (see `SystemReport`'s fields of the same
    /// names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput_per_s: Option<f64>,
    /// Clients only: of the client's requests that came to an end after the warm-up, the share that
    /// succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_ratio: Option<f64>,
    /// Clients only: what became of the client's requests over the whole run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<RequestCounts>,
    /// A single point of failure (set by the analysis).
    pub spof: bool,
    /// Counts over the whole run, warm-up included.
    pub totals: RunTotals,
}

/// What an autoscaler did over the whole run, warm-up included. Its "instances" are a server
/// tier's instances or a message queue's consumers (`group` says which).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AutoscalingReport {
    /// What it scales: "instances" (a server tier's) or "consumers" (a message queue's).
    pub group: &'static str,
    /// Hours its instances (consumers) ran after the warm-up, in service and booting: a
    /// server tier's `instance_hours`; a queue's consumer-hours (its `instance_hours` are
    /// its brokers').
    pub hours: f64,
    /// Instances it launched.
    pub launched: u64,
    /// Instances it stopped.
    pub stopped: u64,
    /// Mean instances in service after the warm-up.
    pub mean_in_service: f64,
    /// The most instances in service at once.
    pub peak_in_service: u32,
    /// Instances over time: each change, from the start (the instances it started with at 0 s).
    pub timeline: Vec<super::autoscale::InstancesAt>,
}

impl AutoscalingReport {
    /// The report of `a` (of a queue's consumers when `consumers`) for a run measured over
    /// [`from_s`, `to_s`], in which its group ran `hours`.
    pub(crate) fn of(
        a: &super::autoscale::Autoscaler,
        consumers: bool,
        hours: f64,
        from_s: f64,
        to_s: f64,
    ) -> Self {
        Self {
            group: if consumers { "consumers" } else { "instances" },
            hours,
            launched: a.launched,
            stopped: a.stopped,
            mean_in_service: mean_in_service(&a.timeline, from_s, to_s),
            peak_in_service: a.timeline.iter().map(|c| c.in_service).max().unwrap_or(0),
            timeline: a.timeline.clone(),
        }
    }
}

/// The time-weighted mean of the instances in service over [`from_s`, `to_s`].
pub(crate) fn mean_in_service(
    timeline: &[super::autoscale::InstancesAt],
    from_s: f64,
    to_s: f64,
) -> f64 {
    if to_s <= from_s {
        return timeline.last().map_or(0.0, |c| f64::from(c.in_service));
    }
    let mut sum = 0.0;
    for (j, c) in timeline.iter().enumerate() {
        let end = timeline.get(j + 1).map_or(to_s, |n| n.at_s).min(to_s);
        let start = c.at_s.max(from_s);
        if end > start {
            sum += f64::from(c.in_service) * (end - start);
        }
    }
    sum / (to_s - from_s)
}

/// The fate of the requests sent over the whole run, warm-up included, in whole requests:
/// `offered = succeeded + failed + in_flight_end`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RequestCounts {
    /// Requests the clients sent (in a component's report, that client's).
    pub offered: u64,
    /// Left their last hop.
    pub succeeded: u64,
    /// Dropped or answered with an error on their way.
    pub failed: u64,
    /// Still waiting somewhere when the run ended: neither succeeded nor failed.
    pub in_flight_end: u64,
}

impl RequestCounts {
    /// Whole requests from the run's totals: failed and in flight rounded, succeeded what is
    /// left of the offered, so that the three add up to the offered exactly.
    pub fn from_totals(t: &RequestTotals) -> Self {
        let round = |x: f64| (x.max(0.0) + 0.5) as u64;
        let failed = round(t.failed).min(t.offered);
        let in_flight_end = round(t.in_flight).min(t.offered - failed);
        Self {
            offered: t.offered,
            succeeded: t.offered - failed - in_flight_end,
            failed,
            in_flight_end,
        }
    }
}

/// The whole system over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SystemReport {
    /// Requests per second the clients sent after the warm-up.
    pub offered_per_s: f64,
    /// Requests per second that completed end to end (left their last hop) after the
    /// warm-up: past the knee, what the bottleneck completes, not what was admitted.
    pub throughput_per_s: f64,
    /// Of the requests that came to an end after the warm-up, the share that succeeded:
    /// succeeded ÷ (succeeded + failed). Requests still in flight count in neither.
    pub success_ratio: f64,
    /// Requests per second that failed after the warm-up.
    pub failed_per_s: f64,
    /// Requests in flight when the run ended (waiting somewhere, neither succeeded nor
    /// failed); `requests.in_flight_end` in whole requests.
    pub in_flight_end: f64,
    /// Mean requests in flight after the warm-up.
    pub in_flight_mean: f64,
    /// Over the whole run: offered = succeeded + failed + in flight at the end.
    pub requests: RequestCounts,
    /// Requests dropped after the warm-up, at any component.
    pub dropped: u64,
    /// Requests failed with an error after the warm-up.
    pub errors: u64,
    /// Of the dropped, turned away by rate limiters after the warm-up (each component's
    /// `rejected`, summed).
    pub rejected: u64,
    /// Retries sent down links after the warm-up (each component's `retries`, summed): the
    /// attempts beyond the first, each real load on every hop it repeats.
    pub retries: u64,
    /// Attempts whose caller stopped waiting after the warm-up (each component's
    /// `timed_out`, summed).
    pub timed_out: u64,
    /// Seconds circuit breakers were open after the warm-up, summed over the links.
    pub breaker_open_s: f64,
    /// Calls open circuit breakers failed at once after the warm-up.
    pub breaker_rejected: u64,
    /// Instance-hours all components ran after the warm-up (each component's
    /// `instance_hours`, summed).
    pub instance_hours: f64,
    /// End-to-end latency of successful sampled requests.
    pub latency_ms: Percentiles,
    /// Request paths sampled after the warm-up, and how many failed.
    pub sampled_requests: u64,
    /// Sampled paths that failed on the way (dropped or answered with an error); no latency figure
    /// counts them.
    pub failed_samples: u64,
}

/// What a run measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    /// Ticks run so far.
    pub ticks: u64,
    /// Length of one tick, in seconds.
    pub tick_s: f64,
    /// Seed of every random stream of the run.
    pub seed: u64,
    /// Load multiplier of the run: the scenario's times the run options' (or as last set while
    /// running); the profile multiplies it tick by tick.
    pub load_multiplier: f64,
    /// Ticks at the start left out of the means, and their length in seconds.
    pub warmup_ticks: u64,
    /// The warm-up's length, in seconds.
    pub warmup_s: f64,
    /// The whole system, after the warm-up.
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
        let components: Vec<ComponentReport> = order
            .into_iter()
            .map(|i| {
                let node = &self.plan.nodes[i];
                let st = &self.states[i];
                let m = &self.measured_of(i);
                // A client's requests: over the whole run, and after the warm-up.
                let client = self
                    .plan
                    .clients
                    .iter()
                    .position(|&c| c as usize == i)
                    .and_then(|n| {
                        let now = self.accounts.get(n)?.totals();
                        let window = if self.tick > self.plan.warmup_ticks {
                            now.since(&self.accounts_at_warmup.get(n)?.totals())
                        } else {
                            RequestTotals::default()
                        };
                        Some((now, window))
                    });
                // Every node steps every tick: the system's count of measured ticks is each node's.
                let ticks = self.measured.ticks.max(1) as f64;
                let warmup_s = self.plan.warmup_ticks as f64 * dt;
                let measured_s = self.measured.ticks as f64 * dt;
                let autoscaler = self.autoscalers.iter().find(|a| a.node as usize == i);
                let utilization = m.utilization_sum / ticks;
                let capacity = m.capacity_sum / ticks;
                let offered_utilization = m.offered_utilization_sum / ticks;
                let stats = &self.node_latency[i];
                let wait_ms = if stats.visits > 0 {
                    stats.wait_sum_ms / stats.visits as f64
                } else {
                    self.mean_wait_ms(i)
                };
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
                let (latency_ms, wait_ms) = if matches!(node.kind, KindPlan::Client(_)) {
                    (Percentiles::default(), 0.0)
                } else {
                    (latency_ms, wait_ms)
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
                    rejected: m.rejected,
                    errors: m.errors,
                    retries: m.retries,
                    timed_out: m.timed_out,
                    breaker_open_s: m.breaker_open_s,
                    breaker_rejected: m.breaker_rejected,
                    instance_hours: match (autoscaler, &node.kind) {
                        (_, KindPlan::Client(_)) => 0.0,
                        (Some(_), KindPlan::Server(_)) => m.instance_s / 3600.0,
                        _ => f64::from(node.instances) * measured_s / 3600.0,
                    },
                    autoscaling: autoscaler.map(|a| {
                        AutoscalingReport::of(
                            a,
                            matches!(node.kind, KindPlan::MessageQueue(_)),
                            m.instance_s / 3600.0,
                            warmup_s,
                            warmup_s + measured_s,
                        )
                    }),
                    backlog: m.backlog_sum / ticks,
                    latency_ms,
                    wait_ms,
                    hit_ratio: st.tick.hit_ratio,
                    message_wait_ms: match &node.kind {
                        // An autoscaled group's at its mean pace over the run.
                        KindPlan::MessageQueue(q) if q.autoscale.is_some() => {
                            Some(if capacity > 0.0 {
                                m.backlog_sum / ticks / capacity * 1000.0
                            } else {
                                0.0
                            })
                        }
                        KindPlan::MessageQueue(q) => Some(
                            super::kinds::message_queue::message_wait_s(q, m.backlog_sum / ticks)
                                * 1000.0,
                        ),
                        _ => None,
                    },
                    bottleneck: utilization >= SATURATED_UTILIZATION || m.overflow_dropped > 0,
                    throughput_per_s: client.map(|(_, window)| per_s(window.succeeded)),
                    success_ratio: client.map(|(_, window)| window.success_ratio()),
                    requests: client.map(|(totals, _)| RequestCounts::from_totals(&totals)),
                    spof: false,
                    totals: RunTotals {
                        arrived: st.sums.arrived,
                        served: st.sums.served,
                        dropped: st.sums.dropped,
                        backlog_start: if self.tick > self.plan.warmup_ticks {
                            self.warmup_backlogs[i]
                        } else {
                            0
                        },
                        backlog_end: st.tick.backlog,
                    },
                }
            })
            .collect();
        let sm = &self.measured;
        let totals = self.requests();
        RunSummary {
            ticks: self.tick,
            tick_s: dt,
            seed: self.seed,
            load_multiplier: self.load_multiplier,
            warmup_ticks: self.plan.warmup_ticks,
            warmup_s: self.plan.warmup_ticks as f64 * dt,
            system: SystemReport {
                offered_per_s: per_s(sm.offered as f64),
                throughput_per_s: per_s(sm.succeeded.max(0.0)),
                success_ratio: RequestTotals {
                    succeeded: sm.succeeded,
                    failed: sm.failed,
                    ..RequestTotals::default()
                }
                .success_ratio(),
                failed_per_s: per_s(sm.failed),
                in_flight_end: totals.in_flight.max(0.0),
                in_flight_mean: if sm.ticks > 0 {
                    sm.in_flight_sum / sm.ticks as f64
                } else {
                    0.0
                },
                requests: RequestCounts::from_totals(&totals),
                dropped: sm.dropped,
                errors: sm.errors,
                rejected: components.iter().map(|c| c.rejected).sum(),
                retries: components.iter().map(|c| c.retries).sum(),
                timed_out: components.iter().map(|c| c.timed_out).sum(),
                breaker_open_s: components.iter().map(|c| c.breaker_open_s).sum(),
                breaker_rejected: components.iter().map(|c| c.breaker_rejected).sum(),
                instance_hours: components.iter().map(|c| c.instance_hours).sum(),
                latency_ms: Percentiles::of(&self.sampler.run),
                sampled_requests: self.sampler.sampled,
                failed_samples: self.sampler.failed,
            },
            components,
        }
    }
}
