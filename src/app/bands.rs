//! The plots' confidence bands: the run on screen replicated on derived seeds in the
//! background (see [`crate::analysis::bands`]), drawn as a shaded 95 % band behind each
//! curve over time. Chosen in Simulation → Confidence bands (off, or 5, 10 or 20 runs), kept
//! in the settings; worked out again when the design, the scenario or the load changes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;

use crate::analysis::bands::{Bands, replicate_bands};

use super::SandboxApp;
use super::background::Started;

/// The runs the menu offers (0: off).
pub const CHOICES: [usize; 4] = [0, 5, 10, 20];

/// What the bands were worked out for: the design revision, the scenario and the load.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BandsKey {
    /// The design revision.
    pub revision: u64,
    /// The scenario's name.
    pub scenario: String,
    /// The load multiplier the run used (the scenario's times the slider's).
    pub load_multiplier: f64,
    /// Runs.
    pub runs: usize,
}

/// Bands being worked out, or done.
#[derive(Default)]
pub struct BandsView {
    /// What they are (or will be) for.
    pub key: Option<BandsKey>,
    /// Runs finished so far.
    pub progress: Arc<AtomicUsize>,
    /// The finished bands, or why they could not be made (in words).
    pub result: Option<Result<Bands, String>>,
    pending: Option<Receiver<Result<Bands, String>>>,
}

impl BandsView {
    /// Whether bands are being worked out in the background.
    pub fn running(&self) -> bool {
        self.pending.is_some()
    }

    /// What the plots' legend says of the band: how many runs, or how far along.
    pub fn label(&self) -> Option<String> {
        let key = self.key.as_ref()?;
        if self.running() {
            return Some(format!(
                "95 % band: {} of {} runs…",
                self.progress.load(Ordering::Relaxed),
                key.runs
            ));
        }
        match &self.result {
            Some(Ok(_)) => Some(format!("95 % band over {} runs", key.runs)),
            Some(Err(e)) => Some(format!("no band: {e}")),
            None => None,
        }
    }
}

impl SandboxApp {
    /// The key the bands should have now (`None`: off, or nothing to run).
    fn wanted_bands(&self) -> Option<BandsKey> {
        let runs = self.settings.band_runs;
        if runs < 2 {
            return None;
        }
        let scenario = self.current_scenario()?;
        Some(BandsKey {
            revision: self.doc.revision,
            scenario: scenario.name.clone(),
            load_multiplier: self.load_multiplier(),
            runs,
        })
    }

    /// Start the bands for what runs now, if they are on and not made for it yet; take
    /// finished ones from their thread.
    pub(super) fn update_bands(&mut self) {
        if let Some(rx) = &self.bands.pending
            && let Ok(result) = rx.try_recv()
        {
            self.bands.pending = None;
            self.bands.result = Some(result);
        }
        let wanted = self.wanted_bands();
        if wanted == self.bands.key || self.bands.running() {
            if wanted.is_none() {
                self.bands = BandsView::default();
            }
            return;
        }
        let Some(key) = wanted else {
            self.bands = BandsView::default();
            return;
        };
        let Some(mut scenario) = self.current_scenario().cloned() else {
            return;
        };
        scenario.load_multiplier = key.load_multiplier;
        let design = self.doc.design.clone();
        let prices = self.prices.clone();
        let progress = Arc::new(AtomicUsize::new(0));
        let runs = key.runs;
        self.bands = BandsView {
            key: Some(key),
            progress: Arc::clone(&progress),
            result: None,
            pending: None,
        };
        let job = move || {
            replicate_bands(
                &design,
                &scenario,
                &prices,
                &crate::sim::RunOptions::default(),
                runs,
                &progress,
            )
            .map_err(|e| e.to_string())
        };
        match super::background::start(self.repaint.clone(), "bands", job, |e| {
            Err(format!("could not start the runs: {e}"))
        }) {
            Started::Pending(rx) => self.bands.pending = Some(rx),
            Started::Done(result) => self.bands.result = Some(result),
        }
    }

    /// The bands to draw: made for what runs now, and done.
    pub fn current_bands(&self) -> Option<&Bands> {
        if self.bands.key.is_none() || self.bands.key != self.wanted_bands() {
            return None;
        }
        self.bands.result.as_ref()?.as_ref().ok()
    }
}
