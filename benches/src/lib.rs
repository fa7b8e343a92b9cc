//! The measuring rigs of the chapter "Measuring urgency".
//!
//! - [`Echo`]: a one-byte ping-pong over a loopback TCP connection with
//!   TCP_NODELAY, driven three ways: `std`, raw `send`/`recv` through nix,
//!   and a C loop built into this binary (`c/pingpong.c`).
//! - [`UrgentRig`]: how long the receiver takes to learn of a marker sent
//!   behind a backlog of unread data: an urgent byte (the receiver is woken
//!   by POLLPRI, or by SIGURG), or a normal byte (the receiver must read
//!   through the backlog to reach it). The receiver notes the time it woke
//!   and the time it held the marker, then answers with one byte, and the
//!   sender times from its send to that answer; the answer is normal data,
//!   which also carries the ACK that `recv(MSG_OOB)` never sends, so the
//!   delayed-ACK stall of an unanswered urgent byte cannot creep in.
//! - [`sweep`]: the rig over backlogs from nothing to 4 MiB and several
//!   receive buffers, with controls, and the kernel's TCP counters read
//!   around every sample.
//!
//! Every individual sample is kept ([`record`], [`sweep`]) so that the
//! median and the 99th percentile can be reported beside criterion's
//! estimates.

pub mod sweep;

/// The backlogs queued before a marker, named once for every bench and
/// figure: bytes, the key in bench-summary.json, the label in the book.
pub use netlab::notice::BACKLOGS;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::poll::PollFlags;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::socket::MsgFlags;
use socket2::Socket;
use sockref::peer::{Family, connected_pair, poll_many, poll_one};

mod ffi {
    // SAFETY: matches `int c_ping_pong(int fd, long rounds)` in c/pingpong.c,
    // compiled into this crate by build.rs.
    unsafe extern "C" {
        pub fn c_ping_pong(fd: libc::c_int, rounds: libc::c_long) -> libc::c_int;
    }
}

/// How long any one wait in a rig may last before the run is abandoned.
const LIMIT: Duration = Duration::from_secs(10);

static SAMPLES: Mutex<BTreeMap<String, Vec<Duration>>> = Mutex::new(BTreeMap::new());

/// Keeps one sample of the case `name`.
pub fn record(name: &str, sample: Duration) {
    let mut all = SAMPLES.lock().unwrap_or_else(|p| p.into_inner());
    all.entry(name.to_string()).or_default().push(sample);
}

/// Median, 99th percentile, mean and count of every case, in microseconds.
pub fn summary() -> serde_json::Value {
    let all = SAMPLES.lock().unwrap_or_else(|p| p.into_inner());
    let mut cases = serde_json::Map::new();
    for (name, samples) in all.iter() {
        let mut us: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e6).collect();
        us.sort_by(f64::total_cmp);
        let pick = |q: f64| us[((us.len() - 1) as f64 * q).round() as usize];
        let mean = us.iter().sum::<f64>() / us.len() as f64;
        let round = |x: f64| (x * 100.0).round() / 100.0;
        cases.insert(
            name.clone(),
            serde_json::json!({ "median_us": round(pick(0.5)), "p99_us": round(pick(0.99)), "mean_us": round(mean), "samples": us.len() }),
        );
    }
    serde_json::Value::Object(cases)
}

/// The receiving socket's buffer in a rig.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RcvBuf {
    /// SO_RCVBUF left alone: the kernel starts from `tcp_rmem`'s default
    /// and grows the buffer as the receiver reads (autotuning).
    Autotuned,
    /// SO_RCVBUF of this many bytes, which the kernel caps at `rmem_max`
    /// and doubles, and then never autotunes.
    Set(usize),
    /// SO_RCVBUFFORCE of this many bytes: no cap (it needs CAP_NET_ADMIN),
    /// doubled too. Without the privilege the rig falls back to
    /// [`RcvBuf::Set`]; [`Sample::rcvbuf`] says what the kernel granted.
    Forced(usize),
}

