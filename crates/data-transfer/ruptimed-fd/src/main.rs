//! Section "Data transfer" (APUE 16.5): `ruptimed-fd`, the server of APUE
//! figure 16.18, which lets another program answer its client.
//!
//! For each connection the server forks a child; the child makes the
//! accepted socket its standard output and standard error with `dup2`
//! (and /dev/null its standard input), then execs a command. The command
//! writes to the client without knowing it writes to a socket, and the
//! server never copies a byte. The textbook runs `uptime`, whose answer
//! changes every second; this program runs a fixed command whose answer
//! says what `dup2` did, `/usr/bin/stat` on the child's own standard
//! streams, with `LC_ALL=C` as its whole environment. Nothing of the
//! client's reaches the command line.
//!
//! With no arguments it demonstrates itself on 127.0.0.1 and an ephemeral
//! port: the server and one client, in one process and one thread (the
//! connection completes in the listen backlog, and the reply waits in the
//! client's receive buffer until it reads).
#![forbid(unsafe_code)]

use sockref::outln;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitCode, Stdio};

use sockref::peer::{DEMO_TIMEOUT, accept_within};
use sockref::{Context, Error};

const USAGE: &str = "ruptimed-fd";

/// The command the child runs, and its arguments: fixed, absolute, harmless.
const COMMAND: &str = "/usr/bin/stat";
const ARGS: [&str; 6] = [
    "-L",
    "-c",
    "%n is a %F",
    "/dev/stdin",
    "/dev/stdout",
    "/dev/stderr",
];

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        sockref::cli::no_arguments()?;
        let listener = TcpListener::bind("127.0.0.1:0").context("bind to 127.0.0.1 port 0")?;
        let addr = listener.local_addr().context("getsockname")?;
        outln!("server: listening on {addr}")?;
        let client = TcpStream::connect(addr).context(format!("connect to {addr}"))?;
        client
            .set_read_timeout(Some(DEMO_TIMEOUT))
            .context("setsockopt(SO_RCVTIMEO)")?;
        outln!(
            "client {}: connected",
            client.local_addr().context("getsockname")?
        )?;
        serve(&listener)?;
        read_the_reply(client)
    })
}

// ANCHOR: serve
/// Accept one client, and let a command answer it on the socket.
fn serve(listener: &TcpListener) -> Result<(), Error> {
    let (conn, from) = accept_within(listener, DEMO_TIMEOUT)?;
    outln!("server: accepted {from}; a child runs {COMMAND} on the socket")?;
    // Command forks; the child dup2s the socket onto descriptors 1 and 2
    // and /dev/null onto 0, then execs the command (std opens every
    // socket with FD_CLOEXEC, so no other descriptor survives the exec).
    let mut command = Command::new(COMMAND);
    command
        .args(ARGS)
        .env_clear()
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(OwnedFd::from(conn.try_clone().context("dup")?))
        .stderr(OwnedFd::from(conn));
    let mut child = command
        .spawn()
        .context(format!("fork and exec {COMMAND}"))?;
    // The server's copies of the socket, held by `command`: closed, so that
    // the client's end of file comes when the child's copies close.
    drop(command);
    let status = child.wait().context("waitpid")?;
    match (status.code(), status.signal()) {
        (Some(code), _) => outln!("server: child pid {} exited with status {code}", child.id())?,
        (None, signal) => outln!(
            "server: child pid {} killed by signal {}",
            child.id(),
            signal.unwrap_or(0)
        )?,
    }
    Ok(())
}
// ANCHOR_END: serve

/// The client's side: everything the command wrote, up to end of file.
fn read_the_reply(mut client: TcpStream) -> Result<(), Error> {
    let mut reply = Vec::new();
    client.read_to_end(&mut reply).context("read")?;
    for line in String::from_utf8_lossy(&reply).lines() {
        outln!("client: {line}")?;
    }
    outln!("client: end of file, {} bytes in all", reply.len())?;
    Ok(())
}
