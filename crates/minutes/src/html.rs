//! The minutes as a printable HTML page: the same blocks as the PDF, laid out by the browser.

use std::fmt::Write;

use crate::document::{
    Align, Block, Column, Document, MOTTO, MOTTO_COUNTRY, Masthead, Para, SIGN_HINT, Signer, Style,
};
use crate::model::Minutes;

/// Renders the minutes as a complete, self-contained HTML page (UTF-8, `lang="vi"`, no
/// scripts, no external resources) that prints on A4 like the PDF.
///
/// Every value is escaped, so names and texts are shown as typed, never interpreted as markup.
pub fn render_html(m: &Minutes) -> String {
    let doc = Document::from_minutes(m);
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(&doc.title));
    out.push_str(STYLE);
    out.push_str("</head>\n<body>\n<main class=\"minutes\">\n");
    for block in &doc.blocks {
        match block {
            Block::Masthead(m) => masthead(&mut out, m),
            Block::Title { kind, subject } => {
                let _ = writeln!(out, "<h1>{}</h1>", escape(kind));
                if !subject.is_empty() {
                    let _ = writeln!(out, "<p class=\"subject\">{}</p>", escape(subject));
                }
            }
            Block::Heading(text) => {
                let _ = writeln!(out, "<h2>{}</h2>", escape(text));
            }
            Block::Subheading(text) => {
                let _ = writeln!(out, "<h3>{}</h3>", escape(text));
            }
            Block::Paragraph(para) => {
                let _ = writeln!(out, "<p>{}</p>", runs(para));
            }
            Block::Item { label, body } => {
                let _ = write!(
                    out,
                    "<div class=\"item\"><span class=\"label\">{}</span><div>",
                    escape(label)
                );
                for para in body {
                    let _ = write!(out, "<p>{}</p>", runs(para));
                }
                out.push_str("</div></div>\n");
            }
            Block::Table { columns, rows } => table(&mut out, columns, rows),
            Block::Signatures(signers) => signatures(&mut out, signers),
        }
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

const STYLE: &str = r#"<style>
@page { size: A4; margin: 20mm 15mm 20mm 30mm; }
body { margin: 0; background: #f3f3f3; color: #000; }
.minutes { box-sizing: border-box; max-width: 210mm; margin: 1rem auto; padding: 20mm 15mm 20mm 30mm;
  background: #fff; font: 13pt/1.35 "Times New Roman", "Liberation Serif", "DejaVu Serif", serif; }
@media print { body { background: none; } .minutes { margin: 0; padding: 0; max-width: none; } }
.masthead { display: grid; grid-template-columns: 42% 58%; text-align: center; font-size: 12pt; }
.masthead p { margin: 0; text-align: center; }
.masthead .rule { width: 35%; margin: 2pt auto 6pt; border: 0; border-top: 1px solid #000; }
.masthead .motto { display: inline-block; border-bottom: 1px solid #000; padding-bottom: 1pt; }
.masthead .dateline { margin-top: 8pt; font-style: italic; }
h1 { margin: 1.5em 0 0; font-size: 14pt; text-align: center; }
.subject { margin: 0 auto 1em; max-width: 85%; font-weight: bold; text-align: center; }
h2, h3 { margin: .6em 0 .2em; font-size: 13pt; break-after: avoid; }
p { margin: .2em 0; text-align: justify; }
.item { display: grid; grid-template-columns: 2.6em 1fr; margin: .2em 0; }
.item .label { padding-right: .4em; text-align: right; }
.item p { margin: 0 0 .15em; }
table { width: 100%; margin: .3em 0 .6em; border-collapse: collapse; font-size: 12pt; }
th, td { padding: 2pt 4pt; border: 1px solid #000; vertical-align: top; text-align: left; }
th { background: #e8e8e8; text-align: center; }
td p { margin: 0; text-align: left; }
td.c, td.c p { text-align: center; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
.signatures { display: flex; margin-top: 1.5em; text-align: center; break-inside: avoid; }
.signatures > div { flex: 1; }
.signatures p { margin: 0; text-align: center; }
.signatures .hint { font-size: 11pt; font-style: italic; }
.signatures .space { height: 5.5em; }
</style>
"#;

fn masthead(out: &mut String, m: &Masthead) {
    out.push_str("<header class=\"masthead\">\n<div>");
    if let Some(parent) = &m.parent {
        let _ = write!(out, "<p>{}</p>", escape(parent));
    }
    let _ = write!(
        out,
        "<p><strong>{}</strong></p><hr class=\"rule\">",
        escape(&m.organisation)
    );
    if let Some(number) = &m.number {
        let _ = write!(out, "<p>{}</p>", escape(number));
    }
    let _ = write!(
        out,
        "</div>\n<div><p><strong>{}</strong></p><p><strong class=\"motto\">{}</strong></p>",
        escape(MOTTO_COUNTRY),
        escape(MOTTO)
    );
    if let Some(dateline) = &m.dateline {
        let _ = write!(out, "<p class=\"dateline\">{}</p>", escape(dateline));
    }
    out.push_str("</div>\n</header>\n");
}

fn table(out: &mut String, columns: &[Column], rows: &[Vec<Vec<Para>>]) {
    out.push_str("<table>\n<thead><tr>");
    let total: f32 = columns.iter().map(|c| c.share.max(0.0)).sum();
    for c in columns {
        let pct = if total > 0.0 {
            c.share.max(0.0) / total * 100.0
        } else {
            0.0
        };
        let _ = write!(
            out,
            "<th style=\"width:{pct:.0}%\">{}</th>",
            escape(c.title)
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, c) in columns.iter().enumerate() {
            out.push_str(if c.align == Align::Center {
                "<td class=\"c\">"
            } else {
                "<td>"
            });
            for para in row.get(i).into_iter().flatten() {
                let _ = write!(out, "<p>{}</p>", runs(para));
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn signatures(out: &mut String, signers: &[Signer]) {
    out.push_str("<section class=\"signatures\">\n");
    for s in signers {
        let _ = writeln!(
            out,
            "<div><p><strong>{}</strong></p><p class=\"hint\">{}</p><div class=\"space\"></div>\
             <p><strong>{}</strong></p></div>",
            escape(s.role),
            escape(SIGN_HINT),
            escape(s.name.as_deref().unwrap_or_default())
        );
    }
    out.push_str("</section>\n");
}

fn runs(para: &Para) -> String {
    let mut out = String::new();
    for run in para {
        let text = escape(&run.text);
        match run.style {
            Style::Regular => out.push_str(&text),
            Style::Bold => {
                let _ = write!(out, "<strong>{text}</strong>");
            }
            Style::Italic => {
                let _ = write!(out, "<em>{text}</em>");
            }
        }
    }
    out
}

/// Escapes text for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }
}
