//! Autoscaling of a server tier (`model::Autoscaling`): the policy's decisions follow its
//! rule (the HPA's ⌈busy instances / target⌉ with a 10 % tolerance, boots after the
//! provisioning time, scale-in after the cooldown), what the tier loses while it is short of
//! instances is the fluid excess of the offered load over the instances in service, and the
//! instance-hours are the integral of the instances it ran.

use archsandbox::model::{
    ArrivalProcess, Autoscaling, BalancingAlgorithm, ComponentKind, Design, Link,
    LoadBalancerParams, Scenario, TrafficClass, TrafficProfile,
};
use archsandbox::sim::autoscale::InstancesAt;
use archsandbox::sim::{RunOptions, RunSummary};

use crate::simulation::{assert_conserved, assert_within, clients, component, mix, placed, server};

/// One instance serves 1,000 requests a second (1 ms on one core).
const MU_PER_S: f64 = 1_000.0;
const BASE_PER_S: f64 = 850.0;
const SURGE: f64 = 4.0;
const SURGE_UNTIL_S: f64 = 600.0;

fn policy() -> Autoscaling {
    Autoscaling {
        target_utilization: 0.6,
        min_instances: 1,
        max_instances: 12,
        provision_s: 30.0,
        cooldown_s: 300.0,
        interval_s: 60.0,
    }
}

/// 850/s Poisson readers, ×4 for the first 600 s, → `api` (autoscaled from one 1,000/s
/// instance; requests that would wait over a second are dropped).
fn design() -> Design {
    design_behind(None)
}

/// The same behind a least-loaded balancer: one queue for the instances in service (a
/// pooled group, whose servers come and go with them).
fn balanced_design() -> Design {
    design_behind(Some(BalancingAlgorithm::LeastLoaded))
}

fn design_behind(balancer: Option<BalancingAlgorithm>) -> Design {
    let mut design = Design::new("autoscaling");
    let readers = design.add(placed(
        "readers",
        0,
        clients(BASE_PER_S as u64, mix(1.0, 0.0), ArrivalProcess::Poisson),
    ));
    let mut api = server("api", 2, "small", 1, 1.0 / MU_PER_S, 1.0);
    if let ComponentKind::Server(p) = &mut api.kind {
        p.autoscale = Some(policy());
        p.timeout_ms = 1_000.0;
    }
    let api = design.add(api);
    let front = match balancer {
        Some(algorithm) => {
            let lb = design.add(placed(
                "lb",
                1,
                ComponentKind::LoadBalancer(LoadBalancerParams {
                    algorithm,
                    ..LoadBalancerParams::default()
                }),
            ));
            design.connect(readers, lb, Link::new(&[TrafficClass::Read]));
            lb
        }
        None => readers,
    };
    design.connect(front, api, Link::new(&[TrafficClass::Read]));
    design
}

fn scenario(tick_s: f64) -> Scenario {
    Scenario {
        name: "surge".into(),
        tick_s,
        duration_s: 900.0,
        warmup_s: Some(0.0),
        seed: 5,
        profile: TrafficProfile::StepSurge {
            at_s: 0.0,
            multiplier: SURGE,
            until_s: Some(SURGE_UNTIL_S),
        },
        ..Scenario::default()
    }
}

/// ∫ f(in service, booting, load per second) dt over [0, `end_s`] along the timeline.
fn integral(timeline: &[InstancesAt], end_s: f64, f: impl Fn(u32, u32, f64) -> f64) -> f64 {
    let mut sum = 0.0;
    for (j, c) in timeline.iter().enumerate() {
        let to = timeline.get(j + 1).map_or(end_s, |n| n.at_s).min(end_s);
        // The load steps at the surge's end: split there.
        let mut from = c.at_s;
        for cut in [SURGE_UNTIL_S, to] {
            if cut > from && cut <= to {
                let load = if from < SURGE_UNTIL_S {
                    BASE_PER_S * SURGE
                } else {
                    BASE_PER_S
                };
                sum += f(c.in_service, c.booting, load) * (cut - from);
                from = cut;
            }
        }
    }
    sum
}

