//! The simulation against queueing theory (MODEL-REFERENCE.md §6), flow balance, and
//! determinism. Tolerances fit each run's length.

use archsandbox::model::{
    ArrivalProcess, CacheParams, ClientParams, Component, ComponentId, ComponentKind,
    DatabaseParams, Design, HitRatio, KindName, Link, PriceTable, QueueParams, Scenario,
    TrafficClass, TrafficMix, TrafficProfile, read_design,
};
use archsandbox::sim::{RunOptions, RunSummary, Simulation};

use crate::root;

/// A component called `name` of `kind`, in column `column` of a row on the canvas.
pub fn placed(name: &str, column: u8, kind: ComponentKind) -> Component {
    Component {
        name: name.into(),
        position: (200.0 * f32::from(column), 0.0),
        kind,
    }
}

/// `instances` servers of `size` with service of `service_s` (SCV `scv`), no USL losses and
/// a timeout so long that nothing is dropped.
pub fn server(
    name: &str,
    column: u8,
    size: &str,
    instances: u32,
    service_s: f64,
    scv: f64,
) -> Component {
    placed(
        name,
        column,
        ComponentKind::Server(archsandbox::model::ServerParams {
            size: size.into(),
            instances,
            service_time_ms: service_s * 1000.0,
            service_scv: scv,
            contention: 0.0,
            coherency: 0.0,
            timeout_ms: 1e7,
            ..archsandbox::model::ServerParams::default()
        }),
    )
}

/// `measured` is within `relative` of `expected`, or the test fails saying by how much.
pub fn assert_within(what: &str, measured: f64, expected: f64, relative: f64) {
    assert!(
        (measured - expected).abs() <= relative * expected.abs(),
        "{what}: measured {measured}, expected {expected} ± {:.1} %",
        relative * 100.0
    );
}

/// Clients of `rate_per_s` users at a request a second each, sending `mix`, as `arrivals`.
pub fn clients(rate_per_s: u64, mix: TrafficMix, arrivals: ArrivalProcess) -> ComponentKind {
    ComponentKind::Client(ClientParams {
        users: rate_per_s,
        rate_per_user_per_s: 1.0,
        mix,
        arrivals,
        workload: Default::default(),
        deadline_ms: None,
    })
}

/// A traffic mix of reads and writes in these shares, and nothing else.
pub fn mix(read: f64, write: f64) -> TrafficMix {
    TrafficMix {
        read,
        write,
        static_files: 0.0,
        async_jobs: 0.0,
    }
}

/// A traffic mix of background jobs only.
pub fn only_jobs() -> TrafficMix {
    TrafficMix {
        read: 0.0,
        write: 0.0,
        static_files: 0.0,
        async_jobs: 1.0,
    }
}

/// A shipped design.
pub fn shipped(path: &str) -> Design {
    read_design(&root().join(path), &PriceTable::builtin())
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .design
}

/// Run a design's default scenario with options and return the summary.
pub fn run(design: &Design, options: RunOptions) -> RunSummary {
    let scenario = design.default_scenario().expect("a scenario").clone();
    run_scenario(design, &scenario, options)
}

pub fn run_scenario(design: &Design, scenario: &Scenario, options: RunOptions) -> RunSummary {
    let mut sim = Simulation::with_options(design, scenario, &PriceTable::builtin(), options)
        .expect("valid design");
    sim.run_to_end().expect("runs");
    sim.summary()
}

/// The report of the component named `name` in a run.
pub fn component<'a>(summary: &'a RunSummary, name: &str) -> &'a archsandbox::sim::ComponentReport {
    summary
        .components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no component {name}"))
}

/// The events engine's run of `scenario` on `design`, summarised as the flow engine's; it
/// conserves its requests.
pub fn events_summary(design: &Design, scenario: &Scenario) -> RunSummary {
    let (summary, _) = archsandbox::sim::events::run_events_summary(
        design,
        scenario,
        &PriceTable::builtin(),
        &RunOptions::default(),
    )
    .expect("the events engine runs it");
    assert_conserved(&summary);
    summary
}

