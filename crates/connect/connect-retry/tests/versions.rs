//! The textbook's two `connect_retry`s on this kernel: version 1 (APUE
//! figure 16.10) retries on one socket, version 2 (APUE figure 16.11)
//! makes a new socket for every attempt. POSIX leaves a socket's state
//! unspecified after a failed `connect`; these tests record what Linux
//! does with it, over IPv4 and IPv6. The sleeper is injected: the server
//! starts on cue, and nothing waits.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use connect_retry::{Policy, Sleeper, connect_retry, connect_retry_v1};
use socket2::{Domain, Socket, Type};

/// A loopback address of `ip` where nothing listens: the port is held by a
/// socket that never listens (with SO_REUSEADDR, so that a server with it
/// can still bind there later), and connecting to it is refused.
fn closed_port(ip: &str) -> (Socket, SocketAddr) {
    let any: SocketAddr = SocketAddr::new(ip.parse().unwrap(), 0);
    let holder = Socket::new(Domain::for_address(any), Type::STREAM, None).unwrap();
    holder.set_reuse_address(true).unwrap();
    holder.bind(&any.into()).unwrap();
    let addr = holder.local_addr().unwrap().as_socket().unwrap();
    (holder, addr)
}

/// Starts a server on `addr` after `start_after` pauses, instead of sleeping.
struct ServerOnCue {
    pauses: usize,
    start_after: Option<usize>,
    addr: SocketAddr,
    server: Option<Socket>,
}

impl ServerOnCue {
    fn new(addr: SocketAddr, start_after: Option<usize>) -> Self {
        ServerOnCue {
            pauses: 0,
            start_after,
            addr,
            server: None,
        }
    }
}

impl Sleeper for ServerOnCue {
    fn sleep(&mut self, _: Duration) {
        self.pauses += 1;
        if Some(self.pauses) == self.start_after {
            self.server = Some(initserver::initserver(Type::STREAM, self.addr, 5).unwrap());
        }
    }
}

// ANCHOR: version_1_reuses_the_socket
#[test]
fn version_1_reuses_the_socket() {
    for ip in ["127.0.0.1", "::1"] {
        let (_holder, addr) = closed_port(ip);
        let sock = Socket::new(Domain::for_address(addr), Type::STREAM, None).unwrap();
        let mut cue = ServerOnCue::new(addr, Some(3));
        let mut errors = Vec::new();
        // Three refusals on the one socket, then the server listens.
        connect_retry_v1(&sock, addr, &Policy::default(), &mut cue, |a| {
            errors.push(a.error.raw_os_error())
        })
        .unwrap_or_else(|e| panic!("{ip}: {e}"));
        assert_eq!(errors, [Some(libc::ECONNREFUSED); 3], "{ip}");
        // The socket refused three times is connected to the server.
        assert_eq!(sock.peer_addr().unwrap().as_socket(), Some(addr), "{ip}");
        let (_conn, from) = cue.server.as_ref().unwrap().accept().unwrap();
        assert_eq!(from.as_socket(), sock.local_addr().unwrap().as_socket());
    }
}
// ANCHOR_END: version_1_reuses_the_socket

#[test]
fn version_1_gives_up_on_its_socket_with_the_last_error() {
    for ip in ["127.0.0.1", "::1"] {
        let (_holder, addr) = closed_port(ip);
        let sock = Socket::new(Domain::for_address(addr), Type::STREAM, None).unwrap();
        let mut cue = ServerOnCue::new(addr, None);
        let mut errors = Vec::new();
        let err = connect_retry_v1(&sock, addr, &Policy::default(), &mut cue, |a| {
            errors.push(a.error.raw_os_error())
        })
        .unwrap_err();
        // Every one of the eight attempts is refused afresh: never EISCONN,
        // EALREADY or EINVAL for a socket whose earlier connect failed.
        assert_eq!(err.attempts, 8, "{ip}");
        assert_eq!(errors, [Some(libc::ECONNREFUSED); 8], "{ip}");
        assert_eq!(err.last.raw_os_error(), Some(libc::ECONNREFUSED), "{ip}");
        assert_eq!(cue.pauses, 7, "{ip}");
    }
}

