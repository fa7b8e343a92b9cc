//! The notes' addr04, its two mistakes run in C (`tests/c/addr04.c`,
//! compiled here) beside the fix, and what the Rust program does instead.
//!
//! An unknown name is the point of the first mistake, and an unknown name
//! is a DNS query on these machines (`hosts: files dns`). So those runs
//! happen in a private mount and network namespace (`unshare --mount
//! --net`) where /etc/nsswitch.conf is a file of this test's saying
//! `hosts: files`: the lookup ends at /etc/hosts, and a query could not
//! leave the empty network namespace anyway. Where namespaces are not
//! allowed (no privilege) that test says so and is skipped.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sockref::testing::{RUN_LIMIT, run_bounded, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_hosts");

/// The notes' host name; in no /etc/hosts.
const UNKNOWN: &str = "benxintuzi";

fn addr04() -> PathBuf {
    sockref::testing::c_twin(
        "crates/netdb/hosts/tests/c/addr04.c",
        Path::new(env!("CARGO_TARGET_TMPDIR")),
    )
}

/// `program args` run where host lookups read /etc/hosts only, or `None`
/// (the test is skipped) where this process may not make namespaces.
fn with_files_only(program: &Path, args: &[&str]) -> Option<Output> {
    if !sockref::testing::unshare_allowed(&["--mount", "--net"]) {
        return None;
    }
    let nsswitch = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("nsswitch-files-only-{}", std::process::id()));
    std::fs::write(&nsswitch, "hosts: files\n").unwrap();
    let mut command = Command::new("unshare");
    command
        .args(["--mount", "--net", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount --bind "$0" /etc/nsswitch.conf && exec "$@""#)
        .arg(&nsswitch)
        .arg(program)
        .args(args);
    let run = run_bounded(command, RUN_LIMIT).unwrap();
    assert!(!run.timed_out, "{program:?} {args:?} did not end");
    Some(run.output)
}

/// gethostbyname returns NULL for a name it cannot find; the notes use
/// the result at once, and the program dies of SIGSEGV before it prints a
/// line. Checked, NULL is an answer, with its reason in h_errno. The Rust
/// program says both lookups failed and exits 1.
#[test]
fn addr04_an_unchecked_gethostbyname_crashes_on_an_unknown_name() {
    let c = addr04();
    let Some(crash) = with_files_only(&c, &["unchecked", UNKNOWN]) else {
        return;
    };
    assert_eq!(crash.status.signal(), Some(libc::SIGSEGV), "{crash:?}");
    assert!(crash.stdout.is_empty(), "{crash:?}");

    let checked = with_files_only(&c, &["checked", UNKNOWN]).unwrap();
    assert_eq!(checked.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&checked.stdout),
        format!("gethostbyname(\"{UNKNOWN}\"): NULL, h_errno 1: Unknown host\n")
    );

    let rust = with_files_only(Path::new(BIN), &[UNKNOWN]).unwrap();
    assert_eq!(rust.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&rust.stdout),
        format!("gethostbyname(\"{UNKNOWN}\") failed: HOST_NOT_FOUND: unknown host\n\n")
    );
    let stderr = String::from_utf8_lossy(&rust.stderr);
    assert_eq!(
        stderr.lines().last(),
        Some(
            format!("error: getaddrinfo(\"{UNKNOWN}\"): EAI_NONAME (Name or service not known)")
                .as_str()
        ),
        "{stderr}"
    );
}

/// inet_ntoa's one static buffer: two calls in one printf show the same
/// address twice; inet_ntop into two buffers shows both.
#[test]
fn addr04_inet_ntoa_returns_one_buffer_for_every_call() {
    let out = stdout_of(addr04().to_str().unwrap(), &["inet_ntoa"]);
    let pairs: Vec<Vec<&str>> = out
        .lines()
        .map(|l| {
            l.split(": ")
                .nth(1)
                .unwrap()
                .trim()
                .split(" and ")
                .collect()
        })
        .collect();
    assert_eq!(pairs[0][0], pairs[0][1], "{out}");
    assert!(
        ["127.0.0.1", "192.168.8.128"].contains(&pairs[0][0]),
        "{out}"
    );
    assert_eq!(pairs[1], ["127.0.0.1", "192.168.8.128"], "{out}");
}

/// gethostbyname answers in one static struct: a second call overwrites
/// the first answer under a caller that kept the pointer. (The `netdb`
/// crate copies each answer out under a lock for this reason.)
#[test]
fn gethostbyname_overwrites_its_previous_answer() {
    assert_eq!(
        stdout_of(addr04().to_str().unwrap(), &["static"]),
        "first answer: localhost\nsecond call: the same struct\nfirst answer now: 127.0.0.1\n"
    );
}
