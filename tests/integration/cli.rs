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
