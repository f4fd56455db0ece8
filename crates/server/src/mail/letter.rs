//! The text of official mail, in Vietnamese: subjects, plain-text and HTML bodies, and the
//! calendar entry of an invitation. Pure: everything it needs is passed in.

use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{Duration, OffsetDateTime, UtcOffset};

use giaoban_minutes::escape_html as html_escape;

use super::ics;

/// Vietnam's time zone, in which times are written in mail.
const VIETNAM: UtcOffset = offset!(+7);

/// How long a briefing is assumed to last in the calendar entry.
pub const DEFAULT_DURATION: Duration = Duration::hours(2);

/// What the letter is about.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub briefing_id: &'a str,
    pub title: &'a str,
    /// RFC 3339, as stored.
    pub scheduled_start: &'a str,
    /// The host point's name, e.g. "Sở Thông tin và Truyền thông".
    pub host: &'a str,
    pub unit_code: &'a str,
    pub unit_name: &'a str,
    /// The unit's own join link.
    pub link: &'a str,
    /// The recipient's address.
    pub to: &'a str,
    /// The sender: display name (may be empty) and address.
    pub from: (&'a str, &'a str),
    /// When the letter is written.
    pub now: OffsetDateTime,
}

/// A composed letter, ready to be put into a MIME message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// An iCalendar object to attach, if any.
    pub calendar: Option<String>,
    /// The minutes as a PDF to attach, if any.
    pub pdf: Option<Vec<u8>>,
}

/// The invitation ("giấy mời"), with a calendar entry.
pub fn invitation(f: &Facts<'_>) -> Result<Letter, String> {
    let start = parse_start(f.scheduled_start)?;
    let when = vietnamese_time(start);
    let subject = format!("Giấy mời: {} — {when}", f.title);
    let intro = format!(
        "{} trân trọng kính mời quý đơn vị tham dự cuộc họp giao ban trực tuyến:",
        f.host
    );
    let text = format!(
        "Kính gửi: {unit}\n\n\
         {intro}\n\n\
         \u{20}   {title}\n\
         \u{20}   Thời gian: {when} (giờ Việt Nam)\n\
         \u{20}   Hình thức: trực tuyến, tại điểm cầu của quý đơn vị\n\n\
         Đường dẫn tham dự riêng của quý đơn vị (vui lòng không chuyển cho đơn vị khác):\n\
         {link}\n\n\
         Lịch họp được đính kèm (tệp .ics) để quý đơn vị thêm vào lịch công tác.\n\n\
         Trân trọng.\n\
         {host}\n",
        unit = f.unit_name,
        title = f.title,
        link = f.link,
        host = f.host,
    );
    let html = html_page(
        &subject,
        &format!(
            "<p>Kính gửi: <strong>{unit}</strong></p>\n\
             <p>{intro}</p>\n\
             <p style=\"margin-left:2em\"><strong>{title}</strong><br>\n\
             Thời gian: {when} (giờ Việt Nam)<br>\n\
             Hình thức: trực tuyến, tại điểm cầu của quý đơn vị</p>\n\
             <p>Đường dẫn tham dự riêng của quý đơn vị (vui lòng không chuyển cho đơn vị khác):<br>\n\
             <a href=\"{link}\">{link}</a></p>\n\
             <p>Lịch họp được đính kèm (tệp .ics) để quý đơn vị thêm vào lịch công tác.</p>\n\
             <p>Trân trọng.<br>\n{host}</p>",
            unit = html_escape(f.unit_name),
            intro = html_escape(&intro),
            title = html_escape(f.title),
            when = html_escape(&when),
            link = html_escape(f.link),
            host = html_escape(f.host),
        ),
    );
    let uid = calendar_uid(f.briefing_id, f.unit_code, f.from.1);
    let description = format!(
        "{intro}\n{title}\nĐường dẫn tham dự của {unit}: {link}",
        title = f.title,
        unit = f.unit_name,
        link = f.link
    );
    let organizer = if f.from.0.is_empty() {
        f.host
    } else {
        f.from.0
    };
    let calendar = ics::calendar(&ics::Event {
        uid: &uid,
        stamp: f.now,
        start,
        end: start + DEFAULT_DURATION,
        summary: f.title,
        description: &description,
        url: f.link,
        organizer: (organizer, f.from.1),
        attendee: (f.unit_name, f.to),
    });
    Ok(Letter {
        subject,
        text,
        html,
        calendar: Some(calendar),
        pdf: None,
    })
}

