//! One point's media, sans-IO: a str0m session with a synthetic publisher and the receiver's
//! statistics. It takes datagrams, timeouts and SDP, and gives datagrams to send and the next
//! time it must be woken; sockets and the clock belong to [`crate::point`]. Nothing here knows
//! a server's signalling, so every [`crate::target::Target`] shares it.

mod labels;
mod probe;
mod publisher;
mod receiver;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use giaoban_model::TrackKind;
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::config::DtlsCert;
use str0m::media::{Direction, MediaKind, Mid, Simulcast, SimulcastLayer};
use str0m::net::{Protocol, Receive, Transmit};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};

pub use publisher::PublishConfig;
pub use receiver::Received;

use crate::stats::{Moment, Window};
use publisher::Publisher;
use receiver::{Frame, Receiver};

/// What a [`MediaPoint`] is made of.
pub struct MediaSetup<'a> {
    /// The point's socket address.
    pub local: SocketAddr,
    pub cert: DtlsCert,
    /// What it sends; `None`: it only receives.
    pub publish: Option<&'a PublishConfig>,
    /// The point's index in the run, which its probes carry (0: the host).
    pub index: u32,
    /// Delay of its first frame after connecting, so that publishers do not all send in the
    /// same millisecond.
    pub phase: Duration,
    /// The publisher every subscriber receives all along (the host), by index: frames of
    /// its audio are counted apart, to tell a stalled server from a lossless one.
    pub watched: Option<u32>,
    /// This point is the host: what it receives is also measured apart.
    pub host: bool,
}

/// What one point received over the whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub frames: u64,
    pub lost: u64,
    pub mislabelled: u64,
    /// Frames of an m-line no offer opened, or without a probe.
    pub unknown: u64,
}

/// Why a media session cannot go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFailure(pub String);

/// One point's str0m session.
pub struct MediaPoint {
    rtc: Rtc,
    local: SocketAddr,
    publisher: Option<Publisher>,
    receiver: Receiver,
    pending: Option<SdpPendingOffer>,
    rtc_due: Instant,
    /// Delay of this point's first frame after connecting, so that publishers do not all
    /// send in the same millisecond.
    phase: Duration,
    connected: bool,
    failure: Option<MediaFailure>,
}

impl MediaPoint {
    /// A session bound to `setup.local` that offers one Opus and one VP8 m-line, as the
    /// browser does: send-only when it publishes (it then sends frames once connected), else
    /// inactive, like a browser whose camera and microphone are off.
    pub fn new(now: Instant, setup: MediaSetup<'_>) -> Result<(MediaPoint, String), MediaFailure> {
        let MediaSetup {
            local,
            cert,
            publish,
            index,
            phase,
            watched,
            host,
        } = setup;
        let rids = publish.map(PublishConfig::rids).unwrap_or_default();
        let mut rtc = Rtc::builder()
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .set_dtls_cert(cert)
            .set_stats_interval(None)
            .build(now);
        let candidate = Candidate::host(local, "udp")
            .map_err(|e| MediaFailure(format!("local candidate {local}: {e}")))?;
        rtc.add_local_candidate(candidate);
        let direction = if publish.is_some() {
            Direction::SendOnly
        } else {
            Direction::Inactive
        };
        let mut api = rtc.sdp_api();
        let audio_mid = api.add_media(MediaKind::Audio, direction, None, None, None);
        let simulcast = (!rids.is_empty()).then(|| {
            let mut s = Simulcast::new();
            for rid in rids {
                s.add_send_layer(SimulcastLayer::new(rid));
            }
            s
        });
        let video_mid = api.add_media(MediaKind::Video, direction, None, None, simulcast);
        let (offer, pending) = api
            .apply()
            .ok_or_else(|| MediaFailure("the publish offer is empty".into()))?;
        let point = MediaPoint {
            rtc,
            local,
            publisher: publish.map(|config| Publisher::new(config, index, audio_mid, video_mid)),
            receiver: Receiver::new(watched, host),
            pending: Some(pending),
            rtc_due: now,
            phase,
            connected: false,
            failure: None,
        };
        Ok((point, offer.to_sdp_string()))
    }

