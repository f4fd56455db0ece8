//! Line breaking: a paragraph of styled runs into lines no wider than a measure.
//!
//! Greedy, at spaces. Vietnamese writes every syllable as its own space-separated word, so
//! spaces give plenty of break points and no hyphenation is needed. A word wider than the
//! measure on its own (a URL, a code) is cut between characters, never between a letter and
//! a combining mark that follows it.

use unicode_normalization::char::is_combining_mark;

use super::fonts::Shaper;
use crate::document::{Run, Style};

/// Text in one style on one line. A space between words belongs to the word after it, so
/// `text` may start with one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Segment {
    pub style: Style,
    pub text: String,
    /// The natural width in points, spaces included.
    pub width: f32,
    /// How many spaces `text` holds: where justification adds room.
    pub spaces: usize,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Line {
    pub segments: Vec<Segment>,
    /// The natural width in points.
    pub width: f32,
    pub spaces: usize,
}

/// A word: the pieces of text between two spaces, each in its own style.
struct Word<'a> {
    parts: Vec<(Style, &'a str)>,
    space_before: bool,
}

/// Breaks `para` into lines of at most `first` points (the first line) and `rest` points (the
/// others), set at `size`.
pub(crate) fn wrap(shaper: &Shaper, para: &[Run], size: f32, first: f32, rest: f32) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    let mut line = Line::default();
    for word in words(para) {
        let measure = if lines.is_empty() { first } else { rest };
        let parts: Vec<(Style, &str, f32)> = word
            .parts
            .iter()
            .map(|&(style, text)| (style, text, shaper.width(style, size, text)))
            .collect();
        let word_width: f32 = parts.iter().map(|p| p.2).sum();
        let space = parts
            .first()
            .map(|&(style, _, _)| shaper.width(style, size, " "))
            .unwrap_or_default();
        let with_space = word.space_before && !line.segments.is_empty();
        let needed = word_width + if with_space { space } else { 0.0 };
        if line.segments.is_empty() || line.width + needed <= measure {
            if line.segments.is_empty() && word_width > measure {
                cut(shaper, size, &parts, measure, rest, &mut line, &mut lines);
            } else {
                push_word(&mut line, &parts, with_space, space);
            }
        } else {
            lines.push(std::mem::take(&mut line));
            if word_width > rest {
                cut(shaper, size, &parts, rest, rest, &mut line, &mut lines);
            } else {
                push_word(&mut line, &parts, false, 0.0);
            }
        }
    }
    if !line.segments.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn words(para: &[Run]) -> Vec<Word<'_>> {
    let mut words: Vec<Word<'_>> = Vec::new();
    let mut pending_space = false;
    for run in para {
        for (i, piece) in run.text.split(' ').enumerate() {
            if i > 0 {
                pending_space = true;
            }
            if piece.is_empty() {
                continue;
            }
            match words.last_mut() {
                Some(word) if !pending_space => word.parts.push((run.style, piece)),
                _ => {
                    words.push(Word {
                        parts: vec![(run.style, piece)],
                        space_before: pending_space,
                    });
                    pending_space = false;
                }
            }
        }
    }
    words
}

fn push_word(line: &mut Line, parts: &[(Style, &str, f32)], with_space: bool, space: f32) {
    for (i, &(style, text, width)) in parts.iter().enumerate() {
        let lead = i == 0 && with_space;
        let width = width + if lead { space } else { 0.0 };
        match line.segments.last_mut() {
            Some(seg) if seg.style == style => {
                if lead {
                    seg.text.push(' ');
                    seg.spaces += 1;
                }
                seg.text.push_str(text);
                seg.width += width;
            }
            _ => line.segments.push(Segment {
                style,
                text: if lead {
                    format!(" {text}")
                } else {
                    text.to_owned()
                },
                width,
                spaces: usize::from(lead),
            }),
        }
        line.width += width;
        line.spaces += usize::from(lead);
    }
}

/// Sets a word too wide for any line: as many characters as fit on each line, the rest on
/// the next. `line` is empty on entry and holds the word's last piece on return.
fn cut(
    shaper: &Shaper,
    size: f32,
    parts: &[(Style, &str, f32)],
    first: f32,
    rest: f32,
    line: &mut Line,
    lines: &mut Vec<Line>,
) {
    let mut measure = first;
    for &(style, text, _) in parts {
        for range in clusters(text) {
            let width = shaper.width(style, size, &text[range.clone()]);
            if !line.segments.is_empty() && line.width + width > measure {
                lines.push(std::mem::take(line));
                measure = rest;
            }
            push_word(line, &[(style, &text[range], width)], false, 0.0);
        }
    }
}

