//! Which IP addresses are ordinary public unicast hosts. Everything in IANA's IPv4 and IPv6
//! Special-Purpose Address Registries is refused, whatever the registry says about global
//! reachability: an address that embeds another (6to4, Teredo, NAT64, IPv4-mapped and
//! -translated) can lead to a private one, and none of the others is where a webhook receiver
//! lives. Multicast, the deprecated site-local range, and in IPv6 everything outside global
//! unicast (`2000::/3`, the only range IANA allocates to registries) are refused too, so a
//! range IANA adds later outside `2000::/3` is refused before this table knows it.
use std::net::{Ipv4Addr, Ipv6Addr};

/// `(first address, prefix length, name)`.
type V4Range = ([u8; 4], u8, &'static str);
type V6Range = ([u16; 8], u8, &'static str);

/// IANA IPv4 Special-Purpose Address Registry (RFC 6890 and its updates), and multicast.
const V4: &[V4Range] = &[
    ([0, 0, 0, 0], 8, "\"this network\""),
    ([10, 0, 0, 0], 8, "private-use"),
    ([100, 64, 0, 0], 10, "shared address space"),
    ([127, 0, 0, 0], 8, "loopback"),
    ([169, 254, 0, 0], 16, "link-local"),
    ([172, 16, 0, 0], 12, "private-use"),
    ([192, 0, 0, 0], 24, "IETF protocol assignments"),
    ([192, 0, 2, 0], 24, "documentation"),
    ([192, 31, 196, 0], 24, "AS112"),
    ([192, 52, 193, 0], 24, "AMT"),
    ([192, 88, 99, 0], 24, "6to4 relay anycast"),
    ([192, 168, 0, 0], 16, "private-use"),
    ([192, 175, 48, 0], 24, "AS112 direct delegation"),
    ([198, 18, 0, 0], 15, "benchmarking"),
    ([198, 51, 100, 0], 24, "documentation"),
    ([203, 0, 113, 0], 24, "documentation"),
    ([224, 0, 0, 0], 4, "multicast"),
    ([240, 0, 0, 0], 4, "reserved"),
    ([255, 255, 255, 255], 32, "limited broadcast"),
];

/// IANA IPv6 Special-Purpose Address Registry (RFC 6890 and its updates), plus site-local
/// (deprecated by RFC 3879, still routed by old stacks), IPv4-compatible and IPv4-translated
/// (RFC 2765) addresses, and multicast.
const V6: &[V6Range] = &[
    ([0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified"),
    ([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback"),
    ([0, 0, 0, 0, 0, 0, 0, 0], 96, "IPv4-compatible"),
    ([0, 0, 0, 0, 0, 0xffff, 0, 0], 96, "IPv4-mapped"),
    ([0, 0, 0, 0, 0xffff, 0, 0, 0], 96, "IPv4-translated"),
    ([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, "IPv4/IPv6 translation (NAT64)"),
    ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, "local-use IPv4/IPv6 translation"),
    ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only"),
    ([0x100, 0, 0, 1, 0, 0, 0, 0], 64, "dummy prefix"),
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, "IETF protocol assignments"),
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "Teredo"),
    ([0x2001, 0x2, 0, 0, 0, 0, 0, 0], 48, "benchmarking"),
    ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "documentation"),
    ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4"),
    ([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0], 48, "AS112 direct delegation"),
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation"),
    ([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, "segment routing SIDs"),
    ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique local"),
    ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local"),
    ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local"),
    ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast"),
];

fn in_prefix(addr: u128, first: u128, len: u8, bits: u32) -> bool {
    let shift = bits - len as u32;
    len == 0 || (addr >> shift) == (first >> shift)
}

/// The special-purpose range `ip` is in (its most specific name), or `None` for a public host.
pub fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let addr = u32::from(ip) as u128;
    V4.iter()
        .filter(|(first, len, _)| in_prefix(addr, u32::from(Ipv4Addr::from(*first)) as u128, *len, 32))
        .max_by_key(|(_, len, _)| *len)
        .map(|(_, _, name)| *name)
}

/// `special_v4` for IPv6: a range of the table, or anything outside global unicast.
pub fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let addr = u128::from(ip);
    let named = V6
        .iter()
        .filter(|(first, len, _)| in_prefix(addr, u128::from(Ipv6Addr::from(*first)), *len, 128))
        .max_by_key(|(_, len, _)| *len)
        .map(|(_, _, name)| *name);
    named.or_else(|| (addr >> 125 != 0b001).then_some("not global unicast"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Option<&'static str> {
        special_v4(s.parse().unwrap())
    }

    fn v6(s: &str) -> Option<&'static str> {
        special_v6(s.parse().unwrap())
    }

    #[test]
    fn every_ipv4_special_purpose_range_is_refused_at_both_ends() {
        let table = [
            ("0.0.0.0", "0.255.255.255"),
            ("10.0.0.0", "10.255.255.255"),
            ("100.64.0.0", "100.127.255.255"),
            ("127.0.0.0", "127.255.255.255"),
            ("169.254.0.0", "169.254.255.255"),
            ("172.16.0.0", "172.31.255.255"),
            ("192.0.0.0", "192.0.0.255"),
            ("192.0.2.0", "192.0.2.255"),
            ("192.31.196.0", "192.31.196.255"),
            ("192.52.193.0", "192.52.193.255"),
            ("192.88.99.0", "192.88.99.255"),
            ("192.168.0.0", "192.168.255.255"),
            ("192.175.48.0", "192.175.48.255"),
            ("198.18.0.0", "198.19.255.255"),
            ("198.51.100.0", "198.51.100.255"),
            ("203.0.113.0", "203.0.113.255"),
            ("224.0.0.0", "239.255.255.255"),
            ("240.0.0.0", "255.255.255.255"),
        ];
        for (low, high) in table {
            assert!(v4(low).is_some(), "{low}");
            assert!(v4(high).is_some(), "{high}");
        }
    }

    #[test]
    fn ipv4_neighbours_of_the_ranges_are_public() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.0",
            "192.0.3.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
        ] {
            assert_eq!(v4(ip), None, "{ip}");
        }
    }

    #[test]
    fn every_ipv6_special_purpose_range_is_refused_in_every_spelling() {
        let table = [
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::7f00:1", "IPv4-compatible"),
            ("::ffff:127.0.0.1", "IPv4-mapped"),
            ("::ffff:8.8.8.8", "IPv4-mapped"),
            ("::ffff:0:a00:1", "IPv4-translated"),
            ("::ffff:0:808:808", "IPv4-translated"),
            ("64:ff9b::a9fe:a9fe", "IPv4/IPv6 translation (NAT64)"),
            ("64:ff9b:1::1", "local-use IPv4/IPv6 translation"),
            ("100::1", "discard-only"),
            ("100::ffff:ffff:ffff:ffff", "discard-only"),
            ("100:0:0:1::1", "dummy prefix"),
            ("2001::1", "Teredo"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
            ("2001:1::1", "IETF protocol assignments"),
            ("2001:1ff:ffff::", "IETF protocol assignments"),
            ("2001:2::1", "benchmarking"),
            ("2001:db8::1", "documentation"),
            ("2002:7f00:1::", "6to4"),
            ("2002:a9fe:a9fe::", "6to4"),
            ("2002:c0a8:101::1", "6to4"),
            ("2620:4f:8000::1", "AS112 direct delegation"),
            ("3fff::1", "documentation"),
            ("3fff:fff::1", "documentation"),
            ("5f00::1", "segment routing SIDs"),
            ("fc00::1", "unique local"),
            ("fd12:3456::1", "unique local"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("fec0::1", "site-local"),
            ("feff::1", "site-local"),
            ("ff02::1", "multicast"),
            ("ff0e::1", "multicast"),
            ("4000::1", "not global unicast"),
            ("1234::1", "not global unicast"),
        ];
        for (ip, name) in table {
            assert_eq!(v6(ip), Some(name), "{ip}");
        }
    }

    #[test]
    fn ipv6_public_unicast_is_public() {
        for ip in ["2606:4700::1111", "2a00:1450:4001::200e", "2001:200::1", "2001:4860:4860::8888", "2003::1", "3ffe::1"] {
            assert_eq!(v6(ip), None, "{ip}");
        }
    }
}
