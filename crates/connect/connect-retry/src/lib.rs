//! Section "Connection establishment" (APUE 16.4), the client side:
//! `connect_retry`.
//!
//! A server may not be up yet when its client starts. The textbook's
//! `connect_retry` tries to connect, and on failure sleeps and tries again,
//! doubling the pause each time (1, 2, 4, ... seconds) and giving up after
//! the 128-second step. The doubling keeps a crowd of clients from
//! hammering a server that is restarting; the cap keeps a client from
//! waiting for ever.
//!
//! Like the textbook's portable version (APUE figure 16.11) it makes a
//! **new socket for every attempt**: after a failed `connect`, the state
//! of a socket is unspecified by POSIX, and reusing it is not portable.
//! The first version (APUE figure 16.10), which retries on the caller's one
//! socket, is here too as [`connect_retry_v1`]: Linux lets it work.
//!
//! Here the schedule is a [`Policy`] (initial delay, factor, largest delay,
//! limits on attempts or total time, optional jitter; the default is the
//! textbook's), and the sleeping is a [`Sleeper`] so that tests run in
//! milliseconds.
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use socket2::{Domain, SockAddr, Socket, Type};

/// The longest schedule [`Policy::delays`] makes.
pub const MAX_PAUSES: usize = 10_000;

/// When to try again.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The pause after the first failure.
    pub initial: Duration,
    /// Each pause is the previous one times this.
    pub factor: u32,
    /// The last step: after a pause this long, one more try, then give up.
    pub max_delay: Duration,
    /// Give up after this many attempts, if set.
    pub max_attempts: Option<u32>,
    /// Give up rather than sleep past this much time in all, if set.
    pub max_total: Option<Duration>,
    /// Spread each pause randomly over its upper half (0.5 to 1 times), so
    /// that many clients do not retry in step. The seed makes it repeatable.
    pub jitter: Option<u64>,
}

impl Default for Policy {
    /// The textbook's: 1, 2, 4, ..., 64 seconds between attempts, a last
    /// attempt at the 128-second step, 8 attempts and 127 seconds of sleep.
    fn default() -> Self {
        Policy {
            initial: Duration::from_secs(1),
            factor: 2,
            max_delay: Duration::from_secs(128),
            max_attempts: None,
            max_total: None,
            jitter: None,
        }
    }
}

impl Policy {
    /// The pauses between attempts, in order; one attempt more than pauses.
    pub fn delays(&self) -> Vec<Duration> {
        let mut out = Vec::new();
        let mut rng = self.jitter.map(|seed| seed | 1);
        let mut step = self.initial;
        let mut total = Duration::ZERO;
        // The textbook sleeps after a failure only while the step is at
        // most half the maximum: the step that reaches the maximum is the
        // last attempt.
        // A factor of 1 never reaches the maximum: at most MAX_PAUSES pauses.
        while step <= self.max_delay / 2 && !step.is_zero() && out.len() < MAX_PAUSES {
            if self.max_attempts.is_some_and(|n| out.len() as u32 + 1 >= n) {
                break;
            }
            let pause = match rng.as_mut() {
                None => step,
                Some(state) => {
                    // xorshift64: small, repeatable, good enough for jitter.
                    *state ^= *state << 13;
                    *state ^= *state >> 7;
                    *state ^= *state << 17;
                    let fraction = 0.5 + (*state % 1000) as f64 / 2000.0;
                    step.mul_f64(fraction)
                }
            };
            if self.max_total.is_some_and(|t| total + pause > t) {
                break;
            }
            total += pause;
            out.push(pause);
            step = step.saturating_mul(self.factor.max(1));
        }
        out
    }
}

/// How to wait between attempts.
pub trait Sleeper {
    fn sleep(&mut self, pause: Duration);
}

/// Sleeps for real.
#[derive(Debug, Default)]
pub struct RealSleeper;

impl Sleeper for RealSleeper {
    fn sleep(&mut self, pause: Duration) {
        std::thread::sleep(pause);
    }
}

/// One failed attempt, as reported while retrying.
#[derive(Debug)]
pub struct Attempt<'a> {
    /// 1 for the first attempt.
    pub number: u32,
    pub error: &'a io::Error,
    /// The pause before the next attempt; `None` when this was the last.
    pub next_delay: Option<Duration>,
}

/// `connect_retry` gave up.
#[derive(Debug)]
pub struct RetryError {
    pub addr: SocketAddr,
    /// The error of the last attempt.
    pub last: io::Error,
    pub attempts: u32,
    /// Time spent, sleeping included.
    pub elapsed: Duration,
}

