//! The command line as a user runs it.

use std::process::Command;

use crate::root;

fn archsandbox() -> Command {
    Command::new(env!("CARGO_BIN_EXE_archsandbox"))
}

/// Run a command that must succeed and print JSON; the parsed JSON.
fn json_of(command: &mut Command) -> serde_json::Value {
    let output = command.output().expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
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
    let report = json_of(
        archsandbox()
            .args(["simulate", "--format", "json", "--ticks", "300"])
            .arg(root().join("saved-designs/viral-restaurant.ron")),
    );
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
        "law_checks",
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
        "failed_per_s",
        "in_flight_end",
        "in_flight_mean",
    ] {
        assert!(system.get(field).is_some(), "system.{field} is missing");
    }
    // The run's requests, conserved: offered = succeeded + failed + in flight at the end.
    let requests = &system["requests"];
    let count = |f: &str| {
        requests[f]
            .as_u64()
            .unwrap_or_else(|| panic!("requests.{f}"))
    };
    assert_eq!(
        count("offered"),
        count("succeeded") + count("failed") + count("in_flight_end")
    );
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
        assert!(c["wait_ms"].is_number(), "wait_ms");
        if c["kind"] == "client" {
            for field in ["throughput_per_s", "success_ratio"] {
                assert!(c[field].is_number(), "a client's {field}");
            }
            assert!(
                c["requests"]["in_flight_end"].is_u64(),
                "a client's requests"
            );
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

#[test]
fn compare_json_holds_both_reports_and_a_sweep_ordered_by_load() {
    let report = json_of(
        archsandbox()
            .args([
                "compare", "--format", "json", "--points", "8", "--seed", "7",
            ])
            .arg(root().join("saved-designs/scale-up.ron"))
            .arg(root().join("saved-designs/scale-out.ron")),
    );
    for side in ["a", "b"] {
        assert_eq!(report[side]["seed"], 7, "both sides run the given seed");
        assert!(report[side]["system"]["success_ratio"].is_number());
        assert!(report[side]["components"].is_array());
    }
    let sweep = report["sweep"].as_array().expect("sweep");
    assert_eq!(sweep.len(), 8);
    let loads: Vec<f64> = sweep
        .iter()
        .map(|p| p["load"].as_f64().expect("load"))
        .collect();
    assert!(loads.windows(2).all(|w| w[0] < w[1]), "{loads:?}");
    for point in sweep {
        for side in ["a", "b"] {
            assert!(point[side]["success_ratio"].is_number());
            assert!(point[side]["latency_ms"]["p99"].is_number());
            assert!(point[side]["cost_per_month"].is_number());
        }
    }
}

#[test]
fn compare_replications_give_every_swept_figure_an_interval_beside_the_formulas() {
    let mm1 = root().join("saved-designs/validation/mm1.ron");
    let tandem = root().join("saved-designs/validation/tandem.ron");
    let report = json_of(
        archsandbox()
            .args([
                "compare",
                "--format",
                "json",
                "--points",
                "3",
                "--replications",
                "3",
            ])
            .arg(&mm1)
            .arg(&tandem),
    );
    let sweep = report["sweep"].as_array().expect("sweep");
    assert_eq!(sweep.len(), 3);
    for point in sweep {
        for side in ["a", "b"] {
            let intervals = &point[side]["intervals"];
            assert_eq!(intervals["runs"], 3, "{point}");
            for figure in ["throughput_per_s", "latency_mean_ms", "latency_p99_ms"] {
                let half_width = intervals[figure]["half_width"].as_f64().expect("finite");
                assert!(half_width > 0.0, "{side} {figure}: {half_width}");
            }
            // The simulated figure is the runs' mean.
            assert_eq!(
                point[side]["throughput_per_s"],
                intervals["throughput_per_s"]["mean"]
            );
            assert!(point[side]["predicted"]["throughput_per_s"].is_number());
        }
    }
    // The first point is below both knees: the formulas give a mean latency; only M/M/1's
    // path is one station, so only it has a p99.
    let first = &sweep[0];
    assert!(first["a"]["predicted"]["latency_ms"]["mean"].is_number());
    assert!(first["a"]["predicted"]["latency_ms"]["p99"].is_number());
    assert!(first["b"]["predicted"]["latency_ms"]["p99"].is_null());
    // Without --replications there are no intervals; one run is no replication.
    let single = json_of(
        archsandbox()
            .args(["compare", "--format", "json", "--points", "2"])
            .arg(&mm1)
            .arg(&tandem),
    );
    assert!(single["sweep"][0]["a"].get("intervals").is_none());
    let output = archsandbox()
        .args(["compare", "--points", "2", "--replications", "1"])
        .arg(&mm1)
        .arg(&tandem)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--replications must be between 2"),
        "{output:?}"
    );
    // The text puts the formulas in brackets beside each simulated figure, with its interval.
    let output = archsandbox()
        .args(["compare", "--points", "2", "--replications", "2"])
        .arg(&mm1)
        .arg(&tandem)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("[formulas]") && text.contains(" ± "),
        "{text}"
    );
}

