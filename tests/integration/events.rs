//! The events engine alone against closed forms (MODEL-REFERENCE.md §2): M/M/1, M/D/1 and
//! M/G/1 by Pollaczek–Khinchine, M/M/c by Erlang C, round robin as E_n/M/1, a Jackson tandem;
//! and what it does past the knee. Each expectation is worked out here from its formula.
//!
//! Run lengths: a mean of response times at ρ 0.8 is strongly autocorrelated. By Whitt's
//! asymptotic variance of the M/M/1 queue length (2ρ(1 + ρ)/(1 − ρ)⁴ per unit of service
//! time), 2,000,000 service times give the mean a relative standard error of about 0.75 %;
//! the 3 % tolerances below are four standard errors.

use archsandbox::model::{
    ArrivalProcess, BalancingAlgorithm, ComponentKind, DatabaseParams, Design, Link,
    LoadBalancerParams, PriceTable, Scenario, ServerParams, TrafficClass,
};
use archsandbox::sim::SimError;
use archsandbox::sim::events::{EventsComponent, EventsOptions, EventsRun, run_events};

use crate::simulation::{clients, mix, placed};

/// Service times in these tests, in seconds.
const SERVICE_S: f64 = 0.01;
/// Seconds simulated: 2,000,000 service times of 10 ms.
const SECONDS: f64 = 20_000.0;

fn readers(rate_per_s: u64) -> archsandbox::model::Component {
    placed(
        "readers",
        0,
        clients(rate_per_s, mix(1.0, 0.0), ArrivalProcess::Poisson),
    )
}

/// `instances` servers of `size` with service of `service_s` and `scv`, no USL losses and a
/// timeout of `timeout_s`.
fn server(
    name: &str,
    column: u8,
    size: &str,
    instances: u32,
    service_s: f64,
    scv: f64,
) -> archsandbox::model::Component {
    placed(
        name,
        column,
        ComponentKind::Server(ServerParams {
            size: size.into(),
            instances,
            service_time_ms: service_s * 1000.0,
            service_scv: scv,
            contention: 0.0,
            coherency: 0.0,
            timeout_ms: 1e7,
            ..ServerParams::default()
        }),
    )
}

fn reads() -> Link {
    Link::new(&[TrafficClass::Read])
}

fn scenario() -> Scenario {
    Scenario {
        name: "steady".into(),
        tick_s: 1.0,
        duration_s: SECONDS,
        seed: 7,
        ..Scenario::default()
    }
}

fn run(design: &Design) -> EventsRun {
    run_events(
        design,
        &scenario(),
        &PriceTable::builtin(),
        &EventsOptions::default(),
    )
    .expect("the events engine runs it")
}

/// `rate_per_s` readers into one server.
fn one_server(rate_per_s: u64, size: &str, service_s: f64, scv: f64) -> Design {
    let mut design = Design::new("one server");
    let r = design.add(readers(rate_per_s));
    let s = design.add(server("server", 1, size, 1, service_s, scv));
    design.connect(r, s, reads());
    design
}

fn component<'a>(run: &'a EventsRun, name: &str) -> &'a EventsComponent {
    run.components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no component {name}"))
}

fn assert_within(what: &str, measured: f64, expected: f64, relative: f64) {
    assert!(
        (measured - expected).abs() <= relative * expected.abs(),
        "{what}: measured {measured}, expected {expected} ± {:.1} %",
        relative * 100.0
    );
}

/// Pollaczek–Khinchine: the M/G/1 response time for service of mean `s` and SCV `scv` at
/// arrival rate `lambda`.
fn mg1_response_s(lambda: f64, s: f64, scv: f64) -> f64 {
    let rho = lambda * s;
    s + (1.0 + scv) / 2.0 * rho * s / (1.0 - rho)
}

