//! Section "Socket descriptors" (APUE 16.2): what the socket type promises,
//! and how a connection ends; and, from "Addressing" (APUE 16.3), the
//! layout of Linux's socket addresses.
//!
//! - Protocol 0 is the domain's default for the type: TCP for a stream
//!   and UDP for a datagram socket over IPv4 and IPv6 (`SO_PROTOCOL`).
//! - `SOCK_STREAM` is a byte stream: two writes may arrive as one read.
//! - `SOCK_SEQPACKET` keeps message boundaries, in order and reliably.
//! - `SOCK_DGRAM` delivers whole datagrams; a short buffer truncates one,
//!   and `MSG_TRUNC` tells the real length.
//! - `shutdown(SHUT_WR)` ends one direction while the peer can still answer;
//!   `close` on a duplicated descriptor ends nothing until the last copy is
//!   closed.
//! - Linux's `struct sockaddr` starts with `sa_family`: there is no BSD
//!   `sa_len` byte before it. The C twin prints the layout of glibc's
//!   headers, and the two transcripts agree.
//!
//! All on AF_UNIX socket pairs, which offer all three types on one machine
//! (TCP is a stream and UDP a datagram service, but SOCK_SEQPACKET over IP
//! needs SCTP).
#![forbid(unsafe_code)]

use sockref::outln;
use std::os::fd::{AsFd, AsRawFd};
use std::process::ExitCode;

use nix::sys::socket::MsgFlags;
use socket2::{Domain, Socket, Type};
use sockref::{Context, Error};

const USAGE: &str = "sockets";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        sockref::cli::no_arguments()?;
        protocol_0_is_the_default()?;
        stream_merges_writes()?;
        seqpacket_keeps_boundaries()?;
        datagrams_are_whole_or_truncated()?;
        shutdown_half_closes()?;
        close_ends_with_the_last_copy()?;
        sockaddr_layout()?;
        Ok(())
    })
}

/// The C name of an IP protocol number.
fn protocol_name(protocol: libc::c_int) -> String {
    match protocol {
        libc::IPPROTO_TCP => "IPPROTO_TCP (6)".into(),
        libc::IPPROTO_UDP => "IPPROTO_UDP (17)".into(),
        n => format!("protocol {n}"),
    }
}

// ANCHOR: protocol
/// `socket(domain, type, 0)`: the kernel picks the protocol, and
/// `SO_PROTOCOL` says which.
fn protocol_0_is_the_default() -> Result<(), Error> {
    for (domain, name) in [(Domain::IPV4, "AF_INET"), (Domain::IPV6, "AF_INET6")] {
        let mut picked = Vec::new();
        for (ty, ty_name) in [(Type::STREAM, "SOCK_STREAM"), (Type::DGRAM, "SOCK_DGRAM")] {
            let sock =
                Socket::new(domain, ty, None).context(format!("socket({name}, {ty_name}, 0)"))?;
            let protocol: libc::c_int =
                sockref::ffi::getsockopt(sock.as_fd(), libc::SOL_SOCKET, libc::SO_PROTOCOL)
                    .context("getsockopt(SO_PROTOCOL)")?;
            picked.push(format!(
                "socket({name}, {ty_name}, 0) is {}",
                protocol_name(protocol)
            ));
        }
        outln!("protocol 0: {}", picked.join("; "))?;
    }
    Ok(())
}
// ANCHOR_END: protocol

/// A connected AF_UNIX pair of the given type.
fn pair(ty: Type, name: &str) -> Result<(Socket, Socket), Error> {
    Socket::pair(Domain::UNIX, ty, None).context(format!("socketpair(AF_UNIX, {name})"))
}

/// One `recv` into a buffer of `size` bytes; the text and the flags' length.
fn recv_text(sock: &Socket, size: usize, flags: MsgFlags) -> Result<(String, usize), Error> {
    let mut buf = vec![0u8; size];
    let n = nix::sys::socket::recv(sock.as_raw_fd(), &mut buf, flags).context("recv")?;
    let shown = n.min(size);
    Ok((String::from_utf8_lossy(&buf[..shown]).into_owned(), n))
}

// ANCHOR: stream
fn stream_merges_writes() -> Result<(), Error> {
    // exercise: sockets/stream
    let (a, b) = pair(Type::STREAM, "SOCK_STREAM")?;
    a.send(b"hello").context("send")?;
    a.send(b"world").context("send")?;
    let (text, n) = recv_text(&b, 100, MsgFlags::empty())?;
    outln!("SOCK_STREAM: wrote 'hello' and 'world'; one recv got {n} bytes '{text}'")?;
    Ok(())
    // end exercise
}
// ANCHOR_END: stream

