//! Urgent notice ahead of the data (UNP 24.2, "EWOULDBLOCK when the byte
//! has not arrived"), measured on a shaped lab link.
//!
//! The sender (side A, egress shaped by tbf) writes a backlog of normal
//! bytes, then one urgent byte. The receiver (side B) owns the socket
//! (F_SETOWN_EX to its thread) and watches SIGURG through a signalfd. Time
//! zero is the moment the sender's `send(MSG_OOB)` returned. The receiver
//! notes when SIGURG came and how many normal bytes it had read by then,
//! how often `recv(MSG_OOB)` answered EAGAIN (one try after each wake-up
//! once SIGURG was seen), when poll first showed POLLPRI, when the urgent
//! byte was read, and when the last backlog byte (the normal marker right
//! before the urgent byte) was read. A receiver that does not read only
//! watches, for a bounded time.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::PollFlags;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::socket::{MsgFlags, recv, send};
use sockref::Error;

use crate::{Lab, Side};

/// The backlogs every urgency measurement queues before its urgent byte,
/// named once for the loopback benches, the lab benches and the figures:
/// bytes, the key in bench-summary.json, the label in the book.
pub const BACKLOGS: [(usize, &str, &str); 3] = [
    (0, "0", "no backlog"),
    (64 * 1024, "64KiB", "64 KiB"),
    (1024 * 1024, "1MiB", "1 MiB"),
];

/// One measurement: a link rate, a backlog, a reading or idle receiver.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub rate_bits: u64,
    pub backlog: usize,
    /// The receiver reads normal data; otherwise it only watches.
    pub reads: bool,
    /// How long the receiver watches at most.
    pub limit: Duration,
    /// The sender's send buffer, forced (SO_SNDBUFFORCE, which needs
    /// CAP_NET_ADMIN, as the lab does) instead of left to autotuning: big
    /// enough, the whole backlog is still in it when `send(MSG_OOB)` returns.
    pub sndbuf: Option<usize>,
}

/// What the receiver saw, each time from the sender's `send(MSG_OOB)`.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub sigurg: Option<Duration>,
    pub sigurg_count: u32,
    pub read_by_sigurg: usize,
    pub eagain: u32,
    pub pollpri: Option<Duration>,
    pub urgent: Option<Duration>,
    pub marker: Option<Duration>,
    /// Normal bytes the sender managed to queue (less than the backlog
    /// when an idle receiver closed the window).
    pub queued: usize,
    /// The sender's `send(MSG_OOB)` itself failed with EAGAIN: the send
    /// buffer was full behind a shut window.
    pub urgent_refused: bool,
    /// TcpExt counters of the receiver's namespace that moved.
    pub counters: Vec<(String, u64)>,
    /// Bytes still unsent in the sender's buffer (TCP_INFO's
    /// `tcpi_notsent_bytes`) right after `send(MSG_OOB)` returned, the
    /// urgent byte included: what really queued ahead of it at time zero.
    pub notsent_at_send: Option<usize>,
    /// When the urgent byte left the sender (its unsent bytes fell to 0:
    /// poll's POLLOUT with TCP_NOTSENT_LOWAT 1), from time zero.
    pub left: Option<Duration>,
}

/// What the sender measured: time zero, bytes queued (see `queued`),
/// unsent bytes then, and when the urgent byte left.
type Origin = (Instant, usize, Option<usize>, Option<Instant>);

impl Case {
    /// The case's label: `10 Mbit/s, 64 KiB, reading`.
    pub fn label(&self) -> String {
        format!(
            "{} Mbit/s, {}, {}",
            self.rate_bits as f64 / 1e6,
            bytes_label(self.backlog),
            if self.reads { "reading" } else { "not reading" }
        )
    }
}

/// `64 KiB`, `1 MiB`, `0 B`.
pub fn bytes_label(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} B")
    }
}

/// Runs one case in a fresh lab (removed when it returns).
pub fn run(case: Case) -> Result<Report, Error> {
    let lab = Lab::new()?;
    if case.rate_bits > 0 {
        lab.shape(Side::A, case.rate_bits)?;
    }
    run_in(&lab, case)
}

