//! Availability from MTBF and MTTR (MODEL-REFERENCE.md §4): per instance A = MTBF/(MTBF+MTTR);
//! a group of n instances where the load needs k is up while at least k are
//! (Σ_{i≥k} C(n,i) A^i (1−A)^{n−i}, which is 1 − (1−A)^n when k = 1). A request's chance of
//! success then follows the routing, as the simulation does: what a server calls is in series
//! with it (and its session store with every request through it); a balancer sends to the
//! targets that are up, by weight, so it routes around a dead target but not around what
//! fails behind one; a static split sends each request one way, so its branches count by
//! weight; a cache or CDN answers its hits itself (a dead cache turns them into misses for the
//! store behind it); a queue takes a job and decouples the request from what consumes it.
//! These assume independent failures and instant failover, and that the targets left behind
//! a balancer can carry the load.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{ComponentId, ComponentKind, Design, KindName, TrafficClass};
use crate::sim::laws::Laws;

/// Minutes in a year (365 days).
pub const MINUTES_PER_YEAR: f64 = 525_600.0;

/// Availability of `k`-of-`n` instances, each up with probability `a`: the binomial tail
/// Σ_{i≥k} C(n,i) a^i (1−a)^{n−i}, summed in log space term by term (each from the one before
/// by the ratio (n−i)/(i+1) · a/(1−a)), so it takes O(n) steps and neither underflows nor
/// overflows for thousands of instances.
pub fn k_of_n(k: u32, n: u32, a: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n || a <= 0.0 {
        return 0.0;
    }
    if a >= 1.0 {
        return 1.0;
    }
    let (n_f, k_f) = (f64::from(n), f64::from(k));
    let ln_odds = a.ln() - (-a).ln_1p();
    // ln of the first term, C(n,k) a^k (1−a)^(n−k).
    let mut ln_term = ln_binomial(n, k) + k_f * a.ln() + (n_f - k_f) * (-a).ln_1p();
    // Σ exp(ln_term) as exp(ln_max) · sum, rescaled whenever a term is the largest so far.
    let (mut ln_max, mut sum) = (ln_term, 1.0);
    for i in k..n {
        ln_term += (f64::from(n - i) / f64::from(i + 1)).ln() + ln_odds;
        if ln_term > ln_max {
            sum = sum * (ln_max - ln_term).exp() + 1.0;
            ln_max = ln_term;
        } else {
            sum += (ln_term - ln_max).exp();
        }
    }
    (ln_max.exp() * sum).min(1.0)
}

/// Availability of a database shard of `copies` (a primary and its read replicas) of which
/// the load needs `needed` serving, with or without a hot standby, each machine up with
/// probability `a`. As the simulation runs a shard, a standby serves nothing until the
/// primary is lost, then takes its place; a lost replica it does not replace, and a lost
/// primary with no live standby is replaced by a replica (failover taken as instant). So
/// with X the replicas up, X ~ Bin(copies − 1, a), and q = 1 − a:
/// P(up) = (1 − q²)·P(X ≥ needed − 1) + q²·P(X ≥ needed) — the primary's place is filled
/// unless both it and the standby are down — and with no standby, `needed` of `copies`.
pub fn shard_availability(needed: u32, copies: u32, standby: bool, a: f64) -> f64 {
    if !standby || copies == 0 {
        return k_of_n(needed, copies, a);
    }
    let q = 1.0 - a;
    let replicas = copies - 1;
    let filled = k_of_n(needed.saturating_sub(1), replicas, a);
    let short_of_primary = if needed == 0 {
        1.0
    } else {
        k_of_n(needed, replicas, a)
    };
    ((1.0 - q * q) * filled + q * q * short_of_primary).min(1.0)
}

/// ln C(n, k), as a sum of logarithms over the smaller of k and n − k.
fn ln_binomial(n: u32, k: u32) -> f64 {
    let k = k.min(n - k);
    (0..k)
        .map(|i| (f64::from(n - i) / f64::from(i + 1)).ln())
        .sum()
}

