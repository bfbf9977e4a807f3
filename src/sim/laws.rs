//! The operational laws applied to a design without simulating it: propagate the base load
//! (every client at load multiplier 1, profile 1, caches warm, nothing failed) through the
//! compiled routing as expected rates. That gives each component's visits per request (forced
//! flow: X_k = V_k·X) and its utilization (U_k = X_k·S_k / c_k), and so the load at which it
//! saturates — the bottleneck ladder.

use crate::model::{ComponentId, Design, KindName, PriceTable, Scenario, TrafficClass};

use super::SimError;
use super::kinds;
use super::plan::{Forwarding, KindPlan, Plan};

/// What the laws say about one component at base load.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeLaw {
    /// The component's id in the design.
    pub id: ComponentId,
    /// The component's name.
    pub name: String,
    /// The component's kind.
    pub kind: KindName,
    /// Machines in the group: its instances, and for a database every copy and standby of every
    /// shard.
    pub instances: u32,
    /// Requests per second arriving at base load, by class.
    pub class_rates_per_s: [f64; TrafficClass::COUNT],
    /// Requests per second arriving at base load.
    pub rate_per_s: f64,
    /// Visits per request the clients send (V_k = X_k / X).
    pub visits: f64,
    /// Utilization at base load: of the busiest instance, copy or shard. May exceed 1.
    pub utilization: f64,
    /// For a server tier behind sticky sessions, the users pinned to its instances at base
    /// load (0 otherwise): its hottest instance carries more than an even share, less so as
    /// the users grow with the load (see [`NodeLaw::utilization_at`]).
    pub sticky_users: f64,
    /// Requests per second one instance (one copy, for databases; the consumers, for queues)
    /// serves at the component's mix.
    pub instance_capacity_per_s: f64,
    /// Share of each class's requests the component answers itself, sending nothing on:
    /// cache hits (and every session lookup), CDN edge hits; 0 for other kinds.
    pub answered_share: [f64; TrafficClass::COUNT],
    /// For a database: how its hottest shard loads its copies at base load; `None` for
    /// other kinds.
    pub shard_work: Option<ShardWork>,
}

/// The work a database shard puts on its copies, in copies' worth of busy time at base load
/// (work-seconds a second over a copy's effective cores): the primary's writes, what each
/// replica replays of them, and the reads, which spread over the copies where there is room
/// (as the simulation sends them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShardWork {
    /// The writes, on the primary.
    pub primary: f64,
    /// The writes replayed, on each replica.
    pub replica: f64,
    /// The reads, over all the copies.
    pub reads: f64,
}

impl ShardWork {
    /// The utilization of the busiest of `copies` serving copies at `load` × base load.
    pub fn busiest_at(&self, copies: u32, load: f64) -> f64 {
        kinds::database::hottest_copy_utilization(
            copies,
            self.primary * load,
            self.replica * load,
            self.reads * load,
        )
    }

    /// The fewest serving copies, of at most `copies`, that carry the shard at `load` ×
    /// base load (none busier than 1); all of them when even they do not.
    pub fn copies_needed(&self, copies: u32, load: f64) -> u32 {
        let most = copies.max(1);
        (1..=most)
            .find(|&m| self.busiest_at(m, load) <= 1.0)
            .unwrap_or(most)
    }
}

impl NodeLaw {
    /// Utilization at `load` times base load: proportional to the load (U = X·D), except
    /// that a sticky tier's hottest instance carries a share of the users that comes nearer
    /// an even one as they grow with the load (the flow engine's
    /// `sticky_hot_factor(users × load, instances)`).
    pub fn utilization_at(&self, load: f64) -> f64 {
        if self.sticky_users <= 0.0 || !self.utilization.is_finite() {
            return self.utilization * load;
        }
        let hot = |users: f64| kinds::server::sticky_hot_factor(users, self.instances);
        self.utilization / hot(self.sticky_users) * load * hot(self.sticky_users * load)
    }

