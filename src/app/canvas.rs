//! The canvas: the design drawn on an `egui::Scene` (pan, zoom to the cursor, fit), with
//! selection, moving, linking by dragging from a port, box select, context menus, drag and
//! drop from the palette, and live figures on every node. It reads the design and the latest
//! simulation output and returns [`Action`]s; it changes nothing itself.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use egui::epaint::CubicBezierShape;
use egui::{
    Align2, Color32, CornerRadius, CursorIcon, FontId, LayerId, Pos2, Rect, Sense, Shape, Stroke,
    StrokeKind, Ui, Vec2, emath::TSTransform, pos2, vec2,
};

use super::Action;
use super::icons::Icons;
use super::runner::NodeView;
use crate::model::design::COMPONENT_FOOTPRINT;
use crate::model::{
    Component, ComponentId, ComponentKind, Design, KindName, Link, LinkId, TrafficClass,
};

/// A node's size on the canvas, in scene units.
pub const NODE_SIZE: Vec2 = vec2(COMPONENT_FOOTPRINT.0, COMPONENT_FOOTPRINT.1);
/// The grid components snap to.
pub const GRID: f32 = 20.0;
/// Below this zoom, nodes are drawn without text and details.
const DETAIL_ZOOM: f32 = 0.35;
/// How far out the canvas zooms: enough to fit a thousand components in view.
const MIN_ZOOM: f32 = 0.02;

/// Copied components and the links among them.
#[derive(Clone, Debug, Default)]
pub struct Clipboard {
    pub components: Vec<Component>,
    pub links: Vec<(usize, usize, Link)>,
}

/// The canvas's view state: camera, selection, gestures in progress. Not part of the design.
#[derive(Debug)]
pub struct CanvasState {
    /// The visible region in scene coordinates.
    pub scene_rect: Rect,
    /// Selected components, in the order they were selected.
    pub selection: Vec<ComponentId>,
    pub selected_link: Option<LinkId>,
    pub snap: bool,
    /// Offset of the selection while it is being dragged.
    drag_offset: Option<Vec2>,
    /// A link being dragged out of this component's port.
    connecting: Option<ComponentId>,
    /// Where a box selection started, in scene coordinates.
    box_start: Option<Pos2>,
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

/// How a node looks from its figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// No traffic.
    Idle,
    /// Below 70 % utilization.
    Ok,
    /// 70 to 90 %.
    Busy,
    /// 90 % or more, or shedding work: the bottleneck colour.
    Saturated,
    /// Every instance down.
    Down,
}

impl Health {
    pub fn of(view: Option<&NodeView>, instances: u32) -> Health {
        let Some(v) = view else {
            return Health::Idle;
        };
        if v.down >= instances && instances > 0 {
            return Health::Down;
        }
        if v.saturated() {
            return Health::Saturated;
        }
        if v.tick.arrived_total() == 0 && v.tick.backlog == 0 {
            return Health::Idle;
        }
        if v.tick.utilization >= 0.7 {
            Health::Busy
        } else {
            Health::Ok
        }
    }

    /// The colour of the state.
    pub fn color(self, dark: bool) -> Color32 {
        match self {
            Health::Idle => {
                if dark {
                    Color32::from_gray(110)
                } else {
                    Color32::from_gray(150)
                }
            }
            Health::Ok => Color32::from_rgb(63, 185, 80),
            Health::Busy => Color32::from_rgb(214, 158, 40),
            Health::Saturated => Color32::from_rgb(235, 72, 60),
            // Its own look, not a darker red: slate, with the node hatched (see `draw_node`).
            Health::Down => Color32::from_rgb(96, 104, 128),
        }
    }

    /// What the colour means, for the legend.
    pub fn meaning(self) -> &'static str {
        match self {
            Health::Idle => "no traffic",
            Health::Ok => "busy below 70 %",
            Health::Busy => "busy 70–90 %",
            Health::Saturated => "saturated (≥ 90 % busy) or shedding work",
            Health::Down => "every instance down",
        }
    }

    pub const ALL: [Health; 5] = [
        Health::Idle,
        Health::Ok,
        Health::Busy,
        Health::Saturated,
        Health::Down,
    ];
}

