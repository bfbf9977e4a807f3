//! Analysis against closed forms: availability in series and parallel, k-of-n, the forced-flow
//! law and the bottleneck ladder, single points of failure in the shipped designs.

use archsandbox::analysis::availability::{AvailabilityReport, availability, k_of_n};
use archsandbox::analysis::{AnalysisOptions, analyze};
use archsandbox::model::{
    CacheParams, ClientParams, Component, ComponentKind, DatabaseParams, Design, HitRatio,
    KindName, Link, PriceTable, QueueParams, Scenario, ServerParams, TrafficClass, TrafficMix,
};
use archsandbox::sim::laws::operational_laws;

use crate::simulation::shipped;

fn laws_of(design: &Design) -> archsandbox::sim::laws::Laws {
    operational_laws(
        design,
        design.default_scenario().expect("scenario"),
        &PriceTable::builtin(),
    )
    .expect("laws")
}

fn set_instances(design: &mut Design, name: &str, n: u32) {
    let id = design.find(name).expect("component");
    match design.component_mut(id).map(|c| &mut c.kind) {
        Some(ComponentKind::LoadBalancer(p)) => p.instances = n,
        Some(ComponentKind::Server(p)) => p.instances = n,
        Some(ComponentKind::Database(p)) => p.instances = n,
        _ => panic!("{name} has no instances to set"),
    }
}

#[test]
fn a_chain_in_series_multiplies_its_availabilities() {
    // 0.9999 × 0.990099 × 0.998004 = 0.988024; (1 − A) × 525,600 = 6,295 minutes a year.
    let design = shipped("saved-designs/validation/availability-chain.ron");
    let report = availability(&design, &laws_of(&design), 1.0);
    assert!(
        (report.system - 0.988_024).abs() < 5e-7,
        "A = {}",
        report.system
    );
    assert!(
        (report.downtime_min_per_year - 6_295.0).abs() < 1.0,
        "{} min",
        report.downtime_min_per_year
    );
}

#[test]
fn redundant_instances_in_parallel_lift_the_chain_to_five_nines() {
    // 2 balancers, 3 app servers, 2 databases, each needing one: 1 − (1 − A)^n per group.
    let mut design = shipped("saved-designs/validation/availability-chain.ron");
    set_instances(&mut design, "balancer", 2);
    set_instances(&mut design, "app", 3);
    set_instances(&mut design, "database", 2);
    let report = availability(&design, &laws_of(&design), 1.0);
    let expected = (1.0 - (1.0 - 0.9999f64).powi(2))
        * (1.0 - (1.0 - 1000.0 / 1010.0f64).powi(3))
        * (1.0 - (1.0 - 2000.0 / 2004.0f64).powi(2));
    assert!(
        (report.system - expected).abs() < 1e-9,
        "A = {}",
        report.system
    );
    assert!(
        (report.system - 0.999_995).abs() < 5e-7,
        "A = {}",
        report.system
    );
}

#[test]
fn a_group_that_needs_k_of_its_n_instances_is_up_while_k_are() {
    // Four app servers of which the load needs three.
    let mut design = shipped("saved-designs/validation/availability-chain.ron");
    set_instances(&mut design, "app", 4);
    let laws = laws_of(&design);
    let app = laws.nodes.iter().find(|n| n.name == "app").expect("app");
    // The load multiplier at which three instances are needed (2.5 instances' worth).
    let load = 2.5 * app.instance_capacity_per_s / app.rate_per_s;
    let report = availability(&design, &laws, load);
    let a = 1000.0 / 1010.0f64;
    let expected = 4.0 * a.powi(3) * (1.0 - a) + a.powi(4);
    let group = report
        .components
        .iter()
        .find(|c| c.name == "app")
        .expect("app");
    assert_eq!(group.needed, 3);
    assert!((group.availability - expected).abs() < 1e-12);
    assert!((k_of_n(3, 4, a) - expected).abs() < 1e-12);
}

