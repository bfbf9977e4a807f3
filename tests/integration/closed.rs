//! Closed clients in the events engine: users who send, wait for the answer, think and send
//! again, against exact mean value analysis (MVA) and the asymptotic bounds of a closed
//! network, computed here from their formulas; conservation of requests; and the profile
//! scaling the users.
//!
//! Noise, measured: eight independent runs of 20,000 s (after a 1,000 s warm-up) of the
//! tandem below gave relative standard deviations of the mean response time of 0.6 % at
//! N = 1 (per 9,700 requests), 0.5 % at N = 10, 0.56 % at N = 50 and 0.54 % at N = 100, and of
//! the throughput 1.1 %, 0.4 %, 0.14 % and 0.2 %. Independent runs are batch means with the
//! whole run as a batch: a batch much longer than the bottleneck's relaxation time (about
//! 1/(μ(1 − √ρ)²) = 10 s at N = 50, ρ 0.88) is uncorrelated with the next, so a run's standard
//! error falls as 1/√(its length); each test sizes its runs from that.

use archsandbox::model::{
    ClientParams, Component, ComponentKind, Design, Link, PriceTable, Scenario, TrafficClass,
    TrafficMix, Workload,
};
use archsandbox::sim::events::{EventsOptions, EventsRun, run_events};

use crate::simulation::{mix, placed, server};

/// Mean think time of the users, in seconds.
const THINK_S: f64 = 2.0;
/// Service demands of the three servers in tandem, in seconds (each visited once).
const DEMANDS_S: [f64; 3] = [0.010, 0.020, 0.040];

/// A closed client of `users` who think `think_s` on average, sending `mix`.
fn closed_client(users: u64, think_s: f64, mix: TrafficMix) -> Component {
    placed(
        "users",
        0,
        ComponentKind::Client(ClientParams {
            users,
            rate_per_user_per_s: 1.0,
            mix,
            workload: Workload::Closed {
                think_time_s: think_s,
            },
            ..ClientParams::default()
        }),
    )
}

fn reads() -> Link {
    Link::new(&[TrafficClass::Read])
}

/// `users` readers → s1 → s2 → s3: one-core servers ("small" is 1 vCPU) with exponential
/// service of the demands, no USL losses, a timeout nothing reaches.
fn tandem(users: u64) -> Design {
    let mut design = Design::new("closed tandem");
    let mut from = design.add(closed_client(users, THINK_S, mix(1.0, 0.0)));
    for (k, d) in DEMANDS_S.iter().enumerate() {
        let s = design.add(server(
            &format!("s{}", k + 1),
            k as u8 + 1,
            "small",
            1,
            *d,
            1.0,
        ));
        design.connect(from, s, reads());
        from = s;
    }
    design
}

fn scenario(seconds: f64, seed: u64) -> Scenario {
    Scenario {
        name: "closed".into(),
        tick_s: 1.0,
        duration_s: seconds,
        seed,
        ..Scenario::default()
    }
}

/// Run with the events engine, leaving out the first `warmup_s`.
fn run(design: &Design, scenario: &Scenario, warmup_s: f64) -> EventsRun {
    run_events(
        design,
        scenario,
        &PriceTable::builtin(),
        &EventsOptions {
            warmup_s: Some(warmup_s),
            ..EventsOptions::default()
        },
    )
    .expect("the events engine runs it")
}

/// Exact MVA of a closed network of single-server FCFS exponential stations with `demands`
/// and think time `think_s` at `users`: (throughput /s, mean response time s).
fn mva(demands: &[f64], think_s: f64, users: u64) -> (f64, f64) {
    let mut queue = vec![0.0; demands.len()];
    let (mut x, mut r) = (0.0, 0.0);
    for n in 1..=users {
        let residence: Vec<f64> = demands
            .iter()
            .zip(&queue)
            .map(|(d, q)| d * (1.0 + q))
            .collect();
        r = residence.iter().sum::<f64>();
        x = n as f64 / (think_s + r);
        for (q, rk) in queue.iter_mut().zip(&residence) {
            *q = x * rk;
        }
    }
    (x, r)
}

/// `measured` is within `relative` of `expected`, or the test fails saying by how much.
fn within(what: &str, measured: f64, expected: f64, relative: f64) {
    crate::simulation::assert_within(what, measured, expected, relative);
}

#[test]
fn closed_tandem_matches_exact_mva_in_the_events_engine() {
    // Each N runs for 800,000 expected completions after a 1,000 s warm-up (N = 1: 1.66
    // million seconds; N = 50: 36,000 s). By the noise above the standard errors become: R at
    // N = 50 (the noisiest) 0.56 % × √(20,000/36,000) = 0.42 %, X at N = 1 1/√800,000 = 0.11 %
    // (its sends are nearly Poisson): the 3 % tolerances are 7 standard errors or more.
    for users in [1u64, 10, 50, 100] {
        let (x, r_s) = mva(&DEMANDS_S, THINK_S, users);
        let seconds = 800_000.0 / x;
        let run = run(
            &tandem(users),
            &scenario(1_000.0 + seconds, 11 + users),
            1_000.0,
        );
        eprintln!(
            "N = {users}: X {:.4}/s (MVA {x:.4}), R {:.2} ms (MVA {:.2}), {seconds:.0} s",
            run.system.throughput_per_s,
            run.system.latency_ms.mean,
            r_s * 1000.0
        );
        within(
            &format!("throughput at N = {users}"),
            run.system.throughput_per_s,
            x,
            0.03,
        );
        within(
            &format!("mean response at N = {users} (ms)"),
            run.system.latency_ms.mean,
            r_s * 1000.0,
            0.03,
        );
        assert_eq!(run.system.failed, 0, "nothing times out");
    }
}

