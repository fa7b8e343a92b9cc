//! `cargo xtask stress`: hostile input and hostile peers, bounded, on
//! loopback or in a network namespace made for the run.
//!
//! - **Command lines**: a corpus of bad arguments against every program and
//!   its C twin. Each run must end within its limit, exit 0, 1 or 2, never
//!   panic, say `error: ...` when it fails (and `usage: ...` for exit 2),
//!   and fail the same way in Rust and C. The corpus runs inside a network
//!   namespace with only loopback up, so a case that would look a name up
//!   cannot send a DNS query off the machine; without the privilege to make
//!   one, the lookup section is left out and the report says so.
//! - **Hostile peers** against every receiving strategy of `oob-recv`, Rust
//!   and C: a reset before any data, a reset mid-stream, a megabyte then an
//!   urgent byte, a thousand urgent bytes back to back, normal and urgent
//!   bytes alternating with no gap, the same with gaps, and a peer that
//!   pauses between two urgent bytes (the course's grader runs these peers
//!   against students' receivers). Every byte the receiver reports must be one that was
//!   sent, none twice, normal data in order; and a strategy that promises
//!   to lose nothing (all but `select-broken`, `poll-rdband` and `naive`,
//!   which show mistakes) must report every byte. On
//!   Linux TCP that is what an independent reader sees: an urgent byte
//!   that a later one overtakes comes back as normal data.
//! - **Hostile clients** against `initserver`, Rust and C: connect and
//!   close, garbage, silence, a half-close, a reset. The server must then
//!   still serve a well-behaved client, with no more descriptors open than
//!   before.
//! - **The test suite, repeated**, to catch flaky tests.
//!
//! `--quick` (check-all's `stress` stage) runs a small subset of each.
//! The last line is `N passed, N failed`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::unix::ffi::OsStringExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sockref::Error;
use sockref::testing::{GroupChild, run_bounded};

use crate::Workspace;
use crate::sections;

/// One program run in the stress suite may take this long.
const RUN_LIMIT: Duration = Duration::from_secs(15);

/// One checked case: its name and outcome; `Err` starting "skip: " is a skip.
pub type Case = (String, Result<(), String>);

/// The hostile argument lists, each tried on every program.
fn corpus() -> Vec<Vec<OsString>> {
    let text: &[&[&str]] = &[
        &["--frob"],
        &["-"],
        &["--=x"],
        &["-hx"],
        &[""],
        &["-x", "-y"],
        &["99999999999999999999"],
        &["+80"],
        &["-1"],
        &["1e-300"],
        &["127.0.0.1", "99999999999"],
        &["127.0.0.1", "+80"],
        &["::1", "-5"],
        &["127.0.0.300", "80"],
        &["127.0.0.1"],
        &["a", "b", "c", "d"],
        &["--timeout", "1e-300"],
        &["--timeout", "99999999999"],
        &["--nsec", "nan"],
        &["--port"],
        &["--port", ""],
        &["--proto", ""],
    ];
    let mut all: Vec<Vec<OsString>> = text
        .iter()
        .map(|args| args.iter().map(OsString::from).collect())
        .collect();
    all.push(vec![OsString::from_vec(vec![0xff, 0xfe, b'x'])]);
    all.push(vec![OsString::from("y".repeat(100_000))]);
    all
}

/// A network namespace with only loopback up, removed on drop.
struct Netns {
    name: String,
}