/// One component's availability.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComponentAvailability {
    /// The component's name.
    pub name: String,
    /// The component's id in the design (not in JSON).
    #[serde(skip)]
    pub id: ComponentId,
    /// One instance's availability.
    pub instance: f64,
    /// Instances in the group (per shard, for databases: copies and standby).
    pub instances: u32,
    /// Instances the load needs.
    pub needed: u32,
    /// The group's availability (all shards together, for databases).
    pub availability: f64,
    /// Whether its failure fails the requests that reach it (a cache's does not: they miss
    /// and go on to the store behind it).
    pub in_series: bool,
}

/// Availability of a design at a load multiplier.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AvailabilityReport {
    /// Every component that can fail (all but clients), in design order.
    pub components: Vec<ComponentAvailability>,
    /// Request-weighted availability over the classes the clients send.
    pub system: f64,
    /// Expected downtime a year at that availability, in minutes: (1 − system) × 525,600.
    pub downtime_min_per_year: f64,
}

/// Work out availability at `load` times the design's base load.
pub fn availability(design: &Design, laws: &Laws, load: f64) -> AvailabilityReport {
    let mut components = Vec::new();
    for law in &laws.nodes {
        let Some(component) = design.component(law.id) else {
            continue;
        };
        let Some(reliability) = component.kind.reliability() else {
            continue;
        };
        let a = reliability.availability();
        let rate = law.rate_per_s * load;
        let needed_for = |n: u32, capacity: f64| -> u32 {
            if capacity.is_finite() && capacity > 0.0 {
                ((rate / capacity).ceil() as u32).clamp(1, n.max(1))
            } else {
                1
            }
        };
        let (instances, needed, group, in_series) = match &component.kind {
            ComponentKind::Database(p) => {
                // Each shard needs enough copies for its share of the load; writes need a
                // primary, which a replica or standby replaces (failover taken as instant).
                // The fewest copies that carry the hottest shard, as the simulation spreads
                // its reads (the writes' replays load every replica however many there are).
                let k = law
                    .shard_work
                    .map_or(p.instances, |work| work.copies_needed(p.instances, load));
                let shard = shard_availability(k, p.instances, p.standby, a);
                (
                    p.instances + u32::from(p.standby),
                    k,
                    shard.powi(p.shards as i32),
                    true,
                )
            }
            ComponentKind::Cache(p) => {
                let k = needed_for(p.instances, law.instance_capacity_per_s);
                (p.instances, k, k_of_n(k, p.instances, a), false)
            }
            // The brokers take the messages; each takes `capacity_per_s` (the law's instance
            // capacity is the consumers', who only drain).
            ComponentKind::MessageQueue(p) => {
                let k = needed_for(p.instances, p.capacity_per_s);
                (p.instances, k, k_of_n(k, p.instances, a), true)
            }
            kind => {
                let n = kind.instances();
                let k = needed_for(n, law.instance_capacity_per_s);
                (n, k, k_of_n(k, n, a), true)
            }
        };
        components.push(ComponentAvailability {
            name: law.name.clone(),
            id: law.id,
            instance: a,
            instances,
            needed,
            availability: group,
            in_series,
        });
    }
    // Request-weighted over what the clients send, each class along its routes.
    let mut routes = Routes {
        design,
        laws: laws.nodes.iter().map(|n| (n.id, n)).collect(),
        group: components.iter().map(|c| (c.id, c.availability)).collect(),
        memo: HashMap::new(),
        fixed: HashMap::new(),
    };
    let (mut weighted, mut total) = (0.0, 0.0);
    for client in laws.nodes.iter().filter(|n| n.kind == KindName::Client) {
        for class in TrafficClass::ALL {
            let rate = client.class_rates_per_s[class.index()];
            if rate > 0.0 {
                weighted += rate * routes.request_success(client.id, class);
                total += rate;
            }
        }
    }
    let system = if total > 0.0 { weighted / total } else { 1.0 };
    AvailabilityReport {
        components,
        system,
        downtime_min_per_year: (1.0 - system) * MINUTES_PER_YEAR,
    }
}

/// Components a request may reach twice (two calls or branches that share what is behind
/// them) are summed over exactly, up and down, when there are at most this many uncertain
/// ones below them; beyond, branches are taken as independent (slightly pessimistic for
/// shared parts in series, optimistic for shared parts behind alternatives).
const MAX_CONDITIONED: usize = 12;

