//! Property test over random valid designs: no panic, no NaN, flow balance on every tick, and
//! the clients' requests conserved (offered = succeeded + failed + in flight).

use archsandbox::model::{
    BalancingAlgorithm, CacheParams, CdnParams, ClientParams, Component, ComponentKind,
    DatabaseParams, Design, HitRatio, Link, LoadBalancerParams, Partitioning, PriceTable,
    QueueParams, Scenario, ScheduledFailure, ServerParams, SessionState, Severity, TrafficClass,
    TrafficMix, TrafficProfile, validate,
};
use archsandbox::sim::{RunOptions, Simulation};
use proptest::prelude::*;

/// A component of a random kind (not a client), from a seed of small numbers.
fn component(i: usize, kind: u8, a: u32, b: f64, c: f64) -> Component {
    let name = format!("c{i}");
    let position = (i as f32 * 100.0, 0.0);
    let instances = 1 + a % 4;
    let kind = match kind % 6 {
        0 => ComponentKind::LoadBalancer(LoadBalancerParams {
            instances,
            capacity_per_s: 50.0 + b * 5_000.0,
            algorithm: BalancingAlgorithm::ALL[(a % 4) as usize],
            ..LoadBalancerParams::default()
        }),
        1 => ComponentKind::Server(ServerParams {
            size: ["small", "medium", "large", "16xlarge"][(a % 4) as usize].into(),
            instances,
            service_time_ms: 0.5 + c * 50.0,
            service_scv: b * 2.0,
            sessions: if a.is_multiple_of(3) {
                SessionState::InMemory
            } else {
                SessionState::Stateless
            },
            ..ServerParams::default()
        }),
        2 => ComponentKind::Cache(CacheParams {
            instances,
            capacity_per_s: 10.0 + b * 10_000.0,
            hit_ratio: if a.is_multiple_of(2) {
                HitRatio::Fixed(c)
            } else {
                HitRatio::Lru {
                    capacity_items: 1.0 + b * 1_000.0,
                    working_set_items: 10.0 + c * 10_000.0,
                    zipf_exponent: b,
                }
            },
            warmup_s: c * 100.0,
            ..CacheParams::default()
        }),
        3 => ComponentKind::Database(DatabaseParams {
            size: ["small", "large", "xlarge"][(a % 3) as usize].into(),
            instances,
            standby: a.is_multiple_of(2),
            shards: 1 + a % 5,
            partitioning: if a.is_multiple_of(2) {
                Partitioning::Range
            } else {
                Partitioning::Hash
            },
            key_skew: b * 2.0,
            read_service_time_ms: 0.5 + c * 10.0,
            write_service_time_ms: 1.0 + b * 20.0,
            ..DatabaseParams::default()
        }),
        4 => ComponentKind::MessageQueue(QueueParams {
            instances,
            max_depth: 1 + u64::from(a) * 50,
            consumers: 1 + a % 8,
            consumer_rate_per_s: 1.0 + c * 100.0,
            ..QueueParams::default()
        }),
        _ => ComponentKind::Cdn(CdnParams {
            edge_hit_ratio: c,
            edge_capacity_per_s: 10.0 + b * 100_000.0,
            ..CdnParams::default()
        }),
    };
    Component {
        name,
        position,
        kind,
    }
}

fn classes(bits: u8, to_store: bool) -> Vec<TrafficClass> {
    let mut out: Vec<TrafficClass> = [
        TrafficClass::Read,
        TrafficClass::Write,
        TrafficClass::Static,
        TrafficClass::Async,
    ]
    .into_iter()
    .enumerate()
    .filter(|(k, _)| bits & (1 << k) != 0)
    .map(|(_, c)| c)
    .collect();
    if to_store && bits & 16 != 0 {
        out.push(TrafficClass::Session);
    }
    if out.is_empty() {
        out.push(TrafficClass::Read);
    }
    out
}

type Spec = (
    Vec<(u8, u32, f64, f64)>,
    Vec<(usize, usize, u8, f64)>,
    u64,
    u8,
    f64,
    u8,
);