/// The reminder shortly before the start.
pub fn reminder(f: &Facts<'_>) -> Result<Letter, String> {
    let start = parse_start(f.scheduled_start)?;
    let when = vietnamese_time(start);
    let subject = format!("Nhắc lịch: {} — {when}", f.title);
    let text = format!(
        "Kính gửi: {unit}\n\n\
         Cuộc họp giao ban trực tuyến \"{title}\" do {host} chủ trì sẽ bắt đầu lúc {when} \
         (giờ Việt Nam).\n\n\
         Đề nghị quý đơn vị vào điểm cầu sớm để kiểm tra âm thanh, hình ảnh, qua đường dẫn \
         riêng:\n\
         {link}\n\n\
         Trân trọng.\n\
         {host}\n",
        unit = f.unit_name,
        title = f.title,
        host = f.host,
        link = f.link,
    );
    let html = html_page(
        &subject,
        &format!(
            "<p>Kính gửi: <strong>{unit}</strong></p>\n\
             <p>Cuộc họp giao ban trực tuyến <strong>{title}</strong> do {host} chủ trì sẽ bắt \
             đầu lúc {when} (giờ Việt Nam).</p>\n\
             <p>Đề nghị quý đơn vị vào điểm cầu sớm để kiểm tra âm thanh, hình ảnh, qua đường \
             dẫn riêng:<br>\n<a href=\"{link}\">{link}</a></p>\n\
             <p>Trân trọng.<br>\n{host}</p>",
            unit = html_escape(f.unit_name),
            title = html_escape(f.title),
            host = html_escape(f.host),
            when = html_escape(&when),
            link = html_escape(f.link),
        ),
    );
    Ok(Letter {
        subject,
        text,
        html,
        calendar: None,
        pdf: None,
    })
}

/// The minutes after the briefing, with the PDF attached.
pub fn minutes(f: &Facts<'_>, pdf: Vec<u8>) -> Result<Letter, String> {
    // The minutes of a briefing whose start cannot be written go out all the same, with the
    // start as stored.
    let when = OffsetDateTime::parse(f.scheduled_start, &Rfc3339)
        .map_or_else(|_| f.scheduled_start.to_owned(), vietnamese_time);
    let subject = format!("Biên bản: {} — {when}", f.title);
    let text = format!(
        "Kính gửi: {unit}\n\n\
         {host} gửi quý đơn vị biên bản cuộc họp giao ban trực tuyến \"{title}\" ({when}), \
         đính kèm thư này (tệp PDF).\n\n\
         Đề nghị quý đơn vị triển khai các nhiệm vụ được giao và báo cáo tiến độ qua đường dẫn \
         riêng của đơn vị:\n\
         {dossier}\n\n\
         Trân trọng.\n\
         {host}\n",
        unit = f.unit_name,
        title = f.title,
        host = f.host,
        dossier = dossier_link(f.link),
    );
    let html = html_page(
        &subject,
        &format!(
            "<p>Kính gửi: <strong>{unit}</strong></p>\n\
             <p>{host} gửi quý đơn vị biên bản cuộc họp giao ban trực tuyến \
             <strong>{title}</strong> ({when}), đính kèm thư này (tệp PDF).</p>\n\
             <p>Đề nghị quý đơn vị triển khai các nhiệm vụ được giao và báo cáo tiến độ qua \
             đường dẫn riêng của đơn vị:<br>\n<a href=\"{dossier}\">{dossier}</a></p>\n\
             <p>Trân trọng.<br>\n{host}</p>",
            unit = html_escape(f.unit_name),
            title = html_escape(f.title),
            host = html_escape(f.host),
            when = html_escape(&when),
            dossier = html_escape(&dossier_link(f.link)),
        ),
    );
    Ok(Letter {
        subject,
        text,
        html,
        calendar: None,
        pdf: Some(pdf),
    })
}

