//! Section "The network lab" (UNP 24.2, urgent notice ahead of the data):
//! the table of `cargo xtask lab`, measured on a shaped veth link.
//!
//! ```text
//! netlab-notice            every case: 1 and 10 Mbit/s, 64 KiB and 1 MiB, and an idle receiver
//! netlab-notice --check    one short case (10 Mbit/s, 64 KiB) that must show the notice ahead
//! netlab-notice --bench    10 Mbit/s at 0, 64 KiB and 1 MiB, as a Markdown table
//! ```
//!
//! Where network namespaces are not permitted, prints one `skip: ...` line.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Duration;

use netlab::notice::{self, Case, at, bytes_label};
use sockref::Error;

const USAGE: &str = "netlab-notice [--check | --bench]";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let mut parser = sockref::lexopt::Parser::from_env();
        let mut mode = "table";
        while let Some(arg) = parser.next()? {
            match arg {
                sockref::lexopt::Arg::Long("check") if mode == "table" => mode = "check",
                sockref::lexopt::Arg::Long("bench") if mode == "table" => mode = "bench",
                other => return Err(sockref::cli::unexpected(other.into(), &mut parser)),
            }
        }
        if let Err(why) = netlab::Lab::permitted() {
            sockref::outln!("skip: {why}")?;
            return Ok(());
        }
        netlab::cleanup_on_signals()?;
        match mode {
            "check" => check(),
            "bench" => bench(),
            _ => table(),
        }
    })
}

fn header() -> Result<(), Error> {
    sockref::outln!(
        "| case | SIGURG | read by then | EAGAIN | POLLPRI | urgent byte | last normal byte | SIGURGs |"
    )?;
    sockref::outln!("|---|---|---|---|---|---|---|---|")
}

fn row(case: &Case, r: &notice::Report) -> Result<(), Error> {
    sockref::outln!(
        "| {} | {} | {} | {} | {} | {} | {} | {} |",
        case.label(),
        at(r.sigurg),
        bytes_label(r.read_by_sigurg),
        r.eagain,
        at(r.pollpri),
        at(r.urgent),
        if case.reads {
            at(r.marker)
        } else {
            format!(
                "not read ({} queued{})",
                bytes_label(r.queued),
                if r.urgent_refused {
                    "; send(MSG_OOB) itself got EAGAIN"
                } else {
                    ""
                }
            )
        },
        r.sigurg_count
    )
}

fn table() -> Result<(), Error> {
    header()?;
    for case in notice::table_cases() {
        let r = notice::run(case)?;
        row(&case, &r)?;
    }
    Ok(())
}

fn check() -> Result<(), Error> {
    let case = Case {
        rate_bits: 10_000_000,
        backlog: 64 * 1024,
        reads: true,
        limit: Duration::from_secs(10),
        sndbuf: None,
    };
    let r = notice::run(case)?;
    header()?;
    row(&case, &r)?;
    match (r.sigurg, r.urgent) {
        (Some(s), Some(u)) if s < u && r.eagain > 0 => Ok(()),
        _ => Err(Error::runtime(format!(
            "{}: SIGURG {} was not ahead of the urgent byte {} (EAGAIN {})",
            case.label(),
            at(r.sigurg),
            at(r.urgent),
            r.eagain
        ))),
    }
}

fn bench() -> Result<(), Error> {
    sockref::outln!(
        "| backlog at 10 Mbit/s | send buffer | unsent at send(MSG_OOB) | SIGURG | urgent byte left | urgent byte | last normal byte | urgent byte / SIGURG |"
    )?;
    sockref::outln!("|---|---|---|---|---|---|---|---|")?;
    for (sndbuf, buffer) in [(None, "autotuned"), (Some(4 << 20), "4 MiB, forced")] {
        for (backlog, _, _) in netlab::notice::BACKLOGS {
            let case = Case {
                rate_bits: 10_000_000,
                backlog,
                reads: true,
                limit: Duration::from_secs(10),
                sndbuf,
            };
            let r = notice::run(case)?;
            let ratio = match (r.sigurg, r.urgent) {
                (Some(s), Some(u)) if !s.is_zero() => {
                    format!("{:.1}×", u.as_secs_f64() / s.as_secs_f64())
                }
                _ => "–".into(),
            };
            sockref::outln!(
                "| {} | {buffer} | {} | {} | {} | {} | {} | {ratio} |",
                bytes_label(backlog),
                r.notsent_at_send.map_or("?".into(), bytes_label),
                at(r.sigurg),
                at(r.left),
                at(r.urgent),
                at(r.marker)
            )?;
        }
    }
    Ok(())
}
