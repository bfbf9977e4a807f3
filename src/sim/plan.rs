//! Compiling a design and a scenario into a plan: dense arrays in processing order, with every
//! parameter turned into rates, servers and shares, so that a tick touches no strings, no maps
//! and no graph structure.

use std::collections::{BTreeSet, HashMap};

use crate::model::{
    BalancingAlgorithm, ComponentId, ComponentKind, Design, KindName, PriceTable, Scenario,
    TrafficClass,
};

use super::SimError;
use super::kinds;
use super::queueing::usl_effective;

/// How a node passes on the requests it has served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Forwarding {
    /// One of the links that carry the class, by the links' weights (clients, caches, CDNs,
    /// queues).
    Split,
    /// One of the targets, by link weight × routable instances (× capacity for least loaded).
    Balance,
    /// Every link that carries the class, `calls_per_request` times (servers).
    FanOut,
    /// Nowhere (databases).
    Terminal,
}

/// How arrivals reach the instances of a group, which decides its queueing model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Spread {
    /// One pooled queue in front of all instances (one instance, or least-loaded balancing).
    Pooled,
    /// Each instance in turn: each sees smoother arrivals (SCV divided by the instance count).
    RoundRobin,
    /// A random instance each time, or no balancer at all (DNS): independent queues.
    Random,
    /// Users pinned to instances: independent queues with uneven shares.
    Sticky,
}

/// A parallel service station of one instance: `servers` servers of rate `rate_per_server_s`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Station {
    pub servers: u32,
    pub rate_per_server_s: f64,
    /// What one request's service takes on average, the latency it sees at low load: a
    /// server's `1 / rate_per_server_s` for cores; the configured latency for a device given
    /// by its capacity and latency (see `from_capacity`).
    pub service_mean_s: f64,
    pub service_scv: f64,
    /// Requests that would wait longer than this are dropped.
    pub timeout_s: f64,
}

impl Station {
    /// A station that passes `capacity_per_s` requests per second taking `latency_s` each:
    /// as many servers as that takes (at least one), each at `capacity / servers`, so that it
    /// queues as a device of that capacity does. A request's service is the latency itself:
    /// with capacity × latency not a whole number the servers each take a little longer than
    /// it (1,000/s at 0.5 ms is one server of 1 ms), which would otherwise show as latency
    /// at no load.
    pub fn from_capacity(
        capacity_per_s: f64,
        latency_s: f64,
        service_scv: f64,
        timeout_s: f64,
    ) -> Self {
        let servers = (capacity_per_s * latency_s).ceil().clamp(1.0, 1e6) as u32;
        Self {
            servers,
            rate_per_server_s: capacity_per_s / f64::from(servers),
            service_mean_s: latency_s,
            service_scv,
            timeout_s,
        }
    }

    /// An instance with `effective_cores` (the USL's, usually fractional) serving requests
    /// of `service_s` on one core: `ceil(effective)` servers whose rates add up to
    /// `effective / service_s`.
    pub fn from_effective_cores(
        effective_cores: f64,
        service_s: f64,
        service_scv: f64,
        timeout_s: f64,
    ) -> Self {
        let servers = effective_cores.ceil().clamp(1.0, 1e6) as u32;
        let rate_per_server_s = effective_cores / (f64::from(servers) * service_s);
        Self {
            servers,
            rate_per_server_s,
            service_mean_s: 1.0 / rate_per_server_s,
            service_scv,
            timeout_s,
        }
    }

    /// Requests per second one instance can serve.
    pub fn capacity_per_s(&self) -> f64 {
        f64::from(self.servers) * self.rate_per_server_s
    }
}

