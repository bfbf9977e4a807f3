//! The guided walk (issue 19): every chapter's claims hold on its example design as shipped,
//! checked headless the way the app checks them on the running design; a claim fails when
//! the design is edited so that it no longer holds, and one naming a missing component says
//! so.

use archsandbox::analysis::primer::{CHAPTERS, Claim};
use archsandbox::analysis::{AnalysisOptions, SimulateReport, analyze};
use archsandbox::model::{ComponentKind, Design, PriceTable, read_design};

fn example(file: &str) -> Design {
    read_design(
        &crate::root().join("saved-designs").join(file),
        &PriceTable::builtin(),
    )
    .unwrap_or_else(|e| panic!("{file}: {e}"))
    .design
}

/// The report the app's analysis panel makes: the default scenario at ×1, the flow engine,
/// the N−1 runs as the app runs them.
fn report(design: &Design) -> SimulateReport {
    let scenario = design.default_scenario().cloned().expect("a scenario");
    analyze(
        design,
        &scenario,
        &PriceTable::builtin(),
        &AnalysisOptions::default(),
    )
    .expect("runs")
}

#[test]
fn every_chapter_names_a_shipped_example_and_all_its_claims_hold() {
    assert_eq!(CHAPTERS.len(), 10);
    let mut failures = Vec::new();
    for (i, chapter) in CHAPTERS.iter().enumerate() {
        assert!(
            !chapter.claims.is_empty(),
            "{}: a claim to check",
            chapter.file
        );
        let report = report(&example(chapter.file));
        for (text, claim) in chapter.claims {
            let verdict = claim
                .check(&report)
                .unwrap_or_else(|e| panic!("{}: {text}: {e}", chapter.file));
            println!(
                "{}. {}: {text} — {} ({})",
                i + 1,
                chapter.title,
                if verdict.holds { "holds" } else { "FAILS" },
                verdict.measured
            );
            if !verdict.holds {
                failures.push(format!("{}: {text} ({})", chapter.file, verdict.measured));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "claims that do not hold: {failures:#?}"
    );
}

#[test]
fn an_edited_example_turns_its_claim_red_and_a_missing_component_is_named() {
    // One server with twenty kitchens carries the rush: the chapter's claim that orders
    // fail no longer holds, and the walk says so.
    let mut design = example("one-server.ron");
    let kitchen = design.find("kitchen").expect("kitchen");
    if let Some(ComponentKind::Server(p)) = design.component_mut(kitchen).map(|c| &mut c.kind) {
        p.instances = 20;
    }
    let report = report(&design);
    let verdict = Claim::SuccessBelow(0.999).check(&report).expect("checks");
    assert!(!verdict.holds, "{}", verdict.measured);
    let verdict = Claim::BreaksFirst("kitchen")
        .check(&report)
        .expect("checks");
    assert!(
        !verdict.holds,
        "the pantry breaks first now: {}",
        verdict.measured
    );
    assert!(
        verdict.measured.starts_with("pantry breaks first"),
        "{}",
        verdict.measured
    );
    let err = Claim::BreaksFirst("oven")
        .check(&report)
        .expect_err("no oven");
    assert!(err.contains("no component named 'oven'"), "{err}");
}
