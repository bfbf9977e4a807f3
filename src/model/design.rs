//! The design document: components and links in a `StableGraph`, plus scenarios.
//!
//! This is the one source of truth the app edits and the simulation reads. Canvas positions
//! belong to it; selection and camera do not.

use petgraph::Direction;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::{EdgeRef, IntoEdgeReferences};

use super::component::{Component, KindName, TrafficClass};
use super::link::Link;
use super::scenario::Scenario;

/// Identifies a component in a design; stays valid when other components are removed.
pub type ComponentId = NodeIndex;
/// Identifies a link in a design; stays valid when other links are removed.
pub type LinkId = EdgeIndex;

/// The room a component's box takes on the canvas, in scene units (width, height); the
/// canvas draws it this size.
pub const COMPONENT_FOOTPRINT: (f32, f32) = (176.0, 76.0);

/// A software architecture: a graph of components and links, and its scenarios.
#[derive(Clone, Debug)]
pub struct Design {
    /// The design's name, shown in titles and reports.
    pub name: String,
    /// One line that says what the design shows.
    pub description: String,
    /// Components as nodes and links as edges; a stable graph, so ids stay valid when others are
    /// removed.
    pub graph: StableDiGraph<Component, Link>,
    /// The scenarios the design can run, each with a name unique within the design.
    pub scenarios: Vec<Scenario>,
    /// The name of the scenario that runs when none is asked for.
    pub default_scenario: String,
    /// The fixes made to it so far, with what each bought (`None`: no journey yet).
    pub journey: Option<super::journey::Journey>,
}

impl Default for Design {
    fn default() -> Self {
        Self {
            name: "untitled".into(),
            description: String::new(),
            graph: StableDiGraph::default(),
            scenarios: vec![Scenario::default()],
            default_scenario: Scenario::default().name,
            journey: None,
        }
    }
}

/// Two designs are equal when they hold the same components and links under the same ids,
/// and the same scenarios. (Undo compares designs this way.)
impl PartialEq for Design {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.description == other.description
            && self.default_scenario == other.default_scenario
            && self.scenarios == other.scenarios
            && self.journey == other.journey
            && self.graph.node_count() == other.graph.node_count()
            && self.graph.edge_count() == other.graph.edge_count()
            && self
                .graph
                .node_indices()
                .all(|id| other.graph.node_weight(id) == self.graph.node_weight(id))
            && self.graph.edge_indices().all(|id| {
                self.graph.edge_endpoints(id) == other.graph.edge_endpoints(id)
                    && self.graph.edge_weight(id) == other.graph.edge_weight(id)
            })
    }
}

impl Design {
    /// An empty design with the given name and one default scenario.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// The component with this id.
    pub fn component(&self, id: ComponentId) -> Option<&Component> {
        self.graph.node_weight(id)
    }

    /// The component with this id, to edit.
    pub fn component_mut(&mut self, id: ComponentId) -> Option<&mut Component> {
        self.graph.node_weight_mut(id)
    }

