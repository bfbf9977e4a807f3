//! The load sweep beside the formulas: the analytic curves agree with the simulated ones below
//! the knee, replications give every point an interval, and the app draws both.

use std::sync::atomic::AtomicUsize;

use archsandbox::analysis::compare::{SweepOptions, SweepPoint, sweep, sweep_with};
use archsandbox::analysis::predict::Predictor;
use archsandbox::model::{Design, PriceTable, read_design};

use crate::{ron_files, root};

fn prices() -> PriceTable {
    PriceTable::builtin()
}

fn validation(name: &str) -> Design {
    let path = root().join("saved-designs/validation").join(name);
    read_design(&path, &prices()).expect("loads").design
}

/// |got − want| within `relative` of `want`.
fn assert_within(what: &str, got: f64, want: f64, relative: f64) {
    assert!(
        (got - want).abs() <= relative * want.abs(),
        "{what}: simulated {got}, the formulas {want} (±{:.0} %)",
        relative * 100.0
    );
}

#[test]
fn the_formulas_and_the_simulation_agree_below_the_knee_on_mm1() {
    // M/M/1 at 100/s, offered 80/s at ×1: ρ from 0.24 to 0.8 (the knee is ×1.25).
    let mm1 = validation("mm1.ron");
    let scenario = mm1.default_scenario().expect("scenario").clone();
    let loads = [0.3, 0.5, 0.7, 0.9, 1.0];
    let points = sweep(
        &mm1,
        &mm1,
        &scenario,
        &prices(),
        &loads,
        None,
        &AtomicUsize::new(0),
    )
    .expect("sweep");
    // The noise of one sweep run: 600 ticks less a 60-tick warm-up, 8 sampled paths a tick,
    // so n ≈ 4,320 independent draws of the M/M/1 response time (exponential, coefficient of
    // variation 1). Their mean's standard error is 1/√n = 1.5 %: allow 4 of them, 6 %. The
    // p99 of n exponential draws has a standard error of √(p(1 − p)/n) / ((1 − p)·ln 100)
    // = 3.3 % (the histogram's bins add 0.5 %): allow 4, 14 %. Throughput counts Poisson
    // arrivals over 540 s, at least 24/s: 1/√(540·24) = 0.9 %: allow 4 %.
    for point in &points {
        let (sim, formulas) = (&point.a, &point.a.predicted);
        let at = format!("×{}", point.load);
        let mean = formulas.latency_ms.mean.expect("below the knee");
        assert_within(&format!("mean at {at}"), sim.latency_ms.mean, mean, 0.06);
        let p99 = formulas.latency_ms.p99.expect("one M/M/1 station");
        assert_within(&format!("p99 at {at}"), sim.latency_ms.p99, p99, 0.14);
        assert_within(
            &format!("throughput at {at}"),
            sim.throughput_per_s,
            formulas.throughput_per_s,
            0.04,
        );
        assert_eq!(sim.success_ratio, 1.0);
        assert_eq!(formulas.success_ratio, 1.0);
        // And the formulas are M/M/1's: R = S/(1 − ρ) with S = 10 ms.
        let rho = 0.8 * point.load;
        assert!((mean - 10.0 / (1.0 - rho)).abs() < 1e-9, "{at}: {mean}");
    }
}

