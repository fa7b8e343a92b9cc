//! Each enumeration compared with an independent reading of its file, and
//! the lookups by name and number. Reads only local files: no DNS.

use std::net::Ipv4Addr;

/// The entries of a netdb file: comments and blank lines dropped, then
/// whitespace-separated fields.
fn entries(path: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter(|f| !f.is_empty())
        .collect()
}

#[test]
fn services_match_etc_services() {
    // name port/proto aliases...
    let expected: Vec<(String, u16, String, Vec<String>)> = entries("/etc/services")
        .into_iter()
        .map(|f| {
            let (port, proto) = f[1].split_once('/').unwrap();
            (
                f[0].clone(),
                port.parse().unwrap(),
                proto.to_string(),
                f[2..].to_vec(),
            )
        })
        .collect();
    let got: Vec<(String, u16, String, Vec<String>)> = netdb::services()
        .map(|s| (s.name, s.port, s.proto, s.aliases))
        .collect();
    assert!(expected.len() > 100, "a suspiciously short /etc/services");
    assert_eq!(got, expected);
}

#[test]
fn the_raw_s_port_is_the_port_in_network_byte_order() {
    let tcpmux = netdb::service_by_name("tcpmux", Some("tcp")).unwrap();
    assert_eq!(tcpmux.port, 1);
    assert_eq!(tcpmux.raw_port as u16, 1u16.to_be());
    if cfg!(target_endian = "little") {
        assert_eq!(tcpmux.raw_port, 256, "the textbook's 'port number: 256'");
    }
}

#[test]
fn services_by_name_and_by_port() {
    let http = netdb::service_by_name("http", None).unwrap();
    assert_eq!((http.port, http.proto.as_str()), (80, "tcp"));
    assert!(http.aliases.contains(&"www".to_string()));
    let www = netdb::service_by_name("www", Some("tcp")).unwrap();
    assert_eq!(www.name, "http", "an alias finds the entry");
    assert_eq!(
        netdb::service_by_port(2049, Some("udp")).unwrap().name,
        "nfs"
    );
    assert_eq!(netdb::service_by_name("no-such-service", None), None);
    assert_eq!(netdb::service_by_port(2049, Some("nonsense")), None);
}

#[test]
fn protocols_match_etc_protocols() {
    let expected: Vec<(String, i32, Vec<String>)> = entries("/etc/protocols")
        .into_iter()
        .map(|f| (f[0].clone(), f[1].parse().unwrap(), f[2..].to_vec()))
        .collect();
    let got: Vec<(String, i32, Vec<String>)> = netdb::protocols()
        .map(|p| (p.name, p.number, p.aliases))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(netdb::protocol_by_name("udp").unwrap().number, 17);
    assert_eq!(netdb::protocol_by_number(6).unwrap().name, "tcp");
    assert_eq!(netdb::protocol_by_name("no-such-protocol"), None);
}

#[test]
fn networks_match_etc_networks() {
    let expected: Vec<(String, u32, Vec<String>)> = entries("/etc/networks")
        .into_iter()
        .map(|f| {
            // Network numbers may be written short ("127"); pad to four parts.
            let mut parts: Vec<&str> = f[1].split('.').collect();
            parts.resize(4, "0");
            let addr: Ipv4Addr = parts.join(".").parse().unwrap();
            (f[0].clone(), u32::from(addr), f[2..].to_vec())
        })
        .collect();
    let got: Vec<(String, u32, Vec<String>)> = netdb::networks()
        .map(|n| (n.name, n.net, n.aliases))
        .collect();
    assert_eq!(got, expected);
    let loopback = netdb::network_by_name("loopback").unwrap();
    assert_eq!(loopback.net, u32::from(Ipv4Addr::new(127, 0, 0, 0)));
    assert_eq!(
        netdb::network_by_addr(loopback.net).unwrap().name,
        "loopback"
    );
}

/// What gethostent and gethostbyname, which know IPv4 only, make of the
/// address of an /etc/hosts line: an IPv4 address as it is, the IPv6
/// loopback `::1` as 127.0.0.1 (glibc's rule), any other IPv6 address
/// nothing: the line is skipped. So the answers depend on whether the
/// machine's file has a `::1 localhost` line, and the tests read it.
fn as_ipv4(addr: &str) -> Option<String> {
    match addr.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(a) => Some(a.to_string()),
        std::net::IpAddr::V6(a) if a.is_loopback() => Some("127.0.0.1".into()),
        std::net::IpAddr::V6(_) => None,
    }
}

#[test]
fn hosts_match_etc_hosts() {
    // gethostent: one entry per line, its first name, the rest as aliases.
    let mut expected = Vec::new();
    for f in entries("/etc/hosts") {
        if let Some(addr) = as_ipv4(&f[0]) {
            expected.push((addr, f[1].clone(), f[2..].to_vec()));
        }
    }
    let got: Vec<(String, String, Vec<String>)> = netdb::hosts()
        .map(|h| (netdb::ntop(h.addrs[0]), h.name, h.aliases))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn gethostbyname_finds_localhost_in_etc_hosts() {
    // One IPv4 address for each line that names localhost: 127.0.0.1 once
    // where /etc/hosts has no ::1 line for it, twice where it has one.
    let h = netdb::host_by_name("localhost").unwrap();
    assert_eq!(h.addrtype, libc::AF_INET);
    let expected: Vec<String> = entries("/etc/hosts")
        .iter()
        .filter(|f| f[1..].iter().any(|n| n.eq_ignore_ascii_case("localhost")))
        .filter_map(|f| as_ipv4(&f[0]))
        .collect();
    assert!(expected.contains(&"127.0.0.1".to_string()));
    let got: Vec<String> = h.addrs.iter().map(|a| netdb::ntop(*a)).collect();
    assert_eq!(got, expected);
}

#[test]
fn the_lock_keeps_enumerations_whole_across_threads() {
    let reference = netdb::services().count();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                (0..20)
                    .map(|_| netdb::services().count())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for t in threads {
        for n in t.join().unwrap() {
            assert_eq!(n, reference, "an enumeration interleaved with another");
        }
    }
}
