//! Fix the next bottleneck (issue 19): for small designs built for each rule, the move the
//! advice proposes and that making it lifts the design's sustainable load (or removes the
//! single point of failure); and the journey from one server to ten million users.

use archsandbox::analysis::advise::{Move, PLANNED_UTILIZATION, Problem, advise, load_for_users};
use archsandbox::analysis::ladder::bottleneck_ladder;
use archsandbox::model::{
    CacheParams, ClientParams, ComponentKind, DatabaseParams, Design, KindName, Link, PriceTable,
    Scenario, ServerParams, SessionState, TrafficClass, TrafficMix,
};
use archsandbox::sim::laws::operational_laws;

use crate::simulation::placed;

fn prices() -> PriceTable {
    PriceTable::builtin()
}

/// Clients sending `rate_per_s` requests a second in this mix.
fn users(rate_per_s: u64, read: f64, write: f64, static_share: f64) -> ComponentKind {
    ComponentKind::Client(ClientParams {
        users: rate_per_s,
        rate_per_user_per_s: 1.0,
        mix: TrafficMix {
            read,
            write,
            static_files: static_share,
            async_jobs: 0.0,
        },
        arrivals: Default::default(),
        workload: Default::default(),
        deadline_ms: None,
    })
}

fn server(sessions: SessionState) -> ComponentKind {
    ComponentKind::Server(ServerParams {
        size: "medium".into(),
        sessions,
        ..ServerParams::default()
    })
}

fn database(key_skew: f64, instances: u32) -> ComponentKind {
    ComponentKind::Database(DatabaseParams {
        key_skew,
        instances,
        ..DatabaseParams::default()
    })
}

/// Clients → server → database, each class on every link.
fn three_tier(client: ComponentKind, server: ComponentKind, db: ComponentKind) -> Design {
    let mut d = Design::new("three tiers");
    let c = d.add(placed("users", 0, client));
    let s = d.add(placed("app", 1, server));
    let db = d.add(placed("db", 2, db));
    let all = [
        TrafficClass::Read,
        TrafficClass::Write,
        TrafficClass::Static,
    ];
    d.connect(c, s, Link::new(&all));
    d.connect(s, db, Link::new(&[TrafficClass::Read, TrafficClass::Write]));
    d
}

/// The ladder's first step: the design's sustainable load (a multiple of its base load).
fn sustainable(design: &Design, scenario: &Scenario) -> f64 {
    let laws = operational_laws(design, scenario, &prices()).expect("laws");
    bottleneck_ladder(&laws)
        .first()
        .map_or(f64::INFINITY, |s| s.saturates_at_load)
}

/// The load at which the component `name` saturates (a multiple of the base load).
fn saturates(design: &Design, scenario: &Scenario, name: &str) -> f64 {
    let laws = operational_laws(design, scenario, &prices()).expect("laws");
    bottleneck_ladder(&laws)
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.saturates_at_load)
        .expect("on the ladder")
}

/// A stateless tier of `instances` medium servers.
fn servers(instances: u32) -> ComponentKind {
    ComponentKind::Server(ServerParams {
        size: "medium".into(),
        instances,
        ..ServerParams::default()
    })
}

/// The advice at `load`, checked: the move lifts the saturating component to the planned
/// utilization at the peak (or gives the single point of failure a spare), and the design
/// it makes is valid.
fn advised(design: &Design, load: f64) -> archsandbox::analysis::advise::Advice {
    let scenario = Scenario::default();
    let advice = advise(design, &scenario, &prices(), load)
        .expect("advises")
        .expect("something to fix");
    let issues = archsandbox::model::validate::validate(&advice.design, &prices());
    assert!(issues.is_empty(), "the variant is valid: {issues:?}");
    if advice.problem == Problem::Saturates {
        let before = sustainable(design, &scenario);
        let after = sustainable(&advice.design, &scenario);
        assert!(after > before, "{:?}: ×{before} → ×{after}", advice.action);
    }
    advice
}

