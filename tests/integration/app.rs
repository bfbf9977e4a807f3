//! The real app, driven without a mouse through egui_kittest: the accessibility tree finds
//! buttons and fields by their labels, the keyboard does the rest.

use archsandbox::analysis::compare::Better;
use archsandbox::app::canvas::Health;
use archsandbox::app::{Action, SandboxApp, StartOptions};
use archsandbox::model::{ComponentKind, KindName, to_ron};
use egui::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use crate::root;

fn app_with(start: StartOptions) -> Harness<'static, SandboxApp> {
    app_sized(start, egui::vec2(1440.0, 900.0))
}

fn app_sized(start: StartOptions, size: egui::Vec2) -> Harness<'static, SandboxApp> {
    let mut harness = Harness::builder()
        .with_size(size)
        .with_max_steps(200)
        .build_eframe(move |cc| SandboxApp::for_tests(&cc.egui_ctx, start));
    harness.run_steps(3);
    harness
}

fn app() -> Harness<'static, SandboxApp> {
    app_with(StartOptions::default())
}

/// Press a shortcut and let the app handle it.
fn press(harness: &mut Harness<'_, SandboxApp>, modifiers: Modifiers, key: Key) {
    harness.key_press_modifiers(modifiers, key);
    harness.run_steps(2);
}

fn click_button(harness: &mut Harness<'_, SandboxApp>, label: &str) {
    harness.get_by_role_and_label(Role::Button, label).click();
    harness.run_steps(2);
}

fn id_of(harness: &Harness<'_, SandboxApp>, name: &str) -> archsandbox::model::ComponentId {
    harness
        .state()
        .doc
        .design
        .find(name)
        .unwrap_or_else(|| panic!("no component {name}"))
}

#[test]
fn the_app_opens_on_the_viral_restaurant() {
    let harness = app();
    assert!(
        harness
            .state()
            .window_title()
            .starts_with("Architecture Sandbox — The viral restaurant")
    );
    assert_eq!(harness.state().doc.design.component_count(), 9);
}

#[test]
fn components_added_from_the_palette_can_be_linked_and_edited() {
    let mut harness = app();
    press(&mut harness, Modifiers::COMMAND, Key::N);
    assert_eq!(harness.state().doc.design.component_count(), 0);
    for kind in ["Client", "Server", "Database"] {
        click_button(&mut harness, kind);
    }
    assert_eq!(harness.state().doc.design.component_count(), 3);
    // Select all (in the order they were added) and link them in a chain.
    press(&mut harness, Modifiers::COMMAND, Key::A);
    press(&mut harness, Modifiers::NONE, Key::L);
    assert_eq!(harness.state().doc.design.graph.edge_count(), 2);
    // Edit the server's instances in the inspector.
    let server = id_of(&harness, "server");
    harness.state_mut().canvas.select_only([server]);
    harness.run_steps(2);
    harness.get_by_label("Instances").set_value_accesskit(3.0);
    harness.run_steps(3);
    let instances = harness
        .state()
        .doc
        .design
        .component(server)
        .map(|c| c.kind.instances());
    assert_eq!(instances, Some(3));
    assert!(harness.state().doc.dirty);
    assert!(
        harness.state().window_title().ends_with('•'),
        "{}",
        harness.state().window_title()
    );
}

#[test]
fn an_invalid_value_is_refused_where_it_is_typed_with_the_reason() {
    let mut harness = app();
    let kitchen = id_of(&harness, "kitchen");
    harness.state_mut().canvas.select_only([kitchen]);
    harness.run_steps(2);
    harness
        .get_by_label("Service time")
        .set_value_accesskit(-5.0);
    harness.run_steps(3);
    let service = match harness
        .state()
        .doc
        .design
        .component(kitchen)
        .map(|c| &c.kind)
    {
        Some(ComponentKind::Server(p)) => p.service_time_ms,
        _ => panic!("kitchen is a server"),
    };
    assert_eq!(service, 11.0, "the negative time was applied");
    let refused = harness.get_by_label_contains("Refused:");
    assert!(refused.value().is_none() || refused.rect().width() > 0.0);
    // Issue 15, item 10: the refusal names the field as the inspector shows it, not the
    // file's `service_time_ms`.
    harness.get_by_label_contains("Service time must");
    assert!(harness.query_by_label_contains("service_time_ms").is_none());
    assert!(!harness.state().doc.dirty);
    // Selecting something else and coming back, the refusal is gone.
    let pantry = id_of(&harness, "pantry");
    harness.state_mut().canvas.select_only([pantry]);
    harness.run_steps(2);
    harness.state_mut().canvas.select_only([kitchen]);
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("Refused:").is_none());
}

#[test]
fn running_ticks_marks_the_saturated_component_red() {
    let mut harness = app();
    for _ in 0..30 {
        click_button(&mut harness, "Step");
    }
    let kitchen = id_of(&harness, "kitchen");
    let view = harness
        .state()
        .runner
        .with_output(|o| o.nodes.get(&kitchen).copied());
    let view = view.expect("the kitchen has figures after 30 ticks");
    assert!(
        view.saturated(),
        "kitchen utilization {}",
        view.tick.utilization
    );
    assert_eq!(Health::of(Some(&view), 7), Health::Saturated);
    // The ladder names the first bottleneck; clicking it selects it.
    harness.get_by_label_contains("breaks first at").click();
    harness.run_steps(2);
    let back_office = id_of(&harness, "back office");
    assert_eq!(harness.state().canvas.selection, vec![back_office]);
}

#[test]
fn a_failed_instance_goes_down_and_recovers() {
    let mut harness = app();
    click_button(&mut harness, "Step");
    let pantry = id_of(&harness, "pantry");
    harness.state_mut().canvas.select_only([pantry]);
    harness.run_steps(2);
    click_button(&mut harness, "Simulation");
    click_button(&mut harness, "Fail one instance");
    click_button(&mut harness, "Step");
    let down = harness
        .state()
        .runner
        .with_output(|o| o.nodes.get(&pantry).map(|n| n.down));
    assert_eq!(down, Some(1));
    click_button(&mut harness, "Simulation");
    click_button(&mut harness, "Recover");
    click_button(&mut harness, "Step");
    let down = harness
        .state()
        .runner
        .with_output(|o| o.nodes.get(&pantry).map(|n| n.down));
    assert_eq!(down, Some(0));
}