/// A design of `components` (name, kind) in a row on the canvas and `links` between them
/// (from, to, classes), under a steady scenario.
fn design_of(
    components: Vec<(&str, ComponentKind)>,
    links: &[(&str, &str, &[TrafficClass])],
) -> Design {
    let mut design = Design::new("availability");
    for (i, (name, kind)) in components.into_iter().enumerate() {
        design.add(Component {
            name: name.into(),
            position: (220.0 * i as f32, 0.0),
            kind,
        });
    }
    for (from, to, classes) in links {
        let (from, to) = (
            design.find(from).expect("from"),
            design.find(to).expect("to"),
        );
        design.connect(from, to, Link::new(classes));
    }
    design.scenarios = vec![Scenario::default()];
    design.default_scenario = Scenario::default().name;
    design
}

/// Clients sending `rate_per_s` requests a second, all of one class.
fn clients(rate_per_s: u64, class: TrafficClass) -> ComponentKind {
    let share = |c: TrafficClass| if c == class { 1.0 } else { 0.0 };
    ComponentKind::Client(ClientParams {
        users: rate_per_s,
        rate_per_user_per_s: 1.0,
        mix: TrafficMix {
            read: share(TrafficClass::Read),
            write: share(TrafficClass::Write),
            static_files: share(TrafficClass::Static),
            async_jobs: share(TrafficClass::Async),
        },
        ..ClientParams::default()
    })
}

/// Each component's group availability in a report, by name.
fn group_availability(report: &AvailabilityReport, name: &str) -> f64 {
    report
        .components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .availability
}

/// The report's system availability is `expected`, to rounding.
fn assert_system_availability(report: &AvailabilityReport, expected: f64) {
    assert!(
        (report.system - expected).abs() < 1e-12,
        "A = {}, expected {expected}",
        report.system
    );
}

#[test]
fn a_balancer_routes_around_a_dead_server_group_but_not_around_a_dead_database_behind_one() {
    // Two app groups behind one balancer, each on its database (or both on one). The balancer
    // sends each request to a group that is up, half and half while both are; a request is
    // lost when the database behind its group is down: the balancer does not see that.
    // Both ways A = A_lb · (1 − (1 − A_app)²) · A_db: with both groups up half the requests
    // need each database, with one up all need its own.
    let chain = shipped("saved-designs/validation/availability-chain.ron");
    let kind_of = |name: &str| {
        let id = chain.find(name).expect("in the chain");
        chain.component(id).expect("component").kind.clone()
    };
    let (balancer, app, database) = (kind_of("balancer"), kind_of("app"), kind_of("database"));
    use TrafficClass::Read;
    let (lb, a, db) = (50_000.0 / 50_005.0, 1000.0 / 1010.0, 2000.0 / 2004.0);
    let expected = lb * (1.0 - (1.0f64 - a).powi(2)) * db;
    for (shared, second_database) in [(true, "database"), (false, "database-2")] {
        let mut components = vec![
            ("users", clients(10, Read)),
            ("balancer", balancer.clone()),
            ("app", app.clone()),
            ("app-2", app.clone()),
            ("database", database.clone()),
        ];
        if !shared {
            components.push(("database-2", database.clone()));
        }
        let design = design_of(
            components,
            &[
                ("users", "balancer", &[Read]),
                ("balancer", "app", &[Read]),
                ("balancer", "app-2", &[Read]),
                ("app", "database", &[Read]),
                ("app-2", second_database, &[Read]),
            ],
        );
        let report = availability(&design, &laws_of(&design), 1.0);
        assert!(
            (report.system - expected).abs() < 1e-9,
            "shared database {shared}: A = {}, expected {expected}",
            report.system
        );
    }
}

#[test]
fn a_queue_decouples_the_request_from_the_workers_behind_it() {
    use TrafficClass::Async;
    let design = design_of(
        vec![
            ("producers", clients(100, Async)),
            ("api", ComponentKind::default_for(KindName::Server)),
            ("queue", ComponentKind::default_for(KindName::MessageQueue)),
            ("worker", ComponentKind::default_for(KindName::Server)),
            ("store", ComponentKind::default_for(KindName::Database)),
        ],
        &[
            ("producers", "api", &[Async]),
            ("api", "queue", &[Async]),
            ("queue", "worker", &[Async]),
            ("worker", "store", &[Async]),
        ],
    );
    let report = availability(&design, &laws_of(&design), 1.0);
    let expected = group_availability(&report, "api") * group_availability(&report, "queue");
    assert!(group_availability(&report, "worker") < 1.0);
    assert_system_availability(&report, expected);
}

