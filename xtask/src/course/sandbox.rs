//! Where student code runs: every build step and every program.
//!
//! As root, each command runs
//!
//! - in the kit's own network namespace (`ip netns add`, only `lo` up,
//!   removed when the [`Sandbox`] is dropped), which the reference peers
//!   of interop runs join, so nothing leaves the machine and no student
//!   reaches another's server;
//! - in new mount and pid namespaces (`unshare`), under a root of its own:
//!   read-only `/usr`, `/etc` and the libraries, a few devices, a private
//!   `/tmp`, the scratch copy of the kit at `/kit`, and for builds the
//!   toolchain and the crate registry read-only. The repository (the
//!   answer key, the hidden checks, other students' kits) is not in it.
//!   A trusted `sh` is the namespace's pid 1, so when it ends, or its
//!   process group is killed, every process the student started ends too;
//! - as an unprivileged uid with no capabilities (`setpriv`), under
//!   rlimits (`prlimit`: CPU seconds, address space, processes, file size,
//!   open files, no core files), with a clean environment;
//! - with a wall-clock limit after which its whole process group is
//!   killed, stdin closed and each output capped at 64 KiB.
//!
//! Where namespaces cannot be made (not root, or the kernel refuses), the
//! command runs with the rlimits, the time limit and the output cap only,
//! and [`Sandbox::missing`] names what is missing for the report's first
//! line.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use sockref::testing::GroupChild;

/// How much of each output stream is kept.
pub const OUTPUT_CAP: usize = 64 * 1024;

/// The limits of one command.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub wall: Duration,
    pub cpu_seconds: u64,
    pub address_space: u64,
    pub processes: u64,
    pub file_size: u64,
    pub open_files: u64,
    /// Bytes kept of stdout and of stderr each.
    pub output: usize,
}

/// A student program: one demo takes well under a second.
pub const PROGRAM: Limits = Limits {
    wall: Duration::from_secs(10),
    cpu_seconds: 10,
    address_space: 1 << 30,
    processes: 64,
    file_size: 1 << 20,
    open_files: 256,
    output: OUTPUT_CAP,
};

/// The grader's own build of the solved kit (the shared cache): trusted
/// code, every dependency compiled from scratch the first time.
pub const CACHE_BUILD: Limits = Limits {
    wall: Duration::from_secs(1200),
    cpu_seconds: 1200,
    address_space: 8 << 30,
    processes: 512,
    file_size: 1 << 30,
    open_files: 1024,
    output: 16 << 20,
};

/// A student's Rust build without build scripts of the student's: cargo
/// and rustc over the cache, recompiling only what the student changed.
/// Limits are per process, so one rustc stuck on a student's source is
/// stopped by its CPU limit, and the whole build by the wall clock.
pub const BUILD: Limits = Limits {
    wall: Duration::from_secs(180),
    cpu_seconds: 120,
    address_space: 8 << 30,
    processes: 512,
    file_size: 256 << 20,
    open_files: 1024,
    output: 16 << 20,
};

/// The packages of a section whose folder holds a student's `build.rs`,
/// built apart: the script is student code that runs at build time (a
/// loop, a fork bomb, a flood, a sleep), so its build gets a short wall
/// clock, and only that section's exercises depend on it.
pub const SCRIPT_BUILD: Limits = Limits {
    wall: Duration::from_secs(30),
    cpu_seconds: 20,
    processes: 128,
    ..BUILD
};

/// One C program of the student's, compiled with `cc`.
pub const C_BUILD: Limits = Limits {
    wall: Duration::from_secs(30),
    cpu_seconds: 20,
    address_space: 2 << 30,
    processes: 64,
    file_size: 64 << 20,
    open_files: 256,
    output: OUTPUT_CAP,
};

/// One binary of this repository's tests, run against the student's code
/// (threads reserve address space: more than a program's).
pub const TESTS: Limits = Limits {
    wall: Duration::from_secs(60),
    cpu_seconds: 60,
    address_space: 4 << 30,
    processes: 128,
    file_size: 64 << 20,
    open_files: 1024,
    output: OUTPUT_CAP,
};

/// What one bounded command did.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    /// The exit code, None if killed by a signal.
    pub code: Option<i32>,
    pub timed_out: bool,
    /// An output stream reached its cap and was cut there.
    pub truncated: bool,
    /// The cap, in bytes.
    pub cap: usize,
}

