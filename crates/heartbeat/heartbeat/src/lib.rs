//! Section "Heartbeat" (UNP 24.5): keeping watch on a TCP peer with
//! urgent bytes.
//!
//! The client sends one urgent byte (a probe) every `nsec` seconds; the
//! server answers each probe with an urgent byte of its own. Each side
//! keeps a counter that its timer raises by one every `nsec` and that
//! every byte heard from the peer sets back to zero; when the counter
//! passes `nprobes`, the peer is declared dead. Urgent bytes are used so
//! that a probe overtakes no data but is noticed (SIGURG, POLLPRI) without
//! reading the normal stream.
//!
//! UNP drives this with two signal handlers (SIGURG, SIGALRM). Here, and in
//! the C twins (`c/heartbeat.h`), the same two signals arrive as
//! descriptors: SIGURG through a signalfd, the alarm as a periodic timerfd,
//! and one `poll` waits for both and for the socket. Nothing runs in a
//! signal handler, and a stopped process that resumes sees one pending tick
//! however many periods it missed, as it would see one pending SIGALRM.
//!
//! # The bound
//!
//! Ticks fall at `t_k = k × nsec` from the start. Let the last byte from
//! the peer arrive at `r`, between ticks `t_j < r ≤ t_(j+1)`. The counter is
//! 0 after `r`, 1 at `t_(j+1)`, ..., and `nprobes + 1` at `t_(j+nprobes+1)`,
//! where the peer is declared dead. So the detection time `D` satisfies
//!
//! ```text
//!     nprobes × nsec  ≤  D − r  <  (nprobes + 1) × nsec
//! ```
//!
//! (plus the scheduling delay of one timer expiry). For the client, whose
//! reply comes one round trip after its own tick, `D − r` is almost exactly
//! `(nprobes + 1) × nsec − rtt`. Measured from the moment the link is cut
//! instead, the last reply may be up to one period older, so detection
//! falls between `nprobes × nsec` and `(nprobes + 1) × nsec` after the
//! last tick whose probe got through. `tests/bound.rs` checks the bound on
//! loopback and on the lab with the link taken down.
#![forbid(unsafe_code)]

pub mod demo;

use std::io;
use std::net::TcpStream;
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::PollFlags;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::socket::{MsgFlags, recv, send};
use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use sockref::{Context, Error};

/// UNP's defaults: a probe every second, dead after five unanswered.
pub const DEFAULT_NSEC: Duration = Duration::from_secs(1);
pub const DEFAULT_NPROBES: u32 = 5;

/// How often to probe and how many probes may go unanswered.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub nsec: Duration,
    pub nprobes: u32,
}

impl Config {
    /// The shortest time from the last byte heard to the verdict.
    pub fn lower_bound(&self) -> Duration {
        self.nsec * self.nprobes
    }

    /// The longest time from the last byte heard to the verdict (before
    /// the scheduling delay of the timer).
    pub fn upper_bound(&self) -> Duration {
        self.nsec * (self.nprobes + 1)
    }
}

/// Which end of the heartbeat this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sends a probe at every tick; a reply resets its counter.
    Client,
    /// Answers every probe; a probe resets its counter.
    Server,
}

/// What happened, as [`Heartbeat::step`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A byte came from the peer: a reply (client) or a probe that was
    /// answered (server). The counter is back at 0. `after_silence` tells
    /// whether at least one period had gone by without a byte.
    Heard { byte: u8, after_silence: bool },
    /// A tick found `missed` whole periods without a byte (1 to
    /// `nprobes - 1`); the client sent a probe.
    Missed { missed: u32 },
    /// A tick in a healthy period (the client sent a probe).
    Tick,
    /// The counter passed `nprobes`: the peer is dead.
    Dead { missed: u32 },
    /// The peer closed the connection.
    Closed,
    /// The peer reset the connection (RST), or it was reset under us: a
    /// call on the socket failed with ECONNRESET, EPIPE or ENOTCONN. The
    /// text names the call and the reason.
    Reset(&'static str, Errno),
}

/// The errors that mean the connection itself is gone (the peer reset it),
/// not that this side failed.
fn is_reset(e: Errno) -> bool {
    matches!(e, Errno::ECONNRESET | Errno::EPIPE | Errno::ENOTCONN)
}