/// The buffer the loopback rigs use unless told otherwise: 4 MiB, forced
/// where permitted (SO_RCVBUF alone is capped at `rmem_max`, often far
/// less), so that a few megabytes can wait unread at the receiver.
pub const RIG_BUFFER: RcvBuf = RcvBuf::Forced(4 << 20);

/// A connected loopback TCP pair with TCP_NODELAY on both ends, a large
/// send buffer, and the receiving socket's buffer as `rcvbuf` says (set on
/// the listener before `listen`, so that the window scale fits it).
fn tcp_pair(rcvbuf: RcvBuf) -> (Socket, Socket) {
    const BUFFER: usize = 4 << 20;
    let (client, server) = connected_pair(Family::Ipv4, |l| match rcvbuf {
        RcvBuf::Autotuned => Ok(()),
        RcvBuf::Set(bytes) => l.set_recv_buffer_size(bytes),
        RcvBuf::Forced(bytes) => {
            nix::sys::socket::setsockopt(l, nix::sys::socket::sockopt::RcvBufForce, &bytes)
                .or_else(|_| l.set_recv_buffer_size(bytes))
        }
    })
    .expect("loopback pair");
    for s in [&client, &server] {
        s.set_tcp_nodelay(true).expect("TCP_NODELAY");
    }
    client.set_send_buffer_size(BUFFER).expect("SO_SNDBUF");
    (client, server)
}

/// The ping-pong rig: this thread sends one byte, a peer thread echoes it.
#[derive(Debug)]
pub struct Echo {
    client: TcpStream,
    peer: Option<JoinHandle<()>>,
}

impl Default for Echo {
    fn default() -> Self {
        Self::new()
    }
}

impl Echo {
    pub fn new() -> Echo {
        let (client, server) = tcp_pair(RIG_BUFFER);
        let peer = std::thread::spawn(move || {
            let mut server = TcpStream::from(server);
            let mut byte = [0u8; 1];
            while server.read_exact(&mut byte).is_ok() {
                if server.write_all(&byte).is_err() {
                    return;
                }
            }
        });
        Echo {
            client: TcpStream::from(client),
            peer: Some(peer),
        }
    }

    /// One round trip with std's `write_all` and `read_exact`.
    pub fn round_trip_std(&mut self) -> Duration {
        let start = Instant::now();
        self.client.write_all(b"p").expect("write");
        let mut byte = [0u8; 1];
        self.client.read_exact(&mut byte).expect("read");
        start.elapsed()
    }

    /// One round trip with `send` and `recv` through nix.
    pub fn round_trip_nix(&mut self) -> Duration {
        let fd = self.client.as_raw_fd();
        let start = Instant::now();
        nix::sys::socket::send(fd, b"p", MsgFlags::empty()).expect("send");
        let mut byte = [0u8; 1];
        nix::sys::socket::recv(fd, &mut byte, MsgFlags::MSG_WAITALL).expect("recv");
        start.elapsed()
    }

    /// One round trip by the C loop.
    pub fn round_trip_c(&mut self) -> Duration {
        let fd = self.client.as_raw_fd();
        let start = Instant::now();
        // SAFETY: `fd` is an open, connected socket for the whole call.
        let rc = unsafe { ffi::c_ping_pong(fd, 1) };
        let elapsed = start.elapsed();
        assert_eq!(rc, 0, "c_ping_pong: {}", std::io::Error::last_os_error());
        elapsed
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        let _ = self.client.shutdown(std::net::Shutdown::Write);
        if let Some(peer) = self.peer.take() {
            let _ = peer.join();
        }
    }
}

/// What the sender puts behind the backlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// One byte with MSG_OOB; the receiver waits in poll(POLLPRI).
    Urgent,
    /// One byte with MSG_OOB; the receiver waits for SIGURG.
    Sigurg,
    /// One normal byte; the receiver reads through the backlog to it.
    Normal,
}

