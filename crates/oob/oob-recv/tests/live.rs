//! oob-recv and its C twin against a live peer in this test: a connection
//! reset before accept, two urgent bytes with a gap, and more than 64 KiB
//! queued ahead of the urgent byte. Each run is bounded: a hung receiver
//! is killed and the test fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use oob::send_urgent;

const BIN: &str = env!("CARGO_BIN_EXE_oob-recv");
const LIMIT: Duration = Duration::from_secs(20);

fn twin() -> PathBuf {
    sockref::testing::c_twin(
        "crates/oob/oob-recv/c/oob-recv.c",
        Path::new(env!("CARGO_TARGET_TMPDIR")),
    )
}

/// A receiver started on 127.0.0.1 port 0, its stdout lines on a channel.
struct Run {
    child: Child,
    lines: Receiver<String>,
    addr: SocketAddr,
}

impl Run {
    fn start(program: &Path, args: &[&str]) -> Run {
        let mut child = Command::new(program)
            .args(["127.0.0.1", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = lines.recv_timeout(LIMIT).expect("a 'listening on' line");
        let addr = first.rsplit(' ').next().unwrap().parse().unwrap();
        Run { child, lines, addr }
    }

    /// Waits for a stdout line equal to `wanted`; returns the lines read.
    fn wait_for(&self, wanted: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match self.lines.recv_timeout(LIMIT) {
                Ok(line) if line == wanted => return seen,
                Ok(line) => seen.push(line),
                Err(_) => panic!("no line '{wanted}' within {LIMIT:?}; saw {seen:?}"),
            }
        }
    }

    /// The rest of stdout, stderr and the exit code; kills a receiver
    /// that does not end within the limit.
    fn finish(mut self) -> (Vec<String>, String, Option<i32>) {
        let mut rest = Vec::new();
        loop {
            match self.lines.recv_timeout(LIMIT) {
                Ok(line) => rest.push(line),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("the receiver hung; its output so far: {rest:?}");
                }
            }
        }
        let mut stderr = String::new();
        let _ = self
            .child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr);
        let code = self.child.wait().unwrap().code();
        (rest, stderr, code)
    }
}

/// Both programs print the same thing for a connection reset before it was
/// accepted: the peer's address as accept gave it, then the reset.
fn reset_before_accept(program: &Path) -> (Vec<String>, String, Option<i32>) {
    use nix::sys::signal::{Signal, kill};
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    use nix::unistd::Pid;
    let run = Run::start(program, &["--timeout", "10"]);
    let pid = Pid::from_raw(run.child.id() as i32);
    kill(pid, Signal::SIGSTOP).unwrap();
    assert!(matches!(
        waitpid(pid, Some(WaitPidFlag::WUNTRACED)).unwrap(),
        WaitStatus::Stopped(..)
    ));
    let peer = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    peer.connect(&run.addr.into()).unwrap();
    let me = peer.local_addr().unwrap().as_socket().unwrap();
    peer.set_linger(Some(Duration::ZERO)).unwrap();
    drop(peer); // RST, processed before close returns on loopback
    kill(pid, Signal::SIGCONT).unwrap();
    let (lines, stderr, code) = run.finish();
    assert_eq!(
        lines,
        [format!("accepted a connection from {me}")],
        "{stderr}"
    );
    (lines, stderr, code)
}

#[test]
fn a_connection_reset_before_accept_goes_on_the_same_way_in_rust_and_c() {
    let (_, rust_err, rust_code) = reset_before_accept(Path::new(BIN));
    let (_, c_err, c_code) = reset_before_accept(&twin());
    assert_eq!(
        rust_err, "error: recv: Connection reset by peer (os error 104)\n",
        "Rust"
    );
    assert_eq!((rust_err, rust_code), (c_err, c_code));
}

