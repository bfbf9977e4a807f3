//! The events engine's failures, repairs, health checks and sessions in memory, each against
//! the figure its model gives in closed form, and against the flow engine.
//!
//! Noise: the counts of requests lost below are Poisson (or a share of a Poisson count), so
//! their standard deviation is the square root of their mean; the tolerances are four of
//! them, rounded up, plus the few requests a failed instance holds when it dies.

use archsandbox::model::{
    BalancingAlgorithm, ComponentKind, DatabaseParams, Design, Link, LoadBalancerParams,
    PriceTable, Reliability, Scenario, ScheduledFailure, ServerParams, TrafficClass,
};
use archsandbox::sim::RunSummary;
use archsandbox::sim::events::{EventsOptions, EventsRun, run_events, run_events_summary};

use crate::simulation::{clients, mix, placed, run_scenario, shipped};

fn scenario(duration_s: f64, failures: Vec<ScheduledFailure>) -> Scenario {
    Scenario {
        name: "failures".into(),
        duration_s,
        failures,
        ..Scenario::default()
    }
}

fn events(design: &Design, scenario: &Scenario) -> EventsRun {
    run_events(
        design,
        scenario,
        &PriceTable::builtin(),
        &EventsOptions {
            warmup_s: Some(0.0),
            ..EventsOptions::default()
        },
    )
    .expect("the events engine runs it")
}

fn events_summary(design: &Design, scenario: &Scenario) -> RunSummary {
    run_events_summary(
        design,
        scenario,
        &PriceTable::builtin(),
        &archsandbox::sim::RunOptions::default(),
    )
    .expect("the events engine runs it")
    .0
}

fn dropped(run: &EventsRun, name: &str) -> u64 {
    run.components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .dropped
}

/// 1,000 reads a second through a round-robin balancer that checks health every 5 s and
/// gives up on an instance after 2 failed checks (10 s), to 4 servers.
fn health_checked() -> Design {
    let mut design = Design::new("health checks");
    let users = design.add(placed(
        "users",
        0,
        clients(
            1000,
            mix(1.0, 0.0),
            archsandbox::model::ArrivalProcess::Poisson,
        ),
    ));
    let lb = design.add(placed(
        "lb",
        1,
        ComponentKind::LoadBalancer(LoadBalancerParams {
            algorithm: BalancingAlgorithm::RoundRobin,
            health_check_interval_s: 5.0,
            unhealthy_threshold: 2,
            ..LoadBalancerParams::default()
        }),
    ));
    let servers = design.add(placed(
        "servers",
        2,
        ComponentKind::Server(ServerParams {
            size: "large".into(),
            instances: 4,
            service_time_ms: 2.0,
            ..ServerParams::default()
        }),
    ));
    design.connect(users, lb, Link::new(&[TrafficClass::Read]));
    design.connect(lb, servers, Link::new(&[TrafficClass::Read]));
    design
}

#[test]
fn a_dead_instance_takes_its_share_until_the_health_check_notices_it() {
    // One of four instances dies at 100 s; for the 10 s detection delay the balancer still
    // deals it a quarter of 1,000/s: 2,500 requests fail there, and none after.
    let failures = vec![ScheduledFailure {
        component: "servers".into(),
        instances: Some(1),
        at_s: 100.0,
        recover_at_s: None,
    }];
    let design = health_checked();
    let run = events(&design, &scenario(200.0, failures.clone()));
    let lost = dropped(&run, "servers") as f64;
    assert!((lost - 2_500.0).abs() < 4.0 * 50.0 + 10.0, "lost {lost}");
    assert_eq!(run.system.failed as f64, lost, "all failures are those");
    // The flow engine loses the same (its own noise, the same size).
    let flow = run_scenario(
        &design,
        &scenario(200.0, failures),
        archsandbox::sim::RunOptions::default(),
    );
    let flow_lost = flow.system.requests.failed as f64;
    assert!(
        (flow_lost - lost).abs() < 4.0 * (2.0f64 * 2_500.0).sqrt() + 10.0,
        "flow {flow_lost}, events {lost}"
    );
}

