//! Who acted, for the audit log: the guards of [`super::auth`] note the admin or host they
//! admitted in the request's [`ActorSlot`], and [`super::audit`] reads it once the handler
//! succeeded. Imports nothing of the other HTTP modules, which all may use it.

use std::sync::{Arc, Mutex, PoisonError};

use axum::http::request::Parts;
use giaoban_store::ActorKind;

/// An admin or a host, as the audit log names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Actor {
    pub kind: ActorKind,
    /// The admin's account name (`None` for a session opened with a login code), or the host
    /// point's name.
    pub name: Option<String>,
    /// The briefing a host acts in.
    pub briefing: Option<String>,
}

/// The actor of one request, filled by the guard that admitted it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ActorSlot(Arc<Mutex<Option<Actor>>>);

impl ActorSlot {
    /// The actor noted, if any.
    pub fn take(&self) -> Option<Actor> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// Notes `actor` in the request's slot; nothing when the request has none (it is not
/// audited).
pub(crate) fn note(parts: &Parts, actor: Actor) {
    if let Some(slot) = parts.extensions.get::<ActorSlot>() {
        *slot.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(actor);
    }
}