/// The dossier page of a join link: `/j/TOKEN` becomes `/d/TOKEN`.
fn dossier_link(join_link: &str) -> String {
    match join_link.rsplit_once("/j/") {
        Some((base, token)) => format!("{base}/d/{token}"),
        None => join_link.to_owned(),
    }
}

/// The scheduled start, as stored (RFC 3339): an error when it is not RFC 3339, or when it, or
/// its end [`DEFAULT_DURATION`] later, cannot be written in Vietnam time and in UTC with
/// four-digit years (a start near the year 0 or 9999, which the API never takes but a
/// database edited by hand may hold).
pub fn parse_start(scheduled_start: &str) -> Result<OffsetDateTime, String> {
    let start = OffsetDateTime::parse(scheduled_start, &Rfc3339)
        .map_err(|e| format!("scheduled start {scheduled_start:?} is not RFC 3339: {e}"))?;
    let writable = |t: OffsetDateTime| {
        [VIETNAM, time::UtcOffset::UTC].into_iter().all(|offset| {
            t.checked_to_offset(offset)
                .is_some_and(|t| (0..=9999).contains(&t.year()))
        })
    };
    match start.checked_add(DEFAULT_DURATION) {
        Some(end) if writable(start) && writable(end) => Ok(start),
        _ => Err(format!(
            "scheduled start {scheduled_start:?} is too far from the present to write"
        )),
    }
}