/// One entry of a route: a link a class can take.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RouteEntry {
    pub target: u32,
    /// The target's channel for the class this entry carries.
    pub channel: u32,
    /// The link's weight (splits) — normalised per class at plan time for static splits.
    pub weight: f64,
    pub calls: f64,
    /// The sender's channel whose requests go down this entry (`u32::MAX` for a class that
    /// never reaches the sender).
    pub from_channel: u32,
    /// Handed on whole, as `Plan::direct` does: the target gets what the sender passed on
    /// (otherwise a route op records what it handed over).
    pub direct: bool,
    /// The target steps before the sender (an async link closing a loop): what the sender
    /// hands over arrives on the next tick.
    pub backward: bool,
    /// The link's retry policy: an index into `Plan::retry_links`, or `NO_RETRY`. The
    /// entries of one link (one per class it carries) share it, and its budget.
    pub retry: u32,
    /// The link's circuit breaker: an index into `Plan::breaker_links`, or `NO_RETRY` (none).
    /// The entries of one link share it.
    pub breaker: u32,
}

/// A route entry's `retry` when its link has no retry policy.
pub(crate) const NO_RETRY: u32 = u32::MAX;

/// A link with a circuit breaker.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct BreakerLink {
    pub breaker: crate::model::CircuitBreaker,
    /// The link in the design.
    pub link: crate::model::LinkId,
    /// The sender's position in the plan.
    pub from: u32,
}

/// A link with a retry policy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RetryLink {
    pub policy: crate::model::RetryPolicy,
    /// The sender's position in the plan.
    pub from: u32,
    /// The target's position in the plan.
    pub to: u32,
}

/// One step of passing a node's output on, compiled from its links (whole channels handed on
/// go to `Plan::direct` instead).
///
/// Every hand-off adds to the target channel's `incoming`, which the target takes when it
/// next steps: within the tick when the target comes later in the processing order, on the
/// next tick when it came earlier (an async link that closes a loop, the only backward link
/// validation allows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RouteOp {
    /// A server calls route entry `entry` `calls_per_request` times per request in `from`
    /// (session lookups included).
    Scaled { from: u32, entry: u32 },
    /// Channel `from` splits over route entries `start..end` by this tick's weights.
    Split { from: u32, start: u32, end: u32 },
}

/// The per-kind parameters a tick needs.
#[derive(Clone, Debug)]
pub(crate) enum KindPlan {
    Client(kinds::client::ClientPlan),
    LoadBalancer(kinds::load_balancer::BalancerPlan),
    Server(kinds::server::ServerPlan),
    Cache(kinds::cache::CachePlan),
    Database(Box<kinds::database::DatabasePlan>),
    MessageQueue(kinds::message_queue::QueuePlan),
    Cdn(kinds::cdn::CdnPlan),
}

/// A node of the plan.
#[derive(Clone, Debug)]
pub(crate) struct NodePlan {
    pub id: ComponentId,
    pub name: String,
    pub kind_name: KindName,
    pub kind: KindPlan,
    pub instances: u32,
    pub forwarding: Forwarding,
    /// The node's channels: a range of `Plan::channel_class`, one per class in `in_mask`.
    pub channels: (u32, u32),
    /// Per class: the node's channel for it, or `u32::MAX` if the class cannot reach it.
    pub class_channel: [u32; TrafficClass::COUNT],
    /// Per class: the range of `Plan::routes` this class may take.
    pub routes: [(u32, u32); TrafficClass::COUNT],
    /// Servers, per class: the session-store lookups each request of the class makes (a
    /// range of `Plan::routes`, whose entries carry class Session).
    pub session_routes: [(u32, u32); TrafficClass::COUNT],
    /// How the node passes its output on: the range of `Plan::direct` (whole channels passed
    /// on, the common case, kept apart so it runs as a tight loop), then the range of
    /// `Plan::ops` (everything else).
    pub direct: (u32, u32),
    pub ops: (u32, u32),
    pub spread: Spread,
    /// Seconds until the balancers in front stop routing to a dead instance (infinite when
    /// nothing health-checks this group).
    pub detection_delay_s: f64,
    /// Squared coefficient of variation of arrivals into the group.
    pub arrival_scv: f64,
    /// Users whose requests reach this node (for sticky-session imbalance).
    pub users_upstream: f64,
    /// Per-instance reliability (MTBF and MTTR), if the kind fails.
    pub reliability: Option<crate::model::Reliability>,
}

