//! The CI gate (issue 18): `simulate --assert` and `check --assert-all`, one test per
//! outcome: all hold (exit 0), one fails (3), an assertion that cannot be read or names
//! nothing (2, with its column), a design that cannot run (1).

use std::path::Path;
use std::process::{Command, Output};

use crate::root;

fn archsandbox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_archsandbox"))
        .args(args)
        .output()
        .expect("runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `saved-designs/scale-out.ron` (four kitchens behind a balancer, well below its knee) as a
/// path the commands take.
fn scale_out() -> String {
    root()
        .join("saved-designs/scale-out.ron")
        .to_string_lossy()
        .into_owned()
}

/// The same design with `assertions` in its default scenario, written to `dir`.
fn with_assertions(dir: &Path, name: &str, assertions: &[&str]) -> String {
    let prices = archsandbox::model::PriceTable::builtin();
    let mut design = archsandbox::model::read_design(Path::new(&scale_out()), &prices)
        .expect("loads")
        .design;
    let default = design.default_scenario.clone();
    for s in &mut design.scenarios {
        if s.name == default {
            s.assertions = assertions.iter().map(|a| a.to_string()).collect();
        }
    }
    let path = dir.join(name);
    archsandbox::model::file::save_design(&path, &design).expect("saves");
    path.to_string_lossy().into_owned()
}

#[test]
fn assertions_that_all_hold_print_pass_with_the_measured_value_and_exit_zero() {
    let file = scale_out();
    let out = archsandbox(&[
        "simulate",
        &file,
        "--assert",
        "p99_ms < 200",
        "--assert",
        "success >= 0.999",
        "--assert",
        "availability >= 0.9995",
        "--assert",
        "cost_per_month <= 8000",
        "--assert",
        "kitchen.utilization < 0.8",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains("PASS")).collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(
        lines[0].starts_with("  PASS p99_ms < 200 (measured "),
        "{}",
        lines[0]
    );
    // The measured values are the report's own figures.
    let mut args = vec!["simulate", file.as_str(), "--format", "json"];
    for a in [
        "p99_ms < 200",
        "success >= 0.999",
        "availability >= 0.9995",
        "cost_per_month <= 8000",
        "kitchen.utilization < 0.8",
    ] {
        args.extend(["--assert", a]);
    }
    let out = archsandbox(&args);
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let system = &report["system"];
    let kitchen = report["components"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == "kitchen"))
        .expect("the kitchen");
    let expected = [
        &system["latency_ms"]["p99"],
        &system["success_ratio"],
        &system["availability"],
        &system["cost_per_month"],
        &kitchen["utilization"],
    ];
    let results = report["assertions"].as_array().expect("assertions");
    for (result, figure) in results.iter().zip(expected) {
        assert_eq!(result["measured"], *figure, "{result}");
        assert_eq!(result["holds"], true);
    }
}

#[test]
fn an_assertion_that_fails_prints_fail_and_exits_three_and_the_json_says_which() {
    let file = scale_out();
    let out = archsandbox(&[
        "simulate",
        &file,
        "--format",
        "json",
        "--assert",
        "success >= 0.999",
        "--assert",
        "kitchen.utilization < 0.01",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let results = report["assertions"].as_array().expect("assertions");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["holds"], true);
    assert_eq!(results[1]["holds"], false);
    assert_eq!(results[1]["bound"], 0.01);
    let utilization = report["components"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == "kitchen"))
        .and_then(|c| c["utilization"].as_f64())
        .expect("the kitchen's utilization");
    assert_eq!(results[1]["measured"].as_f64(), Some(utilization));
}

#[test]
fn an_assertion_that_cannot_be_read_or_names_nothing_exits_two_with_its_column() {
    let file = scale_out();
    let out = archsandbox(&["simulate", &file, "--assert", "p99_ms => 200"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("--assert 'p99_ms => 200': column 8:"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing runs");
    let out = archsandbox(&["simulate", &file, "--assert", "kitchen.utilisation < 0.8"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("column 9: no figure named 'utilisation'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("utilization"),
        "it lists the figures: {stderr}"
    );
    let out = archsandbox(&["simulate", &file, "--assert", "cellar.utilization < 0.8"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no component named 'cellar'"));
}

#[test]
fn a_design_that_cannot_run_exits_one_whatever_its_assertions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("broken.ron");
    std::fs::write(&broken, "(name: \"x\", components: [").expect("writes");
    let out = archsandbox(&[
        "simulate",
        &broken.to_string_lossy(),
        "--assert",
        "success >= 0.999",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_scenarios_own_assertions_gate_a_folder_with_check_assert_all() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = with_assertions(
        dir.path(),
        "good.ron",
        &[
            "p99_ms < 200",
            "success >= 99.9%",
            "kitchen.utilization < 0.8",
        ],
    );
    let failing = with_assertions(dir.path(), "failing.ron", &["cost_per_month < 100"]);
    // The assertions live in the file, round-trip, and `simulate` checks them too.
    let out = archsandbox(&["simulate", &good]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).matches("  PASS ").count(), 3);
    let out = archsandbox(&["check", "--assert-all", &good]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains(&format!("{good}: ok")));
    assert_eq!(stdout.matches(": PASS ").count(), 3, "{stdout}");
    let out = archsandbox(&["check", "--assert-all", &good, &failing]);
    assert_eq!(out.status.code(), Some(3));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "{failing}: scenario 'lunch rush': FAIL cost_per_month < 100 (measured "
        )),
        "{stdout}"
    );
    // Without --assert-all, check only validates.
    let out = archsandbox(&["check", &good, &failing]);
    assert_eq!(out.status.code(), Some(0));
    // An assertion that cannot be read is a problem of the file, at its place.
    let unreadable = with_assertions(dir.path(), "unreadable.ron", &["p99_ms 200"]);
    let out = archsandbox(&["check", &unreadable]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!("{unreadable}:"))
            && stderr.contains("assertion 1 ('p99_ms 200'): column 11: no comparison"),
        "{stderr}"
    );
    let line_col: Vec<&str> = stderr[unreadable.len() + 1..].splitn(3, ':').collect();
    assert!(
        line_col[0].parse::<u32>().is_ok() && line_col[1].parse::<u32>().is_ok(),
        "FILE:LINE:COL: {stderr}"
    );
    // One that names nothing in the run: exit 2 with the file's place.
    let nothing = with_assertions(dir.path(), "nothing.ron", &["kitchen.speed < 3"]);
    let out = archsandbox(&["check", "--assert-all", &nothing]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no figure named 'speed'"));
}

#[test]
fn renaming_a_component_keeps_the_assertions_about_it_and_the_file_valid() {
    let prices = archsandbox::model::PriceTable::builtin();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = with_assertions(
        dir.path(),
        "renamed.ron",
        &["kitchen.utilization < 0.8", "p99_ms < 200"],
    );
    let mut design = archsandbox::model::read_design(Path::new(&file), &prices)
        .expect("loads")
        .design;
    let kitchen = design.find("kitchen").expect("the kitchen");
    design.rename(kitchen, "the grill");
    let scenario = design.default_scenario().expect("its scenario");
    assert_eq!(
        scenario.assertions,
        vec![
            "'the grill'.utilization < 0.8".to_string(),
            "p99_ms < 200".to_string()
        ]
    );
    let errors: Vec<_> = archsandbox::model::validate(&design, &prices)
        .into_iter()
        .filter(|i| i.severity == archsandbox::model::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    archsandbox::model::file::save_design(Path::new(&file), &design).expect("saves");
    let out = archsandbox(&["check", "--assert-all", &file]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("PASS 'the grill'.utilization < 0.8"));
}
