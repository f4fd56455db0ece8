//! Errors of the store and of token verification.

/// Why a store operation failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The input was not acceptable; the message names the field and is fit to show to the
    /// organiser who typed it.
    #[error("{0}")]
    Invalid(String),
    /// Something the request names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request collides with something that already exists.
    #[error("{0}")]
    Conflict(String),
    /// The data directory holds a database written by a newer giaoban.
    #[error(
        "the database has schema version {found}, newer than the {supported} this giaoban knows; \
         upgrade giaoban or use another data directory"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    /// Another process holds the data directory: a server while a restore is asked for, or a
    /// restore while the store is opened.
    #[error("{0}")]
    InUse(String),
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Reading or writing the data directory failed.
    #[error("data directory error: {0}")]
    Io(#[from] std::io::Error),
}

/// Why a token was refused.
///
/// Every variant but [`AuthError::Store`] is the holder's fault; `Store` means the server could
/// not check the token and should answer with an internal error, not a refusal.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token is not of the form this server issues.
    #[error("the token is malformed")]
    Malformed,
    /// The token is well formed but its signature does not match; it was altered or made by
    /// someone without the server's secret.
    #[error("the token's signature is not valid")]
    Forged,
    /// The token names a point that does not exist (any more).
    #[error("the token names an unknown point")]
    UnknownPoint,
    /// The organiser revoked the point's invitation.
    #[error("the invitation was revoked")]
    Revoked,
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `s` quoted for an error message, cut short so that a huge input cannot make a huge message.
pub(crate) fn quoted(s: &str) -> String {
    const MAX_CHARS: usize = 120;
    match s.char_indices().nth(MAX_CHARS) {
        None => format!("{s:?}"),
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_keeps_short_text_and_cuts_long_text() {
        assert_eq!(quoted("Cửa Lò\n"), "\"Cửa Lò\\n\"");
        let long = quoted(&"ử".repeat(100_000));
        assert!(long.ends_with("\"…"));
        assert_eq!(long.chars().count(), 120 + 3);
    }
}
