//! Section "Address lookup", the host database (APUE 16.3.3): `gethostent`
//! over /etc/hosts, and `gethostbyname` beside `getaddrinfo`, which
//! replaced it.
//!
//! With no argument it lists /etc/hosts. With NAME it looks the name up
//! both ways. A name that is not in /etc/hosts is passed on to DNS
//! (`hosts: files dns`): the program's own demos use `localhost` only.
#![forbid(unsafe_code)]

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
            None => netdb::hosts().for_each(|h| print_host(&h)),
            Some(name) => {
                match netdb::host_by_name(&name) {
                    Ok(h) => print_host(&h),
                    Err(code) => println!(
                        "gethostbyname(\"{name}\") failed: {}\n",
                        netdb::h_error_text(code)
                    ),
                }
                modern_lookup(&name)?;
            }
        }
        Ok(())
    })
}

// ANCHOR: print_host
fn print_host(h: &Host) {
    // exercise: hosts/print
    println!("host name: {}", h.name);
    for alias in &h.aliases {
        println!("alias name: {alias}");
    }
    println!("address type: {}", netdb::family_name(h.addrtype));
    for addr in &h.addrs {
        println!("address: {}", netdb::ntop(*addr));
    }
    println!();
    // end exercise
}
// ANCHOR_END: print_host

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
    println!("getaddrinfo(\"{name}\", SOCK_STREAM, AI_CANONNAME):");
    for info in results {
        let info = info.map_err(|e| Error::runtime(format!("getaddrinfo: {e}")))?;
        if let Some(canon) = &info.canonname {
            println!("canonical name: {canon}");
        }
        println!(
            "address: {} ({})",
            netdb::ntop(info.sockaddr.ip()),
            netdb::family_name(info.address)
        );
    }
    Ok(())
}
// ANCHOR_END: modern_lookup
