//! Section "Out-of-band data" (APUE 16.7, UNP 24.2 to 24.5): the receiver.
//!
//! `oob-recv IP PORT` listens (port 0 picks a free port and prints it),
//! accepts one connection and receives with the chosen strategy. With no
//! address it is a self-demo: a sender runs in this process and the
//! transcript shows both sides.
//!
//! ```text
//! oob-recv [IP PORT] [--strategy plain|sigurg|select-broken|select-fixed|atmark|flow-control]
//!          [--timeout SECS] [--wait-eof]                     standalone with IP PORT
//!          [--scenario NAME] [--family ipv4|ipv6|unix]       self-demo
//! ```
#![forbid(unsafe_code)]

use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::time::Duration;

use oob::{Pace, Scenario, Strategy};
use socket2::{Domain, SockAddr, Socket, Type};
use sockref::peer::{DEMO_TIMEOUT, Family, accept_within};
use sockref::{Context, Error, Out, lexopt};

const USAGE: &str = "oob-recv [IP PORT] [--strategy plain|sigurg|select-broken|select-fixed|atmark|flow-control] \
[--timeout SECS] [--wait-eof] [--scenario NAME] [--family ipv4|ipv6|unix]";

fn main() -> ExitCode {
    sockref::run(USAGE, || match parse_args()? {
        Mode::SelfDemo {
            strategy,
            scenario,
            family,
            timeout,
        } => oob::self_demo(
            scenario.unwrap_or(default_scenario(strategy)),
            strategy,
            family,
            timeout,
        ),
        Mode::Standalone {
            addr,
            strategy,
            timeout,
            wait_eof,
        } => receive_on(addr, strategy, timeout, wait_eof),
    })
}

// ANCHOR: receive_on
/// The standalone receiver: bind, listen, accept one connection, receive.
fn receive_on(
    addr: SocketAddr,
    strategy: Strategy,
    timeout: Option<Duration>,
    wait_eof: bool,
) -> Result<(), Error> {
    let listener = Socket::new(Domain::for_address(addr), Type::STREAM, None).context("socket")?;
    listener
        .set_reuse_address(true)
        .context("setsockopt(SO_REUSEADDR)")?;
    listener
        .bind(&SockAddr::from(addr))
        .context(format!("bind to {addr}"))?;
    strategy
        .prepare_listener(&listener)
        .context("setsockopt on the listener")?;
    listener.listen(1).context("listen")?;
    let local = listener
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .unwrap_or(addr);
    println!("listening on {local}");
    let listener = TcpListener::from(listener);
    let conn = match timeout {
        Some(t) => accept_within(&listener, t)?,
        None => listener.accept().context(format!("accept on {local}"))?.0,
    };
    drop(listener);
    let peer = conn.peer_addr().context("getpeername")?;
    println!("accepted a connection from {peer}");
    let conn = Socket::from(conn);
    strategy.receive(&conn, &mut Pace::Live { timeout, wait_eof }, Out::plain())
}
// ANCHOR_END: receive_on

/// The sender each strategy was written for in the textbook.
fn default_scenario(strategy: Strategy) -> Scenario {
    match strategy {
        Strategy::Plain => Scenario::Classic,
        Strategy::Sigurg | Strategy::SelectBroken | Strategy::SelectFixed => Scenario::Paced,
        Strategy::Atmark => Scenario::Mark,
        Strategy::FlowControl => Scenario::FlowControl,
    }
}

enum Mode {
    SelfDemo {
        strategy: Strategy,
        scenario: Option<Scenario>,
        family: Family,
        timeout: Duration,
    },
    Standalone {
        addr: SocketAddr,
        strategy: Strategy,
        timeout: Option<Duration>,
        wait_eof: bool,
    },
}

fn parse_args() -> Result<Mode, Error> {
    let mut parser = lexopt::Parser::from_env();
    let (mut strategy, mut scenario, mut family, mut timeout) = (Strategy::Plain, None, None, None);
    let mut wait_eof = false;
    let mut positional = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            lexopt::Arg::Long("strategy") => {
                strategy = Strategy::parse(&sockref::cli::utf8(parser.value()?)?)?
            }
            lexopt::Arg::Long("scenario") => {
                scenario = Some(Scenario::parse(&sockref::cli::utf8(parser.value()?)?)?)
            }
            lexopt::Arg::Long("family") => {
                family = Some(Family::parse(&sockref::cli::utf8(parser.value()?)?)?)
            }
            lexopt::Arg::Long("timeout") => {
                timeout = Some(sockref::cli::parse_seconds(&sockref::cli::utf8(
                    parser.value()?,
                )?)?)
            }
            lexopt::Arg::Long("wait-eof") => wait_eof = true,
            lexopt::Arg::Value(v) => positional.push(sockref::cli::utf8(v)?),
            other => return Err(other.unexpected().into()),
        }
    }
    match positional.as_slice() {
        [] if wait_eof => Err(Error::usage(
            "--wait-eof is for a standalone receiver (give IP PORT)",
        )),
        [] => Ok(Mode::SelfDemo {
            strategy,
            scenario,
            family: family.unwrap_or(Family::Ipv4),
            timeout: timeout.unwrap_or(DEMO_TIMEOUT),
        }),
        [ip, port] => {
            if scenario.is_some() || family.is_some() {
                return Err(Error::usage(
                    "--scenario and --family are for the self-demo (no IP PORT)",
                ));
            }
            let addr = SocketAddr::new(
                sockref::cli::parse_ip(ip)?,
                sockref::cli::parse_port(port, true)?,
            );
            Ok(Mode::Standalone {
                addr,
                strategy,
                timeout,
                wait_eof,
            })
        }
        _ => Err(Error::usage(
            "expected IP PORT, or no argument for the self-demo",
        )),
    }
}
