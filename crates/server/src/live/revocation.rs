//! Closes the WebSockets of points revoked by another process, such as
//! `giaoban briefing revoke` run next to the server: the store is the only thing the two
//! share, so the server looks there.

use std::sync::Arc;
use std::time::Duration;

use giaoban_model::ErrorCode;
use giaoban_store::Store;
use tracing::warn;

use super::registry::Registry;

/// How often the store is asked for revoked points: a revocation closes the point's socket
/// within about this time.
pub const REVOCATION_POLL: Duration = Duration::from_secs(1);

/// Checks, every `interval`, the revoked points of the briefings with a connected point and
/// closes their connections. One indexed query per such briefing, on a blocking thread.
pub fn spawn(store: Arc<Store>, registry: Arc<Registry>, interval: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let store = store.clone();
            let registry = registry.clone();
            let checked = tokio::task::spawn_blocking(move || close_revoked(&store, &registry));
            if let Err(e) = checked.await {
                warn!("the revocation check failed: {e}");
            }
        }
    });
}

/// Closes the connections of revoked points, once.
pub fn close_revoked(store: &Store, registry: &Registry) {
    for briefing in registry.briefings() {
        match store.revoked_points(&briefing) {
            Ok(points) => {
                for point in points {
                    registry.kick(
                        &briefing,
                        &point,
                        ErrorCode::RevokedToken,
                        "this invitation link has been revoked",
                    );
                }
            }
            Err(e) => warn!(%briefing, "cannot read the revoked points: {e}"),
        }
    }
}
