//! Free text typed by people: topics, substitutes' names, reasons for absence.

/// Trims `text` and checks its length in characters (not bytes: a Vietnamese letter with two
/// diacritics is one character but up to four bytes). Empty text is `None`. `Err` carries the
/// length of text that is too long.
pub(crate) fn optional(text: Option<String>, max_chars: usize) -> Result<Option<String>, usize> {
    let Some(text) = text else {
        return Ok(None);
    };
    let trimmed = text.trim();
    let len = trimmed.chars().count();
    if len == 0 {
        Ok(None)
    } else if len > max_chars {
        Err(len)
    } else if trimmed.len() == text.len() {
        Ok(Some(text))
    } else {
        Ok(Some(trimmed.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_counts_characters_not_bytes() {
        assert_eq!(optional(None, 3), Ok(None));
        assert_eq!(optional(Some("  \t ".into()), 3), Ok(None));
        assert_eq!(optional(Some(" Lộc ".into()), 3), Ok(Some("Lộc".into())));
        assert_eq!(optional(Some("Nghệ".into()), 3), Err(4));
    }
}
