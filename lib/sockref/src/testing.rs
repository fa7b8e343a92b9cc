//! Helpers for the programs' integration tests: run a built program with a
//! time limit and check the house rules for bad input.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// How long any one run of a program may take, in a test or in the xtask
/// (the C compiler included): programs end in well under a second, so
/// reaching it means a hang.
pub const RUN_LIMIT: Duration = Duration::from_secs(20);

/// What a bounded run produced.
#[derive(Debug)]
pub struct Bounded {
    /// Status, stdout and stderr; the status is the kill's when `timed_out`.
    pub output: Output,
    /// The child outlived its limit and was killed.
    pub timed_out: bool,
}

/// A child started in a process group of its own, which is killed whole
/// (the child and anything it forked) when this guard is dropped.
#[derive(Debug)]
pub struct GroupChild {
    pub child: Child,
}

impl GroupChild {
    /// Starts `command` as the leader of a new process group.
    pub fn spawn(mut command: Command) -> std::io::Result<Self> {
        command.process_group(0);
        Ok(GroupChild {
            child: command.spawn()?,
        })
    }

    /// SIGKILL to every process of the group; harmless once it is gone.
    pub fn kill_group(&self) {
        kill_group(self.child.id());
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        self.kill_group();
        let _ = self.child.wait();
    }
}

fn kill_group(leader: u32) {
    let group = nix::unistd::Pid::from_raw(leader as i32);
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
}

/// Runs `command` to completion with stdin closed and both outputs captured,
/// in a process group of its own; if it outlives `limit` the whole group is
/// killed, and so is anything it left running when it exits. The one
/// implementation of a bounded run, used by the tests and by the xtask.
pub fn run_bounded(command: Command, limit: Duration) -> std::io::Result<Bounded> {
    run_bounded_into(command, Stdio::piped(), limit)
}

/// [`run_bounded`] with standard output sent to `stdout` (a file, say);
/// the `stdout` of the result is empty unless `stdout` was piped.
pub fn run_bounded_into(
    mut command: Command,
    stdout: Stdio,
    limit: Duration,
) -> std::io::Result<Bounded> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    let stdout = child.stdout.take();
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        match stdout {
            Some(mut s) => s.read_to_end(&mut buf).map(|_| buf),
            None => Ok(buf),
        }
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stderr.read_to_end(&mut buf).map(|_| buf)
    });
    // A waiter thread owns the child; this thread waits for its word, and
    // on time-out kills the child by pid, which makes the waiter return.
    let leader = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send(());
        status
    });
    let timed_out = rx.recv_timeout(limit).is_err();
    if timed_out {
        kill_group(leader);
    }
    let status = waiter.join().expect("waiter thread")?;
    // Whatever the child forked and left behind (holding the pipes open)
    // goes with it.
    kill_group(leader);
    let join = |h: std::thread::JoinHandle<std::io::Result<Vec<u8>>>| {
        h.join().unwrap_or_else(|_| Ok(Vec::new()))
    };
    Ok(Bounded {
        output: Output {
            status,
            stdout: join(out_reader)?,
            stderr: join(err_reader)?,
        },
        timed_out,
    })
}

/// Runs `program` with `args`, failing the test if it outlives [`RUN_LIMIT`].
pub fn run_program(program: &str, args: &[&str]) -> Output {
    let mut command = Command::new(program);
    command.args(args);
    let run =
        run_bounded(command, RUN_LIMIT).unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        !run.timed_out,
        "{program} {args:?} ran longer than {RUN_LIMIT:?}"
    );
    run.output
}

