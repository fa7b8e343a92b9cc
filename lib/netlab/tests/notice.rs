//! Urgent notice ahead of the data on a shaped link (UNP 24.2): SIGURG
//! comes long before the urgent byte, and `recv(MSG_OOB)` says EAGAIN in
//! between.

use std::time::Duration;

use netlab::notice::{self, Case};

#[test]
fn sigurg_comes_before_the_urgent_byte_at_10_mbit_with_64_kib_queued() {
    if let Err(why) = netlab::Lab::permitted() {
        eprintln!("skip: {why}");
        return;
    }
    let case = Case {
        rate_bits: 10_000_000,
        backlog: 64 * 1024,
        reads: true,
        limit: Duration::from_secs(10),
        sndbuf: None,
    };
    let r = notice::run(case).expect("the lab case runs");
    eprintln!("{r:?}");
    let (sigurg, urgent, marker) = (
        r.sigurg.expect("SIGURG came"),
        r.urgent.expect("the urgent byte came"),
        r.marker.expect("the backlog was read"),
    );
    assert!(sigurg < urgent, "{r:?}");
    assert!(r.read_by_sigurg < case.backlog, "{r:?}");
    assert!(r.eagain > 0, "recv(MSG_OOB) never said EAGAIN: {r:?}");
    // POLLPRI waits for the byte itself, not for the pointer.
    let pollpri = r.pollpri.expect("POLLPRI fired");
    assert!(pollpri >= sigurg, "{r:?}");
    // 64 KiB at 10 Mbit/s is at least 52 ms on the wire; the byte follows it.
    assert!(urgent + Duration::from_millis(5) >= marker, "{r:?}");
}