#[test]
fn undo_and_redo_walk_back_and_forth_through_edits() {
    let mut harness = app();
    let before = harness.state().doc.design.component_count();
    click_button(&mut harness, "Cache");
    assert_eq!(harness.state().doc.design.component_count(), before + 1);
    press(&mut harness, Modifiers::COMMAND, Key::Z);
    assert_eq!(harness.state().doc.design.component_count(), before);
    press(&mut harness, Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    assert_eq!(harness.state().doc.design.component_count(), before + 1);
    // Deleting the new component is undoable too.
    let cache = id_of(&harness, "cache");
    harness.state_mut().canvas.select_only([cache]);
    press(&mut harness, Modifiers::NONE, Key::Delete);
    assert_eq!(harness.state().doc.design.component_count(), before);
    press(&mut harness, Modifiers::COMMAND, Key::Z);
    assert_eq!(harness.state().doc.design.component_count(), before + 1);
}

#[test]
fn a_bad_file_shows_its_error_with_line_and_column_and_keeps_the_design() {
    let mut harness = app();
    let before = to_ron(&harness.state().doc.design);
    let canvas_before = harness.state().canvas.screen_rect;
    click_button(&mut harness, "File");
    click_button(&mut harness, "Open path…");
    // A new window takes a sizing pass before its contents show.
    harness.run_steps(3);
    let bad = root().join("tests/data/invalid/negative-capacity.ron");
    let field = harness.get_by_role(Role::TextInput);
    field.focus();
    harness.run_steps(1);
    harness
        .get_by_role(Role::TextInput)
        .type_text(&bad.display().to_string());
    harness.run_steps(2);
    click_button(&mut harness, "Open");
    let notice = harness.state().notice.clone().expect("an error is shown");
    assert!(notice.error);
    assert!(notice.text.contains("12:"), "{}", notice.text);
    assert!(notice.text.contains("'front door'"), "{}", notice.text);
    assert!(
        harness
            .get_by_label_contains("Could not open")
            .rect()
            .width()
            > 0.0
    );
    assert_eq!(
        to_ron(&harness.state().doc.design),
        before,
        "the current design is untouched"
    );
    // However long the message, it wraps above the canvas, which keeps its width.
    harness.run_steps(2);
    let canvas = harness.state().canvas.screen_rect;
    assert_eq!(
        (canvas.left(), canvas.right()),
        (canvas_before.left(), canvas_before.right()),
        "the canvas was {canvas_before:?}, now {canvas:?}"
    );
    click_button(&mut harness, "Dismiss");
    assert!(harness.state().notice.is_none());
}

#[test]
fn saving_to_a_path_and_reopening_gives_the_same_design() {
    let mut harness = app();
    click_button(&mut harness, "CDN");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("saved.ron");
    let ctx = harness.ctx.clone();
    harness
        .state_mut()
        .apply(&ctx, Action::SaveTo(path.clone()));
    harness.run_steps(2);
    assert!(!harness.state().doc.dirty);
    assert!(harness.state().window_title().contains("saved.ron"));
    let saved = to_ron(&harness.state().doc.design);
    let mut reopened = app_with(StartOptions {
        file: Some(path.clone()),
        ..StartOptions::default()
    });
    reopened.run_steps(2);
    assert_eq!(to_ron(&reopened.state().doc.design), saved);
    assert_eq!(std::fs::read_to_string(&path).expect("file"), saved);
    assert!(reopened.state().doc.design.of_kind(KindName::Cdn).count() == 2);
}

#[test]
fn compare_mode_runs_both_designs_on_one_load_and_tables_the_differences() {
    let mut harness = app_with(StartOptions {
        compare: Some((
            root().join("saved-designs/scale-up.ron"),
            root().join("saved-designs/scale-out.ron"),
        )),
        ..StartOptions::default()
    });
    assert!(harness.state().compare.is_some());
    let title = harness.state().window_title();
    assert!(
        title.contains("scale-up.ron") && title.contains("scale-out.ron"),
        "{title}"
    );
    // Move the shared load slider: both sides follow.
    harness
        .get_by_role_and_label(Role::Slider, "users")
        .set_value_accesskit(5_000.0);
    harness.run_steps(3);
    for _ in 0..20 {
        click_button(&mut harness, "Step");
    }
    let view = harness.state().compare.as_ref().expect("compare mode");
    assert!((view.users - 5_000.0).abs() < 1.0);
    let (a_load, b_load) = (
        view.a.runner.with_output(|o| o.load_multiplier),
        view.b.runner.with_output(|o| o.load_multiplier),
    );
    assert_eq!(a_load, b_load);
    // The table: scale-out sustains more and has no single point of failure.
    let table = archsandbox::app::compare::difference_table(view);
    let row = |label: &str| {
        table
            .iter()
            .find(|r| r.label == label)
            .cloned()
            .expect("row")
    };
    assert_eq!(row("max sustainable load (laws)").better(), Better::B);
    assert_eq!(row("single points of failure").better(), Better::B);
    assert!(
        row("p99 latency now").a.is_some(),
        "the live runs are in the table"
    );
    assert!(
        harness
            .get_by_label("single points of failure")
            .rect()
            .width()
            > 0.0
    );
}

#[test]
fn panels_keep_their_size_frame_after_frame() {
    // A resizable panel keeps the size its contents take: contents a little smaller than the
    // panel would shrink it a little every frame, and the canvas would grow.
    let mut harness = app();
    harness.run_steps(20);
    let canvas = harness.state().canvas.screen_rect;
    // The window is 900 points high; the plots panel's default height is 230 (the canvas
    // keeps a margin of its own above it).
    let below = 900.0 - canvas.bottom();
    assert!(
        (230.0..245.0).contains(&below),
        "the plots panel shrank: the canvas ends at {}",
        canvas.bottom()
    );

    let mut harness = app_with(StartOptions {
        compare: Some((
            root().join("saved-designs/scale-up.ron"),
            root().join("saved-designs/scale-out.ron"),
        )),
        ..StartOptions::default()
    });
    harness.run_steps(3);
    let side = |h: &Harness<'_, SandboxApp>| {
        h.state()
            .compare
            .as_ref()
            .map(|c| c.a.canvas.screen_rect)
            .expect("compare mode")
    };
    harness.run_steps(20);
    // The details panel's default height is 300.
    let bottom = side(&harness).bottom();
    assert!(
        (300.0..330.0).contains(&(900.0 - bottom)),
        "the details panel shrank: the canvases end at {bottom}"
    );
}

#[test]
fn the_rendered_canvas_paints_the_saturated_component_red_and_an_idle_one_not() {
    // Rendered on the machine's GPU or, on CI, Mesa's CPU renderer (lavapipe).
    let mut harness = app();
    for _ in 0..30 {
        click_button(&mut harness, "Step");
    }
    let image = harness.render().expect("the app renders");
    let pixels_per_point = harness.ctx.pixels_per_point();
    // The share of the pixels inside a component's box that are clearly red.
    let red_share = |name: &str| {
        let id = id_of(&harness, name);
        let position = harness.state().doc.design.graph[id].position;
        let rect = harness.state().canvas.to_screen * archsandbox::app::canvas::node_rect(position);
        let (mut red, mut all) = (0u32, 0u32);
        for y in (rect.top() * pixels_per_point) as u32..(rect.bottom() * pixels_per_point) as u32 {
            for x in
                (rect.left() * pixels_per_point) as u32..(rect.right() * pixels_per_point) as u32
            {
                if x < image.width() && y < image.height() {
                    let [r, g, b, _] = image.get_pixel(x, y).0;
                    all += 1;
                    if i32::from(r) > i32::from(g) + 40 && i32::from(r) > i32::from(b) + 40 {
                        red += 1;
                    }
                }
            }
        }
        assert!(all > 1_000, "{name}'s box is on screen ({all} pixels)");
        f64::from(red) / f64::from(all)
    };
    let kitchen = red_share("kitchen");
    assert!(
        kitchen > 0.5,
        "the saturated kitchen is {:.0} % red",
        kitchen * 100.0
    );
    let counter = red_share("counter");
    assert!(
        counter < 0.05,
        "the counter at a few % busy is {:.0} % red",
        counter * 100.0
    );
}

