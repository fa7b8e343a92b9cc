//! The urgency sweep: every marker, behind every backlog from nothing to
//! 4 MiB, with several receive buffers, each sample timed from both ends
//! and bracketed by readings of the kernel's TCP counters.
//!
//! The cases are interleaved sample by sample: one connection per buffer,
//! all of them open, and each round visits every buffer, backlog and
//! variant once, in an order shuffled afresh, so that the load of a shared
//! machine falls on all of them alike and no case always follows the same
//! one. The counters are those of the
//! calling thread's network namespace: run it in a private one
//! (`netlab::private_loopback`) and they count this rig alone.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Before, Marker, RcvBuf, UrgentRig, Variant};

/// The backlogs of the sweep: bytes and the key in bench-summary.json.
pub const BACKLOGS: [(usize, &str); 8] = [
    (0, "0"),
    (4 << 10, "4KiB"),
    (16 << 10, "16KiB"),
    (64 << 10, "64KiB"),
    (256 << 10, "256KiB"),
    (1 << 20, "1MiB"),
    (2 << 20, "2MiB"),
    (4 << 20, "4MiB"),
];

/// The variants: key in bench-summary.json and what is measured.
pub const VARIANTS: [(&str, Variant); 8] = [
    // The bench as it always ran: the receiver reads the backlog right
    // after answering an urgent byte.
    ("urgent", v(Marker::Urgent, Before::Unread, false, false)),
    // The same, but the backlog is read only once the answer has arrived.
    (
        "urgent-held",
        v(Marker::Urgent, Before::Unread, true, false),
    ),
    (
        "sigurg-held",
        v(Marker::Sigurg, Before::Unread, true, false),
    ),
    ("normal", v(Marker::Normal, Before::Unread, false, false)),
    // Controls, at the rig's own buffer only.
    (
        "urgent-pinned",
        v(Marker::Urgent, Before::Unread, false, true),
    ),
    (
        "urgent-acked",
        v(Marker::Urgent, Before::Acked, true, false),
    ),
    (
        "urgent-drained",
        v(Marker::Urgent, Before::Drained, true, false),
    ),
    (
        "urgent-touched",
        v(Marker::Urgent, Before::Touched, true, false),
    ),
];

/// How many of [`VARIANTS`] run with buffers other than the rig's own.
pub const SWEPT_VARIANTS: usize = 4;

const fn v(marker: Marker, before: Before, hold: bool, pinned: bool) -> Variant {
    Variant {
        marker,
        before,
        hold,
        pinned,
    }
}

/// One receive buffer of the sweep.
#[derive(Debug, Clone, Copy)]
pub struct Buffer {
    /// Key in bench-summary.json.
    pub key: &'static str,
    /// How it is asked for, in the book's words.
    pub label: &'static str,
    pub rcvbuf: RcvBuf,
    /// The rig's own buffer: every variant, controls included.
    pub main: bool,
}

/// The buffers of the sweep; the first is the one the rig always used.
pub const BUFFERS: [Buffer; 5] = [
    Buffer {
        key: "rig-4MiB",
        label: "4 MiB, forced (the rig's)",
        rcvbuf: crate::RIG_BUFFER,
        main: true,
    },
    Buffer {
        key: "autotuned",
        label: "autotuned",
        rcvbuf: RcvBuf::Autotuned,
        main: false,
    },
    Buffer {
        key: "forced-128KiB",
        label: "SO_RCVBUFFORCE 128 KiB",
        rcvbuf: RcvBuf::Forced(128 << 10),
        main: false,
    },
    Buffer {
        key: "forced-512KiB",
        label: "SO_RCVBUFFORCE 512 KiB",
        rcvbuf: RcvBuf::Forced(512 << 10),
        main: false,
    },
    Buffer {
        key: "forced-16MiB",
        label: "SO_RCVBUFFORCE 16 MiB",
        rcvbuf: RcvBuf::Forced(16 << 20),
        main: false,
    },
];

