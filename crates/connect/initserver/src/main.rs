//! Section "Connection establishment" (APUE 16.4): a server in the spirit
//! of the textbook's `ruptimed`, built on `initserver`.
//!
//! `initserver [IP PORT] [--type stream|dgram|seqpacket] [--clients N] [--qlen N]`
//! binds to IP PORT (127.0.0.1 and any free port if only options are
//! given; with no argument at all it demonstrates itself with in-process
//! clients), prints the
//! address it got (`getsockname`), and for each client prints who it is
//! (`getpeername`, or `recvfrom`'s address for datagrams) and sends it a
//! status line. With `--clients N` it exits after N clients, so demos and
//! tests end by themselves. `--version 1` sets the server up with the
//! textbook's first `initserver` (APUE figure 16.12, no SO_REUSEADDR)
//! instead of the second (APUE figure 16.22).
//!
//! `initserver --restart` shows why the second version exists: each
//! version serves one client, closes the connection first (so the server's
//! side of it goes to TIME_WAIT), stops, and starts again on the same port.
#![forbid(unsafe_code)]

use sockref::{out, outln};
use std::net::SocketAddr;
use std::process::ExitCode;

use initserver::{
    InitError, TCP_TIME_WAIT, initserver, initserver_v1, local_addr, serve_dgram_client,
    serve_stream_client, tcp_state, type_name,
};
use std::io::Read;
use std::time::Instant;

use socket2::{Domain, Socket, Type};
use sockref::{Context, Error, Out, lexopt};

const USAGE: &str = "initserver [IP PORT] [--type stream|dgram|seqpacket] [--clients N] [--qlen N] \
[--version 1|2] | initserver --restart";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        if std::env::args_os().len() == 1 {
            return self_demo();
        }
        let args = parse_args()?;
        if args.restart {
            return restart_demo();
        }
        serve(args.version, args.addr, args.ty, args.clients, args.qlen)
    })
}

/// Which of the textbook's two `initserver`s sets the server up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    /// APUE figure 16.12: socket, bind, listen.
    One,
    /// APUE figure 16.22: SO_REUSEADDR before bind.
    Two,
}

impl Version {
    fn initserver(self, ty: Type, addr: SocketAddr, qlen: i32) -> Result<Socket, InitError> {
        match self {
            Version::One => initserver_v1(ty, addr, qlen),
            Version::Two => initserver(ty, addr, qlen),
        }
    }

    fn number(self) -> u8 {
        match self {
            Version::One => 1,
            Version::Two => 2,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Version::One => "version 1 (no SO_REUSEADDR)",
            Version::Two => "version 2 (SO_REUSEADDR)",
        }
    }
}

// ANCHOR: restart
/// Each version serves one client on 127.0.0.1 and closes the connection
/// first; the client reads to the end and closes; the server stops. The
/// server's side of the connection is now in TIME_WAIT, and the same
/// version starts again on the same port.
fn restart_demo() -> Result<(), Error> {
    for version in [Version::One, Version::Two] {
        let server = version.initserver(
            Type::STREAM,
            SocketAddr::new(sockref::peer::LOOPBACK, 0),
            10,
        )?;
        let addr = local_addr(&server)?;
        outln!("{}: listening on {addr} (SOCK_STREAM)", version.name())?;
        let mut client =
            std::net::TcpStream::connect(addr).context(format!("connect to {addr}"))?;
        let me = client.local_addr().context("getsockname")?;
        serve_stream_client(&server, 1, Some(1), Out::plain())?; // the server closes first
        let mut reply = String::new();
        client
            .read_to_string(&mut reply)
            .context("read the reply")?;
        out!("[client 1] {reply}")?;
        drop(client); // the client's close answers the server's
        drop(server); // the server stops
        wait_for_time_wait(addr, me)?;
        outln!("the server closed first and stopped: {addr} -> {me} is in TIME_WAIT")?;
        let again = version.initserver(Type::STREAM, addr, 10);
        match again {
            Ok(_) => outln!("version {} restarts on {addr}: listening", version.number())?,
            Err(e) => outln!("version {} restarts on {addr}: {e}", version.number())?,
        }
    }
    Ok(())
}
// ANCHOR_END: restart

/// Waits, bounded, until the kernel lists the connection from `local` to
/// `remote` in TIME_WAIT.
fn wait_for_time_wait(local: SocketAddr, remote: SocketAddr) -> Result<(), Error> {
    let deadline = Instant::now() + sockref::peer::DEMO_TIMEOUT;
    loop {
        let state = tcp_state(local, remote).context("read /proc/net/tcp")?;
        if state == Some(TCP_TIME_WAIT) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::runtime(format!(
                "{local} -> {remote} did not reach TIME_WAIT within {} s",
                sockref::peer::DEMO_TIMEOUT.as_secs()
            )));
        }
        std::thread::yield_now();
    }
}

