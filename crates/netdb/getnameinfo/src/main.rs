//! Section "Address lookup": `getnameinfo`, from an address and a port back
//! to a host name and a service name.
//!
//! `getnameinfo IP PORT` with its flags as options. With no argument it
//! asks about 127.0.0.1 port 80, which /etc/hosts and /etc/services answer
//! without DNS. Reverse lookups of other addresses (::1 included, on these
//! machines) go to DNS unless `--numeric-host` is given.
#![forbid(unsafe_code)]

use sockref::outln;
use std::net::SocketAddr;
use std::process::ExitCode;

use sockref::{Error, lexopt};

const USAGE: &str = "getnameinfo [IP PORT] [--numeric-host] [--numeric-serv] [--name-required] [--dgram] [--no-fqdn]";

/// The flags, named as in <netdb.h>, in the order they are printed.
const FLAGS: [(&str, i32); 5] = [
    ("NI_NUMERICHOST", libc::NI_NUMERICHOST),
    ("NI_NUMERICSERV", libc::NI_NUMERICSERV),
    ("NI_NOFQDN", libc::NI_NOFQDN),
    ("NI_NAMEREQD", libc::NI_NAMEREQD),
    ("NI_DGRAM", libc::NI_DGRAM),
];

/// The option that sets each flag, in the same order.
const OPTIONS: [&str; 5] = [
    "numeric-host",
    "numeric-serv",
    "no-fqdn",
    "name-required",
    "dgram",
];

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let (addr, flags) = parse_args()?;
        lookup(addr, flags)
    })
}

// ANCHOR: lookup
fn lookup(addr: SocketAddr, flags: i32) -> Result<(), Error> {
    let call = format!(
        "getnameinfo({}, {})",
        endpoint(addr),
        netdb::flag_names(flags, &FLAGS)
    );
    if flags & libc::NI_NUMERICHOST == 0
        && let Some(note) = netdb::dns_note(&netdb::ntop(addr.ip()), true, "--numeric-host")
    {
        eprintln!("{note}");
    }
    let (host, service) = dns_lookup::getnameinfo(&addr, flags)
        .map_err(|e| netdb::gai_error(&call, e.error_num()))?;
    outln!("{call}:")?;
    outln!("host: {host}")?;
    outln!("service: {service}")?;
    Ok(())
}
// ANCHOR_END: lookup

fn endpoint(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(_) => format!("{}:{}", netdb::ntop(addr.ip()), addr.port()),
        SocketAddr::V6(_) => format!("[{}]:{}", netdb::ntop(addr.ip()), addr.port()),
    }
}

fn parse_args() -> Result<(SocketAddr, i32), Error> {
    let mut parser = lexopt::Parser::from_env();
    let mut flags = 0;
    let mut positional = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            lexopt::Arg::Long(name) if OPTIONS.contains(&name) => {
                flags |= OPTIONS
                    .iter()
                    .zip(FLAGS)
                    .find(|(o, _)| **o == name)
                    .map_or(0, |(_, f)| f.1);
            }
            lexopt::Arg::Value(v) => positional.push(sockref::cli::utf8(v)?),
            other => return Err(sockref::cli::unexpected(other.into(), &mut parser)),
        }
    }
    match positional.as_slice() {
        [] => Ok((SocketAddr::new(sockref::peer::LOOPBACK, 80), flags)),
        [ip, port] => Ok((
            SocketAddr::new(
                sockref::cli::parse_ip(ip)?,
                sockref::cli::parse_port(port, true)?,
            ),
            flags,
        )),
        _ => Err(Error::usage("expected IP PORT")),
    }
}