#[test]
fn a_repaired_instance_serves_again_and_the_group_recovers_fully() {
    // Two of four die at 50 s and come back at 80 s: 20 s of a half share routed to dead
    // instances (the health check notices after 10 s) = 10,000 lost; after the repair
    // nothing is lost and the throughput is the offered load.
    let failures = vec![ScheduledFailure {
        component: "servers".into(),
        instances: Some(2),
        at_s: 50.0,
        recover_at_s: Some(80.0),
    }];
    let run = events(&health_checked(), &scenario(200.0, failures));
    let lost = dropped(&run, "servers") as f64;
    assert!((lost - 5_000.0).abs() < 4.0 * 71.0 + 20.0, "lost {lost}");
    let served = run
        .components
        .iter()
        .find(|c| c.name == "servers")
        .map_or(0, |c| c.served);
    let offered = run.system.offered;
    assert_eq!(served + lost as u64 + run.system.in_flight_end, offered);
}

/// One server with no balancer in front (nothing notices it is down) that fails at random.
fn failing_server(mtbf_hours: f64, mttr_hours: f64) -> Design {
    let mut design = Design::new("random failures");
    let users = design.add(placed(
        "users",
        0,
        clients(
            1,
            mix(1.0, 0.0),
            archsandbox::model::ArrivalProcess::Poisson,
        ),
    ));
    let server = design.add(placed(
        "server",
        1,
        ComponentKind::Server(ServerParams {
            size: "small".into(),
            instances: 1,
            service_time_ms: 10.0,
            reliability: Reliability {
                mtbf_hours,
                mttr_hours,
            },
            ..ServerParams::default()
        }),
    ));
    design.connect(users, server, Link::new(&[TrafficClass::Read]));
    design
}

#[test]
fn random_failures_leave_the_share_of_requests_the_availability_says() {
    // MTBF 6 min, MTTR 1.5 min: A = 0.8. Requests sent while the server is down fail, so the
    // success ratio is A. Over 200 h (1,600 cycles; the down share's correlation time is
    // MTBF·MTTR/(MTBF+MTTR) = 72 s) its standard deviation is √(2·A(1−A)·72 s / 720,000 s)
    // = 0.57 %: three of them, 1.7 %.
    let (mtbf_hours, mttr_hours) = (0.1, 0.025);
    let availability = mtbf_hours / (mtbf_hours + mttr_hours);
    let design = failing_server(mtbf_hours, mttr_hours);
    let s = Scenario {
        random_failures: true,
        ..scenario(720_000.0, Vec::new())
    };
    let run = events(&design, &s);
    let success = run.system.success_ratio;
    assert!(
        (success - availability).abs() < 0.017,
        "success {success}, availability {availability}"
    );
    // Same seed, same run; the flow engine's own draws give the same ratio within the noise.
    assert_eq!(events(&design, &s), run);
    let flow = run_scenario(&design, &s, archsandbox::sim::RunOptions::default());
    assert!(
        (flow.system.success_ratio - availability).abs() < 0.017,
        "flow {}",
        flow.system.success_ratio
    );
}

#[test]
fn writes_fail_until_a_replica_takes_over_after_the_failover_time() {
    // 100 writes and 300 reads a second to a primary and one replica; the primary dies at
    // 60 s. For the 30 s failover no copy takes writes: 3,000 fail. Reads go on on the
    // replica throughout.
    let mut design = Design::new("failover");
    let users = design.add(placed(
        "users",
        0,
        clients(
            400,
            mix(0.75, 0.25),
            archsandbox::model::ArrivalProcess::Poisson,
        ),
    ));
    let db = design.add(placed(
        "db",
        1,
        ComponentKind::Database(DatabaseParams {
            size: "xlarge".into(),
            instances: 2,
            read_service_time_ms: 2.0,
            write_service_time_ms: 4.0,
            replica_apply_ms: 1.0,
            failover_s: 30.0,
            ..DatabaseParams::default()
        }),
    ));
    design.connect(
        users,
        db,
        Link::new(&[TrafficClass::Read, TrafficClass::Write]),
    );
    let failures = vec![ScheduledFailure {
        component: "db".into(),
        instances: Some(1),
        at_s: 60.0,
        recover_at_s: None,
    }];
    let s = scenario(300.0, failures);
    let run = events(&design, &s);
    let lost = dropped(&run, "db") as f64;
    assert!((lost - 3_000.0).abs() < 4.0 * 55.0 + 20.0, "lost {lost}");
    assert_eq!(run.system.failed as f64, lost);
    let flow = run_scenario(&design, &s, archsandbox::sim::RunOptions::default());
    let flow_lost = flow.system.requests.failed as f64;
    assert!(
        (flow_lost - lost).abs() < 4.0 * (2.0f64 * 3_000.0).sqrt() + 20.0,
        "flow {flow_lost}, events {lost}"
    );
}

