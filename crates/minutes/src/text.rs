//! Text as it is printed: NFC normalisation, cleaning of control characters, and times in
//! Vietnamese administrative wording.
//!
//! Dates follow Decree 30/2020/NĐ-CP on administrative documents, Appendix I: "ngày 05 tháng
//! 02 năm 2025" — a day below 10 and the months January and February take a leading zero, so
//! that nobody can add a digit after signing.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};
use unicode_normalization::UnicodeNormalization;

/// One line of text: NFC, every control character and run of white space folded into one
/// space, trimmed.
///
/// NFC because that is what Vietnamese keyboards produce and what the font's `cmap` maps
/// straight to precomposed glyphs, so the PDF's text extracts as the same code points.
pub(crate) fn line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfc() {
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
        } else if is_invisible(c) {
            continue;
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Paragraphs of free text: split at line breaks, each cleaned like [`line`], empty ones
/// dropped.
pub(crate) fn paragraphs(text: &str) -> Vec<String> {
    text.split(['\n', '\r', '\u{2028}', '\u{2029}'])
        .map(line)
        .filter(|p| !p.is_empty())
        .collect()
}

/// `Some(cleaned)` when the cleaned text is not empty.
pub(crate) fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(line).filter(|t| !t.is_empty())
}

/// The time of day, "08:05", of an RFC 3339 instant; any other text as it is.
pub(crate) fn clock(text: &str) -> String {
    match instant(text) {
        Some(t) => format!("{:02}:{:02}", t.hour(), t.minute()),
        None => line(text),
    }
}

/// A deadline as "31/12/2025" from `2025-12-31` or RFC 3339; any other text as it is.
pub(crate) fn short_date(text: &str) -> String {
    let date = instant(text)
        .map(|t| t.date())
        .or_else(|| Date::parse(text.trim(), format_description!("[year]-[month]-[day]")).ok());
    match date {
        Some(d) => format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year()),
        None => line(text),
    }
}

/// "Nghệ An, ngày 15 tháng 7 năm 2025", when the start is RFC 3339.
pub(crate) fn dateline(locality: &str, started_at: &str) -> Option<String> {
    let start = instant(started_at)?;
    let locality = line(locality);
    if locality.is_empty() {
        return None;
    }
    Some(format!("{locality}, {}", long_date(start.date())))
}

/// When the briefing took place, as one phrase: "Từ 08 giờ 00 phút đến 11 giờ 30 phút, ngày
/// 15 tháng 7 năm 2025".
pub(crate) fn span(started_at: &str, ended_at: &str) -> String {
    let ended_text = line(ended_at);
    match (instant(started_at), instant(ended_at)) {
        (Some(start), Some(end)) => {
            // The end as the clock of the start reads it; in its own offset when that clock
            // would read a year past 9999, with its date then.
            let (end, comparable) = match end.checked_to_offset(start.offset()) {
                Some(end) => (end, true),
                None => (end, false),
            };
            if comparable && start.date() == end.date() {
                format!(
                    "Từ {} đến {}, {}",
                    hour_minute(start),
                    hour_minute(end),
                    long_date(start.date())
                )
            } else {
                format!("Từ {} đến {}", long_instant(start), long_instant(end))
            }
        }
        (Some(start), None) if ended_text.is_empty() => format!("Bắt đầu {}", long_instant(start)),
        (Some(start), None) => format!("Từ {} đến {ended_text}", long_instant(start)),
        (None, _) if ended_text.is_empty() => line(started_at),
        (None, Some(end)) => format!("Từ {} đến {}", line(started_at), long_instant(end)),
        (None, None) => format!("Từ {} đến {ended_text}", line(started_at)),
    }
}

/// The closing sentence's time: "11 giờ 30 phút cùng ngày" when the briefing ended on the day
/// it started; `None` when no end is known.
pub(crate) fn ended(started_at: &str, ended_at: &str) -> Option<String> {
    let Some(end) = instant(ended_at) else {
        return non_empty(Some(ended_at));
    };
    let same_day = instant(started_at).and_then(|start| {
        let end = end.checked_to_offset(start.offset())?;
        (start.date() == end.date()).then_some(end)
    });
    match same_day {
        Some(end) => Some(format!("{} cùng ngày", hour_minute(end))),
        None => Some(long_instant(end)),
    }
}

