//! Autoscaling of server tiers and of message queues' consumers (see `model::Autoscaling`
//! for the policy), for both engines. A queue's consumers are its group's "instances" here.
//!
//! An `Autoscaler` is the policy's state over time, apart from how an engine measures busy
//! time: the engine tells it the busy and available instance-seconds it saw (`observe`), and
//! asks it at each moment it handles (`advance`) whether instances came into service or a
//! decision changed what it runs. The flow engine observes each tick and advances at each
//! tick's start (so boots and decisions take effect on tick boundaries: at 1 s ticks within a
//! second of their time); the events engine advances at the decision and boot times exactly.
//!
//! A tier's plan counts `max_instances` machines; those the autoscaler does not run are
//! parked (`NodeState::parked`): not in service, not routed to, not failing, not billed. A
//! queue's plan counts `max_instances` consumers; those not running are parked
//! (`KindState::MessageQueue::parked_consumers`) and drain nothing.

use std::collections::VecDeque;

use crate::model::Autoscaling;

/// The HPA's tolerance: no change while the utilization is within 10 % of the target.
pub const TOLERANCE: f64 = 0.1;

/// A change in a tier's instances: from `at_s`, `in_service` serve and `booting` boot.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct InstancesAt {
    /// When it changed, in seconds from the run's start.
    pub at_s: f64,
    /// Instances in service from then (failed ones among them).
    pub in_service: u32,
    /// Instances booting from then (launched, not serving yet).
    pub booting: u32,
}

/// The most changes a run's timeline keeps per tier (then it keeps every other one's
/// successor: the plot and the report thin out, the figures do not).
const MAX_TIMELINE: usize = 4_096;

/// One autoscaled tier's policy at work.
#[derive(Clone, Debug)]
pub(crate) struct Autoscaler {
    pub node: u32,
    pub config: Autoscaling,
    /// Instances in service (failed ones among them), and those booting: (ready at, how
    /// many), earliest first.
    pub in_service: u32,
    booting: VecDeque<(f64, u32)>,
    pub booting_count: u32,
    next_decision_s: f64,
    last_action_s: f64,
    /// Over the current interval: busy and available instance-seconds.
    busy_s: f64,
    available_s: f64,
    span_s: f64,
    pub timeline: Vec<InstancesAt>,
    /// Instances launched and stopped over the run.
    pub launched: u64,
    pub stopped: u64,
}

impl Autoscaler {
    pub fn new(node: u32, config: Autoscaling, start: u32) -> Self {
        let in_service = start.clamp(config.min_instances, config.max_instances);
        Self {
            node,
            config,
            in_service,
            booting: VecDeque::new(),
            booting_count: 0,
            next_decision_s: config.interval_s,
            last_action_s: f64::NEG_INFINITY,
            busy_s: 0.0,
            available_s: 0.0,
            span_s: 0.0,
            timeline: vec![InstancesAt {
                at_s: 0.0,
                in_service,
                booting: 0,
            }],
            launched: 0,
            stopped: 0,
        }
    }

    /// Instances it runs and bills: in service and booting.
    pub fn running(&self) -> u32 {
        self.in_service + self.booting_count
    }

    /// `busy_s` busy instance-seconds out of `available_s` (healthy instances in service)
    /// over `span_s` seconds.
    pub fn observe(&mut self, busy_s: f64, available_s: f64, span_s: f64) {
        if busy_s.is_finite() && available_s.is_finite() {
            self.busy_s += busy_s.max(0.0);
            self.available_s += available_s.max(0.0);
            self.span_s += span_s;
        }
    }

    /// The next time something is due: a boot ending or a decision.
    pub fn next_due_s(&self) -> f64 {
        self.booting
            .front()
            .map_or(self.next_decision_s, |&(at, _)| {
                at.min(self.next_decision_s)
            })
    }