impl Netns {
    fn new() -> Result<Self, String> {
        let name = format!("sockref-stress-{}", std::process::id());
        let ip = |args: &[&str]| -> Result<(), String> {
            let mut cmd = Command::new("ip");
            cmd.args(args);
            let run = run_bounded(cmd, Duration::from_secs(10)).map_err(|e| format!("ip: {e}"))?;
            if run.output.status.success() {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&run.output.stderr)
                    .trim()
                    .to_string())
            }
        };
        ip(&["netns", "add", &name])?;
        let ns = Netns { name };
        ip(&["-n", &ns.name, "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// `program args` run inside the namespace.
    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name]).arg(program);
        cmd
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// What a run must show: bounded, exit 0/1/2, no panic, an `error:` line
/// on failure and a `usage:` line on exit 2. Returns (status, first error).
fn judge(what: &str, cmd: Command) -> Result<(i32, String), String> {
    let run = run_bounded(cmd, RUN_LIMIT).map_err(|e| format!("{what}: cannot run: {e}"))?;
    if run.timed_out {
        return Err(format!("{what}: did not end within {RUN_LIMIT:?}"));
    }
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    let code = run.output.status.code().unwrap_or(-1);
    if stderr.contains("panicked") || code == 101 {
        return Err(format!("{what}: panicked: {}", first_line(&stderr)));
    }
    if !(0..=2).contains(&code) {
        return Err(format!("{what}: exit status {code}"));
    }
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_default()
        .to_string();
    if code != 0 && error.is_empty() {
        return Err(format!(
            "{what}: exit status {code} with no `error:` line: {}",
            first_line(&stderr)
        ));
    }
    if code == 2 && !stderr.lines().any(|l| l.starts_with("usage: ")) {
        return Err(format!("{what}: a usage error without a `usage:` line"));
    }
    Ok((code, error))
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("(nothing)")
}

/// Every program and twin against the corpus (or `quick`: three cases).
fn command_lines(ws: &Workspace, quick: bool, keep: &mut dyn FnMut(Case)) {
    let netns = Netns::new();
    if let Err(why) = &netns {
        keep((
            "command lines: lookups in a namespace".to_string(),
            Err(format!(
                "skip: no network namespace ({why}); the netdb programs are left out"
            )),
        ));
    }
    let mut corpus = corpus();
    if quick {
        corpus.truncate(3);
    }
    for section in sections::all() {
        let looks_up = section.name == "netdb";
        if looks_up && netns.is_err() {
            continue;
        }
        for program in &section.programs {
            let mut failures = Vec::new();
            for args in &corpus {
                let shown = shown(args);
                let make = |binary: &Path| {
                    let mut cmd = match &netns {
                        Ok(ns) => ns.command(binary),
                        Err(_) => Command::new(binary),
                    };
                    cmd.args(args);
                    cmd
                };
                let rust = judge(
                    &format!("{} {shown}", program.bin),
                    make(&ws.rust_binary(&program.bin)),
                );
                let c = judge(
                    &format!("{} (C) {shown}", program.bin),
                    make(&ws.c_binary(&program.bin)),
                );
                match (rust, c) {
                    (Ok(r), Ok(c)) if r != c => failures.push(format!(
                        "{} {shown}: Rust exits {} with '{}', C exits {} with '{}'",
                        program.bin, r.0, r.1, c.0, c.1
                    )),
                    (Ok(_), Ok(_)) => {}
                    (r, c) => failures.extend(r.err().into_iter().chain(c.err())),
                }
            }
            let result = if failures.is_empty() {
                Ok(())
            } else {
                Err(failures.join("\n"))
            };
            keep((
                format!(
                    "command lines: {} and its twin, {} cases",
                    program.bin,
                    corpus.len()
                ),
                result,
            ));
        }
    }
}

fn shown(args: &[OsString]) -> String {
    let parts: Vec<String> = args
        .iter()
        .map(|a| {
            let s = a.to_string_lossy();
            if s.len() > 20 {
                format!("'{}...' ({} bytes)", &s[..10], s.len())
            } else {
                format!("'{s}'")
            }
        })
        .collect();
    parts.join(" ")
}

/// A hostile sender: what it does to the connection, and what it sent.
/// The course's grader runs the same peers against a student's receiver
/// (`course::hostile`), by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    ResetAtOnce,
    ResetMidStream,
    MegabyteThenUrgent,
    UrgentFlood,
    Alternating,
    Gaps,
    Pause,
}

