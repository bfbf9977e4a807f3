//! Autoscaling in the events engine: the flow engine's policy (`sim::autoscale::Autoscaler`,
//! one state machine for both engines), acting at the exact times its boots end and its
//! decisions fall due rather than on tick boundaries.
//!
//! - **What it measures**: the tier's busy server-seconds (each service counted when it
//!   starts) over the instance-seconds in service and not down, as the flow engine's busy
//!   instances over its healthy ones.
//! - **In service**: the first `in_service` of the plan's `max_instances` instances take
//!   requests; the others are parked: not routed to, not failing, not billed.
//! - **Scale-out**: launched instances boot for `provision_s` (billed meanwhile), then take
//!   requests: a pooled group (least-loaded balancing) gains their servers, which take what
//!   waits at once.
//! - **Scale-in**: stopped instances leave the rotation at once and drain: what they hold,
//!   waiting or in service, is served, not lost (a balancer's connection draining; the flow
//!   engine's backlog is the tier's, which loses nothing either). A pooled group gives up the
//!   stopped instances' idle servers at once and their busy ones as each finishes. The
//!   draining is not billed, as the flow engine bills what runs.
//! - **Failures** hit instances in service only; an instance parked while down comes back
//!   parked, and its servers join the group when it is put in service again.
//! - **A queue's consumers** scale the same way, one consumer for an instance: launched ones
//!   take messages from the backlog once booted; a stopped one finishes its message first.
//!   Their busy time is the consumers' (the brokers' is not counted); the report gives their
//!   consumer-hours apart from the brokers' instance-hours.

use super::{Engine, Model, What};
use crate::sim::autoscale::Autoscaler;
use crate::sim::plan::KindPlan;
use crate::sim::report::AutoscalingReport;

/// An autoscaled tier while the run goes.
#[derive(Clone, Debug)]
pub(super) struct Scaling {
    pub scaler: Autoscaler,
    /// Busy server-seconds since the last observation.
    pub busy_s: f64,
    /// Pooled groups: servers of stopped instances still busy, to leave as they finish.
    pub retire: u32,
    /// After the warm-up: instance-seconds run (in service and booting), and server-seconds
    /// of parked instances (which the utilization's denominator leaves out).
    pub instance_s: f64,
    pub parked_server_s: f64,
    servers_per_instance: u32,
    /// What it scales: a queue's consumers (else a server tier's instances), and how many
    /// the plan holds (the most).
    pub consumers: bool,
    group_size: u32,
    /// When the integrals below were last brought up to date, and the last observation.
    integrated_s: f64,
    observed_s: f64,
    /// Instance-seconds in service since the last observation.
    in_service_s: f64,
    /// The tier's down server-seconds (over the whole run) at the last observation.
    down_mark_s: f64,
}

impl Scaling {
    /// Bring the integrals up to `now_s` with the instances as they have been since the last
    /// change.
    fn integrate(&mut self, now_s: f64, warmup_s: f64) {
        let instances = self.group_size;
        let dt = now_s - self.integrated_s;
        if dt <= 0.0 {
            return;
        }
        self.in_service_s += f64::from(self.scaler.in_service) * dt;
        let measured_s = now_s - self.integrated_s.max(warmup_s);
        if measured_s > 0.0 {
            self.instance_s += f64::from(self.scaler.running()) * measured_s;
            let parked = instances.saturating_sub(self.scaler.in_service);
            self.parked_server_s +=
                f64::from(parked) * f64::from(self.servers_per_instance) * measured_s;
        }
        self.integrated_s = now_s;
    }

