//! The few glibc functions the `libc` crate does not declare.
//!
//! glibc exports every one of them; they are declared here once, and each
//! unsafe declaration sits behind a small safe wrapper (in the manner of
//! socket2), so programs never write `unsafe` for them.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use libc::{c_char, c_int, c_void, in_addr, socklen_t};

mod sys {
    use super::*;

    // SAFETY: these prototypes match glibc's headers (<sys/socket.h>,
    // <arpa/inet.h>, <netinet/in.h>). The byte-order functions take and
    // return plain integers and touch no memory, so they are declared safe.
    unsafe extern "C" {
        pub fn sockatmark(fd: c_int) -> c_int;
        pub fn inet_pton(af: c_int, src: *const c_char, dst: *mut c_void) -> c_int;
        pub fn inet_ntop(
            af: c_int,
            src: *const c_void,
            dst: *mut c_char,
            size: socklen_t,
        ) -> *const c_char;
        pub fn inet_aton(cp: *const c_char, inp: *mut in_addr) -> c_int;
        pub safe fn htonl(hostlong: u32) -> u32;
        pub safe fn htons(hostshort: u16) -> u16;
        pub safe fn ntohl(netlong: u32) -> u32;
        pub safe fn ntohs(netshort: u16) -> u16;
        pub fn setprotoent(stayopen: c_int);
        pub fn getprotoent() -> *mut libc::protoent;
        pub fn endprotoent();
        pub fn sethostent(stayopen: c_int);
        pub fn gethostent() -> *mut libc::hostent;
        pub fn endhostent();
        pub fn gethostbyname(name: *const c_char) -> *mut libc::hostent;
        pub fn __h_errno_location() -> *mut c_int;
    }
}

/// The netdb functions of glibc, raw, in one place: those the `libc` crate
/// lacks are declared above, the others come from it. The safe, locked
/// wrappers are in the `netdb` crate.
pub mod netdb {
    pub use super::sys::{
        endhostent, endprotoent, gethostbyname, gethostent, getprotoent, sethostent, setprotoent,
    };
    pub use libc::{getnetbyaddr, getnetbyname, getnetent, getservent};

    /// `h_errno`, the error of the last `gethostbyname` in this thread.
    pub fn h_errno() -> libc::c_int {
        // SAFETY: glibc returns a valid pointer to this thread's h_errno.
        unsafe { *super::sys::__h_errno_location() }
    }
}

pub use sys::{htonl, htons, ntohl, ntohs};

/// The C convention, checked once: a call that returns -1 failed, and
/// `errno` says why (socket2's `syscall!` does the same).
fn cvt(rc: c_int) -> io::Result<c_int> {
    match rc {
        -1 => Err(io::Error::last_os_error()),
        n => Ok(n),
    }
}

/// `sockatmark(fd)`: is the read pointer at the urgent ("out-of-band") mark?
pub fn sockatmark(fd: BorrowedFd<'_>) -> io::Result<bool> {
    raw::sockatmark(fd.as_raw_fd())
}

/// `SIOCATMARK` of `<linux/sockios.h>`, the ioctl that answers the same
/// question as `sockatmark`; the `libc` crate does not define it for Linux.
pub const SIOCATMARK: libc::c_ulong = 0x8905;

/// `ioctl(fd, SIOCATMARK, &flag)`: the mark as the ioctl reports it.
pub fn siocatmark(fd: BorrowedFd<'_>) -> io::Result<bool> {
    raw::siocatmark(fd.as_raw_fd())
}

/// The mark questions on a bare descriptor number, which need not be open:
/// both calls only read the socket's state (the ioctl writes one int of
/// ours), so any number is safe to pass, and one that is not open gives
/// EBADF, the case a test needs.
pub mod raw {
    use super::*;

    /// `sockatmark(fd)`.
    pub fn sockatmark(fd: c_int) -> io::Result<bool> {
        // SAFETY: sockatmark takes a number and touches no memory of ours.
        cvt(unsafe { sys::sockatmark(fd) }).map(|n| n == 1)
    }

    /// `ioctl(fd, SIOCATMARK, &flag)`.
    pub fn siocatmark(fd: c_int) -> io::Result<bool> {
        let mut flag: c_int = 0;
        // SAFETY: SIOCATMARK writes one int through the pointer, which is valid.
        cvt(unsafe { libc::ioctl(fd, SIOCATMARK, &mut flag) })?;
        Ok(flag == 1)
    }
}

/// A Rust string as a C string; text with a NUL byte can never reach a C
/// parser (argv cannot hold one), so it is reported as `None`.
fn c_string(text: &str) -> Option<CString> {
    CString::new(text).ok()
}

/// `inet_pton(AF_INET, text, &addr)`: the four bytes in network order.
pub fn inet_pton4(text: &str) -> Option<[u8; 4]> {
    let text = c_string(text)?;
    let mut addr = [0u8; 4];
    // SAFETY: `text` is NUL-terminated and `addr` has room for the 4 bytes
    // an AF_INET address occupies.
    let ok = unsafe { sys::inet_pton(libc::AF_INET, text.as_ptr(), addr.as_mut_ptr().cast()) };
    (ok == 1).then_some(addr)
}

