//! The publish offer a point sends: any text either gets an answer or a clear refusal from
//! the SFU, never a panic, and a refused offer leaves no peer behind.
#![no_main]

use std::time::Instant;

use giaoban_media::{PeerId, Sfu, SfuConfig, SlotCounts};
use giaoban_model::BriefingId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sdp) = std::str::from_utf8(data) else {
        return;
    };
    let now = Instant::now();
    let mut sfu = Sfu::new(SfuConfig::new("192.0.2.10:50000".parse().unwrap()));
    let added = sfu.add_peer(
        now,
        PeerId(1),
        BriefingId("b".into()),
        "P".into(),
        sdp,
        SlotCounts::with_page(6),
    );
    assert_eq!(sfu.peer_count(), usize::from(added.is_ok()));
    while sfu.poll_transmit().is_some() {}
    while sfu.poll_event().is_some() {}
});
