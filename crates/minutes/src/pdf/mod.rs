//! The minutes as a PDF: layout into pages, then krilla writes them.

mod fonts;
mod layout;
mod wrap;

use krilla::Document as PdfDocument;
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};

use self::fonts::Shaper;
use self::layout::{Op, PAGE_HEIGHT, PAGE_WIDTH, Page};
use crate::document::{Document, Style};
use crate::error::MinutesError;
use crate::model::Minutes;

/// Renders the minutes as an A4 PDF.
///
/// The layout is that of a Vietnamese administrative record (Decree 30/2020/NĐ-CP): the
/// issuing body opposite the national motto, "BIÊN BẢN" and its subject, sections I–III with
/// tables for attendance, speakers and tasks, page numbers from the second page, and the
/// secretary's and chair's signature blocks. Long text wraps and flows onto new pages; table
/// headings repeat on each page.
///
/// The fonts (Liberation Serif) are embedded as subsets with a ToUnicode map, so the PDF looks
/// the same everywhere and its text is extractable (`pdftotext`, search, copy) with every
/// diacritic as typed. All text is normalised to NFC first. The same minutes always give the
/// same bytes.
///
/// Any text renders. A character the font lacks (an emoji, a Chinese character) prints as
/// an empty box but still extracts as itself. The error is for a broken build or a PDF
/// library failure.
pub fn render_pdf(m: &Minutes) -> Result<Vec<u8>, MinutesError> {
    let doc = Document::from_minutes(m);
    let shaper = Shaper::new()?;
    let pages = layout::lay_out(&doc.blocks, &shaper);
    write(&doc.title, &pages, &shaper)
}

fn write(title: &str, pages: &[Page], shaper: &Shaper) -> Result<Vec<u8>, MinutesError> {
    let load = |style| {
        let (bytes, name) = fonts::data(style);
        Font::new(bytes.into(), 0).ok_or(MinutesError::Font(name))
    };
    let (regular, bold, italic) = (
        load(Style::Regular)?,
        load(Style::Bold)?,
        load(Style::Italic)?,
    );
    let font = |style: Style| match style {
        Style::Regular => regular.clone(),
        Style::Bold => bold.clone(),
        Style::Italic => italic.clone(),
    };

    let mut pdf = PdfDocument::new();
    pdf.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language("vi".to_owned())
            .creator("giaoban".to_owned()),
    );
    let size = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).expect("A4 is a valid page size");
    for page in pages {
        let mut p = pdf.start_page_with(size.clone());
        let mut surface = p.surface();
        for op in &page.ops {
            draw(&mut surface, op, shaper, &font);
        }
        surface.finish();
        p.finish();
    }
    pdf.finish().map_err(|e| MinutesError::Pdf(e.to_string()))
}

fn draw(surface: &mut Surface<'_>, op: &Op, shaper: &Shaper, font: &impl Fn(Style) -> Font) {
    match op {
        Op::Text {
            x,
            baseline,
            style,
            size,
            text,
            word_spacing,
        } => {
            let extra = word_spacing / size;
            let glyphs: Vec<KrillaGlyph> = shaper
                .shape(*style, text)
                .into_iter()
                .map(|g| {
                    let space = text.get(g.text.clone()) == Some(" ");
                    KrillaGlyph::new(
                        GlyphId::new(g.glyph),
                        g.x_advance + if space { extra } else { 0.0 },
                        g.x_offset,
                        g.y_offset,
                        0.0,
                        g.text,
                        None,
                    )
                })
                .collect();
            surface.set_stroke(None);
            surface.set_fill(Some(Fill::default()));
            surface.draw_glyphs(
                Point::from_xy(*x, *baseline),
                &glyphs,
                font(*style),
                text,
                *size,
                false,
            );
        }
        Op::Rule { from, to, width } => {
            let mut pb = PathBuilder::new();
            pb.move_to(from.0, from.1);
            pb.line_to(to.0, to.1);
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    width: *width,
                    ..Stroke::default()
                }));
                surface.draw_path(&path);
            }
        }
        Op::Shade { x, y, w, h } => {
            let mut pb = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                pb.push_rect(rect);
            }
            if let Some(path) = pb.finish() {
                surface.set_stroke(None);
                surface.set_fill(Some(Fill {
                    paint: luma::Color::new(232).into(),
                    opacity: NormalizedF32::ONE,
                    rule: Default::default(),
                }));
                surface.draw_path(&path);
            }
        }
    }
}
