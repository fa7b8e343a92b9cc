//! Command-line conventions shared by the Rust programs and their C twins.
//!
//! - Arguments are positional, as in the C programs: `IP PORT`, IPv4 or IPv6.
//! - Bad input is a usage error: `error: <what is wrong>` and `usage: <synopsis>`
//!   on stderr, exit status 2.
//! - A failed call is a runtime error: `error: <call> <arguments>: <reason>` on
//!   stderr, exit status 1, for example
//!   `error: connect to 127.0.0.1:9: Connection refused (os error 111)`.
//!   A failed write to stdout is one too: `error: write: <reason>`.
//!
//! # The parsing rules
//!
//! Decided once, here, and followed by the C twins (lib/sockref/c/sockref.h
//! says the same in C); each rule has a parity case.
//!
//! 1. **Arguments are text.** An argument that is not valid UTF-8 is a usage
//!    error before anything else is read (after `--help`):
//!    `argument 'caf\xE9' is not valid UTF-8`, each byte that is not part of
//!    a UTF-8 character shown as `\xHH`.
//! 2. **Options are long** (`--name VALUE` or `--name=VALUE`); the only short
//!    one is `-h`. `--` ends the options; `-` alone is a value. An unknown
//!    option is named whole, as typed: `invalid option '-hx'`,
//!    `invalid option '--frob=x'`, `invalid option '--=x'`. A value where
//!    none is expected is `unexpected argument "x"` ([`no_arguments`]).
//! 3. **Whole numbers are decimal digits only** ([`whole_number`]): no sign
//!    (`+80` is not a port), no spaces, no exponent; a number too large for
//!    its field is out of range, never wrapped.
//! 4. **Seconds** (`--timeout`, `--initial`, `--max-delay`, `--max-total`)
//!    are digits with an optional fraction (`2`, `0.5`; no sign, no
//!    exponent), rounded to the millisecond, from 1 ms to [`MAX_SECONDS`]
//!    ([`parse_seconds`]).
//! 5. **Ports** are whole numbers from 1 (0 where the program binds) to 65535.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

/// What went wrong, sorted by who has to act on it.
#[derive(Debug)]
pub enum Error {
    /// The user gave input the program cannot accept (exit status 2).
    Usage(String),
    /// A call failed while running (exit status 1). The text names the call
    /// and its arguments, then the reason.
    Runtime(String),
}

impl Error {
    /// A usage error: the message says what is wrong with the input.
    pub fn usage(msg: impl fmt::Display) -> Self {
        Error::Usage(msg.to_string())
    }

    /// A runtime error whose message is already complete.
    pub fn runtime(msg: impl fmt::Display) -> Self {
        Error::Runtime(msg.to_string())
    }

    /// The exit status this error ends the program with.
    pub fn exit_status(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::Runtime(_) => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) | Error::Runtime(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Error {}

impl From<lexopt::Error> for Error {
    fn from(e: lexopt::Error) -> Self {
        Error::Usage(e.to_string())
    }
}

/// Names the failed call: `socket.connect(addr).context(format!("connect to {addr}"))`.
pub trait Context<T> {
    /// Turns an I/O error into a runtime [`Error`] reading `<what>: <reason>`.
    fn context(self, what: impl fmt::Display) -> Result<T, Error>;
}

impl<T> Context<T> for io::Result<T> {
    fn context(self, what: impl fmt::Display) -> Result<T, Error> {
        self.map_err(|e| Error::Runtime(format!("{what}: {e}")))
    }
}

impl<T> Context<T> for nix::Result<T> {
    fn context(self, what: impl fmt::Display) -> Result<T, Error> {
        self.map_err(|e| Error::Runtime(format!("{what}: {}", io::Error::from(e))))
    }
}

/// Writes to standard output, as [`crate::outln!`] and [`crate::out!`] do:
/// a failed write (stdout on a full device, say) is a runtime error,
/// `write: No space left on device (os error 28)`, never a panic.
pub fn write_out(args: fmt::Arguments<'_>) -> Result<(), Error> {
    use std::io::Write;
    std::io::stdout().lock().write_fmt(args).context("write")
}

/// Flushes standard output; a failed flush is a runtime error, as in
/// [`write_out`]. [`run`] calls it once the body is done.
pub fn flush_out() -> Result<(), Error> {
    use std::io::Write;
    std::io::stdout().lock().flush().context("write")
}

/// Runs a program's body and turns its outcome into the exit status.
///
/// Standard output behaves as in C: writing into a closed pipe (`| head`)
/// ends the program quietly instead of panicking, and a write that fails
/// otherwise (`>/dev/full`) ends it with `error: write: ...`, exit status 1.
///
/// `-h` or `--help` anywhere before a `--` prints the usage on stdout and
/// exits 0 without running the body.
pub fn run(usage: &str, body: impl FnOnce() -> Result<(), Error>) -> ExitCode {
    restore_default_sigpipe();
    let help = std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "-h" || a == "--help");
    let outcome = if help {
        write_out(format_args!("usage: {usage}\n"))
    } else {
        all_arguments_are_utf8().and_then(|()| body())
    };
    match outcome.and_then(|()| flush_out()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Error::Usage(_) = e {
                eprintln!("usage: {usage}");
            }
            ExitCode::from(e.exit_status())
        }
    }
}

