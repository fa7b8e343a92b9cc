//! `cargo xtask bench`: runs the criterion benches and writes the figures of
//! the book's performance chapter. Nothing in those files is typed: the
//! summary comes from the run, and the table, the plot and the machine
//! note are rendered from the summary. check-all re-renders them and fails
//! if a committed file differs (edited by hand, or stale).

use std::fs;
use std::process::Command;

use serde_json::{Value, json};
use sockref::Error;

use crate::Workspace;

pub const SUMMARY: &str = "book/src/generated/bench-summary.json";
pub const TABLE: &str = "book/src/generated/bench-table.md";
pub const PLOT: &str = "book/src/generated/bench-latency.svg";
pub const MACHINE: &str = "book/src/generated/bench-machine.md";
pub const LAB: &str = "book/src/generated/bench-lab.md";
pub const ANOMALY: &str = "book/src/generated/bench-anomaly.md";

/// Renders the book's files from the committed summary, measuring
/// nothing: for a change to how the figures are drawn.
pub fn render_committed(ws: &Workspace) -> Result<(), Error> {
    let path = ws.root.join(SUMMARY);
    let text = fs::read_to_string(&path).map_err(|e| Error::runtime(format!("{SUMMARY}: {e}")))?;
    let summary: Value =
        serde_json::from_str(&text).map_err(|e| Error::runtime(format!("{SUMMARY}: {e}")))?;
    write_rendered(ws, &summary)
}

fn write_rendered(ws: &Workspace, summary: &Value) -> Result<(), Error> {
    let write = |path: &str, text: String| {
        let path = ws.root.join(path);
        fs::create_dir_all(path.parent().expect("generated dir"))
            .and_then(|()| fs::write(&path, text))
            .map_err(|e| Error::runtime(format!("write {}: {e}", path.display())))
    };
    let (table, plot, note) = render(summary).map_err(Error::runtime)?;
    write(TABLE, table)?;
    write(PLOT, plot)?;
    write(MACHINE, note)?;
    write(LAB, render_lab(summary).map_err(Error::runtime)?)?;
    write(ANOMALY, render_anomaly(summary).map_err(Error::runtime)?)?;
    sockref::outln!("wrote {TABLE}, {PLOT}, {MACHINE}, {LAB}, {ANOMALY}")?;
    Ok(())
}

/// Runs the benches in full and regenerates the book's files.
pub fn bench(ws: &Workspace) -> Result<(), Error> {
    let out = ws.target.join("sockref-bench/summary.json");
    let _ = fs::remove_file(&out);
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(&ws.root)
        .args(["bench", "-p", "sockref-benches", "--bench", "latency"])
        .env("SOCKREF_BENCH_SUMMARY", &out)
        .status()
        .map_err(|e| Error::runtime(format!("cargo bench: {e}")))?;
    if !status.success() {
        return Err(Error::runtime("cargo bench failed"));
    }
    let text =
        fs::read_to_string(&out).map_err(|e| Error::runtime(format!("{}: {e}", out.display())))?;
    let mut summary: Value = serde_json::from_str(&text)
        .map_err(|e| Error::runtime(format!("{}: {e}", out.display())))?;
    summary["machine"] = machine();
    summary["lab"] = lab(ws)?;
    let path = ws.root.join(SUMMARY);
    fs::write(&path, layout(&summary, 0) + "\n")
        .map_err(|e| Error::runtime(format!("write {}: {e}", path.display())))?;
    sockref::outln!("wrote {SUMMARY}")?;
    write_rendered(ws, &summary)
}

/// The summary as JSON, one value a line where it fits in `WIDE`
/// characters (a sweep cell, a lab sample), indented where it does not:
/// a new run changes a few hundred lines, not thousands.
fn layout(v: &Value, indent: usize) -> String {
    const WIDE: usize = 600;
    let compact = v.to_string();
    if compact.len() <= WIDE {
        return compact;
    }
    let pad = "  ".repeat(indent + 1);
    let (open, close, items): (char, char, Vec<String>) = match v {
        Value::Object(map) => (
            '{',
            '}',
            map.iter()
                .map(|(k, v)| format!("{}: {}", Value::from(k.as_str()), layout(v, indent + 1)))
                .collect(),
        ),
        Value::Array(list) => (
            '[',
            ']',
            list.iter().map(|v| layout(v, indent + 1)).collect(),
        ),
        _ => return compact,
    };
    format!(
        "{open}\n{pad}{}\n{}{close}",
        items.join(&format!(",\n{pad}")),
        "  ".repeat(indent)
    )
}

/// Runs the lab benches (benches/benches/lab.rs): their samples, or why
/// the lab could not run here.
fn lab(ws: &Workspace) -> Result<Value, Error> {
    let out = ws.target.join("sockref-bench/lab.json");
    let _ = fs::remove_file(&out);
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(&ws.root)
        .args(["bench", "-p", "sockref-benches", "--bench", "lab"])
        .env("SOCKREF_LAB_SUMMARY", &out)
        .status()
        .map_err(|e| Error::runtime(format!("cargo bench --bench lab: {e}")))?;
    if !status.success() {
        return Err(Error::runtime("cargo bench --bench lab failed"));
    }
    let text =
        fs::read_to_string(&out).map_err(|e| Error::runtime(format!("{}: {e}", out.display())))?;
    serde_json::from_str(&text).map_err(|e| Error::runtime(format!("{}: {e}", out.display())))
}

/// The median of the samples' `field`, or an error naming what is missing.
fn lab_median(samples: &Value, field: &str) -> Result<f64, String> {
    let mut v: Vec<f64> = samples
        .as_array()
        .ok_or_else(|| format!("{SUMMARY}: lab samples are not a list"))?
        .iter()
        .map(|x| {
            x[field]
                .as_f64()
                .ok_or_else(|| format!("{SUMMARY}: a lab sample has no {field}"))
        })
        .collect::<Result<_, _>>()?;
    if v.is_empty() {
        return Err(format!("{SUMMARY}: no lab samples"));
    }
    v.sort_by(f64::total_cmp);
    Ok(v[v.len() / 2])
}

