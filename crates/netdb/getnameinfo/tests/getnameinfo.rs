//! The getnameinfo program against glibc, and its usage errors.

use sockref::testing::{assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_getnameinfo");

#[test]
fn the_program_prints_what_glibc_says() {
    let out = stdout_of(BIN, &["127.0.0.1", "80"]);
    assert_eq!(
        out,
        "getnameinfo(127.0.0.1:80, 0):\nhost: localhost\nservice: http\n"
    );
}

#[test]
fn bad_flags_and_malformed_addresses_are_usage_errors() {
    assert_usage_error(BIN, &["127.0.0.300", "80"]);
    assert_usage_error(BIN, &["127.0.0.1"]);
    assert_usage_error(BIN, &["127.0.0.1", "80", "--name-optional"]);
}