#[test]
fn closed_tandem_keeps_within_the_asymptotic_bounds() {
    // X ≤ min(N/(D + Z), 1/Dmax) and R ≥ max(D, N·Dmax − Z), D the demands' sum. Each N runs
    // for 400,000 requests at the throughput bound: X's standard error is about
    // 1/√400,000 = 0.16 %, R's at most 0.6 % (at N = 100, where R ≥ N·Dmax − Z is tight; at
    // N = 1 both bounds are the exact values, and R's error is 0.65/√400,000 = 0.1 %, its
    // coefficient of variation over √n). The 2 % allowance is three standard errors or more.
    let d: f64 = DEMANDS_S.iter().sum();
    let d_max = DEMANDS_S.iter().copied().fold(0.0, f64::max);
    for users in (1u64..=100).step_by(11) {
        let n = users as f64;
        let x_bound = (n / (d + THINK_S)).min(1.0 / d_max);
        let r_bound = d.max(n * d_max - THINK_S);
        let seconds = 400_000.0 / x_bound;
        let run = run(
            &tandem(users),
            &scenario(500.0 + seconds, 23 + users),
            500.0,
        );
        let (x, r) = (
            run.system.throughput_per_s,
            run.system.latency_ms.mean / 1000.0,
        );
        assert!(
            x <= x_bound * 1.02,
            "N = {users}: X {x}/s above its bound {x_bound}/s"
        );
        assert!(
            r >= r_bound * 0.98,
            "N = {users}: R {r} s below its bound {r_bound} s"
        );
    }
}

#[test]
fn a_closed_client_conserves_its_requests_and_message_queue_jobs_send_nothing() {
    // 40 users thinking 1 s; half their requests read from a server that gives up on
    // requests that waited over 30 ms (some fail), half enqueue a job that a worker behind a
    // message queue does (the producer's request ends once the job is taken). A job keeps
    // the slot of a request and its (stale) client, yet belongs to no user: were it to make
    // its user think again, the users would multiply. Failed requests must make their users
    // think again, or the users would die out.
    use archsandbox::model::{QueueParams, ServerParams};
    let users = 40u64;
    let think_s = 1.0;
    let mut design = Design::new("closed with jobs");
    let c = design.add(closed_client(
        users,
        think_s,
        TrafficMix {
            read: 0.5,
            write: 0.0,
            static_files: 0.0,
            async_jobs: 0.5,
        },
    ));
    let api = design.add(placed(
        "api",
        1,
        ComponentKind::Server(ServerParams {
            size: "small".into(),
            instances: 1,
            service_time_ms: 20.0,
            service_scv: 1.0,
            contention: 0.0,
            coherency: 0.0,
            timeout_ms: 30.0,
            ..ServerParams::default()
        }),
    ));
    let queue = design.add(placed(
        "queue",
        1,
        ComponentKind::MessageQueue(QueueParams::default()),
    ));
    let worker = design.add(server("worker", 2, "small", 1, 0.010, 1.0));
    let jobs = || Link::new(&[TrafficClass::Async]);
    design.connect(c, api, reads());
    design.connect(c, queue, jobs());
    design.connect(queue, worker, jobs());

    let seconds = 20_000.0;
    let scenario = scenario(seconds, 5);
    let options = archsandbox::sim::RunOptions::default();
    let (summary, events) = archsandbox::sim::events::run_events_summary(
        &design,
        &scenario,
        &PriceTable::builtin(),
        &options,
    )
    .expect("runs");
    // Every request sent has ended or is still in flight: per client, in all, and counted
    // after the warm-up.
    let client = summary
        .components
        .iter()
        .find(|c| c.name == "users")
        .expect("the client");
    let counts = client.requests.expect("a client counts its requests");
    assert_eq!(
        counts.offered,
        counts.succeeded + counts.failed + counts.in_flight_end
    );
    assert_eq!(counts, summary.system.requests);
    assert_eq!(counts.offered, events.requests);
    let s = &events.system;
    assert_eq!(s.offered, s.succeeded + s.failed + s.in_flight_end);
    assert!(counts.failed > 1_000, "{} failed", counts.failed);
    let consumed = events
        .components
        .iter()
        .find(|c| c.name == "worker")
        .expect("worker")
        .served;
    assert!(consumed > 100_000, "the worker did {consumed} jobs");
    // Never more requests in flight than users, and never more sent than the users could
    // (each at most once per think: a Poisson count of mean N·T/Z, five standard errors up).
    let most = events
        .in_flight_per_tick
        .iter()
        .copied()
        .fold(0.0, f64::max);
    assert!(most <= users as f64, "{most} in flight from {users} users");
    let could = users as f64 * seconds / think_s;
    assert!(
        (counts.offered as f64) <= could + 5.0 * could.sqrt(),
        "{} sent, {users} users could send about {could}",
        counts.offered
    );
    // The users not in flight think: by Little's law on the thinking, they send
    // (N − in flight)/Z a second, failures and jobs whatever they do. Over the 18,000 s
    // measured that is about 700,000 sends: a standard error near 0.12 %, against 1 %.
    within(
        "sends a second",
        summary.system.offered_per_s,
        (users as f64 - summary.system.in_flight_mean) / think_s,
        0.01,
    );
    // The same seed, the same run.
    let (_, again) = archsandbox::sim::events::run_events_summary(
        &design,
        &scenario,
        &PriceTable::builtin(),
        &options,
    )
    .expect("runs");
    assert_eq!(events, again);
}

