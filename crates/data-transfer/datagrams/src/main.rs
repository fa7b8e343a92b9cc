//! Section "Data transfer" (APUE 16.5): datagrams with `sendto` and
//! `recvfrom`, and `connect` on a datagram socket.
//!
//! A connected UDP socket has a default destination, and it learns of
//! errors: when nobody listens on the port, the ICMP "port unreachable"
//! that comes back makes the next call fail with ECONNREFUSED. An
//! unconnected socket never hears of it.
#![forbid(unsafe_code)]

use sockref::outln;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;

use sockref::{Context, Error};

const USAGE: &str = "datagrams";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        sockref::cli::no_arguments()?;
        sendto_recvfrom()?;
        connected_datagrams()
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
    // A port where nobody listens: bound a moment ago, then closed.
    let nobody: SocketAddr = bind_loopback()?.local_addr().context("getsockname")?;
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