pub const PEERS: [Peer; 7] = [
    Peer::ResetAtOnce,
    Peer::ResetMidStream,
    Peer::MegabyteThenUrgent,
    Peer::UrgentFlood,
    Peer::Alternating,
    Peer::Gaps,
    Peer::Pause,
];

/// What a peer sent: normal bytes in order, and every byte sent urgent.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sent {
    pub normal: Vec<u8>,
    pub urgent: Vec<u8>,
    pub reset: bool,
}

/// The gap between the rounds of the `gaps` peer, and the `pause` peer's
/// pause. These are the hostile timing under test, not a wait for
/// something: a receiver must cope with whatever arrives when.
const GAP: Duration = Duration::from_millis(40);
const PAUSE: Duration = Duration::from_millis(400);

impl Peer {
    /// The receiver may wait for the end of the stream before reading:
    /// not behind a megabyte, which no buffer holds until it is read, nor
    /// where the timing of the reads is the point.
    pub fn receiver_may_wait_for_eof(self) -> bool {
        !matches!(self, Peer::MegabyteThenUrgent | Peer::Gaps | Peer::Pause)
    }

    /// Urgent bytes sent back to back, or read while more arrive: when a
    /// new mark arrives while the reader stands at the old urgent byte,
    /// Linux discards that byte (tcp_check_urg), so fewer bytes than were
    /// sent can be delivered.
    pub fn kernel_may_drop_urgent_bytes(self) -> bool {
        matches!(self, Peer::UrgentFlood | Peer::Gaps | Peer::Pause)
    }

    pub fn name(self) -> &'static str {
        match self {
            Peer::ResetAtOnce => "reset before any data",
            Peer::ResetMidStream => "reset mid-stream",
            Peer::MegabyteThenUrgent => "1 MiB then an urgent byte",
            Peer::UrgentFlood => "1000 urgent bytes back to back",
            Peer::Alternating => "normal and urgent bytes alternating, no gap",
            Peer::Gaps => "normal and urgent bytes with gaps between",
            Peer::Pause => "a peer that pauses between two urgent bytes",
        }
    }

    /// The name a section manifest gives it (`hostile` of an exercise).
    pub fn key(self) -> &'static str {
        match self {
            Peer::ResetAtOnce => "reset-at-once",
            Peer::ResetMidStream => "reset-mid-stream",
            Peer::MegabyteThenUrgent => "megabyte-then-urgent",
            Peer::UrgentFlood => "urgent-flood",
            Peer::Alternating => "no-gap",
            Peer::Gaps => "gaps",
            Peer::Pause => "pause",
        }
    }

    pub fn from_key(key: &str) -> Option<Peer> {
        PEERS.into_iter().find(|p| p.key() == key)
    }

    /// Does it to a receiver at `addr`.
    pub fn run(self, addr: SocketAddr) -> std::io::Result<Sent> {
        let stream = TcpStream::connect(addr)?;
        let sock = socket2::SockRef::from(&stream);
        let mut sent = Sent::default();
        let normal = |sent: &mut Sent, s: &TcpStream, bytes: &[u8]| -> std::io::Result<()> {
            let mut s = s;
            s.write_all(bytes)?;
            sent.normal.extend_from_slice(bytes);
            Ok(())
        };
        let urgent = |sent: &mut Sent, byte: u8| -> std::io::Result<()> {
            sock.send_out_of_band(&[byte])?;
            sent.urgent.push(byte);
            Ok(())
        };
        match self {
            Peer::ResetAtOnce => {
                sock.set_linger(Some(Duration::ZERO))?;
                sent.reset = true;
            }
            Peer::ResetMidStream => {
                normal(&mut sent, &stream, b"abcdef")?;
                urgent(&mut sent, b'0')?;
                normal(&mut sent, &stream, b"ghij")?;
                sock.set_linger(Some(Duration::ZERO))?;
                sent.reset = true;
            }
            Peer::MegabyteThenUrgent => {
                let block: Vec<u8> = (0..1 << 20).map(|i| b'a' + (i % 26) as u8).collect();
                normal(&mut sent, &stream, &block)?;
                urgent(&mut sent, b'0')?;
            }
            Peer::UrgentFlood => {
                for i in 0..1000u32 {
                    urgent(&mut sent, b'0' + (i % 10) as u8)?;
                }
            }
            Peer::Alternating => {
                for i in 0..200u32 {
                    normal(&mut sent, &stream, &[b'a' + (i % 26) as u8])?;
                    urgent(&mut sent, b'0' + (i % 10) as u8)?;
                }
            }
            Peer::Gaps => {
                for i in 0..5u8 {
                    normal(
                        &mut sent,
                        &stream,
                        &[b'a' + 3 * i, b'b' + 3 * i, b'c' + 3 * i],
                    )?;
                    urgent(&mut sent, b'0' + i)?;
                    std::thread::sleep(GAP);
                }
                normal(&mut sent, &stream, b"xyz")?;
            }
            Peer::Pause => {
                normal(&mut sent, &stream, b"abcdef")?;
                urgent(&mut sent, b'0')?;
                std::thread::sleep(PAUSE);
                normal(&mut sent, &stream, b"ghij")?;
                urgent(&mut sent, b'1')?;
                normal(&mut sent, &stream, b"kl")?;
            }
        }
        if !sent.reset {
            stream.shutdown(Shutdown::Write)?;
        }
        Ok(sent)
    }
}

