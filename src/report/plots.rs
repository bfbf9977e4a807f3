//! The report's plots: line charts drawn headless as SVG by plotters (text laid out with
//! the shipped DejaVu Sans), rendered to PNG by [`crate::render`].

use plotters::prelude::*;
use plotters::style::FontStyle;

/// A plot's size in pixels (SVG user units): wide enough for a page, short enough for two
/// on a slide.
pub const SIZE: (u32, u32) = (880, 360);

/// The most points a line draws: a longer series keeps, for each of this many ÷ 2 stretches
/// of it, its lowest and its highest point in the order they came (the picture's envelope,
/// spikes and dips included, at a size a page opens quickly).
pub const MAX_POINTS: usize = 1_200;

/// The colours lines take in turn (colour-blind-safe: Okabe and Ito's palette).
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(80, 80, 80),
];

/// One line of a chart.
#[derive(Clone, Debug)]
pub struct Line {
    /// Its legend.
    pub label: String,
    /// (x, y) points, in order of x; non-finite points break nothing (they are left out).
    pub points: Vec<(f64, f64)>,
    /// Its colour.
    pub color: RGBColor,
    /// Dashed (a prediction beside what was simulated).
    pub dashed: bool,
    /// Stroke width in pixels: a line drawn first may be wider, so that one drawn over it
    /// where they coincide leaves it showing on both sides.
    pub width: u32,
}

/// How an axis reads its numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// Plain numbers.
    Plain,
    /// Shares 0 to 1 shown as percentages.
    Percent,
    /// Load multipliers on a log scale, shown as `×2`.
    LogLoad,
}

/// A line chart.
#[derive(Clone, Debug)]
pub struct Chart {
    /// Its title.
    pub title: String,
    /// What x is, with its unit.
    pub x_label: String,
    /// What y is, with its unit.
    pub y_label: String,
    /// How x reads.
    pub x_axis: Axis,
    /// How y reads.
    pub y_axis: Axis,
    /// The lines.
    pub lines: Vec<Line>,
}

/// Register the shipped face with plotters once (it measures text with it).
fn register_fonts() {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(|| {
        // The bytes are the shipped font, checked by the tests: registering cannot fail on them.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            crate::render::FONT_REGULAR,
        );
        let _ =
            plotters::style::register_font("sans-serif", FontStyle::Bold, crate::render::FONT_BOLD);
    });
}

/// A number for an axis label: short, with thousands as `k` and millions as `M`.
pub fn axis_number(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = if scaled.abs() >= 100.0 || scaled == scaled.trunc() {
        format!("{scaled:.0}")
    } else if scaled.abs() >= 10.0 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.2}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{suffix}")
}

/// The axis's value where the chart puts `v` (log10 for a log axis).
fn to_axis(axis: Axis, v: f64) -> f64 {
    match axis {
        Axis::LogLoad => v.log10(),
        Axis::Plain | Axis::Percent => v,
    }
}

/// The text of an axis tick at the axis's value `v`.
fn label(axis: Axis, v: f64) -> String {
    match axis {
        Axis::Plain => axis_number(v),
        Axis::Percent => format!("{}%", axis_number(v * 100.0)),
        Axis::LogLoad => format!("×{}", axis_number(10f64.powf(v))),
    }
}

/// The range an axis shows for `values`: a plain or percent y axis starts at 0 (a rate or a
/// share read from zero), with a little room above the highest; a flat series gets a unit
/// of room.
fn range(axis: Axis, values: impl Iterator<Item = f64>, is_y: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if is_y && axis != Axis::LogLoad {
        lo = lo.min(0.0);
        if axis == Axis::Percent {
            hi = hi.max(1.0);
        }
        let room = (hi - lo) * 0.05;
        hi += room;
    }
    if hi - lo < 1e-12 {
        let pad = if hi.abs() > 0.0 { hi.abs() * 0.1 } else { 1.0 };
        (lo - pad, hi + pad)
    } else {
        (lo, hi)
    }
}

