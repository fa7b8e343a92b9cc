//! Section "Connection establishment" (APUE 16.4): a client in the spirit
//! of the textbook's `ruptime`, built on `connect_retry`.
//!
//! `connect-retry IP PORT` connects, printing a line for each failed
//! attempt (its number, the error, the next pause), then copies what the
//! server sends to standard output. With no argument it demonstrates
//! itself: it starts trying before any server exists, and the server
//! (`initserver`) appears after the third failure.
//!
//! `--version 2` (the default) is the textbook's portable `connect_retry`
//! (APUE figure 16.11), a new socket for every attempt; `--version 1` is
//! its first version (APUE figure 16.10), one socket for all of them.
#![forbid(unsafe_code)]

use sockref::outln;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use connect_retry::{Attempt, Policy, RealSleeper, connect_retry, connect_retry_v1};
use socket2::{Domain, Socket, Type};
use sockref::{Context, Error, Out, lexopt};

const USAGE: &str = "connect-retry [IP PORT] [--version 1|2] [--initial SECS] [--factor N] \
[--max-delay SECS] [--max-attempts N] [--max-total SECS] [--jitter SEED]";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let (peer, policy, version) = parse_args()?;
        match peer {
            Some(addr) => client(addr, &policy, version),
            None => self_demo(version),
        }
    })
}

/// Which of the textbook's two `connect_retry`s to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    /// APUE figure 16.10: one socket, reused after each failed connect.
    One,
    /// APUE figure 16.11: a new socket for every attempt (portable).
    Two,
}