    /// Every component with its id, in id order (the order of the file).
    pub fn components(&self) -> impl Iterator<Item = (ComponentId, &Component)> + '_ {
        self.graph
            .node_indices()
            .filter_map(|id| self.graph.node_weight(id).map(|c| (id, c)))
    }

    /// Every link with its id and ends, in id order (the order of the file).
    pub fn links(&self) -> impl Iterator<Item = (LinkId, ComponentId, ComponentId, &Link)> + '_ {
        (&self.graph)
            .edge_references()
            .map(|e| (e.id(), e.source(), e.target(), e.weight()))
    }

    /// The components by name: for many look-ups (`find` walks the components each time,
    /// and a report that asked it once per component took minutes at 100,000).
    pub fn ids_by_name(&self) -> std::collections::HashMap<&str, ComponentId> {
        self.components()
            .map(|(id, c)| (c.name.as_str(), id))
            .collect()
    }

    /// The id of the component with this name.
    pub fn find(&self, name: &str) -> Option<ComponentId> {
        self.components()
            .find(|(_, c)| c.name == name)
            .map(|(id, _)| id)
    }

    /// The number of components.
    pub fn component_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Add a component and return its id. The caller keeps names unique
    /// (see [`Design::unique_name`]).
    pub fn add(&mut self, component: Component) -> ComponentId {
        self.graph.add_node(component)
    }

    /// Link two components.
    pub fn connect(&mut self, from: ComponentId, to: ComponentId, link: Link) -> LinkId {
        self.graph.add_edge(from, to, link)
    }

    /// The position nearest `wanted` where a component's box (`COMPONENT_FOOTPRINT`, with a
    /// margin) overlaps no other component's: `wanted` itself if it is free, else the first
    /// free point on rings of grid steps around it (a new component dropped on the middle of
    /// the view used to land on whatever sat there).
    pub fn free_position(&self, wanted: (f32, f32)) -> (f32, f32) {
        self.nearest_where(wanted, |_| true)
    }

    /// The free position (as [`Design::free_position`]) nearest `wanted` from which a
    /// straight link to each of `linked` crosses no other component's box, so that a
    /// component added between others does not tangle its links with theirs. Falls back to
    /// the nearest free position when no such point is near.
    pub fn clear_position(&self, wanted: (f32, f32), linked: &[ComponentId]) -> (f32, f32) {
        let (w, h) = COMPONENT_FOOTPRINT;
        let centre = |(x, y): (f32, f32)| (x + w / 2.0, y + h / 2.0);
        let ends: Vec<(f32, f32)> = linked
            .iter()
            .filter_map(|&id| self.component(id))
            .map(|c| centre(c.position))
            .collect();
        let placed = self.nearest_where(wanted, |p| {
            let from = centre(p);
            ends.iter().all(|&to| {
                self.components()
                    .filter(|(id, _)| !linked.contains(id))
                    .all(|(_, c)| !segment_crosses_box(from, to, c.position, (w, h)))
            })
        });
        if placed == wanted && !self.is_free(wanted) {
            self.free_position(wanted)
        } else {
            placed
        }
    }

    /// Whether a component's box at `p` keeps its margin from every other box.
    fn is_free(&self, (x, y): (f32, f32)) -> bool {
        const MARGIN: f32 = 20.0;
        let (w, h) = COMPONENT_FOOTPRINT;
        self.components().all(|(_, c)| {
            (c.position.0 - x).abs() >= w + MARGIN || (c.position.1 - y).abs() >= h + MARGIN
        })
    }

    /// The free point nearest `wanted` on rings of grid steps around it that also passes
    /// `also`; `wanted` when none within 60 rings does.
    fn nearest_where(&self, wanted: (f32, f32), also: impl Fn((f32, f32)) -> bool) -> (f32, f32) {
        const STEP: f32 = 20.0;
        const MAX_RINGS: i32 = 60;
        for ring in 0..=MAX_RINGS {
            // The points of the square ring, nearest first.
            let mut points: Vec<(f32, f32)> = (-ring..=ring)
                .flat_map(|i| (-ring..=ring).map(move |j| (i, j)))
                .filter(|(i, j)| i.abs().max(j.abs()) == ring)
                .map(|(i, j)| (wanted.0 + i as f32 * STEP, wanted.1 + j as f32 * STEP))
                .collect();
            points.sort_by(|a, b| {
                let d = |p: &(f32, f32)| (p.0 - wanted.0).powi(2) + (p.1 - wanted.1).powi(2);
                d(a).total_cmp(&d(b))
            });
            if let Some(p) = points.into_iter().find(|&p| self.is_free(p) && also(p)) {
                return p;
            }
        }
        wanted
    }

    /// How far to move a group of components placed at `positions` (a copy of some of this
    /// design's) so that none of them overlaps a component already here: the nearest of a
    /// step right or a step down, then two, … (Ctrl+D put the copy on top of the original).
    pub fn free_offset(&self, positions: &[(f32, f32)]) -> (f32, f32) {
        const MARGIN: f32 = 20.0;
        let (w, h) = COMPONENT_FOOTPRINT;
        let free = |(dx, dy): (f32, f32)| {
            positions
                .iter()
                .all(|&(x, y)| self.is_free((x + dx, y + dy)))
        };
        (1..=100)
            .flat_map(|k| {
                let k = k as f32;
                [(0.0, k * (h + MARGIN)), (k * (w + MARGIN), 0.0)]
            })
            .find(|&offset| free(offset))
            .unwrap_or((40.0, 40.0))
    }

    /// Remove a component and every link that touches it.
    pub fn remove(&mut self, id: ComponentId) -> Option<Component> {
        self.graph.remove_node(id)
    }

    /// The links leaving a component: (link id, target, link).
    pub fn outgoing(
        &self,
        id: ComponentId,
    ) -> impl Iterator<Item = (LinkId, ComponentId, &Link)> + '_ {
        self.graph
            .edges_directed(id, Direction::Outgoing)
            .map(|e| (e.id(), e.target(), e.weight()))
    }

    /// The links entering a component: (link id, source, link).
    pub fn incoming(
        &self,
        id: ComponentId,
    ) -> impl Iterator<Item = (LinkId, ComponentId, &Link)> + '_ {
        self.graph
            .edges_directed(id, Direction::Incoming)
            .map(|e| (e.id(), e.source(), e.weight()))
    }

    /// Put `front` in front of `target`: every link that entered `target` enters `front`
    /// instead, and `front` passes all their classes on to `target` (a balancer before a
    /// tier, a cache before a database).
    pub fn put_in_front(&mut self, target: ComponentId, front: ComponentId) {
        let incoming: Vec<_> = self
            .incoming(target)
            .filter(|(_, source, _)| *source != front)
            .map(|(l, s, link)| (l, s, link.clone()))
            .collect();
        let mut classes: Vec<TrafficClass> = Vec::new();
        for (link_id, source, link) in incoming {
            self.graph.remove_edge(link_id);
            classes.extend(link.carries.iter().copied());
            self.connect(source, front, link);
        }
        self.connect(front, target, Link::new(&classes));
    }

    /// A name not used yet in this design: `base`, or `base-2`, `base-3`, …
    pub fn unique_name(&self, base: &str) -> String {
        let taken = |n: &str| self.components().any(|(_, c)| c.name == n);
        if !taken(base) {
            return base.to_string();
        }
        (2..)
            .map(|i| format!("{base}-{i}"))
            .find(|n| !taken(n))
            .unwrap_or_else(|| base.to_string())
    }

    /// The scenario with this name.
    pub fn scenario(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.name == name)
    }

    /// The default scenario (or the first one if the default is missing).
    pub fn default_scenario(&self) -> Option<&Scenario> {
        self.scenario(&self.default_scenario)
            .or(self.scenarios.first())
    }

    /// The ids of components of a kind.
    pub fn of_kind(&self, kind: KindName) -> impl Iterator<Item = ComponentId> + '_ {
        self.components()
            .filter(move |(_, c)| c.kind.name() == kind)
            .map(|(id, _)| id)
    }

    /// Rename a component, and every scenario failure that names it.
    pub fn rename(&mut self, id: ComponentId, new_name: &str) {
        let Some(component) = self.graph.node_weight_mut(id) else {
            return;
        };
        let old = std::mem::replace(&mut component.name, new_name.to_string());
        for scenario in &mut self.scenarios {
            for failure in &mut scenario.failures {
                if failure.component == old {
                    failure.component = new_name.to_string();
                }
            }
            for assertion in &mut scenario.assertions {
                if let Some(renamed) =
                    crate::model::assertions::with_component_renamed(assertion, &old, new_name)
                {
                    *assertion = renamed;
                }
            }
        }
    }
}

