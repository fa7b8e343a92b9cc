//! Section "Address lookup", the services database (APUE 16.3.3):
//! `getservent`, `getservbyname` and `getservbyport` over /etc/services.
//!
//! With no argument it lists every service; `--proto P` and `--port N`
//! filter the list. With NAME it calls `getservbyname`, with a number
//! `getservbyport`. Each entry shows the port twice: converted with
//! `ntohs`, and as `s_port` holds it, which is what the textbook printed.
#![forbid(unsafe_code)]

use sockref::outln;
use std::path::Path;
use std::process::ExitCode;

use netdb::Service;
use sockref::{Error, lexopt};

const USAGE: &str = "services [NAME|PORT] [--proto PROTO] [--port PORT]";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let Args { query, proto, port } = parse_args()?;
        if let Some(problem) = netdb::missing_database("services", Path::new("/")) {
            return Err(Error::runtime(problem));
        }
        let any = proto.as_deref().unwrap_or("any protocol");
        match query {
            None => {
                let mut found = 0;
                for s in netdb::services()
                    .filter(|s| proto.as_ref().is_none_or(|p| &s.proto == p))
                    .filter(|s| port.is_none_or(|p| s.port == p))
                {
                    print_service(&s)?;
                    found += 1;
                }
                // A filter that matches nothing says so, like a failed lookup.
                if found == 0 {
                    return Err(Error::runtime(format!(
                        "getservent: no entry {}",
                        filter_text(port, proto.as_deref())
                    )));
                }
            }
            Some(text) => match sockref::cli::whole_number(&text)
                .and_then(|n| u16::try_from(n).ok())
                .ok_or(())
            {
                Ok(number) => match netdb::service_by_port(number, proto.as_deref()) {
                    Some(s) => print_service(&s)?,
                    None => {
                        return Err(Error::runtime(format!(
                            "getservbyport({number}, {any}): no such service"
                        )));
                    }
                },
                Err(_) => match netdb::service_by_name(&text, proto.as_deref()) {
                    Some(s) => print_service(&s)?,
                    None => {
                        return Err(Error::runtime(format!(
                            "getservbyname(\"{text}\", {any}): no such service"
                        )));
                    }
                },
            },
        }
        Ok(())
    })
}

/// The filters of a listing, for its "no entry" error.
fn filter_text(port: Option<u16>, proto: Option<&str>) -> String {
    match (port, proto) {
        (Some(n), Some(p)) => format!("with port {n} and protocol '{p}'"),
        (Some(n), None) => format!("with port {n}"),
        (None, Some(p)) => format!("with protocol '{p}'"),
        (None, None) => "at all".to_string(),
    }
}

// ANCHOR: print_service
fn print_service(s: &Service) -> Result<(), Error> {
    // exercise: services/ntohs
    outln!("servent name: {}", s.name)?;
    for alias in &s.aliases {
        outln!("alias name: {alias}")?;
    }
    // s_port is in network byte order: ntohs gives the port.
    outln!("port number: {} (s_port as stored: {})", s.port, s.raw_port)?;
    outln!("proto to use: {}", s.proto)?;
    outln!()?;
    // end exercise
    Ok(())
}
// ANCHOR_END: print_service

/// NAME or PORT to look up, and the filters of the listing.
struct Args {
    query: Option<String>,
    proto: Option<String>,
    port: Option<u16>,
}

fn parse_args() -> Result<Args, Error> {
    let mut parser = lexopt::Parser::from_env();
    let (mut query, mut proto, mut port) = (None, None, None);
    while let Some(arg) = parser.next()? {
        match arg {
            lexopt::Arg::Long("proto") => proto = Some(sockref::cli::utf8(parser.value()?)?),
            lexopt::Arg::Long("port") => {
                port = Some(sockref::cli::parse_port(
                    &sockref::cli::utf8(parser.value()?)?,
                    true,
                )?)
            }
            lexopt::Arg::Value(v) if query.is_none() => query = Some(sockref::cli::utf8(v)?),
            lexopt::Arg::Value(_) => return Err(Error::usage("at most one NAME or PORT")),
            other => return Err(sockref::cli::unexpected(other.into(), &mut parser)),
        }
    }
    if query.is_some() && port.is_some() {
        return Err(Error::usage(
            "--port filters the list; give it without NAME or PORT",
        ));
    }
    Ok(Args { query, proto, port })
}
