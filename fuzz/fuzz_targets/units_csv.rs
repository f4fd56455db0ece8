//! A units file as the organiser imports it (CSV, any encoding mistakes included): imported or
//! refused with a clear error, never a panic; the store stays usable.
#![no_main]

use std::sync::Mutex;

use giaoban_store::Store;
use libfuzzer_sys::fuzz_target;

static STORE: Mutex<Option<(tempfile::TempDir, Store)>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let Ok(csv) = std::str::from_utf8(data) else {
        return;
    };
    let mut guard = STORE.lock().unwrap_or_else(|e| e.into_inner());
    let (_, store) = guard.get_or_insert_with(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path()).expect("a store");
        (dir, store)
    });
    let _ = store.import_units_csv(csv);
    store.units().expect("the store still reads its units");
});