fn instant(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text.trim(), &Rfc3339).ok()
}

fn hour_minute(t: OffsetDateTime) -> String {
    format!("{:02} giờ {:02} phút", t.hour(), t.minute())
}

fn long_instant(t: OffsetDateTime) -> String {
    format!("{}, {}", hour_minute(t), long_date(t.date()))
}

/// "ngày 05 tháng 02 năm 2025", "ngày 15 tháng 7 năm 2025" (Decree 30/2020/NĐ-CP, Appendix I).
fn long_date(d: Date) -> String {
    let month = u8::from(d.month());
    let month = if month < 3 {
        format!("{month:02}")
    } else {
        month.to_string()
    };
    format!("ngày {:02} tháng {month} năm {}", d.day(), d.year())
}

/// Format characters that print as nothing but would reach the PDF as missing glyphs.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_composes_to_nfc_and_folds_white_space() {
        // "Nghệ" typed with combining marks: e + circumflex + dot below.
        let decomposed = "  Ngh\u{0065}\u{0302}\u{0323}\tAn\r\n\u{0007}x\u{200B}y ";
        assert_eq!(line(decomposed), "Nghệ An xy");
        assert_eq!(line("Nghệ"), "Ngh\u{1EC7}");
        assert_eq!(line(" \n "), "");
    }

    #[test]
    fn paragraphs_split_at_line_breaks() {
        assert_eq!(
            paragraphs("Một.\r\n\r\n  Hai  \nBa"),
            vec!["Một.", "Hai", "Ba"]
        );
    }

    #[test]
    fn times_at_the_end_of_the_calendar_print_without_conversion() {
        // In the start's offset (+07:00), the end falls in the year 10000, which has no date.
        let start = "9999-12-31T08:00:00+07:00";
        let end = "9999-12-31T23:00:00Z";

        assert_eq!(
            span(start, end),
            "Từ 08 giờ 00 phút, ngày 31 tháng 12 năm 9999 đến 23 giờ 00 phút, ngày 31 tháng 12 năm 9999"
        );
        assert_eq!(
            ended(start, end).as_deref(),
            Some("23 giờ 00 phút, ngày 31 tháng 12 năm 9999")
        );
        assert_eq!(short_date("0000-01-01"), "01/01/0000");
        assert_eq!(short_date("+10000-01-01"), "+10000-01-01");
    }

    #[test]
    fn rfc3339_times_become_vietnamese_wording() {
        let start = "2025-07-15T08:00:00+07:00";
        let end = "2025-07-15T04:30:00Z";
        assert_eq!(
            span(start, end),
            "Từ 08 giờ 00 phút đến 11 giờ 30 phút, ngày 15 tháng 7 năm 2025"
        );
        assert_eq!(
            ended(start, end).as_deref(),
            Some("11 giờ 30 phút cùng ngày")
        );
        assert_eq!(clock("2025-07-15T09:05:00+07:00"), "09:05");
        assert_eq!(
            dateline("Nghệ An", "2025-02-05T08:00:00+07:00").as_deref(),
            Some("Nghệ An, ngày 05 tháng 02 năm 2025")
        );
        assert_eq!(short_date("2025-12-31"), "31/12/2025");
    }

    #[test]
    fn other_text_is_printed_as_given() {
        assert_eq!(span("sáng 15/7", "trưa 15/7"), "Từ sáng 15/7 đến trưa 15/7");
        assert_eq!(span("sáng 15/7", ""), "sáng 15/7");
        assert_eq!(clock("9h"), "9h");
        assert_eq!(short_date("Thường xuyên"), "Thường xuyên");
        assert_eq!(dateline("Nghệ An", "sáng 15/7"), None);
        assert_eq!(ended("x", ""), None);
    }

    #[test]
    fn briefings_across_midnight_name_both_dates() {
        assert_eq!(
            span("2025-07-15T23:00:00+07:00", "2025-07-16T00:30:00+07:00"),
            "Từ 23 giờ 00 phút, ngày 15 tháng 7 năm 2025 đến 00 giờ 30 phút, ngày 16 tháng 7 năm 2025"
        );
    }
}
