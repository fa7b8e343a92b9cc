//! Section "Address lookup", the host database (APUE 16.3.3): `gethostent`
//! over /etc/hosts, and `gethostbyname` beside `getaddrinfo`, which
//! replaced it.
//!
//! With no argument it lists /etc/hosts. With NAME it looks the name up
//! both ways. A name that is not in /etc/hosts is passed on to DNS
//! (`hosts: files dns`): the program's own demos use `localhost` only.
#![forbid(unsafe_code)]

use sockref::outln;
use std::path::Path;
use std::process::ExitCode;

use dns_lookup::{AddrInfoHints, getaddrinfo};
use netdb::Host;
use sockref::Error;

const USAGE: &str = "hosts [NAME]";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let query = sockref::cli::at_most_one_argument("NAME")?;
        if let Some(problem) = netdb::missing_database("hosts", Path::new("/")) {
            return Err(Error::runtime(problem));
        }
        match query {
            None => netdb::hosts().try_for_each(|h| print_host(&h))?,
            Some(name) => {
                if let Some(note) = netdb::dns_note(&name, false, "a numeric address") {
                    eprintln!("{note}");
                }
                match netdb::host_by_name(&name) {
                    Ok(h) => print_host(&h)?,
                    Err(code) => outln!(
                        "gethostbyname(\"{name}\") failed: {}\n",
                        netdb::h_error_text(code)
                    )?,
                }
                modern_lookup(&name)?;
            }
        }
        Ok(())
    })
}

fn print_host(h: &Host) -> Result<(), Error> {
    // exercise: hosts/print
    outln!("host name: {}", h.name)?;
    for alias in &h.aliases {
        outln!("alias name: {alias}")?;
    }
    outln!("address type: {}", netdb::family_name(h.addrtype))?;
    for addr in &h.addrs {
        outln!("address: {}", netdb::ntop(*addr))?;
    }
    outln!()?;
    // end exercise
    Ok(())
}

// ANCHOR: modern_lookup
/// The same question through getaddrinfo: both families, and no static
/// buffer to share.
fn modern_lookup(name: &str) -> Result<(), Error> {
    let hints = AddrInfoHints {
        socktype: libc::SOCK_STREAM,
        flags: libc::AI_CANONNAME,
        ..AddrInfoHints::default()
    };
    let results = getaddrinfo(Some(name), None, Some(hints))
        .map_err(|e| netdb::gai_error(&format!("getaddrinfo(\"{name}\")"), e.error_num()))?;
    outln!("getaddrinfo(\"{name}\", SOCK_STREAM, AI_CANONNAME):")?;
    for info in results {
        let info = info.map_err(|e| Error::runtime(format!("getaddrinfo: {e}")))?;
        if let Some(canon) = &info.canonname {
            outln!("canonical name: {canon}")?;
        }
        outln!(
            "address: {} ({})",
            netdb::ntop(info.sockaddr.ip()),
            netdb::family_name(info.address)
        )?;
    }
    Ok(())
}
// ANCHOR_END: modern_lookup