/// Stdout of a run that must succeed.
pub fn stdout_of(program: &str, args: &[&str]) -> String {
    let out = run_program(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Asserts the usage-error convention: nothing on stdout, exit status 2, and
/// on stderr exactly `error: ...` then `usage: ...`. Returns the error line.
pub fn assert_usage_error(program: &str, args: &[&str]) -> String {
    let out = run_program(program, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{program} {args:?}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "{program} {args:?} printed to stdout"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{program} {args:?}: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(lines[1].starts_with("usage: "), "{stderr}");
    lines[0].to_string()
}

/// Asserts the runtime-error convention: exit status 1 and one
/// `error: ...` line as the last line of stderr. Returns that line.
pub fn assert_runtime_error(program: &str, args: &[&str]) -> String {
    let out = run_program(program, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{program} {args:?}: {stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("error: "), "{stderr}");
    last.to_string()
}

/// The C compiler flags every twin must pass (as `cargo xtask` uses them).
pub const CC_FLAGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-pthread"];

/// Compiles the C twin at `source` (relative to the workspace root) into
/// `out_dir` and returns the binary's path. The headers of every `c/`
/// folder of the workspace are on the include path, as in `cargo xtask`.
pub fn c_twin(source: &str, out_dir: &Path) -> PathBuf {
    let root = workspace_root();
    let mut include = Vec::new();
    for top in ["crates", "lib"] {
        for entry in walk_dirs(&root.join(top), 2) {
            let c = entry.join("c");
            let has_header = std::fs::read_dir(&c)
                .into_iter()
                .flatten()
                .flatten()
                .any(|f| f.path().extension().is_some_and(|x| x == "h"));
            if has_header {
                include.push(format!("-I{}", c.display()));
            }
        }
    }
    let name = Path::new(source).file_stem().expect("a file name");
    let out = out_dir.join(name);
    // Tests of one binary run in parallel and may build the same twin at
    // once: each compiles to a name of its own and renames it into place,
    // so no test ever runs a half-written file (EACCES, ETXTBSY).
    static BUILDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let partial = out_dir.join(format!(
        "{}.{}-{n}.partial",
        name.to_string_lossy(),
        std::process::id()
    ));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let mut command = Command::new(&cc);
    command
        .args(CC_FLAGS)
        .args(&include)
        .arg(root.join(source))
        .arg("-o")
        .arg(&partial);
    let run = run_bounded(command, RUN_LIMIT).unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(
        run.output.status.success(),
        "{cc} {source}: {}",
        String::from_utf8_lossy(&run.output.stderr)
    );
    std::fs::rename(&partial, &out)
        .unwrap_or_else(|e| panic!("rename {} to {}: {e}", partial.display(), out.display()));
    out
}

/// The workspace root: the nearest folder above this crate's manifest
/// that holds `Cargo.lock`.
fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|d| d.join("Cargo.lock").exists())
        .unwrap_or(here)
        .to_path_buf()
}

/// Folders `depth` levels below `dir` (1: its children, 2: grandchildren).
fn walk_dirs(dir: &Path, depth: usize) -> Vec<PathBuf> {
    let children: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    if depth <= 1 {
        return children;
    }
    let mut found = children.clone();
    for child in children {
        found.extend(walk_dirs(&child, depth - 1));
    }
    found
}

/// Asserts that `program` run with `args` and standard output on
/// `/dev/full` reports the failed write and exits 1, neither panicking
/// (101) nor losing its output silently (0).
pub fn assert_full_stdout_is_an_error(program: &Path, args: &[&str]) {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("open /dev/full");
    let mut command = Command::new(program);
    command.args(args);
    let run = run_bounded_into(command, Stdio::from(full), RUN_LIMIT)
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert!(!run.timed_out, "{} {args:?} did not end", program.display());
    assert_eq!(
        run.output.status.code(),
        Some(1),
        "{} {args:?} with stdout on /dev/full: {stderr}",
        program.display()
    );
    assert_eq!(
        stderr.lines().last(),
        Some("error: write: No space left on device (os error 28)"),
        "{} {args:?}: {stderr}",
        program.display()
    );
}

/// [`assert_full_stdout_is_an_error`] for a Rust program and its C twin,
/// each run with no argument (the self-demo) and with `--help`.
pub fn assert_full_stdout_is_an_error_in_both(program: &str, twin_source: &str, out_dir: &Path) {
    let twin = c_twin(twin_source, out_dir);
    for binary in [Path::new(program), twin.as_path()] {
        for args in [&[][..], &["--help"]] {
            assert_full_stdout_is_an_error(binary, args);
        }
    }
}

/// A transcript with what changes from run to run folded away: every word
/// holding `127.0.0.1:` becomes `ADDR`, and every run of digits (a pid of
/// any length, a port) one `#`. For comparing two runs of a self-demo.
pub fn masked(text: &str) -> String {
    text.lines()
        .map(|l| {
            let words: Vec<&str> = l
                .split_whitespace()
                .map(|w| if w.contains("127.0.0.1:") { "ADDR" } else { w })
                .collect();
            let mut out = String::new();
            for c in words.join(" ").chars() {
                if !c.is_ascii_digit() {
                    out.push(c);
                } else if !out.ends_with('#') {
                    out.push('#');
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether this process may make the namespaces `unshare` is given
/// (`&["--mount"]`, `&["--mount", "--net"]`); where it may not, says so in
/// the test's output (`skipped: ...`), and the test returns.
pub fn unshare_allowed(namespaces: &[&str]) -> bool {
    let allowed = Command::new("unshare")
        .args(namespaces)
        .args(["--propagation", "private", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !allowed {
        eprintln!(
            "skipped: `unshare {}` is not allowed here (it needs CAP_SYS_ADMIN)",
            namespaces.join(" ")
        );
    }
    allowed
}

/// Waits until `done` holds, yielding between looks at kernel state; the
/// test fails, naming `what`, after 10 s.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within 10 s"
        );
        std::thread::yield_now();
    }
}

/// Whether thread `tid` of this process is asleep inside system call `nr`:
/// `/proc/self/task/TID/syscall` names the call it is in ("running" when
/// it is on a CPU) and `stat` says S, sleeping.
pub fn asleep_in(tid: i32, nr: libc::c_long) -> bool {
    let task = format!("/proc/self/task/{tid}");
    let call = std::fs::read_to_string(format!("{task}/syscall")).unwrap_or_default();
    let stat = std::fs::read_to_string(format!("{task}/stat")).unwrap_or_default();
    // stat is "TID (comm) STATE ...": the state follows the last ')'.
    let state = stat
        .rsplit(')')
        .next()
        .and_then(|rest| rest.trim().chars().next());
    call.split_whitespace().next() == Some(&nr.to_string()) && state == Some('S')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Whether `pid` is still running after the kill had up to 5 s to take
    /// effect: SIGKILL is delivered asynchronously, and on a loaded machine
    /// the process may still be listed for a moment after kill returns.
    fn alive(pid: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while running(pid) {
            if Instant::now() > deadline {
                return true;
            }
            std::thread::yield_now();
        }
        false
    }

    fn running(pid: &str) -> bool {
        let pid = nix::unistd::Pid::from_raw(pid.trim().parse().unwrap());
        // A zombie is gone for our purposes: only a running process counts.
        nix::sys::signal::kill(pid, None).is_ok()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .unwrap_or_default()
                .contains(") Z ")
    }

    #[test]
    fn what_a_child_leaves_running_is_killed_with_it() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 60 & echo $!"]);
        let t = Instant::now();
        let run = run_bounded(cmd, Duration::from_secs(10)).unwrap();
        assert!(!run.timed_out);
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        assert!(!alive(&String::from_utf8_lossy(&run.output.stdout)));
    }

    #[test]
    fn a_child_past_its_limit_is_killed_with_its_whole_group() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 60 & echo $!; sleep 60"]);
        let t = Instant::now();
        let run = run_bounded(cmd, Duration::from_millis(300)).unwrap();
        assert!(run.timed_out);
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        assert!(!alive(&String::from_utf8_lossy(&run.output.stdout)));
    }
}
