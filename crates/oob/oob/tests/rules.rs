//! Every rule of urgent data that the book states, proven on the running
//! kernel, one test per rule. Each test runs over TCP on IPv4 and IPv6, and
//! over AF_UNIX stream sockets where the rule holds there too (Linux 5.15
//! and later carry MSG_OOB on AF_UNIX); where AF_UNIX differs, the test
//! says how. Tests synchronise on kernel state (TCP_INFO, poll), never on
//! sleeps, and every wait is bounded.

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use nix::poll::PollFlags;
use nix::sys::socket::MsgFlags;
use oob::sigurg::ThreadSigurg;
use oob::{
    UrgentError, oob_inline, owner, poll_now, recv_normal, recv_urgent, send_normal, send_urgent,
    set_oob_inline, set_owner_thread, siocatmark, sockatmark, unread_bytes, wait_urgent,
};
use socket2::Socket;
use sockref::peer::{Family, connected_pair};

const TCP: [Family; 2] = [Family::Ipv4, Family::Ipv6];
const ALL: [Family; 3] = Family::ALL;
const LIMIT: Duration = Duration::from_secs(5);

/// A connected pair, `(sender, receiver)`; `prepare` runs on the listener.
fn pair_with(
    family: Family,
    prepare: impl FnOnce(&Socket) -> std::io::Result<()>,
) -> (Socket, Socket) {
    connected_pair(family, prepare).unwrap_or_else(|e| panic!("{family:?}: {e}"))
}

fn pair(family: Family) -> (Socket, Socket) {
    pair_with(family, |_| Ok(()))
}

/// Sends normal data and urgent data in order, then waits until every byte
/// has reached the receiving socket.
fn send_all(family: Family, tx: &Socket, rx: &Socket, writes: &[(&[u8], bool)]) {
    let mut total = 0;
    for (data, urgent) in writes {
        let n = if *urgent {
            send_urgent(tx, data)
        } else {
            send_normal(tx, data)
        };
        assert_eq!(
            n.unwrap_or_else(|e| panic!("{family:?}: send: {e}")),
            data.len()
        );
        total += data.len() as u64;
    }
    oob::pace::wait_for_arrival(rx.as_fd(), total, LIMIT).unwrap();
}

/// The classic sequence: `123`, `abc` urgent, `123`.
fn classic(family: Family, tx: &Socket, rx: &Socket) {
    send_all(
        family,
        tx,
        rx,
        &[(b"123", false), (b"abc", true), (b"123", false)],
    );
}

/// One non-blocking normal read: the bytes, or the error.
fn read(rx: &Socket) -> std::io::Result<String> {
    read_flags(rx, MsgFlags::empty())
}