/// A node's second line: its instances and size, and how many are up when some are down
/// ("6 of 7 up × large").
pub fn instances_text(component: &Component, down: u32) -> String {
    let instances = component.kind.instances();
    let what = match component.kind.size() {
        Some(s) => s.to_string(),
        None => component.kind.name().label().to_lowercase(),
    };
    if down > 0 {
        format!(
            "{} of {instances} up × {what}",
            instances.saturating_sub(down)
        )
    } else if component.kind.size().is_some() || instances > 1 {
        format!("{instances} × {what}")
    } else {
        component.kind.name().label().to_string()
    }
}

/// The part of segment a–b inside `rect` (Liang–Barsky), if any.
fn clip_segment(a: Pos2, b: Pos2, rect: Rect) -> Option<(Pos2, Pos2)> {
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

/// What the canvas reads.
pub struct CanvasInputs<'a> {
    pub design: &'a Design,
    pub nodes: &'a HashMap<ComponentId, NodeView>,
    pub tick_s: f64,
    /// Single points of failure, with why.
    pub spofs: &'a BTreeMap<ComponentId, String>,
    pub icons: &'a Icons,
    /// Animate the flow on links.
    pub playing: bool,
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

/// The bezier from a source's port to a target's input.
fn link_curve(from: Rect, to: Rect) -> [Pos2; 4] {
    let a = from.right_center();
    let b = to.left_center();
    let reach = ((b.x - a.x).abs() * 0.5).max(60.0);
    [a, a + vec2(reach, 0.0), b - vec2(reach, 0.0), b]
}

fn distance_to_polyline(p: Pos2, points: &[Pos2]) -> f32 {
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

/// Draw the canvas and collect what the user did.
pub fn show(ui: &mut Ui, state: &mut CanvasState, inputs: &CanvasInputs) -> Vec<Action> {
    let mut actions = Vec::new();
    let design = inputs.design;
    if state.fit_requested || !state.scene_rect.is_positive() {
        state.fit(design);
        state.fit_requested = false;
    }
    let dark = ui.visuals().dark_mode;
    let parent_layer = ui.layer_id();
    let text_layer = LayerId::new(parent_layer.order, ui.make_persistent_id("canvas-labels"));
    let canvas_screen_rect = ui.available_rect_before_wrap();
    state.screen_rect = canvas_screen_rect;
    let modifiers = ui.input(|i| i.modifiers);
    let time = ui.input(|i| i.time);
    let mut scene_rect = state.scene_rect;

    let scene = egui::Scene::new()
        .zoom_range(MIN_ZOOM..=4.0)
        .max_inner_size([1.0e6, 1.0e6])
        .drag_pan_buttons(egui::DragPanButtons::MIDDLE | egui::DragPanButtons::SECONDARY);
    let response = scene.show(ui, &mut scene_rect, |ui| {
        let to_screen = ui
            .ctx()
            .layer_transform_to_global(ui.layer_id())
            .unwrap_or(TSTransform::IDENTITY);
        state.to_screen = to_screen;
        let zoom = to_screen.scaling;
        let visible = to_screen.inverse() * canvas_screen_rect;
        let painter = ui.painter().clone();
        let labels = ui
            .ctx()
            .layer_painter(text_layer)
            .with_clip_rect(canvas_screen_rect);
        let pointer_scene = ui
            .input(|i| i.pointer.latest_pos())
            .map(|p| to_screen.inverse() * p);

        draw_grid(&painter, visible, zoom, dark);

        // Where each node is drawn (the selection follows a drag).
        let offset = state.drag_offset.unwrap_or(Vec2::ZERO);
        let rects: HashMap<ComponentId, Rect> = design
            .components()
            .map(|(id, c)| {
                let r = node_rect(c.position);
                (
                    id,
                    if state.is_selected(id) {
                        r.translate(offset)
                    } else {
                        r
                    },
                )
            })
            .collect();

        // Links first, under the nodes.
        let rates: HashMap<LinkId, f64> = design
            .links()
            .map(|(l, ..)| (l, link_rate(design, inputs.nodes, inputs.tick_s, l)))
            .collect();
        let max_rate = rates.values().copied().fold(1.0, f64::max);
        let detailed = zoom >= DETAIL_ZOOM;
        for (link, from, to, l) in design.links() {
            let (Some(&ra), Some(&rb)) = (rects.get(&from), rects.get(&to)) else {
                continue;
            };
            let curve = link_curve(ra, rb);
            let bounds = Rect::from_points(&curve);
            if !bounds.intersects(visible) {
                continue;
            }
            let rate = rates.get(&link).copied().unwrap_or(0.0);
            let target_health = Health::of(
                inputs.nodes.get(&to),
                design.component(to).map_or(1, |c| c.kind.instances()),
            );
            let red = matches!(target_health, Health::Saturated | Health::Down);
            let base = if dark {
                Color32::from_gray(120)
            } else {
                Color32::from_gray(140)
            };
            let color = if state.selected_link == Some(link) {
                ui.visuals().selection.stroke.color
            } else if red {
                Health::Saturated.color(dark)
            } else {
                base
            };
            let width = 1.5 + 5.0 * ((1.0 + rate).ln() / (1.0 + max_rate).ln()) as f32;
            let stroke = Stroke::new(width, color);
            if !detailed {
                // Level of detail: from afar a link is a straight line whose thickness is its
                // traffic; curves, arrow heads and moving dashes would be a pixel or two.
                painter.line_segment([curve[0], curve[3]], stroke);
                continue;
            }
            let async_only = l.is_async_only();
            let shape =
                CubicBezierShape::from_points_stroke(curve, false, Color32::TRANSPARENT, stroke);
            if async_only || (inputs.playing && rate > 0.0) {
                let points = shape.flatten(Some(0.5));
                let phase = if inputs.playing && rate > 0.0 {
                    (time * 40.0) as f32 % 16.0
                } else {
                    0.0
                };
                let (dash, gap) = if async_only { (6.0, 6.0) } else { (10.0, 6.0) };
                if !async_only {
                    painter.add(Shape::line(
                        points.clone(),
                        Stroke::new(width, color.gamma_multiply(0.35)),
                    ));
                }
                painter.extend(Shape::dashed_line_with_offset(
                    &points,
                    stroke,
                    &[dash],
                    &[gap],
                    -phase,
                ));
            } else {
                painter.add(shape);
            }
            // Arrow head at the target.
            let tip = curve[3];
            let head = 7.0 + width;
            painter.add(Shape::convex_polygon(
                vec![
                    tip,
                    tip - vec2(head, head * 0.55),
                    tip - vec2(head, -head * 0.55),
                ],
                color,
                Stroke::NONE,
            ));
            // The classes it carries, at its middle.
            let mid =
                CubicBezierShape::from_points_stroke(curve, false, Color32::TRANSPARENT, stroke)
                    .sample(0.5);
            let classes: Vec<&str> = l
                .carries
                .iter()
                .map(|c| match c {
                    TrafficClass::Read => "R",
                    TrafficClass::Write => "W",
                    TrafficClass::Static => "S",
                    TrafficClass::Async => "A",
                    TrafficClass::Session => "sess",
                })
                .collect();
            let mut text = classes.join(" ");
            if l.calls_per_request != 1.0 {
                text.push_str(&format!(" ×{}", l.calls_per_request));
            }
            labels.text(
                to_screen * (mid - vec2(0.0, 8.0)),
                Align2::CENTER_BOTTOM,
                text,
                FontId::proportional((10.0 * zoom).clamp(8.0, 18.0)),
                ui.visuals().weak_text_color(),
            );
        }

        // The nodes.
        let mut hovered_node = None;
        for (id, component) in design.components() {
            let rect = rects[&id];
            if !rect.expand(20.0).intersects(visible) {
                continue;
            }
            let node_id = ui.make_persistent_id(("node", id.index()));
            let response = ui.interact(rect, node_id, Sense::click_and_drag());
            let port = Rect::from_center_size(rect.right_center(), vec2(16.0, 16.0));
            let port_response = ui
                .interact(
                    port,
                    ui.make_persistent_id(("port", id.index())),
                    Sense::drag(),
                )
                .on_hover_cursor(CursorIcon::Crosshair)
                .on_hover_text("Drag to another component to link them");
            if response.hovered() || port_response.hovered() {
                hovered_node = Some(id);
            }
            // Selecting and moving.
            if response.clicked() {
                if modifiers.shift || modifiers.command {
                    if let Some(at) = state.selection.iter().position(|s| *s == id) {
                        state.selection.remove(at);
                    } else {
                        state.selection.push(id);
                    }
                } else {
                    state.select_only([id]);
                }
                state.selected_link = None;
            }
            if response.drag_started_by(egui::PointerButton::Primary) {
                if !state.is_selected(id) {
                    state.select_only([id]);
                }
                state.drag_offset = Some(Vec2::ZERO);
            }
            if response.dragged_by(egui::PointerButton::Primary)
                && let Some(o) = &mut state.drag_offset
            {
                *o += response.drag_delta();
            }
            if response.drag_stopped()
                && let Some(o) = state.drag_offset.take()
                && o != Vec2::ZERO
            {
                let moves = state
                    .selection
                    .iter()
                    .filter_map(|s| {
                        let c = design.component(*s)?;
                        let p = pos2(c.position.0, c.position.1) + o;
                        Some((*s, if state.snap { snapped(p) } else { (p.x, p.y) }))
                    })
                    .collect();
                actions.push(Action::Edit(super::document::Edit::Move(moves)));
            }
            // Linking from the port.
            if port_response.drag_started() {
                state.connecting = Some(id);
            }
            if port_response.drag_stopped()
                && let (Some(from), Some(p)) = (state.connecting.take(), pointer_scene)
            {
                let target = rects
                    .iter()
                    .find(|(t, r)| **t != from && r.contains(p))
                    .map(|(t, _)| *t);
                if let Some(to) = target {
                    actions.push(Action::Edit(super::document::Edit::Connect {
                        from,
                        to,
                        link: default_link(design, from, to),
                    }));
                }
            }
            response.context_menu(|ui| node_menu(ui, id, component, inputs, &mut actions));
            if state.drag_offset.is_none() && state.connecting.is_none() {
                response.on_hover_ui(|ui| {
                    node_tooltip(
                        ui,
                        component,
                        inputs.nodes.get(&id).map(|v| (v, inputs.tick_s)),
                        inputs.spofs.get(&id),
                    )
                });
            }
            draw_node(
                &painter,
                &labels,
                to_screen,
                rect,
                component,
                inputs.nodes.get(&id),
                inputs.spofs.contains_key(&id),
                state.is_selected(id),
                inputs.icons,
                dark,
                ui.visuals(),
            );
        }

        // A link being drawn.
        if let (Some(from), Some(p)) = (state.connecting, pointer_scene)
            && let Some(&ra) = rects.get(&from)
        {
            let target = Rect::from_center_size(p, vec2(1.0, 1.0));
            let curve = link_curve(ra, target);
            painter.add(CubicBezierShape::from_points_stroke(
                curve,
                false,
                Color32::TRANSPARENT,
                Stroke::new(2.0, ui.visuals().selection.stroke.color),
            ));
        }

        // A box being drawn.
        if let (Some(start), Some(p)) = (state.box_start, pointer_scene) {
            let r = Rect::from_two_pos(start, p);
            painter.rect(
                r,
                2.0,
                ui.visuals().selection.bg_fill.gamma_multiply(0.25),
                Stroke::new(1.0, ui.visuals().selection.stroke.color),
                StrokeKind::Inside,
            );
        }
        let _ = hovered_node;
        (rects, pointer_scene, to_screen)
    });
    state.scene_rect = scene_rect;
    // The labels sit directly above the scene's layer (registered after it, so above it).
    ui.ctx().set_sublayer(parent_layer, text_layer);
    let (rects, pointer_scene, to_screen) = response.inner;
    let background = response.response;
    // The zoom level, in the corner: scroll pans, Ctrl + scroll zooms (the Help says so).
    ui.ctx()
        .layer_painter(text_layer)
        .with_clip_rect(canvas_screen_rect)
        .text(
            canvas_screen_rect.right_bottom() - Vec2::new(8.0, 6.0),
            egui::Align2::RIGHT_BOTTOM,
            format!("{:.0} %", to_screen.scaling * 100.0),
            FontId::proportional(12.0),
            ui.visuals().weak_text_color(),
        );

    // Background: click to deselect (or pick a link), drag to box-select, right-click menu.
    if background.clicked() {
        let picked = pointer_scene.and_then(|p| {
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
                    (d <= 8.0 / to_screen.scaling).then_some((l, d))
                })
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(l, _)| l)
        });
        state.selection.clear();
        state.selected_link = picked;
    }
    if background.drag_started_by(egui::PointerButton::Primary) {
        state.box_start = pointer_scene;
    }
    if background.drag_stopped()
        && let (Some(start), Some(end)) = (state.box_start.take(), pointer_scene)
    {
        let r = Rect::from_two_pos(start, end);
        let inside: Vec<ComponentId> = rects
            .iter()
            .filter(|(_, nr)| nr.intersects(r))
            .map(|(id, _)| *id)
            .collect();
        if !modifiers.shift {
            state.selection.clear();
        }
        for id in inside {
            if !state.is_selected(id) {
                state.selection.push(id);
            }
        }
        state.selected_link = None;
    }
    if let Some(kind) = background.dnd_release_payload::<KindName>()
        && let Some(p) = pointer_scene
    {
        actions.push(Action::AddKind(*kind, Some(p - NODE_SIZE / 2.0)));
    }
    let menu_at = pointer_scene;
    background.context_menu(|ui| {
        ui.menu_button("Add here", |ui| {
            for kind in KindName::ALL {
                if ui
                    .button(kind.label())
                    .on_hover_text(kind.explanation())
                    .clicked()
                {
                    actions.push(Action::AddKind(kind, menu_at.map(|p| p - NODE_SIZE / 2.0)));
                    ui.close();
                }
            }
        });
        for command in [
            super::commands::UiCommand::Paste,
            super::commands::UiCommand::SelectAll,
            super::commands::UiCommand::FitView,
        ] {
            if command.button(ui, true) {
                actions.push(Action::Command(command));
            }
        }
    });
    actions
}

