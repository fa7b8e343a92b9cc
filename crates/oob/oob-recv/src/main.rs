//! Section "Out-of-band data" (APUE 16.7, UNP 24.2 to 24.4): the receiver.
//!
//! `oob-recv IP PORT` listens (port 0 picks a free port and prints it),
//! accepts one connection and receives with the chosen strategy. With no
//! address it is a self-demo: a sender runs in this process and the
//! transcript shows both sides.
//!
//! ```text
//! oob-recv [IP PORT] [--strategy plain|sigurg|select-broken|select-fixed|poll-rdband|poll-fixed|atmark|flow-control|naive]
//!          [--timeout SECS] [--wait-eof]                     standalone with IP PORT
//!          [--scenario NAME] [--family ipv4|ipv6|unix]       self-demo
//! ```
#![forbid(unsafe_code)]

use sockref::outln;
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::time::Duration;

use oob::{Options, Pace, Scenario, Strategy};
use socket2::{Domain, SockAddr, Socket, Type};
use sockref::peer::{DEMO_TIMEOUT, Family, accept_within};
use sockref::{Context, Error, Out};

const USAGE: &str = "oob-recv [IP PORT] [--strategy plain|sigurg|select-broken|select-fixed|poll-rdband|poll-fixed|atmark|flow-control|naive] \
[--timeout SECS] [--wait-eof] [--scenario NAME] [--family ipv4|ipv6|unix]";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let opts = Options::from_env("wait-eof")?;
        let strategy = opts.strategy.unwrap_or(Strategy::Plain);
        match opts.positional.as_slice() {
            [] if opts.switch => Err(Error::usage(
                "--wait-eof is for a standalone receiver (give IP PORT)",
            )),
            [] => oob::self_demo(
                opts.scenario.unwrap_or(default_scenario(strategy)),
                strategy,
                opts.family.unwrap_or(Family::Ipv4),
                opts.timeout.unwrap_or(DEMO_TIMEOUT),
                false,
            ),
            [_, _] if opts.scenario.is_some() || opts.family.is_some() => Err(Error::usage(
                "--scenario and --family are for the self-demo (no IP PORT)",
            )),
            [ip, port] => {
                let addr = SocketAddr::new(
                    sockref::cli::parse_ip(ip)?,
                    sockref::cli::parse_port(port, true)?,
                );
                receive_on(addr, strategy, opts.timeout, opts.switch)
            }
            _ => Err(Error::usage(
                "expected IP PORT, or no argument for the self-demo",
            )),
        }
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
    outln!("listening on {local}")?;
    let listener = TcpListener::from(listener);
    // The peer's address as accept gives it: getpeername would fail with
    // ENOTCONN on a connection reset before it was accepted.
    let (conn, peer) = match timeout {
        Some(t) => accept_within(&listener, t)?,
        None => listener.accept().context(format!("accept on {local}"))?,
    };
    drop(listener);
    outln!("accepted a connection from {peer}")?;
    let conn = Socket::from(conn);
    strategy.receive(&conn, &mut Pace::Live { timeout, wait_eof }, Out::plain())
}
// ANCHOR_END: receive_on

/// The sender each strategy was written for in the textbook.
fn default_scenario(strategy: Strategy) -> Scenario {
    match strategy {
        Strategy::Plain | Strategy::Naive => Scenario::Classic,
        Strategy::Sigurg
        | Strategy::SelectBroken
        | Strategy::SelectFixed
        | Strategy::PollRdband
        | Strategy::PollFixed => Scenario::Paced,
        Strategy::Atmark => Scenario::Mark,
        Strategy::FlowControl => Scenario::FlowControl,
    }
}
