//! Truth at the breaking point: figures that hold under overload and at any tick length.
//! Each expectation is worked out here from the formula MODEL-REFERENCE.md gives; each
//! tolerance is sized to the run's length (the noise it allows is said beside it).

use archsandbox::model::{
    ArrivalProcess, BalancingAlgorithm, ClientParams, Component, ComponentKind, DatabaseParams,
    Design, Link, LoadBalancerParams, Partitioning, PriceTable, Scenario, ServerParams,
    TrafficClass, TrafficMix,
};
use archsandbox::sim::{ComponentReport, RunOptions, RunSummary, Simulation};

use crate::simulation::{assert_conserved, assert_within, placed, run_scenario};

/// The tick lengths every model must hold at.
const TICK_LENGTHS_S: [f64; 4] = [1.0, 0.1, 0.01, 0.001];

/// Poisson readers sending `rate_per_s` a second.
fn readers(rate_per_s: u64) -> Component {
    placed(
        "readers",
        0,
        crate::simulation::clients(
            rate_per_s,
            crate::simulation::mix(1.0, 0.0),
            ArrivalProcess::Poisson,
        ),
    )
}

/// One-core servers with exponential service of `service_ms`, and a timeout so long that
/// nothing is dropped in these runs.
fn server(name: &str, column: u8, instances: u32, service_ms: f64) -> Component {
    crate::simulation::server(name, column, "small", instances, service_ms / 1000.0, 1.0)
}

/// A one-core database whose reads take `read_ms` (exponential).
fn database(name: &str, column: u8, read_ms: f64) -> Component {
    placed(
        name,
        column,
        ComponentKind::Database(DatabaseParams {
            size: "small".into(),
            read_service_time_ms: read_ms,
            service_scv: 1.0,
            contention: 0.0,
            coherency: 0.0,
            timeout_ms: 1e7,
            ..DatabaseParams::default()
        }),
    )
}

fn reads() -> Link {
    Link::new(&[TrafficClass::Read])
}

fn scenario(tick_s: f64, duration_s: f64) -> Scenario {
    Scenario {
        name: "test".into(),
        tick_s,
        duration_s,
        seed: 11,
        ..Scenario::default()
    }
}

fn run(design: &Design, scenario: &Scenario) -> RunSummary {
    run_scenario(design, scenario, RunOptions::default())
}

fn component<'a>(summary: &'a RunSummary, name: &str) -> &'a ComponentReport {
    summary
        .components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no component {name}"))
}

/// 120 requests/s into one server of 100/s: Poisson arrivals, exponential service, one core.
fn overloaded_server() -> Design {
    let mut design = Design::new("overload");
    let readers = design.add(readers(120));
    let server = design.add(server("server", 1, 1, 10.0));
    design.connect(readers, server, reads());
    design
}

#[test]
fn past_the_knee_throughput_is_what_the_server_completes_and_the_rest_is_in_flight() {
    // λ 120/s, μ 100/s, 600 s: the server completes 100/s (± 0.4 % over the 540 measured
    // seconds: √(100·540)/540 of Poisson-like completions), nothing fails, and about
    // (λ − μ)·600 = 12,000 requests are still waiting at the end (± 3σ, σ = √((λ + μ)·600)).
    let (lambda, mu, seconds) = (120.0, 100.0, 600.0);
    for tick_s in [1.0, 0.01] {
        let summary = run(&overloaded_server(), &scenario(tick_s, seconds));
        let s = &summary.system;
        assert_within(
            &format!("throughput at {tick_s} s ticks"),
            s.throughput_per_s,
            mu,
            0.02,
        );
        assert_eq!(
            s.success_ratio, 1.0,
            "nothing failed: every ended request succeeded"
        );
        let waiting = (lambda - mu) * seconds;
        let sd = ((lambda + mu) * seconds).sqrt();
        assert!(
            (s.in_flight_end - waiting).abs() < 3.0 * sd,
            "in flight at the end: {}, expected {waiting} ± {}",
            s.in_flight_end,
            3.0 * sd
        );
        // In flight is exactly what waits at the server (one hop, one visit per request).
        let server = component(&summary, "server");
        assert_eq!(s.requests.in_flight_end, server.totals.backlog_end);
        let client = component(&summary, "readers");
        assert_within(
            "the client's throughput",
            client.throughput_per_s.expect("a client"),
            mu,
            0.02,
        );
        assert_eq!(client.success_ratio, Some(1.0));
        assert_conserved(&summary);
    }
}

