//! Section "Data transfer" (APUE 16.5; descriptor passing, APUE 17.4):
//! `sendmsg` and `recvmsg`.
//!
//! Scatter/gather: several buffers (iovecs) go out as one message and come
//! back split differently. Ancillary data: SCM_RIGHTS passes an open file
//! descriptor over an AF_UNIX socket, and a control buffer too small for it
//! comes back with MSG_CTRUNC.

use sockref::outln;
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::process::ExitCode;

use nix::sys::socket::{ControlMessage, ControlMessageOwned, MsgFlags, recvmsg, sendmsg};
use socket2::{Domain, Socket, Type};
use sockref::{Context, Error};

const USAGE: &str = "msg";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        sockref::cli::no_arguments()?;
        scatter_gather()?;
        pass_a_descriptor()?;
        control_truncated()
    })
}

fn pair() -> Result<(Socket, Socket), Error> {
    Socket::pair(Domain::UNIX, Type::STREAM, None).context("socketpair(AF_UNIX, SOCK_STREAM)")
}

fn nix_err(call: &str) -> impl FnOnce(nix::errno::Errno) -> Error + '_ {
    move |e| Error::runtime(format!("{call}: {}", std::io::Error::from(e)))
}

fn scatter_gather() -> Result<(), Error> {
    // exercise: msg/scatter
    let (a, b) = pair()?;
    let out = [
        IoSlice::new(b"head|"),
        IoSlice::new(b"body|"),
        IoSlice::new(b"tail"),
    ];
    let n = sendmsg::<()>(a.as_raw_fd(), &out, &[], MsgFlags::empty(), None)
        .map_err(nix_err("sendmsg"))?;
    outln!("sendmsg gathered 3 buffers (5, 5, 4 bytes) into one message of {n} bytes")?;
    let (mut first, mut second) = ([0u8; 7], [0u8; 20]);
    let mut into = [IoSliceMut::new(&mut first), IoSliceMut::new(&mut second)];
    let got = recvmsg::<()>(b.as_raw_fd(), &mut into, None, MsgFlags::empty())
        .map_err(nix_err("recvmsg"))?
        .bytes;
    let rest = got.saturating_sub(first.len());
    outln!(
        "recvmsg scattered {got} bytes into buffers of 7 and 20: '{}' and '{}'",
        String::from_utf8_lossy(&first),
        String::from_utf8_lossy(&second[..rest])
    )?;
    Ok(())
    // end exercise
}

// ANCHOR: rights
/// `sendmsg` of one byte with `fd` attached as SCM_RIGHTS.
fn send_descriptor(sock: &Socket, fd: BorrowedFd<'_>) -> Result<(), Error> {
    let fds = [fd.as_raw_fd()];
    let rights = [ControlMessage::ScmRights(&fds)];
    sendmsg::<()>(
        sock.as_raw_fd(),
        &[IoSlice::new(b"!")],
        &rights,
        MsgFlags::empty(),
        None,
    )
    .map_err(nix_err("sendmsg(SCM_RIGHTS)"))?;
    Ok(())
}

fn pass_a_descriptor() -> Result<(), Error> {
    let (a, b) = pair()?;
    let (pipe_read, pipe_write) = nix::unistd::pipe().map_err(nix_err("pipe"))?;
    nix::unistd::write(&pipe_write, b"written before the descriptor was passed")
        .map_err(nix_err("write"))?;
    drop(pipe_write);
    send_descriptor(&a, pipe_read.as_fd())?;
    drop(pipe_read); // the receiver holds its own copy now
    let mut byte = [0u8; 1];
    let mut iov = [IoSliceMut::new(&mut byte)];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let msg = recvmsg::<()>(b.as_raw_fd(), &mut iov, Some(&mut space), MsgFlags::empty())
        .map_err(nix_err("recvmsg"))?;
    let mut received = None;
    for cmsg in msg.cmsgs().map_err(nix_err("recvmsg"))? {
        if let ControlMessageOwned::ScmRights(fds) = cmsg {
            received = fds.first().copied();
        }
    }
    let Some(raw) = received else {
        return Err(Error::runtime("recvmsg: no descriptor came"));
    };
    let fd = owned(raw);
    let mut text = [0u8; 100];
    let n = nix::unistd::read(&fd, &mut text).map_err(nix_err("read"))?;
    outln!(
        "SCM_RIGHTS: a pipe's read end came over the socket; reading it gives '{}'",
        String::from_utf8_lossy(&text[..n])
    )?;
    Ok(())
}
// ANCHOR_END: rights

/// A descriptor the kernel gave this process through SCM_RIGHTS.
fn owned(raw: std::os::fd::RawFd) -> OwnedFd {
    // SAFETY: recvmsg installed `raw` in this process's descriptor table for
    // this message alone; nothing else owns it, so it is ours to close.
    unsafe { OwnedFd::from_raw_fd(raw) }
}

fn control_truncated() -> Result<(), Error> {
    let (a, b) = pair()?;
    let (pipe_read, _pipe_write) = nix::unistd::pipe().map_err(nix_err("pipe"))?;
    send_descriptor(&a, pipe_read.as_fd())?;
    let mut byte = [0u8; 1];
    let mut iov = [IoSliceMut::new(&mut byte)];
    let msg = recvmsg::<()>(b.as_raw_fd(), &mut iov, None, MsgFlags::empty())
        .map_err(nix_err("recvmsg"))?;
    outln!(
        "no room for control data: recvmsg got {} byte(s), MSG_CTRUNC {}, and no descriptor (the kernel closed it)",
        msg.bytes,
        if msg.flags.contains(MsgFlags::MSG_CTRUNC) {
            "set"
        } else {
            "not set"
        }
    )?;
    Ok(())
}
