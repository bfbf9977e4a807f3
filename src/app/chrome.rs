//! The editor's frame around the canvas: menu bar, toolbar, palette, the panels and the
//! legend. Sizes come from [`super::layout`].

use egui::{RichText, Ui};

use crate::analysis::report::number;
use crate::model::KindName;

use super::canvas::{CanvasInputs, Health};
use super::commands::UiCommand;
use super::{APP_NAME, Action, SandboxApp};
use super::{canvas, commands, inspector, layout, plots};

/// A run's clock as hh:mm:ss.
pub(super) fn format_time(s: f64) -> String {
    let s = s.max(0.0) as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// What the colours mean.
pub(super) fn legend(ui: &mut Ui) {
    ui.strong("Legend");
    let dark = ui.visuals().dark_mode;
    for h in Health::ALL {
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 3.0, h.color(dark));
            // Wrapped: an unwrapped row would hold the side panel wider than a small window
            // can give it.
            ui.add(egui::Label::new(h.meaning()).wrap());
        });
    }
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
        ui.painter().rect_stroke(
            rect,
            3.0,
            egui::Stroke::new(2.5, Health::Saturated.color(dark)),
            egui::StrokeKind::Inside,
        );
        ui.add(egui::Label::new("red outline + SPOF badge: a single point of failure").wrap());
    });
    ui.label("dashed outline: some instances down · dashed link: async only · moving dashes: traffic flowing");
    ui.label("link letters: R read, W write, S static, A async; thicker = more requests");
    ui.label("a client reading \"N users · think Z s\": a closed workload, whose users wait for each answer before they think and send again");
    ui.label("a link reading \"retry N/B%\": its sender times out and tries each call up to N times, retries held to B % of first tries (no B: no budget)");
    ui.label("a server reading \"auto N (A–B)\": an autoscaling group, N instances in service now (and those booting), kept between A and B by its target utilization; a queue reading \"consumers auto N (A–B)\": its consumers, scaled the same way");
    ui.label("a link reading \"breaker\": a circuit breaker; drawn grey and broken, \"breaker open\", while it holds calls back (its sender splits them over its other links, or they fail at once)");
}

