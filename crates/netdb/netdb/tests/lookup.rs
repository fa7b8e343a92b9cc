//! getaddrinfo and getnameinfo, through dns-lookup (the programs have
//! their own tests). Only `localhost`, numeric addresses and reverse lookups of
//! 127.0.0.1: nothing here sends a DNS query.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use dns_lookup::{AddrInfo, AddrInfoHints, getaddrinfo, getnameinfo};

fn lookup(host: Option<&str>, service: Option<&str>, flags: i32) -> Result<Vec<AddrInfo>, i32> {
    let hints = AddrInfoHints {
        flags,
        ..AddrInfoHints::default()
    };
    getaddrinfo(host, service, Some(hints))
        .map_err(|e| e.error_num())
        .map(|it| it.collect::<Result<Vec<_>, _>>().unwrap())
}

/// The addresses /etc/hosts gives `localhost` on this machine: 127.0.0.1,
/// and ::1 too where the file has a `::1 localhost` line (many do, these
/// machines do not). The answers below are per address.
fn localhost() -> BTreeSet<IpAddr> {
    let addrs: BTreeSet<IpAddr> = netdb::etc_hosts_addresses("localhost")
        .into_iter()
        .collect();
    assert!(!addrs.is_empty(), "/etc/hosts has no line for localhost");
    addrs
}

fn addresses(r: &[AddrInfo]) -> BTreeSet<IpAddr> {
    r.iter().map(|a| a.sockaddr.ip()).collect()
}

#[test]
fn localhost_http_is_one_stream_result_with_the_canonical_name() {
    let r = lookup(Some("localhost"), Some("http"), libc::AI_CANONNAME).unwrap();
    assert_eq!(addresses(&r), localhost(), "{r:?}");
    assert_eq!(
        r.len(),
        localhost().len(),
        "http is tcp-only: one per address"
    );
    assert!(
        r.iter()
            .all(|a| a.socktype == libc::SOCK_STREAM && a.sockaddr.port() == 80)
    );
    assert_eq!(r[0].canonname.as_deref(), Some("localhost"));
    assert!(r[1..].iter().all(|a| a.canonname.is_none()), "{r:?}");
}

#[test]
fn localhost_nfs_is_stream_and_dgram_with_the_canonical_name_on_the_first_only() {
    let r = lookup(Some("localhost"), Some("nfs"), libc::AI_CANONNAME).unwrap();
    // nfs is listed for tcp and udp: two results for each address of
    // localhost, a stream and a datagram one, side by side.
    assert_eq!(addresses(&r), localhost(), "{r:?}");
    assert_eq!(r.len() % 2, 0, "{r:?}");
    for pair in r.chunks(2) {
        let types: Vec<i32> = pair.iter().map(|a| a.socktype).collect();
        assert_eq!(types, [libc::SOCK_STREAM, libc::SOCK_DGRAM], "{r:?}");
        assert_eq!(pair[0].sockaddr, pair[1].sockaddr);
    }
    assert!(r.iter().all(|a| a.sockaddr.port() == 2049));
    assert_eq!(r[0].canonname.as_deref(), Some("localhost"));
    assert!(r[1..].iter().all(|a| a.canonname.is_none()), "{r:?}");
}

#[test]
fn a_passive_lookup_without_a_host_gives_the_wildcard_addresses() {
    let r = lookup(None, Some("http"), libc::AI_PASSIVE).unwrap();
    let addrs: Vec<String> = r.iter().map(|a| a.sockaddr.to_string()).collect();
    assert_eq!(addrs, ["0.0.0.0:80", "[::]:80"]);
}

#[test]
fn an_unknown_service_is_eai_service() {
    assert_eq!(
        lookup(Some("localhost"), Some("no-such-service"), 0).unwrap_err(),
        libc::EAI_SERVICE
    );
    assert_eq!(
        sockref::ffi::gai_strerror(libc::EAI_SERVICE),
        "Servname not supported for ai_socktype"
    );
}

/// glibc reads a numeric service with strtoul and keeps the low 16 bits:
/// no error for a number beyond a port (the programs refuse it first).
#[test]
fn glibc_keeps_the_low_16_bits_of_a_numeric_service() {
    for (service, port) in [("65535", 65535), ("65536", 0), ("99999999999", 59391)] {
        let r = lookup(Some("127.0.0.1"), Some(service), libc::AI_NUMERICHOST).unwrap();
        assert!(
            r.iter().all(|a| a.sockaddr.port() == port),
            "{service}: {r:?}"
        );
        assert_eq!(99999999999u64 % 65536, 59391);
    }
}

#[test]
fn a_name_with_ai_numerichost_is_eai_noname_without_a_query() {
    assert_eq!(
        lookup(Some("localhost"), None, libc::AI_NUMERICHOST).unwrap_err(),
        libc::EAI_NONAME
    );
}

#[test]
fn dns_lookup_4_reports_no_ai_flags() {
    // glibc copies the hint flags into each result (the C twin prints
    // them); dns-lookup 4 does not pass them on. If this starts failing,
    // the getaddrinfo program can print ai.flags alone.
    let r = lookup(Some("localhost"), Some("http"), libc::AI_CANONNAME).unwrap();
    assert_eq!(r[0].flags, 0);
}

#[test]
fn getnameinfo_of_127_0_0_1_with_and_without_numeric_flags() {
    let http = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 80);
    assert_eq!(
        getnameinfo(&http, 0).unwrap(),
        ("localhost".into(), "http".into())
    );
    let numeric = libc::NI_NUMERICHOST | libc::NI_NUMERICSERV;
    assert_eq!(
        getnameinfo(&http, numeric).unwrap(),
        ("127.0.0.1".into(), "80".into())
    );
    let nfs = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 2049);
    assert_eq!(getnameinfo(&nfs, libc::NI_DGRAM).unwrap().1, "nfs");
}

#[test]
fn std_to_socket_addrs_takes_no_service_names() {
    use std::net::ToSocketAddrs;
    assert!(
        "localhost:http".to_socket_addrs().is_err(),
        "a service name is not a port"
    );
    let addrs: Vec<SocketAddr> = ("localhost", 80).to_socket_addrs().unwrap().collect();
    assert!(addrs.iter().all(|a| a.port() == 80), "{addrs:?}");
    let ips: BTreeSet<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
    assert_eq!(ips, localhost());
}

/// The DNS note is decided from /etc/hosts alone: deciding it queries no
/// server. Numeric names never need one; a reserved name (RFC 6761's
/// .invalid) is in no /etc/hosts.
#[test]
fn the_dns_note_is_printed_exactly_when_a_lookup_may_leave_the_machine() {
    assert_eq!(netdb::dns_note("127.0.0.1", false, "x"), None);
    assert_eq!(netdb::dns_note("::1", false, "x"), None);
    let note = netdb::dns_note("example.invalid", false, "--numeric-host").unwrap();
    assert_eq!(
        note,
        "note: 'example.invalid' is not in /etc/hosts: this lookup may query the DNS \
         servers of /etc/resolv.conf (--numeric-host avoids it)"
    );
    // Reverse: an address is named by /etc/hosts or by DNS.
    assert_eq!(
        netdb::dns_note("127.0.0.1", true, "x").is_none(),
        netdb::in_etc_hosts("127.0.0.1")
    );
    assert!(
        netdb::dns_note("192.0.2.1", true, "x").is_some(),
        "TEST-NET-1"
    );
    assert_eq!(
        netdb::in_etc_hosts("LOCALHOST"),
        netdb::in_etc_hosts("localhost")
    );
}