fn read_flags(rx: &Socket, flags: MsgFlags) -> std::io::Result<String> {
    let mut buf = [0u8; 100];
    let n = recv_normal(rx, &mut buf, flags | MsgFlags::MSG_DONTWAIT)?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

fn urgent(rx: &Socket) -> Result<char, UrgentError> {
    recv_urgent(rx).map(char::from)
}

fn is_none_pending(r: Result<char, UrgentError>) -> bool {
    matches!(r, Err(UrgentError::NonePending))
}

/// `sendto(fd, data, len, MSG_OOB, NULL, 0)`. nix and socket2 pass flags to
/// sendto only with an address, and a connected AF_UNIX stream socket
/// refuses any address (EISCONN), so this call goes through libc.
fn sendto_urgent(tx: &Socket, data: &[u8]) -> std::io::Result<usize> {
    // SAFETY: `data` is readable for `len` bytes; a null address of length
    // 0 names no address, as in C.
    let n = unsafe {
        libc::sendto(
            tx.as_raw_fd(),
            data.as_ptr().cast(),
            data.len(),
            libc::MSG_OOB,
            std::ptr::null(),
            0,
        )
    };
    usize::try_from(n).map_err(|_| std::io::Error::last_os_error())
}

/// `recvfrom(fd, &c, 1, MSG_OOB, &from, &fromlen)`: the byte, and the
/// address length the kernel wrote back. nix's recvfrom takes no flags, and
/// socket2's fills an uninitialised buffer, so this call goes through libc.
fn recvfrom_urgent(rx: &Socket) -> std::io::Result<(char, libc::socklen_t)> {
    let mut byte = 0u8;
    let mut from = std::mem::MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `byte` is one writable byte, `from` is writable for `len`
    // bytes, and the kernel writes no more than that.
    let n = unsafe {
        libc::recvfrom(
            rx.as_raw_fd(),
            (&raw mut byte).cast(),
            1,
            libc::MSG_OOB,
            from.as_mut_ptr().cast(),
            &mut len,
        )
    };
    match n {
        1 => Ok((char::from(byte), len)),
        _ => Err(std::io::Error::last_os_error()),
    }
}

// ---------------------------------------------------------------- reading

// ANCHOR: recv_oob_with_no_urgent_data_is_einval_at_once
#[test]
fn recv_oob_with_no_urgent_data_is_einval_at_once() {
    for family in ALL {
        let (tx, rx) = pair(family);
        assert!(is_none_pending(urgent(&rx)), "{family:?}: nothing sent");
        send_all(family, &tx, &rx, &[(b"normal", false)]);
        // Normal data queued, still no urgent byte: EINVAL at once, not a wait.
        let r = urgent(&rx);
        assert_eq!(
            r.as_ref().err().and_then(UrgentError::errno),
            Some(libc::EINVAL),
            "{family:?}: {r:?}"
        );
    }
}
// ANCHOR_END: recv_oob_with_no_urgent_data_is_einval_at_once

// ANCHOR: only_the_last_byte_of_an_oob_send_is_urgent
#[test]
fn only_the_last_byte_of_an_oob_send_is_urgent() {
    for family in ALL {
        let (tx, rx) = pair(family);
        classic(family, &tx, &rx);
        assert_eq!(read(&rx).unwrap(), "123ab", "{family:?}");
        assert_eq!(urgent(&rx).unwrap(), 'c', "{family:?}");
        assert_eq!(read(&rx).unwrap(), "123", "{family:?}");
    }
}
// ANCHOR_END: only_the_last_byte_of_an_oob_send_is_urgent

// ANCHOR: reads_stop_at_the_mark_even_with_msg_waitall
#[test]
fn reads_stop_at_the_mark_even_with_msg_waitall() {
    for family in ALL {
        let (tx, rx) = pair(family);
        classic(family, &tx, &rx);
        // Asking for all 9 bytes still stops before the urgent byte.
        let mut buf = [0u8; 9];
        let n = recv_normal(&rx, &mut buf, MsgFlags::MSG_WAITALL).unwrap();
        assert_eq!(&buf[..n], b"123ab", "{family:?}");
    }
}
// ANCHOR_END: reads_stop_at_the_mark_even_with_msg_waitall

// ANCHOR: reading_the_same_urgent_byte_twice_is_einval
#[test]
fn reading_the_same_urgent_byte_twice_is_einval() {
    for family in ALL {
        let (tx, rx) = pair(family);
        classic(family, &tx, &rx);
        assert_eq!(urgent(&rx).unwrap(), 'c');
        assert!(is_none_pending(urgent(&rx)), "{family:?}");
    }
}
// ANCHOR_END: reading_the_same_urgent_byte_twice_is_einval

// ANCHOR: recv_oob_with_oobinline_set_is_einval
#[test]
fn recv_oob_with_oobinline_set_is_einval() {
    for family in ALL {
        let (tx, rx) = pair(family);
        set_oob_inline(&rx, true).unwrap();
        classic(family, &tx, &rx);
        assert!(
            matches!(urgent(&rx), Err(UrgentError::Inline)),
            "{family:?}"
        );
        assert!(oob_inline(&rx).unwrap());
    }
}
// ANCHOR_END: recv_oob_with_oobinline_set_is_einval

// ANCHOR: an_urgent_byte_never_read_with_msg_oob_is_dropped_by_normal_reads
#[test]
fn an_urgent_byte_never_read_with_msg_oob_is_dropped_by_normal_reads() {
    for family in ALL {
        let (tx, rx) = pair(family);
        classic(family, &tx, &rx);
        assert_eq!(read(&rx).unwrap(), "123ab");
        assert_eq!(
            read(&rx).unwrap(),
            "123",
            "{family:?}: the read steps over 'c'"
        );
        assert!(is_none_pending(urgent(&rx)), "{family:?}: and 'c' is gone");
    }
}
// ANCHOR_END: an_urgent_byte_never_read_with_msg_oob_is_dropped_by_normal_reads

// ANCHOR: a_nonblocking_read_with_only_the_urgent_byte_queued_discards_it
#[test]
fn a_nonblocking_read_with_only_the_urgent_byte_queued_discards_it() {
    for family in ALL {
        let (tx, rx) = pair(family);
        send_all(family, &tx, &rx, &[(b"Q", true)]);
        let err = read(&rx).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock, "{family:?}");
        assert!(
            is_none_pending(urgent(&rx)),
            "{family:?}: the EAGAIN read discarded 'Q'"
        );
    }
}
// ANCHOR_END: a_nonblocking_read_with_only_the_urgent_byte_queued_discards_it

// ANCHOR: urgent_data_then_close_gives_the_data_the_byte_and_eof
#[test]
fn urgent_data_then_close_gives_the_data_the_byte_and_eof() {
    for family in ALL {
        let (tx, rx) = pair(family);
        send_all(family, &tx, &rx, &[(b"ab", true)]);
        drop(tx);
        assert_eq!(read(&rx).unwrap(), "a", "{family:?}");
        assert_eq!(urgent(&rx).unwrap(), 'b', "{family:?}");
        assert_eq!(read(&rx).unwrap(), "", "{family:?}: EOF");
        assert!(is_none_pending(urgent(&rx)), "{family:?}");
    }
}
// ANCHOR_END: urgent_data_then_close_gives_the_data_the_byte_and_eof

