//! State shared by the HTTP handlers and the signalling tasks.

use std::sync::Arc;

use giaoban_store::Store;

use crate::direction::Direction;
use crate::mail::Mailer;
use crate::media_loop::MediaHandle;
use crate::registry::Registry;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub media: MediaHandle,
    pub registry: Arc<Registry>,
    pub direction: Arc<Direction>,
    /// Base of the links, without a trailing slash, e.g. `http://127.0.0.1:8080`.
    pub base_url: Arc<str>,
    /// Official mail; `None` when no SMTP server is configured.
    pub mailer: Option<Arc<Mailer>>,
}
