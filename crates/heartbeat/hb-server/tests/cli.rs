//! hb-server: the self-demo's transcript follows the counter, the same on
//! every run; bad input is a usage error.

use sockref::testing::{assert_usage_error, masked, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_hb-server");

#[test]
fn the_self_demo_detects_a_stopped_peer_and_its_recovery_the_same_way_every_run() {
    let first = stdout_of(BIN, &[]);
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("SIGSTOP")).count(),
        2,
        "{first}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("is back: counter reset to 0")),
        "{first}"
    );
    assert!(
        lines[lines.len() - 2].ends_with("(3 of 3): the client is dead"),
        "{first}"
    );
    for _ in 0..2 {
        assert_eq!(masked(&stdout_of(BIN, &[])), masked(&first));
    }
}

#[test]
fn bad_input_is_a_usage_error() {
    for args in [
        &["--nsec", "x"][..],
        &["--nsec", "0"],
        &["--nprobes", "0"],
        &["--frob"],
        &["a", "b", "c"],
        &["--nprobes", "1"],
    ] {
        assert_usage_error(BIN, args);
    }
}

#[test]
fn a_non_utf8_argument_is_the_same_usage_error_in_rust_and_c() {
    use std::os::unix::ffi::OsStrExt;
    let twin = sockref::testing::c_twin(
        "crates/heartbeat/hb-server/c/hb-server.c",
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
    );
    let arg = std::ffi::OsStr::from_bytes(b"caf\xE9");
    let run = |bin: &std::path::Path| {
        let out = std::process::Command::new(bin).arg(arg).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let rust = run(std::path::Path::new(BIN));
    assert_eq!(rust.0, Some(2));
    assert!(
        rust.1
            .starts_with("error: argument 'caf\\xE9' is not valid UTF-8\n"),
        "{}",
        rust.1
    );
    assert_eq!(run(&twin), rust);
}