/// The run of `scenario` on `design` by each engine, named: the flow engine at 1 s and at
/// 10 ms ticks, and the events engine. Every run conserves its requests.
pub fn engines(design: &Design, scenario: &Scenario) -> Vec<(String, RunSummary)> {
    let mut out = Vec::new();
    for tick_s in [1.0, 0.01] {
        let at = Scenario {
            tick_s,
            ..scenario.clone()
        };
        let summary = run_scenario(design, &at, RunOptions::default());
        assert_conserved(&summary);
        out.push((format!("flow at {tick_s} s ticks"), summary));
    }
    out.push(("events".to_string(), events_summary(design, scenario)));
    out
}

fn assert_close(what: &str, measured: f64, expected: f64, relative: f64) {
    assert!(
        (measured - expected).abs() <= relative * expected.abs(),
        "{what}: measured {measured}, expected {expected} ± {:.1} %",
        relative * 100.0
    );
}

#[test]
fn mm1_utilization_mean_response_and_p99_match_theory() {
    // Poisson 80/s into one server at 100/s, one hour of 1 s ticks (3,240 measured).
    let summary = run(
        &shipped("saved-designs/validation/mm1.ron"),
        RunOptions::default(),
    );
    let server = component(&summary, "server");
    assert!(
        (server.utilization - 0.80).abs() <= 0.01,
        "U = {}",
        server.utilization
    );
    assert_close("mean R (ms)", server.latency_ms.mean, 50.0, 0.05);
    assert_close("p99 R (ms)", server.latency_ms.p99, 230.26, 0.10);
    assert_close("p50 R (ms)", server.latency_ms.p50, 34.66, 0.10);
    // End to end it is the same single station.
    assert_close(
        "end-to-end mean (ms)",
        summary.system.latency_ms.mean,
        50.0,
        0.05,
    );
    assert_close(
        "end-to-end p99 (ms)",
        summary.system.latency_ms.p99,
        230.26,
        0.10,
    );
    assert_eq!(summary.system.success_ratio, 1.0);
}

#[test]
fn tandem_network_utilizations_and_end_to_end_latency_match_jackson() {
    let summary = run(
        &shipped("saved-designs/validation/tandem.ron"),
        RunOptions::default(),
    );
    for (name, utilization, response_ms) in [
        ("web", 0.5, 5.0),
        ("app", 2.0 / 3.0, 12.0),
        ("database", 0.8, 20.0),
    ] {
        let c = component(&summary, name);
        assert!(
            (c.utilization - utilization).abs() <= 0.01,
            "{name}: U = {}",
            c.utilization
        );
        assert_close(
            &format!("{name} mean R (ms)"),
            c.latency_ms.mean,
            response_ms,
            0.05,
        );
    }
    assert_close(
        "end-to-end mean (ms)",
        summary.system.latency_ms.mean,
        37.0,
        0.05,
    );
}

#[test]
fn hockey_stick_response_time_follows_s_over_one_minus_rho() {
    // The M/M/1 server at λ = 50, 80, 90, 95 /s: R = 20, 50, 100, 200 ms.
    let design = shipped("saved-designs/validation/mm1.ron");
    for (lambda, expected_ms) in [(50.0, 20.0), (80.0, 50.0), (90.0, 100.0), (95.0, 200.0)] {
        let summary = run(
            &design,
            RunOptions {
                load_multiplier: Some(lambda / 80.0),
                ticks: Some(7_200),
                ..RunOptions::default()
            },
        );
        let server = component(&summary, "server");
        assert_close(
            &format!("R at {lambda}/s"),
            server.latency_ms.mean,
            expected_ms,
            0.05,
        );
        if lambda == 90.0 {
            assert_close("p99 at 90/s", server.latency_ms.p99, 460.5, 0.10);
        }
    }
}

