//! Section "Associating addresses with sockets" and the server half of
//! "Connection establishment" (APUE 16.3.4, 16.4, and 16.6 for
//! SO_REUSEADDR): `initserver`.
//!
//! `initserver(type, addr, qlen)` is the textbook's server setup in one
//! call: `socket`, `SO_REUSEADDR` (the textbook's second version, APUE
//! figure 16.22, so that a restarted server can bind while old connections
//! linger in TIME_WAIT), `bind`, and, for the connection-oriented types,
//! `listen`. If any step fails, the socket is closed and the failing
//! call's error is returned, naming the call. [`initserver_v1`] is the
//! first version (APUE figure 16.12), without `SO_REUSEADDR`, and
//! [`tcp_state`] reads a connection's state from `/proc/net/tcp`, so that
//! a restart can be shown failing while a connection is in TIME_WAIT.
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::net::SocketAddr;

use socket2::{Domain, SockAddr, Socket, Type};
use sockref::Out;

/// A failed step of [`initserver`]: which call, on what, and why.
#[derive(Debug)]
pub struct InitError {
    /// The call and its arguments, such as `bind to 127.0.0.1:80`.
    pub call: String,
    pub error: io::Error,
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.call, self.error)
    }
}

impl std::error::Error for InitError {}

impl From<InitError> for sockref::Error {
    fn from(e: InitError) -> Self {
        sockref::Error::runtime(e)
    }
}

/// The C name of a socket type, for messages.
pub fn type_name(ty: Type) -> &'static str {
    match ty {
        Type::STREAM => "SOCK_STREAM",
        Type::DGRAM => "SOCK_DGRAM",
        Type::SEQPACKET => "SOCK_SEQPACKET",
        _ => "SOCK_?",
    }
}

// ANCHOR: initserver
/// A socket of type `ty` bound to `addr`, listening with a backlog of
/// `qlen` if the type is connection-oriented. Dropping the half-made socket
/// on an early return closes it: no descriptor leaks.
pub fn initserver(ty: Type, addr: SocketAddr, qlen: i32) -> Result<Socket, InitError> {
    // exercise: initserver/initserver
    let failed = |call: String| move |error| InitError { call, error };
    let family = if addr.is_ipv4() {
        "AF_INET"
    } else {
        "AF_INET6"
    };
    let sock = Socket::new(Domain::for_address(addr), ty, None)
        .map_err(failed(format!("socket({family}, {})", type_name(ty))))?;
    sock.set_reuse_address(true)
        .map_err(failed("setsockopt(SO_REUSEADDR)".into()))?;
    sock.bind(&SockAddr::from(addr))
        .map_err(failed(format!("bind to {addr}")))?;
    if ty == Type::STREAM || ty == Type::SEQPACKET {
        sock.listen(qlen)
            .map_err(failed(format!("listen on {addr}")))?;
    }
    Ok(sock)
    // end exercise
}
// ANCHOR_END: initserver

// ANCHOR: initserver_v1
/// The textbook's first version: the same steps without `SO_REUSEADDR`.
/// A restarted server cannot bind its port while a connection of its
/// previous life is in TIME_WAIT there.
pub fn initserver_v1(ty: Type, addr: SocketAddr, qlen: i32) -> Result<Socket, InitError> {
    let failed = |call: String| move |error| InitError { call, error };
    let family = if addr.is_ipv4() {
        "AF_INET"
    } else {
        "AF_INET6"
    };
    let sock = Socket::new(Domain::for_address(addr), ty, None)
        .map_err(failed(format!("socket({family}, {})", type_name(ty))))?;
    sock.bind(&SockAddr::from(addr))
        .map_err(failed(format!("bind to {addr}")))?;
    if ty == Type::STREAM || ty == Type::SEQPACKET {
        sock.listen(qlen)
            .map_err(failed(format!("listen on {addr}")))?;
    }
    Ok(sock)
}
// ANCHOR_END: initserver_v1

/// The state of TCP connections in `/proc/net/tcp` (`st`, in hex).
pub const TCP_ESTABLISHED: u8 = 0x01;
pub const TCP_TIME_WAIT: u8 = 0x06;