#[test]
fn editing_keys_in_a_text_field_edit_the_text_not_the_design() {
    let mut harness = app();
    let kitchen = id_of(&harness, "kitchen");
    harness.state_mut().canvas.select_only([kitchen]);
    harness.run_steps(2);
    harness
        .get_by_role_and_label(Role::TextInput, "Name")
        .focus();
    harness.run_steps(2);
    for key in [Key::A, Key::C, Key::X, Key::V, Key::Z] {
        press(&mut harness, Modifiers::COMMAND, key);
    }
    assert_eq!(harness.state().canvas.selection, vec![kitchen]);
    assert_eq!(harness.state().doc.design.component_count(), 9);
    // Out of the field, the same keys act on the design again.
    press(&mut harness, Modifiers::NONE, Key::Escape);
    harness.state_mut().canvas.select_only([kitchen]);
    harness.run_steps(2);
    press(&mut harness, Modifiers::COMMAND, Key::A);
    assert_eq!(harness.state().canvas.selection.len(), 9);
}

/// An app with an unsaved change to a design whose file is `path`.
fn changed_design_saved_at(path: &std::path::Path) -> Harness<'static, SandboxApp> {
    let mut harness = app();
    let ctx = harness.ctx.clone();
    harness
        .state_mut()
        .apply(&ctx, Action::SaveTo(path.to_path_buf()));
    click_button(&mut harness, "CDN");
    assert!(harness.state().doc.dirty);
    harness
}

#[test]
fn saving_first_then_opening_another_design_opens_it_only_if_the_save_worked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mine.ron");
    let other = root().join("saved-designs/one-server.ron");
    // The save works: the other design opens.
    let mut harness = changed_design_saved_at(&path);
    let ctx = harness.ctx.clone();
    harness
        .state_mut()
        .apply(&ctx, Action::OpenPath(other.clone()));
    harness.run_steps(2);
    click_button(&mut harness, "Save");
    assert!(harness.state().window_title().contains("one-server.ron"));
    let saved = archsandbox::model::read_design(&path, &archsandbox::model::PriceTable::builtin())
        .expect("saved");
    assert_eq!(saved.design.of_kind(KindName::Cdn).count(), 2);
    // The save fails (the file became read-only): the changed design stays, unsaved.
    let mut harness = changed_design_saved_at(&path);
    let mut permissions = std::fs::metadata(&path).expect("file").permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&path, permissions).expect("read-only");
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(&ctx, Action::OpenPath(other));
    harness.run_steps(2);
    click_button(&mut harness, "Save");
    assert!(harness.state().window_title().contains("mine.ron"));
    assert!(
        harness.state().doc.dirty,
        "the change is still there to save"
    );
    let notice = harness
        .state()
        .notice
        .clone()
        .expect("the failure is shown");
    assert!(
        notice.error && notice.text.contains("read-only"),
        "{}",
        notice.text
    );
}

#[test]
fn a_design_can_be_saved_to_a_typed_path() {
    let mut harness = app();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("typed.ron");
    click_button(&mut harness, "File");
    click_button(&mut harness, "Save to path…");
    harness.run_steps(3);
    harness.get_by_role(Role::TextInput).focus();
    harness.run_steps(1);
    harness
        .get_by_role(Role::TextInput)
        .type_text(&path.display().to_string());
    harness.run_steps(2);
    click_button(&mut harness, "Save");
    assert!(path.exists());
    assert!(!harness.state().doc.dirty);
    assert!(harness.state().window_title().contains("typed.ron"));
}

