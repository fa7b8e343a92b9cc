//! Why the client installs its SIGALRM handler without SA_RESTART: with it,
//! a `recvfrom` interrupted by the signal is restarted by the kernel and
//! goes on waiting, so the alarm would never end the wait.
//!
//! A test binary of its own, with one test: it installs SIGALRM handlers
//! for the whole process. The signal goes to the waiting thread alone
//! (pthread_kill), sent once the kernel shows that thread asleep inside
//! recvfrom; no sleep decides anything.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use nix::sys::pthread::{pthread_kill, pthread_self};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use sockref::testing::{asleep_in, wait_for};

static CAUGHT: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count(_: std::ffi::c_int) {
    CAUGHT.fetch_add(1, Ordering::SeqCst);
}

/// A blocking recvfrom, SIGALRM sent to it while it waits, with the
/// handler installed with `flags`. If the call goes back to sleep after
/// the handler ran, a datagram wakes it. Returns what recv returned.
fn recvfrom_hit_by_sigalrm(flags: SaFlags) -> std::io::Result<usize> {
    let action = SigAction::new(SigHandler::Handler(count), flags, SigSet::empty());
    // SAFETY: the handler only increments an atomic counter, which is
    // async-signal-safe; nothing else in this binary handles SIGALRM.
    unsafe { sigaction(Signal::SIGALRM, &action) }.unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    let (me, tid) = (pthread_self(), nix::unistd::gettid().as_raw());
    let caught_before = CAUGHT.load(Ordering::SeqCst);
    let returned = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            wait_for("recvfrom asleep", || asleep_in(tid, libc::SYS_recvfrom));
            pthread_kill(me, Signal::SIGALRM).unwrap();
            wait_for("the handler", || {
                CAUGHT.load(Ordering::SeqCst) > caught_before
            });
            wait_for("recvfrom back asleep, or returned", || {
                returned.load(Ordering::SeqCst) || asleep_in(tid, libc::SYS_recvfrom)
            });
            if !returned.load(Ordering::SeqCst) {
                let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
                tx.send_to(b"late", addr).unwrap();
            }
        });
        let mut buf = [0u8; 16];
        let got = sock.recv(&mut buf);
        returned.store(true, Ordering::SeqCst);
        got
    })
}

#[test]
fn sigalrm_interrupts_recvfrom_unless_the_handler_has_sa_restart() {
    let err = recvfrom_hit_by_sigalrm(SaFlags::empty()).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINTR), "{err}");
    let got = recvfrom_hit_by_sigalrm(SaFlags::SA_RESTART);
    assert_eq!(
        got.unwrap(),
        4,
        "restarted, the call waited for the datagram"
    );
}
