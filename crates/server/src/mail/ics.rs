//! iCalendar (RFC 5545) for the calendar entry attached to an invitation: one VEVENT in a
//! VCALENDAR with `METHOD:REQUEST` (RFC 5546 §3.2.2), so that mail clients offer to add it.

use time::OffsetDateTime;
use time::macros::format_description;

/// Longest content line, in octets, without the CRLF (RFC 5545 §3.1).
pub const MAX_LINE_OCTETS: usize = 75;

/// A briefing as a calendar event.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Globally unique and stable: the same briefing and unit always get the same UID, so a
    /// second invitation updates the entry instead of adding another.
    pub uid: &'a str,
    /// When the calendar object was made.
    pub stamp: OffsetDateTime,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
    pub summary: &'a str,
    pub description: &'a str,
    /// The join link.
    pub url: &'a str,
    /// The sender: display name and address.
    pub organizer: (&'a str, &'a str),
    /// The recipient: display name and address.
    pub attendee: (&'a str, &'a str),
}

/// The calendar object of `event`: CRLF line ends, lines folded at 75 octets.
pub fn calendar(event: &Event<'_>) -> String {
    let lines = [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//giaoban//giaoban//VI".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        "METHOD:REQUEST".to_string(),
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}", escape_text(event.uid)),
        format!("DTSTAMP:{}", utc(event.stamp)),
        format!("DTSTART:{}", utc(event.start)),
        format!("DTEND:{}", utc(event.end)),
        "SEQUENCE:0".to_string(),
        "STATUS:CONFIRMED".to_string(),
        format!("SUMMARY:{}", escape_text(event.summary)),
        format!("DESCRIPTION:{}", escape_text(event.description)),
        // URL is of type URI (RFC 5545 §3.8.4.6): not escaped as TEXT.
        format!("URL:{}", event.url),
        format!(
            "ORGANIZER;CN={}:mailto:{}",
            param_value(event.organizer.0),
            event.organizer.1
        ),
        format!(
            "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:{}",
            param_value(event.attendee.0),
            event.attendee.1
        ),
        "END:VEVENT".to_string(),
        "END:VCALENDAR".to_string(),
    ];
    lines.iter().map(|l| fold(l)).collect()
}

/// A date-time in UTC form, e.g. `20261201T010000Z` (RFC 5545 §3.3.5, form #2). A time whose
/// UTC year is not four digits, which [`super::letter::parse_start`] keeps from an invitation,
/// is clamped to the nearest one that is.
pub fn utc(t: OffsetDateTime) -> String {
    let utc = t
        .checked_to_offset(time::UtcOffset::UTC)
        .unwrap_or(if t.year() < 0 {
            time::PrimitiveDateTime::MIN.assume_utc()
        } else {
            time::PrimitiveDateTime::MAX.assume_utc()
        });
    let utc = utc.clamp(
        time::macros::datetime!(0000-01-01 00:00:00 UTC),
        time::macros::datetime!(9999-12-31 23:59:59 UTC),
    );
    utc.format(format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))
    .unwrap_or_default()
}

/// TEXT escaped per RFC 5545 §3.3.11: backslash, semicolon and comma get a backslash, a line
/// break becomes `\n`; other control characters, which TEXT does not allow, are dropped.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line folded per RFC 5545 §3.1: at most 75 octets a line, continuation lines
/// starting with a space, never splitting a UTF-8 sequence; CRLF after each.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut octets = 0;
    for c in line.chars() {
        if octets + c.len_utf8() > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            // The leading space counts towards the continuation line's 75 octets.
            octets = 1;
        }
        out.push(c);
        octets += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// A parameter value (RFC 5545 §3.1): quoted when it holds `:`, `;` or `,`; double quotes and