/// What a receiver's transcript reports: normal bytes it printed, bytes
/// read out of band, and normal bytes it only counted (`read N bytes of
/// normal data ...`, the flow-control receiver's lines).
#[derive(Debug, Default, PartialEq, Eq)]
struct Report {
    normal: Vec<u8>,
    oob: Vec<u8>,
    counted: usize,
}

fn reported(transcript: &str) -> Report {
    let mut r = Report::default();
    for line in transcript.lines() {
        if let Some(rest) = line.strip_prefix("read ")
            && rest.contains(" bytes of normal data")
        {
            r.counted += rest
                .split(' ')
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0);
            continue;
        }
        let Some(rest) = line.strip_prefix("got ") else {
            continue;
        };
        let Some(start) = rest.find('\'') else {
            continue;
        };
        let data = rest[start + 1..]
            .strip_suffix('\'')
            .unwrap_or(&rest[start + 1..]);
        if rest.contains("of oob data") {
            r.oob.extend_from_slice(data.as_bytes());
        } else if rest.contains("of normal data") {
            r.normal.extend_from_slice(data.as_bytes());
        }
    }
    r
}

fn counts(bytes: &[u8]) -> BTreeMap<u8, usize> {
    let mut m = BTreeMap::new();
    for &b in bytes {
        *m.entry(b).or_insert(0) += 1;
    }
    m
}