#[test]
fn a_saturated_stateless_tier_scales_out_behind_a_balancer_to_the_planned_utilization() {
    let design = three_tier(
        users(2_000, 0.9, 0.1, 0.0),
        server(SessionState::Stateless),
        database(0.0, 1),
    );
    let advice = advised(&design, 1.0);
    assert_eq!(advice.action, Move::ScaleOut, "{}", advice.change);
    assert_eq!(advice.component, "app");
    let scenario = Scenario::default();
    let laws = operational_laws(&advice.design, &scenario, &prices()).expect("laws");
    let app = laws.nodes.iter().find(|n| n.name == "app").expect("app");
    // Sized for the planned utilization, and not much more: one instance fewer would not do.
    assert!(
        app.utilization <= PLANNED_UTILIZATION + 1e-9,
        "{}",
        app.utilization
    );
    let per_instance = app.utilization * f64::from(app.instances);
    assert!(per_instance / f64::from(app.instances - 1) > PLANNED_UTILIZATION);
    assert_eq!(advice.design.of_kind(KindName::LoadBalancer).count(), 1);
}

#[test]
fn a_tier_with_sessions_in_memory_moves_them_to_a_shared_store_first() {
    let design = three_tier(
        users(2_000, 0.9, 0.1, 0.0),
        server(SessionState::InMemory),
        database(0.0, 1),
    );
    let advice = advised(&design, 1.0);
    assert_eq!(advice.action, Move::SharedSessionsThenScaleOut);
    let app = advice.design.find("app").expect("app");
    match advice.design.component(app).map(|c| &c.kind) {
        Some(ComponentKind::Server(p)) => assert_eq!(p.sessions, SessionState::Stateless),
        _ => panic!("app is a server"),
    }
    assert!(
        advice
            .design
            .outgoing(app)
            .any(|(_, _, l)| l.carries.contains(&TrafficClass::Session)),
        "the tier looks its sessions up in a shared store"
    );
}

#[test]
fn a_tier_that_logs_users_out_gets_a_shared_session_store_whatever_the_load() {
    // Three instances with sessions in memory behind round robin, far from saturation: two
    // requests in three land where the session is not.
    let mut design = three_tier(
        users(200, 0.9, 0.1, 0.0),
        server(SessionState::InMemory),
        database(0.0, 2),
    );
    let app = design.find("app").expect("app");
    if let Some(ComponentKind::Server(p)) = design.component_mut(app).map(|c| &mut c.kind) {
        p.instances = 3;
    }
    let scenario = Scenario::default();
    let advice = advise(&design, &scenario, &prices(), 1.0)
        .expect("advises")
        .expect("something to fix");
    assert_eq!(advice.problem, Problem::LosesSessions);
    assert_eq!(
        (advice.component.as_str(), advice.action),
        ("app", Move::SharedSessions)
    );
    // The run shows it: from about a third of the requests succeeding to all of them.
    let run = |d: &Design| {
        archsandbox::analysis::analyze(
            d,
            &scenario,
            &prices(),
            &archsandbox::analysis::AnalysisOptions::default(),
        )
        .expect("runs")
        .system
        .run
        .success_ratio
    };
    let (before, after) = (run(&design), run(&advice.design));
    assert!((before - 1.0 / 3.0).abs() < 0.02, "{before}");
    assert!(after > 0.999, "{after}");
}

#[test]
fn static_files_on_the_servers_go_to_a_cdn() {
    let design = three_tier(
        users(2_000, 0.3, 0.1, 0.6),
        server(SessionState::Stateless),
        database(0.0, 1),
    );
    let advice = advised(&design, 1.0);
    assert_eq!(advice.action, Move::Cdn, "{}", advice.change);
    assert_eq!(advice.design.of_kind(KindName::Cdn).count(), 1);
}

