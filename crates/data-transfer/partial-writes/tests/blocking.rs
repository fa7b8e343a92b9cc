//! APUE 16.5: on a byte-stream socket, a blocking `send` does not return
//! until it has taken everything it was given, however much more that is
//! than the socket buffers hold. Proven with one `send` of 4 MiB on a TCP
//! connection whose buffers hold a few hundred KiB, a sender thread and a
//! reader: no sleep decides anything. The test waits (bounded) until the
//! kernel shows the sender thread asleep inside `sendto`, reads the
//! connection's counters (TCP_INFO) at that moment, then drains.

use std::os::fd::{AsFd, AsRawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use nix::sys::socket::{MsgFlags, recv, send};
use sockref::peer::{Family, connected_pair};
use sockref::testing::{asleep_in, wait_for};

/// Where the kernel put thread `tid` to sleep, for the failure messages.
fn wchan(tid: i32) -> String {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/wchan")).unwrap_or_default()
}

// ANCHOR: blocking_send
#[test]
fn a_blocking_send_returns_only_when_it_has_taken_everything() {
    const TOTAL: usize = 4 << 20;
    let (tx, rx) = connected_pair(Family::Ipv4, |listener| {
        listener.set_recv_buffer_size(64 << 10)
    })
    .unwrap();
    tx.set_send_buffer_size(64 << 10).unwrap();
    // What both buffers can hold, as the kernel counts it (it doubles the
    // sizes set): far less than one send asks for.
    let capacity = tx.send_buffer_size().unwrap() + rx.recv_buffer_size().unwrap();
    assert!(capacity < TOTAL / 8, "buffers of {capacity} bytes");

    const CHUNK: usize = 64 << 10;
    let returned = Arc::new(AtomicBool::new(false));
    let read_so_far = Arc::new(AtomicUsize::new(0));
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let sender = std::thread::spawn({
        let (returned, read_so_far) = (Arc::clone(&returned), Arc::clone(&read_so_far));
        move || {
            tid_tx.send(nix::unistd::gettid().as_raw()).unwrap();
            let n = send(tx.as_raw_fd(), &vec![b's'; TOTAL], MsgFlags::empty());
            returned.store(true, Ordering::SeqCst);
            // What the reader had read by then (it counts after each recv,
            // so this may lag by the one recv in progress).
            (n, read_so_far.load(Ordering::SeqCst))
        }
    });
    let tid = tid_rx.recv().unwrap();

    // 1. Nobody reads: the sender sleeps inside sendto, the call not
    //    returned, with only part of the data taken.
    wait_for("the sender asleep in sendto", || {
        asleep_in(tid, libc::SYS_sendto)
    });
    let slept_in = wchan(tid);
    let arrived = sockref::ffi::tcp_info(rx.as_fd())
        .unwrap()
        .tcpi_bytes_received as usize;
    assert!(
        !returned.load(Ordering::SeqCst),
        "send returned a partial count"
    );
    assert!(arrived > 0 && arrived < TOTAL, "{arrived} bytes arrived");

    // 2. The reader drains. The send returns once the last byte is in the
    //    kernel's hands: when the reader first sees it returned, what is
    //    left to read fits in the buffers.
    let mut buf = vec![0u8; CHUNK];
    let (mut read, mut unread_when_returned) = (0, None);
    while read < TOTAL {
        let n = recv(rx.as_raw_fd(), &mut buf, MsgFlags::empty()).unwrap();
        assert!(n > 0, "end of file after {read} bytes");
        read += n;
        read_so_far.store(read, Ordering::SeqCst);
        if unread_when_returned.is_none() && returned.load(Ordering::SeqCst) {
            unread_when_returned = Some(TOTAL - read);
        }
    }
    let (sent, read_at_return) = sender.join().unwrap();
    assert_eq!(sent, Ok(TOTAL), "one call, the full count");
    let unread = unread_when_returned.unwrap_or(0);
    assert!(unread <= capacity, "returned with {unread} bytes unread");
    assert!(
        read_at_return + capacity + CHUNK >= TOTAL,
        "returned when the reader had read only {read_at_return} bytes"
    );
    eprintln!(
        "the sender slept in {} with {arrived} of {TOTAL} bytes arrived; it returned \
         {TOTAL} once the reader had read {read_at_return} (buffers: {capacity})",
        slept_in.trim()
    );
}
// ANCHOR_END: blocking_send
