//! Where the load generator may send besides loopback: the benchmark's test namespace.
//!
//! Janus never gathers ICE candidates on a loopback interface and cannot reach a 127.0.0.1
//! peer (docs/janus-notes.md, gotcha 1), so `scripts/bench-vs-janus` runs it in a network
//! namespace joined to this one by a veth pair: `gbj0` here with 10.203.0.1/30, `gbj1` in
//! the namespace with 10.203.0.2/30. Traffic on that pair never leaves the machine.
//!
//! An address outside loopback is allowed only if it lies in [`TEST_NET`] and an interface
//! whose name starts with [`TEST_IF_PREFIX`] holds an address of that same range here. The
//! machine's real interfaces (eth0, ...) are never targets.

use std::ffi::CStr;
use std::net::{IpAddr, Ipv4Addr};

/// The test range: 10.203.0.0/30.
pub const TEST_NET: (Ipv4Addr, u8) = (Ipv4Addr::new(10, 203, 0, 0), 30);
/// Names of the test interfaces.
pub const TEST_IF_PREFIX: &str = "gbj";

/// Whether `ip` is in [`TEST_NET`].
fn in_test_net(ip: Ipv4Addr) -> bool {
    let (net, bits) = TEST_NET;
    let mask = u32::MAX << (32 - u32::from(bits));
    u32::from(ip) & mask == u32::from(net) & mask
}

/// IPv4 addresses of this namespace's interfaces, with the interface names.
fn interface_addresses() -> Vec<(String, Ipv4Addr)> {
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we free below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return out;
    }
    let mut cursor = head;
    while !cursor.is_null() {
        // SAFETY: `cursor` is a node of the list getifaddrs returned, not yet freed.
        let ifa = unsafe { &*cursor };
        cursor = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: a non-null ifa_addr points at a sockaddr whose family says its type.
        let family = libc::c_int::from(unsafe { (*ifa.ifa_addr).sa_family });
        if family != libc::AF_INET {
            continue;
        }
        // SAFETY: the family is AF_INET, so this is a sockaddr_in.
        let sin = unsafe { &*ifa.ifa_addr.cast::<libc::sockaddr_in>() };
        let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }
            .to_string_lossy()
            .into_owned();
        out.push((name, ip));
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    out
}

/// This namespace's own address on a test interface (`gbj*` in [`TEST_NET`]), if any.
pub fn local_test_address() -> Option<Ipv4Addr> {
    interface_addresses()
        .into_iter()
        .find(|(name, ip)| name.starts_with(TEST_IF_PREFIX) && in_test_net(*ip))
        .map(|(_, ip)| ip)
}

/// Whether `ip` is an address of the benchmark's test namespace link (see the module).
pub fn is_test_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => in_test_net(v4) && local_test_address().is_some(),
        IpAddr::V6(_) => false,
    }
}

/// Why `ip` may not be targeted, in words; `None` when it may.
pub fn refusal(ip: IpAddr) -> Option<String> {
    if ip.is_loopback() || is_test_address(ip) {
        return None;
    }
    let (net, bits) = TEST_NET;
    Some(format!(
        "refusing to target {ip}: giaoban-loadgen only sends to loopback or to the benchmark's \
         test link ({net}/{bits}, and only while an interface named {TEST_IF_PREFIX}* holds \
         an address of it; scripts/bench-vs-janus creates one)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_range_is_a_slash_30() {
        assert!(in_test_net(Ipv4Addr::new(10, 203, 0, 1)));
        assert!(in_test_net(Ipv4Addr::new(10, 203, 0, 2)));
        assert!(!in_test_net(Ipv4Addr::new(10, 203, 0, 4)));
        assert!(!in_test_net(Ipv4Addr::new(192, 0, 2, 2)));
    }

    #[test]
    fn real_addresses_are_refused() {
        assert!(refusal("127.0.0.1".parse().unwrap()).is_none());
        assert!(refusal("192.0.2.7".parse().unwrap()).is_some());
        assert!(refusal("::2".parse().unwrap()).is_some());
    }

    #[test]
    fn lists_the_loopback_address() {
        assert!(
            interface_addresses()
                .iter()
                .any(|(_, ip)| *ip == Ipv4Addr::LOCALHOST)
        );
    }
}