/// What happened to the backlog before the marker was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    /// It waits unread in the receiving socket: the case being measured.
    Unread,
    /// It crossed the connection and the receiver read all of it: the
    /// queue is empty when the marker comes, but the same bytes have just
    /// moved through the machine.
    Drained,
    /// It waits unread, as with [`Before::Unread`], but acknowledged: the
    /// receiving socket was told to acknowledge at once (TCP_QUICKACK), and
    /// the sender saw the acknowledgement before the marker went.
    Acked,
    /// Nothing crossed the connection: the sender filled a buffer of the
    /// backlog's size and copied it once (the copy `send` would have made),
    /// so the caches saw much the same traffic and the sockets none.
    Touched,
}

/// One marker's times, each from the sender's `send` of the marker, and
/// what the kernel reported just before it was sent.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Until the receiver's answer reached the sender (the bench's figure).
    pub round_trip: Duration,
    /// Until the receiver woke: poll's POLLPRI, SIGURG's signalfd, or the
    /// pipe that starts a reader of normal data.
    pub woke: Duration,
    /// Until the receiver held the marker: `recv(MSG_OOB)` returned it, or
    /// the read that reached the last byte returned. The rest of the round
    /// trip is the answer's way back.
    pub one_way: Duration,
    /// The receiving socket's buffer (SO_RCVBUF read back: what the kernel
    /// granted, or what autotuning has grown it to).
    pub rcvbuf: usize,
    /// Segments the sender had sent and not yet seen acknowledged.
    pub unacked: u32,
    /// The sender's congestion window, in segments.
    pub cwnd: u32,
    /// The sender took the answer in on the CPU the receiver sent it from
    /// (so the two threads shared that CPU, one after the other).
    pub same_cpu: bool,
    /// The receiver woke on another CPU than the one the sender sent the
    /// marker from.
    pub crossed: bool,
}

/// The backlog did not fit: the receiver's window closed before all of it
/// arrived, so no marker was sent (an urgent byte behind it could not
/// arrive before the receiver read).
#[derive(Debug, Clone, Copy)]
pub struct Unfit {
    /// Bytes of the backlog that reached the receiving socket.
    pub arrived: usize,
    /// The receiving socket's buffer then.
    pub rcvbuf: usize,
}

/// One way of measuring a marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    pub marker: Marker,
    pub before: Before,
    /// The receiver of an urgent byte reads the backlog only once the
    /// sender has the answer; otherwise it reads it right after answering,
    /// while the answer is still on its way.
    pub hold: bool,
    /// The sender's thread is bound to the first CPU and the receiver's to
    /// the second for the sample, so that neither can run where the other
    /// does (the scheduler cannot move a woken thread to its waker's CPU).
    pub pinned: bool,
}

/// One command to the receiver thread.
#[derive(Debug, Clone, Copy)]
struct Order {
    marker: Marker,
    backlog: usize,
    before: Before,
    /// After an urgent answer, the receiver waits for the sender's word
    /// before it reads the backlog.
    hold: bool,
    /// The receiver binds itself to the second CPU for this order.
    pinned: bool,
}

/// What the receiver saw of one marker: the clock when it woke and when it
/// held the marker, the CPU it woke on and the one it answered from;
/// `None`: told to give up.
type Heard = Option<(Instant, Instant, usize, usize)>;

/// The urgent-versus-normal rig: a receiver thread that answers markers.
#[derive(Debug)]
pub struct UrgentRig {
    tx: Socket,
    rx_view: Socket,
    go: OwnedFd,
    sent: u64,
    commands: Sender<Order>,
    ready: Receiver<()>,
    done: Receiver<Result<Heard, String>>,
    receiver: Option<JoinHandle<()>>,
}

impl Default for UrgentRig {
    fn default() -> Self {
        Self::new()
    }
}

impl UrgentRig {
    /// The rig with the receive buffer of [`RIG_BUFFER`].
    pub fn new() -> UrgentRig {
        Self::with_rcvbuf(RIG_BUFFER)
    }

