//! The command table: every command the menus, toolbar and keyboard offer, with its label,
//! tooltip and shortcut, in one place — so menus, shortcuts and the help read the same table.

use egui::{Key, KeyboardShortcut, Modifiers};

/// A command without arguments, as menus and shortcuts offer them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UiCommand {
    /// Start an empty design.
    New,
    /// Open a design file (.ron) picked in the file dialog.
    Open,
    /// Open a design by typing its path (when no file dialog is available).
    OpenPath,
    /// Show the example designs that tell the viral-restaurant story.
    Gallery,
    /// Save the design to its file, or ask where if it has none.
    Save,
    /// Save the design to a new file picked in the file dialog.
    SaveAs,
    /// Save the design to a path typed in (when no file dialog is available).
    SavePath,
    /// Write a picture of the design (SVG, PNG or Mermaid), marked as the canvas marks it.
    ExportPicture,
    /// Write the shareable report of the design, or of the comparison in compare mode.
    ExportReport,
    /// Close the window, asking first if there are unsaved changes.
    Quit,
    /// Undo the last change to the design.
    Undo,
    /// Redo the last undone change.
    Redo,
    /// Copy the selected components and remove them.
    Cut,
    /// Copy the selected components and the links between them.
    Copy,
    /// Paste the copied components beside the originals, clear of everything on the canvas.
    Paste,
    /// Copy and paste the selection in one go.
    Duplicate,
    /// Remove the selected components (with their links) or the selected link.
    Delete,
    /// Select every component.
    SelectAll,
    /// Link the selected components in the order they were selected.
    Connect,
    /// Zoom so that the whole design fits the canvas.
    FitView,
    /// Zoom in on the middle of the canvas.
    ZoomIn,
    /// Zoom out from the middle of the canvas.
    ZoomOut,
    /// Turn snapping moved components to the grid on or off.
    ToggleSnap,
    /// Switch between the dark and the light theme.
    ToggleTheme,
    /// Show or hide the palette of kinds on the left.
    TogglePalette,
    /// Show or hide the inspector, the ladder and the legend on the right.
    ToggleSidePanel,
    /// Show or hide the plots at the bottom.
    TogglePlots,
    /// Show the Journey: the fixes made so far and what each bought.
    ShowJourney,
    /// Run the simulation, or pause it (both runs in compare mode).
    PlayPause,
    /// Simulate a single tick, then stay paused.
    Step,
    /// Start the simulation again from time zero.
    Reset,
    /// Take one instance of each selected component down.
    FailOne,
    /// Bring every down instance of the selected components back.
    Recover,
    /// Open compare mode against a copy whose bottleneck runs on the next larger size.
    ScaleUp,
    /// Open compare mode against a copy whose bottleneck gets more instances behind a balancer.
    ScaleOut,
    /// Run both compared designs across loads and plot the hockey sticks (outside compare mode,
    /// against a scaled-out copy).
    LoadSweep,
    /// Run the flow and events engines on the design and scenario, several times each, and
    /// table their figures side by side.
    CrossCheck,
}

/// The menus, in order: the help's shortcut list follows them.
pub const GROUPS: [&str; 4] = ["File", "Edit", "View", "Simulation"];

const fn shortcut(modifiers: Modifiers, key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(modifiers, key)
}

const CMD: Modifiers = Modifiers::COMMAND;
const CMD_SHIFT: Modifiers = Modifiers::COMMAND.plus(Modifiers::SHIFT);

impl UiCommand {
    /// Every command, in menu order. Shortcuts are matched in this order too, so a command
    /// whose shortcut adds Shift to another's comes first (Ctrl+Shift+S before Ctrl+S).
    pub const ALL: [UiCommand; 37] = [
        UiCommand::SaveAs,
        UiCommand::Redo,
        UiCommand::New,
        UiCommand::Open,
        UiCommand::OpenPath,
        UiCommand::Gallery,
        UiCommand::Save,
        UiCommand::SavePath,
        UiCommand::ExportPicture,
        UiCommand::ExportReport,
        UiCommand::Quit,
        UiCommand::Undo,
        UiCommand::Cut,
        UiCommand::Copy,
        UiCommand::Paste,
        UiCommand::Duplicate,
        UiCommand::Delete,
        UiCommand::SelectAll,
        UiCommand::Connect,
        UiCommand::FitView,
        UiCommand::ZoomIn,
        UiCommand::ZoomOut,
        UiCommand::ToggleSnap,
        UiCommand::ToggleTheme,
        UiCommand::TogglePalette,
        UiCommand::ToggleSidePanel,
        UiCommand::TogglePlots,
        UiCommand::ShowJourney,
        UiCommand::PlayPause,
        UiCommand::Step,
        UiCommand::Reset,
        UiCommand::FailOne,
        UiCommand::Recover,
        UiCommand::CrossCheck,
        UiCommand::ScaleUp,
        UiCommand::ScaleOut,
        UiCommand::LoadSweep,
    ];