// ---------------------------------------- MSG_OOB through the other calls

// ANCHOR: msg_oob_through_sendto_makes_the_last_byte_urgent
#[test]
fn msg_oob_through_sendto_makes_the_last_byte_urgent() {
    for family in ALL {
        let (tx, rx) = pair(family);
        send_normal(&tx, b"123").unwrap();
        assert_eq!(sendto_urgent(&tx, b"abc").unwrap(), 3, "{family:?}");
        send_normal(&tx, b"123").unwrap();
        oob::pace::wait_for_arrival(rx.as_fd(), 9, LIMIT).unwrap();
        assert_eq!(read(&rx).unwrap(), "123ab", "{family:?}");
        assert_eq!(urgent(&rx).unwrap(), 'c', "{family:?}");
        assert_eq!(read(&rx).unwrap(), "123", "{family:?}");
    }
}
// ANCHOR_END: msg_oob_through_sendto_makes_the_last_byte_urgent

// ANCHOR: msg_oob_through_sendmsg_makes_the_last_byte_urgent
#[test]
fn msg_oob_through_sendmsg_makes_the_last_byte_urgent() {
    use nix::sys::socket::sendmsg;
    for family in ALL {
        let (tx, rx) = pair(family);
        send_normal(&tx, b"123").unwrap();
        // Two buffers gathered into one send: the last byte of the last one
        // is the urgent byte.
        let iov = [IoSlice::new(b"a"), IoSlice::new(b"bc")];
        let n = sendmsg::<()>(tx.as_raw_fd(), &iov, &[], MsgFlags::MSG_OOB, None);
        assert_eq!(n, Ok(3), "{family:?}");
        send_normal(&tx, b"123").unwrap();
        oob::pace::wait_for_arrival(rx.as_fd(), 9, LIMIT).unwrap();
        assert_eq!(read(&rx).unwrap(), "123ab", "{family:?}");
        assert_eq!(urgent(&rx).unwrap(), 'c', "{family:?}");
        assert_eq!(read(&rx).unwrap(), "123", "{family:?}");
    }
}
// ANCHOR_END: msg_oob_through_sendmsg_makes_the_last_byte_urgent

// ANCHOR: recvfrom_with_msg_oob_reads_the_urgent_byte_and_no_address
#[test]
fn recvfrom_with_msg_oob_reads_the_urgent_byte_and_no_address() {
    for family in ALL {
        let (tx, rx) = pair(family);
        classic(family, &tx, &rx);
        // A connected stream socket names no sender: the length comes back 0.
        assert_eq!(recvfrom_urgent(&rx).unwrap(), ('c', 0), "{family:?}");
        let again = recvfrom_urgent(&rx).unwrap_err();
        assert_eq!(again.raw_os_error(), Some(libc::EINVAL), "{family:?}");
        assert_eq!(read(&rx).unwrap(), "123ab", "{family:?}");
        assert_eq!(read(&rx).unwrap(), "123", "{family:?}");
    }
}
// ANCHOR_END: recvfrom_with_msg_oob_reads_the_urgent_byte_and_no_address

// ANCHOR: recvmsg_with_msg_oob_reads_the_urgent_byte_and_sets_msg_oob_in_msg_flags
#[test]
fn recvmsg_with_msg_oob_reads_the_urgent_byte_and_sets_msg_oob_in_msg_flags() {
    use nix::sys::socket::recvmsg;
    for family in ALL {
        let (tx, rx) = pair(family);
        classic(family, &tx, &rx);
        // (bytes, what they were, msg_flags) of one recvmsg.
        let receive = |flags: MsgFlags| {
            let mut buf = [0u8; 16];
            let mut iov = [IoSliceMut::new(&mut buf)];
            let msg = recvmsg::<()>(rx.as_raw_fd(), &mut iov, None, flags).unwrap();
            let (n, got) = (msg.bytes, msg.flags);
            (String::from_utf8_lossy(&buf[..n]).into_owned(), got)
        };
        let (normal, flags) = receive(MsgFlags::MSG_DONTWAIT);
        assert_eq!(normal, "123ab", "{family:?}");
        assert!(!flags.contains(MsgFlags::MSG_OOB), "{family:?}: {flags:?}");
        let (byte, flags) = receive(MsgFlags::MSG_OOB);
        assert_eq!(byte, "c", "{family:?}");
        assert!(flags.contains(MsgFlags::MSG_OOB), "{family:?}: {flags:?}");
        let (normal, flags) = receive(MsgFlags::MSG_DONTWAIT);
        assert_eq!(normal, "123", "{family:?}");
        assert!(!flags.contains(MsgFlags::MSG_OOB), "{family:?}: {flags:?}");
    }
}
// ANCHOR_END: recvmsg_with_msg_oob_reads_the_urgent_byte_and_sets_msg_oob_in_msg_flags