#[test]
fn replications_give_every_sweep_point_an_interval_and_the_formulas_lie_within_them() {
    let (mm1, tandem) = (validation("mm1.ron"), validation("tandem.ron"));
    let scenario = mm1.default_scenario().expect("scenario").clone();
    // Two loads below both knees (×1.25 each) and one past them.
    let loads = [0.4, 0.8, 1.5];
    let options = SweepOptions {
        ticks: None,
        replications: 4,
    };
    let progress = AtomicUsize::new(0);
    let points = sweep_with(
        &mm1,
        &tandem,
        &scenario,
        &prices(),
        &loads,
        &options,
        &progress,
    )
    .expect("sweep");
    assert_eq!(
        progress.into_inner(),
        2 * loads.len() * 4,
        "every run counted"
    );
    assert_eq!(points.len(), loads.len());
    for point in &points {
        for (name, side) in [("A", &point.a), ("B", &point.b)] {
            let at = format!("{name} at ×{}", point.load);
            let intervals = side.intervals.expect("an interval at every point");
            assert_eq!(intervals.runs, 4);
            for (figure, interval) in [
                ("throughput", intervals.throughput_per_s),
                ("mean latency", intervals.latency_mean_ms),
                ("p99 latency", intervals.latency_p99_ms),
            ] {
                assert!(
                    interval.half_width.is_finite() && interval.half_width > 0.0,
                    "{at}: {figure} ± {}",
                    interval.half_width
                );
            }
            assert!(intervals.success_ratio.half_width.is_finite());
            // The point's figure is the runs' mean.
            assert_eq!(side.throughput_per_s, intervals.throughput_per_s.mean);
            assert_eq!(side.latency_ms.mean, intervals.latency_mean_ms.mean);
            // Below the knee, a 95 % interval holds the true mean 19 times in 20; three
            // half-widths (t with 3 degrees of freedom: 99.8 %) leave the formulas no room
            // to be off by more than the runs' noise. (The seeds are fixed: no flakiness.)
            if point.load < 1.0 {
                let formulas = side.predicted.latency_ms.mean.expect("below the knee");
                let interval = intervals.latency_mean_ms;
                assert!(
                    (interval.mean - formulas).abs() <= 3.0 * interval.half_width,
                    "{at}: simulated {} ± {}, formulas {formulas}",
                    interval.mean,
                    interval.half_width
                );
            }
        }
    }
    // The same seeds drive both designs, and the sweep is reproducible.
    let again = sweep_with(
        &mm1,
        &tandem,
        &scenario,
        &prices(),
        &loads,
        &options,
        &AtomicUsize::new(0),
    )
    .expect("sweep");
    assert_eq!(points, again);
}

#[test]
fn on_every_shipped_design_the_formulas_follow_the_simulation_well_below_the_knee() {
    // Half the knee and less: far from saturation the flow engine's waits and the formulas
    // are the same queueing models, so the two part only by the run's noise (about 1.5 % of
    // the mean latency, see above) and by what the formulas leave out at light load (a
    // cache's random hits, caches that start cold): 10 % holds them all. The formulas hold
    // every component up: a scenario's failures (the circuit breaker's outage) are left out
    // of both. An autoscaled tier is in the formulas at the instances its policy settles at
    // (its steady state): the climb to them is left out of the measured run as a warm-up,
    // three steps of a decision and a boot (under a load it saturates, each step multiplies
    // the tier by at least 1/target: at half the knee the example's 5 instances go to 9, 15
    // and 17) and an interval to read the last.
    for path in ron_files("saved-designs") {
        let design = read_design(&path, &prices()).expect("loads").design;
        let mut scenario = design.default_scenario().expect("scenario").clone();
        scenario.failures.clear();
        scenario.random_failures = false;
        let settling_s = design
            .components()
            .filter_map(|(_, c)| match &c.kind {
                archsandbox::model::ComponentKind::Server(p) => p.autoscale,
                _ => None,
            })
            .map(|a| 3.0 * (a.provision_s + a.interval_s) + a.interval_s)
            .fold(0.0, f64::max);
        if settling_s > 0.0 {
            scenario.warmup_s = Some(scenario.warmup_s.unwrap_or(0.0).max(settling_s));
        }
        let predictor = Predictor::new(&design, &scenario, &prices(), Some(600)).expect("predicts");
        let Some(knee) = predictor.knee_load() else {
            continue;
        };
        let loads = [knee * 0.25, knee * 0.5];
        let points: Vec<SweepPoint> = sweep(
            &design,
            &design,
            &scenario,
            &prices(),
            &loads,
            None,
            &AtomicUsize::new(0),
        )
        .expect("sweep");
        let name = path.display();
        for point in &points {
            let (sim, formulas) = (&point.a, &point.a.predicted);
            assert!(formulas.offered_per_s.is_finite() && formulas.offered_per_s > 0.0);
            assert!((0.0..=1.0).contains(&formulas.success_ratio));
            assert!(formulas.utilization < 0.5 + 1e-9, "{name}: {formulas:?}");
            let mean = formulas.latency_ms.mean.expect("below the knee");
            assert_within(
                &format!("{name}: mean at ×{}", point.load),
                sim.latency_ms.mean,
                mean,
                0.10,
            );
            assert_within(
                &format!("{name}: success at ×{}", point.load),
                sim.success_ratio,
                formulas.success_ratio,
                0.02,
            );
        }
    }
}

