//! Datagrams on the media port, into an SFU with two peers that joined as a browser does: the
//! first byte picks the sender (a peer's address, an unknown one, over UDP or TCP) and the
//! rest is the datagram. STUN, DTLS and anything else: dropped, counted or answered, never a
//! panic. (SRTP after a completed DTLS handshake is the target `media_srtp`.)
#![no_main]

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use giaoban_media::{PeerId, Protocol, Sfu, SfuConfig, SlotCounts};
use giaoban_model::BriefingId;
use libfuzzer_sys::fuzz_target;
use str0m::Rtc;
use str0m::media::{Direction, MediaKind};

struct Harness {
    sfu: Sfu,
    now: Instant,
}

static HARNESS: Mutex<Option<Harness>> = Mutex::new(None);

const SERVER: &str = "192.0.2.10:50000";

fn harness() -> Harness {
    let now = Instant::now();
    let mut sfu = Sfu::new(SfuConfig::new(SERVER.parse().unwrap()));
    for id in 1..=2 {
        let mut rtc = Rtc::builder().build(now);
        let mut api = rtc.sdp_api();
        api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let (offer, _pending) = api.apply().expect("an offer");
        sfu.add_peer(
            now,
            PeerId(id),
            BriefingId("b".into()),
            format!("P{id}"),
            &offer.to_sdp_string(),
            SlotCounts::with_page(6),
        )
        .expect("an answer");
    }
    Harness { sfu, now }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, datagram)) = data.split_first() else {
        return;
    };
    let mut guard = HARNESS.lock().unwrap_or_else(|e| e.into_inner());
    let h = guard.get_or_insert_with(harness);
    let source: SocketAddr = match selector % 4 {
        0 => "198.51.100.1:40000",
        1 => "198.51.100.2:40000",
        2 => "[2001:db8::7]:40000",
        _ => "203.0.113.99:9",
    }
    .parse()
    .unwrap();
    let protocol = if selector & 0x80 == 0 {
        Protocol::Udp
    } else {
        Protocol::Tcp
    };
    let destination: SocketAddr = SERVER.parse().unwrap();
    h.now += Duration::from_millis(u64::from(selector & 0x0f));
    let now = h.now;
    h.sfu
        .handle_datagram(now, protocol, source, destination, datagram);
    if let Some(at) = h.sfu.poll_timeout()
        && at <= now
    {
        h.sfu.handle_timeout(now);
    }
    while h.sfu.poll_transmit().is_some() {}
    while h.sfu.poll_event().is_some() {}
});
