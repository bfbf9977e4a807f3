//! Circuit breakers on links in both engines (the flow engine at 1 s and 10 ms ticks, the
//! events engine request by request): each expectation comes from the breaker's semantics
//! (`model::CircuitBreaker`) worked out in closed form, with a tolerance sized to the run's
//! noise.

use archsandbox::model::{
    ArrivalProcess, CircuitBreaker, Design, Link, Scenario, ScheduledFailure, TrafficClass,
};
use archsandbox::sim::RunSummary;

use crate::simulation::{assert_within, clients, component, engines, mix, placed, server};

/// Seconds measured (after the warm-up).
fn measured_s(summary: &RunSummary) -> f64 {
    summary.ticks as f64 * summary.tick_s - summary.warmup_s
}

/// Calls `component` received after the warm-up.
fn arrivals(summary: &RunSummary, name: &str) -> f64 {
    component(summary, name).offered_per_s * measured_s(summary)
}

/// The default breaker: open at half the calls failing over 10 s (20 calls at least), for
/// 30 s, then five probes.
fn breaker() -> CircuitBreaker {
    CircuitBreaker {
        failure_ratio: 0.5,
        window_s: 10.0,
        min_calls: 20,
        open_s: 30.0,
        probes: 5,
    }
}

fn reads(breaker: Option<CircuitBreaker>) -> Link {
    Link {
        breaker,
        ..Link::new(&[TrafficClass::Read])
    }
}

/// 80/s Poisson readers → `a` (one 100/s exponential server) with a breaker on the link, and
/// with `fallback`, also → `b` (the same), weights 1:1, no breaker.
fn design(fallback: bool, with_breaker: bool, rate_per_s: u64) -> Design {
    let mut design = Design::new("breakers");
    let readers = design.add(placed(
        "readers",
        0,
        clients(rate_per_s, mix(1.0, 0.0), ArrivalProcess::Poisson),
    ));
    let a = design.add(server("a", 1, "small", 1, 0.010, 1.0));
    design.connect(readers, a, reads(with_breaker.then(breaker)));
    if fallback {
        let b = design.add(server("b", 1, "small", 1, 0.010, 1.0));
        design.connect(readers, b, reads(None));
    }
    design
}

/// `a` down from 100 s to 200 s; `duration_s` long, measured after `warmup_s`.
fn outage(duration_s: f64, warmup_s: f64) -> Scenario {
    Scenario {
        name: "a down".into(),
        tick_s: 1.0,
        duration_s,
        warmup_s: Some(warmup_s),
        seed: 7,
        failures: vec![ScheduledFailure {
            component: "a".into(),
            instances: None,
            at_s: 100.0,
            recover_at_s: Some(200.0),
        }],
        ..Scenario::default()
    }
}

#[test]
fn a_breaker_without_fallback_fails_calls_at_once_while_open_and_probes_until_recovery() {
    // A down server fails each call at once. Before 100 s the 10 s window holds ~800
    // successes; at 100 + x it holds 80(10 − x) successes and 80x failures: the share
    // reaches 0.5 at x = 5, so it opens at ≈105 s. Half-open at 135, 165, 195: the first
    // probe fails at once (still down) and it opens again; at 225 the five probes succeed
    // and it closes. Open (or half-open) ≈ 225 − 105 = 120 s (the opening's noise is
    // ~0.2 s). While open every call fails at once: ≈ 80 × 120 rejected (Poisson: σ ≈ 1 %);
    // the requests failed ≈ 80 × 5 before it opened, plus those. The server gets only the
    // probes while open: one per half-open spell, two in [110, 190] s
    // (at 135 and 165).
    // (The flow engine sends a half-open spell's five probes in one tick, and they fail
    // together: five arrivals a spell there.)
    let design = design(false, true, 80);
    let open_runs = engines(&design, &outage(190.0, 110.0));
    for ((engine, summary), (_, open)) in engines(&design, &outage(300.0, 50.0))
        .iter()
        .zip(&open_runs)
    {
        let at = |what: &str| format!("{engine}: {what}");
        let readers = component(summary, "readers");
        assert_within(
            &at("open seconds"),
            readers.breaker_open_s,
            120.0,
            2.0 / 120.0,
        );
        assert_eq!(summary.system.breaker_open_s, readers.breaker_open_s);
        assert_within(
            &at("calls failed at once"),
            readers.breaker_rejected as f64,
            80.0 * 120.0,
            0.04,
        );
        assert_eq!(summary.system.breaker_rejected, readers.breaker_rejected);
        let failed = readers.requests.expect("a client's requests").failed as f64;
        assert_within(&at("requests failed"), failed, 80.0 * 125.0, 0.04);
        assert!(
            failed - readers.breaker_rejected as f64 <= 80.0 * 5.0 * 1.25 + 10.0,
            "{}: {}",
            at("failures beyond the breaker's"),
            failed - readers.breaker_rejected as f64
        );
        let a = component(summary, "a");
        assert_eq!(a.breaker_rejected, 0, "{}", at("a sends nothing"));
        assert_eq!(a.breaker_open_s, 0.0, "{}", at("a has no breaker"));

        let probes = arrivals(open, "a");
        let most = if engine == "events" { 5.0 } else { 10.0 };
        assert!(
            probes <= most,
            "{}: {probes}",
            at("arrivals at a while the breaker is open")
        );
        assert_within(
            &at("open seconds in [110, 190]"),
            component(open, "readers").breaker_open_s,
            80.0,
            1e-6,
        );
    }
}

