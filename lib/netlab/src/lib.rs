//! The network lab of sockref (issue 15), used by the heartbeat section
//! (UNP 24.5) and by the urgent-data measurements of UNP 24.2 over a real,
//! slow link.
//!
//! A [`Lab`] is two network namespaces joined by one veth pair:
//!
//! ```text
//!   netns <run>-a                          netns <run>-b
//!   veth0 198.18.X.Y+1/30  <------------>  veth0 198.18.X.Y+2/30
//!   (tbf on egress when shaped)
//! ```
//!
//! Every name carries this process's id and a counter, so two runs (or two
//! labs of one run) never collide; the addresses come from 198.18.0.0/15,
//! the block reserved for benchmarking, a different /30 for each lab. The
//! veth ends are created inside the namespaces and never appear in the
//! host's namespace. Dropping the `Lab` deletes both namespaces (which
//! deletes the veth pair and its qdiscs with them); [`cleanup_on_signals`]
//! does the same on Ctrl-C, and [`Lab::new`] first removes labs left by
//! processes that no longer exist (a `kill -9`).
//!
//! The lab drives iproute2 (`ip`, `tc`); book/src/lab.md lists the
//! commands. Code runs on a side either in a thread that has called
//! [`Lab::enter`] (setns), or as a program started with [`Lab::command`]
//! (`ip netns exec`).
#![forbid(unsafe_code)]

pub mod counters;
pub mod notice;

use std::fs::File;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use nix::sched::CloneFlags;
use nix::sys::signal::{SigSet, Signal};
use sockref::Error;

/// Every namespace this library creates starts with this.
pub const PREFIX: &str = "sockref-lab-";

/// One end of the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The first namespace (the sender or client, by convention).
    A,
    /// The second namespace.
    B,
}

impl Side {
    fn suffix(self) -> &'static str {
        match self {
            Side::A => "a",
            Side::B => "b",
        }
    }
}

/// The interface name inside each namespace (the same name on both sides:
/// each lives in its own namespace).
pub const VETH: &str = "veth0";

static COUNTER: AtomicU32 = AtomicU32::new(0);
/// Namespaces that exist now, for the signal handler to delete.
static LIVE: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Two namespaces joined by a veth pair. Dropping it removes everything.
#[derive(Debug)]
pub struct Lab {
    run: String,
    base: u32,
}

impl Lab {
    /// Why the lab cannot run here, if it cannot: `ip` is missing, or
    /// creating a network namespace is not permitted (not root, no user
    /// namespaces). Tries for real, with a namespace it removes at once.
    pub fn permitted() -> Result<(), String> {
        let probe = format!("{PREFIX}probe-{}", std::process::id());
        match ip(&["netns", "add", &probe]) {
            Ok(()) => {
                let _ = ip(&["netns", "del", &probe]);
                Ok(())
            }
            Err(e) => Err(format!("network namespaces not permitted here ({e})")),
        }
    }

    /// Creates the two namespaces, the veth pair, the addresses, and brings
    /// every interface (loopback too) up.
    pub fn new() -> Result<Lab, Error> {
        remove_stale();
        let pid = std::process::id();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let run = format!("{PREFIX}{pid}-{n}");
        // 198.18.0.0/15 holds 32768 blocks of four addresses.
        let block = (pid.wrapping_mul(64).wrapping_add(n)) % 32768;
        let base = u32::from(Ipv4Addr::new(198, 18, 0, 0)) + block * 4;
        let lab = Lab { run, base };
        // The guard exists before the first command: a failure half-way
        // still removes whatever was made.
        for side in [Side::A, Side::B] {
            let name = lab.netns(side);
            ip(&["netns", "add", &name]).map_err(Error::runtime)?;
            LIVE.lock().unwrap_or_else(|p| p.into_inner()).push(name);
        }
        let (a, b) = (lab.netns(Side::A), lab.netns(Side::B));
        ip(&[
            "-n", &a, "link", "add", VETH, "type", "veth", "peer", "name", VETH, "netns", &b,
        ])
        .map_err(Error::runtime)?;
        for side in [Side::A, Side::B] {
            let ns = lab.netns(side);
            let cidr = format!("{}/30", lab.addr(side));
            ip(&["-n", &ns, "addr", "add", &cidr, "dev", VETH]).map_err(Error::runtime)?;
            ip(&["-n", &ns, "link", "set", "lo", "up"]).map_err(Error::runtime)?;
            ip(&["-n", &ns, "link", "set", VETH, "up"]).map_err(Error::runtime)?;
        }
        Ok(lab)
    }

    /// The namespace's name (as `ip netns` lists it).
    pub fn netns(&self, side: Side) -> String {
        format!("{}-{}", self.run, side.suffix())
    }

    /// The side's address on the veth link.
    pub fn addr(&self, side: Side) -> Ipv4Addr {
        Ipv4Addr::from(
            self.base
                + match side {
                    Side::A => 1,
                    Side::B => 2,
                },
        )
    }

    /// Limits what `side` sends to `bits_per_second` with a token bucket
    /// (tbf) on its veth end; the other direction stays unshaped.
    pub fn shape(&self, side: Side, bits_per_second: u64) -> Result<(), Error> {
        let rate = format!("{bits_per_second}bit");
        // A bucket of about 10 ms at the rate, never below three frames.
        let burst = (bits_per_second / 8 / 100).max(4542).to_string();
        ip_tool(
            "tc",
            &[
                "-n",
                &self.netns(side),
                "qdisc",
                "replace",
                "dev",
                VETH,
                "root",
                "tbf",
                "rate",
                &rate,
                "burst",
                &burst,
                "latency",
                "400ms",
            ],
        )
        .map_err(Error::runtime)
    }

