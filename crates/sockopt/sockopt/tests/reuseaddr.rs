//! SO_REUSEADDR on Linux: the old socket must have had it too.
//!
//! A test binary of its own, with this one test: it needs the old
//! connection and listener really closed when it binds again, and a child
//! forked by a sibling test at that moment would keep them open until its
//! exec.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};

use socket2::{Domain, SockAddr, Socket, Type};

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