/// A failure or recovery at a tick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct FailureEvent {
    pub tick: u64,
    pub node: u32,
    /// Instances affected; `u32::MAX` means all of them.
    pub instances: u32,
    pub recover: bool,
}

/// Everything a run needs, compiled.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub nodes: Vec<NodePlan>,
    /// Positions of the clients, and of the message queues.
    pub clients: Vec<u32>,
    pub queues: Vec<u32>,
    pub routes: Vec<RouteEntry>,
    /// The links with a retry policy (route entries point here by `RouteEntry::retry`).
    pub retry_links: Vec<RetryLink>,
    /// The links with a circuit breaker (route entries point here by `RouteEntry::breaker`).
    pub breaker_links: Vec<BreakerLink>,
    pub ops: Vec<RouteOp>,
    /// Pairs (from channel, to channel) passed on whole (see [`RouteOp`] for when they arrive).
    pub direct: Vec<(u32, u32)>,
    /// The class of each channel.
    pub channel_class: Vec<u8>,
    /// Channels that links closing a loop hand requests to (they arrive on the next tick), and
    /// the route entries of those links.
    pub loop_channels: Vec<u32>,
    pub loop_entries: Vec<u32>,
    /// Per channel: the range of `in_entries` that holds the route entries into it.
    pub channel_in: Vec<(u32, u32)>,
    pub in_entries: Vec<u32>,
    /// Node position in the plan by design id.
    pub index_of: HashMap<ComponentId, u32>,
    pub events: Vec<FailureEvent>,
    pub tick_s: f64,
    pub ticks: u64,
    pub warmup_ticks: u64,
    pub load_multiplier: f64,
    pub profile: crate::model::TrafficProfile,
    pub random_failures: bool,
    pub caches_start_cold: bool,
}

/// The warm-up left out of run means when the scenario names none: a tenth of the run, at
/// least ten ticks and at least the slowest cache warm-up, never more than half the run.
pub(crate) fn default_warmup_s(design: &Design, scenario: &Scenario, duration_s: f64) -> f64 {
    let cache_warmup = design
        .components()
        .filter_map(|(_, c)| match &c.kind {
            ComponentKind::Cache(p) => Some(p.warmup_s),
            _ => None,
        })
        .fold(0.0, f64::max);
    let tenth = 0.1 * duration_s;
    tenth
        .max(10.0 * scenario.tick_s)
        .max(if scenario.caches_start_cold {
            cache_warmup
        } else {
            0.0
        })
        .min(0.5 * duration_s)
}

