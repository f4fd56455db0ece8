//! Helpers shared by the tests of several modules.

use tempfile::TempDir;

use crate::{NewBriefing, Store};

/// A store in a fresh temporary directory, which lives as long as the returned `TempDir`.
pub(crate) fn temp_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let store = Store::open(dir.path()).expect("open a store in a fresh directory");
    (dir, store)
}

/// A briefing request starting at a fixed time.
pub(crate) fn new_briefing(title: &str, host: &str, points: &[&str]) -> NewBriefing {
    NewBriefing {
        title: title.into(),
        scheduled_start: Some("2026-12-01T08:00:00+07:00".into()),
        host: host.into(),
        points: points.iter().map(|&p| p.into()).collect(),
    }
}