    /// Boots ended and decisions due up to `now_s`, in time order. Returns whether the
    /// instances in service changed.
    pub fn advance(&mut self, now_s: f64) -> bool {
        let before = (self.in_service, self.booting_count);
        loop {
            let boot_s = self.booting.front().map_or(f64::INFINITY, |&(at, _)| at);
            if boot_s <= now_s && boot_s <= self.next_decision_s {
                if let Some((at_s, k)) = self.booting.pop_front() {
                    self.booting_count -= k;
                    self.in_service += k;
                    self.note(at_s);
                }
            } else if self.next_decision_s <= now_s {
                let at_s = self.next_decision_s;
                self.next_decision_s += self.config.interval_s;
                self.decide(at_s);
            } else {
                break;
            }
        }
        (self.in_service, self.booting_count) != before
    }

    /// The decision at `at_s` on the interval just ended.
    fn decide(&mut self, at_s: f64) {
        let (busy_s, available_s, span_s) = (
            std::mem::take(&mut self.busy_s),
            std::mem::take(&mut self.available_s),
            std::mem::take(&mut self.span_s),
        );
        let Some(desired) = desired(&self.config, busy_s, available_s, span_s) else {
            return;
        };
        let running = self.running();
        if desired > running {
            let k = desired - running;
            self.launched += u64::from(k);
            self.last_action_s = at_s;
            if self.config.provision_s > 0.0 {
                self.booting.push_back((at_s + self.config.provision_s, k));
                self.booting_count += k;
            } else {
                self.in_service += k;
            }
            self.note(at_s);
        } else if desired < running && at_s - self.last_action_s >= self.config.cooldown_s {
            let mut k = running - desired;
            self.stopped += u64::from(k);
            self.last_action_s = at_s;
            // Booting ones first, the newest first.
            while k > 0 {
                let Some(last) = self.booting.back_mut() else {
                    break;
                };
                let cut = last.1.min(k);
                last.1 -= cut;
                self.booting_count -= cut;
                k -= cut;
                if last.1 == 0 {
                    self.booting.pop_back();
                }
            }
            self.in_service -= k.min(self.in_service);
            self.note(at_s);
        }
    }

    fn note(&mut self, at_s: f64) {
        let change = InstancesAt {
            at_s,
            in_service: self.in_service,
            booting: self.booting_count,
        };
        let len = self.timeline.len();
        match self.timeline.last_mut() {
            Some(last) if last.at_s == at_s => *last = change,
            _ if len >= MAX_TIMELINE => {
                // Thin out: drop every other change but the first.
                let mut n = 0;
                self.timeline.retain(|_| {
                    n += 1;
                    n == 1 || n % 2 == 0
                });
                self.timeline.push(change);
            }
            _ => self.timeline.push(change),
        }
    }
}

/// What the policy wants after an interval of `span_s` seconds with `busy_s` busy
/// instance-seconds out of `available_s`: ⌈busy instances / target⌉ within the bounds, or
/// `None` (no change) within the tolerance or without a measurement.
pub(crate) fn desired(
    config: &Autoscaling,
    busy_s: f64,
    available_s: f64,
    span_s: f64,
) -> Option<u32> {
    if span_s <= 0.0 {
        return None;
    }
    let utilization = if available_s > 0.0 {
        (busy_s / available_s).min(1.0)
    } else {
        // Nothing in service to measure: no change (the bounds hold it up).
        return None;
    };
    let ratio = utilization / config.target_utilization;
    if (ratio - 1.0).abs() <= TOLERANCE {
        return None;
    }
    let busy_instances = busy_s / span_s;
    let wanted = (busy_instances / config.target_utilization - 1e-9).ceil();
    let wanted = if wanted.is_finite() {
        wanted.max(0.0)
    } else {
        0.0
    };
    Some((wanted.min(f64::from(u32::MAX)) as u32).clamp(config.min_instances, config.max_instances))
}