/// The chance that a request of a class succeeds from a component on, along its routes.
struct Routes<'a> {
    design: &'a Design,
    laws: HashMap<ComponentId, &'a crate::sim::laws::NodeLaw>,
    /// Each component's group availability (1 where none is modelled: clients).
    group: HashMap<ComponentId, f64>,
    memo: HashMap<(ComponentId, TrafficClass), f64>,
    /// Components whose state is fixed in the world being summed: up (true) or down.
    fixed: HashMap<ComponentId, bool>,
}

impl Routes<'_> {
    /// The chance a request of `class` sent by `client` succeeds. Where branches share a
    /// component, the sum runs over its states (and those of what is behind it), so that each
    /// world's branches are independent and the products and alternatives are exact.
    fn request_success(&mut self, client: ComponentId, class: TrafficClass) -> f64 {
        let shared = self.shared_uncertain(client, class);
        self.memo.clear();
        self.fixed.clear();
        if shared.is_empty() || shared.len() > MAX_CONDITIONED {
            self.prepare(client, class);
            return self.success(client, class);
        }
        let mut total = 0.0;
        for world in 0..(1u32 << shared.len()) {
            let mut chance = 1.0;
            for (i, &component) in shared.iter().enumerate() {
                let up = world & (1 << i) != 0;
                let a = self.group.get(&component).copied().unwrap_or(1.0);
                chance *= if up { a } else { 1.0 - a };
                self.fixed.insert(component, up);
            }
            if chance > 0.0 {
                self.memo.clear();
                self.prepare(client, class);
                total += chance * self.success(client, class);
            }
        }
        self.memo.clear();
        self.fixed.clear();
        total
    }

    /// Where a request of `class` at `node` goes next: (target, class, weight), the calls or
    /// branches of its class and a server's session lookups. Empty where the walk ends.
    fn onward(
        &self,
        node: ComponentId,
        class: TrafficClass,
    ) -> Vec<(ComponentId, TrafficClass, f64)> {
        let kind = self.design.component(node).map(|c| c.kind.name());
        if matches!(
            kind,
            None | Some(KindName::Database | KindName::MessageQueue)
        ) {
            return Vec::new();
        }
        let mut next: Vec<(ComponentId, TrafficClass, f64)> = self
            .design
            .outgoing(node)
            .filter(|(_, _, l)| l.carries(class))
            .map(|(_, t, l)| (t, class, l.weight))
            .collect();
        if kind == Some(KindName::Server) {
            next.extend(
                self.design
                    .outgoing(node)
                    .filter(|(_, _, l)| l.carries(TrafficClass::Session))
                    .map(|(_, t, _)| (t, TrafficClass::Session, 1.0)),
            );
        }
        next
    }

    /// The uncertain components at or behind any component a request reaches by two routes,
    /// in id order.
    fn shared_uncertain(&self, client: ComponentId, class: TrafficClass) -> Vec<ComponentId> {
        let mut seen = std::collections::HashSet::new();
        let mut arrivals: HashMap<ComponentId, usize> = HashMap::new();
        let mut stack = vec![(client, class)];
        while let Some(key) = stack.pop() {
            if !seen.insert(key) {
                continue;
            }
            for (target, next_class, _) in self.onward(key.0, key.1) {
                *arrivals.entry(target).or_default() += 1;
                stack.push((target, next_class));
            }
        }
        let mut behind = std::collections::BTreeSet::new();
        let mut stack: Vec<(ComponentId, TrafficClass)> = seen
            .iter()
            .copied()
            .filter(|(c, _)| arrivals.get(c).is_some_and(|n| *n > 1))
            .collect();
        let mut walked = std::collections::HashSet::new();
        while let Some(key) = stack.pop() {
            if !walked.insert(key) {
                continue;
            }
            if self.group.get(&key.0).is_some_and(|a| *a < 1.0) {
                behind.insert(key.0);
            }
            stack.extend(
                self.onward(key.0, key.1)
                    .into_iter()
                    .map(|(t, c, _)| (t, c)),
            );
        }
        behind.into_iter().collect()
    }

    /// Work out `through` for everything a request of `class` from `node` reaches, the farthest
    /// first, without recursion: then `success` finds every answer below it worked out, and
    /// a chain of a hundred thousand components needs no deeper stack than a short one.
    fn prepare(&mut self, node: ComponentId, class: TrafficClass) {
        let mut order = Vec::new();
        let mut seen = std::collections::HashSet::new();
        // (state, whether its onward states have been pushed): a depth-first walk whose
        // post-order puts every state after all it leads to.
        let mut stack = vec![((node, class), false)];
        while let Some((key, expanded)) = stack.pop() {
            if expanded {
                order.push(key);
                continue;
            }
            if self.memo.contains_key(&key) || !seen.insert(key) {
                continue;
            }
            stack.push((key, true));
            for (target, next_class, _) in self.onward(key.0, key.1) {
                if !seen.contains(&(target, next_class)) {
                    stack.push(((target, next_class), false));
                }
            }
        }
        for (n, c) in order {
            self.through(n, c);
        }
    }

    /// A component's chance of being up, or its fixed state in the world being summed.
    fn up(&self, node: ComponentId) -> f64 {
        match self.fixed.get(&node) {
            Some(true) => 1.0,
            Some(false) => 0.0,
            None => self.group.get(&node).copied().unwrap_or(1.0),
        }
    }

    /// A request's chance of success arriving at `node`.
    fn success(&mut self, node: ComponentId, class: TrafficClass) -> f64 {
        let up = self.up(node);
        let through = self.through(node, class);
        match self.design.component(node).map(|c| c.kind.name()) {
            // Down, a cache turns every request into a miss for what is behind it.
            Some(KindName::Cache) => {
                let next = self.onward(node, class);
                up * through + (1.0 - up) * self.split(&next)
            }
            _ => up * through,
        }
    }

    /// A request's chance of success from `node` on, given that `node` itself is up.
    fn through(&mut self, node: ComponentId, class: TrafficClass) -> f64 {
        if let Some(&known) = self.memo.get(&(node, class)) {
            return known;
        }
        // An async loop back into a queue: the queue ends the walk before it closes, but
        // guard anyway.
        self.memo.insert((node, class), 1.0);
        let kind = self.design.component(node).map(|c| c.kind.name());
        let next = self.onward(node, class);
        let answered = self
            .laws
            .get(&node)
            .map_or(0.0, |l| l.answered_share[class.index()]);
        let answer = match kind {
            None => 0.0,
            // Terminal, or the queue has the job: what consumes it does not decide the request.
            Some(KindName::Database | KindName::MessageQueue) => 1.0,
            // Every call and session lookup must succeed.
            Some(KindName::Server) => next
                .iter()
                .map(|&(t, c, _)| self.success(t, c))
                .product::<f64>(),
            Some(KindName::LoadBalancer) => self.balanced(&next),
            // Each request takes one branch, by weight; hits are answered here.
            Some(KindName::Client | KindName::Cache | KindName::Cdn) => {
                answered + (1.0 - answered) * self.split(&next)
            }
        };
        self.memo.insert((node, class), answer);
        answer
    }

    /// A static split: each request takes one branch, by weight.
    fn split(&mut self, next: &[(ComponentId, TrafficClass, f64)]) -> f64 {
        let weights: f64 = next.iter().map(|&(_, _, w)| w).sum();
        if weights <= 0.0 {
            return 0.0;
        }
        next.iter()
            .map(|&(t, c, w)| w * self.success(t, c))
            .sum::<f64>()
            / weights
    }

    /// A balancer's targets: it sends to those in rotation (whose own instances are up), each
    /// by its weight × instances as in rotation, and what fails behind a target fails the
    /// request: the balancer does not see it. Summed over which targets are up, exactly for
    /// up to `MAX_TARGETS_SUMMED` targets; beyond, each up target's share is taken as its
    /// weight over the up targets' expected weight.
    fn balanced(&mut self, next: &[(ComponentId, TrafficClass, f64)]) -> f64 {
        const MAX_TARGETS_SUMMED: usize = 12;
        let targets: Vec<(f64, f64, f64)> = next
            .iter()
            .map(|&(t, c, w)| {
                let instances = self.design.component(t).map_or(1, |c| c.kind.instances());
                (
                    self.up(t),
                    w * f64::from(instances.max(1)),
                    self.through(t, c),
                )
            })
            .collect();
        if targets.len() > MAX_TARGETS_SUMMED {
            let any_up = 1.0 - targets.iter().map(|(u, _, _)| 1.0 - u).product::<f64>();
            let weight: f64 = targets.iter().map(|(u, w, _)| u * w).sum();
            let carried: f64 = targets.iter().map(|(u, w, t)| u * w * t).sum();
            return if weight > 0.0 {
                any_up * carried / weight
            } else {
                0.0
            };
        }
        let mut total = 0.0;
        for live in 1u32..(1 << targets.len()) {
            let (mut chance, mut weight, mut carried) = (1.0, 0.0, 0.0);
            for (i, &(up, w, through)) in targets.iter().enumerate() {
                if live & (1 << i) != 0 {
                    chance *= up;
                    weight += w;
                    carried += w * through;
                } else {
                    chance *= 1.0 - up;
                }
            }
            if chance > 0.0 && weight > 0.0 {
                total += chance * carried / weight;
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_of_n_of_thousands_of_instances_is_a_proper_binomial_tail() {
        // P(X ≥ k) + P(Y ≥ n − k + 1) = 1 for X ~ Bin(n, a) and Y = n − X ~ Bin(n, 1 − a).
        for (k, n, a) in [
            (5_000, 10_000, 0.5),
            (9_990, 10_000, 0.999),
            (3, 10_000, 0.0001),
        ] {
            let total = k_of_n(k, n, a) + k_of_n(n - k + 1, n, 1.0 - a);
            assert!((total - 1.0).abs() < 1e-9, "k {k} of {n} at {a}: {total}");
        }
        // Half of 10,000 fair coins or more: 1/2 + P(X = 5000)/2, with P(X = 5000) ≈
        // 1/√(π·5000) by Stirling.
        let expected = 0.5 + 0.5 / (std::f64::consts::PI * 5_000.0).sqrt();
        assert!((k_of_n(5_000, 10_000, 0.5) - expected).abs() < 1e-5);
    }

    #[test]
    fn a_shard_with_a_standby_is_up_as_the_simulation_fills_its_places() {
        // Every up/down state of the primary, the replicas and the standby, with the
        // simulation's rule: the copies up serve, and the standby serves only in place of
        // a lost primary.
        for copies in 1..=4u32 {
            for needed in 1..=copies {
                for a in [0.5, 0.9, 0.998004] {
                    let mut up_chance = 0.0;
                    for world in 0u32..(1 << (copies + 1)) {
                        let up = |i: u32| world & (1 << i) != 0;
                        let mut chance = 1.0;
                        for i in 0..=copies {
                            chance *= if up(i) { a } else { 1.0 - a };
                        }
                        // Bit 0 the primary, 1..copies the replicas, `copies` the standby.
                        let copies_up = (0..copies).filter(|&i| up(i)).count() as u32;
                        let serving = copies_up + u32::from(!up(0) && up(copies));
                        if serving >= needed {
                            up_chance += chance;
                        }
                    }
                    let formula = shard_availability(needed, copies, true, a);
                    assert!(
                        (formula - up_chance).abs() < 1e-12,
                        "{needed} of {copies} with a standby at {a}: {formula} against {up_chance}"
                    );
                    assert!(
                        (shard_availability(needed, copies, false, a) - k_of_n(needed, copies, a))
                            .abs()
                            < 1e-15
                    );
                }
            }
        }
        // All three copies needed: the standby only guards the primary, a² (1 − q²).
        let a: f64 = 0.998004;
        let q = 1.0 - a;
        let all_needed = shard_availability(3, 3, true, a);
        assert!((all_needed - a * a * (1.0 - q * q)).abs() < 1e-15);
    }

    #[test]
    fn k_of_n_reduces_to_the_parallel_formula_for_one_needed() {
        let a: f64 = 0.99;
        assert!((k_of_n(1, 3, a) - (1.0 - (1.0 - a).powi(3))).abs() < 1e-15);
        assert!((k_of_n(3, 3, a) - a.powi(3)).abs() < 1e-15);
    }
}
