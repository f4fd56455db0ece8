//! Errors of the briefing core.

use thiserror::Error;

/// Why a briefing command was refused. Every refusal leaves the state as it was.
///
/// `Display` is an English sentence naming the point, fit for the `message` of an API error;
/// [`BriefingError::code`] is the stable code next to it.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BriefingError {
    /// The name is not one of the briefing's invited points.
    #[error("\"{0}\" is not invited to this briefing")]
    UnknownPoint(String),
    /// The point is invited but not connected now.
    #[error("\"{0}\" is not connected")]
    NotConnected(String),
    /// The command is not allowed in the current state or for this point; the text says why.
    #[error("{0}")]
    NotAllowed(String),
    /// A value in the command is unacceptable; the text says which.
    #[error("{0}")]
    Invalid(String),
    /// A floor time limit outside `1..=MAX_FLOOR_SECONDS` seconds.
    #[error(
        "a floor time of {0} seconds is out of range: give 1 to {max} seconds, or none",
        max = crate::MAX_FLOOR_SECONDS
    )]
    InvalidDuration(i64),
    /// The host removed the point; its link is refused for good.
    #[error("\"{0}\" was removed from this briefing")]
    Removed(String),
    /// The briefing is locked: points that are not connected cannot join.
    #[error("the briefing is locked; no new points may join")]
    Locked,
}

impl BriefingError {
    /// The stable machine-readable code: `unknown_point`, `not_connected`, `not_allowed`,
    /// `invalid`, `invalid_duration`, `removed` or `locked`.
    pub fn code(&self) -> &'static str {
        match self {
            BriefingError::UnknownPoint(_) => "unknown_point",
            BriefingError::NotConnected(_) => "not_connected",
            BriefingError::NotAllowed(_) => "not_allowed",
            BriefingError::Invalid(_) => "invalid",
            BriefingError::InvalidDuration(_) => "invalid_duration",
            BriefingError::Removed(_) => "removed",
            BriefingError::Locked => "locked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_point() {
        let e = BriefingError::NotConnected("UBND huyện Nghi Lộc".into());
        assert_eq!(e.to_string(), "\"UBND huyện Nghi Lộc\" is not connected");
        assert_eq!(e.code(), "not_connected");
        assert_eq!(
            BriefingError::InvalidDuration(0).to_string(),
            "a floor time of 0 seconds is out of range: give 1 to 3600 seconds, or none"
        );
    }
}
