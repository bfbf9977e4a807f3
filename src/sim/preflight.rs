//! What keeps a design that validates from running, found before running it: traffic round a
//! loop that grows without end, and a scenario whose peak would send more requests a second
//! into its busiest component than a run can count. `check` reports these as it reports
//! validation errors, so that what `check` accepts, `simulate` and `compare` run.

use std::path::Path;

use crate::model::{Design, Issue, LoadError, Loaded, PriceTable, Subject, read_design_with};

use super::laws::{LoopTraffic, laws_of_plan};
use super::plan::Plan;

/// The problems of a valid design that would stop its scenarios from running (see the
/// module's doc). A design with validation errors gives none here: those come first.
pub fn runnable_issues(design: &Design, prices: &PriceTable) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut loop_reported = false;
    for (index, scenario) in design.scenarios.iter().enumerate() {
        let Ok(plan) = Plan::compile(design, scenario, prices, Some(1)) else {
            continue;
        };
        let laws = laws_of_plan(&plan);
        if let LoopTraffic::Unbounded { growth } = laws.loops {
            if !loop_reported {
                issues.push(unbounded_loop(design, &plan, growth));
                loop_reported = true;
            }
            continue;
        }
        if let Some(message) = super::peak_limit_message(&plan, &laws, 1.0) {
            issues.push(Issue::error(
                Subject::Scenario {
                    index,
                    name: scenario.name.clone(),
                },
                Some("load_multiplier"),
                format!("scenario '{}': {message}", scenario.name),
                Some("lower the load, the users or the calls per request (on loops too)".into()),
            ));
        }
    }
    issues
}

/// The issue of a loop whose traffic grows without end, on the link that closes it.
fn unbounded_loop(design: &Design, plan: &Plan, growth: f64) -> Issue {
    // The first link that closes a loop, by its ends' names.
    let closing = plan.nodes.iter().find_map(|from| {
        from.routes
            .iter()
            .chain(&from.session_routes)
            .flat_map(|&(a, b)| a..b)
            .find(|&e| plan.routes[e as usize].backward)
            .and_then(|e| {
                let to = plan.nodes.get(plan.routes[e as usize].target as usize)?;
                Some((from.name.clone(), to.name.clone()))
            })
    });
    let link = closing.as_ref().and_then(|(from, to)| {
        design
            .links()
            .enumerate()
            .find_map(|(index, (_, f, t, _))| {
                let name = |id| design.component(id).map(|c| c.name.as_str());
                (name(f) == Some(from) && name(t) == Some(to)).then_some((index, from, to))
            })
    });
    let growth_text = if growth > 1.0 {
        format!(" (about ×{growth:.3} each time round)")
    } else {
        String::new()
    };
    let message = match &closing {
        Some((from, to)) => format!(
            "the loop that the link from '{from}' to '{to}' closes sends back at least as many jobs as it takes{growth_text}: its traffic grows without end"
        ),
        None => format!(
            "a loop sends back at least as many jobs as it takes{growth_text}: its traffic grows without end"
        ),
    };
    let subject = match link {
        Some((index, from, to)) => Subject::Link {
            index,
            from: from.clone(),
            to: to.clone(),
        },
        None => Subject::Design,
    };
    Issue::error(
        subject,
        Some("calls_per_request"),
        message,
        Some(
            "each job going round must send back fewer than one: fewer calls per request on the loop's links, or a split that sends only some of them back"
                .into(),
        ),
    )
}

/// Read a design file and check that it runs: validation as [`crate::model::read_design`]
/// does, then [`runnable_issues`], each placed at its line and column.
pub fn read_runnable_design(path: &Path, prices: &PriceTable) -> Result<Loaded, LoadError> {
    read_design_with(path, prices, &|design: &Design| {
        runnable_issues(design, prices)
    })
}
