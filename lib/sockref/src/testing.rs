//! Helpers for the programs' integration tests: run a built program with a
//! time limit and check the house rules for bad input.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// How long any one program run in a test may take.
pub const RUN_LIMIT: Duration = Duration::from_secs(20);

/// What a bounded run produced.
#[derive(Debug)]
pub struct Bounded {
    /// Status, stdout and stderr; the status is the kill's when `timed_out`.
    pub output: Output,
    /// The child outlived its limit and was killed.
    pub timed_out: bool,
}

/// Runs `command` to completion with stdin closed and both outputs captured,
/// killing it if it outlives `limit`. Used by the tests and by the xtask.
pub fn run_bounded(mut command: Command, limit: Duration) -> std::io::Result<Bounded> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stdout.read_to_end(&mut buf).map(|_| buf)
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stderr.read_to_end(&mut buf).map(|_| buf)
    });
    // A waiter thread owns the child; this thread waits for its word, and
    // on time-out kills the child by pid, which makes the waiter return.
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send(());
        status
    });
    let timed_out = rx.recv_timeout(limit).is_err();
    if timed_out {
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
    }
    let status = waiter.join().expect("waiter thread")?;
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