/// 2000 reads/s into a cache (0.5 ms) in front of a database M/M/1 at 500/s.
fn cache_cliff_design(hit_ratio: f64) -> Design {
    let mut design = Design::new("cache cliff");
    let client = design.add(placed(
        "readers",
        0,
        ComponentKind::Client(ClientParams {
            users: 2000,
            rate_per_user_per_s: 1.0,
            mix: TrafficMix {
                read: 1.0,
                write: 0.0,
                static_files: 0.0,
                async_jobs: 0.0,
            },
            arrivals: ArrivalProcess::Poisson,
            workload: Default::default(),
            deadline_ms: None,
        }),
    ));
    let cache = design.add(placed(
        "cache",
        1,
        ComponentKind::Cache(CacheParams {
            hit_ratio: HitRatio::Fixed(hit_ratio),
            latency_ms: 0.5,
            ..CacheParams::default()
        }),
    ));
    let db = design.add(placed(
        "database",
        2,
        ComponentKind::Database(DatabaseParams {
            size: "small".into(),
            read_service_time_ms: 2.0,
            contention: 0.0,
            coherency: 0.0,
            ..DatabaseParams::default()
        }),
    ));
    design.connect(client, cache, Link::new(&[TrafficClass::Read]));
    design.connect(cache, db, Link::new(&[TrafficClass::Read]));
    design.scenarios = vec![Scenario {
        name: "steady".into(),
        duration_s: 1_200.0,
        ..Scenario::default()
    }];
    design.default_scenario = "steady".into();
    design
}

#[test]
fn cache_hit_ratio_thins_database_load_until_the_cliff() {
    for (hit_ratio, utilization) in [(0.9, 0.4), (0.8, 0.8)] {
        let summary = run(&cache_cliff_design(hit_ratio), RunOptions::default());
        let db = component(&summary, "database");
        assert_close(
            &format!("DB load at h = {hit_ratio}"),
            db.offered_per_s,
            2000.0 * (1.0 - hit_ratio),
            0.02,
        );
        assert!(
            (db.utilization - utilization).abs() <= 0.01,
            "h = {hit_ratio}: U = {}",
            db.utilization
        );
        assert!(!db.bottleneck);
    }
    // At 0.75 the misses alone (500/s) saturate the database.
    let summary = run(&cache_cliff_design(0.75), RunOptions::default());
    let db = component(&summary, "database");
    assert!(db.utilization > 0.97, "U = {}", db.utilization);
    assert!(db.bottleneck);
    assert!(
        db.backlog > 10.0 || db.dropped > 0,
        "a saturated queue builds a backlog"
    );
}

/// Producers sending `per_s` background jobs a second, evenly.
fn producers(per_s: u64) -> Component {
    Component {
        name: "producers".into(),
        position: (0.0, 0.0),
        kind: ComponentKind::Client(ClientParams {
            users: per_s,
            rate_per_user_per_s: 1.0,
            mix: TrafficMix {
                read: 0.0,
                write: 0.0,
                static_files: 0.0,
                async_jobs: 1.0,
            },
            arrivals: ArrivalProcess::Constant,
            workload: Default::default(),
            deadline_ms: None,
        }),
    }
}