/// Whether the segment `from`–`to` passes through the box with top-left corner `corner` and
/// size `size` (Liang–Barsky clipping).
fn segment_crosses_box(
    from: (f32, f32),
    to: (f32, f32),
    corner: (f32, f32),
    size: (f32, f32),
) -> bool {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let (mut enter, mut leave) = (0.0_f32, 1.0_f32);
    for (p, q) in [
        (-dx, from.0 - corner.0),
        (dx, corner.0 + size.0 - from.0),
        (-dy, from.1 - corner.1),
        (dy, corner.1 + size.1 - from.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                enter = enter.max(t);
            } else {
                leave = leave.min(t);
            }
        }
    }
    enter <= leave
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::KindName;

    #[test]
    fn a_free_position_keeps_clear_of_every_box_and_is_the_wanted_one_when_free() {
        let mut design = Design::new("t");
        for x in [0.0, 200.0] {
            design.add(Component::new(format!("s{x}"), KindName::Server, (x, 0.0)));
        }
        assert_eq!(design.free_position((0.0, 300.0)), (0.0, 300.0));
        let (w, h) = COMPONENT_FOOTPRINT;
        let p = design.free_position((100.0, 0.0));
        for (_, c) in design.components() {
            let clear = (c.position.0 - p.0).abs() >= w || (c.position.1 - p.1).abs() >= h;
            assert!(clear, "{p:?} overlaps {}", c.name);
        }
        // The nearest clear point: straight above or below the row, not far away.
        assert!((p.1.abs() - 100.0).abs() < 1.0 && p.0 == 100.0, "{p:?}");
    }
}