    /// The load multiplier at which the component saturates (utilization 1), or `None` if it
    /// gets no load. A sticky tier's utilization grows with the load but not in proportion
    /// (its hottest instance's excess share shrinks as users grow), so its load is found by
    /// bisection.
    pub fn saturates_at_load(&self) -> Option<f64> {
        if self.utilization <= 0.0 || self.utilization.is_nan() {
            return None;
        }
        if self.sticky_users <= 0.0 || !self.utilization.is_finite() {
            return Some(1.0 / self.utilization);
        }
        // Between an even spread (the hot factor at 1) and every user on one instance (at
        // the number of instances): utilization_at(lo) ≤ 1 ≤ utilization_at(hi).
        let even =
            self.utilization / kinds::server::sticky_hot_factor(self.sticky_users, self.instances);
        let (mut lo, mut hi) = (1.0 / (even * f64::from(self.instances.max(1))), 1.0 / even);
        for _ in 0..200 {
            let mid = (lo * hi).sqrt();
            if !(mid > lo && mid < hi) {
                break;
            }
            if self.utilization_at(mid) < 1.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(hi)
    }
}

/// The laws for a whole design.
#[derive(Clone, Debug, PartialEq)]
pub struct Laws {
    /// Requests per second the clients send at base load.
    pub base_rate_per_s: f64,
    /// Whether the traffic round the design's loops settles.
    pub loops: LoopTraffic,
    /// In design order.
    pub nodes: Vec<NodeLaw>,
}

/// Apply the operational laws to a design (validated, or this fails like a simulation would).
pub fn operational_laws(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
) -> Result<Laws, SimError> {
    let plan = Plan::compile(design, scenario, prices, Some(1))?;
    Ok(laws_of_plan(&plan))
}

/// Requests per second at base load: into each node by class, and down each route entry.
struct BaseRates {
    nodes: Vec<[f64; TrafficClass::COUNT]>,
    entries: Vec<f64>,
    /// How the traffic round the design's loops settles (see [`base_rates`]).
    loops: LoopTraffic,
}

/// What the async links that close loops carry back, once the traffic round the loops has
/// settled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LoopTraffic {
    /// No loop, or every loop passes on less than it takes: the rates include what the loops
    /// carry back (λ = γ + λP, solved by going round until nothing changes).
    Settled,
    /// A loop passes on at least as much as it takes: its traffic grows without end. The
    /// factor is how much each time round multiplies it (at least 1), as far as going round
    /// tells.
    Unbounded {
        /// How much each time round multiplies the loop's traffic (at least 1).
        growth: f64,
    },
}

/// Rounds of the loops' traffic worked out before it must have settled.
const MAX_LOOP_ROUNDS: usize = 10_000;

/// Propagate the base load through the compiled routing (see the module's doc), the links
/// that close loops included: their traffic goes back round until it settles (the traffic
/// equations λ = γ + λP by Jacobi iteration), or is found to grow without end.
fn base_rates(plan: &Plan) -> BaseRates {
    base_rates_of(plan, None)
}