/// The flow engine's run and the events engine's, named.
fn both_engines(design: &Design, scenario: &Scenario) -> [(&'static str, RunSummary); 2] {
    [
        (
            "flow",
            crate::simulation::run_scenario(design, scenario, RunOptions::default()),
        ),
        (
            "events",
            crate::simulation::events_summary(design, scenario),
        ),
    ]
}

/// The flow engine at 1 s, 0.1 s and 10 ms ticks, and the events engine (request by
/// request, its autoscaler acting at the exact times).
fn runs() -> Vec<(String, RunSummary)> {
    let mut out = Vec::new();
    for tick_s in [1.0, 0.1, 0.01] {
        let summary =
            crate::simulation::run_scenario(&design(), &scenario(tick_s), RunOptions::default());
        out.push((format!("flow at {tick_s} s ticks"), summary));
    }
    let events = |design: &Design| crate::simulation::events_summary(design, &scenario(1.0));
    out.push(("events".into(), events(&design())));
    let balanced = balanced_design();
    out.push((
        "flow behind a least-loaded balancer".into(),
        crate::simulation::run_scenario(&balanced, &scenario(1.0), RunOptions::default()),
    ));
    out.push((
        "events behind a least-loaded balancer".into(),
        events(&balanced),
    ));
    out
}

#[test]
fn a_surge_grows_the_tier_by_the_rule_loses_what_booting_instances_cannot_serve_and_bills_what_ran()
{
    for (engine, summary) in runs() {
        assert_conserved(&summary);
        let at = |what: &str| format!("{engine}: {what}");
        let api = component(&summary, "api");
        let scaling = api
            .autoscaling
            .as_ref()
            .expect("an autoscaled tier's report");
        let timeline = &scaling.timeline;
        let p = policy();
        // First decision at 60 s: one saturated instance is one busy instance, which wants
        // ⌈1 / 0.6⌉ = 2: one launched, serving 30 s later.
        assert_eq!(
            timeline[0],
            InstancesAt {
                at_s: 0.0,
                in_service: 1,
                booting: 0
            }
        );
        assert_eq!(
            timeline[1],
            InstancesAt {
                at_s: 60.0,
                in_service: 1,
                booting: 1
            },
            "{}",
            at("the first decision")
        );
        // Every launch serves `provision_s` later; decisions fall on the interval's multiples.
        for pair in timeline.windows(2) {
            let (before, now) = (pair[0], pair[1]);
            if now.booting > before.booting {
                assert!(
                    (now.at_s / p.interval_s).fract() == 0.0,
                    "{}: {now:?}",
                    at("a launch at a decision")
                );
                let ready = timeline
                    .iter()
                    .find(|c| c.at_s == now.at_s + p.provision_s)
                    .unwrap_or_else(|| panic!("{}: {now:?}", at("no boot after a launch")));
                assert!(ready.in_service > now.in_service, "{}", at("boots serve"));
            }
        }
        // Under the surge it settles where the rule stops: 3.4 busy instances are within
        // 10 % of the target only at 6 (3.4 / 6 = 0.567, 0.94 of 0.6).
        let before_end = timeline
            .iter()
            .rfind(|c| c.at_s < SURGE_UNTIL_S)
            .expect("changes in the surge");
        let r = BASE_PER_S * SURGE / MU_PER_S;
        let settled = (1..=p.max_instances)
            .find(|&n| (r / (f64::from(n) * p.target_utilization) - 1.0).abs() <= 0.1)
            .expect("an instance count within the tolerance");
        assert_eq!(
            (before_end.in_service, before_end.booting),
            (settled, 0),
            "{}",
            at("settled in the surge")
        );
        // After the surge: the decision at 660 s (its interval all after it) wants
        // ⌈0.85 / 0.6⌉ = 2, and the last launch was more than the cooldown before.
        let after = timeline
            .iter()
            .find(|c| c.at_s > SURGE_UNTIL_S)
            .expect("a change after the surge");
        assert_eq!(
            *after,
            InstancesAt {
                at_s: 660.0,
                in_service: 2,
                booting: 0
            },
            "{}",
            at("scaled in after the surge")
        );
        assert!(
            before_end.at_s <= 660.0 - p.cooldown_s,
            "{}",
            at("the cooldown")
        );
        assert_eq!(scaling.peak_in_service, settled);
        // Lost while short of instances: the fluid excess ∫ (λ − n·μ)⁺ dt, less the second's
        // backlog the timeout lets wait (at most 3,400 served later): ±2 %.
        let excess = integral(timeline, 900.0, |n, _, load| {
            (load - f64::from(n) * MU_PER_S).max(0.0)
        });
        assert_within(&at("requests lost"), api.dropped as f64, excess, 0.02);
        assert_eq!(api.dropped, api.overflow_dropped);
        // Instance-hours: the instances it ran (in service and booting) over the run.
        let ran = integral(timeline, 900.0, |n, b, _| f64::from(n + b)) / 3600.0;
        assert_within(&at("instance-hours"), api.instance_hours, ran, 1e-9);
        let every: f64 = summary.components.iter().map(|c| c.instance_hours).sum();
        assert_within(
            &at("the system's hours"),
            summary.system.instance_hours,
            every,
            1e-12,
        );
        let mean = integral(timeline, 900.0, |n, _, _| f64::from(n)) / 900.0;
        assert_within(&at("mean in service"), scaling.mean_in_service, mean, 1e-9);
        assert_eq!(scaling.launched, u64::from(settled - 1));
        assert_eq!(scaling.stopped, u64::from(settled - 2));
    }
}

#[test]
fn a_tier_without_autoscaling_bills_its_instances_for_the_measured_hours() {
    let mut design = design();
    let ids: Vec<_> = design.components().map(|(id, _)| id).collect();
    for id in ids {
        if let Some(c) = design.component_mut(id)
            && let ComponentKind::Server(p) = &mut c.kind
        {
            p.autoscale = None;
            p.instances = 6;
        }
    }
    let summary = crate::simulation::run_scenario(&design, &scenario(1.0), RunOptions::default());
    let api = component(&summary, "api");
    assert!(api.autoscaling.is_none());
    assert_within(
        "instance-hours",
        api.instance_hours,
        6.0 * 900.0 / 3600.0,
        1e-12,
    );
    assert_eq!(component(&summary, "readers").instance_hours, 0.0);
}

#[test]
fn nonsense_autoscaling_is_refused_with_the_field_and_the_reason() {
    use archsandbox::model::PriceTable;
    use archsandbox::model::validate::{Severity, validate};
    let refused = |change: &dyn Fn(&mut Autoscaling, &mut u32)| -> Vec<String> {
        let mut design = design();
        let ids: Vec<_> = design.components().map(|(id, _)| id).collect();
        for id in ids {
            if let Some(c) = design.component_mut(id)
                && let ComponentKind::Server(p) = &mut c.kind
                && let Some(a) = p.autoscale.as_mut()
            {
                change(a, &mut p.instances);
            }
        }
        validate(&design, &PriceTable::builtin())
            .into_iter()
            .filter(|i| i.severity == Severity::Error)
            .map(|i| i.message)
            .collect()
    };
    assert!(refused(&|_, _| {}).is_empty(), "the test's policy is valid");
    type Change<'a> = &'a dyn Fn(&mut Autoscaling, &mut u32);
    let cases: [(Change, &str); 5] = [
        (&|a, _| a.target_utilization = 1.5, "target_utilization"),
        (
            &|a, _| a.target_utilization = f64::NAN,
            "target_utilization",
        ),
        (
            &|a, _| a.min_instances = 20,
            "min_instances (20) must be at most max_instances (12)",
        ),
        (
            &|_, n| *n = 13,
            "instances (13) is where autoscaling starts",
        ),
        (&|a, _| a.interval_s = 0.0, "interval_s"),
    ];
    for (change, expected) in cases {
        let errors = refused(change);
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{expected}: {errors:?}"
        );
    }
}

