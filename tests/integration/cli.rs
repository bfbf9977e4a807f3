//! The command line as a user runs it.

use std::process::Command;

use crate::root;

fn archsandbox() -> Command {
    Command::new(env!("CARGO_BIN_EXE_archsandbox"))
}

#[test]
fn check_prints_ok_for_each_good_file_and_exits_zero() {
    let output = archsandbox()
        .arg("check")
        .arg(root().join("saved-designs/validation/mm1.ron"))
        .arg(root().join("saved-designs/validation/tandem.ron"))
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.lines().filter(|l| l.ends_with(": ok")).count(),
        2,
        "{stdout}"
    );
}

#[test]
fn check_reports_file_line_column_on_stderr_and_exits_one() {
    let bad = root().join("tests/data/invalid/negative-capacity.ron");
    let good = root().join("saved-designs/validation/mm1.ron");
    let output = archsandbox()
        .arg("check")
        .arg(&good)
        .arg(&bad)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!("{}:12:", bad.display());
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with(&expected) && l.contains("'front door'")),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("{}: ok", good.display())),
        "{stdout}"
    );
}

#[test]
fn check_never_panics_on_garbage_or_missing_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let garbage = dir.path().join("garbage.ron");
    std::fs::write(&garbage, [0u8, 159, 146, 150, b'(', b'[']).expect("write");
    let missing = dir.path().join("missing.ron");
    let output = archsandbox()
        .arg("check")
        .arg(&garbage)
        .arg(&missing)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("garbage.ron:1:"), "{stderr}");
    assert!(stderr.contains("missing.ron: cannot read"), "{stderr}");
}

#[test]
fn every_shipped_design_checks_ok() {
    let mut command = archsandbox();
    command.arg("check");
    for file in crate::ron_files("saved-designs") {
        command.arg(file);
    }
    let output = command.output().expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn simulate_json_keeps_the_contract_fields() {
    let output = archsandbox()
        .args(["simulate", "--format", "json", "--ticks", "300"])
        .arg(root().join("saved-designs/viral-restaurant.ron"))
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    for field in [
        "design",
        "scenario",
        "seed",
        "ticks",
        "tick_s",
        "load_multiplier",
        "system",
        "components",
        "bottleneck_ladder",
        "failure_impact",
    ] {
        assert!(
            report.get(field).is_some(),
            "top-level field {field} is missing"
        );
    }
    let system = &report["system"];
    for field in [
        "offered_per_s",
        "throughput_per_s",
        "success_ratio",
        "dropped",
        "cost_per_month",
        "availability",
        "downtime_min_per_year",
        "cost_per_million_requests",
        "max_load_multiplier",
    ] {
        assert!(system.get(field).is_some(), "system.{field} is missing");
    }
    for p in ["mean", "p50", "p95", "p99"] {
        assert!(system["latency_ms"][p].is_number(), "system.latency_ms.{p}");
    }
    let components = report["components"].as_array().expect("array");
    assert_eq!(components.len(), 9);
    for c in components {
        for field in [
            "name",
            "kind",
            "instances",
            "utilization",
            "offered_per_s",
            "served_per_s",
            "dropped",
            "backlog",
            "latency_ms",
            "bottleneck",
            "spof",
            "totals",
        ] {
            assert!(c.get(field).is_some(), "component field {field} is missing");
        }
        for field in ["arrived", "served", "dropped", "backlog_end"] {
            assert!(c["totals"][field].is_u64(), "totals.{field}");
        }
    }
    for step in report["bottleneck_ladder"].as_array().expect("array") {
        assert!(step["name"].is_string() && step["saturates_at_load"].is_number());
    }
    for f in report["failure_impact"].as_array().expect("array") {
        assert!(f["name"].is_string() && f["success_ratio_when_failed"].is_number());
    }
}

#[test]
fn simulate_text_tells_a_newcomer_what_breaks_first_and_what_it_costs() {
    let output = archsandbox()
        .arg("simulate")
        .arg(root().join("saved-designs/viral-restaurant.ron"))
        .output()
        .expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for phrase in [
        "breaks first at ×",
        "then at ×",
        "SINGLE POINTS OF FAILURE",
        "availability",
        "minutes down a year",
        "a month",
        "per million requests",
    ] {
        assert!(
            text.contains(phrase),
            "the text report lacks '{phrase}':\n{text}"
        );
    }
}

#[test]
fn simulate_reports_an_unknown_scenario_by_name() {
    let output = archsandbox()
        .args(["simulate", "--scenario", "brunch"])
        .arg(root().join("saved-designs/one-server.ron"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("brunch") && stderr.contains("lunch rush"),
        "{stderr}"
    );
}