    /// The menu label.
    pub fn label(self) -> &'static str {
        match self {
            UiCommand::New => "New",
            UiCommand::Open => "Open…",
            UiCommand::OpenPath => "Open path…",
            UiCommand::Gallery => "Example designs…",
            UiCommand::Save => "Save",
            UiCommand::SaveAs => "Save as…",
            UiCommand::SavePath => "Save to path…",
            UiCommand::ExportPicture => "Export picture…",
            UiCommand::ExportReport => "Export report…",
            UiCommand::Quit => "Quit",
            UiCommand::Undo => "Undo",
            UiCommand::Redo => "Redo",
            UiCommand::Cut => "Cut",
            UiCommand::Copy => "Copy",
            UiCommand::Paste => "Paste",
            UiCommand::Duplicate => "Duplicate",
            UiCommand::Delete => "Delete",
            UiCommand::SelectAll => "Select all",
            UiCommand::Connect => "Link selected",
            UiCommand::FitView => "Fit to view",
            UiCommand::ZoomIn => "Zoom in",
            UiCommand::ZoomOut => "Zoom out",
            UiCommand::ToggleSnap => "Snap to grid",
            UiCommand::ToggleTheme => "Dark / light theme",
            UiCommand::TogglePalette => "Show palette",
            UiCommand::ToggleSidePanel => "Show inspector and analysis",
            UiCommand::TogglePlots => "Show plots",
            UiCommand::ShowJourney => "Journey…",
            UiCommand::PlayPause => "Play / pause",
            UiCommand::Step => "Step one tick",
            UiCommand::Reset => "Reset",
            UiCommand::FailOne => "Fail one instance",
            UiCommand::Recover => "Recover",
            UiCommand::ScaleUp => "Scale up (compare)",
            UiCommand::ScaleOut => "Scale out (compare)",
            UiCommand::LoadSweep => "Load sweep",
            UiCommand::CrossCheck => "Cross-check engines",
        }
    }

    /// One plain sentence about what the command does.
    pub fn tooltip(self) -> &'static str {
        match self {
            UiCommand::New => "Start an empty design.",
            UiCommand::Open => "Open a design file (.ron).",
            UiCommand::OpenPath => {
                "Open a design by typing its path (when no file dialog is available)."
            }
            UiCommand::Gallery => {
                "Open one of the example designs that tell the viral-restaurant story."
            }
            UiCommand::Save => "Save the design to its file.",
            UiCommand::SaveAs => "Save the design to a new file.",
            UiCommand::SavePath => {
                "Save the design to a path you type (when no file dialog is available)."
            }
            UiCommand::ExportPicture => {
                "Write the design as an SVG or PNG picture (bottlenecks red, SPOF badges, as on the canvas) or, named .mmd, as a Mermaid flowchart for a document or a wiki."
            }
            UiCommand::ExportReport => {
                "Write a report to share into a folder: report.html and report.md with the design's picture, what breaks first, single points of failure, availability, cost and plots (SVG and PNG), every time series as CSV. In compare mode, of the comparison: side by side, and the load sweep."
            }
            UiCommand::Quit => "Close the window (asks first if there are unsaved changes).",
            UiCommand::Undo => "Undo the last change to the design.",
            UiCommand::Redo => "Redo the last undone change.",
            UiCommand::Cut => "Copy the selected components and remove them.",
            UiCommand::Copy => "Copy the selected components and the links between them.",
            UiCommand::Paste => "Paste copied components beside the originals.",
            UiCommand::Duplicate => "Copy and paste the selection in one go.",
            UiCommand::Delete => "Remove the selected components (with their links) or link.",
            UiCommand::SelectAll => "Select every component.",
            UiCommand::Connect => "Link the selected components in the order they were selected.",
            UiCommand::FitView => "Zoom so that the whole design fits the canvas.",
            UiCommand::ZoomIn => "Zoom in on the canvas.",
            UiCommand::ZoomOut => "Zoom out of the canvas.",
            UiCommand::ToggleSnap => "Snap moved components to a 20-unit grid.",
            UiCommand::ToggleTheme => "Switch between the dark and the light theme.",
            UiCommand::TogglePalette => {
                "Show or hide the palette of kinds on the left (more room for the canvas)."
            }
            UiCommand::ToggleSidePanel => {
                "Show or hide the inspector, the ladder and the legend on the right."
            }
            UiCommand::TogglePlots => "Show or hide the plots at the bottom.",
            UiCommand::ShowJourney => {
                "The fixes made to this design so far, each with the users it then carries, its p99, availability and monthly cost."
            }
            UiCommand::PlayPause => "Run the simulation, or pause it.",
            UiCommand::Step => "Simulate a single tick.",
            UiCommand::Reset => "Start the simulation again from time zero.",
            UiCommand::FailOne => "Take one instance of the selected component down.",
            UiCommand::Recover => "Bring every down instance of the selected component back.",
            UiCommand::ScaleUp => {
                "Compare with a copy whose bottleneck runs on the next larger size."
            }
            UiCommand::ScaleOut => {
                "Compare with a copy whose bottleneck gets more instances behind a balancer."
            }
            UiCommand::LoadSweep => {
                "Run both compared designs across loads and plot the hockey sticks."
            }
            UiCommand::CrossCheck => {
                "Run the flow and events engines on this design and scenario, several times \
                 each, and table their figures side by side: red where they differ by more \
                 than the runs' noise, amber where they differ by design."
            }
        }
    }

    /// The keyboard shortcut, if any.
    pub fn shortcut(self) -> Option<KeyboardShortcut> {
        Some(match self {
            UiCommand::New => shortcut(CMD, Key::N),
            UiCommand::Open => shortcut(CMD, Key::O),
            UiCommand::Save => shortcut(CMD, Key::S),
            UiCommand::SaveAs => shortcut(CMD_SHIFT, Key::S),
            UiCommand::Quit => shortcut(CMD, Key::Q),
            UiCommand::Undo => shortcut(CMD, Key::Z),
            UiCommand::Redo => shortcut(CMD_SHIFT, Key::Z),
            UiCommand::Cut => shortcut(CMD, Key::X),
            UiCommand::Copy => shortcut(CMD, Key::C),
            UiCommand::Paste => shortcut(CMD, Key::V),
            UiCommand::Duplicate => shortcut(CMD, Key::D),
            UiCommand::Delete => shortcut(Modifiers::NONE, Key::Delete),
            UiCommand::SelectAll => shortcut(CMD, Key::A),
            UiCommand::Connect => shortcut(Modifiers::NONE, Key::L),
            UiCommand::FitView => shortcut(Modifiers::NONE, Key::F),
            UiCommand::ZoomIn => shortcut(CMD, Key::Plus),
            UiCommand::ZoomOut => shortcut(CMD, Key::Minus),
            UiCommand::TogglePalette => shortcut(CMD, Key::Num1),
            UiCommand::ToggleSidePanel => shortcut(CMD, Key::Num2),
            UiCommand::TogglePlots => shortcut(CMD, Key::Num3),
            UiCommand::PlayPause => shortcut(Modifiers::NONE, Key::Space),
            UiCommand::Step => shortcut(Modifiers::NONE, Key::Period),
            UiCommand::Reset => shortcut(CMD, Key::R),
            _ => return None,
        })
    }

    /// Other shortcuts that do the same (Backspace deletes too).
    pub fn alternative_shortcut(self) -> Option<KeyboardShortcut> {
        match self {
            UiCommand::Delete => Some(shortcut(Modifiers::NONE, Key::Backspace)),
            UiCommand::ZoomIn => Some(shortcut(CMD, Key::Equals)),
            _ => None,
        }
    }

    /// Whether a focused text field takes the command's keys for itself: plain keys type, and
    /// select all, the clipboard and undo edit the text (Ctrl+A in a number field selected
    /// every component and closed the inspector).
    fn is_text_editing_key(self) -> bool {
        self.shortcut().is_some_and(|s| s.modifiers.is_none())
            || matches!(
                self,
                UiCommand::SelectAll
                    | UiCommand::Cut
                    | UiCommand::Copy
                    | UiCommand::Paste
                    | UiCommand::Undo
                    | UiCommand::Redo
            )
    }

    /// The menu it belongs to, one of [`GROUPS`] (the help lists shortcuts by it).
    pub fn group(self) -> &'static str {
        match self {
            UiCommand::New
            | UiCommand::Open
            | UiCommand::OpenPath
            | UiCommand::Gallery
            | UiCommand::Save
            | UiCommand::SaveAs
            | UiCommand::SavePath
            | UiCommand::ExportPicture
            | UiCommand::ExportReport
            | UiCommand::Quit => "File",
            UiCommand::Undo
            | UiCommand::Redo
            | UiCommand::Cut
            | UiCommand::Copy
            | UiCommand::Paste
            | UiCommand::Duplicate
            | UiCommand::Delete
            | UiCommand::SelectAll
            | UiCommand::Connect => "Edit",
            UiCommand::FitView
            | UiCommand::ZoomIn
            | UiCommand::ZoomOut
            | UiCommand::ToggleSnap
            | UiCommand::ToggleTheme
            | UiCommand::TogglePalette
            | UiCommand::ToggleSidePanel
            | UiCommand::TogglePlots
            | UiCommand::ShowJourney => "View",
            UiCommand::PlayPause
            | UiCommand::Step
            | UiCommand::Reset
            | UiCommand::FailOne
            | UiCommand::Recover
            | UiCommand::CrossCheck
            | UiCommand::ScaleUp
            | UiCommand::ScaleOut
            | UiCommand::LoadSweep => "Simulation",
        }
    }

    /// Whether the command means something in compare mode: its run's controls, the
    /// sweep, the theme and quitting. The rest act on the editor's design, hidden there.
    pub fn in_compare(self) -> bool {
        matches!(
            self,
            UiCommand::PlayPause
                | UiCommand::Step
                | UiCommand::Reset
                | UiCommand::LoadSweep
                | UiCommand::ExportReport
                | UiCommand::ToggleTheme
                | UiCommand::Quit
        )
    }

    /// A menu button for the command, with its shortcut shown and its tooltip on hover; returns
    /// whether it was clicked (and closes the menu if so).
    pub fn button(self, ui: &mut egui::Ui, enabled: bool) -> bool {
        let mut button = egui::Button::new(self.label());
        if let Some(s) = self.shortcut() {
            button = button.shortcut_text(ui.ctx().format_shortcut(&s));
        }
        let clicked = ui
            .add_enabled(enabled, button)
            .on_hover_text(self.tooltip())
            .clicked();
        if clicked {
            ui.close();
        }
        clicked
    }
}

