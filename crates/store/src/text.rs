//! Checks of the texts people type into giaoban: bounded in characters and free of control
//! characters, so that what is stored shows the same in a list, a CSV file and the minutes.
//!
//! Two kinds of text, two kinds of message. A short one-line field (a name, a title, a reason)
//! is quoted back in the message, so that the person sees which one is meant; a long text that
//! may span lines (a concern, a task, a note) is only named, since quoting it would say nothing.

use giaoban_model::{Field, FieldPath, Param, Problem, ProblemCode};

use crate::StoreError;

/// Ok when the one-line `text` has at most `max_chars` characters and no control characters;
/// else [`StoreError::Invalid`] about `field`, with the text as `value`. Trimming and whether it
/// may be empty are the caller's.
pub(crate) fn check_line(
    field: impl Into<FieldPath>,
    text: &str,
    max_chars: usize,
) -> Result<(), StoreError> {
    if text.chars().count() > max_chars {
        return Err(StoreError::Invalid(
            Problem::new(ProblemCode::TooLong)
                .at(field)
                .with("max", max_chars)
                .with("value", text),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(StoreError::Invalid(
            Problem::new(ProblemCode::ControlCharacters)
                .at(field)
                .with("value", text),
        ));
    }
    Ok(())
}

/// `text` trimmed, when it has 1 to `max` characters and no control characters other than line
/// breaks and tabs; else [`StoreError::Invalid`] about `field`.
pub(crate) fn valid_text(
    field: impl Into<FieldPath>,
    text: &str,
    max: usize,
) -> Result<&str, StoreError> {
    let field = field.into();
    let text = valid_note(field.clone(), text, max)?;
    if text.is_empty() {
        return Err(empty(field));
    }
    Ok(text)
}

/// Like [`valid_text`], but an empty text is fine.
pub(crate) fn valid_note(
    field: impl Into<FieldPath>,
    text: &str,
    max: usize,
) -> Result<&str, StoreError> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(StoreError::Invalid(
            Problem::new(ProblemCode::TooLong)
                .at(field)
                .with("max", max),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(StoreError::Invalid(
            Problem::new(ProblemCode::ControlCharacters).at(field),
        ));
    }
    Ok(text)
}

/// [`StoreError::Invalid`]: `field` must not be empty.
pub(crate) fn empty(field: impl Into<FieldPath>) -> StoreError {
    StoreError::Invalid(Problem::new(ProblemCode::Empty).at(field))
}

/// [`StoreError::NotFound`]: there is no `field` (a task, a document…) `id` in the briefing.
pub(crate) fn no_such(field: Field, id: impl Into<Param>) -> StoreError {
    StoreError::NotFound(
        Problem::new(ProblemCode::NoSuchItem)
            .at(field)
            .with("value", id),
    )
}

/// [`StoreError::Invalid`] with `code` about `field`.
pub(crate) fn invalid(code: ProblemCode, field: impl Into<FieldPath>) -> StoreError {
    StoreError::Invalid(Problem::new(code).at(field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::invalid;

    #[test]
    fn a_line_is_bounded_and_quoted_back() {
        assert!(check_line(Field::Reason, &"ử".repeat(10), 10).is_ok());

        assert_eq!(
            invalid(check_line(Field::Reason, &"a".repeat(11), 10)),
            "reason: must be at most 10 characters"
        );
        assert_eq!(
            invalid(check_line(
                FieldPath::of(Field::Agenda).at(2).then(Field::Title),
                "Khai\nmạc",
                10
            )),
            "agenda item 2, title: must not contain control characters"
        );
    }

    #[test]
    fn text_is_trimmed_and_bounded_but_may_span_lines() {
        assert_eq!(
            valid_text(Field::Text, "  Mạng\nchậm\t ", 10).unwrap(),
            "Mạng\nchậm"
        );
        assert_eq!(
            valid_text(Field::Text, &"ử".repeat(10), 10).unwrap().len(),
            30
        );

        for (input, expected) in [
            ("   ", "text: must not be empty"),
            (&*"a".repeat(11), "text: must be at most 10 characters"),
            ("a\u{0}b", "text: must not contain control characters"),
        ] {
            assert_eq!(
                invalid(valid_text(Field::Text, input, 10)),
                expected,
                "{input:?}"
            );
        }
        assert_eq!(valid_note(Field::Note, " ", 10).unwrap(), "");
    }
}
