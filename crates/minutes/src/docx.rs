//! The minutes as a Word document (DOCX, Office Open XML), for the secretary to edit before
//! signing.
//!
//! The document is drawn from the same [`Document`] as the PDF and the page, in Times New
//! Roman 13 pt on A4 with the margins of Nghị định 30/2020/NĐ-CP (top and bottom 20 mm, left
//! 30 mm, right 15 mm), the page number centred in the top margin from the second page on, as
//! the Decree asks. A DOCX file is a ZIP archive of XML parts; this one has six parts,
//! stored without compression (every reader accepts it, and the text is a few kilobytes), so
//! the archive is written here in full rather than pulling in a ZIP library.

use std::fmt::Write as _;

use crate::document::{Align, Block, Cell, Column, Document, MOTTO, MOTTO_COUNTRY, Masthead};
use crate::document::{Para, Run, SIGN_HINT, Signer, Style};
use crate::model::Minutes;

/// The minutes as a DOCX file. Like [`crate::render_pdf`] it accepts any [`Minutes`]; unlike
/// it, it cannot fail: no font is shaped, the text is written as it is.
pub fn render_docx(m: &Minutes) -> Vec<u8> {
    let doc = Document::from_minutes(m);
    let mut zip = Zip::default();
    zip.add("[Content_Types].xml", CONTENT_TYPES.as_bytes());
    zip.add("_rels/.rels", ROOT_RELS.as_bytes());
    zip.add("word/_rels/document.xml.rels", DOCUMENT_RELS.as_bytes());
    zip.add("word/styles.xml", STYLES.as_bytes());
    zip.add("word/header1.xml", PAGE_NUMBER_HEADER.as_bytes());
    zip.add("word/document.xml", document_xml(&doc).as_bytes());
    zip.finish()
}

/// Width of the text between the margins, in twentieths of a point: A4 (11,906) less 30 mm
/// (1,701) and 15 mm (851).
const TEXT_WIDTH: u32 = 11_906 - 1_701 - 851;
/// Sizes in half-points.
const BODY: u32 = 26;
const TABLE: u32 = 24;
const MASTHEAD: u32 = 26;
const KIND: u32 = 28;

fn document_xml(doc: &Document) -> String {
    let mut x = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>"#,
    );
    for block in &doc.blocks {
        match block {
            Block::Masthead(m) => masthead(&mut x, m),
            Block::Title { kind, subject } => {
                paragraph(
                    &mut x,
                    &[bold(kind)],
                    Align::Center,
                    KIND,
                    Spacing::before(240),
                );
                if !subject.is_empty() {
                    paragraph(
                        &mut x,
                        &[bold(subject)],
                        Align::Center,
                        BODY,
                        Spacing::after(240),
                    );
                }
            }
            Block::Heading(text) => {
                keep_with_next(&mut x, &[bold(text)], Spacing::before(180));
            }
            Block::Subheading(text) => {
                keep_with_next(&mut x, &[bold(text)], Spacing::before(120));
            }
            Block::Paragraph(runs) => {
                paragraph(&mut x, runs, Align::Justify, BODY, Spacing::after(60))
            }
            Block::Item { label, body } => item(&mut x, label, body),
            Block::Table { columns, rows } => table(&mut x, columns, rows),
            Block::Signatures(signers) => signatures(&mut x, signers),
        }
    }
    x.push_str(
        // `titlePg` gives the first page its own header, which is left empty: no number there.
        r#"<w:sectPr><w:headerReference w:type="default" r:id="rId2"/><w:titlePg/><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="851" w:bottom="1134" w:left="1701" w:header="567" w:footer="567" w:gutter="0"/></w:sectPr></w:body></w:document>"#,
    );
    x
}

/// Space before and after a paragraph, in twentieths of a point.
#[derive(Clone, Copy, Default)]
struct Spacing {
    before: u32,
    after: u32,
}

impl Spacing {
    fn before(before: u32) -> Spacing {
        Spacing { before, after: 0 }
    }

    fn after(after: u32) -> Spacing {
        Spacing { before: 0, after }
    }
}

