//! Media from a point whose ICE and DTLS handshakes are done, into the SFU: what only a
//! connected peer reaches, SRTP and SRTCP.
//!
//! The simulation of the media tests (crates/media/tests/sim: str0m points around an `Sfu` in
//! virtual time) joins two points, A and B, and connects them. A's DTLS goes through a
//! provider that keeps the session's exported keys (RFC 5764 §4.2), so the fuzz input can be
//! encrypted as A would: by its first byte it is
//!
//! - 0: a raw datagram from A's address (RTP and RTCP headers are parsed before the
//!   authentication tag is checked),
//! - 1: an RTP packet of fuzz-chosen header fields (SSRC of one of A's streams or any, payload
//!   type, sequence number, timestamp, marker, padding, CSRCs, audio level, RID, MID) and
//!   payload, protected with A's SRTP keys: it passes authentication and reaches the SFU's
//!   forwarding, simulcast and keyframe logic,
//! - 2: an RTCP compound of fuzz-chosen bytes, protected as SRTCP (RFC 7714 §9) with A's keys:
//!   receiver reports, NACKs, PLIs, TWCC and whatever else the bytes say. A 32-bit word
//!   `0x55AA00nn` in it is replaced by the n-th SSRC A knows (its own, then those it
//!   receives), so that mutations keep naming real streams,
//! - 3: several of the above, each a record of a length byte and an input of its own, so
//!   that a sequence of datagrams that does harm is one input that reproduces it.
//!
//! After each datagram the simulation runs 1 to 16 ms (bits 2–5 of its first byte), so B
//! receives what is forwarded and timers fire. Never a panic, nor memory without bound; the
//! harness is rebuilt when A's session ends and every few thousand inputs.
#![no_main]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use str0m::_internal_test_exports::TestSrtp;
use str0m::crypto::dtls::{
    DtlsCert, DtlsImplError, DtlsInstance, DtlsOutput, DtlsProvider, DtlsVersion, KeyingMaterial,
    ProtocolVersion, SrtpProfile,
};
use str0m::crypto::{CryptoError, CryptoProvider};
use str0m::media::{Mid, Rid};
use str0m::net::Protocol;
use str0m::rtp::{ExtensionMap, RtpHeader, Ssrc};

#[allow(dead_code, unused_imports)]
#[path = "../../crates/media/tests/sim/mod.rs"]
mod sim;

use sim::Sim;

/// Inputs run on one harness before it is built afresh, so that state does not pile up.
const INPUTS_PER_HARNESS: u32 = 4096;

/// The placeholder of an SSRC in an RTCP input: `0x55AA00nn`.
const SSRC_PLACEHOLDER: u32 = 0x55AA_0000;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut guard = HARNESS.lock().unwrap_or_else(|e| e.into_inner());
    if guard
        .as_ref()
        .is_none_or(|h| h.inputs >= INPUTS_PER_HARNESS || h.a().disconnected)
    {
        *guard = Some(Harness::new());
    }
    let h = guard.as_mut().expect("built above");
    h.inputs += 1;
    if selector % 4 == 3 {
        // Several datagrams: records of a length byte and an input of one datagram.
        let mut records = rest;
        while let Some((&len, tail)) = records.split_first() {
            let (record, tail) = tail.split_at(usize::from(len).min(tail.len()));
            records = tail;
            if let Some((&selector, rest)) = record.split_first() {
                h.send(selector, rest);
            }
        }
    } else {
        h.send(selector, rest);
    }
});

static HARNESS: Mutex<Option<Harness>> = Mutex::new(None);

/// The keys the last DTLS handshake of A exported, and their SRTP profile.
static KEYS: Mutex<Option<(Vec<u8>, SrtpProfile)>> = Mutex::new(None);

struct Harness {
    sim: Sim,
    /// Protects RTP as A's SRTP context does.
    srtp: TestSrtp,
    /// Protects RTCP as A's SRTCP context does.
    srtcp: Srtcp,
    /// The RTP header extensions A and the SFU agreed on.
    exts: ExtensionMap,
    /// A's send streams (audio, video, video repair), then the streams it receives.
    ssrcs: Vec<Ssrc>,
    /// The payload types A may send, repair types included: audio ones, then video ones.
    pts: Vec<u8>,
    /// Where the video ones start in `pts`.
    first_video_pt: usize,
    /// The extended sequence number last sent on each SSRC.
    seqs: HashMap<Ssrc, u64>,
    inputs: u32,
}

