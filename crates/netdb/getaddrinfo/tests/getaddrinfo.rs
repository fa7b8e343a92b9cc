//! The getaddrinfo program against glibc: results, EAI errors and usage errors.

use sockref::testing::{assert_runtime_error, assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_getaddrinfo");

/// Two results (stream and datagram) for each address /etc/hosts gives
/// localhost: 2 where it lists 127.0.0.1 alone, 4 where it has a ::1
/// line too (the IPv6 pair first). The canonical name is on the first.
#[test]
fn the_program_prints_what_glibc_says() {
    let addresses = netdb::etc_hosts_addresses("localhost").len();
    let out = stdout_of(BIN, &["localhost", "nfs", "--canonname"]);
    let head = format!(
        "getaddrinfo(\"localhost\", \"nfs\", AI_CANONNAME): {} result(s)\n",
        2 * addresses
    );
    assert!(out.starts_with(&head), "{out}");
    assert_eq!(out.matches("  port 2049").count(), 2 * addresses, "{out}");
    assert_eq!(out.matches("SOCK_DGRAM").count(), addresses, "{out}");
    assert_eq!(out.matches("canonname localhost").count(), 1, "{out}");
    assert!(out.contains("address 127.0.0.1  port 2049"), "{out}");
}

#[test]
fn lookup_failures_name_the_eai_code_and_glibcs_text() {
    let line = assert_runtime_error(BIN, &["localhost", "no-such-service"]);
    assert_eq!(
        line,
        "error: getaddrinfo(\"localhost\", \"no-such-service\", 0): EAI_SERVICE (Servname not supported for ai_socktype)"
    );
    let line = assert_runtime_error(BIN, &["not.numeric", "80", "--numeric-host"]);
    assert!(line.contains("EAI_NONAME"), "{line}");
}

#[test]
fn bad_flags_are_usage_errors() {
    assert_usage_error(BIN, &["--frob"]);
    assert_usage_error(BIN, &["localhost", "--socktype", "carrier-pigeon"]);
    assert_usage_error(BIN, &["-", "-"]);
}

/// glibc keeps the low 16 bits of a numeric service (65536 would be port
/// 0, 99999999999 port 59391): such a service is refused before the call.
#[test]
fn a_numeric_service_beyond_a_port_is_a_usage_error() {
    for service in ["65536", "99999999999", "99999999999999999999999"] {
        let line = sockref::testing::assert_usage_error(BIN, &["127.0.0.1", service]);
        assert_eq!(
            line,
            format!("error: '{service}' is not a port number (0 to 65535)")
        );
    }
    let line = sockref::testing::assert_usage_error(BIN, &["-"]);
    assert_eq!(line, "error: HOST and SERVICE cannot both be NULL");
}

/// No default run may query DNS: the default lookup is of a name
/// /etc/hosts answers, so no note is printed; and a numeric-only lookup of
/// a name fails at once, without a note and without a query.
#[test]
fn default_runs_stay_local_and_numeric_lookups_never_query() {
    if netdb::in_etc_hosts("localhost") {
        let out = sockref::testing::run_program(BIN, &[]);
        assert!(out.status.success());
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let line = assert_runtime_error(BIN, &["example.invalid", "--numeric-host"]);
    assert!(line.contains("EAI_NONAME"), "{line}");
    let out = sockref::testing::run_program(BIN, &["example.invalid", "--numeric-host"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("note:"));
}