/// Checks a receiver's report against what was sent, allowing what the
/// kernel itself does: an urgent byte read out of band comes back as
/// normal data when a later urgent byte moves the mark past it (measured:
/// `oob/tests/rules.rs`), so each urgent byte may be reported twice; no
/// byte more often than that, and, for a strategy that promises to lose
/// nothing, none less often than it was sent.
pub fn check_delivery(
    strategy: &str,
    sent: &Sent,
    may_drop: bool,
    transcript: &str,
) -> Result<(), String> {
    let got = reported(transcript);
    let (normal, urgent) = (counts(&sent.normal), counts(&sent.urgent));
    let mut printed = got.normal.clone();
    printed.extend_from_slice(&got.oob);
    for (byte, n) in counts(&printed) {
        let most = normal.get(&byte).unwrap_or(&0) + 2 * urgent.get(&byte).unwrap_or(&0);
        if n > most {
            return Err(format!(
                "byte {:?} reported {n} times, but sent {} times normal and {} times urgent",
                byte as char,
                normal.get(&byte).unwrap_or(&0),
                urgent.get(&byte).unwrap_or(&0)
            ));
        }
    }
    let total = printed.len() + got.counted;
    let (least, most) = (
        sent.normal.len() + sent.urgent.len(),
        sent.normal.len() + 2 * sent.urgent.len(),
    );
    if total > most {
        return Err(format!("{total} bytes reported, at most {most} possible"));
    }
    // The strategies written to show a mistake promise nothing.
    let promises_all = !matches!(strategy, "select-broken" | "poll-rdband" | "naive");
    if promises_all && may_drop {
        // What the kernel cannot drop: the normal data, and the last
        // urgent byte, which nothing overtakes.
        if total < sent.normal.len() {
            return Err(format!(
                "{total} bytes reported, fewer than the {} sent as normal data",
                sent.normal.len()
            ));
        }
        if let Some(last) = sent.urgent.last()
            && !sent.reset
            && !printed.contains(last)
            && got.counted == 0
        {
            return Err(format!(
                "the last urgent byte {:?} was never reported",
                *last as char
            ));
        }
        return Ok(());
    }
    if promises_all && !sent.reset && total < least {
        return Err(format!(
            "{total} of {least} bytes reported (normal {}, counted {}, oob {}): the strategy lost bytes the kernel delivered",
            got.normal.len(),
            got.counted,
            got.oob.len()
        ));
    }
    Ok(())
}

/// Starts `binary IP 0 ARGS` and returns it with the address it printed.
fn start_listener(
    binary: &Path,
    args: &[&str],
) -> Result<(GroupChild, SocketAddr, std::sync::mpsc::Receiver<String>), String> {
    let mut cmd = Command::new(binary);
    cmd.args(["127.0.0.1", "0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut group =
        GroupChild::spawn(cmd).map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let stdout = group.child.stdout.take().expect("piped stdout");
    let mut stderr = group.child.stderr.take().expect("piped stderr");
    let (line_tx, line_rx) = std::sync::mpsc::channel();
    let (all_tx, all_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = line_tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        let mut err = String::new();
        let _ = stderr.read_to_string(&mut err);
        let _ = all_tx.send(all + &err);
    });
    let first = line_rx
        .recv_timeout(RUN_LIMIT)
        .map_err(|_| format!("{} printed no 'listening on' line", binary.display()))?;
    let addr = first
        .split_whitespace()
        .find_map(|w| w.parse::<SocketAddr>().ok())
        .ok_or_else(|| format!("{} printed '{first}'", binary.display()))?;
    Ok((group, addr, all_rx))
}

/// Every strategy, Rust and C, against every hostile peer.
fn hostile_peers(ws: &Workspace, quick: bool, keep: &mut dyn FnMut(Case)) {
    let strategies = [
        "plain",
        "sigurg",
        "select-broken",
        "select-fixed",
        "poll-rdband",
        "poll-fixed",
        "atmark",
        "flow-control",
        "naive",
    ];
    let peers: &[Peer] = if quick {
        &[Peer::ResetAtOnce, Peer::Alternating]
    } else {
        &PEERS
    };
    for strategy in strategies {
        for (lang, binary) in [
            ("Rust", ws.rust_binary("oob-recv")),
            ("C", ws.c_binary("oob-recv")),
        ] {
            let mut failures = Vec::new();
            for &peer in peers {
                let run = (|| -> Result<(), String> {
                    let mut args = vec!["--strategy", strategy, "--timeout", "5"];
                    if peer.receiver_may_wait_for_eof() {
                        args.push("--wait-eof");
                    }
                    let (mut group, addr, all) = start_listener(&binary, &args)?;
                    let sent = peer.run(addr).map_err(|e| format!("the peer: {e}"))?;
                    let transcript = all
                        .recv_timeout(RUN_LIMIT)
                        .map_err(|_| format!("did not end within {RUN_LIMIT:?}"))?;
                    let status = group.child.wait().map_err(|e| e.to_string())?;
                    if transcript.contains("panicked") || !matches!(status.code(), Some(0 | 1)) {
                        return Err(format!(
                            "exit status {:?}: {}",
                            status.code(),
                            transcript.lines().last().unwrap_or_default()
                        ));
                    }
                    check_delivery(
                        strategy,
                        &sent,
                        peer.kernel_may_drop_urgent_bytes(),
                        &transcript,
                    )
                })();
                if let Err(e) = run {
                    failures.push(format!("{}: {e}", peer.name()));
                }
            }
            keep((
                format!(
                    "hostile peers: oob-recv --strategy {strategy} ({lang}), {} peers",
                    peers.len()
                ),
                if failures.is_empty() {
                    Ok(())
                } else {
                    Err(failures.join("\n"))
                },
            ));
        }
    }
}

/// A misbehaving client of a server at `addr`.
pub fn misbehave(kind: &str, addr: SocketAddr) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    match kind {
        "connect and close" => {}
        "garbage" => stream.write_all(&[0xff; 4096])?,
        "silence" => {
            // Connected and says nothing; the server answers and we leave.
            let mut buf = [0u8; 256];
            let _ = stream.read(&mut buf);
        }
        "half-close" => stream.shutdown(Shutdown::Write)?,
        "reset" => socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO))?,
        _ => unreachable!("every kind is listed in CLIENTS"),
    }
    Ok(())
}

