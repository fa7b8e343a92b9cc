//! Running the programs: building the C twins, comparing each twin with its
//! Rust program, and recording (blessing) the outputs the book shows.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;

use sockref::Error;
use sockref::testing::{GroupChild, RUN_LIMIT, run_bounded};

use crate::Workspace;
use crate::normalize::{normalize, without_rust_only_lines};
use crate::sections::{self, Case, Interop, Program, Section};

/// The C compiler and the flags every twin must pass.
pub const CC_FLAGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-pthread"];

/// Compiles one C twin into `target/c-twins/<bin>`.
pub fn build_c_twin(ws: &Workspace, program: &Program) -> Result<(), String> {
    let out = ws.c_binary(&program.bin);
    fs::create_dir_all(out.parent().expect("c-twins dir")).map_err(|e| e.to_string())?;
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let mut cmd = Command::new(&cc);
    cmd.current_dir(&ws.root).args(CC_FLAGS);
    // The C halves of library crates (crates/*/c holding headers), like
    // sockref.h and oob.h, are on the include path of every twin.
    for dir in c_include_dirs(ws) {
        cmd.arg(format!("-I{dir}"));
    }
    cmd.arg(&program.c_twin).arg("-o").arg(&out);
    let run = run_bounded(cmd, RUN_LIMIT).map_err(|e| format!("cannot run {cc}: {e}"))?;
    if run.output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cc} {} failed:\n{}",
            program.c_twin,
            String::from_utf8_lossy(&run.output.stderr)
        ))
    }
}

/// `crates/<name>/c` folders that hold a header, relative to the root.
fn c_include_dirs(ws: &Workspace) -> Vec<String> {
    let folders = |dir: &Path| -> Vec<std::path::PathBuf> {
        fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect()
    };
    let packages = folders(&ws.root.join("crates"))
        .into_iter()
        .flat_map(|section| folders(&section))
        .chain(folders(&ws.root.join("lib")));
    let mut dirs: Vec<String> = packages
        .map(|p| p.join("c"))
        .filter(|c| {
            fs::read_dir(c)
                .into_iter()
                .flatten()
                .flatten()
                .any(|f| f.path().extension().is_some_and(|x| x == "h"))
        })
        .map(|c| display(ws, &c))
        .collect();
    dirs.sort();
    dirs
}

/// What one run printed, stdout then stderr, with the exit status.
#[derive(Debug)]
pub struct Transcript {
    pub stdout: String,
    pub stderr: String,
    pub status: Option<i32>,
}

impl Transcript {
    /// The text the book records: stdout, then stderr, then a failing status.
    pub fn recorded(&self) -> String {
        let mut text = self.stdout.clone();
        text.push_str(&self.stderr);
        if let Some(code) = self.status.filter(|&c| c != 0) {
            text.push_str(&format!("[exit status {code}]\n"));
        }
        text
    }
}

/// Runs a built binary with a case's arguments, bounded in time.
pub fn run_case(binary: &Path, case: &Case) -> Result<Transcript, String> {
    let mut cmd = Command::new(binary);
    cmd.args(&case.args);
    let run =
        run_bounded(cmd, RUN_LIMIT).map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    if run.timed_out {
        return Err(format!(
            "{} {:?} did not finish within {RUN_LIMIT:?}",
            binary.display(),
            case.args
        ));
    }
    Ok(Transcript {
        stdout: String::from_utf8_lossy(&run.output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&run.output.stderr).into_owned(),
        status: run.output.status.code(),
    })
}

/// The C twin prints what the Rust program prints (less the std:: lines),
/// fails the same way and exits with the same status.
pub fn check_parity(ws: &Workspace, program: &Program, case: &Case) -> Result<(), String> {
    let rust = run_case(&ws.rust_binary(&program.bin), case)?;
    let c = run_case(&ws.c_binary(&program.bin), case)?;
    let pairs = [
        (
            "stdout",
            normalize(&without_rust_only_lines(&rust.stdout)),
            normalize(&c.stdout),
        ),
        ("stderr", normalize(&rust.stderr), normalize(&c.stderr)),
    ];
    for (stream, r, c) in pairs {
        if r != c {
            return Err(format!(
                "{} differs from {} on {stream} for {:?} (- Rust, + C):\n{}",
                program.c_twin,
                program.source,
                case.args,
                first_difference(&r, &c)
            ));
        }
    }
    if rust.status != c.status {
        return Err(format!(
            "{} exits with {:?}, {} with {:?}",
            program.c_twin, c.status, program.source, rust.status
        ));
    }
    Ok(())
}