/// Runs one case in an existing lab.
pub fn run_in(lab: &Lab, case: Case) -> Result<Report, Error> {
    let (port_tx, port_rx) = mpsc::channel::<Result<SocketAddr, String>>();
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let (t0_tx, t0_rx) = mpsc::channel::<Origin>();
    let server = lab.addr(Side::B);
    std::thread::scope(|s| {
        let receiver = s.spawn(move || -> Result<Report, Error> {
            lab.enter(Side::B)?;
            let listener = TcpListener::bind((server, 0))
                .map_err(|e| Error::runtime(format!("bind {server}:0: {e}")));
            let listener = match listener {
                Ok(l) => l,
                Err(e) => {
                    let _ = port_tx.send(Err(e.to_string()));
                    return Err(e);
                }
            };
            let _ = port_tx.send(listener.local_addr().map_err(|e| e.to_string()));
            let (sock, _) = sockref::peer::accept_within(&listener, Duration::from_secs(5))?;
            receive(sock, case, ready_tx, t0_rx)
        });
        let sender = s.spawn(move || -> Result<(), Error> {
            lab.enter(Side::A)?;
            let addr = port_rx
                .recv_timeout(Duration::from_secs(5))
                .map_err(|_| Error::runtime("the receiver did not start"))?
                .map_err(Error::runtime)?;
            let mut sock = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
                .map_err(|e| Error::runtime(format!("connect to {addr}: {e}")))?;
            if let Some(bytes) = case.sndbuf {
                nix::sys::socket::setsockopt(&sock, nix::sys::socket::sockopt::SndBufForce, &bytes)
                    .map_err(|e| Error::runtime(format!("SO_SNDBUFFORCE {bytes}: {e}")))?;
            }
            // Data only once the receiver owns its socket.
            ready_rx
                .recv_timeout(Duration::from_secs(5))
                .map_err(|_| Error::runtime("the receiver did not get ready"))?;
            sock.set_write_timeout(Some(Duration::from_secs(2)))
                .map_err(|e| Error::runtime(format!("SO_SNDTIMEO: {e}")))?;
            let backlog = vec![b'n'; case.backlog];
            let mut queued = 0;
            while queued < backlog.len() {
                match sock.write(&backlog[queued..]) {
                    Ok(n) => queued += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break, // the window stayed shut for 2 s
                }
            }
            match send(
                sock.as_raw_fd(),
                b"U",
                MsgFlags::MSG_OOB | MsgFlags::MSG_NOSIGNAL,
            ) {
                Ok(_) => {}
                // The window shut and the send buffer full: the urgent send
                // itself waited out SO_SNDTIMEO. Told as `usize::MAX - n`.
                Err(Errno::EAGAIN) => {
                    let _ = t0_tx.send((Instant::now(), usize::MAX - queued, None, None));
                    return Ok(());
                }
                Err(e) => return Err(Error::runtime(format!("send(MSG_OOB): {e}"))),
            }
            let sent_at = Instant::now();
            let (notsent, left) = urgent_left(&sock, case.limit);
            let _ = t0_tx.send((sent_at, queued, notsent, left));
            // Keep the connection open until the receiver is done.
            let mut sink = [0u8; 1];
            let _ = sock.set_read_timeout(Some(case.limit + Duration::from_secs(5)));
            let _ = std::io::Read::read(&mut sock, &mut sink);
            Ok(())
        });
        let report = receiver
            .join()
            .unwrap_or_else(|_| Err(Error::runtime("receiver panicked")));
        let sent = sender
            .join()
            .unwrap_or_else(|_| Err(Error::runtime("sender panicked")));
        sent?;
        report
    })
}

/// The sender's view after `send(MSG_OOB)`: the unsent bytes then, and
/// the moment they fell to zero, the urgent byte the last of them. With
/// TCP_NOTSENT_LOWAT 1 the socket polls writable only once nothing is left
/// unsent, so this waits on the kernel, not on a clock.
fn urgent_left(sock: &TcpStream, limit: Duration) -> (Option<usize>, Option<Instant>) {
    let unsent = || {
        sockref::ffi::tcp_info(sock.as_fd())
            .ok()
            .map(|i| i.tcpi_notsent_bytes as usize)
    };
    let notsent = unsent();
    if socket2::SockRef::from(sock)
        .set_tcp_notsent_lowat(1)
        .is_err()
    {
        return (notsent, None);
    }
    let deadline = Instant::now() + limit;
    loop {
        if unsent() == Some(0) {
            return (notsent, Some(Instant::now()));
        }
        let now = Instant::now();
        if now >= deadline {
            return (notsent, None);
        }
        let _ = sockref::peer::poll_one(sock.as_fd(), sockref::peer::POLLOUT, Some(deadline - now));
    }
}