impl Harness {
    fn new() -> Harness {
        let mut sim = Sim::new(7);
        sim.client_crypto = Some(spying_crypto());
        let a = sim.join("b", "A");
        sim.client_crypto = None;
        // A's media is the fuzzer's: it starts every stream's sequence numbers itself.
        sim.clients[a].publishing = false;
        sim.join("b", "B");
        assert!(
            sim.run_until(Duration::from_secs(10), |s| s
                .clients
                .iter()
                .all(|c| c.connected)),
            "the simulated points connect"
        );
        // B's media for a while, so that A receives streams its RTCP can be about.
        sim.run(Duration::from_millis(300));
        for client in &mut sim.clients {
            client.publishing = false;
        }
        let (mat, profile) = KEYS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .expect("A's DTLS handshake exported SRTP keys");
        let crypto = str0m::crypto::from_feature_flags();
        let srtp = TestSrtp::new(&crypto, profile, &KeyingMaterial::new(&mat));
        let srtcp = Srtcp::new(&crypto, profile, &mat);
        let client = &mut sim.clients[a];
        let exts = client.rtc._exts().clone();
        let mut ssrcs = Vec::new();
        let mut pts = Vec::new();
        let mut first_video_pt = 0;
        for mid in [client.audio_mid, client.video_mid] {
            if mid == client.video_mid {
                first_video_pt = pts.len();
            }
            if let Some(tx) = client.rtc.direct_api().stream_tx_by_mid(mid, None) {
                ssrcs.push(tx.ssrc());
                ssrcs.extend(tx.rtx());
            }
            if let Some(writer) = client.rtc.writer(mid) {
                for params in writer.payload_params() {
                    pts.push(*params.pt());
                    pts.extend(params.resend().map(|pt| *pt));
                }
            }
        }
        assert!(ssrcs.len() >= 2 && !pts.is_empty(), "A has its streams");
        let receiving: Vec<Mid> = client.slots.keys().copied().collect();
        for mid in receiving {
            if let Some(rx) = client.rtc.direct_api().stream_rx_by_mid(mid, None) {
                ssrcs.push(rx.ssrc());
            }
        }
        let mut h = Harness {
            sim,
            srtp,
            srtcp,
            exts,
            ssrcs,
            pts,
            first_video_pt,
            seqs: HashMap::new(),
            inputs: 0,
        };
        h.check_protected_media_is_forwarded();
        h
    }

    /// Sends one datagram made from the input as `selector` says, then lets the simulation
    /// run 1 to 16 ms.
    fn send(&mut self, selector: u8, input: &[u8]) {
        let datagram = match selector % 4 {
            1 => self.rtp(input),
            2 => match self.rtcp(input) {
                Some(d) => d,
                None => return,
            },
            _ => input.to_vec(),
        };
        let from = self.a().addr;
        let now = self.sim.now;
        self.sim.sfu.handle_datagram(
            now,
            Protocol::Udp,
            from,
            sim::SERVER.parse().expect("a valid address"),
            &datagram,
        );
        self.sim
            .run(Duration::from_millis(1 + u64::from((selector >> 2) & 0x0f)));
    }

    fn a(&self) -> &sim::Client {
        self.sim.client("A")
    }

    /// The harness is only worth its name if what it protects passes the SFU's SRTP: a few
    /// VP8 keyframes on A's video stream must be forwarded to B.
    fn check_protected_media_is_forwarded(&mut self) {
        let before = self.sim.sfu.counters().frames_forwarded;
        let pt = u8::try_from(self.first_video_pt).expect("a few payload types");
        for i in 0..5u32 {
            // Video stream, marker; its first payload type (VP8); the next sequence number;
            // the timestamp; no extensions. Then a VP8 payload descriptor (start of
            // partition) and a keyframe header (RFC 6386 §9.1).
            let mut input = vec![0x05, pt, 0x00, 0x01];
            input.extend((3000 * i).to_be_bytes());
            input.push(0x00);
            input.extend([
                0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01,
            ]);
            input.resize(400, 0x55);
            // Selector: RTP, 16 ms.
            self.send(0x3d, &input);
        }
        assert!(
            self.sim.sfu.counters().frames_forwarded > before,
            "RTP protected with A's keys reaches the SFU's forwarding"
        );
    }