#[test]
fn behind_a_saturated_middle_tier_end_to_end_throughput_is_the_bottlenecks() {
    // 150/s → web (400/s) → app (100/s) → database (250/s): the web tier admits all 150, the
    // app completes 100, and so does the system (± 2 %).
    let mut design = Design::new("chain");
    let readers = design.add(readers(150));
    let web = design.add(server("web", 1, 1, 2.5));
    let app = design.add(server("app", 2, 1, 10.0));
    let db = design.add(database("database", 3, 4.0));
    design.connect(readers, web, reads());
    design.connect(web, app, reads());
    design.connect(app, db, reads());
    for tick_s in [1.0, 0.1] {
        let summary = run(&design, &scenario(tick_s, 600.0));
        assert_within(
            "the web tier serves what arrives",
            component(&summary, "web").served_per_s,
            150.0,
            0.02,
        );
        assert_within(
            "end-to-end throughput",
            summary.system.throughput_per_s,
            100.0,
            0.02,
        );
        assert_within(
            "the database sees the bottleneck's output",
            component(&summary, "database").served_per_s,
            100.0,
            0.02,
        );
        assert_conserved(&summary);
    }
}

#[test]
fn behind_a_saturated_database_each_request_completes_when_all_its_calls_do() {
    // 50 requests/s, five calls each, into a database of 200 calls/s: 40 requests/s complete
    // (± 2 %), the other 10/s wait, five calls apiece.
    let mut design = Design::new("fan-out");
    let readers = design.add(readers(50));
    let api = design.add(server("api", 1, 1, 1.0));
    let db = design.add(database("database", 2, 5.0));
    design.connect(readers, api, reads());
    let mut calls = reads();
    calls.calls_per_request = 5.0;
    design.connect(api, db, calls);
    for tick_s in [1.0, 0.01] {
        let summary = run(&design, &scenario(tick_s, 600.0));
        assert_within(
            "requests completed",
            summary.system.throughput_per_s,
            200.0 / 5.0,
            0.02,
        );
        let waiting_calls = component(&summary, "database").totals.backlog_end as f64;
        assert!(
            (summary.system.in_flight_end - waiting_calls / 5.0).abs() <= 1.0,
            "in flight {} = calls waiting {waiting_calls} / 5",
            summary.system.in_flight_end
        );
        assert_conserved(&summary);
    }
}

/// M/M/1 at ρ 0.8: Poisson 80/s into exponential service at 100/s.
fn mm1() -> Design {
    let mut design = Design::new("M/M/1");
    let readers = design.add(readers(80));
    let server = design.add(server("server", 1, 1, 10.0));
    design.connect(readers, server, reads());
    design
}