// ANCHOR: connect_with
/// Connects to `addr` with the chosen version: version 2 makes a socket
/// for every attempt; for version 1 the socket is made here, once, and
/// every attempt reuses it.
fn connect_with(
    version: Version,
    addr: SocketAddr,
    policy: &Policy,
    on_failure: impl FnMut(&Attempt<'_>),
) -> Result<Socket, Error> {
    match version {
        Version::Two => connect_retry(Type::STREAM, addr, policy, &mut RealSleeper, on_failure)
            .map_err(Error::runtime),
        Version::One => {
            let sock =
                Socket::new(Domain::for_address(addr), Type::STREAM, None).context("socket")?;
            connect_retry_v1(&sock, addr, policy, &mut RealSleeper, on_failure)
                .map_err(Error::runtime)?;
            Ok(sock)
        }
    }
}
// ANCHOR_END: connect_with

/// The progress line of a failed attempt.
fn report(addr: SocketAddr, attempt: &Attempt<'_>) -> Result<(), Error> {
    let (n, e) = (attempt.number, attempt.error);
    match attempt.next_delay {
        Some(pause) => outln!(
            "attempt {n}: connect to {addr}: {e}; next try in {:.3} s",
            pause.as_secs_f64()
        )?,
        None => outln!("attempt {n}: connect to {addr}: {e}; giving up")?,
    }
    Ok(())
}

/// The ruptime-like client: connect (retrying), then copy what the server
/// sends until it closes the connection.
fn client(addr: SocketAddr, policy: &Policy, version: Version) -> Result<(), Error> {
    let mut write_error = None; // a progress line that could not be printed
    let sock = connect_with(version, addr, policy, |a| {
        if let Err(e) = report(addr, a) {
            write_error.get_or_insert(e);
        }
    });
    if let Some(e) = write_error {
        return Err(e);
    }
    let sock = sock?;
    outln!("connected to {addr}")?;
    copy_to_stdout(sock)
}

fn copy_to_stdout(sock: Socket) -> Result<(), Error> {
    let mut stream = std::net::TcpStream::from(sock);
    let mut out = std::io::stdout().lock();
    std::io::copy(&mut stream, &mut out).context("copy the server's reply")?;
    out.flush().context("write")
}

// ANCHOR: self_demo
/// The client starts first; a server on 127.0.0.1 appears after the third
/// failed attempt. One thread, in order, so the transcript is the same on
/// every run: the listening socket exists before the fourth attempt, whose
/// connection completes in the listen backlog, and the server accepts it
/// before the client reads. Version 1 makes the same demonstration on one
/// socket: on Linux the socket refused three times connects the fourth.
fn self_demo(version: Version) -> Result<(), Error> {
    let addr = sockref::peer::closed_port()?;
    match version {
        Version::Two => outln!(
            "self-demo: connect_retry to {addr}; the server starts after the third failed attempt"
        )?,
        Version::One => outln!(
            "self-demo: connect_retry version 1 to {addr}, one socket for every attempt; the server starts after the third failed attempt"
        )?,
    }
    let policy = Policy {
        initial: Duration::from_millis(50),
        max_delay: Duration::from_millis(800),
        ..Policy::default()
    };
    let mut server: Option<Socket> = None;
    let mut failure: Option<Error> = None; // the first error inside the callback
    let sock = connect_with(version, addr, &policy, |attempt| {
        let mut step = || -> Result<(), Error> {
            report(addr, attempt)?;
            if attempt.number == 3 {
                server = Some(initserver::initserver(Type::STREAM, addr, 10)?);
                outln!("[server] listening on {addr} (SOCK_STREAM)")?;
            }
            Ok(())
        };
        if let Err(e) = step() {
            failure.get_or_insert(e);
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let sock = sock?;
    match version {
        Version::Two => outln!("connected to {addr}")?,
        Version::One => outln!("connected to {addr}, on the socket refused three times")?,
    }
    let server =
        server.ok_or_else(|| Error::runtime("connected, but the demo's server never started"))?;
    initserver::serve_stream_client(&server, 1, Some(1), Out::tagged("[server] "))?;
    copy_to_stdout(sock)
}
// ANCHOR_END: self_demo

fn parse_args() -> Result<(Option<SocketAddr>, Policy, Version), Error> {
    let mut parser = lexopt::Parser::from_env();
    let mut policy = Policy::default();
    let mut version = Version::Two;
    let mut positional = Vec::new();
    let number = |text: String| -> Result<u32, Error> {
        sockref::cli::whole_number(&text)
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| Error::usage(format!("'{text}' is not a positive whole number")))
    };
    while let Some(arg) = parser.next()? {
        match arg {
            lexopt::Arg::Long("initial") => {
                policy.initial = sockref::cli::parse_seconds(&sockref::cli::utf8(parser.value()?)?)?
            }
            lexopt::Arg::Long("max-delay") => {
                policy.max_delay =
                    sockref::cli::parse_seconds(&sockref::cli::utf8(parser.value()?)?)?
            }
            lexopt::Arg::Long("max-total") => {
                policy.max_total = Some(sockref::cli::parse_seconds(&sockref::cli::utf8(
                    parser.value()?,
                )?)?)
            }
            lexopt::Arg::Long("factor") => {
                policy.factor = number(sockref::cli::utf8(parser.value()?)?)?
            }
            lexopt::Arg::Long("max-attempts") => {
                policy.max_attempts = Some(number(sockref::cli::utf8(parser.value()?)?)?)
            }
            lexopt::Arg::Long("version") => {
                version = match sockref::cli::utf8(parser.value()?)?.as_str() {
                    "1" => Version::One,
                    "2" => Version::Two,
                    other => {
                        return Err(Error::usage(format!(
                            "'{other}' is not a version of connect_retry (1 or 2)"
                        )));
                    }
                }
            }
            lexopt::Arg::Long("jitter") => {
                let text = sockref::cli::utf8(parser.value()?)?;
                policy.jitter = Some(sockref::cli::whole_number(&text).ok_or_else(|| {
                    Error::usage(format!("'{text}' is not a seed (a whole number)"))
                })?);
            }
            lexopt::Arg::Value(v) => positional.push(sockref::cli::utf8(v)?),
            other => return Err(sockref::cli::unexpected(other.into(), &mut parser)),
        }
    }
    match positional.as_slice() {
        [] => Ok((None, policy, version)),
        [ip, port] => Ok((
            Some(sockref::cli::parse_endpoint(ip, port)?),
            policy,
            version,
        )),
        _ => Err(Error::usage(
            "expected IP PORT, or no argument for the self-demo",
        )),
    }
}
