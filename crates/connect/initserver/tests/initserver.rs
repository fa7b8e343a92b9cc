//! initserver: what it builds, how it fails, and the server program.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};

use initserver::initserver;
use socket2::Type;
use sockref::testing::{assert_runtime_error, assert_usage_error};

fn loopback0() -> SocketAddr {
    SocketAddr::new(sockref::peer::LOOPBACK, 0)
}

#[test]
fn a_stream_server_listens_and_a_datagram_server_does_not() {
    let stream = initserver(Type::STREAM, loopback0(), 5).unwrap();
    assert!(stream.is_listener().unwrap());
    assert!(stream.reuse_address().unwrap(), "SO_REUSEADDR is set");
    let dgram = initserver(Type::DGRAM, loopback0(), 5).unwrap();
    assert!(!dgram.is_listener().unwrap());
    assert_eq!(
        dgram.listen(1).unwrap_err().raw_os_error(),
        Some(libc::EOPNOTSUPP),
        "listen has no meaning here"
    );
}

#[test]
fn a_port_in_use_is_eaddrinuse_naming_the_address() {
    let first = initserver(Type::STREAM, loopback0(), 5).unwrap();
    let addr = first.local_addr().unwrap().as_socket().unwrap();
    let err = initserver(Type::STREAM, addr, 5).unwrap_err();
    assert_eq!(err.error.raw_os_error(), Some(libc::EADDRINUSE));
    assert_eq!(
        err.to_string(),
        format!("bind to {addr}: Address already in use (os error 98)")
    );
}

#[test]
fn seqpacket_over_ip_is_refused_by_socket_itself() {
    let err = initserver(Type::SEQPACKET, loopback0(), 5).unwrap_err();
    assert_eq!(err.call, "socket(AF_INET, SOCK_SEQPACKET)");
}

const BIN: &str = env!("CARGO_BIN_EXE_initserver");

#[test]
fn the_server_serves_n_clients_then_exits() {
    let mut child = Command::new(BIN)
        .args(["127.0.0.1", "0", "--clients", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut out, &mut first).unwrap();
    let addr: SocketAddr = first.split_whitespace().nth(2).unwrap().parse().unwrap();
    for n in 1..=2 {
        let mut reply = String::new();
        TcpStream::connect(addr)
            .unwrap()
            .read_to_string(&mut reply)
            .unwrap();
        assert!(
            reply.starts_with("status: pid ")
                && reply.ends_with(&format!("serving client {n} of 2\n")),
            "{reply}"
        );
    }
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(rest.ends_with("served 2 client(s); exiting\n"), "{rest}");
    assert_eq!(
        rest.lines().filter(|l| l.starts_with("client ")).count(),
        2,
        "{rest}"
    );
}

#[test]
fn a_server_that_cannot_bind_says_why() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let line = assert_runtime_error(BIN, &["127.0.0.1", &port, "--clients", "1"]);
    assert_eq!(
        line,
        format!("error: bind to 127.0.0.1:{port}: Address already in use (os error 98)")
    );
}

#[test]
fn bad_input_is_a_usage_error() {
    for args in [
        &["--type", "carrier-pigeon"][..],
        &["--clients", "0"],
        &["127.0.0.1"],
        &["127.0.0.1", "70000"],
        &["--frob"],
    ] {
        assert_usage_error(BIN, args);
    }
}

/// Whether the kernel still holds a TCP connection from `client_port` to
/// `server_port` on 127.0.0.1 (/proc/net/tcp, ports in hex). A connection
/// reset while in the accept queue is unhashed at once, so it disappears.
fn connection_exists(server_port: u16, client_port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let (local, remote) = (format!(":{server_port:04X}"), format!(":{client_port:04X}"));
    table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() > 2 && fields[1].ends_with(&local) && fields[2].ends_with(&remote)
    })
}

/// Runs `server` for two clients, the first of which resets its connection
/// before the server accepts it (the server is stopped meanwhile, so the
/// reset is surely there first): the server must log that client on stderr
/// and serve the second.
fn survives_a_resetting_client(server: &std::path::Path) {
    use nix::sys::signal::{Signal, kill};
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    use nix::unistd::Pid;

    let mut child = Command::new(server)
        .args(["127.0.0.1", "0", "--clients", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = Pid::from_raw(child.id() as i32);
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut out, &mut first).unwrap();
    let addr: SocketAddr = first.split_whitespace().nth(2).unwrap().parse().unwrap();

    kill(pid, Signal::SIGSTOP).unwrap();
    assert!(matches!(
        waitpid(pid, Some(WaitPidFlag::WUNTRACED)).unwrap(),
        WaitStatus::Stopped(_, Signal::SIGSTOP)
    ));
    let resetter = socket2::Socket::new(socket2::Domain::IPV4, Type::STREAM, None).unwrap();
    resetter.connect(&addr.into()).unwrap();
    let resetter_addr = resetter.local_addr().unwrap().as_socket().unwrap();
    resetter
        .set_linger(Some(std::time::Duration::ZERO))
        .unwrap();
    drop(resetter); // close with SO_LINGER 0: RST
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while connection_exists(addr.port(), resetter_addr.port()) {
        assert!(
            std::time::Instant::now() < deadline,
            "the reset never arrived"
        );
        std::thread::yield_now();
    }
    let mut second = TcpStream::connect(addr).unwrap();
    kill(pid, Signal::SIGCONT).unwrap();

    let mut reply = String::new();
    second
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    second.read_to_string(&mut reply).unwrap();
    assert!(reply.ends_with("serving client 2 of 2\n"), "{reply}");
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(
        rest.contains(&format!("client 1: {resetter_addr}\n")),
        "{rest}"
    );
    assert!(rest.ends_with("served 2 client(s); exiting\n"), "{rest}");
    assert_eq!(
        stderr,
        format!("client 1 ({resetter_addr}): send: Connection reset by peer (os error 104)\n")
    );
}

#[test]
fn a_connection_reset_in_the_queue_is_accepted_but_has_no_peer() {
    let server = initserver(Type::STREAM, loopback0(), 5).unwrap();
    let addr = server.local_addr().unwrap().as_socket().unwrap();
    let client = socket2::Socket::new(socket2::Domain::IPV4, Type::STREAM, None).unwrap();
    client.connect(&addr.into()).unwrap();
    let client_addr = client.local_addr().unwrap().as_socket().unwrap();
    client.set_linger(Some(std::time::Duration::ZERO)).unwrap();
    drop(client); // close with SO_LINGER 0: RST, while the connection is queued
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while connection_exists(addr.port(), client_addr.port()) {
        assert!(
            std::time::Instant::now() < deadline,
            "the reset never arrived"
        );
        std::thread::yield_now();
    }
    // accept still hands the connection over, with the peer's address...
    let (conn, from) = server.accept().unwrap();
    assert_eq!(from.as_socket(), Some(client_addr));
    // ...but getpeername knows no peer, and the first send fails.
    let err = conn.peer_addr().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOTCONN));
    let err = conn.send(b"status\n").unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ECONNRESET));
}

#[test]
fn one_resetting_client_does_not_kill_the_server() {
    survives_a_resetting_client(std::path::Path::new(BIN));
}

#[test]
fn one_resetting_client_does_not_kill_the_c_server() {
    let twin = sockref::testing::c_twin(
        "crates/connect/initserver/c/initserver.c",
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
    );
    survives_a_resetting_client(&twin);
}
