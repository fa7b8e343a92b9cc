//! Section "Address lookup": `getaddrinfo`, the textbook's address-lookup
//! example (APUE figure 16.9's program, rewritten).
//!
//! `getaddrinfo HOST [SERVICE]` with hints as options prints every result:
//! its flags, family, socket type, protocol, canonical name, address and
//! port. With no argument it looks up `localhost` and `nfs` with
//! AI_CANONNAME, which needs no DNS query (localhost is in /etc/hosts).
//! `-` as HOST or SERVICE passes NULL.
#![forbid(unsafe_code)]

use sockref::outln;
use std::process::ExitCode;

use dns_lookup::{AddrInfo, AddrInfoHints, getaddrinfo};
use sockref::{Error, lexopt};

const USAGE: &str = "getaddrinfo [HOST|- [SERVICE|-]] [--canonname] [--passive] [--numeric-host] [--numeric-serv] \
[--addrconfig] [--v4mapped] [--all] [--family inet|inet6|unspec] [--socktype stream|dgram|raw] [--protocol tcp|udp|NUMBER]";

/// The hint flags, named as in <netdb.h>, in the order they are printed.
const FLAGS: [(&str, i32); 7] = [
    ("AI_PASSIVE", libc::AI_PASSIVE),
    ("AI_CANONNAME", libc::AI_CANONNAME),
    ("AI_NUMERICHOST", libc::AI_NUMERICHOST),
    ("AI_V4MAPPED", libc::AI_V4MAPPED),
    ("AI_ALL", libc::AI_ALL),
    ("AI_ADDRCONFIG", libc::AI_ADDRCONFIG),
    ("AI_NUMERICSERV", libc::AI_NUMERICSERV),
];

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let (host, service, hints) = parse_args()?;
        lookup(host.as_deref(), service.as_deref(), hints)
    })
}

// ANCHOR: lookup
fn lookup(host: Option<&str>, service: Option<&str>, hints: AddrInfoHints) -> Result<(), Error> {
    let shown = |s: Option<&str>| s.map_or("NULL".to_string(), |s| format!("\"{s}\""));
    let call = format!(
        "getaddrinfo({}, {}, {})",
        shown(host),
        shown(service),
        flag_names(hints.flags)
    );
    if let Some(name) = host
        && hints.flags & libc::AI_NUMERICHOST == 0
        && let Some(note) = netdb::dns_note(name, false, "--numeric-host")
    {
        eprintln!("{note}");
    }
    let results: Vec<AddrInfo> = getaddrinfo(host, service, Some(hints))
        .and_then(|iter| {
            iter.collect::<Result<Vec<_>, _>>()
                .map_err(dns_lookup::LookupError::from)
        })
        .map_err(|e| netdb::gai_error(&call, e.error_num()))?;
    outln!("{call}: {} result(s)", results.len())?;
    for (i, ai) in results.iter().enumerate() {
        // glibc copies the hint flags into every result's ai_flags, but
        // dns-lookup 4 does not pass ai_flags on (its AddrInfo::flags is
        // always 0; a test in tests/lookup.rs watches for that to change),
        // so the flags shown are the hints'.
        outln!(
            "{}. flags {}  family {}  socktype {}  protocol {}",
            i + 1,
            flag_names(hints.flags | ai.flags),
            netdb::family_name(ai.address),
            socktype_name(ai.socktype),
            protocol_name(ai.protocol)
        )?;
        outln!(
            "   canonname {}  address {}  port {}",
            ai.canonname.as_deref().unwrap_or("-"),
            netdb::ntop(ai.sockaddr.ip()),
            ai.sockaddr.port()
        )?;
    }
    Ok(())
}
// ANCHOR_END: lookup

fn flag_names(flags: i32) -> String {
    netdb::flag_names(flags, &FLAGS)
}

fn socktype_name(t: i32) -> &'static str {
    match t {
        libc::SOCK_STREAM => "SOCK_STREAM",
        libc::SOCK_DGRAM => "SOCK_DGRAM",
        libc::SOCK_RAW => "SOCK_RAW",
        libc::SOCK_SEQPACKET => "SOCK_SEQPACKET",
        0 => "0",
        _ => "SOCK_?",
    }
}