/// A peer that sends two urgent bytes with a gap: the second goes out only
/// once the receiver has read the first and reached its mark.
fn two_urgent_bytes_with_a_gap(program: &Path) {
    let run = Run::start(program, &["--strategy", "flow-control"]);
    let mut peer = TcpStream::connect(run.addr).unwrap();
    peer.write_all(b"hello").unwrap();
    send_urgent(&peer, b"a").unwrap();
    let before = run.wait_for("read 5 bytes of normal data up to the mark");
    assert!(
        before.contains(&"got 1 bytes of oob data 'a'".to_string()),
        "{before:?}"
    );
    peer.write_all(b"world").unwrap();
    send_urgent(&peer, b"b").unwrap();
    peer.write_all(b"end").unwrap();
    drop(peer);
    let (lines, stderr, code) = run.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        lines.iter().any(|l| l == "got 1 bytes of oob data 'b'"),
        "{}: the second urgent byte was lost: {lines:?}",
        program.display()
    );
    assert_eq!(lines.last().map(String::as_str), Some("received EOF"));
}

#[test]
fn flow_control_takes_every_urgent_byte_not_only_the_first() {
    two_urgent_bytes_with_a_gap(Path::new(BIN));
    two_urgent_bytes_with_a_gap(&twin());
}

/// More than 64 KiB ahead of the urgent byte: beyond the reach of the
/// 16-bit urgent pointer, so no notice can come until the receiver reads.
fn urgent_byte_beyond_64_kib(program: &Path) {
    const AHEAD: usize = 100 * 1024;
    let run = Run::start(program, &["--strategy", "flow-control"]);
    let peer = TcpStream::connect(run.addr).unwrap();
    // Blocking writes in a thread: they complete only as the receiver reads.
    let sender = std::thread::spawn(move || {
        let mut peer = peer;
        peer.write_all(&vec![b'x'; AHEAD]).unwrap();
        send_urgent(&peer, b"a").unwrap();
        peer.write_all(&[b'x'; 1024]).unwrap();
    });
    let (lines, stderr, code) = run.finish();
    sender.join().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    for wanted in [
        format!("read {AHEAD} bytes of normal data up to the mark"),
        "got 1 bytes of oob data 'a'".to_string(),
        "read 1024 bytes of normal data after the mark".to_string(),
    ] {
        assert!(lines.contains(&wanted), "{}: {lines:?}", program.display());
    }
}

#[test]
fn flow_control_does_not_hang_when_the_urgent_byte_is_beyond_64_kib() {
    urgent_byte_beyond_64_kib(Path::new(BIN));
    urgent_byte_beyond_64_kib(&twin());
}

/// With `--wait-eof`, a peer whose urgent byte comes only after the
/// receiver has started waiting for the notice. The receiver once waited
/// for the end of the stream on its SIGURG pipe instead of the socket, so
/// it ran into its timeout although the peer had long finished.
fn notice_after_accept_with_wait_eof(program: &Path) {
    let run = Run::start(
        program,
        &["--strategy", "flow-control", "--wait-eof", "--timeout", "5"],
    );
    let mut peer = TcpStream::connect(run.addr).unwrap();
    // Until the receiver sleeps in poll: its first recv(MSG_OOB) is done.
    let pid = run.child.id();
    let asleep = (0..2000).any(|_| {
        let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
        let polling = wchan.contains("poll");
        if !polling {
            std::thread::yield_now();
        }
        polling
    });
    assert!(asleep, "{} never waited in poll", program.display());
    let start = std::time::Instant::now();
    peer.write_all(b"late").unwrap();
    send_urgent(&peer, b"u").unwrap();
    drop(peer);
    let (lines, stderr, code) = run.finish();
    assert_eq!(code, Some(0), "{}: {stderr} {lines:?}", program.display());
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{} took {:?}: it waited for its timeout",
        program.display(),
        start.elapsed()
    );
    assert!(
        lines.contains(&"got 1 bytes of oob data 'u'".to_string()),
        "{lines:?}"
    );
}

#[test]
fn wait_eof_waits_on_the_connection_not_the_signal_pipe() {
    notice_after_accept_with_wait_eof(Path::new(BIN));
    notice_after_accept_with_wait_eof(&twin());
}
