//! The lab leaves nothing behind and does what it says: a shaped link is
//! slower, a link taken down carries nothing, both sides reach each other.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use netlab::{Lab, Side};

/// Lab tests compare the host's state before and after: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn permitted() -> bool {
    match Lab::permitted() {
        Ok(()) => true,
        Err(why) => {
            eprintln!("skip: {why}");
            false
        }
    }
}

#[test]
fn nothing_is_left_behind_after_a_run_or_a_failed_run() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !permitted() {
        return;
    }
    let before = netlab::snapshot();
    let names;
    {
        let lab = Lab::new().expect("lab");
        lab.shape(Side::A, 10_000_000).expect("tbf");
        names = [lab.netns(Side::A), lab.netns(Side::B)];
        let during = netlab::snapshot();
        for n in &names {
            assert!(during.netns.contains(n), "{n} missing from {during:?}");
        }
        // The veth pair and its qdisc live in the lab, not in the host.
        assert_eq!(during.links, before.links);
        assert_eq!(during.qdiscs, before.qdiscs);
    }
    assert_eq!(netlab::snapshot(), before, "a run left something behind");
    // A run that panics half-way (after shaping, inside a side's thread).
    let failed = std::panic::catch_unwind(|| {
        let lab = Lab::new().expect("lab");
        lab.shape(Side::A, 1_000_000).expect("tbf");
        lab.link_down().expect("down");
        let _ = lab.run_in(Side::B, || panic!("a failed test inside the lab"));
        panic!("and a failure after it");
    });
    assert!(failed.is_err());
    assert_eq!(
        netlab::snapshot(),
        before,
        "a failed run left something behind"
    );
    for n in names {
        assert!(!netlab::list_netns().contains(&n));
    }
}

#[test]
fn two_labs_get_different_names_and_addresses() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !permitted() {
        return;
    }
    let (one, two) = (Lab::new().expect("lab"), Lab::new().expect("lab"));
    assert_ne!(one.netns(Side::A), two.netns(Side::A));
    assert_ne!(one.addr(Side::A), two.addr(Side::A));
    for lab in [&one, &two] {
        for side in [Side::A, Side::B] {
            let o = lab.addr(side).octets();
            assert!(o[0] == 198 && (o[1] == 18 || o[1] == 19), "{o:?}");
        }
    }
}

/// Sends `bytes` from A to B; the time the receiver took to get them all.
/// The receiver waits `wait` for the connection.
fn transfer(lab: &Lab, bytes: usize, wait: Duration) -> Result<Duration, String> {
    let server = lab.addr(Side::B);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        let recv = s.spawn(move || -> Result<Duration, String> {
            lab.enter(Side::B).map_err(|e| e.to_string())?;
            let l = TcpListener::bind((server, 0)).map_err(|e| e.to_string())?;
            tx.send(l.local_addr().map_err(|e| e.to_string())?).unwrap();
            let (mut c, _) = sockref::peer::accept_within(&l, wait).map_err(|e| e.to_string())?;
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let start = Instant::now();
            let mut buf = vec![0u8; bytes];
            c.read_exact(&mut buf).map_err(|e| e.to_string())?;
            Ok(start.elapsed())
        });
        let send = s.spawn(move || -> Result<(), String> {
            lab.enter(Side::A).map_err(|e| e.to_string())?;
            let addr = rx
                .recv_timeout(Duration::from_secs(5))
                .map_err(|e| e.to_string())?;
            let mut c = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
                .map_err(|e| e.to_string())?;
            c.write_all(&vec![7u8; bytes]).map_err(|e| e.to_string())
        });
        send.join().unwrap()?;
        recv.join().unwrap()
    })
}

#[test]
fn a_shaped_link_runs_at_its_rate_and_a_downed_link_carries_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !permitted() {
        return;
    }
    let lab = Lab::new().expect("lab");
    let fast = transfer(&lab, 256 * 1024, Duration::from_secs(5)).expect("unshaped transfer");
    lab.shape(Side::A, 4_000_000).expect("tbf");
    let slow = transfer(&lab, 256 * 1024, Duration::from_secs(5)).expect("shaped transfer");
    // 256 KiB at 4 Mbit/s is 0.52 s on the wire (less the bucket).
    assert!(slow >= Duration::from_millis(400), "shaped: {slow:?}");
    assert!(slow > fast * 4, "unshaped {fast:?}, shaped {slow:?}");
    lab.link_down().expect("down");
    assert!(
        transfer(&lab, 1, Duration::from_millis(500)).is_err(),
        "a downed link carried a connection"
    );
    lab.link_up().expect("up");
    transfer(&lab, 1, Duration::from_millis(500)).expect("the link did not come back");
}