fn protocol_name(p: i32) -> String {
    match p {
        libc::IPPROTO_TCP => "IPPROTO_TCP".into(),
        libc::IPPROTO_UDP => "IPPROTO_UDP".into(),
        0 => "0".into(),
        n => n.to_string(),
    }
}

fn parse_args() -> Result<(Option<String>, Option<String>, AddrInfoHints), Error> {
    let mut parser = lexopt::Parser::from_env();
    let mut hints = AddrInfoHints::default();
    let mut positional = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            lexopt::Arg::Long(flag) if flag_by_option(flag).is_some() => {
                hints.flags |= flag_by_option(flag).unwrap_or(0)
            }
            lexopt::Arg::Long("family") => {
                hints.address = match sockref::cli::utf8(parser.value()?)?.as_str() {
                    "inet" => libc::AF_INET,
                    "inet6" => libc::AF_INET6,
                    "unspec" => libc::AF_UNSPEC,
                    other => {
                        return Err(Error::usage(format!(
                            "unknown family '{other}' (inet, inet6 or unspec)"
                        )));
                    }
                }
            }
            lexopt::Arg::Long("socktype") => {
                hints.socktype = match sockref::cli::utf8(parser.value()?)?.as_str() {
                    "stream" => libc::SOCK_STREAM,
                    "dgram" => libc::SOCK_DGRAM,
                    "raw" => libc::SOCK_RAW,
                    other => {
                        return Err(Error::usage(format!(
                            "unknown socket type '{other}' (stream, dgram or raw)"
                        )));
                    }
                }
            }
            lexopt::Arg::Long("protocol") => {
                let text = sockref::cli::utf8(parser.value()?)?;
                hints.protocol = match text.as_str() {
                    "tcp" => libc::IPPROTO_TCP,
                    "udp" => libc::IPPROTO_UDP,
                    n => sockref::cli::whole_number(n)
                        .and_then(|n| i32::try_from(n).ok())
                        .ok_or_else(|| {
                            Error::usage(format!(
                                "unknown protocol '{text}' (tcp, udp or a number)"
                            ))
                        })?,
                }
            }
            lexopt::Arg::Value(v) => positional.push(sockref::cli::utf8(v)?),
            other => return Err(sockref::cli::unexpected(other.into(), &mut parser)),
        }
    }
    // glibc reads a numeric SERVICE with strtoul and keeps the low 16 bits
    // (65536 becomes port 0): a number beyond a port is refused here.
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(service) = positional.get(1)
        && all_digits(service)
        && sockref::cli::whole_number(service).is_none_or(|n| n > 65535)
    {
        return Err(Error::usage(format!(
            "'{service}' is not a port number (0 to 65535)"
        )));
    }
    let null = |s: &String| (s != "-").then(|| s.clone());
    match positional.as_slice() {
        [] => Ok((
            Some("localhost".into()),
            Some("nfs".into()),
            AddrInfoHints {
                flags: libc::AI_CANONNAME,
                ..hints
            },
        )),
        [host] if host == "-" => Err(Error::usage("HOST and SERVICE cannot both be NULL")),
        [host] => Ok((null(host), None, hints)),
        [host, service] => match (null(host), null(service)) {
            (None, None) => Err(Error::usage("HOST and SERVICE cannot both be NULL")),
            (h, s) => Ok((h, s, hints)),
        },
        _ => Err(Error::usage("expected HOST [SERVICE]")),
    }
}

/// `--canonname` and friends: the AI_ flag an option sets.
fn flag_by_option(option: &str) -> Option<i32> {
    Some(match option {
        "canonname" => libc::AI_CANONNAME,
        "passive" => libc::AI_PASSIVE,
        "numeric-host" => libc::AI_NUMERICHOST,
        "numeric-serv" => libc::AI_NUMERICSERV,
        "addrconfig" => libc::AI_ADDRCONFIG,
        "v4mapped" => libc::AI_V4MAPPED,
        "all" => libc::AI_ALL,
        _ => return None,
    })
}