#[test]
fn compare_text_names_both_designs_and_the_better_side() {
    let output = archsandbox()
        .args(["compare", "--points", "6"])
        .arg(root().join("saved-designs/scale-up.ron"))
        .arg(root().join("saved-designs/scale-out.ron"))
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("A: Scale up"), "{text}");
    assert!(text.contains("B: Scale out"), "{text}");
    // Scale-out has no single point of failure: its column is marked better.
    let spofs = text
        .lines()
        .find(|l| l.starts_with("single points of failure"))
        .expect("SPOF row");
    assert!(spofs.trim_end().ends_with("0 *"), "{spofs}");
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    use std::io::Read as _;
    // A report far larger than a pipe's buffer, so that the writer meets the closed pipe.
    let dir = tempfile::tempdir().expect("temporary folder");
    let big = dir.path().join("big.ron");
    let made = archsandbox()
        .args(["bench", "--components", "1000", "--ticks", "1", "--save"])
        .arg(&big)
        .output()
        .expect("runs");
    assert!(made.status.success(), "{made:?}");
    let mut child = archsandbox()
        .args(["simulate", "--ticks", "20", "--format", "json"])
        .arg(&big)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    // Read one byte, then close the pipe as `| head -c 1` would.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut byte = [0u8; 1];
    stdout.read_exact(&mut byte).expect("some output");
    drop(stdout);
    let output = child.wait_with_output().expect("ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
}

#[test]
fn fmt_leaves_a_file_with_comments_alone_unless_told_to_drop_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("noted.ron");
    let shipped = crate::read(&root().join("saved-designs/validation/mm1.ron"));
    let (first, rest) = shipped.split_once('\n').expect("several lines");
    let noted = format!("{first}\n// why the server is this size: see the ticket\n{rest}");
    std::fs::write(&path, &noted).expect("write");
    let output = archsandbox().arg("fmt").arg(&path).output().expect("runs");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(":2:1: not rewritten") && stderr.contains("comments"),
        "{stderr}"
    );
    assert_eq!(
        crate::read(&path),
        noted,
        "the file and its comment are kept"
    );
    // `check` loads it, and warns that saving would drop the comment.
    let output = archsandbox()
        .arg("check")
        .arg(&path)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains(":2:1: warning:"));
    let output = archsandbox()
        .args(["fmt", "--drop-comments"])
        .arg(&path)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        crate::read(&path),
        shipped,
        "rewritten in the canonical layout"
    );
}