#[test]
fn mm1_mean_p99_and_utilization_hold_at_every_tick_length() {
    // R ~ Exp(μ − λ): mean 1/(μ − λ) = 50 ms, p99 −ln(0.01)/(μ − λ) = 230.3 ms, U = λ/μ.
    // The component's mean is the model's, free of sampling noise; the end-to-end figures
    // come from at least 500,000 sampled paths (the p99's standard error is under 1 %);
    // utilization counts λ·T ≥ 28,800 completions (0.6 % noise).
    let (lambda, mu) = (80.0, 100.0);
    let mean_ms = 1000.0 / (mu - lambda);
    let p99_ms = -(0.01f64.ln()) / (mu - lambda) * 1000.0;
    for tick_s in TICK_LENGTHS_S {
        let seconds = if tick_s < 0.01 { 400.0 } else { 600.0 };
        let summary = run(&mm1(), &scenario(tick_s, seconds));
        let server = component(&summary, "server");
        let at = |what: &str| format!("{what} at {tick_s} s ticks");
        assert_within(&at("mean R"), server.latency_ms.mean, mean_ms, 0.02);
        assert_within(
            &at("end-to-end mean"),
            summary.system.latency_ms.mean,
            mean_ms,
            0.02,
        );
        assert_within(&at("p99"), server.latency_ms.p99, p99_ms, 0.05);
        assert_within(
            &at("end-to-end p99"),
            summary.system.latency_ms.p99,
            p99_ms,
            0.05,
        );
        assert_within(&at("utilization"), server.utilization, lambda / mu, 0.02);
        assert!(
            server.max_utilization <= 1.0,
            "a tick's utilization is a share: {}",
            server.max_utilization
        );
        assert_within(
            &at("throughput"),
            summary.system.throughput_per_s,
            lambda,
            0.02,
        );
    }
}

#[test]
fn capacity_that_is_not_whole_requests_per_tick_is_not_rounded_away() {
    // 30/s into a server of 1/0.03 = 33.3/s at 0.1 s ticks (3.33 a tick) and at 1 ms ticks
    // (0.033 a tick): U = 0.9 (± 2 %: 30·600 = 18,000 completions, 0.7 % noise).
    let mut design = Design::new("fractions");
    let readers = design.add(readers(30));
    let server = design.add(server("server", 1, 1, 30.0));
    design.connect(readers, server, reads());
    for tick_s in [0.1, 0.001] {
        let summary = run(&design, &scenario(tick_s, 600.0));
        assert_within(
            &format!("utilization at {tick_s} s ticks"),
            component(&summary, "server").utilization,
            0.9,
            0.02,
        );
    }
}

#[test]
fn calls_per_request_wait_like_the_multiplied_poisson_stream_at_every_tick_length() {
    // 30 requests/s, five calls each, into a one-core database of 5 ms exponential service:
    // 150 calls/s, ρ = 0.75, R = S/(1 − ρ) = 20 ms a visit, 5 × 20 = 100 ms of residence per
    // request — the same as 150 calls/s sent directly.
    let (requests, calls, service_ms) = (30.0, 5.0, 5.0);
    let rho = requests * calls * service_ms / 1000.0;
    let visit_ms = service_ms / (1.0 - rho);
    let build = |fan_out: bool| {
        let mut design = Design::new("calls");
        let rate = if fan_out { requests } else { requests * calls };
        let readers = design.add(readers(rate as u64));
        let db = design.add(database("database", 2, service_ms));
        if fan_out {
            // A server whose own time is a microsecond, so that the residence is the calls'.
            let api = design.add(server("api", 1, 1, 0.001));
            design.connect(readers, api, reads());
            let mut link = reads();
            link.calls_per_request = calls;
            design.connect(api, db, link);
        } else {
            design.connect(readers, db, reads());
        }
        design
    };
    for tick_s in TICK_LENGTHS_S {
        let seconds = if tick_s < 0.01 { 300.0 } else { 600.0 };
        let s = scenario(tick_s, seconds);
        let fanned = run(&build(true), &s);
        let direct = run(&build(false), &s);
        for (summary, how) in [
            (&fanned, "five calls a request"),
            (&direct, "sent directly"),
        ] {
            let db = component(summary, "database");
            let at = |what: &str| format!("{what}, {how}, at {tick_s} s ticks");
            assert_within(&at("database utilization"), db.utilization, rho, 0.02);
            assert_within(&at("database mean R"), db.latency_ms.mean, visit_ms, 0.05);
        }
        assert_within(
            &format!("residence per request at {tick_s} s ticks"),
            fanned.system.latency_ms.mean,
            calls * visit_ms,
            0.05,
        );
    }
}

