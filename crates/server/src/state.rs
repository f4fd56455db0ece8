//! State shared by the HTTP handlers and the signalling tasks.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use giaoban_store::{Store, StoreError};

use crate::http::error::ApiError;
use crate::http::throttle::LoginThrottle;
use crate::http::transport::Transport;
use crate::live::Live;
use crate::mail::Mailer;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    /// Live briefings: signalling, presence, media.
    pub live: Live,
    /// Base of the links, without a trailing slash, e.g. `http://127.0.0.1:8080`.
    pub base_url: Arc<str>,
    /// Official mail; `None` when no SMTP server is configured.
    pub mailer: Option<Arc<Mailer>>,
    /// Whether requests arrive over HTTPS (built-in TLS or a trusted proxy).
    pub transport: Transport,
    /// `--metrics-token`: the bearer token that opens `/metrics` to other machines.
    pub metrics_token: Option<Arc<str>>,
    /// Failed admin logins per name and per address.
    pub login_throttle: Arc<Mutex<LoginThrottle>>,
    /// Recording; `None` with `--no-recording`.
    pub recordings: Option<Arc<crate::recording::Recordings>>,
    /// Document uploads: quotas, uploads at once, the disk floor.
    pub uploads: Arc<crate::uploads::Uploads>,
}

impl AppState {
    /// The login throttle, for one check or count: never held across I/O.
    pub fn throttle(&self) -> MutexGuard<'_, LoginThrottle> {
        self.login_throttle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a store call that moves much data (a whole document, a units file) on a blocking
    /// thread, off the async workers.
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| {
                tracing::error!("blocking store task failed: {e}");
                ApiError::internal()
            })?
            .map_err(ApiError::from)
    }
}
