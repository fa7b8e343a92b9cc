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

/// The backlogs of the figures, as the benches named them (once, in
/// `netlab::notice::BACKLOGS`) and wrote them into the summary: key, label.
fn backlogs(s: &Value) -> Result<Vec<(String, String)>, String> {
    s["backlogs"]
        .as_array()
        .ok_or_else(|| format!("{SUMMARY} has no backlogs"))?
        .iter()
        .map(|b| match (b[0].as_str(), b[1].as_str()) {
            (Some(k), Some(l)) => Ok((k.to_string(), l.to_string())),
            _ => Err(format!("{SUMMARY}: a backlog is not [key, label]")),
        })
        .collect()
}

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
    sockref::outln!("wrote {TABLE}, {PLOT}, {MACHINE}, {LAB}")?;
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
    fs::write(
        &path,
        serde_json::to_string_pretty(&summary).expect("JSON") + "\n",
    )
    .map_err(|e| Error::runtime(format!("write {}: {e}", path.display())))?;
    sockref::outln!("wrote {SUMMARY}")?;
    write_rendered(ws, &summary)
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
    ] {
        t += &row(s, case, label)?;
    }
    for (case, label) in [
        ("interleaved/rust-std", "round trip, Rust std, interleaved"),
        ("interleaved/c", "round trip, C, interleaved"),
    ] {
        t += &row(s, case, label)?;
    }
    let backlogs = backlogs(s)?;
    for (kind, name) in [("urgent", "urgent byte"), ("normal", "normal marker")] {
        for (b, label) in &backlogs {
            t += &row(s, &format!("{kind}/{b}"), &format!("{name}, {label}"))?;
        }
    }
    t += &row(s, "sigurg/0", "SIGURG, no backlog")?;

    let ratio = |a: f64, b: f64| a / b;
    let rust_c = ratio(
        median(s, "interleaved/rust-std")?,
        median(s, "interleaved/c")?,
    );
    let flat = ratio(median(s, "urgent/1MiB")?, median(s, "urgent/0")?);
    let behind = ratio(median(s, "normal/1MiB")?, median(s, "urgent/1MiB")?);
    let verdict = |ok: bool| if ok { "met" } else { "not met" };
    t += "\n| ratio (medians, one run) | measured | target | |\n|---|---:|---|---|\n";
    t += &format!(
        "| Rust / C round trip (interleaved) | {rust_c:.2} | 0.95 to 1.05 | {} |\n",
        verdict((0.95..=1.05).contains(&rust_c))
    );
    t += &format!(
        "| urgent with 1 MiB queued / urgent with nothing queued | {flat:.2} | at most 1.5 | {} |\n",
        verdict(flat <= 1.5)
    );
    t += &format!(
        "| normal marker / urgent byte, 1 MiB queued | {behind:.2} | at least 5 | {} |\n",
        verdict(behind >= 5.0)
    );
    for (b, label) in &backlogs {
        let r = ratio(
            median(s, &format!("normal/{b}"))?,
            median(s, &format!("urgent/{b}"))?,
        );
        t += &format!("| normal / urgent, {label} | {r:.2} | | |\n");
    }

    let m = &s["machine"];
    let note = format!(
        "<!-- generated by `cargo xtask bench`; do not edit -->\n\nMeasured on Linux {}, {} ({} cores).\n",
        m["kernel"].as_str().unwrap_or("?"),
        m["cpu"].as_str().unwrap_or("?"),
        m["cores"].as_u64().unwrap_or(0)
    );
    Ok((t, plot(s)?, note))
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

fn p99(s: &Value, case: &str) -> Result<f64, String> {
    s[case]["p99_us"]
        .as_f64()
        .ok_or_else(|| format!("{SUMMARY} has no p99 for {case}"))
}

