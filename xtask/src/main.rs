//! The project's automation, in the manner of rust-analyzer's xtask: plain
//! Rust, run with `cargo xtask <command>`.
//!
//! - `check-all [--section NAME]`: the grader (see [`check`]).
//! - `bless [--section NAME]`: runs the programs and rewrites the recorded
//!   outputs the book shows; outputs are never typed by hand.
//! - `book [--serve] [--port N]`: builds the book into `target/book`, or
//!   serves it on 127.0.0.1 for reading.
//! - `book-test`: loads every chapter in headless Chromium (see [`browser`]).
//! - `bench`: runs the criterion benches and regenerates the performance
//!   chapter's table, plot and machine note.
#![forbid(unsafe_code)]

mod bench;
mod book;
mod browser;
mod check;
#[allow(dead_code)] // `cargo xtask lab` and the check-all stage: wired by the integrator
mod lab;
mod normalize;
mod programs;
mod report;
mod sections;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tidy;

use std::path::PathBuf;
use std::process::ExitCode;

use sockref::{Error, lexopt};

const USAGE: &str =
    "cargo xtask <check-all [--section NAME] | bless [--section NAME] | book [--serve [--port N]]>";

fn main() -> ExitCode {
    sockref::run(USAGE, || {
        let mut parser = lexopt::Parser::from_env();
        let command = match parser.next()? {
            Some(lexopt::Arg::Value(v)) => sockref::cli::utf8(v)?,
            Some(other) => return Err(other.unexpected().into()),
            None => return Err(Error::usage("no command given")),
        };
        let mut section = None;
        let mut serve = false;
        let mut port = 0;
        while let Some(arg) = parser.next()? {
            match arg {
                lexopt::Arg::Long("section") if command != "book" => {
                    let name = sockref::cli::utf8(parser.value()?)?;
                    section = Some(sections::find(&name).ok_or_else(|| {
                        let known: Vec<_> = sections::SECTIONS.iter().map(|s| s.name).collect();
                        Error::usage(format!(
                            "no section '{name}' (sections: {})",
                            known.join(", ")
                        ))
                    })?);
                }
                lexopt::Arg::Long("serve") if command == "book" => serve = true,
                lexopt::Arg::Long("port") if command == "book" => {
                    port = sockref::cli::parse_port(&sockref::cli::utf8(parser.value()?)?, true)?;
                }
                other => return Err(other.unexpected().into()),
            }
        }
        let ws = Workspace::locate();
        match command.as_str() {
            "check-all" => check::check_all(&ws, section),
            "bless" => programs::bless(&ws, section),
            "bench" => bench::bench(&ws),
            "book-test" => {
                book::build(&ws)?;
                let checks = browser::book_test(&ws).map_err(Error::runtime)?;
                let failed = checks.iter().filter(|(_, r)| r.is_err()).count();
                for (name, result) in &checks {
                    match result {
                        Ok(()) => println!("ok    {name}"),
                        Err(e) => println!("FAIL  {name}: {e}"),
                    }
                }
                println!("screenshots in {}", ws.target.join("book-test").display());
                println!("{} passed, {failed} failed", checks.len() - failed);
                if failed > 0 {
                    Err(Error::runtime(format!("{failed} page(s) failed")))
                } else {
                    Ok(())
                }
            }
            "book" if serve => book::serve(&ws, port),
            "book" => book::build(&ws).map(|dir| println!("book written to {}", dir.display())),
            other => Err(Error::usage(format!("unknown command '{other}'"))),
        }
    })
}

/// Where things are: the workspace root and cargo's target directory.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub target: PathBuf,
}

impl Workspace {
    fn locate() -> Self {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives one level below the workspace root")
            .to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .map(|t| if t.is_absolute() { t } else { root.join(t) })
            .unwrap_or_else(|| root.join("target"));
        Workspace { root, target }
    }

    /// A Rust program built by `cargo build`.
    pub fn rust_binary(&self, bin: &str) -> PathBuf {
        self.target.join("debug").join(bin)
    }

    /// A C twin built by the xtask.
    pub fn c_binary(&self, bin: &str) -> PathBuf {
        self.target.join("c-twins").join(bin)
    }

    /// `cargo` itself, as cargo tells its children.
    pub fn cargo(&self) -> std::process::Command {
        let mut cmd =
            std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(&self.root);
        cmd
    }
}