fn receive(
    sock: TcpStream,
    case: Case,
    ready: mpsc::Sender<()>,
    t0_rx: mpsc::Receiver<Origin>,
) -> Result<Report, Error> {
    let before = crate::counters::tcp_ext();
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGURG);
    mask.thread_block()
        .map_err(|e| Error::runtime(format!("block SIGURG: {e}")))?;
    let sigfd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK)
        .map_err(|e| Error::runtime(format!("signalfd: {e}")))?;
    sockref::ffi::set_owner_thread(sock.as_fd(), nix::unistd::gettid().as_raw())
        .map_err(|e| Error::runtime(format!("F_SETOWN_EX: {e}")))?;
    sock.set_nonblocking(true)
        .map_err(|e| Error::runtime(format!("O_NONBLOCK: {e}")))?;
    let _ = ready.send(());
    let start = Instant::now();
    let deadline = start + case.limit + Duration::from_secs(3);
    let mut t0: Option<Origin> = None;
    let mut sigurg_at = None;
    let mut pollpri_at = None;
    let mut urgent_at = None;
    let mut marker_at = None;
    let mut read = 0usize;
    let mut r = Report::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut events = PollFlags::POLLPRI;
    if case.reads {
        events |= PollFlags::POLLIN;
    }
    loop {
        let now = Instant::now();
        if t0.is_none() {
            t0 = t0.or_else(|| t0_rx_try(&t0_rx));
        }
        if let Some((origin, ..)) = t0
            && now >= origin + case.limit
        {
            break;
        }
        if now >= deadline {
            break;
        }
        let wait = Duration::from_millis(20).min(deadline - now);
        let fds = [(sock.as_fd(), events), (sigfd.as_fd(), PollFlags::POLLIN)];
        let rev = sockref::peer::poll_many(&fds, Some(wait))
            .map_err(|e| Error::runtime(format!("poll: {e}")))?;
        let now = Instant::now();
        while let Ok(Some(_)) = sigfd.read_signal() {
            r.sigurg_count += 1;
            if sigurg_at.is_none() {
                sigurg_at = Some(now);
                r.read_by_sigurg = read;
            }
        }
        if rev[0].contains(PollFlags::POLLPRI) && pollpri_at.is_none() {
            pollpri_at = Some(now);
        }
        if (sigurg_at.is_some() || pollpri_at.is_some()) && urgent_at.is_none() {
            let mut byte = [0u8; 1];
            match recv(sock.as_raw_fd(), &mut byte, MsgFlags::MSG_OOB) {
                Ok(1) => urgent_at = Some(Instant::now()),
                Err(Errno::EAGAIN) => r.eagain += 1,
                _ => {}
            }
        }
        if case.reads && rev[0].intersects(PollFlags::POLLIN | PollFlags::POLLHUP) {
            loop {
                match recv(sock.as_raw_fd(), &mut buf, MsgFlags::empty()) {
                    Ok(0) => break,
                    Ok(n) => {
                        read += n;
                        if read >= case.backlog && marker_at.is_none() {
                            marker_at = Some(Instant::now());
                        }
                    }
                    Err(_) => break,
                }
            }
        }
        if case.backlog == 0 && marker_at.is_none() && t0.is_some() {
            marker_at = t0.map(|(o, ..)| o);
        }
        if case.reads && urgent_at.is_some() && marker_at.is_some() {
            break;
        }
    }
    if t0.is_none() {
        t0 = t0_rx.recv_timeout(Duration::from_secs(3)).ok();
    }
    let (origin, queued, notsent, left) =
        t0.ok_or_else(|| Error::runtime("the sender never sent the urgent byte"))?;
    r.notsent_at_send = notsent;
    r.left = left.map(|l| l.saturating_duration_since(origin));
    let rel = |at: Option<Instant>| at.map(|a| a.saturating_duration_since(origin));
    r.sigurg = rel(sigurg_at);
    r.pollpri = rel(pollpri_at);
    r.urgent = rel(urgent_at);
    r.marker = rel(marker_at);
    // usize::MAX - n: n bytes queued and the urgent send itself refused.
    r.urgent_refused = queued > usize::MAX / 2;
    r.queued = if r.urgent_refused {
        usize::MAX - queued
    } else {
        queued
    };
    r.counters = crate::counters::delta(&before, &crate::counters::tcp_ext());
    Ok(r)
}

fn t0_rx_try(rx: &mpsc::Receiver<Origin>) -> Option<Origin> {
    rx.try_recv().ok()
}

/// `+24 ms`, `+8.6 s`, or `never` for a time not seen.
pub fn at(d: Option<Duration>) -> String {
    match d {
        None => "never".into(),
        Some(d) if d < Duration::from_secs(1) => format!("+{} ms", d.as_millis()),
        Some(d) => format!("+{:.2} s", d.as_secs_f64()),
    }
}

/// The cases `cargo xtask lab` prints: both rates, both backlogs, then a
/// receiver that stops reading.
pub fn table_cases() -> Vec<Case> {
    let mut v = Vec::new();
    for rate in [10_000_000, 1_000_000] {
        for backlog in [64 * 1024, 1 << 20] {
            v.push(Case {
                rate_bits: rate,
                backlog,
                reads: true,
                limit: Duration::from_secs(20),
                sndbuf: None,
            });
        }
    }
    v.push(Case {
        rate_bits: 10_000_000,
        backlog: 1 << 20,
        reads: false,
        limit: Duration::from_secs(3),
        sndbuf: None,
    });
    v
}
