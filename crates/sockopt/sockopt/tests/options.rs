//! The sockopt tour's claims, checked line by line on the running kernel.
//! The one rule of SO_REUSEADDR the tour states without showing is in
//! tests/reuseaddr.rs, alone in its binary.

use sockref::testing::{assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_sockopt");

#[test]
fn every_option_behaves_as_the_tour_says() {
    let out = stdout_of(BIN, &[]);
    let expect = [
        "SO_TYPE (SOL_SOCKET): SOCK_STREAM on a TCP socket, SOCK_DGRAM on a UDP socket (read-only)",
        "SO_RCVBUF (SOL_SOCKET): asked for 65536, getsockopt says 131072 (Linux doubles it for its bookkeeping)",
        "SO_SNDBUF (SOL_SOCKET): asked for 65536, getsockopt says 131072",
        "SO_REUSEADDR (SOL_SOCKET): default 0",
        "  restart without it, while the old connection is closing: bind fails: Address already in use (os error 98)",
        "  restart with it set (it was set on the old server too): bind and listen succeed",
        "  set: SO_KEEPALIVE 1; first probe after 10 s idle, then every 2 s, 3 unanswered probes end the connection",
        "SO_LINGER (SOL_SOCKET): default {l_onoff 0, l_linger 0}: close returns at once, the kernel sends what is left",
        "  set to {l_onoff 1, l_linger 0}, then close: a reset; the peer's read fails: Connection reset by peer (os error 104)",
        "TCP_NODELAY (IPPROTO_TCP): default 0, set 1 (small writes leave at once, no Nagle wait)",
        "SO_ERROR (SOL_SOCKET): a non-blocking connect to a closed port gave EINPROGRESS; once poll said POLLERR, SO_ERROR was: Connection refused (os error 111); read again: 0",
        "getsockopt(SO_RCVBUF) with optlen 2: optlen becomes 2, bytes 00 00",
        "getsockopt(SO_RCVBUF) with optlen 16: optlen becomes 4, bytes 00 00 02 00",
    ];
    for line in expect {
        assert!(out.lines().any(|l| l == line), "missing: {line}\n{out}");
    }
}

#[test]
fn rusts_tcp_listener_sets_so_reuseaddr_itself() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    assert!(socket2::SockRef::from(&listener).reuse_address().unwrap());
}

#[test]
fn arguments_are_usage_errors() {
    assert_usage_error(BIN, &["extra"]);
}