// ------------------------------------------------------------------ marks

// ANCHOR: sockatmark_is_true_exactly_when_the_next_byte_is_the_urgent_one
#[test]
fn sockatmark_is_true_exactly_when_the_next_byte_is_the_urgent_one() {
    for family in ALL {
        let (tx, rx) = pair(family);
        classic(family, &tx, &rx);
        assert!(!sockatmark(&rx).unwrap(), "{family:?}: before any read");
        assert_eq!(read(&rx).unwrap(), "123ab");
        assert!(sockatmark(&rx).unwrap(), "{family:?}: at the mark");
        assert_eq!(urgent(&rx).unwrap(), 'c');
        assert!(
            sockatmark(&rx).unwrap(),
            "{family:?}: still at the mark after MSG_OOB"
        );
        assert_eq!(read(&rx).unwrap(), "123");
        assert!(!sockatmark(&rx).unwrap(), "{family:?}: past the mark");
    }
}
// ANCHOR_END: sockatmark_is_true_exactly_when_the_next_byte_is_the_urgent_one

// ANCHOR: the_mark_stays_valid_after_the_urgent_byte_was_read
#[test]
fn the_mark_stays_valid_after_the_urgent_byte_was_read() {
    for family in ALL {
        let (tx, rx) = pair(family);
        classic(family, &tx, &rx);
        assert_eq!(
            urgent(&rx).unwrap(),
            'c',
            "{family:?}: read out of band first"
        );
        assert_eq!(
            read(&rx).unwrap(),
            "123ab",
            "{family:?}: the read still stops at the mark"
        );
        assert!(sockatmark(&rx).unwrap(), "{family:?}");
    }
}
// ANCHOR_END: the_mark_stays_valid_after_the_urgent_byte_was_read

// ANCHOR: siocatmark_agrees_with_sockatmark_at_and_away_from_the_mark
#[test]
fn siocatmark_agrees_with_sockatmark_at_and_away_from_the_mark() {
    // Both questions at each step: (sockatmark, ioctl SIOCATMARK).
    let ask = |rx: &Socket| (sockatmark(rx).unwrap(), siocatmark(rx).unwrap());
    for family in ALL {
        let (tx, rx) = pair(family);
        assert_eq!(ask(&rx), (false, false), "{family:?}: nothing sent");
        classic(family, &tx, &rx);
        assert_eq!(ask(&rx), (false, false), "{family:?}: '123ab' ahead");
        assert_eq!(read(&rx).unwrap(), "123ab");
        assert_eq!(ask(&rx), (true, true), "{family:?}: at the mark");
        assert_eq!(urgent(&rx).unwrap(), 'c');
        assert_eq!(ask(&rx), (true, true), "{family:?}: byte read, same place");
        assert_eq!(read(&rx).unwrap(), "123");
        assert_eq!(ask(&rx), (false, false), "{family:?}: past the mark");
    }
}
// ANCHOR_END: siocatmark_agrees_with_sockatmark_at_and_away_from_the_mark

// ANCHOR: sockatmark_fails_with_enotty_on_a_pipe_a_file_and_a_udp_socket
#[test]
fn sockatmark_fails_with_enotty_on_a_pipe_a_file_and_a_udp_socket() {
    let (pipe, _writer) = std::io::pipe().unwrap();
    let file = std::fs::File::open("/dev/null").unwrap();
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let errno = |r: std::io::Result<bool>| r.unwrap_err().raw_os_error();
    for (what, fd) in [
        ("a pipe", pipe.as_fd()),
        ("/dev/null", file.as_fd()),
        ("a UDP socket", udp.as_fd()),
    ] {
        assert_eq!(errno(sockatmark(&fd)), Some(libc::ENOTTY), "{what}");
        assert_eq!(errno(siocatmark(&fd)), Some(libc::ENOTTY), "{what}: ioctl");
    }
}
// ANCHOR_END: sockatmark_fails_with_enotty_on_a_pipe_a_file_and_a_udp_socket

// ANCHOR: a_later_urgent_byte_moves_the_mark_and_the_earlier_becomes_data
#[test]
fn a_later_urgent_byte_moves_the_mark_and_the_earlier_becomes_data() {
    for family in ALL {
        let (tx, rx) = pair(family);
        send_all(
            family,
            &tx,
            &rx,
            &[
                (b"AAA", false),
                (b"x", true),
                (b"BBB", false),
                (b"y", true),
                (b"CCC", false),
            ],
        );
        assert_eq!(read(&rx).unwrap(), "AAAxBBB", "{family:?}");
        assert_eq!(urgent(&rx).unwrap(), 'y', "{family:?}");
        assert_eq!(read(&rx).unwrap(), "CCC", "{family:?}");
    }
}
// ANCHOR_END: a_later_urgent_byte_moves_the_mark_and_the_earlier_becomes_data

