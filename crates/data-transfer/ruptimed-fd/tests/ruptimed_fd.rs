//! ruptimed-fd: the command the child execs writes on the accepted socket,
//! which dup2 made its standard output and standard error.

use sockref::testing::{assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_ruptimed-fd");

#[test]
fn the_childs_standard_output_and_error_are_the_socket() {
    let out = stdout_of(BIN, &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 8, "{out}");
    assert!(
        lines[0].starts_with("server: listening on 127.0.0.1:"),
        "{out}"
    );
    let client = lines[1]
        .strip_prefix("client ")
        .and_then(|l| l.strip_suffix(": connected"))
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        lines[2],
        format!("server: accepted {client}; a child runs /usr/bin/stat on the socket")
    );
    assert!(lines[3].starts_with("server: child pid "), "{out}");
    assert!(lines[3].ends_with(" exited with status 0"), "{out}");
    // What the command found its standard streams to be, as the client read it.
    assert_eq!(
        lines[4..],
        [
            "client: /dev/stdin is a character special file",
            "client: /dev/stdout is a socket",
            "client: /dev/stderr is a socket",
            "client: end of file, 87 bytes in all",
        ]
    );
}

#[test]
fn arguments_are_usage_errors() {
    assert_usage_error(BIN, &["extra"]);
    assert_usage_error(BIN, &["--frob"]);
}