#[test]
fn a_split_falls_back_to_its_other_links_while_a_breaker_is_open() {
    // Half of 80/s go to a until the breaker opens, ≈5 s into the outage (the window's share
    // is a's calls alone: 40/s): ≈ 40 × 5 = 200 failures, plus a probe each at 135, 165 and
    // 195. While open, b takes all 80/s (ρ 0.8: it keeps up). Nothing is rejected at once:
    // b is always there.
    let design = design(true, true, 80);
    let open_runs = engines(&design, &outage(190.0, 110.0));
    for ((engine, summary), (_, open)) in engines(&design, &outage(300.0, 50.0))
        .iter()
        .zip(&open_runs)
    {
        let at = |what: &str| format!("{engine}: {what}");
        let readers = component(summary, "readers");
        let r = readers.requests.expect("a client's requests");
        assert_within(
            &at("open seconds"),
            readers.breaker_open_s,
            120.0,
            2.0 / 120.0,
        );
        assert_eq!(
            readers.breaker_rejected,
            0,
            "{}",
            at("the fallback takes them")
        );
        let failed = r.failed as f64;
        // σ of ~200 Poisson failures ≈ 14: five σ.
        assert!(
            (failed - 203.0).abs() <= 75.0,
            "{}: {failed}, expected ≈ 203",
            at("requests failed")
        );
        let ratio = summary.system.success_ratio;
        let offered = r.offered as f64;
        assert!(
            ratio >= 1.0 - 280.0 / offered,
            "{}: {ratio} below 1 − 280/{offered}",
            at("success ratio")
        );
        assert_within(
            &at("b's arrivals while open"),
            arrivals(open, "b"),
            80.0 * 80.0,
            0.05,
        );
        let b = component(open, "b");
        assert!(
            b.utilization < 0.9,
            "{}: ρ {}",
            at("b keeps up"),
            b.utilization
        );
        assert!(
            arrivals(open, "a") <= 10.0,
            "{}",
            at("a gets the probes alone")
        );
    }
}

#[test]
fn a_breaker_that_never_opens_changes_nothing() {
    // A steady M/M/1 at ρ 0.5: no call fails, the breaker stays closed, and with the same
    // seed the run is the same request for request.
    let steady = Scenario {
        name: "steady".into(),
        tick_s: 1.0,
        duration_s: 300.0,
        warmup_s: Some(30.0),
        seed: 3,
        ..Scenario::default()
    };
    let without_runs = engines(&design(false, false, 50), &steady);
    for ((engine, with), (_, without)) in engines(&design(false, true, 50), &steady)
        .iter()
        .zip(&without_runs)
    {
        let at = |what: &str| format!("{engine}: {what}");
        assert_eq!(with.system.breaker_open_s, 0.0, "{}", at("never open"));
        assert_eq!(
            with.system.breaker_rejected,
            0,
            "{}",
            at("nothing held back")
        );
        assert_eq!(
            with.system.success_ratio,
            without.system.success_ratio,
            "{}",
            at("success")
        );
        assert_eq!(
            with.system.throughput_per_s,
            without.system.throughput_per_s,
            "{}",
            at("throughput")
        );
        assert_eq!(
            with.system.requests,
            without.system.requests,
            "{}",
            at("requests")
        );
        assert_eq!(
            component(with, "a").offered_per_s,
            component(without, "a").offered_per_s,
            "{}",
            at("arrivals")
        );
    }
}

