//! Failures, repairs and health checks in the events engine, as the flow engine has them
//! (see `sim::failures` and the kinds' `fail`/`recover`), but machine by machine:
//!
//! - **When**: scheduled failures and repairs at the tick the scenario puts them at (its
//!   start, as the flow engine applies them); random failures of each machine after an
//!   exponential time of mean MTBF, each repaired after one of mean MTTR (the next failure of
//!   a group is drawn afresh whenever its machines up change: exact, as the times are
//!   memoryless).
//! - **Which**: a scheduled failure of a few instances takes the first ones up; repairs bring
//!   back the longest down first. A database's machines fail as the flow engine's do (the
//!   primary first, then replicas, then the standby; a random failure hits the primary with
//!   its share of the machines up), by the same functions.
//! - **What is lost**: the requests in a failed instance, waiting and in service, fail. A
//!   pooled group (one queue in front of all its instances) loses as many requests in service
//!   as the failed instances had servers busy: the next ones to finish (their count is right,
//!   not which ones).
//! - **Health checks**: a balancer keeps sending an instance's share to it until it has been
//!   down for the detection delay (forever when nothing health-checks the group); those
//!   requests fail there. Once noticed, requests go to the instances still routed to.
//!   A cache's keys on a dead instance miss (passed on to the store unserved); it comes back
//!   cold and warms as a cold cache does.
//! - **Databases**: while a shard has no primary, its writes fail; after the failover time a
//!   replica (or the standby) takes the writes. Reads go to any copy serving.
//! - **Sessions in memory**: a request reaching an instance that does not hold its user's
//!   session is answered with an error: behind a balancer that is not sticky, with chance
//!   1 − 1/(instances routed to); behind a sticky one, only after a failure, with the failed
//!   share of the instances until the users pinned to them have come back (the detection
//!   delay plus a user's time between requests), as the flow engine has it.

use std::collections::VecDeque;

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, Exp1};

use super::{Engine, Model, NodeRun, What};
use crate::sim::kinds::database::{self, DatabasePlan};
use crate::sim::plan::{KindPlan, NodePlan, Spread};
use crate::sim::state::{self, KindState, NodeState};

/// A component's health while the run goes (components that can fail, in runs with
/// failures).
#[derive(Clone, Debug)]
pub(super) struct Health {
    /// Per instance: since when it has been down (`None`: up). Empty for databases.
    down_since: Vec<Option<f64>>,
    /// The instances down, in the order they went down.
    down_order: VecDeque<u32>,
    /// Seconds until the balancers in front stop routing to a dead instance.
    detection_delay_s: f64,
    /// Caches: per instance, when it came back (its warmth counts from then).
    pub restarted_s: Vec<f64>,
    /// Pooled groups: servers of failed instances still busy, retired as they finish.
    retire: u32,
    /// Servers of one instance.
    servers_per_instance: u32,
    /// Databases: the flow engine's health of each shard (copies down, primary, standby).
    pub database: Option<NodeState>,
    /// Random failures, if the scenario has them and the kind fails.
    clock: Option<Clock>,
    /// Sticky servers with sessions in memory: the share of users whose session was lost,
    /// until when.
    session_loss: (f64, f64),
    /// Server-seconds unavailable after the warm-up (servers of instances down), and servers
    /// down now, since when.
    pub down_server_area_s: f64,
    /// The same over the whole run, up to when the servers down last changed.
    down_server_total_s: f64,
    servers_down: u32,
    servers_down_since_s: f64,
}

/// One component's random failures.
#[derive(Clone, Debug)]
struct Clock {
    rng: Xoshiro256PlusPlus,
    fail_per_s: f64,
    repair_per_s: f64,
    /// Bumped whenever the machines up change: a failure drawn before is stale.
    generation: u32,
}

/// Where a request arriving at a component with instances down goes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Route {
    /// To this instance, which is up.
    Instance(u32),
    /// To an instance that is down but still routed to, or nowhere: it fails.
    Dead,
    /// A cache's key on a dead instance: passed on as a miss.
    Bypass,
}