#[test]
fn mm1_md1_and_mg1_respond_as_pollaczek_khinchine_says() {
    // ρ 0.8: M/M/1 R = 50 ms (p99 −ln 0.01 × 50 = 230.3 ms, R being exponential), M/D/1
    // R = 30 ms, M/G/1 with SCV 0.5 (gamma service) R = 40 ms.
    let lambda = 80.0;
    for scv in [1.0, 0.0, 0.5] {
        let run = run(&one_server(80, "small", SERVICE_S, scv));
        let server = component(&run, "server");
        let expected_s = mg1_response_s(lambda, SERVICE_S, scv);
        let at = |what: &str| format!("{what} at SCV {scv}");
        assert_within(
            &at("mean R"),
            server.latency_ms.mean,
            expected_s * 1000.0,
            0.03,
        );
        assert_within(
            &at("end-to-end mean"),
            run.system.latency_ms.mean,
            expected_s * 1000.0,
            0.03,
        );
        assert_within(
            &at("utilization"),
            server.utilization,
            lambda * SERVICE_S,
            0.015,
        );
        assert_within(&at("throughput"), server.throughput_per_s, lambda, 0.01);
        if scv == 1.0 {
            let p99_ms = -(0.01f64.ln()) * expected_s * 1000.0;
            assert_within("M/M/1 p99", server.latency_ms.p99, p99_ms, 0.05);
        }
        assert_eq!(run.system.failed, 0);
    }
}

/// Erlang C: the chance an arrival waits at `c` servers offered `a` = λ/μ erlangs.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / f64::from(k);
        sum += term;
    }
    let last = term * a / f64::from(c) * f64::from(c) / (f64::from(c) - a);
    last / (sum + last)
}

#[test]
fn a_four_core_server_waits_as_erlang_c() {
    // M/M/4 at 320/s with S = 10 ms (a = 3.2, ρ 0.8): C = 0.5964, W = C/(cμ − λ) =
    // 7.46 ms, R = 17.46 ms.
    let (lambda, mu, c) = (320.0, 1.0 / SERVICE_S, 4);
    let a = lambda / mu;
    let expected_ms = (SERVICE_S + erlang_c(c, a) / (f64::from(c) * mu - lambda)) * 1000.0;
    assert!((expected_ms - 17.46).abs() < 0.01, "{expected_ms}");
    let run = run(&one_server(320, "large", SERVICE_S, 1.0));
    let server = component(&run, "server");
    assert_within("M/M/4 mean R", server.latency_ms.mean, expected_ms, 0.03);
    assert_within("M/M/4 utilization", server.utilization, 0.8, 0.015);
}

/// E_n/M/1: σ solves σ = (nλ/(nλ + μ(1 − σ)))ⁿ, and R = 1/(μ(1 − σ)).
fn erlang_n_m_1_response_s(n: f64, lambda: f64, mu: f64) -> f64 {
    let mut sigma = 0.5f64;
    for _ in 0..100_000 {
        sigma = (n * lambda / (n * lambda + mu * (1.0 - sigma))).powf(n);
    }
    1.0 / (mu * (1.0 - sigma))
}

#[test]
fn round_robin_deals_each_instance_erlang_arrivals() {
    // 240/s dealt in turn over three one-core servers of 100/s: each sees Erlang-3 arrivals
    // at 80/s, R = 34.9 ms (E_3/M/1), against 50 ms for a random split (M/M/1 at 80/s).
    for (algorithm, expected_s) in [
        (
            BalancingAlgorithm::RoundRobin,
            erlang_n_m_1_response_s(3.0, 80.0, 100.0),
        ),
        (BalancingAlgorithm::Random, 1.0 / (100.0 - 80.0)),
    ] {
        let mut design = Design::new("balanced");
        let r = design.add(readers(240));
        let lb = design.add(placed(
            "lb",
            1,
            ComponentKind::LoadBalancer(LoadBalancerParams {
                algorithm,
                capacity_per_s: 1e6,
                latency_ms: 0.01,
                ..LoadBalancerParams::default()
            }),
        ));
        let servers = design.add(server("servers", 2, "small", 3, SERVICE_S, 1.0));
        design.connect(r, lb, reads());
        design.connect(lb, servers, reads());
        let run = run(&design);
        assert_within(
            &format!("{algorithm:?} mean R"),
            component(&run, "servers").latency_ms.mean,
            expected_s * 1000.0,
            0.03,
        );
    }
}

