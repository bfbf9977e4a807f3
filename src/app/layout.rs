//! How the editor's panels share the window. Sizes follow the window's size, so that a small
//! window (down to 800×500) keeps a usable canvas, plots that can be read and every control in
//! reach: below [`NARROW_WIDTH`] the palette shows icons only and the plots run under the whole
//! width; the side panel and the plots never take so much that the canvas disappears.

use egui::Vec2;

/// Below this window width the layout is the narrow one.
pub const NARROW_WIDTH: f32 = 1100.0;
/// The narrowest a plot is drawn; a row of plots that would be narrower scrolls instead.
pub const PLOT_MIN_WIDTH: f32 = 150.0;
/// The least the canvas keeps, whatever the user drags the panels to.
pub const CANVAS_MIN: Vec2 = egui::vec2(240.0, 140.0);
/// The number of plots in the editor's row.
pub const PLOT_COUNT: usize = 5;
/// The space egui leaves between two plots in a row.
const PLOT_GAP: f32 = 8.0;

/// The editor's panel sizes for one window size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PanelLayout {
    /// The palette shows icons only, with the names in tooltips.
    pub compact_palette: bool,
    /// The palette's width.
    pub palette_width: f32,
    /// The side panel's (inspector and analysis) width when first shown, and the most it may
    /// be dragged to.
    pub side_default_width: f32,
    /// The widest the side panel may be dragged, in points: the canvas keeps its least width.
    pub side_max_width: f32,
    /// The plots run under the whole window's width (else between the palette and the side
    /// panel).
    pub plots_full_width: bool,
    /// The plots panel's height when first shown, and the most it may be dragged to.
    pub plots_default_height: f32,
    /// The tallest the plots panel may be dragged, in points: the canvas keeps its least height.
    pub plots_max_height: f32,
    /// Compare mode's details (plots and table) panel's height when first shown.
    pub compare_details_default_height: f32,
    /// The load slider's length in the toolbar.
    pub slider_width: f32,
}

impl PanelLayout {
    /// The layout for a window of `size` points.
    pub fn for_window(size: Vec2) -> Self {
        let narrow = size.x < NARROW_WIDTH;
        let palette_width = if narrow { 48.0 } else { 150.0 };
        let side_default_width = (size.x * 0.3).clamp(220.0, 300.0);
        let side_max_width = (size.x - palette_width - CANVAS_MIN.x).max(160.0);
        // Menu bar, toolbar (two rows when narrow) and the canvas's own margins.
        let chrome_height = if narrow { 100.0 } else { 70.0 };
        let plots_max_height = (size.y - chrome_height - CANVAS_MIN.y).max(100.0);
        Self {
            compact_palette: narrow,
            palette_width,
            side_default_width: side_default_width.min(side_max_width),
            side_max_width,
            plots_full_width: narrow,
            plots_default_height: (size.y * 0.3).clamp(140.0, 230.0).min(plots_max_height),
            plots_max_height,
            compare_details_default_height: (size.y * 0.45)
                .clamp(200.0, 300.0)
                .min(plots_max_height),
            slider_width: if narrow { 110.0 } else { 160.0 },
        }
    }

    /// The plots panel's width in a window `window_width` wide with the side panel
    /// `side_width` wide (when shown).
    pub fn plots_width(&self, window_width: f32, side_width: Option<f32>, palette: bool) -> f32 {
        if self.plots_full_width {
            window_width
        } else {
            window_width
                - side_width.unwrap_or(0.0)
                - if palette { self.palette_width } else { 0.0 }
        }
    }
}

/// The width of each of `count` plots side by side in a row `available` points wide: they
/// share it, but none is narrower than [`PLOT_MIN_WIDTH`] (the row scrolls past that).
pub fn plot_width(available: f32, count: usize) -> f32 {
    let count = count.max(1) as f32;
    ((available - PLOT_GAP * (count - 1.0)) / count).max(PLOT_MIN_WIDTH)
}

/// In a wrapping row, start a new row unless `width` points are left. egui wraps a single
/// widget that does not fit, but a composite one (a slider with its value box) is placed where
/// it starts and runs off the edge.
pub fn keep_together(ui: &mut egui::Ui, width: f32) {
    if ui.available_size_before_wrap().x < width {
        ui.end_row();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_window_keeps_a_canvas_and_a_row_of_readable_plots() {
        for size in [
            egui::vec2(800.0, 500.0),
            egui::vec2(1024.0, 700.0),
            egui::vec2(1440.0, 900.0),
            egui::vec2(2560.0, 1440.0),
        ] {
            let layout = PanelLayout::for_window(size);
            let canvas_width = size.x - layout.palette_width - layout.side_default_width;
            let canvas_height = size.y - 100.0 - layout.plots_default_height;
            assert!(canvas_width >= CANVAS_MIN.x, "{size:?}: {layout:?}");
            assert!(canvas_height >= CANVAS_MIN.y, "{size:?}: {layout:?}");
            assert!(
                size.x - layout.palette_width - layout.side_max_width >= CANVAS_MIN.x,
                "{size:?}: the side panel may not be dragged over the canvas"
            );
            // All five plots fit the row side by side at a readable width.
            let row = layout.plots_width(size.x, Some(layout.side_default_width), true);
            let width = plot_width(row, PLOT_COUNT);
            assert!(
                width * PLOT_COUNT as f32 + PLOT_GAP * 4.0 <= row + 0.5,
                "{size:?}: the plots do not fit ({width} each in {row})"
            );
            // A design that autoscales adds a sixth, the instances over time: in the
            // screenshots' window and wider it fits beside the others, not past the edge.
            if size.x >= 1440.0 {
                let six = plot_width(row, PLOT_COUNT + 1);
                assert!(
                    six * (PLOT_COUNT + 1) as f32 + PLOT_GAP * 5.0 <= row + 0.5,
                    "{size:?}: six plots do not fit ({six} each in {row})"
                );
            }
            assert!(layout.plots_default_height >= 140.0, "{size:?}");
            // Compare mode's two canvases keep their height above the details.
            let compare_canvas = size.y - 100.0 - layout.compare_details_default_height;
            assert!(compare_canvas >= CANVAS_MIN.y, "{size:?}: {layout:?}");
        }
        // The wide layout is the one the screenshots show.
        let wide = PanelLayout::for_window(egui::vec2(1440.0, 900.0));
        assert!(!wide.compact_palette && !wide.plots_full_width);
        assert_eq!(
            (
                wide.side_default_width,
                wide.plots_default_height,
                wide.compare_details_default_height
            ),
            (300.0, 230.0, 300.0)
        );
    }

    #[test]
    fn plots_share_the_row_down_to_their_least_width() {
        assert_eq!(plot_width(5.0 * 200.0 + 4.0 * PLOT_GAP, 5), 200.0);
        assert_eq!(plot_width(300.0, 5), PLOT_MIN_WIDTH);
    }
}
