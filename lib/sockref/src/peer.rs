//! The in-process loopback peer of the self-demos, and bounded waits.
//!
//! A program run with no arguments demonstrates itself: [`connected_pair`]
//! gives it both ends of a real connection on an ephemeral port of
//! 127.0.0.1 or ::1 (bind to port 0, never a fixed one), or an AF_UNIX
//! pair, in one thread: the connection completes in the listen backlog.
//! Every wait ([`poll_one`], [`accept_within`]) is bounded, so a demo or a
//! test always ends by itself.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::time::{Duration, Instant};

use nix::poll::PollFlags;

use crate::cli::{Context, Error};

/// The address self-demos listen on: the IPv4 loopback address.
pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// POLLRDHUP (Linux): the peer shut down its writing side. nix does not name it.
pub const POLLRDHUP: PollFlags = PollFlags::from_bits_retain(libc::POLLRDHUP);

/// POLLOUT and POLLERR, under the names C uses.
pub const POLLOUT: PollFlags = PollFlags::POLLOUT;
pub const POLLERR: PollFlags = PollFlags::POLLERR;

/// How long a self-demo waits for any one event before it gives up.
pub const DEMO_TIMEOUT: Duration = Duration::from_secs(5);

/// A TCP address on 127.0.0.1 where nothing listens, for demos and tests of
/// refused connections (and of a server appearing later); never a fixed
/// port.
///
/// The port stays bound, by a socket that never listens, until this
/// process exits: a port merely noted and closed could be handed out again
/// by the next bind to port 0, here or in any other process, and then
/// something would listen there after all. Connecting to it is refused
/// (RST), and the holder sets SO_REUSEADDR, so a server that sets it too
/// (`initserver` does) can still bind the port explicitly.
pub fn closed_port() -> Result<SocketAddr, Error> {
    use socket2::{Domain, SockAddr, Socket, Type};
    static HOLDERS: std::sync::Mutex<Vec<Socket>> = std::sync::Mutex::new(Vec::new());
    let holder = Socket::new(Domain::IPV4, Type::STREAM, None).context("socket")?;
    holder
        .set_reuse_address(true)
        .context("setsockopt(SO_REUSEADDR)")?;
    let any = SocketAddr::new(LOOPBACK, 0);
    holder
        .bind(&SockAddr::from(any))
        .context("bind to 127.0.0.1 port 0")?;
    let addr = holder
        .local_addr()
        .context("getsockname")?
        .as_socket()
        .ok_or_else(|| Error::runtime("getsockname: not an IP address"))?;
    HOLDERS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(holder);
    Ok(addr)
}

/// `accept`, bounded by `timeout`: the listener is polled first. Returns the
/// connection and the peer's address as `accept` gave it (unlike
/// `getpeername`, still known when the peer has already reset).
pub fn accept_within(
    listener: &TcpListener,
    timeout: Duration,
) -> Result<(TcpStream, SocketAddr), Error> {
    let addr = listener.local_addr().context("getsockname")?;
    if poll_one(listener.as_fd(), PollFlags::POLLIN, Some(timeout))
        .context(format!("poll the listener on {addr}"))?
        .is_empty()
    {
        return Err(Error::runtime(format!(
            "accept on {addr}: nobody connected within {} s",
            timeout.as_secs_f64()
        )));
    }
    listener.accept().context(format!("accept on {addr}"))
}

/// `poll` on one descriptor: the events reported (errors and hang-ups
/// included), or none when `timeout` passed first (`None` waits for ever).
/// A signal interrupting the wait restarts it.
pub fn poll_one(
    fd: BorrowedFd<'_>,
    events: PollFlags,
    timeout: Option<Duration>,
) -> nix::Result<PollFlags> {
    let fds = [(fd, events)];
    Ok(poll_many(&fds, timeout)?[0])
}

/// `poll` on several descriptors; the reported events, one entry each.
///
/// Called through libc rather than nix, whose `PollFd::revents` hides any
/// bit it has no name for, POLLRDHUP among them.
pub fn poll_many(
    fds: &[(BorrowedFd<'_>, PollFlags)],
    timeout: Option<Duration>,
) -> nix::Result<Vec<PollFlags>> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut pollfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|(fd, ev)| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: ev.bits(),
            revents: 0,
        })
        .collect();
    loop {
        let wait_ms = match deadline {
            None => -1,
            Some(d) => d
                .saturating_duration_since(Instant::now())
                .as_millis()
                .min(i32::MAX as u128) as i32,
        };
        // SAFETY: `pollfds` is a live array of `len` pollfd structs, and the
        // descriptors in it are borrowed for the duration of the call.
        let rc =
            unsafe { libc::poll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, wait_ms) };
        if rc >= 0 {
            return Ok(pollfds
                .iter()
                .map(|p| PollFlags::from_bits_retain(p.revents))
                .collect());
        }
        match nix::errno::Errno::last() {
            nix::errno::Errno::EINTR => continue,
            e => return Err(e),
        }
    }
}

