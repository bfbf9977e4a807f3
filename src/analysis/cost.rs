//! Cost from the price table: instances at their size's monthly price (databases at the
//! managed premium), per-instance services, per-request charges, and data transfer.

use serde::Serialize;

use crate::model::{ComponentId, ComponentKind, Design, PriceTable};
use crate::sim::laws::Laws;

/// Seconds in a 30-day month.
pub const SECONDS_PER_MONTH: f64 = 30.0 * 24.0 * 3600.0;

/// One component's monthly cost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComponentCost {
    /// The component's name.
    pub name: String,
    /// The component's id in the design (not in JSON).
    #[serde(skip)]
    pub id: ComponentId,
    /// What the component costs a month, in the table's currency: its instances and its per-request
    /// charges.
    pub per_month: f64,
}

/// A design's monthly cost at a traffic level.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CostReport {
    /// The price table's currency, in which every figure here is.
    pub currency: String,
    /// Every component but clients, in design order.
    pub components: Vec<ComponentCost>,
    /// Data leaving the cloud: every response to a client, at the table's mean response size.
    pub transfer_per_month: f64,
    /// The total a month: the components and the data transfer.
    pub per_month: f64,
}

/// The cost of running `design` for a month with `load` times its base load (from `laws`).
pub fn monthly_cost(design: &Design, laws: &Laws, prices: &PriceTable, load: f64) -> CostReport {
    let million_per_month = |rate_per_s: f64| rate_per_s * load * SECONDS_PER_MONTH / 1e6;
    let mut components = Vec::new();
    for law in &laws.nodes {
        let Some(component) = design.component(law.id) else {
            continue;
        };
        let size_price = |size: &str| prices.size(size).map_or(0.0, |s| s.price_per_month);
        let per_month = match &component.kind {
            ComponentKind::Client(_) => continue,
            ComponentKind::Server(p) => f64::from(p.instances) * size_price(&p.size),
            ComponentKind::Database(p) => {
                f64::from(p.shards * (p.instances + u32::from(p.standby)))
                    * size_price(&p.size)
                    * prices.database_price_factor
            }
            ComponentKind::LoadBalancer(p) => {
                f64::from(p.instances) * prices.load_balancer_per_instance_month
                    + million_per_month(law.rate_per_s) * prices.load_balancer_per_million_requests
            }
            ComponentKind::Cache(p) => f64::from(p.instances) * prices.cache_per_instance_month,
            ComponentKind::MessageQueue(p) => {
                f64::from(p.instances) * prices.queue_per_instance_month
                    + million_per_month(law.rate_per_s) * prices.queue_per_million_messages
            }
            ComponentKind::Cdn(_) => {
                million_per_month(law.rate_per_s) * prices.cdn_per_million_requests
            }
        };
        components.push(ComponentCost {
            name: law.name.clone(),
            id: law.id,
            per_month,
        });
    }
    let responses_per_s = laws.base_rate_per_s;
    let transfer_gib =
        responses_per_s * load * SECONDS_PER_MONTH * prices.response_kib / (1024.0 * 1024.0);
    let transfer_per_month = transfer_gib * prices.transfer_per_gib;
    let per_month = components.iter().map(|c| c.per_month).sum::<f64>() + transfer_per_month;
    CostReport {
        currency: prices.currency.clone(),
        components,
        transfer_per_month,
        per_month,
    }
}

/// Cost per million requests served, from a monthly cost and the successful request rate;
/// `None` when nothing is served (a price per request served has no value then, and 0 would
/// read as free).
pub fn per_million_requests(per_month: f64, throughput_per_s: f64) -> Option<f64> {
    let millions = throughput_per_s * SECONDS_PER_MONTH / 1e6;
    (millions > 0.0).then(|| per_month / millions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cost_per_million_requests_needs_requests_served() {
        // 2,592 a month at one request a second: 2.592 million requests, 1,000 per million.
        let per_million = per_million_requests(2_592.0, 1.0).expect("requests served");
        assert!((per_million - 1_000.0).abs() < 1e-9);
        assert_eq!(per_million_requests(2_592.0, 0.0), None);
    }
}
