//! The benches of "Measuring urgency". `cargo xtask bench` runs them and
//! writes the book's figures; `cargo bench -p sockref-benches -- --test`
//! runs each once, as check-all does.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use sockref_benches::{BACKLOGS, Echo, Marker, UrgentRig, record, summary};

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

fn urgency(c: &mut Criterion) {
    let mut rig = UrgentRig::new();
    let mut group = c.benchmark_group("marker");
    for (bytes, label, _) in BACKLOGS {
        for (marker, name) in [(Marker::Urgent, "urgent"), (Marker::Normal, "normal")] {
            group.bench_with_input(BenchmarkId::new(name, label), &bytes, |b, &bytes| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            let d = rig.measure(marker, bytes);
                            record(&format!("{name}/{label}"), d);
                            d
                        })
                        .sum()
                })
            });
        }
    }
    group.bench_function("sigurg/0", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let d = rig.measure(Marker::Sigurg, 0);
                    record("sigurg/0", d);
                    d
                })
                .sum()
        })
    });
    group.finish();
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args();
    round_trips(&mut c);
    interleaved(if quick { 20 } else { 20_000 });
    urgency(&mut c);
    c.final_summary();
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
    // The figures' x axis, named once (netlab::notice::BACKLOGS).
    all["backlogs"] = serde_json::json!(BACKLOGS.map(|(_, key, label)| [key, label]));
    let text = serde_json::to_string_pretty(&all).expect("summary as JSON");
    std::fs::write(&out, text + "\n").expect("write the summary");
    println!("samples summarised in {}", out.display());
}