impl Health {
    pub(super) fn new(
        node: &NodePlan,
        servers_per_instance: u32,
        random_failures: bool,
        seed: u64,
    ) -> Self {
        let instances = node.instances as usize;
        let machines = match &node.kind {
            KindPlan::Database(d) => d.total_instances(),
            _ => node.instances,
        };
        let clock = node
            .reliability
            .as_ref()
            .filter(|_| random_failures && machines > 0)
            .map(|r| Clock {
                rng: state::stream(seed, &format!("events-failures/{}", node.name)),
                fail_per_s: (1.0 / r.mtbf_hours) / 3600.0,
                repair_per_s: if r.mttr_hours > 0.0 {
                    (1.0 / r.mttr_hours) / 3600.0
                } else {
                    f64::INFINITY
                },
                generation: 0,
            });
        let database = match &node.kind {
            KindPlan::Database(d) => Some(NodeState::new(
                KindState::Database(Box::new(database::DatabaseState::new(d))),
                0,
            )),
            _ => None,
        };
        Self {
            down_since: if database.is_some() {
                Vec::new()
            } else {
                vec![None; instances]
            },
            down_order: VecDeque::new(),
            detection_delay_s: node.detection_delay_s,
            restarted_s: vec![f64::NEG_INFINITY; instances],
            retire: 0,
            servers_per_instance,
            database,
            clock,
            session_loss: (0.0, f64::NEG_INFINITY),
            down_server_area_s: 0.0,
            down_server_total_s: 0.0,
            servers_down: 0,
            servers_down_since_s: 0.0,
        }
    }

    /// Whether any instance is down (databases: any machine).
    pub(super) fn any_down(&self) -> bool {
        !self.down_order.is_empty()
            || self
                .database
                .as_ref()
                .is_some_and(|st| database::down_count(st) > 0)
    }

    /// Instances among the first `instances` (those in service: an autoscaled tier's
    /// others are parked) down that the balancers in front have noticed by `now_s`.
    fn noticed(&self, instances: u32, now_s: f64) -> u32 {
        self.down_order
            .iter()
            .filter(|&&i| {
                i < instances
                    && self.down_since[i as usize]
                        .is_some_and(|since| now_s - since >= self.detection_delay_s)
            })
            .count() as u32
    }

    /// Instances among the first `instances` down now.
    pub(super) fn down_below(&self, instances: u32) -> u32 {
        self.down_order.iter().filter(|&&i| i < instances).count() as u32
    }

    /// Whether instance `i` is down now.
    pub(super) fn is_down(&self, i: u32) -> bool {
        self.down_since.get(i as usize).is_some_and(Option::is_some)
    }

    /// Server-seconds down over the whole run up to `now_s` (warm-up included).
    pub(super) fn down_server_total_s(&self, now_s: f64) -> f64 {
        self.down_server_total_s
            + f64::from(self.servers_down) * (now_s - self.servers_down_since_s).max(0.0)
    }

    fn routable(&self, i: usize, now_s: f64) -> bool {
        match self.down_since[i] {
            None => true,
            Some(since) => now_s - since < self.detection_delay_s,
        }
    }

    /// Instances among the first `instances` the balancers in front route to now.
    pub(super) fn routed_to(&self, instances: u32, now_s: f64) -> u32 {
        instances.saturating_sub(self.noticed(instances, now_s))
    }

    /// Servers of instances down change by `delta` now (for the utilization's denominator).
    pub(super) fn servers_down_changed(&mut self, delta: i64, now_s: f64, warmup_s: f64) {
        self.down_server_total_s = self.down_server_total_s(now_s);
        if now_s > warmup_s {
            self.down_server_area_s +=
                f64::from(self.servers_down) * (now_s - self.servers_down_since_s.max(warmup_s));
        }
        self.servers_down_since_s = now_s;
        self.servers_down = self.servers_down.saturating_add_signed(delta as i32);
    }

    /// Close the unavailable server time at the end of the run.
    pub(super) fn close(&mut self, now_s: f64, warmup_s: f64) {
        self.servers_down_changed(0, now_s, warmup_s);
    }

    /// Instances down now (databases: machines).
    pub(super) fn down_count(&self) -> u32 {
        match &self.database {
            Some(st) => database::down_count(st),
            None => self.down_order.len() as u32,
        }
    }
}

