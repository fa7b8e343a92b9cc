//! SIGURG, the signal the kernel sends to a socket's owner when the peer
//! announces urgent data.
//!
//! The textbook's handler calls `recv(MSG_OOB)` and `printf`; `printf` is
//! not async-signal-safe. This handler keeps the `recv` and replaces the
//! `printf` with the self-pipe trick: it writes a two-byte record into a
//! non-blocking pipe, and the main loop, which may `poll` the pipe beside
//! the socket, prints it. The C twins do the same.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use sockref::{Context, Error};

use crate::urgent::UrgentError;

/// The socket the handler reads from, and the pipe it reports into.
static SOCKET: AtomicI32 = AtomicI32::new(-1);
static PIPE: AtomicI32 = AtomicI32::new(-1);
static READS_BYTE: AtomicBool = AtomicBool::new(false);

/// What the handler saw, one record per SIGURG.
#[derive(Debug)]
pub enum Notice {
    /// The handler read this urgent byte with MSG_OOB.
    Byte(u8),
    /// The handler's `recv(MSG_OOB)` failed.
    Failed(UrgentError),
    /// A SIGURG arrived; this handler does not read (flow-control demo).
    Signal,
}

/// An installed SIGURG handler; dropping it restores the previous one.
#[derive(Debug)]
pub struct SigurgHandler {
    pipe_read: OwnedFd,
    _pipe_write: OwnedFd,
    previous: SigAction,
}

// ANCHOR: handler
extern "C" fn on_sigurg(_signal: libc::c_int) {
    let saved_errno = Errno::last_raw();
    let mut record = [b'S', 0];
    if READS_BYTE.load(Ordering::Relaxed) {
        let mut byte = 0u8;
        // SAFETY: recv is async-signal-safe; the buffer is one live byte.
        let n = unsafe {
            libc::recv(
                SOCKET.load(Ordering::Relaxed),
                (&raw mut byte).cast(),
                1,
                libc::MSG_OOB,
            )
        };
        record = match n {
            1 => [b'B', byte],
            0 => [b'C', 0],
            _ => [b'E', Errno::last_raw() as u8],
        };
    }
    // SAFETY: write is async-signal-safe; the pipe is non-blocking, so a full
    // pipe loses a record instead of hanging the handler.
    unsafe {
        libc::write(
            PIPE.load(Ordering::Relaxed),
            record.as_ptr().cast(),
            record.len(),
        );
    }
    Errno::set_raw(saved_errno);
}
// ANCHOR_END: handler

impl SigurgHandler {
    /// `sigaction(SIGURG, ...)` without SA_RESTART, so that a blocked call
    /// fails with EINTR when the signal arrives. With `reads_byte`, the
    /// handler reads the urgent byte of `sock` with MSG_OOB, as the
    /// textbook's does; without, it only notes the signal.
    pub fn install(sock: &impl AsFd, reads_byte: bool) -> Result<Self, Error> {
        let (pipe_read, pipe_write) = nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)
            .context("pipe2 for the SIGURG handler")?;
        SOCKET.store(sock.as_fd().as_raw_fd(), Ordering::Relaxed);
        PIPE.store(pipe_write.as_raw_fd(), Ordering::Relaxed);
        READS_BYTE.store(reads_byte, Ordering::Relaxed);
        let action = SigAction::new(
            SigHandler::Handler(on_sigurg),
            SaFlags::empty(),
            SigSet::empty(),
        );
        // SAFETY: the handler calls only async-signal-safe functions (recv,
        // write) and reads atomics that are set before it is installed.
        let previous =
            unsafe { sigaction(Signal::SIGURG, &action) }.context("sigaction(SIGURG)")?;
        Ok(SigurgHandler {
            pipe_read,
            _pipe_write: pipe_write,
            previous,
        })
    }

    /// The pipe's read end: readable when a record is waiting.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.pipe_read.as_fd()
    }

    /// The records written since the last call, oldest first.
    pub fn take(&self) -> Vec<Notice> {
        let mut notices = Vec::new();
        let mut record = [0u8; 2];
        while let Ok(2) = nix::unistd::read(&self.pipe_read, &mut record) {
            notices.push(match record {
                [b'B', byte] => Notice::Byte(byte),
                [b'C', _] => Notice::Failed(UrgentError::Closed),
                [b'E', errno] => Notice::Failed(UrgentError::from_errno(i32::from(errno), false)),
                _ => Notice::Signal,
            });
        }
        notices
    }
}

impl Drop for SigurgHandler {
    fn drop(&mut self) {
        // SAFETY: restores the disposition that was in place before install.
        let _ = unsafe { sigaction(Signal::SIGURG, &self.previous) };
        PIPE.store(-1, Ordering::Relaxed);
        SOCKET.store(-1, Ordering::Relaxed);
    }
}

/// SIGURG for one thread, seen through a signalfd instead of a handler: the
/// signal is blocked in the calling thread and directed to it with
/// `F_SETOWN_EX`, so several of these can run at once in a test harness.
#[derive(Debug)]
pub struct ThreadSigurg {
    fd: nix::sys::signalfd::SignalFd,
}

impl ThreadSigurg {
    /// Blocks SIGURG in this thread and opens a signalfd for it. Does not
    /// make the thread any socket's owner: see [`crate::set_owner_thread`].
    pub fn new() -> Result<Self, Error> {
        let mut mask = SigSet::empty();
        mask.add(Signal::SIGURG);
        mask.thread_block()
            .context("pthread_sigmask(SIG_BLOCK, SIGURG)")?;
        let fd = nix::sys::signalfd::SignalFd::with_flags(
            &mask,
            nix::sys::signalfd::SfdFlags::SFD_NONBLOCK,
        )
        .context("signalfd(SIGURG)")?;
        Ok(ThreadSigurg { fd })
    }

    /// How many SIGURGs are pending for this thread now (each taken).
    /// Standard signals do not queue: several arrivals count once.
    pub fn take(&self) -> usize {
        let mut n = 0;
        while let Ok(Some(_)) = self.fd.read_signal() {
            n += 1;
        }
        n
    }

    /// Waits up to `timeout` for a SIGURG; true if one came.
    pub fn wait(&self, timeout: std::time::Duration) -> bool {
        let ready =
            sockref::peer::poll_one(self.fd.as_fd(), nix::poll::PollFlags::POLLIN, Some(timeout));
        ready.is_ok_and(|r| !r.is_empty()) && self.take() > 0
    }
}
