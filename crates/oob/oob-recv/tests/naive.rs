//! Seed 000's receiver as it really runs: `--strategy naive` (one normal
//! read, `recv(MSG_OOB)` once, normal reads to the end) against a sender
//! that is not in lockstep with it, for the classic `123`, `abc` with
//! MSG_OOB, `123`, then close.
//!
//! What the receiver prints depends on how far the sender had got at each
//! of its calls. The kernel's rules limit what it can print: [`allowed`]
//! writes them down. One test places the sender's writes between the
//! receiver's calls on purpose, every way there is, and lists the outcomes;
//! the other races the real programs, Rust and C, against a live sender
//! many times and checks every outcome it sees.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::poll::PollFlags;
use nix::sys::socket::MsgFlags;
use oob::{UrgentError, recv_normal, recv_urgent, send_normal, send_urgent};
use sockref::peer::{Family, connected_pair};

const BIN: &str = env!("CARGO_BIN_EXE_oob-recv");
const LIMIT: Duration = Duration::from_secs(10);

/// One line the naive receiver prints after accepting.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    /// `got N bytes of normal data 'TEXT'`
    Normal(String),
    /// `got 1 bytes of oob data 'C'`
    Urgent(char),
    /// `recv(MSG_OOB) failed: ... (ERRNO)`: the errno's name.
    UrgentFailed(String),
    /// `received EOF`
    Eof,
}

use Step::{Eof, Normal, Urgent, UrgentFailed};

/// The steps of a transcript's lines (those before the first read, such as
/// `accepted a connection from ...`, are left out).
fn steps<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<Step> {
    let quoted = |l: &str| l.rsplit('\'').nth(1).unwrap_or_default().to_string();
    lines
        .into_iter()
        .filter_map(|l| {
            if l.contains("bytes of normal data") {
                Some(Normal(quoted(l)))
            } else if l.contains("bytes of oob data") {
                Some(Urgent(quoted(l).chars().next().unwrap_or('?')))
            } else if let Some(why) = l.strip_prefix("recv(MSG_OOB) failed: ") {
                let name = why.rsplit('(').next().unwrap_or(why).trim_end_matches(')');
                Some(UrgentFailed(name.to_string()))
            } else {
                (l == "received EOF").then_some(Eof)
            }
        })
        .collect()
}

// ANCHOR: allowed
/// The kernel's rules, applied to what the naive receiver can print for
/// `123`, `abc` with MSG_OOB, `123`, close. Err says which rule broke.
fn allowed(outcome: &[Step]) -> Result<(), String> {
    // Its calls: a normal read, recv(MSG_OOB), normal reads, one EOF last.
    let [Normal(first), urgent, rest @ ..] = outcome else {
        return Err("not a read and then recv(MSG_OOB)".into());
    };
    let Some((Eof, middle)) = rest.split_last() else {
        return Err("no EOF at the end".into());
    };
    let mut reads = vec![first.as_str()];
    for step in middle {
        let Normal(text) = step else {
            return Err(format!("{step:?} among the normal reads"));
        };
        reads.push(text);
    }
    // Only the last byte of the urgent send is urgent, and normal reads
    // never return it, whether it was read out of band or skipped.
    if reads.concat() != "123ab123" {
        return Err(format!("normal data {:?}, not 123ab123", reads.concat()));
    }
    // Reads stop at the mark: none takes bytes from both sides of it.
    const MARK: usize = 5; // "123ab" comes before the urgent byte
    let mut offset = 0;
    for read in &reads {
        if offset < MARK && offset + read.len() > MARK {
            return Err(format!("the read {read:?} went past the mark"));
        }
        offset += read.len();
    }
    // recv(MSG_OOB) returns the byte, or EINVAL while no urgent pointer has
    // arrived, or EAGAIN when the pointer has arrived and the byte not yet.
    // A first read that stopped at the mark means the pointer was there.
    match urgent {
        Urgent('c') => Ok(()),
        UrgentFailed(e) if e == "EAGAIN" => Ok(()),
        UrgentFailed(e) if e == "EINVAL" && first.len() < MARK => Ok(()),
        other => Err(format!(
            "recv(MSG_OOB) gave {other:?} after reading {first:?}"
        )),
    }
}
// ANCHOR_END: allowed

