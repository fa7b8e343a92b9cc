//! The receivers of the chapter, as named strategies.
//!
//! Every strategy prints the same kinds of line (`got 5 bytes of normal data
//! '123ab'`, `got 1 bytes of oob data 'c'`, `SIGURG received`, `at OOB mark`,
//! `received EOF`), prints a failed call as an error and never as data, and,
//! except the ones written to show a mistake (the textbook's select and
//! poll loops, and seed 000's naive receiver), never loses an urgent byte
//! it could have read: before each normal read it checks whether the read
//! pointer is at the mark with the urgent byte still unread.

use std::os::fd::AsFd;

use nix::poll::PollFlags;
use nix::sys::select::{FdSet, select};
use nix::sys::socket::MsgFlags;
use nix::sys::time::TimeVal;
use socket2::Socket;
use sockref::{Context, Error, Out};

use crate::pace::Pace;
use crate::sigurg::{Notice, SigurgHandler};
use crate::urgent::{
    UrgentError, recv_normal, recv_urgent, set_oob_inline, set_owner, sockatmark, text, wait_urgent,
};

/// A named receiving program of the chapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Plain reads; at the mark, `recv(MSG_OOB)` first.
    Plain,
    /// A SIGURG handler that reads the urgent byte (F_SETOWN + sigaction).
    Sigurg,
    /// `select` on exceptional conditions, exactly as the textbook's first try.
    SelectBroken,
    /// `select`, not asking for exceptions again right after reading one.
    SelectFixed,
    /// `poll` for POLLRDBAND, as the textbook's poll version does; Linux
    /// never raises it, so every urgent byte is stepped over.
    PollRdband,
    /// `poll` for POLLPRI, which Linux raises for urgent data.
    PollFixed,
    /// SO_OOBINLINE, and `sockatmark` before each read.
    Atmark,
    /// A tiny receive buffer and no reading until SIGURG arrives.
    FlowControl,
    /// Seed 000's receiver: one normal read, `recv(MSG_OOB)` once, then
    /// normal reads, never asking where the mark is.
    Naive,
}

impl Strategy {
    pub const ALL: [Strategy; 9] = [
        Strategy::Plain,
        Strategy::Sigurg,
        Strategy::SelectBroken,
        Strategy::SelectFixed,
        Strategy::PollRdband,
        Strategy::PollFixed,
        Strategy::Atmark,
        Strategy::FlowControl,
        Strategy::Naive,
    ];

    /// The name `--strategy` takes.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Plain => "plain",
            Strategy::Sigurg => "sigurg",
            Strategy::SelectBroken => "select-broken",
            Strategy::SelectFixed => "select-fixed",
            Strategy::PollRdband => "poll-rdband",
            Strategy::PollFixed => "poll-fixed",
            Strategy::Atmark => "atmark",
            Strategy::FlowControl => "flow-control",
            Strategy::Naive => "naive",
        }
    }

    pub fn parse(text: &str) -> Result<Strategy, Error> {
        Strategy::ALL
            .into_iter()
            .find(|s| s.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
                Error::usage(format!("unknown strategy '{text}' ({})", names.join(", ")))
            })
    }

    /// Options set on the listening socket before `listen`, so that the
    /// accepted socket has them from its first byte: SO_OOBINLINE is
    /// inherited, and the receive buffer fixes the window scale.
    pub fn prepare_listener(self, listener: &Socket) -> std::io::Result<()> {
        match self {
            Strategy::Atmark => set_oob_inline(listener, true),
            Strategy::FlowControl => listener.set_recv_buffer_size(FLOW_CONTROL_RCVBUF),
            _ => Ok(()),
        }
    }

    /// Receives from `conn` until the sender closes the connection.
    pub fn receive(self, conn: &Socket, pace: &mut Pace<'_>, out: Out) -> Result<(), Error> {
        match self {
            Strategy::Plain => plain(conn, pace, out),
            Strategy::Sigurg => sigurg(conn, pace, out),
            Strategy::SelectBroken => select_loop(conn, pace, out, false),
            Strategy::SelectFixed => select_loop(conn, pace, out, true),
            Strategy::PollRdband => poll_loop(conn, pace, out, PollFlags::POLLRDBAND),
            Strategy::PollFixed => poll_loop(conn, pace, out, PollFlags::POLLPRI),
            Strategy::Atmark => atmark(conn, pace, out),
            Strategy::FlowControl => flow_control(conn, pace, out),
            Strategy::Naive => naive(conn, pace, out),
        }
    }
}

/// The flow-control receiver's buffer: small, so the window closes soon.
pub const FLOW_CONTROL_RCVBUF: usize = 4096;

/// The textbook's buffer: one read returns at most this much.
const BUF_SIZE: usize = 1024;