#[test]
fn a_misspelt_command_is_named_with_the_one_meant() {
    let output = archsandbox()
        .arg("simulte")
        .arg(root().join("saved-designs/validation/mm1.ron"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did you mean 'simulate'"), "{stderr}");
}

#[test]
fn the_price_table_option_goes_before_or_after_the_command() {
    let pricing = root().join("assets/pricing.ron");
    let design = root().join("saved-designs/validation/mm1.ron");
    for args in [
        vec![
            "--pricing".as_ref(),
            pricing.as_os_str(),
            "check".as_ref(),
            design.as_os_str(),
        ],
        vec![
            "check".as_ref(),
            design.as_os_str(),
            "--pricing".as_ref(),
            pricing.as_os_str(),
        ],
    ] {
        let output = archsandbox().args(&args).output().expect("runs");
        assert!(output.status.success(), "{args:?}: {output:?}");
    }
}

#[test]
fn run_options_out_of_range_are_refused_with_the_limit() {
    let design = root().join("saved-designs/validation/mm1.ron");
    for (option, value, words) in [
        ("--ticks", "0", "between 1 and"),
        ("--ticks", "99999999999", "between 1 and"),
        ("--samples", "100000000", "at most"),
        ("--load", "1e17", "at most 1e10"),
    ] {
        let output = archsandbox()
            .arg("simulate")
            .arg(&design)
            .args([option, value])
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(1),
            "{option} {value}: {output:?}"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(words), "{option} {value}: {stderr}");
    }
}

#[test]
fn simulate_runs_either_engine_and_says_which() {
    // The same report from the events engine, with the same fields and an `engine` field;
    // on a steady design both engines' throughput agree within the runs' noise (1,800 s at
    // about 420/s: ~0.2 % each; 2 % allowed).
    let design = root().join("saved-designs/scale-out.ron");
    let flow = json_of(
        archsandbox()
            .args(["simulate", "--format", "json", "--failure-analysis", "off"])
            .arg(&design),
    );
    let events = json_of(
        archsandbox()
            .args(["simulate", "--format", "json", "--failure-analysis", "off"])
            .args(["--engine", "events"])
            .arg(&design),
    );
    assert_eq!(flow["engine"], "flow");
    assert_eq!(events["engine"], "events");
    let throughput =
        |r: &serde_json::Value| r["system"]["throughput_per_s"].as_f64().expect("a number");
    let (f, e) = (throughput(&flow), throughput(&events));
    assert!((f - e).abs() < 0.02 * f, "flow {f}, events {e}");
    for field in ["components", "bottleneck_ladder", "law_checks"] {
        assert!(events.get(field).is_some(), "{field} is missing");
    }
    // Servers with sessions in memory run in the events engine too, losing what the flow
    // engine loses (two sessions in three behind round robin).
    let stateful = root().join("saved-designs/stateful-servers.ron");
    let success = |engine: &str| {
        let report = json_of(
            archsandbox()
                .args(["simulate", "--format", "json", "--failure-analysis", "off"])
                .args(["--engine", engine])
                .arg(&stateful),
        );
        report["system"]["success_ratio"]
            .as_f64()
            .expect("a number")
    };
    let (f, e) = (success("flow"), success("events"));
    assert!((f - e).abs() < 0.02, "flow {f}, events {e}");
}

#[test]
fn the_events_engines_reports_break_no_operational_law_on_any_shipped_design() {
    // Little's law per component, utilization within capacity, and the bottleneck bound,
    // as the report checks them for the flow engine; overloaded ones (one-server at its
    // lunch rush times out thousands of requests) included.
    for path in crate::ron_files("saved-designs") {
        let output = archsandbox()
            .args(["simulate", "--format", "json", "--failure-analysis", "off"])
            .args(["--engine", "events"])
            .arg(&path)
            .output()
            .expect("runs");
        assert!(
            output.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(
            report["law_checks"].as_array().map(Vec::len),
            Some(0),
            "{}: {}",
            path.display(),
            report["law_checks"]
        );
        let requests = &report["system"]["requests"];
        let n = |f: &str| requests[f].as_u64().expect("a count");
        assert_eq!(
            n("offered"),
            n("succeeded") + n("failed") + n("in_flight_end"),
            "{}",
            path.display()
        );
    }
}

#[test]
fn simulate_with_replications_gives_every_figure_an_interval() {
    let design = root().join("saved-designs/one-server.ron");
    let report = json_of(
        archsandbox()
            .args(["simulate", "--format", "json", "--failure-analysis", "off"])
            .args(["--ticks", "300", "--replications", "4"])
            .arg(&design),
    );
    let r = &report["replications"];
    assert_eq!(r["count"], 4);
    let seeds: std::collections::BTreeSet<u64> = r["seeds"]
        .as_array()
        .expect("seeds")
        .iter()
        .filter_map(serde_json::Value::as_u64)
        .collect();
    assert_eq!(seeds.len(), 4, "four different seeds");
    let throughput = &r["system"]["throughput_per_s"];
    assert!(throughput["mean"].as_f64().is_some_and(|m| m > 0.0));
    assert!(throughput["half_width"].as_f64().is_some_and(|h| h >= 0.0));
    assert_eq!(r["components"][0]["name"], report["components"][0]["name"]);
    // Without it the field is absent; with fewer than two it is refused.
    let plain = json_of(
        archsandbox()
            .args([
                "simulate",
                "--format",
                "json",
                "--failure-analysis",
                "off",
                "--ticks",
                "60",
            ])
            .arg(&design),
    );
    assert!(plain.get("replications").is_none());
    let output = archsandbox()
        .args(["simulate", "--replications", "1"])
        .arg(&design)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("replications must be between 2"));
    let text = archsandbox()
        .args([
            "simulate",
            "--ticks",
            "120",
            "--replications",
            "3",
            "--failure-analysis",
            "off",
        ])
        .arg(&design)
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&text.stdout).contains("REPLICATIONS (3 runs"));
}

