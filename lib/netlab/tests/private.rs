//! `netlab::private_loopback`: a thread's own network namespace, whose TCP
//! counters count only what that thread and its children do.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use netlab::counters::tcp_ext;

/// The network namespace of a thread, as the kernel names it
/// (`net:[4026531840]`).
fn namespace(of: &str) -> String {
    std::fs::read_link(format!("{of}/ns/net"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn a_private_namespace_has_its_own_loopback_and_its_own_counters() {
    if let Err(why) = netlab::Lab::permitted() {
        eprintln!("skip: {why}");
        return;
    }
    let host = namespace("/proc/thread-self");
    let seen = std::thread::spawn(move || {
        netlab::private_loopback().expect("private namespace");
        let mine = namespace("/proc/thread-self");
        let start = tcp_ext();
        // Loopback is up: a connection works, from a thread started here.
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let child = std::thread::spawn(move || {
            let child_ns = namespace("/proc/thread-self");
            let (mut peer, _) = listener.accept().expect("accept");
            let mut buf = vec![0u8; 1 << 20];
            peer.read_exact(&mut buf).expect("read");
            child_ns
        });
        let mut s = TcpStream::connect(addr).expect("connect");
        s.write_all(&vec![b'x'; 1 << 20]).expect("write");
        let child_ns = child.join().expect("child");
        drop(s);
        (mine, child_ns, start, tcp_ext())
    })
    .join()
    .expect("the namespace's thread");
    let (mine, child_ns, start, end) = seen;
    assert_ne!(mine, host, "the thread left the host's namespace");
    assert_eq!(child_ns, mine, "a thread it started shares its namespace");
    // A fresh namespace starts its counters at zero, and counts the
    // megabyte sent inside it.
    assert_eq!(start.get("TCPOrigDataSent"), Some(&0), "{start:?}");
    assert!(end["TCPOrigDataSent"] > 0, "{end:?}");
    // The calling thread stayed where it was.
    assert_eq!(namespace("/proc/thread-self"), host);
}
