//! Section "Socket options" (APUE 16.6): a tour of `getsockopt` and
//! `setsockopt` on real sockets, each option named by its level and name as
//! a C programmer writes them, and each effect shown rather than described.
//!
//! The keepalive timers are only set and read back, not waited for (the
//! default first probe comes after two hours); TIME_WAIT is shown by a
//! restart that fails without SO_REUSEADDR and works with it.
#![forbid(unsafe_code)]

use sockref::outln;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::time::Duration;

use socket2::{Domain, SockAddr, Socket, TcpKeepalive, Type};
use sockref::{Context, Error};

const USAGE: &str = "sockopt";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        sockref::cli::no_arguments()?;
        so_type()?;
        buffers()?;
        reuseaddr_and_time_wait()?;
        keepalive()?;
        linger_zero_resets()?;
        nodelay_and_oobinline()?;
        so_error_after_a_failed_connect()?;
        option_lengths()?;
        Ok(())
    })
}

fn tcp() -> Result<Socket, Error> {
    Socket::new(Domain::IPV4, Type::STREAM, None).context("socket(AF_INET, SOCK_STREAM)")
}

fn on_off(b: bool) -> u8 {
    u8::from(b)
}

fn so_type() -> Result<(), Error> {
    let stream = tcp()?;
    let dgram =
        Socket::new(Domain::IPV4, Type::DGRAM, None).context("socket(AF_INET, SOCK_DGRAM)")?;
    let name = |t: Type| {
        if t == Type::STREAM {
            "SOCK_STREAM"
        } else {
            "SOCK_DGRAM"
        }
    };
    outln!(
        "SO_TYPE (SOL_SOCKET): {} on a TCP socket, {} on a UDP socket (read-only)",
        name(stream.r#type().context("getsockopt(SO_TYPE)")?),
        name(dgram.r#type().context("getsockopt(SO_TYPE)")?)
    )?;
    Ok(())
}

// ANCHOR: buffers
fn buffers() -> Result<(), Error> {
    let sock = tcp()?;
    sock.set_recv_buffer_size(65536)
        .context("setsockopt(SO_RCVBUF)")?;
    sock.set_send_buffer_size(65536)
        .context("setsockopt(SO_SNDBUF)")?;
    let rcv = sock.recv_buffer_size().context("getsockopt(SO_RCVBUF)")?;
    let snd = sock.send_buffer_size().context("getsockopt(SO_SNDBUF)")?;
    outln!(
        "SO_RCVBUF (SOL_SOCKET): asked for 65536, getsockopt says {rcv} (Linux doubles it for its bookkeeping)"
    )?;
    outln!("SO_SNDBUF (SOL_SOCKET): asked for 65536, getsockopt says {snd}")?;
    Ok(())
}
// ANCHOR_END: buffers

// ANCHOR: reuseaddr
/// A server closes a connection first, so the connection waits in
/// TIME_WAIT on the server's port; a restarted server then binds that port.
fn reuseaddr_and_time_wait() -> Result<(), Error> {
    // exercise: sockopt/reuseaddr
    // The old server set SO_REUSEADDR, as initserver does (and as Rust's
    // TcpListener::bind does without saying so): on Linux the option must be
    // on both the old socket and the new one.
    let first = tcp()?;
    first
        .set_reuse_address(true)
        .context("setsockopt(SO_REUSEADDR)")?;
    first
        .bind(&SockAddr::from(SocketAddr::from(([127, 0, 0, 1], 0))))
        .context("bind to 127.0.0.1 port 0")?;
    first.listen(1).context("listen")?;
    let addr = first
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .ok_or_else(|| Error::runtime("getsockname"))?;
    let client = TcpStream::connect(addr).context(format!("connect to {addr}"))?;
    let (conn, _) = first.accept().context("accept")?;
    drop(conn); // the server closes first: its end goes to TIME_WAIT
    let mut end = [0u8; 1];
    (&client).read(&mut end).context("read the end of file")?;
    drop(client);
    drop(first);
    let plain = tcp()?;
    outln!(
        "SO_REUSEADDR (SOL_SOCKET): default {}",
        on_off(plain.reuse_address().context("getsockopt(SO_REUSEADDR)")?)
    )?;
    match plain.bind(&SockAddr::from(addr)) {
        Err(e) => {
            outln!("  restart without it, while the old connection is closing: bind fails: {e}")?
        }
        Ok(()) => {
            outln!("  restart without it: bind succeeded (nothing left of the old connection)")?
        }
    }
    let reuse = tcp()?;
    reuse
        .set_reuse_address(true)
        .context("setsockopt(SO_REUSEADDR)")?;
    reuse
        .bind(&SockAddr::from(addr))
        .context(format!("bind to {addr} with SO_REUSEADDR"))?;
    reuse.listen(1).context("listen")?;
    outln!("  restart with it set (it was set on the old server too): bind and listen succeed")?;
    Ok(())
    // end exercise
}
// ANCHOR_END: reuseaddr

// ANCHOR: keepalive
fn keepalive() -> Result<(), Error> {
    let sock = tcp()?;
    let before = sock.keepalive().context("getsockopt(SO_KEEPALIVE)")?;
    let (idle, interval, count) = (
        sock.tcp_keepalive_time()
            .context("getsockopt(TCP_KEEPIDLE)")?,
        sock.tcp_keepalive_interval()
            .context("getsockopt(TCP_KEEPINTVL)")?,
        sock.tcp_keepalive_retries()
            .context("getsockopt(TCP_KEEPCNT)")?,
    );
    outln!(
        "SO_KEEPALIVE (SOL_SOCKET): default {}; TCP_KEEPIDLE {} s, TCP_KEEPINTVL {} s, TCP_KEEPCNT {} (IPPROTO_TCP)",
        on_off(before),
        idle.as_secs(),
        interval.as_secs(),
        count
    )?;
    let params = TcpKeepalive::new()
        .with_time(Duration::from_secs(10))
        .with_interval(Duration::from_secs(2))
        .with_retries(3);
    sock.set_tcp_keepalive(&params)
        .context("setsockopt(SO_KEEPALIVE and TCP_KEEP*)")?;
    outln!(
        "  set: SO_KEEPALIVE {}; first probe after {} s idle, then every {} s, {} unanswered probes end the connection",
        on_off(sock.keepalive().context("getsockopt(SO_KEEPALIVE)")?),
        sock.tcp_keepalive_time()
            .context("getsockopt(TCP_KEEPIDLE)")?
            .as_secs(),
        sock.tcp_keepalive_interval()
            .context("getsockopt(TCP_KEEPINTVL)")?
            .as_secs(),
        sock.tcp_keepalive_retries()
            .context("getsockopt(TCP_KEEPCNT)")?
    )?;
    Ok(())
}
// ANCHOR_END: keepalive

fn linger_zero_resets() -> Result<(), Error> {
    // exercise: sockopt/linger
    let listener = TcpListener::bind("127.0.0.1:0").context("bind to 127.0.0.1 port 0")?;
    let addr = listener.local_addr().context("getsockname")?;
    let client = TcpStream::connect(addr).context(format!("connect to {addr}"))?;
    let (conn, _) = listener.accept().context("accept")?;
    let conn = Socket::from(conn);
    let linger = conn.linger().context("getsockopt(SO_LINGER)")?;
    let (onoff, secs) = linger.map_or((0, 0), |d| (1, d.as_secs()));
    outln!(
        "SO_LINGER (SOL_SOCKET): default {{l_onoff {onoff}, l_linger {secs}}}: close returns at once, the kernel sends what is left"
    )?;
    conn.set_linger(Some(Duration::ZERO))
        .context("setsockopt(SO_LINGER)")?;
    drop(conn); // close with l_onoff = 1, l_linger = 0: a reset, not a FIN
    let mut buf = [0u8; 1];
    match (&client).read(&mut buf) {
        Err(e) => outln!(
            "  set to {{l_onoff 1, l_linger 0}}, then close: a reset; the peer's read fails: {e}"
        )?,
        Ok(n) => outln!("  set to {{l_onoff 1, l_linger 0}}, then close: the peer read {n} bytes")?,
    }
    Ok(())
    // end exercise
}

fn nodelay_and_oobinline() -> Result<(), Error> {
    let sock = tcp()?;
    let nodelay = sock.tcp_nodelay().context("getsockopt(TCP_NODELAY)")?;
    sock.set_tcp_nodelay(true)
        .context("setsockopt(TCP_NODELAY)")?;
    outln!(
        "TCP_NODELAY (IPPROTO_TCP): default {}, set {} (small writes leave at once, no Nagle wait)",
        on_off(nodelay),
        on_off(sock.tcp_nodelay().context("getsockopt(TCP_NODELAY)")?)
    )?;
    let inline = sock
        .out_of_band_inline()
        .context("getsockopt(SO_OOBINLINE)")?;
    sock.set_out_of_band_inline(true)
        .context("setsockopt(SO_OOBINLINE)")?;
    outln!(
        "SO_OOBINLINE (SOL_SOCKET): default {}, set {} (urgent bytes stay in the stream; see the out-of-band chapter)",
        on_off(inline),
        on_off(
            sock.out_of_band_inline()
                .context("getsockopt(SO_OOBINLINE)")?
        )
    )?;
    Ok(())
}

// ANCHOR: so_error
/// A non-blocking connect returns EINPROGRESS at once; its outcome is read
/// later from SO_ERROR, which reading also clears.
fn so_error_after_a_failed_connect() -> Result<(), Error> {
    // exercise: sockopt/so-error
    let closed = sockref::peer::closed_port()?;
    let sock = tcp()?;
    sock.set_nonblocking(true).context("fcntl(O_NONBLOCK)")?;
    let started = match sock.connect(&SockAddr::from(closed)) {
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => "EINPROGRESS".to_string(),
        Err(e) => format!("{e}"),
        Ok(()) => "connected".to_string(),
    };
    let events = wait_writable(&sock)?;
    let first = sock.take_error().context("getsockopt(SO_ERROR)")?;
    let second = sock.take_error().context("getsockopt(SO_ERROR)")?;
    outln!(
        "SO_ERROR (SOL_SOCKET): a non-blocking connect to a closed port gave {started}; once poll said {events}, SO_ERROR was: {}; read again: {}",
        first.map_or("0".to_string(), |e| e.to_string()),
        second.map_or("0".to_string(), |e| e.to_string())
    )?;
    Ok(())
    // end exercise
}
// ANCHOR_END: so_error

/// Waits (at most 5 s) until the socket is writable or failed.
fn wait_writable(sock: &Socket) -> Result<&'static str, Error> {
    let flags = sockref::peer::poll_one(
        sock.as_fd(),
        sockref::peer::POLLOUT,
        Some(sockref::peer::DEMO_TIMEOUT),
    )
    .context("poll")?;
    Ok(if flags.contains(sockref::peer::POLLERR) {
        "POLLERR"
    } else if flags.is_empty() {
        "nothing"
    } else {
        "ready"
    })
}

// ANCHOR: lengths
/// The value is copied into the caller's buffer, and optlen says how much
/// was written: a short buffer gets the first bytes of the value, a long
/// one is filled only as far as the option's size.
fn option_lengths() -> Result<(), Error> {
    let sock = tcp()?;
    sock.set_recv_buffer_size(65536)
        .context("setsockopt(SO_RCVBUF)")?;
    for len in [2usize, 4, 16] {
        let (bytes, optlen) =
            sockref::ffi::getsockopt_bytes(sock.as_fd(), libc::SOL_SOCKET, libc::SO_RCVBUF, len)
                .context(format!("getsockopt(SO_RCVBUF) with a {len}-byte buffer"))?;
        let shown: Vec<String> = bytes[..optlen].iter().map(|b| format!("{b:02x}")).collect();
        outln!(
            "getsockopt(SO_RCVBUF) with optlen {len}: optlen becomes {optlen}, bytes {}",
            shown.join(" ")
        )?;
    }
    Ok(())
}
// ANCHOR_END: lengths
