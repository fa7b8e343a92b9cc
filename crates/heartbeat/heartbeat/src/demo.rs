//! The self-demo: this process runs one end of the heartbeat, a child
//! process the other, over 127.0.0.1. The child is stopped with SIGSTOP
//! after three exchanges, resumed (SIGCONT) one period before it would be
//! declared dead, which the counter survives, then stopped for good, which
//! it does not. Every line printed follows from the counter, not from the
//! clock, so the transcript is the same on every run.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sockref::{Context, Error};

use crate::{Config, Heartbeat, Role, Step, seconds};

/// The demo's settings: fast, so that it ends in about a second.
pub const DEMO: Config = Config {
    nsec: Duration::from_millis(100),
    nprobes: 3,
};

/// The child, killed and reaped however the demo ends.
struct Peer {
    child: Child,
}

impl Peer {
    fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    fn signal(&self, sig: Signal) -> Result<(), Error> {
        kill(self.pid(), sig).context(format!("kill({}, {sig})", self.child.id()))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = kill(self.pid(), Signal::SIGCONT);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

enum Phase {
    Healthy(u32),
    Stopped,
    Resumed,
    StoppedForGood,
}

/// Runs the demo with this process as `role`; `exe` is the program to
/// start as the peer, with `--demo-peer IP PORT` (it runs the other role).
pub fn self_demo(role: Role, config: Config, exe: &std::path::Path) -> Result<(), Error> {
    if config.nprobes < 2 {
        return Err(Error::usage("the self-demo needs --nprobes 2 or more"));
    }
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("bind to 127.0.0.1 port 0")?;
    let addr = listener.local_addr().context("getsockname")?;
    let child = Command::new(exe)
        .arg("--demo-peer")
        .args([addr.ip().to_string(), addr.port().to_string()])
        .args(["--nsec", &seconds(config.nsec)])
        .args(["--nprobes", &config.nprobes.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context(format!("start {}", exe.display()))?;
    let peer = Peer { child };
    let (sock, _) = sockref::peer::accept_within(&listener, sockref::peer::DEMO_TIMEOUT)?;
    let (me, other) = match role {
        Role::Client => ("client", "server"),
        Role::Server => ("server", "client"),
    };
    let pid = peer.child.id();
    sockref::outln!("this process is the {me}; the {other} is pid {pid}, connected over {addr}")?;
    sockref::outln!(
        "a probe every {} s; the {other} is dead after {} {}",
        seconds(config.nsec),
        config.nprobes,
        match role {
            Role::Client => "unanswered probes",
            Role::Server => "periods without a probe",
        }
    )?;
    let mut hb = Heartbeat::new(sock, role, config)?;
    // ANCHOR: script
    let mut phase = Phase::Healthy(0);
    let missed_line = |m: u32| match role {
        Role::Client => format!("probe unanswered ({m} of {})", config.nprobes),
        Role::Server => format!("no probe ({m} of {})", config.nprobes),
    };
    loop {
        match (hb.step()?, &mut phase) {
            (Step::Heard { .. }, Phase::Healthy(n)) => {
                *n += 1;
                match role {
                    Role::Client => sockref::outln!("reply {n}")?,
                    Role::Server => sockref::outln!("probe {n} answered")?,
                }
                if *n == 3 {
                    peer.signal(Signal::SIGSTOP)?;
                    sockref::outln!("SIGSTOP to the {other} (pid {pid})")?;
                    phase = Phase::Stopped;
                }
            }
            (Step::Missed { missed }, Phase::Stopped) => {
                sockref::outln!("{}", missed_line(missed))?;
                if missed == config.nprobes - 1 {
                    peer.signal(Signal::SIGCONT)?;
                    sockref::outln!("SIGCONT to the {other} (pid {pid})")?;
                    phase = Phase::Resumed;
                }
            }
            (Step::Heard { .. }, Phase::Resumed) => {
                sockref::outln!("the {other} is back: counter reset to 0")?;
                peer.signal(Signal::SIGSTOP)?;
                sockref::outln!("SIGSTOP to the {other} (pid {pid})")?;
                phase = Phase::StoppedForGood;
            }
            (Step::Missed { missed }, Phase::StoppedForGood) => {
                sockref::outln!("{}", missed_line(missed))?
            }
            (Step::Dead { missed }, Phase::StoppedForGood) => {
                sockref::outln!("{}: the {other} is dead", missed_line(missed))?;
                drop(peer);
                sockref::outln!("SIGKILL to the {other} (pid {pid})")?;
                return Ok(());
            }
            (Step::Closed, _) => {
                return Err(Error::runtime(format!("the {other} closed the connection")));
            }
            (step @ Step::Reset(..), _) => {
                let why = step.reset_reason().unwrap_or_default();
                return Err(Error::runtime(format!(
                    "the {other} reset the connection: {why}"
                )));
            }
            (Step::Dead { .. }, _) => {
                return Err(Error::runtime(format!(
                    "the {other} was declared dead before the demo stopped it for good"
                )));
            }
            // Healthy ticks, and a second answer of a resumed peer.
            _ => {}
        }
    }
    // ANCHOR_END: script
}

/// The child of the self-demo: connects to `addr` and runs `role` quietly
/// until the peer is dead or gone (it is killed before that).
pub fn demo_peer(role: Role, config: Config, addr: SocketAddr) -> Result<(), Error> {
    let sock = TcpStream::connect(addr).context(format!("connect to {addr}"))?;
    let mut hb = Heartbeat::new(sock, role, config)?;
    loop {
        if let Step::Dead { .. } | Step::Closed | Step::Reset(..) = hb.step()? {
            return Ok(());
        }
    }
}