    /// The rig with the receive buffer `rcvbuf`.
    pub fn with_rcvbuf(rcvbuf: RcvBuf) -> UrgentRig {
        let (tx, rx) = tcp_pair(rcvbuf);
        // A failed measurement must not hang the bench: bound the answer's wait.
        tx.set_read_timeout(Some(LIMIT)).expect("SO_RCVTIMEO");
        tx.set_nonblocking(false).expect("blocking sender");
        let rx_view = rx.try_clone().expect("dup the receiving socket");
        let (go_read, go) = nix::unistd::pipe().expect("pipe");
        let (commands, inbox) = channel::<Order>();
        let (report, done) = channel();
        let (ready_tx, ready) = channel();
        let receiver = std::thread::spawn(move || {
            // SIGURG for this thread only, seen through a signalfd.
            let mut mask = SigSet::empty();
            mask.add(Signal::SIGURG);
            mask.thread_block().expect("block SIGURG");
            let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK).expect("signalfd");
            oob::set_owner_thread(&rx).expect("F_SETOWN_EX");
            for order in inbox {
                // Every urgent send raises SIGURG: forget the earlier ones.
                while let Ok(Some(_)) = signals.read_signal() {}
                let _ = report.send(answer(&rx, &go_read, &signals, &ready_tx, order));
            }
        });
        UrgentRig {
            tx,
            rx_view,
            go,
            sent: 0,
            commands,
            ready,
            done,
            receiver: Some(receiver),
        }
    }

    // ANCHOR: measure
    /// Sends `backlog` bytes (or only touches as many, see [`Before`]),
    /// waits until the receiving socket holds all of them, then sends one
    /// marker and times it: the receiver's wake-up, its reading of the
    /// marker, and its answer's arrival back here.
    pub fn sample(&mut self, variant: Variant, backlog: usize) -> Result<Sample, Unfit> {
        let Variant {
            marker,
            before,
            hold,
            pinned,
        } = variant;
        let _bound = pinned.then(|| Bound::to(0));
        let order = Order {
            marker,
            backlog,
            before,
            hold,
            pinned,
        };
        self.commands.send(order).expect("the receiver is gone");
        let had = self.sent;
        if before == Before::Touched {
            touch(backlog);
        } else {
            let unread = matches!(before, Before::Unread | Before::Acked);
            let fits = self.send_backlog(backlog, unread);
            self.sent += backlog as u64;
            if !fits {
                // The window shut: tell the receiver to read and give up
                // (taking its "ready", or the next marker would be sent
                // before the receiver is).
                let unfit = Unfit {
                    arrived: (self.received() - had) as usize,
                    rcvbuf: self.rcvbuf(),
                };
                nix::unistd::write(&self.go, b"x").expect("stop the receiver");
                self.ready
                    .recv_timeout(LIMIT)
                    .expect("the receiver is ready");
                let heard = self.finish();
                assert!(heard.is_none(), "the receiver answered a marker never sent");
                return Err(unfit);
            }
        }
        if before == Before::Acked {
            self.acknowledge();
        }
        self.ready
            .recv_timeout(LIMIT)
            .expect("the receiver is ready");
        let (rcvbuf, info) = (self.rcvbuf(), self.info());

        let sent_from = nix::sched::sched_getcpu().ok();
        let start = Instant::now();
        match marker {
            Marker::Urgent | Marker::Sigurg => {
                oob::send_urgent(&self.tx, b"U").expect("send(MSG_OOB)");
            }
            Marker::Normal => {
                self.tx.send(b"M").expect("send the marker");
                nix::unistd::write(&self.go, b"g").expect("wake the receiver");
            }
        }
        let mut answer = [0u8; 1];
        if let Err(e) =
            nix::sys::socket::recv(self.tx.as_raw_fd(), &mut answer, MsgFlags::MSG_WAITALL)
        {
            let receiver = self.done.recv_timeout(LIMIT);
            panic!(
                "no answer to {order:?} ({e}); the sender: {:?}; the receiver: {receiver:?}",
                Stuck(self.info())
            );
        }
        let round_trip = start.elapsed();
        if hold && marker != Marker::Normal {
            nix::unistd::write(&self.go, b"d").expect("let the receiver read");
        }
        self.sent += 1;
        let answered_here = nix::sched::sched_getcpu().ok();
        let (woke, got, woke_on, cpu) = self.finish().expect("the receiver heard the marker");
        Ok(Sample {
            round_trip,
            woke: woke.saturating_duration_since(start),
            one_way: got.saturating_duration_since(start),
            rcvbuf,
            unacked: info.tcpi_unacked,
            cwnd: info.tcpi_snd_cwnd,
            same_cpu: answered_here == Some(cpu),
            crossed: sent_from != Some(woke_on),
        })
    }
    // ANCHOR_END: measure

    /// Writes the backlog; with `stop_when_shut`, returns false as soon as
    /// the receiver's window is shut with part of it still unsent, true
    /// once all of it reached the receiving socket.
    fn send_backlog(&self, backlog: usize, stop_when_shut: bool) -> bool {
        let data = vec![b'b'; backlog];
        let mut rest = &data[..];
        let deadline = Instant::now() + LIMIT;
        while !rest.is_empty() {
            match nix::sys::socket::send(self.tx.as_raw_fd(), rest, MsgFlags::MSG_DONTWAIT) {
                Ok(n) => rest = &rest[n..],
                Err(nix::errno::Errno::EAGAIN) => {
                    if stop_when_shut && self.shut() {
                        return false;
                    }
                    assert!(Instant::now() < deadline, "the backlog could not be sent");
                    // Room in the send buffer, or a moment to look again.
                    let _ = poll_one(
                        self.tx.as_fd(),
                        PollFlags::POLLOUT,
                        Some(Duration::from_millis(1)),
                    );
                }
                Err(e) => panic!("send the backlog: {e}"),
            }
        }
        if !stop_when_shut {
            return true;
        }
        loop {
            let i = self.info();
            if i.tcpi_notsent_bytes == 0 && self.received() >= self.sent + backlog as u64 {
                // All there; and the marker fits the window the receiver
                // offered, or it could never arrive before a read.
                // Bytes sent count retransmissions; bytes acknowledged
                // count the SYN.
                let in_flight = (i.tcpi_bytes_sent - i.tcpi_bytes_retrans + 1)
                    .saturating_sub(i.tcpi_bytes_acked);
                return u64::from(i.tcpi_snd_wnd) > in_flight;
            }
            if self.shut() {
                return false;
            }
            assert!(
                Instant::now() < deadline,
                "the backlog neither arrived nor stopped"
            );
            std::thread::yield_now();
        }
    }

    /// The sender is stuck on the receiver's window: bytes wait unsent,
    /// none is in flight, and the window is smaller than what waits.
    fn shut(&self) -> bool {
        let i = self.info();
        i.tcpi_notsent_bytes > 0 && i.tcpi_unacked == 0 && i.tcpi_snd_wnd < i.tcpi_notsent_bytes
    }

    /// Makes the receiving socket acknowledge what it holds now
    /// (TCP_QUICKACK on it, through the rig's duplicate of it), and waits
    /// until the sender has taken the acknowledgement in.
    fn acknowledge(&self) {
        self.rx_view.set_tcp_quickack(true).expect("TCP_QUICKACK");
        let deadline = Instant::now() + LIMIT;
        while self.info().tcpi_unacked > 0 {
            assert!(Instant::now() < deadline, "no acknowledgement came");
            std::thread::yield_now();
        }
    }

    fn info(&self) -> libc::tcp_info {
        sockref::ffi::tcp_info(self.tx.as_fd()).expect("TCP_INFO of the sender")
    }

    fn received(&self) -> u64 {
        sockref::ffi::tcp_info(self.rx_view.as_fd())
            .expect("TCP_INFO of the receiver")
            .tcpi_bytes_received
    }

    fn rcvbuf(&self) -> usize {
        self.rx_view.recv_buffer_size().expect("SO_RCVBUF")
    }

    fn finish(&self) -> Heard {
        self.done
            .recv_timeout(LIMIT)
            .expect("the receiver finished")
            .expect("the receiver")
    }
}

