//! Helpers for the programs' integration tests: run a built program with a
//! time limit and check the house rules for bad input.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long any one program run in a test may take.
pub const RUN_LIMIT: Duration = Duration::from_secs(20);

/// Runs `program` with `args`, killing it if it outlives [`RUN_LIMIT`].
pub fn run_program(program: &str, args: &[&str]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
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
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the program") {
            break status;
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            panic!("{program} {args:?} ran longer than {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: out_reader.join().expect("stdout reader").expect("read stdout"),
        stderr: err_reader.join().expect("stderr reader").expect("read stderr"),
    }
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
    assert!(out.stdout.is_empty(), "{program} {args:?} printed to stdout");
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