#[test]
fn the_profile_and_the_load_multiplier_scale_the_users() {
    // Ten users, doubled by a step surge from 5,000 s to 10,000 s and back to ten after: at
    // light load each phase's throughput is its population's MVA value, near N/(Z + D). Each
    // phase is measured from 200 s after its change (the new users think at once; the
    // retiring ones leave within a think or two) to its end, 4,800 s: 23,000 requests at ten
    // users (standard error about 0.66 %), 46,000 at twenty (0.47 %), against 3 %.
    use archsandbox::model::TrafficProfile;
    let design = tandem(10);
    let d: f64 = DEMANDS_S.iter().sum();
    let mut scenario = scenario(15_000.0, 3);
    scenario.profile = TrafficProfile::StepSurge {
        at_s: 5_000.0,
        multiplier: 2.0,
        until_s: Some(10_000.0),
    };
    for (from_s, to_s, users) in [
        (0.0, 5_000.0, 10u64),
        (5_000.0, 10_000.0, 20),
        (10_000.0, 15_000.0, 10),
    ] {
        let (x, _) = mva(&DEMANDS_S, THINK_S, users);
        assert!((x / (users as f64 / (THINK_S + d)) - 1.0).abs() < 0.02);
        let mut phase = scenario.clone();
        phase.duration_s = to_s;
        let run = run(&design, &phase, from_s + 200.0);
        within(
            &format!("throughput from {from_s} s ({users} users)"),
            run.system.throughput_per_s,
            x,
            0.03,
        );
    }
    // The load multiplier scales them too: twenty users' throughput all along (20,000 s:
    // 190,000 requests, a standard error of 0.23 %).
    let mut doubled = self::scenario(20_200.0, 4);
    doubled.load_multiplier = 2.0;
    let run = run(&design, &doubled, 200.0);
    within(
        "throughput at load 2",
        run.system.throughput_per_s,
        mva(&DEMANDS_S, THINK_S, 20).0,
        0.03,
    );
}

#[test]
fn a_closed_client_too_large_to_follow_user_by_user_is_refused_with_a_reason() {
    // Ten million users thinking a day each send about 116 requests a second, well within
    // the request budget, but the events engine follows each user: it refuses, and says why.
    let mut design = Design::new("crowd");
    let c = design.add(closed_client(10_000_000, 86_400.0, mix(1.0, 0.0)));
    let s = design.add(server("s1", 1, "small", 1, 0.001, 1.0));
    design.connect(c, s, reads());
    let error = run_events(
        &design,
        &scenario(600.0, 1),
        &PriceTable::builtin(),
        &EventsOptions::default(),
    )
    .expect_err("refused");
    assert!(
        error.to_string().contains("users of closed clients"),
        "{error}"
    );
}

#[test]
fn deadlines_too_many_to_keep_pending_are_refused_with_a_reason() {
    // 500,000 requests a second with a 60 s deadline keep 30 million deadlines waiting at
    // once: 30 million requests in a minute's run is within the request budget, but not the pending
    // deadlines. The events engine refuses and names the deadline, rather than stopping
    // mid-run with a message about calls.
    let mut design = Design::new("patient");
    let mut readers = placed(
        "readers",
        0,
        crate::simulation::clients(
            500_000,
            mix(1.0, 0.0),
            archsandbox::model::ArrivalProcess::Poisson,
        ),
    );
    if let ComponentKind::Client(p) = &mut readers.kind {
        p.deadline_ms = Some(60_000.0);
    }
    let c = design.add(readers);
    let s = design.add(server("s1", 1, "small", 1, 0.001, 1.0));
    design.connect(c, s, reads());
    let error = run_events(
        &design,
        &scenario(60.0, 1),
        &PriceTable::builtin(),
        &EventsOptions::default(),
    )
    .expect_err("refused");
    assert!(error.to_string().contains("deadlines pending"), "{error}");
}
