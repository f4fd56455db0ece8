//! Why a load run cannot go on, worded for the person who started it.

use std::net::SocketAddr;

#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum LoadgenError {
    /// The run would send to an address outside loopback.
    #[error(
        "refusing to target {0}: giaoban-loadgen only sends to loopback addresses \
         (127.0.0.0/8, ::1, localhost)"
    )]
    NotLoopback(String),
    /// A link that is not `http://HOST:PORT/j/TOKEN`.
    #[error("invalid invitation link {link:?}: {reason}")]
    BadLink { link: String, reason: String },
    /// Nothing answers at the server's address.
    #[error("cannot reach the server at {addr}: {reason}; is it running there?")]
    Unreachable { addr: SocketAddr, reason: String },
    /// The server turned a link away (invalid, revoked, removed, another briefing's).
    #[error("the server refused the link of {point}: {reason}")]
    LinkRefused { point: String, reason: String },
    /// The briefing takes no new joins.
    #[error("{point} cannot join: the briefing is locked (no new joins); unlock it first")]
    Locked { point: String },
    /// The run needs more invited points than the briefing has.
    #[error(
        "the briefing is full for this run: it has {have} bridge point links, the run needs \
         {need}; create a larger briefing or let giaoban-loadgen create one (--giaoban, --data)"
    )]
    NotEnoughLinks { have: usize, need: usize },
    /// The signalling connection failed or broke the protocol.
    #[error("signalling of {point} failed: {reason}")]
    Signalling { point: String, reason: String },
    /// The media session could not be set up or died.
    #[error("media of {point} failed: {reason}")]
    Media { point: String, reason: String },
    /// A host action (floor mode, floor) was refused.
    #[error("host action {action} failed: {reason}")]
    Control { action: String, reason: String },
    /// Preparing the run failed: files, the giaoban command, options.
    #[error("{0}")]
    Setup(String),
}

impl LoadgenError {
    /// What went wrong without saying to whom, digits masked: errors of many points that
    /// share it are one kind of error.
    pub fn kind_key(&self) -> String {
        let reason = match self {
            LoadgenError::LinkRefused { reason, .. }
            | LoadgenError::Signalling { reason, .. }
            | LoadgenError::Media { reason, .. } => reason.clone(),
            LoadgenError::Locked { .. } => "locked".into(),
            other => other.to_string(),
        };
        let variant = format!("{self:?}");
        let variant = variant.split([' ', '(', '{']).next().unwrap_or_default();
        let masked: String = reason
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect();
        format!("{variant}: {masked}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_many_points_share_a_kind() {
        let a = LoadgenError::Signalling {
            point: "Điểm cầu 035".into(),
            reason: "too_large: message of 65773 bytes".into(),
        };
        let b = LoadgenError::Signalling {
            point: "Điểm cầu 036".into(),
            reason: "too_large: message of 65772 bytes".into(),
        };
        assert_eq!(a.kind_key(), b.kind_key());
        assert_ne!(
            a.kind_key(),
            LoadgenError::Locked { point: "x".into() }.kind_key()
        );
    }
}
