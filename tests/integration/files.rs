//! Design files: round trips, migration, atomic saves, and clear errors.

use archsandbox::model::file::CURRENT_VERSION;
use archsandbox::model::{PriceTable, Severity, parse_design, read_design, save_design, to_ron};

use crate::{read, ron_files, root};

#[test]
fn every_shipped_design_round_trips_to_identical_bytes() {
    let prices = PriceTable::builtin();
    let files = ron_files("saved-designs");
    assert!(
        files.len() >= 10,
        "expected the shipped designs, found {}",
        files.len()
    );
    for path in files {
        let text = read(&path);
        let loaded =
            parse_design(&text, &prices).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let saved = to_ron(&loaded.design);
        assert_eq!(
            saved,
            text,
            "{} is not in canonical form (run `archsandbox fmt`)",
            path.display()
        );
        let again = parse_design(&saved, &prices)
            .expect("a saved design loads")
            .design;
        assert_eq!(
            again,
            loaded.design,
            "{}: load → save → load changed the document",
            path.display()
        );
        assert_eq!(
            to_ron(&again),
            saved,
            "{}: the second save differs",
            path.display()
        );
    }
}

#[test]
fn every_shipped_design_has_a_one_line_description() {
    let prices = PriceTable::builtin();
    for path in ron_files("saved-designs") {
        let design = read_design(&path, &prices).expect("loads").design;
        assert!(
            !design.description.trim().is_empty(),
            "{} has no description",
            path.display()
        );
        assert!(
            !design.description.contains('\n'),
            "{}: description is more than one line",
            path.display()
        );
    }
}

#[test]
fn a_version_0_file_is_migrated_on_load() {
    let prices = PriceTable::builtin();
    let path = root().join("tests/data/valid/version-0.ron");
    let design = read_design(&path, &prices)
        .expect("the old file opens")
        .design;
    assert_eq!(design.component_count(), 2);
    let kitchen = design.find("kitchen").expect("kitchen survives");
    let customers = design.find("customers").expect("customers survive");
    let (_, target, link) = design
        .outgoing(customers)
        .next()
        .expect("the edge became a link");
    assert_eq!(target, kitchen);
    assert_eq!(link.weight, 1.0);
    assert_eq!(link.carries.len(), 2);
    assert_eq!(design.scenarios.len(), 1);
    assert_eq!(design.default_scenario, "lunch");
    // Saved again, it is a current-version file.
    let text = to_ron(&design);
    assert!(text.contains(&format!("version: {CURRENT_VERSION},")));
    assert!(text.contains("links: ["));
}

#[test]
fn a_file_from_a_newer_version_is_refused_with_a_clear_message() {
    let prices = PriceTable::builtin();
    let text = read(&root().join("saved-designs/validation/mm1.ron"))
        .replace(&format!("version: {CURRENT_VERSION},"), "version: 9,");
    let err = parse_design(&text, &prices).expect_err("a newer file is refused");
    let problem = &err.problems()[0];
    assert!(problem.message.contains("newer"), "{problem}");
    // Line 1 is the dialect header, line 2 the opening parenthesis.
    assert_eq!(problem.position.map(|p| p.line), Some(3));
}

#[test]
fn a_syntax_error_reports_line_column_and_a_hint() {
    let prices = PriceTable::builtin();
    let path = root().join("tests/data/invalid/missing-comma.ron");
    let err = read_design(&path, &prices).expect_err("broken syntax is refused");
    let problem = &err.problems()[0];
    let position = problem.position.expect("a position");
    assert_eq!(position.line, 7, "{problem}");
    assert!(
        problem.hint.as_deref().unwrap_or("").contains("comma"),
        "{problem}"
    );
}

#[test]
fn an_unknown_field_is_an_error_that_lists_the_allowed_fields() {
    let prices = PriceTable::builtin();
    let path = root().join("tests/data/invalid/unknown-field.ron");
    let err = read_design(&path, &prices).expect_err("a typo is refused");
    let problem = &err.problems()[0];
    assert_eq!(problem.position.map(|p| p.line), Some(8), "{problem}");
    assert!(problem.message.contains("capacty_per_s"), "{problem}");
    assert!(
        problem
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("capacity_per_s"),
        "{problem}"
    );
}

#[test]
fn bytes_that_are_not_utf8_are_refused_not_panicked_on() {
    let prices = PriceTable::builtin();
    let mut bytes = b"(\n    version: 1,\n    name: \"".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    let err = archsandbox::model::file::parse_design_bytes(&bytes, &prices).expect_err("refused");
    let problem = &err.problems()[0];
    assert!(problem.message.contains("UTF-8"));
    assert_eq!(problem.position.map(|p| p.line), Some(3));
}

#[test]
fn saving_writes_the_canonical_text_and_leaves_no_temporary_file() {
    let prices = PriceTable::builtin();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("design.ron");
    let design = read_design(&root().join("saved-designs/validation/tandem.ron"), &prices)
        .expect("loads")
        .design;
    save_design(&path, &design).expect("saves");
    assert_eq!(read(&path), to_ron(&design));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 1, "only the design is left: {names:?}");
}

