//! Checking the official mailboxes ("hộp thư công vụ") of units.
//!
//! The check is deliberately narrower than RFC 5322: a dot-atom local part and a DNS host name,
//! both ASCII. Government mailboxes (`…@nghean.gov.vn`) fit it, and whatever passes it can be
//! written into an SMTP envelope (RFC 5321 §4.1.2) without quoting. Quoted local parts, comments,
//! address literals and internationalised addresses are refused rather than half-supported.

/// Longest address accepted, in bytes (RFC 5321 §4.5.3.1.3 limits a path to 256 octets,
/// two of which are the angle brackets).
pub(crate) const MAX_ADDRESS_LEN: usize = 254;

/// Longest local part (RFC 5321 §4.5.3.1.1).
const MAX_LOCAL_LEN: usize = 64;

/// Longest label of a domain name (RFC 1035 §2.3.4).
const MAX_LABEL_LEN: usize = 63;

/// Why `address` is not a mailbox giaoban accepts, or `Ok` if it is one.
///
/// `address` is expected trimmed.
pub(crate) fn check_address(address: &str) -> Result<(), &'static str> {
    if address.len() > MAX_ADDRESS_LEN {
        return Err("longer than 254 characters");
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err("no \"@\"");
    };
    check_local(local)?;
    check_domain(domain)
}

/// A dot-atom (RFC 5322 §3.2.3): atext runs separated by single dots.
fn check_local(local: &str) -> Result<(), &'static str> {
    if local.is_empty() {
        return Err("nothing before the \"@\"");
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err("more than 64 characters before the \"@\"");
    }
    for atom in local.split('.') {
        if atom.is_empty() {
            return Err("a dot at the start or end of the name, or two dots in a row");
        }
        if !atom.bytes().all(is_atext) {
            return Err("a character not allowed in the name before the \"@\"");
        }
    }
    Ok(())
}

/// A host name of at least two labels (RFC 1123 §2.1) whose last label is alphabetic, so that
/// neither `localhost` nor an IP address passes.
fn check_domain(domain: &str) -> Result<(), &'static str> {
    let labels: Vec<&str> = domain.split('.').collect();
    if domain.is_empty() || labels.len() < 2 {
        return Err("the part after the \"@\" is not a domain name");
    }
    for label in &labels {
        let valid = !label.is_empty()
            && label.len() <= MAX_LABEL_LEN
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !valid {
            return Err("the part after the \"@\" is not a domain name");
        }
    }
    let top = labels[labels.len() - 1];
    if top.len() < 2 || !top.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err("the part after the \"@\" does not end in a top-level domain");
    }
    Ok(())
}

/// `atext` of RFC 5322 §3.2.3.
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn government_and_ordinary_addresses_pass() {
        for address in [
            "stttt@nghean.gov.vn",
            "vanthu.ubnd@cualo.nghean.gov.vn",
            "ubnd-nghiloc@nghean.gov.vn",
            "a+b_c@x-y.vn",
            "O'Brien@EXAMPLE.COM",
        ] {
            assert_eq!(check_address(address), Ok(()), "{address}");
        }
    }

    #[test]
    fn malformed_addresses_are_refused() {
        let long_local = format!("{}@nghean.gov.vn", "a".repeat(65));
        let long_address = format!("a@{}.vn", "b.".repeat(130));
        for address in [
            "",
            "stttt",
            "@nghean.gov.vn",
            "stttt@",
            "stttt@localhost",
            "stttt@127.0.0.1",
            "stttt@[127.0.0.1]",
            ".stttt@nghean.gov.vn",
            "st..ttt@nghean.gov.vn",
            "stttt.@nghean.gov.vn",
            "st ttt@nghean.gov.vn",
            "st;ttt@nghean.gov.vn",
            "\"st ttt\"@nghean.gov.vn",
            "sở@nghean.gov.vn",
            "stttt@nghệan.gov.vn",
            "stttt@-nghean.gov.vn",
            "stttt@nghean..gov.vn",
            "stttt@nghean.gov.v",
            "a@b@nghean.gov.vn",
            long_local.as_str(),
            long_address.as_str(),
        ] {
            assert!(check_address(address).is_err(), "{address:?} passed");
        }
    }
}