// ANCHOR: on_tcp_a_later_urgent_byte_turns_an_already_read_one_back_into_data
#[test]
fn on_tcp_a_later_urgent_byte_turns_an_already_read_one_back_into_data() {
    for family in TCP {
        let (tx, rx) = pair(family);
        send_all(family, &tx, &rx, &[(b"AAA", false), (b"x", true)]);
        assert_eq!(urgent(&rx).unwrap(), 'x', "{family:?}");
        send_all(
            family,
            &tx,
            &rx,
            &[(b"BBB", false), (b"y", true), (b"CCC", false)],
        );
        // 'x' was taken out of band, and now comes back as normal data.
        assert_eq!(read(&rx).unwrap(), "AAAxBBB", "{family:?}");
        assert_eq!(urgent(&rx).unwrap(), 'y', "{family:?}");
    }
    // AF_UNIX does not give it back: a byte read out of band is gone.
    let (tx, rx) = pair(Family::Unix);
    send_all(Family::Unix, &tx, &rx, &[(b"AAA", false), (b"x", true)]);
    assert_eq!(urgent(&rx).unwrap(), 'x');
    send_all(
        Family::Unix,
        &tx,
        &rx,
        &[(b"BBB", false), (b"y", true), (b"CCC", false)],
    );
    assert_eq!(read(&rx).unwrap(), "AAABBB", "AF_UNIX");
    assert_eq!(urgent(&rx).unwrap(), 'y', "AF_UNIX");
}
// ANCHOR_END: on_tcp_a_later_urgent_byte_turns_an_already_read_one_back_into_data

// ANCHOR: af_unix_reads_stop_where_an_urgent_byte_was_read_unless_a_later_one_is_pending
#[test]
fn af_unix_reads_stop_where_an_urgent_byte_was_read_unless_a_later_one_is_pending() {
    // Each urgent byte read out of band as soon as it is there: no urgent
    // byte is pending at any read, and each read stops where one was.
    let (tx, rx) = pair(Family::Unix);
    send_all(Family::Unix, &tx, &rx, &[(b"AAA", false), (b"x", true)]);
    assert_eq!(urgent(&rx).unwrap(), 'x');
    send_all(Family::Unix, &tx, &rx, &[(b"BBB", false), (b"y", true)]);
    assert_eq!(urgent(&rx).unwrap(), 'y');
    send_all(Family::Unix, &tx, &rx, &[(b"CCC", false)]);
    assert_eq!(read(&rx).unwrap(), "AAA");
    assert_eq!(read(&rx).unwrap(), "BBB");
    assert_eq!(read(&rx).unwrap(), "CCC");

    // 'x' read, 'y' still pending: the read goes through where 'x' was,
    // and stops only at the pending mark.
    let (tx, rx) = pair(Family::Unix);
    send_all(Family::Unix, &tx, &rx, &[(b"AAA", false), (b"x", true)]);
    assert_eq!(urgent(&rx).unwrap(), 'x');
    send_all(
        Family::Unix,
        &tx,
        &rx,
        &[(b"BBB", false), (b"y", true), (b"CCC", false)],
    );
    assert_eq!(read(&rx).unwrap(), "AAABBB");
    assert_eq!(urgent(&rx).unwrap(), 'y');
    assert_eq!(read(&rx).unwrap(), "CCC");
}
// ANCHOR_END: af_unix_reads_stop_where_an_urgent_byte_was_read_unless_a_later_one_is_pending

// ANCHOR: with_oobinline_every_urgent_byte_stays_in_the_stream
#[test]
fn with_oobinline_every_urgent_byte_stays_in_the_stream() {
    for family in ALL {
        let (tx, rx) = pair(family);
        set_oob_inline(&rx, true).unwrap();
        send_all(
            family,
            &tx,
            &rx,
            &[
                (b"AAA", false),
                (b"x", true),
                (b"BBB", false),
                (b"y", true),
                (b"CCC", false),
            ],
        );
        // Every byte read, and the offset of each place sockatmark said yes.
        let mut all = String::new();
        let mut marks = Vec::new();
        loop {
            if sockatmark(&rx).unwrap() {
                marks.push(all.len());
            }
            match read(&rx) {
                Ok(s) if s.is_empty() => break,
                Ok(s) => all.push_str(&s),
                Err(_) => break,
            }
        }
        assert_eq!(all, "AAAxBBByCCC", "{family:?}: no urgent byte lost");
        // One mark, just before 'y', the later urgent byte: 'x' is data.
        assert_eq!(marks, [7], "{family:?}: {all}");
    }
}
// ANCHOR_END: with_oobinline_every_urgent_byte_stays_in_the_stream

// ANCHOR: oobinline_on_the_listener_is_inherited_by_accept
#[test]
fn oobinline_on_the_listener_is_inherited_by_accept() {
    for family in TCP {
        let (tx, rx) = pair_with(family, |listener| set_oob_inline(listener, true));
        assert!(oob_inline(&rx).unwrap(), "{family:?}");
        classic(family, &tx, &rx);
        assert_eq!(read(&rx).unwrap(), "123ab");
        assert_eq!(read(&rx).unwrap(), "c123", "{family:?}");
    }
}
// ANCHOR_END: oobinline_on_the_listener_is_inherited_by_accept