#[test]
fn a_tandem_of_two_servers_adds_their_jackson_response_times() {
    // 80/s through a server of 100/s that calls one of 125/s for each request: Jackson's
    // theorem makes each an M/M/1, so R = 1/(100 − 80) + 1/(125 − 80) = 72.2 ms end to end.
    let mut design = Design::new("tandem");
    let r = design.add(readers(80));
    let front = design.add(server("front", 1, "small", 1, 0.010, 1.0));
    let back = design.add(server("back", 2, "small", 1, 0.008, 1.0));
    design.connect(r, front, reads());
    design.connect(front, back, reads());
    let run = run(&design);
    let expected_ms = (1.0 / 20.0 + 1.0 / 45.0) * 1000.0;
    assert_within(
        "tandem end-to-end mean",
        run.system.latency_ms.mean,
        expected_ms,
        0.03,
    );
    assert_within(
        "back mean",
        component(&run, "back").latency_ms.mean,
        1000.0 / 45.0,
        0.03,
    );
}

#[test]
fn past_the_knee_completions_are_the_servers_capacity_and_the_rest_waits() {
    // 120/s into 100/s for 2,000 s: the server completes 100/s (busy all the time), and the
    // other 20/s pile up in flight: nothing is counted a success that has not come back.
    let mut scenario = scenario();
    scenario.duration_s = 2_000.0;
    let run = run_events(
        &one_server(120, "small", SERVICE_S, 1.0),
        &scenario,
        &PriceTable::builtin(),
        &EventsOptions::default(),
    )
    .expect("runs");
    let server = component(&run, "server");
    assert_within("throughput", run.system.throughput_per_s, 100.0, 0.02);
    assert!(server.utilization > 0.99, "{}", server.utilization);
    let s = &run.system;
    assert_eq!(s.offered, s.succeeded + s.failed + s.in_flight_end);
    // The queue grows 20/s from the start; every request in it at the end was sent after the
    // warm-up (FCFS serves the older ones first). Its length is a random walk whose standard
    // deviation is √((120 + 100) × 2,000) ≈ 660, 1.7 % of 40,000.
    let piled_up = 20.0 * scenario.duration_s;
    assert_within(
        "in flight at the end",
        s.in_flight_end as f64,
        piled_up,
        0.05,
    );
}

#[test]
fn requests_that_wait_past_the_timeout_fail_and_are_not_served() {
    // 150/s into 100/s with a 100 ms timeout: the queue holds about 10 requests' worth of
    // waiting; the rest time out. The server still completes its 100/s.
    let mut design = one_server(150, "small", SERVICE_S, 1.0);
    if let Some(id) = design.find("server")
        && let Some(c) = design.component_mut(id)
        && let ComponentKind::Server(p) = &mut c.kind
    {
        p.timeout_ms = 100.0;
    }
    let mut scenario = scenario();
    scenario.duration_s = 2_000.0;
    let run = run_events(
        &design,
        &scenario,
        &PriceTable::builtin(),
        &EventsOptions::default(),
    )
    .expect("runs");
    let server = component(&run, "server");
    assert_within("served", server.throughput_per_s, 100.0, 0.02);
    assert_within(
        "timed out",
        server.dropped as f64 / run.measured_s,
        50.0,
        0.05,
    );
    assert!(run.system.success_ratio < 0.7 && run.system.success_ratio > 0.6);
    assert_eq!(
        run.system.offered,
        run.system.succeeded + run.system.failed + run.system.in_flight_end
    );
}

#[test]
fn the_same_seed_gives_the_same_run_and_another_seed_another() {
    let design = one_server(80, "small", SERVICE_S, 1.0);
    let short = |seed: u64| {
        let options = EventsOptions {
            seed: Some(seed),
            duration_s: Some(200.0),
            ..EventsOptions::default()
        };
        run_events(&design, &scenario(), &PriceTable::builtin(), &options).expect("runs")
    };
    assert_eq!(short(3), short(3));
    assert_ne!(short(3), short(4));
}

#[test]
fn what_the_events_engine_does_not_model_yet_is_refused_by_name() {
    let mut design = Design::new("with a database");
    let r = design.add(readers(10));
    let db = design.add(placed(
        "pantry",
        1,
        ComponentKind::Database(DatabaseParams::default()),
    ));
    design.connect(r, db, reads());
    match run_events(
        &design,
        &scenario(),
        &PriceTable::builtin(),
        &EventsOptions::default(),
    ) {
        Err(SimError::NotModelled(why)) => {
            assert!(
                why.contains("'pantry'") && why.contains("database"),
                "{why}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}