impl fmt::Display for RetryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "connect to {}: {} (gave up after {} attempts)",
            self.addr, self.last, self.attempts
        )
    }
}

impl std::error::Error for RetryError {}

// ANCHOR: connect_retry
/// Connects to `addr` with a new socket of type `ty` for each attempt,
/// pausing between attempts as `policy` says. `on_failure` hears of every
/// failed attempt before the pause.
pub fn connect_retry(
    ty: Type,
    addr: SocketAddr,
    policy: &Policy,
    sleeper: &mut impl Sleeper,
    mut on_failure: impl FnMut(&Attempt<'_>),
) -> Result<Socket, RetryError> {
    // exercise: connect-retry/backoff
    let start = Instant::now();
    let delays = policy.delays();
    let mut number = 0;
    loop {
        number += 1;
        let error = match try_connect(ty, addr) {
            Ok(sock) => return Ok(sock),
            Err(e) => e,
        };
        let next_delay = delays.get(number as usize - 1).copied();
        on_failure(&Attempt {
            number,
            error: &error,
            next_delay,
        });
        match next_delay {
            Some(pause) => sleeper.sleep(pause),
            None => {
                return Err(RetryError {
                    addr,
                    last: error,
                    attempts: number,
                    elapsed: start.elapsed(),
                });
            }
        }
    }
    // end exercise
}

/// One attempt: a fresh socket, and `connect`. A failed socket is closed
/// when it goes out of scope.
fn try_connect(ty: Type, addr: SocketAddr) -> io::Result<Socket> {
    let sock = Socket::new(Domain::for_address(addr), ty, None)?;
    sock.connect(&SockAddr::from(addr))?;
    Ok(sock)
}
// ANCHOR_END: connect_retry

// ANCHOR: connect_retry_v1
/// The textbook's first version: the caller's one socket `sock` for every
/// attempt. POSIX leaves the state of a socket unspecified after a failed
/// `connect`; Linux lets the same socket try again (the chapter says where
/// that is not so).
pub fn connect_retry_v1(
    sock: &Socket,
    addr: SocketAddr,
    policy: &Policy,
    sleeper: &mut impl Sleeper,
    mut on_failure: impl FnMut(&Attempt<'_>),
) -> Result<(), RetryError> {
    let start = Instant::now();
    let delays = policy.delays();
    let mut number = 0;
    loop {
        number += 1;
        let error = match sock.connect(&SockAddr::from(addr)) {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let next_delay = delays.get(number as usize - 1).copied();
        on_failure(&Attempt {
            number,
            error: &error,
            next_delay,
        });
        match next_delay {
            Some(pause) => sleeper.sleep(pause),
            None => {
                return Err(RetryError {
                    addr,
                    last: error,
                    attempts: number,
                    elapsed: start.elapsed(),
                });
            }
        }
    }
}
// ANCHOR_END: connect_retry_v1

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(list: &[Duration]) -> Vec<f64> {
        list.iter().map(Duration::as_secs_f64).collect()
    }

    #[test]
    fn the_default_schedule_is_the_textbooks() {
        let d = Policy::default().delays();
        assert_eq!(secs(&d), [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]);
        assert_eq!(d.iter().sum::<Duration>(), Duration::from_secs(127));
    }

    #[test]
    fn limits_cut_the_schedule() {
        let p = Policy {
            max_attempts: Some(3),
            ..Policy::default()
        };
        assert_eq!(secs(&p.delays()), [1.0, 2.0], "3 attempts, 2 pauses");
        let p = Policy {
            max_total: Some(Duration::from_secs(10)),
            ..Policy::default()
        };
        assert_eq!(secs(&p.delays()), [1.0, 2.0, 4.0]);
        let p = Policy {
            initial: Duration::from_millis(100),
            factor: 3,
            max_delay: Duration::from_secs(2),
            ..Policy::default()
        };
        let ms: Vec<u128> = p.delays().iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [100, 300, 900]);
    }

    #[test]
    fn jitter_stays_within_the_upper_half_and_repeats_with_its_seed() {
        let p = Policy {
            jitter: Some(42),
            ..Policy::default()
        };
        let plain = Policy::default().delays();
        let jittered = p.delays();
        assert_eq!(jittered, p.delays(), "same seed, same schedule");
        for (j, d) in jittered.iter().zip(&plain) {
            assert!(
                *j >= *d / 2 && *j <= *d,
                "{j:?} outside [{:?}, {d:?}]",
                *d / 2
            );
        }
    }
}