/// The lab's tables: urgency over the shaped link, both time origins, and
/// the heartbeat's detection times against their bound.
pub fn render_lab(s: &Value) -> Result<String, String> {
    let lab = &s["lab"];
    let mut t = String::from(
        "<!-- generated by `cargo xtask bench` from bench-summary.json; do not edit -->\n\n",
    );
    if let Some(why) = lab["skipped"].as_str() {
        t += &format!(
            "The lab benches did not run on the machine that made these figures: {why}.\n"
        );
        return Ok(t);
    }
    let notice = &lab["notice"];
    let rate = notice["rate_bits"]
        .as_f64()
        .ok_or_else(|| format!("{SUMMARY} has no lab rate"))?
        / 1e6;
    t += &format!(
        "Over the lab's veth link shaped to {rate} Mbit/s, medians in ms. Time zero is the return of \
         `send(MSG_OOB)`; \"left\" is when the sender's unsent bytes (TCP_INFO) fell to zero, the \
         urgent byte the last of them.\n\n\
         | backlog | send buffer | unsent at time zero | SIGURG | urgent byte left | urgent byte | \
         last normal byte | urgent / SIGURG | SIGURG before the byte left | samples |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    let cases = notice["cases"]
        .as_array()
        .ok_or_else(|| format!("{SUMMARY} has no lab cases"))?;
    let mut at_1mib = Vec::new();
    for c in cases {
        let samples = &c["samples"];
        let n = samples.as_array().map_or(0, Vec::len);
        let sig = lab_median(samples, "sigurg_ms")?;
        let left = lab_median(samples, "left_ms")?;
        let urg = lab_median(samples, "urgent_ms")?;
        let marker = lab_median(samples, "marker_ms")?;
        let notsent = lab_median(samples, "notsent_at_send")?;
        let buffer = c["sndbuf"].as_str().unwrap_or("?");
        let ratio = if sig > 0.05 {
            format!("{:.1}", urg / sig)
        } else {
            "–".into()
        };
        t += &format!(
            "| {} | {} | {:.0} KiB | {sig:.1} | {left:.1} | {urg:.1} | {marker:.1} | {ratio} | {:.1} | {n} |\n",
            c["label"].as_str().unwrap_or("?"),
            if buffer == "forced" {
                "4 MiB, forced"
            } else {
                buffer
            },
            notsent / 1024.0,
            left - sig
        );
        if c["backlog"] == "1MiB" {
            at_1mib.push((buffer.to_string(), urg / sig));
        }
    }
    let verdict = |ok: bool| if ok { "met" } else { "not met" };
    t += "\n| target | measured | |\n|---|---:|---|\n";
    for (buffer, r) in at_1mib {
        t += &format!(
            "| SIGURG at least 20× sooner than the urgent byte, 1 MiB, send buffer {buffer} | {r:.1}× | {} |\n",
            verdict(r >= 20.0)
        );
    }
    let hb = &lab["heartbeat"];
    let num = |k: &str| {
        hb[k]
            .as_f64()
            .ok_or_else(|| format!("{SUMMARY} has no heartbeat {k}"))
    };
    let (nsec, lower, upper) = (num("nsec_ms")?, num("lower_ms")?, num("upper_ms")?);
    let nprobes = num("nprobes")?;
    let slack = nsec / 10.0;
    t += &format!(
        "\nThe heartbeat, nsec {nsec:.0} ms, nprobes {nprobes}: the link taken down after three \
         replies. Bound from the last byte heard: [{lower:.0}, {upper:.0}) ms, plus {slack:.0} ms \
         (10 % of nsec) for scheduling; from the moment the link went down: at most {upper:.0} ms \
         plus the same.\n\n\
         | side | outages | after the last byte heard: min / median / max (ms) | after the link went down: min / median / max (ms) | inside the bound |\n\
         |---|---:|---:|---:|---|\n"
    );
    let samples = hb["samples"]
        .as_array()
        .ok_or_else(|| format!("{SUMMARY} has no heartbeat samples"))?;
    for side in ["client", "server"] {
        let mine: Vec<&Value> = samples.iter().filter(|x| x["side"] == side).collect();
        let col = |k: &str| -> Result<Vec<f64>, String> {
            let mut v: Vec<f64> = mine
                .iter()
                .map(|x| x[k].as_f64().ok_or_else(|| format!("{SUMMARY}: no {k}")))
                .collect::<Result<_, _>>()?;
            v.sort_by(f64::total_cmp);
            if v.is_empty() {
                return Err(format!("{SUMMARY}: no heartbeat samples for the {side}"));
            }
            Ok(v)
        };
        let (last, down) = (col("after_last_ms")?, col("after_down_ms")?);
        let inside = last
            .iter()
            .all(|g| *g + slack >= lower && *g <= upper + slack)
            && down.iter().all(|g| *g <= upper + slack);
        let three = |v: &[f64]| {
            format!(
                "{:.1} / {:.1} / {:.1}",
                v[0],
                v[v.len() / 2],
                v[v.len() - 1]
            )
        };
        t += &format!(
            "| {side} | {} | {} | {} | {} |\n",
            last.len(),
            three(&last),
            three(&down),
            if inside {
                "every one (met)"
            } else {
                "not all (not met)"
            }
        );
    }
    Ok(t)
}

/// The machine the benches ran on, read from the kernel.
fn machine() -> Value {
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_string();
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    json!({ "kernel": kernel, "cpu": cpu, "cores": cores })
}

fn median(s: &Value, case: &str) -> Result<f64, String> {
    s[case]["median_us"]
        .as_f64()
        .ok_or_else(|| format!("{SUMMARY} has no median for {case}"))
}

fn row(s: &Value, case: &str, label: &str) -> Result<String, String> {
    let c = &s[case];
    let p99 = c["p99_us"]
        .as_f64()
        .ok_or_else(|| format!("{SUMMARY} has no p99 for {case}"))?;
    let n = c["samples"]
        .as_u64()
        .ok_or_else(|| format!("{SUMMARY} has no sample count for {case}"))?;
    Ok(format!(
        "| {label} | {:.1} | {p99:.1} | {n} |\n",
        median(s, case)?
    ))
}

/// The sweep's buffers, the rig's own first.
fn buffers(s: &Value) -> Result<&Vec<Value>, String> {
    s["sweep"]["buffers"]
        .as_array()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| format!("{SUMMARY} has no sweep"))
}

/// The rig's own buffer, where every variant ran.
fn main_buffer(s: &Value) -> Result<&Value, String> {
    buffers(s)?
        .iter()
        .find(|b| b["main"] == true)
        .ok_or_else(|| format!("{SUMMARY}: the sweep has no main buffer"))
}

/// The sweep's backlog keys, smallest first.
fn sweep_backlogs(s: &Value) -> Result<Vec<String>, String> {
    s["sweep"]["backlogs"]
        .as_array()
        .ok_or_else(|| format!("{SUMMARY}: the sweep has no backlogs"))?
        .iter()
        .map(|b| {
            b.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{SUMMARY}: a sweep backlog is not a key"))
        })
        .collect()
}

/// One cell of a buffer: a backlog and a variant.
fn cell<'a>(buffer: &'a Value, backlog: &str, variant: &str) -> Result<&'a Value, String> {
    buffer["cells"]
        .as_array()
        .and_then(|cells| {
            cells
                .iter()
                .find(|c| c["backlog"] == backlog && c["variant"] == variant)
        })
        .ok_or_else(|| {
            format!(
                "{SUMMARY}: no sweep cell {variant} at {backlog} for {}",
                buffer["key"]
            )
        })
}

/// A cell's median of `field` (`round_trip_us`, ...), `None` when no
/// sample fitted.
fn cell_median(c: &Value, field: &str) -> Option<f64> {
    c[field]["median"].as_f64()
}

