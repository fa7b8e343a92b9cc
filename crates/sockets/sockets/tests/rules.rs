//! The rules of APUE 16.2 to 16.4 that the book states, each proven on the
//! running kernel by a small test, over IPv4 and IPv6 (127.0.0.1 and ::1)
//! wherever the rule applies to both. Where Linux disagrees with the
//! textbook's notes, the test asserts what Linux does and says so.
//!
//! Cases about privilege run in a forked child that drops root's
//! privileges first (uid and gid 65534), so they show the unprivileged
//! answer even when the suite runs as root; a suite run by an ordinary
//! user runs them as that user. Every wait is bounded.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::path::Path;
use std::time::Duration;

use nix::poll::PollFlags;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

const LOOPBACKS: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
];

/// The uid and gid an unprivileged child drops to (nobody, nogroup).
const NOBODY: u32 = 65534;

/// Exit statuses of a child whose own setup failed (errnos are smaller).
const SETUP_FAILED: i32 = 200;

fn sysctl(name: &str) -> String {
    let path = format!("/proc/sys/net/ipv4/{name}");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {path}: {e}"))
        .trim()
        .to_string()
}

/// Whether this process has CAP_NET_RAW in its effective set.
fn has_cap_net_raw() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    const CAP_NET_RAW: u32 = 13; // <linux/capability.h>
    eff & (1 << CAP_NET_RAW) != 0
}

/// Runs `case` in a forked child as an unprivileged user and returns what
/// it returned: 0, or the errno of its call. When this test runs as root
/// the child first drops to uid and gid 65534 (setgroups, setgid, setuid),
/// which also empties its capabilities; otherwise it already is the
/// unprivileged user. `Err` says why the child could not drop privilege.
///
/// The child is a copy of a multi-threaded process: between `fork` and
/// `_exit` it makes system calls only (no allocation, no lock), so `case`
/// must build nothing on the heap.
fn as_unprivileged(case: impl FnOnce() -> i32) -> Result<i32, String> {
    use nix::sys::wait::{WaitStatus, waitpid};
    use nix::unistd::{ForkResult, Gid, Uid, fork, geteuid, setgid, setgroups, setuid};
    let root = geteuid().is_root();
    fn _exit(status: i32) -> ! {
        // SAFETY: _exit ends the child at once, running nothing of the
        // parent's (no atexit handlers, no buffered output to flush).
        unsafe { libc::_exit(status) }
    }
    // SAFETY: the child runs only async-signal-safe system calls (setgroups,
    // setgid, setuid, and the socket calls of `case`, on values built before
    // the fork) and leaves with _exit, never returning into the test harness.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            if root {
                if setgroups(&[]).is_err() {
                    _exit(SETUP_FAILED);
                }
                if setgid(Gid::from_raw(NOBODY)).is_err() {
                    _exit(SETUP_FAILED + 1);
                }
                if setuid(Uid::from_raw(NOBODY)).is_err() {
                    _exit(SETUP_FAILED + 2);
                }
            }
            _exit(case())
        }
        ForkResult::Parent { child } => match waitpid(child, None).expect("waitpid") {
            WaitStatus::Exited(_, code) if code >= SETUP_FAILED => Err(format!(
                "the child could not drop to uid {NOBODY} ({})",
                ["setgroups", "setgid", "setuid"][(code - SETUP_FAILED) as usize % 3]
            )),
            WaitStatus::Exited(_, code) => Ok(code),
            other => panic!("the child ended with {other:?}"),
        },
    }
}

/// The errno of an io::Error, or 0 for success; what a child exits with.
fn errno_of<T>(r: std::io::Result<T>) -> i32 {
    match r {
        Ok(_) => 0,
        Err(e) => e.raw_os_error().unwrap_or(SETUP_FAILED - 1),
    }
}

fn domain(ip: IpAddr) -> Domain {
    Domain::for_address(SocketAddr::new(ip, 0))
}

fn local(sock: &Socket) -> SocketAddr {
    sock.local_addr().unwrap().as_socket().unwrap()
}

fn listener(ip: IpAddr, backlog: i32) -> (Socket, SocketAddr) {
    let sock = Socket::new(domain(ip), Type::STREAM, None).unwrap();
    sock.bind(&SocketAddr::new(ip, 0).into()).unwrap();
    sock.listen(backlog).unwrap();
    let addr = local(&sock);
    (sock, addr)
}

