//! SVG to PNG, headless and with no fonts from the machine: the design's picture and the
//! report's plots are drawn once, as SVG, and rendered to PNG by resvg with the DejaVu Sans
//! faces shipped in `assets/fonts/` (so a picture looks the same on every machine, a CI
//! runner with no fonts installed included).

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg;

/// The family every text of a rendered SVG is drawn in, whatever the SVG asks for.
const FAMILY: &str = "DejaVu Sans";

/// The most pixels a rendered picture may have (a 64-megapixel canvas, 256 MiB of RGBA):
/// a larger `--scale` is refused with a message instead of exhausting memory.
pub const MAX_PIXELS: u64 = 64 * 1024 * 1024;

/// DejaVu Sans, the face of every text the report and the pictures draw.
pub const FONT_REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
pub const FONT_BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// The fonts, loaded once.
fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_font_data(FONT_REGULAR.to_vec());
            db.load_font_data(FONT_BOLD.to_vec());
            db.set_sans_serif_family(FAMILY);
            db.set_serif_family(FAMILY);
            db.set_monospace_family(FAMILY);
            Arc::new(db)
        })
        .clone()
}

/// `svg` rendered to PNG bytes at `scale` times its own size, on a white background (a
/// picture pasted into a dark slide keeps its contrast).
pub fn png_from_svg(svg: &str, scale: f32) -> Result<Vec<u8>, String> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(format!("the scale must be a positive number, not {scale}"));
    }
    let options = usvg::Options {
        font_family: FAMILY.to_owned(),
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree =
        usvg::Tree::from_str(svg, &options).map_err(|e| format!("cannot read the SVG: {e}"))?;
    let size = tree.size();
    let width = (f64::from(size.width()) * f64::from(scale)).ceil().max(1.0);
    let height = (f64::from(size.height()) * f64::from(scale))
        .ceil()
        .max(1.0);
    if width * height > MAX_PIXELS as f64 {
        return Err(format!(
            "the picture would be {width} × {height} pixels, more than the {} megapixels a PNG may have here; choose a smaller scale",
            MAX_PIXELS / (1024 * 1024)
        ));
    }
    let mut pixmap = tiny_skia::Pixmap::new(width as u32, height as u32)
        .ok_or_else(|| format!("cannot make a {width} × {height} picture"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| format!("cannot encode the PNG: {e}"))
}

/// `svg` rendered to PNG at `scale`, or smaller if that would pass [`MAX_PIXELS`] (a design
/// spread far over its canvas still gets its picture, at the scale that fits).
pub fn png_fitting(svg: &str, scale: f32) -> Result<Vec<u8>, String> {
    let size = usvg::Tree::from_str(svg, &usvg::Options::default())
        .map(|t| t.size())
        .map_err(|e| format!("cannot read the SVG: {e}"))?;
    let pixels = f64::from(size.width()) * f64::from(size.height()) * f64::from(scale).powi(2);
    let fit = if pixels > MAX_PIXELS as f64 {
        // A little under the limit: the size is rounded up to whole pixels.
        (f64::from(scale) * (MAX_PIXELS as f64 / pixels).sqrt() * 0.99) as f32
    } else {
        scale
    };
    png_from_svg(svg, fit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG's width and height, from its IHDR chunk.
    fn png_size(png: &[u8]) -> (u32, u32) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let word = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
        (word(16), word(20))
    }

    #[test]
    fn renders_at_the_asked_scale_with_text() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="4" y="28" font-size="20" font-family="sans-serif">kitchen</text></svg>"#;
        let png = png_from_svg(svg, 2.0).unwrap();
        assert_eq!(png_size(&png), (240, 80));
        // The text drew something: the same picture without it is smaller once compressed.
        let blank = png_from_svg(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"/>"#,
            2.0,
        )
        .unwrap();
        assert!(
            png.len() > blank.len() + 200,
            "{} vs {}",
            png.len(),
            blank.len()
        );
    }

    #[test]
    fn a_picture_too_large_is_drawn_smaller_to_fit() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="20000" height="10000"/>"#;
        let png = png_fitting(svg, 1.0).unwrap();
        let (w, h) = png_size(&png);
        assert!(u64::from(w) * u64::from(h) <= MAX_PIXELS, "{w} × {h}");
        assert!((f64::from(w) / f64::from(h) - 2.0).abs() < 0.01);
    }

    #[test]
    fn refuses_bad_scales_and_bad_svg() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#;
        for scale in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            assert!(png_from_svg(svg, scale).is_err(), "{scale}");
        }
        assert!(
            png_from_svg(svg, 1e6)
                .unwrap_err()
                .contains("smaller scale")
        );
        assert!(png_from_svg("<svg", 1.0).is_err());
    }
}