impl Step {
    /// For [`Step::Reset`]: `recv: Connection reset by peer (os error 104)`.
    pub fn reset_reason(&self) -> Option<String> {
        match self {
            Step::Reset(call, e) => Some(format!("{call}: {}", io::Error::from(*e))),
            _ => None,
        }
    }
}

/// One end of a heartbeat over a connected TCP socket.
#[derive(Debug)]
pub struct Heartbeat {
    sock: TcpStream,
    role: Role,
    config: Config,
    sigurg: SignalFd,
    timer: TimerFd,
    counter: u32,
    sent: u32,
    heard: u32,
    last_heard: Instant,
    started: Instant,
}

impl Heartbeat {
    /// Takes over `sock`: SIGURG is blocked in the calling thread and
    /// directed to it (F_SETOWN_EX), read through a signalfd; a periodic
    /// timer of `nsec` starts. Call [`Heartbeat::step`] from this thread.
    pub fn new(sock: TcpStream, role: Role, config: Config) -> Result<Heartbeat, Error> {
        let mut mask = SigSet::empty();
        mask.add(Signal::SIGURG);
        mask.thread_block()
            .context("pthread_sigmask(SIG_BLOCK, SIGURG)")?;
        let sigurg =
            SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK).context("signalfd(SIGURG)")?;
        sockref::ffi::set_owner_thread(sock.as_fd(), nix::unistd::gettid().as_raw())
            .context("fcntl(F_SETOWN_EX)")?;
        sock.set_nonblocking(true).context("fcntl(O_NONBLOCK)")?;
        let timer = TimerFd::new(ClockId::CLOCK_MONOTONIC, TimerFlags::TFD_NONBLOCK)
            .context("timerfd_create")?;
        timer
            .set(
                Expiration::Interval(TimeSpec::from_duration(config.nsec)),
                TimerSetTimeFlags::empty(),
            )
            .context("timerfd_settime")?;
        let now = Instant::now();
        Ok(Heartbeat {
            sock,
            role,
            config,
            sigurg,
            timer,
            counter: 0,
            sent: 0,
            heard: 0,
            last_heard: now,
            started: now,
        })
    }

    /// When the last byte from the peer arrived (the start, before any).
    pub fn last_heard(&self) -> Instant {
        self.last_heard
    }

    /// When the heartbeat started (the timer's origin).
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Probes sent (client) or answers sent (server).
    pub fn sent(&self) -> u32 {
        self.sent
    }

    /// Bytes heard from the peer.
    pub fn heard(&self) -> u32 {
        self.heard
    }

    /// Closes the connection with FIN, not RST: a normal read first steps
    /// over the holes that urgent bytes read with MSG_OOB left in the
    /// stream. Their segments stay queued until a normal read passes them,
    /// and closing a socket with unread data queued sends RST (RFC 2525).
    pub fn close(mut self) -> Result<(), Error> {
        self.drain_normal().map(drop)
    }

    /// The socket, for the caller's own use (its address, shutting down).
    pub fn socket(&self) -> &TcpStream {
        &self.sock
    }

    // ANCHOR: step
    /// Waits for the next step. Every wait ends by the next tick, so this
    /// returns within one period at most.
    pub fn step(&mut self) -> Result<Step, Error> {
        loop {
            let fds = [
                (self.sock.as_fd(), PollFlags::POLLIN | PollFlags::POLLPRI),
                (self.sigurg.as_fd(), PollFlags::POLLIN),
                (self.timer.as_fd(), PollFlags::POLLIN),
            ];
            let ready =
                sockref::peer::poll_many(&fds, Some(self.config.nsec * 2)).context("poll")?;
            // The peer first: a byte that came in the same wake-up as a
            // tick counts before the tick.
            while let Ok(Some(_)) = self.sigurg.read_signal() {}
            if let Some(step) = self.take_urgent()? {
                return Ok(step);
            }
            if ready[0].intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR)
                && let Some(end) = self.drain_normal()?
            {
                return Ok(end);
            }
            if ready[2].contains(PollFlags::POLLIN) {
                // However many periods went by, one tick: signals do not queue.
                let _ = self.timer.wait();
                return self.tick();
            }
        }
    }

    // ANCHOR_END: step

    /// `recv(MSG_OOB)`: a byte from the peer, if one is there.
    fn take_urgent(&mut self) -> Result<Option<Step>, Error> {
        let mut byte = [0u8; 1];
        match recv(self.sock.as_raw_fd(), &mut byte, MsgFlags::MSG_OOB) {
            Ok(1) => {}
            // EINVAL: no urgent byte (or already read); EAGAIN: announced,
            // not yet here (POLLPRI will say when).
            Ok(_) | Err(Errno::EINVAL) | Err(Errno::EAGAIN) => return Ok(None),
            Err(e) if is_reset(e) => return Ok(Some(Step::Reset("recv(MSG_OOB)", e))),
            Err(e) => {
                return Err(Error::runtime(format!(
                    "recv(MSG_OOB): {}",
                    io::Error::from(e)
                )));
            }
        }
        if self.role == Role::Server
            && let Err(e) = self.send_urgent(byte[0])?
        {
            return Ok(Some(Step::Reset("send(MSG_OOB)", e)));
        }
        let after_silence = self.counter > 1;
        if self.role == Role::Server && self.heard == 0 {
            // The server's clock restarts half a period after the first
            // probe, so that probes fall in the middle of its periods and a
            // little jitter never puts two in one period and none in the next.
            self.timer
                .set(
                    Expiration::IntervalDelayed(
                        TimeSpec::from_duration(self.config.nsec / 2),
                        TimeSpec::from_duration(self.config.nsec),
                    ),
                    TimerSetTimeFlags::empty(),
                )
                .context("timerfd_settime")?;
        }
        self.counter = 0;
        self.heard += 1;
        self.last_heard = Instant::now();

        Ok(Some(Step::Heard {
            byte: byte[0],
            after_silence,
        }))
    }

    /// Normal bytes: older probes that a newer urgent byte turned into
    /// normal data, or whatever a misbehaving peer sends (all dropped).
    /// `Closed` at end of file, `Reset` if the connection was reset, and
    /// the urgent byte's step if the reads reach a mark whose byte is unread.
    fn drain_normal(&mut self) -> Result<Option<Step>, Error> {
        // exercise: hb-server/drain
        let mut buf = [0u8; 256];
        loop {
            // At the mark with the urgent byte unread, a normal read would
            // step over the byte and lose it: take it first. A byte that
            // came while the previous read ran is caught here.
            if sockref::ffi::sockatmark(self.sock.as_fd()).context("sockatmark")?
                && let Some(step) = self.take_urgent()?
            {
                return Ok(Some(step));
            }
            match recv(self.sock.as_raw_fd(), &mut buf, MsgFlags::empty()) {
                Ok(0) => return Ok(Some(Step::Closed)),
                Ok(_) => continue,
                Err(Errno::EAGAIN) => return Ok(None),
                Err(e) if is_reset(e) => return Ok(Some(Step::Reset("recv", e))),
                Err(e) => return Err(Error::runtime(format!("recv: {}", io::Error::from(e)))),
            }
        }
        // end exercise
    }

    fn tick(&mut self) -> Result<Step, Error> {
        // exercise: hb-client/tick
        self.counter += 1;
        let missed = self.counter - 1;
        if self.counter > self.config.nprobes {
            return Ok(Step::Dead { missed });
        }
        if self.role == Role::Client {
            self.sent += 1;
            if let Err(e) = self.send_urgent(self.sent as u8)? {
                return Ok(Step::Reset("send(MSG_OOB)", e));
            }
        }
        Ok(if missed == 0 {
            Step::Tick
        } else {
            Step::Missed { missed }
        })
        // end exercise
    }

    /// Sends one urgent byte; `Ok(Err(errno))` if the connection was reset.
    fn send_urgent(&mut self, byte: u8) -> Result<Result<(), Errno>, Error> {
        // exercise: hb-client/probe
        match send(
            self.sock.as_raw_fd(),
            &[byte],
            MsgFlags::MSG_OOB | MsgFlags::MSG_NOSIGNAL,
        ) {
            Ok(_) => {
                if self.role == Role::Server {
                    self.sent += 1;
                }
                Ok(Ok(()))
            }
            // A full send buffer (a long-dead link): the counter decides.
            Err(Errno::EAGAIN) => Ok(Ok(())),
            Err(e) if is_reset(e) => Ok(Err(e)),
            Err(e) => Err(Error::Runtime(format!(
                "send(MSG_OOB): {}",
                io::Error::from(e)
            ))),
        }
        // end exercise
    }
}