/// `inet_pton(AF_INET6, text, &addr)`: the sixteen bytes in network order.
pub fn inet_pton6(text: &str) -> Option<[u8; 16]> {
    let text = c_string(text)?;
    let mut addr = [0u8; 16];
    // SAFETY: `text` is NUL-terminated and `addr` has room for the 16 bytes
    // an AF_INET6 address occupies.
    let ok = unsafe { sys::inet_pton(libc::AF_INET6, text.as_ptr(), addr.as_mut_ptr().cast()) };
    (ok == 1).then_some(addr)
}

fn inet_ntop(af: c_int, src: &[u8]) -> String {
    // INET6_ADDRSTRLEN (46) is enough for either family.
    let mut buf = [0 as c_char; 46];
    // SAFETY: `src` holds the 4 or 16 bytes `af` calls for, and `buf` is
    // writable for the length passed.
    let p = unsafe {
        sys::inet_ntop(
            af,
            src.as_ptr().cast(),
            buf.as_mut_ptr(),
            buf.len() as socklen_t,
        )
    };
    assert!(
        !p.is_null(),
        "inet_ntop cannot fail for a valid family and a 46-byte buffer"
    );
    // SAFETY: on success inet_ntop wrote a NUL-terminated string into `buf`.
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// `inet_ntop(AF_INET, addr)`: the dotted-decimal text glibc prints.
pub fn inet_ntop4(addr: &[u8; 4]) -> String {
    inet_ntop(libc::AF_INET, addr)
}

/// `inet_ntop(AF_INET6, addr)`: the text glibc prints.
pub fn inet_ntop6(addr: &[u8; 16]) -> String {
    inet_ntop(libc::AF_INET6, addr)
}

/// `inet_aton(text, &addr)`: the old parser, which also takes octal, hex and
/// short forms and ignores what follows a space.
pub fn inet_aton(text: &str) -> Option<[u8; 4]> {
    let text = c_string(text)?;
    let mut addr = in_addr { s_addr: 0 };
    // SAFETY: `text` is NUL-terminated and `addr` is a valid in_addr.
    let ok = unsafe { sys::inet_aton(text.as_ptr(), &mut addr) };
    (ok != 0).then(|| addr.s_addr.to_ne_bytes())
}

/// The name of a getaddrinfo/getnameinfo error code, as `<netdb.h>` spells it.
pub fn eai_name(code: c_int) -> &'static str {
    match code {
        libc::EAI_NONAME => "EAI_NONAME",
        libc::EAI_FAMILY => "EAI_FAMILY",
        libc::EAI_SERVICE => "EAI_SERVICE",
        libc::EAI_BADFLAGS => "EAI_BADFLAGS",
        libc::EAI_AGAIN => "EAI_AGAIN",
        libc::EAI_MEMORY => "EAI_MEMORY",
        libc::EAI_SOCKTYPE => "EAI_SOCKTYPE",
        libc::EAI_FAIL => "EAI_FAIL",
        libc::EAI_SYSTEM => "EAI_SYSTEM",
        libc::EAI_OVERFLOW => "EAI_OVERFLOW",
        _ => "EAI_?",
    }
}

/// `gai_strerror(code)`: glibc's text for a getaddrinfo error code.
pub fn gai_strerror(code: c_int) -> String {
    // SAFETY: gai_strerror returns a pointer to a static, NUL-terminated
    // string for any code (an "Unknown error" text for unknown ones).
    unsafe { CStr::from_ptr(libc::gai_strerror(code)) }
        .to_string_lossy()
        .into_owned()
}

/// `getsockopt(fd, level, name, buf, &len)` with a buffer of `len` bytes:
/// the bytes the kernel wrote and the length it reported, which is how the
/// option-length rules of getsockopt can be seen.
pub fn getsockopt_bytes(
    fd: BorrowedFd<'_>,
    level: c_int,
    name: c_int,
    len: usize,
) -> io::Result<(Vec<u8>, usize)> {
    let mut buf = vec![0u8; len];
    let mut optlen = len as socklen_t;
    // SAFETY: `buf` is writable for `optlen` bytes and `optlen` is a valid
    // socklen_t the kernel may update; the descriptor is borrowed, so open.
    cvt(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            buf.as_mut_ptr().cast(),
            &mut optlen,
        )
    })?;
    Ok((buf, optlen as usize))
}

/// `F_SETOWN_EX` and its argument, from `<fcntl.h>` (Linux); the `libc`
/// crate declares them only for some targets.
pub const F_SETOWN_EX: c_int = 15;
/// Owner type: one thread.
pub const F_OWNER_TID: c_int = 0;

