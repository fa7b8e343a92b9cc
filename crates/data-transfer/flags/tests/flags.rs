//! The flags of recv, line by line as the program prints them.

use sockref::testing::{assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_flags");

fn lines() -> Vec<String> {
    stdout_of(BIN, &[]).lines().map(str::to_string).collect()
}

#[test]
fn the_recv_flags() {
    let out = lines();
    assert_eq!(
        out,
        [
            "MSG_DONTWAIT on an empty socket: Resource temporarily unavailable (os error 11)",
            "MSG_PEEK: 5 bytes 'hello'",
            "then a plain recv: 5 bytes 'hello'",
            "MSG_WAITALL for 10 bytes, 5 sent, then shutdown: 5 bytes 'world'",
            "recv after the peer's shutdown: 0 bytes '', and again: 0 bytes ''",
            "UDP, a 3-byte buffer for a 5-byte datagram: 3 bytes 'hel'",
            "the same with MSG_TRUNC: recv returns the datagram's length: 5 bytes 'hel'",
        ]
    );
}

#[test]
fn arguments_are_usage_errors() {
    assert_usage_error(BIN, &["extra"]);
}
