//! The measuring rigs of the chapter "Measuring urgency".
//!
//! - [`Echo`]: a one-byte ping-pong over a loopback TCP connection with
//!   TCP_NODELAY, driven three ways: `std`, raw `send`/`recv` through nix,
//!   and a C loop built into this binary (`c/pingpong.c`).
//! - [`UrgentRig`]: how long the receiver takes to learn of a marker sent
//!   behind a backlog of unread data: an urgent byte (the receiver is woken
//!   by POLLPRI, or by SIGURG), or a normal byte (the receiver must read
//!   through the backlog to reach it). The receiver answers with one byte,
//!   and the sender times from its send to that answer; the answer is
//!   normal data, which also carries the ACK that `recv(MSG_OOB)` never
//!   sends, so the delayed-ACK stall cannot creep into the figures.
//!
//! Every individual sample is kept ([`record`]) so that the median and the
//! 99th percentile can be reported beside criterion's estimates.

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
use nix::sys::socket::MsgFlags;
use socket2::Socket;
use sockref::peer::{Family, connected_pair, poll_one};

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

/// A connected loopback TCP pair with TCP_NODELAY on both ends, and large
/// buffers, so that a megabyte can wait unread at the receiver.
fn tcp_pair() -> (Socket, Socket) {
    const BUFFER: usize = 4 << 20;
    let (client, server) =
        connected_pair(Family::Ipv4, |l| l.set_recv_buffer_size(BUFFER)).expect("loopback pair");
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
        let (client, server) = tcp_pair();
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

/// The urgent-versus-normal rig: a receiver thread that answers markers.
#[derive(Debug)]
pub struct UrgentRig {
    tx: Socket,
    rx_view: Socket,
    go: OwnedFd,
    sent: u64,
    commands: Sender<(Marker, usize)>,
    ready: Receiver<()>,
    done: Receiver<Result<(), String>>,
    receiver: Option<JoinHandle<()>>,
}

impl Default for UrgentRig {
    fn default() -> Self {
        Self::new()
    }
}

impl UrgentRig {
    pub fn new() -> UrgentRig {
        let (tx, rx) = tcp_pair();
        // A failed measurement must not hang the bench: bound the answer's wait.
        tx.set_read_timeout(Some(LIMIT)).expect("SO_RCVTIMEO");
        let rx_view = rx.try_clone().expect("dup the receiving socket");
        let (go_read, go) = nix::unistd::pipe().expect("pipe");
        let (commands, inbox) = channel::<(Marker, usize)>();
        let (report, done) = channel();
        let (ready_tx, ready) = channel();
        let receiver = std::thread::spawn(move || {
            // SIGURG for this thread only, seen through a signalfd.
            let signals = oob::sigurg::ThreadSigurg::new().expect("signalfd");
            oob::set_owner_thread(&rx).expect("F_SETOWN_EX");
            for (marker, backlog) in inbox {
                // Every urgent send raises SIGURG: forget the earlier ones,
                // then tell the sender it may go.
                signals.take();
                let _ = ready_tx.send(());
                let _ = report.send(answer(&rx, &go_read, &signals, marker, backlog));
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
    /// Queues `backlog` unread bytes at the receiver, then times the marker:
    /// from its send to the receiver's one-byte answer.
    pub fn measure(&mut self, marker: Marker, backlog: usize) -> Duration {
        self.commands
            .send((marker, backlog))
            .expect("the receiver is gone");
        let data = vec![b'b'; backlog];
        let mut rest = &data[..];
        while !rest.is_empty() {
            rest = &rest[self.tx.send(rest).expect("send the backlog")..];
        }
        self.sent += backlog as u64;
        oob::pace::wait_for_arrival(self.rx_view.as_fd(), self.sent, LIMIT)
            .expect("the backlog arrived");
        self.ready
            .recv_timeout(LIMIT)
            .expect("the receiver is ready");

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
        nix::sys::socket::recv(self.tx.as_raw_fd(), &mut answer, MsgFlags::MSG_WAITALL)
            .expect("the answer");
        let elapsed = start.elapsed();
        self.sent += 1;
        self.done
            .recv_timeout(LIMIT)
            .expect("the receiver finished")
            .expect("the receiver");
        elapsed
    }
    // ANCHOR_END: measure
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

/// The receiver's side of one measurement.
fn answer(
    rx: &Socket,
    go: &OwnedFd,
    signals: &oob::sigurg::ThreadSigurg,
    marker: Marker,
    backlog: usize,
) -> Result<(), String> {
    let mut to_read = backlog;
    match marker {
        Marker::Urgent => {
            if poll_one(rx.as_fd(), PollFlags::POLLPRI, Some(LIMIT))
                .map_err(|e| e.to_string())?
                .is_empty()
            {
                return Err("no POLLPRI".into());
            }
            oob::recv_urgent(rx).map_err(|e| e.to_string())?;
        }
        Marker::Sigurg => {
            if !signals.wait(LIMIT) {
                return Err("no SIGURG".into());
            }
            oob::recv_urgent(rx).map_err(|e| e.to_string())?;
        }
        Marker::Normal => {
            if poll_one(go.as_fd(), PollFlags::POLLIN, Some(LIMIT))
                .map_err(|e| e.to_string())?
                .is_empty()
            {
                return Err("no go".into());
            }
            nix::unistd::read(go, &mut [0u8; 1]).map_err(|e| e.to_string())?;
            to_read += 1; // the marker is the last byte
        }
    }
    if marker == Marker::Normal {
        drain(rx, to_read)?;
        rx.send(b"a").map_err(|e| e.to_string())?;
    } else {
        rx.send(b"a").map_err(|e| e.to_string())?;
        drain(rx, to_read)?;
    }
    Ok(())
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
        for marker in [Marker::Urgent, Marker::Normal, Marker::Sigurg] {
            for backlog in [0, 64 * 1024] {
                assert!(
                    rig.measure(marker, backlog) > Duration::ZERO,
                    "{marker:?} {backlog}"
                );
            }
        }
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
