//! Circuit breakers in the flow engine, against their stated semantics (see
//! `model::CircuitBreaker`): when they open, how long they stay open, what they hold back,
//! and the fallback of a sender that splits.

use archsandbox::model::{
    ArrivalProcess, CircuitBreaker, Design, Link, Scenario, ScheduledFailure, TrafficClass,
};
use archsandbox::sim::{RunOptions, RunSummary};

use crate::simulation::{
    assert_conserved, assert_within, clients, mix, placed, run_scenario, server,
};

const BREAKER: CircuitBreaker = CircuitBreaker {
    failure_ratio: 0.5,
    window_s: 10.0,
    min_calls: 20,
    open_s: 30.0,
    probes: 5,
};

fn reads(breaker: Option<CircuitBreaker>) -> Link {
    Link {
        breaker,
        ..Link::new(&[TrafficClass::Read])
    }
}

/// 80/s of readers into `a` (a breaker on the link), and with `fallback` also into `b` (half
/// each, no breaker); each a one-core server of 100/s. `a` is down from 100 s to 200 s.
fn design(fallback: bool) -> (Design, Scenario) {
    let mut design = Design::new("breaker");
    let readers = design.add(placed(
        "readers",
        0,
        clients(80, mix(1.0, 0.0), ArrivalProcess::Poisson),
    ));
    let a = design.add(server("a", 1, "small", 1, 0.010, 1.0));
    design.connect(readers, a, reads(Some(BREAKER)));
    if fallback {
        let b = design.add(server("b", 1, "small", 1, 0.010, 1.0));
        design.connect(readers, b, reads(None));
    }
    let scenario = Scenario {
        name: "outage".into(),
        tick_s: 1.0,
        duration_s: 300.0,
        warmup_s: Some(10.0),
        seed: 4,
        failures: vec![ScheduledFailure {
            component: "a".into(),
            instances: None,
            at_s: 100.0,
            recover_at_s: Some(200.0),
        }],
        ..Scenario::default()
    };
    (design, scenario)
}

fn component<'a>(summary: &'a RunSummary, name: &str) -> &'a archsandbox::sim::ComponentReport {
    summary
        .components
        .iter()
        .find(|c| c.name == name)
        .expect("component")
}

#[test]
fn a_breaker_opens_at_half_its_window_failing_and_probes_every_open_time_until_the_target_is_back()
{
    // From 100 s every call to `a` fails: the window of 10 s holds half failures 5 s later,
    // so the breaker opens at about 105 s. It stays open 30 s, then its five probes fail at
    // 135, 165 and 195 s (a is down until 200 s) and succeed at 225 s: open for about 120 s,
    // in which the 80/s of calls fail at once without reaching `a` (but for the probes).
    // The window's buckets (a second each) and the ticks make it ± 2 s.
    for tick_s in [1.0, 0.01] {
        let (design, mut scenario) = design(false);
        scenario.tick_s = tick_s;
        let summary = run_scenario(&design, &scenario, RunOptions::default());
        assert_conserved(&summary);
        let at = |what: &str| format!("{what} at {tick_s} s ticks");
        let readers = component(&summary, "readers");
        assert_within(&at("open time"), readers.breaker_open_s, 120.0, 0.02);
        assert_within(
            &at("calls held back"),
            readers.breaker_rejected as f64,
            80.0 * 120.0,
            0.04,
        );
        assert_eq!(summary.system.breaker_rejected, readers.breaker_rejected);
        // What reached `a`: everything but the held-back calls (290 s of 80/s measured).
        let a = component(&summary, "a");
        assert_within(
            &at("calls that reached a"),
            a.offered_per_s * 290.0,
            80.0 * 290.0 - readers.breaker_rejected as f64,
            0.03,
        );
    }
}

#[test]
fn a_sender_that_splits_sends_everything_down_its_other_link_while_the_breaker_is_open() {
    // Half of the 80/s go to `a`: its calls fail from 100 s, the breaker opens about 5 s
    // later (200 calls failed), and while it is open the readers send all 80/s to `b`.
    for tick_s in [1.0, 0.01] {
        let (design, mut scenario) = design(true);
        scenario.tick_s = tick_s;
        let prices = archsandbox::model::PriceTable::builtin();
        let mut sim = archsandbox::sim::Simulation::new(&design, &scenario, &prices).expect("runs");
        let ticks = |s: f64| (s / tick_s).round() as u64;
        sim.run_until(ticks(110.0)).expect("runs");
        let failed_before = sim.requests().failed;
        let open = sim.requests();
        sim.run_until(ticks(130.0)).expect("runs");
        let during = sim.requests().since(&open);
        let at = |what: &str| format!("{what} at {tick_s} s ticks");
        assert_within(
            &at("failed before the breaker opened"),
            failed_before,
            200.0,
            0.25,
        );
        assert!(
            during.failed < 1.0,
            "{}: {}",
            at("nothing fails while the fallback carries it"),
            during.failed
        );
        assert_within(
            &at("all to b while open"),
            during.succeeded + during.in_flight,
            80.0 * 20.0,
            0.05,
        );
    }
}

#[test]
fn the_shipped_breaker_sends_the_dead_kitchens_orders_to_the_truck_within_seconds() {
    // 80/s, 19 in 20 to the kitchen: it is down from 300 s to 600 s. The breaker opens when
    // half its window has failed, about 5 s in (some 380 orders lost), and while it is open
    // the truck takes every order; nine rounds of five probes fail before the kitchen is
    // back. Without the breaker every order to the dead kitchen fails: 76/s × 300 s.
    for tick_s in [1.0, 0.01] {
        let design = crate::simulation::shipped("saved-designs/circuit-breaker.ron");
        let mut scenario = design.default_scenario().expect("a scenario").clone();
        scenario.tick_s = tick_s;
        let at = |what: &str| format!("{what} at {tick_s} s ticks");
        let with = run_scenario(&design, &scenario, RunOptions::default());
        let failed = with.system.requests.failed as f64;
        assert!(
            (300.0..=600.0).contains(&failed),
            "{}: {failed}",
            at("orders lost with the breaker")
        );
        assert_within(&at("breaker open"), with.system.breaker_open_s, 300.0, 0.03);
        let mut without = design.clone();
        for link in without.graph.edge_weights_mut() {
            link.breaker = None;
        }
        let without = run_scenario(&without, &scenario, RunOptions::default());
        assert_within(
            &at("orders lost without it"),
            without.system.requests.failed as f64,
            80.0 * 0.95 * 300.0,
            0.03,
        );
    }
}
