//! Circuit breakers on links in the events engine: each expectation comes from the breaker's
//! semantics (`model::CircuitBreaker`) worked out in closed form, with a tolerance sized to
//! the run's noise.

use archsandbox::model::{
    ArrivalProcess, CircuitBreaker, Design, Link, PriceTable, Scenario, ScheduledFailure,
    TrafficClass,
};
use archsandbox::sim::{ComponentReport, RunOptions, RunSummary};

use crate::simulation::{assert_conserved, assert_within, clients, mix, placed, server};

fn events(design: &Design, scenario: &Scenario) -> RunSummary {
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

fn component<'a>(summary: &'a RunSummary, name: &str) -> &'a ComponentReport {
    summary
        .components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no component {name}"))
}

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
    let design = design(false, true, 80);
    let summary = events(&design, &outage(300.0, 50.0));
    let readers = component(&summary, "readers");
    assert_within("open seconds", readers.breaker_open_s, 120.0, 2.0 / 120.0);
    assert_eq!(summary.system.breaker_open_s, readers.breaker_open_s);
    assert_within(
        "calls failed at once",
        readers.breaker_rejected as f64,
        80.0 * 120.0,
        0.04,
    );
    assert_eq!(summary.system.breaker_rejected, readers.breaker_rejected);
    let failed = readers.requests.expect("a client's requests").failed as f64;
    assert_within("requests failed", failed, 80.0 * 125.0, 0.04);
    assert!(
        failed - readers.breaker_rejected as f64 <= 80.0 * 5.0 * 1.25 + 10.0,
        "failures beyond the breaker's: {}",
        failed - readers.breaker_rejected as f64
    );
    let a = component(&summary, "a");
    assert_eq!(a.breaker_rejected, 0);
    assert_eq!(a.breaker_open_s, 0.0);

    let open = events(&design, &outage(190.0, 110.0));
    let probes = arrivals(&open, "a");
    assert!(
        probes <= 5.0,
        "arrivals at a while the breaker is open: {probes}"
    );
    assert_within(
        "open seconds in [110, 190]",
        component(&open, "readers").breaker_open_s,
        80.0,
        1e-9,
    );
}

#[test]
fn a_split_falls_back_to_its_other_links_while_a_breaker_is_open() {
    // Half of 80/s go to a until the breaker opens, ≈5 s into the outage (the window's share
    // is a's calls alone: 40/s): ≈ 40 × 5 = 200 failures, plus a probe each at 135, 165 and
    // 195. While open, b takes all 80/s (ρ 0.8: it keeps up). Nothing is rejected at once:
    // b is always there.
    let design = design(true, true, 80);
    let summary = events(&design, &outage(300.0, 50.0));
    let readers = component(&summary, "readers");
    let r = readers.requests.expect("a client's requests");
    assert_within("open seconds", readers.breaker_open_s, 120.0, 2.0 / 120.0);
    assert_eq!(readers.breaker_rejected, 0, "the fallback takes them");
    let failed = r.failed as f64;
    // σ of ~200 Poisson failures ≈ 14: five σ.
    assert!(
        (failed - 203.0).abs() <= 75.0,
        "requests failed: {failed}, expected ≈ 203"
    );
    let ratio = summary.system.success_ratio;
    let offered = r.offered as f64;
    assert!(
        ratio >= 1.0 - 280.0 / offered,
        "success ratio {ratio} below 1 − 280/{offered}"
    );

    let open = events(&design, &outage(190.0, 110.0));
    assert_within(
        "b's arrivals while open",
        arrivals(&open, "b"),
        80.0 * 80.0,
        0.05,
    );
    let b = component(&open, "b");
    assert!(b.utilization < 0.9, "b keeps up: ρ {}", b.utilization);
    assert!(arrivals(&open, "a") <= 5.0);
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
    let with = events(&design(false, true, 50), &steady);
    let without = events(&design(false, false, 50), &steady);
    assert_eq!(with.system.breaker_open_s, 0.0);
    assert_eq!(with.system.breaker_rejected, 0);
    assert_eq!(with.system.success_ratio, without.system.success_ratio);
    assert_eq!(
        with.system.throughput_per_s,
        without.system.throughput_per_s
    );
    assert_eq!(with.system.requests, without.system.requests);
    assert_eq!(
        component(&with, "a").offered_per_s,
        component(&without, "a").offered_per_s
    );
}