/// The instances a tier's policy settles at under a steady load of `busy_instances` (its work
/// in instances: the rate over one instance's capacity), starting from `start`: the rule
/// applied until it changes nothing, each interval reading the instances in service busy as
/// the load keeps them (all of them while it saturates them). What the formulas count an
/// autoscaled tier at: its steady state, not the climb to it (a boot and a few intervals)
/// nor the cooldown's delay.
pub(crate) fn settled_instances(config: &Autoscaling, start: u32, busy_instances: f64) -> u32 {
    let mut n = start.clamp(config.min_instances, config.max_instances);
    // Each step at least doubles the tier or settles it: 64 are more than enough.
    for _ in 0..64 {
        let running = f64::from(n);
        let busy = busy_instances.clamp(0.0, running);
        match desired(config, busy, running, 1.0) {
            Some(wanted) if wanted != n => n = wanted,
            _ => break,
        }
    }
    n
}

/// What an autoscaler scales: a server tier's instances or a message queue's consumers.
fn group_of(node: &super::plan::NodePlan) -> Option<(Autoscaling, u32)> {
    match &node.kind {
        super::plan::KindPlan::Server(p) => p.autoscale.map(|a| (a, p.start_instances)),
        super::plan::KindPlan::MessageQueue(q) => q.autoscale.map(|a| (a, q.start_consumers)),
        _ => None,
    }
}

/// Park all but `in_service` of node's group (see the module's doc): a server tier's
/// instances, or a queue's consumers.
fn park(node: &super::plan::NodePlan, st: &mut super::state::NodeState, in_service: u32) {
    match (&node.kind, &mut st.kind) {
        (
            super::plan::KindPlan::MessageQueue(q),
            super::state::KindState::MessageQueue {
                parked_consumers, ..
            },
        ) => *parked_consumers = q.consumers.servers.saturating_sub(in_service),
        _ => st.parked = node.instances.saturating_sub(in_service),
    }
}

impl super::Simulation {
    /// The autoscalers of `plan`'s groups, what they do not run parked in `states`.
    pub(crate) fn new_autoscalers(
        plan: &super::plan::Plan,
        states: &mut [super::state::NodeState],
    ) -> Vec<Autoscaler> {
        let mut out = Vec::new();
        for (i, (node, st)) in plan.nodes.iter().zip(states.iter_mut()).enumerate() {
            if let Some((config, start)) = group_of(node) {
                let a = Autoscaler::new(i as u32, config, start);
                park(node, st, a.in_service);
                if matches!(node.kind, super::plan::KindPlan::Server(_)) {
                    st.tick.healthy_instances = a.in_service;
                }
                out.push(a);
            }
        }
        out
    }

    /// At a tick's start: boots ended and decisions due; a tier whose instances in service
    /// changed is routed to afresh (a queue's consumers take the backlog at the new pace).
    pub(crate) fn start_autoscaling(&mut self, now_s: f64) {
        // A tick's start as a multiple of the tick length can fall a hair short of the time
        // it stands for (600 × 0.1 s): what is due then is due at this tick.
        let now_s = now_s + 1e-6 * self.plan.tick_s;
        for a in &mut self.autoscalers {
            if a.next_due_s() > now_s || !a.advance(now_s) {
                continue;
            }
            let i = a.node as usize;
            let node = &self.plan.nodes[i];
            let st = &mut self.states[i];
            park(node, st, a.in_service);
            if matches!(node.kind, super::plan::KindPlan::Server(_)) {
                self.routable[i] = st
                    .running(node)
                    .saturating_sub(st.noticed_down(now_s, node.detection_delay_s));
                self.routing_dirty = true;
            }
        }
    }

