//! Section "Data transfer" (APUE 16.5): partial writes.
//!
//! On a non-blocking socket, `send` takes what fits in the buffers and
//! returns that count, which can be less than asked; once nothing fits it
//! fails with EAGAIN. A correct sender loops: wait until the socket is
//! writable, send the rest. Here the receiver drains in the same thread
//! whenever the sender is stuck, so the transfer ends by itself.
#![forbid(unsafe_code)]

use sockref::outln;
use std::os::fd::AsFd;
use std::process::ExitCode;

use nix::poll::PollFlags;
use sockref::peer::{DEMO_TIMEOUT, Family, connected_pair, poll_one};
use sockref::{Context, Error};

const USAGE: &str = "partial-writes";
const TOTAL: usize = 4 << 20;

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        sockref::cli::no_arguments()?;
        partial_writes()
    })
}

// ANCHOR: partial
fn partial_writes() -> Result<(), Error> {
    let (tx, rx) = connected_pair(Family::Ipv4, |_| Ok(()))?;
    tx.set_nonblocking(true).context("fcntl(O_NONBLOCK)")?;
    rx.set_nonblocking(true).context("fcntl(O_NONBLOCK)")?;
    let data = vec![b'd'; TOTAL];

    let first = tx.send(&data).context("send")?;
    outln!(
        "send of {TOTAL} bytes on a non-blocking socket: {}",
        if first < TOTAL {
            "a partial count, less than asked"
        } else {
            "everything"
        }
    )?;
    let again = match tx.send(&data[first..]) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            outln!("send again at once: {e}")?;
            0
        }
        Err(e) => return Err(Error::runtime(format!("send: {e}"))),
        Ok(n) => {
            outln!("send again at once: {n} more bytes")?;
            n
        }
    };

    // The loop that finishes the job.
    let (mut sent, mut received) = (first + again, 0);
    let mut buf = vec![0u8; 256 * 1024];
    // exercise: partial-writes/loop
    while received < TOTAL {
        if sent < TOTAL {
            match tx.send(&data[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(Error::runtime(format!("send: {e}"))),
            }
        }
        // The receiver's turn: take what has arrived.
        if poll_one(rx.as_fd(), PollFlags::POLLIN, Some(DEMO_TIMEOUT))
            .context("poll")?
            .is_empty()
        {
            return Err(Error::runtime("nothing arrived within the timeout"));
        }
        match nix::sys::socket::recv(
            std::os::fd::AsRawFd::as_raw_fd(&rx),
            &mut buf,
            nix::sys::socket::MsgFlags::empty(),
        ) {
            Ok(n) => received += n,
            Err(nix::errno::Errno::EAGAIN) => {}
            Err(e) => return Err(Error::runtime(format!("recv: {}", std::io::Error::from(e)))),
        }
    }
    // end exercise
    outln!("the loop sent all {sent} bytes; the receiver got {received}")?;
    Ok(())
}
// ANCHOR_END: partial
