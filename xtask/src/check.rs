//! `cargo xtask check-all`: the grader.
//!
//! The stages are data: [`STAGES`] names each one, says in one line what
//! it checks and which sections it applies to, and points at the function
//! that runs it. The tables in README.md and `book/src/graders.md` and the
//! progress lines are all made from it. Each stage prints one line with
//! its counts and elapsed time; at the end come a table per section,
//! `target/check-all/report.json`, `target/check-all/junit.xml`, and the
//! last line `N passed, N failed`. The exit status is non-zero if any
//! check failed.

use std::io::Write;
use std::time::Instant;

use sockref::Error;
use sockref::testing::run_bounded;

use crate::Workspace;
use crate::book;
use crate::programs::{self, display};
use crate::report::{self, Check, Outcome};
use crate::sections::{self, Program, Section};

/// Which part of the workspace a stage grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole workspace, also when one section is graded.
    Workspace,
    /// Each graded section.
    Sections,
    /// Only when every section is graded (the book, the benches).
    WholeRun,
}

impl Scope {
    /// How the tables say it.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::Workspace => "workspace",
            Scope::Sections => "each section",
            Scope::WholeRun => "full run only",
        }
    }
}

/// One stage of check-all.
#[derive(Debug)]
pub struct Stage {
    pub name: &'static str,
    /// What it checks, in one line (shown in README.md and graders.md).
    pub checks: &'static str,
    pub scope: Scope,
    run: fn(&mut Grader<'_>, &'static str),
}

/// The stages, in the order they run.
pub static STAGES: &[Stage] = &[
    Stage {
        name: "fmt",
        checks: "`cargo fmt --check` on every package",
        scope: Scope::Workspace,
        run: fmt,
    },
    Stage {
        name: "clippy",
        checks: "`cargo clippy --all-targets` with warnings denied",
        scope: Scope::Sections,
        run: clippy,
    },
    Stage {
        name: "build",
        checks: "every program builds",
        scope: Scope::Sections,
        run: build,
    },
    Stage {
        name: "test",
        checks: "`cargo test` of each section's packages, then of `lib/`, the grader and the benches; a section with no test fails",
        scope: Scope::Sections,
        run: tests,
    },
    Stage {
        name: "c-twins",
        checks: "each C twin compiles with `cc -std=c11 -Wall -Wextra -Werror`",
        scope: Scope::Sections,
        run: c_twins,
    },
    Stage {
        name: "parity",
        checks: "for every case in the manifests, the C twin prints what the Rust program prints (less lines starting `std::`), on stdout and stderr, with the same exit status",
        scope: Scope::Sections,
        run: parity,
    },
    Stage {
        name: "interop",
        checks: "standalone Rust and C programs talk to each other in all four pairings, over IPv4 and IPv6, with the same transcripts; clients pointed at a closed port fail the same way",
        scope: Scope::Sections,
        run: interop,
    },
    Stage {
        name: "recorded",
        checks: "every output shown in the book matches a fresh run (ports, process ids and times masked)",
        scope: Scope::Sections,
        run: recorded,
    },
    Stage {
        name: "stress",
        checks: "a quick subset of `cargo xtask stress`: hostile command lines in Rust and C, hostile peers against every receiving strategy, hostile clients against the server",
        scope: Scope::WholeRun,
        run: stress,
    },
    Stage {
        name: "generated",
        checks: "the generated blocks of README.md and the book match the manifests, the stage table and the command list",
        scope: Scope::Workspace,
        run: generated,
    },
    Stage {
        name: "lab",
        checks: "two network namespaces on a shaped veth link: SIGURG arrives before the urgent byte (skipped, with the reason, without the privilege to make namespaces)",
        scope: Scope::WholeRun,
        run: lab,
    },
    Stage {
        name: "bench",
        checks: "each benchmark runs once; the performance figures are what their committed summary renders to",
        scope: Scope::WholeRun,
        run: bench,
    },
    Stage {
        name: "includes",
        checks: "every file and anchor a chapter includes exists, and every anchor defined in the sources is included",
        scope: Scope::Sections,
        run: includes,
    },
    Stage {
        name: "coverage",
        checks: "every program, C twin, shared file and recorded output appears in the book; every behavioural claim cites a test or a recorded run, or is labelled not tested here",
        scope: Scope::Sections,
        run: coverage,
    },
    Stage {
        name: "course",
        checks: "every declared exercise is marked in its sources and every marker declared; on a few exercises, an untouched student kit scores 0 with a reason, the solved kit full marks (cases, interop over IPv4 and IPv6, hostile peers, this repository's tests), and planted wrong solutions (s_port without ntohs, connect_retry reusing its socket, a writen that resends from the start, a receiver that reads past the mark, a server that dies when a client resets, the broken select loop; in Rust and C) each lose exactly their exercise's points; the hostile kit and the sandbox's fallback are cargo xtask grade --self-test",
        scope: Scope::WholeRun,
        run: course,
    },
    Stage {
        name: "i18n",
        checks: "`book/po/messages.pot` holds the English book's messages as they stand; every message of every translation is translated and none is fuzzy (naming the chapter where not); each translation keeps its English's links, code, HTML and not-tested label",
        scope: Scope::WholeRun,
        run: i18n,
    },
    Stage {
        name: "book",
        checks: "mdBook builds the book in English and in every translation; each translated page has the code blocks, tables, figures, links and emphasis of its English",
        scope: Scope::WholeRun,
        run: book_build,
    },
    Stage {
        name: "links",
        checks: "every internal link and anchor of the built book resolves, links to sources reach files of the workspace, and external links are well-formed https addresses (never fetched)",
        scope: Scope::WholeRun,
        run: links,
    },
    Stage {
        name: "listings",
        checks: "every code block shown from a source file is a listing with a number, a language, a link to the file and a textbook reference",
        scope: Scope::WholeRun,
        run: listings,
    },
    Stage {
        name: "browser",
        checks: "headless Chromium renders every chapter without console errors, with its code and recorded outputs, no code block wider than the text column at 1280 px, alt text on every figure and no figure text under 10 px at 390 px; the search finds `sockatmark` and `connect_retry` (skipped, with the install command, where Chromium is missing)",
        scope: Scope::WholeRun,
        run: browser,
    },
];

