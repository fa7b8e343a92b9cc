//! Why `initserver` has a second version: a server restarted on its port
//! while a connection of its previous life is in TIME_WAIT there. Each
//! test makes the TIME_WAIT on the server's side (the server closes
//! first), waits for the kernel to list it (bounded), and binds the same
//! port again, over IPv4 and IPv6. Ports come from port 0.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use initserver::{InitError, TCP_TIME_WAIT, initserver, initserver_v1, tcp_state};
use socket2::{Socket, Type};

type Setup = fn(Type, SocketAddr, i32) -> Result<Socket, InitError>;

const LOOPBACKS: [&str; 2] = ["127.0.0.1", "::1"];

/// Waits, bounded, until `done` holds; `what` names it if it never does.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within 5 s");
        std::thread::yield_now();
    }
}

/// The state `/proc/net/tcp` lists a listening socket in (`st`).
const TCP_LISTEN: u8 = 0x0A;

/// A server set up by `setup` on `ip`, port 0, serves one client, and the
/// side that closes first is the server's (or the client's); the other
/// reads to the end and closes; the server stops. Returns the server's
/// address once the kernel lists the first closer's side of the
/// connection in TIME_WAIT, and nothing else on the server's port.
///
/// Every close is confirmed in the kernel's tables rather than assumed: a
/// sibling test forking a child holds our descriptors until its exec.
fn served_and_stopped(setup: Setup, ip: &str, server_closes_first: bool) -> SocketAddr {
    let any = SocketAddr::new(ip.parse().unwrap(), 0);
    let listener = setup(Type::STREAM, any, 5).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let mut client = TcpStream::connect(addr).unwrap();
    let me = client.local_addr().unwrap();
    let (conn, _) = listener.accept().unwrap();
    if server_closes_first {
        drop(conn);
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap(); // the server's FIN
        drop(client);
    } else {
        drop(client);
        let mut rest = [std::mem::MaybeUninit::new(0u8); 1];
        assert_eq!(conn.recv(&mut rest).unwrap(), 0, "the client's FIN");
        drop(conn);
    }
    drop(listener);
    // The side that closed first waits in TIME_WAIT; the other is gone.
    let (first, second) = if server_closes_first {
        ((addr, me), (me, addr))
    } else {
        ((me, addr), (addr, me))
    };
    wait_for(&format!("{} -> {} in TIME_WAIT", first.0, first.1), || {
        tcp_state(first.0, first.1).unwrap() == Some(TCP_TIME_WAIT)
    });
    wait_for(&format!("{} -> {} closed", second.0, second.1), || {
        tcp_state(second.0, second.1).unwrap().is_none()
    });
    let unspecified = SocketAddr::new(any.ip(), 0);
    wait_for(&format!("the listener on {addr} closed"), || {
        tcp_state(addr, unspecified).unwrap() != Some(TCP_LISTEN)
    });
    addr
}

fn restart(setup: Setup, addr: SocketAddr) -> Result<Socket, InitError> {
    setup(Type::STREAM, addr, 5)
}

#[test]
fn version_1_cannot_restart_while_a_connection_is_in_time_wait() {
    for ip in LOOPBACKS {
        let addr = served_and_stopped(initserver_v1, ip, true);
        let err = restart(initserver_v1, addr).unwrap_err();
        assert_eq!(err.error.raw_os_error(), Some(libc::EADDRINUSE), "{ip}");
        assert_eq!(err.call, format!("bind to {addr}"));
    }
}

#[test]
fn version_2_restarts_while_a_connection_is_in_time_wait() {
    for ip in LOOPBACKS {
        let addr = served_and_stopped(initserver, ip, true);
        let again = restart(initserver, addr).unwrap_or_else(|e| panic!("{ip}: {e}"));
        assert!(again.is_listener().unwrap());
        assert_eq!(again.local_addr().unwrap().as_socket(), Some(addr));
    }
}

// ANCHOR: both_lives_of_the_server_must_set_so_reuseaddr
#[test]
fn both_lives_of_the_server_must_set_so_reuseaddr() {
    for ip in LOOPBACKS {
        // The connection in TIME_WAIT has its listener's SO_REUSEADDR: an
        // old version 1 blocks even a new version 2...
        let addr = served_and_stopped(initserver_v1, ip, true);
        let err = restart(initserver, addr).unwrap_err();
        assert_eq!(err.error.raw_os_error(), Some(libc::EADDRINUSE), "{ip}");
        // ...and a new version 1 cannot follow an old version 2.
        let addr = served_and_stopped(initserver, ip, true);
        let err = restart(initserver_v1, addr).unwrap_err();
        assert_eq!(err.error.raw_os_error(), Some(libc::EADDRINUSE), "{ip}");
    }
}
// ANCHOR_END: both_lives_of_the_server_must_set_so_reuseaddr

#[test]
fn with_the_time_wait_on_the_clients_side_version_1_restarts() {
    for ip in LOOPBACKS {
        // The client closed first: its side waits, the server's port is free.
        let addr = served_and_stopped(initserver_v1, ip, false);
        let again = restart(initserver_v1, addr).unwrap_or_else(|e| panic!("{ip}: {e}"));
        assert!(again.is_listener().unwrap());
    }
}

/// `initserver --restart`, Rust or C: version 1 refused, version 2 listening.
fn restart_demo_shows_both_versions(program: &Path) {
    let out = sockref::testing::stdout_of(program.to_str().unwrap(), &["--restart"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 10, "{out}");
    assert!(lines[0].starts_with("version 1 (no SO_REUSEADDR): listening on 127.0.0.1:"));
    assert!(lines[3].ends_with(" is in TIME_WAIT"), "{out}");
    assert!(
        lines[4].starts_with("version 1 restarts on 127.0.0.1:")
            && lines[4].ends_with(": Address already in use (os error 98)"),
        "{out}"
    );
    assert!(lines[5].starts_with("version 2 (SO_REUSEADDR): listening on 127.0.0.1:"));
    assert!(lines[8].ends_with(" is in TIME_WAIT"), "{out}");
    assert!(
        lines[9].starts_with("version 2 restarts on 127.0.0.1:")
            && lines[9].ends_with(": listening"),
        "{out}"
    );
}

#[test]
fn the_restart_demo_refuses_version_1_and_lets_version_2_listen() {
    restart_demo_shows_both_versions(Path::new(env!("CARGO_BIN_EXE_initserver")));
    let twin = sockref::testing::c_twin(
        "crates/connect/initserver/c/initserver.c",
        Path::new(env!("CARGO_TARGET_TMPDIR")),
    );
    restart_demo_shows_both_versions(&twin);
}

#[test]
fn a_version_1_server_serves_like_version_2_without_so_reuseaddr() {
    let server = initserver_v1(Type::STREAM, "127.0.0.1:0".parse().unwrap(), 5).unwrap();
    assert!(server.is_listener().unwrap());
    assert!(!server.reuse_address().unwrap(), "no SO_REUSEADDR");
    let dgram = initserver_v1(Type::DGRAM, "127.0.0.1:0".parse().unwrap(), 5).unwrap();
    assert!(!dgram.is_listener().unwrap());
}

#[test]
fn restart_and_version_are_checked_as_usage() {
    let bin = env!("CARGO_BIN_EXE_initserver");
    for args in [
        &["--restart", "127.0.0.1", "0"][..],
        &["--restart", "--version", "1"],
        &["--version", "3"],
        &["--restart=x"],
    ] {
        sockref::testing::assert_usage_error(bin, args);
    }
}