#[test]
fn a_cache_answers_its_hits_while_the_store_is_down_and_misses_everything_while_it_is() {
    use TrafficClass::Read;
    let design = design_of(
        vec![
            ("readers", clients(100, Read)),
            (
                "cache",
                ComponentKind::Cache(CacheParams {
                    hit_ratio: HitRatio::Fixed(0.9),
                    ..CacheParams::default()
                }),
            ),
            ("store", ComponentKind::default_for(KindName::Database)),
        ],
        &[("readers", "cache", &[Read]), ("cache", "store", &[Read])],
    );
    let report = availability(&design, &laws_of(&design), 1.0);
    let (cache, store) = (
        group_availability(&report, "cache"),
        group_availability(&report, "store"),
    );
    let expected = cache * (0.9 + 0.1 * store) + (1.0 - cache) * store;
    assert_system_availability(&report, expected);
}

#[test]
fn a_queue_needs_as_many_brokers_as_its_message_rate_takes() {
    // 1,500 messages a second into brokers of 1,000 a second each: both are needed.
    use TrafficClass::Async;
    let design = design_of(
        vec![
            ("producers", clients(1_500, Async)),
            (
                "queue",
                ComponentKind::MessageQueue(QueueParams {
                    instances: 2,
                    capacity_per_s: 1_000.0,
                    consumers: 100,
                    consumer_rate_per_s: 25.0,
                    ..QueueParams::default()
                }),
            ),
        ],
        &[("producers", "queue", &[Async])],
    );
    let report = availability(&design, &laws_of(&design), 1.0);
    let queue = report
        .components
        .iter()
        .find(|c| c.name == "queue")
        .expect("queue");
    assert_eq!((queue.needed, queue.instances), (2, 2));
    assert!((queue.availability - queue.instance.powi(2)).abs() < 1e-12);
}

/// 100 requests/s into app servers (20 ms per visit) that query a database four times per
/// request (6 ms per query): D_app = 20 ms, D_db = 24 ms, so the database saturates first.
fn forced_flow_design() -> Design {
    let mut design = Design::new("forced flow");
    let users = design.add(Component {
        name: "users".into(),
        position: (0.0, 0.0),
        kind: ComponentKind::Client(ClientParams {
            users: 100,
            rate_per_user_per_s: 1.0,
            mix: TrafficMix {
                read: 1.0,
                write: 0.0,
                static_files: 0.0,
                async_jobs: 0.0,
            },
            ..ClientParams::default()
        }),
    });
    let app = design.add(Component {
        name: "app".into(),
        position: (200.0, 0.0),
        kind: ComponentKind::Server(ServerParams {
            size: "small".into(),
            service_time_ms: 20.0,
            contention: 0.0,
            coherency: 0.0,
            ..ServerParams::default()
        }),
    });
    let db = design.add(Component {
        name: "db".into(),
        position: (400.0, 0.0),
        kind: ComponentKind::Database(DatabaseParams {
            size: "small".into(),
            read_service_time_ms: 6.0,
            contention: 0.0,
            coherency: 0.0,
            ..DatabaseParams::default()
        }),
    });
    design.connect(users, app, Link::new(&[TrafficClass::Read]));
    let mut queries = Link::new(&[TrafficClass::Read]);
    queries.calls_per_request = 4.0;
    design.connect(app, db, queries);
    design.scenarios = vec![Scenario {
        name: "steady".into(),
        duration_s: 1_200.0,
        load_multiplier: 0.3,
        ..Scenario::default()
    }];
    design.default_scenario = "steady".into();
    design
}