/// Cargo runs may be long on a cold 2-core machine, but never unbounded.
const CARGO_LIMIT: std::time::Duration = std::time::Duration::from_secs(30 * 60);

struct Grader<'a> {
    ws: &'a Workspace,
    sections: Vec<&'static Section>,
    /// Grading every section, not one.
    whole: bool,
    /// `-p` flags for cargo: every package when grading one section.
    package_flags: Vec<String>,
    checks: Vec<Check>,
}

pub fn check_all(
    ws: &Workspace,
    only: Option<&'static Section>,
    wanted: &[String],
) -> Result<(), Error> {
    let start = Instant::now();
    if let Some(bad) = wanted
        .iter()
        .find(|w| !STAGES.iter().any(|st| st.name == *w))
    {
        let names: Vec<&str> = STAGES.iter().map(|st| st.name).collect();
        return Err(Error::usage(format!(
            "no stage named '{bad}'; the stages are {}",
            names.join(", ")
        )));
    }
    let sections: Vec<&'static Section> = sections::all()
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
        whole: only.is_none(),
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
    let stages: Vec<&'static Stage> = STAGES
        .iter()
        .filter(|st| g.whole || st.scope != Scope::WholeRun)
        .filter(|st| wanted.is_empty() || wanted.iter().any(|w| w == st.name))
        .collect();
    for (i, stage) in stages.iter().enumerate() {
        print!("[{:>2}/{}] {:<9} ", i + 1, stages.len(), stage.name);
        let _ = std::io::stdout().flush();
        let before = g.checks.len();
        let t = Instant::now();
        (stage.run)(&mut g, stage.name);
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
        for c in new.iter().filter(|c| c.outcome != Outcome::Pass) {
            let word = if c.outcome == Outcome::Fail {
                "FAIL"
            } else {
                "skip"
            };
            println!(
                "        {word} [{}] {}: {}",
                c.section_name(),
                c.name,
                indent(&c.detail)
            );
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let names: Vec<&str> = stages.iter().map(|s| s.name).collect();
    report::print_table(&g.checks, &names);
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
    report::closing_line(passed, failed, skipped, "check(s)")
}

fn indent(text: &str) -> String {
    text.replace('\n', "\n          ")
}

fn fmt(g: &mut Grader<'_>, stage: &'static str) {
    g.cargo(
        stage,
        None,
        "fmt",
        &["fmt", "--all", "--check", "--", "--color=never"],
        false,
    );
}

fn clippy(g: &mut Grader<'_>, stage: &'static str) {
    let flags = g.package_flags.clone();
    let mut args = vec!["clippy", "--quiet", "--all-targets"];
    args.extend(flags.iter().map(String::as_str));
    args.extend(["--", "-D", "warnings"]);
    g.cargo(stage, None, "clippy", &args, false);
}

fn build(g: &mut Grader<'_>, stage: &'static str) {
    let flags = g.package_flags.clone();
    let mut args = vec!["build", "--quiet", "--bins"];
    args.extend(flags.iter().map(String::as_str));
    if g.whole {
        // Built with the whole workspace's features, the xtask would be
        // linked anew over the binary running this very check.
        args.extend(["--exclude", "xtask"]);
    }
    g.cargo(stage, None, "build", &args, false);
}

/// `cargo test` per section, then for the packages outside crates/.
/// How many `cargo test` runs go at once: the tests mostly wait (periods,
/// time-outs, a peer's answer), so the sections' runs overlap; cargo builds
/// one at a time under its lock and releases it before running tests.
const TEST_JOBS: usize = 3;

fn tests(g: &mut Grader<'_>, stage: &'static str) {
    let mut jobs: Vec<(Option<&'static str>, &str, Vec<&str>)> = Vec::new();
    for section in g.sections.clone() {
        let mut args = vec!["test", "--quiet"];
        for p in &section.packages {
            args.extend(["-p", p.as_str()]);
        }
        jobs.push((Some(section.name.as_str()), "cargo test", args));
    }
    if g.whole {
        jobs.push((
            None,
            "cargo test (lib/, xtask, benches)",
            vec![
                "test",
                "--quiet",
                "-p",
                "sockref",
                "-p",
                "netlab",
                "-p",
                "xtask",
                "-p",
                "sockref-benches",
            ],
        ));
    }
    let ws = g.ws;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..TEST_JOBS.min(jobs.len()) {
            let done = done.clone();
            let (jobs, next) = (&jobs, &next);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((_, _, args)) = jobs.get(i) else {
                        break;
                    };
                    let t = Instant::now();
                    let result = run_cargo(ws, args, true);
                    let _ = done.send((i, result, t.elapsed().as_secs_f64()));
                }
            });
        }
    });
    drop(done);
    // Reported in the order of the jobs, whatever order they ended in.
    let mut results: Vec<_> = finished.into_iter().collect();
    results.sort_by_key(|(i, _, _)| *i);
    for ((section, name, _), (_, result, seconds)) in jobs.iter().zip(results) {
        g.record(stage, *section, name.to_string(), result, seconds);
    }
}