impl Plan {
    /// Compile a validated design. Fails on designs validation would refuse.
    /// `ticks` overrides the scenario's run length (and with it the default warm-up).
    pub fn compile(
        design: &Design,
        scenario: &Scenario,
        prices: &PriceTable,
        ticks: Option<u64>,
    ) -> Result<Self, SimError> {
        let errors: Vec<_> = crate::model::validate(design, prices)
            .into_iter()
            .filter(|i| i.severity == crate::model::Severity::Error)
            .collect();
        if !errors.is_empty() {
            return Err(SimError::InvalidDesign(errors));
        }
        let order = processing_order(design);
        let index_of: HashMap<ComponentId, u32> = order
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i as u32))
            .collect();

        // Which classes can reach each node, and so its channels.
        let masks: Vec<u8> = order.iter().map(|&id| in_mask_of(design, id)).collect();
        let mut class_channels = Vec::with_capacity(order.len());
        let mut channel_ranges = Vec::with_capacity(order.len());
        let mut channel_class = Vec::new();
        for &mask in &masks {
            let start = channel_class.len() as u32;
            let mut slots = [u32::MAX; TrafficClass::COUNT];
            for (k, slot) in slots.iter_mut().enumerate() {
                if mask & (1 << k) != 0 {
                    *slot = channel_class.len() as u32;
                    channel_class.push(k as u8);
                }
            }
            class_channels.push(slots);
            channel_ranges.push((start, channel_class.len() as u32));
        }
        let users_upstream = users_upstream(design);
        let mut nodes = Vec::with_capacity(order.len());
        let mut routes = Vec::new();
        let mut retry_links: Vec<RetryLink> = Vec::new();
        let mut retry_of: HashMap<crate::model::LinkId, u32> = HashMap::new();
        let mut breaker_links: Vec<BreakerLink> = Vec::new();
        let mut breaker_of: HashMap<crate::model::LinkId, u32> = HashMap::new();
        let mut ops = Vec::new();
        let mut direct = Vec::new();
        for (position, &id) in order.iter().enumerate() {
            let Some(component) = design.component(id) else {
                continue;
            };
            let kind_name = component.kind.name();
            let kind = match &component.kind {
                ComponentKind::Client(p) => KindPlan::Client(kinds::client::plan(p)),
                ComponentKind::LoadBalancer(p) => {
                    KindPlan::LoadBalancer(kinds::load_balancer::plan(p))
                }
                ComponentKind::Server(p) => {
                    let size = prices
                        .size(&p.size)
                        .ok_or_else(|| SimError::UnknownSize(p.size.clone()))?;
                    KindPlan::Server(kinds::server::plan(p, size.vcpu))
                }
                ComponentKind::Cache(p) => KindPlan::Cache(kinds::cache::plan(p)),
                ComponentKind::Database(p) => {
                    let size = prices
                        .size(&p.size)
                        .ok_or_else(|| SimError::UnknownSize(p.size.clone()))?;
                    KindPlan::Database(Box::new(kinds::database::plan(p, size.vcpu)))
                }
                ComponentKind::MessageQueue(p) => {
                    KindPlan::MessageQueue(kinds::message_queue::plan(p))
                }
                ComponentKind::Cdn(p) => KindPlan::Cdn(kinds::cdn::plan(p)),
            };
            let instances = match &kind {
                KindPlan::Database(d) => d.total_instances(),
                // An autoscaled tier's machines are the most it may run (those it does not
                // run are parked: see `autoscale`).
                KindPlan::Server(p) => p.autoscale.map_or(p.start_instances, |a| a.max_instances),
                _ => component.kind.instances(),
            };
            let forwarding = match kind_name {
                KindName::Client | KindName::Cache | KindName::Cdn | KindName::MessageQueue => {
                    Forwarding::Split
                }
                KindName::LoadBalancer => Forwarding::Balance,
                KindName::Server => Forwarding::FanOut,
                KindName::Database => Forwarding::Terminal,
            };
            let mut class_routes = [(0u32, 0u32); TrafficClass::COUNT];
            for class in TrafficClass::ALL {
                let start = routes.len() as u32;
                for (link_id, target, link) in design.outgoing(id) {
                    if link.carries(class) {
                        let target = index_of[&target];
                        let retry = match link.retry {
                            Some(policy) => *retry_of.entry(link_id).or_insert_with(|| {
                                retry_links.push(RetryLink {
                                    policy,
                                    from: position as u32,
                                    to: target,
                                });
                                (retry_links.len() - 1) as u32
                            }),
                            None => NO_RETRY,
                        };
                        let breaker = match link.breaker {
                            Some(breaker) => *breaker_of.entry(link_id).or_insert_with(|| {
                                breaker_links.push(BreakerLink {
                                    breaker,
                                    link: link_id,
                                    from: position as u32,
                                });
                                (breaker_links.len() - 1) as u32
                            }),
                            None => NO_RETRY,
                        };
                        routes.push(RouteEntry {
                            retry,
                            breaker,
                            target,
                            channel: class_channels[target as usize][class.index()],
                            weight: link.weight,
                            calls: link.calls_per_request,
                            from_channel: class_channels[position][class.index()],
                            direct: false,
                            backward: target as usize <= position,
                        });
                    }
                }
                let end = routes.len() as u32;
                // Deterministic order of links: by target position.
                routes[start as usize..end as usize].sort_by_key(|r| r.target);
                if forwarding == Forwarding::Split {
                    let sum: f64 = routes[start as usize..end as usize]
                        .iter()
                        .map(|r| r.weight)
                        .sum();
                    for r in &mut routes[start as usize..end as usize] {
                        r.weight /= sum;
                    }
                }
                class_routes[class.index()] = (start, end);
            }
            // Session lookups are made by servers for every request they pass on, whatever
            // its class: each class gets its own entries down the `Session` links (so that what
            // waits at the store belongs to the class that asked). Requests of class Session
            // that reach a server are not forwarded further.
            let mut session_routes = [(0u32, 0u32); TrafficClass::COUNT];
            if kind_name == KindName::Server {
                let session = TrafficClass::Session.index();
                let (a, b) = class_routes[session];
                class_routes[session] = (a, a);
                // The Session class comes last, so its entries are the last ones pushed.
                let links: Vec<RouteEntry> = routes.drain(a as usize..b as usize).collect();
                for k in 0..TrafficClass::COUNT {
                    let own = class_channels[position][k];
                    if k == session || own == u32::MAX {
                        continue;
                    }
                    let start = routes.len() as u32;
                    for link in &links {
                        routes.push(RouteEntry {
                            from_channel: own,
                            ..*link
                        });
                    }
                    session_routes[k] = (start, routes.len() as u32);
                }
            }

            let balancers: Vec<_> = design
                .incoming(id)
                .filter_map(|(_, source, _)| match &design.component(source)?.kind {
                    ComponentKind::LoadBalancer(p) => Some(p.clone()),
                    _ => None,
                })
                .collect();
            let others_in = design
                .incoming(id)
                .filter(|(_, s, _)| {
                    design
                        .component(*s)
                        .is_some_and(|c| c.kind.name() != KindName::LoadBalancer)
                })
                .count();
            let spread = match (instances, balancers.first()) {
                (1, _) => Spread::Pooled,
                (_, Some(lb)) => match lb.algorithm {
                    BalancingAlgorithm::LeastLoaded => Spread::Pooled,
                    BalancingAlgorithm::RoundRobin => Spread::RoundRobin,
                    BalancingAlgorithm::Random => Spread::Random,
                    BalancingAlgorithm::StickySessions => Spread::Sticky,
                },
                (_, None) => Spread::Random,
            };
            // How long traffic keeps going to a dead instance: until the balancers in front
            // notice it (the slowest of them); a balancer pair fails over to itself after its own
            // health checks (a virtual IP); queue clients move to a live broker at once; groups
            // reached without a balancer (DNS round robin) keep losing the dead share.
            let detection_delay_s = match &component.kind {
                ComponentKind::LoadBalancer(p) => p.detection_delay_s(),
                ComponentKind::MessageQueue(_) => 0.0,
                _ if !balancers.is_empty() && others_in == 0 => balancers
                    .iter()
                    .map(|b| b.detection_delay_s())
                    .fold(0.0, f64::max),
                _ => f64::INFINITY,
            };
            let constant_sources = design.incoming(id).all(|(_, s, _)| {
                matches!(
                    design.component(s).map(|c| &c.kind),
                    Some(ComponentKind::Client(p)) if p.arrivals == crate::model::ArrivalProcess::Constant
                )
            }) && design.incoming(id).count() > 0;
            let arrival_scv = if constant_sources { 0.0 } else { 1.0 };

            let reliability = component.kind.reliability().cloned();
            let in_mask = masks[position];
            let own = class_channels[position];
            let ops_start = ops.len() as u32;
            let direct_start = direct.len() as u32;
            for (k, &(a, b)) in class_routes.iter().enumerate() {
                if a == b || in_mask & (1 << k) == 0 || forwarding == Forwarding::Terminal {
                    continue;
                }
                let from = own[k];
                if forwarding == Forwarding::FanOut {
                    for e in a..b {
                        let r = &mut routes[e as usize];
                        // A breaker's link is routed by an op, which can hold its calls back.
                        if r.calls == 1.0 && r.breaker == NO_RETRY {
                            r.direct = true;
                            direct.push((from, r.channel));
                        } else {
                            ops.push(RouteOp::Scaled { from, entry: e });
                        }
                    }
                } else if b - a == 1 && routes[a as usize].breaker == NO_RETRY {
                    routes[a as usize].direct = true;
                    direct.push((from, routes[a as usize].channel));
                } else {
                    ops.push(RouteOp::Split {
                        from,
                        start: a,
                        end: b,
                    });
                }
            }
            for (k, &(a, b)) in session_routes.iter().enumerate() {
                let from = own[k];
                for e in a..b {
                    let r = &mut routes[e as usize];
                    if r.calls == 1.0 && r.breaker == NO_RETRY {
                        r.direct = true;
                        direct.push((from, r.channel));
                    } else {
                        ops.push(RouteOp::Scaled { from, entry: e });
                    }
                }
            }
            let node_ops = (ops_start, ops.len() as u32);
            let node_direct = (direct_start, direct.len() as u32);
            let channels = channel_ranges[position];
            nodes.push(NodePlan {
                id,
                direct: node_direct,
                ops: node_ops,
                channels,
                class_channel: own,
                name: component.name.clone(),
                kind_name,
                kind,
                instances,
                forwarding,
                routes: class_routes,
                session_routes,
                spread,
                detection_delay_s,
                arrival_scv,
                users_upstream: users_upstream.get(&id).copied().unwrap_or(0.0),
                reliability,
            });
        }

        let tick_s = scenario.tick_s;
        let ticks = ticks.unwrap_or_else(|| scenario.ticks()).max(1);
        let to_tick = |t_s: f64| (t_s / tick_s).round().max(0.0) as u64;
        let mut events = Vec::new();
        for failure in &scenario.failures {
            let Some(&node) = design
                .find(&failure.component)
                .and_then(|id| index_of.get(&id))
            else {
                continue;
            };
            let instances = failure.instances.unwrap_or(u32::MAX);
            events.push(FailureEvent {
                tick: to_tick(failure.at_s),
                node,
                instances,
                recover: false,
            });
            if let Some(r) = failure.recover_at_s {
                events.push(FailureEvent {
                    tick: to_tick(r),
                    node,
                    instances,
                    recover: true,
                });
            }
        }
        events.sort_by_key(|e| (e.tick, e.recover, e.node));
        let warmup_s = scenario
            .warmup_s
            .unwrap_or_else(|| default_warmup_s(design, scenario, ticks as f64 * tick_s));
        let clients = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.kind_name == KindName::Client)
            .map(|(i, _)| i as u32)
            .collect();
        let queues = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.kind_name == KindName::MessageQueue)
            .map(|(i, _)| i as u32)
            .collect();
        // The route entries into each channel, by channel.
        let mut into: Vec<Vec<u32>> = vec![Vec::new(); channel_class.len()];
        for (e, r) in routes.iter().enumerate() {
            if let Some(list) = into.get_mut(r.channel as usize) {
                list.push(e as u32);
            }
        }
        let mut channel_in = Vec::with_capacity(into.len());
        let mut in_entries = Vec::with_capacity(routes.len());
        for list in into {
            let start = in_entries.len() as u32;
            in_entries.extend(list);
            channel_in.push((start, in_entries.len() as u32));
        }
        // A link to a component that steps earlier delivers on the next tick.
        let loop_entries: Vec<u32> = (0..routes.len() as u32)
            .filter(|&e| routes[e as usize].backward)
            .collect();
        let mut loop_channels: Vec<u32> = Vec::new();
        for &e in &loop_entries {
            let channel = routes[e as usize].channel;
            if !loop_channels.contains(&channel) {
                loop_channels.push(channel);
            }
        }
        let mut plan = Plan {
            clients,
            queues,
            nodes,
            routes,
            retry_links,
            breaker_links,
            ops,
            direct,
            channel_class,
            loop_channels,
            loop_entries,
            channel_in,
            in_entries,
            index_of,
            events,
            tick_s,
            ticks,
            warmup_ticks: to_tick(warmup_s).min(ticks.saturating_sub(1)),
            load_multiplier: scenario.load_multiplier,
            profile: scenario.profile.clone(),
            random_failures: scenario.random_failures,
            caches_start_cold: scenario.caches_start_cold,
        };
        plan.bound_closed_clients();
        Ok(plan)
    }

    /// A closed client's base rate is the most its users can send: N/(Z + D), with D the
    /// response time of one request through the idle system (mean value analysis's bound
    /// X ≤ N/(D + Z)). The laws, the ladder and the limits take it, so that a closed
    /// workload's bottleneck saturates at the knee N* = (D + Z)/Dmax, not at N/Z.
    fn bound_closed_clients(&mut self) {
        for c in 0..self.clients.len() {
            let i = self.clients[c] as usize;
            let KindPlan::Client(p) = &self.nodes[i].kind else {
                continue;
            };
            let Some(closed) = p.closed else {
                continue;
            };
            let idle_s = super::laws::idle_response_s(self, &super::laws::request_visits(self, i));
            closed_client_bound(&mut self.nodes[i].kind, closed, idle_s);
        }
    }

    /// The profile's mean multiplier over the run's ticks.
    pub fn profile_mean(&self) -> f64 {
        if self.ticks == 0 {
            return 1.0;
        }
        let sum: f64 = (0..self.ticks)
            .map(|t| self.profile.multiplier_at(t as f64 * self.tick_s))
            .sum();
        sum / self.ticks as f64
    }

    /// The design's base load in requests per second (all clients, multiplier 1).
    pub fn base_rate_per_s(&self) -> f64 {
        self.nodes
            .iter()
            .map(|n| match &n.kind {
                KindPlan::Client(c) => c.base_rate_per_s,
                _ => 0.0,
            })
            .sum()
    }
}

