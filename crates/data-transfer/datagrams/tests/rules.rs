//! The rules of sending that APUE 16.5 states, each proven on the running
//! kernel over loopback: how large a datagram may be, and what `sendto`
//! does with an address on a socket that is already connected.
//!
//! Where a test must show that something did NOT arrive, it sends a second
//! datagram after the first, on the same loopback path, and shows that the
//! second is the first thing the receiver gets: no timeout decides it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use socket2::{Domain, SockAddr, Socket, Type};

const LIMIT: Option<Duration> = Some(Duration::from_secs(5));

fn udp(ip: IpAddr) -> (UdpSocket, SocketAddr) {
    let sock = UdpSocket::bind(SocketAddr::new(ip, 0)).unwrap();
    sock.set_read_timeout(LIMIT).unwrap();
    let addr = sock.local_addr().unwrap();
    (sock, addr)
}

/// The next datagram `sock` receives, as text, with its sender.
fn next(sock: &UdpSocket) -> (String, SocketAddr) {
    let mut buf = [0u8; 64];
    let (n, from) = sock.recv_from(&mut buf).unwrap();
    (String::from_utf8_lossy(&buf[..n]).into_owned(), from)
}

// ANCHOR: emsgsize
/// The largest UDP payload is what the IP length field leaves: IPv4's
/// 16-bit total length counts its own 20-byte header and UDP's 8 bytes,
/// so 65535 - 28 = 65507; IPv6's payload length leaves out the fixed
/// header, so 65535 - 8 = 65527. One byte more is EMSGSIZE, at once.
#[test]
fn a_datagram_larger_than_the_maximum_is_emsgsize() {
    for (ip, largest) in [
        (IpAddr::V4(Ipv4Addr::LOCALHOST), 65535 - 20 - 8),
        (IpAddr::V6(Ipv6Addr::LOCALHOST), 65535 - 8),
    ] {
        let (rx, to) = udp(ip);
        let (tx, _) = udp(ip);
        let data = vec![b'u'; largest + 1];
        assert_eq!(tx.send_to(&data[..largest], to).unwrap(), largest, "{ip}");
        let err = tx.send_to(&data, to).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMSGSIZE), "{ip}: {err}");
        // The largest one arrived whole, in one datagram.
        let mut buf = vec![0u8; largest + 100];
        assert_eq!(rx.recv(&mut buf).unwrap(), largest, "{ip}");
    }
}
// ANCHOR_END: emsgsize

// ANCHOR: sendto_connected_udp
/// The notes: a connected datagram socket may still name a destination
/// with sendto. Linux sends to the address given, not to the connected
/// peer, and leaves the connection as it was.
#[test]
fn sendto_on_a_connected_udp_socket_goes_to_the_address_given() {
    let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let (a, _) = udp(lo);
    let (peer, peer_addr) = udp(lo);
    let (other, other_addr) = udp(lo);
    a.connect(peer_addr).unwrap();
    a.send_to(b"to other", other_addr).unwrap();
    a.send(b"to peer").unwrap(); // the default destination is unchanged
    assert_eq!(next(&other).0, "to other");
    assert_eq!(next(&peer).0, "to peer", "the peer's first datagram");
    assert_eq!(a.peer_addr().unwrap(), peer_addr);
}
// ANCHOR_END: sendto_connected_udp

/// connect on a datagram socket sends nothing: it only records the peer.
/// The first datagram the peer receives is the one sent after it.
#[test]
fn connect_on_a_datagram_socket_sends_nothing() {
    let lo = IpAddr::V6(Ipv6Addr::LOCALHOST);
    let (a, a_addr) = udp(lo);
    let (peer, peer_addr) = udp(lo);
    a.connect(peer_addr).unwrap();
    a.send(b"the first datagram").unwrap();
    assert_eq!(next(&peer), ("the first datagram".into(), a_addr));
}

// ANCHOR: connected_udp_filters
/// connect on a datagram socket also filters: datagrams from any address
/// but the peer's are dropped, while the unconnected socket takes them all.
#[test]
fn a_connected_udp_socket_receives_only_from_its_peer() {
    let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let (a, a_addr) = udp(lo);
    let (peer, peer_addr) = udp(lo);
    let (stranger, stranger_addr) = udp(lo);
    stranger.send_to(b"before connect", a_addr).unwrap();
    assert_eq!(next(&a), ("before connect".into(), stranger_addr));
    a.connect(peer_addr).unwrap();
    stranger.send_to(b"from a stranger", a_addr).unwrap();
    peer.send_to(b"from the peer", a_addr).unwrap();
    assert_eq!(next(&a), ("from the peer".into(), peer_addr));
}
// ANCHOR_END: connected_udp_filters