#[cfg(feature = "gui")]
mod app {
    use archsandbox::app::compare::{SweepFigure, formulas_label, sweep_curves};
    use archsandbox::app::{SandboxApp, StartOptions};
    use egui::Role;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;

    use crate::root;

    #[test]
    fn the_sweep_plots_the_formulas_dashed_beside_each_design_and_shades_the_runs_interval() {
        let start = StartOptions {
            compare: Some((
                root().join("saved-designs/validation/mm1.ron"),
                root().join("saved-designs/validation/tandem.ron"),
            )),
            ..StartOptions::default()
        };
        // The smallest window the app is laid out for.
        let mut harness = Harness::builder()
            .with_size(egui::vec2(800.0, 500.0))
            .with_max_steps(200)
            .build_eframe(move |cc| SandboxApp::for_tests(&cc.egui_ctx, start));
        harness.run_steps(3);
        // Two runs per point, set in the bar beside the button.
        harness
            .get_by_role_and_label(Role::SpinButton, "runs")
            .set_value_accesskit(2.0);
        harness.run_steps(2);
        harness
            .get_by_role_and_label(Role::Button, "Load sweep")
            .click();
        harness.run_steps(4);
        let view = harness.state().compare.as_ref().expect("compare mode");
        assert_eq!(view.sweep_runs, 2);
        let done = match &view.sweep.result {
            Some(Ok(done)) => done,
            other => panic!("no sweep: {:?}", other.as_ref().map(|r| r.as_ref().err())),
        };
        assert_eq!(done.runs, 2);
        // The formulas' mean latency: at every load below A's knee (×1.25), none past it.
        let a = sweep_curves(&done.points, |p| &p.a, SweepFigure::MeanLatency);
        let knee = a.knee.expect("the knee lies within the sweep");
        assert!((knee - 1.25f64.log10()).abs() < 1e-9);
        let below = done.points.iter().filter(|p| p.load < 1.25).count();
        assert_eq!(a.formulas.len(), below);
        assert!(a.formulas.iter().all(|p| p[0] < knee));
        // Its throughput is predicted everywhere, and each simulated point has its band.
        let throughput = sweep_curves(&done.points, |p| &p.a, SweepFigure::Throughput);
        assert_eq!(throughput.formulas.len(), done.points.len());
        let band = throughput.band.expect("a band with two runs");
        assert_eq!(band.x.len(), done.points.len());
        assert!(band.low.iter().zip(&band.high).all(|(l, h)| l < h));
        // A p99 only for M/M/1: the tandem's path has three stations.
        let b_p99 = sweep_curves(&done.points, |p| &p.b, SweepFigure::P99Latency);
        assert!(b_p99.formulas.is_empty());
        // The window's legends name them.
        for side in ["A", "B"] {
            assert!(
                harness
                    .query_all_by_label(&formulas_label(side))
                    .next()
                    .is_some(),
                "no legend entry '{}'",
                formulas_label(side)
            );
        }
    }
}
