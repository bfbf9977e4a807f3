//! Palette icons: vector shapes read from `assets/icons.ron`, painted at any size.

use std::collections::BTreeMap;

use egui::{Color32, Painter, Pos2, Rect, Shape, Stroke, Vec2, pos2};
use serde::Deserialize;

use crate::model::KindName;

/// One primitive of an icon, on a 24 × 24 grid.
#[derive(Clone, Debug, Deserialize)]
enum Primitive {
    Circle {
        center: (f32, f32),
        radius: f32,
        fill: bool,
    },
    Ellipse {
        center: (f32, f32),
        radius: (f32, f32),
        fill: bool,
    },
    Rect {
        min: (f32, f32),
        max: (f32, f32),
        rounding: f32,
        fill: bool,
    },
    Polyline {
        points: Vec<(f32, f32)>,
        closed: bool,
    },
}

#[derive(Debug, Deserialize)]
struct IconFile {
    icons: BTreeMap<KindName, Vec<Primitive>>,
}

/// The icons of every component kind.
#[derive(Debug, Default)]
pub struct Icons {
    icons: BTreeMap<KindName, Vec<Primitive>>,
}

const ICONS_RON: &str = include_str!("../../assets/icons.ron");

impl Icons {
    /// The shipped icons. (A unit test checks that the asset parses and covers every kind.)
    pub fn load() -> Self {
        let file: Option<IconFile> = ron::from_str(ICONS_RON).ok();
        Self {
            icons: file.map(|f| f.icons).unwrap_or_default(),
        }
    }

    /// Paint the icon of `kind` into `rect` in `color`.
    pub fn paint(&self, painter: &Painter, kind: KindName, rect: Rect, color: Color32) {
        let Some(shapes) = self.icons.get(&kind) else {
            painter.circle_filled(rect.center(), rect.width() * 0.3, color);
            return;
        };
        let scale = rect.width().min(rect.height()) / 24.0;
        let origin = rect.center() - Vec2::splat(12.0 * scale);
        let at = |(x, y): (f32, f32)| -> Pos2 { origin + Vec2::new(x, y) * scale };
        let stroke = Stroke::new((1.6 * scale).max(1.0), color);
        for shape in shapes {
            match shape {
                Primitive::Circle {
                    center,
                    radius,
                    fill,
                } => {
                    if *fill {
                        painter.circle_filled(at(*center), radius * scale, color);
                    } else {
                        painter.circle_stroke(at(*center), radius * scale, stroke);
                    }
                }
                Primitive::Ellipse {
                    center,
                    radius,
                    fill,
                } => {
                    let c = at(*center);
                    let points: Vec<Pos2> = (0..32)
                        .map(|i| {
                            let a = i as f32 / 32.0 * std::f32::consts::TAU;
                            pos2(
                                c.x + radius.0 * scale * a.cos(),
                                c.y + radius.1 * scale * a.sin(),
                            )
                        })
                        .collect();
                    if *fill {
                        painter.add(Shape::convex_polygon(points, color, Stroke::NONE));
                    } else {
                        painter.add(Shape::closed_line(points, stroke));
                    }
                }
                Primitive::Rect {
                    min,
                    max,
                    rounding,
                    fill,
                } => {
                    let r = Rect::from_min_max(at(*min), at(*max));
                    if *fill {
                        painter.rect_filled(r, rounding * scale, color);
                    } else {
                        painter.rect_stroke(r, rounding * scale, stroke, egui::StrokeKind::Middle);
                    }
                }
                Primitive::Polyline { points, closed } => {
                    let points: Vec<Pos2> = points.iter().map(|p| at(*p)).collect();
                    if *closed {
                        painter.add(Shape::closed_line(points, stroke));
                    } else {
                        painter.add(Shape::line(points, stroke));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_asset_parses_and_covers_every_kind() {
        let file: IconFile = ron::from_str(ICONS_RON).expect("assets/icons.ron parses");
        for kind in KindName::ALL {
            assert!(file.icons.contains_key(&kind), "no icon for {kind:?}");
        }
    }
}