/// The naive receiver's calls, made here on a fresh connected pair, with
/// the sender's three writes placed on purpose: `before_read` of them have
/// arrived before the first read, `before_urgent` before recv(MSG_OOB),
/// and the rest, then the close, come after. Returns what the program
/// would print.
fn naive_calls(family: Family, before_read: usize, before_urgent: usize) -> Vec<Step> {
    let writes: [(&[u8], bool); 3] = [(b"123", false), (b"abc", true), (b"123", false)];
    let (tx, rx) = connected_pair(family, |_| Ok(())).unwrap();
    let mut tx = Some(tx);
    let (mut next, mut total) = (0, 0);
    let mut send_up_to = |upto: usize| {
        for (data, urgent) in &writes[next..upto] {
            let sock = tx.as_ref().unwrap();
            let n = if *urgent {
                send_urgent(sock, data)
            } else {
                send_normal(sock, data)
            };
            total += n.unwrap() as u64;
        }
        next = upto;
        oob::pace::wait_for_arrival(rx.as_fd(), total, LIMIT).unwrap();
        if next == writes.len() {
            tx = None; // close
        }
    };
    let read = |rx: &socket2::Socket| -> Option<Step> {
        sockref::peer::poll_one(rx.as_fd(), PollFlags::POLLIN, Some(LIMIT)).unwrap();
        let mut buf = [0u8; 64];
        match recv_normal(rx, &mut buf, MsgFlags::MSG_DONTWAIT) {
            Ok(0) => Some(Eof),
            Ok(n) => Some(Normal(String::from_utf8_lossy(&buf[..n]).into_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
            Err(e) => panic!("{family:?}: recv: {e}"),
        }
    };
    let mut outcome = Vec::new();
    send_up_to(before_read);
    outcome.push(read(&rx).expect("the first write is there"));
    send_up_to(before_urgent);
    outcome.push(match recv_urgent(&rx) {
        Ok(byte) => Urgent(char::from(byte)),
        Err(UrgentError::NonePending) => UrgentFailed("EINVAL".into()),
        Err(UrgentError::NotYetArrived) => UrgentFailed("EAGAIN".into()),
        Err(e) => panic!("{family:?}: recv(MSG_OOB): {e}"),
    });
    send_up_to(writes.len());
    while outcome.last() != Some(&Eof) {
        outcome.extend(read(&rx));
    }
    outcome
}

// ANCHOR: every_timing_of_the_naive_receiver_gives_one_of_three_outcomes
#[test]
fn every_timing_of_the_naive_receiver_gives_one_of_three_outcomes() {
    let normal = |text: &str| Normal(text.to_string());
    let expected = BTreeSet::from([
        // Everything, or the first two writes, came before the first read.
        vec![normal("123ab"), Urgent('c'), normal("123"), Eof],
        // Only "123" came before the first read, "abc" before recv(MSG_OOB).
        vec![normal("123"), Urgent('c'), normal("ab"), normal("123"), Eof],
        // "abc" came after recv(MSG_OOB): EINVAL, and the byte is lost.
        vec![
            normal("123"),
            UrgentFailed("EINVAL".into()),
            normal("ab"),
            normal("123"),
            Eof,
        ],
    ]);
    for family in Family::ALL {
        let mut seen = BTreeSet::new();
        for before_read in 1..=3 {
            for before_urgent in before_read..=3 {
                let outcome = naive_calls(family, before_read, before_urgent);
                if let Err(why) = allowed(&outcome) {
                    panic!("{family:?} {before_read} {before_urgent}: {why}: {outcome:?}");
                }
                seen.insert(outcome);
            }
        }
        assert_eq!(seen, expected, "{family:?}");
    }
}
// ANCHOR_END: every_timing_of_the_naive_receiver_gives_one_of_three_outcomes

/// One race: `program 127.0.0.1 0 --strategy naive` started, and as soon
/// as it has accepted, the classic writes sent from this thread with no
/// pause and no look at the receiver. Returns what the receiver printed.
fn race_once(program: &Path) -> Vec<Step> {
    let mut child = Command::new(program)
        .args(["127.0.0.1", "0", "--strategy", "naive", "--timeout", "10"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let port: u16 = line.trim().rsplit(':').next().unwrap().parse().unwrap();
    let mut peer = TcpStream::connect(("127.0.0.1", port)).unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    assert!(line.starts_with("accepted a connection from"), "{line}");
    peer.write_all(b"123").unwrap();
    send_urgent(&peer, b"abc").unwrap();
    peer.write_all(b"123").unwrap();
    drop(peer);
    let lines: Vec<String> = out.lines().map_while(Result::ok).collect();
    assert!(child.wait().unwrap().success(), "{lines:?}");
    steps(lines.iter().map(String::as_str))
}

fn twin() -> PathBuf {
    sockref::testing::c_twin(
        "crates/oob/oob-recv/c/oob-recv.c",
        Path::new(env!("CARGO_TARGET_TMPDIR")),
    )
}

// ANCHOR: the_naive_receiver_racing_a_live_sender_shows_only_allowed_outcomes
#[test]
fn the_naive_receiver_racing_a_live_sender_shows_only_allowed_outcomes() {
    const RUNS: usize = 100;
    let budget = Instant::now() + Duration::from_secs(30);
    for program in [PathBuf::from(BIN), twin()] {
        let mut seen: BTreeMap<Vec<Step>, usize> = BTreeMap::new();
        for _ in 0..RUNS {
            let outcome = race_once(&program);
            if let Err(why) = allowed(&outcome) {
                panic!("{}: {why}: {outcome:?}", program.display());
            }
            *seen.entry(outcome).or_default() += 1;
            if Instant::now() > budget {
                break;
            }
        }
        // Which outcomes this run of the test met, and how often (shown
        // with --nocapture): the mix changes from run to run.
        println!("{}:", program.display());
        for (outcome, n) in &seen {
            println!("  {n:3} x {outcome:?}");
        }
    }
}
// ANCHOR_END: the_naive_receiver_racing_a_live_sender_shows_only_allowed_outcomes

#[test]
fn the_rules_reject_what_the_kernel_never_does() {
    let normal = |text: &str| Normal(text.to_string());
    for (bad, why) in [
        (
            vec![normal("123"), Urgent('c'), normal("ab123"), Eof],
            "a read past the mark",
        ),
        (
            vec![
                normal("123ab"),
                UrgentFailed("EINVAL".into()),
                normal("123"),
                Eof,
            ],
            "EINVAL after the read stopped at the mark",
        ),
        (
            vec![normal("123"), Urgent('c'), normal("abc123"), Eof],
            "the urgent byte as normal data",
        ),
        (vec![normal("123ab"), Urgent('c'), normal("123")], "no EOF"),
    ] {
        assert!(allowed(&bad).is_err(), "{why}: {bad:?}");
    }
}