#[test]
fn scaling_out_an_autoscaled_tier_raises_its_most_instances_and_stays_valid() {
    use archsandbox::analysis::compare::{Variant, scale_variant};
    use archsandbox::model::PriceTable;
    use archsandbox::model::validate::{Severity, validate};
    let design = design();
    let prices = PriceTable::builtin();
    // The api is the only component with a capacity: the first step of the ladder.
    let (out, note) =
        scale_variant(&design, &scenario(1.0), &prices, Variant::Out).expect("scales out");
    let policy_of = |d: &Design| {
        d.components()
            .find_map(|(_, c)| match &c.kind {
                ComponentKind::Server(p) => Some((p.instances, p.autoscale.expect("autoscaled"))),
                _ => None,
            })
            .expect("the api")
    };
    let (instances, after) = policy_of(&out);
    assert!(after.max_instances > policy().max_instances, "{note}");
    assert_eq!(instances, 1, "it starts where it did");
    let errors: Vec<_> = validate(&out, &prices)
        .into_iter()
        .filter(|i| i.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

/// The shipped example (`saved-designs/autoscaling.ron`): 600 orders a second on a kitchen of
/// five 200/s instances that keeps them 60 % busy, when a viral spike takes the orders to 3.5
/// times within two minutes. In both engines: the tier climbs to carry the peak, and what it
/// loses is the fluid excess of the orders over the instances in service, ∫ (λ − n·μ)⁺ dt,
/// less at most the backlog its 2 s timeout lets wait when the overload ends (served late,
/// not lost); it stops instances only a cooldown after its last change, and bills the
/// integral of what it ran.
#[test]
fn the_shipped_autoscaling_kitchen_climbs_with_the_spike_and_loses_what_its_cooks_in_service_cannot_serve()
 {
    let design = crate::simulation::shipped("saved-designs/autoscaling.ron");
    let scenario = design.default_scenario().expect("a scenario").clone();
    let (Some(ComponentKind::Client(diners)), Some(ComponentKind::Server(kitchen))) = (
        design
            .find("diners")
            .and_then(|id| design.component(id))
            .map(|c| &c.kind),
        design
            .find("kitchen")
            .and_then(|id| design.component(id))
            .map(|c| &c.kind),
    ) else {
        panic!("the example's diners and kitchen");
    };
    let base_per_s = diners.users as f64 * diners.rate_per_user_per_s;
    let policy = kitchen.autoscale.expect("an autoscaled kitchen");
    let vcpu = f64::from(
        archsandbox::model::PriceTable::builtin()
            .size(&kitchen.size)
            .expect("a size")
            .vcpu,
    );
    let mu_per_s = vcpu / (kitchen.service_time_ms / 1000.0);
    let timeout_s = kitchen.timeout_ms / 1000.0;
    let end_s = scenario.duration_s;
    for (engine, summary) in both_engines(&design, &scenario) {
        assert_conserved(&summary);
        let kitchen = component(&summary, "kitchen");
        let scaling = kitchen.autoscaling.as_ref().expect("its autoscaling");
        let timeline = &scaling.timeline;
        let in_service_at = |t: f64| {
            timeline
                .iter()
                .rfind(|c| c.at_s <= t)
                .map_or(0, |c| c.in_service)
        };
        // The peak needs 3.5 × 600 / 200 = 10.5 instances' work.
        let peak_need = (base_per_s * scenario.profile.peak_multiplier() / mu_per_s).ceil();
        assert!(
            f64::from(scaling.peak_in_service) >= peak_need
                && scaling.peak_in_service <= policy.max_instances,
            "{engine}: peak {} in service, the spike needs {peak_need}",
            scaling.peak_in_service
        );
        // The fluid excess, in steps of 10 ms; the backlog served late is at most the
        // timeout's worth of the capacity in service when the overload ends.
        let (mut excess, mut arrivals_in_overload, mut last_overload_capacity) = (0.0, 0.0, 0.0);
        let step_s = 0.01;
        for k in 0..(end_s / step_s) as usize {
            let t = (k as f64 + 0.5) * step_s;
            let lambda = base_per_s * scenario.profile.multiplier_at(t);
            let capacity = f64::from(in_service_at(t)) * mu_per_s;
            if lambda > capacity {
                excess += (lambda - capacity) * step_s;
                arrivals_in_overload += lambda * step_s;
                last_overload_capacity = capacity;
            }
        }
        // Poisson noise of the arrivals while overloaded: four standard deviations.
        let noise = 4.0 * arrivals_in_overload.sqrt();
        let lost = kitchen.dropped as f64;
        let served_late = timeout_s * last_overload_capacity;
        assert!(
            lost <= excess + noise && lost >= excess - served_late - noise,
            "{engine}: lost {lost}, the fluid excess {excess:.0} (less up to {served_late:.0} \
             served late, ± {noise:.0})"
        );
        assert!(excess > 10_000.0, "the spike overloads the kitchen a while");
        // Stops only a cooldown after its last launch or stop (a boot's end is no action).
        let mut last_action_s = f64::NEG_INFINITY;
        for pair in timeline.windows(2) {
            let (before, now) = (pair[0], pair[1]);
            let (ran_before, runs) = (
                before.in_service + before.booting,
                now.in_service + now.booting,
            );
            if runs < ran_before {
                assert!(
                    now.at_s - last_action_s >= policy.cooldown_s,
                    "{engine}: stopped at {} s, {} s after its last action",
                    now.at_s,
                    now.at_s - last_action_s
                );
            }
            if runs != ran_before {
                last_action_s = now.at_s;
            }
        }
        let ran = integral(timeline, end_s, |n, b, _| f64::from(n + b)) / 3600.0;
        assert_within(
            &format!("{engine}: instance-hours"),
            kitchen.instance_hours,
            ran,
            1e-9,
        );
    }
}

/// A queue's consumers scaled by the same policy: 300 jobs a second on five consumers of
/// 100/s each (60 % busy, on target), then three times as many for ten minutes. The consumers
/// follow the rule; nothing is lost in a deep queue, the jobs wait instead: the backlog is
/// the fluid one, B' = λ − n(t)·μ while positive, with n(t) the consumers in service (its
/// time-mean within 3 %; the run's noise, a few hundred jobs, is far smaller); the
/// consumer-hours are the integral of the consumers run, and the brokers' instance-hours stay
/// their count times the run. In both engines.
#[test]
fn a_queues_consumers_scale_with_a_surge_and_the_backlog_is_the_fluid_one() {
    use archsandbox::model::QueueParams;
    const JOBS_PER_S: f64 = 300.0;
    const CONSUMER_PER_S: f64 = 100.0;
    const END_S: f64 = 1_200.0;
    let policy = Autoscaling {
        target_utilization: 0.6,
        min_instances: 2,
        max_instances: 30,
        provision_s: 60.0,
        cooldown_s: 300.0,
        interval_s: 30.0,
    };
    let mut design = Design::new("consumers");
    let producers = design.add(placed(
        "producers",
        0,
        clients(
            JOBS_PER_S as u64,
            archsandbox::model::TrafficMix {
                read: 0.0,
                write: 0.0,
                static_files: 0.0,
                async_jobs: 1.0,
            },
            ArrivalProcess::Poisson,
        ),
    ));
    let queue = design.add(placed(
        "queue",
        1,
        ComponentKind::MessageQueue(QueueParams {
            instances: 2,
            capacity_per_s: 100_000.0,
            max_depth: 10_000_000,
            consumers: 5,
            consumer_rate_per_s: CONSUMER_PER_S,
            autoscale: Some(policy),
            ..QueueParams::default()
        }),
    ));
    design.connect(producers, queue, Link::new(&[TrafficClass::Async]));
    let scenario = Scenario {
        name: "surge".into(),
        tick_s: 1.0,
        duration_s: END_S,
        warmup_s: Some(0.0),
        seed: 9,
        profile: TrafficProfile::StepSurge {
            at_s: 0.0,
            multiplier: 3.0,
            until_s: Some(600.0),
        },
        ..Scenario::default()
    };
    for (engine, summary) in both_engines(&design, &scenario) {
        assert_conserved(&summary);
        let queue = component(&summary, "queue");
        let scaling = queue.autoscaling.as_ref().expect("its autoscaling");
        assert_eq!(scaling.group, "consumers");
        let timeline = &scaling.timeline;
        // At 30 s the five are saturated (900 a second for 500): busy 5 wants ⌈5 / 0.6⌉ = 9,
        // serving from 90 s.
        assert_eq!(
            (
                timeline[1].at_s,
                timeline[1].in_service,
                timeline[1].booting
            ),
            (30.0, 5, 4),
            "{engine}: {timeline:?}"
        );
        assert_eq!(queue.dropped, 0, "{engine}: a deep queue loses nothing");
        // The fluid backlog along the run's own consumers, in steps of 10 ms.
        let in_service_at = |t: f64| {
            timeline
                .iter()
                .rfind(|c| c.at_s <= t)
                .map_or(0, |c| c.in_service)
        };
        let (mut backlog, mut area) = (0.0f64, 0.0);
        let step_s = 0.01;
        for k in 0..(END_S / step_s) as usize {
            let t = (k as f64 + 0.5) * step_s;
            let lambda = JOBS_PER_S * scenario.profile.multiplier_at(t);
            let mu = f64::from(in_service_at(t)) * CONSUMER_PER_S;
            backlog = (backlog + (lambda - mu) * step_s).max(0.0);
            area += backlog * step_s;
        }
        let fluid_mean = area / END_S;
        assert!(fluid_mean > 1_000.0, "the surge builds a backlog");
        assert_within(
            &format!("{engine}: the mean backlog"),
            queue.backlog,
            fluid_mean,
            0.03,
        );
        let ran = integral(timeline, END_S, |n, b, _| f64::from(n + b)) / 3600.0;
        assert_within(
            &format!("{engine}: consumer-hours"),
            scaling.hours,
            ran,
            1e-9,
        );
        assert_within(
            &format!("{engine}: the brokers' instance-hours"),
            queue.instance_hours,
            2.0 * END_S / 3600.0,
            1e-9,
        );
    }
}

/// Failures of an autoscaled tier, scheduled and random, in both engines and both ways of
/// queueing (an instance a queue, or one queue for all behind a least-loaded balancer): every
/// request is accounted for, no server is counted twice (the utilization stays within 1)
/// and the autoscaler keeps deciding (it launches in the surge).
#[test]
fn an_autoscaled_tier_that_fails_keeps_every_request_accounted_for_in_both_engines() {
    use archsandbox::model::{Reliability, ScheduledFailure};
    for design in [design(), balanced_design()] {
        let mut design = design;
        let ids: Vec<_> = design.components().map(|(id, _)| id).collect();
        for id in ids {
            if let Some(c) = design.component_mut(id)
                && let ComponentKind::Server(p) = &mut c.kind
            {
                // A failure every 3 minutes an instance, repaired in a minute.
                p.reliability = Reliability {
                    mtbf_hours: 0.05,
                    mttr_hours: 1.0 / 60.0,
                };
            }
        }
        let scenario = Scenario {
            random_failures: true,
            failures: vec![ScheduledFailure {
                component: "api".into(),
                instances: Some(2),
                at_s: 200.0,
                recover_at_s: Some(500.0),
            }],
            ..scenario(1.0)
        };
        for (engine, summary) in both_engines(&design, &scenario) {
            assert_conserved(&summary);
            let api = component(&summary, "api");
            assert!(
                api.utilization <= 1.0 + 1e-9,
                "{engine}: utilization {}",
                api.utilization
            );
            let scaling = api.autoscaling.as_ref().expect("its autoscaling");
            assert!(scaling.launched > 0, "{engine}: it launches in the surge");
            assert!(scaling.peak_in_service <= policy().max_instances);
        }
    }
}