/// With no argument: a stream server on 127.0.0.1 and two clients, then a
/// datagram server and one client, in one thread. The clients' connections
/// complete in the listen backlog before the server accepts them.
fn self_demo() -> Result<(), Error> {
    let any = SocketAddr::new(sockref::peer::LOOPBACK, 0);
    let server = initserver(Type::STREAM, any, 10)?;
    let addr = local_addr(&server)?;
    outln!("listening on {addr} (SOCK_STREAM)")?;
    let mut clients = Vec::new();
    for n in 1..=2 {
        let conn = Socket::new(Domain::IPV4, Type::STREAM, None).context("socket")?;
        conn.connect(&addr.into())
            .context(format!("connect to {addr}"))?;
        let me = conn.local_addr().ok().and_then(|a| a.as_socket());
        outln!(
            "[client {n}] connected from {}",
            me.map_or("?".into(), |a| a.to_string())
        )?;
        clients.push(conn);
    }
    for n in 1..=2 {
        serve_stream_client(&server, n, Some(2), Out::plain())?;
    }
    for (n, conn) in clients.into_iter().enumerate() {
        let mut reply = String::new();
        std::net::TcpStream::from(conn)
            .read_to_string(&mut reply)
            .context("read the reply")?;
        out!("[client {}] {reply}", n + 1)?;
    }
    outln!("served 2 client(s); exiting")?;

    let server = initserver(Type::DGRAM, any, 0)?;
    let addr = local_addr(&server)?;
    outln!("bound to {addr} (SOCK_DGRAM)")?;
    let client = std::net::UdpSocket::bind(any).context("bind the datagram client")?;
    client
        .send_to(b"status?", addr)
        .context(format!("sendto {addr}"))?;
    serve_dgram_client(&server, 1, Some(1), Out::plain())?;
    let mut buf = [0u8; 512];
    let n = client.recv(&mut buf).context("recv the reply")?;
    out!("[client 1] {}", String::from_utf8_lossy(&buf[..n]))?;
    outln!("served 1 client(s); exiting")?;
    Ok(())
}

fn serve(
    version: Version,
    addr: SocketAddr,
    ty: Type,
    clients: Option<usize>,
    qlen: i32,
) -> Result<(), Error> {
    let sock = version.initserver(ty, addr, qlen)?;
    let bound = local_addr(&sock)?;
    let verb = if ty == Type::DGRAM {
        "bound to"
    } else {
        "listening on"
    };
    outln!("{verb} {bound} ({})", type_name(ty))?;
    let mut served = 0;
    while clients.is_none_or(|n| served < n) {
        served += 1;
        if ty == Type::DGRAM {
            serve_dgram_client(&sock, served, clients, Out::plain())?;
        } else {
            serve_stream_client(&sock, served, clients, Out::plain())?;
        }
    }
    outln!("served {served} client(s); exiting")?;
    Ok(())
}

struct Args {
    addr: SocketAddr,
    ty: Type,
    clients: Option<usize>,
    qlen: i32,
    version: Version,
    restart: bool,
}

fn parse_args() -> Result<Args, Error> {
    let mut parser = lexopt::Parser::from_env();
    let (mut ty, mut clients, mut qlen) = (Type::STREAM, None, 10);
    let (mut version, mut restart, mut others) = (Version::Two, false, 0);
    let mut positional = Vec::new();
    let count = |text: String, what: &str| -> Result<usize, Error> {
        sockref::cli::whole_number(&text)
            .filter(|n| (1..=1_000_000_000).contains(n))
            .map(|n| n as usize)
            .ok_or_else(|| Error::usage(format!("'{text}' is not a positive number of {what}")))
    };
    while let Some(arg) = parser.next()? {
        if matches!(arg, lexopt::Arg::Long("restart")) {
            restart = true;
            continue;
        }
        others += 1;
        match arg {
            lexopt::Arg::Long("version") => {
                version = match sockref::cli::utf8(parser.value()?)?.as_str() {
                    "1" => Version::One,
                    "2" => Version::Two,
                    other => {
                        return Err(Error::usage(format!(
                            "'{other}' is not a version of initserver (1 or 2)"
                        )));
                    }
                }
            }
            lexopt::Arg::Long("type") => {
                ty = match sockref::cli::utf8(parser.value()?)?.as_str() {
                    "stream" => Type::STREAM,
                    "dgram" => Type::DGRAM,
                    "seqpacket" => Type::SEQPACKET,
                    other => {
                        return Err(Error::usage(format!(
                            "unknown socket type '{other}' (stream, dgram or seqpacket)"
                        )));
                    }
                }
            }
            lexopt::Arg::Long("clients") => {
                clients = Some(count(sockref::cli::utf8(parser.value()?)?, "clients")?)
            }
            lexopt::Arg::Long("qlen") => {
                qlen = count(sockref::cli::utf8(parser.value()?)?, "connections")?.min(4096) as i32
            }
            lexopt::Arg::Value(v) => positional.push(sockref::cli::utf8(v)?),
            other => return Err(sockref::cli::unexpected(other.into(), &mut parser)),
        }
    }
    if restart && others > 0 {
        return Err(Error::usage(
            "--restart runs a demonstration of its own: no other argument",
        ));
    }
    let addr = match positional.as_slice() {
        [] => SocketAddr::new(sockref::peer::LOOPBACK, 0),
        [ip, port] => SocketAddr::new(
            sockref::cli::parse_ip(ip)?,
            sockref::cli::parse_port(port, true)?,
        ),
        _ => {
            return Err(Error::usage(
                "expected IP PORT, or nothing for 127.0.0.1 and any free port",
            ));
        }
    };
    Ok(Args {
        addr,
        ty,
        clients,
        qlen,
        version,
        restart,
    })
}