// ANCHOR: oobinline_set_after_the_byte_arrived_delivers_it_inline
#[test]
fn oobinline_set_after_the_byte_arrived_delivers_it_inline() {
    for family in TCP {
        let (tx, rx) = pair(family);
        classic(family, &tx, &rx);
        set_oob_inline(&rx, true).unwrap();
        assert!(
            matches!(urgent(&rx), Err(UrgentError::Inline)),
            "{family:?}"
        );
        assert_eq!(read(&rx).unwrap(), "123ab", "{family:?}");
        assert!(sockatmark(&rx).unwrap());
        assert_eq!(read(&rx).unwrap(), "c123", "{family:?}");
    }
}
// ANCHOR_END: oobinline_set_after_the_byte_arrived_delivers_it_inline

// ANCHOR: a_byte_read_with_msg_oob_comes_again_inline_if_oobinline_is_set_later
#[test]
fn a_byte_read_with_msg_oob_comes_again_inline_if_oobinline_is_set_later() {
    for family in TCP {
        let (tx, rx) = pair(family);
        classic(family, &tx, &rx);
        assert_eq!(urgent(&rx).unwrap(), 'c');
        set_oob_inline(&rx, true).unwrap();
        assert_eq!(read(&rx).unwrap(), "123ab");
        assert_eq!(
            read(&rx).unwrap(),
            "c123",
            "{family:?}: 'c' delivered a second time"
        );
    }
}
// ANCHOR_END: a_byte_read_with_msg_oob_comes_again_inline_if_oobinline_is_set_later

// ------------------------------------------------------- FIONREAD and poll

// ANCHOR: fionread_counts_only_up_to_the_mark_on_tcp
#[test]
fn fionread_counts_only_up_to_the_mark_on_tcp() {
    for family in TCP {
        let (tx, rx) = pair(family);
        classic(family, &tx, &rx);
        assert_eq!(unread_bytes(&rx).unwrap(), 5, "{family:?}: '123ab'");
        assert_eq!(read(&rx).unwrap(), "123ab");
        assert_eq!(
            unread_bytes(&rx).unwrap(),
            0,
            "{family:?}: 0 at the mark, though '123' follows"
        );
        assert_eq!(read(&rx).unwrap(), "123");
    }
}
// ANCHOR_END: fionread_counts_only_up_to_the_mark_on_tcp

// ANCHOR: fionread_on_af_unix_counts_every_byte
#[test]
fn fionread_on_af_unix_counts_every_byte() {
    let (tx, rx) = pair(Family::Unix);
    classic(Family::Unix, &tx, &rx);
    assert_eq!(unread_bytes(&rx).unwrap(), 9, "'123ab', 'c' and '123'");
}
// ANCHOR_END: fionread_on_af_unix_counts_every_byte

// ANCHOR: poll_reports_pollpri_without_pollin_when_only_the_urgent_byte_is_queued
#[test]
fn poll_reports_pollpri_without_pollin_when_only_the_urgent_byte_is_queued() {
    for family in ALL {
        let (tx, rx) = pair(family);
        send_all(family, &tx, &rx, &[(b"Q", true)]);
        let events = poll_now(&rx).unwrap();
        assert!(
            events.contains(PollFlags::POLLPRI),
            "{family:?}: {events:?}"
        );
        if family != Family::Unix {
            assert!(
                !events.contains(PollFlags::POLLIN),
                "{family:?}: {events:?}"
            );
        }
    }
}
// ANCHOR_END: poll_reports_pollpri_without_pollin_when_only_the_urgent_byte_is_queued

// ANCHOR: pollpri_stays_set_while_the_urgent_byte_is_unread
#[test]
fn pollpri_stays_set_while_the_urgent_byte_is_unread() {
    for family in ALL {
        let (tx, rx) = pair(family);
        classic(family, &tx, &rx);
        assert!(poll_now(&rx).unwrap().contains(PollFlags::POLLPRI));
        assert_eq!(read(&rx).unwrap(), "123ab");
        assert!(
            poll_now(&rx).unwrap().contains(PollFlags::POLLPRI),
            "{family:?}: at the mark, byte unread"
        );
    }
}
// ANCHOR_END: pollpri_stays_set_while_the_urgent_byte_is_unread

