//! Words for clients: error texts from libraries, reworded so that they name what a client
//! sends rather than the server's internal types.

/// `message` with the Rust type names that serde's derived implementations put in their
/// expectations ("expected struct CreateRequest", "untagged enum Body") replaced by what a
/// client should send.
pub(crate) fn without_type_names(message: &str) -> String {
    // Longest first: "tuple struct X" must not be read as "struct X".
    const KINDS: [(&str, &str); 7] = [
        ("internally tagged enum ", "an object of a known type"),
        ("adjacently tagged enum ", "an object of a known type"),
        ("untagged enum ", "the accepted forms"),
        ("tuple struct ", "a list"),
        ("unit struct ", "null"),
        ("struct ", "an object"),
        ("enum ", "one of the accepted values"),
    ];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    'scan: while !rest.is_empty() {
        let word_start = !out.ends_with(|c: char| c.is_alphanumeric() || c == '_');
        for (kind, words) in KINDS {
            if let Some(after) = rest.strip_prefix(kind).filter(|_| word_start)
                && after.starts_with(|c: char| c.is_ascii_uppercase())
            {
                let name_len = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                out.push_str(words);
                rest = &after[name_len..];
                continue 'scan;
            }
        }
        let mut chars = rest.chars();
        out.extend(chars.next());
        rest = chars.as_str();
    }
    out
}

#[cfg(test)]
mod tests {
    use giaoban_model::ClientMsg;

    use super::without_type_names;

    #[test]
    fn a_bad_signalling_message_is_described_without_the_servers_type_names() {
        let e = serde_json::from_str::<ClientMsg>(r#"{"type":"view","thumbnails":3}"#)
            .expect_err("not a list");
        let text = without_type_names(&e.to_string());
        assert!(!text.contains("Vec<"), "{text}");
        let e = serde_json::from_str::<ClientMsg>("[1]").expect_err("not an object");
        let text = without_type_names(&e.to_string());
        assert!(!text.contains("ClientMsg"), "{text}");
    }
}