#[test]
fn a_database_queried_four_times_per_request_saturates_before_slower_app_servers() {
    let design = forced_flow_design();
    let laws = laws_of(&design);
    let db = laws.nodes.iter().find(|n| n.name == "db").expect("db");
    assert!((db.visits - 4.0).abs() < 1e-12, "V_db = {}", db.visits);
    let ladder = archsandbox::analysis::ladder::bottleneck_ladder(&laws);
    assert_eq!(ladder[0].name, "db", "{ladder:?}");
    // X_max = 1 / D_db = 1 / 0.024 s = 41.7/s, which is 0.417 × the 100/s design load.
    assert!((ladder[0].saturates_at_load - 1.0 / (100.0 * 0.024)).abs() < 1e-9);
    assert_eq!(ladder[1].name, "app");
    assert!((ladder[1].saturates_at_load - 1.0 / (100.0 * 0.020)).abs() < 1e-9);
    // The simulation agrees: database throughput is four times the request rate (forced flow).
    let report = analyze(
        &design,
        &design.scenarios[0],
        &PriceTable::builtin(),
        &AnalysisOptions::default(),
    )
    .expect("runs");
    let db_run = report
        .components
        .iter()
        .find(|c| c.run.name == "db")
        .expect("db");
    let app_run = report
        .components
        .iter()
        .find(|c| c.run.name == "app")
        .expect("app");
    assert!((db_run.run.served_per_s / app_run.run.served_per_s - 4.0).abs() < 0.02);
    assert!(report.model_check.is_empty(), "{:?}", report.model_check);
}

#[test]
fn one_server_and_scale_up_have_single_points_of_failure_and_scale_out_has_none() {
    let prices = PriceTable::builtin();
    for (file, expect_spofs) in [
        ("saved-designs/one-server.ron", true),
        ("saved-designs/scale-up.ron", true),
        ("saved-designs/scale-out.ron", false),
    ] {
        let design = shipped(file);
        let scenario = design.scenario("steady").expect("steady").clone();
        let report =
            analyze(&design, &scenario, &prices, &AnalysisOptions::default()).expect("runs");
        let spofs: Vec<_> = report
            .components
            .iter()
            .filter(|c| c.run.spof)
            .map(|c| c.run.name.clone())
            .collect();
        assert_eq!(!spofs.is_empty(), expect_spofs, "{file}: SPOFs {spofs:?}");
    }
}

#[test]
fn every_shipped_design_has_a_non_empty_ascending_ladder() {
    for path in crate::ron_files("saved-designs") {
        let design = archsandbox::model::read_design(&path, &PriceTable::builtin())
            .expect("loads")
            .design;
        let ladder = archsandbox::analysis::ladder::bottleneck_ladder(&laws_of(&design));
        assert!(!ladder.is_empty(), "{}", path.display());
        assert!(
            ladder
                .windows(2)
                .all(|w| w[0].saturates_at_load <= w[1].saturates_at_load),
            "{}: {ladder:?}",
            path.display()
        );
    }
}

#[test]
fn the_simulation_agrees_with_the_laws_on_every_steady_shipped_design() {
    // Where they disagree beyond the run's noise the report says so; on steady scenarios of
    // the shipped designs they must not.
    let prices = PriceTable::builtin();
    for path in crate::ron_files("saved-designs") {
        let design = archsandbox::model::read_design(&path, &prices)
            .expect("loads")
            .design;
        let Some(scenario) = design.scenario("steady").cloned() else {
            continue;
        };
        let options = AnalysisOptions {
            failure_analysis: archsandbox::analysis::report::FailureAnalysis::Off,
            ..AnalysisOptions::default()
        };
        let report = analyze(&design, &scenario, &prices, &options).expect("runs");
        assert!(
            report.model_check.is_empty(),
            "{}: {:?}",
            path.display(),
            report.model_check
        );
    }
}

/// Readers at `rate_per_s` into one small server of 10 ms (M/M/1 at rate / 100), for
/// `duration_s` in a steady scenario.
fn one_queue(rate_per_s: u64, duration_s: f64) -> Design {
    use crate::simulation::{clients, mix, placed, server};
    let mut design = Design::new("one queue");
    let r = design.add(placed(
        "readers",
        0,
        clients(
            rate_per_s,
            mix(1.0, 0.0),
            archsandbox::model::ArrivalProcess::Poisson,
        ),
    ));
    let s = design.add(server("server", 1, "small", 1, 0.01, 1.0));
    design.connect(r, s, Link::new(&[TrafficClass::Read]));
    let scenario = Scenario {
        name: "steady".into(),
        duration_s,
        ..Scenario::default()
    };
    design.scenarios = vec![scenario];
    design.default_scenario = "steady".into();
    design
}