    /// Takes the link down (`ip link set veth0 down` on side A; side B
    /// loses its carrier). Nothing crosses until [`Lab::link_up`].
    pub fn link_down(&self) -> Result<(), Error> {
        ip(&["-n", &self.netns(Side::A), "link", "set", VETH, "down"]).map_err(Error::runtime)
    }

    /// Brings the link back.
    pub fn link_up(&self) -> Result<(), Error> {
        ip(&["-n", &self.netns(Side::A), "link", "set", VETH, "up"]).map_err(Error::runtime)
    }

    /// Moves the calling thread into `side`'s namespace (setns). Call it
    /// first thing in a thread made for that side, never on a thread that
    /// must stay where it is: a thread cannot come back.
    pub fn enter(&self, side: Side) -> Result<(), Error> {
        let path = format!("/run/netns/{}", self.netns(side));
        let file = File::open(&path).map_err(|e| Error::runtime(format!("open {path}: {e}")))?;
        nix::sched::setns(file, CloneFlags::CLONE_NEWNET)
            .map_err(|e| Error::runtime(format!("setns({path}): {e}")))
    }

    /// Runs `f` in `side`'s namespace on a fresh thread and waits for it.
    pub fn run_in<T: Send>(&self, side: Side, f: impl FnOnce() -> T + Send) -> Result<T, Error> {
        std::thread::scope(|s| {
            s.spawn(|| {
                self.enter(side)?;
                Ok(f())
            })
            .join()
            .unwrap_or_else(|_| Err(Error::runtime("the lab thread panicked")))
        })
    }

    /// `ip netns exec <side> <program>`: a program run in `side`'s namespace.
    pub fn command(&self, side: Side, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.netns(side)]).arg(program);
        cmd
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for side in [Side::A, Side::B] {
            let name = self.netns(side);
            let _ = delete_netns(&name);
        }
    }
}

/// Moves the calling thread into a new, unnamed network namespace with
/// only loopback, brought up (`unshare(CLONE_NEWNET)`, then `ip link set lo
/// up`). Threads it starts afterwards live there too, so the namespace's
/// TCP counters ([`counters::tcp_ext`]) count only what they do. Nothing
/// has a name: the namespace goes when its last thread does, even after a
/// `kill -9`. Call it on a thread made for the purpose, or on the main
/// thread before it starts any other: a thread cannot come back.
pub fn private_loopback() -> Result<(), String> {
    nix::sched::unshare(CloneFlags::CLONE_NEWNET)
        .map_err(|e| format!("unshare(CLONE_NEWNET): {e}"))?;
    // `ip` forks from this thread and so runs in the new namespace.
    ip(&["link", "set", "lo", "up"])
}

/// Deletes one namespace (if it exists) and forgets it.
fn delete_netns(name: &str) -> Result<(), String> {
    let listed = list_netns().iter().any(|n| n == name);
    let result = if listed {
        ip(&["netns", "del", name])
    } else {
        Ok(())
    };
    LIVE.lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|n| n != name);
    result
}

/// The namespaces `ip netns list` shows, names only.
pub fn list_netns() -> Vec<String> {
    let out = Command::new("ip")
        .args(["netns", "list"])
        .stdin(Stdio::null())
        .output();
    out.map(|o| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect()
    })
    .unwrap_or_default()
}

/// Removes labs whose creating process is gone (killed with SIGKILL,
/// where no Drop or handler could run).
fn remove_stale() {
    for name in list_netns() {
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid
            && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = ip(&["netns", "del", &name]);
        }
    }
}

/// Makes Ctrl-C (SIGINT), SIGTERM and SIGHUP remove every live lab before
/// the process ends (status 130). Call it on the main thread before any
/// other thread starts: the signals are blocked there (and so in every
/// thread created afterwards) and one thread waits for them with
/// `sigwait`, so no code runs in a signal handler.
pub fn cleanup_on_signals() -> Result<(), Error> {
    let mut set = SigSet::empty();
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        set.add(sig);
    }
    set.thread_block()
        .map_err(|e| Error::runtime(format!("pthread_sigmask: {e}")))?;
    std::thread::spawn(move || {
        if let Ok(sig) = set.wait() {
            let names = LIVE.lock().unwrap_or_else(|p| p.into_inner()).clone();
            for name in &names {
                let _ = delete_netns(name);
            }
            eprintln!("{sig}: removed {} lab namespace(s)", names.len());
            std::process::exit(130);
        }
    });
    Ok(())
}

/// What the host shows of the lab: namespaces with the lab's prefix, the
/// host's interfaces and the host's qdiscs. Equal before and after a run
/// when nothing was left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub netns: Vec<String>,
    pub links: Vec<String>,
    pub qdiscs: Vec<String>,
}

/// Takes a [`Snapshot`] now.
pub fn snapshot() -> Snapshot {
    let lines = |tool: &str, args: &[&str]| -> Vec<String> {
        let out = Command::new(tool).args(args).stdin(Stdio::null()).output();
        let mut v: Vec<String> = out
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let names = |v: Vec<String>| -> Vec<String> {
        // `3: eth0@if4: <...> mtu ...`: keep the name, not the counters.
        v.iter()
            .filter_map(|l| l.split(':').nth(1).map(|n| n.trim().to_string()))
            .collect()
    };
    Snapshot {
        netns: list_netns()
            .into_iter()
            .filter(|n| n.starts_with(PREFIX))
            .collect(),
        links: names(lines("ip", &["-o", "link", "show"])),
        qdiscs: lines("tc", &["qdisc", "show"])
            .into_iter()
            .map(|l| l.split(" refcnt").next().unwrap_or_default().to_string())
            .collect(),
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    ip_tool("ip", args)
}

/// Runs one iproute2 command; its stderr names the failure.
fn ip_tool(tool: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{tool}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{tool} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
