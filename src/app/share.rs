//! File → Export report…: the shareable report (`archsandbox report`'s folder) of the open
//! design, or of the open comparison, written on a thread of its own (a comparison's sweep
//! takes a while) and announced when it is done.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

use super::background::Started;
use super::{Notice, SandboxApp};
use crate::analysis::AnalysisOptions;
use crate::sim::RunOptions;

/// Load points of the sweep in a report the app writes (the command line's default).
const SWEEP_POINTS: usize = 12;

/// A report being written: its folder, and the files' count or why it failed.
pub struct ReportJob {
    /// Where it goes.
    pub folder: PathBuf,
    /// The answer, once there.
    pub pending: Receiver<Result<usize, String>>,
}

impl SandboxApp {
    /// The folder a report is offered in: beside the design's file, named after the design
    /// (or after both compared).
    pub(super) fn report_folder(&self) -> PathBuf {
        use super::actions::file_stem;
        let name = match &self.compare {
            Some(view) => format!(
                "{}-vs-{}-report",
                file_stem(&view.a.design.name),
                file_stem(&view.b.design.name)
            ),
            None => format!("{}-report", file_stem(&self.doc.design.name)),
        };
        self.document_folder()
            .map_or_else(|| PathBuf::from(&name), |f| f.join(&name))
    }

    /// Write the report of what is open (the comparison in compare mode, else the design at
    /// the scenario and load that run) into `folder`.
    pub fn export_report_to(&mut self, folder: &Path) {
        if self.report_job.is_some() {
            self.notice = Some(Notice {
                text: "A report is being written already; wait for it to finish.".into(),
                error: true,
            });
            return;
        }
        let prices = self.prices.clone();
        let (design, other, scenario, load, command) = match &self.compare {
            Some(view) => (
                view.a.design.clone(),
                Some(view.b.design.clone()),
                view.scenario.clone(),
                // The slider's multiple of the scenario's load (compare mode's multiplier
                // counts the scenario's in).
                view.load_multiplier() / view.scenario.load_multiplier.max(f64::MIN_POSITIVE),
                None,
            ),
            None => {
                let Some(scenario) = self.current_scenario().cloned() else {
                    self.notice = Some(Notice {
                        text: "The design has no scenario to run: add one first.".into(),
                        error: true,
                    });
                    return;
                };
                // The command that makes the same report, when the design is saved as it is.
                let command = match &self.doc.path {
                    Some(path) if !self.doc.dirty => {
                        use crate::report::shell_word;
                        Some(format!(
                            "archsandbox report {} --scenario {}{} -o {}",
                            shell_word(&path.display().to_string()),
                            shell_word(&scenario.name),
                            if self.load == 1.0 {
                                String::new()
                            } else {
                                format!(" --load {}", self.load)
                            },
                            shell_word(&folder.display().to_string())
                        ))
                    }
                    _ => None,
                };
                (self.doc.design.clone(), None, scenario, self.load, command)
            }
        };
        let target = folder.to_path_buf();
        let job = move || {
            let options = AnalysisOptions {
                run: RunOptions {
                    load_multiplier: Some(load),
                    ..RunOptions::default()
                },
                ..AnalysisOptions::default()
            };
            let files = crate::report::build(&crate::report::ReportRequest {
                design: &design,
                compare: other.as_ref(),
                scenario: &scenario,
                prices: &prices,
                options: &options,
                sweep_points: SWEEP_POINTS,
                command,
            })?;
            crate::report::write(&target, &files)?;
            Ok(files.len())
        };
        match super::background::start(self.repaint.clone(), "report", job, |e| {
            Err(format!("Could not start writing the report: {e}"))
        }) {
            Started::Pending(rx) => {
                self.report_job = Some(ReportJob {
                    folder: folder.to_path_buf(),
                    pending: rx,
                });
                self.notice = Some(Notice {
                    text: format!("Writing the report to {}…", folder.display()),
                    error: false,
                });
            }
            Started::Done(result) => self.report_written(folder, result),
        }
    }

    /// Take a finished report from its thread.
    pub(super) fn poll_report(&mut self) {
        let Some(job) = &self.report_job else {
            return;
        };
        match job.pending.try_recv() {
            Ok(result) => {
                let folder = job.folder.clone();
                self.report_job = None;
                self.report_written(&folder, result);
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                let folder = job.folder.clone();
                self.report_job = None;
                self.report_written(&folder, Err("the report's thread stopped".into()));
            }
        }
    }

    fn report_written(&mut self, folder: &Path, result: Result<usize, String>) {
        self.notice = Some(match result {
            Ok(count) => Notice {
                text: format!(
                    "Wrote the report ({count} files) to {}: open report.html",
                    folder.display()
                ),
                error: false,
            },
            Err(e) => Notice {
                text: format!("Could not write the report to {}: {e}", folder.display()),
                error: true,
            },
        });
    }
}