fn paragraph(x: &mut String, runs: &[Run], align: Align, size: u32, spacing: Spacing) {
    x.push_str("<w:p><w:pPr>");
    spacing_xml(x, spacing);
    align_xml(x, align);
    x.push_str("</w:pPr>");
    for run in runs {
        run_xml(x, run, size);
    }
    x.push_str("</w:p>");
}

fn keep_with_next(x: &mut String, runs: &[Run], spacing: Spacing) {
    x.push_str("<w:p><w:pPr><w:keepNext/>");
    spacing_xml(x, spacing);
    x.push_str("</w:pPr>");
    for run in runs {
        run_xml(x, run, BODY);
    }
    x.push_str("</w:p>");
}

/// A list item: the label hangs, the body is indented as one block.
fn item(x: &mut String, label: &str, body: &[Para]) {
    const INDENT: u32 = 567;
    for (i, para) in body.iter().enumerate() {
        x.push_str("<w:p><w:pPr>");
        spacing_xml(x, Spacing::after(40));
        if i == 0 {
            let _ = write!(
                x,
                r#"<w:tabs><w:tab w:val="left" w:pos="{INDENT}"/></w:tabs><w:ind w:left="{INDENT}" w:hanging="{INDENT}"/>"#
            );
        } else {
            let _ = write!(x, r#"<w:ind w:left="{INDENT}"/>"#);
        }
        align_xml(x, Align::Justify);
        x.push_str("</w:pPr>");
        if i == 0 {
            run_xml(x, &regular(label), BODY);
            x.push_str("<w:r><w:tab/></w:r>");
        }
        for run in para {
            run_xml(x, run, BODY);
        }
        x.push_str("</w:p>");
    }
}

/// The issuing body on the left, the national motto on the right, without borders.
fn masthead(x: &mut String, m: &Masthead) {
    let left = TEXT_WIDTH * 42 / 100;
    let right = TEXT_WIDTH - left;
    table_start(x, &[left, right], false);
    x.push_str("<w:tr>");
    cell_start(x, left, false);
    if let Some(parent) = &m.parent {
        paragraph(
            x,
            &[regular(parent)],
            Align::Center,
            MASTHEAD,
            Spacing::default(),
        );
    }
    paragraph(
        x,
        &[bold(&m.organisation)],
        Align::Center,
        MASTHEAD,
        Spacing::default(),
    );
    paragraph(
        x,
        &[regular("———")],
        Align::Center,
        MASTHEAD,
        Spacing::default(),
    );
    if let Some(number) = &m.number {
        paragraph(
            x,
            &[regular(number)],
            Align::Center,
            MASTHEAD,
            Spacing::default(),
        );
    }
    x.push_str("</w:tc>");
    cell_start(x, right, false);
    paragraph(
        x,
        &[bold(MOTTO_COUNTRY)],
        Align::Center,
        MASTHEAD - 2,
        Spacing::default(),
    );
    x.push_str(r#"<w:p><w:pPr><w:jc w:val="center"/></w:pPr>"#);
    let _ = write!(
        x,
        r#"<w:r><w:rPr><w:b/><w:u w:val="single"/><w:sz w:val="{s}"/><w:szCs w:val="{s}"/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
        escape(MOTTO),
        s = MASTHEAD + 2,
    );
    if let Some(dateline) = &m.dateline {
        paragraph(
            x,
            &[italic(dateline)],
            Align::Center,
            MASTHEAD,
            Spacing::before(120),
        );
    }
    x.push_str("</w:tc></w:tr></w:tbl>");
}

/// A bordered table whose heading row repeats on every page.
fn table(x: &mut String, columns: &[Column], rows: &[Vec<Cell>]) {
    let widths: Vec<u32> = columns
        .iter()
        .map(|c| (c.share.clamp(0.0, 1.0) * TEXT_WIDTH as f32) as u32)
        .collect();
    table_start(x, &widths, true);
    x.push_str(r#"<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>"#);
    for (column, &w) in columns.iter().zip(&widths) {
        cell_start(x, w, true);
        paragraph(
            x,
            &[bold(column.title)],
            Align::Center,
            TABLE,
            Spacing::default(),
        );
        x.push_str("</w:tc>");
    }
    x.push_str("</w:tr>");
    for row in rows {
        x.push_str("<w:tr>");
        for (i, &w) in widths.iter().enumerate() {
            cell_start(x, w, false);
            let align = columns.get(i).map_or(Align::Left, |c| c.align);
            let cell = row.get(i).map(Vec::as_slice).unwrap_or_default();
            if cell.is_empty() {
                // A cell needs a paragraph, even an empty one.
                x.push_str("<w:p/>");
            }
            for para in cell {
                paragraph(x, para, align, TABLE, Spacing::default());
            }
            x.push_str("</w:tc>");
        }
        x.push_str("</w:tr>");
    }
    x.push_str("</w:tbl>");
    // Word needs a paragraph between two tables, and the text after a table starts apart.
    x.push_str(r#"<w:p><w:pPr><w:spacing w:after="60"/></w:pPr></w:p>"#);
}

/// The signers side by side: role, hint, room to sign, name.
fn signatures(x: &mut String, signers: &[Signer]) {
    if signers.is_empty() {
        return;
    }
    let n = u32::try_from(signers.len()).unwrap_or(1);
    let w = TEXT_WIDTH / n;
    let widths = vec![w; signers.len()];
    table_start(x, &widths, false);
    x.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
    for signer in signers {
        cell_start(x, w, false);
        paragraph(
            x,
            &[bold(signer.role)],
            Align::Center,
            BODY,
            Spacing::before(240),
        );
        paragraph(
            x,
            &[italic(SIGN_HINT)],
            Align::Center,
            BODY,
            Spacing::after(1200),
        );
        if let Some(name) = &signer.name {
            paragraph(x, &[bold(name)], Align::Center, BODY, Spacing::default());
        }
        x.push_str("</w:tc>");
    }
    x.push_str("</w:tr></w:tbl>");
}

fn table_start(x: &mut String, widths: &[u32], borders: bool) {
    let total: u32 = widths.iter().sum();
    let _ = write!(
        x,
        r#"<w:tbl><w:tblPr><w:tblW w:w="{total}" w:type="dxa"/><w:tblLayout w:type="fixed"/>"#
    );
    if borders {
        x.push_str("<w:tblBorders>");
        for side in ["top", "left", "bottom", "right", "insideH", "insideV"] {
            let _ = write!(
                x,
                r#"<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>"#
            );
        }
        x.push_str("</w:tblBorders>");
    }
    x.push_str(
        r#"<w:tblCellMar><w:left w:w="70" w:type="dxa"/><w:right w:w="70" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>"#,
    );
    for w in widths {
        let _ = write!(x, r#"<w:gridCol w:w="{w}"/>"#);
    }
    x.push_str("</w:tblGrid>");
}

fn cell_start(x: &mut String, width: u32, shaded: bool) {
    let _ = write!(x, r#"<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>"#);
    if shaded {
        x.push_str(r#"<w:shd w:val="clear" w:color="auto" w:fill="EEEEEE"/>"#);
    }
    x.push_str("</w:tcPr>");
}

fn spacing_xml(x: &mut String, s: Spacing) {
    let _ = write!(
        x,
        r#"<w:spacing w:before="{}" w:after="{}"/>"#,
        s.before, s.after
    );
}

fn align_xml(x: &mut String, align: Align) {
    x.push_str(match align {
        Align::Left => r#"<w:jc w:val="left"/>"#,
        Align::Center => r#"<w:jc w:val="center"/>"#,
        Align::Justify => r#"<w:jc w:val="both"/>"#,
    });
}

fn run_xml(x: &mut String, run: &Run, size: u32) {
    x.push_str("<w:r><w:rPr>");
    match run.style {
        Style::Regular => {}
        Style::Bold => x.push_str("<w:b/><w:bCs/>"),
        Style::Italic => x.push_str("<w:i/><w:iCs/>"),
    }
    let _ = write!(
        x,
        r#"<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r>"#,
        escape(&run.text)
    );
}

fn regular(text: &str) -> Run {
    Run {
        style: Style::Regular,
        text: text.to_owned(),
    }
}

fn bold(text: &str) -> Run {
    Run {
        style: Style::Bold,
        text: text.to_owned(),
    }
}

fn italic(text: &str) -> Run {
    Run {
        style: Style::Italic,
        text: text.to_owned(),
    }
}

/// Text as XML character data. Characters XML 1.0 does not allow (control characters, which
/// the document has already removed, and unpaired surrogates, which a `str` cannot hold) are
/// dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if u32::from(c) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/></Relationships>"#;

/// The header of every page but the first: the page number (a `PAGE` field), centred, 13 pt.
const PAGE_NUMBER_HEADER: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:hdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>2</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:hdr>"#;

/// Times New Roman 13 pt everywhere, in Vietnamese, single-spaced.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="Times New Roman" w:cs="Times New Roman"/><w:sz w:val="26"/><w:szCs w:val="26"/><w:lang w:val="vi-VN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="276" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style></w:styles>"#;

/// A ZIP archive of stored (uncompressed) entries (APPNOTE.TXT 6.3: local file headers, the
/// central directory, its end record).
#[derive(Default)]
struct Zip {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

impl Zip {
    fn add(&mut self, name: &str, data: &[u8]) {
        let crc = crc32(data);
        // The parts are a few kilobytes to a few megabytes: far below the 4 GiB of ZIP32.
        let size = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let offset = u32::try_from(self.out.len()).unwrap_or(u32::MAX);
        let name_len = u16::try_from(name.len()).unwrap_or(u16::MAX);
        // 1980-01-01 00:00, the earliest DOS date: the archive does not depend on the clock.
        let (time, date) = (0u16, 0x21u16);

        let local = &mut self.out;
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for v in [20u16, 0, 0, time, date] {
            local.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            local.extend_from_slice(&v.to_le_bytes());
        }
        local.extend_from_slice(&name_len.to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(name.as_bytes());
        local.extend_from_slice(data);

        let c = &mut self.central;
        c.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for v in [20u16, 20, 0, 0, time, date] {
            c.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            c.extend_from_slice(&v.to_le_bytes());
        }
        for v in [name_len, 0, 0, 0, 0] {
            c.extend_from_slice(&v.to_le_bytes());
        }
        c.extend_from_slice(&0u32.to_le_bytes());
        c.extend_from_slice(&offset.to_le_bytes());
        c.extend_from_slice(name.as_bytes());
        self.entries += 1;
    }

    fn finish(mut self) -> Vec<u8> {
        let offset = u32::try_from(self.out.len()).unwrap_or(u32::MAX);
        let size = u32::try_from(self.central.len()).unwrap_or(u32::MAX);
        self.out.append(&mut self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        for v in [0u16, 0, self.entries, self.entries] {
            self.out.extend_from_slice(&v.to_le_bytes());
        }
        self.out.extend_from_slice(&size.to_le_bytes());
        self.out.extend_from_slice(&offset.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as ZIP stores it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The check value of CRC-32/ISO-HDLC for "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(
            escape("Sở <TT&TT> \"Nghệ An\"\u{7}\tx"),
            "Sở &lt;TT&amp;TT&gt; &quot;Nghệ An&quot; x"
        );
    }

    #[test]
    fn the_archive_lists_every_part_once() {
        let docx = render_docx(&Minutes::default());
        assert!(docx.starts_with(b"PK\x03\x04"));
        let end = docx.len() - 22;
        assert_eq!(&docx[end..end + 4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([docx[end + 10], docx[end + 11]]), 6);
    }

    #[test]
    fn pages_after_the_first_are_numbered_in_the_header() {
        let docx = render_docx(&Minutes::default());
        let raw = String::from_utf8_lossy(&docx);

        assert!(raw.contains("word/header1.xml"));
        assert!(raw.contains("<w:instrText xml:space=\"preserve\"> PAGE </w:instrText>"));
        assert!(raw.contains(r#"<w:headerReference w:type="default" r:id="rId2"/><w:titlePg/>"#));
        assert!(raw.contains(r#"Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml""#));
        assert!(raw.contains(r#"PartName="/word/header1.xml""#));
    }
}
