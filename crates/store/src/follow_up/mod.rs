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

pub(crate) use concerns::insert_concern;
pub use concerns::{Concern, ConcernKind, Conclusion};
pub use tasks::{NewTask, Task, TaskOwner, TaskPatch, TaskProgress, TaskState, TaskStatus};

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
