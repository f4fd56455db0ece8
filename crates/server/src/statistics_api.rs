//! See docs/substance.md.

use axum::Router;

use crate::state::AppState;

/// Routes of this part of the API.
pub fn routes() -> Router<AppState> {
    Router::new()
}