/// Byte ranges of `text` that must not be split: a character with the combining marks after
/// it.
fn clusters(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, c) = chars.next()?;
        let mut end = start + c.len_utf8();
        while let Some(&(i, next)) = chars.peek() {
            if !is_combining_mark(next) {
                break;
            }
            end = i + next.len_utf8();
            chars.next();
        }
        Some(start..end)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(style: Style, text: &str) -> Run {
        Run {
            style,
            text: text.into(),
        }
    }

    fn text_of(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.segments.iter().map(|s| s.text.as_str()).collect())
            .collect()
    }

    #[test]
    fn lines_fit_the_measure_and_keep_every_word() {
        let shaper = Shaper::new().expect("fonts parse");
        let text = "Triển khai đài truyền thanh cơ sở ứng dụng công nghệ thông tin - viễn thông \
                    tại 100% xã, phường, thị trấn trên địa bàn tỉnh Nghệ An trong năm 2025";
        let lines = wrap(&shaper, &[run(Style::Regular, text)], 11.0, 150.0, 150.0);
        assert!(lines.len() > 3);
        for line in &lines {
            assert!(line.width <= 150.0, "{line:?}");
            let measured = shaper.width(
                Style::Regular,
                11.0,
                &text_of(std::slice::from_ref(line))[0],
            );
            assert!(
                (measured - line.width).abs() < 0.5,
                "{measured} vs {}",
                line.width
            );
        }
        assert_eq!(text_of(&lines).join(" "), text);
    }

    #[test]
    fn styles_alternate_within_a_line_and_glue_without_a_space() {
        let shaper = Shaper::new().expect("fonts parse");
        let para = [
            run(Style::Bold, "UBND huyện Nghi Lộc: "),
            run(Style::Regular, "thiếu"),
            run(Style::Italic, "(!) kinh phí"),
        ];
        let lines = wrap(&shaper, &para, 11.0, 1000.0, 1000.0);
        assert_eq!(lines.len(), 1);
        let styles: Vec<(Style, &str)> = lines[0]
            .segments
            .iter()
            .map(|s| (s.style, s.text.as_str()))
            .collect();
        assert_eq!(
            styles,
            [
                (Style::Bold, "UBND huyện Nghi Lộc:"),
                (Style::Regular, " thiếu"),
                (Style::Italic, "(!) kinh phí"),
            ]
        );
        assert_eq!(lines[0].spaces, 6);
    }

    #[test]
    fn a_word_wider_than_the_measure_is_cut_between_characters() {
        let shaper = Shaper::new().expect("fonts parse");
        let url = "https://dichvucong.nghean.gov.vn/dich-vu-cong-truc-tuyen-muc-do-3-va-4";
        let lines = wrap(
            &shaper,
            &[run(Style::Regular, &format!("Xem {url} ngay"))],
            10.0,
            80.0,
            80.0,
        );
        assert!(lines.len() > 3);
        for line in &lines {
            assert!(line.width <= 80.0 + 0.01, "{line:?}");
        }
        // Every character is kept; only the spaces where lines break are dropped.
        assert_eq!(
            text_of(&lines).concat().replace(' ', ""),
            format!("Xem{url}ngay")
        );
    }

    #[test]
    fn combining_marks_stay_with_their_letter() {
        let ranges: Vec<_> = clusters("e\u{0302}\u{0323}a").collect();
        assert_eq!(ranges, [0..5, 5..6]);
        let shaper = Shaper::new().expect("fonts parse");
        let narrow = wrap(
            &shaper,
            &[run(Style::Regular, "e\u{0302}\u{0323}e\u{0302}\u{0323}")],
            10.0,
            1.0,
            1.0,
        );
        assert_eq!(text_of(&narrow), ["e\u{0302}\u{0323}", "e\u{0302}\u{0323}"]);
    }

    #[test]
    fn an_empty_paragraph_is_one_empty_line() {
        let shaper = Shaper::new().expect("fonts parse");
        assert_eq!(wrap(&shaper, &[], 10.0, 50.0, 50.0), vec![Line::default()]);
    }
}
