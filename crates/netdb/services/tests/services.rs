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

/// Rule 1 of sockref::cli, which no parity case can carry (the registry's
/// arguments are UTF-8): an argument that is not UTF-8 is the same usage
/// error in Rust and in C.
#[test]
fn an_argument_that_is_not_utf8_is_the_same_usage_error_in_both() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let twin = sockref::testing::c_twin(
        "crates/netdb/services/c/services.c",
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
    );
    let run = |program: &std::path::Path, arg: &[u8]| {
        let mut command = std::process::Command::new(program);
        command.arg(OsStr::from_bytes(arg));
        sockref::testing::run_bounded(command, sockref::testing::RUN_LIMIT)
            .unwrap()
            .output
    };
    for (arg, shown) in [
        (&b"caf\xe9"[..], "caf\\xE9"),
        (b"\xff", "\\xFF"),
        (b"\xe2\x82x", "\\xE2\\x82x"),
        (b"n\xc3\xa9\x80", "né\\x80"),
    ] {
        let rust = run(std::path::Path::new(env!("CARGO_BIN_EXE_services")), arg);
        let c = run(&twin, arg);
        assert_eq!(rust.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&rust.stderr).into_owned();
        assert_eq!(
            stderr.lines().next(),
            Some(format!("error: argument '{shown}' is not valid UTF-8").as_str())
        );
        assert_eq!(
            (rust.status.code(), rust.stderr),
            (c.status.code(), c.stderr),
            "{shown}"
        );
    }
}

#[test]
fn a_listing_that_matches_nothing_says_no_entry() {
    for (args, line) in [
        (
            &["--proto", ""][..],
            "error: getservent: no entry with protocol ''",
        ),
        (&["--port", "0"], "error: getservent: no entry with port 0"),
        (
            &["--port", "80", "--proto", "no-such-proto"],
            "error: getservent: no entry with port 80 and protocol 'no-such-proto'",
        ),
    ] {
        assert_eq!(assert_runtime_error(BIN, args), line);
    }
}
