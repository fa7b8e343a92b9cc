//! Section "Data transfer" (APUE 16.5): the flags of `recv`.
//!
//! `MSG_PEEK` looks without consuming, `MSG_DONTWAIT` fails with EAGAIN
//! instead of blocking, `MSG_WAITALL` waits for a full buffer (or the end),
//! `MSG_TRUNC` gives a datagram's real length, and `recv` returns 0 once the
//! peer has shut down its side. All on loopback, in one thread.
#![forbid(unsafe_code)]

use sockref::outln;
use std::net::{Shutdown, UdpSocket};
use std::os::fd::AsRawFd;
use std::process::ExitCode;

use nix::sys::socket::{MsgFlags, recv};
use sockref::peer::{Family, connected_pair};
use sockref::{Context, Error};

const USAGE: &str = "flags";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        sockref::cli::no_arguments()?;
        stream_flags()?;
        datagram_truncation()
    })
}

/// One recv with `flags` into a buffer of `size`: the text, or the error.
fn show(fd: &impl AsRawFd, size: usize, flags: MsgFlags) -> String {
    let mut buf = vec![0u8; size];
    match recv(fd.as_raw_fd(), &mut buf, flags) {
        Ok(n) => format!(
            "{n} bytes '{}'",
            String::from_utf8_lossy(&buf[..n.min(size)])
        ),
        Err(e) => std::io::Error::from(e).to_string(),
    }
}

// ANCHOR: stream_flags
fn stream_flags() -> Result<(), Error> {
    // exercise: flags/stream
    let (tx, rx) = connected_pair(Family::Ipv4, |_| Ok(()))?;
    outln!(
        "MSG_DONTWAIT on an empty socket: {}",
        show(&rx, 100, MsgFlags::MSG_DONTWAIT)
    )?;

    tx.send(b"hello").context("send")?;
    sockref::peer::poll_one(
        std::os::fd::AsFd::as_fd(&rx),
        nix::poll::PollFlags::POLLIN,
        Some(sockref::peer::DEMO_TIMEOUT),
    )
    .context("poll")?;
    outln!("MSG_PEEK: {}", show(&rx, 100, MsgFlags::MSG_PEEK))?;
    outln!("then a plain recv: {}", show(&rx, 100, MsgFlags::empty()))?;

    tx.send(b"world").context("send")?;
    tx.shutdown(Shutdown::Write).context("shutdown(SHUT_WR)")?;
    // Ten bytes asked, five sent before the end: the end of file ends the wait.
    outln!(
        "MSG_WAITALL for 10 bytes, 5 sent, then shutdown: {}",
        show(&rx, 10, MsgFlags::MSG_WAITALL)
    )?;
    outln!(
        "recv after the peer's shutdown: {}, and again: {}",
        show(&rx, 100, MsgFlags::empty()),
        show(&rx, 100, MsgFlags::empty())
    )?;
    Ok(())
    // end exercise
}
// ANCHOR_END: stream_flags

fn datagram_truncation() -> Result<(), Error> {
    let rx = UdpSocket::bind("127.0.0.1:0").context("bind to 127.0.0.1 port 0")?;
    let tx = UdpSocket::bind("127.0.0.1:0").context("bind to 127.0.0.1 port 0")?;
    let to = rx.local_addr().context("getsockname")?;
    tx.send_to(b"hello", to).context(format!("sendto {to}"))?;
    tx.send_to(b"hello", to).context(format!("sendto {to}"))?;
    outln!(
        "UDP, a 3-byte buffer for a 5-byte datagram: {}",
        show(&rx, 3, MsgFlags::empty())
    )?;
    outln!(
        "the same with MSG_TRUNC: recv returns the datagram's length: {}",
        show(&rx, 3, MsgFlags::MSG_TRUNC)
    )?;
    Ok(())
}