/// The options both programs take.
#[derive(Debug, Default)]
pub struct Options {
    pub positional: Vec<String>,
    pub nsec: Option<Duration>,
    pub nprobes: Option<u32>,
    /// hb-client: close after this many replies.
    pub count: Option<u32>,
    /// The self-demo's peer process (internal): `IP PORT` to connect to.
    pub demo_peer: bool,
}

impl Options {
    /// Reads the command line; `count` is accepted only if `with_count`.
    pub fn from_env(with_count: bool) -> Result<Options, Error> {
        use sockref::lexopt::{Arg, Parser};
        let mut parser = Parser::from_env();
        let mut opts = Options::default();
        while let Some(arg) = parser.next()? {
            match arg {
                Arg::Long("nsec") => {
                    let text = sockref::cli::utf8(parser.value()?)?;
                    opts.nsec = Some(sockref::cli::parse_seconds(&text)?);
                }
                Arg::Long("nprobes") => {
                    opts.nprobes = Some(whole(parser.value()?, "--nprobes")?);
                }
                Arg::Long("count") if with_count => {
                    opts.count = Some(whole(parser.value()?, "--count")?);
                }
                Arg::Long("demo-peer") => match parser.optional_value() {
                    None => opts.demo_peer = true,
                    Some(v) => {
                        return Err(Error::usage(format!(
                            "invalid option '--demo-peer={}'",
                            v.to_string_lossy()
                        )));
                    }
                },
                Arg::Value(v) => opts.positional.push(sockref::cli::utf8(v)?),
                other => return Err(sockref::cli::unexpected(other.into(), &mut parser)),
            }
        }
        Ok(opts)
    }