pub const CLIENTS: [&str; 5] = [
    "connect and close",
    "garbage",
    "silence",
    "half-close",
    "reset",
];

fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// initserver, Rust and C, against misbehaving clients, then a good one.
fn hostile_clients(ws: &Workspace, keep: &mut dyn FnMut(Case)) {
    for (lang, binary) in [
        ("Rust", ws.rust_binary("initserver")),
        ("C", ws.c_binary("initserver")),
    ] {
        let result = (|| -> Result<(), String> {
            let (group, addr, _all) = start_listener(&binary, &[])?;
            let pid = group.child.id();
            let before = open_descriptors(pid);
            for kind in CLIENTS {
                misbehave(kind, addr).map_err(|e| format!("{kind}: {e}"))?;
            }
            // A well-behaved client reads the whole answer; by then the
            // server has dealt with every client before it.
            let mut good = TcpStream::connect(addr).map_err(|e| format!("the good client: {e}"))?;
            good.set_read_timeout(Some(RUN_LIMIT))
                .map_err(|e| e.to_string())?;
            let mut answer = String::new();
            good.read_to_string(&mut answer)
                .map_err(|e| format!("the good client's read: {e}"))?;
            if !answer.contains("status") {
                return Err(format!("the good client got {answer:?}"));
            }
            let after = open_descriptors(pid);
            if after > before {
                return Err(format!(
                    "{before} descriptors open before the clients, {after} after"
                ));
            }
            Ok(())
        })();
        keep((
            format!(
                "hostile clients: initserver ({lang}) survives {} and serves the next",
                CLIENTS.join(", ")
            ),
            result,
        ));
    }
}

/// The whole test suite, `times` times in a row.
fn repeated_tests(ws: &Workspace, times: usize, keep: &mut dyn FnMut(Case)) {
    for i in 1..=times {
        {
            let mut cmd = ws.cargo();
            cmd.args(["test", "--workspace", "--quiet"])
                .env("CARGO_TERM_COLOR", "never");
            let result = match run_bounded(cmd, Duration::from_secs(20 * 60)) {
                Err(e) => Err(format!("cannot run cargo: {e}")),
                Ok(run) if run.timed_out => Err("cargo test did not finish".into()),
                Ok(run) if run.output.status.success() => Ok(()),
                Ok(run) => {
                    let out = String::from_utf8_lossy(&run.output.stdout);
                    let failed: Vec<&str> = out.lines().filter(|l| l.contains("FAILED")).collect();
                    Err(failed.join("\n"))
                }
            };
            keep((format!("the test suite, run {i} of {times}"), result));
        }
    }
}