// ANCHOR: sendto_connected_stream
/// The notes: on a connection-oriented socket sendto's address is ignored.
/// So it is for TCP on Linux: the bytes go to the connected peer, even
/// when the address names another listener. AF_UNIX stream sockets refuse
/// it instead, with EISCONN. On a TCP socket not connected, sendto with
/// an address does not connect: EPIPE.
#[test]
fn sendto_on_a_connected_tcp_socket_ignores_the_address() {
    let lo = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
    let listener = |addr: SocketAddr| {
        let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        s.bind(&addr.into()).unwrap();
        s.listen(1).unwrap();
        let bound = s.local_addr().unwrap();
        (s, bound)
    };
    let (server, server_addr) = listener(lo);
    let (elsewhere, elsewhere_addr) = listener(lo);

    let client = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let err = client
        .send_to_with_flags(b"x", &elsewhere_addr, libc::MSG_NOSIGNAL)
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EPIPE), "unconnected: {err}");

    client.connect(&server_addr).unwrap();
    let (conn, _) = server.accept().unwrap();
    conn.set_read_timeout(LIMIT).unwrap();
    let n = client
        .send_to_with_flags(b"hello", &elsewhere_addr, libc::MSG_NOSIGNAL)
        .unwrap();
    assert_eq!(n, 5);
    let mut buf = [0u8; 16];
    let got = std::io::Read::read(&mut &conn, &mut buf).unwrap();
    assert_eq!(&buf[..got], b"hello", "the connected peer got the bytes");
    elsewhere.set_nonblocking(true).unwrap();
    let err = elsewhere.accept().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock, "nobody came");

    let (unix, _) = Socket::pair(Domain::UNIX, Type::STREAM, None).unwrap();
    let path = SockAddr::unix("/nonexistent/sockref").unwrap();
    let err = unix.send_to(b"x", &path).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EISCONN), "AF_UNIX: {err}");
}
// ANCHOR_END: sendto_connected_stream

/// IPV6_RECVERR is IP_RECVERR for IPv6: an unconnected socket that sets it
/// hears of a closed port on ::1, from its error queue, as an ICMPv6
/// error: origin SO_EE_ORIGIN_ICMP6, type 1 (destination unreachable),
/// code 4 (port unreachable), errno ECONNREFUSED.
#[test]
fn ipv6_recverr_queues_the_icmpv6_error() {
    use nix::sys::socket::{
        ControlMessageOwned, MsgFlags, SockaddrIn6, recvmsg, setsockopt, sockopt::Ipv6RecvErr,
    };
    use std::os::fd::AsRawFd;
    let lo = IpAddr::V6(Ipv6Addr::LOCALHOST);
    let nobody = udp(lo).1; // bound a moment ago, closed again
    let (sock, _) = udp(lo);
    setsockopt(&sock, Ipv6RecvErr, &true).unwrap();
    sock.send_to(b"anyone?", nobody).unwrap();
    let mut buf = [0u8; 16];
    let err = sock.recv(&mut buf).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED), "{err}");
    let mut iov = [std::io::IoSliceMut::new(&mut buf)];
    let mut control = nix::cmsg_space!(libc::sock_extended_err, libc::sockaddr_in6);
    let flags = MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT;
    let msg =
        recvmsg::<SockaddrIn6>(sock.as_raw_fd(), &mut iov, Some(&mut control), flags).unwrap();
    assert_eq!(msg.bytes, 7);
    assert_eq!(msg.address.map(|a| a.port()), Some(nobody.port()));
    let errors: Vec<libc::sock_extended_err> = msg
        .cmsgs()
        .unwrap()
        .filter_map(|c| match c {
            ControlMessageOwned::Ipv6RecvErr(err, _) => Some(err),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 1);
    let e = errors[0];
    assert_eq!(e.ee_origin, libc::SO_EE_ORIGIN_ICMP6);
    assert_eq!((e.ee_type, e.ee_code), (1, 4));
    assert_eq!(e.ee_errno, libc::ECONNREFUSED as u32);
}