fn design_from(spec: &Spec) -> Design {
    let (nodes, extra_links, users, profile, tick, failures) = spec;
    let mut design = Design::new("random");
    let client = design.add(Component {
        name: "users".into(),
        position: (0.0, 0.0),
        kind: ComponentKind::Client(ClientParams {
            users: 1 + users % 5_000,
            rate_per_user_per_s: 0.1 + (users % 7) as f64,
            mix: TrafficMix {
                read: 0.5,
                write: 0.2,
                static_files: 0.2,
                async_jobs: 0.1,
            },
            ..ClientParams::default()
        }),
    });
    let mut ids = vec![client];
    for (i, (kind, a, b, c)) in nodes.iter().enumerate() {
        let id = design.add(component(i, *kind, *a, *b, *c));
        // Each node hangs off an earlier one that may send (not a database).
        let parents: Vec<_> = ids
            .iter()
            .copied()
            .filter(|p| {
                !matches!(
                    design.component(*p).map(|c| &c.kind),
                    Some(ComponentKind::Database(_))
                )
            })
            .collect();
        let parent = parents[(*a as usize) % parents.len()];
        let is_store = matches!(
            design.component(id).map(|c| &c.kind),
            Some(ComponentKind::Cache(_) | ComponentKind::Database(_))
        );
        design.connect(
            parent,
            id,
            Link::new(&classes(15 | ((*a as u8) << 4), is_store)),
        );
        ids.push(id);
    }
    for (from, to, bits, calls) in extra_links {
        let (from, to) = (from % ids.len(), to % ids.len());
        // Links go forward, except some that carry only async work back to an earlier node
        // (not the client): loops, which such links alone may close.
        let back = from > to;
        if from == to || back && (to == 0 || bits & 0x20 == 0) {
            continue;
        }
        let (f, t) = (ids[from], ids[to]);
        if matches!(
            design.component(f).map(|c| &c.kind),
            Some(ComponentKind::Database(_))
        ) || design.graph.find_edge(f, t).is_some()
        {
            continue;
        }
        let is_store = matches!(
            design.component(t).map(|c| &c.kind),
            Some(ComponentKind::Cache(_) | ComponentKind::Database(_))
        );
        let mut link = if back {
            Link::new(&[TrafficClass::Async])
        } else {
            Link::new(&classes(*bits, is_store))
        };
        // Loops that settle: a link back sends fewer than one job per job.
        link.calls_per_request = if back {
            0.05 + calls * 0.9
        } else {
            0.2 + calls * 3.0
        };
        link.weight = 0.1 + calls;
        // Some links retry: up to four tries, with or without a timeout, backoff, jitter and
        // a budget (never from a queue or on background work, which validation refuses).
        let from_queue = matches!(
            design.component(f).map(|c| &c.kind),
            Some(ComponentKind::MessageQueue(_))
        );
        if !back && !from_queue && !link.is_async_only() && bits & 0x40 != 0 {
            link.retry = Some(archsandbox::model::RetryPolicy {
                attempts: 1 + u32::from(bits % 4),
                timeout_ms: (bits & 0x80 != 0).then_some(5.0 + calls * 500.0),
                backoff_base_ms: calls * 100.0,
                backoff_cap_ms: calls * 100.0 + 400.0,
                jitter: bits & 1 == 0,
                budget_ratio: (bits & 2 != 0).then_some(0.1),
            });
        }
        design.connect(f, t, link);
    }
    let profile = match profile % 6 {
        0 => TrafficProfile::Constant,
        1 => TrafficProfile::Ramp {
            from: 0.5,
            to: 4.0,
            start_s: 10.0,
            end_s: 100.0,
        },
        2 => TrafficProfile::StepSurge {
            at_s: 50.0,
            multiplier: 5.0,
            until_s: Some(120.0),
        },
        3 => TrafficProfile::Spike {
            at_s: 20.0,
            peak: 8.0,
            rise_s: 10.0,
            decay_s: 40.0,
        },
        4 => TrafficProfile::DailyWave {
            period_s: 200.0,
            trough: 0.2,
            peak: 3.0,
            peak_at_s: 100.0,
        },
        _ => TrafficProfile::Points(vec![(0.0, 1.0), (60.0, 6.0), (120.0, 0.5)]),
    };
    let mut scenario_failures = Vec::new();
    for (n, id) in ids.iter().enumerate().skip(1) {
        if failures & (1 << (n % 8)) != 0 {
            let name = design
                .component(*id)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            scenario_failures.push(ScheduledFailure {
                component: name,
                instances: if n % 2 == 0 { None } else { Some(1) },
                at_s: 20.0 + n as f64 * 7.0,
                recover_at_s: if n % 3 == 0 {
                    None
                } else {
                    Some(90.0 + n as f64)
                },
            });
        }
    }
    let scenario = Scenario {
        name: "random".into(),
        tick_s: *tick,
        duration_s: 150.0 * tick,
        profile,
        failures: scenario_failures,
        random_failures: failures % 5 == 0,
        caches_start_cold: failures % 3 == 0,
        ..Scenario::default()
    };
    design.scenarios = vec![scenario];
    design.default_scenario = "random".into();
    design
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        proptest::collection::vec((any::<u8>(), any::<u32>(), 0.0f64..1.0, 0.0f64..1.0), 1..8),
        proptest::collection::vec(
            (any::<usize>(), any::<usize>(), any::<u8>(), 0.0f64..1.0),
            0..8,
        ),
        any::<u64>(),
        any::<u8>(),
        prop_oneof![Just(0.01), Just(0.1), Just(1.0), Just(5.0)],
        any::<u8>(),
    )
}