/// The state of the TCP connection from `local` to `remote` as the kernel
/// lists it in `/proc/net/tcp` (`/proc/net/tcp6` for IPv6), or `None` if
/// it lists no such connection. The table is matched on the two ports.
pub fn tcp_state(local: SocketAddr, remote: SocketAddr) -> io::Result<Option<u8>> {
    let file = if local.is_ipv4() {
        "/proc/net/tcp"
    } else {
        "/proc/net/tcp6"
    };
    let table = std::fs::read_to_string(file)?;
    let (l, r) = (
        format!(":{:04X}", local.port()),
        format!(":{:04X}", remote.port()),
    );
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() > 3 && fields[1].ends_with(&l) && fields[2].ends_with(&r) {
            return Ok(u8::from_str_radix(fields[3], 16).ok());
        }
    }
    Ok(None)
}

/// The address a socket is bound to (`getsockname`).
pub fn local_addr(sock: &Socket) -> Result<SocketAddr, InitError> {
    let call = || "getsockname".to_string();
    let addr = sock.local_addr().map_err(|error| InitError {
        call: call(),
        error,
    })?;
    addr.as_socket().ok_or_else(|| InitError {
        call: call(),
        error: io::Error::other("not an IP address"),
    })
}

/// The line the server sends each client: who is serving, and for whom.
pub fn status_line(client: usize, clients: Option<usize>) -> String {
    let of = clients.map_or(String::new(), |n| format!(" of {n}"));
    format!(
        "status: pid {} serving client {client}{of}",
        std::process::id()
    )
}

// ANCHOR: serve_stream
/// Accepts one connection, names the peer (the address `accept` filled
/// in), sends the status line and closes the connection.
///
/// A client that fails (it reset the connection before the reply, say)
/// costs one line on stderr naming it and the failed call; the server goes
/// on to the next client. Only the server's own failures end it.
pub fn serve_stream_client(
    listener: &Socket,
    client: usize,
    clients: Option<usize>,
    out: Out,
) -> Result<(), sockref::Error> {
    // exercise: initserver/serve
    let (conn, from) = match listener.accept() {
        Ok(accepted) => accepted,
        // The connection was aborted while in the queue (accept(2)): its
        // client failed, not the server.
        Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => {
            client_failed(client, "?", "accept", &e);
            return Ok(());
        }
        Err(e) => return Err(sockref::Error::runtime(format!("accept: {e}"))),
    };
    // Not getpeername: on a connection the client has already reset it
    // fails with ENOTCONN, while accept's address is always filled in.
    let peer = from
        .as_socket()
        .map_or_else(|| "?".to_string(), |p| p.to_string());
    out.line(format_args!("client {client}: {peer}"))?;
    let line = status_line(client, clients) + "\n";
    if let Err(e) = conn.send(line.as_bytes()) {
        client_failed(client, &peer, "send", &e);
    }
    Ok(()) // dropping conn closes it
    // end exercise
}
// ANCHOR_END: serve_stream

/// The one stderr line of a client that failed: who, which call, why.
pub fn client_failed(client: usize, peer: &str, call: &str, error: &io::Error) {
    eprintln!("client {client} ({peer}): {call}: {error}");
}

/// Receives one datagram, names its sender (from `recvfrom`), and answers
/// with the status line (`sendto`); a reply that cannot be sent is that
/// client's failure, logged like a stream client's.
pub fn serve_dgram_client(
    sock: &Socket,
    client: usize,
    clients: Option<usize>,
    out: Out,
) -> Result<(), sockref::Error> {
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 512];
    let (_, from) = sock
        .recv_from(&mut buf)
        .map_err(|e| sockref::Error::runtime(format!("recvfrom: {e}")))?;
    let peer = from
        .as_socket()
        .map_or_else(|| "?".to_string(), |p| p.to_string());
    out.line(format_args!("client {client}: {peer}"))?;
    let line = status_line(client, clients) + "\n";
    if let Err(e) = sock.send_to(line.as_bytes(), &from) {
        client_failed(client, &peer, "sendto", &e);
    }
    Ok(())
}
