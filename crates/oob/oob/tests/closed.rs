//! `sockatmark` on a closed descriptor. In a test binary of its own, with
//! a single test: no sibling test can open a descriptor, and be given the
//! same number, between the close and the call.

use std::os::fd::AsRawFd;

use sockref::ffi::raw;
use sockref::peer::{Family, connected_pair};

// ANCHOR: sockatmark_fails_with_ebadf_on_a_closed_descriptor
#[test]
fn sockatmark_fails_with_ebadf_on_a_closed_descriptor() {
    let (_tx, rx) = connected_pair(Family::Ipv4, |_| Ok(())).unwrap();
    let number = rx.as_raw_fd();
    drop(rx); // close(number): the number now names nothing
    let errno = |r: std::io::Result<bool>| r.unwrap_err().raw_os_error();
    assert_eq!(errno(raw::sockatmark(number)), Some(libc::EBADF));
    assert_eq!(errno(raw::siocatmark(number)), Some(libc::EBADF), "ioctl");
}
// ANCHOR_END: sockatmark_fails_with_ebadf_on_a_closed_descriptor
