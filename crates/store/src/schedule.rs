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

/// The first year of a date the API takes: no briefing, deadline or task lies before it.
pub const MIN_YEAR: i32 = 2000;
/// The last year of a date the API takes. Far enough ahead for any plan, and near enough
/// that every date stored converts between time zones and prints with four digits.
pub const MAX_YEAR: i32 = 2100;

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
/// The error is [`ProblemCode::NotADate`] with the input as `value`, or
/// [`ProblemCode::OutOfRange`] for a year (as written) outside [`MIN_YEAR`]..=[`MAX_YEAR`];
/// the caller names the field.
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
    in_window(parsed.year(), input)?;
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
    let now = OffsetDateTime::now_utc();
    let today = now.checked_to_offset(VIETNAM).unwrap_or(now).date();
    today
        .format(format_description!("[year]-[month]-[day]"))
        .expect("a date formats")
}

/// A date typed as `YYYY-MM-DD` or `D/M/YYYY`, as `YYYY-MM-DD`; else
/// [`ProblemCode::NotADay`] with the input as `value`, or [`ProblemCode::OutOfRange`] for a
/// year outside [`MIN_YEAR`]..=[`MAX_YEAR`].
pub(crate) fn normalise_date(input: &str) -> Result<String, Problem> {
    let input = input.trim();
    let not_a_day = || Problem::new(ProblemCode::NotADay).with("value", input);
    let date = DATE_FORMATS
        .iter()
        .find_map(|format| time::Date::parse(input, format).ok())
        .ok_or_else(not_a_day)?;
    in_window(date.year(), input)?;
    date.format(format_description!("[year]-[month]-[day]"))
        .map_err(|_| not_a_day())
}

/// Ok when `year` is one the API takes; else [`ProblemCode::OutOfRange`] about `input`.
fn in_window(year: i32, input: &str) -> Result<(), Problem> {
    if (MIN_YEAR..=MAX_YEAR).contains(&year) {
        return Ok(());
    }
    Err(Problem::new(ProblemCode::OutOfRange)
        .with("value", input)
        .with("min", i64::from(MIN_YEAR))
        .with("max", i64::from(MAX_YEAR)))
}

/// The date (`YYYY-MM-DD`, Vietnam time) of an RFC 3339 time; `None` if it is not one, or
/// if its date in Vietnam lies past the year 9999.
pub(crate) fn date_in_vietnam(rfc3339: &str) -> Option<String> {
    let t = OffsetDateTime::parse(rfc3339, &Rfc3339).ok()?;
    t.checked_to_offset(VIETNAM)?
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
    fn dates_outside_the_years_2000_to_2100_are_out_of_range() {
        for input in [
            "2000-01-01 00:00",
            "2100-12-31T23:59:59-12:00",
            "1/1/2000 0:00",
        ] {
            assert!(normalise(input).is_ok(), "{input}");
        }
        for input in ["2000-01-01", "31/12/2100"] {
            assert!(normalise_date(input).is_ok(), "{input}");
        }
        for input in [
            "1999-12-31 23:59",
            "2101-01-01T00:00:00Z",
            "9999-12-31T23:30:00-05:00",
            "0000-01-01T00:00:00+14:00",
            "31/12/1999 08:00",
        ] {
            let problem = normalise(input).unwrap_err();
            assert_eq!(problem.code(), ProblemCode::OutOfRange, "{input}");
            assert_eq!(
                problem.to_string(),
                format!("\"{input}\" is out of range; give 2000 to 2100")
            );
        }
        for input in ["1999-12-31", "0000-01-01", "01/01/2101", "9999-12-31"] {
            let problem = normalise_date(input).unwrap_err();
            assert_eq!(problem.code(), ProblemCode::OutOfRange, "{input}");
            assert_eq!(problem.param("min"), Some(&giaoban_model::Param::Int(2000)));
            assert_eq!(problem.param("max"), Some(&giaoban_model::Param::Int(2100)));
        }
    }

    #[test]
    fn a_date_past_the_year_9999_in_vietnam_has_none() {
        assert_eq!(date_in_vietnam("9999-12-31T23:00:00Z"), None);
        assert_eq!(
            date_in_vietnam("9999-12-31T16:59:59Z").as_deref(),
            Some("9999-12-31")
        );
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
