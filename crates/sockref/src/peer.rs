//! The in-process loopback peer of the self-demos.
//!
//! A program run with no arguments demonstrates itself: it starts its own
//! peer on an ephemeral port of 127.0.0.1 (bind to port 0, never a fixed
//! one), talks to it over a real TCP connection, and waits for it to finish.
//! Every wait is bounded, so a demo or a test always ends by itself.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::cli::{Context, Error};

/// The address self-demos listen on: the IPv4 loopback address.
pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// How long a self-demo waits for any one event before it gives up.
pub const DEMO_TIMEOUT: Duration = Duration::from_secs(5);

/// A thread that accepts one connection on a loopback port and serves it.
#[derive(Debug)]
pub struct Peer<T> {
    addr: SocketAddr,
    thread: JoinHandle<Result<T, Error>>,
}

impl<T: Send + 'static> Peer<T> {
    /// Listens on port 0 of `ip` and runs `serve` on the first connection.
    ///
    /// The listening socket exists before this returns, so the caller may
    /// connect to [`Peer::addr`] at once. If nobody connects within
    /// `timeout`, the peer gives up and [`Peer::join`] reports it.
    pub fn tcp<F>(ip: IpAddr, timeout: Duration, serve: F) -> Result<Self, Error>
    where
        F: FnOnce(TcpStream) -> Result<T, Error> + Send + 'static,
    {
        let listener = TcpListener::bind((ip, 0)).context(format!("bind to {ip} port 0"))?;
        Self::with_listener(listener, timeout, serve)
    }

    /// Like [`Peer::tcp`], on a listener the caller prepared (for example
    /// with a socket option set before `listen`).
    pub fn with_listener<F>(
        listener: TcpListener,
        timeout: Duration,
        serve: F,
    ) -> Result<Self, Error>
    where
        F: FnOnce(TcpStream) -> Result<T, Error> + Send + 'static,
    {
        let addr = listener
            .local_addr()
            .context("getsockname on the peer's listener")?;
        let thread = thread::Builder::new()
            .name("loopback-peer".into())
            .spawn(move || {
                let stream = accept_within(&listener, timeout)?;
                drop(listener);
                serve(stream)
            })
            .context("spawn the peer thread")?;
        Ok(Peer { addr, thread })
    }

    /// The address the peer listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits for the peer to finish and returns what it returned.
    pub fn join(self) -> Result<T, Error> {
        self.thread
            .join()
            .unwrap_or_else(|_| Err(Error::runtime("the loopback peer thread panicked")))
    }
}

/// `accept`, bounded by `timeout`: the listener is polled first.
pub fn accept_within(listener: &TcpListener, timeout: Duration) -> Result<TcpStream, Error> {
    let addr = listener.local_addr().context("getsockname")?;
    if !wait_for(listener.as_fd(), PollFlags::POLLIN, timeout)
        .context(format!("poll the listener on {addr}"))?
    {
        return Err(Error::runtime(format!(
            "accept on {addr}: nobody connected within {timeout:?}"
        )));
    }
    let (stream, _) = listener.accept().context(format!("accept on {addr}"))?;
    Ok(stream)
}

/// `poll` on one descriptor: true once any of `events` is reported, false on
/// timeout. Errors and hang-ups count as events, so the caller's next call
/// sees them.
pub fn wait_for(
    fd: std::os::fd::BorrowedFd<'_>,
    events: PollFlags,
    timeout: Duration,
) -> nix::Result<bool> {
    let ms = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
    let mut fds = [PollFd::new(fd, events)];
    loop {
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) => return Ok(false),
            Ok(_) => return Ok(true),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn peer_serves_one_connection_on_an_ephemeral_port() {
        let peer = Peer::tcp(LOOPBACK, DEMO_TIMEOUT, |mut s| {
            let mut buf = String::new();
            s.read_to_string(&mut buf).context("read")?;
            Ok(buf)
        })
        .unwrap();
        assert_ne!(peer.addr().port(), 0);
        let mut c = TcpStream::connect(peer.addr()).unwrap();
        c.write_all(b"hello").unwrap();
        drop(c);
        assert_eq!(peer.join().unwrap(), "hello");
    }

    #[test]
    fn peer_gives_up_when_nobody_connects() {
        let peer = Peer::tcp(LOOPBACK, Duration::from_millis(50), |_| Ok(())).unwrap();
        let err = peer.join().unwrap_err();
        assert!(err.to_string().contains("nobody connected"), "{err}");
    }
}
