//! Section "Heartbeat" (UNP 24.5): the server, which answers every urgent
//! probe with an urgent byte and declares the client dead after `nprobes`
//! periods of `nsec` seconds without one.
//!
//! ```text
//! hb-server                                   self-demo: a client child, stopped and resumed
//! hb-server IP PORT [--nsec S] [--nprobes N]  clients one at a time; port 0 picks a free one
//! ```
//!
//! A client that resets the connection is named on stderr and the next one
//! is accepted; the server ends when a client closes (exit status 0) or is
//! declared dead (a runtime error, exit status 1). `--demo-peer IP PORT` is
//! the child of `hb-client`'s self-demo: a quiet server that connects.
#![forbid(unsafe_code)]

use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;

use heartbeat::{Config, DEFAULT_NPROBES, DEFAULT_NSEC, Heartbeat, Options, Role, Step, demo};
use sockref::{Context, Error};

const USAGE: &str = "hb-server [IP PORT] [--nsec SECS] [--nprobes N]";

const DEFAULTS: Config = Config {
    nsec: DEFAULT_NSEC,
    nprobes: DEFAULT_NPROBES,
};

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let opts = Options::from_env(false)?;
        match opts.positional.as_slice() {
            [ip, port] if opts.demo_peer => {
                let addr = sockref::cli::parse_endpoint(ip, port)?;
                demo::demo_peer(Role::Client, opts.config(DEFAULTS), addr)
            }
            [] => {
                let exe = std::env::current_exe().context("current_exe")?;
                demo::self_demo(Role::Server, opts.config(demo::DEMO), &exe)
            }
            [ip, port] => server(
                SocketAddr::new(
                    sockref::cli::parse_ip(ip)?,
                    sockref::cli::parse_port(port, true)?,
                ),
                opts.config(DEFAULTS),
            ),
            _ => Err(Error::usage(
                "expected IP PORT, or no argument for the self-demo",
            )),
        }
    })
}

// ANCHOR: server
/// Listens and serves clients one at a time until one closes its
/// connection (exit status 0) or is declared dead (exit status 1). A client
/// that resets the connection costs one line on stderr naming it; the
/// server then waits for the next client.
fn server(addr: SocketAddr, config: Config) -> Result<(), Error> {
    let listener = TcpListener::bind(addr).context(format!("bind to {addr}"))?;
    let local = listener.local_addr().context("getsockname")?;
    sockref::outln!("listening on {local}")?;
    loop {
        let (sock, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            // Aborted while in the queue (accept(2)): the client failed.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionAborted => {
                eprintln!("client ?: accept: {e}; waiting for the next client");
                continue;
            }
            Err(e) => return Err(Error::runtime(format!("accept on {local}: {e}"))),
        };
        sockref::outln!("connection from {peer}")?;
        let mut hb = Heartbeat::new(sock, Role::Server, config)?;
        loop {
            match hb.step()? {
                Step::Heard { after_silence, .. } => {
                    if after_silence {
                        sockref::outln!("the client is back: counter reset to 0")?;
                    }
                }
                Step::Missed { missed } => {
                    sockref::outln!("no probe ({missed} of {})", config.nprobes)?;
                }
                Step::Tick => {}
                Step::Dead { missed } => {
                    return Err(Error::runtime(format!(
                        "no probe for {missed} periods: the client at {peer} is dead"
                    )));
                }
                Step::Closed => {
                    sockref::outln!(
                        "the client closed the connection after {} probes",
                        hb.heard()
                    )?;
                    return Ok(());
                }
                step @ Step::Reset(..) => {
                    let why = step.reset_reason().unwrap_or_default();
                    eprintln!(
                        "client {peer}: {why} after {} probes; waiting for the next client",
                        hb.heard()
                    );
                    break;
                }
            }
        }
    }
}
// ANCHOR_END: server
