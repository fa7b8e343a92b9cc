//! ruptime-dg: a reply comes back from the server that answers, and the
//! alarm ends the wait on the one that never does.

use std::time::{Duration, Instant};

use sockref::testing::{assert_usage_error, run_program};

const BIN: &str = env!("CARGO_BIN_EXE_ruptime-dg");

#[test]
fn the_alarm_ends_the_wait_for_a_reply_that_never_comes() {
    let started = Instant::now();
    let run = run_program(BIN, &[]);
    let took = started.elapsed();
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(
        lines[1].contains(": recvfrom got 'ruptime' from 127.0.0.1:"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("client: alarm(1), recvfrom: 'up "),
        "{out}"
    );
    assert_eq!(
        lines[4],
        "client: alarm(1), recvfrom: Interrupted system call (os error 4): no reply within 1 s"
    );
    assert!(
        lines[5].ends_with(": the request was there, unread: 7 bytes 'ruptime'"),
        "{out}"
    );
    // The wait that ended in EINTR lasted the alarm's second: it was the
    // alarm that ended it, not an error that came back.
    assert!(took >= Duration::from_secs(1), "took {took:?}");
}

#[test]
fn arguments_are_usage_errors() {
    assert_usage_error(BIN, &["extra"]);
    assert_usage_error(BIN, &["--frob"]);
}
