//! A SIGURG handler installed without SA_RESTART makes a blocked `recv`
//! fail with EINTR. In a test binary of its own: the handler is process-wide.

use std::time::{Duration, Instant};

use nix::sys::socket::MsgFlags;
use oob::sigurg::{Notice, SigurgHandler};
use oob::{recv_normal, send_urgent, set_owner_thread};
use sockref::peer::{Family, connected_pair};

/// Waits until thread `tid` of this process sleeps in the system call `nr`,
/// as /proc shows it: the kernel's own word that the call has begun.
fn wait_until_blocked_in(tid: i32, nr: i64) {
    let path = format!("/proc/self/task/{tid}/syscall");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<i64>().ok())
            == Some(nr)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "thread {tid} never blocked in syscall {nr}: {text}"
        );
        std::thread::yield_now();
    }
}

// ANCHOR: sigurg_without_sa_restart_interrupts_a_blocked_recv_with_eintr
#[test]
fn sigurg_without_sa_restart_interrupts_a_blocked_recv_with_eintr() {
    for family in Family::ALL {
        let (tx, rx) = connected_pair(family, |_| Ok(())).unwrap();
        // A bound on the blocked read, should the signal never come.
        rx.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        set_owner_thread(&rx).unwrap();
        let handler = SigurgHandler::install(&rx, true).unwrap();

        let me = nix::unistd::gettid().as_raw();
        let sender = std::thread::spawn(move || {
            wait_until_blocked_in(me, libc::SYS_recvfrom);
            send_urgent(&tx, b"!").unwrap();
            tx
        });
        let mut buf = [0u8; 16];
        let err = recv_normal(&rx, &mut buf, MsgFlags::empty()).unwrap_err();
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::Interrupted,
            "{family:?}: {err}"
        );
        let notices = handler.take();
        assert!(
            matches!(notices.as_slice(), [Notice::Byte(b'!')]),
            "{family:?}: {notices:?}"
        );
        drop(sender.join().unwrap());
    }
}
// ANCHOR_END: sigurg_without_sa_restart_interrupts_a_blocked_recv_with_eintr
