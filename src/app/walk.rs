//! Help → Walk through the primer: the example designs as numbered chapters, each with what
//! to notice and claims checked on the open design's analysis — green when they hold, red
//! when they do not (an edited example can never teach something false). A first start of
//! the app offers it once.

use std::sync::OnceLock;

use egui::RichText;

use super::canvas::Health;
use super::files::EXAMPLES;
use super::{Action, SandboxApp};
use crate::analysis::primer::CHAPTERS;

/// Each chapter's example: its index in [`EXAMPLES`] and its design's name.
fn chapter_examples() -> &'static [(Option<usize>, String)] {
    static NAMES: OnceLock<Vec<(Option<usize>, String)>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let prices = crate::model::PriceTable::builtin();
        CHAPTERS
            .iter()
            .map(|c| {
                let index = EXAMPLES.iter().position(|e| e.file == c.file);
                let name = index
                    .and_then(|i| crate::model::parse_design(EXAMPLES[i].text, &prices).ok())
                    .map(|l| l.design.name)
                    .unwrap_or_default();
                (index, name)
            })
            .collect()
    })
}

impl SandboxApp {
    /// The chapter whose example is the open design (by its name), if any.
    pub fn open_chapter(&self) -> Option<usize> {
        chapter_examples()
            .iter()
            .position(|(_, name)| *name == self.doc.design.name)
    }

    /// The walk's window, while it is open.
    pub(super) fn walk_window(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        if !self.show_walk {
            return;
        }
        let mut open = true;
        let here = self.open_chapter();
        // The claims are written for the default scenario at ×1: elsewhere they are not
        // checked (a claim turned red by the slider would teach nothing).
        let as_written = self.load == 1.0
            && self
                .current_scenario()
                .is_some_and(|s| s.name == self.doc.design.default_scenario);
        egui::Window::new("Walk through the primer")
            .open(&mut open)
            .default_width(540.0)
            .show(ctx, |ui| {
                let dark = ui.visuals().dark_mode;
                ui.weak(
                    "Each fix reveals the next bottleneck: ten designs tell the story. Open a \
                     chapter; its claims are checked on the design's analysis as it runs \
                     (written for the load at ×1).",
                );
                egui::ScrollArea::vertical()
                    .max_height(560.0)
                    .show(ui, |ui| {
                        for (i, chapter) in CHAPTERS.iter().enumerate() {
                            ui.add_space(6.0);
                            ui.horizontal(|ui| {
                                ui.strong(format!("{}. {}", i + 1, chapter.title));
                                let label = if here == Some(i) { "Open again" } else { "Open" };
                                if let Some(example) = chapter_examples()[i].0
                                    && ui.button(label).clicked()
                                {
                                    actions.push(Action::OpenExample(example));
                                }
                            });
                            ui.label(chapter.notice);
                            if here == Some(i) && !as_written {
                                ui.weak(
                                    "Checked at ×1 under the design's default scenario: set the load and scenario back to check.",
                                );
                            }
                            for (text, claim) in chapter.claims {
                                if here != Some(i) || !as_written {
                                    ui.weak(format!("· {text}"));
                                    continue;
                                }
                                match self.analysis.report.as_ref().map(|r| claim.check(r)) {
                                    Some(Ok(v)) => {
                                        let (mark, color) = if v.holds {
                                            ("holds", Health::Ok.color(dark))
                                        } else {
                                            ("does not hold", Health::Saturated.color(dark))
                                        };
                                        ui.label(
                                            RichText::new(format!(
                                                "· {text} — {mark}: {}.",
                                                v.measured
                                            ))
                                            .color(color),
                                        );
                                    }
                                    Some(Err(e)) => {
                                        ui.label(
                                            RichText::new(format!("· {text} — cannot check: {e}."))
                                                .color(Health::Saturated.color(dark)),
                                        );
                                    }
                                    None => {
                                        ui.weak(format!("· {text} — checking…"));
                                    }
                                }
                            }
                        }
                    });
            });
        self.show_walk &= open;
    }
}