#[repr(C)]
struct FOwnerEx {
    kind: c_int,
    pid: libc::pid_t,
}

/// `fcntl(fd, F_SETOWN, pid)`: SIGURG for this socket goes to process `pid`.
pub fn set_owner(fd: BorrowedFd<'_>, pid: libc::pid_t) -> io::Result<()> {
    // SAFETY: F_SETOWN takes an integer argument; the descriptor is borrowed,
    // so it is open.
    cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETOWN, pid) }).map(drop)
}

/// `fcntl(fd, F_GETOWN)`: the process that receives SIGURG, 0 for none.
/// Only tests ask (the `testing` feature).
#[cfg(feature = "testing")]
pub fn owner(fd: BorrowedFd<'_>) -> io::Result<libc::pid_t> {
    // SAFETY: F_GETOWN takes no argument; the descriptor is open.
    cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETOWN) })
}

/// `fcntl(fd, F_SETOWN_EX, {F_OWNER_TID, tid})`: SIGURG goes to one thread,
/// which a multi-threaded program (or a test harness) needs.
pub fn set_owner_thread(fd: BorrowedFd<'_>, tid: libc::pid_t) -> io::Result<()> {
    let owner = FOwnerEx {
        kind: F_OWNER_TID,
        pid: tid,
    };
    // SAFETY: F_SETOWN_EX reads a struct f_owner_ex, which `owner` is laid
    // out as (repr(C)); it lives across the call.
    cvt(unsafe { libc::fcntl(fd.as_raw_fd(), F_SETOWN_EX, &owner as *const FOwnerEx) }).map(drop)
}

/// `ioctl(fd, FIONREAD)`: bytes that a read could return now. On TCP it
/// counts only up to the urgent mark. Only tests ask (the `testing` feature).
#[cfg(feature = "testing")]
pub fn unread_bytes(fd: BorrowedFd<'_>) -> io::Result<usize> {
    let mut n: c_int = 0;
    // SAFETY: FIONREAD writes one int through the pointer, which is valid.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n) })?;
    Ok(n as usize)
}

/// A value `getsockopt` may fill in: a plain C type for which every bit
/// pattern, all zeros included, is valid. Sealed: only these types.
pub trait OptionValue: Copy + private::Sealed {}

mod private {
    pub trait Sealed {}
}

macro_rules! option_values {
    ($($t:ty),*) => {$(
        impl private::Sealed for $t {}
        impl OptionValue for $t {}
    )*};
}
option_values!(c_int, libc::linger, libc::timeval, libc::tcp_info);

/// `getsockopt(fd, level, name, &value, &len)` for an option of type `T`.
/// The value starts zeroed, so a kernel that writes fewer bytes (an older
/// `tcp_info`) leaves the rest zero.
pub fn getsockopt<T: OptionValue>(fd: BorrowedFd<'_>, level: c_int, name: c_int) -> io::Result<T> {
    let mut value = std::mem::MaybeUninit::<T>::zeroed();
    let mut len = std::mem::size_of::<T>() as socklen_t;
    // SAFETY: `value` is writable for `len` bytes, the size of T, and the
    // kernel writes at most `len`; the descriptor is borrowed, so open.
    cvt(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            value.as_mut_ptr().cast(),
            &mut len,
        )
    })?;
    // SAFETY: T is an OptionValue: all zeros is valid, and so is whatever
    // the kernel wrote over part or all of them.
    Ok(unsafe { value.assume_init() })
}

/// `getsockopt(fd, IPPROTO_TCP, TCP_INFO)`: the kernel's view of a TCP
/// connection (bytes received, unacknowledged, window, ...).
pub fn tcp_info(fd: BorrowedFd<'_>) -> io::Result<libc::tcp_info> {
    getsockopt(fd, libc::IPPROTO_TCP, libc::TCP_INFO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pton_and_ntop_round_trip() {
        assert_eq!(inet_pton4("192.168.8.128"), Some([192, 168, 8, 128]));
        assert_eq!(inet_ntop4(&[192, 168, 8, 128]), "192.168.8.128");
        let six = inet_pton6("::1.2.3.4").unwrap();
        assert_eq!(inet_ntop6(&six), "::1.2.3.4");
        assert_eq!(inet_pton4("1.2.3"), None);
        assert_eq!(inet_pton4("a\0b"), None);
    }

    #[test]
    fn aton_takes_the_old_forms() {
        assert_eq!(inet_aton("127.1"), Some([127, 0, 0, 1]));
        assert_eq!(inet_aton("010.0.0.1"), Some([8, 0, 0, 1]));
        assert_eq!(inet_aton("0x7f.1"), Some([127, 0, 0, 1]));
        assert_eq!(inet_aton("nonsense"), None);
    }

    #[test]
    fn sockatmark_reports_a_bad_descriptor() {
        let file = std::fs::File::open("/dev/null").unwrap();
        use std::os::fd::AsFd;
        let err = sockatmark(file.as_fd()).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOTTY));
    }
}