/// [`base_rates`] with only `source` sending (a client's position and a class), or every
/// client when `None`.
fn base_rates_of(plan: &Plan, source: Option<(usize, usize)>) -> BaseRates {
    let n = plan.nodes.len();
    let mut feedback = vec![[0.0f64; TrafficClass::COUNT]; n];
    let mut previous_total = 0.0;
    // The change each round makes: once it is the previous round's change times one g < 1,
    // entry by entry and sign and all (one mode of the loops left, the dominant gain), the
    // rounds still to come add a geometric series, change × g / (1 − g), and the fixed point
    // is taken in one step (Aitken's extrapolation). Without it a loop that sends back 999
    // jobs of 1,000 would need some 28,000 rounds to settle to 1e-12. Comparing only the
    // changes' sizes would take an alternating mode (a loop closed by two backward links)
    // for a steady one and jump the wrong way.
    let mut previous_delta: Vec<f64> = Vec::new();
    for round in 0..MAX_LOOP_ROUNDS {
        let (nodes, entries, mut back) = one_round(plan, &feedback, source, false);
        let total: f64 = back.iter().flatten().sum();
        let delta: Vec<f64> = back
            .iter()
            .flatten()
            .zip(feedback.iter().flatten())
            .map(|(a, b)| a - b)
            .collect();
        let change: f64 = delta.iter().map(|d| d.abs()).sum();
        if total <= 0.0 || change <= 1e-12 * total {
            return BaseRates {
                nodes,
                entries,
                loops: LoopTraffic::Settled,
            };
        }
        let before: f64 = previous_delta.iter().map(|d| d.abs()).sum();
        if before > 0.0 {
            let g = change / before;
            let off: f64 = delta
                .iter()
                .zip(&previous_delta)
                .map(|(d, p)| (d - g * p).abs())
                .sum();
            if g < 1.0 && off <= 1e-9 * change {
                let ahead = g / (1.0 - g);
                for (b, d) in back.iter_mut().flatten().zip(&delta) {
                    *b += d * ahead;
                }
                previous_delta.clear();
                previous_total = total;
                feedback = back;
                continue;
            }
        }
        previous_delta = delta;
        // Once it has grown past any rate that could be simulated, it grows without end.
        let growth = if previous_total > 0.0 {
            total / previous_total
        } else {
            1.0
        };
        let base = plan.base_rate_per_s().max(f64::MIN_POSITIVE);
        if total > 1e12 * base.max(1.0) || round + 1 == MAX_LOOP_ROUNDS {
            return BaseRates {
                nodes,
                entries,
                loops: LoopTraffic::Unbounded {
                    growth: growth.max(1.0),
                },
            };
        }
        previous_total = total;
        feedback = back;
    }
    let (nodes, entries, _) = one_round(plan, &feedback, source, false);
    BaseRates {
        nodes,
        entries,
        loops: LoopTraffic::Unbounded { growth: 1.0 },
    }
}

/// The visits one request of client `i` (at node index `i`) makes to each node, by class, on
/// its way to its answer: what the client waits for. A message queue answers its producers
/// once it holds the job, so what its consumers do is not on the way; nor is what a link
/// closing a loop carries (background work only).
pub(crate) fn request_visits(plan: &Plan, i: usize) -> Vec<[f64; TrafficClass::COUNT]> {
    let n = plan.nodes.len();
    let mut visits = vec![[0.0f64; TrafficClass::COUNT]; n];
    let KindPlan::Client(c) = &plan.nodes[i].kind else {
        return visits;
    };
    if c.base_rate_per_s <= 0.0 {
        return visits;
    }
    let none = vec![[0.0f64; TrafficClass::COUNT]; n];
    for k in 0..TrafficClass::COUNT {
        if c.mix[k] <= 0.0 {
            continue;
        }
        let (rates, _, _) = one_round(plan, &none, Some((i, k)), true);
        for (v, r) in visits.iter_mut().zip(&rates) {
            for (vk, rk) in v.iter_mut().zip(r) {
                *vk += rk / c.base_rate_per_s;
            }
        }
    }
    visits
}

/// The response time of one request through the idle system, in seconds, for a request that
/// makes `visits` (see [`request_visits`]): each visit's service with no one waiting.
pub(crate) fn idle_response_s(plan: &Plan, visits: &[[f64; TrafficClass::COUNT]]) -> f64 {
    let mut total = 0.0;
    for (i, by_class) in visits.iter().enumerate() {
        for (k, v) in by_class.iter().enumerate() {
            if *v <= 0.0 {
                continue;
            }
            let idle_s = match &plan.nodes[i].kind {
                KindPlan::Client(_) => 0.0,
                KindPlan::Database(p) => {
                    if kinds::database::is_write(k) {
                        p.write_s
                    } else {
                        p.read_s
                    }
                }
                _ => kinds::group_at(plan, i, 0.0).map_or(0.0, |g| g.response(0.0).mean_s()),
            };
            total += v * idle_s;
        }
    }
    total
}