#[test]
fn sessions_in_memory_behind_round_robin_lose_two_in_three_in_both_engines() {
    // Three instances, no sticky sessions: a request finds its session with chance 1/3.
    let design = shipped("saved-designs/stateful-servers.ron");
    let s = design.scenario("steady").expect("steady").clone();
    let flow = run_scenario(&design, &s, archsandbox::sim::RunOptions::default());
    for (engine, run) in [("flow", flow), ("events", events_summary(&design, &s))] {
        assert!(
            (run.system.success_ratio - 1.0 / 3.0).abs() < 0.01,
            "{engine}: {}",
            run.system.success_ratio
        );
        let kitchen = run
            .components
            .iter()
            .find(|c| c.name == "kitchen")
            .expect("kitchen");
        assert!(kitchen.errors > 0, "{engine}");
    }
}

#[test]
fn sticky_sessions_hold_until_an_instance_dies_and_its_users_are_logged_out() {
    let mut design = shipped("saved-designs/stateful-servers.ron");
    let host = design.find("host").expect("host");
    if let Some(ComponentKind::LoadBalancer(p)) = design.component_mut(host).map(|c| &mut c.kind) {
        p.algorithm = BalancingAlgorithm::StickySessions;
    }
    let steady = scenario(400.0, Vec::new());
    let run = events_summary(&design, &steady);
    let errors = |r: &RunSummary| {
        r.components
            .iter()
            .find(|c| c.name == "kitchen")
            .map_or(0, |c| c.errors)
    };
    assert_eq!(
        errors(&run),
        0,
        "sticky sessions keep users on their instance"
    );
    let failing = scenario(
        400.0,
        vec![ScheduledFailure {
            component: "kitchen".into(),
            instances: Some(1),
            at_s: 200.0,
            recover_at_s: None,
        }],
    );
    let run = events_summary(&design, &failing);
    assert!(
        errors(&run) > 0,
        "users of the dead instance are logged out"
    );
}

#[test]
fn every_shipped_failure_scenario_loses_the_same_share_in_both_engines() {
    // The success ratio of each scenario with failures, within one percentage point: about
    // five standard deviations of the difference of two runs of 100,000 requests or more.
    let prices = PriceTable::builtin();
    let mut compared = 0;
    for path in crate::ron_files("saved-designs") {
        let design = archsandbox::model::read_design(&path, &prices)
            .expect("loads")
            .design;
        for s in design.scenarios.iter().filter(|s| !s.failures.is_empty()) {
            let flow = run_scenario(&design, s, archsandbox::sim::RunOptions::default());
            let events = events_summary(&design, s);
            let (f, e) = (flow.system.success_ratio, events.system.success_ratio);
            assert!(
                (f - e).abs() < 0.01,
                "{} / {}: flow {f}, events {e}",
                path.display(),
                s.name
            );
            compared += 1;
        }
    }
    assert!(compared >= 5, "only {compared} failure scenarios compared");
}

#[test]
fn a_pooled_group_that_loses_every_instance_fails_what_waits_in_it() {
    // Two instances behind a least-loaded balancer share one queue at 95 % busy, and both
    // die at 100 s for good: what waited in the queue then fails with them (it has no
    // server to wait for), as do the requests sent to them after; nothing is left in flight.
    let mut design = health_checked();
    let lb = design.find("lb").expect("lb");
    if let Some(ComponentKind::LoadBalancer(p)) = design.component_mut(lb).map(|c| &mut c.kind) {
        p.algorithm = BalancingAlgorithm::LeastLoaded;
    }
    let servers = design.find("servers").expect("servers");
    if let Some(ComponentKind::Server(p)) = design.component_mut(servers).map(|c| &mut c.kind) {
        p.size = "small".into();
        p.instances = 2;
        p.service_time_ms = 1.9;
        p.timeout_ms = 1e7;
    }
    let failures = vec![ScheduledFailure {
        component: "servers".into(),
        instances: None,
        at_s: 100.0,
        recover_at_s: None,
    }];
    let run = events(&design, &scenario(200.0, failures));
    assert_eq!(run.system.in_flight_end, 0, "{:?}", run.system);
    assert_eq!(
        run.system.offered,
        run.system.succeeded + run.system.failed,
        "{:?}",
        run.system
    );
    // Half the run lost, give or take the Poisson noise of 100,000 requests.
    let lost = run.system.failed as f64;
    assert!(
        (lost - 100_000.0).abs() < 4.0 * 316.0 + 100.0,
        "lost {lost}"
    );
}