/// ip_local_port_range, the ports the kernel picks from when it binds.
fn local_port_range() -> std::ops::RangeInclusive<u16> {
    let text = sysctl("ip_local_port_range");
    let mut ends = text.split_whitespace().map(|n| n.parse::<u16>().unwrap());
    let (low, high) = (ends.next().unwrap(), ends.next().unwrap());
    low..=high
}

// ------------------------------------------------------- socket descriptors

#[test]
fn protocol_0_picks_tcp_for_streams_and_udp_for_datagrams() {
    for ip in LOOPBACKS {
        for (ty, wanted) in [
            (Type::STREAM, libc::IPPROTO_TCP),
            (Type::DGRAM, libc::IPPROTO_UDP),
        ] {
            let sock = Socket::new(domain(ip), ty, None).unwrap(); // protocol 0
            let picked: libc::c_int =
                sockref::ffi::getsockopt(sock.as_fd(), libc::SOL_SOCKET, libc::SO_PROTOCOL)
                    .unwrap();
            assert_eq!(picked, wanted, "{ip} {ty:?}");
        }
    }
}

#[test]
fn a_socket_is_a_file_descriptor() {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    let (a, b) = Socket::pair(Domain::UNIX, Type::STREAM, None).unwrap();
    // write and read, the file calls, move bytes through a socket...
    assert_eq!(nix::unistd::write(&a, b"hi").unwrap(), 2);
    let mut buf = [0u8; 8];
    assert_eq!(nix::unistd::read(&b, &mut buf).unwrap(), 2);
    assert_eq!(&buf[..2], b"hi");
    // ...dup makes a second descriptor of the same socket...
    let copy = b.try_clone().unwrap();
    nix::unistd::write(&a, b"!").unwrap();
    assert_eq!(nix::unistd::read(&copy, &mut buf).unwrap(), 1);
    // ...and fcntl sets its flags: O_NONBLOCK on one copy is on both.
    fcntl(&copy, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).unwrap();
    assert_eq!(
        nix::unistd::read(&b, &mut buf),
        Err(nix::errno::Errno::EAGAIN)
    );
}

// ANCHOR: sock_raw_needs_cap_net_raw
#[test]
fn sock_raw_needs_cap_net_raw() {
    for (ip, icmp) in LOOPBACKS
        .into_iter()
        .zip([Protocol::ICMPV4, Protocol::ICMPV6])
    {
        let unprivileged =
            as_unprivileged(|| errno_of(Socket::new(domain(ip), Type::RAW, Some(icmp))));
        match unprivileged {
            Ok(errno) => assert_eq!(errno, libc::EPERM, "{ip}: an unprivileged SOCK_RAW"),
            Err(why) => println!("skipped the unprivileged case: {why}"),
        }
        if has_cap_net_raw() {
            Socket::new(domain(ip), Type::RAW, Some(icmp))
                .unwrap_or_else(|e| panic!("{ip}: SOCK_RAW with CAP_NET_RAW: {e}"));
        } else {
            println!("skipped the privileged case: this test runs without CAP_NET_RAW");
        }
    }
}
// ANCHOR_END: sock_raw_needs_cap_net_raw

// -------------------------------------------------------------- addressing

// ANCHOR: a_port_below_ip_unprivileged_port_start_needs_privilege
#[test]
fn a_port_below_ip_unprivileged_port_start_needs_privilege() {
    let start: u32 = sysctl("ip_unprivileged_port_start").parse().unwrap();
    if start == 0 {
        println!("skipped: ip_unprivileged_port_start is 0, so every port is open to every user");
        return;
    }
    let privileged = (start - 1).min(65535) as u16; // 1023 by default
    for ip in LOOPBACKS {
        let low = SockAddr::from(SocketAddr::new(ip, privileged));
        let any = SockAddr::from(SocketAddr::new(ip, 0));
        let bind = |addr: &SockAddr| {
            let sock = Socket::new(domain(ip), Type::STREAM, None)?;
            sock.bind(addr)
        };
        match as_unprivileged(|| errno_of(bind(&low))) {
            Ok(errno) => assert_eq!(errno, libc::EACCES, "{ip}: unprivileged, port {privileged}"),
            Err(why) => {
                println!("skipped: {why}");
                return;
            }
        }
        // The same user may bind an ephemeral port: it is the number.
        assert_eq!(
            as_unprivileged(|| errno_of(bind(&any))),
            Ok(0),
            "{ip}: port 0"
        );
    }
}
// ANCHOR_END: a_port_below_ip_unprivileged_port_start_needs_privilege