/// What one normal read found.
#[derive(Debug, PartialEq, Eq)]
enum Read {
    Data,
    Eof,
    /// Nothing after all, though poll said readable: on AF_UNIX, poll keeps
    /// reporting POLLIN after the urgent byte was read with MSG_OOB.
    Nothing,
}

/// One normal read, printed. MSG_DONTWAIT: the strategies poll first, and a
/// read must never block where poll was wrong.
fn read_normal(conn: &Socket, out: Out) -> Result<Read, Error> {
    let mut buf = [0u8; BUF_SIZE];
    let n = loop {
        match recv_normal(conn, &mut buf, MsgFlags::MSG_DONTWAIT) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue, // a signal, not an error
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(Read::Nothing),
            other => break other.context("recv")?,
        }
    };
    if n == 0 {
        out.line("received EOF")?;
        return Ok(Read::Eof);
    }
    out.line(format_args!(
        "got {n} bytes of normal data '{}'",
        text(&buf[..n])
    ))?;
    Ok(Read::Data)
}

fn print_urgent(out: Out, byte: u8) -> Result<(), Error> {
    out.line(format_args!("got 1 bytes of oob data '{}'", text(&[byte])))
}

// ANCHOR: take_urgent_at_mark
/// Before a normal read: if the read pointer is at the mark and the urgent
/// byte there has not been read yet, read it now with MSG_OOB. A normal read
/// from here would step over it and drop it. If the byte was announced but
/// has not arrived (flow control), wait for it first.
fn take_urgent_at_mark(
    conn: &Socket,
    pace: &mut Pace<'_>,
    taken: &mut bool,
    out: Out,
) -> Result<(), Error> {
    if *taken || !sockatmark(conn).context("sockatmark")? {
        return Ok(());
    }
    loop {
        match recv_urgent(conn) {
            Ok(byte) => {
                print_urgent(out, byte)?;
                *taken = true;
                return Ok(());
            }
            Err(UrgentError::NotYetArrived) => {
                pace.wait_one(conn, PollFlags::POLLPRI)?;
            }
            Err(UrgentError::Interrupted) => {}
            // Already read (by a SIGURG handler, say): nothing left to take.
            Err(UrgentError::NonePending) => {
                *taken = true;
                return Ok(());
            }
            Err(e) => return Err(Error::runtime(format!("recv(MSG_OOB): {e}"))),
        }
    }
}
// ANCHOR_END: take_urgent_at_mark

// ANCHOR: plain
/// Normal reads, with the urgent byte taken at the mark.
fn plain(conn: &Socket, pace: &mut Pace<'_>, out: Out) -> Result<(), Error> {
    let mut taken = false; // the urgent byte at the current mark was read
    loop {
        pace.wait_one(conn, PollFlags::POLLIN | PollFlags::POLLPRI)?;
        take_urgent_at_mark(conn, pace, &mut taken, out)?;
        match read_normal(conn, out)? {
            Read::Data => taken = false,
            Read::Eof => return Ok(()),
            Read::Nothing => {}
        }
    }
}
// ANCHOR_END: plain

// ANCHOR: sigurg
/// F_SETOWN so the kernel signals this process, a SIGURG handler that reads
/// the urgent byte, and a main loop of normal reads.
fn sigurg(conn: &Socket, pace: &mut Pace<'_>, out: Out) -> Result<(), Error> {
    // exercise: oob-recv/sigurg
    set_owner(conn).context("fcntl(F_SETOWN, getpid())")?;
    let handler = SigurgHandler::install(conn, true)?;
    // The handler reads urgent bytes as they are announced; the loop still
    // checks the mark, for a byte announced before F_SETOWN or not yet
    // arrived when the handler ran.
    let mut taken = false;
    loop {
        // POLLPRI too: a byte announced before F_SETOWN raised no signal.
        let conn_events = PollFlags::POLLIN | PollFlags::POLLPRI;
        let ready = pace.wait(&[
            (conn.as_fd(), conn_events),
            (handler.fd(), PollFlags::POLLIN),
        ])?;
        for notice in handler.take() {
            out.line("SIGURG received")?;
            match notice {
                Notice::Byte(byte) => print_urgent(out, byte)?,
                Notice::Failed(e) => {
                    out.line(format_args!("recv(MSG_OOB) in the handler failed: {e}"))?
                }
                Notice::Signal => {}
            }
        }
        if ready[0].is_empty() {
            continue; // only the handler had news
        }
        take_urgent_at_mark(conn, pace, &mut taken, out)?;
        match read_normal(conn, out)? {
            Read::Data => taken = false,
            Read::Eof => return Ok(()),
            Read::Nothing => {}
        }
    }
    // end exercise
}
// ANCHOR_END: sigurg

