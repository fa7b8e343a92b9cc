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