// ANCHOR: connect_binds_an_unbound_socket_to_an_ephemeral_port
#[test]
fn connect_binds_an_unbound_socket_to_an_ephemeral_port() {
    let range = local_port_range();
    for ip in LOOPBACKS {
        let (server, addr) = listener(ip, 1);
        let client = Socket::new(domain(ip), Type::STREAM, None).unwrap();
        assert_eq!(local(&client).port(), 0, "{ip}: not bound yet");
        client.connect(&addr.into()).unwrap();
        let bound = local(&client);
        assert_eq!(bound.ip(), ip, "the source address of the route to {ip}");
        assert!(range.contains(&bound.port()), "{bound} outside {range:?}");
        let (_conn, from) = server.accept().unwrap();
        assert_eq!(from.as_socket(), Some(bound));
    }
}
// ANCHOR_END: connect_binds_an_unbound_socket_to_an_ephemeral_port

#[test]
fn listen_binds_an_unbound_socket_to_an_ephemeral_port() {
    let range = local_port_range();
    for ip in LOOPBACKS {
        let sock = Socket::new(domain(ip), Type::STREAM, None).unwrap();
        // listen binds to the wildcard address: tie the socket to the
        // loopback interface, so that it is reachable from nowhere else.
        sock.bind_device(Some(b"lo")).unwrap();
        sock.listen(1).unwrap();
        let bound = local(&sock);
        assert!(bound.ip().is_unspecified(), "{bound}: the wildcard address");
        assert!(range.contains(&bound.port()), "{bound} outside {range:?}");
        // It listens there: a client on loopback gets in.
        TcpStream::connect(SocketAddr::new(ip, bound.port())).unwrap();
        assert!(sock.accept().is_ok());
    }
}

// ------------------------------------------------------ connection setup

// ANCHOR: accept_with_nobody_waiting_on_a_non_blocking_socket_is_eagain
#[test]
fn accept_with_nobody_waiting_on_a_non_blocking_socket_is_eagain() {
    assert_eq!(libc::EAGAIN, libc::EWOULDBLOCK, "one errno on Linux");
    for ip in LOOPBACKS {
        let (server, addr) = listener(ip, 1);
        server.set_nonblocking(true).unwrap();
        let err = server.accept().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EAGAIN), "{ip}");
        // Once a client's connection is queued, the same call takes it.
        let client = TcpStream::connect(addr).unwrap();
        let (_conn, from) = server.accept().unwrap();
        assert_eq!(from.as_socket(), Some(client.local_addr().unwrap()));
    }
}
// ANCHOR_END: accept_with_nobody_waiting_on_a_non_blocking_socket_is_eagain

#[test]
fn poll_says_when_a_connection_waits_to_be_accepted() {
    for ip in LOOPBACKS {
        let (server, addr) = listener(ip, 1);
        let now = Some(Duration::ZERO);
        let idle = sockref::peer::poll_one(server.as_fd(), PollFlags::POLLIN, now).unwrap();
        assert!(idle.is_empty(), "{ip}: nobody waiting: {idle:?}");
        let _client = TcpStream::connect(addr).unwrap();
        // The handshake is done: the listening socket is readable.
        let limit = Some(Duration::from_secs(5));
        let ready = sockref::peer::poll_one(server.as_fd(), PollFlags::POLLIN, limit).unwrap();
        assert_eq!(ready, PollFlags::POLLIN, "{ip}");
        assert!(server.accept().is_ok());
    }
}

/// TcpExt's ListenOverflows: SYNs dropped because an accept queue was full.
fn listen_overflows() -> u64 {
    let text = std::fs::read_to_string("/proc/net/netstat").unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.starts_with("TcpExt:"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    let at = rows[0]
        .iter()
        .position(|f| *f == "ListenOverflows")
        .unwrap();
    rows[1][at].parse().unwrap()
}

/// A non-blocking connect to `addr`, and what poll(POLLOUT) reports
/// within `wait` (nothing, if the connection is still being set up).
fn connect_nonblocking(addr: SocketAddr, wait: Duration) -> (Socket, PollFlags) {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, None).unwrap();
    sock.set_nonblocking(true).unwrap();
    let started = sock.connect(&addr.into());
    assert_eq!(
        started.unwrap_err().raw_os_error(),
        Some(libc::EINPROGRESS),
        "a non-blocking connect is in progress"
    );
    let events = sockref::peer::poll_one(sock.as_fd(), PollFlags::POLLOUT, Some(wait)).unwrap();
    (sock, events)
}