fn c_twins(g: &mut Grader<'_>, stage: &'static str) {
    g.each_program(stage, programs::build_c_twin);
}

fn parity(g: &mut Grader<'_>, stage: &'static str) {
    for section in g.sections.clone() {
        for program in &section.programs {
            for case in &program.cases {
                let name = format!("{} {}", program.bin, case.name);
                g.timed(stage, Some(section.name.as_str()), name, |ws| {
                    programs::check_parity(ws, program, case)
                });
            }
        }
    }
}

fn interop(g: &mut Grader<'_>, stage: &'static str) {
    for section in g.sections.clone() {
        for interop in &section.interop {
            g.timed(
                stage,
                Some(section.name.as_str()),
                interop.name.clone(),
                |ws| programs::check_interop(ws, interop),
            );
        }
        for program in &section.programs {
            if let Some(extra) = &program.connects {
                let name = format!("{} refused", program.bin);
                g.timed(stage, Some(section.name.as_str()), name, |ws| {
                    programs::check_refused(ws, &program.bin, extra)
                });
            }
        }
    }
}

fn recorded(g: &mut Grader<'_>, stage: &'static str) {
    for section in g.sections.clone() {
        for program in &section.programs {
            for case in program.cases.iter().filter(|c| c.recorded) {
                let name = program.recorded_path(case);
                g.timed(stage, Some(section.name.as_str()), name, |ws| {
                    programs::check_recorded(ws, program, case)
                });
            }
        }
    }
}

fn generated(g: &mut Grader<'_>, stage: &'static str) {
    for (file, result) in crate::codegen::check_all(g.ws) {
        g.record(stage, None, file, result, 0.0);
    }
}

fn stress(g: &mut Grader<'_>, stage: &'static str) {
    g.outcomes(stage, crate::stress::cases(g.ws, true, &|_| ()));
}

fn lab(g: &mut Grader<'_>, stage: &'static str) {
    g.outcomes(stage, crate::lab::checks(g.ws));
}