#[test]
fn queue_backlog_grows_at_lambda_minus_mu_and_drains_in_q_over_mu_minus_lambda() {
    // 120 msg/s into consumers of 100/s for 60 s, then 50/s: backlog 1200, drained in 24 s.
    let mut design = Design::new("queue");
    let producers = design.add(producers(120));
    let queue = design.add(placed(
        "queue",
        1,
        ComponentKind::MessageQueue(QueueParams {
            consumers: 4,
            consumer_rate_per_s: 25.0,
            // Every job takes a consumer the same time: the fluid model holds exactly.
            consumer_service_scv: 0.0,
            ..QueueParams::default()
        }),
    ));
    design.connect(producers, queue, Link::new(&[TrafficClass::Async]));
    let scenario = Scenario {
        name: "burst".into(),
        duration_s: 120.0,
        profile: TrafficProfile::StepSurge {
            at_s: 60.0,
            multiplier: 50.0 / 120.0,
            until_s: None,
        },
        ..Scenario::default()
    };
    design.scenarios = vec![scenario.clone()];
    design.default_scenario = "burst".into();
    let mut sim = Simulation::new(&design, &scenario, &PriceTable::builtin()).expect("valid");
    let mut backlog = Vec::new();
    while !sim.is_finished() {
        sim.step().expect("steps");
        backlog.push(sim.node_tick(queue).expect("queue").backlog);
    }
    // Arrivals and consumers' service times are both constant, so the backlog follows the
    // fluid model exactly: it grows by 120 − 100 = 20 a second for 60 s, to 1,200 at the end of tick 59,
    // then drains at 100 − 50 = 50 a second and is empty 1,200 / 50 = 24 s later.
    for (tick, &waiting) in backlog.iter().enumerate() {
        let t = tick as u64;
        let expected = if t < 60 {
            20 * (t + 1)
        } else {
            1_200u64.saturating_sub(50 * (t - 59))
        };
        assert_eq!(waiting, expected, "backlog at tick {tick}");
    }
    let first_empty = backlog.iter().position(|b| *b == 0);
    assert_eq!(first_empty, Some(59 + 24));
}

/// Producers → queue → worker, and the worker queues a follow-up job for every other one back
/// on the same queue (half a call per job: a loop that settles): a loop that only its async
/// link back closes. Returns (producers, queue, worker).
fn follow_up_loop(design: &mut Design) -> (ComponentId, ComponentId, ComponentId) {
    let producers = design.add(producers(20));
    let queue = design.add(placed(
        "queue",
        1,
        ComponentKind::MessageQueue(QueueParams::default()),
    ));
    let worker = design.add(placed(
        "worker",
        2,
        ComponentKind::default_for(KindName::Server),
    ));
    design.connect(producers, queue, Link::new(&[TrafficClass::Async]));
    design.connect(queue, worker, Link::new(&[TrafficClass::Async]));
    let mut back = Link::new(&[TrafficClass::Async]);
    back.calls_per_request = FOLLOW_UPS_PER_JOB;
    design.connect(worker, queue, back);
    (producers, queue, worker)
}

/// Follow-up jobs per job in [`follow_up_loop`].
const FOLLOW_UPS_PER_JOB: f64 = 0.5;

#[test]
fn an_async_link_that_closes_a_loop_delivers_on_the_next_tick() {
    // The loop's link is the only way back to the queue, so it hands on one tick later.
    let mut design = Design::new("follow-ups");
    let (producers, queue, worker) = follow_up_loop(&mut design);
    let scenario = Scenario {
        name: "steady".into(),
        duration_s: 200.0,
        ..Scenario::default()
    };
    let mut sim = Simulation::new(&design, &scenario, &PriceTable::builtin()).expect("valid");
    let mut sent_back_before = 0;
    // The calls a server makes are floor(carry + requests × calls), the fraction carried.
    let mut carry = 0.0;
    let mut follow_ups = 0;
    while !sim.is_finished() {
        sim.step().expect("steps");
        let at_queue = sim.node_tick(queue).expect("queue").arrived_total();
        let produced: u64 = sim
            .node_tick(producers)
            .expect("producers")
            .forwarded
            .iter()
            .sum();
        assert_eq!(
            at_queue,
            produced + sent_back_before,
            "the queue at tick {} gets the producers' jobs and the worker's of the tick before",
            sim.tick()
        );
        let worker_forwarded: u64 = sim
            .node_tick(worker)
            .expect("worker")
            .forwarded
            .iter()
            .sum();
        if worker_forwarded > 0 {
            let exact = carry + worker_forwarded as f64 * FOLLOW_UPS_PER_JOB;
            sent_back_before = exact.floor() as u64;
            carry = exact - exact.floor();
        } else {
            sent_back_before = 0;
        }
        follow_ups += sent_back_before;
    }
    assert!(follow_ups > 0, "the loop carried follow-ups");
    assert_flow_balance(&design, &scenario, 200);
}

