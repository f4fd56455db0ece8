//! An invitation token as a point presents it: any text is a valid invitation of this
//! store's briefing or an error, never a panic; only the tokens the store made are valid, and
//! each names the point it was made for.
#![no_main]

use std::sync::Mutex;

use giaoban_store::{NewBriefing, Store};
use libfuzzer_sys::fuzz_target;

static STORE: Mutex<Option<(tempfile::TempDir, Store, Vec<String>)>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let mut guard = STORE.lock().unwrap_or_else(|e| e.into_inner());
    let (_, store, valid) = guard.get_or_insert_with(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path()).expect("a store");
        let briefing = store
            .create_briefing(&NewBriefing {
                title: "Giao ban".into(),
                scheduled_start: Some("2099-06-30 08:00".into()),
                host: "Sở".into(),
                points: vec!["Xã".into()],
                ..NewBriefing::default()
            })
            .expect("a briefing");
        let points = store.points(&briefing.id).expect("its points");
        let valid = points.iter().map(|p| store.token_for(p)).collect();
        (dir, store, valid)
    });
    if let Ok(invitation) = store.verify_token(token) {
        let made = valid
            .iter()
            .position(|v| v.trim() == token.trim())
            .expect("only the tokens the store made are valid");
        assert_eq!(invitation.point.name, ["Sở", "Xã"][made]);
    }
});