/// TCP_SYN_SENT, as TCP_INFO reports it: the SYN sent, no answer yet.
const TCP_SYN_SENT: u8 = 2;

// ANCHOR: a_full_listen_queue_makes_clients_wait
#[test]
fn a_full_listen_queue_makes_clients_wait() {
    let backlog = 1;
    for ip in LOOPBACKS {
        let (server, addr) = listener(ip, backlog); // and it never accepts
        let before = listen_overflows();
        // Linux queues backlog + 1 connections: theirs complete at once.
        let mut queued = Vec::new();
        for _ in 0..=backlog {
            let (sock, events) = connect_nonblocking(addr, Duration::from_secs(2));
            assert_eq!(
                events,
                PollFlags::POLLOUT,
                "{ip}: a connection in the queue"
            );
            assert!(sock.take_error().unwrap().is_none());
            queued.push(sock);
        }
        // The next client's SYN is dropped: no RST, no ECONNREFUSED; it waits.
        let (waiting, events) = connect_nonblocking(addr, Duration::from_millis(300));
        assert!(
            events.is_empty(),
            "{ip}: {events:?} for a client of a full queue"
        );
        assert!(waiting.take_error().unwrap().is_none(), "{ip}: not refused");
        let info = sockref::ffi::tcp_info(waiting.as_fd()).unwrap();
        assert_eq!(info.tcpi_state, TCP_SYN_SENT, "{ip}: still sending its SYN");
        assert!(
            listen_overflows() > before,
            "the kernel counted a ListenOverflow"
        );
        // Room in the queue: the SYN sent again (after 1 s) is answered.
        drop(server.accept().unwrap());
        let ready = sockref::peer::poll_one(
            waiting.as_fd(),
            PollFlags::POLLOUT,
            Some(Duration::from_secs(5)),
        )
        .unwrap();
        assert_eq!(ready, PollFlags::POLLOUT, "{ip}: the waiting client got in");
        assert!(waiting.take_error().unwrap().is_none());
    }
}
// ANCHOR_END: a_full_listen_queue_makes_clients_wait

// ANCHOR: linux_sockaddr_has_no_sa_len
#[test]
fn linux_sockaddr_has_no_sa_len() {
    use std::mem::{offset_of, size_of};
    // The family is the first field, two bytes wide: no sa_len byte before it.
    assert_eq!(offset_of!(libc::sockaddr, sa_family), 0);
    assert_eq!(size_of::<libc::sa_family_t>(), 2);
    assert_eq!(size_of::<libc::sockaddr_in>(), 16);
    assert_eq!(offset_of!(libc::sockaddr_in, sin_family), 0);
    // What the kernel is handed: the first two bytes are AF_INET itself.
    let addr = SockAddr::from(SocketAddr::new(LOOPBACKS[0], 80));
    assert_eq!(addr.len() as usize, size_of::<libc::sockaddr_in>());
    assert_eq!(addr.family(), libc::AF_INET as libc::sa_family_t);
    // And glibc's headers have no such member: C that names it does not compile.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let source = dir.join("sa_len.c");
    std::fs::write(
        &source,
        "#include <sys/socket.h>\nint main(void) { struct sockaddr sa; sa.sa_len = 16; return sa.sa_len; }\n",
    )
    .unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let mut command = std::process::Command::new(&cc);
    command
        .env("LC_ALL", "C")
        .args(sockref::testing::CC_FLAGS)
        .arg("-c")
        .arg(&source)
        .arg("-o")
        .arg(dir.join("sa_len.o"));
    let run = sockref::testing::run_bounded(command, sockref::testing::RUN_LIMIT).unwrap();
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert!(!run.output.status.success(), "{cc} compiled sa_len");
    assert!(stderr.contains("no member named 'sa_len'"), "{stderr}");
}
// ANCHOR_END: linux_sockaddr_has_no_sa_len
