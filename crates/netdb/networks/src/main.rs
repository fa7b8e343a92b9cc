//! Section "Address lookup", the networks database (APUE 16.3.3):
//! `getnetent`, `getnetbyname` and `getnetbyaddr` over /etc/networks.
//! With no argument it lists every network; with NAME or a dotted network
//! number it looks one up. `n_net` is a number in host byte order.
#![forbid(unsafe_code)]

use sockref::outln;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::ExitCode;

use netdb::Network;
use sockref::Error;

const USAGE: &str = "networks [NAME|A.B.C.D]";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let query = sockref::cli::at_most_one_argument("NAME or network number")?;
        if let Some(problem) = netdb::missing_database("networks", Path::new("/")) {
            return Err(Error::runtime(problem));
        }
        match query {
            None => netdb::networks().try_for_each(|n| print_network(&n))?,
            Some(text) => match text.parse::<Ipv4Addr>() {
                Ok(addr) => match netdb::network_by_addr(u32::from(addr)) {
                    Some(n) => print_network(&n)?,
                    None => {
                        return Err(Error::runtime(format!(
                            "getnetbyaddr({addr}, AF_INET): no such network"
                        )));
                    }
                },
                Err(_) => match netdb::network_by_name(&text) {
                    Some(n) => print_network(&n)?,
                    None => {
                        return Err(Error::runtime(format!(
                            "getnetbyname(\"{text}\"): no such network"
                        )));
                    }
                },
            },
        }
        Ok(())
    })
}

// ANCHOR: print_network
fn print_network(n: &Network) -> Result<(), Error> {
    // exercise: networks/print
    outln!("net name: {}", n.name)?;
    for alias in &n.aliases {
        outln!("alias name: {alias}")?;
    }
    outln!("address type: {}", netdb::family_name(n.addrtype))?;
    outln!(
        "net number: {} (n_net = {:#010x})",
        Ipv4Addr::from(n.net),
        n.net
    )?;
    outln!()?;
    // end exercise
    Ok(())
}
// ANCHOR_END: print_network
