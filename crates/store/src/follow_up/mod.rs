//! What a briefing leaves to follow up: concerns and proposals raised by the points, the
//! conclusions of the chair, and tasks given to units, which follow a series of briefings until
//! they are done. See docs/substance.md.
//!
//! Who may do what is decided at the HTTP edge; the store checks the values and that every
//! item named belongs to (or, for a task, is visible in) the briefing it is asked about.

mod carry_over;
mod concerns;
mod tasks;
#[cfg(test)]
mod testing;

pub use concerns::{Concern, ConcernKind, Conclusion};
pub use tasks::{NewTask, Task, TaskOwner, TaskPatch, TaskProgress, TaskState, TaskStatus};

use crate::StoreError;

/// Longest concern or proposal, in characters.
pub const MAX_CONCERN_CHARS: usize = 2000;
/// Longest answer to a concern, in characters.
pub const MAX_ANSWER_CHARS: usize = 4000;
/// Longest conclusion, in characters.
pub const MAX_CONCLUSION_CHARS: usize = 4000;
/// Longest task text, in characters.
pub const MAX_TASK_CHARS: usize = 2000;
/// Most owner units of one task.
pub const MAX_TASK_OWNERS: usize = 20;
/// Longest note of a progress report, in characters.
pub const MAX_PROGRESS_NOTE_CHARS: usize = 4000;

/// `text` trimmed, when it has 1 to `max` characters and no control characters other than line
/// breaks and tabs (a concern or a task may well run over several lines).
fn valid_text<'a>(field: &str, text: &'a str, max: usize) -> Result<&'a str, StoreError> {
    let text = valid_note(field, text, max)?;
    if text.is_empty() {
        return Err(StoreError::Invalid(format!("{field} must not be empty")));
    }
    Ok(text)
}

/// Like [`valid_text`], but an empty text is fine.
fn valid_note<'a>(field: &str, text: &'a str, max: usize) -> Result<&'a str, StoreError> {
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

/// A column holding one of a few stable names, read back into its enum.
fn parse_column<T>(
    column: usize,
    value: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    parse(value).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("unexpected value {value:?}").into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
            match valid_text("text", input, 10) {
                Err(StoreError::Invalid(message)) => assert_eq!(message, expected),
                other => panic!("{input:?}: {other:?}"),
            }
        }
        assert_eq!(valid_note("note", " ", 10).unwrap(), "");
    }
}