impl SandboxApp {
    pub(super) fn editor(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        // Each panel can be hidden (View menu, Ctrl+1/2/3) so a small window keeps a canvas;
        // their sizes follow the window's (see `layout`).
        let layout = layout::PanelLayout::for_window(ui.ctx().content_rect().size());
        if self.settings.show_plots && layout.plots_full_width {
            self.plots_panel(ui, &layout);
        }
        if self.settings.show_palette {
            egui::Panel::left("palette")
                .resizable(false)
                .exact_size(layout.palette_width)
                .show(ui, |ui| {
                    // A short window scrolls the palette rather than cut off its last kinds.
                    egui::ScrollArea::vertical()
                        .show(ui, |ui| self.palette(ui, layout.compact_palette, actions));
                });
        }
        if self.settings.show_side_panel {
            egui::Panel::right("inspector")
                .resizable(true)
                .default_size(layout.side_default_width)
                .size_range(160.0..=layout.side_max_width)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        let (nodes, tick_s) =
                            self.runner.with_output(|o| (o.nodes.clone(), o.tick_s));
                        actions.extend(inspector::show(
                            ui,
                            &self.doc.design,
                            (&self.canvas.selection, self.canvas.selected_link),
                            (&nodes, tick_s),
                            &self.prices,
                            &mut self.inspector,
                        ));
                        ui.separator();
                        self.analysis_panel(ui, actions);
                        ui.separator();
                        legend(ui);
                    });
                });
        }
        if self.settings.show_plots && !layout.plots_full_width {
            self.plots_panel(ui, &layout);
        }
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(n) = self.notice.clone() {
                let color = if n.error {
                    ui.visuals().error_fg_color
                } else {
                    ui.visuals().text_color()
                };
                // The button first and the message wrapped in what is left of the row: a long
                // message on one line pushed the button out of sight and widened the canvas
                // over the right panel.
                ui.horizontal(|ui| {
                    if ui
                        .small_button("Dismiss")
                        .on_hover_text("Hide this message")
                        .clicked()
                    {
                        self.notice = None;
                    }
                    ui.add(egui::Label::new(RichText::new(&n.text).color(color)).wrap());
                });
            }
            let (nodes, tick_s, playing, error, open_breakers) = self.runner.with_output(|o| {
                (
                    o.nodes.clone(),
                    o.tick_s,
                    o.playing,
                    o.error.clone(),
                    o.open_breakers.clone(),
                )
            });
            if let Some(e) = error {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("The design cannot run yet: {e}"),
                );
            }
            let inputs = CanvasInputs {
                design: &self.doc.design,
                nodes: &nodes,
                tick_s,
                spofs: &self.analysis.spofs,
                icons: &self.icons,
                playing,
                open_breakers: &open_breakers,
            };
            actions.extend(canvas::show(ui, &mut self.canvas, &inputs));
        });
    }

    pub(super) fn menu_bar(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        let can_undo = self.doc.can_undo();
        let can_redo = self.doc.can_redo();
        let has_selection = !self.canvas.selection.is_empty();
        // In compare mode only what means something there is offered (see `command`).
        let comparing = self.compare.is_some();
        let allowed = |c: UiCommand| !comparing || c.in_compare();
        ui.menu_button("File", |ui| {
            for c in [
                UiCommand::New,
                UiCommand::Open,
                UiCommand::OpenPath,
                UiCommand::Gallery,
            ] {
                if c.button(ui, allowed(c)) {
                    actions.push(Action::Command(c));
                }
            }
            ui.menu_button("Open recent", |ui| {
                if self.settings.recent.is_empty() {
                    ui.weak("No recent files");
                }
                for p in self.settings.recent.clone() {
                    if ui.button(p.display().to_string()).clicked() {
                        actions.push(Action::OpenPath(p));
                        ui.close();
                    }
                }
            });
            ui.separator();
            for c in [UiCommand::Save, UiCommand::SaveAs, UiCommand::SavePath] {
                if c.button(ui, allowed(c)) {
                    actions.push(Action::Command(c));
                }
            }
            ui.separator();
            for c in [UiCommand::ExportPicture, UiCommand::ExportReport] {
                if c.button(ui, allowed(c)) {
                    actions.push(Action::Command(c));
                }
            }
            ui.separator();
            if UiCommand::Quit.button(ui, allowed(UiCommand::Quit)) {
                actions.push(Action::Command(UiCommand::Quit));
            }
        });
        ui.menu_button("Edit", |ui| {
            for (c, enabled) in [
                (UiCommand::Undo, can_undo),
                (UiCommand::Redo, can_redo),
                (UiCommand::Cut, has_selection),
                (UiCommand::Copy, has_selection),
                (UiCommand::Paste, self.canvas.clipboard.is_some()),
                (UiCommand::Duplicate, has_selection),
                (
                    UiCommand::Delete,
                    has_selection || self.canvas.selected_link.is_some(),
                ),
                (UiCommand::SelectAll, true),
                (UiCommand::Connect, self.canvas.selection.len() >= 2),
            ] {
                if c.button(ui, allowed(c) && enabled) {
                    actions.push(Action::Command(c));
                }
            }
        });
        ui.menu_button("View", |ui| {
            for c in [UiCommand::FitView, UiCommand::ZoomIn, UiCommand::ZoomOut] {
                if c.button(ui, allowed(c)) {
                    actions.push(Action::Command(c));
                }
            }
            let mut snap = self.canvas.snap;
            if ui
                .checkbox(&mut snap, UiCommand::ToggleSnap.label())
                .on_hover_text(UiCommand::ToggleSnap.tooltip())
                .changed()
            {
                actions.push(Action::Command(UiCommand::ToggleSnap));
            }
            if UiCommand::ToggleTheme.button(ui, allowed(UiCommand::ToggleTheme)) {
                actions.push(Action::Command(UiCommand::ToggleTheme));
            }
            ui.separator();
            for (c, shown) in [
                (UiCommand::TogglePalette, self.settings.show_palette),
                (UiCommand::ToggleSidePanel, self.settings.show_side_panel),
                (UiCommand::TogglePlots, self.settings.show_plots),
            ] {
                let mut on = shown;
                let mut checkbox = ui.checkbox(&mut on, c.label()).on_hover_text(c.tooltip());
                if let Some(s) = c.shortcut() {
                    checkbox = checkbox.on_hover_text(ui.ctx().format_shortcut(&s));
                }
                if checkbox.changed() && allowed(c) {
                    actions.push(Action::Command(c));
                }
            }
            ui.separator();
            if UiCommand::ShowJourney.button(ui, allowed(UiCommand::ShowJourney)) {
                actions.push(Action::Command(UiCommand::ShowJourney));
            }
        });
        ui.menu_button("Simulation", |ui| {
            for c in [UiCommand::PlayPause, UiCommand::Step, UiCommand::Reset] {
                if c.button(ui, allowed(c)) {
                    actions.push(Action::Command(c));
                }
            }
            ui.separator();
            for c in [UiCommand::FailOne, UiCommand::Recover] {
                if c.button(ui, allowed(c) && has_selection) {
                    actions.push(Action::Command(c));
                }
            }
            ui.separator();
            if UiCommand::CrossCheck.button(ui, allowed(UiCommand::CrossCheck)) {
                actions.push(Action::Command(UiCommand::CrossCheck));
            }
            ui.menu_button("Confidence bands", |ui| {
                ui.label(
                    egui::RichText::new(
                        "Run the scenario again on other seeds in the background and shade\n\
                         each plot's 95 % interval over time (flow engine).",
                    )
                    .weak(),
                );
                if let Some(label) = self.bands.label() {
                    ui.label(label);
                }
                for runs in super::bands::CHOICES {
                    let text = if runs < 2 {
                        "Off".to_string()
                    } else {
                        format!("{runs} runs")
                    };
                    if ui.radio(self.settings.band_runs == runs, text).clicked() {
                        actions.push(Action::SetBandRuns(runs));
                        ui.close();
                    }
                }
            });
        });
        ui.menu_button("Compare", |ui| {
            for c in [
                UiCommand::ScaleUp,
                UiCommand::ScaleOut,
                UiCommand::LoadSweep,
            ] {
                if c.button(ui, allowed(c)) {
                    actions.push(Action::Command(c));
                }
            }
        });
        ui.menu_button("Help", |ui| {
            if ui
                .button("Walk through the primer…")
                .on_hover_text("The example designs as chapters of the story, each with what to notice and claims the app checks on the running design.")
                .clicked()
            {
                self.show_walk = true;
                ui.close();
            }
            ui.separator();
            ui.label(format!("{APP_NAME} {}", env!("CARGO_PKG_VERSION")));
            ui.label("Pan: right or middle drag, or scroll. Zoom: Ctrl + scroll, at the pointer.");
            ui.label("Select: click, Shift/Ctrl-click, or drag a box on empty space.");
            ui.label(
                "Link: drag from a node's right port to another node (or select two and press L).",
            );
            ui.separator();
            ui.strong("Shortcuts");
            // Grouped as the menus are, shortcut and command in aligned columns.
            egui::Grid::new("shortcuts")
                .num_columns(2)
                .spacing([16.0, 2.0])
                .show(ui, |ui| {
                    for group in commands::GROUPS {
                        ui.weak(group);
                        ui.end_row();
                        for c in UiCommand::ALL.into_iter().filter(|c| c.group() == group) {
                            if let Some(s) = c.shortcut() {
                                ui.monospace(ui.ctx().format_shortcut(&s));
                                ui.label(c.label());
                                ui.end_row();
                            }
                        }
                    }
                });
        });
    }

    pub(super) fn plots_panel(&mut self, ui: &mut Ui, layout: &layout::PanelLayout) {
        egui::Panel::bottom("plots")
            .resizable(true)
            .default_size(layout.plots_default_height)
            .size_range(100.0..=layout.plots_max_height)
            .show(ui, |ui| {
                // Only bands made for what runs now (borrowing the field, not the app).
                let current = self.current_bands().is_some();
                let bands = self
                    .bands
                    .result
                    .as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .filter(|_| current);
                plots::show(
                    ui,
                    &mut self.timeline,
                    &self.doc.design,
                    &self.canvas.selection,
                    bands,
                );
            });
    }

    pub(super) fn toolbar(&mut self, ui: &mut Ui, actions: &mut Vec<Action>) {
        let (playing, tick, tick_s, last, error) = self.runner.with_output(|o| {
            (
                o.playing,
                o.tick,
                o.tick_s,
                plots::recent(&self.timeline.history, o.tick_s, 1.0),
                o.error.is_some(),
            )
        });
        // Wrapped, so that in a narrow window the figures go to a second line, not off the edge.
        ui.horizontal_wrapped(|ui| {
            let play = if playing { "Pause" } else { "Play" };
            if ui
                .add_enabled(!error, egui::Button::new(play))
                .on_hover_text(UiCommand::PlayPause.tooltip())
                .clicked()
            {
                actions.push(Action::Command(UiCommand::PlayPause));
            }
            if ui.add_enabled(!error, egui::Button::new("Step")).on_hover_text(UiCommand::Step.tooltip()).clicked() {
                actions.push(Action::Command(UiCommand::Step));
            }
            if ui.button("Reset").on_hover_text(UiCommand::Reset.tooltip()).clicked() {
                actions.push(Action::Command(UiCommand::Reset));
            }
            ui.separator();
            let speed_label = ui.label("Speed").on_hover_text("Simulated seconds per real second.");
            egui::ComboBox::from_id_salt("speed")
                .selected_text(format!("{}×", number(self.settings.speed)))
                .show_ui(ui, |ui| {
                    for s in [1.0, 10.0, 60.0, 300.0, 3600.0] {
                        if ui.selectable_label(self.settings.speed == s, format!("{}×", number(s))).clicked() {
                            actions.push(Action::SetSpeed(s));
                        }
                    }
                })
                .response
                .labelled_by(speed_label.id);
            let scenario_label = ui.label("Scenario");
            egui::ComboBox::from_id_salt("scenario")
                .selected_text(self.scenario.clone())
                .show_ui(ui, |ui| {
                    for s in &self.doc.design.scenarios {
                        if ui
                            .selectable_label(s.name == self.scenario, &s.name)
                            .on_hover_text(&s.description)
                            .clicked()
                        {
                            actions.push(Action::SetScenario(s.name.clone()));
                        }
                    }
                })
                .response
                .labelled_by(scenario_label.id);
            ui.separator();
            let slider_width =
                layout::PanelLayout::for_window(ui.ctx().content_rect().size()).slider_width;
            ui.spacing_mut().slider_width = slider_width;
            // The label, the slider and its "×k = N users" box stay on one row.
            layout::keep_together(ui, slider_width + 210.0);
            let mut load = self.load;
            let users_per_load = self.users() / self.load;
            let load_label = ui.label("Load");
            let slider = egui::Slider::new(&mut load, self.load_range())
                .logarithmic(true)
                .custom_formatter(move |v, _| {
                    format!("×{} = {} users", number(v), number((v * users_per_load).round()))
                });
            if ui
                .add(slider)
                .on_hover_text("Load: a multiple of the design's own users (its clients' Users fields, at the scenario's load multiplier). What runs is their product. Takes effect at once.")
                .labelled_by(load_label.id)
                .changed()
            {
                actions.push(Action::SetLoad(load));
            }
            ui.separator();
            let now_s = tick as f64 * tick_s;
            let end_s = self.current_scenario().map_or(f64::INFINITY, |s| s.duration_s);
            if now_s > end_s {
                // The live run goes on past the scenario's end (its profile holds its last
                // value); the figures of `simulate` stop there, so say where it is.
                ui.label(
                    RichText::new(format!(
                        "t = {} · past the scenario's end ({})",
                        format_time(now_s),
                        format_time(end_s)
                    ))
                    .color(ui.visuals().warn_fg_color),
                )
                .on_hover_text("The scenario ends here; the live run carries on at its last load. Reset (Ctrl+R) starts it again.");
            } else {
                ui.label(format!("t = {}", format_time(now_s)));
            }
            if let Some(t) = last {
                // Red once requests fail, or pile up faster than they complete.
                let piling_up = t.throughput_per_s < 0.98 * t.offered_per_s
                    && t.in_flight > t.offered_per_s;
                let color = if t.success_ratio < 0.999 || piling_up {
                    ui.visuals().error_fg_color
                } else {
                    ui.visuals().text_color()
                };
                // Offered and completed, with the share of ended requests that succeeded and
                // what waits; the latency is of the requests that succeed, which says so once
                // some fail.
                let p99 = if t.success_ratio < 0.999 { "p99 of those ok" } else { "p99" };
                ui.colored_label(
                    color,
                    format!(
                        "{} offered · {} done/s · {:.2} % ok · {} in flight · {p99} {} ms",
                        number(t.offered_per_s),
                        number(t.throughput_per_s),
                        t.success_ratio * 100.0,
                        crate::analysis::report::count(t.in_flight.round().max(0.0) as u64),
                        number(t.latency_ms.p99)
                    ),
                )
                .on_hover_text(
                    "Over the last second: requests offered a second, requests completed end \
                     to end a second, and of the requests that ended (completed or failed) \
                     the share that succeeded; then the requests in flight now (waiting \
                     somewhere, neither done nor failed), and the 99th percentile of the \
                     end-to-end latency of the last ticks' sampled successful requests (at \
                     least 200 of them, at most 120 ticks).",
                );
            }
        });
    }

    pub(super) fn palette(&mut self, ui: &mut Ui, compact: bool, actions: &mut Vec<Action>) {
        if !compact {
            ui.heading("Palette");
            ui.weak("Drag onto the canvas, or click to add in the middle.");
        }
        ui.add_space(4.0);
        let dark = ui.visuals().dark_mode;
        for kind in KindName::ALL {
            // A row that can be clicked (add in the middle) or dragged onto the canvas; in a
            // narrow window the icon alone, named in its tooltip and to screen readers.
            let icon_color = canvas::CanvasColors::for_theme(dark).icon;
            let response = if compact {
                let (rect, response) =
                    ui.allocate_exact_size(egui::vec2(32.0, 32.0), egui::Sense::click_and_drag());
                if response.hovered() {
                    ui.painter()
                        .rect_filled(rect, 4.0, ui.visuals().widgets.hovered.weak_bg_fill);
                }
                self.icons
                    .paint(ui.painter(), kind, rect.shrink(5.0), icon_color);
                response.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::Button, true, kind.label())
                });
                response.on_hover_text(format!("{}: {}", kind.label(), kind.explanation()))
            } else {
                ui.horizontal(|ui| {
                    let (icon, _) =
                        ui.allocate_exact_size(egui::vec2(22.0, 22.0), egui::Sense::hover());
                    self.icons.paint(ui.painter(), kind, icon, icon_color);
                    ui.add(
                        egui::Button::new(kind.label())
                            .frame(false)
                            .sense(egui::Sense::click_and_drag()),
                    )
                })
                .inner
                .on_hover_text(kind.explanation())
            };
            if response.drag_started() {
                egui::DragAndDrop::set_payload(ui.ctx(), kind);
            }
            if response.dragged() {
                ui.ctx().set_cursor_icon(egui::CursorIcon::Grabbing);
                if let Some(p) = ui.ctx().pointer_latest_pos() {
                    egui::Area::new(ui.make_persistent_id("palette-drag"))
                        .fixed_pos(p + egui::vec2(12.0, 12.0))
                        .order(egui::Order::Tooltip)
                        .show(ui.ctx(), |ui| {
                            egui::Frame::popup(ui.style()).show(ui, |ui| {
                                ui.label(format!("Add {}", kind.label().to_lowercase()))
                            });
                        });
                }
            }
            if response.clicked() {
                actions.push(Action::AddKind(kind, None));
            }
            ui.add_space(4.0);
        }
    }
}