/// The same, where the cell must have one.
fn need(c: &Value, field: &str) -> Result<f64, String> {
    cell_median(c, field).ok_or_else(|| {
        format!(
            "{SUMMARY}: the {} cell at {} has no {field}",
            c["variant"], c["backlog"]
        )
    })
}

/// `12.3 (45.6)`: median and p99, or why there is none.
fn median_and_p99(c: &Value, field: &str) -> String {
    match (c[field]["median"].as_f64(), c[field]["p99"].as_f64()) {
        (Some(m), Some(p)) => format!("{m:.1} ({p:.1})"),
        _ => "did not fit".into(),
    }
}

/// `64 KiB` for the key `64KiB`, `0` for `0`.
fn backlog_label(key: &str) -> String {
    match key.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => format!("{} {}", &key[..i], &key[i..]),
        None => key.to_string(),
    }
}

/// A counter's total over a cell's samples (0 when it never moved).
fn counter(c: &Value, name: &str) -> u64 {
    c["counters"][name].as_u64().unwrap_or(0)
}

/// The table, the SVG plot and the machine note for a summary.
pub fn render(s: &Value) -> Result<(String, String, String), String> {
    let mut t = String::from(
        "<!-- generated by `cargo xtask bench` from bench-summary.json; do not edit -->\n\n\
         | case | median (µs) | p99 (µs) | samples |\n|---|---:|---:|---:|\n",
    );
    for (case, label) in [
        ("round-trip/std", "round trip, Rust std"),
        ("round-trip/nix", "round trip, Rust nix"),
        ("round-trip/c", "round trip, C"),
        ("interleaved/rust-std", "round trip, Rust std, interleaved"),
        ("interleaved/c", "round trip, C, interleaved"),
    ] {
        t += &row(s, case, label)?;
    }

    let main = main_buffer(s)?;
    let rounds = s["sweep"]["rounds"].as_u64().unwrap_or(0);
    t += &format!(
        "\nMarkers behind a backlog, {} receive buffer, medians in µs with the 99th percentile \
         in brackets, {rounds} samples each. *Round trip*: from the marker's send to the \
         answer's arrival, as the sender sees it. *One way*: from the send to the moment the \
         receiver held the marker (`recv(MSG_OOB)` returned, or the read that reached the last \
         byte), on the same clock. *Right after*: the receiver reads the backlog as soon as it \
         has answered an urgent byte, as this bench always did; *held*: only once the answer \
         has arrived.\n\n\
         | backlog | urgent byte, round trip, right after | urgent byte, round trip, held | \
         urgent byte, one way | SIGURG, one way | normal marker, one way | normal marker, round trip |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
        main["label"].as_str().unwrap_or("?")
    );
    for b in sweep_backlogs(s)? {
        let cells = [
            (cell(main, &b, "urgent")?, "round_trip_us"),
            (cell(main, &b, "urgent-held")?, "round_trip_us"),
            (cell(main, &b, "urgent-held")?, "one_way_us"),
            (cell(main, &b, "sigurg-held")?, "one_way_us"),
            (cell(main, &b, "normal")?, "one_way_us"),
            (cell(main, &b, "normal")?, "round_trip_us"),
        ];
        t += &format!("| {} |", backlog_label(&b));
        for (c, field) in cells {
            t += &format!(" {} |", median_and_p99(c, field));
        }
        t += "\n";
    }

    let at = |b: &str, v: &str, f: &str| -> Result<f64, String> { need(cell(main, b, v)?, f) };
    let rust_c = median(s, "interleaved/rust-std")? / median(s, "interleaved/c")?;
    let verdict = |ok: bool| if ok { "met" } else { "not met" };
    t += "\n| ratio (medians, one run) | measured | target | |\n|---|---:|---|---|\n";
    t += &format!(
        "| Rust / C round trip (interleaved) | {rust_c:.2} | 0.95 to 1.05 | {} |\n",
        verdict((0.95..=1.05).contains(&rust_c))
    );
    for (what, variant, field) in [
        ("round trip, right after", "urgent", "round_trip_us"),
        ("round trip, held", "urgent-held", "round_trip_us"),
        ("one way", "urgent-held", "one_way_us"),
    ] {
        let r = at("1MiB", variant, field)? / at("0", variant, field)?;
        t += &format!(
            "| urgent byte with 1 MiB queued / with nothing queued, {what} | {r:.2} | at most 1.5 | {} |\n",
            verdict(r <= 1.5)
        );
    }
    // Against the smallest backlog too: with nothing queued the receiver
    // has slept since its previous sample, and wakes slower.
    let backlogs = sweep_backlogs(s)?;
    if let Some(small) = backlogs.get(1) {
        for (what, variant, field) in [
            ("round trip, held", "urgent-held", "round_trip_us"),
            ("one way", "urgent-held", "one_way_us"),
        ] {
            let r = at("1MiB", variant, field)? / at(small, variant, field)?;
            t += &format!(
                "| urgent byte with 1 MiB queued / with {} queued, {what} | {r:.2} | at most 1.5 | {} |\n",
                backlog_label(small),
                verdict(r <= 1.5)
            );
        }
    }
    for (what, urgent, field) in [
        ("round trips, held", "urgent-held", "round_trip_us"),
        ("one way", "urgent-held", "one_way_us"),
    ] {
        let r = at("1MiB", "normal", field)? / at("1MiB", urgent, field)?;
        t += &format!(
            "| normal marker / urgent byte, 1 MiB queued, {what} | {r:.2} | at least 5 | {} |\n",
            verdict(r >= 5.0)
        );
    }

    let m = &s["machine"];
    let load = |k: &str| {
        s["load"][k][0]
            .as_f64()
            .map_or("?".to_string(), |l| format!("{l:.2}"))
    };
    let note = format!(
        "<!-- generated by `cargo xtask bench`; do not edit -->\n\nMeasured on Linux {}, {} ({} cores), \
         shared with other work: the load average (1 minute) was {} when the benches started, {} \
         when the sweep started and {} at the end; the benches ran at nice {}. The sweep ran {}.\n",
        m["kernel"].as_str().unwrap_or("?"),
        m["cpu"].as_str().unwrap_or("?"),
        m["cores"].as_u64().unwrap_or(0),
        load("start"),
        load("sweep"),
        load("end"),
        s["load"]["nice"].as_i64().unwrap_or(0),
        match s["sweep"]["namespace"].as_str() {
            Some("private") => {
                "in a network namespace of its own, so its counters count nothing else".to_string()
            }
            Some(why) => format!("in the host's network namespace ({why})"),
            None => "where the summary does not say".to_string(),
        }
    );
    Ok((t, plot(s)?, note))
}

/// The counters that would show a receive queue in trouble: collapsed or
/// pruned to fit, segments dropped, the window shut, memory pressure.
const TROUBLE: [(&str, &str); 9] = [
    ("TCPRcvCollapsed", "collapsed"),
    ("PruneCalled", "prune called"),
    ("RcvPruned", "pruned"),
    ("OfoPruned", "out-of-order pruned"),
    ("TCPRcvQDrop", "dropped, no room"),
    ("TCPZeroWindowDrop", "dropped, zero window"),
    ("TCPBacklogDrop", "backlog drops"),
    ("TCPToZeroWindowAdv", "window shut"),
    ("TCPWantZeroWindowAdv", "window wanted shut"),
];