/// One pass of the base load through the routing in processing order, with `feedback` (what
/// the links closing loops carried back the round before) arriving at their targets. Returns
/// the rates into each node, down each entry, and what the loop links carry back now. On the
/// `request_path` only (see [`request_visits`]), message queues pass nothing on.
#[allow(clippy::type_complexity)]
fn one_round(
    plan: &Plan,
    feedback: &[[f64; TrafficClass::COUNT]],
    source: Option<(usize, usize)>,
    request_path: bool,
) -> (
    Vec<[f64; TrafficClass::COUNT]>,
    Vec<f64>,
    Vec<[f64; TrafficClass::COUNT]>,
) {
    let n = plan.nodes.len();
    let mut rates = feedback.to_vec();
    let mut back = vec![[0.0f64; TrafficClass::COUNT]; n];
    let mut entries = vec![0.0f64; plan.routes.len()];
    let session = TrafficClass::Session.index();
    for i in 0..n {
        let node = &plan.nodes[i];
        if let KindPlan::Client(c) = &node.kind {
            for k in 0..TrafficClass::COUNT {
                if source.is_none_or(|s| s == (i, k)) {
                    rates[i][k] += c.base_rate_per_s * c.mix[k];
                }
            }
        }
        let incoming = rates[i];
        // What goes on, by class.
        let mut out = incoming;
        match &node.kind {
            KindPlan::Server(p)
                if p.stateful
                    && node.spread != super::plan::Spread::Sticky
                    && node.instances > 1 =>
            {
                let lost = 1.0 - 1.0 / f64::from(node.instances);
                out.iter_mut().for_each(|r| *r *= 1.0 - lost);
            }
            KindPlan::Cache(_) | KindPlan::Cdn(_) => {
                for (rate, answered) in out.iter_mut().zip(answered_share(&node.kind)) {
                    *rate *= 1.0 - answered;
                }
            }
            _ => {}
        }
        if request_path && matches!(node.kind, KindPlan::MessageQueue(_)) {
            continue;
        }
        for k in 0..TrafficClass::COUNT {
            let (a, b) = node.routes[k];
            if out[k] <= 0.0 || a == b {
                continue;
            }
            match node.forwarding {
                Forwarding::Terminal => {}
                Forwarding::FanOut => {
                    for e in a..b {
                        let r = plan.routes[e as usize];
                        let rate = out[k] * r.calls;
                        deliver(&mut rates, &mut back, &r, k, rate);
                        entries[e as usize] += rate;
                    }
                }
                Forwarding::Split | Forwarding::Balance => {
                    let weight = |e: u32| {
                        let r = &plan.routes[e as usize];
                        match &node.kind {
                            KindPlan::LoadBalancer(lb) => kinds::load_balancer::target_weight(
                                lb,
                                r.weight,
                                plan.nodes[r.target as usize].instances,
                                instance_capacity(
                                    plan,
                                    r.target as usize,
                                    &rates[r.target as usize],
                                ),
                            ),
                            _ => r.weight,
                        }
                    };
                    let weights: Vec<f64> = (a..b).map(weight).collect();
                    let sum: f64 = weights.iter().sum();
                    if sum <= 0.0 {
                        continue;
                    }
                    for (e, w) in (a..b).zip(weights) {
                        let rate = out[k] * w / sum;
                        let r = plan.routes[e as usize];
                        deliver(&mut rates, &mut back, &r, k, rate);
                        entries[e as usize] += rate;
                    }
                }
            }
        }
        for (k, &(a, b)) in node.session_routes.iter().enumerate() {
            for e in a..b {
                let r = plan.routes[e as usize];
                let rate = out[k] * r.calls;
                deliver(&mut rates, &mut back, &r, session, rate);
                entries[e as usize] += rate;
            }
        }
    }
    (rates, entries, back)
}