impl Drop for UrgentRig {
    fn drop(&mut self) {
        let (commands, _) = channel();
        drop(std::mem::replace(&mut self.commands, commands));
        if let Some(receiver) = self.receiver.take() {
            let _ = receiver.join();
        }
    }
}

/// The calling thread bound to one CPU until this is dropped (when the
/// machine has that CPU; otherwise nothing changes).
struct Bound(Option<nix::sched::CpuSet>);

impl Bound {
    fn to(cpu: usize) -> Bound {
        let me = nix::unistd::Pid::from_raw(0);
        let Ok(all) = nix::sched::sched_getaffinity(me) else {
            return Bound(None);
        };
        let mut one = nix::sched::CpuSet::new();
        if all.is_set(cpu) != Ok(true) || one.set(cpu).is_err() {
            return Bound(None);
        }
        match nix::sched::sched_setaffinity(me, &one) {
            Ok(()) => Bound(Some(all)),
            Err(_) => Bound(None),
        }
    }
}

impl Drop for Bound {
    fn drop(&mut self) {
        if let Some(all) = &self.0 {
            let _ = nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), all);
        }
    }
}

/// The sender's TCP_INFO, the fields that say why data waits.
struct Stuck(libc::tcp_info);

impl std::fmt::Debug for Stuck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = &self.0;
        write!(
            f,
            "unacked {} cwnd {} notsent {} snd_wnd {} sent {} acked {} retrans {} probes {} backoff {}",
            i.tcpi_unacked,
            i.tcpi_snd_cwnd,
            i.tcpi_notsent_bytes,
            i.tcpi_snd_wnd,
            i.tcpi_bytes_sent,
            i.tcpi_bytes_acked,
            i.tcpi_bytes_retrans,
            i.tcpi_probes,
            i.tcpi_backoff
        )
    }
}