/// The chance that a request served by a server keeping sessions in memory is answered
/// with an error (see the module's doc), if the server does.
pub(super) fn session_error_chance(node: &NodePlan, run: &NodeRun, now_s: f64) -> Option<f64> {
    let KindPlan::Server(p) = &node.kind else {
        return None;
    };
    if !p.stateful {
        return None;
    }
    if node.spread == Spread::Sticky {
        let (share, until_s) = run.health.as_ref().map_or((0.0, 0.0), |h| h.session_loss);
        return (now_s < until_s && share > 0.0).then_some(share);
    }
    let routed_to = run
        .health
        .as_ref()
        .map_or(run.active, |h| h.routed_to(run.active, now_s));
    (routed_to > 1).then(|| 1.0 - 1.0 / f64::from(routed_to))
}

impl Engine<'_> {
    /// Schedule the scenario's failures and the first random failure of each component.
    pub(super) fn schedule_failures(&mut self) {
        let tick_s = self.plan.tick_s;
        for (index, event) in self.plan.events.iter().enumerate() {
            self.schedule(
                event.tick as f64 * tick_s,
                What::Scheduled {
                    index: index as u32,
                },
            );
        }
        for node in 0..self.nodes.len() as u32 {
            self.draw_next_failure(node);
        }
    }

    /// Machines of `node` up now.
    fn machines_up(&self, node: u32) -> u32 {
        let plan = &self.plan.nodes[node as usize];
        let machines = match &plan.kind {
            KindPlan::Database(d) => d.total_instances(),
            _ => plan.instances,
        };
        let run = &self.nodes[node as usize];
        match &plan.kind {
            KindPlan::Database(_) => {
                machines.saturating_sub(run.health.as_ref().map_or(0, |h| h.down_count()))
            }
            // Parked instances (an autoscaled tier's not in service) do not fail.
            _ => run
                .active
                .saturating_sub(run.health.as_ref().map_or(0, |h| h.down_below(run.active))),
        }
    }

    /// Draw `node`'s next random failure from now (its machines up have changed).
    pub(super) fn draw_next_failure(&mut self, node: u32) {
        let up = self.machines_up(node);
        let now_s = self.now_s;
        let Some(clock) = self.nodes[node as usize]
            .health
            .as_mut()
            .and_then(|h| h.clock.as_mut())
        else {
            return;
        };
        clock.generation = clock.generation.wrapping_add(1);
        if up == 0 || clock.fail_per_s <= 0.0 {
            return;
        }
        let unit: f64 = Exp1.sample(&mut clock.rng);
        let at_s = now_s + unit / (clock.fail_per_s * f64::from(up));
        let generation = clock.generation;
        if at_s.is_finite() {
            self.schedule(at_s, What::RandomFailure { node, generation });
        }
    }

    /// A scheduled failure or repair comes due.
    pub(super) fn scheduled(&mut self, index: u32) {
        let Some(event) = self.plan.events.get(index as usize).copied() else {
            return;
        };
        if event.recover {
            self.recover_machines(event.node, None, event.instances);
        } else {
            self.fail_machines(event.node, None, event.instances);
        }
        self.draw_next_failure(event.node);
    }

    /// A random failure comes due, unless the machines up changed since it was drawn.
    pub(super) fn random_failure(&mut self, node: u32, generation: u32) {
        let Some(clock) = self.nodes[node as usize]
            .health
            .as_mut()
            .and_then(|h| h.clock.as_mut())
        else {
            return;
        };
        if clock.generation != generation {
            return;
        }
        let repair_unit: f64 = Exp1.sample(&mut clock.rng);
        let repair_in_s = repair_unit / clock.repair_per_s;
        // A database's failure hits a shard in proportion to its machines up.
        let group = match (
            &self.plan.nodes[node as usize].kind,
            &self.nodes[node as usize].health,
        ) {
            (KindPlan::Database(d), Some(h)) => {
                let per_shard = d.copies + u32::from(d.standby);
                let ups: Vec<u32> = h
                    .database
                    .as_ref()
                    .map(|st| {
                        database::shard_down_counts(st)
                            .map(|down| per_shard.saturating_sub(down))
                            .collect()
                    })
                    .unwrap_or_default();
                let total: u32 = ups.iter().sum();
                let Some(clock) = self.nodes[node as usize]
                    .health
                    .as_mut()
                    .and_then(|h| h.clock.as_mut())
                else {
                    return;
                };
                let mut at = if total > 0 {
                    clock.rng.random_range(0..total)
                } else {
                    0
                };
                ups.iter()
                    .position(|&u| {
                        if at < u {
                            true
                        } else {
                            at -= u;
                            false
                        }
                    })
                    .map(|g| g as u32)
            }
            _ => None,
        };
        if self.fail_machines(node, group, 1) > 0 {
            self.schedule(
                self.now_s + repair_in_s,
                What::Repair {
                    node,
                    group: group.unwrap_or(u32::MAX),
                },
            );
        }
        self.draw_next_failure(node);
    }

    /// A randomly failed machine is repaired.
    pub(super) fn repair(&mut self, node: u32, group: u32) {
        let group = (group != u32::MAX).then_some(group);
        self.recover_machines(node, group, 1);
        self.draw_next_failure(node);
    }

    /// Fail `k` instances of `node` (`u32::MAX`: all; a database's: of shard `group` when
    /// given). Returns how many went down.
    fn fail_machines(&mut self, node: u32, group: Option<u32>, k: u32) -> u32 {
        let now_s = self.now_s;
        let plan = &self.plan.nodes[node as usize];
        if let KindPlan::Database(d) = &plan.kind {
            let failed = {
                let run = &mut self.nodes[node as usize];
                let Some(h) = run.health.as_mut() else {
                    return 0;
                };
                let Some(st) = h.database.as_mut() else {
                    return 0;
                };
                match group {
                    Some(j) => match h.clock.as_mut() {
                        Some(clock) => {
                            database::fail_shard(d, st, j as usize, k, now_s, &mut clock.rng)
                        }
                        None => 0,
                    },
                    None => database::fail(d, st, k, now_s),
                }
            };
            self.reconcile_database(node, d);
            return failed;
        }
        let Some(h) = self.nodes[node as usize].health.as_ref() else {
            return 0;
        };
        // Of the instances in service (an autoscaled tier's parked ones do not fail).
        let active = self.nodes[node as usize].active;
        let up: Vec<u32> = (0..(h.down_since.len() as u32).min(active))
            .filter(|&i| h.down_since[i as usize].is_none())
            .take(k as usize)
            .collect();
        let healthy_before = active.saturating_sub(h.down_below(active));
        for &i in &up {
            self.fail_instance(node, i);
        }
        let failed = up.len() as u32;
        // Users pinned to the failed instances of a sticky server with sessions in memory
        // lose their sessions: their next requests fail.
        if failed > 0
            && plan.spread == Spread::Sticky
            && matches!(&plan.kind, KindPlan::Server(p) if p.stateful)
            && healthy_before > 0
        {
            let run = &self.nodes[node as usize];
            let rate_per_s = if now_s > 0.0 {
                run.totals.0 as f64 / now_s
            } else {
                0.0
            };
            let think_s = if rate_per_s > 0.0 {
                plan.users_upstream / rate_per_s
            } else {
                0.0
            };
            let share = (f64::from(failed) / f64::from(healthy_before)).min(1.0);
            let until_s = now_s + plan.detection_delay_s.min(3600.0) + think_s.min(3600.0);
            if let Some(h) = self.nodes[node as usize].health.as_mut() {
                h.session_loss = (share, until_s);
            }
        }
        failed
    }

    /// Whether `node`'s instances share one queue (a pooled group of several, or a message
    /// queue's brokers): an instance's failure takes servers from it, not a queue of its own.
    fn pooled(&self, node: u32) -> bool {
        let run = &self.nodes[node as usize];
        run.queues.len() <= 1 && run.health.as_ref().is_some_and(|h| h.down_since.len() > 1)
            || matches!(run.model, Model::MessageQueue(_))
    }

    /// Instance `i` of `node` goes down: what it holds fails.
    fn fail_instance(&mut self, node: u32, i: u32) {
        let (now_s, warmup_s) = (self.now_s, self.warmup_s);
        let pooled = self.pooled(node);
        let servers = {
            let Some(h) = self.nodes[node as usize].health.as_mut() else {
                return;
            };
            h.down_since[i as usize] = Some(now_s);
            h.down_order.push_back(i);
            let s = h.servers_per_instance;
            h.servers_down_changed(i64::from(s), now_s, warmup_s);
            s
        };
        if pooled {
            // One queue for all instances: the group loses this instance's servers, idle
            // ones at once, busy ones as their requests end (those requests are lost).
            let q = &mut self.nodes[node as usize].queues[0];
            let idle = q.idle_servers.min(servers);
            q.idle_servers -= idle;
            let active = self.nodes[node as usize].active;
            let all_down = match self.nodes[node as usize].health.as_mut() {
                Some(h) => {
                    h.retire += servers - idle;
                    // (Of the instances in service: an autoscaled tier's parked ones serve
                    // nothing.)
                    h.down_below(active) >= active.min(h.down_since.len() as u32)
                }
                None => false,
            };
            // With every instance down, what waits has no server to wait for: it fails.
            if all_down {
                let is_queue = matches!(self.nodes[node as usize].model, Model::MessageQueue(_));
                let waiting: Vec<(u32, f64)> = self.nodes[node as usize].queues[0]
                    .waiting
                    .drain(..)
                    .collect();
                for (id, _) in waiting {
                    if !is_queue {
                        self.waiting_changed(node, -1);
                    }
                    self.timed_out(node, id);
                }
            }
            return;
        }
        let Some(q) = self.nodes[node as usize].queues.get_mut(i as usize) else {
            return;
        };
        q.epoch = q.epoch.wrapping_add(1);
        q.idle_servers = 0;
        let waiting: Vec<(u32, f64)> = q.waiting.drain(..).collect();
        for (id, _) in waiting {
            self.waiting_changed(node, -1);
            self.timed_out(node, id);
        }
    }

    /// Repair `k` instances of `node` (`u32::MAX`: all; a database's: of shard `group` when
    /// given), the longest down first.
    fn recover_machines(&mut self, node: u32, group: Option<u32>, k: u32) -> u32 {
        let plan = &self.plan.nodes[node as usize];
        if let KindPlan::Database(d) = &plan.kind {
            let repaired = {
                let Some(st) = self.nodes[node as usize]
                    .health
                    .as_mut()
                    .and_then(|h| h.database.as_mut())
                else {
                    return 0;
                };
                match group {
                    Some(j) => database::recover_shard(d, st, j as usize, k),
                    None => database::recover(d, st, k),
                }
            };
            self.reconcile_database(node, d);
            return repaired;
        }
        let mut repaired = 0;
        while repaired < k {
            let Some(i) = self.nodes[node as usize]
                .health
                .as_mut()
                .and_then(|h| h.down_order.pop_front())
            else {
                break;
            };
            self.recover_instance(node, i);
            repaired += 1;
        }
        repaired
    }

    /// Instance `i` of `node` comes back (a cache cold), and its servers take what waits.
    fn recover_instance(&mut self, node: u32, i: u32) {
        let (now_s, warmup_s) = (self.now_s, self.warmup_s);
        let pooled = self.pooled(node);
        let parked = i >= self.nodes[node as usize].active;
        let (queue, mut servers) = {
            let Some(h) = self.nodes[node as usize].health.as_mut() else {
                return;
            };
            h.down_since[i as usize] = None;
            h.restarted_s[i as usize] = now_s;
            let s = h.servers_per_instance;
            // A parked instance's servers left the count of those down when it was parked
            // (they are counted as parked instead).
            if !parked {
                h.servers_down_changed(-i64::from(s), now_s, warmup_s);
            }
            if pooled && parked {
                // Parked by an autoscaler while down: its servers join the group when it is
                // put in service again (see `scaling`).
                return;
            }
            if pooled {
                // Servers still owed to the failure need not be retired now.
                let kept = h.retire.min(s);
                h.retire -= kept;
                (0, s - kept)
            } else {
                (i, s)
            }
        };
        if !pooled && let Some(q) = self.nodes[node as usize].queues.get_mut(queue as usize) {
            q.idle_servers = 0;
        }
        // Each server back takes the next request waiting (or goes idle).
        while servers > 0 {
            servers -= 1;
            let Some(q) = self.nodes[node as usize].queues.get_mut(queue as usize) else {
                return;
            };
            if q.waiting.is_empty() {
                q.idle_servers += 1 + servers;
                return;
            }
            self.next_from_queue(node, queue);
            // next_from_queue either started a request on this server or left it idle.
        }
    }

    /// Whether a request finishing at `queue` of `node` is lost with a failed instance: its
    /// queue's epoch moved on (the instance failed while it was served), or a pooled group
    /// still has servers of failed instances to retire.
    pub(super) fn lost_in_service(&mut self, node: u32, queue: u32, epoch: u16) -> bool {
        let run = &mut self.nodes[node as usize];
        let Some(h) = run.health.as_mut() else {
            return false;
        };
        if h.retire > 0 {
            h.retire -= 1;
            return true;
        }
        run.queues
            .get(queue as usize)
            .is_some_and(|q| q.epoch != epoch)
    }

    /// Request `id` arrives at a station with instances down: to an instance routed to, or
    /// it fails where the balancer still sends it to a dead one (a cache's key passes on).
    #[cold]
    pub(super) fn arrive_with_failures(&mut self, id: u32, node: u32, spread: Spread) {
        let cache = matches!(
            self.nodes[node as usize].model,
            Model::Station {
                answer: super::Answer::Cache { .. },
                ..
            }
        );
        match self.route_with_failures(node, spread, cache) {
            Route::Dead => self.timed_out(node, id),
            Route::Bypass => {
                let class = self.requests[id as usize].class;
                if class == crate::model::TrafficClass::Session.index() as u8 {
                    // A session kept on the dead instance: looked up in the store behind,
                    // if there is one (the flow engine's bypass), else lost.
                    self.split(id, node, class);
                } else {
                    self.forward(id, node, class);
                }
            }
            Route::Instance(i) => {
                let queue = if self.nodes[node as usize].queues.len() <= 1 {
                    0
                } else {
                    i
                };
                self.join(id, node, queue);
            }
        }
    }

    /// Where a request arriving at a station with instances down goes (`spread` as the
    /// station spreads requests; `cache`: keys on dead instances bypass it).
    fn route_with_failures(&mut self, node: u32, spread: Spread, cache: bool) -> Route {
        let now_s = self.now_s;
        let run = &mut self.nodes[node as usize];
        let Some(h) = run.health.as_ref() else {
            return Route::Instance(0);
        };
        // Instances in service: an autoscaled tier's parked ones take nothing.
        let n = (h.down_since.len() as u32).min(run.active);
        if n == 0 {
            return Route::Dead;
        }
        if cache {
            let i = self.rng.random_range(0..n);
            return if h.down_since[i as usize].is_some() {
                Route::Bypass
            } else {
                Route::Instance(i)
            };
        }
        let routed_to = h.routed_to(n, now_s);
        if routed_to == 0 {
            return Route::Dead;
        }
        let i = if spread == Spread::RoundRobin {
            let mut i = run.next_instance % n;
            for _ in 0..n {
                if h.routable(i as usize, now_s) {
                    break;
                }
                i = (i + 1) % n;
            }
            run.next_instance = (i + 1) % n;
            i
        } else {
            // Uniform over the instances routed to: by rejection while they are most, else
            // the k-th of them.
            let mut found = None;
            for _ in 0..32 {
                let i = self.rng.random_range(0..n);
                if h.routable(i as usize, now_s) {
                    found = Some(i);
                    break;
                }
            }
            match found {
                Some(i) => i,
                None => {
                    let mut k = self.rng.random_range(0..routed_to);
                    (0..n)
                        .find(|&i| {
                            if h.routable(i as usize, now_s) {
                                if k == 0 {
                                    return true;
                                }
                                k -= 1;
                            }
                            false
                        })
                        .unwrap_or(0)
                }
            }
        };
        if h.down_since[i as usize].is_some() {
            Route::Dead
        } else {
            Route::Instance(i)
        }
    }

    /// Bring a database's copies in line with its shards' health: a copy whose machine
    /// failed stops (what it holds fails), a copy back starts; the copy taking writes is the
    /// primary, or after the failover time a promoted one. Also schedules the failover.
    pub(super) fn reconcile_database(&mut self, node: u32, plan: &DatabasePlan) {
        let now_s = self.now_s;
        let shards = match &self.nodes[node as usize].model {
            Model::Database(db) => db.shards.len(),
            _ => return,
        };
        for j in 0..shards {
            // The shard's health as the flow engine keeps it: copies serving, and whether
            // one takes writes.
            let (serving, writing, failover_at, primary_down_since) = {
                let Some(st) = self.nodes[node as usize]
                    .health
                    .as_mut()
                    .and_then(|h| h.database.as_mut())
                else {
                    return;
                };
                let KindState::Database(db) = &mut st.kind else {
                    return;
                };
                let Some(shard) = db.shards.get_mut(j) else {
                    continue;
                };
                // After the failover time, a live standby takes over as primary.
                if let Some(since) = shard.primary_down_since
                    && plan.standby
                    && !shard.standby_down
                    && !shard.standby_promoted
                    && now_s - since >= plan.failover_s
                {
                    shard.standby_promoted = true;
                }
                let serving = shard.serving_copies(plan);
                let writable = shard.writable(plan, now_s);
                let primary_down_since = shard.primary_down_since;
                let primary_up = shard.primary_down_since.is_none() || writable;
                let failover_at = shard
                    .primary_down_since
                    .filter(|&since| !writable && now_s - since < plan.failover_s)
                    .map(|since| since + plan.failover_s);
                (
                    serving,
                    primary_up && serving > 0,
                    failover_at,
                    primary_down_since,
                )
            };
            let lost = {
                let Model::Database(db) = &mut self.nodes[node as usize].model else {
                    return;
                };
                let servers = db.servers_per_copy;
                let sh = &mut db.shards[j];
                let mut lost: Vec<u32> = Vec::new();
                let stop = |sh: &mut super::Shard, c: usize, lost: &mut Vec<u32>| {
                    sh.active[c] = false;
                    sh.epoch[c] = sh.epoch[c].wrapping_add(1);
                    sh.idle[c] = 0;
                    lost.extend(sh.pinned[c].drain(..).map(|(id, _)| id));
                };
                // The primary failed: its copy stops (a fresh failure stops it even where a
                // failover of no time has already found the shard a new primary).
                let fresh =
                    primary_down_since.is_some() && primary_down_since != sh.primary_down_seen;
                sh.primary_down_seen = primary_down_since;
                if (!writing || fresh)
                    && let Some(w) = sh.writer.take()
                {
                    stop(sh, w, &mut lost);
                }
                let mut active = sh.active.iter().filter(|&&a| a).count() as u32;
                while active > serving {
                    let c = (0..sh.active.len())
                        .rev()
                        .find(|&c| sh.active[c] && Some(c) != sh.writer)
                        .or(sh.writer);
                    let Some(c) = c else { break };
                    if Some(c) == sh.writer {
                        sh.writer = None;
                    }
                    stop(sh, c, &mut lost);
                    active -= 1;
                }
                let mut started = Vec::new();
                while active < serving {
                    let Some(c) = (0..sh.active.len()).find(|&c| !sh.active[c]) else {
                        break;
                    };
                    sh.active[c] = true;
                    started.push(c);
                    active += 1;
                }
                if writing && sh.writer.is_none() {
                    sh.writer = (0..sh.active.len()).find(|&c| sh.active[c]);
                }
                if active == 0 {
                    lost.extend(sh.reads.drain(..).map(|(id, _)| id));
                }
                (lost, started, servers)
            };
            let (lost, started, servers) = lost;
            for id in lost {
                if id != super::APPLY {
                    self.waiting_changed(node, -1);
                    self.timed_out(node, id);
                }
            }
            for c in started {
                for _ in 0..servers {
                    if let Model::Database(db) = &mut self.nodes[node as usize].model {
                        db.shards[j].idle[c] += 1;
                    }
                    self.next_at_database(node, j, c);
                }
            }
            if let Some(at_s) = failover_at {
                // Just after, so that the elapsed time is past the failover time whatever
                // the rounding (and never at the same instant again, however late the run).
                let at_s = (at_s + 1e-9).max(now_s.next_up());
                self.schedule(at_s, What::Failover { node });
            }
        }
    }

    /// A shard's failover time has passed: a copy or the standby may take the writes.
    pub(super) fn failover(&mut self, node: u32) {
        if let KindPlan::Database(d) = &self.plan.nodes[node as usize].kind {
            self.reconcile_database(node, d);
        }
    }
}