/// Everything kept of one (buffer, backlog, variant) cell.
#[derive(Debug, Default)]
struct Cell {
    round_trip: Vec<f64>,
    one_way: Vec<f64>,
    woke: Vec<f64>,
    rcvbuf: Vec<f64>,
    unacked: Vec<f64>,
    cwnd: Vec<f64>,
    /// Samples sent with the congestion window full of unacknowledged
    /// backlog: the marker had to wait for an acknowledgement.
    cwnd_full: usize,
    /// Samples where the sender took the answer in on the receiver's CPU.
    same_cpu: usize,
    /// Samples where the receiver woke on another CPU than the sender's.
    crossed: usize,
    unfit: usize,
    arrived: Vec<f64>,
    counters: BTreeMap<String, u64>,
}

/// Median and 99th percentile of `v` (sorted here), rounded to 0.01.
pub fn median_p99(v: &mut [f64]) -> Value {
    if v.is_empty() {
        return Value::Null;
    }
    v.sort_by(f64::total_cmp);
    let pick = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    let round = |x: f64| (x * 100.0).round() / 100.0;
    json!({ "median": round(pick(0.5)), "p99": round(pick(0.99)) })
}

fn median(v: &mut [f64]) -> Value {
    median_p99(v).get("median").cloned().unwrap_or(Value::Null)
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Runs `rounds` rounds over `buffers` and `backlogs` (stopping early at
/// `deadline`), reading the TCP counters around every sample when
/// `counters` is true. Returns the sweep's part of bench-summary.json.
pub fn run(
    buffers: &[Buffer],
    backlogs: &[(usize, &str)],
    rounds: usize,
    counters: bool,
    deadline: Instant,
) -> Value {
    let variants = |buffer: &Buffer| {
        if buffer.main {
            &VARIANTS[..]
        } else {
            &VARIANTS[..SWEPT_VARIANTS]
        }
    };
    // One connection per buffer, all alive, their samples interleaved.
    let mut rigs: Vec<UrgentRig> = buffers
        .iter()
        .map(|b| UrgentRig::with_rcvbuf(b.rcvbuf))
        .collect();
    let plan: Vec<(usize, usize, usize)> = buffers
        .iter()
        .enumerate()
        .flat_map(|(r, buffer)| {
            (0..backlogs.len())
                .flat_map(move |b| (0..variants(buffer).len()).map(move |v| (r, b, v)))
        })
        .collect();
    let mut cells: BTreeMap<(usize, usize, usize), Cell> = BTreeMap::new();
    // One-way times of urgent bytes behind an unread backlog, by buffer and
    // backlog: sent with the congestion window full, or with room.
    let mut window: BTreeMap<(usize, usize), (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    let mut last = counters.then(netlab::counters::tcp_ext);
    let mut round = 0;
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    while round < rounds && Instant::now() < deadline {
        // A new order every round, so that no case always follows the same
        // one (what came before leaves the connection's state), and the
        // machine's load falls on every case alike.
        for (r, b, vi) in shuffled(&plan, &mut seed) {
            let (variant, backlog) = (variants(&buffers[r])[vi].1, backlogs[b].0);
            let cell = cells.entry((r, b, vi)).or_default();
            match rigs[r].sample(variant, backlog) {
                Ok(s) => {
                    cell.round_trip.push(us(s.round_trip));
                    cell.one_way.push(us(s.one_way));
                    cell.woke.push(us(s.woke));
                    cell.rcvbuf.push(s.rcvbuf as f64);
                    cell.unacked.push(f64::from(s.unacked));
                    cell.cwnd.push(f64::from(s.cwnd));
                    let full = s.unacked >= s.cwnd;
                    cell.cwnd_full += usize::from(full);
                    cell.same_cpu += usize::from(s.same_cpu);
                    cell.crossed += usize::from(s.crossed);
                    if variant.marker != Marker::Normal && variant.before == Before::Unread {
                        let (when_full, with_room) = window.entry((r, b)).or_default();
                        let pool = if full { when_full } else { with_room };
                        pool.push(us(s.one_way));
                    }
                }
                Err(u) => {
                    cell.unfit += 1;
                    cell.arrived.push(u.arrived as f64);
                    cell.rcvbuf.push(u.rcvbuf as f64);
                }
            }
            if let Some(before) = &mut last {
                let now = netlab::counters::tcp_ext();
                for (name, d) in netlab::counters::delta(before, &now) {
                    *cell.counters.entry(name).or_default() += d;
                }
                *before = now;
            }
        }
        round += 1;
    }
    let out: Vec<Value> = buffers
        .iter()
        .enumerate()
        .map(|(r, buffer)| {
            let cells: Vec<Value> = cells
                .iter_mut()
                .filter(|((cr, ..), _)| *cr == r)
                .map(|((_, b, vi), c)| {
                    json!({
                        "backlog": backlogs[*b].1,
                        "variant": variants(buffer)[*vi].0,
                        "fit": c.round_trip.len(),
                        "unfit": c.unfit,
                        "round_trip_us": median_p99(&mut c.round_trip),
                        "one_way_us": median_p99(&mut c.one_way),
                        "woke_us": median_p99(&mut c.woke),
                        "rcvbuf": median(&mut c.rcvbuf),
                        "arrived": median(&mut c.arrived),
                        "unacked": median(&mut c.unacked),
                        "cwnd": median(&mut c.cwnd),
                        "cwnd_full": c.cwnd_full,
                        "same_cpu": c.same_cpu,
                        "crossed": c.crossed,
                        "counters": if counters { json!(c.counters) } else { Value::Null },
                    })
                })
                .collect();
            let window: Vec<Value> = window
                .iter_mut()
                .filter(|((wr, _), _)| *wr == r)
                .map(|((_, b), (full, room))| {
                    json!({
                        "backlog": backlogs[*b].1,
                        "full": full.len(),
                        "room": room.len(),
                        "one_way_full_us": median_p99(full),
                        "one_way_room_us": median_p99(room),
                    })
                })
                .collect();
            json!({
                "key": buffer.key,
                "label": buffer.label,
                "main": buffer.main,
                "cells": cells,
                "window": window,
            })
        })
        .collect();
    json!({
        "rounds": round,
        "backlogs": backlogs.iter().map(|(_, k)| *k).collect::<Vec<_>>(),
        "buffers": out,
    })
}

/// `plan` in an order drawn from `seed` (xorshift, Fisher-Yates): the
/// same every run, different every round.
fn shuffled<T: Copy>(plan: &[T], seed: &mut u64) -> Vec<T> {
    let mut v = plan.to_vec();
    for i in (1..v.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        v.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_keeps_every_cell_and_counts_unfit_backlogs() {
        let small = Buffer {
            key: "forced-128KiB",
            label: "test",
            rcvbuf: RcvBuf::Forced(64 << 10),
            main: true,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        let s = run(&[small], &[(0, "0"), (1 << 20, "1MiB")], 1, true, deadline);
        let cells = s["buffers"][0]["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 2 * VARIANTS.len());
        for c in cells {
            let (fit, unfit) = (c["fit"].as_u64().unwrap(), c["unfit"].as_u64().unwrap());
            assert_eq!(fit + unfit, 1, "{c}");
            // Left in the receiving socket: unread, or unread and acknowledged.
            let unread = VARIANTS
                .iter()
                .find(|(key, _)| c["variant"] == *key)
                .is_some_and(|(_, v)| matches!(v.before, Before::Unread | Before::Acked));
            if c["backlog"] == "0" || !unread {
                assert_eq!(fit, 1, "nothing left unread always fits: {c}");
                assert!(c["one_way_us"]["median"].as_f64().unwrap() > 0.0);
            } else {
                // A megabyte never fits a buffer of at most 128 KiB (or
                // rmem_max, without the privilege to force one).
                assert_eq!(unfit, 1, "{c}");
                assert!(c["arrived"].as_f64().unwrap() < (1 << 20) as f64, "{c}");
            }
        }
    }

    #[test]
    fn every_round_visits_every_case_once_in_a_new_order() {
        let plan: Vec<usize> = (0..56).collect();
        let mut seed = 1;
        let (a, b) = (shuffled(&plan, &mut seed), shuffled(&plan, &mut seed));
        assert_ne!(a, b);
        assert_ne!(a, plan);
        for mut round in [a, b] {
            round.sort();
            assert_eq!(round, plan);
        }
    }

    #[test]
    fn median_and_p99_pick_from_the_sorted_samples() {
        let mut v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(median_p99(&mut v), json!({"median": 51.0, "p99": 99.0}));
        assert_eq!(median_p99(&mut []), Value::Null);
    }
}
