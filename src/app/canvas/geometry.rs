//! Where things are on the canvas, apart from how they are painted: node boxes, the grid,
//! link curves, hit tests, and where a node's lines of text go at each zoom.

use std::collections::HashMap;

use egui::epaint::CubicBezierShape;
use egui::{Color32, Pos2, Rect, Stroke, Vec2, pos2, vec2};

use crate::model::design::COMPONENT_FOOTPRINT;
use crate::model::{ComponentId, Design, LinkId};

/// Below this zoom, nodes are drawn without text and details.
pub(super) const DETAIL_ZOOM: f32 = 0.35;
/// A node's size on the canvas, in scene units.
pub const NODE_SIZE: Vec2 = vec2(COMPONENT_FOOTPRINT.0, COMPONENT_FOOTPRINT.1);

/// The grid components snap to.
pub const GRID: f32 = 20.0;

/// The rectangle that holds every component.
pub fn design_bounds(design: &Design) -> Rect {
    let mut bbox = Rect::NOTHING;
    for (_, c) in design.components() {
        bbox = bbox.union(node_rect(c.position));
    }
    bbox
}

/// A node's rectangle from its position (its top-left corner).
pub fn node_rect(position: (f32, f32)) -> Rect {
    Rect::from_min_size(pos2(position.0, position.1), NODE_SIZE)
}

/// Snap a position to the grid.
pub fn snapped(p: Pos2) -> (f32, f32) {
    ((p.x / GRID).round() * GRID, (p.y / GRID).round() * GRID)
}

/// The part of segment a–b inside `rect` (Liang–Barsky), if any.
pub(super) fn clip_segment(a: Pos2, b: Pos2, rect: Rect) -> Option<(Pos2, Pos2)> {
    let d = b - a;
    let (mut t0, mut t1) = (0.0f32, 1.0f32);
    for (p, q) in [
        (-d.x, a.x - rect.left()),
        (d.x, rect.right() - a.x),
        (-d.y, a.y - rect.top()),
        (d.y, rect.bottom() - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 <= t1).then(|| (a + d * t0, a + d * t1))
}

/// The bezier from a source's port to a target's input.
pub(super) fn link_curve(from: Rect, to: Rect) -> [Pos2; 4] {
    let a = from.right_center();
    let b = to.left_center();
    let reach = ((b.x - a.x).abs() * 0.5).max(60.0);
    [a, a + vec2(reach, 0.0), b - vec2(reach, 0.0), b]
}

pub(super) fn distance_to_polyline(p: Pos2, points: &[Pos2]) -> f32 {
    points
        .windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let ab = b - a;
            let t = ((p - a).dot(ab) / ab.length_sq().max(1e-6)).clamp(0.0, 1.0);
            (a + ab * t).distance(p)
        })
        .fold(f32::INFINITY, f32::min)
}

/// The smallest text a node's labels are drawn at, in screen pixels.
pub const NODE_TEXT_MIN_PX: f32 = 11.0;

/// Where a node's text starts (right of its icon) and how far it keeps from the right edge, in
/// scene units.
pub(super) const NODE_TEXT_LEFT: f32 = 46.0;

pub(super) const NODE_TEXT_RIGHT_PAD: f32 = 8.0;

/// One line of a node's text: its top, in screen pixels below the node's top, and its size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextLine {
    /// The line's top, in screen pixels below the node's top.
    pub top_px: f32,
    /// Its font size, in screen pixels.
    pub size_px: f32,
}

/// Which of a node's three lines of text (name; instances; rate and utilization) are drawn at
/// a zoom, and where. Text scales with the zoom but never below [`NODE_TEXT_MIN_PX`]; when
/// zoomed out so far that the lines would not fit above the utilization bar at that size, the
/// figures go first, then the instances (compare mode's fitted canvases used to show 7 px text).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeTextLayout {
    /// The component's name, if drawn.
    pub name: Option<TextLine>,
    /// Its instances and size, if drawn.
    pub instances: Option<TextLine>,
    /// Its arrival rate and utilization, if drawn.
    pub figures: Option<TextLine>,
}

impl NodeTextLayout {
    /// Scene-unit tops and sizes of the three lines at zoom 1.
    const TOPS: [f32; 3] = [9.0, 29.0, 46.0];
    const SIZES: [f32; 3] = [15.0, 12.0, 12.0];
    /// The line height, as a multiple of the font size.
    const LEADING: f32 = 1.15;

