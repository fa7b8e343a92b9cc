//! Running the programs: building the C twins, comparing each twin with its
//! Rust program, and recording (blessing) the outputs the book shows.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use sockref::Error;
use sockref::testing::run_bounded;

use crate::Workspace;
use crate::normalize::{normalize, without_rust_only_lines};
use crate::sections::{Case, Program, SECTIONS, Section};

/// No single run of a program may take longer than this.
pub const RUN_LIMIT: Duration = Duration::from_secs(30);

/// The C compiler and the flags every twin must pass.
pub const CC_FLAGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-pthread"];

/// Compiles one C twin into `target/c-twins/<bin>`.
pub fn build_c_twin(ws: &Workspace, program: &Program) -> Result<(), String> {
    let out = ws.c_binary(program.bin);
    fs::create_dir_all(out.parent().expect("c-twins dir")).map_err(|e| e.to_string())?;
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let mut cmd = Command::new(&cc);
    cmd.current_dir(&ws.root)
        .args(CC_FLAGS)
        .arg("-Icrates/sockref/c")
        .arg(program.c_twin)
        .arg("-o")
        .arg(&out);
    let run = run_bounded(cmd, RUN_LIMIT).map_err(|e| format!("cannot run {cc}: {e}"))?;
    if run.output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cc} {} failed:\n{}",
            program.c_twin,
            String::from_utf8_lossy(&run.output.stderr)
        ))
    }
}

/// What one run printed, stdout then stderr, with the exit status.
#[derive(Debug)]
pub struct Transcript {
    pub stdout: String,
    pub stderr: String,
    pub status: Option<i32>,
}

impl Transcript {
    /// The text the book records: stdout, then stderr, then a failing status.
    pub fn recorded(&self) -> String {
        let mut text = self.stdout.clone();
        text.push_str(&self.stderr);
        if let Some(code) = self.status.filter(|&c| c != 0) {
            text.push_str(&format!("[exit status {code}]\n"));
        }
        text
    }
}

/// Runs a built binary with a case's arguments, bounded in time.
pub fn run_case(binary: &Path, case: &Case) -> Result<Transcript, String> {
    let mut cmd = Command::new(binary);
    cmd.args(case.args);
    let run =
        run_bounded(cmd, RUN_LIMIT).map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    if run.timed_out {
        return Err(format!(
            "{} {:?} did not finish within {RUN_LIMIT:?}",
            binary.display(),
            case.args
        ));
    }
    Ok(Transcript {
        stdout: String::from_utf8_lossy(&run.output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&run.output.stderr).into_owned(),
        status: run.output.status.code(),
    })
}

/// The C twin prints what the Rust program prints (less the std:: lines),
/// fails the same way and exits with the same status.
pub fn check_parity(ws: &Workspace, program: &Program, case: &Case) -> Result<(), String> {
    let rust = run_case(&ws.rust_binary(program.bin), case)?;
    let c = run_case(&ws.c_binary(program.bin), case)?;
    let pairs = [
        (
            "stdout",
            normalize(&without_rust_only_lines(&rust.stdout)),
            normalize(&c.stdout),
        ),
        ("stderr", normalize(&rust.stderr), normalize(&c.stderr)),
    ];
    for (stream, r, c) in pairs {
        if r != c {
            return Err(format!(
                "{} differs from {} on {stream} for {:?} (- Rust, + C):\n{}",
                program.c_twin,
                program.source,
                case.args,
                first_difference(&r, &c)
            ));
        }
    }
    if rust.status != c.status {
        return Err(format!(
            "{} exits with {:?}, {} with {:?}",
            program.c_twin, c.status, program.source, rust.status
        ));
    }
    Ok(())
}

/// The recorded output in the book matches a fresh run.
pub fn check_recorded(ws: &Workspace, program: &Program, case: &Case) -> Result<(), String> {
    let path = ws.root.join("book/src").join(program.recorded_path(case));
    let recorded = fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e} (run `cargo xtask bless`)", display(ws, &path)))?;
    let fresh = recording(
        program,
        case,
        &run_case(&ws.rust_binary(program.bin), case)?,
    );
    if normalize(&recorded) == normalize(&fresh) {
        Ok(())
    } else {
        Err(format!(
            "{} does not match a fresh run of {} (edited by hand, or stale: run `cargo xtask bless`) (- recorded, + fresh):\n{}",
            display(ws, &path),
            program.bin,
            first_difference(&normalize(&recorded), &normalize(&fresh))
        ))
    }
}

fn recording(program: &Program, case: &Case, run: &Transcript) -> String {
    format!("{}\n{}", program.command_line(case), run.recorded())
}

/// `cargo xtask bless`: builds the programs and rewrites every recorded
/// output whose content changed (ports and timings alone do not count).
pub fn bless(ws: &Workspace, only: Option<&'static Section>) -> Result<(), Error> {
    let status = ws
        .cargo()
        .args(["build", "--quiet", "--workspace", "--bins"])
        .status()
        .map_err(|e| Error::runtime(format!("cargo build: {e}")))?;
    if !status.success() {
        return Err(Error::runtime("cargo build failed"));
    }
    let mut written = 0;
    for section in SECTIONS
        .iter()
        .filter(|s| only.is_none_or(|o| o.name == s.name))
    {
        for program in section.programs {
            for case in program.cases.iter().filter(|c| c.recorded) {
                let run = run_case(&ws.rust_binary(program.bin), case).map_err(Error::runtime)?;
                let fresh = recording(program, case, &run);
                let path = ws.root.join("book/src").join(program.recorded_path(case));
                let old = fs::read_to_string(&path).unwrap_or_default();
                if normalize(&old) != normalize(&fresh) {
                    fs::create_dir_all(path.parent().expect("output dir"))
                        .and_then(|()| fs::write(&path, &fresh))
                        .map_err(|e| Error::runtime(format!("write {}: {e}", path.display())))?;
                    println!("blessed {}", display(ws, &path));
                    written += 1;
                }
            }
        }
    }
    println!("{written} recorded output(s) rewritten");
    Ok(())
}

/// A path relative to the workspace root, for messages.
pub fn display(ws: &Workspace, path: &Path) -> String {
    path.strip_prefix(&ws.root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The first line where two texts part, for a short failure message.
pub fn first_difference(expected: &str, actual: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i), b.get(i));
        if x != y {
            return format!(
                "  line {}:\n  - {}\n  + {}",
                i + 1,
                x.copied().unwrap_or("<missing>"),
                y.copied().unwrap_or("<missing>")
            );
        }
    }
    "  (texts differ only in the final newline)".into()
}