fn report_of(
    design: &Design,
    engine: archsandbox::analysis::report::Engine,
) -> archsandbox::analysis::SimulateReport {
    let options = AnalysisOptions {
        failure_analysis: archsandbox::analysis::report::FailureAnalysis::Off,
        engine,
        ..AnalysisOptions::default()
    };
    analyze(
        design,
        design.default_scenario().expect("scenario"),
        &PriceTable::builtin(),
        &options,
    )
    .expect("runs")
}

#[test]
fn a_steady_run_keeps_the_default_warm_up_and_says_mser_5_agrees() {
    // M/M/1 at ρ 0.5 relaxes in about 1/(μ(1 − √ρ)²) = 0.12 s: nothing past the default
    // (a tenth of the run) is a transient, in either engine.
    use archsandbox::analysis::report::Engine;
    for engine in [Engine::Flow, Engine::Events] {
        let report = report_of(&one_queue(50, 600.0), engine);
        let w = &report.warmup;
        assert_eq!(w.method, "default", "{engine:?}");
        assert_eq!(w.settled, Some(true), "{engine:?}");
        assert!(
            w.mser5_s.is_some_and(|m| m <= w.default_s),
            "{engine:?}: {w:?}"
        );
        assert_eq!(report.warmup_s, w.cut_s);
        assert!(
            report.to_text().contains("MSER-5 would cut"),
            "{}",
            report.to_text()
        );
    }
}

#[test]
fn a_run_past_the_knee_with_no_timeout_never_settles_and_says_so() {
    // Twice the server's capacity and no timeout: the queue grows to the end of the run.
    use archsandbox::analysis::report::Engine;
    for engine in [Engine::Flow, Engine::Events] {
        let report = report_of(&one_queue(200, 300.0), engine);
        assert_eq!(report.warmup.settled, Some(false), "{engine:?}");
        assert_eq!(report.warmup.method, "default", "{engine:?}");
        assert!(report.to_text().contains("never settled"));
    }
}

#[test]
fn a_scenario_whose_load_varies_is_not_cut_by_mser_5() {
    let design = shipped("saved-designs/one-server.ron");
    let report = report_of(&design, archsandbox::analysis::report::Engine::Flow);
    assert_eq!(report.warmup.mser5_s, None);
    assert_eq!(report.warmup.settled, None);
    assert_eq!(report.warmup.cut_s, report.warmup.default_s);
}

#[test]
fn the_bands_over_time_hold_the_true_throughput_about_95_times_in_100() {
    // M/M/1 readers at 80/s: every bin of the steady part has the true throughput, 80/s,
    // inside its 95 % interval over 10 runs about 95 times in 100. Over some 200 bins the
    // share inside has a standard deviation near 1.5 % (bins a few ticks apart are nearly
    // independent): at least 88 % must hold it.
    use archsandbox::analysis::bands::{MAX_BINS, replicate_bands};
    let design = shipped("saved-designs/validation/mm1.ron");
    let scenario = design.default_scenario().expect("scenario").clone();
    let bands = replicate_bands(
        &design,
        &scenario,
        &PriceTable::builtin(),
        &archsandbox::sim::RunOptions::default(),
        10,
        &std::sync::atomic::AtomicUsize::new(0),
    )
    .expect("runs");
    assert_eq!(bands.replications, 10);
    assert!(bands.time_s.len() <= MAX_BINS);
    let rate = design
        .components()
        .find_map(|(_, c)| match &c.kind {
            ComponentKind::Client(p) => Some(p.users as f64 * p.rate_per_user_per_s),
            _ => None,
        })
        .expect("a client");
    let steady: Vec<_> = bands
        .time_s
        .iter()
        .zip(&bands.throughput_per_s)
        .filter(|(t, _)| **t > 0.2 * scenario.duration_s)
        .map(|(_, i)| *i)
        .collect();
    assert!(steady.len() > 100, "{} bins", steady.len());
    let inside = steady.iter().filter(|i| i.contains(rate)).count() as f64 / steady.len() as f64;
    assert!(
        inside >= 0.88,
        "{:.1} % of bins hold {rate}/s",
        inside * 100.0
    );
    assert!(
        inside < 1.0,
        "intervals that always hold it are too wide to mean anything"
    );
}
