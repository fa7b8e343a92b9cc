//! Hostile timing in grading: the stress suite's peers and clients
//! (`stress::Peer`, `stress::misbehave`) against a student's receiver or
//! server, over 127.0.0.1 and ::1.
//!
//! The student's program runs in the kit's network namespace, which the
//! grader's own process cannot reach. The peer runs there too, as a second
//! process: this xtask binary again (the unit-test binary in `cargo test`),
//! joined to the namespace with `ip netns exec` and told what to do by the
//! environment variable [`PEER_ENV`]. It prints one line, [`RESULT`] and
//! the outcome as JSON, and exits.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sockref::testing::GroupChild;

use super::sandbox::{self, OUTPUT_CAP, PROGRAM, Sandbox};
use crate::sections::HostileRun;
use crate::stress::{self, Peer, Sent};

/// Set on the peer process: the job, as JSON.
pub const PEER_ENV: &str = "SOCKREF_GRADE_PEER";

/// The peer's one line of output starts with this.
const RESULT: &str = "peer-result: ";

/// Every hostile run is made over both.
pub const IPS: [&str; 2] = ["127.0.0.1", "::1"];

/// What the peer process does.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    /// A key of `stress::Peer`, or [`CLIENTS`].
    pub peer: String,
    pub addr: SocketAddr,
    /// The server's process group, stopped while a client resets its
    /// connection in the accept queue.
    pub group: Option<u32>,
}

/// The job of the hostile clients, for a server.
pub const CLIENTS: &str = "clients";

type Outcome = Result<Option<Sent>, String>;

/// The peer process: runs the job named by [`PEER_ENV`], prints its outcome.
pub fn peer_main(job: &std::ffi::OsStr) -> ExitCode {
    let outcome: Outcome = match serde_json::from_str::<Job>(&job.to_string_lossy()) {
        Err(e) => Err(format!("the peer's job is not valid: {e}")),
        Ok(job) if job.peer == CLIENTS => clients(job.addr, job.group).map(|()| None),
        Ok(job) => match Peer::from_key(&job.peer) {
            None => Err(format!("no peer {}", job.peer)),
            Some(peer) => peer
                .run(job.addr)
                .map(Some)
                .map_err(|e| format!("the peer ({}): {e}", peer.name())),
        },
    };
    let line = serde_json::to_string(&outcome).unwrap_or_else(|e| format!("{{\"Err\":\"{e}\"}}"));
    println!("{RESULT}{line}");
    ExitCode::SUCCESS
}

/// The stress suite's misbehaving clients one after the other, then a
/// client that resets its connection while it waits in the accept queue
/// (the server stopped meanwhile, so the reset surely comes first), then a
/// well-behaved client, which must be answered.
fn clients(addr: SocketAddr, group: Option<u32>) -> Result<(), String> {
    for kind in stress::CLIENTS {
        stress::misbehave(kind, addr).map_err(|e| format!("the {kind} client: {e}"))?;
    }
    let good = match group {
        Some(group) => reset_in_queue(addr, group)?,
        None => TcpStream::connect(addr).map_err(|e| {
            format!("after the hostile clients, a good client could not connect: {e}")
        })?,
    };
    let mut good = good;
    good.set_read_timeout(Some(PROGRAM.wall))
        .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    good.read_to_string(&mut answer).map_err(|e| {
        format!(
            "after a client reset its connection before the server accepted it, the next client got no answer ({e}): a server must survive a client's reset"
        )
    })?;
    if answer.contains("status") {
        Ok(())
    } else {
        Err(format!(
            "after the hostile clients, a good client got {answer:?}, not the status line"
        ))
    }
}

/// Stops the server's group, resets a connection in its accept queue,
/// queues a good client behind it, and lets the server go on.
fn reset_in_queue(addr: SocketAddr, group: u32) -> Result<TcpStream, String> {
    signal_group("STOP", group)?;
    let stopped = wait_until(|| group_stopped(group));
    let result = (|| {
        stopped
            .then_some(())
            .ok_or("the server could not be stopped")?;
        let resetter =
            TcpStream::connect(addr).map_err(|e| format!("the resetting client: {e}"))?;
        let port = resetter.local_addr().map_err(|e| e.to_string())?.port();
        socket2::SockRef::from(&resetter)
            .set_linger(Some(Duration::ZERO))
            .map_err(|e| e.to_string())?;
        drop(resetter); // SO_LINGER 0: the close sends a reset
        if !wait_until(|| !connection_listed(addr, port)) {
            return Err("the reset never reached the server's queue".to_string());
        }
        TcpStream::connect(addr)
            .map_err(|e| format!("a good client behind the reset could not connect: {e}"))
    })();
    signal_group("CONT", group)?;
    result
}

