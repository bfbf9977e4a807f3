//! The open document: the design, where it lives, whether it has unsaved changes, and its
//! undo history. Every change to the design goes through [`Document::apply`], the one place
//! that keeps undo, the dirty flag and the revision counter right.

use std::path::PathBuf;

use crate::model::{Component, ComponentId, Design, Link, LinkId, Scenario};

/// A change to the design.
#[derive(Clone, Debug)]
pub enum Edit {
    /// Add a component (its name is made unique).
    Add(Component),
    /// Remove components and every link touching them, and links.
    Remove {
        /// The components to remove.
        components: Vec<ComponentId>,
        /// The links to remove.
        links: Vec<LinkId>,
    },
    /// Link two components.
    Connect {
        /// The component requests leave.
        from: ComponentId,
        /// The component requests go to.
        to: ComponentId,
        /// The new link's classes and numbers.
        link: Link,
    },
    /// Replace a link's classes and numbers.
    SetLink(LinkId, Link),
    /// Move components to new canvas positions.
    Move(Vec<(ComponentId, (f32, f32))>),
    /// Replace a component's parameters (its name included; failures naming it follow).
    Replace(ComponentId, Component),
    /// Paste components and the links among them (indices into `components`); names are made
    /// unique.
    Paste {
        /// The components to add, at their positions.
        components: Vec<Component>,
        /// The links among them: (from, to, link).
        links: Vec<(usize, usize, Link)>,
    },
    /// Replace the scenarios and the default.
    SetScenarios {
        /// Every scenario the design now has.
        scenarios: Vec<Scenario>,
        /// The name of the scenario run by default.
        default: String,
    },
    /// Replace the whole design (a fix the advice made), as one undo step.
    Design(Design),
    /// Rename the design or change its description.
    SetDescription {
        /// The design's new name.
        name: String,
        /// The design's new description: one line on what it shows.
        description: String,
    },
}

/// The open document.
pub struct Document {
    /// The design as it is now.
    pub design: Design,
    /// Where it was loaded from or last saved to.
    pub path: Option<PathBuf>,
    /// Changed since it was loaded or saved.
    pub dirty: bool,
    /// Bumped on every change the simulation or the analysis would see, so that they know to
    /// start again: not on moving components or renaming the design (a run went back to time
    /// zero, its plots wiped, whenever a node was dragged).
    pub revision: u64,
    undo: Vec<Design>,
    redo: Vec<Design>,
    /// The design as it was loaded or last saved: dirty is "differs from this", so undoing
    /// back to it (or editing back to it) leaves nothing unsaved.
    saved: Design,
}

/// Whether two designs simulate alike: the same but for where components sit on the canvas
/// and the design's own name and description.
fn simulates_alike(a: &Design, b: &Design) -> bool {
    let plain = |d: &Design| {
        let mut d = d.clone();
        d.name.clear();
        d.description.clear();
        let ids: Vec<ComponentId> = d.components().map(|(id, _)| id).collect();
        for id in ids {
            if let Some(c) = d.component_mut(id) {
                c.position = (0.0, 0.0);
            }
        }
        d
    };
    plain(a) == plain(b)
}

/// Undo steps kept.
const MAX_UNDO: usize = 200;

impl Document {
    /// A document for a design (not yet saved anywhere unless `path` is given).
    pub fn new(design: Design, path: Option<PathBuf>) -> Self {
        Self {
            saved: design.clone(),
            design,
            path,
            dirty: false,
            revision: 0,
            undo: Vec::new(),
            redo: Vec::new(),
        }
    }

    /// The name shown in the window title: the file name, or the design's name.
    pub fn title(&self) -> String {
        self.path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.design.name.clone())
    }

    /// Apply an edit as one undo step. Returns the ids of components it added (in order).
    pub fn apply(&mut self, edit: Edit) -> Vec<ComponentId> {
        let before = self.design.clone();
        let added = apply_to(&mut self.design, edit);
        if self.design != before {
            self.count_change_from(&before);
            self.undo.push(before);
            if self.undo.len() > MAX_UNDO {
                self.undo.remove(0);
            }
            self.redo.clear();
            self.dirty = self.design != self.saved;
        }
        added
    }

    /// Put a journey on the design as it is, without an undo step of its own: the journey of a
    /// fix measured after it was applied (Undo then takes the fix and its step back together).
    /// Nothing the simulation sees changes.
    pub fn set_journey(&mut self, journey: Option<crate::model::Journey>) {
        self.design.journey = journey;
        self.dirty = self.design != self.saved;
    }

    /// Bump the revision if the design now simulates differently from `before`.
    fn count_change_from(&mut self, before: &Design) {
        if !simulates_alike(before, &self.design) {
            self.revision += 1;
        }
    }

    /// Undo the last edit. Returns whether there was one.
    pub fn undo(&mut self) -> bool {
        let Some(previous) = self.undo.pop() else {
            return false;
        };
        let current = std::mem::replace(&mut self.design, previous);
        self.dirty = self.design != self.saved;
        self.count_change_from(&current);
        self.redo.push(current);
        true
    }

    /// Redo the last undone edit. Returns whether there was one.
    pub fn redo(&mut self) -> bool {
        let Some(next) = self.redo.pop() else {
            return false;
        };
        let current = std::mem::replace(&mut self.design, next);
        self.dirty = self.design != self.saved;
        self.count_change_from(&current);
        self.undo.push(current);
        true
    }

    /// Whether there is an edit to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is an undone edit to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Mark the document saved at `path`.
    pub fn saved_to(&mut self, path: PathBuf) {
        self.path = Some(path);
        self.saved = self.design.clone();
        self.dirty = false;
    }
}

