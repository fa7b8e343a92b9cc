//! The data-transfer programs' claims, checked line by line, and the rule
//! behind MSG_CTRUNC: a passed descriptor that finds no room is closed.

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::AsRawFd;

use nix::sys::socket::{ControlMessage, MsgFlags, recvmsg, sendmsg};
use socket2::{Domain, Socket, Type};
use sockref::testing::{assert_usage_error, stdout_of};

fn lines(bin: &str) -> Vec<String> {
    stdout_of(bin, &[]).lines().map(str::to_string).collect()
}

#[test]
fn the_recv_flags() {
    let out = lines(env!("CARGO_BIN_EXE_flags"));
    assert_eq!(
        out,
        [
            "MSG_DONTWAIT on an empty socket: Resource temporarily unavailable (os error 11)",
            "MSG_PEEK: 5 bytes 'hello'",
            "then a plain recv: 5 bytes 'hello'",
            "MSG_WAITALL for 10 bytes, 5 sent, then shutdown: 5 bytes 'world'",
            "recv after the peer's shutdown: 0 bytes '', and again: 0 bytes ''",
            "UDP, a 3-byte buffer for a 5-byte datagram: 3 bytes 'hel'",
            "the same with MSG_TRUNC: recv returns the datagram's length: 5 bytes 'hel'",
        ]
    );
}

#[test]
fn connected_datagram_sockets_hear_of_closed_ports() {
    let out = lines(env!("CARGO_BIN_EXE_datagrams"));
    assert!(
        out[1].starts_with("server: recvfrom got 4 bytes 'ping' from 127.0.0.1:"),
        "{out:?}"
    );
    assert_eq!(
        out[3],
        "unconnected: sendto a closed port succeeded; recvfrom: Resource temporarily unavailable (os error 11)"
    );
    assert_eq!(
        out[4],
        "connected: send to a closed port succeeded; the next recv: Connection refused (os error 111)"
    );
}

#[test]
fn a_non_blocking_send_takes_what_fits() {
    let out = lines(env!("CARGO_BIN_EXE_partial-writes"));
    assert_eq!(
        out,
        [
            "send of 4194304 bytes on a non-blocking socket: a partial count, less than asked",
            "send again at once: Resource temporarily unavailable (os error 11)",
            "the loop sent all 4194304 bytes; the receiver got 4194304",
        ]
    );
}

#[test]
fn sendmsg_and_recvmsg() {
    let out = lines(env!("CARGO_BIN_EXE_msg"));
    assert_eq!(
        out[1],
        "recvmsg scattered 14 bytes into buffers of 7 and 20: 'head|bo' and 'dy|tail'"
    );
    assert_eq!(
        out[2],
        "SCM_RIGHTS: a pipe's read end came over the socket; reading it gives 'written before the descriptor was passed'"
    );
    assert!(out[3].contains("MSG_CTRUNC set"), "{out:?}");
}

#[test]
fn a_descriptor_without_room_is_closed_by_the_kernel() {
    let (a, b) = Socket::pair(Domain::UNIX, Type::STREAM, None).unwrap();
    let (read_end, write_end) = nix::unistd::pipe().unwrap();
    let fds = [read_end.as_raw_fd()];
    sendmsg::<()>(
        a.as_raw_fd(),
        &[IoSlice::new(b"!")],
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::empty(),
        None,
    )
    .unwrap();
    drop(read_end); // only the copy in flight remains
    let mut byte = [0u8; 1];
    let mut iov = [IoSliceMut::new(&mut byte)];
    let msg = recvmsg::<()>(b.as_raw_fd(), &mut iov, None, MsgFlags::empty()).unwrap();
    assert!(msg.flags.contains(MsgFlags::MSG_CTRUNC));
    // No read end is left anywhere: writing to the pipe fails with EPIPE.
    // (Rust ignores SIGPIPE, so the write returns the error.)
    assert_eq!(
        nix::unistd::write(&write_end, b"x"),
        Err(nix::errno::Errno::EPIPE)
    );
}

#[test]
fn arguments_are_usage_errors() {
    for bin in [
        env!("CARGO_BIN_EXE_flags"),
        env!("CARGO_BIN_EXE_datagrams"),
        env!("CARGO_BIN_EXE_partial-writes"),
        env!("CARGO_BIN_EXE_msg"),
    ] {
        assert_usage_error(bin, &["extra"]);
    }
}