/// Commands whose shortcut was pressed this frame (consumed from the input).
pub fn pressed(ctx: &egui::Context) -> Vec<UiCommand> {
    let typing = ctx.egui_wants_keyboard_input();
    let mut out = Vec::new();
    for command in UiCommand::ALL {
        if typing && command.is_text_editing_key() {
            continue;
        }
        for s in [command.shortcut(), command.alternative_shortcut()]
            .into_iter()
            .flatten()
        {
            if ctx.input_mut(|i| i.consume_shortcut(&s)) {
                out.push(command);
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_commands_share_a_shortcut() {
        // Issue 15, item 13: every shortcut, alternatives included, names one command.
        let mut seen: Vec<(KeyboardShortcut, UiCommand)> = Vec::new();
        for c in UiCommand::ALL {
            for s in [c.shortcut(), c.alternative_shortcut()]
                .into_iter()
                .flatten()
            {
                if let Some((_, other)) = seen.iter().find(|(t, _)| *t == s) {
                    panic!("{c:?} and {other:?} share {s:?}");
                }
                seen.push((s, c));
            }
        }
    }

    #[test]
    fn every_command_is_in_the_list_and_in_a_menu() {
        for c in UiCommand::ALL {
            assert!(GROUPS.contains(&c.group()), "{c:?}");
            assert_eq!(
                UiCommand::ALL.iter().filter(|&&d| d == c).count(),
                1,
                "{c:?}"
            );
        }
    }

    #[test]
    fn a_shortcut_that_adds_shift_to_another_is_matched_first() {
        // consume_shortcut matches Ctrl+S on Ctrl+Shift+S too (it ignores extra Shift), so the
        // longer one must be tried first or Save as… would save.
        let position = |c: UiCommand| UiCommand::ALL.iter().position(|&d| d == c);
        for a in UiCommand::ALL {
            for b in UiCommand::ALL {
                let (Some(sa), Some(sb)) = (a.shortcut(), b.shortcut()) else {
                    continue;
                };
                if sa.logical_key == sb.logical_key
                    && sa.modifiers == sb.modifiers.plus(Modifiers::SHIFT)
                    && sa.modifiers != sb.modifiers
                {
                    assert!(position(a) < position(b), "{a:?} must come before {b:?}");
                }
            }
        }
    }
}
