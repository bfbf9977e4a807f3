//! The report's time series as CSV (RFC 4180: a header row, commas, quotes around a field
//! that needs them). Numbers keep ten significant digits (a whole number is written whole):
//! a script recomputes the report's figures from them to a part in a billion, and a run of
//! an hour stays a file a repository can hold.

use std::fmt::Write as _;

use crate::analysis::compare::{SweepPoint, SweepSide};
use crate::analysis::series::TimeSeries;

/// `field` as a CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line
/// break.
pub fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Significant digits a number keeps.
const DIGITS: i32 = 10;

/// A number as a CSV field: empty for none; whole numbers whole; others to [`DIGITS`]
/// significant digits, trailing zeros dropped.
pub fn num(v: Option<f64>) -> String {
    let Some(v) = v else {
        return String::new();
    };
    if !v.is_finite() {
        return if v.is_nan() {
            "NaN".into()
        } else if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    if v == 0.0 {
        return "0".into();
    }
    if v.abs() >= 1e15 {
        return format!("{v:e}");
    }
    if v == v.trunc() {
        return format!("{v:.0}");
    }
    let decimals = (DIGITS - 1 - v.abs().log10().floor() as i32).clamp(0, 40) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        let text = text.trim_end_matches('0').trim_end_matches('.');
        if text == "-0" {
            "0".into()
        } else {
            text.to_string()
        }
    } else {
        text
    }
}

/// The system, one row per tick (or per span of ticks in a long run).
pub fn system(series: &TimeSeries) -> String {
    let mut out = String::from(
        "time_s,duration_s,load,offered_per_s,throughput_per_s,failed_per_s,success_ratio,in_flight,latency_mean_ms,latency_p50_ms,latency_p95_ms,latency_p99_ms,retries_per_s,open_breakers,autoscaled_in_service,autoscaled_booting\n",
    );
    for r in &series.system {
        let values = [
            r.time_s,
            r.duration_s,
            r.load,
            r.offered_per_s,
            r.throughput_per_s,
            r.failed_per_s,
            r.success_ratio,
            r.in_flight,
            r.latency_ms.mean,
            r.latency_ms.p50,
            r.latency_ms.p95,
            r.latency_ms.p99,
            r.retries_per_s,
            r.open_breakers,
            r.autoscaled_in_service,
            r.autoscaled_booting,
        ];
        let cells: Vec<String> = values.iter().map(|v| num(Some(*v))).collect();
        let _ = writeln!(out, "{}", cells.join(","));
    }
    out
}

/// Each component, one row per component and tick (or span), in the design's order within
/// each tick; `in_service` is empty for a component that is not autoscaled.
pub fn components(series: &TimeSeries) -> String {
    let mut out = String::from(
        "time_s,duration_s,component,kind,utilization,offered_utilization,arrived_per_s,served_per_s,dropped_per_s,backlog,capacity_per_s,healthy_instances,in_service\n",
    );
    for (i, s) in series.system.iter().enumerate() {
        for c in &series.components {
            let Some(r) = c.rows.get(i) else { continue };
            let mut cells = vec![
                num(Some(s.time_s)),
                num(Some(s.duration_s)),
                field(&c.name),
                c.kind.to_string(),
            ];
            cells.extend(
                [
                    Some(r.utilization),
                    Some(r.offered_utilization),
                    Some(r.arrived_per_s),
                    Some(r.served_per_s),
                    Some(r.dropped_per_s),
                    Some(r.backlog),
                    Some(r.capacity_per_s),
                    Some(r.healthy_instances),
                    r.in_service,
                ]
                .map(num),
            );
            let _ = writeln!(out, "{}", cells.join(","));
        }
    }
    out
}

/// A comparison's sweep: one row per load, each design's simulated figures and the
/// formulas' (empty where they give none).
pub fn sweep(points: &[SweepPoint]) -> String {
    let figures = [
        "success_ratio",
        "throughput_per_s",
        "latency_mean_ms",
        "latency_p50_ms",
        "latency_p99_ms",
        "cost_per_month",
        "cost_to_carry_per_month",
        "predicted_success_ratio",
        "predicted_throughput_per_s",
        "predicted_latency_mean_ms",
        "predicted_latency_p99_ms",
    ];
    let mut header = vec!["load".to_string()];
    for side in ["a", "b"] {
        header.extend(figures.iter().map(|f| format!("{side}_{f}")));
    }
    let mut out = header.join(",");
    out.push('\n');
    let cells = |s: &SweepSide| {
        [
            Some(s.success_ratio),
            Some(s.throughput_per_s),
            Some(s.latency_ms.mean),
            Some(s.latency_ms.p50),
            Some(s.latency_ms.p99),
            Some(s.cost_per_month),
            s.cost_to_carry_per_month,
            Some(s.predicted.success_ratio),
            Some(s.predicted.throughput_per_s),
            s.predicted.latency_ms.mean,
            s.predicted.latency_ms.p99,
        ]
        .map(num)
    };
    for p in points {
        let mut row = vec![num(Some(p.load))];
        row.extend(cells(&p.a));
        row.extend(cells(&p.b));
        let _ = writeln!(out, "{}", row.join(","));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(field("kitchen"), "kitchen");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn numbers_keep_ten_significant_digits() {
        assert_eq!(num(None), "");
        assert_eq!(num(Some(3000.0)), "3000");
        assert_eq!(num(Some(-0.0)), "0");
        assert_eq!(num(Some(0.0008969999999999999)), "0.000897");
        assert_eq!(num(Some(1000000.0000000001)), "1000000");
        assert_eq!(num(Some(31.462237997323722)), "31.462238");
        assert_eq!(num(Some(-2.5e-12)), "-0.0000000000025");
        assert_eq!(num(Some(1e300)), "1e300");
        for v in [0.1, 2.0 / 3.0, 123_456.789_012_34, 7.3e-9, 4.4e17] {
            let back: f64 = num(Some(v)).parse().unwrap();
            assert!((back - v).abs() <= 1e-9 * v.abs(), "{v} → {back}");
        }
    }
}
