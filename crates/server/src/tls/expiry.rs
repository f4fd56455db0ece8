//! The expiry date of a certificate, read from its DER encoding.
//!
//! Only the path to `tbsCertificate.validity.notAfter` is walked (RFC 5280 §4.1): a general
//! X.509 parser would add several crates for one date. rustls checks the whole certificate
//! when the key is matched against it; this reader only has to fail safely (`None`).

use time::macros::format_description;
use time::{Date, Month, OffsetDateTime, Time};

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
/// `[0] EXPLICIT Version`, present from X.509 v2 on.
const VERSION: u8 = 0xa0;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// `notAfter` of the certificate `der`; `None` if it is not a DER certificate.
pub fn not_after(der: &[u8]) -> Option<OffsetDateTime> {
    let (certificate, _) = expect(der, SEQUENCE)?;
    let (tbs, _) = expect(certificate, SEQUENCE)?;
    let (tag, _, after) = element(tbs)?;
    let rest = if tag == VERSION { after } else { tbs };
    let (_serial, rest) = expect(rest, INTEGER)?;
    let (_signature, rest) = expect(rest, SEQUENCE)?;
    let (_issuer, rest) = expect(rest, SEQUENCE)?;
    let (validity, _) = expect(rest, SEQUENCE)?;
    let (_, _, rest) = element(validity)?;
    let (tag, value, _) = element(rest)?;
    time_value(tag, value)
}

/// `t` as the logs show dates: `2026-12-31 23:59:59 UTC`.
pub fn date(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
        ))
        .unwrap_or_else(|_| t.to_string())
}

/// The first element of `input` if its tag is `tag`: its content and what follows it.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (found, content, rest) = element(input)?;
    (found == tag).then_some((content, rest))
}

/// The first DER element of `input`: tag, content, and the bytes after it (X.690 §8.1).
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *input.first()?;
    // Multi-byte tags do not occur on the path to notAfter.
    if tag & 0x1f == 0x1f {
        return None;
    }
    let first = *input.get(1)?;
    let (length, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let bytes = input.get(2..2 + count)?;
        let length = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (length, 2 + count)
    };
    let end = header.checked_add(length)?;
    Some((tag, input.get(header..end)?, input.get(end..)?))
}

/// A UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) in the forms RFC 5280
/// §4.1.2.5 allows.
fn time_value(tag: u8, value: &[u8]) -> Option<OffsetDateTime> {
    let (year, rest) = match (tag, value.len()) {
        (UTC_TIME, 13) => {
            let yy = i32::from(two_digits(value, 0)?);
            // §4.1.2.5.1: 50–99 are 19YY, 00–49 are 20YY.
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &value[2..])
        }
        (GENERALIZED_TIME, 15) => {
            let year = i32::from(two_digits(value, 0)?) * 100 + i32::from(two_digits(value, 2)?);
            (year, &value[4..])
        }
        _ => return None,
    };
    if rest.last() != Some(&b'Z') {
        return None;
    }
    let month = Month::try_from(two_digits(rest, 0)?).ok()?;
    let date = Date::from_calendar_date(year, month, two_digits(rest, 2)?).ok()?;
    let time = Time::from_hms(
        two_digits(rest, 4)?,
        two_digits(rest, 6)?,
        two_digits(rest, 8)?,
    )
    .ok()?;
    Some(date.with_time(time).assume_utc())
}

fn two_digits(text: &[u8], at: usize) -> Option<u8> {
    match text.get(at..at + 2)? {
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => Some((a - b'0') * 10 + (b - b'0')),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_and_generalized_times_are_read() {
        assert_eq!(
            time_value(UTC_TIME, b"491231235959Z").map(date),
            Some("2049-12-31 23:59:59 UTC".to_owned())
        );
        assert_eq!(
            time_value(UTC_TIME, b"700101000000Z").map(date),
            Some("1970-01-01 00:00:00 UTC".to_owned())
        );
        assert_eq!(
            time_value(GENERALIZED_TIME, b"20600229120000Z").map(date),
            Some("2060-02-29 12:00:00 UTC".to_owned())
        );
    }

    #[test]
    fn malformed_times_and_truncated_elements_are_none() {
        assert_eq!(time_value(UTC_TIME, b"491331235959Z"), None);
        assert_eq!(time_value(UTC_TIME, b"4912312359590"), None);
        assert_eq!(time_value(GENERALIZED_TIME, b"491231235959Z"), None);
        assert_eq!(time_value(UTC_TIME, b"49123123595+Z"), None);
        // A SEQUENCE claiming 0x0100 bytes with only two present.
        assert_eq!(element(&[0x30, 0x82, 0x01, 0x00, 0x02, 0x01]), None);
        assert_eq!(element(&[0x30, 0x85, 1, 1, 1, 1, 1]), None);
        assert_eq!(not_after(b""), None);
        assert_eq!(not_after(b"-----BEGIN CERTIFICATE-----"), None);
    }

    #[test]
    fn every_prefix_of_a_certificate_is_refused_without_panic() {
        let der = super::super::tests::self_signed(2031).cert_der;
        assert_eq!(
            not_after(&der).map(date),
            Some("2031-01-01 00:00:00 UTC".to_owned())
        );
        for end in 0..der.len() {
            assert_eq!(not_after(&der[..end]), None, "prefix of {end} bytes");
        }
    }
}