fn seqpacket_keeps_boundaries() -> Result<(), Error> {
    // exercise: sockets/seqpacket
    let (a, b) = pair(Type::SEQPACKET, "SOCK_SEQPACKET")?;
    a.send(b"hello").context("send")?;
    a.send(b"world").context("send")?;
    let (first, n1) = recv_text(&b, 100, MsgFlags::empty())?;
    let (second, n2) = recv_text(&b, 100, MsgFlags::empty())?;
    outln!(
        "SOCK_SEQPACKET: wrote 'hello' and 'world'; recv got {n1} bytes '{first}', then {n2} bytes '{second}'"
    )?;
    Ok(())
    // end exercise
}

// ANCHOR: dgram
fn datagrams_are_whole_or_truncated() -> Result<(), Error> {
    let (a, b) = pair(Type::DGRAM, "SOCK_DGRAM")?;
    a.send(b"hello").context("send")?;
    a.send(b"world").context("send")?;
    let (first, n1) = recv_text(&b, 100, MsgFlags::empty())?;
    // A 3-byte buffer: the rest of the datagram is discarded. MSG_TRUNC
    // makes recv return the datagram's real length.
    let (cut, real) = recv_text(&b, 3, MsgFlags::MSG_TRUNC)?;
    outln!("SOCK_DGRAM: wrote 'hello' and 'world'; recv got {n1} bytes '{first}'")?;
    outln!(
        "SOCK_DGRAM: a 3-byte buffer got '{cut}'; MSG_TRUNC says the datagram had {real} bytes"
    )?;
    Ok(())
}
// ANCHOR_END: dgram

// ANCHOR: shutdown
fn shutdown_half_closes() -> Result<(), Error> {
    // exercise: sockets/shutdown
    let (a, b) = pair(Type::STREAM, "SOCK_STREAM")?;
    a.send(b"question").context("send")?;
    a.shutdown(std::net::Shutdown::Write)
        .context("shutdown(SHUT_WR)")?;
    let (q, _) = recv_text(&b, 100, MsgFlags::empty())?;
    let (_, n) = recv_text(&b, 100, MsgFlags::empty())?;
    b.send(b"answer")
        .context("send after the peer's shutdown")?;
    let (answer, _) = recv_text(&a, 100, MsgFlags::empty())?;
    outln!(
        "shutdown(SHUT_WR): the peer read '{q}', then {n} bytes (end of file), and could still answer '{answer}'"
    )?;
    Ok(())
    // end exercise
}
// ANCHOR_END: shutdown

// ANCHOR: close
fn close_ends_with_the_last_copy() -> Result<(), Error> {
    // exercise: sockets/close
    let (a, b) = pair(Type::STREAM, "SOCK_STREAM")?;
    let copy = a.try_clone().context("dup")?;
    drop(a); // close(fd): one of two descriptors of the same socket
    // EAGAIN: nothing to read, and no end of file either.
    let mut probe = [0u8; 1];
    let first = match nix::sys::socket::recv(b.as_raw_fd(), &mut probe, MsgFlags::MSG_DONTWAIT) {
        Err(nix::errno::Errno::EAGAIN) => "no end of file (EAGAIN)".to_string(),
        Ok(n) => format!("recv return {n}"),
        Err(e) => return Err(Error::runtime(format!("recv: {}", std::io::Error::from(e)))),
    };
    drop(copy); // close the last copy
    let (_, n) = recv_text(&b, 100, MsgFlags::empty())?;
    outln!(
        "close: after closing one of two copies the peer saw {first}; after the last, recv returned {n} (end of file)"
    )?;
    Ok(())
    // end exercise
}
// ANCHOR_END: close

/// The layout of the address structures as this program was compiled
/// against them (the libc crate's, in C glibc's own headers): the family
/// comes first, and there is no `sa_len`.
fn sockaddr_layout() -> Result<(), Error> {
    use std::mem::{offset_of, size_of};
    outln!(
        "struct sockaddr: {} bytes, sa_family ({} bytes) at offset {}: no sa_len",
        size_of::<libc::sockaddr>(),
        size_of::<libc::sa_family_t>(),
        offset_of!(libc::sockaddr, sa_family)
    )?;
    outln!(
        "struct sockaddr_in: {} bytes, sin_family at offset {}, sin_port at {}, sin_addr at {}",
        size_of::<libc::sockaddr_in>(),
        offset_of!(libc::sockaddr_in, sin_family),
        offset_of!(libc::sockaddr_in, sin_port),
        offset_of!(libc::sockaddr_in, sin_addr)
    )?;
    Ok(())
}