/// Add `rate` of class `k` down route entry `r`: to its target now, or, on a link closing a
/// loop (whose target has had its turn), to what goes round next time.
fn deliver(
    rates: &mut [[f64; TrafficClass::COUNT]],
    back: &mut [[f64; TrafficClass::COUNT]],
    r: &super::plan::RouteEntry,
    k: usize,
    rate: f64,
) {
    let slot = if r.backward { back } else { rates };
    if let Some(node) = slot.get_mut(r.target as usize) {
        node[k] += rate;
    }
}

/// One class of one client alone at its base rate: what each component's utilization would be
/// from it (for a bound on what that class can complete, X ≤ rate ÷ utilization of any
/// component every one of its requests passes).
#[derive(Clone, Debug, PartialEq)]
pub struct SourceLaw {
    /// The client that sends this class.
    pub client: ComponentId,
    /// The traffic class, taken alone from the client's mix.
    pub class: TrafficClass,
    /// The client's base rate of this class, requests a second.
    pub rate_per_s: f64,
    /// Utilization of each component that this source's requests reach, at its base rate; a
    /// sticky tier's at an even spread of its users (the least it can be at any load).
    pub utilization: Vec<(ComponentId, f64)>,
}

/// [`SourceLaw`] for every class every client sends (`scenario` and `prices` compile the
/// design as a run would).
pub fn source_laws(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
) -> Result<Vec<SourceLaw>, SimError> {
    let plan = Plan::compile(design, scenario, prices, Some(1))?;
    let mut out = Vec::new();
    for &client in &plan.clients {
        let i = client as usize;
        let KindPlan::Client(c) = &plan.nodes[i].kind else {
            continue;
        };
        for class in TrafficClass::ALL {
            let k = class.index();
            let rate = c.base_rate_per_s * c.mix[k];
            if rate <= 0.0 {
                continue;
            }
            let rates = base_rates_of(&plan, Some((i, k))).nodes;
            let utilization = (0..plan.nodes.len())
                .filter(|&j| rates[j].iter().sum::<f64>() > 0.0)
                // A sticky tier counted at an even spread (as if the users were without
                // number): the most its hottest instance allows at any load, which is what
                // a bound on throughput may rely on.
                .map(|j| {
                    let u = self::utilization(&plan, j, &rates[j], f64::INFINITY);
                    (plan.nodes[j].id, u)
                })
                .collect();
            out.push(SourceLaw {
                client: plan.nodes[i].id,
                class,
                rate_per_s: rate,
                utilization,
            });
        }
    }
    Ok(out)
}

/// Per route entry: the requests a second down it at base load (every client at its base
/// rate, the load multiplier and the profile at 1), what the loops carry back included.
pub(crate) fn entry_rates(plan: &Plan) -> Vec<f64> {
    base_rates(plan).entries
}

/// Per route entry: its share of what arrives at its target's channel at base load. A target
/// no base load reaches shares evenly among the entries into it.
pub(crate) fn entry_shares(plan: &Plan) -> Vec<f64> {
    let base = base_rates(plan);
    let mut into = vec![0.0f64; plan.channel_class.len()];
    let mut senders = vec![0u32; plan.channel_class.len()];
    for (e, r) in plan.routes.iter().enumerate() {
        if let Some(slot) = into.get_mut(r.channel as usize) {
            *slot += base.entries[e];
            senders[r.channel as usize] += 1;
        }
    }
    plan.routes
        .iter()
        .enumerate()
        .map(|(e, r)| {
            let total = into.get(r.channel as usize).copied().unwrap_or(0.0);
            if total > 0.0 {
                base.entries[e] / total
            } else {
                1.0 / f64::from(senders.get(r.channel as usize).copied().unwrap_or(1).max(1))
            }
        })
        .collect()
}