#[test]
fn cross_check_text_tables_both_engines_figures_and_exits_zero() {
    let design = root().join("saved-designs/validation/mm1.ron");
    let output = archsandbox()
        .args(["cross-check", "--ticks", "300", "--replications", "3"])
        .arg(&design)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("Cross-check of \"M/M/1\""), "{text}");
    assert!(text.contains("3 runs each"), "{text}");
    let header = text
        .lines()
        .find(|l| l.trim_start().starts_with("flow"))
        .expect("a header");
    assert!(
        header.contains("events") && header.contains('Δ'),
        "{header}"
    );
    // One line a figure: the system's four, then the server's four, each with both values
    // ± their half-widths.
    for figure in ["throughput", "success ratio", "utilization", "p99 latency"] {
        let line = text
            .lines()
            .find(|l| l.contains(figure))
            .unwrap_or_else(|| panic!("no {figure} line in\n{text}"));
        assert_eq!(line.matches('±').count(), 2, "{line}");
    }
    assert!(text.lines().any(|l| l.starts_with("server ")), "{text}");
    assert!(text.contains("figures agree"), "{text}");
    // Past the knee the latencies differ by design, marked ~ with the reason in words, and
    // the command still exits 0: a report, not a gate.
    let output = archsandbox()
        .args([
            "cross-check",
            "--ticks",
            "300",
            "--replications",
            "3",
            "--load",
            "1.5",
        ])
        .arg(&design)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.lines()
            .any(|l| l.contains("mean latency") && l.ends_with('~')),
        "{text}"
    );
    assert!(text.contains("'server' is past its knee"), "{text}");
}

#[test]
fn cross_check_json_gives_each_figure_both_intervals_and_a_verdict() {
    let report = json_of(
        archsandbox()
            .args(["cross-check", "--format", "json", "--ticks", "300"])
            .args(["--replications", "3", "--seed", "9"])
            .arg(root().join("saved-designs/validation/mm1.ron")),
    );
    assert_eq!(report["design"], "M/M/1");
    assert_eq!(report["replications"], 3);
    assert_eq!(report["seeds"].as_array().map(Vec::len), Some(3));
    let rows = report["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 8, "four for the system, four for the server");
    for row in rows {
        for engine in ["flow", "events"] {
            assert!(row[engine]["mean"].is_f64(), "{row}");
            assert!(row[engine]["half_width"].is_f64(), "{row}");
        }
        assert!(row["difference"].is_f64() && row["noise"].is_f64(), "{row}");
        assert!(
            ["agree", "differs", "differs_by_design"]
                .contains(&row["verdict"].as_str().unwrap_or("")),
            "{row}"
        );
    }
    let system = &rows[0];
    assert!(system["component"].is_null());
    assert_eq!(system["figure"], "throughput_per_s");
    assert_eq!(system["unit"], "/s");
    let latency = rows
        .iter()
        .find(|r| r["component"] == "server" && r["figure"] == "p99_latency_ms")
        .expect("the server's p99");
    assert_eq!(latency["unit"], "ms");
    // A run beyond the events engine's budget: refused in words, with a failing exit.
    let output = archsandbox()
        .args(["cross-check", "--format", "json", "--load", "1000"])
        .arg(root().join("saved-designs/viral-restaurant.ron"))
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("more than its limit"), "{stderr}");
}

#[test]
fn bench_with_the_events_engine_runs_on_its_own_defaults() {
    // The flow engine's default design (10,000 components for 2,000 s) is far past the
    // events engine's budget: `bench --engine events` picks its own (1,000 for 100 s).
    let output = archsandbox()
        .args(["bench", "--engine", "events"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("design: 1000 components"), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[lines.len() - 2].starts_with("events/s: "), "{stdout}");
    assert!(
        lines[lines.len() - 1].starts_with("requests/s: "),
        "{stdout}"
    );
}