fn bench(g: &mut Grader<'_>, stage: &'static str) {
    g.cargo(
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
    g.timed(
        stage,
        None,
        "generated figures".into(),
        crate::bench::check_generated,
    );
}

fn includes(g: &mut Grader<'_>, stage: &'static str) {
    for section in g.sections.clone() {
        g.timed(
            stage,
            Some(section.name.as_str()),
            section.chapter.clone(),
            |ws| book::check_includes(ws, &ws.root.join("book/src").join(&section.chapter)),
        );
    }
    if g.whole {
        g.check_other_chapters(stage);
        g.timed(stage, None, "anchors".into(), book::check_anchors_used);
    }
}

/// Course mode graded: markers, and the grader on kits of known scores.
fn course(g: &mut Grader<'_>, stage: &'static str) {
    g.timed(stage, None, "exercise markers".into(), |ws| {
        let regions = crate::course::all_regions(&ws.root)?;
        let problems = crate::course::check_markers(sections::all(), &regions);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    });
    let t = Instant::now();
    let checks = crate::course::selftest::quick(g.ws);
    let each = t.elapsed().as_secs_f64() / checks.len().max(1) as f64;
    for (name, result) in checks {
        g.record(stage, None, name, result, each);
    }
}

fn i18n(g: &mut Grader<'_>, stage: &'static str) {
    let t = Instant::now();
    let checks = crate::i18n::checks(g.ws);
    let each = t.elapsed().as_secs_f64() / checks.len().max(1) as f64;
    for (name, result) in checks {
        g.record(stage, None, name, result, each);
    }
}

fn book_build(g: &mut Grader<'_>, stage: &'static str) {
    g.timed(stage, None, "mdbook build".into(), |ws| {
        book::build(ws).map(|_| ()).map_err(|e| e.to_string())
    });
    g.timed(
        stage,
        None,
        "translations keep the English pages' shape".into(),
        |ws| crate::i18n::check_built(&ws.target.join("book")),
    );
}

fn links(g: &mut Grader<'_>, stage: &'static str) {
    g.timed(stage, None, "internal links".into(), |ws| {
        book::check_links(&ws.target.join("book"), &ws.root.join("book/src"))
    });
}

fn listings(g: &mut Grader<'_>, stage: &'static str) {
    let languages = std::iter::once(None).chain(crate::i18n::LANGUAGES.iter().map(Some));
    for lang in languages {
        let name = lang.map_or_else(|| "listings".into(), |l| format!("listings ({})", l.code));
        g.timed(stage, None, name, |ws| {
            let src = ws.root.join("book/src");
            let built = match lang {
                None => ws.target.join("book"),
                Some(l) => ws.target.join("book").join(l.code),
            };
            let pages: Vec<_> = book::chapter_paths(ws)?
                .into_iter()
                .map(|chapter| {
                    let rel = chapter.strip_prefix(&src).unwrap_or(&chapter);
                    let page = built.join(rel.with_extension("html"));
                    (chapter, page)
                })
                .collect();
            let outside = if lang.is_some() { "../" } else { "" };
            crate::listings::check_built(&ws.root, &pages, outside)
        });
    }
}

fn browser(g: &mut Grader<'_>, stage: &'static str) {
    match crate::browser::book_test(g.ws, false, &|_| ()) {
        Ok(checks) => {
            for (name, result) in checks {
                g.record(stage, None, name, result, 0.0);
            }
        }
        Err(why) => g.checks.push(Check {
            stage,
            section: None,
            name: "book in Chromium".into(),
            outcome: Outcome::Skip,
            detail: why,
            seconds: 0.0,
        }),
    }
}

/// Each program's Rust source, its C twin and its recorded outputs, and
/// the section's shared files, are included by some chapter of the book.
fn coverage(g: &mut Grader<'_>, stage: &'static str) {
    let included = match book::included_files(g.ws) {
        Ok(files) => files,
        Err(e) => return g.record(stage, None, "SUMMARY.md".into(), Err(e), 0.0),
    };
    let ws = g.ws;
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
    for section in g.sections.clone() {
        for program in &section.programs {
            let mut wanted = vec![ws.root.join(&program.source), ws.root.join(&program.c_twin)];
            let recorded = program.cases.iter().filter(|c| c.recorded);
            wanted.extend(recorded.map(|c| src.join(program.recorded_path(c))));
            let result = all_included(wanted);
            g.record(
                stage,
                Some(section.name.as_str()),
                program.bin.clone(),
                result,
                0.0,
            );
        }
        if !section.shared.is_empty() {
            let result = all_included(section.shared.iter().map(|f| ws.root.join(f)).collect());
            g.record(
                stage,
                Some(section.name.as_str()),
                "shared code".into(),
                result,
                0.0,
            );
        }
    }
    claims_backed(g, stage);
}

/// Every behavioural claim of every chapter is backed by a test or a
/// recorded run, or labelled (see `claims`); the check's name says how many
/// of each the chapter has.
fn claims_backed(g: &mut Grader<'_>, stage: &'static str) {
    use crate::claims::{Backing, excerpt, scan};
    let chapters = match book::chapters(g.ws) {
        Ok(c) => c,
        Err(e) => return g.record(stage, None, "SUMMARY.md".into(), Err(e), 0.0),
    };
    let mut totals = [0usize; 4];
    for chapter in chapters {
        let path = g.ws.root.join("book/src").join(&chapter);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                g.record(
                    stage,
                    None,
                    chapter.clone(),
                    Err(format!("{chapter}: {e}")),
                    0.0,
                );
                continue;
            }
        };
        let (claims, mut problems) = scan(&text);
        let mut counts = [0usize; 4];
        for claim in &claims {
            match claim.backing {
                Backing::Test | Backing::IncludedTest => counts[0] += 1,
                Backing::Recorded => counts[1] += 1,
                Backing::Label => counts[2] += 1,
                Backing::Unbacked => {
                    counts[3] += 1;
                    problems.push(format!(
                        "line {}: a claim with no test, recorded run or label: {}",
                        claim.line,
                        excerpt(&claim.text)
                    ));
                }
            }
        }
        for (t, c) in totals.iter_mut().zip(counts) {
            *t += c;
        }
        let section = sections::all()
            .iter()
            .find(|s| s.chapter == chapter)
            .map(|s| s.name.as_str());
        let name = format!(
            "claims in {chapter}: {} tested, {} recorded, {} labelled",
            counts[0], counts[1], counts[2]
        );
        let result = if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("book/src/{chapter}:\n{}", problems.join("\n")))
        };
        g.record(stage, section, name, result, 0.0);
    }
    g.record(
        stage,
        None,
        format!(
            "claims in the book: {} tested, {} recorded, {} labelled, {} unbacked",
            totals[0], totals[1], totals[2], totals[3]
        ),
        if totals[3] == 0 {
            Ok(())
        } else {
            Err(format!(
                "{} claims have no test, recorded run or label",
                totals[3]
            ))
        },
        0.0,
    );
}

