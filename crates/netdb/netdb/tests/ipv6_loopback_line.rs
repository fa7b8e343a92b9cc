//! What a `::1 localhost` line in /etc/hosts changes. These machines have
//! none, many others have one; the other tests expect whatever the file
//! holds. This one gives the lookups a file with the line, on any machine
//! that allows it: the test runs itself again in a private mount
//! namespace (`unshare --mount`) where a file of its own is bound over
//! /etc/hosts. Nothing outside that one process sees the change, which
//! ends with it, and no lookup leaves /etc/hosts: every name asked for is
//! in the file. Where mount namespaces are not allowed (no privilege) the
//! test says so and is skipped.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::Command;

use dns_lookup::{AddrInfoHints, getaddrinfo};

/// Set in the copy of this test that runs inside the namespace.
const INSIDE: &str = "SOCKREF_INSIDE_MOUNT_NAMESPACE";

const HOSTS: &str = "\
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
";

/// (address, socket type) of each result of getaddrinfo("localhost", "nfs").
fn nfs(family: i32) -> Vec<(IpAddr, i32)> {
    let hints = AddrInfoHints {
        flags: libc::AI_CANONNAME,
        address: family,
        ..AddrInfoHints::default()
    };
    getaddrinfo(Some("localhost"), Some("nfs"), Some(hints))
        .unwrap()
        .map(|r| r.unwrap())
        .map(|r| (r.sockaddr.ip(), r.socktype))
        .collect()
}

/// The assertions, made inside the namespace where /etc/hosts is HOSTS.
fn with_a_ipv6_loopback_line() {
    assert_eq!(std::fs::read_to_string("/etc/hosts").unwrap(), HOSTS);
    let (v4, v6) = (
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    );
    let (stream, dgram) = (libc::SOCK_STREAM, libc::SOCK_DGRAM);
    // Any family: two results per address, the IPv6 pair first.
    assert_eq!(
        nfs(libc::AF_UNSPEC),
        [(v6, stream), (v6, dgram), (v4, stream), (v4, dgram)]
    );
    // IPv4 alone: the ::1 line read as 127.0.0.1, so 127.0.0.1 twice.
    assert_eq!(
        nfs(libc::AF_INET),
        [(v4, stream), (v4, dgram), (v4, stream), (v4, dgram)]
    );
    // gethostbyname knows IPv4 only: the same reading, aliases merged.
    let host = netdb::host_by_name("localhost").unwrap();
    assert_eq!(host.addrs, [v4, v4]);
    assert_eq!(host.aliases, ["ip6-localhost", "ip6-loopback"]);
    // gethostent: the ::1 line as 127.0.0.1, the other IPv6 line skipped.
    let entries: Vec<(IpAddr, String)> = netdb::hosts().map(|h| (h.addrs[0], h.name)).collect();
    assert_eq!(
        entries,
        [(v4, "localhost".into()), (v4, "localhost".into())]
    );
    // And the helper the other tests count with sees both addresses.
    let listed: BTreeSet<IpAddr> = netdb::etc_hosts_addresses("localhost")
        .into_iter()
        .collect();
    assert_eq!(listed, BTreeSet::from([v4, v6]));
}

#[test]
fn a_ipv6_loopback_line_in_etc_hosts_changes_the_answers() {
    if std::env::var_os(INSIDE).is_some() {
        return with_a_ipv6_loopback_line();
    }
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hosts-with-ipv6-loopback-{}", std::process::id()));
    std::fs::write(&file, HOSTS).unwrap();
    // Can this process make a mount namespace at all?
    if !sockref::testing::unshare_allowed(&["--mount"]) {
        return;
    }
    let me = std::env::current_exe().unwrap();
    let mut inner = Command::new("unshare");
    inner
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount --bind "$0" /etc/hosts && exec "$@""#)
        .arg(&file)
        .arg(&me)
        .args([
            "--exact",
            "a_ipv6_loopback_line_in_etc_hosts_changes_the_answers",
        ])
        .args(["--test-threads", "1", "--nocapture"])
        .env(INSIDE, "1");
    let run = sockref::testing::run_bounded(inner, sockref::testing::RUN_LIMIT).unwrap();
    let _ = std::fs::remove_file(&file);
    let out = String::from_utf8_lossy(&run.output.stdout);
    let err = String::from_utf8_lossy(&run.output.stderr);
    assert!(!run.timed_out, "the run inside the namespace did not end");
    assert!(
        run.output.status.success(),
        "inside the namespace:\n{out}\n{err}"
    );
    assert!(
        out.contains("1 passed"),
        "the test did not run inside:\n{out}"
    );
}
