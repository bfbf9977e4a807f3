//! Availability from MTBF and MTTR (MODEL-REFERENCE.md §4): per instance A = MTBF/(MTBF+MTTR);
//! a group of n instances where the load needs k is up while at least k are
//! (Σ_{i≥k} C(n,i) A^i (1−A)^{n−i}, which is 1 − (1−A)^n when k = 1); components a request
//! passes through are in series. These assume independent failures and instant failover.

use serde::Serialize;

use crate::model::{ComponentId, ComponentKind, Design, TrafficClass};
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
    pub name: String,
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
    /// Whether the component is in series on request paths (a cache is not: when it fails,
    /// requests miss and go to the store behind it).
    pub in_series: bool,
}

/// Availability of a design at a load multiplier.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AvailabilityReport {
    pub components: Vec<ComponentAvailability>,
    /// Request-weighted availability over the classes the clients send.
    pub system: f64,
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
                let n = p.instances + u32::from(p.standby);
                let k = ((law.utilization * load * f64::from(p.instances)).ceil() as u32)
                    .clamp(1, p.instances);
                let shard = k_of_n(k, n, a);
                (n, k, shard.powi(p.shards as i32), true)
            }
            ComponentKind::Cache(p) => {
                let k = needed_for(p.instances, law.instance_capacity_per_s);
                (p.instances, k, k_of_n(k, p.instances, a), false)
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
    // Series per class: the components requests of that class reach (and the session stores,
    // which every request through a server with a session link needs).
    let session = TrafficClass::Session.index();
    let class_share: Vec<f64> = (0..TrafficClass::COUNT)
        .map(|k| {
            laws.nodes
                .iter()
                .filter(|n| n.kind == crate::model::KindName::Client)
                .map(|n| n.class_rates_per_s[k])
                .sum::<f64>()
        })
        .collect();
    let total: f64 = class_share.iter().sum();
    let mut system = 0.0;
    for k in 0..TrafficClass::COUNT {
        if class_share[k] <= 0.0 {
            continue;
        }
        let mut a_class = 1.0;
        for (law, c) in laws
            .nodes
            .iter()
            .filter(|n| n.kind != crate::model::KindName::Client)
            .filter_map(|n| components.iter().find(|c| c.id == n.id).map(|c| (n, c)))
        {
            let on_path = law.class_rates_per_s[k] > 0.0 || law.class_rates_per_s[session] > 0.0;
            if on_path && c.in_series {
                a_class *= c.availability;
            }
        }
        system += class_share[k] / total * a_class;
    }
    if total <= 0.0 {
        system = 1.0;
    }
    AvailabilityReport {
        components,
        system,
        downtime_min_per_year: (1.0 - system) * MINUTES_PER_YEAR,
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
    fn k_of_n_reduces_to_the_parallel_formula_for_one_needed() {
        let a: f64 = 0.99;
        assert!((k_of_n(1, 3, a) - (1.0 - (1.0 - a).powi(3))).abs() < 1e-15);
        assert!((k_of_n(3, 3, a) - a.powi(3)).abs() < 1e-15);
    }
}
