//! The embedded fonts and text shaping.
//!
//! Lines are measured and drawn from the same shaping (rustybuzz, the shaper behind krilla's
//! own text API), so a line that was measured to fit is exactly as wide when drawn.

use std::ops::Range;

use rustybuzz::ttf_parser::Tag;
use rustybuzz::{Direction, Face, Feature, UnicodeBuffer};

use crate::document::Style;
use crate::error::MinutesError;

/// Liberation Serif: free, metric-compatible with the Times New Roman that Decree
/// 30/2020/NĐ-CP prescribes for administrative documents, and covers every precomposed
/// Vietnamese letter. From Debian's `fonts-liberation2` (see `fonts/README.md`).
pub(crate) const REGULAR: &[u8] = include_bytes!("../../fonts/LiberationSerif-Regular.ttf");
pub(crate) const BOLD: &[u8] = include_bytes!("../../fonts/LiberationSerif-Bold.ttf");
pub(crate) const ITALIC: &[u8] = include_bytes!("../../fonts/LiberationSerif-Italic.ttf");

/// The font file of each style, with the name used in errors.
pub(crate) fn data(style: Style) -> (&'static [u8], &'static str) {
    match style {
        Style::Regular => (REGULAR, "LiberationSerif-Regular.ttf"),
        Style::Bold => (BOLD, "LiberationSerif-Bold.ttf"),
        Style::Italic => (ITALIC, "LiberationSerif-Italic.ttf"),
    }
}

/// A glyph placed by the shaper, in ems (multiply by the font size for points).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shaped {
    pub glyph: u32,
    /// The bytes of the shaped text this glyph's cluster stands for.
    pub text: Range<usize>,
    pub x_advance: f32,
    pub x_offset: f32,
    pub y_offset: f32,
}

/// The three faces, parsed once per document.
pub(crate) struct Shaper {
    faces: [Face<'static>; 3],
}

impl Shaper {
    pub(crate) fn new() -> Result<Shaper, MinutesError> {
        let face = |style| {
            let (bytes, name) = data(style);
            Face::from_slice(bytes, 0).ok_or(MinutesError::Font(name))
        };
        Ok(Shaper {
            faces: [
                face(Style::Regular)?,
                face(Style::Bold)?,
                face(Style::Italic)?,
            ],
        })
    }

    /// The width of `text` in points at `size`.
    pub(crate) fn width(&self, style: Style, size: f32, text: &str) -> f32 {
        self.shape(style, text)
            .iter()
            .map(|g| g.x_advance)
            .sum::<f32>()
            * size
    }

    /// The font's ascent above the baseline, in ems.
    pub(crate) fn ascent(&self, style: Style) -> f32 {
        let face = self.face(style);
        f32::from(face.ascender()) / units_per_em(face)
    }

    /// The font's descent below the baseline, in ems (positive).
    pub(crate) fn descent(&self, style: Style) -> f32 {
        let face = self.face(style);
        -f32::from(face.descender()) / units_per_em(face)
    }

    /// Shapes one line of left-to-right text.
    pub(crate) fn shape(&self, style: Style, text: &str) -> Vec<Shaped> {
        let face = self.face(style);
        let upem = units_per_em(face);
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        buffer.set_direction(Direction::LeftToRight);
        // Kerning off: Liberation Serif kerns pairs across a space, which would make a line
        // narrower than the words it was measured from one by one; Word sets Times New Roman
        // without kerning by default, too.
        let no_kerning = [Feature::new(Tag::from_bytes(b"kern"), 0, ..)];
        let output = rustybuzz::shape(face, &no_kerning, buffer);
        let infos = output.glyph_infos();
        let positions = output.glyph_positions();
        let mut glyphs = Vec::with_capacity(infos.len());
        for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
            let start = info.cluster as usize;
            // Left to right, clusters ascend: this cluster ends where the next different one
            // starts.
            let end = infos[i + 1..]
                .iter()
                .map(|next| next.cluster as usize)
                .find(|&c| c != start)
                .unwrap_or(text.len());
            glyphs.push(Shaped {
                glyph: info.glyph_id,
                text: start..end.max(start),
                x_advance: pos.x_advance as f32 / upem,
                x_offset: pos.x_offset as f32 / upem,
                y_offset: pos.y_offset as f32 / upem,
            });
        }
        glyphs
    }

    fn face(&self, style: Style) -> &Face<'static> {
        &self.faces[index(style)]
    }
}

fn index(style: Style) -> usize {
    match style {
        Style::Regular => 0,
        Style::Bold => 1,
        Style::Italic => 2,
    }
}

fn units_per_em(face: &Face<'_>) -> f32 {
    face.units_per_em().max(1) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    const STYLES: [Style; 3] = [Style::Regular, Style::Bold, Style::Italic];

    #[test]
    fn every_vietnamese_letter_has_a_glyph_in_every_style() {
        let shaper = Shaper::new().expect("embedded fonts parse");
        let lower = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợ\
                     pqrstuùúủũụưừứửữựvxyỳýỷỹỵ";
        let all = format!("{lower}{}", lower.to_uppercase());
        for style in STYLES {
            for c in all.chars() {
                let glyphs = shaper.shape(style, &c.to_string());
                assert_eq!(glyphs.len(), 1, "{c} in {style:?} is one precomposed glyph");
                assert_ne!(glyphs[0].glyph, 0, "{c} in {style:?} is not .notdef");
            }
        }
    }

    #[test]
    fn clusters_cover_the_text() {
        let shaper = Shaper::new().expect("embedded fonts parse");
        let text = "Cửa Lò";
        let glyphs = shaper.shape(Style::Regular, text);
        let covered: String = glyphs.iter().map(|g| &text[g.text.clone()]).collect();
        assert_eq!(covered, text);
        assert!(shaper.width(Style::Bold, 10.0, text) > shaper.width(Style::Regular, 5.0, text));
    }
}
