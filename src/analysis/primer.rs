//! The guided walk through the primer: the ten example designs as numbered chapters in the
//! story's order, each with what to notice and claims that are checked on the design's
//! analysis (its run at the load running now, and the laws' ladder) — so that an edited
//! example can never teach something false: a claim that does not hold says so.

use super::report::{SimulateReport, number};

/// Something a chapter says about its design, checked on the design's report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Claim {
    /// The ladder's first step is this component.
    BreaksFirst(&'static str),
    /// The component saturates below this multiple of the design's load.
    SaturatesBelow(&'static str, f64),
    /// The component saturates at or above this multiple of the design's load.
    SaturatesAbove(&'static str, f64),
    /// The design's first bottleneck saturates at or above this multiple.
    CarriesAtLeast(f64),
    /// At least this share of the requests that ended succeeded.
    SuccessAtLeast(f64),
    /// Less than this share of the requests that ended succeeded.
    SuccessBelow(f64),
    /// The component is offered less than this share of the requests the clients send.
    SeesUnder(&'static str, f64),
    /// The component is less busy than this (utilization, 0 to 1).
    BusyUnder(&'static str, f64),
    /// The end-to-end p99 latency is below this, in milliseconds.
    P99Under(f64),
    /// The component is a single point of failure.
    SinglePointOfFailure(&'static str),
    /// No component is a single point of failure.
    NoSinglePointOfFailure,
    /// Exactly this many components are single points of failure.
    SinglePointsOfFailure(usize),
}

/// A claim's verdict on a report: whether it holds, and what was measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// It holds.
    pub holds: bool,
    /// What the report says, in words ("kitchen breaks first at ×1.53").
    pub measured: String,
}

impl Claim {
    /// The claim checked on `report`; an error when it names a component the design lacks.
    pub fn check(self, report: &SimulateReport) -> Result<Verdict, String> {
        let component = |name: &str| {
            report
                .components
                .iter()
                .find(|c| c.run.name == name)
                .ok_or_else(|| format!("the design has no component named '{name}'"))
        };
        let saturation = |name: &str| -> Result<Option<f64>, String> {
            component(name)?;
            Ok(report
                .bottleneck_ladder
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.saturates_at_load))
        };
        let at = |v: Option<f64>| v.map_or("never".to_string(), |v| format!("×{}", number(v)));
        let s = &report.system;
        let spofs: Vec<&str> = report
            .components
            .iter()
            .filter(|c| c.run.spof)
            .map(|c| c.run.name.as_str())
            .collect();
        let verdict = |holds: bool, measured: String| Ok(Verdict { holds, measured });
        match self {
            Claim::BreaksFirst(name) => {
                component(name)?;
                let first = report.bottleneck_ladder.first();
                verdict(
                    first.is_some_and(|f| f.name == name),
                    first.map_or("nothing saturates".into(), |f| {
                        format!(
                            "{} breaks first at ×{}",
                            f.name,
                            number(f.saturates_at_load)
                        )
                    }),
                )
            }
            Claim::SaturatesBelow(name, load) => {
                let v = saturation(name)?;
                verdict(
                    v.is_some_and(|v| v < load),
                    format!("{name} saturates at {}", at(v)),
                )
            }
            Claim::SaturatesAbove(name, load) => {
                let v = saturation(name)?;
                verdict(
                    v.is_none_or(|v| v >= load),
                    format!("{name} saturates at {}", at(v)),
                )
            }
            Claim::CarriesAtLeast(load) => verdict(
                s.max_load_multiplier.is_none_or(|v| v >= load),
                format!(
                    "the first bottleneck saturates at {}",
                    at(s.max_load_multiplier)
                ),
            ),
            Claim::SuccessAtLeast(ratio) => verdict(
                s.run.success_ratio >= ratio,
                format!("{:.2} % succeed", s.run.success_ratio * 100.0),
            ),
            Claim::SuccessBelow(ratio) => verdict(
                s.run.success_ratio < ratio,
                format!("{:.2} % succeed", s.run.success_ratio * 100.0),
            ),
            Claim::SeesUnder(name, share) => {
                let c = component(name)?;
                let seen = if s.run.offered_per_s > 0.0 {
                    c.run.offered_per_s / s.run.offered_per_s
                } else {
                    0.0
                };
                verdict(
                    seen < share,
                    format!("{name} sees {:.0} % of the requests", seen * 100.0),
                )
            }
            Claim::BusyUnder(name, utilization) => {
                let c = component(name)?;
                verdict(
                    c.run.utilization < utilization,
                    format!("{name} is {:.0} % busy", c.run.utilization * 100.0),
                )
            }
            Claim::P99Under(ms) => verdict(
                s.run.latency_ms.p99 < ms,
                format!("p99 {} ms", number(s.run.latency_ms.p99)),
            ),
            Claim::SinglePointOfFailure(name) => {
                component(name)?;
                verdict(
                    spofs.contains(&name),
                    format!("single points of failure: {}", list(&spofs)),
                )
            }
            Claim::NoSinglePointOfFailure => verdict(
                spofs.is_empty(),
                format!("single points of failure: {}", list(&spofs)),
            ),
            Claim::SinglePointsOfFailure(n) => verdict(
                spofs.len() == n,
                format!("single points of failure: {}", list(&spofs)),
            ),
        }
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// A chapter of the walk.
#[derive(Clone, Debug, PartialEq)]
pub struct Chapter {
    /// The example design's file in `saved-designs/`.
    pub file: &'static str,
    /// Its title.
    pub title: &'static str,
    /// What to notice, in two or three sentences.
    pub notice: &'static str,
    /// What the app checks, each with the sentence that states it.
    pub claims: &'static [(&'static str, Claim)],
}

/// The walk: the primer's story, one example design a chapter, each checked at the load its
/// scenario runs (the slider at ×1).
pub const CHAPTERS: [Chapter; 10] = [
    Chapter {
        file: "one-server.ron",
        title: "One server",
        notice: "The restaurant as it opened: one kitchen, one pantry. The lunch rush triples the load; the ladder on the right says the kitchen saturates long before the peak, and orders pile up and time out.",
        claims: &[
            ("The kitchen breaks first.", Claim::BreaksFirst("kitchen")),
            (
                "At the rush's peak (×3) the kitchen is past saturation: fewer than 99.9 % of orders succeed.",
                Claim::SuccessBelow(0.999),
            ),
        ],
    },
    Chapter {
        file: "scale-up.ron",
        title: "Scale up",
        notice: "The same kitchen on the biggest machine money buys. It carries the rush, but there is no bigger machine after this one, and one kitchen is still one kitchen.",
        claims: &[
            (
                "Every order of the rush succeeds.",
                Claim::SuccessAtLeast(0.999),
            ),
            (
                "The kitchen is still a single point of failure.",
                Claim::SinglePointOfFailure("kitchen"),
            ),
        ],
    },
    Chapter {
        file: "scale-out.ron",
        title: "Scale out",
        notice: "Eight stateless kitchens behind a pair of balancers, and a pantry with a replica. Capacity grows by adding machines, and losing one is absorbed by the others.",
        claims: &[
            (
                "Nothing saturates below ten times the lunch load.",
                Claim::CarriesAtLeast(10.0),
            ),
            (
                "No component is a single point of failure.",
                Claim::NoSinglePointOfFailure,
            ),
        ],
    },
    Chapter {
        file: "stateful-servers.ron",
        title: "Sessions in memory",
        notice: "Three kitchens that each remember their own diners, behind a round-robin host. Capacity is not the problem: two requests in three reach a kitchen that does not know the diner. This is why servers are made stateless before they are scaled out.",
        claims: &[
            (
                "Fewer than half of the requests succeed.",
                Claim::SuccessBelow(0.5),
            ),
            (
                "The kitchens are under half busy: it is not a lack of capacity.",
                Claim::BusyUnder("kitchen", 0.5),
            ),
        ],
    },
    Chapter {
        file: "cache-in-front.ron",
        title: "A cache in front",
        notice: "Prepared ingredients on the counter: a cache answers most reads from memory, so the pantry behind it sees only the misses and the writes.",
        claims: &[
            (
                "The pantry sees under a third of the requests.",
                Claim::SeesUnder("pantry", 1.0 / 3.0),
            ),
            (
                "The pantry still breaks first: misses and writes still reach it.",
                Claim::BreaksFirst("pantry"),
            ),
        ],
    },
    Chapter {
        file: "read-replicas.ron",
        title: "Read replicas",
        notice: "The pantry copied three times: reads spread over the copies, while every write still lands on the primary and is replayed on each copy. Reads scale; writes do not.",
        claims: &[
            (
                "The pantry now carries more than eight times the lunch load.",
                Claim::SaturatesAbove("pantry", 8.0),
            ),
            (
                "No component is a single point of failure.",
                Claim::NoSinglePointOfFailure,
            ),
        ],
    },
    Chapter {
        file: "sharded-database.ron",
        title: "Shards",
        notice: "The pantry split over four shards by customer number. The regulars order most, so the first range takes half the orders: a hot shard saturates while the others idle.",
        claims: &[
            ("The pantry breaks first.", Claim::BreaksFirst("pantry")),
            (
                "Its hot shard saturates it below eight times the load, though four shards share the orders.",
                Claim::SaturatesBelow("pantry", 8.0),
            ),
        ],
    },
    Chapter {
        file: "message-queue.ron",
        title: "A queue for slow work",
        notice: "Receipts and loyalty points go on an order rail: the kitchen answers at once and the back office catches up later. Watch the backlog when the consumers cannot keep up.",
        claims: &[
            (
                "The order rail's consumers break first.",
                Claim::BreaksFirst("order rail"),
            ),
            (
                "Diners still get their answer quickly: p99 under half a second.",
                Claim::P99Under(500.0),
            ),
        ],
    },
    Chapter {
        file: "cdn-static.ron",
        title: "A CDN for static files",
        notice: "Menus and photos come from a takeaway counter near the diners: the CDN answers most static requests, and only its misses reach the kitchens.",
        claims: &[(
            "The kitchens see under half of the requests.",
            Claim::SeesUnder("kitchen", 0.5),
        )],
    },
    Chapter {
        file: "viral-restaurant.ron",
        title: "The viral restaurant",
        notice: "The whole stack after the post went viral. Every fix so far revealed the next bottleneck; this one runs just under its first. Try Fix the next bottleneck, and watch the ladder move.",
        claims: &[
            (
                "The back office breaks first.",
                Claim::BreaksFirst("back office"),
            ),
            (
                "It saturates just past the lunch load, below ×1.1.",
                Claim::SaturatesBelow("back office", 1.1),
            ),
            (
                "Three components are single points of failure.",
                Claim::SinglePointsOfFailure(3),
            ),
        ],
    },
];
