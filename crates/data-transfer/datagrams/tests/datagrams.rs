//! Datagrams: a connected UDP socket hears of a closed port; an
//! unconnected one only with IP_RECVERR, from its error queue.

use sockref::testing::{assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_datagrams");

fn lines() -> Vec<String> {
    stdout_of(BIN, &[]).lines().map(str::to_string).collect()
}

#[test]
fn connected_datagram_sockets_hear_of_closed_ports() {
    let out = lines();
    assert!(
        out[1].starts_with("server: recvfrom got 4 bytes 'ping' from 127.0.0.1:"),
        "{out:?}"
    );
    assert_eq!(
        out[3],
        "unconnected: sendto a closed port succeeded; recvfrom: Resource temporarily unavailable (os error 11)"
    );
    assert_eq!(
        out[4],
        "connected: send to a closed port succeeded; the next recv: Connection refused (os error 111)"
    );
}

#[test]
fn an_unconnected_socket_hears_of_closed_ports_with_ip_recverr() {
    let out = lines();
    assert_eq!(
        out[5],
        "unconnected with IP_RECVERR: sendto a closed port succeeded; recvfrom: Connection refused (os error 111)"
    );
    assert!(
        out[6].starts_with(
            "  recvmsg(MSG_ERRQUEUE): 7 bytes 'anyone?', the datagram sent to 127.0.0.1:"
        ),
        "{out:?}"
    );
    assert_eq!(
        out[7],
        "  sock_extended_err: ee_origin SO_EE_ORIGIN_ICMP, ee_type 3, ee_code 3 (port unreachable), from 127.0.0.1"
    );
    assert_eq!(out[8], "  ee_errno: Connection refused (os error 111)");
    assert_eq!(out.len(), 9, "{out:?}");
}

#[test]
fn arguments_are_usage_errors() {
    assert_usage_error(BIN, &["extra"]);
}
