//! What one node and one connection may ask of the signalling server. See docs/protocol.md,
//! "Limits".

use super::rate::Rate;

/// Most WebSockets open at once on a node, by default (`serve --max-connections`). Each costs
/// a task, a bounded queue and, once it publishes, a media session: 2,000 is four briefings of
/// 250 points with room for reconnections.
pub const MAX_CONNECTIONS: usize = 2_000;

/// WebSockets a briefing may have open beyond two per invited point: the one in use and one
/// replacing it (a reload), plus a few being refused.
pub const BRIEFING_SLACK: usize = 4;

/// Directing messages (`raise_hand`, `lower_hand`, `roll_call_answer`, `view`, `audio_only`,
/// `ice_restart`) one connection may send: far above what a person clicks, far below what
/// could keep the briefing's lock busy.
pub const DIRECTING_RATE: Rate = Rate {
    per_second: 20.0,
    burst: 40,
};

/// SDP messages (`offer`, `answer`) one connection may send. A client answers each server
/// offer; a burst of points joining makes a burst of offers.
pub const SDP_RATE: Rate = Rate {
    per_second: 20.0,
    burst: 100,
};

/// Written comments one connection may send: a person types one in several seconds; a burst
/// of five covers a few sent in a row.
pub const COMMENT_RATE: Rate = Rate {
    per_second: 0.5,
    burst: 5,
};

/// The limits of the signalling server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignalLimits {
    /// Most WebSockets open at once on this node.
    pub max_connections: usize,
    pub directing: Rate,
    pub sdp: Rate,
    pub comments: Rate,
}

impl Default for SignalLimits {
    fn default() -> Self {
        SignalLimits {
            max_connections: MAX_CONNECTIONS,
            directing: DIRECTING_RATE,
            sdp: SDP_RATE,
            comments: COMMENT_RATE,
        }
    }
}

impl SignalLimits {
    /// Most WebSockets a briefing with `invited` points may have open at once.
    pub fn per_briefing(invited: usize) -> usize {
        invited.saturating_mul(2).saturating_add(BRIEFING_SLACK)
    }
}