/// A time as written in Vietnamese official documents, in Vietnam time:
/// `08:00 ngày 01/12/2026`; RFC 3339 when it has no such form (a year past 9999 in Vietnam).
pub fn vietnamese_time(t: OffsetDateTime) -> String {
    t.checked_to_offset(VIETNAM)
        .and_then(|t| {
            t.format(format_description!(
                "[hour]:[minute] ngày [day]/[month]/[year]"
            ))
            .ok()
        })
        .or_else(|| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The calendar UID of a briefing's entry for a unit: the same on every invitation, so that
/// sending again updates the entry in the unit's calendar.
pub fn calendar_uid(briefing_id: &str, unit_code: &str, from: &str) -> String {
    let domain = from.rsplit_once('@').map_or("giaoban", |(_, d)| d);
    format!("briefing-{briefing_id}.{unit_code}@{domain}")
}

fn html_page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"vi\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family:Arial,sans-serif;font-size:15px;line-height:1.5\">\n{body}\n</body>\n</html>\n",
        html_escape(title)
    )
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn facts() -> Facts<'static> {
        Facts {
            briefing_id: "b7k2m9q4x1rz",
            title: "Giao ban CNTT 6 tháng đầu năm 2026",
            scheduled_start: "2026-12-01T08:00:00+07:00",
            host: "Sở Thông tin & Truyền thông",
            unit_code: "UBND-CUALO",
            unit_name: "UBND thị xã Cửa Lò",
            link: "http://127.0.0.1:8080/j/abc",
            to: "ubnd@cualo.nghean.gov.vn",
            from: ("", "giaoban@nghean.gov.vn"),
            now: datetime!(2026-11-20 03:04:05 UTC),
        }
    }

    /// Starts the API never takes but a database edited by hand may hold: an invitation or a
    /// reminder for them is an error, not a panic; the minutes go out with the start as stored.
    #[test]
    fn a_start_at_the_edge_of_the_calendar_is_refused_or_kept_as_text() {
        for start in [
            "9999-12-31T23:30:00-05:00",
            "9999-12-31T23:00:00+07:00",
            "9999-12-31T22:00:00Z",
            "0000-01-01T00:00:00+14:00",
            "0000-01-01T03:00:00+07:00",
        ] {
            let facts = Facts {
                scheduled_start: start,
                ..facts()
            };
            assert!(invitation(&facts).is_err(), "{start}");
            assert!(reminder(&facts).is_err(), "{start}");
            let minutes = minutes(&facts, b"%PDF-1.7".to_vec()).unwrap();
            assert!(minutes.subject.starts_with("Biên bản: "), "{start}");
        }
        let near = Facts {
            scheduled_start: "9999-12-31T08:00:00+07:00",
            ..facts()
        };
        let letter = invitation(&near).unwrap();
        assert!(
            letter.subject.ends_with("08:00 ngày 31/12/9999"),
            "{}",
            letter.subject
        );
        assert!(letter.calendar.unwrap().contains("DTEND:99991231T030000Z"));
        assert_eq!(
            vietnamese_time(datetime!(9999-12-31 23:00 UTC)),
            "9999-12-31T23:00:00Z"
        );
        assert_eq!(
            ics::utc(datetime!(-0001-12-31 20:00 UTC)),
            "00000101T000000Z"
        );
        assert_eq!(
            ics::utc(datetime!(9999-12-31 23:00 -05:00)),
            "99991231T235959Z"
        );
    }

    #[test]
    fn the_invitation_names_title_time_unit_and_link() {
        let letter = invitation(&facts()).unwrap();

        assert_eq!(
            letter.subject,
            "Giấy mời: Giao ban CNTT 6 tháng đầu năm 2026 — 08:00 ngày 01/12/2026"
        );
        assert!(letter.text.starts_with("Kính gửi: UBND thị xã Cửa Lò\n"));
        assert!(letter.text.contains("\nhttp://127.0.0.1:8080/j/abc\n"));
        assert!(letter.html.contains("Sở Thông tin &amp; Truyền thông"));
        assert!(
            letter
                .html
                .contains("<a href=\"http://127.0.0.1:8080/j/abc\">")
        );
        let calendar = letter.calendar.unwrap();
        assert!(calendar.contains("DTSTART:20261201T010000Z\r\n"));
        assert!(calendar.contains("DTEND:20261201T030000Z\r\n"));
        assert!(calendar.contains("UID:briefing-b7k2m9q4x1rz.UBND-CUALO@nghean.gov.vn\r\n"));
        assert!(calendar.contains("ORGANIZER;CN=Sở Thông tin & Truyền thông:mailto:giaoban@"));
    }

    #[test]
    fn times_are_written_in_vietnam_time() {
        assert_eq!(
            vietnamese_time(datetime!(2026-12-01 01:00 UTC)),
            "08:00 ngày 01/12/2026"
        );
        assert_eq!(
            vietnamese_time(datetime!(2026-12-31 20:30 UTC)),
            "03:30 ngày 01/01/2027"
        );
    }

    #[test]
    fn the_reminder_has_no_calendar_and_a_bad_start_is_an_error() {
        let letter = reminder(&facts()).unwrap();
        let bad = Facts {
            scheduled_start: "mai",
            ..facts()
        };

        assert_eq!(
            letter.subject,
            "Nhắc lịch: Giao ban CNTT 6 tháng đầu năm 2026 — 08:00 ngày 01/12/2026"
        );
        assert!(letter.calendar.is_none());
        assert!(letter.text.contains("http://127.0.0.1:8080/j/abc"));
        assert!(invitation(&bad).is_err());
    }

    #[test]
    fn the_minutes_letter_carries_the_pdf_and_the_dossier_link() {
        let letter = minutes(&facts(), b"%PDF-1.7".to_vec()).unwrap();

        assert_eq!(
            letter.subject,
            "Biên bản: Giao ban CNTT 6 tháng đầu năm 2026 — 08:00 ngày 01/12/2026"
        );
        assert!(
            letter.text.contains("\nhttp://127.0.0.1:8080/d/abc\n"),
            "{}",
            letter.text
        );
        assert!(
            letter
                .html
                .contains("<a href=\"http://127.0.0.1:8080/d/abc\">")
        );
        assert_eq!(letter.pdf.as_deref(), Some(&b"%PDF-1.7"[..]));
        assert!(letter.calendar.is_none());
    }
}
