//! The live briefing: one task per briefing that owns its state, the signalling session of
//! every connected point, presence, limits, and what reaches the media thread.

pub mod comments;
pub mod direction;
pub mod limits;
pub mod rate;
pub mod registry;
pub mod revocation;
pub mod signal;
pub mod trim;
pub mod turn;

use std::sync::Arc;

use giaoban_store::Store;

use self::direction::Direction;
use self::limits::SignalLimits;
use self::registry::Registry;
use self::turn::Turn;
use crate::media_io::media_loop::MediaHandle;

/// What the live part of the server shares: the HTTP handlers reach it through
/// `AppState::live`, the signalling sessions get a copy each.
#[derive(Clone)]
pub struct Live {
    pub store: Arc<Store>,
    pub media: MediaHandle,
    pub registry: Arc<Registry>,
    pub direction: Arc<Direction>,
    /// TURN servers handed to the points; `None` when none is configured.
    pub turn: Option<Arc<Turn>>,
    /// Caps on WebSockets and message rates.
    pub limits: SignalLimits,
}