/// Carry out an edit on a design.
fn apply_to(design: &mut Design, edit: Edit) -> Vec<ComponentId> {
    match edit {
        Edit::Add(mut component) => {
            component.name = design.unique_name(&component.name);
            vec![design.add(component)]
        }
        Edit::Remove { components, links } => {
            for link in links {
                design.graph.remove_edge(link);
            }
            for id in components {
                design.remove(id);
            }
            Vec::new()
        }
        Edit::Connect { from, to, link } => {
            if from != to && design.graph.find_edge(from, to).is_none() {
                design.connect(from, to, link);
            }
            Vec::new()
        }
        Edit::SetLink(id, link) => {
            if let Some(l) = design.graph.edge_weight_mut(id) {
                *l = link;
            }
            Vec::new()
        }
        Edit::Move(moves) => {
            for (id, position) in moves {
                if let Some(c) = design.component_mut(id) {
                    c.position = position;
                }
            }
            Vec::new()
        }
        Edit::Replace(id, component) => {
            let Some(old_name) = design.component(id).map(|c| c.name.clone()) else {
                return Vec::new();
            };
            if old_name != component.name {
                design.rename(id, &component.name);
            }
            if let Some(c) = design.component_mut(id) {
                *c = component;
            }
            Vec::new()
        }
        Edit::Paste { components, links } => {
            let ids: Vec<ComponentId> = components
                .into_iter()
                .map(|mut c| {
                    c.name = design.unique_name(&c.name);
                    design.add(c)
                })
                .collect();
            for (from, to, link) in links {
                if let (Some(&a), Some(&b)) = (ids.get(from), ids.get(to)) {
                    design.connect(a, b, link);
                }
            }
            ids
        }
        Edit::SetScenarios { scenarios, default } => {
            design.scenarios = scenarios;
            design.default_scenario = default;
            Vec::new()
        }
        Edit::SetDescription { name, description } => {
            design.name = name;
            design.description = description;
            Vec::new()
        }
        Edit::Design(new) => {
            *design = new;
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::KindName;

    /// A new document with one server at the origin, and the server's id.
    fn doc_with_a_server() -> (Document, ComponentId) {
        let mut doc = Document::new(Design::new("t"), None);
        let a = doc.apply(Edit::Add(Component::new(
            "server",
            KindName::Server,
            (0.0, 0.0),
        )))[0];
        (doc, a)
    }

    #[test]
    fn undoing_back_to_the_saved_design_leaves_nothing_unsaved() {
        // Issue 15, item 11: undo back to the saved state still showed it unsaved.
        let (mut doc, a) = doc_with_a_server();
        doc.saved_to(PathBuf::from("/tmp/saved.ron"));
        assert!(!doc.dirty);
        doc.apply(Edit::Move(vec![(a, (40.0, 20.0))]));
        assert!(doc.dirty);
        doc.undo();
        assert!(!doc.dirty, "back at the saved design");
        doc.redo();
        assert!(doc.dirty);
        // Editing back to the saved design by hand counts too.
        doc.apply(Edit::Move(vec![(a, (0.0, 0.0))]));
        assert!(!doc.dirty);
    }

    #[test]
    fn undo_and_redo_walk_the_history_and_keep_the_dirty_flag() {
        let (mut doc, a) = doc_with_a_server();
        doc.apply(Edit::Move(vec![(a, (40.0, 20.0))]));
        assert!(doc.dirty);
        assert_eq!(
            doc.design.component(a).map(|c| c.position),
            Some((40.0, 20.0))
        );
        assert!(doc.undo());
        assert_eq!(
            doc.design.component(a).map(|c| c.position),
            Some((0.0, 0.0))
        );
        assert!(doc.redo());
        assert_eq!(
            doc.design.component(a).map(|c| c.position),
            Some((40.0, 20.0))
        );
        // An edit that changes nothing is no undo step.
        let depth = doc.undo.len();
        doc.apply(Edit::Move(vec![(a, (40.0, 20.0))]));
        assert_eq!(doc.undo.len(), depth);
    }

    #[test]
    fn moving_components_or_renaming_the_design_does_not_restart_the_run() {
        let (mut doc, a) = doc_with_a_server();
        let revision = doc.revision;
        doc.apply(Edit::Move(vec![(a, (40.0, 20.0))]));
        doc.apply(Edit::SetDescription {
            name: "renamed".into(),
            description: "a note".into(),
        });
        assert!(doc.undo() && doc.redo());
        assert_eq!(doc.revision, revision, "layout and naming only");
        assert!(doc.dirty, "but they are unsaved changes");
        let mut bigger = doc.design.component(a).cloned().expect("server");
        if let crate::model::ComponentKind::Server(p) = &mut bigger.kind {
            p.instances = 3;
        }
        doc.apply(Edit::Replace(a, bigger));
        assert_eq!(doc.revision, revision + 1);
        assert!(doc.undo());
        assert_eq!(
            doc.revision,
            revision + 2,
            "undoing a real change is one too"
        );
    }

    #[test]
    fn pasted_components_get_unique_names_and_keep_their_links() {
        let mut doc = Document::new(Design::new("t"), None);
        doc.apply(Edit::Add(Component::new(
            "web",
            KindName::Server,
            (0.0, 0.0),
        )));
        let ids = doc.apply(Edit::Paste {
            components: vec![
                Component::new("web", KindName::Server, (0.0, 100.0)),
                Component::new("db", KindName::Database, (200.0, 100.0)),
            ],
            links: vec![(0, 1, Link::new(&[crate::model::TrafficClass::Read]))],
        });
        assert_eq!(
            doc.design.component(ids[0]).map(|c| c.name.as_str()),
            Some("web-2")
        );
        assert!(doc.design.graph.find_edge(ids[0], ids[1]).is_some());
    }
}