#[test]
fn file_export_picture_writes_the_design_as_svg_or_mermaid_marked_as_the_canvas() {
    let mut harness = app();
    harness.run_steps(5);
    click_button(&mut harness, "File");
    // The menu offers it.
    harness.get_by_role_and_label(Role::Button, "Export picture…");
    harness.key_press(Key::Escape);
    harness.run_steps(2);
    let dir = tempfile::tempdir().expect("temp dir");
    let ctx = harness.ctx.clone();
    let svg = dir.path().join("restaurant.svg");
    let mermaid = dir.path().join("restaurant.mmd");
    let png = dir.path().join("restaurant.png");
    for path in [&svg, &mermaid, &png] {
        harness
            .state_mut()
            .apply(&ctx, Action::ExportPictureTo(path.clone()));
        harness.run_steps(1);
        let notice = harness.state().notice.clone().expect("a notice");
        assert!(!notice.error, "{}", notice.text);
    }
    let state = harness.state();
    let picture = std::fs::read_to_string(&svg).expect("the SVG");
    assert!(picture.starts_with("<svg "));
    let components = state.doc.design.components().count();
    assert_eq!(picture.matches("<g class=\"component ").count(), components);
    // The single points of failure the analysis panel shows are the ones badged.
    assert!(!state.analysis.spofs.is_empty(), "the restaurant has some");
    assert_eq!(
        picture.matches("<g class=\"badge\">").count(),
        state.analysis.spofs.len()
    );
    let flowchart = std::fs::read_to_string(&mermaid).expect("the Mermaid text");
    assert!(flowchart.starts_with("flowchart LR\n"));
    assert_eq!(
        flowchart.matches(" -->|").count(),
        state.doc.design.links().count()
    );
    // The PNG: the same picture at twice its size, for a slide.
    let pixels = std::fs::read(&png).expect("the PNG");
    assert_eq!(&pixels[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes([pixels[16], pixels[17], pixels[18], pixels[19]]);
    let svg_width: f64 = picture
        .split(" width=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|w| w.parse().ok())
        .expect("the SVG's width");
    assert_eq!(width, (2.0 * svg_width).ceil() as u32);
}

#[test]
fn the_analysis_panel_offers_the_next_fix_and_applying_it_opens_compare_mode_undo_takes_it_back() {
    let mut harness = app_with(StartOptions {
        file: Some(root().join("saved-designs/one-server.ron")),
        ..StartOptions::default()
    });
    harness.run_steps(3);
    let before = harness.state().doc.design.clone();
    // The lunch rush's peak is three times the design's load: the kitchen breaks first.
    harness.get_by_label_contains("kitchen: scale out");
    click_button(&mut harness, "Apply the fix and compare");
    harness.run_steps(3);
    let state = harness.state();
    let view = state.compare.as_ref().expect("compare mode opens");
    assert_eq!(view.a.design, before, "A is the design before the fix");
    // B is the design now (its journey step measured and put on it after the fix).
    let mut now = state.doc.design.clone();
    now.journey = before.journey.clone();
    assert_eq!(view.b.design, now, "B is the design now");
    assert!(state.doc.design.of_kind(KindName::LoadBalancer).count() == 1);
    let note = view.note.clone().unwrap_or_default();
    assert!(
        note.contains("breaks first at ×") && note.contains(", now at ×"),
        "{note}"
    );
    // The fix joined the journey: the start and the fix, shown in View → Journey….
    let journey = state.doc.design.journey.clone().expect("a journey");
    assert_eq!(journey.steps.len(), 2);
    harness.state_mut().compare = None;
    harness.run_steps(2);
    click_button(&mut harness, "View");
    click_button(&mut harness, "Journey…");
    assert!(harness.state().show_journey);
    harness.run_steps(2);
    harness.get_by_label("start");
    harness.get_by_label("kitchen: scale out");
    harness.get_by_label("carries users");
    // Undo walks back to the design before the fix, its journey with it.
    harness.state_mut().show_journey = false;
    harness.run_steps(2);
    press(&mut harness, Modifiers::COMMAND, Key::Z);
    assert_eq!(harness.state().doc.design, before);
    assert_eq!(harness.state().doc.design.journey, None);
}

#[test]
fn a_first_start_offers_the_walk_once_and_help_opens_it_with_the_open_chapter_marked() {
    let mut harness = app();
    // The UI tests start with default settings and no offer; a first start makes it.
    assert!(!harness.state().show_walk);
    harness.state_mut().offer_walk_once();
    assert!(harness.state().show_walk && harness.state().settings.walk_offered);
    harness.run_steps(3);
    harness.get_by_label("Walk through the primer");
    // The built-in example is the last chapter: it is marked open, the others can be opened.
    assert_eq!(harness.state().open_chapter(), Some(9));
    harness.get_by_label_contains("10. The viral restaurant");
    assert_eq!(harness.query_all_by_label("Open").count(), 9);
    harness.get_by_label("Open again");
    // Closed, it is not offered again; Help opens it.
    harness.state_mut().show_walk = false;
    harness.state_mut().offer_walk_once();
    assert!(!harness.state().show_walk);
    harness.run_steps(2);
    click_button(&mut harness, "Help");
    click_button(&mut harness, "Walk through the primer…");
    assert!(harness.state().show_walk);
    // A chapter's Open opens its example.
    harness
        .get_all_by_label("Open")
        .next()
        .expect("a chapter to open")
        .click();
    harness.run_steps(3);
    assert_eq!(harness.state().open_chapter(), Some(0));
    assert_eq!(harness.state().doc.design.name, "One server");
}

#[test]
fn file_export_report_writes_the_report_of_the_design_or_of_the_comparison() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The design: its report's sections, with what runs now (the scenario and load).
    let mut harness = app();
    harness.run_steps(3);
    click_button(&mut harness, "File");
    harness.get_by_role_and_label(Role::Button, "Export report…");
    harness.key_press(Key::Escape);
    harness.run_steps(2);
    let ctx = harness.ctx.clone();
    let folder = dir.path().join("design");
    harness
        .state_mut()
        .apply(&ctx, Action::ExportReportTo(folder.clone()));
    harness.run_steps(1);
    let notice = harness.state().notice.clone().expect("a notice");
    assert!(!notice.error, "{}", notice.text);
    assert!(notice.text.contains("report.html"), "{}", notice.text);
    let html = std::fs::read_to_string(folder.join("report.html")).expect("report.html");
    for id in ["summary", "picture", "ladder", "spof", "over-time"] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    assert!(html.contains(&harness.state().doc.design.name));
    assert!(folder.join("data/timeseries.csv").is_file());
    // The comparison: side by side and the sweep, then each design.
    let mut harness = app_with(StartOptions {
        compare: Some((
            root().join("saved-designs/scale-up.ron"),
            root().join("saved-designs/scale-out.ron"),
        )),
        ..StartOptions::default()
    });
    harness.run_steps(3);
    click_button(&mut harness, "File");
    {
        use egui_kittest::kittest::NodeT as _;
        assert!(
            !harness
                .get_by_role_and_label(Role::Button, "Export report…")
                .accesskit_node()
                .is_disabled(),
            "offered in compare mode"
        );
        // Unlike the picture, which is of the editor's design, hidden there.
        assert!(
            harness
                .get_by_role_and_label(Role::Button, "Export picture…")
                .accesskit_node()
                .is_disabled()
        );
    }
    harness.key_press(Key::Escape);
    harness.run_steps(2);
    let ctx = harness.ctx.clone();
    let folder = dir.path().join("comparison");
    harness
        .state_mut()
        .apply(&ctx, Action::ExportReportTo(folder.clone()));
    harness.run_steps(1);
    let notice = harness.state().notice.clone().expect("a notice");
    assert!(!notice.error, "{}", notice.text);
    let html = std::fs::read_to_string(folder.join("report.html")).expect("report.html");
    for id in ["comparison", "sweep", "a-ladder", "b-ladder"] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    assert!(folder.join("data/sweep.csv").is_file());
}

#[test]
fn the_ladder_shows_where_the_load_running_now_stands() {
    // At ten users nothing is broken and the marker comes first; at ten million the marker
    // comes after every step it is past, and those are broken. Each step names the users that
    // break it.
    let mut harness = app();
    let ctx = harness.ctx.clone();
    let ladder_at = |harness: &mut Harness<'_, SandboxApp>, users: f64| {
        // The slider's multiple at which `users` run.
        let per_load = harness.state().users() / harness.state().load;
        harness
            .state_mut()
            .apply(&ctx, Action::SetLoad(users / per_load));
        harness.run_steps(3);
        let state = harness.state();
        let peak = state
            .current_scenario()
            .map_or(1.0, |s| s.profile.peak_multiplier());
        archsandbox::app::ladder_lines(
            &state.analysis.ladder,
            state.load_multiplier(),
            state.users(),
            peak,
        )
    };
    use archsandbox::app::LadderLine;
    let few = ladder_at(&mut harness, 10.0);
    assert!(matches!(few.first(), Some(LadderLine::Here(_))), "{few:#?}");
    assert!(
        few.iter()
            .all(|l| !matches!(l, LadderLine::Step { broken: true, .. })),
        "{few:#?}"
    );
    // The screen shows the same lines.
    assert!(harness.query_by_label_contains("broken now").is_none());
    harness.get_by_label_contains("(10 users)");
    let many = ladder_at(&mut harness, 10_000_000.0);
    let here = many
        .iter()
        .position(|l| matches!(l, LadderLine::Here(_)))
        .expect("a marker");
    assert!(here > 0, "{many:#?}");
    for (i, line) in many.iter().enumerate() {
        if let LadderLine::Step { broken, .. } = line {
            assert_eq!(*broken, i < here, "{many:#?}");
        }
    }
    assert_ne!(few, many, "ten users and ten million read differently");
    assert!(harness.query_all_by_label_contains("broken now").count() > 1);
    harness.get_by_label_contains("(10,000,000 users)");
    // A step's users are those at which the scenario's peak reaches it.
    let Some(LadderLine::Step { text, .. }) = many.first() else {
        panic!("{many:#?}");
    };
    let state = harness.state();
    let (_, _, at) = &state.analysis.ladder[0];
    let peak = state
        .current_scenario()
        .map_or(1.0, |s| s.profile.peak_multiplier());
    let users = state.users() / state.load_multiplier() * at / peak;
    assert!(
        text.contains(&archsandbox::analysis::report::count(users.round() as u64)),
        "{text} names {users} users"
    );
}

/// The text of the inspector's Name field.
fn name_field(harness: &Harness<'_, SandboxApp>) -> String {
    harness
        .get_by_role_and_label(Role::TextInput, "Name")
        .value()
        .unwrap_or_default()
}

#[test]
fn the_inspector_shows_the_document_after_undo_redo_and_delete() {
    // Issue 15, item 2: rename host to hostX, Ctrl+Z: the canvas said host, the Name field
    // still hostX; after undoing a delete and adding a cache the field showed the deleted
    // node's old name, and Enter renamed the cache.
    let mut harness = app();
    let host = id_of(&harness, "host");
    harness.state_mut().canvas.select_only([host]);
    harness.run_steps(2);
    let field = harness.get_by_role_and_label(Role::TextInput, "Name");
    field.focus();
    harness.run_steps(1);
    harness
        .get_by_role_and_label(Role::TextInput, "Name")
        .type_text("X");
    harness.run_steps(1);
    press(&mut harness, Modifiers::NONE, Key::Enter);
    assert!(
        harness.state().doc.design.find("hostX").is_some(),
        "renamed"
    );
    // Out of the field, undo: the document and the field say host again.
    press(&mut harness, Modifiers::NONE, Key::Escape);
    harness.state_mut().canvas.select_only([host]);
    harness.run_steps(2);
    press(&mut harness, Modifiers::COMMAND, Key::Z);
    assert!(harness.state().doc.design.find("host").is_some(), "undone");
    assert_eq!(name_field(&harness), "host");
    press(&mut harness, Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    assert_eq!(name_field(&harness), "hostX");
    // Delete it, undo the delete, add a cache: the cache's field names the cache.
    press(&mut harness, Modifiers::NONE, Key::Delete);
    press(&mut harness, Modifiers::COMMAND, Key::Z);
    click_button(&mut harness, "Cache");
    let cache = id_of(&harness, "cache");
    harness.state_mut().canvas.select_only([cache]);
    harness.run_steps(2);
    assert_eq!(name_field(&harness), "cache");
}

#[test]
fn in_compare_mode_keys_act_on_the_comparison_and_never_on_the_hidden_editor() {
    // Issue 15, item 4: Space, Delete and Ctrl+Z in compare mode acted on the editor's
    // document. Item 15: "Back to the editor" after `--compare A B` opened the example.
    let mut harness = app_with(StartOptions {
        compare: Some((
            root().join("saved-designs/scale-up.ron"),
            root().join("saved-designs/scale-out.ron"),
        )),
        ..StartOptions::default()
    });
    let before = to_ron(&harness.state().doc.design);
    let all: Vec<_> = harness
        .state()
        .doc
        .design
        .components()
        .map(|(id, _)| id)
        .collect();
    harness.state_mut().canvas.select_only(all);
    harness.run_steps(1);
    press(&mut harness, Modifiers::NONE, Key::Delete);
    press(&mut harness, Modifiers::COMMAND, Key::X);
    press(&mut harness, Modifiers::COMMAND, Key::D);
    press(&mut harness, Modifiers::COMMAND, Key::Z);
    assert_eq!(
        to_ron(&harness.state().doc.design),
        before,
        "the editor's design is untouched"
    );
    assert!(!harness.state().doc.dirty);
    // Space plays the comparison (both sides), not the hidden editor's run.
    let playing = |h: &Harness<'_, SandboxApp>| {
        let view = h.state().compare.as_ref().expect("compare mode");
        (
            view.a.runner.with_output(|o| o.playing),
            view.b.runner.with_output(|o| o.playing),
        )
    };
    let was = playing(&harness);
    press(&mut harness, Modifiers::NONE, Key::Space);
    assert_eq!(playing(&harness), (!was.0, !was.1));
    assert!(
        !harness.state().runner.with_output(|o| o.playing),
        "the editor's run stays"
    );
    // Back in the editor, A is open.
    click_button(&mut harness, "Back to the editor");
    assert!(harness.state().compare.is_none());
    assert!(
        harness
            .state()
            .doc
            .path
            .as_ref()
            .is_some_and(|p| p.ends_with("saved-designs/scale-up.ron")),
        "{:?}",
        harness.state().doc.path
    );
}

#[test]
fn a_path_prompt_takes_the_keyboard_at_once() {
    // Issue 15, item 7: the Save/Open-path prompts did not focus their field: typing ".ron"
    // hit the "." shortcut (step one tick) instead.
    let mut harness = app();
    let tick = |h: &Harness<'_, SandboxApp>| h.state().runner.with_output(|o| o.tick);
    assert!(!harness.state().runner.with_output(|o| o.playing), "paused");
    let before = tick(&harness);
    click_button(&mut harness, "File");
    click_button(&mut harness, "Open path…");
    harness.run_steps(2);
    harness.key_press(Key::Period);
    harness.event(egui::Event::Text(".ron".into()));
    harness.run_steps(2);
    let typed = harness
        .get_by_role(Role::TextInput)
        .value()
        .unwrap_or_default();
    assert_eq!(typed, ".ron");
    assert_eq!(tick(&harness), before, "no tick was stepped");
}

#[test]
fn compare_modes_cost_plot_and_table_read_one_figure() {
    // Issue 15, item 3: the cost plot read about 6,000 and 3,900 USD a month, the table
    // 6,903 and 5,257. One figure: the monthly cost at the load carried on average so far.
    let mut harness = app_with(StartOptions {
        compare: Some((
            root().join("saved-designs/scale-up.ron"),
            root().join("saved-designs/scale-out.ron"),
        )),
        ..StartOptions::default()
    });
    for _ in 0..20 {
        click_button(&mut harness, "Step");
    }
    let view = harness.state().compare.as_ref().expect("compare mode");
    let table = archsandbox::app::compare::difference_table(view);
    let row = table
        .iter()
        .find(|r| r.label.starts_with("cost a month"))
        .expect("a cost row");
    let prices = archsandbox::model::PriceTable::builtin();
    for (side, shown) in [(&view.a, row.a), (&view.b, row.b)] {
        let plotted = side.cost_points().last().expect("a plotted point")[1];
        let shown = shown.expect("a cost in the table");
        assert_eq!(plotted, shown, "plot and table");
        // And the definition: the cost model at the run's mean load.
        let history = &side.timeline.history;
        let mean_load = history.iter().map(|t| t.load).sum::<f64>() / history.len() as f64;
        let scenario = archsandbox::analysis::compare::shared_scenario(&side.design, None)
            .expect("a scenario");
        let laws = archsandbox::sim::laws::operational_laws(&side.design, &scenario, &prices)
            .expect("laws");
        let expected =
            archsandbox::analysis::cost::monthly_cost(&side.design, &laws, &prices, mean_load)
                .per_month;
        assert!(
            (shown - expected).abs() <= 1e-6 * expected,
            "{shown} shown, {expected} by the cost model at ×{mean_load}"
        );
    }
}

#[test]
fn the_load_slider_multiplies_the_users_the_design_has() {
    // Issue 15, item 1: after File → New a client's Users read 1,000 while one user's
    // traffic ran, and setting Users changed nothing. What runs is the design's users × the
    // slider's multiple, in the editor and in compare mode alike.
    let mut harness = app();
    press(&mut harness, Modifiers::COMMAND, Key::N);
    for kind in ["Client", "Server"] {
        click_button(&mut harness, kind);
    }
    press(&mut harness, Modifiers::COMMAND, Key::A);
    press(&mut harness, Modifiers::NONE, Key::L);
    let client = id_of(&harness, "client");
    let users_field = |h: &Harness<'_, SandboxApp>| match h.state().doc.design.component(client) {
        Some(c) => match &c.kind {
            ComponentKind::Client(p) => p.users as f64,
            _ => unreachable!("a client"),
        },
        None => unreachable!("the client"),
    };
    let designed = users_field(&harness);
    assert_eq!(
        harness.state().users(),
        designed,
        "the design's users run at ×1"
    );
    // Users in the inspector: what runs follows.
    harness.state_mut().canvas.select_only([client]);
    harness.run_steps(2);
    harness.get_by_label("Users").set_value_accesskit(5_000.0);
    harness.run_steps(3);
    assert_eq!(users_field(&harness), 5_000.0);
    assert_eq!(harness.state().users(), 5_000.0);
    // The slider multiplies them.
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(&ctx, Action::SetLoad(2.0));
    harness.run_steps(2);
    assert_eq!(harness.state().users(), 10_000.0);
    let running = harness.state().runner.with_output(|o| o.load_multiplier);
    assert!(
        (running - 2.0).abs() < 1e-9,
        "the run's multiplier is ×{running}"
    );
    // Compare mode runs the same users.
    press(&mut harness, Modifiers::NONE, Key::Escape);
    harness.state_mut().apply(
        &ctx,
        Action::Command(archsandbox::app::commands::UiCommand::ScaleOut),
    );
    harness.run_steps(2);
    let view = harness.state().compare.as_ref().expect("compare mode");
    assert_eq!(view.users, 10_000.0);
}

