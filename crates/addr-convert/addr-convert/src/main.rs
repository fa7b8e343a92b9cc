//! Section "Address formats" of the addressing chapter (APUE 16.3.2).
//!
//! `inet_pton` turns the text form of an address ("presentation") into the
//! binary form a socket address holds, in network byte order; `inet_ntop`
//! goes back. Rust's `std::net::Ipv4Addr` and `Ipv6Addr` do the same with
//! `FromStr` and `Display`.
//!
//! With no arguments the program repeats the textbook's example for
//! 192.168.8.128 and an IPv6 example. With arguments it shows, for each, what
//! every parser makes of it: glibc's `inet_pton`, the older `inet_aton`,
//! `getaddrinfo` with `AI_NUMERICHOST` (no DNS query), and std. They do not
//! all agree: `inet_aton` takes octal, hex and short forms, a scope id
//! such as `%lo` is understood by `getaddrinfo` by name or number and by
//! std's `SocketAddrV6` only by number, and glibc prints some IPv6
//! addresses with a dotted tail where Rust prints hex.
//!
//! With `--bytes`, it prints the bytes of each IPv4 address in network
//! order one by one, as the notes' addr01 printed the bytes of an integer:
//! through a `char` with `%x`, which sign-extends every byte of 0x80 or
//! more where `char` is signed (x86-64: `ffffff80` for `80`), and through
//! an `unsigned char`, the fix.
//!
//! Lines that begin with `std::` exist only here, not in the C twin.
#![forbid(unsafe_code)]

use sockref::outln;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV6};
use std::process::ExitCode;

use dns_lookup::{AddrInfoHints, getaddrinfo};
use sockref::ffi::{inet_aton, inet_ntop4, inet_ntop6, inet_pton4, inet_pton6};
use sockref::{Error, lexopt};

const USAGE: &str = "addr-convert [ADDRESS...] | addr-convert --bytes ADDRESS...";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let (bytes, inputs) = parse_args()?;
        if bytes {
            for text in &inputs {
                addr01_bytes(text)?;
            }
        } else if inputs.is_empty() {
            textbook_example()?;
            ipv6_example()?;
        } else {
            for (i, text) in inputs.iter().enumerate() {
                if i > 0 {
                    outln!()?;
                }
                compare_parsers(text)?;
            }
        }
        Ok(())
    })
}

// ANCHOR: textbook
/// The textbook's program: text to binary, the binary to host order for
/// printing as a number, then back to text.
fn textbook_example() -> Result<(), Error> {
    // exercise: addr-convert/textbook
    let text = "192.168.8.128";
    let net = inet_pton4(text).ok_or_else(|| Error::runtime("inet_pton rejected 192.168.8.128"))?;
    let host_order = u32::from_be_bytes(net); // ntohl(addr.s_addr)
    outln!("inet_pton(AF_INET, \"{text}\"), then ntohl:")?;
    outln!("addr = {host_order:x}")?;
    let back = inet_ntop4(&host_order.to_be_bytes()); // htonl, then inet_ntop
    outln!("htonl, then inet_ntop:")?;
    outln!("addr = {back}")?;

    let std_addr: Ipv4Addr = text
        .parse()
        .map_err(|_| Error::runtime("std rejected 192.168.8.128"))?;
    let std_host_order = u32::from(std_addr);
    let std_back = Ipv4Addr::from(std_host_order);
    outln!(
        "std::net::Ipv4Addr agrees: u32::from(addr) = {std_host_order:x}, Display = {std_back}"
    )?;
    Ok(())
    // end exercise
}
// ANCHOR_END: textbook

fn ipv6_example() -> Result<(), Error> {
    // exercise: addr-convert/ipv6
    let text = "2001:db8::8:800:200c:417a";
    let net =
        inet_pton6(text).ok_or_else(|| Error::runtime(format!("inet_pton rejected {text}")))?;
    outln!()?;
    outln!("inet_pton(AF_INET6, \"{text}\"):")?;
    outln!("addr = {}", hex(&net))?;
    outln!("inet_ntop:")?;
    outln!("addr = {}", inet_ntop6(&net))?;

    let std_addr: Ipv6Addr = text
        .parse()
        .map_err(|_| Error::runtime(format!("std rejected {text}")))?;
    outln!(
        "std::net::Ipv6Addr agrees: octets() = {}, Display = {std_addr}",
        hex(&std_addr.octets())
    )?;
    Ok(())
    // end exercise
}

