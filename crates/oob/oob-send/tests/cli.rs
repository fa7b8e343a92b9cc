//! The oob-send program: its self-demo, its scenarios, and bad input.

use sockref::testing::{assert_runtime_error, assert_usage_error, run_program, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_oob-send");

#[test]
fn the_self_demo_prints_the_classic_transcript() {
    let out = stdout_of(BIN, &[]);
    let received: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("[recv] "))
        .collect();
    assert_eq!(
        received,
        [
            "got 5 bytes of normal data '123ab'",
            "got 1 bytes of oob data 'c'",
            "got 3 bytes of normal data '123'",
            "received EOF"
        ]
    );
    assert!(
        out.lines()
            .next()
            .unwrap()
            .starts_with("self-demo: scenario classic, strategy plain, over TCP on 127.0.0.1:")
    );
}

#[test]
fn every_scenario_and_family_demonstrates_itself_and_ends() {
    for scenario in ["classic", "paced", "mark", "two-urgent", "flow-control"] {
        for family in ["ipv4", "ipv6", "unix"] {
            let out = stdout_of(BIN, &["--scenario", scenario, "--family", family]);
            assert!(
                out.ends_with("[recv] received EOF\n"),
                "{scenario} {family}:\n{out}"
            );
            assert!(
                out.contains("[send] closed the connection"),
                "{scenario} {family}:\n{out}"
            );
        }
    }
}

#[test]
fn a_port_where_nothing_listens_is_a_runtime_error() {
    let port = sockref::peer::closed_port().unwrap().port().to_string();
    let line = assert_runtime_error(BIN, &["127.0.0.1", &port]);
    assert_eq!(
        line,
        format!("error: connect to 127.0.0.1:{port}: Connection refused (os error 111)")
    );
}

#[test]
fn bad_input_is_a_usage_error() {
    let cases: [&[&str]; 8] = [
        &["--scenario", "loud"],
        &["--frob"],
        &["127.0.0.1"],
        &["127.0.0.1", "0"],
        &["localhost", "80"],
        &["--paced"],
        &["127.0.0.1", "80", "--family", "unix"],
        &["--scenario"],
    ];
    for args in cases {
        assert_usage_error(BIN, args);
    }
}

#[test]
fn help_prints_the_usage_and_succeeds() {
    let out = run_program(BIN, &["--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("usage: oob-send"));
}