/// control characters, which cannot appear in one, are dropped.
fn param_value(value: &str) -> String {
    let clean: String = value
        .chars()
        .filter(|&c| c != '"' && !c.is_control())
        .collect();
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn event<'a>(summary: &'a str, description: &'a str) -> Event<'a> {
        Event {
            uid: "briefing-b7k2m9q4x1rz.UBND-CUALO@nghean.gov.vn",
            stamp: datetime!(2026-11-20 03:04:05 UTC),
            start: datetime!(2026-12-01 08:00 +7),
            end: datetime!(2026-12-01 10:00 +7),
            summary,
            description,
            url: "http://127.0.0.1:8080/j/abc",
            organizer: ("Sở TT&TT; Nghệ An", "stttt@nghean.gov.vn"),
            attendee: ("UBND thị xã Cửa Lò", "ubnd@cualo.nghean.gov.vn"),
        }
    }

    /// Undoes folding: a CRLF followed by a space joins two lines.
    fn unfold(ics: &str) -> Vec<String> {
        ics.replace("\r\n ", "")
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn text_escapes_the_four_special_characters() {
        assert_eq!(
            escape_text("Báo cáo; kết quả, \\ kế hoạch\r\ndòng 2\ndòng 3\u{7}"),
            "Báo cáo\\; kết quả\\, \\\\ kế hoạch\\ndòng 2\\ndòng 3"
        );
        assert_eq!(escape_text("a:b\"c"), "a:b\"c");
    }

    #[test]
    fn folding_keeps_lines_within_75_octets_and_utf8_intact() {
        let line = format!("SUMMARY:{}", "Giao ban công nghệ thông tin ".repeat(12));

        let folded = fold(&line);

        assert!(folded.ends_with("\r\n"));
        let parts: Vec<&str> = folded.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(parts.len() > 5);
        for (i, part) in parts.iter().enumerate() {
            assert!(part.len() <= MAX_LINE_OCTETS, "{i}: {} octets", part.len());
            if i > 0 {
                assert!(part.starts_with(' '), "{part:?}");
            }
        }
        assert_eq!(unfold(&folded), [line]);
        assert_eq!(fold("VERSION:2.0"), "VERSION:2.0\r\n");
        let exact = "X".repeat(75);
        assert_eq!(fold(&exact), format!("{exact}\r\n"));
        assert_eq!(
            fold(&"X".repeat(76)),
            format!("{}\r\n X\r\n", "X".repeat(75))
        );
        // "ệ" is three octets: it goes whole to the next line rather than across the fold.
        assert_eq!(
            fold(&format!("{}ệ", "X".repeat(73))),
            format!("{}\r\n ệ\r\n", "X".repeat(73))
        );
    }

    #[test]
    fn the_calendar_has_one_request_event_in_utc() {
        let ics = calendar(&event(
            "Giao ban CNTT 6 tháng đầu năm 2026",
            "Đường dẫn tham dự: http://127.0.0.1:8080/j/abc\nKính mời, trân trọng; cảm ơn",
        ));

        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'));
        for line in ics.split("\r\n") {
            assert!(line.len() <= MAX_LINE_OCTETS, "{line:?}");
        }
        let lines = unfold(&ics);
        for expected in [
            "METHOD:REQUEST",
            "UID:briefing-b7k2m9q4x1rz.UBND-CUALO@nghean.gov.vn",
            "DTSTAMP:20261120T030405Z",
            "DTSTART:20261201T010000Z",
            "DTEND:20261201T030000Z",
            "SUMMARY:Giao ban CNTT 6 tháng đầu năm 2026",
            "DESCRIPTION:Đường dẫn tham dự: http://127.0.0.1:8080/j/abc\\nKính mời\\, trân trọng\\; cảm ơn",
            "URL:http://127.0.0.1:8080/j/abc",
            "ORGANIZER;CN=\"Sở TT&TT; Nghệ An\":mailto:stttt@nghean.gov.vn",
            "ATTENDEE;CN=UBND thị xã Cửa Lò;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:ubnd@cualo.nghean.gov.vn",
        ] {
            assert!(
                lines.iter().any(|l| l == expected),
                "{expected}\n{lines:#?}"
            );
        }
        let begins = lines.iter().filter(|l| l.starts_with("BEGIN:")).count();
        let ends = lines.iter().filter(|l| l.starts_with("END:")).count();
        assert_eq!((begins, ends), (2, 2));
    }
}
