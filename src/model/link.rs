//! Links: directed edges that carry traffic classes from one component to another.

use serde::{Deserialize, Serialize};

use super::component::TrafficClass;

/// A directed link. Its ends live in the graph; in a file they are component names.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// The traffic classes this link carries, sorted and without repeats.
    pub carries: Vec<TrafficClass>,
    /// Share of traffic when the source splits requests over several links
    /// (clients, load balancers, caches, CDNs, queues); relative to the others.
    pub weight: f64,
    /// Calls a server makes down this link for each request it serves (forced flow: a page
    /// that runs 4 queries has 4 here).
    pub calls_per_request: f64,
}

impl Link {
    /// A link carrying the given classes with weight 1 and one call per request.
    pub fn new(classes: &[TrafficClass]) -> Self {
        let mut carries = classes.to_vec();
        carries.sort();
        carries.dedup();
        Self {
            carries,
            weight: 1.0,
            calls_per_request: 1.0,
        }
    }

    /// Whether the link carries a class.
    pub fn carries(&self, class: TrafficClass) -> bool {
        self.carries.contains(&class)
    }

    /// A link that carries only background work: the only kind allowed to close a cycle.
    pub fn is_async_only(&self) -> bool {
        !self.carries.is_empty() && self.carries.iter().all(|c| *c == TrafficClass::Async)
    }
}

/// A link as written in a design file: its ends by component name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRecord {
    /// Name of the component the link leaves.
    pub from: String,
    /// Name of the component the link enters.
    pub to: String,
    /// The traffic classes the link carries (sorted and without repeats once read).
    pub carries: Vec<TrafficClass>,
    /// Share of traffic when the source splits requests over several links, relative to the others
    /// (default 1).
    #[serde(default = "one")]
    pub weight: f64,
    /// Calls a server makes down this link for each request it serves (default 1, at most 1,000).
    #[serde(default = "one")]
    pub calls_per_request: f64,
}

fn one() -> f64 {
    1.0
}