/// The laws of a compiled plan (what a simulation already has, so it need not compile twice).
pub(crate) fn laws_of_plan(plan: &Plan) -> Laws {
    let n = plan.nodes.len();
    let base = base_rates(plan);
    let rates = base.nodes;
    let base_rate_per_s = plan.base_rate_per_s();
    let mut nodes: Vec<NodeLaw> = (0..n)
        .map(|i| {
            let node = &plan.nodes[i];
            let rate: f64 = rates[i].iter().sum();
            NodeLaw {
                id: node.id,
                name: node.name.clone(),
                kind: node.kind_name,
                instances: node.instances,
                class_rates_per_s: rates[i],
                rate_per_s: rate,
                visits: if base_rate_per_s > 0.0 {
                    rate / base_rate_per_s
                } else {
                    0.0
                },
                utilization: utilization(plan, i, &rates[i], node.users_upstream),
                sticky_users: if node.spread == super::plan::Spread::Sticky
                    && matches!(node.kind, KindPlan::Server(_))
                {
                    node.users_upstream
                } else {
                    0.0
                },
                instance_capacity_per_s: instance_capacity(plan, i, &rates[i]),
                answered_share: answered_share(&node.kind),
                shard_work: shard_work(plan, i, &rates[i]),
            }
        })
        .collect();
    nodes.sort_by_key(|n| n.id);
    Laws {
        base_rate_per_s,
        loops: base.loops,
        nodes,
    }
}

/// Share of each class a component answers itself (see `NodeLaw::answered_share`): the
/// same shares the propagation above keeps from going on.
fn answered_share(kind: &KindPlan) -> [f64; TrafficClass::COUNT] {
    let mut answered = [0.0; TrafficClass::COUNT];
    match kind {
        KindPlan::Cache(p) => {
            for k in [TrafficClass::Read.index(), TrafficClass::Static.index()] {
                answered[k] = p.hit_ratio;
            }
            answered[TrafficClass::Session.index()] = 1.0;
        }
        KindPlan::Cdn(p) => answered[TrafficClass::Static.index()] = p.edge_hit_ratio,
        _ => {}
    }
    answered
}

/// The rates of a database's reads and of its writes (writes and async jobs).
fn reads_and_writes(rates: &[f64; TrafficClass::COUNT]) -> (f64, f64) {
    let (mut reads, mut writes) = (0.0, 0.0);
    for (k, rate) in rates.iter().enumerate() {
        if kinds::database::is_write(k) {
            writes += rate;
        } else {
            reads += rate;
        }
    }
    (reads, writes)
}

/// Requests per second one instance serves at the given mix.
fn instance_capacity(plan: &Plan, i: usize, rates: &[f64; TrafficClass::COUNT]) -> f64 {
    let node = &plan.nodes[i];
    match &node.kind {
        KindPlan::Client(_) => f64::INFINITY,
        KindPlan::LoadBalancer(p) => p.station.capacity_per_s(),
        KindPlan::Server(p) => p.station.capacity_per_s(),
        KindPlan::Cache(p) => p.station.capacity_per_s(),
        KindPlan::Cdn(p) => p.station.capacity_per_s(),
        KindPlan::MessageQueue(p) => p.consumers.capacity_per_s(),
        KindPlan::Database(p) => {
            let (reads, writes) = reads_and_writes(rates);
            let work = if reads + writes > 0.0 {
                (reads * p.read_s + writes * p.write_s) / (reads + writes)
            } else {
                p.read_s
            };
            p.effective_cores / work
        }
    }
}