/// Fills a buffer of `bytes` and copies it once, as a sender and the
/// kernel's copy into socket buffers would.
fn touch(bytes: usize) {
    let data = std::hint::black_box(vec![b'b'; bytes]);
    let copy = data.clone();
    std::hint::black_box(copy);
}

/// The receiver's side of one order: the clock when it woke and when it
/// held the marker, or `None` when the sender gave up on the marker.
fn answer(
    rx: &Socket,
    go: &OwnedFd,
    signals: &SignalFd,
    ready: &Sender<()>,
    order: Order,
) -> Result<Heard, String> {
    let _bound = order.pinned.then(|| Bound::to(1));
    let unread = match order.before {
        Before::Unread | Before::Acked => order.backlog,
        Before::Drained => {
            drain(rx, order.backlog)?;
            0
        }
        Before::Touched => 0,
    };
    let _ = ready.send(());
    // The pipe says "g" (the normal marker was sent) or "x" (give up).
    let wake = match order.marker {
        Marker::Urgent => (rx.as_fd(), PollFlags::POLLPRI),
        Marker::Sigurg => (signals.as_fd(), PollFlags::POLLIN),
        Marker::Normal => (go.as_fd(), PollFlags::POLLIN),
    };
    let ready = poll_many(&[wake, (go.as_fd(), PollFlags::POLLIN)], Some(LIMIT))
        .map_err(|e| e.to_string())?;
    let woke = Instant::now();
    let woke_on = nix::sched::sched_getcpu().map_err(|e| e.to_string())?;
    if ready.iter().all(|r| r.is_empty()) {
        return Err(format!("no wake-up for {:?}", order.marker));
    }
    if !ready[1].is_empty() {
        let mut what = [0u8; 1];
        nix::unistd::read(go, &mut what).map_err(|e| e.to_string())?;
        if what[0] == b'x' {
            drain(rx, unread)?;
            return Ok(None);
        }
    }
    if order.marker == Marker::Normal {
        drain(rx, unread + 1)?; // the marker is the last byte
        let got = Instant::now();
        let cpu = nix::sched::sched_getcpu().map_err(|e| e.to_string())?;
        rx.send(b"a").map_err(|e| e.to_string())?;
        return Ok(Some((woke, got, woke_on, cpu)));
    }
    oob::recv_urgent(rx).map_err(|e| e.to_string())?;
    let got = Instant::now();
    let cpu = nix::sched::sched_getcpu().map_err(|e| e.to_string())?;
    rx.send(b"a").map_err(|e| e.to_string())?;
    if order.hold {
        if poll_one(go.as_fd(), PollFlags::POLLIN, Some(LIMIT))
            .map_err(|e| e.to_string())?
            .is_empty()
        {
            return Err("the sender never had its answer".into());
        }
        nix::unistd::read(go, &mut [0u8; 1]).map_err(|e| e.to_string())?;
    }
    drain(rx, unread)?;
    Ok(Some((woke, got, woke_on, cpu)))
}