/// Every case of the suite (`quick`: the subset check-all runs).
pub fn cases(ws: &Workspace, quick: bool, progress: &dyn Fn(&Case)) -> Vec<Case> {
    let mut all = Vec::new();
    let mut keep = |c: Case| {
        progress(&c);
        all.push(c);
    };
    command_lines(ws, quick, &mut keep);
    hostile_peers(ws, quick, &mut keep);
    hostile_clients(ws, &mut keep);
    if !quick {
        repeated_tests(ws, 3, &mut keep);
    }
    all
}

/// `cargo xtask stress`: builds the programs and twins, runs every case.
pub fn stress(ws: &Workspace, quick: bool) -> Result<(), Error> {
    let start = Instant::now();
    crate::programs::build_everything(ws)?;
    let print = |(name, result): &Case| match result {
        Ok(()) => println!("ok    {name}"),
        Err(why) if why.starts_with("skip: ") => println!("skip  {name}: {}", &why[6..]),
        Err(why) => println!("FAIL  {name}:\n      {}", why.replace('\n', "\n      ")),
    };
    let cases = cases(ws, quick, &print);
    let skipped = cases
        .iter()
        .filter(|(_, r)| r.as_ref().is_err_and(|e| e.starts_with("skip: ")))
        .count();
    let failed = cases.iter().filter(|(_, r)| r.is_err()).count() - skipped;
    let passed = cases.len() - failed - skipped;
    println!("stress took {:.1} s", start.elapsed().as_secs_f64());
    crate::report::closing_line(passed, failed, skipped, "stress case(s)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcripts_are_read_back_into_bytes() {
        let t = "listening on 127.0.0.1:1\ngot 7 bytes of normal data 'AAAxBBB'\ngot 1 bytes of oob data 'y'\nreceived EOF\n";
        assert_eq!(
            reported(t),
            Report {
                normal: b"AAAxBBB".to_vec(),
                oob: b"y".to_vec(),
                counted: 0
            }
        );
        assert_eq!(
            reported("read 399 bytes of normal data up to the mark\n").counted,
            399
        );
    }

    #[test]
    fn a_lost_or_doubled_byte_is_caught() {
        let sent = Sent {
            normal: b"AAABBB".to_vec(),
            urgent: b"xy".to_vec(),
            reset: false,
        };
        let whole = "got 7 bytes of normal data 'AAAxBBB'\ngot 1 bytes of oob data 'y'\n";
        check_delivery("plain", &sent, false, whole).unwrap();
        let lost = "got 6 bytes of normal data 'AAABBB'\ngot 1 bytes of oob data 'y'\n";
        assert!(
            check_delivery("plain", &sent, false, lost)
                .unwrap_err()
                .contains("lost")
        );
        check_delivery("select-broken", &sent, false, lost).unwrap();
        // Read out of band, then given back inline by a later mark: allowed.
        let again = "got 1 bytes of oob data 'x'\ngot 7 bytes of normal data 'AAAxBBB'\ngot 1 bytes of oob data 'y'\n";
        check_delivery("plain", &sent, false, again).unwrap();
        let tripled = "got 7 bytes of normal data 'AAAxBBB'\ngot 1 bytes of oob data 'x'\ngot 1 bytes of oob data 'x'\ngot 1 bytes of oob data 'y'\n";
        assert!(
            check_delivery("plain", &sent, false, tripled)
                .unwrap_err()
                .contains("reported 3 times")
        );
    }
}
