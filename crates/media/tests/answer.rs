//! What the SFU's answer promises a point: its candidates, and what weak links need.

use std::time::Instant;

use giaoban_media::{MediaAddress, PeerId, Sfu, SfuConfig, SlotCounts};
use giaoban_model::BriefingId;
use str0m::Rtc;
use str0m::media::{Direction, MediaKind};

fn answer_to_a_browser_like_offer(config: SfuConfig) -> String {
    #[allow(clippy::disallowed_methods)] // any epoch will do
    let now = Instant::now();
    let mut sfu = Sfu::new(config);
    let mut rtc = Rtc::builder().build(now);
    let mut api = rtc.sdp_api();
    api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
    api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
    let (offer, _pending) = api.apply().expect("an offer");
    sfu.add_peer(
        now,
        PeerId(1),
        BriefingId("b1".into()),
        "UBND xã Nghi Lộc".into(),
        &offer.to_sdp_string(),
        SlotCounts::with_page(6),
    )
    .expect("an answer")
}

#[test]
fn every_media_address_is_a_candidate_udp_and_passive_tcp() {
    let addresses = vec![
        MediaAddress::udp("203.0.113.10:50000".parse().unwrap()),
        MediaAddress::tcp("203.0.113.10:50000".parse().unwrap()),
        MediaAddress::udp("[2001:db8::10]:50000".parse().unwrap()),
    ];
    let answer = answer_to_a_browser_like_offer(SfuConfig::with_addresses(addresses));
    let candidates: Vec<&str> = answer
        .lines()
        .filter(|l| l.starts_with("a=candidate:"))
        .collect();
    assert_eq!(candidates.len(), 3, "{answer}");
    assert!(
        candidates
            .iter()
            .any(|c| c.contains("udp") && c.contains("203.0.113.10 50000"))
    );
    assert!(candidates.iter().any(|c| c.contains("2001:db8::10 50000")));
    assert!(
        candidates
            .iter()
            .any(|c| c.to_lowercase().contains("tcp") && c.contains("tcptype passive")),
        "{candidates:?}"
    );
}

#[test]
fn opus_carries_in_band_fec_and_video_nack_and_rtx() {
    let answer = answer_to_a_browser_like_offer(SfuConfig::new("127.0.0.1:50000".parse().unwrap()));
    // Opus in-band FEC (RFC 7587 §7): a lost packet is rebuilt from the next one.
    assert!(
        answer
            .lines()
            .any(|l| l.starts_with("a=fmtp:") && l.contains("useinbandfec=1")),
        "{answer}"
    );
    // Video losses are repaired by retransmission (RFC 4585 NACK, RFC 4588 RTX).
    assert!(
        answer
            .lines()
            .any(|l| l.starts_with("a=rtcp-fb:") && l.ends_with(" nack"))
    );
    assert!(
        answer
            .lines()
            .any(|l| l.starts_with("a=rtpmap:") && l.contains("rtx/90000"))
    );
}
