//! The canvas as the user works it: the scene (pan, zoom), selecting, moving, linking from a
//! port, box select and drops from the palette. Returns [`Action`]s; changes no design.

use std::collections::HashMap;

use egui::epaint::CubicBezierShape;
use egui::{
    Color32, CursorIcon, FontId, LayerId, Rect, Sense, Stroke, StrokeKind, Ui, Vec2,
    emath::TSTransform, pos2, vec2,
};

use crate::app::Action;
use crate::app::document::Edit;
use crate::model::{ComponentId, KindName, LinkId};

use super::draw::{CanvasColors, Health, LinkLook, NodeLook, Pen, draw_grid, draw_link, draw_node};
use super::geometry::{NODE_SIZE, link_curve, link_width, nearest_link, node_rect, snapped};
use super::menus::{background_menu, node_menu, node_tooltip};
use super::{CanvasInputs, CanvasState, default_link, link_rate};

/// How far out the canvas zooms: enough to fit a thousand components in view.
const MIN_ZOOM: f32 = 0.02;

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

        let colors = CanvasColors::for_theme(dark);
        draw_grid(&painter, visible, zoom, colors);
        let visuals = ui.visuals().clone();
        let pen = Pen {
            painter: &painter,
            labels: &labels,
            to_screen,
            icons: inputs.icons,
            colors,
            dark,
            visuals: &visuals,
        };

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
        for (link, from, to, l) in design.links() {
            let (Some(&ra), Some(&rb)) = (rects.get(&from), rects.get(&to)) else {
                continue;
            };
            let curve = link_curve(ra, rb);
            if !Rect::from_points(&curve).intersects(visible) {
                continue;
            }
            let rate = rates.get(&link).copied().unwrap_or(0.0);
            let target_health = Health::of(
                inputs.nodes.get(&to),
                design.component(to).map_or(1, |c| c.kind.instances()),
            );
            let look = LinkLook {
                width: link_width(rate, max_rate),
                selected: state.selected_link == Some(link),
                into_trouble: matches!(target_health, Health::Saturated | Health::Down),
                flowing: inputs.playing && rate > 0.0,
                breaker_open: inputs.open_breakers.contains(&link),
            };
            draw_link(&pen, curve, l, look, time);
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
                actions.push(Action::Edit(Edit::Move(moves)));
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
                    actions.push(Action::Edit(Edit::Connect {
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
            let look = NodeLook {
                view: inputs.nodes.get(&id),
                spof: inputs.spofs.contains_key(&id),
                selected: state.is_selected(id),
            };
            draw_node(&pen, rect, component, look);
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
        // A click near a link picks it (within 8 points on screen).
        let picked =
            pointer_scene.and_then(|p| nearest_link(design, &rects, p, 8.0 / to_screen.scaling));
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
    background.context_menu(|ui| background_menu(ui, pointer_scene, &mut actions));
    actions
}