    /// An SRTP packet of A from the fuzz input (see the module documentation).
    fn rtp(&mut self, input: &[u8]) -> Vec<u8> {
        let mut r = Reader(input);
        let flags = r.byte();
        let ssrc = match flags & 0x03 {
            0 => self.ssrcs[0],
            1 => self.ssrcs[1 % self.ssrcs.len()],
            2 => self.ssrcs[2 % self.ssrcs.len()],
            _ => Ssrc::from(r.u32()),
        };
        let pt = match r.byte() {
            b if b < 0xc0 => self.pts[usize::from(b) % self.pts.len()],
            b => b & 0x7f,
        };
        let delta = r.u16() as i16;
        let last = self.seqs.get(&ssrc).copied();
        let seq = match last {
            Some(last) => last.saturating_add_signed(i64::from(delta)),
            None => u64::from(delta as u16),
        };
        self.seqs.insert(ssrc, seq);
        let timestamp = r.u32();
        let extensions = r.byte();
        let mut header = RtpHeader {
            marker: flags & 0x04 != 0,
            has_padding: flags & 0x08 != 0,
            payload_type: pt.into(),
            sequence_number: seq as u16,
            timestamp,
            ssrc,
            ..RtpHeader::default()
        };
        header.csrc_count = usize::from(flags >> 4) % 16;
        for csrc in header.csrc.iter_mut().take(header.csrc_count) {
            *csrc = r.u32();
        }
        if extensions & 0x01 != 0 {
            header.ext_vals.audio_level = Some(-((r.byte() & 0x7f) as i8));
            header.ext_vals.voice_activity = Some(extensions & 0x02 != 0);
        }
        // An empty RID or MID cannot be written in the one-byte form (RFC 8285 §4.2): str0m's
        // writer asserts that much.
        if extensions & 0x04 != 0 {
            let len = usize::from(r.byte() % 8) + 1;
            header.ext_vals.rid = r.id(len).map(|t| Rid::from(t.as_str()));
        }
        if extensions & 0x08 != 0 {
            let len = usize::from(r.byte() % 16) + 1;
            header.ext_vals.mid = r.id(len).map(|t| Mid::from(t.as_str()));
        }
        if extensions & 0x10 != 0 {
            header.ext_vals.rid_repair = r.id(1).map(|t| Rid::from(t.as_str()));
        }
        if extensions & 0x20 != 0 {
            header.ext_vals.transport_cc = Some(r.u16());
        }
        // A datagram's worth: the header takes at most 16 + 60 + the extensions.
        let payload = &r.0[..r.0.len().min(1200)];
        self.srtp.protect(header, seq, payload, &self.exts)
    }

    /// An SRTCP packet of A from the fuzz input; `None` if it is shorter than an RTCP header
    /// and sender SSRC.
    fn rtcp(&mut self, input: &[u8]) -> Option<Vec<u8>> {
        if input.len() < 8 {
            return None;
        }
        let mut plain = input[..input.len().min(1400)].to_vec();
        for word in plain.chunks_exact_mut(4) {
            let value = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
            if value & 0xffff_ff00 == SSRC_PLACEHOLDER {
                let ssrc = self.ssrcs[usize::from(value as u8) % self.ssrcs.len()];
                word.copy_from_slice(&(*ssrc).to_be_bytes());
            }
        }
        Some(self.srtcp.protect(&plain))
    }
}

/// Reads the fuzz input front to back; zeros once it runs out.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// The next `len` bytes as the text of an identifier; `None` if none are left.
    fn id(&mut self, len: usize) -> Option<String> {
        let len = len.min(self.0.len());
        let (text, rest) = self.0.split_at(len);
        self.0 = rest;
        (!text.is_empty()).then(|| String::from_utf8_lossy(text).into_owned())
    }
}

/// SRTCP protection with AEAD_AES_256_GCM (RFC 7714 §9), as str0m does it: str0m's
/// `TestSrtp` protects RTP only.
struct Srtcp {
    cipher: Box<dyn str0m::crypto::AeadAes256GcmCipher>,
    salt: [u8; 12],
    index: u32,
}

impl Srtcp {
    fn new(crypto: &CryptoProvider, profile: SrtpProfile, mat: &[u8]) -> Srtcp {
        assert_eq!(
            profile,
            SrtpProfile::AEAD_AES_256_GCM,
            "two str0m peers agree on AEAD_AES_256_GCM"
        );
        // The keying material is client key, server key, client salt, server salt (RFC 5764
        // §4.2); A is the DTLS client.
        let master: [u8; 32] = mat[..32].try_into().expect("a 256-bit master key");
        let master_salt: [u8; 12] = mat[64..76].try_into().expect("a 96-bit master salt");
        // RFC 3711 §4.3.1 with the labels of SRTCP: 3 for the key, 5 for the salt.
        let mut key = [0; 32];
        derive(crypto, &master, &master_salt, 3, &mut key);
        let mut salt = [0; 12];
        derive(crypto, &master, &master_salt, 5, &mut salt);
        Srtcp {
            cipher: crypto
                .srtp_provider
                .aead_aes_256_gcm()
                .create_cipher(key, true),
            salt,
            index: 0,
        }
    }

