//! hb-server: the self-demo's transcript follows the counter, the same on
//! every run; bad input is a usage error.

use sockref::testing::{assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_hb-server");

fn masked(text: &str) -> String {
    text.lines()
        .map(|l| {
            l.split_whitespace()
                .map(|w| if w.contains("127.0.0.1:") { "ADDR" } else { w })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .map(|l| l.replace(char::is_numeric, "#"))
        .collect::<Vec<_>>()
        .join("\n")
}

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
