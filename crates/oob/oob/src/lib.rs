//! Section "Out-of-band data" (APUE 16.7, UNP chapter 24).
//!
//! TCP has no real out-of-band channel. `send(MSG_OOB)` sets the urgent
//! pointer to the last byte sent. The receiver's owner gets SIGURG as soon
//! as the pointer arrives; `select`'s exception and POLLPRI wait for the
//! byte itself. On Linux the urgent byte then stays in the receive queue:
//! `recv(MSG_OOB)` returns a copy kept in the socket, and, unless
//! SO_OOBINLINE is set, normal reads skip the byte. Its place in the stream
//! is the *mark*: normal reads stop there, and `sockatmark` tells when the
//! read pointer has reached it.
//!
//! This crate holds the section's code: the safe calls ([`urgent`]), the
//! SIGURG handler ([`sigurg`]), the sending scenarios ([`sender`]) and the
//! receiving strategies ([`receiver`]) of the chapter's programs, and the
//! self-demo that runs one against the other in one thread ([`pace`]).
//! The programs `oob-send` and `oob-recv` are thin command lines over it.
//!
//! The modules are layered, each using only those below it:
//!
//! 1. [`urgent`]: the socket calls, and how transcripts quote data;
//! 2. [`sigurg`] (the handler) and [`sender`] (the scenarios);
//! 3. [`pace`]: how a receiver waits, for a live peer or for the
//!    self-demo's sender;
//! 4. [`receiver`]: the strategies, which wait through a [`Pace`];
//! 5. this module and [`options`]: the self-demo, which pairs a scenario
//!    with a strategy ([`partner`]), and the command line.

pub mod options;
pub mod pace;
pub mod receiver;
pub mod sender;
pub mod sigurg;
pub mod urgent;

use sockref::outln;
use std::os::fd::AsFd;
use std::time::Duration;

use sockref::peer::{Family, connected_pair};
use sockref::{Error, Out};

pub use options::Options;
pub use pace::Pace;
pub use receiver::Strategy;
pub use sender::{Scenario, Sender};
pub use urgent::*;

// ANCHOR: self_demo
/// Runs `scenario` into `strategy` over a fresh connection in this process
/// and prints both sides, `[send]` and `[recv]`. With `paced`, the sender
/// sends one write at a time, each when the receiver would block.
pub fn self_demo(
    scenario: Scenario,
    strategy: Strategy,
    family: Family,
    timeout: Duration,
    paced: bool,
) -> Result<(), Error> {
    if family == Family::Unix && !unix_supports_oob() {
        return Err(Error::runtime(UNIX_OOB_MISSING));
    }
    let (client, server) = connected_pair(family, |listener| strategy.prepare_listener(listener))?;
    let over = match server.local_addr().ok().and_then(|a| a.as_socket()) {
        Some(addr) => format!("TCP on {addr}"),
        None => "an AF_UNIX socket pair".to_string(),
    };
    outln!(
        "self-demo: scenario {}, strategy {}, over {over}",
        scenario.name(),
        strategy.name()
    )?;
    scenario.prepare(&client)?;
    // The sender shares this thread: a send that would block must fail instead.
    client
        .set_nonblocking(true)
        .map_err(|e| Error::runtime(format!("fcntl(O_NONBLOCK): {e}")))?;
    let sender = Sender::new(client, scenario, paced, Out::tagged("[send] "));
    let mut pace = Pace::Lockstep {
        sender,
        receiver: server.as_fd(),
        timeout,
    };
    strategy.receive(&server, &mut pace, Out::tagged("[recv] "))
}
// ANCHOR_END: self_demo

/// The receiving strategy that shows `scenario` best: the default
/// receiver of its self-demo (`oob-send --scenario NAME`).
pub fn partner(scenario: Scenario) -> Strategy {
    match scenario {
        Scenario::Classic | Scenario::TwoUrgent => Strategy::Plain,
        Scenario::Paced => Strategy::Sigurg,
        Scenario::Mark => Strategy::Atmark,
        Scenario::FlowControl => Strategy::FlowControl,
    }
}

/// What a self-demo over AF_UNIX says on a kernel without urgent data there.
pub const UNIX_OOB_MISSING: &str = "this kernel does not carry urgent data on AF_UNIX sockets (MSG_OOB needs Linux 5.15 or later built with CONFIG_AF_UNIX_OOB)";

/// Whether this kernel carries urgent data on AF_UNIX stream sockets
/// (Linux 5.15 and later, with CONFIG_AF_UNIX_OOB).
pub fn unix_supports_oob() -> bool {
    let Ok((a, _b)) = socket2::Socket::pair(socket2::Domain::UNIX, socket2::Type::STREAM, None)
    else {
        return false;
    };
    send_urgent(&a, b"!").is_ok()
}
