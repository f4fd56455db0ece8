//! Page layout: the document's blocks placed on A4 pages as positioned text and rules.
//!
//! Pure: it measures with the shaper and returns drawing operations, so page breaking is
//! tested without writing a PDF. Coordinates are points from the page's top-left corner, y
//! downwards, as krilla draws them.
//!
//! The page follows Decree 30/2020/NĐ-CP, Appendix I, on the presentation of administrative
//! documents: A4, margins top and bottom 20 mm, left 30 mm, right 15 mm; the page number
//! centred in the top margin, not shown on the first page.

use super::fonts::Shaper;
use super::wrap::{Line, wrap};
use crate::document::{
    Align, Block, Cell, Column, MOTTO, MOTTO_COUNTRY, Masthead, Para, Run, SIGN_HINT, Signer, Style,
};

const MM: f32 = 72.0 / 25.4;
/// A4 is 210 mm × 297 mm.
pub(crate) const PAGE_WIDTH: f32 = 210.0 * MM;
pub(crate) const PAGE_HEIGHT: f32 = 297.0 * MM;
const LEFT: f32 = 30.0 * MM;
const RIGHT: f32 = 15.0 * MM;
const TOP: f32 = 20.0 * MM;
const BOTTOM: f32 = PAGE_HEIGHT - 20.0 * MM;
const WIDTH: f32 = PAGE_WIDTH - LEFT - RIGHT;
/// The page number's baseline, in the top margin.
const FOLIO_BASELINE: f32 = TOP - 22.0;

/// Type sizes in points, as Decree 30/2020/NĐ-CP sets them for Times New Roman (whose widths
/// Liberation Serif has): the body 13 pt (13–14), tables 11 pt, the agency and motto block
/// 12–13 pt, the kind of document 14 pt (13–14) and its subject 13 pt (13–14).
const BODY: f32 = 13.0;
const TABLE: f32 = 11.0;
const MASTHEAD: f32 = 12.5;
const KIND_SIZE: f32 = 14.0;
const SUBJECT: f32 = 13.0;
const LEADING: f32 = 1.3;

const PARA_GAP: f32 = 3.0;
/// Where a list item's text starts; its label ends a little before.
const ITEM_INDENT: f32 = 30.0;
const LABEL_GAP: f32 = 4.0;
const CELL_PAD_X: f32 = 3.5;
const CELL_PAD_Y: f32 = 2.5;
const HAIRLINE: f32 = 0.5;
/// Room left blank for a handwritten signature.
const SIGNATURE_SPACE: f32 = 62.0;
/// Justified lines never open a gap wider than this many ems between words; beyond it the
/// line is set flush left.
const MAX_EXTRA_SPACE: f32 = 0.8;

/// One drawing operation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// Text on one line. `word_spacing` points are added after each space.
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        size: f32,
        text: String,
        word_spacing: f32,
    },
    /// A straight line.
    Rule {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
    },
    /// A light grey rectangle behind table headings.
    Shade { x: f32, y: f32, w: f32, h: f32 },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Page {
    pub ops: Vec<Op>,
}

/// Lays the blocks out on as many pages as they need.
pub(crate) fn lay_out(blocks: &[Block], shaper: &Shaper) -> Vec<Page> {
    let mut l = Layout {
        shaper,
        pages: vec![Page::default()],
        y: TOP,
    };
    for block in blocks {
        match block {
            Block::Masthead(m) => l.masthead(m),
            Block::Title { kind, subject } => l.title(kind, subject),
            Block::Heading(text) => l.heading(text, 8.0),
            Block::Subheading(text) => l.heading(text, 3.0),
            Block::Paragraph(para) => {
                l.paragraph(para, BODY, LEFT, WIDTH, Align::Justify, None);
                l.gap(PARA_GAP);
            }
            Block::Item { label, body } => l.item(label, body),
            Block::Table { columns, rows } => l.table(columns, rows),
            Block::Signatures(signers) => l.signatures(signers),
        }
    }
    l.folios();
    l.pages
}

struct Layout<'s> {
    shaper: &'s Shaper,
    pages: Vec<Page>,
    /// The top of the next line on the last page.
    y: f32,
}

