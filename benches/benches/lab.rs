//! The lab benches of "Measuring urgency" (issue 15, item 4), on two
//! network namespaces joined by a veth link shaped to 10 Mbit/s:
//!
//! - SIGURG versus the urgent byte versus a normal marker (the last
//!   backlog byte) behind 0, 64 KiB and 1 MiB, with the sender's send
//!   buffer autotuned and forced to 4 MiB, each sample timed from the
//!   return of `send(MSG_OOB)` and also from when the urgent byte left the
//!   sender (TCP_INFO's unsent bytes at 0);
//! - the heartbeat's detection time after the link goes down, client and
//!   server, against the bound derived in crates/heartbeat/heartbeat.
//!
//! Every sample is kept. `cargo xtask bench` runs this with `--bench` and
//! merges the JSON it writes (`SOCKREF_LAB_SUMMARY`) into the committed
//! summary. Run without `--bench` (as `cargo test --benches` would), it
//! measures nothing: check-all's bench stage stays quick. Where network
//! namespaces are not permitted it records why instead.

use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use heartbeat::{Config, Heartbeat, Role, Step};
use netlab::notice::{self, Case};
use netlab::{Lab, Side};
use serde_json::{Value, json};
use sockref_benches::BACKLOGS;

/// The shaped link's rate.
const RATE_BITS: u64 = 10_000_000;
/// Samples per case.
const SAMPLES: usize = 5;
/// The heartbeat's settings on the lab: a verdict in under a second.
const HB: Config = Config {
    nsec: Duration::from_millis(200),
    nprobes: 3,
};

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

fn opt_ms(d: Option<Duration>) -> Value {
    d.map_or(Value::Null, |d| json!(ms(d)))
}

fn notice_cases() -> Value {
    let lab = Lab::new().expect("lab");
    lab.shape(Side::A, RATE_BITS).expect("tbf");
    let mut cases = Vec::new();
    for (sndbuf, buffer) in [(None, "autotuned"), (Some(4 << 20), "forced")] {
        for (bytes, key, label) in BACKLOGS {
            let case = Case {
                rate_bits: RATE_BITS,
                backlog: bytes,
                reads: true,
                limit: Duration::from_secs(10),
                sndbuf,
            };
            let samples: Vec<Value> = (0..SAMPLES)
                .map(|_| {
                    let r = notice::run_in(&lab, case).expect("notice case");
                    json!({
                        "sigurg_ms": opt_ms(r.sigurg),
                        "urgent_ms": opt_ms(r.urgent),
                        "marker_ms": opt_ms(r.marker),
                        "left_ms": opt_ms(r.left),
                        "notsent_at_send": r.notsent_at_send,
                        "eagain": r.eagain,
                    })
                })
                .collect();
            eprintln!("lab: notice {key} {buffer}: {SAMPLES} samples");
            cases.push(json!({
                "backlog": key, "label": label, "bytes": bytes,
                "sndbuf": buffer, "samples": samples,
            }));
        }
    }
    json!({ "rate_bits": RATE_BITS, "cases": cases })
}

/// One outage: both sides' verdicts, from their last byte heard and from
/// the moment the link went down, in ms.
fn detection() -> [(&'static str, f64, f64); 2] {
    let lab = Lab::new().expect("lab");
    let server_ip = lab.addr(Side::B);
    let (addr_tx, addr_rx) = mpsc::channel();
    let (heard_tx, heard_rx) = mpsc::channel();
    let until_dead = |mut hb: Heartbeat, heard: Option<mpsc::Sender<()>>| loop {
        match hb.step().expect("step") {
            Step::Heard { .. } if hb.heard() == 3 => {
                if let Some(tx) = &heard {
                    tx.send(()).expect("signal");
                }
            }
            Step::Dead { .. } => return (Instant::now(), hb.last_heard()),
            Step::Closed | Step::Reset(..) => panic!("the connection ended"),
            _ => {}
        }
    };
    std::thread::scope(|s| {
        let lab = &lab;
        let server = s.spawn(move || {
            lab.enter(Side::B).expect("enter B");
            let l = TcpListener::bind((server_ip, 0)).expect("bind");
            addr_tx
                .send(l.local_addr().expect("address"))
                .expect("send");
            let (sock, _) =
                sockref::peer::accept_within(&l, Duration::from_secs(5)).expect("accept");
            until_dead(Heartbeat::new(sock, Role::Server, HB).expect("hb"), None)
        });
        let client = s.spawn(move || {
            lab.enter(Side::A).expect("enter A");
            let addr = addr_rx
                .recv_timeout(Duration::from_secs(5))
                .expect("address");
            let sock = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
            let hb = Heartbeat::new(sock, Role::Client, HB).expect("hb");
            until_dead(hb, Some(heard_tx))
        });
        heard_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("three replies");
        lab.link_down().expect("link down");
        let down = Instant::now();
        let (c_dead, c_last) = client.join().expect("client");
        let (s_dead, s_last) = server.join().expect("server");
        [
            ("client", ms(c_dead - c_last), ms(c_dead - down)),
            ("server", ms(s_dead - s_last), ms(s_dead - down)),
        ]
    })
}

fn heartbeat_cases() -> Value {
    let mut samples = Vec::new();
    for _ in 0..SAMPLES {
        for (side, after_last, after_down) in detection() {
            samples.push(json!({
                "side": side, "after_last_ms": after_last, "after_down_ms": after_down,
            }));
        }
    }
    eprintln!("lab: heartbeat: {SAMPLES} outages");
    json!({
        "nsec_ms": ms(HB.nsec),
        "nprobes": HB.nprobes,
        "lower_ms": ms(HB.lower_bound()),
        "upper_ms": ms(HB.upper_bound()),
        "samples": samples,
    })
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("lab benches: not run outside `cargo bench` (cargo xtask bench)");
        return;
    }
    let summary = match Lab::permitted() {
        Ok(()) => {
            netlab::cleanup_on_signals().expect("signal handlers");
            json!({ "notice": notice_cases(), "heartbeat": heartbeat_cases() })
        }
        Err(why) => json!({ "skipped": why }),
    };
    let out = std::env::var_os("SOCKREF_LAB_SUMMARY")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/sockref-bench/lab.json")
        });
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).expect("create the summary's folder");
    }
    let text = serde_json::to_string_pretty(&summary).expect("JSON");
    std::fs::write(&out, text + "\n").expect("write the lab summary");
    println!("lab samples in {}", out.display());
}
