//! The canvas: the design drawn on an `egui::Scene` (pan, zoom to the cursor, fit), with
//! selection, moving, linking by dragging from a port, box select, context menus, drag and
//! drop from the palette, and live figures on every node. It reads the design and the latest
//! simulation output and returns [`Action`](super::Action)s; it changes nothing itself.
//!
//! - `geometry`: where things are (boxes, curves, hit tests, text lines at each zoom);
//! - `draw`: painting them, in the colours of one palette;
//! - `interact`: the scene and what the pointer does;
//! - `menus`: right-click menus and hover cards.

mod draw;
mod geometry;
mod interact;
mod menus;

pub use draw::{CanvasColors, Health};
pub use geometry::{
    GRID, NODE_SIZE, NODE_TEXT_MIN_PX, NodeTextLayout, TextLine, design_bounds, node_rect, snapped,
};
pub use interact::show;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use egui::{Pos2, Rect, Vec2, emath::TSTransform, vec2};

use super::icons::Icons;
use super::runner::NodeView;
use crate::model::{
    Component, ComponentId, ComponentKind, Design, KindName, Link, LinkId, TrafficClass,
};

/// Copied components and the links among them.
#[derive(Clone, Debug, Default)]
pub struct Clipboard {
    /// The copied components, in the order they were selected.
    pub components: Vec<Component>,
    /// The links among them: (from, to, link), with from and to indices into `components`.
    pub links: Vec<(usize, usize, Link)>,
}

/// The canvas's view state: camera, selection, gestures in progress. Not part of the design.
#[derive(Debug)]
pub struct CanvasState {
    /// The visible region in scene coordinates.
    pub scene_rect: Rect,
    /// Selected components, in the order they were selected.
    pub selection: Vec<ComponentId>,
    /// The selected link, if any: the inspector edits it and Delete removes it.
    pub selected_link: Option<LinkId>,
    /// Snap moved and added components to the [`GRID`] (the View menu's setting).
    pub snap: bool,
    /// Offset of the selection while it is being dragged.
    drag_offset: Option<Vec2>,
    /// A link being dragged out of this component's port.
    connecting: Option<ComponentId>,
    /// Where a box selection started, in scene coordinates.
    box_start: Option<Pos2>,
    /// What Copy or Cut took last, for Paste.
    pub clipboard: Option<Clipboard>,
    /// Fit the view to the design on the next frame.
    pub fit_requested: bool,
    /// The screen rect of the canvas last frame (for placing things at its centre).
    pub screen_rect: Rect,
    /// The scene-to-screen transform last frame.
    pub to_screen: TSTransform,
}

impl Default for CanvasState {
    fn default() -> Self {
        Self {
            scene_rect: Rect::ZERO,
            selection: Vec::new(),
            selected_link: None,
            snap: true,
            drag_offset: None,
            connecting: None,
            box_start: None,
            clipboard: None,
            fit_requested: true,
            screen_rect: Rect::ZERO,
            to_screen: TSTransform::IDENTITY,
        }
    }
}

impl CanvasState {
    /// Whether a component is among the selected ones.
    pub fn is_selected(&self, id: ComponentId) -> bool {
        self.selection.contains(&id)
    }

    /// Select exactly these components.
    pub fn select_only(&mut self, ids: impl IntoIterator<Item = ComponentId>) {
        self.selection = ids.into_iter().collect();
        self.selected_link = None;
    }

    /// Forget selected things that no longer exist.
    pub fn prune(&mut self, design: &Design) {
        self.selection.retain(|id| design.component(*id).is_some());
        if self
            .selected_link
            .is_some_and(|l| design.graph.edge_weight(l).is_none())
        {
            self.selected_link = None;
        }
    }

    /// The centre of the visible region, in scene coordinates.
    pub fn view_center(&self) -> Pos2 {
        if self.scene_rect.is_positive() {
            self.scene_rect.center()
        } else {
            Pos2::ZERO
        }
    }

