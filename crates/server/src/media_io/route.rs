//! Which media thread a datagram belongs to.
//!
//! Every briefing lives on one media thread (its SFU shard), and all of them share one UDP
//! port. The reading thread (the first media thread) therefore has to tell, for each datagram, whose it is, before any
//! shard decrypts it. Two facts are enough:
//!
//! - a point's first datagrams are ICE connectivity checks: STUN binding requests whose
//!   USERNAME attribute starts with the server's ICE username fragment for that point
//!   (RFC 8445 §7.2.2: `server-ufrag:client-ufrag`), which the shard chose when it answered
//!   the point's offer;
//! - every later datagram (DTLS, SRTP, SRTCP, more STUN) comes from an address that one of
//!   those checks came from.
//!
//! So the router learns `ufrag → point` when a shard answers an offer, learns `address → point`
//! from each check it routes, and routes everything else by address. Nothing here parses more
//! than a STUN header and its attribute list, and every table is bounded by the number of
//! points ([`MAX_UFRAGS_PER_PEER`], [`MAX_ADDRS_PER_PEER`]).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use giaoban_media::{PeerId, Protocol};

/// ICE username fragments remembered per point: its first, and those of ICE restarts, the
/// oldest forgotten first.
pub const MAX_UFRAGS_PER_PEER: usize = 4;

/// Source addresses remembered per point (its candidates that sent checks), the oldest
/// forgotten first. Browsers check from a few candidates; a point that roams adds some.
pub const MAX_ADDRS_PER_PEER: usize = 8;

/// The STUN magic cookie (RFC 5389 §6).
const STUN_COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];
/// The STUN USERNAME attribute type.
const STUN_USERNAME: u16 = 0x0006;
/// Longest USERNAME value (RFC 5389 §15.3: less than 513 bytes).
const MAX_USERNAME: usize = 513;

/// Where one point's datagrams go.
struct Routed {
    shard: usize,
    ufrags: VecDeque<String>,
    addrs: VecDeque<(Protocol, SocketAddr)>,
}

/// The routing table of the reading thread. See the module documentation.
#[derive(Default)]
pub struct Router {
    peers: HashMap<PeerId, Routed>,
    by_ufrag: HashMap<String, PeerId>,
    by_addr: HashMap<(Protocol, SocketAddr), PeerId>,
}

impl Router {
    pub fn new() -> Router {
        Router::default()
    }

    /// Routes `peer`'s checks that carry `ufrag` (the server's fragment) to `shard`, and with
    /// them the addresses they come from.
    pub fn add_ufrag(&mut self, peer: PeerId, shard: usize, ufrag: String) {
        let routed = self.peers.entry(peer).or_insert_with(|| Routed {
            shard,
            ufrags: VecDeque::new(),
            addrs: VecDeque::new(),
        });
        routed.shard = shard;
        if routed.ufrags.contains(&ufrag) {
            return;
        }
        if routed.ufrags.len() == MAX_UFRAGS_PER_PEER
            && let Some(old) = routed.ufrags.pop_front()
        {
            self.by_ufrag.remove(&old);
        }
        routed.ufrags.push_back(ufrag.clone());
        // A fragment is random (str0m draws it); should two points ever share one, the
        // newer owns it.
        if let Some(previous) = self.by_ufrag.insert(ufrag.clone(), peer)
            && previous != peer
            && let Some(other) = self.peers.get_mut(&previous)
        {
            other.ufrags.retain(|u| *u != ufrag);
        }
    }

    /// Forgets `peer`: its fragments and addresses route nowhere any more.
    pub fn remove(&mut self, peer: PeerId) {
        let Some(routed) = self.peers.remove(&peer) else {
            return;
        };
        for ufrag in routed.ufrags {
            if self.by_ufrag.get(&ufrag) == Some(&peer) {
                self.by_ufrag.remove(&ufrag);
            }
        }
        for addr in routed.addrs {
            if self.by_addr.get(&addr) == Some(&peer) {
                self.by_addr.remove(&addr);
            }
        }
    }

    /// The shard a datagram from `source` belongs to, or `None` when it belongs to no point
    /// (it is then dropped: a shard would drop it too).
    pub fn route(
        &mut self,
        protocol: Protocol,
        source: SocketAddr,
        datagram: &[u8],
    ) -> Option<usize> {
        let key = (protocol, source);
        if let Some(ufrag) = stun_local_ufrag(datagram) {
            // A check names its point: it routes by that, even from an address known as
            // another point's (a NAT that reused a port for a new point).
            let peer = *self.by_ufrag.get(ufrag)?;
            self.learn(peer, key);
            return self.peers.get(&peer).map(|r| r.shard);
        }
        let peer = self.by_addr.get(&key)?;
        self.peers.get(peer).map(|r| r.shard)
    }

    /// Points routed.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// Addresses remembered, over all points.
    #[cfg(test)]
    pub fn addresses(&self) -> usize {
        self.by_addr.len()
    }