    fn protect(&mut self, plain: &[u8]) -> Vec<u8> {
        let index = self.index;
        self.index = (self.index + 1) % (1 << 31);
        let e_and_index = (0x8000_0000 | index).to_be_bytes();
        let mut iv = [0; 12];
        iv[2..6].copy_from_slice(&plain[4..8]);
        iv[8..12].copy_from_slice(&index.to_be_bytes());
        for (b, s) in iv.iter_mut().zip(self.salt) {
            *b ^= s;
        }
        let mut aad = [0; 12];
        aad[..8].copy_from_slice(&plain[..8]);
        aad[8..].copy_from_slice(&e_and_index);
        let mut out = vec![0; plain.len() + 16 + 4];
        out[..8].copy_from_slice(&plain[..8]);
        let end = plain.len() + 16;
        self.cipher
            .encrypt(&iv, &aad, &plain[8..], &mut out[8..end])
            .expect("AES-GCM encrypts any length");
        out[end..].copy_from_slice(&e_and_index);
        out
    }
}

/// The AES-CM key derivation of RFC 3711 §4.3.1 with a 256-bit master key.
fn derive(crypto: &CryptoProvider, master: &[u8; 32], salt: &[u8; 12], label: u8, out: &mut [u8]) {
    let mut input = [0; 16];
    input[..12].copy_from_slice(salt);
    input[7] ^= label;
    let mut block = [0; 32];
    for (round, chunk) in out.chunks_mut(16).enumerate() {
        input[14..].copy_from_slice(&(round as u16).to_be_bytes());
        crypto
            .srtp_provider
            .srtp_aes_256_ecb_round(master, &input, &mut block);
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
}

/// str0m's crypto with a DTLS provider that keeps the SRTP keys each handshake exports.
fn spying_crypto() -> Arc<CryptoProvider> {
    static CRYPTO: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    CRYPTO
        .get_or_init(|| {
            let base = str0m::crypto::from_feature_flags();
            let spy: &'static KeySpy = Box::leak(Box::new(KeySpy(base.dtls_provider)));
            Arc::new(CryptoProvider {
                dtls_provider: spy,
                ..base
            })
        })
        .clone()
}

#[derive(Debug)]
struct KeySpy(&'static dyn DtlsProvider);

impl DtlsProvider for KeySpy {
    fn generate_certificate(&self) -> Option<DtlsCert> {
        self.0.generate_certificate()
    }

    fn new_dtls(
        &self,
        cert: &DtlsCert,
        now: Instant,
        version: DtlsVersion,
        mtu: Option<usize>,
    ) -> Result<Box<dyn DtlsInstance>, CryptoError> {
        Ok(Box::new(SpyInstance(
            self.0.new_dtls(cert, now, version, mtu)?,
        )))
    }

    fn is_test(&self) -> bool {
        self.0.is_test()
    }
}

#[derive(Debug)]
struct SpyInstance(Box<dyn DtlsInstance>);

impl DtlsInstance for SpyInstance {
    fn set_active(&mut self, active: bool) {
        self.0.set_active(active)
    }

    fn handle_packet(&mut self, packet: &[u8]) -> Result<(), DtlsImplError> {
        self.0.handle_packet(packet)
    }

    fn poll_output<'a>(&mut self, buf: &'a mut [u8]) -> DtlsOutput<'a> {
        let output = self.0.poll_output(buf);
        if let DtlsOutput::KeyingMaterial(mat, profile) = &output {
            *KEYS.lock().unwrap_or_else(|e| e.into_inner()) = Some((mat.to_vec(), *profile));
        }
        output
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), DtlsImplError> {
        self.0.handle_timeout(now)
    }

    fn send_application_data(&mut self, data: &[u8]) -> Result<usize, DtlsImplError> {
        self.0.send_application_data(data)
    }

    fn is_active(&self) -> bool {
        self.0.is_active()
    }

    fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.0.protocol_version()
    }

    fn is_closing(&self) -> bool {
        self.0.is_closing()
    }

    fn is_closed(&self) -> bool {
        self.0.is_closed()
    }

    fn close(&mut self) -> Result<(), DtlsImplError> {
        self.0.close()
    }
}
