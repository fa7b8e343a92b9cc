//! How a receiver waits: for a real peer (`Live`), or in a self-demo
//! (`Lockstep`), where the sender runs in the same thread and sends its next
//! burst only when the receiver would otherwise block. Lockstep makes the
//! self-demo's transcript the same on every run without a single sleep: the
//! receiver always sees a burst whole, as it would after the textbook's
//! one-second pauses.

use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use nix::poll::PollFlags;
use sockref::peer::poll_many;
use sockref::{Context, Error};

use crate::sender::Sender;

/// How the receiver's waits are paced.
#[derive(Debug)]
pub enum Pace<'a> {
    /// A real peer. `timeout` bounds each wait (`None`: wait for ever, as the
    /// C programs do); with `wait_eof`, the first wait lasts until the peer
    /// has sent everything and shut down, so the transcript no longer
    /// depends on how the segments were timed.
    Live {
        timeout: Option<Duration>,
        wait_eof: bool,
    },
    /// The self-demo: `sender` sends a burst each time the receiver, reading
    /// from `receiver`, would block.
    Lockstep {
        sender: Sender,
        receiver: BorrowedFd<'a>,
        timeout: Duration,
    },
}

impl Pace<'_> {
    /// How long one wait may last.
    pub fn timeout(&self) -> Option<Duration> {
        match self {
            Pace::Live { timeout, .. } => *timeout,
            Pace::Lockstep { timeout, .. } => Some(*timeout),
        }
    }

    /// Called just before the receiver blocks waiting for any of `fds`.
    /// Live, it returns at once (after the end of the stream with
    /// `wait_eof`, the first time). Lockstep, it lets the sender send
    /// bursts until one of `fds` is ready or the sender is done. The
    /// connection is `fds[0]`: that is where `wait_eof` waits for the end.
    pub fn before_block(&mut self, fds: &[(BorrowedFd<'_>, PollFlags)]) -> Result<(), Error> {
        match self {
            Pace::Live { wait_eof, timeout } => {
                if std::mem::take(wait_eof) {
                    let conn = fds[0].0;
                    let ready = sockref::peer::poll_one(conn, sockref::peer::POLLRDHUP, *timeout)
                        .context("poll(POLLRDHUP)")?;
                    if ready.is_empty() {
                        return Err(Error::runtime(
                            "the sender did not finish within the timeout",
                        ));
                    }
                }
                Ok(())
            }
            Pace::Lockstep {
                sender,
                receiver,
                timeout,
            } => {
                while poll_many(fds, Some(Duration::ZERO))
                    .context("poll")?
                    .iter()
                    .all(|r| r.is_empty())
                {
                    if !sender.send_burst()? {
                        break;
                    }
                    if sender.scenario().arrives_at_once() {
                        wait_for_arrival(*receiver, sender.bytes_sent(), *timeout)?;
                    }
                }
                Ok(())
            }
        }
    }

    /// [`Pace::before_block`], then `poll` on `fds` within the timeout: the
    /// events of each descriptor.
    pub fn wait(&mut self, fds: &[(BorrowedFd<'_>, PollFlags)]) -> Result<Vec<PollFlags>, Error> {
        self.before_block(fds)?;
        let ready = poll_many(fds, self.timeout()).context("poll")?;
        if ready.iter().all(|r| r.is_empty()) {
            return Err(Error::runtime(format!(
                "nothing arrived within {} s (see --timeout)",
                self.timeout().unwrap_or_default().as_secs_f64()
            )));
        }
        Ok(ready)
    }

    /// [`Pace::wait`], but live a wait that outlasts `limit` (or the
    /// timeout, if shorter) is not an error: `None` says nothing came. In
    /// lockstep the self-demo's sender is known, and the wait is a
    /// [`Pace::wait`].
    pub fn wait_at_most(
        &mut self,
        fds: &[(BorrowedFd<'_>, PollFlags)],
        limit: Duration,
    ) -> Result<Option<Vec<PollFlags>>, Error> {
        let Pace::Live { timeout, .. } = self else {
            return self.wait(fds).map(Some);
        };
        let limit = timeout.map_or(limit, |t| t.min(limit));
        self.before_block(fds)?;
        let ready = poll_many(fds, Some(limit)).context("poll")?;
        Ok((!ready.iter().all(|r| r.is_empty())).then_some(ready))
    }

    /// [`Pace::wait`] on one socket.
    pub fn wait_one(&mut self, sock: &impl AsFd, events: PollFlags) -> Result<PollFlags, Error> {
        Ok(self.wait(&[(sock.as_fd(), events)])?[0])
    }
}

/// Waits until the receiving socket has taken in `bytes` bytes, by asking
/// the kernel (TCP_INFO's bytes received). On loopback that is normally
/// true at once; the check keeps the demo exact on a loaded machine.
/// AF_UNIX sockets deliver within `send` itself and have no TCP_INFO.
pub fn wait_for_arrival(
    receiver: BorrowedFd<'_>,
    bytes: u64,
    timeout: Duration,
) -> Result<(), Error> {
    let deadline = Instant::now() + timeout;
    loop {
        let received = match sockref::ffi::tcp_info(receiver) {
            Ok(info) => info.tcpi_bytes_received,
            Err(e) if matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP | libc::ENOPROTOOPT)) => {
                return Ok(());
            }
            Err(e) => return Err(Error::runtime(format!("getsockopt(TCP_INFO): {e}"))),
        };
        if received >= bytes {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(Error::runtime(format!(
                "only {received} of {bytes} bytes reached the receiver"
            )));
        }
        std::thread::yield_now();
    }
}