    fn learn(&mut self, peer: PeerId, key: (Protocol, SocketAddr)) {
        match self.by_addr.insert(key, peer) {
            Some(previous) if previous == peer => return,
            Some(previous) => {
                if let Some(other) = self.peers.get_mut(&previous) {
                    other.addrs.retain(|a| *a != key);
                }
            }
            None => {}
        }
        let Some(routed) = self.peers.get_mut(&peer) else {
            return;
        };
        if routed.addrs.len() == MAX_ADDRS_PER_PEER
            && let Some(old) = routed.addrs.pop_front()
            && self.by_addr.get(&old) == Some(&peer)
        {
            self.by_addr.remove(&old);
        }
        routed.addrs.push_back(key);
    }
}

/// The server's ICE username fragment named by a STUN message: the part of its USERNAME
/// before the colon. `None` for anything else (not STUN, no USERNAME, malformed).
pub fn stun_local_ufrag(datagram: &[u8]) -> Option<&str> {
    // Header: type (2, top two bits zero), length (2, a multiple of 4), cookie (4), id (12).
    if datagram.len() < 20 || datagram[0] & 0xC0 != 0 || datagram[4..8] != STUN_COOKIE {
        return None;
    }
    let length = usize::from(u16::from_be_bytes([datagram[2], datagram[3]]));
    if length % 4 != 0 || 20 + length > datagram.len() {
        return None;
    }
    let mut attrs = &datagram[20..20 + length];
    while attrs.len() >= 4 {
        let kind = u16::from_be_bytes([attrs[0], attrs[1]]);
        let len = usize::from(u16::from_be_bytes([attrs[2], attrs[3]]));
        let value = attrs.get(4..4 + len)?;
        if kind == STUN_USERNAME {
            if len > MAX_USERNAME {
                return None;
            }
            let username = std::str::from_utf8(value).ok()?;
            let (local, _remote) = username.split_once(':')?;
            return (!local.is_empty()).then_some(local);
        }
        // Values are padded to a multiple of 4 bytes.
        let padded = (len + 3) & !3;
        attrs = attrs.get(4 + padded..)?;
    }
    None
}