    /// Zoom by `factor` (> 1 zooms in) about the centre of the view.
    pub fn zoom_by(&mut self, factor: f32) {
        if self.scene_rect.is_positive() {
            let c = self.scene_rect.center();
            let size = self.scene_rect.size() / factor;
            self.scene_rect = Rect::from_center_size(c, size);
        }
    }

    /// Show the whole design.
    pub fn fit(&mut self, design: &Design) {
        let bbox = design_bounds(design);
        self.scene_rect = if bbox.is_positive() {
            bbox.expand(80.0)
        } else {
            Rect::from_center_size(Pos2::ZERO, vec2(800.0, 500.0))
        };
    }
}

pub use crate::model::component::instances_text;

/// What the canvas reads.
pub struct CanvasInputs<'a> {
    /// The design to draw.
    pub design: &'a Design,
    /// What each component shows now, from the runner.
    pub nodes: &'a HashMap<ComponentId, NodeView>,
    /// Simulated seconds per tick, to turn per-tick counts into rates a second.
    pub tick_s: f64,
    /// Single points of failure, with why.
    pub spofs: &'a BTreeMap<ComponentId, String>,
    /// The kinds' icons, drawn on the nodes.
    pub icons: &'a Icons,
    /// Animate the flow on links.
    pub playing: bool,
    /// The links whose circuit breakers are open now: drawn broken.
    pub open_breakers: &'a [crate::model::LinkId],
}

/// The classes a new link from `from` to `to` carries by default: what the source sends that
/// the target takes. The inspector edits them afterwards.
pub fn default_link(design: &Design, from: ComponentId, to: ComponentId) -> Link {
    use TrafficClass::{Async, Read, Static, Write};
    let target = design.component(to).map(|c| c.kind.name());
    let source = design.component(from).map(|c| &c.kind);
    let classes: Vec<TrafficClass> = match (source, target) {
        (_, Some(KindName::Cdn)) => vec![Static],
        (_, Some(KindName::MessageQueue)) | (Some(ComponentKind::MessageQueue(_)), _) => {
            vec![Async]
        }
        (Some(ComponentKind::Client(p)), _) => [Read, Write, Static, Async]
            .into_iter()
            .filter(|c| p.mix.share(*c) > 0.0)
            .collect(),
        (Some(ComponentKind::Server(_)), Some(KindName::Cache | KindName::Database)) => {
            vec![Read, Write]
        }
        (Some(_), _) => {
            let incoming: BTreeSet<TrafficClass> = design
                .incoming(from)
                .flat_map(|(_, _, l)| l.carries.iter().copied())
                .filter(|c| *c != TrafficClass::Session)
                .collect();
            if incoming.is_empty() {
                vec![Read, Write]
            } else {
                incoming.into_iter().collect()
            }
        }
        _ => vec![Read, Write],
    };
    Link::new(if classes.is_empty() {
        &[Read, Write]
    } else {
        &classes
    })
}

/// Expected requests per second along a link this tick (per class: the least of what the
/// source passed on and the target received).
fn link_rate(
    design: &Design,
    nodes: &HashMap<ComponentId, NodeView>,
    tick_s: f64,
    link: LinkId,
) -> f64 {
    let Some((from, to)) = design.graph.edge_endpoints(link) else {
        return 0.0;
    };
    let (Some(a), Some(b), Some(l)) = (
        nodes.get(&from),
        nodes.get(&to),
        design.graph.edge_weight(link),
    ) else {
        return 0.0;
    };
    let mut total = 0u64;
    for class in &l.carries {
        let k = class.index();
        let sent = if *class == TrafficClass::Session {
            b.tick.arrived[k]
        } else {
            a.tick.forwarded[k]
        };
        total += sent.min(b.tick.arrived[k]);
    }
    total as f64 / tick_s.max(1e-9)
}

/// A node's arrivals per second this tick.
fn rate_per_s(v: &NodeView) -> f64 {
    let per_s = v.tick.rate_in_per_s.iter().sum::<f64>();
    if per_s > 0.0 {
        per_s
    } else {
        v.tick.arrived_total() as f64
    }
}
