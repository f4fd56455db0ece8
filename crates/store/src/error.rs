//! Errors of the store and of token verification.

use giaoban_model::Problem;

/// Why a store operation failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The input was not acceptable; the problem names the field.
    #[error("{0}")]
    Invalid(Problem),
    /// Something the request names does not exist.
    #[error("{0}")]
    NotFound(Problem),
    /// The request collides with something that already exists.
    #[error("{0}")]
    Conflict(Problem),
    /// A backup or restore cannot go ahead; the message is for the operator at the shell.
    #[error("{0}")]
    Refused(String),
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
