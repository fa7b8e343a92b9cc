//! Section "Heartbeat" (UNP 24.5): the client, which probes the server with
//! an urgent byte every `nsec` seconds and declares it dead after
//! `nprobes` unanswered probes.
//!
//! ```text
//! hb-client                                   self-demo: a server child, stopped and resumed
//! hb-client IP PORT [--nsec S] [--nprobes N] [--count K]
//! ```
//!
//! With `--count K` the client closes after K replies. A dead server is a
//! runtime error (exit status 1). `--demo-peer IP PORT` is the child of
//! `hb-server`'s self-demo: a quiet client.
#![forbid(unsafe_code)]

use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;

use heartbeat::{Config, DEFAULT_NPROBES, DEFAULT_NSEC, Heartbeat, Options, Role, Step, demo};
use sockref::{Context, Error};

const USAGE: &str = "hb-client [IP PORT] [--nsec SECS] [--nprobes N] [--count K]";

const DEFAULTS: Config = Config {
    nsec: DEFAULT_NSEC,
    nprobes: DEFAULT_NPROBES,
};

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let opts = Options::from_env(true)?;
        match opts.positional.as_slice() {
            [ip, port] if opts.demo_peer => {
                let addr = sockref::cli::parse_endpoint(ip, port)?;
                demo::demo_peer(Role::Server, opts.config(DEFAULTS), addr)
            }
            [] if opts.count.is_some() => Err(Error::usage(
                "--count is for a standalone client (give IP PORT)",
            )),
            [] => {
                let exe = std::env::current_exe().context("current_exe")?;
                demo::self_demo(Role::Client, opts.config(demo::DEMO), &exe)
            }
            [ip, port] => client(
                sockref::cli::parse_endpoint(ip, port)?,
                opts.config(DEFAULTS),
                opts.count,
            ),
            _ => Err(Error::usage(
                "expected IP PORT, or no argument for the self-demo",
            )),
        }
    })
}

// ANCHOR: client
/// Connects and probes until the server is dead, closes, or has answered
/// `count` probes.
fn client(addr: SocketAddr, config: Config, count: Option<u32>) -> Result<(), Error> {
    let sock = TcpStream::connect(addr).context(format!("connect to {addr}"))?;
    sockref::outln!("connected to {addr}")?;
    let mut hb = Heartbeat::new(sock, Role::Client, config)?;
    loop {
        match hb.step()? {
            Step::Heard { after_silence, .. } => {
                if after_silence {
                    sockref::outln!("the server is back: counter reset to 0")?;
                }
                if count == Some(hb.heard()) {
                    sockref::outln!("{} replies, closing", hb.heard())?;
                    return hb.close();
                }
            }
            Step::Missed { missed } => {
                sockref::outln!("probe unanswered ({missed} of {})", config.nprobes)?;
            }
            Step::Tick => {}
            Step::Dead { missed } => {
                return Err(Error::runtime(format!(
                    "{missed} probes unanswered: the server at {addr} is dead"
                )));
            }
            Step::Closed => {
                sockref::outln!("the server closed the connection")?;
                return Ok(());
            }
            step @ Step::Reset(..) => {
                let why = step.reset_reason().unwrap_or_default();
                return Err(Error::runtime(format!(
                    "the server at {addr} reset the connection: {why}"
                )));
            }
        }
    }
}
// ANCHOR_END: client