#[test]
fn an_empty_design_claims_no_availability_or_cost() {
    // Issue 15, item 12: a new empty design read "Cost −0.00 USD" and "Availability
    // 100.0000 %" with nothing to serve.
    let mut harness = app();
    press(&mut harness, Modifiers::COMMAND, Key::N);
    harness.run_steps(5);
    harness.get_by_label_contains("Nothing to serve yet");
    assert!(harness.query_by_label_contains("Availability").is_none());
    assert!(harness.query_by_label_contains("USD a month").is_none());
}

#[test]
fn failed_instances_read_as_up_of_all_and_down_has_its_own_look() {
    // Issue 15, item 5: a node with one of seven instances down still read "7 × large", and
    // fully down nodes shared the saturated nodes' dark red.
    use archsandbox::app::canvas::instances_text;
    use archsandbox::model::{Component, ServerParams};
    let server = Component {
        name: "kitchen".into(),
        position: (0.0, 0.0),
        kind: ComponentKind::Server(ServerParams {
            size: "large".into(),
            instances: 7,
            ..ServerParams::default()
        }),
    };
    assert_eq!(instances_text(&server, 0, None), "7 × large");
    assert_eq!(instances_text(&server, 1, None), "6 of 7 up × large");
    assert_eq!(instances_text(&server, 7, None), "0 of 7 up × large");
    // An autoscaling group at a glance: its bounds, and while it runs the instances in
    // service and booting.
    let mut group = server.clone();
    if let ComponentKind::Server(p) = &mut group.kind {
        p.autoscale = Some(archsandbox::model::Autoscaling {
            min_instances: 2,
            max_instances: 12,
            ..Default::default()
        });
    }
    assert_eq!(instances_text(&group, 0, None), "auto 7 (2–12) × large");
    assert_eq!(
        instances_text(&group, 0, Some((4, 2))),
        "auto 4 +2 booting (2–12) × large"
    );
    assert_eq!(
        instances_text(&group, 1, Some((4, 0))),
        "auto 3 of 4 up (2–12) × large"
    );
    // A queue's autoscaled consumers.
    let queue = Component {
        name: "order rail".into(),
        position: (0.0, 0.0),
        kind: ComponentKind::MessageQueue(archsandbox::model::QueueParams {
            consumers: 4,
            autoscale: Some(archsandbox::model::Autoscaling {
                min_instances: 2,
                max_instances: 30,
                ..Default::default()
            }),
            ..Default::default()
        }),
    };
    assert_eq!(instances_text(&queue, 0, None), "consumers auto 4 (2–30)");
    assert_eq!(
        instances_text(&queue, 0, Some((6, 3))),
        "consumers auto 6 +3 booting (2–30)"
    );
    for dark in [false, true] {
        let (down, saturated) = (Health::Down.color(dark), Health::Saturated.color(dark));
        assert_ne!(down, saturated);
        // Not a shade of red: red does not dominate it.
        let (r, g, b) = (
            i32::from(down.r()),
            i32::from(down.g()),
            i32::from(down.b()),
        );
        assert!(r < g + 20 && r < b, "down {down:?} reads as red");
    }
}