impl Layout<'_> {
    fn masthead(&mut self, m: &Masthead) {
        let left_w = WIDTH * 0.42;
        let right_x = LEFT + left_w;
        let right_w = WIDTH - left_w;
        let top = self.y;

        // Left: the issuing body, a short rule under it, then the number.
        let mut y = top;
        if let Some(parent) = &m.parent {
            y = self.put_balanced(&[regular(parent)], MASTHEAD, LEFT, left_w, y);
        }
        y = self.put_balanced(&[bold(&m.organisation)], MASTHEAD, LEFT, left_w, y);
        let rule = left_w * 0.35;
        self.rule(LEFT + (left_w - rule) / 2.0, y + 2.5, rule);
        if let Some(number) = &m.number {
            y = self.put(
                &[regular(number)],
                MASTHEAD,
                LEFT,
                left_w,
                Align::Center,
                y + 5.0,
            );
        }
        let left_bottom = y;

        // Right: the country and the motto, underlined as wide as the motto, then the dateline.
        let country = fit(self.shaper, Style::Bold, MASTHEAD, MOTTO_COUNTRY, right_w);
        let mut y = self.put(
            &[bold(MOTTO_COUNTRY)],
            country,
            right_x,
            right_w,
            Align::Center,
            top,
        );
        let motto_size = MASTHEAD + 0.5;
        y = self.put(
            &[bold(MOTTO)],
            motto_size,
            right_x,
            right_w,
            Align::Center,
            y,
        );
        let motto_w = self
            .shaper
            .width(Style::Bold, motto_size, MOTTO)
            .min(right_w);
        self.rule(right_x + (right_w - motto_w) / 2.0, y + 2.0, motto_w);
        if let Some(dateline) = &m.dateline {
            y = self.put(
                &[italic(dateline)],
                MASTHEAD,
                right_x,
                right_w,
                Align::Center,
                y + 8.0,
            );
        }
        self.y = left_bottom.max(y);
    }

    fn title(&mut self, kind: &str, subject: &str) {
        self.gap(20.0);
        let lines = KIND_SIZE * LEADING + SUBJECT * LEADING * 2.0;
        self.ensure(lines);
        self.paragraph(&[bold(kind)], KIND_SIZE, LEFT, WIDTH, Align::Center, None);
        if !subject.is_empty() {
            let w = WIDTH * 0.9;
            let x = LEFT + (WIDTH - w) / 2.0;
            self.paragraph(&[bold(subject)], SUBJECT, x, w, Align::Center, None);
        }
        self.gap(10.0);
    }

    /// A heading, kept on the page with the start of what follows.
    fn heading(&mut self, text: &str, before: f32) {
        self.gap(before);
        // Room for the heading and what follows it: a few lines, or a table's heading and
        // first row.
        self.ensure(BODY * LEADING * 5.0);
        self.paragraph(&[bold(text)], BODY, LEFT, WIDTH, Align::Left, None);
        self.gap(2.0);
    }

    fn item(&mut self, label: &str, body: &[Para]) {
        let x = LEFT + ITEM_INDENT;
        let w = WIDTH - ITEM_INDENT;
        for (i, para) in body.iter().enumerate() {
            let label = (i == 0).then_some((label, x - LABEL_GAP));
            self.paragraph(para, BODY, x, w, Align::Justify, label);
            self.gap(1.5);
        }
        self.gap(PARA_GAP - 1.5);
    }

    /// A wrapped paragraph, breaking the page between lines where needed; `label` is drawn
    /// on the first line's baseline, ending at the x given with it.
    fn paragraph(
        &mut self,
        para: &[Run],
        size: f32,
        x: f32,
        width: f32,
        align: Align,
        label: Option<(&str, f32)>,
    ) {
        let lines = wrap(self.shaper, para, size, width, width);
        let lh = size * LEADING;
        // No single first line stranded at the foot of a page.
        self.ensure(lh * lines.len().min(2) as f32);
        let count = lines.len();
        for (i, line) in lines.iter().enumerate() {
            self.ensure(lh);
            if let Some((label, label_end)) = label.filter(|_| i == 0) {
                let baseline = self.y + self.baseline(size);
                let label_x = label_end - self.shaper.width(Style::Regular, size, label);
                self.text(label_x, baseline, Style::Regular, size, label, 0.0);
            }
            self.line(line, x, width, align, size, i + 1 == count, self.y);
            self.y += lh;
        }
    }

    fn table(&mut self, columns: &[Column], rows: &[Vec<Cell>]) {
        let total: f32 = columns.iter().map(|c| c.share.max(0.0)).sum();
        let widths: Vec<f32> = columns
            .iter()
            .map(|c| {
                if total > 0.0 {
                    c.share.max(0.0) / total * WIDTH
                } else {
                    WIDTH / columns.len().max(1) as f32
                }
            })
            .collect();
        let mut edges = vec![LEFT];
        for w in &widths {
            edges.push(edges.last().copied().unwrap_or(LEFT) + w);
        }
        let inner = |w: f32| (w - 2.0 * CELL_PAD_X).max(1.0);
        let heading: Vec<Vec<Line>> = columns
            .iter()
            .zip(&widths)
            .map(|(c, &w)| wrap(self.shaper, &[bold(c.title)], TABLE, inner(w), inner(w)))
            .collect();
        let body: Vec<Vec<Vec<Line>>> = rows
            .iter()
            .map(|row| {
                widths
                    .iter()
                    .enumerate()
                    .map(|(i, &w)| {
                        row.get(i)
                            .into_iter()
                            .flatten()
                            .flat_map(|p| wrap(self.shaper, p, TABLE, inner(w), inner(w)))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let aligns: Vec<Align> = columns.iter().map(|c| c.align).collect();
        let centred = vec![Align::Center; columns.len()];
        let heading_refs: Vec<&[Line]> = heading.iter().map(Vec::as_slice).collect();
        let heading_h = row_height(&heading_refs);
        let fresh = BOTTOM - TOP - heading_h;

        self.gap(2.0);
        let first = body
            .first()
            .map(|r| row_height(&r.iter().map(Vec::as_slice).collect::<Vec<_>>()))
            .unwrap_or(0.0);
        // The heading never stands alone at the foot of a page: the first row comes with it,
        // or, if that row is taller than a page, its first lines.
        let two_lines = row_height(&[&[Line::default(), Line::default()]]);
        self.ensure(heading_h + if first <= fresh { first } else { two_lines });
        self.table_row(&heading_refs, &edges, &centred, true);
        let mut heading_only = true;
        for row in &body {
            let mut cells: Vec<&[Line]> = row.iter().map(Vec::as_slice).collect();
            loop {
                let h = row_height(&cells);
                if h <= self.room() + 0.01 {
                    self.table_row(&cells, &edges, &aligns, false);
                    heading_only = false;
                    break;
                }
                if !heading_only && h <= fresh {
                    // The row fits a page of its own: keep it whole.
                    self.break_page();
                    self.table_row(&heading_refs, &edges, &centred, true);
                    heading_only = true;
                    continue;
                }
                // Taller than a page: as many lines as fit here, the rest on the next page.
                let lh = TABLE * LEADING;
                let fit = (((self.room() - 2.0 * CELL_PAD_Y) / lh).floor().max(0.0)) as usize;
                if fit == 0 && !heading_only {
                    self.break_page();
                    self.table_row(&heading_refs, &edges, &centred, true);
                    heading_only = true;
                    continue;
                }
                let fit = fit.max(1);
                let now: Vec<&[Line]> = cells.iter().map(|c| &c[..fit.min(c.len())]).collect();
                self.table_row(&now, &edges, &aligns, false);
                cells = cells.iter().map(|c| &c[fit.min(c.len())..]).collect();
                self.break_page();
                self.table_row(&heading_refs, &edges, &centred, true);
                heading_only = true;
            }
        }
        self.gap(PARA_GAP + 6.0);
    }

    /// One table row at the current position, framed; `heading` rows are shaded and bold.
    fn table_row(&mut self, cells: &[&[Line]], edges: &[f32], aligns: &[Align], heading: bool) {
        let h = row_height(cells);
        let top = self.y;
        let (left, right) = (edges[0], edges[edges.len() - 1]);
        if heading {
            self.op(Op::Shade {
                x: left,
                y: top,
                w: right - left,
                h,
            });
        }
        let lh = TABLE * LEADING;
        for (i, lines) in cells.iter().enumerate() {
            let (x0, x1) = (edges[i], edges[i + 1]);
            let align = aligns.get(i).copied().unwrap_or(Align::Left);
            for (j, line) in lines.iter().enumerate() {
                let y = top + CELL_PAD_Y + j as f32 * lh;
                let w = x1 - x0 - 2.0 * CELL_PAD_X;
                self.line(line, x0 + CELL_PAD_X, w, align, TABLE, true, y);
            }
        }
        for y in [top, top + h] {
            self.op(Op::Rule {
                from: (left, y),
                to: (right, y),
                width: HAIRLINE,
            });
        }
        for &x in edges {
            self.op(Op::Rule {
                from: (x, top),
                to: (x, top + h),
                width: HAIRLINE,
            });
        }
        self.y = top + h;
    }

    /// Signature columns side by side, kept together on one page.
    fn signatures(&mut self, signers: &[Signer]) {
        if signers.is_empty() {
            return;
        }
        let w = WIDTH / signers.len() as f32;
        let columns: Vec<(Vec<Line>, Vec<Line>)> = signers
            .iter()
            .map(|s| {
                let role = wrap(self.shaper, &[bold(s.role)], BODY, w, w);
                let name = s
                    .name
                    .as_deref()
                    .map(|n| wrap(self.shaper, &[bold(n)], BODY, w - 10.0, w - 10.0))
                    .unwrap_or_default();
                (role, name)
            })
            .collect();
        let lh = BODY * LEADING;
        let hint_h = TABLE * LEADING;
        let height = columns
            .iter()
            .map(|(role, name)| (role.len() + name.len()) as f32 * lh)
            .fold(0.0, f32::max)
            + hint_h
            + SIGNATURE_SPACE;
        self.gap(14.0);
        self.ensure(height);
        let top = self.y;
        let mut bottom = top;
        for (i, (role, name)) in columns.iter().enumerate() {
            let x = LEFT + i as f32 * w;
            let mut y = top;
            for line in role {
                self.line(line, x, w, Align::Center, BODY, true, y);
                y += lh;
            }
            y = self.put(&[italic(SIGN_HINT)], TABLE, x, w, Align::Center, y);
            y += SIGNATURE_SPACE;
            for line in name {
                self.line(line, x + 5.0, w - 10.0, Align::Center, BODY, true, y);
                y += lh;
            }
            bottom = bottom.max(y);
        }
        self.y = bottom;
    }

    /// Page numbers in the top margin of every page but the first.
    fn folios(&mut self) {
        for (i, page) in self.pages.iter_mut().enumerate().skip(1) {
            let text = (i + 1).to_string();
            let w = self.shaper.width(Style::Regular, BODY, &text);
            page.ops.insert(
                0,
                Op::Text {
                    x: LEFT + (WIDTH - w) / 2.0,
                    baseline: FOLIO_BASELINE,
                    style: Style::Regular,
                    size: BODY,
                    text,
                    word_spacing: 0.0,
                },
            );
        }
    }

    /// Wrapped lines from `y` down, without page breaks (for blocks known to fit); returns
    /// the y below them.
    /// [`Layout::put`] centred, with its lines balanced: broken at words as narrow as they can
    /// be without needing more lines, so that a heading's lines are of like length instead of
    /// the last word standing alone ("SỞ THÔNG TIN VÀ TRUYỀN / THÔNG" becomes "SỞ THÔNG TIN
    /// VÀ / TRUYỀN THÔNG").
    fn put_balanced(&mut self, para: &[Run], size: f32, x: f32, width: f32, y: f32) -> f32 {
        let count = |w: f32| wrap(self.shaper, para, size, w, w).len();
        let lines = count(width);
        let mut narrow = width;
        if lines > 1 {
            // The narrowest width that keeps the count, found by bisection.
            let mut too_narrow = width / lines as f32;
            for _ in 0..20 {
                let mid = (too_narrow + narrow) / 2.0;
                if count(mid) <= lines {
                    narrow = mid;
                } else {
                    too_narrow = mid;
                }
            }
        }
        let lines = wrap(self.shaper, para, size, narrow, narrow);
        let n = lines.len();
        let mut y = y;
        for (i, line) in lines.iter().enumerate() {
            self.line(line, x, width, Align::Center, size, i + 1 == n, y);
            y += size * LEADING;
        }
        y
    }

    fn put(&mut self, para: &[Run], size: f32, x: f32, width: f32, align: Align, y: f32) -> f32 {
        let lines = wrap(self.shaper, para, size, width, width);
        let count = lines.len();
        let mut y = y;
        for (i, line) in lines.iter().enumerate() {
            self.line(line, x, width, align, size, i + 1 == count, y);
            y += size * LEADING;
        }
        y
    }

    /// One line whose top is at `y`, aligned in `x..x + width`.
    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        line: &Line,
        x: f32,
        width: f32,
        align: Align,
        size: f32,
        last: bool,
        y: f32,
    ) {
        let slack = (width - line.width).max(0.0);
        let (mut x, word_spacing) = match align {
            Align::Left => (x, 0.0),
            Align::Center => (x + slack / 2.0, 0.0),
            Align::Justify if last || line.spaces == 0 => (x, 0.0),
            Align::Justify => {
                let extra = slack / line.spaces as f32;
                (
                    x,
                    if extra <= MAX_EXTRA_SPACE * size {
                        extra
                    } else {
                        0.0
                    },
                )
            }
        };
        let baseline = y + self.baseline(size);
        for seg in &line.segments {
            self.text(x, baseline, seg.style, size, &seg.text, word_spacing);
            x += seg.width + word_spacing * seg.spaces as f32;
        }
    }

    fn text(&mut self, x: f32, baseline: f32, style: Style, size: f32, text: &str, ws: f32) {
        self.op(Op::Text {
            x,
            baseline,
            style,
            size,
            text: text.to_owned(),
            word_spacing: ws,
        });
    }

    fn rule(&mut self, x: f32, y: f32, w: f32) {
        self.op(Op::Rule {
            from: (x, y),
            to: (x + w, y),
            width: HAIRLINE,
        });
    }

    /// The baseline's offset from the top of a line: the font's ascent and descent centred
    /// in the line height.
    fn baseline(&self, size: f32) -> f32 {
        let ascent = self.shaper.ascent(Style::Regular);
        let descent = self.shaper.descent(Style::Regular);
        (size * LEADING - (ascent + descent) * size) / 2.0 + ascent * size
    }

    fn op(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.ops.push(op);
        }
    }

    fn room(&self) -> f32 {
        BOTTOM - self.y
    }

    fn at_top(&self) -> bool {
        self.y <= TOP + 0.01
    }

    /// Starts a new page unless `height` fits on this one (or this one is still empty).
    fn ensure(&mut self, height: f32) {
        if height > self.room() + 0.01 && !self.at_top() {
            self.break_page();
        }
    }

    fn break_page(&mut self) {
        self.pages.push(Page::default());
        self.y = TOP;
    }

    /// Vertical space, dropped at the top of a page.
    fn gap(&mut self, h: f32) {
        if !self.at_top() {
            self.y += h;
        }
    }
}

fn row_height(cells: &[&[Line]]) -> f32 {
    let lines = cells.iter().map(|c| c.len()).max().unwrap_or(0).max(1);
    lines as f32 * TABLE * LEADING + 2.0 * CELL_PAD_Y
}

/// The size, at most `size`, at which `text` fits in `width`.
fn fit(shaper: &Shaper, style: Style, size: f32, text: &str, width: f32) -> f32 {
    let natural = shaper.width(style, size, text);
    if natural <= width {
        size
    } else {
        size * width / natural * 0.99
    }
}

fn regular(text: &str) -> Run {
    run(Style::Regular, text)
}

fn bold(text: &str) -> Run {
    run(Style::Bold, text)
}

fn italic(text: &str) -> Run {
    run(Style::Italic, text)
}

fn run(style: Style, text: &str) -> Run {
    Run {
        style,
        text: text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(page: &Page) -> Vec<&str> {
        page.ops
            .iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    fn every_op_on_the_page(pages: &[Page]) {
        for page in pages {
            for op in &page.ops {
                if let Op::Text { x, baseline, .. } = op {
                    assert!((0.0..PAGE_WIDTH).contains(x), "{op:?}");
                    assert!((0.0..PAGE_HEIGHT).contains(baseline), "{op:?}");
                }
                if let Op::Rule { to, .. } = op {
                    assert!(
                        to.0 <= PAGE_WIDTH - RIGHT + 0.01 && to.1 <= BOTTOM + 0.01,
                        "{op:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_agency_block_breaks_at_words_into_lines_of_like_length() {
        let shaper = Shaper::new().expect("fonts parse");
        let masthead = Block::Masthead(crate::document::Masthead {
            parent: Some("UBND TỈNH NGHỆ AN".into()),
            organisation: "SỞ THÔNG TIN VÀ TRUYỀN THÔNG".into(),
            number: None,
            dateline: None,
        });
        let pages = lay_out(&[masthead], &shaper);
        let lines = texts(&pages[0]);
        assert!(lines.contains(&"SỞ THÔNG TIN VÀ"), "{lines:?}");
        assert!(lines.contains(&"TRUYỀN THÔNG"), "{lines:?}");
        assert!(!lines.contains(&"THÔNG"), "no word alone: {lines:?}");
        assert!(
            lines.contains(&"UBND TỈNH NGHỆ AN"),
            "one line when it fits: {lines:?}"
        );
    }

    #[test]
    fn long_paragraphs_flow_onto_numbered_pages() {
        let shaper = Shaper::new().expect("fonts parse");
        let para = vec![regular(&"Chuyển đổi số cấp xã, phường. ".repeat(400))];
        let pages = lay_out(&[Block::Paragraph(para)], &shaper);
        assert!(pages.len() >= 3, "{} pages", pages.len());
        assert!(
            !texts(&pages[0]).contains(&"1"),
            "no number on the first page"
        );
        assert_eq!(texts(&pages[1])[0], "2");
        assert_eq!(texts(&pages[2])[0], "3");
        every_op_on_the_page(&pages);
    }

    #[test]
    fn a_table_row_taller_than_a_page_is_split_and_the_heading_repeated() {
        let shaper = Shaper::new().expect("fonts parse");
        let huge = vec![vec![regular(
            &"Nhiệm vụ rất dài về an toàn thông tin. ".repeat(300),
        )]];
        let rows = vec![
            vec![vec![vec![regular("1")]], huge],
            vec![vec![vec![regular("2")]], vec![vec![regular("Ngắn")]]],
        ];
        let columns = vec![
            Column {
                title: "STT",
                share: 0.1,
                align: Align::Center,
            },
            Column {
                title: "Nhiệm vụ",
                share: 0.9,
                align: Align::Left,
            },
        ];
        let pages = lay_out(&[Block::Table { columns, rows }], &shaper);
        assert!(pages.len() >= 2);
        for page in &pages {
            assert!(texts(page).contains(&"Nhiệm vụ"), "heading on every page");
        }
        assert!(texts(pages.last().expect("pages")).contains(&"Ngắn"));
        every_op_on_the_page(&pages);
    }

    #[test]
    fn rows_that_fit_a_page_are_not_split() {
        let shaper = Shaper::new().expect("fonts parse");
        let cell = |t: &str| vec![vec![regular(t)]];
        let rows: Vec<Vec<Cell>> = (0..80)
            .map(|i| {
                vec![
                    cell(&i.to_string()),
                    cell("UBND huyện Nghi Lộc\u{a0}có mặt"),
                ]
            })
            .collect();
        let columns = vec![
            Column {
                title: "STT",
                share: 1.0,
                align: Align::Center,
            },
            Column {
                title: "Điểm cầu",
                share: 4.0,
                align: Align::Left,
            },
        ];
        let pages = lay_out(&[Block::Table { columns, rows }], &shaper);
        assert!(pages.len() >= 2);
        let all: Vec<&str> = pages.iter().flat_map(texts).collect();
        for i in 0..80 {
            assert!(all.contains(&i.to_string().as_str()), "row {i}");
        }
        every_op_on_the_page(&pages);
    }

    #[test]
    fn signatures_stay_together() {
        let shaper = Shaper::new().expect("fonts parse");
        let filler = vec![regular(&"Nội dung. ".repeat(520))];
        let signers = vec![
            Signer {
                role: "THƯ KÝ",
                name: Some("Lê Thị Thu Hà".into()),
            },
            Signer {
                role: "CHỦ TRÌ",
                name: Some("Nguyễn Văn A".into()),
            },
        ];
        let pages = lay_out(
            &[Block::Paragraph(filler), Block::Signatures(signers)],
            &shaper,
        );
        let last = texts(pages.last().expect("pages"));
        for t in ["THƯ KÝ", "CHỦ TRÌ", "Lê Thị Thu Hà", "Nguyễn Văn A"] {
            assert!(last.contains(&t), "{t} on the last page: {last:?}");
        }
    }
}
