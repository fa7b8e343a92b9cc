//! The oob-recv program: its strategies, a standalone run against senders
//! with different timings, and bad input.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use oob::{send_normal, send_urgent};
use sockref::testing::{assert_runtime_error, assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_oob-recv");

#[test]
fn every_strategy_demonstrates_itself_without_losing_a_byte() {
    for strategy in [
        "plain",
        "sigurg",
        "select-broken",
        "select-fixed",
        "poll-fixed",
        "atmark",
        "flow-control",
        "naive",
    ] {
        let out = stdout_of(BIN, &["--strategy", strategy]);
        assert!(out.ends_with("[recv] received EOF\n"), "{strategy}:\n{out}");
        assert!(!out.contains("error"), "{strategy}:\n{out}");
    }
}

#[test]
fn the_textbooks_broken_select_loop_runs_to_the_end_on_this_kernel() {
    let out = stdout_of(BIN, &["--strategy", "select-broken"]);
    let urgent: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("[recv]") && l.contains("oob data"))
        .collect();
    assert_eq!(
        urgent,
        [
            "[recv] got 1 bytes of oob data '4'",
            "[recv] got 1 bytes of oob data '7'"
        ]
    );
}

/// The receiver's lines of a self-demo, untagged.
fn received(out: &str) -> Vec<&str> {
    out.lines()
        .filter_map(|l| l.strip_prefix("[recv] "))
        .collect()
}

#[test]
fn the_textbooks_pollrdband_loop_steps_over_every_urgent_byte() {
    for family in ["ipv4", "ipv6", "unix"] {
        let out = stdout_of(BIN, &["--strategy", "poll-rdband", "--family", family]);
        // POLLRDBAND never comes, so recv(MSG_OOB) is never called, and the
        // normal reads skip '4' and '7'.
        assert_eq!(
            received(&out),
            [
                "got 3 bytes of normal data '123'",
                "got 2 bytes of normal data '56'",
                "got 2 bytes of normal data '89'",
                "received EOF"
            ],
            "{family}:\n{out}"
        );
    }
}

#[test]
fn the_pollpri_loop_reads_every_urgent_byte() {
    for family in ["ipv4", "ipv6", "unix"] {
        let out = stdout_of(BIN, &["--strategy", "poll-fixed", "--family", family]);
        assert_eq!(
            received(&out),
            [
                "got 3 bytes of normal data '123'",
                "got 1 bytes of oob data '4'",
                "got 2 bytes of normal data '56'",
                "got 1 bytes of oob data '7'",
                "got 2 bytes of normal data '89'",
                "received EOF"
            ],
            "{family}:\n{out}"
        );
    }
}

#[test]
fn atmark_with_two_urgent_sends_finds_one_mark_seven_bytes_in() {
    for family in ["ipv4", "ipv6", "unix"] {
        let args = ["--strategy", "atmark", "--scenario", "two-urgent"];
        let out = stdout_of(BIN, &[&args[..], &["--family", family]].concat());
        // The offset of each "at OOB mark" line: the bytes read before it.
        let (mut read, mut marks, mut data) = (0, Vec::new(), String::new());
        for line in received(&out) {
            if line == "at OOB mark" {
                marks.push(read);
            } else if let Some(rest) = line.strip_prefix("got ") {
                let text = rest.rsplit('\'').nth(1).unwrap_or_default();
                read += text.len();
                data.push_str(text);
            }
        }
        assert_eq!(data, "AAAxBBByCCC", "{family}:\n{out}");
        assert_eq!(marks, [7], "{family}: one mark, before 'y':\n{out}");
    }
}

#[test]
fn the_flow_control_demo_shows_sigurg_before_the_byte() {
    let out = stdout_of(BIN, &["--strategy", "flow-control"]);
    let lines: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("[recv] "))
        .collect();
    assert_eq!(lines[0], "SIGURG received");
    assert_eq!(
        lines[1],
        "recv(MSG_OOB) failed: urgent byte announced but not yet arrived (EAGAIN)"
    );
    assert!(
        lines.contains(&"read 16384 bytes of normal data up to the mark"),
        "{out}"
    );
    assert!(lines.contains(&"got 1 bytes of oob data 'a'"), "{out}");
}