/// The ICE username fragment of an SDP (`a=ice-ufrag:`), the first one.
pub fn sdp_ufrag(sdp: &str) -> Option<&str> {
    sdp.lines()
        .find_map(|line| line.trim_end().strip_prefix("a=ice-ufrag:"))
        .filter(|u| !u.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A STUN binding request with USERNAME `username` (and a fake integrity attribute after
    /// it, as browsers send).
    fn binding_request(username: &str) -> Vec<u8> {
        let mut attrs = Vec::new();
        attrs.extend_from_slice(&STUN_USERNAME.to_be_bytes());
        attrs.extend_from_slice(&(username.len() as u16).to_be_bytes());
        attrs.extend_from_slice(username.as_bytes());
        while attrs.len() % 4 != 0 {
            attrs.push(0);
        }
        attrs.extend_from_slice(&0x0008u16.to_be_bytes());
        attrs.extend_from_slice(&20u16.to_be_bytes());
        attrs.extend_from_slice(&[7; 20]);
        let mut m = vec![0x00, 0x01];
        m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
        m.extend_from_slice(&STUN_COOKIE);
        m.extend_from_slice(&[9; 12]);
        m.extend_from_slice(&attrs);
        m
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    const UDP: Protocol = Protocol::Udp;

    #[test]
    fn a_binding_request_names_the_servers_fragment() {
        assert_eq!(stun_local_ufrag(&binding_request("srv1:cli")), Some("srv1"));
        // Odd lengths are padded.
        assert_eq!(stun_local_ufrag(&binding_request("abc:de")), Some("abc"));
    }

    #[test]
    fn other_datagrams_name_nothing() {
        // DTLS (content type 22) and RTP (version 2) start with other bits.
        assert_eq!(stun_local_ufrag(&[22; 60]), None);
        assert_eq!(stun_local_ufrag(&[0x80; 60]), None);
        // A cookie mismatch, a length past the end, no colon, an empty fragment.
        let mut wrong_cookie = binding_request("a:b");
        wrong_cookie[4] = 0;
        assert_eq!(stun_local_ufrag(&wrong_cookie), None);
        let mut too_long = binding_request("a:b");
        too_long[3] = 0xF0;
        assert_eq!(stun_local_ufrag(&too_long), None);
        assert_eq!(stun_local_ufrag(&binding_request("nocolon")), None);
        assert_eq!(stun_local_ufrag(&binding_request(":b")), None);
        // An attribute whose length runs past the message.
        let mut truncated = binding_request("a:b");
        truncated[22] = 0x01;
        assert_eq!(stun_local_ufrag(&truncated), None);
    }

    #[test]
    fn checks_teach_addresses_and_later_datagrams_follow_them() {
        let mut router = Router::new();
        let (a, b) = (PeerId(1), PeerId(2));
        router.add_ufrag(a, 0, "ua".into());
        router.add_ufrag(b, 1, "ub".into());
        let rtp = [0x80u8; 40];
        // Unknown address, not a check: nowhere.
        assert_eq!(router.route(UDP, addr("10.0.0.1:5000"), &rtp), None);
        assert_eq!(
            router.route(UDP, addr("10.0.0.1:5000"), &binding_request("ua:x")),
            Some(0)
        );
        assert_eq!(
            router.route(UDP, addr("10.0.0.2:6000"), &binding_request("ub:y")),
            Some(1)
        );
        assert_eq!(router.route(UDP, addr("10.0.0.1:5000"), &rtp), Some(0));
        assert_eq!(router.route(UDP, addr("10.0.0.2:6000"), &rtp), Some(1));
        // The same address over TCP is another path.
        assert_eq!(
            router.route(Protocol::Tcp, addr("10.0.0.1:5000"), &rtp),
            None
        );
        // A check with an unknown fragment is dropped and teaches nothing.
        assert_eq!(
            router.route(UDP, addr("10.0.0.3:7000"), &binding_request("zz:y")),
            None
        );
        assert_eq!(router.route(UDP, addr("10.0.0.3:7000"), &rtp), None);
    }

    #[test]
    fn a_reused_address_follows_the_point_that_checks_from_it() {
        let mut router = Router::new();
        let (a, b) = (PeerId(1), PeerId(2));
        router.add_ufrag(a, 0, "ua".into());
        router.add_ufrag(b, 1, "ub".into());
        let nat = addr("203.0.113.9:40000");
        assert_eq!(router.route(UDP, nat, &binding_request("ua:x")), Some(0));
        assert_eq!(router.route(UDP, nat, &binding_request("ub:x")), Some(1));
        assert_eq!(router.route(UDP, nat, &[0x80; 40]), Some(1));
        // Forgetting the first point leaves the second one's address alone.
        router.remove(a);
        assert_eq!(router.route(UDP, nat, &[0x80; 40]), Some(1));
        assert_eq!(router.addresses(), 1);
    }

    #[test]
    fn a_point_that_leaves_routes_nowhere() {
        let mut router = Router::new();
        let a = PeerId(1);
        router.add_ufrag(a, 1, "ua".into());
        let from = addr("10.0.0.1:5000");
        assert_eq!(router.route(UDP, from, &binding_request("ua:x")), Some(1));
        router.remove(a);
        assert_eq!(router.route(UDP, from, &[0x80; 40]), None);
        assert_eq!(router.route(UDP, from, &binding_request("ua:x")), None);
        assert_eq!((router.len(), router.addresses()), (0, 0));
    }

    #[test]
    fn tables_stay_bounded_per_point() {
        let mut router = Router::new();
        let a = PeerId(1);
        for i in 0..20 {
            router.add_ufrag(a, 0, format!("u{i}"));
        }
        // Only the newest fragments still route.
        assert_eq!(
            router.route(UDP, addr("10.0.0.1:1"), &binding_request("u0:x")),
            None
        );
        for i in 0..1000u16 {
            let from = SocketAddr::from(([10, 0, 0, 1], 1000 + i));
            assert_eq!(router.route(UDP, from, &binding_request("u19:x")), Some(0));
        }
        assert_eq!(router.addresses(), MAX_ADDRS_PER_PEER);
        assert_eq!(router.peers[&a].ufrags.len(), MAX_UFRAGS_PER_PEER);
        // The newest addresses are the ones kept.
        assert_eq!(
            router.route(UDP, SocketAddr::from(([10, 0, 0, 1], 1999)), &[0x80; 40]),
            Some(0)
        );
        assert_eq!(
            router.route(UDP, SocketAddr::from(([10, 0, 0, 1], 1000)), &[0x80; 40]),
            None
        );
    }

    #[test]
    fn the_fragment_of_an_answer() {
        let sdp = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
                   a=ice-ufrag:Fx3k\r\na=ice-pwd:secretsecretsecret\r\n";
        assert_eq!(sdp_ufrag(sdp), Some("Fx3k"));
        assert_eq!(sdp_ufrag("v=0\r\n"), None);
    }

    proptest::proptest! {
        /// Any bytes: an answer or `None`, never a panic, and a fragment is a prefix of the
        /// datagram's text.
        #[test]
        fn any_datagram_is_parsed_without_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            if let Some(ufrag) = stun_local_ufrag(&bytes) {
                proptest::prop_assert!(!ufrag.is_empty());
                proptest::prop_assert!(!ufrag.contains(':'));
            }
        }

        /// A binding request keeps naming its fragment whatever it is followed by.
        #[test]
        fn a_request_names_its_fragment(local in "[A-Za-z0-9+/]{4,32}", remote in "[A-Za-z0-9+/]{4,32}") {
            let request = binding_request(&format!("{local}:{remote}"));
            proptest::prop_assert_eq!(stun_local_ufrag(&request), Some(local.as_str()));
        }
    }
}