/// Latency against backlog over loopback: the urgent byte and the normal
/// marker (medians, with a whisker up to the 99th percentile), and SIGURG's
/// arrival with nothing queued, as an SVG in the theme's colours
/// (`currentColor`, no background: the book inlines it). The backlog axis
/// is logarithmic (log2 of 1 + KiB), so 0, 64 KiB and 1 MiB are not spaced
/// as if they were evenly apart. Text is large enough to stay legible when
/// a phone shrinks the figure to its width.
fn plot(s: &Value) -> Result<String, String> {
    let (w, h, left, right, top, bottom) = (600.0, 430.0, 84.0, 24.0, 110.0, 70.0);
    let backlogs = backlogs(s)?;
    let mut series = Vec::new();
    for (kind, colour) in [("urgent", "#d0473f"), ("normal", "#4a78c2")] {
        let mut points = Vec::new();
        for (b, _) in &backlogs {
            let case = format!("{kind}/{b}");
            points.push((backlog_kib(b)?, median(s, &case)?, p99(s, &case)?));
        }
        series.push((kind, colour, points));
    }
    let sigurg = median(s, "sigurg/0").ok();
    let max = series
        .iter()
        .flat_map(|(_, _, ps)| ps.iter().map(|p| p.2))
        .chain(sigurg)
        .fold(1.0_f64, f64::max);
    let step = nice_step(max / 5.0);
    let top_value = (max / step).ceil() * step;
    let kib_max = series[0].2.iter().map(|p| p.0).fold(1.0_f64, f64::max);
    let x = |kib: f64| left + (w - left - right) * (1.0 + kib).log2() / (1.0 + kib_max).log2();
    let y = |v: f64| top + (h - top - bottom) * (1.0 - v / top_value);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"18\" fill=\"currentColor\">\n\
         <!-- generated by `cargo xtask bench` from bench-summary.json; do not edit -->\n\
         <title>Latency over loopback of an urgent byte and of a normal marker against the backlog queued before it (medians, whiskers to the 99th percentile), and SIGURG with nothing queued</title>\n\
         <text x=\"{left}\" y=\"28\" font-weight=\"bold\">Loopback: latency against the backlog</text>\n"
    );
    let mut v = 0.0;
    while v <= top_value + step / 2.0 {
        svg += &format!(
            "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"currentColor\" stroke-opacity=\"0.2\"/><text x=\"{2}\" y=\"{3:.1}\" text-anchor=\"end\">{v}</text>\n",
            y(v),
            w - right,
            left - 8.0,
            y(v) + 6.0
        );
        v += step;
    }
    for ((_, label), (kib, _, _)) in backlogs.iter().zip(&series[0].2) {
        svg += &format!(
            "<line x1=\"{0:.1}\" y1=\"{1}\" x2=\"{0:.1}\" y2=\"{2}\" stroke=\"currentColor\" stroke-opacity=\"0.5\"/><text x=\"{0:.1}\" y=\"{3}\" text-anchor=\"middle\">{label}</text>\n",
            x(*kib),
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
        "<text transform=\"translate(22 {:.1}) rotate(-90)\" text-anchor=\"middle\">latency (µs)</text>\n",
        (top + h - bottom) / 2.0
    );
    let mut legend_x = left;
    for (kind, colour, points) in &series {
        let line: Vec<String> = points
            .iter()
            .map(|(kib, median, _)| format!("{:.1},{:.1}", x(*kib), y(*median)))
            .collect();
        svg += &format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"3\"/>\n",
            line.join(" ")
        );
        // The two series' whiskers side by side, not on top of each other.
        let nudge = if *kind == "urgent" { -5.0 } else { 5.0 };
        for (kib, median, p99) in points {
            svg += &format!(
                "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" stroke=\"{colour}\" stroke-width=\"2\"/><circle cx=\"{0:.1}\" cy=\"{1:.1}\" r=\"5\" fill=\"{colour}\"><title>{kind}: median {median:.1} µs, p99 {p99:.1} µs</title></circle>\n",
                x(*kib) + nudge,
                y(*median),
                y(*p99)
            );
        }
        let name = if *kind == "urgent" {
            "urgent byte"
        } else {
            "normal marker"
        };
        svg += &format!(
            "<line x1=\"{legend_x}\" y1=\"62\" x2=\"{0}\" y2=\"62\" stroke=\"{colour}\" stroke-width=\"3\"/><text x=\"{1}\" y=\"68\">{name}</text>\n",
            legend_x + 26.0,
            legend_x + 32.0
        );
        legend_x += 190.0;
    }
    if let Some(sig) = sigurg {
        let (cx, cy) = (x(0.0), y(sig));
        let colour = "#2e9d57";
        svg += &format!(
            "<path d=\"M{cx:.1} {:.1} L{:.1} {:.1} L{cx:.1} {:.1} L{:.1} {:.1} Z\" fill=\"{colour}\"><title>SIGURG, nothing queued: median {sig:.1} µs</title></path>\n",
            cy - 8.0,
            cx + 8.0,
            cy,
            cy + 8.0,
            cx - 8.0,
            cy
        );
        svg += &format!(
            "<path d=\"M{0:.1} 54 L{1:.1} 62 L{0:.1} 70 L{2:.1} 62 Z\" fill=\"{colour}\"/><text x=\"{3:.1}\" y=\"68\">SIGURG</text>\n",
            legend_x + 13.0,
            legend_x + 21.0,
            legend_x + 5.0,
            legend_x + 32.0
        );
    }
    svg += &format!(
        "<text x=\"{left}\" y=\"96\" fill-opacity=\"0.75\">dots: medians; whiskers: 99th percentile</text>\n"
    );
    svg += "</svg>\n";
    Ok(svg)
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let power = 10f64.powf(raw.max(1e-9).log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power)
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
    for (path, expected) in [(TABLE, table), (PLOT, plot), (MACHINE, note), (LAB, lab)] {
        if read(path)? != expected {
            return Err(format!(
                "{path} is not what {SUMMARY} renders to (edited by hand, or stale: run `cargo xtask bench`)"
            ));
        }
    }
    let svg = read(PLOT)?;
    if !(svg.starts_with("<svg")
        && svg.trim_end().ends_with("</svg>")
        && svg.matches("<polyline").count() == 2)
    {
        return Err(format!("{PLOT} is not a well-formed plot"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        let mut s = serde_json::Map::new();
        for case in [
            "round-trip/std",
            "round-trip/nix",
            "round-trip/c",
            "interleaved/rust-std",
            "interleaved/c",
            "urgent/0",
            "urgent/64KiB",
            "urgent/1MiB",
            "normal/0",
            "normal/64KiB",
            "normal/1MiB",
            "sigurg/0",
        ] {
            let m = if case.starts_with("normal/1") {
                100.0
            } else {
                10.0
            };
            s.insert(
                case.into(),
                json!({"median_us": m, "p99_us": m * 2.0, "mean_us": m, "samples": 30}),
            );
        }
        s.insert(
            "machine".into(),
            json!({"kernel": "6.18", "cpu": "test", "cores": 2}),
        );
        s.insert(
            "backlogs".into(),
            json!([["0", "no backlog"], ["64KiB", "64 KiB"], ["1MiB", "1 MiB"]]),
        );
        s.insert("lab".into(), json!({"skipped": "not permitted"}));
        Value::Object(s)
    }

    #[test]
    fn the_table_reports_ratios_against_targets() {
        let (table, plot, note) = render(&sample()).unwrap();
        assert!(
            table.contains("| Rust / C round trip (interleaved) | 1.00 | 0.95 to 1.05 | met |"),
            "{table}"
        );
        assert!(
            table.contains(
                "| normal marker / urgent byte, 1 MiB queued | 10.00 | at least 5 | met |"
            ),
            "{table}"
        );
        assert!(plot.starts_with("<svg") && plot.contains("<polyline"));
        assert_eq!(
            note.lines().last(),
            Some("Measured on Linux 6.18, test (2 cores).")
        );
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
    fn a_missing_case_is_an_error_not_a_zero() {
        let mut s = sample();
        s.as_object_mut().unwrap().remove("urgent/1MiB");
        assert!(render(&s).unwrap_err().contains("urgent/1MiB"));
    }
}
