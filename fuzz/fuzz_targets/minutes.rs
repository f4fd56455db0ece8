//! The minutes renderers with any content (names, times, notes as people type them): HTML and
//! PDF are produced or refused with an error, never a panic.
#![no_main]

use giaoban_minutes::{Minutes, render_html, render_pdf};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(minutes) = serde_json::from_slice::<Minutes>(data) else {
        return;
    };
    let _ = render_html(&minutes);
    let _ = render_pdf(&minutes);
});