    /// Applies the server's answer to the publish offer.
    pub fn accept_answer(&mut self, sdp: &str) -> Result<(), MediaFailure> {
        check_candidates(sdp)?;
        let answer = SdpAnswer::from_sdp_string(sdp)
            .map_err(|e| MediaFailure(format!("malformed answer: {e}")))?;
        let pending = self
            .pending
            .take()
            .ok_or_else(|| MediaFailure("an answer without an offer".into()))?;
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| MediaFailure(format!("answer refused: {e}")))
    }

    /// Applies a server offer and returns the answer. `receives` lists the m-lines this
    /// point receives once it is applied, when the offer changes them (`None`: an ICE
    /// restart), each with its kind and the point it carries all along if the offer names
    /// one (else the server names it per RTP timestamp: [`MediaPoint::slot_feed`]).
    pub fn accept_offer(
        &mut self,
        sdp: &str,
        receives: Option<Vec<(Mid, TrackKind, Option<u32>)>>,
    ) -> Result<String, MediaFailure> {
        check_candidates(sdp)?;
        let offer = SdpOffer::from_sdp_string(sdp)
            .map_err(|e| MediaFailure(format!("malformed offer: {e}")))?;
        let answer = self
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| MediaFailure(format!("offer refused: {e}")))?;
        if let Some(mids) = receives {
            self.receiver.set_mids(mids);
        }
        Ok(answer.to_sdp_string())
    }

    /// Sends only what the server says anybody receives (`publish`).
    pub fn set_wanted(&mut self, video: bool, layers: &[String], audio: bool) {
        if let Some(publisher) = &mut self.publisher {
            publisher.set_wanted(video, layers, audio);
        }
    }

    /// The server says the slot on `mid` carries point `point` (by index; `None`: nothing)
    /// from the frame whose RTP timestamp is `since_ts`.
    pub fn slot_feed(
        &mut self,
        now: Moment,
        mid: Mid,
        point: Option<u32>,
        since_ts: Option<u32>,
        window: &mut Window,
    ) {
        self.receiver
            .slot_feed(mid, point, since_ts, now.wall_us, window);
    }

    /// Takes one datagram that arrived at `now` from `source`.
    pub fn handle_datagram(
        &mut self,
        now: Moment,
        source: SocketAddr,
        bytes: &[u8],
        window: &mut Window,
    ) {
        if is_rtp(bytes) {
            window.egress_rtp += 1;
        } else {
            window.egress_other += 1;
        }
        let Ok(contents) = bytes.try_into() else {
            return;
        };
        let input = Input::Receive(
            now.at,
            Receive {
                proto: Protocol::Udp,
                source,
                destination: self.local,
                contents,
            },
        );
        if let Err(e) = self.rtc.handle_input(input) {
            tracing::debug!("datagram from {source} refused: {e}");
        }
    }

    /// Drives time: str0m's timers, and the publisher's frames, which the next
    /// [`MediaPoint::poll`] writes.
    pub fn handle_timeout(&mut self, now: Moment) {
        let frames_due = self
            .publisher
            .as_ref()
            .and_then(Publisher::next_due)
            .is_some_and(|t| t <= now.at);
        if (frames_due || self.rtc_due <= now.at)
            && let Err(e) = self.rtc.handle_input(Input::Timeout(now.at))
        {
            self.fail(format!("timeout handling: {e}"));
        }
    }

    /// Drains str0m's output: datagrams go to `send` (which says whether they left), events
    /// are accounted, and due frames are written from inside the drain, as str0m's contract
    /// asks (every mutation is followed by a full drain). `arrived_us` is when the datagram
    /// just handled reached the socket, for the frames it completes. Returns when the point
    /// must be woken next.
    pub fn poll(
        &mut self,
        now: Moment,
        arrived_us: Option<u64>,
        window: &mut Window,
        mut send: impl FnMut(&Transmit) -> bool,
    ) -> Instant {
        while self.failure.is_none() {
            if !self.rtc.is_alive() {
                self.fail("the session ended".into());
                break;
            }
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    self.rtc_due = t;
                    let wrote = self.connected
                        && self
                            .publisher
                            .as_mut()
                            .is_some_and(|p| p.write_due(&mut self.rtc, now, window));
                    if !wrote {
                        break;
                    }
                }
                Ok(Output::Transmit(t)) => {
                    if send(&t) {
                        window.sent += 1;
                    } else {
                        window.send_failures += 1;
                    }
                }
                Ok(Output::Event(event)) => {
                    self.on_event(event, now, arrived_us.unwrap_or(now.wall_us), window)
                }
                Err(e) => self.fail(e.to_string()),
            }
        }
        match self.publisher.as_ref().and_then(Publisher::next_due) {
            Some(frame) => frame.min(self.rtc_due),
            None => self.rtc_due,
        }
    }

    /// ICE and DTLS are up.
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    pub fn failure(&self) -> Option<&MediaFailure> {
        self.failure.as_ref()
    }

    /// Frames received from point `source` (by index) over the whole run.
    pub fn received_from(&self, source: u32) -> Received {
        self.receiver.received_from(source)
    }

    /// Frames received, lost, mislabelled, and frames no offer explained, over the whole
    /// run.
    pub fn totals(&self) -> Totals {
        Totals {
            frames: self.receiver.frames,
            lost: self.receiver.lost,
            mislabelled: self.receiver.mislabelled,
            unknown: self.receiver.unknown_frames,
        }
    }

    /// Sources heard (audio) and seen (video).
    pub fn sources(&self) -> (usize, usize) {
        (
            self.receiver.sources(TrackKind::Audio),
            self.receiver.sources(TrackKind::Video),
        )
    }

    fn on_event(&mut self, event: Event, now: Moment, arrived_us: u64, window: &mut Window) {
        match event {
            Event::Connected => {
                self.connected = true;
                if let Some(publisher) = &mut self.publisher {
                    publisher.start(now.at + self.phase);
                }
            }
            Event::MediaData(data) => {
                let frame = Frame {
                    mid: data.mid,
                    // The extended timestamp's low 32 bits: the RTP header's.
                    rtp_ts: data.time.numer() as u32,
                    data: &data.data,
                    keyframe: data.is_keyframe(),
                    arrived_us,
                };
                self.receiver.on_frame(frame, window);
            }
            Event::KeyframeRequest(request) => {
                window.keyframe_requests += 1;
                if let Some(publisher) = &mut self.publisher {
                    publisher.keyframe_request(request.mid, request.rid);
                }
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                self.fail("ICE disconnected".into());
            }
            _ => {}
        }
    }

    fn fail(&mut self, reason: String) {
        if self.failure.is_none() {
            self.failure = Some(MediaFailure(reason));
        }
        self.rtc.disconnect();
    }
}

