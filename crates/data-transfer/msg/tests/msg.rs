//! sendmsg and recvmsg as the program shows them, and the rule behind
//! MSG_CTRUNC: a passed descriptor that finds no room is closed.

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::AsRawFd;

use nix::sys::socket::{ControlMessage, MsgFlags, recvmsg, sendmsg};
use socket2::{Domain, Socket, Type};
use sockref::testing::{assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_msg");

fn lines() -> Vec<String> {
    stdout_of(BIN, &[]).lines().map(str::to_string).collect()
}

#[test]
fn sendmsg_and_recvmsg() {
    let out = lines();
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
    assert_usage_error(BIN, &["extra"]);
}