/// The order components step in, tick by tick: in waves, each component in the wave after the
/// last component that sends to it, so that every link points forward and a request crosses
/// the whole graph within its tick. Only links that carry nothing but async work may close a
/// loop (validation refuses other cycles). Where the waves stall on loops, one starts at the
/// lowest-id component whose pending links are all async and all come from its own loop (its
/// strongly connected component); those links, and only those, point backward: they deliver
/// on the next tick.
///
/// Within a wave, components go by kind, then by id (stable). Stepping the same kind one after
/// another lets the processor predict the step's branches. Against the order this replaced
/// (each client's chain depth first), callgrind's branch model counts 1.1 instead of 3.7
/// mispredicted branches per component-tick on the generated 100,000-component design (2.9
/// instead of 5.0 on 100 components, with its path sampling), for the same instructions; the
/// best of 8 alternating runs at 100,000 components went from 7.3 to 8.9 million
/// component-ticks/s (at 10,000, the same within the machine's noise).
pub(crate) fn processing_order(design: &Design) -> Vec<ComponentId> {
    // Which loop (strongly connected component over all links) each component is on.
    let mut loop_of: HashMap<ComponentId, usize> = HashMap::new();
    for (n, members) in petgraph::algo::kosaraju_scc(&design.graph)
        .into_iter()
        .enumerate()
    {
        loop_of.extend(members.into_iter().map(|id| (id, n)));
    }
    let same_loop = |a: ComponentId, b: ComponentId| loop_of.get(&a) == loop_of.get(&b);
    // Per component, links from components not yet placed: all of them, those not async-only,
    // and those from outside its loop.
    let mut pending: HashMap<ComponentId, Pending> = design
        .components()
        .map(|(id, _)| (id, Pending::default()))
        .collect();
    for (_, from, to, link) in design.links() {
        if let Some(p) = pending.get_mut(&to) {
            p.all += 1;
            p.sync += usize::from(!link.is_async_only());
            p.outside += usize::from(!same_loop(from, to));
        }
    }
    let kind_of = |id: &ComponentId| design.component(*id).map(|c| c.kind.name());
    let mut wave: Vec<ComponentId> = pending
        .iter()
        .filter(|(_, p)| p.all == 0)
        .map(|(id, _)| *id)
        .collect();
    // Components not yet placed whose pending links are all async and from their own loop:
    // where a loop may start (kept as a set, so that a design with many loops does not rescan
    // every component at each stall).
    let mut may_start: BTreeSet<ComponentId> = pending
        .iter()
        .filter(|(_, p)| p.may_start())
        .map(|(id, _)| *id)
        .collect();
    let mut placed: BTreeSet<ComponentId> = BTreeSet::new();
    let mut order = Vec::with_capacity(pending.len());
    loop {
        if wave.is_empty() {
            // Stalled on a loop closed by async links (or done).
            match may_start.first() {
                Some(&id) => wave.push(id),
                None => break,
            }
        }
        wave.sort_by_key(|id| (kind_of(id), *id));
        let mut next = Vec::new();
        for &id in &wave {
            placed.insert(id);
            may_start.remove(&id);
            order.push(id);
        }
        for &id in &wave {
            for (_, to, link) in design.outgoing(id) {
                if placed.contains(&to) {
                    continue;
                }
                if let Some(p) = pending.get_mut(&to) {
                    p.all -= 1;
                    p.sync -= usize::from(!link.is_async_only());
                    p.outside -= usize::from(!same_loop(id, to));
                    if p.may_start() {
                        may_start.insert(to);
                    }
                    if p.all == 0 {
                        next.push(to);
                    }
                }
            }
        }
        wave = next;
    }
    // Components left on a cycle (refused by validation) are appended so nothing is lost.
    order.extend(
        design
            .components()
            .map(|(id, _)| id)
            .filter(|id| !placed.contains(id)),
    );
    order
}