/// A standalone receiver on an ephemeral port; returns its process and port.
fn start_receiver(
    args: &[&str],
) -> (
    std::process::Child,
    BufReader<std::process::ChildStdout>,
    u16,
) {
    let mut child = Command::new(BIN)
        .args(["127.0.0.1", "0", "--timeout", "10"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let port = first.trim().rsplit(':').next().unwrap().parse().unwrap();
    (child, out, port)
}

fn next_line(out: &mut BufReader<std::process::ChildStdout>) -> String {
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    line.trim_end().to_string()
}

#[test]
fn a_standalone_receiver_loses_nothing_whatever_the_timing() {
    // The same bytes, three timings: all at once; each write after the
    // receiver has printed what came before; and the urgent byte alone
    // before any normal data.
    let timings: [&[(&[u8], bool, bool)]; 3] = [
        &[
            (b"123", false, false),
            (b"abc", true, false),
            (b"123", false, false),
        ],
        &[
            (b"123", false, true),
            (b"abc", true, true),
            (b"123", false, true),
        ],
        &[(b"c", true, true), (b"123", false, true)],
    ];
    for strategy in ["plain", "select-fixed", "poll-fixed", "sigurg"] {
        for (t, writes) in timings.iter().enumerate() {
            let (mut child, mut out, port) = start_receiver(&["--strategy", strategy]);
            let conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
            assert!(next_line(&mut out).starts_with("accepted a connection from"));
            let mut lines = Vec::new();
            for (data, urgent, wait_for_echo) in writes.iter() {
                if *urgent {
                    send_urgent(&conn, data)
                } else {
                    send_normal(&conn, data)
                }
                .unwrap();
                if *wait_for_echo {
                    // Synchronise on the receiver's own report of this write.
                    let want = if *urgent { "oob data" } else { "normal data" };
                    loop {
                        let line = next_line(&mut out);
                        assert!(
                            !line.is_empty(),
                            "{strategy} timing {t}: the receiver ended early: {lines:?}"
                        );
                        let done = line.contains(want);
                        lines.push(line);
                        if done {
                            break;
                        }
                    }
                }
            }
            drop(conn);
            loop {
                let line = next_line(&mut out);
                if line.is_empty() {
                    break;
                }
                lines.push(line);
            }
            assert!(
                child.wait().unwrap().success(),
                "{strategy} timing {t}: {lines:?}"
            );
            let urgent: Vec<&String> = lines.iter().filter(|l| l.contains("oob data")).collect();
            assert_eq!(
                urgent.len(),
                1,
                "{strategy} timing {t}: exactly one urgent byte: {lines:?}"
            );
            assert!(
                urgent[0].ends_with("'c'"),
                "{strategy} timing {t}: {lines:?}"
            );
            let normal: String = lines
                .iter()
                .filter_map(|l| l.strip_prefix("got ").filter(|r| r.contains("normal data")))
                .map(|r| r.rsplit('\'').nth(1).unwrap_or_default().to_string())
                .collect();
            let expected = if t == 2 { "123" } else { "123ab123" };
            assert_eq!(normal, expected, "{strategy} timing {t}: {lines:?}");
            assert_eq!(
                lines.last().map(String::as_str),
                Some("received EOF"),
                "{strategy} timing {t}"
            );
        }
    }
}

#[test]
fn a_receiver_nobody_connects_to_gives_up_after_its_timeout() {
    let line = assert_runtime_error(BIN, &["127.0.0.1", "0", "--timeout", "0.2"]);
    assert!(line.ends_with("nobody connected within 0.2 s"), "{line}");
}

#[test]
fn bad_input_is_a_usage_error() {
    let cases: [&[&str]; 7] = [
        &["--strategy", "psychic"],
        &["--family", "ipx"],
        &["127.0.0.1", "65536"],
        &["--timeout", "-1"],
        &["--wait-eof"],
        &["127.0.0.1", "0", "--scenario", "paced"],
        &["1", "2", "3"],
    ];
    for args in cases {
        assert_usage_error(BIN, args);
    }
}
