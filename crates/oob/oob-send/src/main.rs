//! Section "Out-of-band data" (APUE 16.7, UNP 24.2): the sender.
//!
//! `oob-send` with no address is a self-demo: a receiver runs in this
//! process on an ephemeral 127.0.0.1 port, and the transcript shows both
//! sides. With `IP PORT` it is a standalone sender for any receiver, such as
//! `oob-recv` or its C twin.
//!
//! ```text
//! oob-send [IP PORT] [--scenario NAME] [--paced]            standalone with IP PORT
//!          [--strategy NAME] [--family ipv4|ipv6|unix] [--timeout SECS]   self-demo
//! ```
//!
//! `--paced` sends one write at a time, whatever the scenario: standalone
//! with a one-second pause between writes, in the self-demo with the
//! receiver reading between writes.
#![forbid(unsafe_code)]

use sockref::outln;
use std::process::ExitCode;
use std::time::Duration;

use oob::{Options, Scenario, Sender};
use socket2::{Domain, SockAddr, Socket, Type};
use sockref::peer::{DEMO_TIMEOUT, Family};
use sockref::{Context, Error, Out};

const USAGE: &str = "oob-send [IP PORT] [--scenario classic|paced|mark|two-urgent|flow-control] [--paced] \
[--strategy NAME] [--family ipv4|ipv6|unix] [--timeout SECS]";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let opts = Options::from_env("paced")?;
        let scenario = opts.scenario.unwrap_or(Scenario::Classic);
        match opts.positional.as_slice() {
            [] => oob::self_demo(
                scenario,
                opts.strategy.unwrap_or(oob::partner(scenario)),
                opts.family.unwrap_or(Family::Ipv4),
                opts.timeout.unwrap_or(DEMO_TIMEOUT),
                opts.switch,
            ),
            [_, _]
                if opts.strategy.is_some() || opts.family.is_some() || opts.timeout.is_some() =>
            {
                Err(Error::usage(
                    "--strategy, --family and --timeout are for the self-demo (no IP PORT)",
                ))
            }
            [ip, port] => send_to(
                sockref::cli::parse_endpoint(ip, port)?,
                scenario,
                opts.switch,
            ),
            _ => Err(Error::usage(
                "expected IP PORT, or no argument for the self-demo",
            )),
        }
    })
}

// ANCHOR: send_to
/// The standalone sender: connect, then the scenario's writes, then close.
/// Paced, it sleeps a second between writes, as the textbook's senders do.
fn send_to(peer: std::net::SocketAddr, scenario: Scenario, paced: bool) -> Result<(), Error> {
    let sock = Socket::new(Domain::for_address(peer), Type::STREAM, None).context("socket")?;
    sock.connect(&SockAddr::from(peer))
        .context(format!("connect to {peer}"))?;
    outln!("connected to {peer}")?;
    scenario.prepare(&sock)?;
    let pause = paced.then_some(Duration::from_secs(1));
    Sender::new(sock, scenario, paced, Out::plain()).send_all_bursts(pause)
}
// ANCHOR_END: send_to