    /// The layout at a zoom (screen pixels per scene unit).
    pub fn at(zoom: f32) -> Self {
        let sizes = Self::SIZES.map(|s| (s * zoom).max(NODE_TEXT_MIN_PX));
        // The utilization bar's top: text stays above it.
        let floor = (NODE_SIZE.y - 12.0) * zoom;
        let lines = |tops: [f32; 3], count: usize| {
            let mut out = [None; 3];
            for k in 0..count {
                out[k] = Some(TextLine {
                    top_px: tops[k],
                    size_px: sizes[k],
                });
            }
            out
        };
        let fits = |tops: &[f32]| {
            tops.iter().enumerate().all(|(k, &top)| {
                let bottom = top + sizes[k] * Self::LEADING;
                let next = tops.get(k + 1).copied().unwrap_or(floor);
                bottom <= next
            })
        };
        let roomy = Self::TOPS.map(|t| t * zoom);
        let [name, instances, figures] = if zoom < DETAIL_ZOOM {
            [None; 3]
        } else if fits(&roomy) {
            lines(roomy, 3)
        } else {
            // Stacked tight from the top, as many lines as fit.
            let mut tops = [roomy[0].max(2.0); 3];
            for k in 1..3 {
                tops[k] = tops[k - 1] + sizes[k - 1] * Self::LEADING;
            }
            let count = (1..=3).rev().find(|&n| fits(&tops[..n])).unwrap_or(1);
            lines(tops, count)
        };
        Self {
            name,
            instances,
            figures,
        }
    }
}

/// A link's stroke width from its traffic: 1.5 points idle, up to 6.5 for the busiest link
/// on the canvas, on a log scale.
pub(super) fn link_width(rate_per_s: f64, max_rate_per_s: f64) -> f32 {
    1.5 + 5.0 * ((1.0 + rate_per_s).ln() / (1.0 + max_rate_per_s.max(1.0)).ln()) as f32
}

pub(super) use crate::model::link::link_label;

/// The arrow head at a link's tip, for a stroke `width` wide.
pub(super) fn arrow_head(tip: Pos2, width: f32) -> Vec<Pos2> {
    let head = 7.0 + width;
    vec![
        tip,
        tip - vec2(head, head * 0.55),
        tip - vec2(head, -head * 0.55),
    ]
}

/// The link nearest `p` (in scene units) within `tolerance`, with nodes at `rects`.
pub(super) fn nearest_link(
    design: &Design,
    rects: &HashMap<ComponentId, Rect>,
    p: Pos2,
    tolerance: f32,
) -> Option<LinkId> {
    design
        .links()
        .filter_map(|(l, a, b, _)| {
            let curve = link_curve(*rects.get(&a)?, *rects.get(&b)?);
            let points = CubicBezierShape::from_points_stroke(
                curve,
                false,
                Color32::TRANSPARENT,
                Stroke::NONE,
            )
            .flatten(Some(1.0));
            let d = distance_to_polyline(p, &points);
            (d <= tolerance).then_some((l, d))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(l, _)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_text_is_readable_at_every_zoom_it_is_drawn_at_and_stays_inside_the_box() {
        let mut zoom = DETAIL_ZOOM;
        while zoom <= 4.0 {
            let layout = NodeTextLayout::at(zoom);
            let lines: Vec<Option<TextLine>> = vec![layout.name, layout.instances, layout.figures];
            assert!(layout.name.is_some(), "the name shows at zoom {zoom}");
            // The lines drawn are the first ones: figures go first, then instances.
            let shown = lines.iter().take_while(|l| l.is_some()).count();
            assert!(lines[shown..].iter().all(Option::is_none), "zoom {zoom}");
            let floor = (NODE_SIZE.y - 12.0) * zoom;
            let mut below = 0.0_f32;
            for line in lines.iter().flatten() {
                assert!(line.size_px >= NODE_TEXT_MIN_PX, "zoom {zoom}: {line:?}");
                assert!(line.top_px >= below, "lines overlap at zoom {zoom}");
                below = line.top_px + line.size_px;
                assert!(below <= floor, "text runs into the bar at zoom {zoom}");
            }
            zoom *= 1.05;
        }
        // At ordinary zooms all three lines show, scaled with the zoom.
        for zoom in [1.0, 1.5, 3.0] {
            let layout = NodeTextLayout::at(zoom);
            assert!(layout.figures.is_some(), "zoom {zoom}");
            assert_eq!(layout.name.map(|l| l.size_px), Some(15.0 * zoom));
        }
        assert_eq!(NodeTextLayout::at(DETAIL_ZOOM * 0.9).name, None);
    }
}
