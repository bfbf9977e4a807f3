//! The bottleneck ladder: each component's saturation load from the operational laws, in
//! ascending order. The first step is today's bottleneck; the next is where the load goes
//! once the first is fixed, and so on (throughput X ≤ min_k c_k / D_k).

use serde::Serialize;

use crate::model::{ComponentId, KindName};
use crate::sim::laws::Laws;

/// One step of the ladder.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LadderStep {
    /// The component's name.
    pub name: String,
    /// The component's id in the design (not in JSON).
    #[serde(skip)]
    pub id: ComponentId,
    /// The component's kind (not in JSON).
    #[serde(skip)]
    pub kind: KindName,
    /// The load multiplier (of the design's base load) at which the component's busiest
    /// part reaches utilization 1.
    pub saturates_at_load: f64,
    /// Its utilization at base load.
    pub utilization_at_base_load: f64,
}

/// The ladder, lowest saturation load first; components with no load are left out.
pub fn bottleneck_ladder(laws: &Laws) -> Vec<LadderStep> {
    let mut steps: Vec<LadderStep> = laws
        .nodes
        .iter()
        .filter(|n| n.kind != KindName::Client)
        .filter_map(|n| {
            n.saturates_at_load().map(|at| LadderStep {
                name: n.name.clone(),
                id: n.id,
                kind: n.kind,
                saturates_at_load: at,
                utilization_at_base_load: n.utilization,
            })
        })
        .collect();
    steps.sort_by(|a, b| {
        a.saturates_at_load
            .total_cmp(&b.saturates_at_load)
            .then_with(|| a.name.cmp(&b.name))
    });
    steps
}
