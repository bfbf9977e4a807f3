//! Each component kind behaves as DESIGN.md §2 says, checked against closed forms.

use archsandbox::model::{
    ArrivalProcess, BalancingAlgorithm, CdnParams, ClientParams, Component, ComponentKind,
    DatabaseParams, Design, HitRatio, LoadBalancerParams, Partitioning, PriceTable, Scenario,
    ScheduledFailure, ServerParams, TrafficClass, TrafficMix, TrafficProfile,
};
use archsandbox::model::{CacheParams, ComponentId, Link};
use archsandbox::sim::{RunOptions, Simulation};

use crate::simulation::{placed, run_scenario, shipped};

fn client(name: &str, rate_per_s: u64, mix: TrafficMix) -> Component {
    Component {
        name: name.into(),
        position: (0.0, 0.0),
        kind: ComponentKind::Client(ClientParams {
            users: rate_per_s,
            rate_per_user_per_s: 1.0,
            mix,
            arrivals: ArrivalProcess::Poisson,
            workload: Default::default(),
            deadline_ms: None,
        }),
    }
}

fn mix(read: f64, write: f64, static_files: f64) -> TrafficMix {
    TrafficMix {
        read,
        write,
        static_files,
        async_jobs: 0.0,
    }
}

fn scenario(duration_s: f64, failures: Vec<ScheduledFailure>) -> Scenario {
    Scenario {
        name: "test".into(),
        duration_s,
        failures,
        ..Scenario::default()
    }
}

fn with_scenario(mut design: Design, s: &Scenario) -> Design {
    design.scenarios = vec![s.clone()];
    design.default_scenario = s.name.clone();
    design
}

/// Run tick by tick, collecting what `probe` reads after each tick.
fn trace<T>(design: &Design, s: &Scenario, mut probe: impl FnMut(&Simulation) -> T) -> Vec<T> {
    let mut sim = Simulation::new(design, s, &PriceTable::builtin()).expect("valid design");
    let mut out = Vec::new();
    while !sim.is_finished() {
        sim.step().expect("steps");
        out.push(probe(&sim));
    }
    out
}

fn dropped(sim: &Simulation, id: ComponentId) -> u64 {
    sim.node_tick(id).expect("node").dropped_total()
}

