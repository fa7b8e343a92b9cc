//! Shared plumbing for every sockref program, written once.
//!
//! The programs of the course teach one section of the sockets chapter each;
//! what they have in common lives here so that each `main` can read like the
//! lesson it teaches:
//!
//! - [`cli`]: the command-line conventions of the C programs (positional
//!   `IP PORT`, one-line `error: ...` messages, exit status 2 for usage errors
//!   and 1 for failed calls);
//! - [`peer`]: the in-process loopback peer that a program run with no
//!   arguments uses to demonstrate itself on an ephemeral port;
//! - [`ffi`]: the handful of glibc functions the `libc` crate does not declare
//!   (`sockatmark`, `inet_pton`, `inet_ntop`, `inet_aton`, `htonl`, ...),
//!   each behind a small safe wrapper;
//! - `testing` (with the `testing` feature, which only dev-dependencies and
//!   the xtask enable): running a built program in a test, bounded in
//!   time, and checking the error conventions.

pub mod cli;
pub mod ffi;
pub mod peer;
#[cfg(feature = "testing")]
pub mod testing;

pub use cli::{Context, Error, Out, run};

/// `println!` that returns a failed write as an [`Error`] instead of
/// panicking: `outln!("listening on {addr}")?;`.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::cli::write_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that returns a failed write as an [`Error`] instead of panicking.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!($($arg)*))
    };
}
pub use lexopt;
