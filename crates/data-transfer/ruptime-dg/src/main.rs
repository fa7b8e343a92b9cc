//! Section "Data transfer" (APUE 16.5): `ruptime` over datagrams, the
//! client of APUE figure 16.19 with the server of figure 16.20.
//!
//! The client sends one datagram to ask and waits for one back. Over UDP
//! either may be lost, or nobody may answer, and `recvfrom` would then wait
//! forever; so before it waits the client sets an alarm. SIGALRM, caught
//! by a handler installed without SA_RESTART, interrupts the `recvfrom`,
//! which fails with EINTR: the client gives up instead of hanging.
//!
//! With no arguments the program demonstrates both outcomes on 127.0.0.1:
//! a server that answers with the machine's uptime, played in this thread
//! between the request and the wait, and a server that is bound (so no
//! ICMP error comes back) but never answers, where the alarm fires.
#![deny(unsafe_code)]

use sockref::outln;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use nix::unistd::alarm;
use sockref::{Context, Error};

const USAGE: &str = "ruptime-dg";

/// Seconds the client waits for a reply: alarm's unit.
const TIMEOUT: u32 = 1;

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        sockref::cli::no_arguments()?;
        catch_sigalrm()?;
        let client = bind_loopback()?;

        // A server that answers (APUE figure 16.20).
        let server = bind_loopback()?;
        server
            .set_read_timeout(Some(sockref::peer::DEMO_TIMEOUT))
            .context("setsockopt(SO_RCVTIMEO)")?;
        let to = server.local_addr().context("getsockname")?;
        ask(&client, to)?;
        answer(&server)?;
        wait_for_the_reply(&client)?;

        // A server that never answers: bound, so no ICMP error comes back.
        let silent = bind_loopback()?;
        let to = silent.local_addr().context("getsockname")?;
        ask(&client, to)?;
        wait_for_the_reply(&client)?;
        silent.set_nonblocking(true).context("fcntl(O_NONBLOCK)")?;
        let mut buf = [0u8; 64];
        let n = silent.recv(&mut buf).context("recv")?;
        outln!(
            "silent server {to}: the request was there, unread: {n} bytes '{}'",
            String::from_utf8_lossy(&buf[..n])
        )?;
        Ok(())
    })
}

fn bind_loopback() -> Result<UdpSocket, Error> {
    UdpSocket::bind("127.0.0.1:0").context("bind to 127.0.0.1 port 0")
}

// ANCHOR: catch_sigalrm
/// SIGALRM's handler does nothing: its arrival is the point. Without
/// SA_RESTART, a system call it interrupts fails with EINTR instead of
/// being restarted (glibc's `signal()` would set SA_RESTART).
extern "C" fn on_alarm(_: std::ffi::c_int) {}

#[allow(unsafe_code)]
fn catch_sigalrm() -> Result<(), Error> {
    let action = SigAction::new(
        SigHandler::Handler(on_alarm),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: the handler is empty, so it is async-signal-safe, and this
    // program has no other use for SIGALRM.
    unsafe { sigaction(Signal::SIGALRM, &action) }
        .map_err(std::io::Error::from)
        .context("sigaction(SIGALRM)")?;
    Ok(())
}
// ANCHOR_END: catch_sigalrm

/// The client's request: one datagram that says "I am here".
fn ask(client: &UdpSocket, to: SocketAddr) -> Result<(), Error> {
    client
        .send_to(b"ruptime", to)
        .context(format!("sendto {to}"))?;
    outln!(
        "client {}: sendto {to}: 'ruptime'",
        client.local_addr().context("getsockname")?
    )?;
    Ok(())
}

// ANCHOR: wait_for_the_reply
/// One reply, or the alarm: the wait is bounded by TIMEOUT seconds.
fn wait_for_the_reply(client: &UdpSocket) -> Result<(), Error> {
    let mut buf = [0u8; 128];
    alarm::set(TIMEOUT);
    let got = client.recv_from(&mut buf);
    alarm::cancel();
    match got {
        Ok((n, from)) => outln!(
            "client: alarm({TIMEOUT}), recvfrom: '{}' from {from}",
            String::from_utf8_lossy(&buf[..n])
        )?,
        Err(e) if e.kind() == ErrorKind::Interrupted => {
            outln!("client: alarm({TIMEOUT}), recvfrom: {e}: no reply within {TIMEOUT} s")?
        }
        Err(e) => return Err(Error::runtime(format!("recvfrom: {e}"))),
    }
    Ok(())
}
// ANCHOR_END: wait_for_the_reply

/// The server's side: one request, answered with the machine's uptime.
fn answer(server: &UdpSocket) -> Result<(), Error> {
    let mut buf = [0u8; 64];
    let (n, from) = server.recv_from(&mut buf).context("recvfrom")?;
    let uptime = std::fs::read_to_string("/proc/uptime").context("read /proc/uptime")?;
    let seconds = uptime.split_whitespace().next().unwrap_or("?");
    let reply = format!("up {seconds} s");
    server
        .send_to(reply.as_bytes(), from)
        .context(format!("sendto {from}"))?;
    outln!(
        "server {}: recvfrom got '{}' from {from}; sendto it the uptime",
        server.local_addr().context("getsockname")?,
        String::from_utf8_lossy(&buf[..n])
    )?;
    Ok(())
}