    /// At a tick's end: the groups' busy time for their autoscalers (a tier's healthy
    /// instances; a queue's running consumers, while a broker is up to hand them messages),
    /// and the instance- or consumer-seconds they ran (in service and booting).
    pub(crate) fn observe_autoscaling(&mut self) {
        let tick_s = self.plan.tick_s;
        for a in &mut self.autoscalers {
            let st = &mut self.states[a.node as usize];
            let available = match st.kind {
                super::state::KindState::MessageQueue { .. } => {
                    if st.tick.healthy_instances > 0 {
                        f64::from(a.in_service)
                    } else {
                        0.0
                    }
                }
                _ => f64::from(st.tick.healthy_instances),
            };
            a.observe(
                st.tick.busy * available * tick_s,
                available * tick_s,
                tick_s,
            );
            st.sums.instance_s += f64::from(a.running()) * tick_s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Autoscaling {
        Autoscaling {
            target_utilization: 0.5,
            min_instances: 2,
            max_instances: 10,
            provision_s: 30.0,
            cooldown_s: 120.0,
            interval_s: 60.0,
        }
    }

    #[test]
    fn it_launches_what_the_busy_time_asks_boots_them_and_scales_in_after_the_cooldown() {
        let mut a = Autoscaler::new(0, config(), 2);
        // Two instances fully busy for a minute: 2 busy / 0.5 = 4 wanted.
        a.observe(120.0, 120.0, 60.0);
        assert!(!a.advance(59.0));
        a.advance(60.0);
        assert_eq!((a.in_service, a.booting_count), (2, 2));
        assert_eq!(a.next_due_s(), 90.0);
        assert!(a.advance(90.0));
        assert_eq!((a.in_service, a.booting_count), (4, 0));
        // Within 10 % of the target: nothing changes.
        a.observe(4.0 * 0.52 * 60.0, 240.0, 60.0);
        a.advance(120.0);
        assert_eq!(a.running(), 4);
        // Quiet: one busy instance wants 2, but the cooldown (from 60 s) holds until 180 s.
        a.observe(60.0 * 0.4, 240.0, 60.0);
        a.advance(180.0);
        assert_eq!(a.running(), 2, "at 180 s the cooldown of 120 s is over");
        assert_eq!(
            a.timeline
                .iter()
                .map(|c| (c.at_s, c.in_service, c.booting))
                .collect::<Vec<_>>(),
            vec![(0.0, 2, 0), (60.0, 2, 2), (90.0, 4, 0), (180.0, 2, 0)]
        );
        // Never below the least nor above the most.
        a.observe(0.0, 120.0, 60.0);
        a.advance(240.0);
        a.advance(300.0);
        assert_eq!(a.running(), 2);
        a.observe(1e9, 1e9, 60.0);
        a.advance(360.0);
        assert_eq!(a.running(), 10);
    }

    #[test]
    fn a_steady_load_settles_where_the_rule_stops() {
        let c = config();
        // 3.4 busy at a target of 0.5 wants 7 (3.4 / 7 = 0.49, within 10 %), from any start
        // outside the tolerance: from 2 (saturated, reading 2 busy → 4 → 7) and from 10.
        assert_eq!(settled_instances(&c, 2, 3.4), 7);
        assert_eq!(settled_instances(&c, 10, 3.4), 7);
        // A start within the tolerance stays (3.4 / 6 = 0.57, 1.13 of the target: outside;
        // 3.4 / 7 inside).
        assert_eq!(settled_instances(&c, 7, 3.4), 7);
        // The bounds hold.
        assert_eq!(settled_instances(&c, 2, 0.0), 2);
        assert_eq!(settled_instances(&c, 2, 100.0), 10);
    }

    #[test]
    fn scaling_in_stops_booting_instances_first() {
        let config = Autoscaling {
            cooldown_s: 0.0,
            provision_s: 100.0,
            ..config()
        };
        let mut a = Autoscaler::new(0, config, 2);
        a.observe(120.0, 120.0, 60.0);
        a.advance(60.0);
        assert_eq!(a.booting_count, 2);
        a.observe(60.0 * 0.2, 120.0, 60.0);
        a.advance(120.0);
        assert_eq!((a.in_service, a.booting_count), (2, 0));
    }
}