#[test]
fn the_shipped_breaker_sends_the_dead_kitchens_orders_to_the_truck_within_seconds() {
    // 80/s, 19 in 20 to the kitchen: it is down from 300 s to 600 s. The breaker opens when
    // half its window has failed, about 5 s in (some 380 orders lost), and while it is open
    // the truck takes every order; nine rounds of probes fail before the kitchen is back
    // (open 300 s). Without the breaker every order to the dead kitchen fails: 76/s × 300 s.
    let design = crate::simulation::shipped("saved-designs/circuit-breaker.ron");
    let scenario = design.default_scenario().expect("a scenario").clone();
    let mut without = design.clone();
    for link in without.graph.edge_weights_mut() {
        link.breaker = None;
    }
    let without_runs = engines(&without, &scenario);
    for ((engine, with), (_, without)) in engines(&design, &scenario).iter().zip(&without_runs) {
        let at = |what: &str| format!("{engine}: {what}");
        let failed = with.system.requests.failed as f64;
        assert!(
            (300.0..=600.0).contains(&failed),
            "{}: {failed}",
            at("orders lost with the breaker")
        );
        assert_within(&at("breaker open"), with.system.breaker_open_s, 300.0, 0.03);
        assert_within(
            &at("orders lost without it"),
            without.system.requests.failed as f64,
            80.0 * 0.95 * 300.0,
            0.03,
        );
    }
}

#[test]
fn retries_on_a_link_whose_breaker_is_open_fail_at_once_and_never_reach_the_target() {
    // The first test's outage with three attempts per call (50 ms apart) on the breaker's
    // link. Every attempt at the dead server fails at once, so at 100 + x the window holds
    // 80(10 − x) successes and 3 · 80x failed attempts: the share reaches 0.5 at x = 2.5 s.
    // While it is open the calls fail at once and are not retried; a failed probe's retries
    // find it open again and fail at once too (rejected, not sent and not counted as
    // retries). So in [110, 190] s the server sees only the probes (one or five a spell, as
    // in the first test), no retries reach it, and the retries counted there are none.
    let mut design = Design::new("breaker and retries");
    let readers = design.add(placed(
        "readers",
        0,
        clients(80, mix(1.0, 0.0), ArrivalProcess::Poisson),
    ));
    let a = design.add(server("a", 1, "small", 1, 0.010, 1.0));
    let link = Link {
        retry: Some(archsandbox::model::RetryPolicy {
            attempts: 3,
            timeout_ms: None,
            backoff_base_ms: 50.0,
            backoff_cap_ms: 50.0,
            jitter: false,
            budget_ratio: None,
        }),
        ..reads(Some(breaker()))
    };
    design.connect(readers, a, link);
    for (engine, open) in engines(&design, &outage(190.0, 110.0)) {
        let at = |what: &str| format!("{engine}: {what}");
        let probes = arrivals(&open, "a");
        let most = if engine == "events" { 5.0 } else { 10.0 };
        assert!(
            probes <= most,
            "{}: {probes}",
            at("arrivals at a while open")
        );
        let readers = component(&open, "readers");
        assert_eq!(readers.retries, 0, "{}", at("retries sent while open"));
        // Every call in the window failed at once but the probes (and in the flow engine
        // the carried fractions at the window's edges).
        assert_within(
            &at("calls failed at once"),
            readers.breaker_rejected as f64,
            80.0 * 80.0,
            0.04,
        );
        assert_within(
            &at("open seconds in [110, 190]"),
            readers.breaker_open_s,
            80.0,
            1e-6,
        );
    }
}
