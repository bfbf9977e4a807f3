//! The price table: instance sizes (the vertical ladder, whose top is the ceiling) and the
//! prices of managed services. Shipped as `assets/pricing.ron`, which users may edit.

use serde::{Deserialize, Serialize};

use super::locate::{SourceMap, TextPosition};
use super::validate::shown;

/// One instance size on the vertical ladder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceSize {
    /// The size's name, unique in the table; servers and databases name it in their `size` field.
    pub name: String,
    /// Cores of one instance (1 to 100,000); with the Universal Scalability Law they set its
    /// capacity.
    pub vcpu: u32,
    /// Memory of one instance, in GiB; shown to the user, not used by the simulation.
    pub memory_gib: f64,
    /// Price of one instance for a month, in the table's currency.
    pub price_per_month: f64,
}

/// Prices of everything a design can contain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// The currency every price is in, such as "USD"; reports show it beside costs.
    pub currency: String,
    /// Instance sizes from the smallest to the largest; the last is the vertical ceiling.
    pub sizes: Vec<InstanceSize>,
    /// Managed databases cost this multiple of the plain instance price.
    pub database_price_factor: f64,
    /// Price of one load balancer instance for a month.
    pub load_balancer_per_instance_month: f64,
    /// Price of a million requests through a load balancer.
    pub load_balancer_per_million_requests: f64,
    /// Price of one cache instance for a month.
    pub cache_per_instance_month: f64,
    /// Price of one message-queue broker instance for a month.
    pub queue_per_instance_month: f64,
    /// Price of a million messages through a message queue.
    pub queue_per_million_messages: f64,
    /// Price of a million requests reaching a CDN, hits and misses alike.
    pub cdn_per_million_requests: f64,
    /// Price of one GiB leaving the cloud (to users or to the CDN).
    pub transfer_per_gib: f64,
    /// Mean size of a response, used to estimate data transfer.
    pub response_kib: f64,
}

