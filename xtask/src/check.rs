//! `cargo xtask check-all`: the grader.
//!
//! Stages, in order; each prints one line with its counts and elapsed time:
//!
//! | stage     | checks                                                              |
//! |-----------|---------------------------------------------------------------------|
//! | fmt       | `cargo fmt --check`                                                 |
//! | clippy    | `cargo clippy --all-targets -- -D warnings`                         |
//! | build     | `cargo build` of every program                                      |
//! | test      | `cargo test`, per section and for the shared crates                 |
//! | c-twins   | each C twin compiles with `cc -std=c11 -Wall -Wextra -Werror`       |
//! | parity    | each C twin prints what its Rust program prints, for every case     |
//! | interop   | standalone Rust and C programs talk to each other, all pairings     |
//! | recorded  | each recorded output in the book matches a fresh run                |
//! | bench     | the benches run once (criterion's test mode); the book's figures    |
//! |           | are what their committed summary renders to                         |
//! | includes  | each chapter's includes name existing files and anchors             |
//! | coverage  | each program, C twin and recorded output appears in some chapter    |
//! | book      | mdBook builds the book                                              |
//! | links     | every internal link and anchor of the built book resolves           |
//! | browser   | headless Chromium renders every chapter without console errors and  |
//! |           | the search finds `sockatmark` (skipped if Chromium is missing)      |
//!
//! At the end: a table per section, `target/check-all/report.json`,
//! `target/check-all/junit.xml`, and the last line `N passed, N failed`.
//! The exit status is non-zero if any check failed.

use std::io::Write;
use std::time::Instant;

use sockref::Error;
use sockref::testing::run_bounded;

use crate::Workspace;
use crate::book;
use crate::programs::{self, display};
use crate::report::{self, Check, Outcome};
use crate::sections::{SECTIONS, Section};

const STAGES: &[&str] = &[
    "fmt", "clippy", "build", "test", "c-twins", "parity", "interop", "recorded", "bench",
    "includes", "coverage", "book", "links", "browser",
];

/// Cargo runs may be long on a cold 2-core machine, but never unbounded.
const CARGO_LIMIT: std::time::Duration = std::time::Duration::from_secs(30 * 60);

struct Grader<'a> {
    ws: &'a Workspace,
    sections: Vec<&'static Section>,
    /// `-p` flags for cargo: every package when grading one section.
    package_flags: Vec<String>,
    checks: Vec<Check>,
}

