//! Section "Data transfer" (APUE 16.5): datagrams with `sendto` and
//! `recvfrom`, and `connect` on a datagram socket.
//!
//! A connected UDP socket has a default destination, and it learns of
//! errors: when nobody listens on the port, the ICMP "port unreachable"
//! that comes back makes the next call fail with ECONNREFUSED. An
//! unconnected socket hears of it only if it asked, with the Linux option
//! IP_RECVERR: then the error is queued on the socket, and
//! `recvmsg(MSG_ERRQUEUE)` reads it as a `sock_extended_err`.
#![forbid(unsafe_code)]

use sockref::outln;
use std::io::IoSliceMut;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd};
use std::process::ExitCode;

use nix::poll::PollFlags;
use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrIn, recvmsg, setsockopt, sockopt::Ipv4RecvErr,
};
use sockref::peer::{DEMO_TIMEOUT, poll_one};
use sockref::{Context, Error};

const USAGE: &str = "datagrams";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        sockref::cli::no_arguments()?;
        sendto_recvfrom()?;
        connected_datagrams()?;
        unconnected_with_ip_recverr()
    })
}

fn bind_loopback() -> Result<UdpSocket, Error> {
    let s = UdpSocket::bind("127.0.0.1:0").context("bind to 127.0.0.1 port 0")?;
    s.set_read_timeout(Some(sockref::peer::DEMO_TIMEOUT))
        .context("setsockopt(SO_RCVTIMEO)")?;
    Ok(s)
}

fn sendto_recvfrom() -> Result<(), Error> {
    // exercise: datagrams/sendto
    let server = bind_loopback()?;
    let client = bind_loopback()?;
    let (to, me) = (
        server.local_addr().context("getsockname")?,
        client.local_addr().context("getsockname")?,
    );
    client
        .send_to(b"ping", to)
        .context(format!("sendto {to}"))?;
    outln!("client {me}: sendto {to}: 'ping'")?;
    let mut buf = [0u8; 100];
    let (n, from) = server.recv_from(&mut buf).context("recvfrom")?;
    outln!(
        "server: recvfrom got {n} bytes '{}' from {from}",
        String::from_utf8_lossy(&buf[..n])
    )?;
    server
        .send_to(b"pong", from)
        .context(format!("sendto {from}"))?;
    let (n, from) = client.recv_from(&mut buf).context("recvfrom")?;
    outln!(
        "client: recvfrom got {n} bytes '{}' from {from}",
        String::from_utf8_lossy(&buf[..n])
    )?;
    Ok(())
    // end exercise
}

// ANCHOR: connected
fn connected_datagrams() -> Result<(), Error> {
    let nobody = nobody_listens()?;
    let unconnected = bind_loopback()?;
    unconnected
        .send_to(b"anyone?", nobody)
        .context(format!("sendto {nobody}"))?;
    unconnected
        .set_nonblocking(true)
        .context("fcntl(O_NONBLOCK)")?;
    let mut buf = [0u8; 100];
    match unconnected.recv_from(&mut buf) {
        Err(e) => outln!("unconnected: sendto a closed port succeeded; recvfrom: {e}")?,
        Ok((n, _)) => outln!("unconnected: recvfrom got {n} bytes")?,
    }
    let connected = bind_loopback()?;
    connected
        .connect(nobody)
        .context(format!("connect to {nobody}"))?;
    connected.send(b"anyone?").context("send")?;
    match connected.recv(&mut buf) {
        Err(e) => outln!("connected: send to a closed port succeeded; the next recv: {e}")?,
        Ok(n) => outln!("connected: recv got {n} bytes")?,
    }
    Ok(())
}
// ANCHOR_END: connected

/// A port on 127.0.0.1 where nobody listens: bound a moment ago, then closed.
fn nobody_listens() -> Result<SocketAddr, Error> {
    bind_loopback()?.local_addr().context("getsockname")
}

// ANCHOR: recverr
fn unconnected_with_ip_recverr() -> Result<(), Error> {
    let nobody = nobody_listens()?;
    let sock = bind_loopback()?;
    setsockopt(&sock, Ipv4RecvErr, &true).context("setsockopt(IP_RECVERR)")?;
    sock.send_to(b"anyone?", nobody)
        .context(format!("sendto {nobody}"))?;
    // The ICMP error is queued on the socket, and poll says so: POLLERR.
    let revents = poll_one(sock.as_fd(), PollFlags::empty(), Some(DEMO_TIMEOUT)).context("poll")?;
    if !revents.contains(PollFlags::POLLERR) {
        return Err(Error::runtime(
            "poll: no error came back within the timeout",
        ));
    }
    sock.set_nonblocking(true).context("fcntl(O_NONBLOCK)")?;
    let mut buf = [0u8; 100];
    match sock.recv_from(&mut buf) {
        Err(e) => {
            outln!("unconnected with IP_RECVERR: sendto a closed port succeeded; recvfrom: {e}")?
        }
        Ok((n, _)) => outln!("unconnected with IP_RECVERR: recvfrom got {n} bytes")?,
    }

    // The error queue holds the datagram that failed, where it was sent,
    // and why, in a control message: struct sock_extended_err.
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut control = nix::cmsg_space!(libc::sock_extended_err, libc::sockaddr_in);
    let flags = MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT;
    let msg = recvmsg::<SockaddrIn>(sock.as_raw_fd(), &mut iov, Some(&mut control), flags)
        .map_err(std::io::Error::from)
        .context("recvmsg(MSG_ERRQUEUE)")?;
    let (n, to) = (msg.bytes, msg.address);
    let errors: Vec<_> = msg
        .cmsgs()
        .context("recvmsg(MSG_ERRQUEUE): control data")?
        .filter_map(|c| match c {
            ControlMessageOwned::Ipv4RecvErr(err, offender) => Some((err, offender)),
            _ => None,
        })
        .collect();
    let to = to.map_or("no address".to_string(), |a| a.to_string());
    outln!(
        "  recvmsg(MSG_ERRQUEUE): {n} bytes '{}', the datagram sent to {to}",
        String::from_utf8_lossy(&buf[..n])
    )?;
    for (err, offender) in errors {
        let from = offender.map_or("unknown".to_string(), |a| {
            std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)).to_string()
        });
        let what = match (err.ee_type, err.ee_code) {
            (3, 3) => " (port unreachable)",
            _ => "",
        };
        outln!(
            "  sock_extended_err: ee_origin {}, ee_type {}, ee_code {}{what}, from {from}",
            origin_name(err.ee_origin),
            err.ee_type,
            err.ee_code
        )?;
        outln!(
            "  ee_errno: {}",
            std::io::Error::from_raw_os_error(err.ee_errno as i32)
        )?;
    }
    Ok(())
}
// ANCHOR_END: recverr

/// The names of `ee_origin`, from `<linux/errqueue.h>`.
fn origin_name(origin: u8) -> String {
    match origin {
        libc::SO_EE_ORIGIN_NONE => "SO_EE_ORIGIN_NONE".into(),
        libc::SO_EE_ORIGIN_LOCAL => "SO_EE_ORIGIN_LOCAL".into(),
        libc::SO_EE_ORIGIN_ICMP => "SO_EE_ORIGIN_ICMP".into(),
        libc::SO_EE_ORIGIN_ICMP6 => "SO_EE_ORIGIN_ICMP6".into(),
        other => other.to_string(),
    }
}
