//! The senders of the chapter, as named scenarios.
//!
//! Each scenario is a list of writes in bursts. The self-demo sends one
//! burst each time its receiver has nothing left to read; the standalone
//! sender sends them all at once. A paced sender (`--paced`) makes every
//! write a burst of its own: standalone it sleeps a second between writes,
//! as the textbook's programs did so that each write arrived as its own
//! segment, and in the self-demo the receiver reads between writes.

use std::os::fd::AsFd;
use std::time::Duration;

use socket2::Socket;
use sockref::{Context, Error, Out};

use crate::urgent::{send_normal, send_urgent, text};

/// The send buffer of the flow-control sender: room for every byte of the
/// scenario while the receiver's window stays closed.
pub const FLOW_CONTROL_SNDBUF: usize = 256 * 1024;

/// A named sending program of the chapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// `123`, then `abc` with MSG_OOB, then `123`: the classic pair of programs.
    Classic,
    /// `123`, OOB `4`, `56`, OOB `7`, `89`, each its own burst (UNP's first sender).
    Paced,
    /// `123`, OOB `4`, `5`: the mark demo, read with SO_OOBINLINE and sockatmark.
    Mark,
    /// `AAA`, OOB `x`, `BBB`, OOB `y`, `CCC` before the receiver reads: the
    /// mark moves to `y` and `x` becomes normal data.
    TwoUrgent,
    /// 16384 bytes into a receiver that does not read, then OOB `a`, then
    /// 1024 bytes: urgent data obeys flow control.
    FlowControl,
}

/// One write of a scenario.
#[derive(Debug, Clone, Copy)]
pub enum Write {
    /// `send(fd, data, len, 0)`.
    Normal(&'static [u8]),
    /// `send(fd, data, len, MSG_OOB)`: the last byte is urgent.
    Urgent(&'static [u8]),
    /// `n` bytes of normal data (`x`), to fill the receiver's window.
    Fill(usize),
}

use Write::{Fill, Normal, Urgent};

impl Scenario {
    pub const ALL: [Scenario; 5] = [
        Scenario::Classic,
        Scenario::Paced,
        Scenario::Mark,
        Scenario::TwoUrgent,
        Scenario::FlowControl,
    ];

    /// The name `--scenario` takes.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Classic => "classic",
            Scenario::Paced => "paced",
            Scenario::Mark => "mark",
            Scenario::TwoUrgent => "two-urgent",
            Scenario::FlowControl => "flow-control",
        }
    }

    pub fn parse(text: &str) -> Result<Scenario, Error> {
        Scenario::ALL
            .into_iter()
            .find(|s| s.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
                Error::usage(format!("unknown scenario '{text}' ({})", names.join(", ")))
            })
    }

    // ANCHOR: bursts
    /// The writes, burst by burst.
    pub fn bursts(self) -> &'static [&'static [Write]] {
        match self {
            Scenario::Classic => &[&[Normal(b"123"), Urgent(b"abc"), Normal(b"123")]],
            Scenario::Paced => &[
                &[Normal(b"123")],
                &[Urgent(b"4")],
                &[Normal(b"56")],
                &[Urgent(b"7")],
                &[Normal(b"89")],
            ],
            Scenario::Mark => &[&[Normal(b"123"), Urgent(b"4"), Normal(b"5")]],
            Scenario::TwoUrgent => &[&[
                Normal(b"AAA"),
                Urgent(b"x"),
                Normal(b"BBB"),
                Urgent(b"y"),
                Normal(b"CCC"),
            ]],
            Scenario::FlowControl => &[&[Fill(16384), Urgent(b"a"), Fill(1024)]],
        }
    }
    // ANCHOR_END: bursts

    /// Options the sending socket needs: for flow control, a send buffer
    /// that holds every byte while the receiver's window is closed.
    pub fn prepare(self, sock: &Socket) -> Result<(), Error> {
        if self == Scenario::FlowControl {
            sock.set_send_buffer_size(FLOW_CONTROL_SNDBUF)
                .context(format!("setsockopt(SO_SNDBUF, {FLOW_CONTROL_SNDBUF})"))?;
        }
        Ok(())
    }

    /// Whether the self-demo can wait for each burst to reach the receiver
    /// (not when the point is that it cannot).
    pub fn arrives_at_once(self) -> bool {
        self != Scenario::FlowControl
    }
}

