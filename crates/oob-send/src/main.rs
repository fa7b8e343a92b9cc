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
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Duration;

use oob::{Scenario, Sender, Strategy};
use socket2::{Domain, SockAddr, Socket, Type};
use sockref::peer::{DEMO_TIMEOUT, Family};
use sockref::{Context, Error, Out, lexopt};

const USAGE: &str = "oob-send [IP PORT] [--scenario classic|paced|mark|two-urgent|flow-control] [--paced] \
[--strategy NAME] [--family ipv4|ipv6|unix] [--timeout SECS]";

fn main() -> ExitCode {
    sockref::run(USAGE, || match parse_args()? {
        Mode::SelfDemo {
            scenario,
            strategy,
            family,
            timeout,
        } => oob::self_demo(
            scenario,
            strategy.unwrap_or(scenario.partner()),
            family,
            timeout,
        ),
        Mode::Standalone {
            peer,
            scenario,
            paced,
        } => send_to(peer, scenario, paced),
    })
}

// ANCHOR: send_to
/// The standalone sender: connect, then the scenario's writes, then close.
fn send_to(peer: std::net::SocketAddr, scenario: Scenario, paced: bool) -> Result<(), Error> {
    let sock = Socket::new(Domain::for_address(peer), Type::STREAM, None).context("socket")?;
    sock.connect(&SockAddr::from(peer))
        .context(format!("connect to {peer}"))?;
    println!("connected to {peer}");
    scenario.prepare(&sock)?;
    let pause = paced.then_some(Duration::from_secs(1));
    Sender::new(sock, scenario, Out::plain()).send_all_bursts(pause)
}
// ANCHOR_END: send_to

enum Mode {
    SelfDemo {
        scenario: Scenario,
        strategy: Option<Strategy>,
        family: Family,
        timeout: Duration,
    },
    Standalone {
        peer: std::net::SocketAddr,
        scenario: Scenario,
        paced: bool,
    },
}

fn parse_args() -> Result<Mode, Error> {
    let mut parser = lexopt::Parser::from_env();
    let (mut scenario, mut strategy, mut family, mut timeout) =
        (Scenario::Classic, None, None, None);
    let mut paced = false;
    let mut positional = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            lexopt::Arg::Long("scenario") => {
                scenario = Scenario::parse(&sockref::cli::utf8(parser.value()?)?)?
            }
            lexopt::Arg::Long("strategy") => {
                strategy = Some(Strategy::parse(&sockref::cli::utf8(parser.value()?)?)?)
            }
            lexopt::Arg::Long("family") => {
                family = Some(Family::parse(&sockref::cli::utf8(parser.value()?)?)?)
            }
            lexopt::Arg::Long("timeout") => {
                timeout = Some(sockref::cli::parse_seconds(&sockref::cli::utf8(
                    parser.value()?,
                )?)?)
            }
            lexopt::Arg::Long("paced") => paced = true,
            lexopt::Arg::Value(v) => positional.push(sockref::cli::utf8(v)?),
            other => return Err(other.unexpected().into()),
        }
    }
    match positional.as_slice() {
        [] if paced => Err(Error::usage(
            "--paced is for a standalone sender (give IP PORT)",
        )),
        [] => Ok(Mode::SelfDemo {
            scenario,
            strategy,
            family: family.unwrap_or(Family::Ipv4),
            timeout: timeout.unwrap_or(DEMO_TIMEOUT),
        }),
        [ip, port] => {
            if strategy.is_some() || family.is_some() || timeout.is_some() {
                return Err(Error::usage(
                    "--strategy, --family and --timeout are for the self-demo (no IP PORT)",
                ));
            }
            Ok(Mode::Standalone {
                peer: sockref::cli::parse_endpoint(ip, port)?,
                scenario,
                paced,
            })
        }
        _ => Err(Error::usage(
            "expected IP PORT, or no argument for the self-demo",
        )),
    }
}
