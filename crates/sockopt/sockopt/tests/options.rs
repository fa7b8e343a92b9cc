//! The sockopt tour's claims, checked line by line on the running kernel,
//! and the one rule of SO_REUSEADDR the tour states without showing.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};

use socket2::{Domain, SockAddr, Socket, Type};
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

fn server(reuse: bool) -> Socket {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    s.set_reuse_address(reuse).unwrap();
    s.bind(&SockAddr::from(SocketAddr::from(([127, 0, 0, 1], 0))))
        .unwrap();
    s.listen(1).unwrap();
    s
}

/// Closes a connection server side first and returns the port, which the
/// old connection still holds while it closes.
fn close_server_first(listener: Socket) -> SocketAddr {
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let client = TcpStream::connect(addr).unwrap();
    let (conn, _) = listener.accept().unwrap();
    drop(conn);
    let mut end = [0u8; 1];
    assert_eq!((&client).read(&mut end).unwrap(), 0);
    drop(client);
    drop(listener);
    addr
}

#[test]
fn on_linux_so_reuseaddr_must_be_on_the_old_socket_too() {
    let bind_with_reuse = |addr: SocketAddr| {
        let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        s.set_reuse_address(true).unwrap();
        s.bind(&SockAddr::from(addr))
    };
    let addr = close_server_first(server(false));
    let err = bind_with_reuse(addr).unwrap_err();
    assert_eq!(
        err.raw_os_error(),
        Some(libc::EADDRINUSE),
        "old server without SO_REUSEADDR"
    );
    let addr = close_server_first(server(true));
    bind_with_reuse(addr).expect("old server with SO_REUSEADDR");
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