fn signal_group(signal: &str, group: u32) -> Result<(), String> {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{group}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("kill: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("kill -{signal} of the server's group failed"))
    }
}

/// Polls `done` (kernel state: /proc) until it holds, for at most 5 s.
fn wait_until(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::yield_now();
    }
    done()
}

/// Every live process of process group `group` is stopped.
fn group_stopped(group: u32) -> bool {
    let mut members = 0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().parse::<u32>().is_err() {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp ...: the comm may hold spaces.
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split(' ').collect();
        if fields.get(2).and_then(|g| g.parse::<u32>().ok()) != Some(group) {
            continue;
        }
        match fields.first() {
            Some(&"T") | Some(&"Z") | Some(&"X") => members += 1,
            _ => return false,
        }
    }
    members > 0
}

/// Whether this network namespace's TCP table lists a connection from
/// `client_port` to the server at `addr`; one reset while queued is
/// removed at once.
fn connection_listed(addr: SocketAddr, client_port: u16) -> bool {
    let file = if addr.is_ipv4() {
        "/proc/net/tcp"
    } else {
        "/proc/net/tcp6"
    };
    let table = std::fs::read_to_string(file).unwrap_or_default();
    let (local, remote) = (
        format!(":{:04X}", addr.port()),
        format!(":{client_port:04X}"),
    );
    table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() > 2 && fields[1].ends_with(&local) && fields[2].ends_with(&remote)
    })
}

/// The peer process for `job`, in the sandbox's network namespace.
fn run_job(sandbox: &Sandbox, job: &Job) -> Result<Outcome, String> {
    // The running binary itself, even if a build has since replaced the
    // file it was started from (the kernel keeps what /proc links to).
    let exe = PathBuf::from(format!("/proc/{}/exe", std::process::id()));
    let args: Vec<String> = if cfg!(test) {
        // The unit-test binary: its test `peer_process` is the entry.
        [
            "--exact",
            "course::tests::peer_process",
            "--nocapture",
            "-q",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    } else {
        Vec::new()
    };
    let mut cmd = sandbox.reference(&exe, &args);
    cmd.env(
        PEER_ENV,
        serde_json::to_string(job).map_err(|e| e.to_string())?,
    );
    // What a peer sent comes back whole: a megabyte is several in JSON.
    let limits = sandbox::Limits {
        wall: Duration::from_secs(30),
        output: 16 << 20,
        ..PROGRAM
    };
    let run = sandbox::run_capped(cmd, &limits).map_err(|e| format!("the peer: {e}"))?;
    let line = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix(RESULT))
        .ok_or_else(|| {
            format!(
                "the peer printed no result: {}",
                run.abnormal(limits.wall).unwrap_or_else(|| run
                    .stderr
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string())
            )
        })?;
    serde_json::from_str(line).map_err(|e| format!("the peer's result: {e}"))
}

/// A student's program that listens: started with `IP 0 ...`, its address
/// read from its first line, its output collected to the cap.
struct Listener {
    group: GroupChild,
    addr: SocketAddr,
    done: mpsc::Receiver<String>,
}

