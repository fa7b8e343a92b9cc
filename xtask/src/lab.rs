//! `cargo xtask lab` and check-all's `lab` stage: the network-lab
//! measurements of issue 15, run as programs (`netlab-notice`, the
//! heartbeat's lab tests) so that this file needs nothing else of the xtask.

use std::process::Command;

use sockref::Error;

use crate::Workspace;

fn cargo(ws: &Workspace) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(&ws.root);
    cmd
}

/// Prints the notice-ahead table (about 25 s): SIGURG, POLLPRI and the
/// urgent byte at 1 and 10 Mbit/s behind 64 KiB and 1 MiB, and a receiver
/// that stops reading. Ctrl-C removes the lab (netlab::cleanup_on_signals).
pub fn lab(ws: &Workspace) -> Result<(), Error> {
    let status = cargo(ws)
        .args(["run", "-q", "-p", "netlab", "--bin", "netlab-notice"])
        .status()
        .map_err(|e| Error::runtime(format!("cargo run -p netlab: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::runtime("netlab-notice failed"))
    }
}

/// A short subset for check-all (a few seconds once built): one
/// notice-ahead case and the heartbeat's downed-link bound. Where network
/// namespaces are not permitted, one entry whose error starts "skip: ".
pub fn checks(ws: &Workspace) -> Vec<(String, Result<(), String>)> {
    let notice = cargo(ws)
        .args([
            "run",
            "-q",
            "-p",
            "netlab",
            "--bin",
            "netlab-notice",
            "--",
            "--check",
        ])
        .output();
    let notice = match notice {
        Err(e) => Err(format!("cargo run -p netlab: {e}")),
        Ok(o) => {
            let out = String::from_utf8_lossy(&o.stdout).into_owned();
            if let Some(skip) = out.lines().find(|l| l.starts_with("skip: ")) {
                return vec![("lab".into(), Err(skip.to_string()))];
            }
            if o.status.success() {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&o.stderr).trim().to_string())
            }
        }
    };
    let bound = cargo(ws)
        .args([
            "test",
            "-q",
            "-p",
            "heartbeat",
            "--test",
            "bound",
            "both_sides_detect_a_downed_link_within_the_bound",
        ])
        .output()
        .map_err(|e| format!("cargo test -p heartbeat: {e}"))
        .and_then(|o| {
            if o.status.success() {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&o.stdout).trim().to_string())
            }
        });
    vec![
        (
            "lab: SIGURG ahead of the urgent byte, 10 Mbit/s, 64 KiB".into(),
            notice,
        ),
        (
            "lab: heartbeat detects a downed link within its bound".into(),
            bound,
        ),
    ]
}