#[test]
fn slow_background_work_on_the_request_path_goes_on_a_queue() {
    // Half the requests are background work (loyalty points) the app hands a slow worker
    // directly: the users wait for it.
    let mut design = Design::new("slow work");
    let c = design.add(placed(
        "users",
        0,
        ComponentKind::Client(ClientParams {
            users: 200,
            rate_per_user_per_s: 1.0,
            mix: TrafficMix {
                read: 0.5,
                write: 0.0,
                static_files: 0.0,
                async_jobs: 0.5,
            },
            arrivals: Default::default(),
            workload: Default::default(),
            deadline_ms: None,
        }),
    ));
    let app = design.add(placed(
        "app",
        1,
        ComponentKind::Server(ServerParams {
            instances: 20,
            ..ServerParams::default()
        }),
    ));
    let worker = design.add(placed(
        "worker",
        2,
        ComponentKind::Server(ServerParams {
            service_time_ms: 400.0,
            ..ServerParams::default()
        }),
    ));
    design.connect(
        c,
        app,
        Link::new(&[TrafficClass::Read, TrafficClass::Async]),
    );
    design.connect(app, worker, Link::new(&[TrafficClass::Async]));
    let scenario = Scenario::default();
    let knee = |d: &Design| {
        archsandbox::analysis::predict::Predictor::new(d, &scenario, &prices(), None)
            .expect("predicts")
            .knee_load()
            .unwrap_or(f64::INFINITY)
    };
    let advice = advise(&design, &scenario, &prices(), 1.0)
        .expect("advises")
        .expect("something to fix");
    assert_eq!(advice.component, "worker");
    assert_eq!(advice.action, Move::Queue, "{}", advice.change);
    let after = &advice.design;
    assert!(archsandbox::model::validate::validate(after, &prices()).is_empty());
    let queue = after.find("worker queue").expect("the queue");
    let app = after.find("app").expect("app");
    let worker = after.find("worker").expect("worker");
    assert!(after.outgoing(app).any(|(_, to, _)| to == queue));
    assert!(
        !after.outgoing(app).any(|(_, to, _)| to == worker),
        "no direct call left"
    );
    assert!(after.outgoing(queue).any(|(_, to, _)| to == worker));
    // The users no longer wait for the worker: what they wait for saturates later.
    assert!(
        knee(after) > knee(&design),
        "{} → {}",
        knee(&design),
        knee(after)
    );
    // Next, the worker itself is scaled out behind its queue.
    let next = advise(after, &scenario, &prices(), 1.0)
        .expect("advises")
        .expect("something to fix");
    assert_eq!(
        (next.component.as_str(), next.action),
        ("worker", Move::ScaleOut)
    );
}

/// A database behind a server tier big enough to leave it the bottleneck.
fn database_first(read: f64, write: f64, db: ComponentKind) -> Design {
    let mut design = three_tier(
        users(3_000, read, write, 0.0),
        server(SessionState::Stateless),
        db,
    );
    let app = design.find("app").expect("app");
    if let Some(ComponentKind::Server(p)) = design.component_mut(app).map(|c| &mut c.kind) {
        p.instances = 200;
    }
    design
}

#[test]
fn a_database_busy_with_writes_is_sharded_by_hash() {
    let design = database_first(0.2, 0.8, database(0.0, 1));
    let advice = advised(&design, 1.0);
    assert_eq!(advice.component, "db");
    assert_eq!(advice.action, Move::Shards, "{}", advice.reason);
    let db = advice.design.find("db").expect("db");
    match advice.design.component(db).map(|c| &c.kind) {
        Some(ComponentKind::Database(p)) => {
            assert!(p.shards > 1);
            assert_eq!(p.partitioning, archsandbox::model::Partitioning::Hash);
        }
        _ => panic!("db is a database"),
    }
}

#[test]
fn a_database_busy_with_reads_gets_replicas_or_a_cache_when_reads_repeat() {
    // Reads alike over the keys: replicas.
    let design = database_first(0.98, 0.02, database(0.0, 1));
    let advice = advised(&design, 1.0);
    assert_eq!(advice.action, Move::ReadReplicas, "{}", advice.reason);
    // Popular keys read again and again: a cache in front.
    let design = database_first(0.98, 0.02, database(1.0, 1));
    let advice = advised(&design, 1.0);
    assert_eq!(advice.action, Move::CacheInFront, "{}", advice.reason);
    let cache = advice.design.find("db cache").expect("the cache");
    let db = advice.design.find("db").expect("db");
    assert!(advice.design.outgoing(cache).any(|(_, to, _)| to == db));
}