/// RTP rather than RTCP, STUN or DTLS (RFC 7983 §7; RFC 5761 §4: RTCP packet types 192–223
/// occupy the second byte).
fn is_rtp(bytes: &[u8]) -> bool {
    matches!(bytes, [first, second, ..] if (128..=191).contains(first) && !(192..=223).contains(second))
}

/// Refuses SDP whose ICE candidates lie beyond loopback: media goes nowhere else.
fn check_candidates(sdp: &str) -> Result<(), MediaFailure> {
    for line in sdp.lines() {
        let Some(candidate) = line.strip_prefix("a=candidate:") else {
            continue;
        };
        // foundation component transport priority address port typ ...
        let address = candidate.split_whitespace().nth(4).unwrap_or("");
        let loopback = address
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || crate::janus::net::is_test_address(ip));
        if !loopback {
            return Err(MediaFailure(format!(
                "refusing to send media to {address}: giaoban-loadgen only targets loopback \
                 (start the server with --public-ip 127.0.0.1) or the Janus test link"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_rtp_from_rtcp_and_the_rest() {
        assert!(is_rtp(&[0x80, 0x60, 0, 1]));
        assert!(is_rtp(&[0x90, 0xe0, 0, 1])); // marker bit set on PT 96
        assert!(!is_rtp(&[0x80, 200, 0, 6])); // sender report
        assert!(!is_rtp(&[0x00, 0x01, 0, 0])); // STUN binding request
        assert!(!is_rtp(&[22, 0xfe, 0xfd])); // DTLS handshake
    }

    #[test]
    fn refuses_candidates_beyond_loopback() {
        let ok = "v=0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\n";
        assert!(check_candidates(ok).is_ok());
        let far = "v=0\r\na=candidate:1 1 udp 2130706431 192.0.2.7 50000 typ host\r\n";
        assert!(check_candidates(far).is_err());
    }
}