#[test]
fn a_link_edit_is_checked_like_a_component_edit() {
    // Issue 15, item 10: the link inspector accepted calls above the limit that validation
    // refuses. Calls per request past the limit are refused, named as the inspector shows.
    let mut harness = app();
    let (link, before) = harness
        .state()
        .doc
        .design
        .links()
        .find(|(_, a, b, _)| {
            let d = &harness.state().doc.design;
            d.component(*a).is_some_and(|c| c.name == "kitchen")
                && d.component(*b).is_some_and(|c| c.name == "counter")
        })
        .map(|(id, _, _, l)| (id, l.clone()))
        .expect("kitchen → counter");
    harness.state_mut().canvas.select_only([]);
    harness.state_mut().canvas.selected_link = Some(link);
    harness.run_steps(2);
    harness
        .get_by_label("Calls per request")
        .set_value_accesskit(5_000.0);
    harness.run_steps(3);
    assert_eq!(
        harness.state().doc.design.graph.edge_weight(link),
        Some(&before),
        "the link is unchanged"
    );
    harness.get_by_label_contains("Calls per request must");
    assert!(!harness.state().doc.dirty);
}

#[test]
fn a_duplicate_lands_clear_of_every_component() {
    // Issue 15, item 11: Ctrl+D put the copy on top of the original.
    let mut harness = app();
    let kitchen = id_of(&harness, "kitchen");
    harness.state_mut().canvas.select_only([kitchen]);
    harness.run_steps(1);
    let before = harness.state().doc.design.component_count();
    press(&mut harness, Modifiers::COMMAND, Key::D);
    let design = &harness.state().doc.design;
    assert_eq!(design.component_count(), before + 1);
    let (w, h) = archsandbox::model::design::COMPONENT_FOOTPRINT;
    let all: Vec<_> = design
        .components()
        .map(|(_, c)| (c.name.clone(), c.position))
        .collect();
    for (i, (a, pa)) in all.iter().enumerate() {
        for (b, pb) in &all[i + 1..] {
            let overlap = (pa.0 - pb.0).abs() < w && (pa.1 - pb.1).abs() < h;
            assert!(!overlap, "{a} at {pa:?} overlaps {b} at {pb:?}");
        }
    }
}