fn drain(rx: &Socket, mut count: usize) -> Result<(), String> {
    let mut buf = vec![0u8; 256 * 1024];
    while count > 0 {
        let want = count.min(buf.len());
        let n = nix::sys::socket::recv(rx.as_raw_fd(), &mut buf[..want], MsgFlags::empty())
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("end of file while draining".into());
        }
        count -= n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rig_measures_something() {
        let mut echo = Echo::new();
        for d in [
            echo.round_trip_std(),
            echo.round_trip_nix(),
            echo.round_trip_c(),
        ] {
            assert!(d > Duration::ZERO);
        }
        let mut rig = UrgentRig::new();
        for (name, variant) in sweep::VARIANTS {
            for backlog in [0, 64 * 1024] {
                let s = rig.sample(variant, backlog).expect("64 KiB fits");
                // Each clock reading comes after the one before it.
                assert!(s.woke > Duration::ZERO, "{name} {backlog}");
                assert!(s.one_way >= s.woke, "{name} {backlog}: {s:?}");
                assert!(s.round_trip > s.one_way, "{name} {backlog}: {s:?}");
                assert!(s.rcvbuf >= 64 * 1024, "{name} {backlog}: {s:?}");
            }
        }
    }

    #[test]
    fn an_acknowledged_backlog_leaves_nothing_unacknowledged() {
        let mut rig = UrgentRig::new();
        let acked = Variant {
            marker: Marker::Urgent,
            before: Before::Acked,
            hold: true,
            pinned: false,
        };
        for _ in 0..3 {
            // More than one full segment, or TCP_QUICKACK sends nothing.
            let s = rig.sample(acked, 128 * 1024).expect("128 KiB fits");
            assert_eq!(s.unacked, 0, "{s:?}");
        }
    }

    #[test]
    fn a_pinned_sample_is_answered_across_two_cpus() {
        let me = nix::unistd::Pid::from_raw(0);
        let cpus = nix::sched::sched_getaffinity(me).expect("sched_getaffinity");
        if cpus.is_set(0) != Ok(true) || cpus.is_set(1) != Ok(true) {
            eprintln!("skip: this test may not run on CPUs 0 and 1");
            return;
        }
        let mut rig = UrgentRig::new();
        let pinned = Variant {
            marker: Marker::Urgent,
            before: Before::Unread,
            hold: false,
            pinned: true,
        };
        for _ in 0..5 {
            let s = rig.sample(pinned, 64 * 1024).expect("64 KiB fits");
            assert!(!s.same_cpu && s.crossed, "{s:?}");
        }
        // And the sender is free again afterwards.
        assert_eq!(nix::sched::sched_getaffinity(me).unwrap(), cpus);
    }

    #[test]
    fn the_summary_reports_median_and_p99() {
        for us in 1..=100 {
            record("test/case", Duration::from_micros(us));
        }
        let s = summary();
        assert_eq!(s["test/case"]["median_us"], 51.0);
        assert_eq!(s["test/case"]["p99_us"], 99.0);
        assert_eq!(s["test/case"]["samples"], 100);
    }
}
