//! Section "Address lookup", the protocols database (APUE 16.3.3):
//! `getprotoent`, `getprotobyname` and `getprotobynumber` over
//! /etc/protocols. With no argument it lists every protocol; with NAME or
//! NUMBER it looks one up.
#![forbid(unsafe_code)]

use sockref::outln;
use std::path::Path;
use std::process::ExitCode;

use netdb::Protocol;
use sockref::Error;

const USAGE: &str = "protocols [NAME|NUMBER]";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let query = sockref::cli::at_most_one_argument("NAME or NUMBER")?;
        if let Some(problem) = netdb::missing_database("protocols", Path::new("/")) {
            return Err(Error::runtime(problem));
        }
        match query {
            None => netdb::protocols().try_for_each(|p| print_protocol(&p))?,
            Some(text) => match sockref::cli::whole_number(&text)
                .and_then(|n| i32::try_from(n).ok())
                .ok_or(())
            {
                Ok(number) => match netdb::protocol_by_number(number) {
                    Some(p) => print_protocol(&p)?,
                    None => {
                        return Err(Error::runtime(format!(
                            "getprotobynumber({number}): no such protocol"
                        )));
                    }
                },
                Err(_) => match netdb::protocol_by_name(&text) {
                    Some(p) => print_protocol(&p)?,
                    None => {
                        return Err(Error::runtime(format!(
                            "getprotobyname(\"{text}\"): no such protocol"
                        )));
                    }
                },
            },
        }
        Ok(())
    })
}

// ANCHOR: print_protocol
fn print_protocol(p: &Protocol) -> Result<(), Error> {
    // exercise: protocols/print
    outln!("proto name: {}", p.name)?;
    for alias in &p.aliases {
        outln!("alias name: {alias}")?;
    }
    outln!("proto number: {}", p.number)?;
    outln!()?;
    // end exercise
    Ok(())
}
// ANCHOR_END: print_protocol