// ANCHOR: select_loop
/// `select` with the socket in both the read set and the exception set.
/// The broken form (the textbook's first try) asks for exceptions on every
/// loop; the fixed one stops asking right after reading an urgent byte,
/// until a normal read has moved past the mark.
fn select_loop(conn: &Socket, pace: &mut Pace<'_>, out: Out, fixed: bool) -> Result<(), Error> {
    // exercise: oob-recv/select
    let mut just_read_oob = false;
    loop {
        let watch_exceptions = !(fixed && just_read_oob);
        let events = if watch_exceptions {
            PollFlags::POLLIN | PollFlags::POLLPRI
        } else {
            PollFlags::POLLIN
        };
        pace.before_block(&[(conn.as_fd(), events)])?;
        let mut read_set = FdSet::new();
        let mut except_set = FdSet::new();
        read_set.insert(conn.as_fd());
        if watch_exceptions {
            except_set.insert(conn.as_fd());
        }
        let mut timeout = pace
            .timeout()
            .map(|t| TimeVal::new(t.as_secs() as _, t.subsec_micros() as _));
        let n = match select(None, &mut read_set, None, &mut except_set, timeout.as_mut()) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => other.context("select")?,
        };
        if n == 0 {
            return Err(Error::runtime(
                "select: nothing arrived within the timeout (see --timeout)",
            ));
        }
        if except_set.contains(conn.as_fd()) {
            let byte =
                recv_urgent(conn).map_err(|e| Error::runtime(format!("recv(MSG_OOB): {e}")))?;
            print_urgent(out, byte)?;
            just_read_oob = true;
        }
        if read_set.contains(conn.as_fd()) {
            match read_normal(conn, out)? {
                Read::Data => just_read_oob = false,
                Read::Eof => return Ok(()),
                Read::Nothing => {}
            }
        }
    }
    // end exercise
}
// ANCHOR_END: select_loop

// ANCHOR: poll_loop
/// The select loop written with `poll`, as the textbook's poll version
/// (tcprecv03p) is: `urgent_event` is the bit that says an urgent byte is
/// there. The textbook asks for POLLRDBAND, "priority band data"; Linux
/// reports urgent data as POLLPRI and never sets POLLRDBAND, so with that
/// bit the loop never calls recv(MSG_OOB) and its normal reads step over
/// each urgent byte. Asking for POLLPRI is the fix. Like the fixed select
/// loop, it stops asking right after reading an urgent byte, until a
/// normal read has moved past the mark.
fn poll_loop(
    conn: &Socket,
    pace: &mut Pace<'_>,
    out: Out,
    urgent_event: PollFlags,
) -> Result<(), Error> {
    let mut just_read_oob = false;
    loop {
        let mut events = PollFlags::POLLRDNORM;
        if !just_read_oob {
            events |= urgent_event;
        }
        let ready = pace.wait_one(conn, events)?;
        if ready.intersects(urgent_event) {
            let byte =
                recv_urgent(conn).map_err(|e| Error::runtime(format!("recv(MSG_OOB): {e}")))?;
            print_urgent(out, byte)?;
            just_read_oob = true;
        }
        // A hang-up or an error is read too: the read says which.
        if ready.intersects(PollFlags::POLLRDNORM | PollFlags::POLLHUP | PollFlags::POLLERR) {
            match read_normal(conn, out)? {
                Read::Data => just_read_oob = false,
                Read::Eof => return Ok(()),
                Read::Nothing => {}
            }
        }
    }
}
// ANCHOR_END: poll_loop

// ANCHOR: atmark
/// SO_OOBINLINE (set on the listener, inherited by `accept`): urgent bytes
/// stay in the stream, reads stop at the mark, and `sockatmark` says when
/// the next byte is the urgent one.
fn atmark(conn: &Socket, pace: &mut Pace<'_>, out: Out) -> Result<(), Error> {
    // exercise: oob-recv/atmark
    loop {
        pace.wait_one(conn, PollFlags::POLLIN)?;
        if sockatmark(conn).context("sockatmark")? {
            out.line("at OOB mark")?;
        }
        if read_normal(conn, out)? == Read::Eof {
            return Ok(());
        }
    }
    // end exercise
}
// ANCHOR_END: atmark

// ANCHOR: flow_control
/// How long a live flow-control receiver waits for the urgent notice before
/// it starts reading anyway. TCP's urgent pointer is a 16-bit offset, so a
/// sender with more than 64 KiB queued ahead of its urgent byte cannot
/// announce it at all until the receiver has read some of that data: a
/// receiver that only waits would wait for ever.
pub const NOTICE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(1);