#[test]
fn panels_hide_and_come_back_from_the_view_menu_keys() {
    // Issue 15, item 8: side panels could not shrink or hide; a small window lost its canvas.
    let mut harness = app();
    assert!(
        harness
            .query_by_label_contains("What breaks first")
            .is_some()
    );
    press(&mut harness, Modifiers::COMMAND, Key::Num2);
    assert!(
        harness
            .query_by_label_contains("What breaks first")
            .is_none(),
        "side panel hidden"
    );
    press(&mut harness, Modifiers::COMMAND, Key::Num1);
    assert!(
        harness
            .query_by_label_contains("Drag onto the canvas")
            .is_none(),
        "palette hidden"
    );
    press(&mut harness, Modifiers::COMMAND, Key::Num3);
    assert!(!harness.state().settings.show_plots);
    for key in [Key::Num1, Key::Num2, Key::Num3] {
        press(&mut harness, Modifiers::COMMAND, key);
    }
    assert!(
        harness
            .query_by_label_contains("What breaks first")
            .is_some()
    );
    assert!(harness.state().settings.show_palette && harness.state().settings.show_plots);
}

#[test]
fn a_run_that_was_playing_plays_on_once_the_new_design_can_run() {
    // Issue 15, item 12: a new design stayed paused at t = 0 once it became valid.
    let mut harness = app();
    let playing = |h: &Harness<'_, SandboxApp>| h.state().runner.with_output(|o| o.playing);
    press(&mut harness, Modifiers::NONE, Key::Space);
    assert!(playing(&harness));
    press(&mut harness, Modifiers::COMMAND, Key::N);
    for kind in ["Client", "Server"] {
        click_button(&mut harness, kind);
    }
    harness.run_steps(3);
    assert!(!playing(&harness), "a client linked to nothing cannot run");
    press(&mut harness, Modifiers::COMMAND, Key::A);
    press(&mut harness, Modifiers::NONE, Key::L);
    harness.run_steps(3);
    assert!(playing(&harness), "valid now: it plays on");
    // Paused by the user, it stays paused through edits.
    press(&mut harness, Modifiers::NONE, Key::Escape);
    press(&mut harness, Modifiers::NONE, Key::Space);
    assert!(!playing(&harness));
    click_button(&mut harness, "Cache");
    harness.run_steps(3);
    assert!(!playing(&harness));
}

#[test]
fn the_clock_says_when_the_run_is_past_the_scenarios_end() {
    // Issue 15, item 15: the run's clock passed the scenario's end without saying so.
    let mut harness = app();
    let tick_s = harness.state().runner.with_output(|o| o.tick_s);
    let scenario = harness
        .state()
        .current_scenario()
        .expect("a scenario")
        .name
        .clone();
    if let Some(s) = harness
        .state_mut()
        .doc
        .design
        .scenarios
        .iter_mut()
        .find(|s| s.name == scenario)
    {
        s.duration_s = 3.0 * tick_s;
    }
    for _ in 0..3 {
        press(&mut harness, Modifiers::NONE, Key::Period);
    }
    assert!(
        harness
            .query_by_label_contains("past the scenario's end")
            .is_none()
    );
    press(&mut harness, Modifiers::NONE, Key::Period);
    harness.get_by_label_contains("past the scenario's end");
}

#[test]
fn compare_mode_picks_the_scenario_both_designs_run() {
    // Issue 15, item 15: compare mode had no scenario picker.
    let mut harness = app_with(StartOptions {
        compare: Some((
            root().join("saved-designs/scale-up.ron"),
            root().join("saved-designs/scale-out.ron"),
        )),
        ..StartOptions::default()
    });
    harness.get_by_label("Scenario");
    for _ in 0..5 {
        click_button(&mut harness, "Step");
    }
    let other = {
        let view = harness.state().compare.as_ref().expect("compare mode");
        view.a
            .design
            .scenarios
            .iter()
            .map(|s| s.name.clone())
            .find(|n| *n != view.scenario.name)
            .expect("another scenario")
    };
    harness
        .state_mut()
        .compare
        .as_mut()
        .expect("compare mode")
        .set_scenario(&other)
        .expect("A has it");
    harness.run_steps(3);
    let view = harness.state().compare.as_ref().expect("compare mode");
    assert_eq!(view.scenario.name, other);
    for side in [&view.a, &view.b] {
        assert_eq!(side.runner.with_output(|o| o.tick), 0, "both start again");
    }
}

#[test]
fn an_800_by_500_window_keeps_a_canvas_every_control_and_readable_fields() {
    // Issue 15, item 8: at 800×500 the plots and fields were cut off.
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(800.0, 500.0));
    let mut harness = app_sized(StartOptions::default(), window.size());
    harness.run_steps(5);
    let canvas = harness.state().canvas.screen_rect;
    assert!(
        canvas.width() >= 240.0 && canvas.height() >= 140.0,
        "the canvas is {canvas:?}"
    );
    // The side panel takes its share, no more (an unwrapped row once held it at 330).
    assert!(canvas.right() >= 800.0 - 260.0, "the canvas is {canvas:?}");
    let inside = |rect: egui::Rect| window.expand(0.5).contains_rect(rect);
    // Every kind can be added from the (icon-only) palette.
    for kind in KindName::ALL {
        let button = harness.get_by_role_and_label(Role::Button, kind.label());
        assert!(
            inside(button.rect()),
            "{} at {:?}",
            kind.label(),
            button.rect()
        );
    }
    // The toolbar wraps rather than runs off the edge.
    for label in ["Step", "Reset"] {
        assert!(inside(
            harness.get_by_role_and_label(Role::Button, label).rect()
        ));
    }
    let slider = harness.get_by_role_and_label(Role::Slider, "Load");
    assert!(
        inside(slider.rect()),
        "the load slider at {:?}",
        slider.rect()
    );
    // A selected component's fields are whole, beside the canvas.
    let kitchen = id_of(&harness, "kitchen");
    harness.state_mut().canvas.selection = vec![kitchen];
    harness.run_steps(3);
    let name = harness.get_by_role_and_label(Role::TextInput, "Name");
    assert!(inside(name.rect()), "the Name field at {:?}", name.rect());
    assert!(name.rect().left() >= canvas.right(), "{:?}", name.rect());

    // Compare mode's bar wraps too, and its canvases keep their height over the table.
    let mut harness = app_sized(
        StartOptions {
            compare: Some((
                root().join("saved-designs/scale-up.ron"),
                root().join("saved-designs/scale-out.ron"),
            )),
            ..StartOptions::default()
        },
        window.size(),
    );
    harness.run_steps(5);
    let slider = harness.get_by_role_and_label(Role::Slider, "users");
    assert!(
        inside(slider.rect()),
        "the users slider at {:?}",
        slider.rect()
    );
    let sweep = harness.get_by_role_and_label(Role::Button, "Load sweep");
    assert!(inside(sweep.rect()), "Load sweep at {:?}", sweep.rect());
    let side_a = harness
        .state()
        .compare
        .as_ref()
        .map(|c| c.a.canvas.screen_rect)
        .expect("compare mode");
    assert!(side_a.height() >= 140.0, "side A is {side_a:?}");
}