#[test]
fn a_saturated_balancer_or_cache_gets_more_instances() {
    let mut design = database_first(0.98, 0.02, database(0.0, 4));
    let db = design.find("db").expect("db");
    let app = design.find("app").expect("app");
    let cache = design.add(placed(
        "hot cache",
        2,
        ComponentKind::Cache(CacheParams {
            capacity_per_s: 1_000.0,
            ..CacheParams::default()
        }),
    ));
    let link = design
        .outgoing(app)
        .find(|(_, to, _)| *to == db)
        .map(|(l, _, _)| l)
        .expect("app → db");
    design.graph.remove_edge(link);
    design.connect(
        app,
        cache,
        Link::new(&[TrafficClass::Read, TrafficClass::Write]),
    );
    design.connect(
        cache,
        db,
        Link::new(&[TrafficClass::Read, TrafficClass::Write]),
    );
    let advice = advised(&design, 1.0);
    assert_eq!(advice.component, "hot cache");
    assert_eq!(advice.action, Move::ScaleOut);
}

#[test]
fn a_design_that_carries_the_load_gets_a_spare_for_its_single_point_of_failure_then_nothing() {
    // Load so light that everything carries it: the single points of failure come next.
    let mut design = three_tier(
        users(100, 0.9, 0.1, 0.0),
        server(SessionState::Stateless),
        database(0.0, 1),
    );
    let mut fixed = Vec::new();
    for _ in 0..6 {
        match advise(&design, &Scenario::default(), &prices(), 0.01).expect("advises") {
            Some(advice) => {
                assert_eq!(
                    advice.problem,
                    Problem::SinglePointOfFailure,
                    "{}",
                    advice.change
                );
                fixed.push((advice.component.clone(), advice.action));
                design = advice.design;
            }
            None => break,
        }
    }
    assert!(
        fixed.contains(&("db".to_string(), Move::Standby)),
        "{fixed:?}"
    );
    assert!(
        fixed.contains(&("app".to_string(), Move::SecondInstance)),
        "{fixed:?}"
    );
    assert!(
        archsandbox::analysis::spof::structural_spofs(&design).is_empty(),
        "no single point of failure is left: {fixed:?}"
    );
}

#[test]
fn from_one_server_to_ten_million_users_each_fix_reveals_the_next_bottleneck() {
    use archsandbox::analysis::report::{count, number};
    use archsandbox::analysis::{AnalysisOptions, analyze};
    let prices = prices();
    let mut design = archsandbox::model::read_design(
        &crate::root().join("saved-designs/one-server.ron"),
        &prices,
    )
    .expect("loads")
    .design;
    let scenario = design.default_scenario().cloned().expect("a scenario");
    let load = load_for_users(&design, &scenario, 10_000_000.0).expect("users");
    let options = AnalysisOptions {
        run: archsandbox::sim::RunOptions {
            load_multiplier: Some(load),
            ..Default::default()
        },
        failure_analysis: archsandbox::analysis::report::FailureAnalysis::Off,
        ..AnalysisOptions::default()
    };
    let users_per_load =
        archsandbox::analysis::advise::base_users(&design) / scenario.profile.peak_multiplier();
    let mut journey = vec![format!(
        "{:>4}  {:<44} {:>14} {:>10} {:>11} {:>12} {:>12}",
        "step", "move", "carries users", "success", "p99 ms", "availability", "USD a month"
    )];
    let row = |journey: &mut Vec<String>, step: usize, what: &str, design: &Design| {
        let report = analyze(design, &scenario, &prices, &options).expect("runs");
        let s = &report.system;
        journey.push(format!(
            "{step:>4}  {what:<44} {:>14} {:>9.3}% {:>11} {:>11.4}% {:>12}",
            count((users_per_load * s.max_load_multiplier.unwrap_or(0.0)) as u64),
            s.run.success_ratio * 100.0,
            number(s.run.latency_ms.p99),
            s.availability * 100.0,
            number(s.cost_per_month),
        ));
        s.run.success_ratio
    };
    let mut success = row(&mut journey, 0, "one server", &design);
    let mut step = 0;
    while success < 0.999 {
        step += 1;
        assert!(
            step <= 15,
            "still failing after 15 fixes:\n{}",
            journey.join("\n")
        );
        let advice = advise(&design, &scenario, &prices, load)
            .expect("advises")
            .unwrap_or_else(|| panic!("no advice, at {success}:\n{}", journey.join("\n")));
        let what = format!("{}: {}", advice.component, advice.action.label());
        design = archsandbox::analysis::advise::with_journey(&design, &advice, &scenario, &prices)
            .expect("measured");
        success = row(&mut journey, step, &what, &design);
    }
    assert!(success >= 0.999);
    // Then on, until nothing is left to fix: the spares that bring the design up to its
    // target of the time at the peak, without losing the load it carries.
    while let Some(advice) = advise(&design, &scenario, &prices, load).expect("advises") {
        step += 1;
        assert!(
            step <= 15,
            "still advising after 15 fixes:\n{}",
            journey.join("\n")
        );
        let what = format!("{}: {}", advice.component, advice.action.label());
        design = archsandbox::analysis::advise::with_journey(&design, &advice, &scenario, &prices)
            .expect("measured");
        success = row(&mut journey, step, &what, &design);
        assert!(
            success >= 0.999,
            "{what} lost the load:\n{}",
            journey.join("\n")
        );
    }
    let up = available_at_peak(&design, &scenario, load);
    assert!(
        up >= scenario.target_success_ratio,
        "up {up} of the time at the peak:\n{}",
        journey.join("\n")
    );
    println!(
        "The journey to 10,000,000 users (one-server.ron, its default scenario):\n{}",
        journey.join("\n")
    );
    // The design keeps its journey: the start and every fix, with the figures of the runs
    // above, and it saves and reads back with the design.
    let kept = design.journey.clone().expect("a journey");
    assert_eq!(kept.steps.len(), step + 1);
    assert_eq!(kept.steps[0].title, "start");
    let last = kept.steps.last().expect("a last step");
    assert!((last.success_ratio - success).abs() < 1e-12);
    assert!(last.users_carried.is_some_and(|u| u >= 10_000_000.0));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("journey.ron");
    archsandbox::model::save_design(&path, &design).expect("saves");
    let again = archsandbox::model::read_design(&path, &prices)
        .expect("reads")
        .design;
    assert_eq!(again.journey, Some(kept));
}

