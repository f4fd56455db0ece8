//! Parsing and normalising the scheduled start of a briefing.

use time::format_description::BorrowedFormatItem;
use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use giaoban_model::{Problem, ProblemCode};

/// Vietnam's time zone (ICT). It has no daylight saving time, so a fixed offset is exact.
const VIETNAM: UtcOffset = offset!(+7);

/// Local date-time forms an organiser may type, read as Vietnam time.
const LOCAL_FORMATS: &[&[BorrowedFormatItem<'static>]] = &[
    format_description!("[year]-[month]-[day]T[hour]:[minute]"),
    format_description!("[year]-[month]-[day] [hour]:[minute]"),
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
    // As people write dates in Vietnam: day, month, year.
    format_description!(
        "[day padding:none]/[month padding:none]/[year] [hour padding:none]:[minute]"
    ),
    format_description!(
        "[day padding:none]/[month padding:none]/[year] [hour padding:none]:[minute]:[second]"
    ),
];

/// Date forms an organiser may type: ISO 8601 or day/month/year.
const DATE_FORMATS: &[&[BorrowedFormatItem<'static>]] = &[
    format_description!("[year]-[month]-[day]"),
    format_description!("[day padding:none]/[month padding:none]/[year]"),
];

/// Normalises a scheduled start typed by an organiser to RFC 3339 with whole seconds.
///
/// Accepts RFC 3339 (its offset is kept, so `+07:00` stays `+07:00`) or a date and time without
/// an offset, read as Vietnam time: `2026-12-01 08:00` or `1/12/2026 08:00` (day first). Sub-second precision is dropped: nobody schedules a
/// briefing to the millisecond, and fixed-width timestamps compare correctly as text.
/// The error is [`ProblemCode::NotADate`] with the input as `value`; the caller names the field.
pub(crate) fn normalise(input: &str) -> Result<String, Problem> {
    let input = input.trim();
    let parsed = OffsetDateTime::parse(input, &Rfc3339).ok().or_else(|| {
        LOCAL_FORMATS.iter().find_map(|format| {
            PrimitiveDateTime::parse(input, format)
                .ok()
                .map(|local| local.assume_offset(VIETNAM))
        })
    });
    let invalid = || Problem::new(ProblemCode::NotADate).with("value", input);
    let parsed = parsed.ok_or_else(invalid)?;
    format(parsed.replace_nanosecond(0).map_err(|_| invalid())?).ok_or_else(invalid)
}

/// The current time in UTC as RFC 3339 with whole seconds.
pub(crate) fn now_utc() -> String {
    let now = OffsetDateTime::now_utc();
    format(now.replace_nanosecond(0).unwrap_or(now))
        .expect("the current time is within RFC 3339's four-digit years")
}

/// The latest instant RFC 3339 can express, in Unix milliseconds: 9999-12-31T23:59:59.999Z.
pub(crate) const MAX_UNIX_MS: u64 = 253_402_300_799_999;

/// Unix milliseconds as RFC 3339 in UTC with whole seconds (the milliseconds are dropped).
/// `None` outside `0..=MAX_UNIX_MS`.
pub(crate) fn utc_from_unix_ms(ms: i64) -> Option<String> {
    if !(0..=MAX_UNIX_MS as i64).contains(&ms) {
        return None;
    }
    format(OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).ok()?)
}

/// Unix seconds of an RFC 3339 time as normalised by [`normalise`]; `None` if it is not one.
pub fn unix_of(rfc3339: &str) -> Option<i64> {
    OffsetDateTime::parse(rfc3339, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// Whether an RFC 3339 time lies before now. Text that is not RFC 3339 is not in the past.
pub(crate) fn is_past(rfc3339: &str) -> bool {
    unix_of(rfc3339).is_some_and(|t| t < OffsetDateTime::now_utc().unix_timestamp())
}

/// Whether RFC 3339 time `a` is at or before `b`; false if either is not RFC 3339.
pub(crate) fn not_after(a: &str, b: &str) -> bool {
    matches!((unix_of(a), unix_of(b)), (Some(a), Some(b)) if a <= b)
}

/// Today's date in Vietnam, `YYYY-MM-DD`.
pub(crate) fn today_vietnam() -> String {
    let today = OffsetDateTime::now_utc().to_offset(VIETNAM).date();
    today
        .format(format_description!("[year]-[month]-[day]"))
        .expect("a date formats")
}

/// A date typed as `YYYY-MM-DD` or `D/M/YYYY`, as `YYYY-MM-DD`; else
/// [`ProblemCode::NotADay`] with the input as `value`.
pub(crate) fn normalise_date(input: &str) -> Result<String, Problem> {
    let input = input.trim();
    DATE_FORMATS
        .iter()
        .find_map(|format| time::Date::parse(input, format).ok())
        .map(|d| {
            d.format(format_description!("[year]-[month]-[day]"))
                .expect("a date formats")
        })
        .ok_or_else(|| Problem::new(ProblemCode::NotADay).with("value", input))
}

/// The date (`YYYY-MM-DD`, Vietnam time) of an RFC 3339 time; `None` if it is not one.
pub(crate) fn date_in_vietnam(rfc3339: &str) -> Option<String> {
    let t = OffsetDateTime::parse(rfc3339, &Rfc3339).ok()?;
    t.to_offset(VIETNAM)
        .date()
        .format(format_description!("[year]-[month]-[day]"))
        .ok()
}

fn format(t: OffsetDateTime) -> Option<String> {
    // RFC 3339 cannot express years outside 0000..=9999 or offsets with seconds.
    t.format(&Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_keeps_its_offset() {
        assert_eq!(
            normalise("2026-12-01T08:00:00+07:00").unwrap(),
            "2026-12-01T08:00:00+07:00"
        );
        assert_eq!(
            normalise(" 2026-12-01T01:00:00.250Z ").unwrap(),
            "2026-12-01T01:00:00Z"
        );
    }

    #[test]
    fn local_times_are_vietnam_time() {
        for input in [
            "2026-12-01T08:00",
            "2026-12-01 08:00",
            "2026-12-01T08:00:00",
            "2026-12-01 08:00:00",
            "01/12/2026 08:00",
            "1/12/2026 8:00",
            "01/12/2026 08:00:00",
        ] {
            assert_eq!(
                normalise(input).unwrap(),
                "2026-12-01T08:00:00+07:00",
                "{input}"
            );
        }
    }

    #[test]
    fn dates_are_read_day_first_or_iso() {
        for input in ["2026-12-31", "31/12/2026", " 31/12/2026 "] {
            assert_eq!(normalise_date(input).unwrap(), "2026-12-31", "{input}");
        }
        for input in ["12/31/2026", "31-12-2026", "2026-12-32", "31/12"] {
            assert_eq!(
                normalise_date(input).unwrap_err().code(),
                ProblemCode::NotADay,
                "{input}"
            );
        }
    }

    #[test]
    fn nonsense_is_refused_as_not_a_date() {
        for input in [
            "",
            "tomorrow",
            "2026-13-01T08:00",
            "2026-02-30 08:00",
            "2026-12-01",
            "08:00",
            "2026-12-01T08:00:00+07:00:30",
            "+12026-12-01T08:00",
        ] {
            let problem = normalise(input).unwrap_err();
            assert_eq!(problem.code(), ProblemCode::NotADate, "{input}");
            assert_eq!(
                problem.param("value"),
                Some(&giaoban_model::Param::Text(input.trim().into())),
            );
        }
    }

    #[test]
    fn unix_milliseconds_become_utc_seconds() {
        assert_eq!(
            utc_from_unix_ms(1_796_086_800_999).as_deref(),
            Some("2026-12-01T01:00:00Z")
        );
        assert_eq!(utc_from_unix_ms(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            utc_from_unix_ms(MAX_UNIX_MS as i64).as_deref(),
            Some("9999-12-31T23:59:59Z")
        );
        assert_eq!(utc_from_unix_ms(MAX_UNIX_MS as i64 + 1), None);
        assert_eq!(utc_from_unix_ms(-1), None);
    }

    #[test]
    fn now_is_rfc3339_utc_in_whole_seconds() {
        let now = now_utc();

        assert!(now.ends_with('Z'), "{now}");
        assert_eq!(now.len(), "2026-12-01T01:00:00Z".len(), "{now}");
    }
}
