//! The safe operations on urgent data, each one socket call.
//!
//! | C                                   | here                       |
//! |-------------------------------------|----------------------------|
//! | `send(fd, buf, n, MSG_OOB)`         | [`send_urgent`]            |
//! | `recv(fd, &c, 1, MSG_OOB)`          | [`recv_urgent`]            |
//! | `sockatmark(fd)`                    | [`sockatmark`]             |
//! | `ioctl(fd, SIOCATMARK, &flag)`      | [`siocatmark`]             |
//! | `setsockopt(SO_OOBINLINE)`          | [`set_oob_inline`]         |
//! | `fcntl(fd, F_SETOWN, getpid())`     | [`set_owner`]              |
//! | `poll(POLLPRI)`, select's exceptfds | [`wait_urgent`]            |
//!
//! The errors of `recv(MSG_OOB)` are named by what they mean ([`UrgentError`])
//! instead of a bare errno.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::PollFlags;
use nix::sys::socket::{MsgFlags, recv, send};
use socket2::SockRef;

/// Why `recv(MSG_OOB)` returned no byte.
#[derive(Debug)]
pub enum UrgentError {
    /// EINVAL: there is no urgent byte to read. None was sent, it was read
    /// already, or normal reads went past it and it was dropped.
    NonePending,
    /// EINVAL with SO_OOBINLINE set: the urgent byte stays in the normal
    /// stream and is read with plain reads.
    Inline,
    /// EAGAIN: the peer announced urgent data (SIGURG fired, the mark is
    /// known) but the byte itself has not arrived yet, as under flow control.
    NotYetArrived,
    /// The peer closed the connection before the announced byte arrived.
    Closed,
    /// EINTR: a signal handler ran during the call.
    Interrupted,
    /// Any other failure of the call.
    Io(io::Error),
}

impl fmt::Display for UrgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrgentError::NonePending => f.write_str("no urgent data pending (EINVAL)"),
            UrgentError::Inline => {
                f.write_str("SO_OOBINLINE is set: read the byte inline (EINVAL)")
            }
            UrgentError::NotYetArrived => {
                f.write_str("urgent byte announced but not yet arrived (EAGAIN)")
            }
            UrgentError::Closed => f.write_str("the peer closed before the urgent byte arrived"),
            UrgentError::Interrupted => f.write_str("interrupted by a signal (EINTR)"),
            UrgentError::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for UrgentError {}

impl UrgentError {
    /// The errno the call failed with, if any.
    pub fn errno(&self) -> Option<i32> {
        match self {
            UrgentError::NonePending | UrgentError::Inline => Some(libc::EINVAL),
            UrgentError::NotYetArrived => Some(libc::EAGAIN),
            UrgentError::Interrupted => Some(libc::EINTR),
            UrgentError::Closed => None,
            UrgentError::Io(e) => e.raw_os_error(),
        }
    }

    /// Names an errno returned by `recv(MSG_OOB)`; `inline` tells whether
    /// SO_OOBINLINE is set, which is what an EINVAL then means.
    pub fn from_errno(errno: i32, inline: bool) -> UrgentError {
        match Errno::from_raw(errno) {
            Errno::EINVAL if inline => UrgentError::Inline,
            Errno::EINVAL => UrgentError::NonePending,
            Errno::EAGAIN => UrgentError::NotYetArrived,
            Errno::EINTR => UrgentError::Interrupted,
            _ => UrgentError::Io(io::Error::from_raw_os_error(errno)),
        }
    }
}

/// `send(fd, data, len, MSG_OOB)`. Only the last byte of `data` becomes
/// urgent; the bytes before it are normal data.
pub fn send_urgent(sock: &impl AsFd, data: &[u8]) -> io::Result<usize> {
    // MSG_NOSIGNAL: a peer that reset the connection gives EPIPE, not SIGPIPE.
    Ok(send(
        sock.as_fd().as_raw_fd(),
        data,
        MsgFlags::MSG_OOB | MsgFlags::MSG_NOSIGNAL,
    )?)
}

/// `recv(fd, &byte, 1, MSG_OOB)`: the urgent byte, out of the normal stream.
pub fn recv_urgent(sock: &impl AsFd) -> Result<u8, UrgentError> {
    let mut byte = [0u8; 1];
    match recv(sock.as_fd().as_raw_fd(), &mut byte, MsgFlags::MSG_OOB) {
        Ok(1) => Ok(byte[0]),
        Ok(_) => Err(UrgentError::Closed),
        Err(errno) => {
            let inline = oob_inline(sock).unwrap_or(false);
            Err(UrgentError::from_errno(errno as i32, inline))
        }
    }
}

