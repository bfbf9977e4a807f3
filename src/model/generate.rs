//! Generated designs of any size, for benchmarks: a realistic mix of clients, balancers,
//! server tiers, caches, databases, queues and CDNs.

use super::component::{
    ArrivalProcess, BalancingAlgorithm, CacheParams, ClientParams, Component, ComponentKind,
    DatabaseParams, HitRatio, KindName, LoadBalancerParams, QueueParams, ServerParams,
    SessionState, TrafficClass, TrafficMix,
};
use super::design::{ComponentId, Design};
use super::link::Link;
use super::scenario::{Scenario, TrafficProfile};

/// Grid cell of the generated layout on the canvas (x, y), in points.
const CELL: (f32, f32) = (260.0, 130.0);

/// Components in one generated stack.
pub const STACK_SIZE: usize = 10;

/// A design of about `components` components (rounded up to whole stacks of ten), under a
/// daily-wave scenario so that the load changes every tick.
///
/// Each stack is a small product: users → CDN (static) and → balancer → API tier → a cache →
/// a replicated database; the API also calls the next stack's auth tier (shared services),
/// keeps sessions in a session cache, and puts background work on a queue drained by
/// workers that write to the database.
pub fn benchmark_design(components: usize) -> Design {
    let stacks = components.div_ceil(STACK_SIZE).max(1);
    let mut design = Design::new(format!("generated ({} components)", stacks * STACK_SIZE));
    design.description =
        "A generated design for benchmarks: stacks of ten components, each calling the next."
            .into();
    let mut auth: Vec<ComponentId> = Vec::with_capacity(stacks);
    let mut apis: Vec<ComponentId> = Vec::with_capacity(stacks);
    // Stacks are tiled in a grid about as wide as a screen is, each a block of 5 × 3 cells.
    let columns = ((stacks as f64 * 0.5).sqrt().round() as usize).max(1);
    for s in 0..stacks {
        let origin = (
            (s % columns) as f32 * (5.0 * CELL.0 + 120.0),
            (s / columns) as f32 * (3.0 * CELL.1 + 100.0),
        );
        let mut add = |name: &str, (column, row): (f32, f32), kind: ComponentKind| {
            design.add(Component {
                name: format!("{name}-{s}"),
                position: (origin.0 + column * CELL.0, origin.1 + row * CELL.1),
                kind,
            })
        };
        let users = add(
            "users",
            (0.0, 1.0),
            ComponentKind::Client(ClientParams {
                users: 20_000 + (s as u64 % 7) * 5_000,
                rate_per_user_per_s: 0.02,
                mix: TrafficMix {
                    read: 0.55,
                    write: 0.1,
                    static_files: 0.3,
                    async_jobs: 0.05,
                },
                arrivals: ArrivalProcess::Poisson,
                ..ClientParams::default()
            }),
        );
        let cdn = add("cdn", (1.0, 0.0), ComponentKind::default_for(KindName::Cdn));
        let lb = add(
            "lb",
            (1.0, 1.0),
            ComponentKind::LoadBalancer(LoadBalancerParams {
                instances: 2,
                algorithm: if s % 2 == 0 {
                    BalancingAlgorithm::RoundRobin
                } else {
                    BalancingAlgorithm::LeastLoaded
                },
                ..LoadBalancerParams::default()
            }),
        );
        let api = add(
            "api",
            (2.0, 1.0),
            ComponentKind::Server(ServerParams {
                size: "large".into(),
                instances: 6,
                service_time_ms: 8.0,
                sessions: SessionState::Stateless,
                ..ServerParams::default()
            }),
        );
        let auth_tier = add(
            "auth",
            (2.0, 2.0),
            ComponentKind::Server(ServerParams {
                size: "medium".into(),
                instances: 3,
                service_time_ms: 3.0,
                ..ServerParams::default()
            }),
        );
        let sessions = add(
            "sessions",
            (3.0, 0.0),
            ComponentKind::Cache(CacheParams {
                hit_ratio: HitRatio::Fixed(1.0),
                ..CacheParams::default()
            }),
        );
        let cache = add(
            "cache",
            (3.0, 1.0),
            ComponentKind::Cache(CacheParams {
                instances: 2,
                hit_ratio: HitRatio::Fixed(0.85),
                ..CacheParams::default()
            }),
        );
        let db = add(
            "db",
            (4.0, 1.0),
            ComponentKind::Database(DatabaseParams {
                size: "xlarge".into(),
                instances: 3,
                shards: 2,
                key_skew: 0.5,
                ..DatabaseParams::default()
            }),
        );
        let queue = add(
            "queue",
            (3.0, 2.0),
            ComponentKind::MessageQueue(QueueParams {
                consumers: 8,
                consumer_rate_per_s: 40.0,
                ..QueueParams::default()
            }),
        );
        let worker = add(
            "worker",
            (4.0, 2.0),
            ComponentKind::Server(ServerParams {
                size: "medium".into(),
                instances: 2,
                service_time_ms: 15.0,
                ..ServerParams::default()
            }),
        );
        use TrafficClass::{Async, Read, Session, Static, Write};
        design.connect(users, cdn, Link::new(&[Static]));
        design.connect(users, lb, Link::new(&[Read, Write, Async]));
        design.connect(cdn, lb, Link::new(&[Static]));
        design.connect(lb, api, Link::new(&[Read, Write, Static, Async]));
        design.connect(api, sessions, Link::new(&[Session]));
        design.connect(api, cache, Link::new(&[Read, Write]));
        design.connect(cache, db, Link::new(&[Read, Write]));
        design.connect(api, queue, Link::new(&[Async]));
        design.connect(queue, worker, Link::new(&[Async]));
        design.connect(worker, db, Link::new(&[Async]));
        design.connect(auth_tier, db, Link::new(&[Read]));
        auth.push(auth_tier);
        apis.push(api);
    }
    // Each API checks tokens with the next stack's auth tier.
    for s in 0..stacks {
        design.connect(
            apis[s],
            auth[(s + 1) % stacks],
            Link::new(&[TrafficClass::Read]),
        );
    }
    design.scenarios = vec![Scenario {
        name: "day".into(),
        description: "A daily wave between a third and one and a half times the base load.".into(),
        seed: 1,
        tick_s: 1.0,
        duration_s: 86_400.0,
        profile: TrafficProfile::DailyWave {
            period_s: 86_400.0,
            trough: 0.3,
            peak: 1.5,
            peak_at_s: 50_400.0,
        },
        ..Scenario::default()
    }];
    design.default_scenario = "day".into();
    design
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PriceTable, Severity, validate};

    #[test]
    fn generated_designs_are_valid_and_sized() {
        let design = benchmark_design(95);
        assert_eq!(design.component_count(), 100);
        let errors: Vec<_> = validate(&design, &PriceTable::builtin())
            .into_iter()
            .filter(|i| i.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}