// ANCHOR: pollpri_clears_as_soon_as_the_urgent_byte_is_read
#[test]
fn pollpri_clears_as_soon_as_the_urgent_byte_is_read() {
    // The facts file and the textbook (a BSD kernel) say the exception
    // condition lasts until the read pointer passes the mark. Linux 6.18
    // clears it when the byte is read with MSG_OOB, before any normal read.
    for family in ALL {
        let (tx, rx) = pair(family);
        classic(family, &tx, &rx);
        assert_eq!(urgent(&rx).unwrap(), 'c');
        assert!(
            !poll_now(&rx).unwrap().contains(PollFlags::POLLPRI),
            "{family:?}"
        );
        assert!(
            !wait_urgent(&rx, Some(Duration::ZERO)).unwrap(),
            "{family:?}"
        );
    }
}
// ANCHOR_END: pollpri_clears_as_soon_as_the_urgent_byte_is_read

// ANCHOR: urgent_data_raises_pollpri_and_never_pollrdband
#[test]
fn urgent_data_raises_pollpri_and_never_pollrdband() {
    // Every read bit poll has, asked at once; the answer at each step.
    let ask = |rx: &Socket| {
        let all =
            PollFlags::POLLIN | PollFlags::POLLRDNORM | PollFlags::POLLRDBAND | PollFlags::POLLPRI;
        let ready = sockref::peer::poll_one(rx.as_fd(), all, Some(Duration::ZERO)).unwrap();
        (
            ready.contains(PollFlags::POLLPRI),
            ready.contains(PollFlags::POLLRDBAND),
        )
    };
    for family in ALL {
        let (tx, rx) = pair(family);
        send_all(family, &tx, &rx, &[(b"Q", true)]);
        assert_eq!(ask(&rx), (true, false), "{family:?}: only 'Q' queued");
        assert_eq!(urgent(&rx).unwrap(), 'Q');

        let (tx, rx) = pair(family);
        classic(family, &tx, &rx);
        assert_eq!(ask(&rx), (true, false), "{family:?}: '123ab' ahead");
        assert_eq!(read(&rx).unwrap(), "123ab");
        assert_eq!(ask(&rx), (true, false), "{family:?}: at the mark");
        assert_eq!(urgent(&rx).unwrap(), 'c');
        assert_eq!(ask(&rx), (false, false), "{family:?}: byte read");
    }
}
// ANCHOR_END: urgent_data_raises_pollpri_and_never_pollrdband

// ANCHOR: af_unix_keeps_reporting_pollin_after_the_urgent_byte_was_read
#[test]
fn af_unix_keeps_reporting_pollin_after_the_urgent_byte_was_read() {
    let (tx, rx) = pair(Family::Unix);
    send_all(Family::Unix, &tx, &rx, &[(b"Q", true)]);
    assert_eq!(urgent(&rx).unwrap(), 'Q');
    assert!(
        poll_now(&rx).unwrap().contains(PollFlags::POLLIN),
        "AF_UNIX says readable"
    );
    assert_eq!(
        read(&rx).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "but there is nothing to read"
    );
    for family in TCP {
        let (tx, rx) = pair(family);
        send_all(family, &tx, &rx, &[(b"Q", true)]);
        assert_eq!(urgent(&rx).unwrap(), 'Q');
        assert!(poll_now(&rx).unwrap().is_empty(), "{family:?}");
    }
}
// ANCHOR_END: af_unix_keeps_reporting_pollin_after_the_urgent_byte_was_read

// ------------------------------------------------------------------ SIGURG

// ANCHOR: sigurg_comes_only_to_a_socket_owner
#[test]
fn sigurg_comes_only_to_a_socket_owner() {
    for family in ALL {
        let signals = ThreadSigurg::new().unwrap();
        let (tx, rx) = pair(family);
        assert_eq!(owner(&rx).unwrap(), 0, "{family:?}: no owner by default");
        send_all(family, &tx, &rx, &[(b"a", true)]);
        // The byte is there (POLLPRI), and no signal came with it.
        assert!(wait_urgent(&rx, Some(LIMIT)).unwrap());
        assert_eq!(signals.take(), 0, "{family:?}: SIGURG without an owner");
        assert_eq!(urgent(&rx).unwrap(), 'a');

        set_owner_thread(&rx).unwrap();
        send_all(family, &tx, &rx, &[(b"b", true)]);
        assert!(signals.wait(LIMIT), "{family:?}: no SIGURG for the owner");
    }
}
// ANCHOR_END: sigurg_comes_only_to_a_socket_owner

// ANCHOR: the_owner_is_not_inherited_by_accept
#[test]
fn the_owner_is_not_inherited_by_accept() {
    for family in TCP {
        let signals = ThreadSigurg::new().unwrap();
        let (tx, rx) = pair_with(family, set_owner_thread);
        assert_eq!(owner(&rx).unwrap(), 0, "{family:?}");
        send_all(family, &tx, &rx, &[(b"a", true)]);
        assert!(wait_urgent(&rx, Some(LIMIT)).unwrap());
        assert_eq!(signals.take(), 0, "{family:?}");
    }
}
// ANCHOR_END: the_owner_is_not_inherited_by_accept