/// A receive buffer of 4096 bytes and no reading: the sender's window
/// closes. SIGURG still arrives, carried by a window probe, but the byte
/// itself is stuck behind the data; only draining lets it through. Then
/// every mark is checked on the way, so no later urgent byte is lost.
fn flow_control(conn: &Socket, pace: &mut Pace<'_>, out: Out) -> Result<(), Error> {
    set_owner(conn).context("fcntl(F_SETOWN, getpid())")?;
    let handler = SigurgHandler::install(conn, false)?;
    // An announcement that came before F_SETOWN raised no signal: ask first.
    let mut first_try = recv_urgent(conn);
    let mut noticed = true;
    if matches!(first_try, Err(UrgentError::NonePending)) {
        // The connection first: with --wait-eof, Pace waits on fds[0].
        let fds = [
            (conn.as_fd(), sockref::peer::POLLRDHUP),
            (handler.fd(), PollFlags::POLLIN),
        ];
        match pace.wait_at_most(&fds, NOTICE_PATIENCE)? {
            Some(ready) => {
                let _ = handler.take(); // window probes may repeat the signal: one line says it
                out.line(if ready[1].is_empty() {
                    "the sender finished without SIGURG"
                } else {
                    "SIGURG received"
                })?;
                first_try = recv_urgent(conn);
            }
            None => {
                noticed = false;
                out.line(format_args!(
                    "no SIGURG within {} s: the urgent byte may be more than 64 KiB behind \
                     (the urgent pointer is 16 bits); reading normal data meanwhile",
                    NOTICE_PATIENCE.as_secs()
                ))?;
            }
        }
    } else {
        out.line("urgent data was announced before F_SETOWN: no SIGURG")?;
    }
    if noticed {
        match first_try {
            Ok(byte) => print_urgent(out, byte)?,
            Err(e) => out.line(format_args!("recv(MSG_OOB) failed: {e}"))?,
        }
        let pri = wait_urgent(conn, Some(std::time::Duration::ZERO)).context("poll(POLLPRI)")?;
        out.line(format_args!(
            "poll reports POLLPRI: {}",
            if pri { "yes" } else { "no" }
        ))?;
    }

    // Normal data since the last mark; whether a mark was reached; whether
    // the urgent byte at the current mark was taken.
    let (mut since_mark, mut any_mark, mut taken) = (0usize, false, false);
    let mut buf = [0u8; BUF_SIZE];
    let mut waited = false;
    loop {
        // The mark before every read, and before every wait: a read that
        // stopped at the mark leaves nothing readable (the urgent byte is
        // out of band), so a wait would wait past it; and a mark that came
        // with the data just waited for must be seen before that data is
        // read, or the read steps over the byte.
        if !taken && sockatmark(conn).context("sockatmark")? {
            out.line(format_args!(
                "read {since_mark} bytes of normal data up to the mark"
            ))?;
            (since_mark, any_mark) = (0, true);
            take_urgent_at_mark(conn, pace, &mut taken, out)?;
            continue;
        }
        if !std::mem::take(&mut waited) {
            pace.wait_one(conn, PollFlags::POLLIN | PollFlags::POLLPRI)?;
            let _ = handler.take(); // later signals: the marks tell the story
            waited = true;
            continue; // check the mark again, then read
        }
        let n = match recv_normal(conn, &mut buf, MsgFlags::MSG_DONTWAIT) {
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
                ) =>
            {
                continue;
            }
            other => other.context("recv")?,
        };
        if n == 0 {
            break;
        }
        since_mark += n;
        taken = false; // the read moved past the mark
    }
    if any_mark {
        out.line(format_args!(
            "read {since_mark} bytes of normal data after the mark"
        ))?;
    } else {
        out.line(format_args!(
            "read {since_mark} bytes of normal data and reached no mark"
        ))?;
    }
    out.line("received EOF")?;
    Ok(())
}
// ANCHOR_END: flow_control

// ANCHOR: naive
/// The receiver of seed 000, in this project's words: one normal read as
/// soon as there is data, then `recv(MSG_OOB)` once, at once, whatever has
/// arrived by then, then normal reads to the end. It never asks where the
/// mark is, so what it prints depends on how far the sender had got at each
/// call; against a live sender the transcript varies from run to run.
fn naive(conn: &Socket, pace: &mut Pace<'_>, out: Out) -> Result<(), Error> {
    loop {
        pace.wait_one(conn, PollFlags::POLLIN)?;
        match read_normal(conn, out)? {
            Read::Data => break,
            Read::Eof => return Ok(()),
            Read::Nothing => {}
        }
    }
    match recv_urgent(conn) {
        Ok(byte) => print_urgent(out, byte)?,
        Err(e) => out.line(format_args!("recv(MSG_OOB) failed: {e}"))?,
    }
    loop {
        pace.wait_one(conn, PollFlags::POLLIN)?;
        if read_normal(conn, out)? == Read::Eof {
            return Ok(());
        }
    }
}
// ANCHOR_END: naive
