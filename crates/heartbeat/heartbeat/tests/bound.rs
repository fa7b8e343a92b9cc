//! The detection bound of src/lib.rs, measured: from the last byte heard
//! to the verdict is at least `nprobes × nsec` and less than
//! `(nprobes + 1) × nsec` (plus 10% of `nsec` for the timer's wake-up).

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use heartbeat::{Config, Heartbeat, Role, Step};
use netlab::{Lab, Side};

static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `role` on `sock` until the verdict; (verdict time, last heard, replies).
fn until_dead(sock: TcpStream, role: Role, config: Config) -> (Instant, Instant, u32) {
    let mut hb = Heartbeat::new(sock, role, config).expect("heartbeat");
    loop {
        match hb.step().expect("next") {
            Step::Dead { missed } => {
                assert_eq!(missed, config.nprobes);
                return (Instant::now(), hb.last_heard(), hb.heard());
            }
            Step::Closed => panic!("closed"),
            _ => {}
        }
    }
}

fn assert_within(what: &str, config: Config, dead: Instant, last: Instant) {
    let gap = dead - last;
    let slack = config.nsec / 10;
    assert!(
        gap + slack >= config.lower_bound() && gap <= config.upper_bound() + slack,
        "{what}: detected {gap:?} after the last byte, bound [{:?}, {:?}] ± {slack:?}",
        config.lower_bound(),
        config.upper_bound()
    );
}

#[test]
fn a_silent_server_is_declared_dead_within_the_bound_on_loopback() {
    let config = Config {
        nsec: Duration::from_millis(100),
        nprobes: 3,
    };
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::scope(|s| {
        // A server that answers three probes, then goes silent (but stays).
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        s.spawn(move || {
            let (sock, _) = listener.accept().unwrap();
            let mut hb = Heartbeat::new(sock.try_clone().unwrap(), Role::Server, config).unwrap();
            while hb.heard() < 3 {
                hb.step().unwrap();
            }
            let _ = stop_rx.recv_timeout(Duration::from_secs(5));
            drop(sock);
        });
        let sock = TcpStream::connect(addr).unwrap();
        let (dead, last, heard) = until_dead(sock, Role::Client, config);
        let _ = stop_tx.send(());
        assert_eq!(heard, 3);
        assert_within("client", config, dead, last);
    });
}

fn permitted() -> bool {
    Lab::permitted()
        .map_err(|why| eprintln!("skip: {why}"))
        .is_ok()
}

#[test]
fn both_sides_detect_a_downed_link_within_the_bound() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !permitted() {
        return;
    }
    let config = Config {
        nsec: Duration::from_millis(200),
        nprobes: 3,
    };
    let lab = Lab::new().expect("lab");
    let server_ip = lab.addr(Side::B);
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (heard_tx, heard_rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        let lab = &lab;
        let server = s.spawn(move || {
            lab.enter(Side::B).unwrap();
            let l = TcpListener::bind((server_ip, 0)).unwrap();
            addr_tx.send(l.local_addr().unwrap()).unwrap();
            let (sock, _) = l.accept().unwrap();
            until_dead(sock, Role::Server, config)
        });
        let client = s.spawn(move || {
            lab.enter(Side::A).unwrap();
            let addr = addr_rx.recv_timeout(Duration::from_secs(5)).unwrap();
            let sock = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
            let mut hb = Heartbeat::new(sock, Role::Client, config).unwrap();
            loop {
                match hb.step().unwrap() {
                    Step::Heard { .. } if hb.heard() == 3 => heard_tx.send(()).unwrap(),
                    Step::Dead { .. } => return (Instant::now(), hb.last_heard(), hb.heard()),
                    Step::Closed => panic!("closed"),
                    _ => {}
                }
            }
        });
        heard_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        lab.link_down().unwrap();
        let down = Instant::now();
        let (c_dead, c_last, _) = client.join().unwrap();
        let (s_dead, s_last, _) = server.join().unwrap();
        assert_within("client", config, c_dead, c_last);
        assert_within("server", config, s_dead, s_last);
        // The last byte got through before the cut, at most a period earlier.
        assert!(c_last <= down && down - c_last <= config.nsec + config.nsec / 10);
        eprintln!(
            "client: {:?} after its last reply, server: {:?} after its last probe",
            c_dead - c_last,
            s_dead - s_last
        );
    });
}

#[test]
fn a_link_back_before_the_limit_recovers() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !permitted() {
        return;
    }
    // Dead only after 2.4 s of silence; the link is down for 0.8 s (more
    // than two periods), and TCP's retransmissions (0.2 s, 0.6 s, 1.4 s
    // after the first lost probe) carry a probe soon after it is back.
    let config = Config {
        nsec: Duration::from_millis(300),
        nprobes: 8,
    };
    let lab = Lab::new().expect("lab");
    let server_ip = lab.addr(Side::B);
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (heard_tx, heard_rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        let lab = &lab;
        let server = s.spawn(move || {
            lab.enter(Side::B).unwrap();
            let l = TcpListener::bind((server_ip, 0)).unwrap();
            addr_tx.send(l.local_addr().unwrap()).unwrap();
            let (sock, _) = l.accept().unwrap();
            let mut hb = Heartbeat::new(sock, Role::Server, config).unwrap();
            let mut silent = 0;
            loop {
                match hb.step().unwrap() {
                    Step::Missed { missed } => silent = silent.max(missed),
                    Step::Closed => return silent,
                    Step::Dead { .. } => panic!("the server gave up on a recovering client"),
                    _ => {}
                }
            }
        });
        let client = s.spawn(move || {
            lab.enter(Side::A).unwrap();
            let addr = addr_rx.recv_timeout(Duration::from_secs(5)).unwrap();
            let sock = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
            let mut hb = Heartbeat::new(sock, Role::Client, config).unwrap();
            let (mut missed_max, mut back) = (0, false);
            while hb.heard() < 12 {
                match hb.step().unwrap() {
                    Step::Heard { after_silence, .. } => {
                        back |= after_silence;
                        if hb.heard() == 3 {
                            heard_tx.send(()).unwrap();
                        }
                    }
                    Step::Missed { missed } => missed_max = missed_max.max(missed),
                    Step::Dead { .. } => panic!("the client gave up on a link that came back"),
                    _ => {}
                }
            }
            (missed_max, back)
        });
        heard_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        lab.link_down().unwrap();
        std::thread::sleep(Duration::from_millis(800)); // the outage itself
        lab.link_up().unwrap();
        let (missed, back) = client.join().unwrap();
        server.join().unwrap();
        assert!(
            missed >= 1 && back,
            "the outage did not show: missed {missed}, back {back}"
        );
    });
}
