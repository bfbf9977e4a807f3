//! Dialogs: unsaved changes, the typed-path prompt, the example gallery, help and about.

use std::path::PathBuf;

use crate::model::parse_design;

use super::files;
use super::files::EXAMPLES;
use super::{Action, SandboxApp};

impl SandboxApp {
    pub(super) fn dialogs_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        self.journey_window(ctx);
        self.walk_window(ctx, actions);
        if let Some(p) = self.pending.clone() {
            let name = self.doc.title();
            let modal = egui::Modal::new(egui::Id::unique("unsaved changes")).show(ctx, |ui| {
                ui.heading("Unsaved changes");
                ui.label(format!("Save the changes to {name} first?"));
                ui.horizontal(|ui| {
                    if ui.button("Save").clicked() {
                        actions.push(Action::SaveThen(p.clone()));
                    }
                    if ui.button("Don't save").clicked() {
                        actions.push(Action::Proceed(p.clone()));
                    }
                    if ui.button("Cancel").clicked() {
                        self.pending = None;
                    }
                });
            });
            if modal.should_close() {
                self.pending = None;
            }
        }
        if self.show_gallery {
            let mut open = true;
            egui::Window::new("Example designs")
                .open(&mut open)
                .collapsible(false)
                .show(ctx, |ui| {
                    ui.label("The story of a restaurant that goes viral, one move at a time:");
                    for (i, e) in EXAMPLES.iter().enumerate() {
                        let description = parse_design(e.text, &self.prices)
                            .map(|l| (l.design.name, l.design.description))
                            .unwrap_or_default();
                        ui.horizontal_wrapped(|ui| {
                            if ui.button(&description.0).clicked() {
                                actions.push(Action::OpenExample(i));
                                self.show_gallery = false;
                            }
                            ui.weak(&description.1);
                        });
                    }
                });
            if !open {
                self.show_gallery = false;
            }
        }
        if let Some((kind, mut text)) = self.path_prompt.take() {
            let mut keep = true;
            let (title, label, button) = match kind {
                files::DialogKind::Open => ("Open path", "Path of a design file:", "Open"),
                files::DialogKind::SaveAs => ("Save to path", "Save the design to:", "Save"),
                files::DialogKind::ExportPicture => (
                    "Export picture to path",
                    "Write the picture to (.svg, .png, or .mmd for Mermaid):",
                    "Export",
                ),
                files::DialogKind::ExportReport => (
                    "Export report to folder",
                    "Write the report into the folder (made if missing):",
                    "Export",
                ),
            };
            egui::Window::new(title).collapsible(false).show(ctx, |ui| {
                ui.label(label);
                let r = ui.text_edit_singleline(&mut text);
                // The field takes the keyboard as the prompt opens (and whenever nothing else
                // has it): typing a path must not reach the shortcuts ("." steps a tick).
                if ui.memory(|m| m.focused().is_none()) {
                    r.request_focus();
                }
                ui.horizontal(|ui| {
                    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if ui.button(button).clicked() || enter {
                        let path = PathBuf::from(text.trim());
                        actions.push(match kind {
                            files::DialogKind::Open => Action::OpenPath(path),
                            files::DialogKind::SaveAs => Action::SaveTo(path),
                            files::DialogKind::ExportPicture => Action::ExportPictureTo(path),
                            files::DialogKind::ExportReport => Action::ExportReportTo(path),
                        });
                        keep = false;
                    }
                    if ui.button("Cancel").clicked() {
                        keep = false;
                        self.after_save = None;
                    }
                });
            });
            if keep {
                self.path_prompt = Some((kind, text));
            }
        }
    }
}