    /// Hand the autoscaler what the tier did since the last observation.
    fn observe(&mut self, now_s: f64, down_total_s: f64) {
        let per_instance = f64::from(self.servers_per_instance.max(1));
        let down_s = (down_total_s - self.down_mark_s).max(0.0) / per_instance;
        let available_s = (self.in_service_s - down_s).max(0.0);
        // Services count whole when they start, so a saturated group's last ones would
        // overflow the interval: it is never busier than its instances.
        self.scaler.observe(
            (self.busy_s / per_instance).min(available_s),
            available_s,
            now_s - self.observed_s,
        );
        self.busy_s = 0.0;
        self.in_service_s = 0.0;
        self.observed_s = now_s;
        self.down_mark_s = down_total_s;
    }

    /// Close the integrals at the run's end.
    pub fn close(&mut self, until_s: f64, warmup_s: f64) {
        self.integrate(until_s, warmup_s);
    }

    /// The time-weighted mean of the instances in service over [`from_s`, `to_s`].
    pub fn mean_in_service(&self, from_s: f64, to_s: f64) -> f64 {
        crate::sim::report::mean_in_service(&self.scaler.timeline, from_s, to_s)
    }

    /// What the autoscaler did, for the report (measured over [`from_s`, `to_s`]).
    pub fn report(&self, from_s: f64, to_s: f64) -> AutoscalingReport {
        AutoscalingReport::of(
            &self.scaler,
            self.consumers,
            self.instance_s / 3600.0,
            from_s,
            to_s,
        )
    }
}