/// Every number in a JSON value is finite (NaN and infinities become `null` in JSON).
fn all_finite(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => false,
        serde_json::Value::Array(a) => a.iter().all(all_finite),
        serde_json::Value::Object(o) => o.values().all(all_finite),
        _ => true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_designs_run_without_panic_nan_or_imbalance(spec in spec()) {
        let prices = PriceTable::builtin();
        let design = design_from(&spec);
        let errors: Vec<_> = validate(&design, &prices).into_iter().filter(|i| i.severity == Severity::Error).collect();
        prop_assume!(errors.is_empty());
        // What `check` accepts runs: a loop whose traffic grows without end is refused there.
        let unrunnable = archsandbox::sim::preflight::runnable_issues(&design, &prices);
        prop_assume!(unrunnable.is_empty());
        let scenario = design.scenarios[0].clone();
        let mut sim = Simulation::with_options(&design, &scenario, &prices, RunOptions { keep_history: true, ..RunOptions::default() })
            .expect("a valid design runs");
        let ids: Vec<_> = design.components().map(|(id, _)| id).collect();
        let clients = crate::simulation::clients_and_slack(&design);
        let mut previous = vec![0u64; ids.len()];
        let mut succeeded_before = 0.0;
        while !sim.is_finished() {
            let system = *sim.step().expect("steps");
            crate::simulation::assert_requests_add_up(&sim, &clients, &mut succeeded_before, "random design");
            prop_assert!(system.in_flight.is_finite() && system.in_flight >= 0.0);
            prop_assert!(system.success_ratio.is_finite() && (0.0..=1.0 + 1e-9).contains(&system.success_ratio));
            prop_assert!(system.throughput_per_s.is_finite() && system.offered_per_s.is_finite());
            for (n, id) in ids.iter().enumerate() {
                let t = sim.node_tick(*id).expect("node");
                prop_assert_eq!(previous[n] + t.arrived_total(), t.served_total() + t.dropped_total() + t.backlog);
                prop_assert!(t.utilization.is_finite());
                previous[n] = t.backlog;
            }
        }
        crate::simulation::assert_conserved(&sim.summary());
        let summary = serde_json::to_value(sim.summary()).expect("json");
        prop_assert!(all_finite(&summary), "a number in the summary is not finite: {}", summary);
    }
}

/// Whether a request of `class` at `node` succeeds with `lost` gone: the rules
/// `structural_spofs` documents, by plain recursion (a reference for small designs): an async
/// link within a loop is not waited on.
fn succeeds_without(
    design: &Design,
    node: archsandbox::model::ComponentId,
    class: TrafficClass,
    lost: archsandbox::model::ComponentId,
    path: &mut std::collections::HashSet<(archsandbox::model::ComponentId, TrafficClass)>,
) -> bool {
    use archsandbox::model::KindName;
    if !path.insert((node, class)) {
        return true;
    }
    let Some(component) = design.component(node) else {
        return false;
    };
    let kind = component.kind.name();
    let loops = petgraph::algo::tarjan_scc(&design.graph);
    let same_loop = |a, b| {
        loops
            .iter()
            .any(|members| members.contains(&a) && members.contains(&b))
    };
    let waited_on = |t, l: &archsandbox::model::Link| !(l.is_async_only() && same_loop(node, t));
    let next: Vec<_> = design
        .outgoing(node)
        .filter(|(_, t, l)| l.carries(class) && waited_on(*t, l))
        .map(|(_, t, _)| t)
        .collect();
    let answer = if node == lost && kind != KindName::Cache {
        false
    } else {
        match kind {
            KindName::Database | KindName::MessageQueue => true,
            KindName::Server => {
                let sessions: Vec<_> = design
                    .outgoing(node)
                    .filter(|(_, t, l)| l.carries(TrafficClass::Session) && waited_on(*t, l))
                    .map(|(_, t, _)| t)
                    .collect();
                next.iter()
                    .all(|&t| succeeds_without(design, t, class, lost, path))
                    && sessions
                        .iter()
                        .all(|&t| succeeds_without(design, t, TrafficClass::Session, lost, path))
            }
            KindName::Cache | KindName::Cdn if next.is_empty() => node != lost,
            _ if next.is_empty() => kind != KindName::Client && kind != KindName::LoadBalancer,
            _ => next
                .iter()
                .any(|&t| succeeds_without(design, t, class, lost, path)),
        }
    };
    path.remove(&(node, class));
    answer
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn structural_spofs_are_those_a_plain_recursion_finds(spec in spec()) {
        use archsandbox::analysis::spof::{has_no_spare, structural_spofs};
        let design = design_from(&spec);
        let clients: Vec<_> = design.of_kind(archsandbox::model::KindName::Client).collect();
        let baseline = |client, class| {
            let nobody = archsandbox::model::ComponentId::new(usize::MAX >> 1);
            succeeds_without(&design, client, class, nobody, &mut std::collections::HashSet::new())
        };
        let mut expected: Vec<_> = design
            .components()
            .filter(|(_, c)| has_no_spare(&c.kind))
            .filter(|(id, _)| {
                clients.iter().any(|&client| {
                    let Some(ComponentKind::Client(p)) = design.component(client).map(|c| &c.kind) else {
                        return false;
                    };
                    TrafficClass::ALL.iter().filter(|c| p.mix.share(**c) > 0.0).any(|&class| {
                        baseline(client, class)
                            && !succeeds_without(&design, client, class, *id, &mut std::collections::HashSet::new())
                    })
                })
            })
            .map(|(id, _)| id)
            .collect();
        expected.sort();
        prop_assert_eq!(structural_spofs(&design), expected);
    }
}