/// The recorded output in the book matches a fresh run.
pub fn check_recorded(ws: &Workspace, program: &Program, case: &Case) -> Result<(), String> {
    let path = ws.root.join("book/src").join(program.recorded_path(case));
    let recorded = fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e} (run `cargo xtask bless`)", display(ws, &path)))?;
    let fresh = recording(
        program,
        case,
        &run_case(&ws.rust_binary(&program.bin), case)?,
    );
    if normalize(&recorded) == normalize(&fresh) {
        Ok(())
    } else {
        Err(format!(
            "{} does not match a fresh run of {} (edited by hand, or stale: run `cargo xtask bless`) (- recorded, + fresh):\n{}",
            display(ws, &path),
            program.bin,
            first_difference(&normalize(&recorded), &normalize(&fresh))
        ))
    }
}

fn recording(program: &Program, case: &Case, run: &Transcript) -> String {
    format!("{}\n{}", program.command_line(case), run.recorded())
}

/// `cargo build` of every Rust program.
fn build_programs(ws: &Workspace) -> Result<(), Error> {
    let status = ws
        .cargo()
        // Not the xtask: built with the whole workspace's features it would
        // be linked anew over the binary that is running this.
        .args([
            "build",
            "--quiet",
            "--workspace",
            "--exclude",
            "xtask",
            "--bins",
        ])
        .status()
        .map_err(|e| Error::runtime(format!("cargo build: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::runtime("cargo build failed"))
    }
}

/// Builds every Rust program and every C twin, for commands that run them
/// outside check-all (which builds them in its own stages).
pub fn build_everything(ws: &Workspace) -> Result<(), Error> {
    build_programs(ws)?;
    for program in sections::all().iter().flat_map(|s| &s.programs) {
        build_c_twin(ws, program).map_err(Error::runtime)?;
    }
    Ok(())
}

/// `cargo xtask bless`: builds the programs and rewrites every recorded
/// output whose content changed (ports and timings alone do not count).
pub fn bless(ws: &Workspace, only: Option<&'static Section>) -> Result<(), Error> {
    build_programs(ws)?;
    let mut written = 0;
    for section in sections::all()
        .iter()
        .filter(|s| only.is_none_or(|o| o.name == s.name))
    {
        for program in &section.programs {
            for case in program.cases.iter().filter(|c| c.recorded) {
                let run = run_case(&ws.rust_binary(&program.bin), case).map_err(Error::runtime)?;
                let fresh = recording(program, case, &run);
                let path = ws.root.join("book/src").join(program.recorded_path(case));
                let old = fs::read_to_string(&path).unwrap_or_default();
                if normalize(&old) != normalize(&fresh) {
                    fs::create_dir_all(path.parent().expect("output dir"))
                        .and_then(|()| fs::write(&path, &fresh))
                        .map_err(|e| Error::runtime(format!("write {}: {e}", path.display())))?;
                    println!("blessed {}", display(ws, &path));
                    written += 1;
                }
            }
        }
    }
    println!("{written} recorded output(s) rewritten");
    Ok(())
}

/// A path relative to the workspace root, for messages.
pub fn display(ws: &Workspace, path: &Path) -> String {
    path.strip_prefix(&ws.root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The first line where two texts part, for a short failure message.
pub fn first_difference(expected: &str, actual: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i), b.get(i));
        if x != y {
            return format!(
                "  line {}:\n  - {}\n  + {}",
                i + 1,
                x.copied().unwrap_or("<missing>"),
                y.copied().unwrap_or("<missing>")
            );
        }
    }
    "  (texts differ only in the final newline)".into()
}

/// One standalone run of a receiver and a sender, both transcripts.
#[derive(Debug, PartialEq, Eq)]
struct PairRun {
    receiver: String,
    sender: String,
}

/// Runs `receiver IP 0 ARGS`, reads the port from its first line
/// (`listening on IP:PORT`), runs `sender IP PORT ARGS`, and waits for
/// both. Every wait is bounded.
fn run_pair(
    receiver: &Path,
    sender: &Path,
    interop: &Interop,
    ip: &str,
) -> Result<PairRun, String> {
    let mut start = Command::new(receiver);
    start
        .args([ip, "0"])
        .args(&interop.receiver_args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Killed with everything it forked on every way out of this function.
    let mut group = GroupChild::spawn(start)
        .map_err(|e| format!("cannot start {}: {e}", receiver.display()))?;
    let stdout = group.child.stdout.take().expect("piped stdout");
    let mut stderr = group.child.stderr.take().expect("piped stderr");
    // The reader passes on each line as it comes (the first names the
    // port), then the whole transcript once the receiver closes its output.
    let (lines_tx, lines_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        let mut err = String::new();
        let _ = stderr.read_to_string(&mut err);
        let _ = done_tx.send(all + &err);
    });
    let first = match lines_rx.recv_timeout(RUN_LIMIT) {
        Ok(line) => line,
        Err(_) => {
            return Err(format!(
                "{} printed no 'listening on' line",
                receiver.display()
            ));
        }
    };
    // `listening on 127.0.0.1:41523 ...`: the first word that is an address.
    let port = first
        .split_whitespace()
        .find_map(|w| w.parse::<std::net::SocketAddr>().ok())
        .map(|a| a.port().to_string());
    let Some(port) = port else {
        return Err(format!(
            "{} printed '{first}', not 'listening on IP:PORT'",
            receiver.display()
        ));
    };
    let mut send = Command::new(sender);
    send.args([ip, &port]).args(&interop.sender_args);
    let sent = run_bounded(send, RUN_LIMIT)
        .map_err(|e| format!("cannot run {}: {e}", sender.display()))?;
    let received = done_rx.recv_timeout(RUN_LIMIT);
    if received.is_err() {
        group.kill_group();
    }
    let status = group.child.wait().ok().and_then(|s| s.code());
    let (Ok(received), false) = (received, sent.timed_out) else {
        return Err(format!(
            "{} or {} did not finish within {RUN_LIMIT:?}",
            receiver.display(),
            sender.display()
        ));
    };
    if sent.timed_out || status.is_none() {
        return Err(format!(
            "{} or {} did not finish within {RUN_LIMIT:?}",
            receiver.display(),
            sender.display()
        ));
    }
    let sender_text = format!(
        "{}{}[exit status {:?}]\n",
        String::from_utf8_lossy(&sent.output.stdout),
        String::from_utf8_lossy(&sent.output.stderr),
        sent.output.status.code()
    );
    Ok(PairRun {
        receiver: normalize(&format!("{received}[exit status {status:?}]\n")),
        sender: normalize(&sender_text),
    })
}

/// The four pairings (Rust and C receiver, Rust and C sender), over IPv4
/// and IPv6, all print the same transcripts on both sides.
pub fn check_interop(ws: &Workspace, interop: &Interop) -> Result<(), String> {
    let langs = [("Rust", true), ("C", false)];
    let binary = |rust: bool, bin: &str| {
        if rust {
            ws.rust_binary(bin)
        } else {
            ws.c_binary(bin)
        }
    };
    for ip in ["127.0.0.1", "::1"] {
        let mut reference: Option<(String, PairRun)> = None;
        for (recv_lang, recv_rust) in langs {
            for (send_lang, send_rust) in langs {
                let label = format!(
                    "{send_lang} {} into {recv_lang} {} over {ip}",
                    interop.sender, interop.receiver
                );
                let run = run_pair(
                    &binary(recv_rust, &interop.receiver),
                    &binary(send_rust, &interop.sender),
                    interop,
                    ip,
                )
                .map_err(|e| format!("{label}: {e}"))?;
                match &reference {
                    None => reference = Some((label, run)),
                    Some((first, expected)) => {
                        for (side, e, a) in [
                            ("receiver", &expected.receiver, &run.receiver),
                            ("sender", &expected.sender, &run.sender),
                        ] {
                            if e != a {
                                return Err(format!(
                                    "{label}: the {side} transcript differs from {first} (- {first}, + this run):\n{}",
                                    first_difference(e, a)
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// A sender pointed at a loopback port where nothing listens fails the same
/// way in Rust and in C: one `error: connect to ...` line, exit status 1.
pub fn check_refused(ws: &Workspace, sender: &str, extra: &[String]) -> Result<(), String> {
    let port = sockref::peer::closed_port()
        .map_err(|e| e.to_string())?
        .port()
        .to_string();
    let run = |binary: &Path| {
        let mut cmd = Command::new(binary);
        cmd.args(["127.0.0.1", &port]).args(extra);
        run_bounded(cmd, RUN_LIMIT).map_err(|e| format!("cannot run {}: {e}", binary.display()))
    };
    let (rust, c) = (run(&ws.rust_binary(sender))?, run(&ws.c_binary(sender))?);
    for (lang, out) in [("Rust", &rust), ("C", &c)] {
        let stderr = String::from_utf8_lossy(&out.output.stderr);
        if out.output.status.code() != Some(1)
            || !stderr.starts_with(&format!(
                "error: connect to 127.0.0.1:{port}: Connection refused"
            ))
        {
            return Err(format!(
                "{lang} {sender} against a closed port: status {:?}, stderr {stderr:?}",
                out.output.status.code()
            ));
        }
    }
    if rust.output.stderr != c.output.stderr {
        return Err(format!(
            "{sender}: Rust and C report a refused connection differently:\n{}",
            first_difference(
                &String::from_utf8_lossy(&rust.output.stderr),
                &String::from_utf8_lossy(&c.output.stderr)
            )
        ));
    }
    Ok(())
}
