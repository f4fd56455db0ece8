//! Checks of the texts people type into giaoban: bounded in characters and free of control
//! characters, so that what is stored shows the same in a list, a CSV file and the minutes.
//!
//! Two kinds of text, two kinds of message. A short one-line field (a name, a title, a reason)
//! is quoted back in the message, so that the person sees which one is meant; a long text that
//! may span lines (a concern, a task, a note) is only named, since quoting it would say nothing.
//!
//! Names — of points, units, briefings, agenda items, indicators — are one-line fields that
//! people tell apart by how they look, so [`name`] stores them as they look: in NFC, without
//! the zero-width characters that print as nothing, and refuses the characters that reorder
//! what is shown around them. [`look_alike`] is the key under which two names are one.

use giaoban_model::{Field, FieldPath, Param, Problem, ProblemCode};
use unicode_normalization::UnicodeNormalization;

use crate::StoreError;

/// Ok when the one-line `text` has at most `max_chars` characters and neither control
/// characters nor bidirectional controls ([`is_bidi_control`]); else [`StoreError::Invalid`]
/// about `field`, with the text as `value`. Trimming and whether it may be empty are the
/// caller's.
pub(crate) fn check_line(
    field: impl Into<FieldPath>,
    text: &str,
    max_chars: usize,
) -> Result<(), StoreError> {
    line_problem(text, max_chars).map_err(|p| StoreError::Invalid(p.at(field)))
}

/// What [`check_line`] finds wrong with `text`, about no field yet.
fn line_problem(text: &str, max_chars: usize) -> Result<(), Problem> {
    let code = if text.chars().count() > max_chars {
        ProblemCode::TooLong
    } else if text.chars().any(char::is_control) {
        ProblemCode::ControlCharacters
    } else if text.chars().any(is_bidi_control) {
        ProblemCode::BidiControl
    } else {
        return Ok(());
    };
    let problem = Problem::new(code);
    let problem = if code == ProblemCode::TooLong {
        problem.with("max", max_chars)
    } else {
        problem
    };
    Err(problem.with("value", text))
}

/// A name as stored: `text` in NFC, without zero-width characters ([`is_zero_width`]),
/// trimmed; when it has 1 to `max_chars` characters and neither control characters nor
/// bidirectional controls ([`is_bidi_control`]). Else [`StoreError::Invalid`] about `field`:
/// [`ProblemCode::Empty`] when nothing visible is left (white space and zero-width
/// characters only), or as [`check_line`] says.
pub(crate) fn name(
    field: impl Into<FieldPath>,
    text: &str,
    max_chars: usize,
) -> Result<String, StoreError> {
    name_problem(text, max_chars).map_err(|p| StoreError::Invalid(p.at(field)))
}

/// Like [`name`], but `None` when nothing visible is left.
pub(crate) fn optional_name(
    field: impl Into<FieldPath>,
    text: &str,
    max_chars: usize,
) -> Result<Option<String>, StoreError> {
    let cleaned = cleaned_name(text);
    if cleaned.is_empty() {
        return Ok(None);
    }
    check_line(field, &cleaned, max_chars)?;
    Ok(Some(cleaned))
}

/// [`name`] about no field yet: the name as stored, or what is wrong with it.
pub(crate) fn name_problem(text: &str, max_chars: usize) -> Result<String, Problem> {
    let cleaned = cleaned_name(text);
    if cleaned.is_empty() {
        return Err(Problem::new(ProblemCode::Empty));
    }
    line_problem(&cleaned, max_chars)?;
    Ok(cleaned)
}

/// `text` in NFC without zero-width characters, trimmed.
fn cleaned_name(text: &str) -> String {
    let cleaned: String = text.nfc().filter(|&c| !is_zero_width(c)).collect();
    match cleaned.trim() {
        trimmed if trimmed.len() == cleaned.len() => cleaned,
        trimmed => trimmed.to_owned(),
    }
}

/// The key under which two names look the same: NFC, without zero-width characters,
/// lowercase. "Sở TT&TT", "sở tt&tt" and "Sở\u{200B} TT&TT" are one name.
pub(crate) fn look_alike(name: &str) -> String {
    let lower: String = name
        .nfc()
        .filter(|&c| !is_zero_width(c))
        .flat_map(char::to_lowercase)
        .collect();
    lower.trim().nfc().collect()
}