/// Links into a component from components not yet placed in the processing order.
#[derive(Clone, Copy, Debug, Default)]
struct Pending {
    all: usize,
    /// Those that are not async-only.
    sync: usize,
    /// Those from outside the component's loop.
    outside: usize,
}

impl Pending {
    /// A loop may start here: what is pending is async, and comes from the loop itself.
    fn may_start(&self) -> bool {
        self.sync == 0 && self.outside == 0
    }
}

/// The classes that can reach a component: a client's mix, otherwise what its incoming
/// links carry.
fn in_mask_of(design: &Design, id: ComponentId) -> u8 {
    match design.component(id).map(|c| &c.kind) {
        Some(ComponentKind::Client(p)) => TrafficClass::ALL
            .iter()
            .filter(|c| p.mix.share(**c) > 0.0)
            .fold(0u8, |m, c| m | 1 << c.index()),
        _ => design
            .incoming(id)
            .flat_map(|(_, _, link)| link.carries.iter())
            .fold(0u8, |m, c| m | 1 << c.index()),
    }
}

/// For each component, the users of the clients that reach it.
fn users_upstream(design: &Design) -> HashMap<ComponentId, f64> {
    let mut users: HashMap<ComponentId, f64> = HashMap::new();
    for (client, component) in design.components() {
        let ComponentKind::Client(p) = &component.kind else {
            continue;
        };
        let mut seen = BTreeSet::new();
        let mut stack = vec![client];
        while let Some(id) = stack.pop() {
            if seen.insert(id) {
                *users.entry(id).or_default() += p.users as f64;
                stack.extend(design.outgoing(id).map(|(_, t, _)| t));
            }
        }
    }
    users
}

/// Effective cores of an instance with `vcpu` cores under the USL.
pub(crate) fn effective_cores(vcpu: u32, contention: f64, coherency: f64) -> f64 {
    usl_effective(f64::from(vcpu), contention, coherency)
}

/// Set a closed client's base rate to its users over think time plus `idle_s` (see
/// `Plan::bound_closed_clients`), and keep the idle response time in its plan.
fn closed_client_bound(kind: &mut KindPlan, closed: kinds::client::ClosedPlan, idle_s: f64) {
    if let KindPlan::Client(p) = kind
        && idle_s.is_finite()
    {
        p.base_rate_per_s = closed.users / (closed.think_time_s + idle_s);
        p.closed = Some(kinds::client::ClosedPlan {
            idle_response_s: idle_s,
            ..closed
        });
    }
}