    /// The configuration, with `defaults` where an option is absent.
    pub fn config(&self, defaults: Config) -> Config {
        Config {
            nsec: self.nsec.unwrap_or(defaults.nsec),
            nprobes: self.nprobes.unwrap_or(defaults.nprobes),
        }
    }
}

fn whole(value: std::ffi::OsString, what: &str) -> Result<u32, Error> {
    let text = sockref::cli::utf8(value)?;
    sockref::cli::whole_number(&text)
        .filter(|n| (1..=1000).contains(n))
        .map(|n| n as u32)
        .ok_or_else(|| {
            Error::usage(format!(
                "{what} '{text}' is not a whole number from 1 to 1000"
            ))
        })
}

/// Seconds as the C twins print them with `%g`: `0.2`, `1`.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    format!("{}", (s * 1e6).round() / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{Ipv4Addr, TcpListener};

    /// The race hb-server's hostile test once lost: normal data, then a
    /// probe arriving while the server drained that data. A normal read at
    /// the mark steps over an unread urgent byte and the kernel forgets it
    /// (`an_urgent_byte_never_read_with_msg_oob_is_dropped_by_normal_reads`),
    /// so the drain must take the byte when it reaches the mark.
    #[test]
    fn a_drain_that_reaches_an_unread_urgent_byte_takes_it_instead_of_stepping_over_it() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        // Both have arrived: the garbage, then the probe at the mark.
        (&client).write_all(b"garbage").unwrap();
        nix::sys::socket::send(client.as_raw_fd(), b"p", MsgFlags::MSG_OOB).unwrap();
        let ready = sockref::peer::poll_one(
            server.as_fd(),
            PollFlags::POLLPRI,
            Some(sockref::peer::DEMO_TIMEOUT),
        )
        .unwrap();
        assert!(ready.contains(PollFlags::POLLPRI));
        let config = Config {
            nsec: Duration::from_secs(1),
            nprobes: 3,
        };
        let mut hb = Heartbeat::new(server, Role::Server, config).unwrap();
        // The step would take the byte before draining; the drain alone is
        // what met the byte in the race.
        assert_eq!(
            hb.drain_normal().unwrap(),
            Some(Step::Heard {
                byte: b'p',
                after_silence: false
            })
        );
        assert_eq!(hb.heard(), 1);
    }
}