#[test]
fn a_growing_backlog_spreads_as_arrivals_and_completions_both_vary() {
    // 120/s into 100/s for 60 s: the backlog's mean is (λ − μ)·t = 1,200 and its standard
    // deviation √((λ + μ)·t) = 114.9. Over 400 seeds the sample deviation's standard error is
    // 1/√798 = 3.5 % of it, so ± 15 % is more than four of those; the mean's is 5.7 requests,
    // and the reflection at an empty queue in the first seconds adds about σ²/2(λ − μ) ≈ 5.
    let (lambda, mu, t) = (120.0f64, 100.0f64, 60.0f64);
    let design = overloaded_server();
    let server = design.find("server").expect("server");
    for tick_s in [1.0, 0.1] {
        let backlogs: Vec<f64> = (0..400u64)
            .map(|seed| {
                let options = RunOptions {
                    seed: Some(1_000 + seed),
                    samples_per_tick: Some(0),
                    ..RunOptions::default()
                };
                let mut sim = Simulation::with_options(
                    &design,
                    &scenario(tick_s, t),
                    &PriceTable::builtin(),
                    options,
                )
                .expect("valid");
                sim.run_to_end().expect("runs");
                sim.node_tick(server).expect("server").backlog as f64
            })
            .collect();
        let n = backlogs.len() as f64;
        let mean = backlogs.iter().sum::<f64>() / n;
        let sd = (backlogs.iter().map(|b| (b - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        assert_within(
            &format!("mean backlog at {tick_s} s ticks"),
            mean,
            (lambda - mu) * t,
            0.03,
        );
        assert_within(
            &format!("backlog spread at {tick_s} s ticks"),
            sd,
            ((lambda + mu) * t).sqrt(),
            0.15,
        );
    }
}

/// `rate_per_s` readers → a balancer (`algorithm`) → `instances` one-core servers of 100/s.
fn balanced(rate_per_s: u64, instances: u32, algorithm: BalancingAlgorithm) -> Design {
    let mut design = Design::new("balanced");
    let readers = design.add(readers(rate_per_s));
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
    let servers = design.add(server("servers", 2, instances, 10.0));
    design.connect(readers, lb, reads());
    design.connect(lb, servers, reads());
    design
}

/// E_n/M/1: σ solves σ = (nλ/(nλ + μ(1 − σ)))ⁿ (fixed-point iteration from 0.5, as
/// MODEL-REFERENCE §2 says), and R = 1/(μ(1 − σ)).
fn erlang_n_m_1_response_s(n: f64, lambda: f64, mu: f64) -> f64 {
    let mut sigma = 0.5f64;
    for _ in 0..100_000 {
        sigma = (n * lambda / (n * lambda + mu * (1.0 - sigma))).powf(n);
    }
    1.0 / (mu * (1.0 - sigma))
}

#[test]
fn round_robin_deals_erlang_arrivals_and_waits_less_than_a_random_split() {
    // 180/s over three servers of 100/s: round robin gives each Erlang-3 arrivals at 60/s,
    // R = 18.1 ms (E_3/M/1); a random split gives each M/M/1 at 60/s, R = 1/(100 − 60) =
    // 25 ms. The servers' means are the model's, so ± 3 % is the model's own error.
    let round_robin_ms = erlang_n_m_1_response_s(3.0, 60.0, 100.0) * 1000.0;
    assert!((round_robin_ms - 18.1).abs() < 0.1, "{round_robin_ms}");
    let random_ms = 1000.0 / (100.0 - 60.0);
    for (algorithm, expected_ms) in [
        (BalancingAlgorithm::RoundRobin, round_robin_ms),
        (BalancingAlgorithm::Random, random_ms),
    ] {
        for tick_s in [1.0, 0.01] {
            let summary = run(&balanced(180, 3, algorithm), &scenario(tick_s, 300.0));
            assert_within(
                &format!("{algorithm:?} at {tick_s} s ticks"),
                component(&summary, "servers").latency_ms.mean,
                expected_ms,
                0.03,
            );
        }
    }
}

#[test]
fn shard_shares_are_the_sums_of_their_keys_popularity() {
    use archsandbox::model::sharding::{key_shard, shard_shares};
    // Key i is asked for in proportion to i^(−s); a shard's share is the sum over the keys the
    // mapping puts on it, brute force over all 200,000 keys.
    let keys = 200_000u64;
    for partitioning in [Partitioning::Range, Partitioning::Hash] {
        for shards in [4u32, 16] {
            for s in [0.0, 1.0] {
                let mut brute = vec![0.0f64; shards as usize];
                for key in 1..=keys {
                    brute[key_shard(key, keys, shards, partitioning) as usize] +=
                        (key as f64).powf(-s);
                }
                let total: f64 = brute.iter().sum();
                let shares = shard_shares(keys, shards, partitioning, s);
                for (j, (got, want)) in shares.iter().zip(&brute).enumerate() {
                    assert!(
                        (got - want / total).abs() < 1e-9,
                        "{partitioning:?}, {shards} shards, s {s}: shard {j} {got} vs {}",
                        want / total
                    );
                }
            }
        }
    }
    // Range mapping is contiguous: with s = 1 the first range is the hot one, H(N/S)/H(N).
    let harmonic = |n: u64| (1..=n).map(|i| 1.0 / i as f64).sum::<f64>();
    let shares = shard_shares(keys, 4, Partitioning::Range, 1.0);
    assert!((shares[0] - harmonic(keys / 4) / harmonic(keys)).abs() < 1e-12);
    // Uniform popularity spreads evenly by range.
    for share in shard_shares(keys, 16, Partitioning::Range, 0.0) {
        assert!((share - 1.0 / 16.0).abs() < 1e-12);
    }
}

#[test]
fn a_hash_sharded_database_feels_the_skew_of_its_keys() {
    // With s = 1 over 10,000 keys, the shard that holds key 1 (1/H(10,000) ≈ 10 % of all
    // requests on its own) is hotter than a quarter; the database saturates as that shard does.
    use archsandbox::sim::laws::operational_laws;
    let mut design = Design::new("hashed");
    let readers = design.add(readers(100));
    let db = design.add(placed(
        "database",
        1,
        ComponentKind::Database(DatabaseParams {
            size: "small".into(),
            shards: 4,
            partitioning: Partitioning::Hash,
            keys: 10_000,
            key_skew: 1.0,
            read_service_time_ms: 4.0,
            contention: 0.0,
            coherency: 0.0,
            ..DatabaseParams::default()
        }),
    ));
    design.connect(readers, db, reads());
    let shares = archsandbox::model::sharding::shard_shares(10_000, 4, Partitioning::Hash, 1.0);
    let hottest = shares.iter().copied().fold(0.0, f64::max);
    assert!(hottest > 0.3, "{shares:?}");
    let s = scenario(1.0, 600.0);
    let laws = operational_laws(&design, &s, &PriceTable::builtin()).expect("laws");
    let law = laws
        .nodes
        .iter()
        .find(|n| n.name == "database")
        .expect("db");
    // 100/s × the hottest share × 4 ms on one core.
    assert!((law.utilization - 100.0 * hottest * 0.004).abs() < 1e-9);
    let summary = run(&design, &s);
    assert_within(
        "the hot shard's utilization",
        component(&summary, "database").utilization,
        100.0 * hottest * 0.004,
        0.03,
    );
}

#[test]
fn no_window_is_busier_than_its_length_when_one_service_outlasts_it() {
    // One server whose every request takes 600 s (deterministic), kept saturated at 1/s.
    // Busy time over available time is 1 whatever the window, even a window of one 60 s tick
    // in which a request completes: its 600 s of work were done over ten ticks, not in that
    // one. (Counting its X·S in the tick it completes reads 1,000 %.)
    let mut design = Design::new("long service");
    let readers = design.add(readers(1));
    let server = design.add(crate::simulation::server(
        "server", 1, "small", 1, 600.0, 0.0,
    ));
    design.connect(readers, server, reads());
    for (tick_s, warmup_s) in [(60.0, 2940.0), (60.0, 1200.0), (1.0, 2999.0), (1.0, 1200.0)] {
        let s = Scenario {
            warmup_s: Some(warmup_s),
            ..scenario(tick_s, 3000.0)
        };
        let summary = run(&design, &s);
        let server = component(&summary, "server");
        assert!(
            (server.utilization - 1.0).abs() < 1e-9,
            "a saturated server is busy throughout a window of {} s at {tick_s} s ticks: {}",
            3000.0 - warmup_s,
            server.utilization
        );
    }
}

#[test]
fn an_overloaded_run_breaks_no_law_at_any_tick_length() {
    // Past the knee the backlog grows for the whole run, and its waits with it: Little's law
    // must still tie the backlog to the throughput and the wait, and nothing may do more than
    // its capacity allows.
    use archsandbox::analysis::report::law_checks;
    use archsandbox::sim::laws::source_laws;
    let design = overloaded_server();
    for tick_s in [1.0, 0.001] {
        let s = scenario(tick_s, 300.0);
        let summary = run(&design, &s);
        let sources = source_laws(&design, &s, &PriceTable::builtin()).expect("laws");
        let checks = law_checks(&design, Some(&sources), &summary);
        assert!(checks.is_empty(), "at {tick_s} s ticks: {checks:#?}");
        // Little's law by hand: the mean backlog is the served rate × the mean wait (within
        // the slow convergence of a growing queue's mean, a few percent here).
        let server = component(&summary, "server");
        assert_within(
            &format!("L = X·W at {tick_s} s ticks"),
            server.backlog,
            server.served_per_s * server.wait_ms / 1000.0,
            0.05,
        );
    }
}

#[test]
fn the_report_says_which_figure_breaks_which_law() {
    // A run whose figures keep the laws, then the same figures bent one at a time: each bent
    // figure is named, and nothing else.
    use archsandbox::analysis::report::law_checks;
    use archsandbox::sim::laws::source_laws;
    let mut design = Design::new("chain");
    let readers = design.add(readers(80));
    let app = design.add(server("app", 1, 1, 10.0));
    let db = design.add(database("database", 2, 4.0));
    design.connect(readers, app, reads());
    design.connect(app, db, reads());
    let s = scenario(1.0, 600.0);
    let sources = source_laws(&design, &s, &PriceTable::builtin()).expect("laws");
    let honest = run(&design, &s);
    assert!(law_checks(&design, Some(&sources), &honest).is_empty());
    let bent = |what: &dyn Fn(&mut RunSummary)| {
        let mut summary = honest.clone();
        what(&mut summary);
        law_checks(&design, Some(&sources), &summary)
    };
    let position = |summary: &RunSummary, name: &str| {
        summary
            .components
            .iter()
            .position(|c| c.name == name)
            .expect("component")
    };
    // A component doing more work than its capacity allows.
    let checks = bent(&|s| {
        let i = position(s, "app");
        s.components[i].utilization = 1.2;
    });
    assert_eq!(checks.len(), 1, "{checks:#?}");
    assert_eq!(
        (checks[0].law, checks[0].component.as_deref()),
        ("utilization", Some("app"))
    );
    // The system completing more than its bottleneck (the app, 100/s) can.
    let checks = bent(&|s| s.system.throughput_per_s = 130.0);
    assert_eq!(checks.len(), 1, "{checks:#?}");
    assert_eq!(
        (checks[0].law, checks[0].component.as_deref()),
        ("bottleneck", None)
    );
    assert!(
        (checks[0].expected - 100.0).abs() < 1e-6,
        "X ≤ 1/S_app = 100/s"
    );
    // A backlog that is not throughput × wait.
    let checks = bent(&|s| {
        let i = position(s, "database");
        s.components[i].backlog = 500.0;
    });
    assert_eq!(checks.len(), 1, "{checks:#?}");
    assert_eq!(
        (checks[0].law, checks[0].component.as_deref()),
        ("little", Some("database"))
    );
}

#[test]
fn a_bottleneck_that_only_some_requests_pass_bounds_only_those() {
    // Reads go straight to a database (1 ms), writes through a writer that saturates at
    // 20/s: past its knee the writes are held back and the reads use the database's time,
    // so the system completes far more than the writer's share of the base mix allows —
    // and the report must not call that a broken law.
    use archsandbox::analysis::report::law_checks;
    use archsandbox::sim::laws::source_laws;
    let mut design = Design::new("mixed");
    let users = design.add(placed(
        "users",
        0,
        ComponentKind::Client(ClientParams {
            users: 100,
            rate_per_user_per_s: 1.0,
            mix: TrafficMix {
                read: 0.5,
                write: 0.5,
                static_files: 0.0,
                async_jobs: 0.0,
            },
            arrivals: ArrivalProcess::Poisson,
            workload: Default::default(),
            deadline_ms: None,
        }),
    ));
    let writer = design.add(server("writer", 1, 1, 50.0));
    let db = design.add(database("database", 2, 1.0));
    design.connect(users, db, reads());
    design.connect(users, writer, Link::new(&[TrafficClass::Write]));
    design.connect(writer, db, Link::new(&[TrafficClass::Write]));
    let s = scenario(1.0, 600.0);
    let summary = run(&design, &s);
    // 50 reads and 20 writes a second complete; the writer's bound on the base mix alone
    // would be 20 / 0.5 = 40 requests a second.
    assert_within("throughput", summary.system.throughput_per_s, 70.0, 0.03);
    let sources = source_laws(&design, &s, &PriceTable::builtin()).expect("laws");
    let checks = law_checks(&design, Some(&sources), &summary);
    assert!(checks.is_empty(), "{checks:#?}");
}

#[test]
fn past_the_knee_a_timeout_bounds_the_wait_of_what_succeeds() {
    // 120/s into 100/s with a 2 s timeout: the backlog stops at what 2 s of service holds
    // (200 requests), the excess 20/s is dropped, and no request that succeeds waited longer
    // than the timeout: its latency is at most 2 s plus its service, and L = X·W still holds.
    use archsandbox::analysis::report::law_checks;
    use archsandbox::sim::laws::source_laws;
    let mut design = Design::new("timeout");
    let readers = design.add(readers(120));
    let server = design.add(placed(
        "server",
        1,
        ComponentKind::Server(ServerParams {
            size: "small".into(),
            service_time_ms: 10.0,
            service_scv: 1.0,
            contention: 0.0,
            coherency: 0.0,
            timeout_ms: 2_000.0,
            ..ServerParams::default()
        }),
    ));
    design.connect(readers, server, reads());
    for tick_s in [1.0, 0.01] {
        let s = scenario(tick_s, 600.0);
        let summary = run(&design, &s);
        let server = component(&summary, "server");
        assert!(
            server.latency_ms.p99 <= 2_000.0 + 10.0 * 10.0,
            "at {tick_s} s ticks the p99 {} ms passes the timeout",
            server.latency_ms.p99
        );
        assert!(server.latency_ms.mean <= 2_000.0 + 10.0 + 1.0);
        assert_within("throughput", summary.system.throughput_per_s, 100.0, 0.02);
        assert_within(
            "the share that fails",
            1.0 - summary.system.success_ratio,
            20.0 / 120.0,
            0.05,
        );
        let sources = source_laws(&design, &s, &PriceTable::builtin()).expect("laws");
        let checks = law_checks(&design, Some(&sources), &summary);
        assert!(checks.is_empty(), "at {tick_s} s ticks: {checks:#?}");
    }
}