/// Utilization at the given rates, of the busiest part of the component; a sticky tier's
/// hottest instance as `users` spread over its instances load it.
fn utilization(plan: &Plan, i: usize, rates: &[f64; TrafficClass::COUNT], users: f64) -> f64 {
    let node = &plan.nodes[i];
    let total: f64 = rates.iter().sum();
    let instances = f64::from(node.instances.max(1));
    match &node.kind {
        KindPlan::Client(_) => 0.0,
        KindPlan::LoadBalancer(p) => total / (instances * p.station.capacity_per_s()),
        KindPlan::Cache(p) => total / (instances * p.station.capacity_per_s()),
        KindPlan::Cdn(p) => total / (instances * p.station.capacity_per_s()),
        KindPlan::Server(p) => {
            let capacity = instances * p.station.capacity_per_s();
            let hot = if node.spread == super::plan::Spread::Sticky {
                kinds::server::sticky_hot_factor(users, node.instances)
            } else {
                1.0
            };
            total * hot / capacity
        }
        KindPlan::MessageQueue(p) => {
            let brokers = total / (instances * p.broker.capacity_per_s());
            brokers.max(total / p.consumers.capacity_per_s())
        }
        // The busiest copy of the hottest shard (every shard's work grows with its share).
        KindPlan::Database(p) => {
            shard_work(plan, i, rates).map_or(0.0, |work| work.busiest_at(p.copies, 1.0))
        }
    }
}

/// A database's hottest shard's work on its copies (see [`ShardWork`]); `None` for other
/// kinds.
fn shard_work(plan: &Plan, i: usize, rates: &[f64; TrafficClass::COUNT]) -> Option<ShardWork> {
    let KindPlan::Database(p) = &plan.nodes[i].kind else {
        return None;
    };
    let (reads, writes) = reads_and_writes(rates);
    let share = p.shard_share.iter().copied().fold(0.0, f64::max);
    let cores = p.effective_cores;
    Some(ShardWork {
        primary: writes * share * p.write_s / cores,
        replica: writes * share * p.apply_s / cores,
        reads: reads * share * p.read_s / cores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::read_design;

    #[test]
    fn a_shard_needs_the_fewest_copies_whose_busiest_is_at_most_fully_busy() {
        // Reads spread to a common level; each replica replays the writes.
        let spread = ShardWork {
            primary: 0.5,
            replica: 0.5,
            reads: 0.9,
        };
        // One copy: 0.5 + 0.9 = 1.4; two: (0.5 + 0.5 + 0.9) / 2 = 0.95.
        assert!((spread.busiest_at(1, 1.0) - 1.4).abs() < 1e-12);
        assert!((spread.busiest_at(2, 1.0) - 0.95).abs() < 1e-12);
        assert_eq!(spread.copies_needed(3, 1.0), 2);
        // At twice the load three copies hold (1.0 + 2 × 1.0 + 1.8) / 3 = 1.6: all three.
        assert_eq!(spread.copies_needed(3, 2.0), 3);
        // Writes heavy enough that the primary is busiest whatever the copies: two do.
        let writes = ShardWork {
            primary: 0.8,
            replica: 0.3,
            reads: 0.3,
        };
        assert!((writes.busiest_at(4, 1.0) - 0.8).abs() < 1e-12);
        assert_eq!(writes.copies_needed(4, 1.0), 2);
        // With the load past one copy's writes, none carries it: all four are needed.
        assert_eq!(writes.copies_needed(4, 1.3), 4);
    }

    #[test]
    fn tandem_visits_and_utilizations_follow_forced_flow() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("saved-designs/validation/tandem.ron");
        let prices = PriceTable::builtin();
        let design = read_design(&path, &prices).expect("loads").design;
        let laws = operational_laws(
            &design,
            design.default_scenario().expect("scenario"),
            &prices,
        )
        .expect("laws");
        let by_name = |n: &str| laws.nodes.iter().find(|l| l.name == n).expect("node");
        assert!((by_name("web").utilization - 0.5).abs() < 1e-9);
        assert!((by_name("app").utilization - 2.0 / 3.0).abs() < 1e-9);
        assert!((by_name("database").utilization - 0.8).abs() < 1e-9);
        assert!((by_name("database").visits - 1.0).abs() < 1e-12);
        // Max throughput 250/s: the database saturates at 1.25 × the design load.
        assert!((by_name("database").saturates_at_load().expect("loaded") - 1.25).abs() < 1e-9);
    }
}