impl Grader<'_> {
    /// Records checks whose error text starting "skip: " means skipped.
    fn outcomes(&mut self, stage: &'static str, results: Vec<(String, Result<(), String>)>) {
        for (name, result) in results {
            match result {
                Err(why) if why.starts_with("skip: ") => self.checks.push(Check {
                    stage,
                    section: None,
                    name,
                    outcome: Outcome::Skip,
                    detail: why.trim_start_matches("skip: ").to_string(),
                    seconds: 0.0,
                }),
                other => self.record(stage, None, name, other, 0.0),
            }
        }
    }

    /// Chapters that belong to no section (the introduction, ...).
    fn check_other_chapters(&mut self, stage: &'static str) {
        let chapters = match book::chapters(self.ws) {
            Ok(c) => c,
            Err(e) => return self.record(stage, None, "SUMMARY.md".into(), Err(e), 0.0),
        };
        for chapter in chapters {
            if sections::all().iter().any(|s| s.chapter == chapter) {
                continue;
            }
            self.timed(stage, None, chapter.clone(), |ws| {
                book::check_includes(ws, &ws.root.join("book/src").join(&chapter))
            });
        }
    }

    fn each_program(
        &mut self,
        stage: &'static str,
        f: impl Fn(&Workspace, &Program) -> Result<(), String>,
    ) {
        for section in self.sections.clone() {
            for program in &section.programs {
                self.timed(
                    stage,
                    Some(section.name.as_str()),
                    program.c_twin.clone(),
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
        self.timed(stage, section, name.to_string(), |ws| {
            run_cargo(ws, args, count_tests)
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

/// Runs cargo with `args`; on failure its output's end is the error. With
/// `count_tests`, a run that ran no test fails too.
fn run_cargo(ws: &Workspace, args: &[&str], count_tests: bool) -> Result<(), String> {
    let mut cmd = ws.cargo();
    cmd.args(args).env("CARGO_TERM_COLOR", "never");
    let run = run_bounded(cmd, CARGO_LIMIT).map_err(|e| format!("cannot run cargo: {e}"))?;
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
