use thiserror::Error;

/// Errors of the media core. None of them affects peers other than the one named.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The SDP text could not be parsed.
    #[error("malformed SDP: {0}")]
    MalformedSdp(String),
    /// The SDP parsed but could not be applied to the session.
    #[error("SDP rejected: {0}")]
    RejectedSdp(String),
    /// An answer arrived while no offer of ours was outstanding.
    #[error("no offer is outstanding for this peer")]
    NoPendingOffer,
    /// The peer is not known (it left, or never joined).
    #[error("unknown peer")]
    UnknownPeer,
    /// The peer id is already in use.
    #[error("peer already exists")]
    DuplicatePeer,
}