impl Listener {
    fn start(mut command: Command) -> Result<Listener, String> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut group =
            GroupChild::spawn(command).map_err(|e| format!("cannot start your program: {e}"))?;
        let stdout = group.child.stdout.take().expect("piped stdout");
        let stderr = group.child.stderr.take().expect("piped stderr");
        let (line_tx, line_rx) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        std::thread::spawn(move || {
            let mut all = String::new();
            let reader = BufReader::new(stdout.take(OUTPUT_CAP as u64));
            for line in reader.lines().map_while(Result::ok) {
                let _ = line_tx.send(line.clone());
                all.push_str(&line);
                all.push('\n');
            }
            let mut err = String::new();
            let _ = stderr.take(OUTPUT_CAP as u64).read_to_string(&mut err);
            let _ = done_tx.send(all + &err);
        });
        let first = line_rx
            .recv_timeout(PROGRAM.wall)
            .map_err(|_| "your program printed no 'listening on' line".to_string())?;
        let addr = first
            .split_whitespace()
            .find_map(|w| w.parse::<SocketAddr>().ok())
            .ok_or_else(|| format!("your program printed '{first}', not 'listening on IP:PORT'"))?;
        Ok(Listener { group, addr, done })
    }

    fn id(&self) -> u32 {
        self.group.child.id()
    }

    fn running(&mut self) -> bool {
        matches!(self.group.child.try_wait(), Ok(None))
    }

    /// Waits for the program to end by itself, at most `within`; its
    /// transcript and exit status.
    fn finish(mut self, within: Duration) -> Result<(String, Option<i32>), String> {
        let transcript = self.done.recv_timeout(within);
        self.group.kill_group();
        let status = self.group.child.wait().ok().and_then(|s| s.code());
        let transcript = transcript.map_err(|_| {
            format!(
                "your program did not finish within {} s (killed with its process group)",
                within.as_secs()
            )
        })?;
        Ok((transcript, status))
    }

    /// Kills the program's group now; what it printed and its status.
    fn stop(self) -> (String, Option<i32>) {
        self.group.kill_group();
        let mut this = self;
        let status = this.group.child.wait().ok().and_then(|s| s.code());
        let transcript = this
            .done
            .recv_timeout(Duration::from_secs(2))
            .unwrap_or_default();
        (transcript, status)
    }
}

/// The strategy a receiver's arguments choose, as the stress suite names it.
fn strategy(args: &[String]) -> String {
    args.iter()
        .position(|a| a == "--strategy")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "plain".into())
}

/// One hostile peer against the student's receiver over `ip`: the
/// receiver ends by itself with status 0 or 1, and reports no byte that
/// was not sent and none lost that the kernel delivered (the stress
/// suite's check).
pub fn check_receiver(
    sandbox: &Sandbox,
    binary: &str,
    run: &HostileRun,
    peer: Peer,
    ip: &str,
) -> Result<(), String> {
    let mut args: Vec<String> = vec![ip.into(), "0".into(), "--timeout".into(), "5".into()];
    args.extend(run.receiver_args.iter().cloned());
    if peer.receiver_may_wait_for_eof() {
        args.push("--wait-eof".into());
    }
    let receiver = Listener::start(sandbox.command(binary, &args, "", &PROGRAM, &[]))?;
    let job = Job {
        peer: peer.key().into(),
        addr: receiver.addr,
        group: None,
    };
    let sent = run_job(sandbox, &job);
    let (transcript, status) = receiver.finish(PROGRAM.wall)?;
    let sent = match sent? {
        Ok(Some(sent)) => sent,
        Ok(None) => return Err("the peer sent nothing".into()),
        Err(e) => {
            return Err(format!(
                "{e} (your receiver printed: {})",
                last_line(&transcript)
            ));
        }
    };
    if transcript.contains("panicked") || !matches!(status, Some(0 | 1)) {
        return Err(format!(
            "exit status {}: {}",
            status.map_or("(killed)".into(), |c| c.to_string()),
            last_line(&transcript)
        ));
    }
    stress::check_delivery(
        &strategy(&run.receiver_args),
        &sent,
        peer.kernel_may_drop_urgent_bytes(),
        &transcript,
    )
}

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or("(nothing)")
}

/// The student's server, started as `PROGRAM IP 0`, against the stress
/// suite's misbehaving clients and a client reset in the accept queue,
/// over `ip`: it must still answer a good client, and still be running.
pub fn probe_clients(sandbox: &Sandbox, binary: &str, ip: &str) -> Result<(), String> {
    let args = vec![ip.to_string(), "0".to_string()];
    let mut server = Listener::start(sandbox.command(binary, &args, "", &PROGRAM, &[]))?;
    let job = Job {
        peer: CLIENTS.into(),
        addr: server.addr,
        group: Some(server.id()),
    };
    let outcome = run_job(sandbox, &job);
    let alive = server.running();
    let (transcript, status) = server.stop();
    let outcome = outcome?;
    if !alive {
        return Err(format!(
            "your server ended (exit status {}) among hostile clients ({}, then a reset in the accept queue); it printed last: {}{}",
            status.map_or("(killed)".into(), |c| c.to_string()),
            stress::CLIENTS.join(", "),
            last_line(&transcript),
            outcome
                .err()
                .map(|e| format!("; the clients saw: {e}"))
                .unwrap_or_default()
        ));
    }
    outcome.map(|_| ())
}