fn draw_grid(painter: &egui::Painter, visible: Rect, zoom: f32, dark: bool) {
    if zoom < 0.3 {
        return;
    }
    let step = GRID * 5.0;
    let color = if dark {
        Color32::from_gray(48)
    } else {
        Color32::from_gray(222)
    };
    let x0 = (visible.min.x / step).floor() as i64;
    let x1 = (visible.max.x / step).ceil() as i64;
    let y0 = (visible.min.y / step).floor() as i64;
    let y1 = (visible.max.y / step).ceil() as i64;
    if (x1 - x0) * (y1 - y0) > 40_000 {
        return;
    }
    for x in x0..=x1 {
        for y in y0..=y1 {
            painter.circle_filled(
                pos2(x as f32 * step, y as f32 * step),
                1.2 / zoom.max(0.5),
                color,
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_node(
    painter: &egui::Painter,
    labels: &egui::Painter,
    to_screen: TSTransform,
    rect: Rect,
    component: &Component,
    view: Option<&NodeView>,
    spof: bool,
    selected: bool,
    icons: &Icons,
    dark: bool,
    visuals: &egui::Visuals,
) {
    let instances = component.kind.instances();
    let health = Health::of(view, instances);
    let status = health.color(dark);
    let zoom = to_screen.scaling;
    let base = if dark {
        Color32::from_rgb(38, 42, 48)
    } else {
        Color32::from_rgb(250, 250, 252)
    };
    let fill = match health {
        Health::Saturated => base.lerp_to_gamma(status, 0.35),
        Health::Down => base.lerp_to_gamma(status, 0.45),
        _ => base,
    };
    if zoom < DETAIL_ZOOM {
        draw_node_from_afar(
            painter, rect, fill, status, view, spof, selected, dark, visuals,
        );
        return;
    }
    let radius = CornerRadius::same(10);
    painter.rect(
        rect,
        radius,
        fill,
        Stroke::new(1.0, status.gamma_multiply(0.8)),
        StrokeKind::Inside,
    );
    if spof {
        painter.rect_stroke(
            rect.expand(3.0),
            radius,
            Stroke::new(3.0, Health::Saturated.color(dark)),
            StrokeKind::Outside,
        );
    }
    if selected {
        painter.rect_stroke(
            rect.expand(6.0),
            radius,
            Stroke::new(2.0, visuals.selection.stroke.color),
            StrokeKind::Outside,
        );
    }
    if health == Health::Down {
        // Hatched: every instance is down (a saturated node is filled red, not hatched).
        let step = 14.0;
        let mut x = rect.left() - rect.height();
        while x < rect.right() {
            let (a, b) = (pos2(x, rect.bottom()), pos2(x + rect.height(), rect.top()));
            let clipped = clip_segment(a, b, rect.shrink(2.0));
            if let Some((a, b)) = clipped {
                painter.line_segment([a, b], Stroke::new(1.5, status.gamma_multiply(0.7)));
            }
            x += step;
        }
    }
    let partly_down = view.is_some_and(|v| v.down > 0 && v.down < instances);
    if partly_down {
        // Inside the node, clear of the single-point-of-failure outline around it.
        let r = rect.shrink(4.0);
        let corners = [
            r.left_top(),
            r.right_top(),
            r.right_bottom(),
            r.left_bottom(),
            r.left_top(),
        ];
        painter.extend(Shape::dashed_line(
            &corners,
            Stroke::new(2.5, Health::Down.color(dark)),
            6.0,
            4.0,
        ));
    }
    // Icon and status strip.
    let icon_rect = Rect::from_min_size(rect.min + vec2(10.0, 10.0), vec2(28.0, 28.0));
    icons.paint(
        painter,
        component.kind.name(),
        icon_rect,
        if dark {
            Color32::from_gray(215)
        } else {
            Color32::from_gray(60)
        },
    );
    // Utilization bar along the bottom.
    if let Some(v) = view {
        let bar = Rect::from_min_max(
            rect.left_bottom() + vec2(10.0, -12.0),
            rect.right_bottom() + vec2(-10.0, -7.0),
        );
        painter.rect_filled(
            bar,
            2.0,
            if dark {
                Color32::from_gray(60)
            } else {
                Color32::from_gray(220)
            },
        );
        let filled = Rect::from_min_size(
            bar.min,
            vec2(
                bar.width() * v.tick.utilization.clamp(0.0, 1.0) as f32,
                bar.height(),
            ),
        );
        painter.rect_filled(filled, 2.0, status);
    }
    // Input and output ports.
    let port_color = if dark {
        Color32::from_gray(160)
    } else {
        Color32::from_gray(110)
    };
    if component.kind.name() != KindName::Client {
        painter.circle_filled(rect.left_center(), 4.0, port_color);
    }
    if component.kind.name() != KindName::Database {
        painter.circle_stroke(rect.right_center(), 5.0, Stroke::new(2.0, port_color));
    }
    // Text, in screen space so it stays crisp at any zoom, never smaller than can be read:
    // lines that would not fit at a readable size are left out (the hover card has them all).
    let text_color = visuals.strong_text_color();
    let layout = NodeTextLayout::at(zoom);
    let screen = to_screen * rect;
    let left = screen.left() + NODE_TEXT_LEFT * zoom;
    let width = screen.right() - NODE_TEXT_RIGHT_PAD * zoom - left;
    if spof {
        // The badge on the top edge, in screen space like the text: sized to its text, which
        // is never below the readable least, and the name stops short of it.
        let text = labels.layout_no_wrap(
            "SPOF".into(),
            FontId::proportional((10.0 * zoom).max(NODE_TEXT_MIN_PX - 1.0)),
            Color32::WHITE,
        );
        let size = (vec2(40.0, 16.0) * zoom).max(text.size() + vec2(10.0, 3.0));
        // On the top edge; when zoomed out, raised until it clears the name.
        let name_top = screen.top() + layout.name.map_or(0.0, |l| l.top_px);
        let centre_y = (screen.top() - zoom).min(name_top - 1.0 - size.y / 2.0);
        let badge = Rect::from_center_size(
            pos2(screen.right() - 4.0 * zoom - size.x / 2.0, centre_y),
            size,
        );
        labels.rect_filled(badge, size.y / 2.0, Health::Saturated.color(dark));
        labels.galley(badge.center() - text.size() / 2.0, text, Color32::WHITE);
    }
    let line = |text: String, at: TextLine, color: Color32| {
        let mut job =
            egui::text::LayoutJob::simple_singleline(text, FontId::proportional(at.size_px), color);
        job.wrap = egui::text::TextWrapping::truncate_at_width(width);
        let galley = labels.layout_job(job);
        labels.galley(pos2(left, screen.top() + at.top_px), galley, color);
    };
    if let Some(at) = layout.name {
        line(component.name.clone(), at, text_color);
    }
    if let Some(at) = layout.instances {
        line(
            instances_text(component, view.map_or(0, |v| v.down)),
            at,
            visuals.text_color(),
        );
    }
    if let (Some(v), Some(at)) = (view, layout.figures) {
        let figures = if health == Health::Down {
            "DOWN".to_string()
        } else if component.kind.name() == KindName::Client {
            format!("{} /s", crate::analysis::report::number(rate_per_s(v)))
        } else {
            format!(
                "{} /s · {:.0} %",
                crate::analysis::report::number(rate_per_s(v)),
                v.tick.utilization * 100.0
            )
        };
        line(figures, at, text_color);
    }
}

/// The smallest text a node's labels are drawn at, in screen pixels.
pub const NODE_TEXT_MIN_PX: f32 = 11.0;
/// Where a node's text starts (right of its icon) and how far it keeps from the right edge, in
/// scene units.
const NODE_TEXT_LEFT: f32 = 46.0;
const NODE_TEXT_RIGHT_PAD: f32 = 8.0;

/// One line of a node's text: its top, in screen pixels below the node's top, and its size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextLine {
    pub top_px: f32,
    pub size_px: f32,
}

/// Which of a node's three lines of text (name; instances; rate and utilization) are drawn at
/// a zoom, and where. Text scales with the zoom but never below [`NODE_TEXT_MIN_PX`]; when
/// zoomed out so far that the lines would not fit above the utilization bar at that size, the
/// figures go first, then the instances (compare mode's fitted canvases used to show 7 px text).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeTextLayout {
    pub name: Option<TextLine>,
    pub instances: Option<TextLine>,
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

/// A node seen from afar (level of detail below [`DETAIL_ZOOM`]): a few pixels wide, so its
/// health colour, utilization bar, SPOF outline and selection are all that can be seen; text,
/// icon and ports would only cost time.
#[allow(clippy::too_many_arguments)]
fn draw_node_from_afar(
    painter: &egui::Painter,
    rect: Rect,
    fill: Color32,
    status: Color32,
    view: Option<&NodeView>,
    spof: bool,
    selected: bool,
    dark: bool,
    visuals: &egui::Visuals,
) {
    painter.rect(
        rect,
        CornerRadius::ZERO,
        fill,
        Stroke::new(2.0, status),
        StrokeKind::Inside,
    );
    if let Some(v) = view {
        let bar = Rect::from_min_max(
            rect.left_bottom() + vec2(0.0, -20.0),
            rect.left_bottom()
                + vec2(
                    rect.width() * v.tick.utilization.clamp(0.0, 1.0) as f32,
                    0.0,
                ),
        );
        painter.rect_filled(bar, CornerRadius::ZERO, status);
    }
    if spof {
        painter.rect_stroke(
            rect.expand(8.0),
            CornerRadius::ZERO,
            Stroke::new(8.0, Health::Saturated.color(dark)),
            StrokeKind::Outside,
        );
    }
    if selected {
        painter.rect_stroke(
            rect.expand(20.0),
            CornerRadius::ZERO,
            Stroke::new(8.0, visuals.selection.stroke.color),
            StrokeKind::Outside,
        );
    }
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

/// The right-click menu of a node.
fn node_menu(
    ui: &mut Ui,
    id: ComponentId,
    component: &Component,
    inputs: &CanvasInputs,
    actions: &mut Vec<Action>,
) {
    let instances = component.kind.instances();
    let down = inputs.nodes.get(&id).map_or(0, |v| v.down);
    let fails = component.kind.reliability().is_some();
    if ui
        .add_enabled(
            fails && down < instances,
            egui::Button::new("Fail one instance"),
        )
        .on_hover_text("Take one instance down now; balancers notice after their health checks.")
        .clicked()
    {
        actions.push(Action::Fail(id, Some(1)));
        ui.close();
    }
    if ui
        .add_enabled(
            fails && down < instances,
            egui::Button::new("Fail all instances"),
        )
        .on_hover_text("Take the whole component down now.")
        .clicked()
    {
        actions.push(Action::Fail(id, None));
        ui.close();
    }
    if ui
        .add_enabled(down > 0, egui::Button::new("Recover"))
        .on_hover_text("Bring every down instance back (a cache comes back cold).")
        .clicked()
    {
        actions.push(Action::Recover(id));
        ui.close();
    }
    ui.separator();
    for command in [
        super::commands::UiCommand::Copy,
        super::commands::UiCommand::Duplicate,
        super::commands::UiCommand::Delete,
    ] {
        if command.button(ui, true) {
            actions.push(Action::SelectThen(id, command));
        }
    }
}

/// The hover card of a node: what it is, what it is doing, and why it is red.
fn node_tooltip(
    ui: &mut Ui,
    component: &Component,
    view: Option<(&NodeView, f64)>,
    spof: Option<&String>,
) {
    use crate::analysis::report::number;
    let kind = component.kind.name();
    ui.strong(format!("{} — {}", component.name, kind.label()));
    ui.label(kind.explanation());
    let Some((v, tick_s)) = view else {
        return;
    };
    ui.separator();
    let t = &v.tick;
    let per_s = |count: u64| number(count as f64 / tick_s);
    ui.label(format!(
        "{} requests/s arriving (expected {}/s), {}/s served, {} dropped this tick",
        per_s(t.arrived_total()),
        number(t.rate_in_per_s.iter().sum()),
        per_s(t.served_total()),
        crate::analysis::report::count(t.dropped_total())
    ));
    if t.capacity_per_s > 0.0 {
        ui.label(format!(
            "utilization {:.0} % of {} requests/s capacity; {} waiting",
            t.utilization * 100.0,
            number(t.capacity_per_s),
            crate::analysis::report::count(t.backlog)
        ));
    }
    if kind != KindName::Client {
        ui.label(format!(
            "latency here: mean {} ms, p99 {} ms (queueing model at the expected rate)",
            number(v.latency_mean_ms),
            number(v.latency_p99_ms)
        ));
    }
    if let Some(h) = t.hit_ratio {
        ui.label(format!("hit ratio {:.1} %", h * 100.0));
    }
    if v.down > 0 {
        ui.colored_label(
            Health::Down.color(ui.visuals().dark_mode),
            format!(
                "{} of {} instances down",
                v.down,
                component.kind.instances()
            ),
        );
    }
    let red = Health::Saturated.color(ui.visuals().dark_mode);
    if t.utilization >= crate::sim::report::SATURATED_UTILIZATION {
        ui.colored_label(
            red,
            format!(
                "Red: saturated — {:.0} % busy (90 % or more means requests queue up fast).",
                t.utilization * 100.0
            ),
        );
    }
    if t.overflow_dropped > 0 {
        ui.colored_label(
            red,
            format!(
                "Red: shedding {} requests this tick for lack of capacity.",
                number(t.overflow_dropped as f64)
            ),
        );
    }
    if let Some(why) = spof {
        ui.colored_label(red, format!("Single point of failure: {why}"));
    }
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