impl Run {
    /// Stdout, stderr and a failing status, as the book records a run.
    pub fn text(&self) -> String {
        let mut text = self.stdout.clone();
        text.push_str(&self.stderr);
        match self.code {
            Some(0) => {}
            Some(c) => text.push_str(&format!("[exit status {c}]\n")),
            None => text.push_str("[killed by a signal]\n"),
        }
        text
    }

    /// Why a run did not end normally, if it did not.
    pub fn abnormal(&self, limit: Duration) -> Option<String> {
        if self.timed_out {
            Some(format!(
                "did not finish within {} s (killed with its process group)",
                limit.as_secs()
            ))
        } else if self.truncated {
            Some(format!(
                "printed more than {} KiB (cut there, and stopped)",
                self.cap / 1024
            ))
        } else {
            None
        }
    }
}

fn status_code(status: std::io::Result<ExitStatus>) -> Option<i32> {
    status.ok().and_then(|s| s.code())
}

/// Runs `command` with stdin closed, in a process group of its own that
/// is killed whole after `limits.wall` (and when the command ends, for
/// whatever it left behind), keeping the first `limits.output` bytes of
/// each output. A stream past its cap is closed, which ends a writer that
/// goes on (SIGPIPE).
pub fn run_capped(mut command: Command, limits: &Limits) -> std::io::Result<Run> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut group = GroupChild::spawn(command)?;
    let cap = limits.output;
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let Some(pipe) = pipe else {
                return (kept, false);
            };
            let mut limited = pipe.take(cap as u64 + 1);
            let _ = limited.read_to_end(&mut kept);
            let cut = kept.len() > cap;
            kept.truncate(cap);
            (kept, cut) // dropping the pipe closes it
        })
    };
    let out = reader(
        group
            .child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        group
            .child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    // The waiter owns the group; on time-out the group is killed by its
    // id, which ends the wait; dropping the guard kills what is left.
    let leader = group.child.id();
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let status = group.child.wait();
        let _ = tx.send(());
        drop(group);
        status
    });
    let timed_out = rx.recv_timeout(limits.wall).is_err();
    if timed_out {
        kill_group(leader);
    }
    let code = status_code(
        waiter
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("waiter"))),
    );
    let (stdout, cut_out) = out.join().unwrap_or_default();
    let (stderr, cut_err) = err.join().unwrap_or_default();
    Ok(Run {
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        code,
        timed_out,
        truncated: cut_out || cut_err,
        cap,
    })
}