/// `recv(fd, buf, len, flags)` for normal data: the bytes read, 0 at EOF.
pub fn recv_normal(sock: &impl AsFd, buf: &mut [u8], flags: MsgFlags) -> io::Result<usize> {
    Ok(recv(sock.as_fd().as_raw_fd(), buf, flags)?)
}

/// `send(fd, data, len, 0)` for normal data.
pub fn send_normal(sock: &impl AsFd, data: &[u8]) -> io::Result<usize> {
    Ok(send(
        sock.as_fd().as_raw_fd(),
        data,
        MsgFlags::MSG_NOSIGNAL,
    )?)
}

/// `sockatmark(fd)`: is the read pointer at the urgent mark? It stays true
/// after the urgent byte was read with MSG_OOB, until a normal read moves on.
pub fn sockatmark(sock: &impl AsFd) -> io::Result<bool> {
    sockref::ffi::sockatmark(sock.as_fd())
}

/// `ioctl(fd, SIOCATMARK, &flag)`: the same question as [`sockatmark`],
/// asked the way the IBM sockets guide does.
pub fn siocatmark(sock: &impl AsFd) -> io::Result<bool> {
    sockref::ffi::siocatmark(sock.as_fd())
}

/// `setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, on)`: keep urgent bytes in the
/// normal stream, where the mark still shows where they are.
pub fn set_oob_inline(sock: &impl AsFd, on: bool) -> io::Result<()> {
    SockRef::from(sock).set_out_of_band_inline(on)
}

/// `getsockopt(fd, SOL_SOCKET, SO_OOBINLINE)`.
pub fn oob_inline(sock: &impl AsFd) -> io::Result<bool> {
    SockRef::from(sock).out_of_band_inline()
}

/// `fcntl(fd, F_SETOWN, getpid())`: without an owner the kernel sends no
/// SIGURG for this socket. `accept` does not pass the owner on.
pub fn set_owner(sock: &impl AsFd) -> io::Result<()> {
    sockref::ffi::set_owner(sock.as_fd(), std::process::id() as libc::pid_t)
}

/// `fcntl(fd, F_SETOWN_EX, {F_OWNER_TID, gettid()})`: SIGURG goes to the
/// calling thread only.
pub fn set_owner_thread(sock: &impl AsFd) -> io::Result<()> {
    sockref::ffi::set_owner_thread(sock.as_fd(), nix::unistd::gettid().as_raw())
}

/// `fcntl(fd, F_GETOWN)`: the owner's pid, 0 for none. For tests (the
/// `testing` feature).
#[cfg(feature = "testing")]
pub fn owner(sock: &impl AsFd) -> io::Result<libc::pid_t> {
    sockref::ffi::owner(sock.as_fd())
}

/// `poll(fd, POLLPRI)`: waits until an urgent byte is there to be read with
/// MSG_OOB; false on timeout. `None` waits for ever.
pub fn wait_urgent(sock: &impl AsFd, timeout: Option<Duration>) -> io::Result<bool> {
    let events = sockref::peer::poll_one(sock.as_fd(), PollFlags::POLLPRI, timeout)?;
    Ok(events.contains(PollFlags::POLLPRI))
}

/// The poll events of `sock` right now (POLLIN, POLLPRI, POLLRDHUP, ...).
/// For tests (the `testing` feature).
#[cfg(feature = "testing")]
pub fn poll_now(sock: &impl AsFd) -> io::Result<PollFlags> {
    let all = PollFlags::POLLIN | PollFlags::POLLPRI | sockref::peer::POLLRDHUP;
    Ok(sockref::peer::poll_one(
        sock.as_fd(),
        all,
        Some(Duration::ZERO),
    )?)
}

/// `ioctl(fd, FIONREAD)`: on TCP, the bytes before the mark; at the mark, 0.
/// For tests (the `testing` feature).
#[cfg(feature = "testing")]
pub fn unread_bytes(sock: &impl AsFd) -> io::Result<usize> {
    sockref::ffi::unread_bytes(sock.as_fd())
}

/// Data as the transcripts quote it.
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}
