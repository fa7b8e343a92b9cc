//! No descriptor leaks on any failure path of connect_retry or initserver.
//! A test binary of its own, with one test: other tests opening sockets in
//! parallel threads would disturb the count of /proc/self/fd.

use std::net::SocketAddr;
use std::time::Duration;

use connect_retry::{Policy, Sleeper, connect_retry};
use socket2::Type;

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

struct NoSleep;
impl Sleeper for NoSleep {
    fn sleep(&mut self, _: Duration) {}
}

#[test]
fn failures_leave_no_descriptor_open() {
    let closed: SocketAddr = sockref::peer::closed_port().unwrap();
    let taken = initserver::initserver(Type::STREAM, "127.0.0.1:0".parse().unwrap(), 5).unwrap();
    let taken_addr = taken.local_addr().unwrap().as_socket().unwrap();
    let before = open_descriptors();

    for _ in 0..3 {
        // Eight failed attempts, eight sockets made and closed.
        assert!(
            connect_retry(
                Type::STREAM,
                closed,
                &Policy::default(),
                &mut NoSleep,
                |_| {}
            )
            .is_err()
        );
        // bind fails after socket and setsockopt succeeded.
        assert!(initserver::initserver(Type::STREAM, taken_addr, 5).is_err());
        // socket itself fails.
        assert!(
            initserver::initserver(Type::SEQPACKET, "127.0.0.1:0".parse().unwrap(), 5).is_err()
        );
    }
    assert_eq!(open_descriptors(), before);
}
