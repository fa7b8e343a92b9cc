//! Partial writes: a non-blocking send takes what fits, and the loop finishes.

use sockref::testing::{assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_partial-writes");

fn lines() -> Vec<String> {
    stdout_of(BIN, &[]).lines().map(str::to_string).collect()
}

#[test]
fn a_non_blocking_send_takes_what_fits() {
    let out = lines();
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
fn arguments_are_usage_errors() {
    assert_usage_error(BIN, &["extra"]);
}