/// Why a price table was refused, and where in its text.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceError {
    /// Line and column in the price table's text the error is about, when known.
    pub position: Option<TextPosition>,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl std::fmt::Display for PriceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some(p) => write!(f, "{p}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

/// The price table shipped in `assets/pricing.ron`.
pub const DEFAULT_PRICING_RON: &str = include_str!("../../assets/pricing.ron");

impl PriceTable {
    /// The shipped price table.
    pub fn builtin() -> Self {
        // The shipped table is checked by a unit test, so this cannot fail at run time.
        Self::parse(DEFAULT_PRICING_RON).unwrap_or_else(|e| panic!("assets/pricing.ron: {e}"))
    }

    /// Parse a price table, checking that every size and price is a sensible number and that
    /// sizes ascend. A byte-order mark at the start is skipped, as in design files. Errors
    /// carry the line and column of what they are about.
    pub fn parse(text: &str) -> Result<Self, PriceError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let table: PriceTable = ron::from_str(text).map_err(|e| PriceError {
            position: Some(TextPosition {
                line: e.span.start.line,
                column: e.span.start.col,
            }),
            message: e.code.to_string(),
        })?;
        let map = SourceMap::scan(text);
        let at_size = |index: usize, field: &str, message: String| PriceError {
            position: map.field(text, &["sizes"], index, field),
            message,
        };
        let at_key = |key: &str, message: String| PriceError {
            position: map.key(key),
            message,
        };
        if table.sizes.is_empty() {
            return Err(at_key(
                "sizes",
                "the price table lists no instance sizes".into(),
            ));
        }
        let mut names = std::collections::HashSet::new();
        // Beyond any machine or price there is, and far inside what the sums can carry.
        const MAX_VCPU: u32 = 100_000;
        const MAX_PRICE: f64 = 1e9;
        // Each size's own numbers first: an infinite price is that, not a size out of order.
        for (index, size) in table.sizes.iter().enumerate() {
            if !(1..=MAX_VCPU).contains(&size.vcpu) {
                return Err(at_size(
                    index,
                    "vcpu",
                    format!(
                        "size '{}' needs 1 to {MAX_VCPU} vCPU, not {}",
                        size.name, size.vcpu
                    ),
                ));
            }
            if !(size.memory_gib > 0.0 && size.memory_gib.is_finite()) {
                return Err(at_size(
                    index,
                    "memory_gib",
                    format!(
                        "size '{}' needs memory above zero, not {}",
                        size.name,
                        shown(size.memory_gib)
                    ),
                ));
            }
            if !(size.price_per_month > 0.0 && size.price_per_month <= MAX_PRICE) {
                return Err(at_size(
                    index,
                    "price_per_month",
                    format!(
                        "size '{}' needs a price above zero, up to {MAX_PRICE:e}, not {}",
                        size.name,
                        shown(size.price_per_month)
                    ),
                ));
            }
            if !names.insert(size.name.as_str()) {
                return Err(at_size(
                    index,
                    "name",
                    format!("size '{}' is listed twice", size.name),
                ));
            }
        }
        for (index, pair) in table.sizes.windows(2).enumerate() {
            if pair[1].vcpu <= pair[0].vcpu || pair[1].price_per_month <= pair[0].price_per_month {
                return Err(at_size(
                    index + 1,
                    "name",
                    format!(
                        "instance sizes must ascend in vCPU and price: '{}' comes after '{}'",
                        pair[1].name, pair[0].name
                    ),
                ));
            }
        }
        // Every price and the response size: a finite number, zero or more (the database
        // factor above zero), or costs come out negative, infinite or not a number.
        let rates = [
            (
                "load_balancer_per_instance_month",
                table.load_balancer_per_instance_month,
            ),
            (
                "load_balancer_per_million_requests",
                table.load_balancer_per_million_requests,
            ),
            ("cache_per_instance_month", table.cache_per_instance_month),
            ("queue_per_instance_month", table.queue_per_instance_month),
            (
                "queue_per_million_messages",
                table.queue_per_million_messages,
            ),
            ("cdn_per_million_requests", table.cdn_per_million_requests),
            ("transfer_per_gib", table.transfer_per_gib),
            ("response_kib", table.response_kib),
        ];
        for (field, value) in rates {
            if !(value.is_finite() && (0.0..=MAX_PRICE).contains(&value)) {
                return Err(at_key(
                    field,
                    format!(
                        "{field} must be a number from 0 to {MAX_PRICE:e}, not {}",
                        shown(value)
                    ),
                ));
            }
        }
        let factor = table.database_price_factor;
        if !(factor.is_finite() && factor > 0.0 && factor <= 1_000.0) {
            return Err(at_key(
                "database_price_factor",
                format!(
                    "database_price_factor must be above zero and at most 1000, not {}",
                    shown(factor)
                ),
            ));
        }
        Ok(table)
    }

    /// The size with that name.
    pub fn size(&self, name: &str) -> Option<&InstanceSize> {
        self.sizes.iter().find(|s| s.name == name)
    }

    /// Position of a size on the ladder.
    pub fn size_rank(&self, name: &str) -> Option<usize> {
        self.sizes.iter().position(|s| s.name == name)
    }

    /// The next larger size, or `None` at the ceiling.
    pub fn next_larger(&self, name: &str) -> Option<&InstanceSize> {
        self.size_rank(name).and_then(|i| self.sizes.get(i + 1))
    }

    /// The largest size: the vertical ceiling.
    pub fn largest(&self) -> &InstanceSize {
        // `parse` refuses an empty table.
        &self.sizes[self.sizes.len() - 1]
    }

    /// The names of all sizes, smallest first, for messages and pickers.
    pub fn size_names(&self) -> Vec<&str> {
        self.sizes.iter().map(|s| s.name.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negative_or_missing_price_is_refused_naming_the_field() {
        let broken = |from: &str, to: &str| {
            assert!(DEFAULT_PRICING_RON.contains(from), "{from}");
            PriceTable::parse(&DEFAULT_PRICING_RON.replacen(from, to, 1))
                .expect_err("refused")
                .to_string()
        };
        let table = PriceTable::builtin();
        let factor = format!("database_price_factor: {:?}", table.database_price_factor);
        assert!(broken(&factor, "database_price_factor: -1.7").contains("database_price_factor"));
        let transfer = format!("transfer_per_gib: {:?}", table.transfer_per_gib);
        assert!(broken(&transfer, "transfer_per_gib: inf").contains("transfer_per_gib"));
        let first = &table.sizes[0].name;
        let second = format!("name: \"{}\"", table.sizes[1].name);
        assert!(broken(&second, &format!("name: \"{first}\"")).contains("twice"));
    }

    #[test]
    fn shipped_price_table_parses_and_ascends() {
        let table = PriceTable::parse(DEFAULT_PRICING_RON).expect("assets/pricing.ron parses");
        assert!(table.sizes.len() >= 6);
        // Larger sizes cost more than proportionally per vCPU at the top of the ladder.
        let first = &table.sizes[0];
        let last = table.largest();
        let per_vcpu_first = first.price_per_month / f64::from(first.vcpu);
        let per_vcpu_last = last.price_per_month / f64::from(last.vcpu);
        assert!(per_vcpu_last > per_vcpu_first);
    }
}
