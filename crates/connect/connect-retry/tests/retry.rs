//! connect_retry: its schedule, success once the server appears, giving up.
//! The sleeper is injected, so all but one test run in milliseconds.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use connect_retry::{Policy, RealSleeper, Sleeper, connect_retry};
use socket2::{Socket, Type};

fn closed_port() -> SocketAddr {
    sockref::peer::closed_port().unwrap()
}

/// Records each pause instead of sleeping, and starts a server on `addr`
/// after `start_after` pauses.
struct FakeSleeper {
    pauses: Vec<Duration>,
    start_after: Option<usize>,
    addr: SocketAddr,
    server: Option<Socket>,
}

impl Sleeper for FakeSleeper {
    fn sleep(&mut self, pause: Duration) {
        self.pauses.push(pause);
        if Some(self.pauses.len()) == self.start_after {
            self.server = Some(initserver::initserver(Type::STREAM, self.addr, 5).unwrap());
        }
    }
}

#[test]
fn succeeds_when_the_server_appears_after_n_failures() {
    let addr = closed_port();
    let mut sleeper = FakeSleeper {
        pauses: vec![],
        start_after: Some(3),
        addr,
        server: None,
    };
    let mut failures = Vec::new();
    let sock = connect_retry(Type::STREAM, addr, &Policy::default(), &mut sleeper, |a| {
        failures.push((a.number, a.error.raw_os_error(), a.next_delay));
    })
    .unwrap();
    assert_eq!(sock.peer_addr().unwrap().as_socket(), Some(addr));
    let secs = |s| Some(Duration::from_secs(s));
    assert_eq!(
        failures,
        [
            (1, Some(libc::ECONNREFUSED), secs(1)),
            (2, Some(libc::ECONNREFUSED), secs(2)),
            (3, Some(libc::ECONNREFUSED), secs(4))
        ]
    );
    assert_eq!(sleeper.pauses, Policy::default().delays()[..3]);
}

#[test]
fn gives_up_with_the_attempt_count_and_the_last_error() {
    let addr = closed_port();
    let mut sleeper = FakeSleeper {
        pauses: vec![],
        start_after: None,
        addr,
        server: None,
    };
    let err =
        connect_retry(Type::STREAM, addr, &Policy::default(), &mut sleeper, |_| {}).unwrap_err();
    assert_eq!(
        err.attempts, 8,
        "1, 2, ... 64 s of pauses, then the 128-second step"
    );
    assert_eq!(err.last.raw_os_error(), Some(libc::ECONNREFUSED));
    assert_eq!(sleeper.pauses, Policy::default().delays());
    assert_eq!(
        err.to_string(),
        format!("connect to {addr}: Connection refused (os error 111) (gave up after 8 attempts)")
    );
}

#[test]
fn the_schedule_follows_the_policy() {
    let addr = closed_port();
    let policy = Policy {
        initial: Duration::from_millis(10),
        factor: 3,
        max_attempts: Some(4),
        ..Policy::default()
    };
    let mut sleeper = FakeSleeper {
        pauses: vec![],
        start_after: None,
        addr,
        server: None,
    };
    let err = connect_retry(Type::STREAM, addr, &policy, &mut sleeper, |_| {}).unwrap_err();
    assert_eq!(err.attempts, 4);
    let ms: Vec<u128> = sleeper.pauses.iter().map(Duration::as_millis).collect();
    assert_eq!(ms, [10, 30, 90]);
}

#[test]
fn in_real_time_a_server_that_starts_after_a_second_is_reached() {
    let addr = closed_port();
    let start = Instant::now();
    let server = std::thread::spawn(move || {
        // The point of this test is wall-clock time: the server really is late.
        std::thread::sleep(Duration::from_secs(1));
        initserver::initserver(Type::STREAM, addr, 5).unwrap()
    });
    let policy = Policy {
        initial: Duration::from_millis(250),
        max_delay: Duration::from_secs(8),
        ..Policy::default()
    };
    let mut attempts = 0;
    let sock = connect_retry(Type::STREAM, addr, &policy, &mut RealSleeper, |a| {
        attempts = a.number
    })
    .unwrap();
    let _listener = server.join().unwrap();
    let elapsed = start.elapsed();
    assert!(sock.peer_addr().is_ok());
    assert!(attempts >= 2, "it had to retry: {attempts}");
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
}

/// A server on 127.0.0.1 that sends one line to one client and stops.
fn one_line_server() -> (SocketAddr, std::thread::JoinHandle<()>) {
    use std::io::Write;
    let listener = initserver::initserver(Type::STREAM, "127.0.0.1:0".parse().unwrap(), 5).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let server = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        std::net::TcpStream::from(conn)
            .write_all(b"status: up\n")
            .unwrap();
    });
    (addr, server)
}

#[test]
fn the_client_prints_what_the_server_sends() {
    for version in ["1", "2"] {
        let (addr, server) = one_line_server();
        let port = addr.port().to_string();
        let out = sockref::testing::stdout_of(
            env!("CARGO_BIN_EXE_connect-retry"),
            &["127.0.0.1", &port, "--version", version],
        );
        assert_eq!(
            out,
            format!("connected to {addr}\nstatus: up\n"),
            "version {version}"
        );
        server.join().unwrap();
    }
}