fn restore_default_sigpipe() {
    // SAFETY: resetting SIGPIPE to its default disposition installs no Rust
    // code as a handler, so nothing can run in signal context; it is done
    // before the program starts any thread.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Rule 1: every argument is valid UTF-8, or a usage error names the first
/// that is not.
fn all_arguments_are_utf8() -> Result<(), Error> {
    std::env::args_os()
        .skip(1)
        .try_for_each(|a| utf8(a).map(drop))
}

/// An argument as UTF-8, or a usage error naming it (rule 1).
pub fn utf8(arg: OsString) -> Result<String, Error> {
    arg.into_string().map_err(|raw| {
        let mut shown = String::new();
        for chunk in raw.as_encoded_bytes().utf8_chunks() {
            shown.push_str(chunk.valid());
            for byte in chunk.invalid() {
                shown.push_str(&format!("\\x{byte:02X}"));
            }
        }
        Error::usage(format!("argument '{shown}' is not valid UTF-8"))
    })
}

/// Rule 2: the usage error for an argument the parser did not expect. An
/// option is named whole, as typed (`-hx`, `--frob=x`); a value is quoted.
pub fn unexpected(arg: Unexpected, parser: &mut lexopt::Parser) -> Error {
    let rest = |parser: &mut lexopt::Parser| {
        parser
            .optional_value()
            .map(|v| v.to_string_lossy().into_owned())
    };
    match arg {
        Unexpected::Short(c) => {
            let rest = rest(parser).unwrap_or_default();
            Error::usage(format!("invalid option '-{c}{rest}'"))
        }
        Unexpected::Long(name) => match rest(parser) {
            Some(value) => Error::usage(format!("invalid option '--{name}={value}'")),
            None => Error::usage(format!("invalid option '--{name}'")),
        },
        Unexpected::Value(v) => Error::usage(format!("unexpected argument {v:?}")),
    }
}

/// An argument [`unexpected`] reports, no longer borrowing the parser.
#[derive(Debug)]
pub enum Unexpected {
    Short(char),
    Long(String),
    Value(OsString),
}

impl From<lexopt::Arg<'_>> for Unexpected {
    fn from(arg: lexopt::Arg<'_>) -> Self {
        match arg {
            lexopt::Arg::Short(c) => Unexpected::Short(c),
            lexopt::Arg::Long(name) => Unexpected::Long(name.to_string()),
            lexopt::Arg::Value(v) => Unexpected::Value(v),
        }
    }
}

/// The command line of a program that takes no argument at all: any
/// argument (`-` and `--frob` alike, after `--` too) is a usage error.
pub fn no_arguments() -> Result<(), Error> {
    let mut parser = lexopt::Parser::from_env();
    match parser.next()? {
        Some(arg) => Err(unexpected(arg.into(), &mut parser)),
        None => Ok(()),
    }
}

/// The command line of a program that takes no option and at most one
/// argument (`what` names it in the error): that argument, if given.
pub fn at_most_one_argument(what: &str) -> Result<Option<String>, Error> {
    let mut parser = lexopt::Parser::from_env();
    let mut found = None;
    while let Some(arg) = parser.next()? {
        match arg {
            lexopt::Arg::Value(v) if found.is_none() => found = Some(utf8(v)?),
            lexopt::Arg::Value(_) => return Err(Error::usage(format!("at most one {what}"))),
            other => return Err(unexpected(other.into(), &mut parser)),
        }
    }
    Ok(found)
}

/// Parses a numeric IPv4 or IPv6 address (no name lookup, no DNS).
pub fn parse_ip(text: &str) -> Result<IpAddr, Error> {
    text.parse()
        .map_err(|_| Error::usage(format!("'{text}' is not a numeric IPv4 or IPv6 address")))
}

/// Parses a port number; port 0 ("any free port") is accepted only where a
/// program binds, never where it connects.
pub fn parse_port(text: &str, allow_zero: bool) -> Result<u16, Error> {
    let low = if allow_zero { 0 } else { 1 };
    match whole_number(text) {
        Some(n) if (low..=65535).contains(&n) => Ok(n as u16),
        _ => Err(Error::usage(format!(
            "'{text}' is not a port number ({low} to 65535)"
        ))),
    }
}