#[test]
fn balancer_keeps_sending_to_a_dead_instance_until_its_health_check_notices() {
    let mut design = Design::new("health checks");
    let users = design.add(client("users", 1000, mix(1.0, 0.0, 0.0)));
    let lb = design.add(placed(
        "lb",
        1,
        ComponentKind::LoadBalancer(LoadBalancerParams {
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
    let s = scenario(
        200.0,
        vec![ScheduledFailure {
            component: "servers".into(),
            instances: Some(1),
            at_s: 100.0,
            recover_at_s: None,
        }],
    );
    let design = with_scenario(design, &s);
    let drops = trace(&design, &s, |sim| dropped(sim, servers));
    assert!(
        drops[..100].iter().all(|d| *d == 0),
        "no drops before the failure"
    );
    // For the 10 s detection delay a quarter of the traffic hits the dead instance.
    for (t, d) in drops.iter().enumerate().take(110).skip(100) {
        assert!((150..=350).contains(d), "tick {t}: {d} dropped");
    }
    assert!(
        drops[111..].iter().all(|d| *d == 0),
        "after detection nothing is lost"
    );
}

#[test]
fn sticky_sessions_keep_stateful_servers_working_until_an_instance_dies() {
    let mut design = shipped("saved-designs/stateful-servers.ron");
    let host = design.find("host").expect("host");
    if let Some(ComponentKind::LoadBalancer(p)) = design.component_mut(host).map(|c| &mut c.kind) {
        p.algorithm = BalancingAlgorithm::StickySessions;
    }
    let s = scenario(
        400.0,
        vec![ScheduledFailure {
            component: "kitchen".into(),
            instances: Some(1),
            at_s: 200.0,
            recover_at_s: None,
        }],
    );
    let design = with_scenario(design, &s);
    let kitchen = design.find("kitchen").expect("kitchen");
    let errors = trace(&design, &s, |sim| {
        sim.node_tick(kitchen).expect("k").errors_total()
    });
    assert!(
        errors[..200].iter().all(|e| *e == 0),
        "sticky sessions keep users on their instance"
    );
    assert!(
        errors[200..].iter().sum::<u64>() > 0,
        "users of the dead instance are logged out"
    );
}

/// A single-shard database of `copies` copies on one core each (σ = κ = 0).
fn database(copies: u32) -> DatabaseParams {
    DatabaseParams {
        size: "small".into(),
        instances: copies,
        read_service_time_ms: 4.0,
        write_service_time_ms: 10.0,
        replica_apply_ms: 3.0,
        contention: 0.0,
        coherency: 0.0,
        ..DatabaseParams::default()
    }
}

fn database_utilization(params: DatabaseParams, reads_per_s: u64, writes_per_s: u64) -> f64 {
    let mut design = Design::new("replicas");
    let total = reads_per_s + writes_per_s;
    let users = design.add(client(
        "users",
        total,
        mix(
            reads_per_s as f64 / total as f64,
            writes_per_s as f64 / total as f64,
            0.0,
        ),
    ));
    let db = design.add(placed("db", 1, ComponentKind::Database(params)));
    design.connect(
        users,
        db,
        Link::new(&[TrafficClass::Read, TrafficClass::Write]),
    );
    let s = scenario(1_200.0, Vec::new());
    let design = with_scenario(design, &s);
    let summary = run_scenario(&design, &s, RunOptions::default());
    summary
        .components
        .iter()
        .find(|c| c.name == "db")
        .expect("db")
        .utilization
}

#[test]
fn read_replicas_share_reads_but_replay_every_write() {
    // Reads only: 300/s × 4 ms over 3 copies = 0.4 each.
    let u = database_utilization(database(3), 300, 0);
    assert!((u - 0.4).abs() < 0.01, "reads over 3 copies: U = {u}");
    // Writes do not scale: 80/s × 10 ms keeps the primary at 0.8 however many replicas.
    for copies in [1, 3] {
        let u = database_utilization(database(copies), 0, 80);
        assert!(
            (u - 0.8).abs() < 0.01,
            "writes with {copies} copies: U = {u}"
        );
    }
    // Mixed: 300 reads and 50 writes on 3 copies. Work = 300×4 + 50×(10 + 2×3) ms = 2.0 s/s,
    // levelled over 3 copies: U = 0.667 (the primary's own writes, 0.5, are below the level).
    let u = database_utilization(database(3), 300, 50);
    assert!((u - 2.0 / 3.0).abs() < 0.01, "mixed: U = {u}");
}

#[test]
fn the_hot_shard_of_a_skewed_range_saturates_first() {
    // 1,000 keys over four shards by range, key popularity ∝ 1/i: the first range holds
    // H(250)/H(1000) of the traffic (H the harmonic numbers), and the database is as busy as
    // that shard.
    let params = DatabaseParams {
        shards: 4,
        partitioning: Partitioning::Range,
        keys: 1_000,
        key_skew: 1.0,
        ..database(1)
    };
    let harmonic = |n: u64| (1..=n).map(|i| 1.0 / i as f64).sum::<f64>();
    let hot_share = harmonic(250) / harmonic(1_000);
    let u = database_utilization(params.clone(), 200, 0);
    assert!(
        (u - 200.0 * hot_share * 0.004).abs() < 0.01,
        "hot shard U = {u}, expected {}",
        200.0 * hot_share * 0.004
    );
    // Hashing scatters the popular keys: the hottest shard is the one key 1 lands on, with
    // about a quarter of the rest.
    let hashed = DatabaseParams {
        partitioning: Partitioning::Hash,
        ..params
    };
    let mut shares = [0.0f64; 4];
    for key in 1..=1_000u64 {
        let shard = archsandbox::model::sharding::key_shard(key, 1_000, 4, Partitioning::Hash);
        shares[shard as usize] += 1.0 / key as f64 / harmonic(1_000);
    }
    let hottest = shares.iter().copied().fold(0.0, f64::max);
    assert!(hottest < hot_share, "hashing spreads the hot range");
    let u = database_utilization(hashed, 200, 0);
    assert!(
        (u - 200.0 * hottest * 0.004).abs() < 0.01,
        "hashed hot shard U = {u}, expected {}",
        200.0 * hottest * 0.004
    );
}

#[test]
fn a_restarted_cache_comes_back_cold_and_warms_up() {
    let mut design = Design::new("cold cache");
    let users = design.add(client("users", 1000, mix(1.0, 0.0, 0.0)));
    let cache = design.add(placed(
        "cache",
        1,
        ComponentKind::Cache(CacheParams {
            hit_ratio: HitRatio::Fixed(0.9),
            warmup_s: 60.0,
            ..CacheParams::default()
        }),
    ));
    let db = design.add(placed(
        "db",
        2,
        ComponentKind::Database(DatabaseParams {
            size: "xlarge".into(),
            read_service_time_ms: 1.0,
            ..DatabaseParams::default()
        }),
    ));
    design.connect(users, cache, Link::new(&[TrafficClass::Read]));
    design.connect(cache, db, Link::new(&[TrafficClass::Read]));
    let s = scenario(
        600.0,
        vec![ScheduledFailure {
            component: "cache".into(),
            instances: None,
            at_s: 100.0,
            recover_at_s: Some(200.0),
        }],
    );
    let design = with_scenario(design, &s);
    let db_load = trace(&design, &s, |sim| {
        sim.node_tick(db).expect("db").arrived_total() as f64
    });
    let mean = |ticks: std::ops::Range<usize>| {
        db_load[ticks.clone()].iter().sum::<f64>() / ticks.len() as f64
    };
    // Warm: only misses reach the database.
    assert!(
        (mean(50..100) - 100.0).abs() < 10.0,
        "warm: {}",
        mean(50..100)
    );
    // Down: everything bypasses to the database (a miss, not an error).
    assert!(
        (mean(110..200) - 1000.0).abs() < 30.0,
        "down: {}",
        mean(110..200)
    );
    // Back, but cold: most reads still miss at first, then the hit ratio climbs back.
    assert!(mean(200..205) > 700.0, "just restarted: {}", mean(200..205));
    assert!(
        (mean(500..600) - 100.0).abs() < 10.0,
        "warm again: {}",
        mean(500..600)
    );
}

#[test]
fn cdn_origin_load_is_the_non_static_share_plus_the_static_misses() {
    // Origin = N(1 − f_static) + N·f_static·(1 − h_edge) = 400 + 600 × 0.1 = 460/s.
    let mut design = Design::new("cdn");
    let users = design.add(client("users", 1000, mix(0.4, 0.0, 0.6)));
    let edge = design.add(Component {
        name: "edge".into(),
        position: (200.0, -100.0),
        kind: ComponentKind::Cdn(CdnParams {
            edge_hit_ratio: 0.9,
            ..CdnParams::default()
        }),
    });
    let origin = design.add(placed(
        "origin",
        2,
        ComponentKind::Server(ServerParams {
            size: "xlarge".into(),
            instances: 2,
            service_time_ms: 2.0,
            ..ServerParams::default()
        }),
    ));
    design.connect(users, edge, Link::new(&[TrafficClass::Static]));
    design.connect(users, origin, Link::new(&[TrafficClass::Read]));
    design.connect(edge, origin, Link::new(&[TrafficClass::Static]));
    let s = scenario(1_200.0, Vec::new());
    let design = with_scenario(design, &s);
    let summary = run_scenario(&design, &s, RunOptions::default());
    let origin = summary
        .components
        .iter()
        .find(|c| c.name == "origin")
        .expect("origin");
    assert!(
        (origin.offered_per_s - 460.0).abs() < 460.0 * 0.02,
        "origin load {}",
        origin.offered_per_s
    );
}

#[test]
fn server_capacity_follows_the_universal_scalability_law() {
    // 32 cores at 1 ms per request (λ₁ = 1000/s), σ 0.03, κ 0.0001: X(32) ≈ 15,770/s.
    let mut design = Design::new("usl");
    let users = design.add(client("users", 1000, mix(1.0, 0.0, 0.0)));
    let server = design.add(placed(
        "big",
        1,
        ComponentKind::Server(ServerParams {
            size: "4xlarge".into(),
            service_time_ms: 1.0,
            contention: 0.03,
            coherency: 0.0001,
            ..ServerParams::default()
        }),
    ));
    design.connect(users, server, Link::new(&[TrafficClass::Read]));
    let s = Scenario {
        profile: TrafficProfile::Constant,
        ..scenario(60.0, Vec::new())
    };
    let design = with_scenario(design, &s);
    let summary = run_scenario(&design, &s, RunOptions::default());
    let big = summary
        .components
        .iter()
        .find(|c| c.name == "big")
        .expect("big");
    assert!(
        (big.capacity_per_s - 15_770.0).abs() < 15_770.0 * 1e-3,
        "capacity {}",
        big.capacity_per_s
    );
}

#[test]
fn stateless_servers_with_a_session_store_put_one_lookup_per_request_on_it() {
    let design = shipped("saved-designs/viral-restaurant.ron");
    let s = design.default_scenario().expect("scenario").clone();
    let summary = run_scenario(&design, &s, RunOptions::default());
    let kitchen = summary
        .components
        .iter()
        .find(|c| c.name == "kitchen")
        .expect("kitchen");
    let sessions = summary
        .components
        .iter()
        .find(|c| c.name == "sessions")
        .expect("sessions");
    let served_ok = kitchen.served_per_s
        - kitchen.errors as f64 / (summary.ticks - summary.warmup_ticks) as f64;
    assert!((sessions.offered_per_s - served_ok).abs() < 0.01 * served_ok);
}

#[test]
fn reads_and_writes_in_one_database_queue_wait_the_same() {
    // Reads 1 ms and writes 10 ms (exponential), half each, on one core at ρ = 0.8
    // (145.45/s): one FCFS queue, so both wait as the mix does. Pollaczek–Khinchine:
    // S̄ = 5.5 ms, E[S²] = 101 ms², Wq = λ·E[S²]/(2(1−ρ)) = 36.727 ms; a read takes
    // 37.727 ms on average, a write 46.727 ms, the mix 42.227 ms. The p99 shown is a read's:
    // P(W + S > t) with W = 0 w.p. 0.2, else Exp(45.909 ms), and S ~ Exp(1 ms): 202.19 ms.
    let design_of = |size: &str, users: u64| {
        let mut design = Design::new("mixed service times");
        let mut users = client("users", users, mix(0.5, 0.5, 0.0));
        if let ComponentKind::Client(p) = &mut users.kind {
            p.rate_per_user_per_s = 1.0 / 1.1;
        }
        let users = design.add(users);
        let db = design.add(placed(
            "db",
            1,
            ComponentKind::Database(DatabaseParams {
                read_service_time_ms: 1.0,
                write_service_time_ms: 10.0,
                size: size.into(),
                ..database(1)
            }),
        ));
        design.connect(
            users,
            db,
            Link::new(&[TrafficClass::Read, TrafficClass::Write]),
        );
        (design, db)
    };
    let s = scenario(60.0, Vec::new());
    for (size, users, mean_ms, p99_ms) in [
        // One core: P–K, as above.
        ("small", 160, 42.227_27, 202.186),
        // Two cores at 290.9/s, ρ = 0.8: Allen–Cunneen, Wq = 0.7111 · 1.6694 / (2/S̄ − λ)
        // = 16.323 ms; read 17.323 ms, write 26.323 ms, mix 21.823 ms; a read's p99 98.91 ms.
        ("medium", 320, 21.823_23, 98.906),
    ] {
        let (design, db) = design_of(size, users);
        let design = with_scenario(design, &s);
        let mut sim = Simulation::new(&design, &s, &PriceTable::builtin()).expect("valid");
        // A few ticks in, and at the end of a tick that left nothing waiting (a Poisson
        // burst above the tick's capacity would add its backlog's delay).
        for _ in 0..5 {
            sim.step().expect("steps");
        }
        while sim.node_tick(db).expect("db").backlog > 0 {
            sim.step().expect("steps");
        }
        let (mean, p99) = sim.latency_now_ms(db).expect("db");
        assert!(
            (mean - mean_ms).abs() < 1e-3 * mean_ms,
            "{size}: mean {mean} ms, expected {mean_ms}"
        );
        assert!(
            (p99 - p99_ms).abs() < 1e-3 * p99_ms,
            "{size}: p99 {p99} ms, expected {p99_ms}"
        );
    }
}

#[test]
fn a_balancer_takes_its_configured_latency_plus_the_wait_at_its_capacity() {
    // 1,000/s at 0.5 ms is less than one request in service at a time: it queues as one
    // server of 1,000/s, but a request takes the 0.5 ms configured, not 1 ms. At 10/s
    // (ρ = 0.01) the M/M/1 wait is ρ/(μ − λ) = 0.0101 ms: R = 0.5101 ms. At 3,000/s and
    // 0.5 ms (two servers of 1,500/s) the wait at 30/s is C(2, 0.02)/(3,000 − 30) ≈ 0.07 µs.
    for (capacity_per_s, rate_per_s, expected_ms) in [
        (1_000.0, 10, 0.5 + 0.01 / 990.0 * 1e3),
        (3_000.0, 30, 0.5 + 2e-4 / 2_970.0 * 1e3),
    ] {
        let mut design = Design::new("balancer latency");
        let users = design.add(client("users", rate_per_s, mix(1.0, 0.0, 0.0)));
        let lb = design.add(placed(
            "lb",
            1,
            ComponentKind::LoadBalancer(LoadBalancerParams {
                capacity_per_s,
                latency_ms: 0.5,
                ..LoadBalancerParams::default()
            }),
        ));
        let app = design.add(placed(
            "app",
            2,
            ComponentKind::default_for(archsandbox::model::KindName::Server),
        ));
        design.connect(users, lb, Link::new(&[TrafficClass::Read]));
        design.connect(lb, app, Link::new(&[TrafficClass::Read]));
        let s = scenario(30.0, Vec::new());
        let design = with_scenario(design, &s);
        let mut sim = Simulation::new(&design, &s, &PriceTable::builtin()).expect("valid");
        sim.run_until(10).expect("runs");
        let (mean_ms, _) = sim.latency_now_ms(lb).expect("the balancer");
        assert!(
            (mean_ms - expected_ms).abs() < 1e-3 * expected_ms,
            "{capacity_per_s}/s: mean {mean_ms} ms, expected {expected_ms}"
        );
    }
}

/// Sticky sessions pin each user to one instance: with U users spread at random over n
/// instances the hottest carries h(U) = 1 + √(2 ln n)·√((n − 1)/U) times an even share (the
/// normal approximation of the multinomial maximum, capped at n). The users grow with the
/// load, so the hottest instance's excess shrinks as the load grows, and the tier saturates
/// where L·h(U₀·L) = capacity ÷ base rate, not where the base load's h extrapolates.
#[test]
fn a_sticky_tier_saturates_where_its_hottest_instance_does_as_its_users_grow_with_the_load() {
    let (users, instances, per_instance_per_s) = (200.0, 20u32, 100.0);
    let mut design = Design::new("sticky");
    let clients = design.add(client("users", users as u64, mix(1.0, 0.0, 0.0)));
    let lb = design.add(placed(
        "lb",
        1,
        ComponentKind::LoadBalancer(LoadBalancerParams {
            algorithm: BalancingAlgorithm::StickySessions,
            ..LoadBalancerParams::default()
        }),
    ));
    let servers = design.add(crate::simulation::server(
        "servers",
        2,
        "small",
        instances,
        1.0 / per_instance_per_s,
        1.0,
    ));
    design.connect(clients, lb, Link::new(&[TrafficClass::Read]));
    design.connect(lb, servers, Link::new(&[TrafficClass::Read]));
    let s = scenario(600.0, vec![]);
    let design = with_scenario(design, &s);

    // L + b·√L = c with b = √(2 ln n)·√((n − 1)/U₀) (from L·(1 + √(2 ln n)·√((n−1)/(U₀L))))
    // and c the even spread's knee: a quadratic in √L.
    let n = f64::from(instances);
    let even_knee = n * per_instance_per_s / users;
    let b = (2.0 * n.ln()).sqrt() * ((n - 1.0) / users).sqrt();
    let root = (-b + (b * b + 4.0 * even_knee).sqrt()) / 2.0;
    let knee = root * root;
    let hot = |load: f64| 1.0 + b / load.sqrt();
    // Extrapolating the base load's hot factor would put it at c/h(U₀), 28 % lower.
    assert!(knee > 1.2 * even_knee / hot(1.0));

    let laws = archsandbox::sim::laws::operational_laws(&design, &s, &PriceTable::builtin())
        .expect("laws");
    let ladder = archsandbox::analysis::ladder::bottleneck_ladder(&laws);
    let first = ladder.first().expect("a bottleneck");
    assert_eq!(first.name, "servers");
    crate::simulation::assert_within("the ladder's knee", first.saturates_at_load, knee, 1e-6);

    // The flow engine below and past that knee: below it every request is served; past it
    // the tier serves its capacity over the hot factor at that load's users.
    for (share, expected) in [
        (0.85, 0.85 * knee * users),
        (1.25, n * per_instance_per_s / hot(1.25 * knee)),
    ] {
        let at = Scenario {
            load_multiplier: share * knee,
            ..s.clone()
        };
        let run = run_scenario(&design, &at, RunOptions::default());
        // About 1,000 requests a second for 600 s: Poisson noise well under 1 %.
        crate::simulation::assert_within(
            &format!("throughput at {share} × the knee"),
            run.system.throughput_per_s,
            expected,
            0.02,
        );
    }
}