#[test]
fn an_async_link_that_closes_no_loop_delivers_within_its_tick() {
    // Producers → api → queue, every link async only, and the queue added first (lowest id):
    // nothing but the links orders them, and the queue still gets the api's jobs in the tick
    // the api passes them on. Only a loop forces a link to wait a tick.
    let mut design = Design::new("jobs");
    let queue = design.add(placed(
        "queue",
        2,
        ComponentKind::MessageQueue(QueueParams::default()),
    ));
    let producers = design.add(producers(20));
    let api = design.add(placed(
        "api",
        1,
        ComponentKind::default_for(KindName::Server),
    ));
    design.connect(producers, api, Link::new(&[TrafficClass::Async]));
    design.connect(api, queue, Link::new(&[TrafficClass::Async]));
    assert_delivered_within_the_tick(&design, api, queue);
}

#[test]
fn a_link_out_of_a_loop_delivers_within_its_tick() {
    // The follow-up loop, and the worker also files every job in an archive, added first (the
    // lowest id). Only the link back to the queue closes a loop; the archive gets the worker's
    // jobs in the tick the worker passes them on.
    let mut design = Design::new("follow-ups and archive");
    let archive = design.add(placed(
        "archive",
        3,
        ComponentKind::default_for(KindName::Database),
    ));
    let (_, _, worker) = follow_up_loop(&mut design);
    design.connect(worker, archive, Link::new(&[TrafficClass::Async]));
    assert_delivered_within_the_tick(&design, worker, archive);
}

/// On every tick of a 50 s run, `to` gets what `from` passed on in that same tick (`from`
/// sends each request it passes on to `to` once, and nothing else sends to `to`), and
/// something does get there.
fn assert_delivered_within_the_tick(design: &Design, from: ComponentId, to: ComponentId) {
    let scenario = Scenario {
        name: "steady".into(),
        duration_s: 50.0,
        ..Scenario::default()
    };
    let mut sim = Simulation::new(design, &scenario, &PriceTable::builtin()).expect("valid");
    let mut delivered = 0;
    while !sim.is_finished() {
        sim.step().expect("steps");
        let passed_on: u64 = sim.node_tick(from).expect("from").forwarded.iter().sum();
        let arrived = sim.node_tick(to).expect("to").arrived_total();
        assert_eq!(
            arrived,
            passed_on,
            "at tick {}, what was passed on in that tick",
            sim.tick()
        );
        delivered += arrived;
    }
    assert!(delivered > 0, "requests got there");
}

/// offered = succeeded + failed + in flight at the end, for the system and every client, and
/// the system's counts are the clients' counts added up.
pub fn assert_conserved(summary: &RunSummary) {
    let conserved = |what: &str, r: &archsandbox::sim::report::RequestCounts| {
        assert_eq!(
            r.offered,
            r.succeeded + r.failed + r.in_flight_end,
            "{what}: offered = succeeded + failed + in flight"
        );
    };
    let system = summary.system.requests;
    conserved("the system", &system);
    let mut sum = archsandbox::sim::report::RequestCounts::default();
    for c in summary.components.iter().filter(|c| c.kind == "client") {
        let r = c.requests.expect("a client reports its requests");
        conserved(&c.name, &r);
        sum.offered += r.offered;
        sum.succeeded += r.succeeded;
        sum.failed += r.failed;
        sum.in_flight_end += r.in_flight_end;
    }
    assert_eq!(sum.offered, system.offered, "the clients' offered add up");
    // Each client's figures are rounded apart: the sums may differ by one per client.
    let clients = summary
        .components
        .iter()
        .filter(|c| c.kind == "client")
        .count() as u64;
    for (a, b, what) in [
        (sum.failed, system.failed, "failed"),
        (sum.in_flight_end, system.in_flight_end, "in flight"),
    ] {
        assert!(
            a.abs_diff(b) <= clients,
            "the clients' {what} add up: {a} vs {b}"
        );
    }
}