/// The anomaly's evidence: where the time goes at the rig's buffer, the
/// controls, the counters, and the buffer sweep.
pub fn render_anomaly(s: &Value) -> Result<String, String> {
    let main = main_buffer(s)?;
    let backlogs = sweep_backlogs(s)?;
    let mut t = String::from(
        "<!-- generated by `cargo xtask bench` from bench-summary.json; do not edit -->\n\n",
    );
    if s["sweep"]["namespace"] != "private" {
        t += "The counters below were read in the host's namespace, where other programs move \
              them too: read them as an upper bound.\n\n";
    }
    t += &findings(s, main, &backlogs)?;
    // Where the round trip's time goes.
    t += "Where the urgent byte's round trip goes, at the rig's buffer (medians, µs). The \
          answer's way back is the round trip less the one-way time. *Right after*: the receiver \
          reads the backlog as soon as it has answered; *held*: once the answer has arrived; \
          *pinned*: right after, but the sender's thread bound to one CPU and the receiver's to \
          the other. The last columns count the samples where the sender took the answer in \
          on the very CPU the receiver sent it from.\n\n\
          | backlog | one way, right after | one way, held | one way, pinned | way back, right \
          after | way back, held | way back, pinned | answered on the receiver's CPU: right \
          after | held | pinned |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    let ways = ["urgent", "urgent-held", "urgent-pinned"];
    for b in &backlogs {
        let cells = ways
            .iter()
            .map(|v| cell(main, b, v))
            .collect::<Result<Vec<_>, _>>()?;
        t += &format!("| {} |", backlog_label(b));
        for c in &cells {
            t += &format!(" {:.1} |", need(c, "one_way_us")?);
        }
        for c in &cells {
            t += &format!(
                " {:.1} |",
                need(c, "round_trip_us")? - need(c, "one_way_us")?
            );
        }
        for c in &cells {
            t += &format!(
                " {} of {} |",
                c["same_cpu"].as_u64().unwrap_or(0),
                c["fit"].as_u64().unwrap_or(0)
            );
        }
        t += "\n";
    }

    // The congestion window.
    t += "\nThe sender's congestion window, at the rig's buffer, over every urgent byte and \
          SIGURG behind an unread backlog (four variants): the sender's state read just before \
          the marker went (medians of the held variant: segments sent and not yet \
          acknowledged, and the window), the samples where the first was not below the second, \
          so that the marker had to wait for an acknowledgement, the one-way times of those \
          samples and of the others (medians, µs), and the tail-loss probes and delayed-ACK \
          timers per sample.\n\n\
          | backlog | unacknowledged segments | congestion window | window full | one way, \
          window full | one way, room in the window | TCPLossProbes per sample | DelayedACKs per \
          sample |\n|---|---:|---:|---:|---:|---:|---:|---:|\n";
    let pooled = ["urgent", "urgent-held", "sigurg-held", "urgent-pinned"];
    for b in &backlogs {
        let w = main["window"]
            .as_array()
            .and_then(|w| w.iter().find(|w| w["backlog"] == b.as_str()))
            .ok_or_else(|| format!("{SUMMARY}: no window figures at {b}"))?;
        let held = cell(main, b, "urgent-held")?;
        let (full, room) = (
            w["full"].as_u64().unwrap_or(0),
            w["room"].as_u64().unwrap_or(0),
        );
        let (mut probes, mut delayed) = (0, 0);
        for v in pooled {
            let c = cell(main, b, v)?;
            probes += counter(c, "TCPLossProbes");
            delayed += counter(c, "DelayedACKs");
        }
        let n = (full + room).max(1) as f64;
        let or_dash = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.1}"));
        t += &format!(
            "| {} | {:.0} | {:.0} | {full} of {} | {} | {} | {:.2} | {:.2} |\n",
            backlog_label(b),
            held["unacked"].as_f64().unwrap_or(f64::NAN),
            held["cwnd"].as_f64().unwrap_or(f64::NAN),
            full + room,
            or_dash(w["one_way_full_us"]["median"].as_f64()),
            or_dash(w["one_way_room_us"]["median"].as_f64()),
            probes as f64 / n,
            delayed as f64 / n,
        );
    }

    // The controls.
    t += "\nThe controls, all held (one way, medians in µs with the 99th percentile): the \
          backlog left unread; unread but acknowledged (TCP_QUICKACK on the receiving socket, \
          and the acknowledgement seen by the sender before the marker); sent and read by the \
          receiver before the marker, so that its queue is empty; never sent, the sender only \
          filling and copying a buffer of its size. Then the answer's way back (round trip \
          less one way, medians, µs) for the first three, and the delayed-ACK timers that \
          fired per sample, unread and acknowledged: an acknowledgement that TCP_QUICKACK did \
          not send at once came from that timer, before the marker.\n\n\
          | backlog | unread | acknowledged | drained | touched | way back: unread | \
          acknowledged | drained | DelayedACKs per sample: unread | acknowledged |\n\
          |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    let controls = [
        "urgent-held",
        "urgent-acked",
        "urgent-drained",
        "urgent-touched",
    ];
    for b in &backlogs {
        t += &format!("| {} |", backlog_label(b));
        for v in controls {
            t += &format!(" {} |", median_and_p99(cell(main, b, v)?, "one_way_us"));
        }
        for v in &controls[..3] {
            let c = cell(main, b, v)?;
            t += &format!(
                " {:.1} |",
                need(c, "round_trip_us")? - need(c, "one_way_us")?
            );
        }
        for v in &controls[..2] {
            let c = cell(main, b, v)?;
            let n = c["fit"].as_u64().unwrap_or(0).max(1) as f64;
            t += &format!(" {:.2} |", counter(c, "DelayedACKs") as f64 / n);
        }
        t += "\n";
    }

    // The buffer sweep and its counters.
    t += "\nThe receive buffer swept (the kernel doubles what is asked, and autotuning grows a \
          buffer left alone as the receiver reads): for each buffer and backlog, the urgent \
          byte's one-way time, held, then its round trip with the backlog read right after \
          answering (medians, µs). \"Did not fit\": the receiver's window shut before the whole \
          backlog arrived, so an urgent byte behind it could not arrive before a read, and \
          none was sent.\n\n| buffer | granted |";
    for b in &backlogs {
        t += &format!(" {} |", backlog_label(b));
    }
    t += "\n|---|---:|";
    t += &"---:|".repeat(backlogs.len());
    t += "\n";
    for buffer in buffers(s)? {
        // Autotuning moves it: then the range the samples saw.
        let sizes: Vec<f64> = buffer["cells"]
            .as_array()
            .map(|c| c.iter().filter_map(|c| c["rcvbuf"].as_f64()).collect())
            .unwrap_or_default();
        let (lo, hi) = sizes
            .iter()
            .fold((f64::MAX, 0.0_f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        let granted = if sizes.is_empty() {
            "?".to_string()
        } else if lo == hi {
            bytes(lo)
        } else {
            format!("{} to {}", bytes(lo), bytes(hi))
        };
        t += &format!(
            "| {} | {granted} |",
            buffer["label"].as_str().unwrap_or("?")
        );
        for b in &backlogs {
            let (held, after) = (cell(buffer, b, "urgent-held")?, cell(buffer, b, "urgent")?);
            let fit = held["fit"].as_u64().unwrap_or(0);
            let all = fit + held["unfit"].as_u64().unwrap_or(0);
            t += &match (
                cell_median(held, "one_way_us"),
                cell_median(after, "round_trip_us"),
            ) {
                (Some(ow), Some(rt)) if fit == all => format!(" {ow:.1} / {rt:.1} |"),
                (Some(ow), Some(rt)) => format!(" {ow:.1} / {rt:.1} ({fit} of {all} fitted) |"),
                _ => " did not fit |".to_string(),
            };
        }
        t += "\n";
    }
    t += "\nThe counters of trouble, summed over every sample of every variant at each buffer \
          (the buffer's samples in brackets). A queue collapsed or pruned to fit its buffer, a \
          segment dropped for want of room, the window advertised shut:\n\n| buffer | samples |";
    for (_, label) in TROUBLE {
        t += &format!(" {label} |");
    }
    t += "\n|---|---:|";
    t += &"---:|".repeat(TROUBLE.len());
    t += "\n";
    for buffer in buffers(s)? {
        let cells = buffer["cells"].as_array().cloned().unwrap_or_default();
        let samples: u64 = cells
            .iter()
            .map(|c| c["fit"].as_u64().unwrap_or(0) + c["unfit"].as_u64().unwrap_or(0))
            .sum();
        t += &format!(
            "| {} | {samples} |",
            buffer["label"].as_str().unwrap_or("?")
        );
        for (name, _) in TROUBLE {
            let total: u64 = cells.iter().map(|c| counter(c, name)).sum();
            t += &format!(" {total} |");
        }
        t += "\n";
    }
    Ok(t)
}

/// What this run found, in sentences whose every figure is computed from
/// the summary: the chapter's prose explains them and types none.
fn findings(s: &Value, main: &Value, backlogs: &[String]) -> Result<String, String> {
    let at = |b: &str, v: &str, f: &str| -> Result<f64, String> { need(cell(main, b, v)?, f) };
    let (zero, big) = ("0", backlogs.last().ok_or("no backlogs")?.as_str());
    let big_label = backlog_label(big);
    let back = |b: &str, v: &str| -> Result<f64, String> {
        Ok(at(b, v, "round_trip_us")? - at(b, v, "one_way_us")?)
    };
    let cpu = |v: &str| -> Result<String, String> {
        let c = cell(main, big, v)?;
        Ok(format!(
            "{} of {}",
            c["same_cpu"].as_u64().unwrap_or(0),
            c["fit"].as_u64().unwrap_or(0)
        ))
    };
    let mut t = String::from(
        "What this run found (every figure below is computed from the tables that follow):\n\n",
    );
    t += &format!(
        "- The urgent byte's one-way time with 1 MiB queued was {:.2} times its time with nothing \
         queued, and {:.2} times at {big_label}. Its round trip as this bench always measured it (the \
         backlog read right after answering) was {:.2} times at 1 MiB and {:.2} times at {big_label}.\n",
        at("1MiB", "urgent-held", "one_way_us")? / at(zero, "urgent-held", "one_way_us")?,
        at(big, "urgent-held", "one_way_us")? / at(zero, "urgent-held", "one_way_us")?,
        at("1MiB", "urgent", "round_trip_us")? / at(zero, "urgent", "round_trip_us")?,
        at(big, "urgent", "round_trip_us")? / at(zero, "urgent", "round_trip_us")?,
    );
    t += &format!(
        "- The answer's way back at {big_label}: {:.1} µs with the backlog read right after \
         answering, {:.1} µs held, {:.1} µs pinned (with nothing queued: {:.1}, {:.1} and {:.1} µs). \
         The sender took the answer in on the receiver's CPU in {} samples right after, {} held, {} \
         pinned.\n",
        back(big, "urgent")?,
        back(big, "urgent-held")?,
        back(big, "urgent-pinned")?,
        back(zero, "urgent")?,
        back(zero, "urgent-held")?,
        back(zero, "urgent-pinned")?,
        cpu("urgent")?,
        cpu("urgent-held")?,
        cpu("urgent-pinned")?,
    );
    let windows = main["window"].as_array().cloned().unwrap_or_default();
    let (mut full, mut all) = (0, 0);
    let mut stalls: Vec<f64> = Vec::new();
    for w in &windows {
        full += w["full"].as_u64().unwrap_or(0);
        all += w["full"].as_u64().unwrap_or(0) + w["room"].as_u64().unwrap_or(0);
        stalls.extend(w["one_way_full_us"]["median"].as_f64());
    }
    stalls.sort_by(f64::total_cmp);
    let mut rooms: Vec<f64> = windows
        .iter()
        .filter_map(|w| w["one_way_room_us"]["median"].as_f64())
        .collect();
    rooms.sort_by(f64::total_cmp);
    t += &match (stalls.first(), stalls.last(), rooms.first(), rooms.last()) {
        (Some(lo), Some(hi), Some(rlo), Some(rhi)) => format!(
            "- The sender's congestion window was full of unacknowledged backlog before {full} of \
             {all} urgent bytes and SIGURGs; their one-way times had medians from {:.1} to {:.1} ms \
             (one median per backlog), against {rlo:.1} to {rhi:.1} µs for the others.\n",
            lo / 1000.0,
            hi / 1000.0
        ),
        _ => format!(
            "- The sender's congestion window was never full before an urgent byte or SIGURG \
             ({all} samples).\n"
        ),
    };
    t += &format!(
        "- One way at {big_label}, held: {:.1} µs with the backlog unread, {:.1} µs acknowledged, \
         {:.1} µs drained, {:.1} µs touched (with nothing queued: {:.1} µs).\n",
        at(big, "urgent-held", "one_way_us")?,
        at(big, "urgent-acked", "one_way_us")?,
        at(big, "urgent-drained", "one_way_us")?,
        at(big, "urgent-touched", "one_way_us")?,
        at(zero, "urgent-held", "one_way_us")?,
    );
    let mut samples = 0;
    let mut trouble = 0;
    let mut shut = Vec::new();
    for buffer in buffers(s)? {
        let cells = buffer["cells"].as_array().cloned().unwrap_or_default();
        samples += cells
            .iter()
            .map(|c| c["fit"].as_u64().unwrap_or(0) + c["unfit"].as_u64().unwrap_or(0))
            .sum::<u64>();
        trouble += TROUBLE[..7]
            .iter()
            .map(|(name, _)| cells.iter().map(|c| counter(c, name)).sum::<u64>())
            .sum::<u64>();
        let adverts: u64 = TROUBLE[7..]
            .iter()
            .map(|(name, _)| cells.iter().map(|c| counter(c, name)).sum::<u64>())
            .sum();
        let unfit: u64 = cells.iter().map(|c| c["unfit"].as_u64().unwrap_or(0)).sum();
        if adverts > 0 {
            shut.push(format!(
                "{} ({adverts} times; {unfit} samples did not fit)",
                buffer["label"].as_str().unwrap_or("?")
            ));
        }
    }
    t += &format!(
        "- Queues collapsed, pruned or dropped from, over {samples} samples at every buffer: {trouble} \
         times in all. The window was advertised shut, or wanted shut, only with {}.\n\n",
        if shut.is_empty() {
            "no buffer".to_string()
        } else {
            shut.join(", ")
        }
    );
    Ok(t)
}

/// `8 MiB`, `256 KiB`, `3.7 MiB`.
fn bytes(n: f64) -> String {
    let mib = n / (1 << 20) as f64;
    if mib >= 1.0 {
        if mib.fract() == 0.0 {
            format!("{mib:.0} MiB")
        } else {
            format!("{mib:.1} MiB")
        }
    } else {
        format!("{:.0} KiB", n / 1024.0)
    }
}

/// A backlog key of the summary ("0", "64KiB", "1MiB") in KiB.
fn backlog_kib(key: &str) -> Result<f64, String> {
    let (number, unit) = key.split_at(key.find(|c: char| !c.is_ascii_digit()).unwrap_or(key.len()));
    let n: f64 = number
        .parse()
        .map_err(|_| format!("{SUMMARY}: backlog '{key}' is not a size"))?;
    match unit {
        "" => Ok(n / 1024.0),
        "KiB" => Ok(n),
        "MiB" => Ok(n * 1024.0),
        _ => Err(format!("{SUMMARY}: backlog '{key}' has an unknown unit")),
    }
}

/// The plot's series: key, legend, colour, dashed, (variant, field).
const SERIES: [(&str, &str, &str, bool, &str, &str); 5] = [
    (
        "urgent-rt",
        "urgent, round trip",
        "#d0473f",
        true,
        "urgent",
        "round_trip_us",
    ),
    (
        "urgent-ow",
        "urgent, one way",
        "#d0473f",
        false,
        "urgent-held",
        "one_way_us",
    ),
    (
        "sigurg-ow",
        "SIGURG, one way",
        "#2e9d57",
        false,
        "sigurg-held",
        "one_way_us",
    ),
    (
        "normal-rt",
        "normal, round trip",
        "#4a78c2",
        true,
        "normal",
        "round_trip_us",
    ),
    (
        "normal-ow",
        "normal, one way",
        "#4a78c2",
        false,
        "normal",
        "one_way_us",
    ),
];

/// Latency against backlog over loopback at the rig's buffer, both axes
/// logarithmic: the urgent byte (its round trip as this bench always
/// measured it, dashed, and its one-way time), SIGURG (one way), and the
/// normal marker (both), medians, the 99th percentile in each point's
/// tooltip. An SVG in the theme's colours (`currentColor`, no background:
/// the book inlines it). The backlog axis is log2 of 1 + KiB, so that
/// nothing queued sits at the left edge. Text is large enough to stay
/// legible when a phone shrinks the figure to its width.
fn plot(s: &Value) -> Result<String, String> {
    let (w, h, left, right, top, bottom) = (600.0, 520.0, 84.0, 24.0, 178.0, 70.0);
    let main = main_buffer(s)?;
    let backlogs = sweep_backlogs(s)?;
    let mut series = Vec::new();
    for (key, name, colour, dashed, variant, field) in SERIES {
        let mut points = Vec::new();
        for b in &backlogs {
            let c = cell(main, b, variant)?;
            let p99 = c[field]["p99"].as_f64().unwrap_or(f64::NAN);
            points.push((backlog_kib(b)?, need(c, field)?, p99));
        }
        series.push((key, name, colour, dashed, points));
    }
    let all = series.iter().flat_map(|s| s.4.iter().map(|p| p.1));
    let (lo, hi) = all.fold((f64::MAX, 1.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    // The axis runs between the 1-2-5 values just outside the data.
    let steps: Vec<(f64, f64)> = (-1..7)
        .flat_map(|e| [1.0, 2.0, 5.0].map(|m| (m, m * 10f64.powi(e))))
        .collect();
    let floor = steps
        .iter()
        .rev()
        .find(|(_, v)| *v <= lo)
        .map_or(0.1, |s| s.1);
    let ceil = steps.iter().find(|(_, v)| *v >= hi).map_or(1e7, |s| s.1);
    let (log_lo, log_hi) = (floor.log10(), ceil.log10());
    let kib_max = series[0].4.iter().map(|p| p.0).fold(1.0_f64, f64::max);
    let x = |kib: f64| left + (w - left - right) * (1.0 + kib).log2() / (1.0 + kib_max).log2();
    let y = |v: f64| top + (h - top - bottom) * (1.0 - (v.log10() - log_lo) / (log_hi - log_lo));
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"18\" fill=\"currentColor\">\n\
         <!-- generated by `cargo xtask bench` from bench-summary.json; do not edit -->\n\
         <title>Latency over loopback against the backlog queued before the marker, both axes logarithmic: the urgent byte's round trip (the backlog read right after answering) and one-way time, SIGURG's one-way time, and the normal marker's round trip and one-way time (medians)</title>\n\
         <text x=\"{left}\" y=\"28\" font-weight=\"bold\">Loopback: latency against the backlog</text>\n"
    );
    for (m, v) in steps.iter().filter(|(_, v)| (floor..=ceil).contains(v)) {
        let label = if *v >= 1.0 {
            format!("{v:.0}")
        } else {
            format!("{v}")
        };
        svg += &format!(
            "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"currentColor\" stroke-opacity=\"{2}\"/><text x=\"{3}\" y=\"{4:.1}\" text-anchor=\"end\">{label}</text>\n",
            y(*v),
            w - right,
            if *m == 1.0 { 0.3 } else { 0.12 },
            left - 8.0,
            y(*v) + 6.0
        );
    }
    // A label where there is room for it: the last one always, the others
    // at least 80 units from their neighbours.
    let ticks: Vec<f64> = series[0].4.iter().map(|p| x(p.0)).collect();
    let last_x = ticks.last().copied().unwrap_or(w);
    let mut shown_x = f64::MIN;
    for (i, (b, tick)) in backlogs.iter().zip(&ticks).enumerate() {
        let last = i + 1 == ticks.len();
        let label = if last || (tick - shown_x >= 80.0 && last_x - tick >= 80.0) {
            shown_x = *tick;
            backlog_label(b)
        } else {
            String::new()
        };
        let kib = *tick;
        svg += &format!(
            "<line x1=\"{0:.1}\" y1=\"{1}\" x2=\"{0:.1}\" y2=\"{2}\" stroke=\"currentColor\" stroke-opacity=\"0.5\"/><text x=\"{0:.1}\" y=\"{3}\" text-anchor=\"middle\">{label}</text>\n",
            kib,
            h - bottom,
            h - bottom + 6.0,
            h - bottom + 26.0
        );
    }
    svg += &format!(
        "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">unread data queued before it (log scale)</text>\n",
        (left + w - right) / 2.0,
        h - 12.0
    );
    svg += &format!(
        "<text transform=\"translate(22 {:.1}) rotate(-90)\" text-anchor=\"middle\">latency (µs, log scale)</text>\n",
        (top + h - bottom) / 2.0
    );
    for (i, (key, name, colour, dashed, points)) in series.iter().enumerate() {
        let dash = if *dashed {
            " stroke-dasharray=\"9 6\""
        } else {
            ""
        };
        let line: Vec<String> = points
            .iter()
            .map(|(kib, median, _)| format!("{:.1},{:.1}", x(*kib), y(*median)))
            .collect();
        svg += &format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"3\"{dash}/>\n",
            line.join(" ")
        );
        for (kib, median, p99) in points {
            let (cx, cy) = (x(*kib), y(*median));
            let tip = format!("{name}: median {median:.1} µs, p99 {p99:.1} µs");
            svg += &if key.starts_with("sigurg") {
                format!(
                    "<path d=\"M{cx:.1} {:.1} L{:.1} {cy:.1} L{cx:.1} {:.1} L{:.1} {cy:.1} Z\" fill=\"{colour}\"><title>{tip}</title></path>\n",
                    cy - 7.0,
                    cx + 7.0,
                    cy + 7.0,
                    cx - 7.0
                )
            } else {
                format!(
                    "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{}\" fill=\"{colour}\"><title>{tip}</title></circle>\n",
                    if *dashed { 3.5 } else { 5.0 }
                )
            };
        }
        // The key: two columns, three rows.
        let (lx, ly) = (
            left + if i < 3 { 0.0 } else { 270.0 },
            62.0 + 30.0 * (i % 3) as f64,
        );
        svg += &format!(
            "<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{0}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"3\"{dash}/><text x=\"{1}\" y=\"{2}\">{name}</text>\n",
            lx + 26.0,
            lx + 32.0,
            ly + 6.0
        );
    }
    svg += &format!(
        "<text x=\"{left}\" y=\"158\" fill-opacity=\"0.75\">medians; solid: one way; dashed: round trip</text>\n"
    );
    svg += "</svg>\n";
    Ok(svg)
}

/// The committed files exist, are well-formed, and are what the committed
/// summary renders to.
pub fn check_generated(ws: &Workspace) -> Result<(), String> {
    let read = |path: &str| {
        fs::read_to_string(ws.root.join(path))
            .map_err(|e| format!("{path}: {e} (run `cargo xtask bench`)"))
    };
    let summary: Value =
        serde_json::from_str(&read(SUMMARY)?).map_err(|e| format!("{SUMMARY}: {e}"))?;
    let (table, plot, note) = render(&summary)?;
    let lab = render_lab(&summary)?;
    let anomaly = render_anomaly(&summary)?;
    for (path, expected) in [
        (TABLE, table),
        (PLOT, plot),
        (MACHINE, note),
        (LAB, lab),
        (ANOMALY, anomaly),
    ] {
        if read(path)? != expected {
            return Err(format!(
                "{path} is not what {SUMMARY} renders to (edited by hand, or stale: run `cargo xtask bench`)"
            ));
        }
    }
    let svg = read(PLOT)?;
    if !(svg.starts_with("<svg")
        && svg.trim_end().ends_with("</svg>")
        && svg.matches("<polyline").count() == SERIES.len())
    {
        return Err(format!("{PLOT} is not a well-formed plot"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sweep cell: `one_way` and `round_trip` medians (p99 twice
    /// that), or unfit when `None`.
    fn swept(backlog: &str, variant: &str, times: Option<(f64, f64)>, rcvbuf: f64) -> Value {
        let t = |m: f64| json!({"median": m, "p99": m * 2.0});
        match times {
            Some((ow, rt)) => json!({
                "backlog": backlog, "variant": variant, "fit": 30, "unfit": 0,
                "round_trip_us": t(rt), "one_way_us": t(ow), "woke_us": t(ow - 1.0),
                "rcvbuf": rcvbuf, "arrived": null, "unacked": 15.0, "cwnd": 16.0,
                "cwnd_full": 3, "same_cpu": 12, "crossed": 7,
                "counters": {"TCPLossProbes": 6, "TCPRcvCollapsed": 2},
            }),
            None => json!({
                "backlog": backlog, "variant": variant, "fit": 0, "unfit": 30,
                "round_trip_us": null, "one_way_us": null, "woke_us": null,
                "rcvbuf": rcvbuf, "arrived": 200000.0, "unacked": null, "cwnd": null,
                "cwnd_full": 0, "same_cpu": 0, "crossed": 0, "counters": {"TCPToZeroWindowAdv": 30},
            }),
        }
    }

    fn sample() -> Value {
        let mut s = serde_json::Map::new();
        for case in [
            "round-trip/std",
            "round-trip/nix",
            "round-trip/c",
            "interleaved/rust-std",
            "interleaved/c",
        ] {
            s.insert(
                case.into(),
                json!({"median_us": 10.0, "p99_us": 20.0, "mean_us": 10.0, "samples": 30}),
            );
        }
        s.insert(
            "machine".into(),
            json!({"kernel": "6.18", "cpu": "test", "cores": 2}),
        );
        s.insert(
            "load".into(),
            json!({"start": [1.5, 1.0, 0.5], "sweep": [2.25, 1.0, 0.5], "end": [3.0, 1.0, 0.5],
                   "nice": 5}),
        );
        let backlogs = ["0", "64KiB", "1MiB"];
        // Of 120 urgent samples behind each backlog, 12 with the window full.
        let window: Vec<Value> = backlogs
            .iter()
            .map(|b| {
                json!({"backlog": b, "full": 12, "room": 108,
                       "one_way_full_us": {"median": 36000.0, "p99": 40000.0},
                       "one_way_room_us": {"median": 10.0, "p99": 20.0}})
            })
            .collect();
        // Urgent: 10 µs one way everywhere, 12 µs round trip held, 40 µs
        // right after at 1 MiB; normal: 100 µs one way at 1 MiB.
        let mut main = Vec::new();
        let mut small = Vec::new();
        for b in backlogs {
            let big = b == "1MiB";
            for v in [
                "urgent",
                "urgent-held",
                "sigurg-held",
                "normal",
                "urgent-pinned",
                "urgent-acked",
                "urgent-drained",
                "urgent-touched",
            ] {
                let times = match v {
                    "urgent" if big => (10.0, 40.0),
                    "normal" if big => (100.0, 110.0),
                    _ => (10.0, 12.0),
                };
                main.push(swept(b, v, Some(times), 8388608.0));
                if v == "urgent" || v == "urgent-held" || v == "sigurg-held" || v == "normal" {
                    small.push(swept(b, v, (!big).then_some(times), 262144.0));
                }
            }
        }
        s.insert(
            "sweep".into(),
            json!({
                "rounds": 30, "namespace": "private", "backlogs": backlogs,
                "buffers": [
                    {"key": "rig-4MiB", "label": "4 MiB, forced (the rig's)", "main": true,
                     "cells": main, "window": window},
                    {"key": "forced-128KiB", "label": "SO_RCVBUFFORCE 128 KiB", "main": false,
                     "cells": small, "window": []},
                ],
            }),
        );
        s.insert("lab".into(), json!({"skipped": "not permitted"}));
        Value::Object(s)
    }

    #[test]
    fn the_table_reports_ratios_against_targets() {
        let (table, plot, note) = render(&sample()).unwrap();
        for row in [
            "| Rust / C round trip (interleaved) | 1.00 | 0.95 to 1.05 | met |",
            "| urgent byte with 1 MiB queued / with nothing queued, round trip, right after | 3.33 | at most 1.5 | not met |",
            "| urgent byte with 1 MiB queued / with nothing queued, one way | 1.00 | at most 1.5 | met |",
            "| urgent byte with 1 MiB queued / with 64 KiB queued, round trip, held | 1.00 | at most 1.5 | met |",
            "| normal marker / urgent byte, 1 MiB queued, round trips, held | 9.17 | at least 5 | met |",
            "| normal marker / urgent byte, 1 MiB queued, one way | 10.00 | at least 5 | met |",
            "| 1 MiB | 40.0 (80.0) | 12.0 (24.0) | 10.0 (20.0) | 10.0 (20.0) | 100.0 (200.0) | 110.0 (220.0) |",
        ] {
            assert!(table.contains(row), "{row}\n{table}");
        }
        assert!(plot.starts_with("<svg"));
        assert_eq!(plot.matches("<polyline").count(), SERIES.len());
        assert!(
            note.contains("Measured on Linux 6.18, test (2 cores)")
                && note.contains(
                    "1.50 when the benches started, 2.25 when the sweep started and 3.00 at the end"
                )
                && note.contains("namespace of its own"),
            "{note}"
        );
    }

    #[test]
    fn the_anomaly_tables_show_the_way_back_the_controls_and_the_counters() {
        let t = render_anomaly(&sample()).unwrap();
        for row in [
            // One way 10 everywhere; way back 30 right after, 2 held and
            // pinned; 12 of 30 answers on the receiver's CPU.
            "| 1 MiB | 10.0 | 10.0 | 10.0 | 30.0 | 2.0 | 2.0 | 12 of 30 | 12 of 30 | 12 of 30 |",
            // 15 unacked of a window of 16; 12 of 120 full; 4 cells of 6
            // probes over 120 samples.
            "| 1 MiB | 15 | 16 | 12 of 120 | 36000.0 | 10.0 | 0.20 | 0.00 |",
            "| 1 MiB | 10.0 (20.0) | 10.0 (20.0) | 10.0 (20.0) | 10.0 (20.0) | 2.0 | 2.0 | 2.0 | 0.00 | 0.00 |",
            "| SO_RCVBUFFORCE 128 KiB | 256 KiB | 10.0 / 12.0 | 10.0 / 12.0 | did not fit |",
            // 3 backlogs x 8 variants x 30 samples; 2 collapses each.
            "| 4 MiB, forced (the rig's) | 720 | 48 | 0 |",
            // 4 variants at the unfit backlog, 30 shut windows each.
            "| SO_RCVBUFFORCE 128 KiB | 360 | 16 | 0 | 0 | 0 | 0 | 0 | 0 | 120 | 0 |",
        ] {
            assert!(t.contains(row), "{row}\n{t}");
        }
    }

    #[test]
    fn the_lab_table_judges_each_target_from_the_samples() {
        let sample = |sig: f64, urg: f64| {
            json!({"sigurg_ms": sig, "left_ms": urg - 1.0, "urgent_ms": urg, "marker_ms": urg,
                   "notsent_at_send": 1048576, "eagain": 3})
        };
        let mut s = sample_summary_with_lab(json!({
            "notice": {"rate_bits": 10000000, "cases": [
                {"backlog": "1MiB", "label": "1 MiB", "bytes": 1048576, "sndbuf": "autotuned",
                 "samples": [sample(100.0, 500.0)]},
                {"backlog": "1MiB", "label": "1 MiB", "bytes": 1048576, "sndbuf": "forced",
                 "samples": [sample(12.0, 876.0)]},
            ]},
            "heartbeat": {"nsec_ms": 200.0, "nprobes": 3, "lower_ms": 600.0, "upper_ms": 800.0,
                "samples": [
                    {"side": "client", "after_last_ms": 800.0, "after_down_ms": 796.0},
                    {"side": "server", "after_last_ms": 700.0, "after_down_ms": 830.0},
                ]},
        }));
        let t = render_lab(&s).unwrap();
        assert!(
            t.contains("send buffer autotuned | 5.0× | not met |"),
            "{t}"
        );
        assert!(t.contains("send buffer forced | 73.0× | met |"), "{t}");
        assert!(
            t.contains(
                "| client | 1 | 800.0 / 800.0 / 800.0 | 796.0 / 796.0 / 796.0 | every one (met) |"
            ),
            "{t}"
        );
        assert!(
            t.contains("| server | 1 |") && t.contains("not all (not met)"),
            "{t}"
        );
        s["lab"]["notice"]["cases"][0]["samples"][0]
            .as_object_mut()
            .unwrap()
            .remove("urgent_ms");
        assert!(render_lab(&s).unwrap_err().contains("urgent_ms"));
    }

    fn sample_summary_with_lab(lab: Value) -> Value {
        let mut s = sample();
        s["lab"] = lab;
        s
    }

    #[test]
    fn the_summary_is_laid_out_one_cell_a_line_and_reads_back_the_same() {
        let s = sample();
        let text = layout(&s, 0);
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), s);
        let cell_lines = text
            .lines()
            .filter(|l| l.trim_start().starts_with("{\"arrived\""))
            .count();
        assert_eq!(cell_lines, 3 * 8 + 3 * 4, "{text}");
    }

    #[test]
    fn a_missing_case_is_an_error_not_a_zero() {
        let mut s = sample();
        s.as_object_mut().unwrap().remove("interleaved/c");
        assert!(render(&s).unwrap_err().contains("interleaved/c"));
        let mut s = sample();
        s["sweep"]["buffers"][0]["cells"]
            .as_array_mut()
            .unwrap()
            .retain(|c| !(c["backlog"] == "1MiB" && c["variant"] == "urgent"));
        assert!(
            render(&s)
                .unwrap_err()
                .contains("no sweep cell urgent at 1MiB")
        );
    }
}
