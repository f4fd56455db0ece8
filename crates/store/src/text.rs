//! Checks of the texts people type into giaoban: bounded in characters and free of control
//! characters, so that what is stored shows the same in a list, a CSV file and the minutes.
//!
//! Two kinds of text, two kinds of message. A short one-line field (a name, a title, a reason)
//! is quoted back in the message, so that the person sees which one is meant; a long text that
//! may span lines (a concern, a task, a note) is only named, since quoting it would say nothing.

use std::fmt::Display;

use crate::StoreError;
use crate::error::quoted;

/// Ok when the one-line `text` has at most `max_chars` characters and no control characters;
/// else [`StoreError::Invalid`] naming `field` and quoting the text. Trimming and whether it may
/// be empty are the caller's.
pub(crate) fn check_line(
    field: impl Display,
    text: &str,
    max_chars: usize,
) -> Result<(), StoreError> {
    if text.chars().count() > max_chars {
        return Err(StoreError::Invalid(format!(
            "{field} {} is longer than {max_chars} characters",
            quoted(text)
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "{field} {} must not contain control characters",
            quoted(text)
        )));
    }
    Ok(())
}

/// `text` trimmed, when it has 1 to `max` characters and no control characters other than line
/// breaks and tabs; else [`StoreError::Invalid`] naming `field`.
pub(crate) fn valid_text<'a>(
    field: &str,
    text: &'a str,
    max: usize,
) -> Result<&'a str, StoreError> {
    let text = valid_note(field, text, max)?;
    if text.is_empty() {
        return Err(StoreError::Invalid(format!("{field} must not be empty")));
    }
    Ok(text)
}

/// Like [`valid_text`], but an empty text is fine.
pub(crate) fn valid_note<'a>(
    field: &str,
    text: &'a str,
    max: usize,
) -> Result<&'a str, StoreError> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(StoreError::Invalid(format!(
            "{field} must be at most {max} characters"
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(StoreError::Invalid(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::invalid;

    #[test]
    fn a_line_is_bounded_and_quoted_back() {
        assert!(check_line("reason", &"ử".repeat(10), 10).is_ok());

        assert_eq!(
            invalid(check_line("reason", &"a".repeat(11), 10)),
            "reason \"aaaaaaaaaaa\" is longer than 10 characters"
        );
        assert_eq!(
            invalid(check_line(
                format_args!("item {}: title", 2),
                "Khai\nmạc",
                10
            )),
            "item 2: title \"Khai\\nmạc\" must not contain control characters"
        );
    }

    #[test]
    fn text_is_trimmed_and_bounded_but_may_span_lines() {
        assert_eq!(
            valid_text("text", "  Mạng\nchậm\t ", 10).unwrap(),
            "Mạng\nchậm"
        );
        assert_eq!(valid_text("text", &"ử".repeat(10), 10).unwrap().len(), 30);

        for (input, expected) in [
            ("   ", "text must not be empty"),
            (&*"a".repeat(11), "text must be at most 10 characters"),
            ("a\u{0}b", "text must not contain control characters"),
        ] {
            assert_eq!(
                invalid(valid_text("text", input, 10)),
                expected,
                "{input:?}"
            );
        }
        assert_eq!(valid_note("note", " ", 10).unwrap(), "");
    }
}
