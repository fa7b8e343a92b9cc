//! The rule behind MSG_CTRUNC: a passed descriptor that finds no room is
//! closed by the kernel.
//!
//! A test binary of its own, with this one test: it proves the close by
//! writing into a pipe whose last read end should be gone, and a child
//! forked by a sibling test at that moment would hold a copy of the read
//! end until its exec (O_CLOEXEC narrows the window, it cannot shut it).

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::AsRawFd;

use nix::sys::socket::{ControlMessage, MsgFlags, recvmsg, sendmsg};
use socket2::{Domain, Socket, Type};

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
