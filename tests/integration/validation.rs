//! Validation: one bad file per rule; each message names the component and sits on its line.

use archsandbox::model::{PriceTable, Problem, Severity, read_design};

use crate::root;

/// The errors of an invalid test file.
fn errors_of(file: &str) -> Vec<Problem> {
    let prices = PriceTable::builtin();
    let path = root().join("tests/data/invalid").join(file);
    let err = read_design(&path, &prices).expect_err("the file is refused");
    err.problems()
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .collect()
}

/// Assert that some error mentions every one of `words` and sits on `line`.
fn assert_error(file: &str, words: &[&str], line: usize) {
    let errors = errors_of(file);
    let found = errors.iter().find(|p| {
        words
            .iter()
            .all(|w| p.message.contains(w) || p.hint.as_deref().is_some_and(|h| h.contains(w)))
    });
    let Some(problem) = found else {
        panic!("{file}: no error mentions {words:?}; errors: {errors:#?}");
    };
    assert_eq!(
        problem.position.map(|p| p.line),
        Some(line),
        "{file}: {problem}"
    );
}

#[test]
fn a_negative_capacity_is_refused_naming_the_balancer() {
    assert_error(
        "negative-capacity.ron",
        &["'front door'", "capacity_per_s", "-500"],
        12,
    );
}

#[test]
fn a_zero_service_time_is_refused_naming_the_server() {
    assert_error(
        "zero-service-time.ron",
        &["'kitchen'", "service_time_ms"],
        9,
    );
}

#[test]
fn a_nan_is_refused_naming_the_cache() {
    assert_error("nan-number.ron", &["'counter'", "latency_ms", "finite"], 9);
}

#[test]
fn a_hit_ratio_above_one_is_refused_naming_the_cache() {
    assert_error(
        "hit-ratio-out-of-range.ron",
        &["'counter'", "hit_ratio", "between 0 and 1"],
        9,
    );
}

#[test]
fn a_link_to_nowhere_is_refused_naming_both_ends() {
    assert_error(
        "link-to-nowhere.ron",
        &["'kitchen'", "'pantri'", "nowhere"],
        14,
    );
}

#[test]
fn a_link_to_itself_is_refused_naming_the_component() {
    assert_error("link-to-itself.ron", &["'kitchen'", "itself"], 11);
}

#[test]
fn a_duplicate_name_is_refused_on_the_second_component() {
    assert_error("duplicate-names.ron", &["'kitchen'", "used by another"], 8);
}

#[test]
fn a_client_without_outgoing_link_is_refused_naming_it() {
    assert_error(
        "client-without-link.ron",
        &["'walk-ins'", "no outgoing link"],
        7,
    );
}

#[test]
fn a_cycle_of_synchronous_links_is_refused_naming_its_members() {
    assert_error("sync-cycle.ron", &["'orders'", "'billing'", "cycle"], 7);
}

#[test]
fn a_size_beyond_the_price_table_says_scale_out_instead() {
    assert_error(
        "size-beyond-ceiling.ron",
        &["'kitchen'", "64xlarge", "scale out instead"],
        8,
    );
}

#[test]
fn a_failure_of_an_unknown_component_is_refused_naming_it() {
    assert_error(
        "failure-of-unknown-component.ron",
        &["'outage'", "'pantri'"],
        15,
    );
}

#[test]
fn a_count_beyond_its_bound_is_refused_naming_the_server() {
    assert_error(
        "too-many-instances.ron",
        &["'kitchen'", "instances", "at most 10000"],
        10,
    );
}

#[test]
fn a_scenario_whose_peak_offers_too_much_is_refused_with_the_sum() {
    assert_error(
        "too-much-load.ron",
        &["'lunch'", "3e10", "at most 1e10"],
        16,
    );
}

#[test]
fn every_invalid_file_is_refused_and_every_problem_has_a_position() {
    for path in crate::ron_files("tests/data/invalid") {
        let prices = PriceTable::builtin();
        let err = read_design(&path, &prices).expect_err("refused");
        for problem in err.problems() {
            assert!(
                problem.position.is_some(),
                "{}: {problem} has no position",
                path.display()
            );
        }
    }
}

#[test]
fn a_rate_limiter_burst_below_one_request_is_refused_naming_the_server() {
    assert_error("bad-rate-limit.ron", &["'kitchen'", "burst", "0.5"], 11);
}

#[test]
fn a_closed_workload_that_never_thinks_is_refused_naming_the_client() {
    assert_error("zero-think-time.ron", &["'customers'", "think_time_s"], 9);
}

#[test]
fn a_retry_backoff_capped_below_its_base_is_refused_naming_the_link() {
    assert_error(
        "bad-retry.ron",
        &[
            "'customers'",
            "'kitchen'",
            "backoff_cap_ms",
            "backoff_base_ms",
        ],
        14,
    );
}

#[test]
fn a_retry_policy_with_too_many_attempts_is_refused_with_the_limit() {
    assert_error(
        "too-many-attempts.ron",
        &["'kitchen'", "attempts", "at most 10"],
        11,
    );
}

#[test]
fn a_circuit_breaker_opening_past_every_call_failing_is_refused_naming_the_link() {
    assert_error(
        "bad-breaker.ron",
        &["'customers'", "'kitchen'", "failure_ratio", "1.5"],
        12,
    );
}