/// A client, a balancer and two servers with a one-minute scenario, saved to a temporary
/// file (in tests the cross-check runs inline: short runs keep it quick).
fn small_design_file(dir: &std::path::Path) -> std::path::PathBuf {
    use crate::simulation::{clients, mix, placed, server};
    use archsandbox::model::{ArrivalProcess, Design, Link, LoadBalancerParams, Scenario};
    let mut design = Design::new("small pair");
    let users = design.add(placed(
        "users",
        0,
        clients(50, mix(1.0, 0.0), ArrivalProcess::Poisson),
    ));
    let lb = design.add(placed(
        "lb",
        1,
        ComponentKind::LoadBalancer(LoadBalancerParams::default()),
    ));
    let app = design.add(server("app", 2, "small", 2, 0.010, 1.0));
    let reads = || Link::new(&[archsandbox::model::TrafficClass::Read]);
    design.connect(users, lb, reads());
    design.connect(lb, app, reads());
    design.scenarios.push(Scenario {
        name: "minute".into(),
        duration_s: 60.0,
        ..Scenario::default()
    });
    design.default_scenario = "minute".into();
    let path = dir.join("pair.ron");
    archsandbox::model::save_design(&path, &design).expect("saved");
    path
}

#[test]
fn the_cross_check_command_opens_a_window_with_both_engines_figures() {
    use archsandbox::analysis::cross_check::Verdict;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app_with(StartOptions {
        file: Some(small_design_file(dir.path())),
        ..StartOptions::default()
    });
    assert!(!harness.state().cross_check.open);
    // The analysis panel's button runs the command the Simulation menu has.
    click_button(&mut harness, "Cross-check engines");
    // A window lays itself out unseen the first frame it shows.
    harness.run_steps(2);
    let view = &harness.state().cross_check;
    assert!(view.open);
    let check = match &view.result {
        Some(Ok(check)) => check,
        other => panic!(
            "expected a cross-check, got {:?}",
            other.as_ref().map(|r| r.is_ok())
        ),
    };
    assert_eq!(check.scenario, "minute");
    assert_eq!(
        check.rows.len(),
        12,
        "four for the system, four for lb and for app"
    );
    assert!(
        check
            .rows
            .iter()
            .all(|r| !matches!(r.verdict, Verdict::DiffersByDesign(_))),
        "nothing in this design differs by design"
    );
    // The window: what ran, and a row a figure with both engines' values.
    harness.get_by_label_contains("runs each on the same seeds");
    assert_eq!(harness.query_all_by_label("p99 latency").count(), 3);
    // Two a row (flow and events), and the sentence that says what they are.
    assert_eq!(
        harness.query_all_by_label_contains(" ± ").count(),
        2 * 12 + 1
    );
    // The menu offers the same command.
    assert_eq!(
        archsandbox::app::commands::UiCommand::CrossCheck.group(),
        "Simulation"
    );
}

#[test]
fn a_cross_check_the_events_engine_cannot_run_says_why_in_words() {
    // A day of the lunch rush is far more requests than the events engine's budget.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("a-long-day.ron");
    let mut design = crate::simulation::shipped("saved-designs/one-server.ron");
    for scenario in &mut design.scenarios {
        scenario.duration_s = 86_400.0 * 10.0;
    }
    archsandbox::model::save_design(&path, &design).expect("saves");
    let mut harness = app_with(StartOptions {
        file: Some(path),
        ..StartOptions::default()
    });
    click_button(&mut harness, "Cross-check engines");
    harness.run_steps(2);
    assert!(matches!(&harness.state().cross_check.result, Some(Err(_))));
    harness.get_by_label_contains("The engines could not be cross-checked");
    harness.get_by_label_contains("more than its limit");
}

#[test]
fn the_report_engine_is_chosen_in_the_analysis_panel_and_kept_in_the_settings() {
    use archsandbox::analysis::report::Engine;
    let mut harness = app();
    assert_eq!(harness.state().settings.engine, Engine::Flow);
    harness.get_by_label("Report engine");
    let ctx = harness.ctx.clone();
    harness
        .state_mut()
        .apply(&ctx, Action::SetEngine(Engine::Events));
    harness.run_steps(2);
    assert_eq!(harness.state().settings.engine, Engine::Events);
    let saved = serde_json::to_value(&harness.state().settings).expect("settings serialize");
    assert_eq!(saved["engine"], "events");
    // Settings saved before the choice existed load with the flow engine.
    let old: archsandbox::app::Settings =
        serde_json::from_value(serde_json::json!({"dark": false})).expect("old settings load");
    assert_eq!(old.engine, Engine::Flow);
}

#[test]
fn confidence_bands_replicate_the_run_and_are_dropped_when_the_design_changes() {
    let mut harness = app_with(StartOptions {
        file: Some(root().join("saved-designs/validation/mm1.ron")),
        ..StartOptions::default()
    });
    assert!(harness.state().current_bands().is_none(), "off by default");
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(&ctx, Action::SetBandRuns(5));
    harness.run_steps(2);
    let bands = harness
        .state()
        .current_bands()
        .cloned()
        .expect("bands for the run");
    assert_eq!(bands.replications, 5);
    assert!(!bands.time_s.is_empty());
    assert!(
        bands
            .throughput_per_s
            .iter()
            .skip(bands.time_s.len() / 2)
            .all(|i| i.half_width.is_finite() && i.half_width > 0.0)
    );
    assert_eq!(harness.state().settings.band_runs, 5);
    // Another load is another run: its bands are worked out again (inline in tests).
    let before = harness.state().bands.key.clone();
    harness.state_mut().load *= 1.5;
    harness.run_steps(2);
    assert_ne!(harness.state().bands.key, before);
    assert!(harness.state().current_bands().is_some());
    harness.state_mut().apply(&ctx, Action::SetBandRuns(0));
    harness.run_steps(2);
    assert!(harness.state().current_bands().is_none());
}