// ANCHOR: compare
/// One input, every parser's verdict, and the text each prints back.
fn compare_parsers(text: &str) -> Result<(), Error> {
    // exercise: addr-convert/compare
    let pton4 = inet_pton4(text);
    let pton6 = inet_pton6(text);
    outln!("input '{text}'")?;
    row("inet_pton(AF_INET)", pton4.map(|a| inet_ntop4(&a)))?;
    row("inet_pton(AF_INET6)", pton6.map(|a| inet_ntop6(&a)))?;
    row("inet_aton", inet_aton(text).map(|a| inet_ntop4(&a)))?;
    row("getaddrinfo(NUMERICHOST)", Some(numeric_getaddrinfo(text)))?;

    let std4 = text.parse::<Ipv4Addr>().ok();
    let std6 = text.parse::<Ipv6Addr>().ok();
    row_std(
        "std::net::Ipv4Addr",
        std4.map(|a| a.to_string()),
        pton4.map(|a| inet_ntop4(&a)),
    )?;
    row_std(
        "std::net::Ipv6Addr",
        std6.map(|a| a.to_string()),
        pton6.map(|a| inet_ntop6(&a)),
    )?;
    if text.contains('%') {
        let scoped = format!("[{text}]:0").parse::<SocketAddrV6>().ok();
        row(
            "std::net::SocketAddrV6",
            scoped.map(|a| format!("{}%{}", a.ip(), a.scope_id())),
        )?;
    }
    // end exercise
    Ok(())
}

/// getaddrinfo with AI_NUMERICHOST never sends a DNS query: it parses the
/// text or fails with EAI_NONAME. It understands scope ids by interface
/// name (`%lo`) as well as by number, and reports the number.
fn numeric_getaddrinfo(text: &str) -> String {
    let hints = AddrInfoHints {
        flags: libc::AI_NUMERICHOST,
        socktype: libc::SOCK_STREAM,
        ..AddrInfoHints::default()
    };
    let first = match getaddrinfo(Some(text), None, Some(hints)) {
        Ok(mut results) => results.next(),
        Err(e) => return format!("rejected ({})", sockref::ffi::eai_name(e.error_num())),
    };
    match first {
        Some(Ok(info)) => match info.sockaddr.ip() {
            IpAddr::V4(a) => inet_ntop4(&a.octets()),
            IpAddr::V6(a) => match info.sockaddr {
                std::net::SocketAddr::V6(s) if s.scope_id() != 0 => {
                    format!("{}%{}", inet_ntop6(&a.octets()), s.scope_id())
                }
                _ => inet_ntop6(&a.octets()),
            },
        },
        Some(Err(e)) => format!("rejected ({e})"),
        None => "rejected (no result)".to_string(),
    }
}
// ANCHOR_END: compare

// ANCHOR: addr01
/// The notes' addr01 prints each byte of a value through a `char` with
/// `%x`. printf's `%x` takes an unsigned int, so the `char` is first
/// promoted to int: where `char` is signed, a byte of 0x80 or more is a
/// negative number, and its int is sign-extended, `ffffff80` for `80`.
/// `c_char` is `char` as the platform's C has it (i8 on x86-64, u8 on
/// Arm), so the first line prints what the C twin's `char` prints.
fn addr01_bytes(text: &str) -> Result<(), Error> {
    let Some(net) = inet_pton4(text) else {
        outln!("input '{text}': inet_pton(AF_INET) rejects it")?;
        return Ok(());
    };
    let through_char: Vec<String> = net
        .iter()
        .map(|&b| format!("{:x}", b as std::ffi::c_char as std::ffi::c_int))
        .collect();
    let through_unsigned: Vec<String> = net.iter().map(|b| format!("{b:x}")).collect();
    outln!("input '{text}': the bytes inet_pton(AF_INET) stores, one by one:")?;
    outln!("  char with %x (addr01)    {}", through_char.join("_"))?;
    outln!("  unsigned char with %x    {}", through_unsigned.join("_"))?;
    Ok(())
}
// ANCHOR_END: addr01

fn row(parser: &str, verdict: Option<String>) -> Result<(), Error> {
    outln!("  {parser:<26}{}", verdict.as_deref().unwrap_or("rejected"))?;
    Ok(())
}

/// A std row, with a note wherever std and inet_pton disagree.
fn row_std(parser: &str, std: Option<String>, glibc: Option<String>) -> Result<(), Error> {
    let note = match (&std, &glibc) {
        (Some(s), Some(g)) if s != g => format!("   (inet_ntop prints {g})"),
        (Some(_), None) => "   (inet_pton rejects it)".to_string(),
        (None, Some(_)) => "   (inet_pton accepts it)".to_string(),
        _ => String::new(),
    };
    outln!(
        "  {parser:<26}{}{note}",
        std.as_deref().unwrap_or("rejected")
    )?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `--bytes`, and the addresses.
fn parse_args() -> Result<(bool, Vec<String>), Error> {
    let mut parser = lexopt::Parser::from_env();
    let (mut bytes, mut inputs) = (false, Vec::new());
    while let Some(arg) = parser.next()? {
        match arg {
            lexopt::Arg::Long("bytes") => bytes = true,
            lexopt::Arg::Value(v) => inputs.push(sockref::cli::utf8(v)?),
            other => return Err(sockref::cli::unexpected(other.into(), &mut parser)),
        }
    }
    if bytes && inputs.is_empty() {
        return Err(Error::usage("--bytes needs at least one ADDRESS"));
    }
    Ok((bytes, inputs))
}