/// A sender part-way through a scenario.
#[derive(Debug)]
pub struct Sender {
    sock: Option<Socket>,
    scenario: Scenario,
    /// Every write a burst of its own (`--paced`).
    paced: bool,
    out: Out,
    next_burst: usize,
    /// The next write of the current burst.
    next_write: usize,
    bytes_sent: u64,
}

impl Sender {
    /// A sender of `scenario`'s bursts; with `paced`, of one write at a time.
    pub fn new(sock: Socket, scenario: Scenario, paced: bool, out: Out) -> Sender {
        Sender {
            sock: Some(sock),
            scenario,
            paced,
            out,
            next_burst: 0,
            next_write: 0,
            bytes_sent: 0,
        }
    }

    pub fn scenario(&self) -> Scenario {
        self.scenario
    }

    /// Bytes handed to the kernel so far.
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent
    }

    // ANCHOR: send_burst
    /// Sends the next burst, or when paced the next write alone; after the
    /// last write, closes the connection. Returns false once there is
    /// nothing left to send.
    pub fn send_burst(&mut self) -> Result<bool, Error> {
        let Some(sock) = &self.sock else {
            return Ok(false);
        };
        let bursts = self.scenario.bursts();
        let burst = bursts[self.next_burst];
        let writes = if self.paced {
            &burst[self.next_write..=self.next_write]
        } else {
            &burst[self.next_write..]
        };
        for write in writes {
            match *write {
                Normal(data) => {
                    send_all(sock, data)?;
                    self.out.line(format_args!(
                        "wrote {} bytes of normal data '{}'",
                        data.len(),
                        text(data)
                    ))?;
                }
                Urgent(data) => {
                    let n = send_urgent(sock, data).context("send(MSG_OOB)")?;
                    if n != data.len() {
                        return Err(Error::runtime(format!(
                            "send(MSG_OOB) sent {n} of {} bytes",
                            data.len()
                        )));
                    }
                    self.out
                        .line(format_args!("wrote {n} bytes of oob data '{}'", text(data)))?;
                }
                Fill(n) => {
                    send_all(sock, &vec![b'x'; n])?;
                    self.out
                        .line(format_args!("wrote {n} bytes of normal data"))?;
                }
            }
            self.bytes_sent += write_len(write) as u64;
        }
        self.next_write += writes.len();
        if self.next_write == burst.len() {
            (self.next_burst, self.next_write) = (self.next_burst + 1, 0);
        }
        if self.next_burst == bursts.len() {
            self.sock = None; // close(fd)
            self.out.line("closed the connection")?;
        }
        Ok(true)
    }
    // ANCHOR_END: send_burst

    /// The standalone sender: every burst, with `pause` between bursts
    /// (between writes, when paced).
    pub fn send_all_bursts(mut self, pause: Option<Duration>) -> Result<(), Error> {
        while self.send_burst()? {
            if let (Some(p), true) = (pause, self.sock.is_some()) {
                std::thread::sleep(p);
            }
        }
        Ok(())
    }
}

fn write_len(write: &Write) -> usize {
    match *write {
        Normal(d) | Urgent(d) => d.len(),
        Fill(n) => n,
    }
}

/// `send` until every byte is gone. On a non-blocking socket (the
/// self-demo's) a full send buffer is an error instead of a hang.
fn send_all(sock: &impl AsFd, mut data: &[u8]) -> Result<(), Error> {
    while !data.is_empty() {
        match send_normal(sock, data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::runtime(format!("send: {e}"))),
        }
    }
    Ok(())
}