impl Engine<'_> {
    /// Give each autoscaled group its autoscaler, park what it does not run and schedule its
    /// first decision.
    pub(super) fn start_autoscaling(&mut self) {
        for i in 0..self.plan.nodes.len() {
            let node = &self.plan.nodes[i];
            let (config, start, consumers) = match &node.kind {
                KindPlan::Server(p) => match p.autoscale {
                    Some(a) => (a, p.start_instances, false),
                    None => continue,
                },
                KindPlan::MessageQueue(q) => match q.autoscale {
                    Some(a) => (a, q.start_consumers, true),
                    None => continue,
                },
                _ => continue,
            };
            let scaler = Autoscaler::new(i as u32, config, start);
            let run = &mut self.nodes[i];
            let (servers_per_instance, group_size) = match &mut run.model {
                Model::MessageQueue(q) => {
                    q.idle_consumers = scaler.in_service.min(q.consumers.servers);
                    (1, q.consumers.servers)
                }
                _ => {
                    let per_instance = run.station.map_or(1, |s| s.servers);
                    run.active = scaler.in_service.min(node.instances.max(1));
                    if let [pool] = run.queues.as_mut_slice() {
                        pool.idle_servers = per_instance * run.active;
                    }
                    (per_instance, node.instances.max(1))
                }
            };
            let due_s = scaler.next_due_s();
            run.scaling = Some(Box::new(Scaling {
                scaler,
                busy_s: 0.0,
                retire: 0,
                instance_s: 0.0,
                parked_server_s: 0.0,
                servers_per_instance,
                consumers,
                group_size,
                integrated_s: 0.0,
                observed_s: 0.0,
                in_service_s: 0.0,
                down_mark_s: 0.0,
            }));
            if due_s.is_finite() {
                self.schedule(due_s, What::Autoscale { node: i as u32 });
            }
        }
    }

    /// A boot of `node`'s ends or its policy's decision falls due: observe, decide, and put
    /// the instances it wants in service.
    pub(super) fn autoscale(&mut self, node: u32) {
        let (now_s, warmup_s) = (self.now_s, self.warmup_s);
        let run = &mut self.nodes[node as usize];
        // A queue's consumers do not fail with its brokers (but take nothing while none is
        // up: not modelled, as the flow engine's drain stops then).
        let down_total_s = match run.model {
            Model::MessageQueue(_) => 0.0,
            _ => run
                .health
                .as_ref()
                .map_or(0.0, |h| h.down_server_total_s(now_s)),
        };
        let Some(s) = run.scaling.as_mut() else {
            return;
        };
        s.integrate(now_s, warmup_s);
        s.observe(now_s, down_total_s);
        let before = s.scaler.in_service;
        s.scaler.advance(now_s);
        let after = s.scaler.in_service.min(s.group_size);
        let next_s = s.scaler.next_due_s();
        if after != before {
            if s.consumers {
                self.set_consumers(node, before, after);
            } else {
                self.set_in_service(node, after);
                // Random failures strike the instances in service: their rate changed.
                self.draw_next_failure(node);
            }
        }
        if next_s.is_finite() && next_s > now_s {
            self.schedule(next_s, What::Autoscale { node });
        }
    }

    /// Run `wanted` of queue `node`'s consumers instead of `before`: stopped ones idle leave
    /// at once, busy ones when they finish; launched ones cancel those still to leave, then
    /// take messages waiting.
    fn set_consumers(&mut self, node: u32, before: u32, wanted: u32) {
        let run = &mut self.nodes[node as usize];
        let (Some(s), Model::MessageQueue(q)) = (run.scaling.as_mut(), &mut run.model) else {
            return;
        };
        if wanted < before {
            let stop = before - wanted;
            let idle = q.idle_consumers.min(stop);
            q.idle_consumers -= idle;
            s.retire += stop - idle;
            return;
        }
        let mut more = wanted - before;
        let kept = s.retire.min(more);
        s.retire -= kept;
        more -= kept;
        while more > 0 {
            more -= 1;
            let next = {
                let Model::MessageQueue(q) = &mut self.nodes[node as usize].model else {
                    return;
                };
                let next = q.backlog.pop_front();
                if next.is_none() {
                    q.idle_consumers += 1 + more;
                }
                next
            };
            let Some(next) = next else {
                return;
            };
            self.waiting_changed(node, -1);
            self.start(node, super::CONSUMERS, next);
        }
    }

    /// Put the first `wanted` instances of `node` in service (see the module's doc).
    fn set_in_service(&mut self, node: u32, wanted: u32) {
        let (now_s, warmup_s) = (self.now_s, self.warmup_s);
        let run = &mut self.nodes[node as usize];
        let before = run.active;
        run.active = wanted;
        // An instance down that is parked counts as parked, not as down (and back again when
        // it is put in service): the utilization's denominator and the autoscaler's available
        // time subtract each once.
        if let Some(h) = run.health.as_mut() {
            let per_instance = i64::from(run.station.map_or(1, |s| s.servers));
            let (from, to, sign) = if wanted < before {
                (wanted, before, -1)
            } else {
                (before, wanted, 1)
            };
            let crossing = (from..to).filter(|&i| h.is_down(i)).count() as i64;
            if crossing > 0 {
                h.servers_down_changed(sign * crossing * per_instance, now_s, warmup_s);
            }
        }
        if run.queues.len() != 1 {
            // One queue an instance: routing follows `active`; stopped ones drain.
            return;
        }
        let per_instance = run.station.map_or(1, |s| s.servers);
        let up = |i: &u32| run.health.as_ref().is_none_or(|h| !h.is_down(*i));
        let (Some(s), [pool]) = (run.scaling.as_mut(), run.queues.as_mut_slice()) else {
            return;
        };
        if wanted < before {
            let servers = (wanted..before).filter(up).count() as u32 * per_instance;
            let idle = pool.idle_servers.min(servers);
            pool.idle_servers -= idle;
            s.retire += servers - idle;
            return;
        }
        let mut servers = (before..wanted).filter(up).count() as u32 * per_instance;
        // Servers still to leave need not now.
        let kept = s.retire.min(servers);
        s.retire -= kept;
        servers -= kept;
        // Each server more takes the next request waiting (or goes idle).
        while servers > 0 {
            servers -= 1;
            let pool = &mut self.nodes[node as usize].queues[0];
            if pool.waiting.is_empty() {
                pool.idle_servers += 1 + servers;
                return;
            }
            self.next_from_queue(node, 0);
        }
    }
}