#[test]
fn advise_on_the_command_line_prints_the_move_writes_the_variant_and_says_when_nothing_is_left() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_archsandbox"))
            .args(args)
            .output()
            .expect("runs")
    };
    let file = crate::root().join("saved-designs/one-server.ron");
    let file = file.to_string_lossy();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("next.ron");
    let out_text = out.to_string_lossy();
    let done = run(&[
        "advise", &file, "--users", "10000", "--apply", "-o", &out_text,
    ]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let text = String::from_utf8_lossy(&done.stdout);
    for part in [
        "breaks first  kitchen (server)",
        "move          scale out",
        "why ",
        "then          breaks first at",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }
    // The variant is a valid design that carries more.
    let check = run(&["check", &out_text]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // JSON for scripts, the same advice on the variant.
    let json = run(&["advise", &out_text, "--users", "10000", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let advice = &value["advice"];
    assert_eq!(advice["problem"], "saturates");
    assert!(
        advice["breaks_first_after"]["saturates_at_load"].as_f64()
            > advice["breaks_first"]["saturates_at_load"].as_f64()
    );
    // At a load it carries, with spares everywhere: nothing to fix.
    let scale_out = crate::root().join("saved-designs/scale-out.ron");
    let mut current = scale_out.to_string_lossy().into_owned();
    let mut said = String::new();
    for step in 0..8 {
        let next = dir.path().join(format!("spare-{step}.ron"));
        let next_text = next.to_string_lossy().into_owned();
        let done = run(&[
            "advise", &current, "--load", "0.1", "--apply", "-o", &next_text,
        ]);
        assert!(done.status.success());
        said = String::from_utf8_lossy(&done.stdout).into_owned();
        if said.contains("nothing to fix") {
            break;
        }
        assert!(said.contains("a single point of failure"), "{said}");
        current = next_text;
    }
    assert!(said.contains("nothing to fix"), "{said}");
    // Options that make no sense are refused.
    for (args, says) in [
        (vec!["--users", "5", "--load", "2"], "cannot be used with"),
        (vec!["--apply"], "--output"),
        (vec!["--load=-1"], "--load must be a positive number"),
    ] {
        let mut all = vec!["advise", file.as_ref()];
        all.extend(args.iter().copied());
        let done = run(&all);
        assert!(!done.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&done.stderr).contains(says),
            "{args:?}"
        );
    }
}

/// The design's availability at the advice's planning load (the scenario's peak at `load`).
fn available_at_peak(design: &Design, scenario: &Scenario, load: f64) -> f64 {
    let laws = operational_laws(design, scenario, &prices()).expect("laws");
    let peak = load * scenario.load_multiplier * scenario.profile.peak_multiplier();
    archsandbox::analysis::availability::availability(design, &laws, peak).system
}

#[test]
fn many_shards_that_each_need_every_copy_get_one_spare_more_until_the_target_is_met() {
    // Two hundred shards of a primary and a replica, each shard busy enough at the peak to
    // need both copies: no single point of failure, nothing short, but a^400 of the time up
    // (the database's copies are each up 99.8 % of the time: 0.998^400 is under a half).
    let mut design = three_tier(
        users(100, 0.9, 0.1, 0.0),
        servers(400),
        ComponentKind::Database(DatabaseParams {
            instances: 2,
            shards: 200,
            partitioning: archsandbox::model::Partitioning::Hash,
            read_service_time_ms: 2_000.0,
            write_service_time_ms: 2_000.0,
            ..DatabaseParams::default()
        }),
    );
    let scenario = Scenario::default();
    let peak_per_load = scenario.load_multiplier * scenario.profile.peak_multiplier();
    // The database 60 % busy at the peak (both copies needed), the servers far below.
    let db = saturates(&design, &scenario, "db");
    let load = 0.6 * db / peak_per_load;
    assert!(saturates(&design, &scenario, "app") > 0.6 * db / PLANNED_UTILIZATION);
    let target = scenario.target_success_ratio;
    let mut up = available_at_peak(&design, &scenario, load);
    assert!(up < 0.5, "the start is down most of the time: {up}");
    let mut moves = Vec::new();
    for _ in 0..10 {
        let Some(advice) = advise(&design, &scenario, &prices(), load).expect("advises") else {
            break;
        };
        // Never a spare more than the target asks for.
        assert!(
            up < target,
            "{up} already meets {target}: {}",
            advice.change
        );
        assert_eq!(advice.problem, Problem::TooFewSpares, "{}", advice.change);
        assert_eq!(advice.component, "db");
        let issues = archsandbox::model::validate::validate(&advice.design, &prices());
        assert!(issues.is_empty(), "the variant is valid: {issues:?}");
        let now = available_at_peak(&advice.design, &scenario, load);
        assert!(
            now > up,
            "{:?} lifts availability: {up} → {now}",
            advice.action
        );
        moves.push(advice.action);
        design = advice.design;
        up = now;
    }
    // A copy more for each shard first: a standby would stand in only for a lost primary,
    // and each shard needs both its copies (with a standby: a·(1 − q²), about a).
    assert_eq!(moves.first(), Some(&Move::OneMoreSpare), "{moves:?}");
    assert!(up >= target, "{up} after {moves:?}");
}

#[test]
fn a_tier_that_needs_both_its_instances_gets_a_third() {
    // Two app instances, each 60 % busy at the peak: losing either overloads the other, so
    // the tier is up a² of the time (0.990099² ≈ 98.03 %) and the design misses 99.9 %.
    let design = three_tier(
        users(100, 0.9, 0.1, 0.0),
        servers(2),
        ComponentKind::Database(DatabaseParams {
            instances: 2,
            standby: true,
            ..DatabaseParams::default()
        }),
    );
    let scenario = Scenario::default();
    let app = saturates(&design, &scenario, "app");
    let load = 0.6 * app / (scenario.load_multiplier * scenario.profile.peak_multiplier());
    let before = available_at_peak(&design, &scenario, load);
    assert!(before < scenario.target_success_ratio, "{before}");
    let advice = advise(&design, &scenario, &prices(), load)
        .expect("advises")
        .expect("a move");
    assert_eq!(advice.problem, Problem::TooFewSpares, "{}", advice.change);
    assert_eq!(advice.component, "app");
    assert_eq!(advice.action, Move::OneMoreSpare);
    let app = advice.design.find("app").expect("app");
    assert_eq!(
        advice.design.component(app).map(|c| c.kind.instances()),
        Some(3)
    );
    let after = available_at_peak(&advice.design, &scenario, load);
    // Two of three: 1 − 3q² + 2q³ with q = 10/1010 for the tier.
    let q = 10.0 / 1010.0;
    let tier = 1.0 - 3.0 * q * q + 2.0 * q * q * q;
    assert!(
        after > before && after <= tier + 1e-12,
        "{before} → {after} (tier {tier})"
    );
}