/// `points` thinned to at most [`MAX_POINTS`], keeping each stretch's lowest and highest y.
fn thinned(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if points.len() <= MAX_POINTS {
        return points;
    }
    let stretch = points.len().div_ceil(MAX_POINTS / 2);
    let mut out = Vec::with_capacity(MAX_POINTS);
    for chunk in points.chunks(stretch) {
        let (mut lo, mut hi) = (0, 0);
        for (i, p) in chunk.iter().enumerate() {
            if p.1 < chunk[lo].1 {
                lo = i;
            }
            if p.1 > chunk[hi].1 {
                hi = i;
            }
        }
        out.push(chunk[lo.min(hi)]);
        if lo != hi {
            out.push(chunk[lo.max(hi)]);
        }
    }
    out
}

/// The corner the legend covers least data in: the share of the points that fall in each
/// corner's box (a quarter of the width, a third of the height), fewest first; ties keep the
/// order upper left, upper right, lower right, lower left.
fn legend_corner(lines: &[Vec<(f64, f64)>], x: (f64, f64), y: (f64, f64)) -> SeriesLabelPosition {
    let corners = [
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let norm = |v: f64, (lo, hi): (f64, f64)| (v - lo) / (hi - lo).max(1e-300);
    let count = |right: bool, upper: bool| {
        lines
            .iter()
            .flatten()
            .filter(|&&(px, py)| {
                let (nx, ny) = (norm(px, x), norm(py, y));
                let in_x = if right { nx >= 0.75 } else { nx <= 0.25 };
                let in_y = if upper { ny >= 0.67 } else { ny <= 0.33 };
                in_x && in_y
            })
            .count()
    };
    corners
        .into_iter()
        .min_by_key(|&(_, right, upper)| count(right, upper))
        .map_or(SeriesLabelPosition::UpperLeft, |c| c.0)
}

/// `text` without the characters an SVG cannot carry (control characters, U+FFFE, U+FFFF),
/// which names may hold: as spaces.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The chart as an SVG document.
pub fn svg(chart: &Chart) -> Result<String, String> {
    register_fonts();
    let lines: Vec<(Vec<(f64, f64)>, &Line)> = chart
        .lines
        .iter()
        .map(|l| {
            let points = l
                .points
                .iter()
                .map(|&(x, y)| (to_axis(chart.x_axis, x), to_axis(chart.y_axis, y)))
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            (thinned(points), l)
        })
        .collect();
    let all = || lines.iter().flat_map(|(p, _)| p.iter().copied());
    let (x0, x1) = range(chart.x_axis, all().map(|p| p.0), false);
    let (y0, y1) = range(chart.y_axis, all().map(|p| p.1), true);
    let corner = legend_corner(
        &lines.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        (x0, x1),
        (y0, y1),
    );
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        let e =
            |e: DrawingAreaErrorKind<_>| format!("cannot draw the plot \"{}\": {e}", chart.title);
        root.fill(&WHITE).map_err(e)?;
        let mut c = ChartBuilder::on(&root)
            .caption(printable(&chart.title), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(e)?;
        let (xf, yf) = (
            |v: &f64| label(chart.x_axis, *v),
            |v: &f64| label(chart.y_axis, *v),
        );
        c.configure_mesh()
            .x_desc(&chart.x_label)
            .y_desc(&chart.y_label)
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .x_labels(8)
            .y_labels(6)
            .max_light_lines(1)
            .light_line_style(RGBColor(240, 240, 240))
            .bold_line_style(RGBColor(215, 215, 215))
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .draw()
            .map_err(e)?;
        for (points, line) in &lines {
            let style = ShapeStyle::from(&line.color).stroke_width(line.width);
            let (color, width) = (line.color, line.width);
            let drawn = if line.dashed {
                c.draw_series(DashedLineSeries::new(points.iter().copied(), 6, 4, style))
            } else {
                c.draw_series(LineSeries::new(points.iter().copied(), style))
            };
            drawn
                .map_err(e)?
                .label(printable(&line.label))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(width))
                });
        }
        // Always: a chart of one component's line still names it.
        if !lines.is_empty() {
            c.configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(RGBColor(200, 200, 200))
                .label_font(("sans-serif", 12))
                .position(corner)
                .draw()
                .map_err(e)?;
        }
        root.present().map_err(e)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_numbers_read_short() {
        assert_eq!(axis_number(0.0), "0");
        assert_eq!(axis_number(0.25), "0.25");
        assert_eq!(axis_number(12.5), "12.5");
        assert_eq!(axis_number(2500.0), "2500");
        assert_eq!(axis_number(25_000.0), "25k");
        assert_eq!(axis_number(3_500_000.0), "3.5M");
        assert_eq!(label(Axis::Percent, 0.995), "99.5%");
        assert_eq!(label(Axis::LogLoad, 2f64.log10()), "×2");
    }

    #[test]
    fn a_chart_draws_each_line_and_its_legend() {
        let chart = Chart {
            title: "Throughput".into(),
            x_label: "time (s)".into(),
            y_label: "requests/s".into(),
            x_axis: Axis::Plain,
            y_axis: Axis::Plain,
            lines: vec![
                Line {
                    label: "offered".into(),
                    points: (0..50).map(|i| (f64::from(i), 100.0)).collect(),
                    color: PALETTE[0],
                    dashed: false,
                    width: 2,
                },
                Line {
                    label: "completed".into(),
                    points: (0..50)
                        .map(|i| (f64::from(i), f64::from(i) * 2.0))
                        .collect(),
                    color: PALETTE[1],
                    dashed: true,
                    width: 2,
                },
            ],
        };
        let svg = svg(&chart).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        for text in [
            "Throughput",
            "offered",
            "completed",
            "requests/s",
            "time (s)",
        ] {
            assert!(svg.contains(text), "{text} missing");
        }
        assert!(crate::render::png_from_svg(&svg, 1.0).is_ok());
    }

    #[test]
    fn the_legend_goes_where_the_lines_are_not() {
        let high = vec![(0.0, 9.0), (5.0, 9.5), (10.0, 9.0)];
        let corner = legend_corner(&[high], (0.0, 10.0), (0.0, 10.0));
        assert!(
            matches!(corner, SeriesLabelPosition::LowerRight),
            "{corner:?}"
        );
        let rising = vec![(0.0, 0.0), (10.0, 10.0)];
        let corner = legend_corner(&[rising], (0.0, 10.0), (0.0, 10.0));
        assert!(
            matches!(corner, SeriesLabelPosition::UpperLeft),
            "{corner:?}"
        );
    }

    #[test]
    fn long_series_keep_their_envelope() {
        let points: Vec<(f64, f64)> = (0..10_000)
            .map(|i| {
                (
                    f64::from(i),
                    if i == 7_777 { 50.0 } else { f64::from(i % 7) },
                )
            })
            .collect();
        let thin = thinned(points);
        assert!(thin.len() <= MAX_POINTS, "{}", thin.len());
        assert!(thin.contains(&(7_777.0, 50.0)), "the spike is kept");
        assert!(thin.windows(2).all(|w| w[0].0 < w[1].0), "in order of x");
        assert!(
            thin.iter().filter(|p| p.1 == 0.0).count() > 100,
            "and the dips"
        );
    }

    #[test]
    fn empty_or_flat_series_still_draw() {
        for points in [
            vec![],
            vec![(1.0, 5.0)],
            vec![(1.0, f64::NAN), (2.0, f64::INFINITY)],
        ] {
            let chart = Chart {
                title: "t".into(),
                x_label: "x".into(),
                y_label: "y".into(),
                x_axis: Axis::LogLoad,
                y_axis: Axis::Percent,
                lines: vec![Line {
                    label: "l".into(),
                    points,
                    color: PALETTE[0],
                    dashed: false,
                    width: 2,
                }],
            };
            assert!(svg(&chart).is_ok());
        }
    }
}