// ANCHOR: standard_signals_do_not_queue_two_urgent_sends_may_raise_one_sigurg
#[test]
fn standard_signals_do_not_queue_two_urgent_sends_may_raise_one_sigurg() {
    for family in ALL {
        let signals = ThreadSigurg::new().unwrap();
        let (tx, rx) = pair(family);
        set_owner_thread(&rx).unwrap();
        send_all(family, &tx, &rx, &[(b"x", true), (b"y", true)]);
        // Both were raised while SIGURG was blocked: one is pending.
        assert_eq!(signals.take(), 1, "{family:?}");
    }
}
// ANCHOR_END: standard_signals_do_not_queue_two_urgent_sends_may_raise_one_sigurg

// ------------------------------------------------------------ flow control

// ANCHOR: urgent_data_obeys_flow_control_announced_before_it_arrives
#[test]
fn urgent_data_obeys_flow_control_announced_before_it_arrives() {
    for family in TCP {
        let signals = ThreadSigurg::new().unwrap();
        let (tx, rx) = pair_with(family, |listener| listener.set_recv_buffer_size(4096));
        set_owner_thread(&rx).unwrap();
        tx.set_send_buffer_size(256 * 1024).unwrap();
        tx.set_nonblocking(true).unwrap();
        let fill = vec![b'x'; 16384];
        let mut sent = 0;
        while sent < fill.len() {
            sent += send_normal(&tx, &fill[sent..]).unwrap();
        }
        send_urgent(&tx, b"a").unwrap();
        // The window is closed; a window probe carries the urgent pointer.
        assert!(
            signals.wait(LIMIT),
            "{family:?}: no SIGURG during the zero window"
        );
        assert!(
            matches!(urgent(&rx), Err(UrgentError::NotYetArrived)),
            "{family:?}"
        );
        assert!(
            !poll_now(&rx).unwrap().contains(PollFlags::POLLPRI),
            "{family:?}: no POLLPRI yet"
        );
        // Draining opens the window; the byte follows the data.
        let mut drained = 0;
        while !sockatmark(&rx).unwrap() {
            sockref::peer::poll_one(rx.as_fd(), PollFlags::POLLIN, Some(LIMIT)).unwrap();
            drained += read(&rx).map(|s| s.len()).unwrap_or(0);
        }
        assert_eq!(drained, 16384, "{family:?}");
        assert!(wait_urgent(&rx, Some(LIMIT)).unwrap(), "{family:?}");
        assert_eq!(urgent(&rx).unwrap(), 'a', "{family:?}");
    }
}
// ANCHOR_END: urgent_data_obeys_flow_control_announced_before_it_arrives

// ----------------------------------------------------- other socket types

// ANCHOR: udp_over_ipv4_rejects_msg_oob_and_ipv6_ignores_it
#[test]
fn udp_over_ipv4_rejects_msg_oob_and_ipv6_ignores_it() {
    let v4 = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    v4.connect(v4.local_addr().unwrap()).unwrap();
    let err = send_urgent(&v4, b"!").unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EOPNOTSUPP));

    let v6 = std::net::UdpSocket::bind("[::1]:0").unwrap();
    v6.connect(v6.local_addr().unwrap()).unwrap();
    assert_eq!(
        send_urgent(&v6, b"!").unwrap(),
        1,
        "the flag is silently ignored"
    );
    // And a datagram socket reads the datagram whatever MSG_OOB says.
    let mut buf = [0u8; 4];
    let n = recv_normal(&v6, &mut buf, MsgFlags::MSG_OOB).unwrap();
    assert_eq!(&buf[..n], b"!");
}
// ANCHOR_END: udp_over_ipv4_rejects_msg_oob_and_ipv6_ignores_it

// ANCHOR: af_unix_datagram_and_seqpacket_reject_msg_oob
#[test]
fn af_unix_datagram_and_seqpacket_reject_msg_oob() {
    for ty in [socket2::Type::DGRAM, socket2::Type::SEQPACKET] {
        let (a, _b) = Socket::pair(socket2::Domain::UNIX, ty, None).unwrap();
        assert_eq!(
            send_urgent(&a, b"!").unwrap_err().raw_os_error(),
            Some(libc::EOPNOTSUPP),
            "{ty:?}"
        );
    }
}
// ANCHOR_END: af_unix_datagram_and_seqpacket_reject_msg_oob

// ANCHOR: af_unix_stream_rejects_an_empty_urgent_send
#[test]
fn af_unix_stream_rejects_an_empty_urgent_send() {
    assert!(
        oob::unix_supports_oob(),
        "this kernel lacks CONFIG_AF_UNIX_OOB"
    );
    let (tx, _rx) = pair(Family::Unix);
    assert_eq!(
        send_urgent(&tx, b"").unwrap_err().raw_os_error(),
        Some(libc::EOPNOTSUPP)
    );
    for family in TCP {
        let (tx, _rx) = pair(family);
        assert_eq!(
            send_urgent(&tx, b"").unwrap(),
            0,
            "{family:?}: TCP accepts it"
        );
    }
}
// ANCHOR_END: af_unix_stream_rejects_an_empty_urgent_send