/// SIGKILL to a process group this module started.
fn kill_group(leader: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{leader}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// One kit's sandbox: its network namespace and what it can protect.
#[derive(Debug)]
pub struct Sandbox {
    /// The scratch copy of the kit on the host.
    pub scratch: PathBuf,
    netns: Option<String>,
    /// Namespaces, private root and uid change are available.
    isolated: bool,
    uid: u32,
    toolchain: Option<PathBuf>,
    registry: Option<PathBuf>,
    missing: Vec<String>,
}

static NETNS_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The script that builds the private root, as pid 1 of a new pid
/// namespace, and runs the command below it, never by exec, so that it
/// stays pid 1 and its end is everyone's end.
const ROOT_SCRIPT: &str = r#"
set -e
scratch=$1 toolchain=$2 registry=$3 uid=$4
shift 4
new=/mnt
mount --make-rprivate /
mount -t tmpfs -o mode=755,size=16m sockref-sandbox "$new"
for d in usr bin sbin lib lib32 lib64 libx32 etc; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$new/$d"
  elif [ -d "/$d" ]; then mkdir "$new/$d"; mount --rbind "/$d" "$new/$d"; mount -o remount,bind,ro "$new/$d"
  fi
done
mkdir "$new/dev" "$new/proc" "$new/tmp" "$new/kit" "$new/cargo-home"
for dev in null zero full random urandom; do
  touch "$new/dev/$dev"; mount --bind "/dev/$dev" "$new/dev/$dev"
done
mount -t proc proc "$new/proc"
mount -t tmpfs -o mode=1777,size=64m sockref-tmp "$new/tmp"
mount --bind "$scratch" "$new/kit"
if [ -n "$toolchain" ]; then
  mkdir "$new/toolchain"; mount --bind "$toolchain" "$new/toolchain"; mount -o remount,bind,ro "$new/toolchain"
fi
if [ -n "$registry" ]; then
  mkdir "$new/cargo-home/registry"; mount --bind "$registry" "$new/cargo-home/registry"
  mount -o remount,bind,ro "$new/cargo-home/registry"
fi
chown "$uid:$uid" "$new/cargo-home"
set +e
chroot "$new" setpriv --reuid="$uid" --regid="$uid" --clear-groups --no-new-privs \
  --inh-caps=-all --bounding-set=-all -- "$@"
status=$?
exit $status
"#;

/// Set (to anything) in the grader's environment, it makes every sandbox
/// the fallback, as on a machine without namespaces: to try that path, or
/// where a teacher must grade without them.
pub const NO_SANDBOX_ENV: &str = "SOCKREF_GRADE_NO_SANDBOX";

/// Whether [`NO_SANDBOX_ENV`] asks for the fallback.
pub fn fallback_asked() -> bool {
    std::env::var_os(NO_SANDBOX_ENV).is_some()
}

/// Whether a sandbox made with `fallback` would try the namespaces: the
/// grader keeps apart what it builds in each kind (paths differ).
pub fn would_isolate(fallback: bool) -> bool {
    is_root() && !fallback
}

impl Sandbox {
    /// A sandbox for the scratch copy `scratch`, run as `uid` (when root),
    /// the fallback if [`NO_SANDBOX_ENV`] is set.
    pub fn new(scratch: &Path, uid: u32) -> Sandbox {
        Sandbox::with_fallback(scratch, uid, fallback_asked())
    }

    /// The same, the fallback (limits, time limit and output cap only)
    /// when `fallback` is true, whatever the machine allows.
    pub fn with_fallback(scratch: &Path, uid: u32, fallback: bool) -> Sandbox {
        let mut sandbox = Sandbox {
            scratch: scratch.to_path_buf(),
            netns: None,
            isolated: false,
            uid,
            toolchain: toolchain(),
            registry: registry(),
            missing: Vec::new(),
        };
        if fallback {
            sandbox.missing.push(format!(
                "{NO_SANDBOX_ENV} is set: no network, mount or pid namespace, no private root, no uid change"
            ));
            return sandbox;
        }
        if !is_root() {
            sandbox.missing.push(
                "not root: no network, mount or pid namespace, no private root, no uid change"
                    .into(),
            );
            return sandbox;
        }
        let name = format!(
            "sockref-grade-{}-{}",
            std::process::id(),
            NETNS_COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let made = quiet(Command::new("ip").args(["netns", "add", &name]))
            && quiet(Command::new("ip").args(["-n", &name, "link", "set", "lo", "up"]));
        if made {
            sandbox.netns = Some(name);
        } else {
            let _ = quiet(Command::new("ip").args(["netns", "delete", &name]));
            sandbox
                .missing
                .push("no network namespace (ip netns add failed)".into());
        }
        let probe =
            quiet(Command::new("unshare").args(["--mount", "--pid", "--fork", "--", "true"]));
        let tools = ["setpriv", "prlimit", "chroot"]
            .iter()
            .all(|t| quiet(Command::new("sh").args(["-c", &format!("command -v {t}")])));
        if probe && tools {
            sandbox.isolated = true;
            let _ = std::os::unix::fs::chown(scratch, Some(uid), Some(uid));
        } else {
            sandbox.missing.push(
                "no mount or pid namespace (unshare, setpriv, prlimit or chroot failed): the answer key is readable and processes run as the grader"
                    .into(),
            );
        }
        sandbox
    }

    /// The protections this machine could not give, for the report.
    pub fn missing(&self) -> &[String] {
        &self.missing
    }

    /// Whether student code runs under a private root (at `/kit`), as an
    /// unprivileged uid.
    pub fn isolated(&self) -> bool {
        self.isolated
    }

    /// Whether a network namespace of the kit's own exists: only then may
    /// a test touch a non-loopback address.
    pub fn has_netns(&self) -> bool {
        self.netns.is_some()
    }

    /// Where the scratch copy is, as the student's processes see it.
    pub fn kit_path(&self) -> PathBuf {
        if self.isolated {
            PathBuf::from("/kit")
        } else {
            self.scratch.clone()
        }
    }

    /// Gives the scratch copy (as written so far) to the sandbox's uid.
    pub fn hand_over(&self) {
        if self.isolated {
            let _ = chown_tree(&self.scratch, self.uid);
        }
    }

    /// A student command: `program` (a path as the sandbox sees it) with
    /// `args`, in `dir` (relative to the kit), under `limits`. `env` adds
    /// to a clean environment.
    pub fn command(
        &self,
        program: &str,
        args: &[String],
        dir: &str,
        limits: &Limits,
        env: &[(&str, String)],
    ) -> Command {
        let cwd = self.kit_path().join(dir);
        let mut inner: Vec<String> = vec![
            "prlimit".into(),
            format!("--cpu={}", limits.cpu_seconds),
            format!("--as={}", limits.address_space),
            format!("--nproc={}", limits.processes),
            format!("--fsize={}", limits.file_size),
            format!("--nofile={}", limits.open_files),
            "--core=0".into(),
            "--".into(),
            "env".into(),
            "-i".into(),
            "-C".into(),
            cwd.display().to_string(),
            "PATH=/toolchain/bin:/usr/local/bin:/usr/bin:/bin".into(),
            "HOME=/tmp".into(),
            "LANG=C.UTF-8".into(),
            "TMPDIR=/tmp".into(),
        ];
        for (k, v) in env {
            inner.push(format!("{k}={v}"));
        }
        inner.push(program.into());
        inner.extend(args.iter().cloned());
        if !self.isolated {
            // Not root: the limits, the time limit and the cap only.
            let mut cmd = Command::new(&inner[0]);
            cmd.args(&inner[1..]);
            return cmd;
        }
        let mut cmd = self.in_netns("unshare");
        cmd.args([
            "--mount",
            "--pid",
            "--fork",
            "--",
            "sh",
            "-c",
            ROOT_SCRIPT,
            "sandbox",
        ]);
        cmd.arg(&self.scratch);
        cmd.arg(self.toolchain.as_deref().unwrap_or(Path::new("")));
        cmd.arg(self.registry.as_deref().unwrap_or(Path::new("")));
        cmd.arg(self.uid.to_string());
        cmd.args(&inner);
        cmd
    }

    /// A trusted reference program, in the kit's network namespace (so it
    /// can talk to the student's), as the grader.
    pub fn reference(&self, binary: &Path, args: &[String]) -> Command {
        let mut cmd = self.in_netns(&binary.display().to_string());
        cmd.args(args);
        cmd
    }

    fn in_netns(&self, program: &str) -> Command {
        match &self.netns {
            Some(ns) => {
                let mut cmd = Command::new("ip");
                cmd.args(["netns", "exec", ns, program]);
                cmd
            }
            None => Command::new(program),
        }
    }

    /// The toolchain's cargo as the sandbox sees it, and its environment.
    pub fn cargo(&self) -> (String, Vec<(&'static str, String)>) {
        match (&self.toolchain, self.isolated) {
            (Some(_), true) => (
                "/toolchain/bin/cargo".into(),
                vec![
                    ("RUSTC", "/toolchain/bin/rustc".into()),
                    ("CARGO_HOME", "/cargo-home".into()),
                ],
            ),
            (Some(t), false) => (
                t.join("bin/cargo").display().to_string(),
                vec![
                    ("RUSTC", t.join("bin/rustc").display().to_string()),
                    (
                        "CARGO_HOME",
                        self.registry
                            .as_deref()
                            .and_then(Path::parent)
                            .map(|p| p.display().to_string())
                            .unwrap_or_default(),
                    ),
                ],
            ),
            (None, _) => ("cargo".into(), Vec::new()),
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(ns) = self.netns.take() {
            let _ = quiet(Command::new("ip").args(["netns", "delete", &ns]));
        }
    }
}

fn quiet(cmd: &mut Command) -> bool {
    let limits = Limits {
        wall: Duration::from_secs(20),
        ..PROGRAM
    };
    let taken = std::mem::replace(cmd, Command::new("true"));
    run_capped(taken, &limits).is_ok_and(|r| r.code == Some(0))
}

fn is_root() -> bool {
    // The owner of /proc/self is the process's uid: no unsafe getuid.
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The active toolchain's sysroot (`rustc --print sysroot`).
fn toolchain() -> Option<PathBuf> {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    path.join("bin/cargo").is_file().then_some(path)
}

/// Cargo's registry folder (crates already downloaded).
fn registry() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let registry = home.join("registry");
    registry.is_dir().then_some(registry)
}

fn chown_tree(path: &Path, uid: u32) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return std::os::unix::fs::lchown(path, Some(uid), Some(uid));
    }
    std::os::unix::fs::chown(path, Some(uid), Some(uid))?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid)?;
        }
    }
    Ok(())
}
