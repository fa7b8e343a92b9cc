//! Section "Byte order" of the addressing chapter (APUE 16.3.1).
//!
//! TCP/IP puts multi-byte integers on the wire most significant byte first
//! ("network byte order", big-endian). A host may store them either way, so
//! C programs convert with `htonl`/`htons` before sending and `ntohl`/`ntohs`
//! after receiving. Rust spells the same operations `to_be`/`from_be` and
//! `to_be_bytes`/`from_be_bytes`. This program prints the bytes of a value as
//! the host stores it and as the network wants it, names the C function and
//! the Rust idiom that get there, and checks that glibc and Rust agree.
//!
//! Usage: `byte-order [VALUE...]`, each VALUE decimal or `0x` hexadecimal;
//! with no VALUE it shows 0x1234, 0x12345678 and 0x0123456789abcdef.
#![forbid(unsafe_code)]

use sockref::outln;
use std::process::ExitCode;

use sockref::ffi::{htonl, htons, ntohl, ntohs};
use sockref::{Error, lexopt};

const USAGE: &str = "byte-order [VALUE...]   (VALUE: decimal or 0x hexadecimal, at most 64 bits)";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let values = parse_args()?;
        print_host_order()?;
        for value in values {
            outln!()?;
            match value {
                Value::U16(x) => show_u16(x)?,
                Value::U32(x) => show_u32(x)?,
                Value::U64(x) => show_u64(x)?,
            }
        }
        Ok(())
    })
}

// ANCHOR: host_order
/// Finds the host's byte order by looking at memory, not at a compile-time
/// setting: where does the low byte of the number 1 sit?
fn print_host_order() -> Result<(), Error> {
    let one: u16 = 1;
    let first_byte = one.to_ne_bytes()[0];
    let order = if first_byte == 1 {
        "little-endian"
    } else {
        "big-endian"
    };
    outln!(
        "host byte order: {order} (the u16 1 is stored as {})",
        hex_bytes(&one.to_ne_bytes())
    )?;
    Ok(())
}
// ANCHOR_END: host_order

// ANCHOR: u32
fn show_u32(x: u32) -> Result<(), Error> {
    // exercise: byte-order/htonl
    let net = x.to_be(); // what htonl(x) computes
    let back = u32::from_be(net); // what ntohl(net) computes
    agree("htonl", htonl(x), net)?;
    agree("ntohl", ntohl(net), back)?;
    agree("to_be_bytes", u32::from_ne_bytes(x.to_be_bytes()), net)?;
    agree("from_be_bytes", u32::from_be_bytes(net.to_ne_bytes()), x)?;
    print_table(&Table {
        title: format!("u32 {x:#010x}"),
        host: &x.to_ne_bytes(),
        network: &net.to_ne_bytes(),
        back: format!("{back:#010x}"),
        c: ["htonl(x)", "ntohl(n)"],
        rust: "u32",
    })?;
    Ok(())
    // end exercise
}
// ANCHOR_END: u32

fn show_u16(x: u16) -> Result<(), Error> {
    // exercise: byte-order/htons
    let net = x.to_be(); // what htons(x) computes
    let back = u16::from_be(net); // what ntohs(net) computes
    agree("htons", htons(x), net)?;
    agree("ntohs", ntohs(net), back)?;
    agree("to_be_bytes", u16::from_ne_bytes(x.to_be_bytes()), net)?;
    agree("from_be_bytes", u16::from_be_bytes(net.to_ne_bytes()), x)?;
    print_table(&Table {
        title: format!("u16 {x:#06x}"),
        host: &x.to_ne_bytes(),
        network: &net.to_ne_bytes(),
        back: format!("{back:#06x}"),
        c: ["htons(x)", "ntohs(n)"],
        rust: "u16",
    })?;
    Ok(())
    // end exercise
}

fn show_u64(x: u64) -> Result<(), Error> {
    // exercise: byte-order/htonll
    // glibc has no htonll: <endian.h> offers htobe64 and be64toh instead.
    let net = x.to_be();
    let back = u64::from_be(net);
    agree("to_be_bytes", u64::from_ne_bytes(x.to_be_bytes()), net)?;
    agree("from_be_bytes", u64::from_be_bytes(net.to_ne_bytes()), x)?;
    print_table(&Table {
        title: format!("u64 {x:#018x}"),
        host: &x.to_ne_bytes(),
        network: &net.to_ne_bytes(),
        back: format!("{back:#018x}"),
        c: ["htobe64(x)", "be64toh(n)"],
        rust: "u64",
    })?;
    Ok(())
    // end exercise
}

/// One value, its bytes both ways, and the C and Rust spellings side by side.
struct Table<'a> {
    title: String,
    host: &'a [u8],
    network: &'a [u8],
    back: String,
    c: [&'a str; 2],
    rust: &'a str,
}

fn print_table(t: &Table<'_>) -> Result<(), Error> {
    let ty = t.rust;
    outln!("{:<25}{:<25}{:<13}Rust", t.title, "", "C")?;
    outln!(
        "{:<25}{:<25}{:<13}x.to_ne_bytes()",
        "  stored in host order",
        hex_bytes(t.host),
        "memcpy"
    )?;
    outln!(
        "{:<25}{:<25}{:<13}x.to_be(), x.to_be_bytes()",
        "  network order",
        hex_bytes(t.network),
        t.c[0]
    )?;
    outln!(
        "{:<25}{:<25}{:<13}{ty}::from_be(n), {ty}::from_be_bytes(b)",
        "  back to host order",
        t.back,
        t.c[1]
    )?;
    Ok(())
}

/// The two ways of computing one conversion must give the same number.
fn agree<T: PartialEq + std::fmt::LowerHex>(what: &str, c: T, rust: T) -> Result<(), Error> {
    if c == rust {
        Ok(())
    } else {
        Err(Error::runtime(format!(
            "{what} disagrees: glibc gives {c:#x}, Rust {rust:#x}"
        )))
    }
}

/// Bytes as the textbook writes them: `12_34_56_78`.
fn hex_bytes(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join("_")
}

enum Value {
    U16(u16),
    U32(u32),
    U64(u64),
}

/// Each VALUE is shown at the narrowest of 16, 32 and 64 bits that holds it.
fn parse_args() -> Result<Vec<Value>, Error> {
    let mut parser = lexopt::Parser::from_env();
    let mut values = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            lexopt::Arg::Value(v) => values.push(parse_value(&sockref::cli::utf8(v)?)?),
            other => return Err(sockref::cli::unexpected(other.into(), &mut parser)),
        }
    }
    if values.is_empty() {
        values = vec![
            Value::U16(0x1234),
            Value::U32(0x1234_5678),
            Value::U64(0x0123_4567_89ab_cdef),
        ];
    }
    Ok(values)
}

fn parse_value(text: &str) -> Result<Value, Error> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u64::from_str_radix(hex, 16)
        }
        Some(_) => return Err(Error::usage(format!("'{text}' is not a number"))),
        None if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => text.parse::<u64>(),
        None => return Err(Error::usage(format!("'{text}' is not a number"))),
    };
    let n = parsed.map_err(|_| Error::usage(format!("'{text}' does not fit in 64 bits")))?;
    Ok(if let Ok(x) = u16::try_from(n) {
        Value::U16(x)
    } else if let Ok(x) = u32::try_from(n) {
        Value::U32(x)
    } else {
        Value::U64(n)
    })
}
