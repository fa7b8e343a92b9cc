//! `cargo xtask lab` and check-all's `lab` stage: the network-lab
//! measurements of issue 15, run as programs (`netlab-notice`, the
//! heartbeat's lab tests) so that this file needs nothing else of the xtask.

use std::process::Command;

use sockref::Error;
use sockref::testing::run_bounded;

/// The check-all subset builds netlab on a cold run, then runs seconds.
const LIMIT: std::time::Duration = std::time::Duration::from_secs(10 * 60);

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
/// notice-ahead case, 10 Mbit/s behind 64 KiB. (The heartbeat's lab tests
/// run in the `test` stage with the rest of its tests.) Where network
/// namespaces are not permitted, the entry's error starts "skip: ".
pub fn checks(ws: &Workspace) -> Vec<(String, Result<(), String>)> {
    let mut cmd = cargo(ws);
    cmd.args([
        "run",
        "-q",
        "-p",
        "netlab",
        "--bin",
        "netlab-notice",
        "--",
        "--check",
    ]);
    let result = match run_bounded(cmd, LIMIT) {
        Err(e) => Err(format!("cargo run -p netlab: {e}")),
        Ok(run) if run.timed_out => Err(format!("netlab-notice --check ran past {LIMIT:?}")),
        Ok(run) => {
            let out = String::from_utf8_lossy(&run.output.stdout).into_owned();
            if let Some(skip) = out.lines().find(|l| l.starts_with("skip: ")) {
                Err(skip.to_string())
            } else if run.output.status.success() {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&run.output.stderr)
                    .trim()
                    .to_string())
            }
        }
    };
    vec![(
        "SIGURG ahead of the urgent byte, 10 Mbit/s, 64 KiB".into(),
        result,
    )]
}
