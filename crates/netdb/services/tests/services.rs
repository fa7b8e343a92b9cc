//! The services program: ports printed with ntohs, and its errors.

use sockref::testing::{assert_runtime_error, assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_services");

#[test]
fn the_program_prints_the_port_both_ways() {
    let out = stdout_of(BIN, &["tcpmux"]);
    assert!(out.contains("port number: 1 (s_port as stored: "), "{out}");
}

#[test]
fn an_unknown_service_is_a_runtime_error() {
    let line = assert_runtime_error(BIN, &["no-such-service"]);
    assert_eq!(
        line,
        "error: getservbyname(\"no-such-service\", any protocol): no such service"
    );
}

#[test]
fn a_name_and_a_port_together_are_a_usage_error() {
    assert_usage_error(BIN, &["http", "--port", "80"]);
}
