//! Which addresses the media port is advertised on (`serve --public-ip`).
//!
//! Every advertised address becomes a host ICE candidate of every point. Datagrams arrive on
//! the machine's own (local) addresses; behind a 1:1 NAT the advertised public address differs
//! from the local one it is forwarded to, written `PUBLIC@LOCAL`.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use giaoban_media::MediaAddress;
use tracing::warn;

/// One `--public-ip` value: `IP`, or `PUBLIC@LOCAL` behind a 1:1 NAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicIp {
    pub advertised: IpAddr,
    pub local: IpAddr,
}

impl FromStr for PublicIp {
    type Err = String;

    fn from_str(s: &str) -> Result<PublicIp, String> {
        let parse = |part: &str, what: &str| {
            part.trim().parse::<IpAddr>().map_err(|_| {
                format!(
                    "{what} {part:?} is not an IP address (expected IP, or PUBLIC@LOCAL behind a 1:1 NAT)"
                )
            })
        };
        let (advertised, local) = match s.split_once('@') {
            Some((public, local)) => (
                parse(public, "public address")?,
                parse(local, "local address")?,
            ),
            None => {
                let ip = parse(s, "address")?;
                (ip, ip)
            }
        };
        for ip in [advertised, local] {
            if ip.is_unspecified() || ip.is_multicast() {
                return Err(format!(
                    "{ip} cannot receive media: give an address of this machine or its public address"
                ));
            }
        }
        if advertised.is_ipv4() != local.is_ipv4() {
            return Err(format!(
                "{s}: the public and the local address must both be IPv4 or both IPv6"
            ));
        }
        Ok(PublicIp { advertised, local })
    }
}

impl fmt::Display for PublicIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.advertised == self.local {
            write!(f, "{}", self.advertised)
        } else {
            write!(f, "{}@{}", self.advertised, self.local)
        }
    }
}

/// The media addresses to advertise on `port`: the `--public-ip` values if any; otherwise the
/// HTTP listen address, or, when that is a wildcard, every usable address of the machine's
/// interfaces. Local addresses that are not on this machine are kept (an address may be
/// added after the start) but reported.
pub fn media_addresses(
    listen: IpAddr,
    public: &[PublicIp],
    port: u16,
) -> anyhow::Result<Vec<MediaAddress>> {
    let machine = machine_addresses()?;
    let chosen: Vec<PublicIp> = if !public.is_empty() {
        public.to_vec()
    } else if listen.is_unspecified() {
        let all: Vec<PublicIp> = machine
            .iter()
            .copied()
            .filter(|ip| usable_candidate(*ip))
            .map(|ip| PublicIp {
                advertised: ip,
                local: ip,
            })
            .collect();
        if all.is_empty() {
            anyhow::bail!(
                "this machine has no address to receive media on; give one with --public-ip"
            );
        }
        all
    } else {
        vec![PublicIp {
            advertised: listen,
            local: listen,
        }]
    };
    let mut addresses: Vec<MediaAddress> = Vec::new();
    for p in chosen {
        if !machine.contains(&p.local) {
            warn!(
                local = %p.local,
                "--public-ip: {} is not an address of this machine; media sent to {} arrives only if it is forwarded to one",
                p.local, p.advertised
            );
        }
        let address = MediaAddress::udp(SocketAddr::new(p.advertised, port));
        let address = MediaAddress {
            local: SocketAddr::new(p.local, port),
            ..address
        };
        if !addresses.contains(&address) {
            addresses.push(address);
        }
    }
    Ok(addresses)
}

/// Every address of the machine's interfaces.
fn machine_addresses() -> anyhow::Result<Vec<IpAddr>> {
    let interfaces = if_addrs::get_if_addrs()
        .map_err(|e| anyhow::anyhow!("cannot list this machine's network addresses: {e}"))?;
    Ok(interfaces.iter().map(|i| i.ip()).collect())
}

/// Whether a browser can use `ip` as a candidate without more information: link-local
/// addresses need an interface scope that an ICE candidate cannot carry.
fn usable_candidate(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !v4.is_link_local() && !v4.is_unspecified(),
        IpAddr::V6(v6) => !v6.is_unicast_link_local() && !v6.is_unspecified(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_address_is_advertised_and_local() {
        let p: PublicIp = "10.231.7.1".parse().unwrap();
        assert_eq!(p.advertised, p.local);
        assert_eq!(p.to_string(), "10.231.7.1");
        let v6: PublicIp = "fd00::1".parse().unwrap();
        assert_eq!(v6.advertised, "fd00::1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn public_at_local_is_a_one_to_one_nat() {
        let p: PublicIp = "203.0.113.10@10.0.0.5".parse().unwrap();
        assert_eq!(p.advertised, "203.0.113.10".parse::<IpAddr>().unwrap());
        assert_eq!(p.local, "10.0.0.5".parse::<IpAddr>().unwrap());
        assert_eq!(p.to_string(), "203.0.113.10@10.0.0.5");
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        for (bad, says) in [
            ("", "not an IP address"),
            ("example.gov.vn", "not an IP address"),
            ("0.0.0.0", "cannot receive media"),
            ("::", "cannot receive media"),
            ("224.0.0.1", "cannot receive media"),
            ("203.0.113.10@", "local address"),
            ("203.0.113.10@fd00::1", "both be IPv4 or both IPv6"),
        ] {
            let err = bad.parse::<PublicIp>().unwrap_err();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }

    #[test]
    fn a_specific_listen_address_is_the_media_address() {
        let got = media_addresses("127.0.0.1".parse().unwrap(), &[], 50000).unwrap();
        assert_eq!(
            got,
            vec![MediaAddress::udp("127.0.0.1:50000".parse().unwrap())]
        );
    }

    #[test]
    fn a_wildcard_listen_address_advertises_every_address_of_the_machine() {
        let got = media_addresses("0.0.0.0".parse().unwrap(), &[], 50000).unwrap();
        let loopback = MediaAddress::udp("127.0.0.1:50000".parse().unwrap());
        assert!(got.contains(&loopback), "{got:?}");
        assert!(got.iter().all(|a| usable_candidate(a.advertised.ip())));
    }

    #[test]
    fn public_addresses_replace_the_default_and_duplicates_are_dropped() {
        let public: Vec<PublicIp> = ["203.0.113.10@127.0.0.1", "::1", "::1"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let got = media_addresses("0.0.0.0".parse().unwrap(), &public, 40000).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].advertised, "203.0.113.10:40000".parse().unwrap());
        assert_eq!(got[0].local, "127.0.0.1:40000".parse().unwrap());
        assert_eq!(got[1], MediaAddress::udp("[::1]:40000".parse().unwrap()));
    }
}