#[test]
fn version_2_connects_on_a_socket_of_its_own() {
    for ip in ["127.0.0.1", "::1"] {
        let (_holder, addr) = closed_port(ip);
        let mut cue = ServerOnCue::new(addr, Some(3));
        let mut errors = Vec::new();
        let sock = connect_retry(Type::STREAM, addr, &Policy::default(), &mut cue, |a| {
            errors.push(a.error.raw_os_error())
        })
        .unwrap_or_else(|e| panic!("{ip}: {e}"));
        assert_eq!(errors, [Some(libc::ECONNREFUSED); 3], "{ip}");
        assert_eq!(sock.peer_addr().unwrap().as_socket(), Some(addr), "{ip}");
    }
}

/// The `socket` and `connect` calls of `program` pointed at a closed port
/// with `args`, traced with strace: (sockets made, connects tried), or
/// `None` (with the reason printed) where strace cannot run.
fn traced_calls(program: &Path, args: &[&str]) -> Option<(usize, usize)> {
    let strace = ["/usr/bin/strace", "/bin/strace"]
        .into_iter()
        .find(|p| Path::new(p).is_file());
    let Some(strace) = strace else {
        println!("skipped: strace is not installed");
        return None;
    };
    let trace = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "versions-{}-{}.trace",
        program.file_name().unwrap().to_string_lossy(),
        args.join("_")
    ));
    let mut command = Command::new(strace);
    command
        .args(["-f", "-qq", "-e", "trace=socket,connect", "-o"])
        .arg(&trace)
        .arg(program)
        .args(args);
    let run = sockref::testing::run_bounded(command, sockref::testing::RUN_LIMIT).unwrap();
    assert!(!run.timed_out, "{program:?} {args:?} under strace");
    let Ok(text) = std::fs::read_to_string(&trace) else {
        println!("skipped: strace wrote no trace (ptrace refused?)");
        return None;
    };
    let sockets = text
        .lines()
        .filter(|l| l.contains("socket(AF_INET, SOCK_STREAM"))
        .count();
    let connects = text.lines().filter(|l| l.contains("connect(")).count();
    Some((sockets, connects))
}

#[test]
fn the_programs_make_one_socket_in_version_1_and_one_per_attempt_in_version_2() {
    let (_holder, addr) = closed_port("127.0.0.1");
    let port = addr.port().to_string();
    let twin = sockref::testing::c_twin(
        "crates/connect/connect-retry/c/connect-retry.c",
        Path::new(env!("CARGO_TARGET_TMPDIR")),
    );
    let rust = Path::new(env!("CARGO_BIN_EXE_connect-retry"));
    for program in [rust, twin.as_path()] {
        let schedule = ["--initial", "0.001", "--max-attempts", "3"];
        for (version, sockets) in [("1", 1), ("2", 3)] {
            let mut args = vec!["127.0.0.1", port.as_str(), "--version", version];
            args.extend(schedule);
            let Some(calls) = traced_calls(program, &args) else {
                return;
            };
            assert_eq!(calls, (sockets, 3), "{program:?} --version {version}");
        }
    }
}

#[test]
fn the_version_1_demo_connects_on_the_socket_refused_three_times() {
    let out = sockref::testing::stdout_of(env!("CARGO_BIN_EXE_connect-retry"), &["--version", "1"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 8, "{out}");
    for (n, line) in lines[1..4].iter().enumerate() {
        assert!(
            line.starts_with(&format!("attempt {}: ", n + 1))
                && line.contains("Connection refused (os error 111)"),
            "{line}"
        );
    }
    assert!(
        lines[5].ends_with(", on the socket refused three times"),
        "{out}"
    );
    assert!(lines[7].starts_with("status: pid "), "{out}");
}

#[test]
fn a_bad_version_is_a_usage_error() {
    for args in [&["--version", "3"][..], &["--version=0"], &["--version"]] {
        sockref::testing::assert_usage_error(env!("CARGO_BIN_EXE_connect-retry"), args);
    }
}
