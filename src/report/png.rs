//! PNG output: plotters' bitmap backend, with text placed glyph by glyph at each glyph's own
//! bounds. plotters' own text drawing puts every glyph's ink at the pen position, dropping the
//! glyph's left side bearing and the pen's fraction of a pixel, so narrow glyphs ("l", "i", "1")
//! stand apart from the next ("l etters", "1 0 bins"). Everything else goes to plotters unchanged.

use crate::error::Error;
use ab_glyph::{point, Font, FontRef, ScaleFont};
use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingBackend, IntoDrawingArea};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle};
use std::path::Path;
use std::sync::LazyLock;

type DrawingErrorKind =
    plotters_backend::DrawingErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

/// The font every chart is drawn in ([`super::plots::register_font`] gives plotters the same).
static FONT: LazyLock<Option<FontRef<'static>>> =
    LazyLock::new(|| FontRef::try_from_slice(dejavu::sans::regular()).ok());

/// An RGB image being drawn, in memory ([`png_of`] encodes it).
pub(crate) struct Png<'a>(BitMapBackend<'a>);

impl<'a> Png<'a> {
    fn in_memory(rgb: &'a mut [u8], size: (u32, u32)) -> Self {
        Png(BitMapBackend::with_buffer(rgb, size))
    }
}

/// Writes `path` (whole or not at all, [`crate::output::write_file`]) as the PNG of what `draw`
/// draws on an image of `size`; a drawing that fails is an [`Error::Plot`] of `path`.
pub(crate) fn write_png<E: std::fmt::Display>(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<Png<'_>, Shift>) -> Result<(), E>,
) -> crate::error::Result<()> {
    let png = png_of(size, draw).map_err(|reason| Error::Plot {
        path: path.into(),
        reason,
    })?;
    crate::output::write_file(path, &png)
}

/// The PNG file's bytes of what `draw` draws on an image of `size` (white where it draws
/// nothing). Encoded here with the `png` crate, not by plotters through `image`, whose many
/// formats the build would compile for this one.
pub(crate) fn png_of<E: std::fmt::Display>(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<Png<'_>, Shift>) -> Result<(), E>,
) -> Result<Vec<u8>, String> {
    let (w, h) = size;
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    {
        let area = Png::in_memory(&mut rgb, size).into_drawing_area();
        draw(&area).map_err(|e| e.to_string())?;
        area.present().map_err(|e| e.to_string())?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

impl DrawingBackend for Png<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        at: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind> {
        self.0.draw_pixel(at, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind> {
        self.0.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind> {
        self.0.blit_bitmap(pos, size, src)
    }

    /// As plotters lays text out (the same box, anchor and rotation), each glyph drawn at its
    /// pen position plus its own bounds.
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind> {
        let color = style.color();
        let Some(font) = FONT.as_ref() else {
            return self.0.draw_text(text, style, pos);
        };
        if color.alpha == 0.0 {
            return Ok(());
        }
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|e| plotters_backend::DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        } - min_x;
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        } - min_y;
        let rotate = style.transform();
        let (w, h) = self.get_size();
        let size = style.size() as f32;
        let scaled = font.as_scaled(size);
        let (mut pen, mut prev) = (0f32, None);
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            prev = Some(id);
            let glyph = id.with_scale_and_position(size, point(pen, 0.0));
            pen += scaled.h_advance(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            // plotters' baseline: half the font size below the top of the box.
            let (x0, y0) = (bounds.min.x as i32, (size / 2.0 + bounds.min.y) as i32);
            let mut result = Ok(());
            outline.draw(|x, y, coverage| {
                if result.is_err() || coverage <= 0.0 {
                    return;
                }
                let (x, y) = rotate.transform(x0 + x as i32 + dx, y0 + y as i32 + dy);
                let (x, y) = (pos.0 + x, pos.1 + y);
                if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                    let ink = BackendColor {
                        alpha: color.alpha * f64::from(coverage.min(1.0)),
                        rgb: color.rgb,
                    };
                    result = self.0.draw_pixel((x, y), ink);
                }
            });
            result?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;

    /// The first column with ink of `text` drawn at the left edge of a white image.
    fn first_inked_column(text: &str, ours: bool) -> u32 {
        super::super::plots::register_font();
        let (w, h) = (200u32, 80u32);
        let mut rgb = vec![255u8; (w * h * 3) as usize];
        {
            let style = ("sans-serif", 40).into_font().color(&BLACK);
            let element = Text::new(text.to_string(), (0, 10), style);
            if ours {
                let area = Png::in_memory(&mut rgb, (w, h)).into_drawing_area();
                area.draw(&element).unwrap();
                area.present().unwrap();
            } else {
                let area = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                area.draw(&element).unwrap();
                area.present().unwrap();
            }
        }
        (0..w)
            .find(|&x| (0..h).any(|y| rgb[((y * w + x) * 3) as usize] < 255))
            .expect("some ink")
    }

    /// A glyph's ink starts at its left side bearing, as the font says; plotters' own drawing
    /// starts it at the pen, which is what spread "l etters" apart.
    #[test]
    fn glyphs_keep_their_left_side_bearing() {
        let font = FONT.as_ref().unwrap();
        let glyph = font
            .glyph_id('.')
            .with_scale_and_position(40.0, point(0.0, 0.0));
        let bearing = font.outline_glyph(glyph).unwrap().px_bounds().min.x as u32;
        assert!(
            bearing >= 3,
            "the test needs a glyph with a visible bearing: {bearing}"
        );
        assert_eq!(first_inked_column(".", true), bearing);
        assert_eq!(
            first_inked_column(".", false),
            0,
            "plotters' behaviour changed"
        );
    }
}
