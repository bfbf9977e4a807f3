//! Settings kept between sessions (theme, recent files, snapping, speed, which panels show,
//! the report's engine), stored by eframe.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analysis::report::Engine;

/// Settings kept between sessions.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Use the dark theme (else the light one).
    pub dark: bool,
    /// Most recent first.
    pub recent: Vec<PathBuf>,
    /// Snap moved and added components to the grid.
    pub snap: bool,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Which panels are shown (View menu): hiding them leaves a small window its canvas.
    pub show_palette: bool,
    /// Show the side panel: the inspector, the bottleneck ladder and the legend.
    pub show_side_panel: bool,
    /// Show the plots along the bottom.
    pub show_plots: bool,
    /// The engine that makes the analysis panel's report (the live run is always the flow
    /// engine's).
    pub engine: Engine,
    /// Runs of the plots' confidence bands (Simulation → Confidence bands; under 2: off).
    pub band_runs: usize,
    /// The walk through the primer was offered (a first start offers it once).
    pub walk_offered: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            dark: true,
            recent: Vec::new(),
            snap: true,
            speed: 10.0,
            show_palette: true,
            show_side_panel: true,
            show_plots: true,
            engine: Engine::Flow,
            band_runs: 0,
            walk_offered: false,
        }
    }
}

/// Recent files kept.
const RECENT: usize = 10;

impl Settings {
    /// Put a file at the top of the recent list.
    pub fn remember(&mut self, path: &Path) {
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        self.recent.retain(|p| *p != path);
        self.recent.insert(0, path);
        self.recent.truncate(RECENT);
    }
}
