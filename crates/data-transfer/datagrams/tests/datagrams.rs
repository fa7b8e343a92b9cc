//! Datagrams: only a connected UDP socket hears of a closed port.

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
fn arguments_are_usage_errors() {
    assert_usage_error(BIN, &["extra"]);
}
