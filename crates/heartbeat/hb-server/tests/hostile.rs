//! hb-server, Rust and C, against clients that misbehave: one that resets
//! the connection costs a line on stderr and the server serves the next
//! client; garbage on the normal stream is dropped; a silent client is
//! declared dead within the bound.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use socket2::{SockRef, Socket};

const WATCHDOG: Duration = Duration::from_secs(15);

/// The Rust program and its C twin. The twin is compiled once, into a
/// folder of this test binary's own: tests running side by side must not
/// start it while another is still writing it.
fn servers() -> [PathBuf; 2] {
    static TWIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let twin = TWIN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile");
        std::fs::create_dir_all(&dir).expect("a folder for the twin");
        sockref::testing::c_twin("crates/heartbeat/hb-server/c/hb-server.c", &dir)
    });
    [PathBuf::from(env!("CARGO_BIN_EXE_hb-server")), twin.clone()]
}

/// A server on 127.0.0.1 port 0, killed by a watchdog if it outlives
/// [`WATCHDOG`], and its address.
struct Server {
    child: Child,
    stdout: BufReader<ChildStdout>,
    addr: SocketAddr,
    done: Option<mpsc::Sender<()>>,
}

impl Server {
    /// `nsec` is the server's period: a client silent for 3 of them is
    /// declared dead and its connection closed.
    fn start(bin: &Path, nsec: &str) -> Server {
        let mut child = Command::new(bin)
            .args(["127.0.0.1", "0", "--nsec", nsec, "--nprobes", "3"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start hb-server");
        let (done, watch) = mpsc::channel::<()>();
        let pid = child.id() as i32;
        std::thread::spawn(move || {
            if watch.recv_timeout(WATCHDOG) == Err(mpsc::RecvTimeoutError::Timeout) {
                let _ = nix_kill(pid);
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let first = line(&mut stdout);
        let addr = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{}: {first:?}", bin.display()))
            .parse()
            .unwrap();
        Server {
            child,
            stdout,
            addr,
            done: Some(done),
        }
    }

    /// Waits for the end: (exit status, rest of stdout, stderr).
    fn finish(mut self) -> (Option<i32>, String, String) {
        let mut out = String::new();
        self.stdout.read_to_string(&mut out).unwrap();
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = self.child.wait().unwrap();
        drop(self.done.take());
        (status.code(), out, err)
    }
}

fn nix_kill(pid: i32) -> std::io::Result<()> {
    Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .map(drop)
}

fn line(r: &mut impl BufRead) -> String {
    let mut l = String::new();
    r.read_line(&mut l).unwrap();
    l.trim_end().to_string()
}

/// One probe, and its answer read inline (SO_OOBINLINE), within a bound
/// generous enough for a loaded machine.
fn probe(sock: &TcpStream) {
    let s = SockRef::from(sock);
    s.set_out_of_band_inline(true).unwrap();
    s.send_out_of_band(b"p").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reply = [0u8; 1];
    (&*sock).read_exact(&mut reply).expect("the server answers");
    assert_eq!(&reply, b"p");
}

#[test]
fn a_client_that_resets_is_logged_and_the_next_one_is_served() {
    for bin in servers() {
        // A long period: on a loaded machine the client may pause between
        // its connect and its probe for longer than three short periods.
        let mut server = Server::start(&bin, "1");
        // The first client probes once, then resets (SO_LINGER 0).
        let first = TcpStream::connect(server.addr).unwrap();
        assert!(line(&mut server.stdout).starts_with("connection from 127.0.0.1:"));
        probe(&first);
        let first_addr = first.local_addr().unwrap();
        Socket::from(std::os::fd::OwnedFd::from(first))
            .set_linger(Some(Duration::ZERO))
            .unwrap(); // dropped here: RST
        // The second sends garbage on the normal stream, probes, closes.
        let mut second = TcpStream::connect(server.addr).unwrap();
        second.write_all(b"garbage \x00\xff garbage").unwrap();
        probe(&second);
        probe(&second);
        drop(second);
        let (status, out, err) = server.finish();
        let name = bin.display();
        assert_eq!(status, Some(0), "{name}: {out}{err}");
        assert!(
            out.starts_with("connection from 127.0.0.1:"),
            "{name}: {out}"
        );
        assert!(
            out.ends_with("the client closed the connection after 2 probes\n"),
            "{name}: {out}"
        );
        assert_eq!(
            err,
            format!(
                "client {first_addr}: recv: Connection reset by peer (os error 104) after 1 probes; waiting for the next client\n"
            ),
            "{name}"
        );
    }
}

#[test]
fn a_silent_client_is_declared_dead() {
    for bin in servers() {
        let mut server = Server::start(&bin, "0.1");
        let quiet = TcpStream::connect(server.addr).unwrap();
        assert!(line(&mut server.stdout).starts_with("connection from"));
        let (status, out, err) = server.finish();
        drop(quiet);
        let name = bin.display();
        assert_eq!(status, Some(1), "{name}: {out}{err}");
        assert_eq!(out, "no probe (1 of 3)\nno probe (2 of 3)\n", "{name}");
        assert!(
            err.starts_with("error: no probe for 3 periods: the client at 127.0.0.1:"),
            "{name}: {err}"
        );
    }
}