/// A number written with decimal digits only (no sign, no spaces), as the
/// C twins read numbers.
pub fn whole_number(text: &str) -> Option<u64> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// The positional `IP PORT` pair of the C programs, for a program that connects.
pub fn parse_endpoint(ip: &str, port: &str) -> Result<SocketAddr, Error> {
    Ok(SocketAddr::new(parse_ip(ip)?, parse_port(port, false)?))
}

/// The longest duration an option in seconds takes (rule 4): about 11.6
/// days, and in milliseconds still well inside a C `int`.
pub const MAX_SECONDS: u64 = 1_000_000;

/// Parses a duration in seconds such as `2` or `0.5` (rule 4: digits with an
/// optional fraction, rounded to the millisecond, 1 ms to [`MAX_SECONDS`]).
pub fn parse_seconds(text: &str) -> Result<Duration, Error> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let well_formed =
        !whole.is_empty() && digits(whole) && digits(fraction) && !text.ends_with('.');
    let millis = well_formed
        .then(|| text.parse::<f64>().ok())
        .flatten()
        .map(|s| (s * 1000.0).round())
        .filter(|ms| (1.0..=(MAX_SECONDS * 1000) as f64).contains(ms));
    millis
        .map(|ms| Duration::from_millis(ms as u64))
        .ok_or_else(|| {
            Error::usage(format!(
                "'{text}' is not a number of seconds (0.001 to {MAX_SECONDS})"
            ))
        })
}

/// Where one side of a conversation prints its lines. In a self-demo both
/// sides print, each line tagged with its side (`[send] `, `[recv] `); a
/// standalone program prints its lines bare, like the C programs.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    tag: &'static str,
}

impl Out {
    /// Lines as they are.
    pub const fn plain() -> Out {
        Out { tag: "" }
    }

    /// Lines behind a tag such as `"[recv] "`.
    pub const fn tagged(tag: &'static str) -> Out {
        Out { tag }
    }

    /// Prints one line (stdout is line-buffered, so it shows at once); a
    /// failed write is an error, as in [`write_out`].
    pub fn line(&self, text: impl fmt::Display) -> Result<(), Error> {
        write_out(format_args!("{}{text}\n", self.tag))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_out_of_range_are_usage_errors() {
        assert_eq!(parse_port("80", false).unwrap(), 80);
        assert_eq!(parse_port("0", true).unwrap(), 0);
        for bad in [
            "0",
            "65536",
            "-1",
            "http",
            "",
            "8o",
            "+80",
            " 80",
            "99999999999999999999",
        ] {
            let e = parse_port(bad, false).unwrap_err();
            assert_eq!(e.exit_status(), 2, "{bad}");
            assert!(e.to_string().contains("is not a port number"), "{e}");
        }
    }

    #[test]
    fn endpoints_take_both_families_and_no_names() {
        assert_eq!(parse_endpoint("::1", "7").unwrap().to_string(), "[::1]:7");
        assert_eq!(
            parse_endpoint("127.0.0.1", "9").unwrap().to_string(),
            "127.0.0.1:9"
        );
        assert!(parse_endpoint("localhost", "9").is_err());
    }

    #[test]
    fn context_names_the_call() {
        let r: io::Result<()> = Err(io::Error::from_raw_os_error(libc::ECONNREFUSED));
        let e = r.context("connect to 127.0.0.1:9").unwrap_err();
        assert_eq!(
            e.to_string(),
            "connect to 127.0.0.1:9: Connection refused (os error 111)"
        );
        assert_eq!(e.exit_status(), 1);
    }

    #[test]
    fn unexpected_options_are_named_whole_as_typed() {
        let first = |args: &[&str]| {
            let mut parser = lexopt::Parser::from_args(args);
            let arg = parser.next().unwrap().unwrap();
            unexpected(arg.into(), &mut parser).to_string()
        };
        assert_eq!(first(&["-hx"]), "invalid option '-hx'");
        assert_eq!(first(&["--=x"]), "invalid option '--=x'");
        assert_eq!(first(&["--frob=x"]), "invalid option '--frob=x'");
        assert_eq!(first(&["--frob"]), "invalid option '--frob'");
        assert_eq!(first(&["-"]), "unexpected argument \"-\"");
    }

    #[test]
    fn seconds_must_be_positive_and_finite() {
        assert_eq!(parse_seconds("0.5").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_seconds("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_seconds("0.0015").unwrap(), Duration::from_millis(2));
        for bad in [
            "0",
            "-1",
            "nan",
            "inf",
            "x",
            "1e-300",
            "1e3",
            "+1",
            "99999999999",
            "0.0004",
            ".5",
            "5.",
            "",
            " 1",
        ] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }
}