/// The characters that change the direction in which the text around them is shown
/// (Unicode's bidirectional formatting characters): embeddings and overrides U+202A–U+202E,
/// isolates U+2066–U+2069, the marks U+200E, U+200F and U+061C. In a name they can make one
/// look like another.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// Characters that print as nothing: zero-width space, non-joiner and joiner
/// (U+200B–U+200D), word joiner and the invisible operators (U+2060–U+2064), and the zero-width
/// no-break space U+FEFF (a byte order mark pasted along). Removed from names.
pub(crate) fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// `text` trimmed, when it has 1 to `max` characters, no control characters other than line
/// breaks and tabs, and no bidirectional controls ([`is_bidi_control`]: in the minutes they
/// could show a figure or a name other than the one stored); else [`StoreError::Invalid`]
/// about `field`.
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
    if text.chars().any(is_bidi_control) {
        return Err(invalid(ProblemCode::BidiControl, field));
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
    use crate::test_support::{invalid, problem};
    use giaoban_model::ProblemCode;

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
    fn a_long_text_keeps_its_lines_and_refuses_bidi_controls() {
        let concern = "Chỉ tiêu giải ngân:\r\n\t- đạt 45 %\n- kế hoạch 80 %";
        assert_eq!(valid_text(Field::Text, concern, 100).unwrap(), concern);
        for c in ['\u{202E}', '\u{2067}', '\u{200F}'] {
            let text = format!("đạt {c}%54 kế hoạch");
            assert_eq!(
                problem(valid_note(Field::Text, &text, 100)).code(),
                ProblemCode::BidiControl,
                "{c:?}"
            );
        }
        assert_eq!(
            problem(valid_text(Field::Text, "a\u{7}b", 100)).code(),
            ProblemCode::ControlCharacters
        );
    }

    #[test]
    fn a_name_is_stored_in_nfc_without_zero_width_characters() {
        // "Nghệ" typed with combining marks: e + circumflex + dot below.
        let nfd = "Ngh\u{65}\u{302}\u{323} An";
        assert_eq!(name(Field::Name, nfd, 10).unwrap(), "Nghệ An");
        assert_eq!(name(Field::Name, nfd, 10).unwrap().chars().count(), 7);
        assert_eq!(
            name(
                Field::Name,
                "\u{FEFF} Sở\u{200B}\u{200C}\u{200D}\u{2060} TT ",
                10
            )
            .unwrap(),
            "Sở TT"
        );
        // Counted as stored: seven characters, not nine.
        assert!(name(Field::Name, nfd, 7).is_ok());
        assert_eq!(optional_name(Field::Name, " \u{200B} ", 10).unwrap(), None);
    }

    #[test]
    fn a_name_of_nothing_visible_is_empty_and_bidi_controls_are_refused() {
        for input in [
            "",
            " \t",
            "\u{200B}",
            "\u{FEFF}\u{2060} \u{200D}",
            "\u{a0}\u{3000}",
        ] {
            assert_eq!(
                invalid(name(Field::Name, input, 10)),
                "name: must not be empty",
                "{input:?}"
            );
        }
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            let problem = crate::test_support::problem(name(Field::Name, &format!("Sở{c}"), 10));
            assert_eq!(problem.code(), ProblemCode::BidiControl, "{c:?}");
            assert_eq!(
                crate::test_support::problem(check_line(Field::Reason, &format!("a{c}b"), 10))
                    .code(),
                ProblemCode::BidiControl,
                "{c:?}"
            );
        }
        assert_eq!(
            invalid(name(Field::Name, "Sở\u{7}", 10)),
            "name: must not contain control characters"
        );
    }

    #[test]
    fn names_look_alike_after_nfc_without_zero_width_and_case() {
        let key = look_alike("Cửa Lò");
        for same in [
            "Cu\u{31b}\u{309}a Lò",
            "Cửa\u{200B} Lò",
            "CỬA LÒ",
            " cửa lò\u{FEFF}",
            "C\u{1EED}a L\u{F2}",
        ] {
            assert_eq!(look_alike(same), key, "{same:?}");
        }
        for other in ["Cua Lo", "Cửa  Lò", "Cửa Lò 2", "Cửa Ló"] {
            assert_ne!(look_alike(other), key, "{other:?}");
        }
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