/// Which kind of stream connection a demo runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// TCP over 127.0.0.1.
    Ipv4,
    /// TCP over ::1.
    Ipv6,
    /// An AF_UNIX stream socket pair.
    Unix,
}

impl Family {
    pub const ALL: [Family; 3] = [Family::Ipv4, Family::Ipv6, Family::Unix];

    /// Parses `ipv4`, `ipv6` or `unix`, the values of `--family`.
    pub fn parse(text: &str) -> Result<Family, Error> {
        match text {
            "ipv4" => Ok(Family::Ipv4),
            "ipv6" => Ok(Family::Ipv6),
            "unix" => Ok(Family::Unix),
            _ => Err(Error::usage(format!(
                "unknown family '{text}' (ipv4, ipv6 or unix)"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Ipv4 => "ipv4",
            Family::Ipv6 => "ipv6",
            Family::Unix => "unix",
        }
    }

    /// The loopback address of a TCP family.
    pub fn loopback(self) -> Option<IpAddr> {
        match self {
            Family::Ipv4 => Some(LOOPBACK),
            Family::Ipv6 => Some(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)),
            Family::Unix => None,
        }
    }
}

/// Two connected stream sockets in this process: `(client, server)`.
///
/// For TCP, a listener on an ephemeral loopback port, a `connect` and an
/// `accept` (the connection completes in the kernel's backlog, so one thread
/// suffices); `prepare` runs on the listener before `listen`, where options
/// such as `SO_RCVBUF` and `SO_OOBINLINE` must be set to reach the accepted
/// socket. For AF_UNIX, `socketpair`, and `prepare` runs on the server end.
pub fn connected_pair(
    family: Family,
    prepare: impl FnOnce(&socket2::Socket) -> std::io::Result<()>,
) -> Result<(socket2::Socket, socket2::Socket), Error> {
    use socket2::{Domain, SockAddr, Socket, Type};
    let Some(ip) = family.loopback() else {
        let (client, server) = Socket::pair(Domain::UNIX, Type::STREAM, None)
            .context("socketpair(AF_UNIX, SOCK_STREAM)")?;
        prepare(&server).context("set up the receiving socket")?;
        return Ok((client, server));
    };
    let bind_to = SocketAddr::new(ip, 0);
    let listener =
        Socket::new(Domain::for_address(bind_to), Type::STREAM, None).context("socket")?;
    listener
        .bind(&SockAddr::from(bind_to))
        .context(format!("bind to {bind_to}"))?;
    prepare(&listener).context("set up the listening socket")?;
    listener.listen(1).context("listen")?;
    let addr = listener
        .local_addr()
        .context("getsockname")?
        .as_socket()
        .ok_or_else(|| Error::runtime("the listener has no IP address"))?;
    let client = Socket::new(Domain::for_address(addr), Type::STREAM, None).context("socket")?;
    client
        .connect(&SockAddr::from(addr))
        .context(format!("connect to {addr}"))?;
    let (server, _) = listener.accept().context(format!("accept on {addr}"))?;
    Ok((client, server))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_connected_in_every_family() {
        for family in Family::ALL {
            let (client, server) = connected_pair(family, |_| Ok(())).unwrap();
            client.send(b"ping").unwrap();
            let mut buf = [std::mem::MaybeUninit::new(0u8); 4];
            assert_eq!(server.recv(&mut buf).unwrap(), 4, "{family:?}");
        }
    }

    #[test]
    fn a_closed_port_stays_closed_and_cannot_be_handed_out_again() {
        let addr = closed_port().unwrap();
        // Held: a bind without SO_REUSEADDR (as any bind to port 0 is
        // treated) finds the port in use...
        let other =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        let err = other.bind(&addr.into()).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EADDRINUSE));
        // ...yet nothing listens there,
        let refused = TcpStream::connect(addr).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
        // and a server with SO_REUSEADDR may still start on it later.
        let server =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        server.set_reuse_address(true).unwrap();
        server.bind(&addr.into()).unwrap();
        server.listen(1).unwrap();
        TcpStream::connect(addr).unwrap();
    }

    #[test]
    fn accept_gives_up_when_nobody_connects() {
        let listener = TcpListener::bind((LOOPBACK, 0)).unwrap();
        let err = accept_within(&listener, Duration::from_millis(50)).unwrap_err();
        assert!(err.to_string().contains("nobody connected"), "{err}");
    }
}
