//! The benches of "Measuring urgency". `cargo xtask bench` runs them (with
//! `--bench`) and writes the book's figures. Without `--bench` (`cargo
//! test --bench latency`, as check-all runs it), or with `--test`,
//! criterion runs each bench once and the sweep only one short round: a
//! smoke test, not a figure.
//!
//! A full run moves into a network namespace of its own with only
//! loopback (where permitted), so that the TCP counters read around each
//! sample of the sweep count this rig and nothing else on the machine.

use std::time::{Duration, Instant};

use criterion::Criterion;
use serde_json::json;
use sockref_benches::{Echo, record, summary, sweep};

fn round_trips(c: &mut Criterion) {
    let mut echo = Echo::new();
    let mut group = c.benchmark_group("round-trip");
    type Way = fn(&mut Echo) -> Duration;
    let ways: [(&str, Way); 3] = [
        ("std", Echo::round_trip_std),
        ("nix", Echo::round_trip_nix),
        ("c", Echo::round_trip_c),
    ];
    for (name, way) in ways {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let d = way(&mut echo);
                        record(&format!("round-trip/{name}"), d);
                        d
                    })
                    .sum()
            })
        });
    }
    group.finish();
}

/// Rust and C alternate on one connection, sample by sample: the ratio of
/// their medians does not depend on what else the machine did meanwhile.
fn interleaved(rounds: usize) {
    let mut echo = Echo::new();
    for _ in 0..rounds {
        record("interleaved/rust-std", echo.round_trip_std());
        record("interleaved/c", echo.round_trip_c());
    }
}

/// Rounds of the sweep (each visits every backlog and variant once), and
/// the most time it may take: `cargo xtask bench` stays within minutes.
const ROUNDS: usize = 40;
const SWEEP_LIMIT: Duration = Duration::from_secs(150);

/// The load averages of the machine (`/proc/loadavg`: 1, 5, 15 minutes).
fn load() -> serde_json::Value {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let v: Vec<f64> = text
        .split_whitespace()
        .take(3)
        .filter_map(|x| x.parse().ok())
        .collect();
    json!(v)
}

/// This process's nice value (`/proc/self/stat`, the 19th field).
fn nice() -> i64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name, in brackets, may hold spaces: count after it.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(16)?.parse().ok())
        .unwrap_or(0)
}

fn main() {
    // `cargo bench` passes --bench; `cargo bench -- --test` adds --test.
    let full = std::env::args().any(|a| a == "--bench") && !std::env::args().any(|a| a == "--test");
    // First, before any thread starts: every later thread lives there too.
    let namespace = if full {
        netlab::private_loopback().map_err(|why| format!("no private namespace: {why}"))
    } else {
        Err("a quick run reads no counters".to_string())
    };
    let load_before = load();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args();
    round_trips(&mut c);
    interleaved(if full { 20_000 } else { 20 });
    c.final_summary();
    let load_sweep = load();
    let mut sweep = if full {
        let deadline = Instant::now() + SWEEP_LIMIT;
        sweep::run(
            &sweep::BUFFERS,
            &sweep::BACKLOGS,
            ROUNDS,
            namespace.is_ok(),
            deadline,
        )
    } else {
        let deadline = Instant::now() + Duration::from_secs(30);
        let few = [sweep::BACKLOGS[0], sweep::BACKLOGS[3]];
        sweep::run(&sweep::BUFFERS[..1], &few, 1, false, deadline)
    };
    sweep["namespace"] = match &namespace {
        Ok(()) => json!("private"),
        Err(why) => json!(why),
    };
    eprintln!("sweep: {} rounds", sweep["rounds"]);
    let out = std::env::var_os("SOCKREF_BENCH_SUMMARY")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/sockref-bench/summary.json")
        });
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).expect("create the summary's folder");
    }
    let mut all = summary();
    all["sweep"] = sweep;
    all["load"] = json!({
        "start": load_before, "sweep": load_sweep, "end": load(), "nice": nice(),
    });
    let text = serde_json::to_string_pretty(&all).expect("summary as JSON");
    std::fs::write(&out, text + "\n").expect("write the summary");
    println!("samples summarised in {}", out.display());
}