/// Every node on every tick: previous backlog + arrived = served + dropped + backlog. And the
/// clients' requests: none in flight or failed below zero, the system's figures the clients'
/// added up, succeeded never falling back, and the report's counts conserved at the end.
fn assert_flow_balance(design: &Design, scenario: &Scenario, ticks: u64) {
    let prices = PriceTable::builtin();
    let options = RunOptions {
        ticks: Some(ticks),
        ..RunOptions::default()
    };
    let mut sim = Simulation::with_options(design, scenario, &prices, options).expect("valid");
    let ids: Vec<_> = design.components().map(|(id, _)| id).collect();
    let clients = clients_and_slack(design);
    let mut previous = vec![0u64; ids.len()];
    let mut succeeded_before = 0.0;
    while !sim.is_finished() {
        sim.step().expect("steps");
        assert_requests_add_up(&sim, &clients, &mut succeeded_before, &scenario.name);
        for (n, id) in ids.iter().enumerate() {
            let t = sim.node_tick(*id).expect("node");
            assert_eq!(
                previous[n] + t.arrived_total(),
                t.served_total() + t.dropped_total() + t.backlog,
                "{}: flow does not balance at tick {} of {}",
                design.component(*id).map_or("?", |c| c.name.as_str()),
                sim.tick(),
                scenario.name
            );
            assert!(t.errors_total() <= t.served_total());
            assert!(t.utilization.is_finite() && (0.0..=1.0).contains(&t.utilization));
            previous[n] = t.backlog;
        }
        assert!(sim.last().success_ratio.is_finite());
    }
    assert_conserved(&sim.summary());
}

/// The design's clients, and its links whose calls per request are not whole: those are
/// handed on with a carried fraction, so a tick may see up to a request more or less at each
/// (the slack `assert_requests_add_up` allows a tick's completions).
pub fn clients_and_slack(design: &Design) -> (Vec<ComponentId>, f64) {
    let clients = design
        .components()
        .filter(|(_, c)| c.kind.name() == KindName::Client)
        .map(|(id, _)| id)
        .collect();
    let fractional = design
        .links()
        .filter(|(_, _, _, l)| l.calls_per_request.fract() != 0.0)
        .count();
    (clients, fractional as f64)
}

/// After a tick: the system's requests are its clients' added up, none is below zero, and the
/// tick's completions are not negative either (but for `slack`, see `clients_and_slack`):
/// what has succeeded never falls back.
pub fn assert_requests_add_up(
    sim: &Simulation,
    (clients, slack): &(Vec<ComponentId>, f64),
    succeeded_before: &mut f64,
    what: &str,
) {
    let system = sim.requests();
    let tick = sim.tick();
    let (mut offered, mut succeeded, mut failed, mut in_flight) = (0u64, 0.0, 0.0, 0.0);
    for &id in clients {
        let c = sim.client_requests(id).expect("a client");
        assert!(
            c.failed >= -1e-9 && c.in_flight >= 0.0,
            "{what}, tick {tick}: {c:?}"
        );
        offered += c.offered;
        succeeded += c.succeeded;
        failed += c.failed;
        in_flight += c.in_flight;
    }
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * a.abs().max(1.0);
    assert_eq!(offered, system.offered, "{what}, tick {tick}");
    assert!(
        close(succeeded, system.succeeded)
            && close(failed, system.failed)
            && close(in_flight, system.in_flight),
        "{what}, tick {tick}: {system:?} vs the clients'"
    );
    let completed = sim.last().throughput_per_s * sim.tick_s();
    assert!(
        completed >= -1e-6 * (system.offered as f64).max(1.0) - slack,
        "{what}, tick {tick}: {completed} requests completed (succeeded was {succeeded_before}, is {})",
        system.succeeded
    );
    *succeeded_before = system.succeeded;
}

#[test]
fn every_node_balances_its_flow_on_every_tick_in_every_shipped_scenario() {
    for path in crate::ron_files("saved-designs") {
        let design = read_design(&path, &PriceTable::builtin())
            .expect("loads")
            .design;
        for scenario in &design.scenarios {
            assert_flow_balance(&design, scenario, 900);
        }
    }
}