#[test]
fn a_failed_save_leaves_the_old_file_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("design.ron");
    std::fs::write(&path, "the old design").expect("write");
    // The writer fails half-way, as a full disk or a crash would.
    let result = archsandbox::model::file::write_atomically(&path, |file| {
        use std::io::Write;
        file.write_all(b"half a new des")?;
        Err(std::io::Error::other("disk full"))
    });
    assert!(result.is_err());
    assert_eq!(read(&path), "the old design");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        names.len(),
        1,
        "the temporary file is cleaned up: {names:?}"
    );
}

#[cfg(unix)]
#[test]
fn saving_keeps_the_files_permissions_and_writes_through_a_link() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let prices = PriceTable::builtin();
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("real.ron");
    std::fs::write(&target, "the old design").expect("write");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let link = dir.path().join("link.ron");
    symlink(&target, &link).expect("symlink");
    let design = read_design(&root().join("saved-designs/validation/mm1.ron"), &prices)
        .expect("loads")
        .design;
    save_design(&link, &design).expect("saves");
    let link_metadata = std::fs::symlink_metadata(&link).expect("link");
    assert!(
        link_metadata.file_type().is_symlink(),
        "the link stays a link"
    );
    assert_eq!(
        read(&target),
        to_ron(&design),
        "the file it points to is saved"
    );
    let mode = std::fs::metadata(&target)
        .expect("target")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640, "the permissions are kept");
    // A link to a file not written yet is written through too.
    let new_target = dir.path().join("new.ron");
    let new_link = dir.path().join("new-link.ron");
    symlink(&new_target, &new_link).expect("symlink");
    save_design(&new_link, &design).expect("saves");
    let new_link_metadata = std::fs::symlink_metadata(&new_link).expect("link");
    assert!(new_link_metadata.file_type().is_symlink());
    assert_eq!(read(&new_target), to_ron(&design));
}

#[test]
fn a_read_only_file_is_refused_and_left_as_it_was() {
    let prices = PriceTable::builtin();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("design.ron");
    std::fs::write(&path, "the old design").expect("write");
    let mut permissions = std::fs::metadata(&path).expect("file").permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&path, permissions).expect("make read-only");
    let design = read_design(&root().join("saved-designs/validation/mm1.ron"), &prices)
        .expect("loads")
        .design;
    let error = save_design(&path, &design).expect_err("refused");
    assert_eq!(error.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(error.to_string().contains("read-only"), "{error}");
    assert_eq!(read(&path), "the old design");
}

#[test]
fn a_save_into_a_missing_folder_fails_without_creating_anything() {
    let prices = PriceTable::builtin();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("no such folder").join("design.ron");
    let design = read_design(&root().join("saved-designs/validation/mm1.ron"), &prices)
        .expect("loads")
        .design;
    assert!(save_design(&path, &design).is_err());
    assert!(!path.exists());
}

#[test]
fn a_valid_async_cycle_loads() {
    let prices = PriceTable::builtin();
    let loaded =
        read_design(&root().join("tests/data/valid/async-cycle.ron"), &prices).expect("loads");
    assert!(
        loaded
            .warnings
            .iter()
            .all(|w| w.severity == Severity::Warning)
    );
}

#[test]
fn a_version_1_database_keeps_its_hot_shard_when_key_skew_comes_to_mean_the_keys() {
    // Version 1 read key_skew over the shards' ranks (range partitioning only): four shards
    // at 1.2 gave the first 1/(1 + 2^-1.2 + 3^-1.2 + 4^-1.2) of the traffic. Read now, the
    // exponent over the keys is the one that gives the first range that share; under hashing,
    // which ignored it, 0.
    use archsandbox::model::sharding::shard_shares;
    use archsandbox::model::{ComponentKind, Partitioning};
    let prices = PriceTable::builtin();
    let old = read(&root().join("saved-designs/sharded-database.ron"))
        .replace(&format!("version: {CURRENT_VERSION},"), "version: 1,")
        .replace("key_skew: 0.5,", "key_skew: 1.2,");
    let wanted = 1.0 / (1..=4).map(|i| f64::from(i).powf(-1.2)).sum::<f64>();
    let database = |text: &str| {
        let design = parse_design(text, &prices).expect("migrates").design;
        let id = design.find("pantry").expect("pantry");
        match design.component(id).map(|c| c.kind.clone()) {
            Some(ComponentKind::Database(p)) => p,
            _ => panic!("pantry is a database"),
        }
    };
    let p = database(&old);
    let first = shard_shares(p.keys, p.shards, Partitioning::Range, p.key_skew)[0];
    assert!(
        (first - wanted).abs() < 1e-3,
        "first range {first} (skew {}), was {wanted}",
        p.key_skew
    );
    let hashed = database(&old.replace("partitioning: Range,", "partitioning: Hash,"));
    assert_eq!(hashed.key_skew, 0.0);
    // A version 2 file means what it says.
    let current = read(&root().join("saved-designs/sharded-database.ron"));
    assert_eq!(database(&current).key_skew, 0.5);
}

