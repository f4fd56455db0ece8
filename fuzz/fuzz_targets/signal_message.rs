//! A client's signalling message, as the server reads it off the WebSocket: any bytes either
//! parse as a `ClientMsg` or are refused, and what parses survives a round trip.
#![no_main]

use giaoban_model::{ClientMsg, MAX_SIGNAL_MESSAGE_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_SIGNAL_MESSAGE_BYTES {
        return;
    }
    if let Ok(msg) = serde_json::from_slice::<ClientMsg>(data) {
        let text = serde_json::to_string(&msg).expect("a parsed message serialises");
        let back: ClientMsg = serde_json::from_str(&text).expect("and parses again");
        assert_eq!(back, msg);
    }
});
