//! Files: the example gallery (built in, so it works wherever the binary is), native file
//! dialogs run off the UI thread, and the settings that persist between sessions.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};

/// A shipped example design.
pub struct Example {
    /// Its file name in `saved-designs/`.
    pub file: &'static str,
    /// The design file's text, built into the binary.
    pub text: &'static str,
}

macro_rules! example {
    ($file:literal) => {
        Example {
            file: $file,
            text: include_str!(concat!("../../saved-designs/", $file)),
        }
    };
}

/// The example designs, in the order of the story.
pub const EXAMPLES: [Example; 10] = [
    example!("one-server.ron"),
    example!("scale-up.ron"),
    example!("scale-out.ron"),
    example!("stateful-servers.ron"),
    example!("cache-in-front.ron"),
    example!("read-replicas.ron"),
    example!("sharded-database.ron"),
    example!("message-queue.ron"),
    example!("cdn-static.ron"),
    example!("viral-restaurant.ron"),
];

/// The design the app opens on.
pub const DEFAULT_EXAMPLE: usize = 9;

/// Which dialog a path came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogKind {
    /// The dialog that picks a design file to open.
    Open,
    /// The dialog that picks where to save the design.
    SaveAs,
    /// The dialog that picks where to write a picture of the design (SVG, PNG or Mermaid).
    ExportPicture,
    /// The dialog that picks the folder a report's own folder is made in.
    ExportReport,
}

/// What a file dialog came back with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The user picked this path in this dialog.
    Picked(DialogKind, PathBuf),
    /// The user closed this dialog without picking a path.
    Cancelled(DialogKind),
    /// It answered nothing at once: no dialog could be shown (no desktop portal).
    Unavailable(DialogKind),
}

/// A dialog that comes back empty faster than this was never on screen: no one cancels a file
/// dialog in a fifth of a second. (A portal that fails slowly, say on a D-Bus timeout, reads as
/// a cancel: the user then sees no dialog and can use the typed-path items.)
const NO_DIALOG_WITHIN_S: f64 = 0.2;

/// Native file dialogs on a worker thread: the UI never waits for them, and a missing desktop
/// portal is told from a cancel by how fast the empty answer comes.
#[derive(Default)]
pub struct Dialogs {
    pending: Option<Receiver<(DialogKind, Option<PathBuf>, f64)>>,
}

impl Dialogs {
    /// Whether a dialog is open.
    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }

    /// Ask for a file to open.
    pub fn open(&mut self, ctx: &egui::Context, folder: Option<PathBuf>) {
        self.spawn(ctx, DialogKind::Open, move || {
            let mut d = rfd::FileDialog::new().add_filter("Design", &["ron"]);
            if let Some(f) = folder {
                d = d.set_directory(f);
            }
            d.pick_file()
        });
    }

    /// Ask where to save; false if another dialog is open (and none is shown).
    pub fn save_as(
        &mut self,
        ctx: &egui::Context,
        file_name: String,
        folder: Option<PathBuf>,
    ) -> bool {
        self.save_dialog(
            ctx,
            DialogKind::SaveAs,
            &[("Design", &["ron"])],
            file_name,
            folder,
        )
    }

    /// Ask where to write a picture of the design; false if another dialog is open.
    pub fn export_picture(
        &mut self,
        ctx: &egui::Context,
        file_name: String,
        folder: Option<PathBuf>,
    ) -> bool {
        let filters: &[(&'static str, &'static [&'static str])] = &[
            ("SVG picture", &["svg"]),
            ("PNG picture", &["png"]),
            ("Mermaid flowchart", &["mmd", "md"]),
        ];
        self.save_dialog(ctx, DialogKind::ExportPicture, filters, file_name, folder)
    }

    /// Ask which folder to write a report into; false if another dialog is open.
    pub fn export_report(&mut self, ctx: &egui::Context, folder: Option<PathBuf>) -> bool {
        if self.busy() {
            return false;
        }
        self.spawn(ctx, DialogKind::ExportReport, move || {
            let mut d = rfd::FileDialog::new().set_title("Folder to write the report into");
            if let Some(f) = folder {
                d = d.set_directory(f);
            }
            d.pick_folder()
        });
        true
    }

    /// A dialog that picks where to write a file of one of `filters` (name, extensions).
    fn save_dialog(
        &mut self,
        ctx: &egui::Context,
        kind: DialogKind,
        filters: &[(&'static str, &'static [&'static str])],
        file_name: String,
        folder: Option<PathBuf>,
    ) -> bool {
        if self.busy() {
            return false;
        }
        let filters = filters.to_vec();
        self.spawn(ctx, kind, move || {
            let mut d = rfd::FileDialog::new();
            for (name, extensions) in filters {
                d = d.add_filter(name, extensions);
            }
            d = d.set_file_name(file_name);
            if let Some(f) = folder {
                d = d.set_directory(f);
            }
            d.save_file()
        });
        true
    }

    fn spawn(
        &mut self,
        ctx: &egui::Context,
        kind: DialogKind,
        pick: impl FnOnce() -> Option<PathBuf> + Send + 'static,
    ) {
        if self.busy() {
            return;
        }
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("file dialog".into())
            .spawn(move || {
                let started = std::time::Instant::now();
                let path = pick();
                let _ = tx.send((kind, path, started.elapsed().as_secs_f64()));
                ctx.request_repaint();
            });
        if spawned.is_ok() {
            self.pending = Some(rx);
        }
    }

    /// A dialog's answer, once it has one.
    pub fn poll(&mut self) -> Option<Answer> {
        let rx = self.pending.as_ref()?;
        match rx.try_recv() {
            Ok((kind, path, took_s)) => {
                self.pending = None;
                Some(match path {
                    Some(p) => Answer::Picked(kind, p),
                    None if took_s < NO_DIALOG_WITHIN_S => Answer::Unavailable(kind),
                    None => Answer::Cancelled(kind),
                })
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => None,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                self.pending = None;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PriceTable, parse_design};

    #[test]
    fn every_built_in_example_loads() {
        let prices = PriceTable::builtin();
        for e in &EXAMPLES {
            parse_design(e.text, &prices).unwrap_or_else(|err| panic!("{}: {err}", e.file));
        }
        assert_eq!(EXAMPLES[DEFAULT_EXAMPLE].file, "viral-restaurant.ron");
    }
}
