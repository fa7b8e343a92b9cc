//! The oob-send program: its self-demo, its scenarios, `--paced`, and bad
//! input.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sockref::testing::{assert_runtime_error, assert_usage_error, run_program, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_oob-send");
const LIMIT: Duration = Duration::from_secs(10);

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
            for paced in [&[][..], &["--paced"]] {
                let args = [&["--scenario", scenario, "--family", family], paced].concat();
                let out = stdout_of(BIN, &args);
                assert!(out.ends_with("[recv] received EOF\n"), "{args:?}:\n{out}");
                assert!(
                    out.contains("[send] closed the connection"),
                    "{args:?}:\n{out}"
                );
            }
        }
    }
}

#[test]
fn paced_sends_one_write_at_a_time_in_the_self_demo() {
    // Classic is one burst of three writes; --paced makes each its own,
    // and the receiver reads what came before the next write goes out.
    let out = stdout_of(BIN, &["--paced"]);
    let lines: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            "[send] wrote 3 bytes of normal data '123'",
            "[recv] got 3 bytes of normal data '123'",
            "[send] wrote 3 bytes of oob data 'abc'",
            "[recv] got 2 bytes of normal data 'ab'",
            "[recv] got 1 bytes of oob data 'c'",
            "[send] wrote 3 bytes of normal data '123'",
            "[send] closed the connection",
            "[recv] got 3 bytes of normal data '123'",
            "[recv] received EOF"
        ],
        "{out}"
    );
}

/// `PROGRAM 127.0.0.1 PORT --paced` (the classic scenario) into a listener
/// of this test: the bytes that arrived, and the time from the first byte
/// to the end of the stream.
fn paced_standalone(program: &Path) -> (String, Duration) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let mut child = Command::new(program)
        .args(["127.0.0.1", &port, "--paced"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (mut conn, _) = sockref::peer::accept_within(&listener, LIMIT).unwrap();
    conn.set_read_timeout(Some(LIMIT)).unwrap();
    let (mut data, mut first) = (Vec::new(), None);
    let mut buf = [0u8; 64];
    loop {
        // Blocking reads: the urgent byte, never read out of band, is skipped.
        // A signal meant for a sibling test (a SIGURG handler installed
        // without SA_RESTART) may interrupt one: read again.
        let n = match conn.read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => other.unwrap(),
        };
        first.get_or_insert_with(Instant::now);
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    let took = first.unwrap().elapsed();
    assert!(child.wait().unwrap().success(), "{}", program.display());
    (String::from_utf8(data).unwrap(), took)
}

#[test]
fn paced_pauses_a_second_between_writes_when_standalone() {
    let twin: PathBuf = sockref::testing::c_twin(
        "crates/oob/oob-send/c/oob-send.c",
        Path::new(env!("CARGO_TARGET_TMPDIR")),
    );
    let c = std::thread::spawn(move || paced_standalone(&twin));
    let rust = paced_standalone(Path::new(BIN));
    for (lang, (data, took)) in [("Rust", rust), ("C", c.join().unwrap())] {
        assert_eq!(data, "123ab123", "{lang}");
        // Three writes, two pauses: once, a single burst went out at once.
        assert!(took >= Duration::from_millis(1900), "{lang}: {took:?}");
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
    let cases: [&[&str]; 7] = [
        &["--scenario", "loud"],
        &["--frob"],
        &["127.0.0.1"],
        &["127.0.0.1", "0"],
        &["localhost", "80"],
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