#[test]
fn same_seed_gives_the_same_run_bit_for_bit_and_another_seed_differs() {
    let design = shipped("saved-designs/viral-restaurant.ron");
    let options = |seed| RunOptions {
        seed: Some(seed),
        ticks: Some(600),
        keep_history: true,
        ..RunOptions::default()
    };
    let scenario = design.default_scenario().expect("scenario").clone();
    let history = |seed| {
        let mut sim =
            Simulation::with_options(&design, &scenario, &PriceTable::builtin(), options(seed))
                .expect("valid");
        sim.run_to_end().expect("runs");
        (
            serde_json::to_string(sim.history()).expect("json"),
            serde_json::to_string(&sim.summary()).expect("json"),
        )
    };
    let first = history(7);
    let second = history(7);
    assert_eq!(first, second, "the same seed must give the same run");
    let other = history(8);
    assert_ne!(first.0, other.0, "another seed must give another run");
}

#[test]
fn looking_at_a_run_between_ticks_does_not_change_it() {
    // The app reads every component's latency after each step; the run it shows must be the
    // one the command line gives for the same seed. Under a rising load each tick's queueing
    // models differ from the last, so a model read early would show.
    let design = shipped("saved-designs/viral-restaurant.ron");
    let scenario = design
        .scenarios
        .iter()
        .find(|s| s.name == "lunch rush")
        .expect("the lunch rush")
        .clone();
    let options = RunOptions {
        ticks: Some(900),
        ..RunOptions::default()
    };
    let run = |look: bool| {
        let mut sim =
            Simulation::with_options(&design, &scenario, &PriceTable::builtin(), options.clone())
                .expect("valid");
        while !sim.is_finished() {
            sim.step().expect("steps");
            if look {
                for (id, _) in design.components() {
                    sim.latency_now_ms(id);
                }
            }
        }
        serde_json::to_string(&sim.summary()).expect("json")
    };
    assert_eq!(run(false), run(true));
}

#[test]
fn two_variants_of_a_design_see_the_same_arrivals() {
    // Common random numbers: a client's stream is named after it, so scale-up and scale-out
    // (which share the client "diners") are driven by identical traffic.
    let prices = PriceTable::builtin();
    let up = shipped("saved-designs/scale-up.ron");
    let out = shipped("saved-designs/scale-out.ron");
    let scenario = up.default_scenario().expect("scenario").clone();
    let mut a = Simulation::new(&up, &scenario, &prices).expect("valid");
    let mut b = Simulation::new(&out, &scenario, &prices).expect("valid");
    let (da, db) = (
        up.find("diners").expect("diners"),
        out.find("diners").expect("diners"),
    );
    for _ in 0..300 {
        a.step().expect("steps");
        b.step().expect("steps");
        assert_eq!(
            a.node_tick(da).expect("a").arrived,
            b.node_tick(db).expect("b").arrived
        );
    }
}

#[test]
fn a_run_whose_calls_multiply_past_the_limit_is_refused_naming_why() {
    // 10^8 requests a second offered, each calling the pantry 1,000 times: 10^11 a second
    // into it, past the 10^10 that can be counted over a long run.
    let mut design = shipped("saved-designs/one-server.ron");
    let links: Vec<_> = design.links().map(|(id, _, _, _)| id).collect();
    for id in links {
        if let Some(link) = design.graph.edge_weight_mut(id) {
            link.calls_per_request = 1_000.0;
        }
    }
    let scenario = design.default_scenario().cloned().expect("scenario");
    let base = Simulation::new(&design, &scenario, &PriceTable::builtin())
        .expect("runs at its own load")
        .base_rate_per_s();
    let options = RunOptions {
        load_multiplier: Some(1e8 / base / scenario.load_multiplier),
        ticks: Some(10),
        ..RunOptions::default()
    };
    let Err(error) = Simulation::with_options(&design, &scenario, &PriceTable::builtin(), options)
    else {
        panic!("the run is refused");
    };
    let message = error.to_string();
    assert!(
        message.contains("busiest component") && message.contains("1e10"),
        "{message}"
    );
}
