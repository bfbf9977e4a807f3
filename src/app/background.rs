//! Work the app does off the UI thread (a cross-check, the plots' bands): on a thread of
//! its own that asks for a repaint when it is done, or inline where there is no window to
//! repaint (the UI tests).

use std::sync::mpsc::{Receiver, channel};

/// A job started: its result to wait for, or already there.
pub enum Started<T> {
    /// Running on its thread; the result comes through here.
    Pending(Receiver<T>),
    /// Ran inline (no window), or could not start.
    Done(T),
}

/// Run `job` on a thread named `name` that asks `repaint` to repaint when it is done; with
/// no context, run it here. A thread that cannot be started gives `could_not_start`'s result.
pub fn start<T: Send + 'static>(
    repaint: Option<egui::Context>,
    name: &str,
    job: impl FnOnce() -> T + Send + 'static,
    could_not_start: impl FnOnce(std::io::Error) -> T,
) -> Started<T> {
    let Some(ctx) = repaint else {
        return Started::Done(job());
    };
    let (tx, rx) = channel();
    let spawned = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let _ = tx.send(job());
            ctx.request_repaint();
        });
    match spawned {
        Ok(_) => Started::Pending(rx),
        Err(e) => Started::Done(could_not_start(e)),
    }
}