pub fn check_all(ws: &Workspace, only: Option<&'static Section>) -> Result<(), Error> {
    let start = Instant::now();
    let sections: Vec<&'static Section> = SECTIONS
        .iter()
        .filter(|s| only.is_none_or(|o| o.name == s.name))
        .collect();
    let package_flags = match only {
        None => vec!["--workspace".to_string()],
        Some(s) => s
            .packages
            .iter()
            .flat_map(|p| ["-p".to_string(), p.to_string()])
            .collect(),
    };
    let mut g = Grader {
        ws,
        sections,
        package_flags,
        checks: Vec::new(),
    };
    println!(
        "check-all: grading {} in {}",
        only.map_or("every section".to_string(), |s| format!(
            "section {}",
            s.name
        )),
        ws.root.display()
    );
    for (i, stage) in STAGES.iter().enumerate() {
        print!("[{:>2}/{}] {stage:<9} ", i + 1, STAGES.len());
        let _ = std::io::stdout().flush();
        let before = g.checks.len();
        let t = Instant::now();
        g.run_stage(stage);
        let new = &g.checks[before..];
        let (p, f, s) = (
            report::count(new, Outcome::Pass),
            report::count(new, Outcome::Fail),
            report::count(new, Outcome::Skip),
        );
        let skipped = if s > 0 {
            format!(", {s} skipped")
        } else {
            String::new()
        };
        println!(
            "{p:>3} passed, {f} failed{skipped}   {:>6.1} s",
            t.elapsed().as_secs_f64()
        );
        for c in new.iter().filter(|c| c.outcome == Outcome::Fail) {
            println!(
                "        FAIL [{}] {}: {}",
                c.section_name(),
                c.name,
                indent(&c.detail)
            );
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    report::print_table(&g.checks, STAGES);
    let dir = ws.target.join("check-all");
    report::write_reports(&dir, &g.checks, seconds)
        .map_err(|e| Error::runtime(format!("write the reports into {}: {e}", dir.display())))?;
    println!(
        "reports: {}, {}",
        display(ws, &dir.join("report.json")),
        display(ws, &dir.join("junit.xml"))
    );
    println!("check-all took {seconds:.1} s");
    let (passed, failed) = (
        report::count(&g.checks, Outcome::Pass),
        report::count(&g.checks, Outcome::Fail),
    );
    let skipped = report::count(&g.checks, Outcome::Skip);
    let tail = if skipped > 0 {
        format!(", {skipped} skipped")
    } else {
        String::new()
    };
    println!("{passed} passed, {failed} failed{tail}");
    if failed > 0 {
        Err(Error::runtime(format!("{failed} check(s) failed")))
    } else {
        Ok(())
    }
}

fn indent(text: &str) -> String {
    text.replace('\n', "\n          ")
}

impl Grader<'_> {
    fn run_stage(&mut self, stage: &'static str) {
        match stage {
            "fmt" => self.cargo(
                stage,
                None,
                "fmt",
                &["fmt", "--all", "--check", "--", "--color=never"],
                false,
            ),
            "clippy" => {
                let flags = self.package_flags.clone();
                let mut args = vec!["clippy", "--quiet", "--all-targets"];
                args.extend(flags.iter().map(String::as_str));
                args.extend(["--", "-D", "warnings"]);
                self.cargo(stage, None, "clippy", &args, false);
            }
            "build" => {
                let flags = self.package_flags.clone();
                let mut args = vec!["build", "--quiet", "--bins"];
                args.extend(flags.iter().map(String::as_str));
                self.cargo(stage, None, "build", &args, false);
            }
            "test" => self.tests(),
            "c-twins" => self.each_program(stage, programs::build_c_twin),
            "parity" => {
                for section in self.sections.clone() {
                    for program in section.programs {
                        for case in program.cases {
                            let name = format!("{} {}", program.bin, case.name);
                            self.timed(stage, Some(section.name), name, |ws| {
                                programs::check_parity(ws, program, case)
                            });
                        }
                    }
                }
            }
            "interop" => {
                for section in self.sections.clone() {
                    for interop in section.interop {
                        let name = interop.name.to_string();
                        self.timed(stage, Some(section.name), name, |ws| {
                            programs::check_interop(ws, interop)
                        });
                    }
                    for program in section.programs {
                        if let Some(extra) = program.connects {
                            let name = format!("{} refused", program.bin);
                            self.timed(stage, Some(section.name), name, |ws| {
                                programs::check_refused(ws, program.bin, extra)
                            });
                        }
                    }
                }
            }
            "recorded" => {
                for section in self.sections.clone() {
                    for program in section.programs {
                        for case in program.cases.iter().filter(|c| c.recorded) {
                            let name = program.recorded_path(case);
                            self.timed(stage, Some(section.name), name, |ws| {
                                programs::check_recorded(ws, program, case)
                            });
                        }
                    }
                }
            }
            "bench" => {
                if self.sections.len() == SECTIONS.len() {
                    self.cargo(
                        stage,
                        None,
                        "benches, once each",
                        &[
                            "test",
                            "--quiet",
                            "-p",
                            "sockref-benches",
                            "--bench",
                            "latency",
                        ],
                        false,
                    );
                    self.timed(
                        stage,
                        None,
                        "generated figures".into(),
                        crate::bench::check_generated,
                    );
                }
            }
            "includes" => {
                for section in self.sections.clone() {
                    self.timed(
                        stage,
                        Some(section.name),
                        section.chapter.to_string(),
                        |ws| {
                            book::check_includes(
                                ws,
                                &ws.root.join("book/src").join(section.chapter),
                            )
                        },
                    );
                }
                if self.sections.len() == SECTIONS.len() {
                    self.check_other_chapters();
                }
            }
            "coverage" => self.coverage(),
            "browser" => {
                if self.sections.len() == SECTIONS.len() {
                    match crate::browser::book_test(self.ws) {
                        Ok(checks) => {
                            for (name, result) in checks {
                                self.record(stage, None, name, result, 0.0);
                            }
                        }
                        Err(why) => self.checks.push(Check {
                            stage,
                            section: None,
                            name: "book in Chromium".into(),
                            outcome: Outcome::Skip,
                            detail: why,
                            seconds: 0.0,
                        }),
                    }
                }
            }
            "links" => self.timed(stage, None, "internal links".into(), |ws| {
                book::check_links(&ws.target.join("book"))
            }),
            "book" => self.timed(stage, None, "mdbook build".into(), |ws| {
                book::build(ws).map(|_| ()).map_err(|e| e.to_string())
            }),
            _ => unreachable!("unknown stage {stage}"),
        }
    }

    /// Chapters that belong to no section (the introduction, ...).
    fn check_other_chapters(&mut self) {
        let chapters = match book::chapters(self.ws) {
            Ok(c) => c,
            Err(e) => return self.record("includes", None, "SUMMARY.md".into(), Err(e), 0.0),
        };
        for chapter in chapters {
            let name = display(self.ws, &chapter);
            if SECTIONS
                .iter()
                .any(|s| name.ends_with(&format!("book/src/{}", s.chapter)))
            {
                continue;
            }
            let short = name.trim_start_matches("book/src/").to_string();
            self.timed("includes", None, short, |ws| {
                book::check_includes(ws, &chapter)
            });
        }
    }

    /// Each program's Rust source, its C twin and its recorded outputs are
    /// included by some chapter of the book.
    fn coverage(&mut self) {
        let included = match book::included_files(self.ws) {
            Ok(files) => files,
            Err(e) => return self.record("coverage", None, "SUMMARY.md".into(), Err(e), 0.0),
        };
        let ws = self.ws;
        let src = ws.root.join("book/src");
        let all_included = |wanted: Vec<std::path::PathBuf>| {
            let missing: Vec<String> = wanted
                .iter()
                .filter(|w| !included.contains(w.as_path()))
                .map(|w| display(ws, w))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("no chapter includes {}", missing.join(", ")))
            }
        };
        for section in self.sections.clone() {
            for program in section.programs {
                let mut wanted = vec![ws.root.join(program.source), ws.root.join(program.c_twin)];
                let recorded = program.cases.iter().filter(|c| c.recorded);
                wanted.extend(recorded.map(|c| src.join(program.recorded_path(c))));
                let result = all_included(wanted);
                self.record(
                    "coverage",
                    Some(section.name),
                    program.bin.to_string(),
                    result,
                    0.0,
                );
            }
            if !section.shared.is_empty() {
                let result = all_included(section.shared.iter().map(|f| ws.root.join(f)).collect());
                self.record(
                    "coverage",
                    Some(section.name),
                    "shared code".into(),
                    result,
                    0.0,
                );
            }
        }
    }

    /// `cargo test` per section, then for the shared crates.
    fn tests(&mut self) {
        for section in self.sections.clone() {
            let mut args = vec!["test", "--quiet"];
            for p in section.packages {
                args.extend(["-p", p]);
            }
            self.cargo("test", Some(section.name), "cargo test", &args, true);
        }
        if self.sections.len() == SECTIONS.len() {
            self.cargo(
                "test",
                None,
                "cargo test (sockref, xtask, benches)",
                &[
                    "test",
                    "--quiet",
                    "-p",
                    "sockref",
                    "-p",
                    "xtask",
                    "-p",
                    "sockref-benches",
                ],
                true,
            );
        }
    }

    fn each_program(
        &mut self,
        stage: &'static str,
        f: impl Fn(&Workspace, &crate::sections::Program) -> Result<(), String>,
    ) {
        for section in self.sections.clone() {
            for program in section.programs {
                self.timed(
                    stage,
                    Some(section.name),
                    program.c_twin.to_string(),
                    |ws| f(ws, program),
                );
            }
        }
    }

    /// Runs a cargo command as one check; on failure its output is the detail.
    fn cargo(
        &mut self,
        stage: &'static str,
        section: Option<&'static str>,
        name: &str,
        args: &[&str],
        count_tests: bool,
    ) {
        let ws = self.ws;
        self.timed(stage, section, name.to_string(), |_| {
            let mut cmd = ws.cargo();
            cmd.args(args).env("CARGO_TERM_COLOR", "never");
            let run =
                run_bounded(cmd, CARGO_LIMIT).map_err(|e| format!("cannot run cargo: {e}"))?;
            let out = format!(
                "{}{}",
                String::from_utf8_lossy(&run.output.stdout),
                String::from_utf8_lossy(&run.output.stderr)
            );
            if run.timed_out {
                return Err(format!(
                    "cargo {} did not finish within {CARGO_LIMIT:?}",
                    args.join(" ")
                ));
            }
            if !run.output.status.success() {
                return Err(format!(
                    "cargo {} failed:\n{}",
                    args.join(" "),
                    tail(&out, 40)
                ));
            }
            if count_tests && test_count(&out) == 0 {
                return Err(format!("cargo {} ran no test", args.join(" ")));
            }
            Ok(())
        });
    }

    fn timed(
        &mut self,
        stage: &'static str,
        section: Option<&'static str>,
        name: String,
        f: impl FnOnce(&Workspace) -> Result<(), String>,
    ) {
        let t = Instant::now();
        let result = f(self.ws);
        self.record(stage, section, name, result, t.elapsed().as_secs_f64());
    }

    fn record(
        &mut self,
        stage: &'static str,
        section: Option<&'static str>,
        name: String,
        result: Result<(), String>,
        seconds: f64,
    ) {
        let (outcome, detail) = match result {
            Ok(()) => (Outcome::Pass, String::new()),
            Err(detail) => (Outcome::Fail, detail),
        };
        self.checks.push(Check {
            stage,
            section,
            name,
            outcome,
            detail,
            seconds,
        });
    }
}

/// How many tests `cargo test` reported as run (passed or failed).
fn test_count(output: &str) -> usize {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("test result: "))
        .filter_map(|l| {
            let num = |word: &str| {
                l.split(';')
                    .find_map(|part| {
                        part.trim()
                            .trim_start_matches("ok. ")
                            .trim_start_matches("FAILED. ")
                            .strip_suffix(word)
                    })
                    .and_then(|n| n.trim().parse::<usize>().ok())
            };
            Some(num(" passed")? + num(" failed")?)
        })
        .sum()
}

/// The last `n` lines of a long output.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tests_from_cargo_output() {
        let out = "running 3 tests\ntest result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
                   test result: FAILED. 1 passed; 2 failed; 0 ignored\ntest result: ok. 0 passed; 0 failed; 0 ignored";
        assert_eq!(test_count(out), 6);
        assert_eq!(test_count("nothing"), 0);
    }
}