#[test]
fn a_version_2_design_reads_as_the_same_design_with_the_new_fields_at_their_defaults() {
    // Version 3 added the workloads and resilience fields. A version 2 file has none of them;
    // read, each takes the default that keeps the design as it was (an open workload, no deadline,
    // no rate limiter), so that every figure of a run stays the same.
    let prices = PriceTable::builtin();
    for path in crate::ron_files("saved-designs") {
        let current = read(&path);
        if current.contains("workload: Closed")
            || current.contains("retry: (")
            || current.contains("breaker: (")
        {
            // Closed workloads, retries and breakers came with version 3.
            continue;
        }
        let old: String = current
            .replace(&format!("version: {CURRENT_VERSION},"), "version: 2,")
            .lines()
            .filter(|line| {
                ![
                    "workload: Open,",
                    "rate_limit: None,",
                    "deadline_ms: None,",
                    "retry: None,",
                    "breaker: None,",
                ]
                .contains(&line.trim())
            })
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(
            !old.contains("workload")
                && !old.contains("rate_limit")
                && !old.contains("deadline")
                && !old.contains("retry")
                && !old.contains("breaker"),
            "{}",
            path.display()
        );
        let migrated = parse_design(&old, &prices).expect("a version 2 file reads");
        let now = parse_design(&current, &prices).expect("the file reads");
        assert_eq!(migrated.design, now.design, "{}", path.display());
        assert!(to_ron(&migrated.design).contains(&format!("version: {CURRENT_VERSION},")));
    }
}

#[test]
fn a_retry_policy_round_trips_and_a_link_without_one_reads_as_none() {
    use archsandbox::model::{Link, RetryPolicy, TrafficClass};
    let prices = PriceTable::builtin();
    let mut design = parse_design(&read(&root().join("saved-designs/one-server.ron")), &prices)
        .expect("reads")
        .design;
    let (id, ..) = design.links().next().expect("a link");
    let policy = RetryPolicy {
        attempts: 4,
        timeout_ms: Some(250.0),
        backoff_base_ms: 20.0,
        backoff_cap_ms: 800.0,
        jitter: false,
        budget_ratio: None,
    };
    design.graph[id].retry = Some(policy);
    design.graph[id].breaker = Some(archsandbox::model::CircuitBreaker::default());
    let text = to_ron(&design);
    assert!(
        text.contains("retry: (") && text.contains("breaker: ("),
        "{text}"
    );
    let back = parse_design(&text, &prices).expect("reads back").design;
    assert_eq!(back, design);
    assert_eq!(Link::new(&[TrafficClass::Read]).retry, None);
    // The policy's own arithmetic: waits double from the base up to the cap, and the
    // attempts a call makes when each fails with chance p sum the geometric series.
    assert_eq!(policy.backoff_s(1), 0.020);
    assert_eq!(policy.backoff_s(3), 0.080);
    assert_eq!(policy.backoff_s(9), 0.800);
    assert!((policy.amplification(0.5) - 1.875).abs() < 1e-12);
}

#[test]
fn a_journey_saves_with_the_design_an_older_file_has_none_and_nonsense_in_it_is_refused() {
    use archsandbox::model::{Journey, JourneyStep};
    let prices = PriceTable::builtin();
    let path = root().join("saved-designs/one-server.ron");
    let mut design = read_design(&path, &prices).expect("reads").design;
    assert_eq!(design.journey, None);
    let step = |title: &str, users_carried: Option<f64>| JourneyStep {
        title: title.into(),
        change: format!("{title} changed"),
        users: 10_000.0,
        sustainable_load: users_carried.map(|u| u / 2_000.0),
        users_carried,
        success_ratio: 0.5,
        p99_ms: 120.0,
        availability: 0.99,
        cost_per_month: 1_234.5,
    };
    design.journey = Some(Journey {
        scenario: "lunch rush".into(),
        steps: vec![
            step("start", Some(1_018.0)),
            step("kitchen: scale out", None),
        ],
    });
    let text = to_ron(&design);
    assert!(text.contains("journey: ("), "{text}");
    let again = parse_design(&text, &prices).expect("reads").design;
    assert_eq!(again, design);
    // A version 3 file (before journeys) reads with none.
    let old = read(&path).replace(&format!("version: {CURRENT_VERSION},"), "version: 3,");
    assert_eq!(
        parse_design(&old, &prices)
            .expect("migrates")
            .design
            .journey,
        None
    );
    // Nonsense in a journey is refused, naming the step.
    let bad = text.replace("availability: 0.99,", "availability: 7.0,");
    let err = parse_design(&bad, &prices).expect_err("refused");
    let message = err.to_string();
    assert!(
        message.contains("journey step 0 ('start'): availability must be between 0 and 1, not 7"),
        "{message}"
    );
}
