//! The integration tests: one binary, a file per topic. Each test states a behaviour.

mod advise;
mod analysis;
#[cfg(feature = "gui")]
mod app;
mod autoscaling;
mod breakers;
mod breaking_point;
mod cli;
mod closed;
mod compare;
mod components;
mod cross_check;
mod events;
mod events_failures;
mod files;
mod fuzz;
mod gate;
mod import;
mod limit_designs;
mod limits;
mod pictures;
mod report;
mod retries;
mod sim_properties;
mod simulation;
mod sweep;
mod validation;
mod walk;
mod workloads;

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.ron` file under a folder of the repository, sorted.
pub fn ron_files(folder: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root().join(folder)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "ron") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Read a file of the repository.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
