//! `cargo xtask grade DIR`: grades one student's kit (or, with `--class`,
//! every kit of a folder).
//!
//! The checks come from this repository, never from the kit: the scratch
//! copy is rebuilt from the repository's sources, and only the files that
//! hold exercise regions (and any `build.rs`) are taken from the student.
//! Each exercise is checked by the transcripts of its cases and runs
//! against the reference program's (masked as parity masks them), by its
//! interop pairings with a reference peer on the other side, and by the
//! grader's probes; its points are all or nothing, per language, the best
//! language counting.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::json;
use sockref::Error;
use sockref::testing::GroupChild;

use super::builds::{self, Built, TestRef};
use super::hostile;
use super::kit::{self, Spec};
use super::sandbox::{self, BUILD, PROGRAM, Run, Sandbox, TESTS};
use super::{bodies, exercises};
use crate::Workspace;
use crate::normalize::{normalize, without_rust_only_lines};
use crate::programs::first_difference;
use crate::sections::{self, Exercise, Interop, Section};
use crate::stress::Peer;

/// One check of one exercise in one language.
#[derive(Debug, Clone)]
pub struct CheckResult {
    pub name: String,
    pub passed: bool,
    /// Not counted either way (a tool is missing, say), with the reason.
    pub skipped: bool,
    pub hidden: bool,
    pub detail: String,
    /// How long it took.
    pub seconds: f64,
}

/// One exercise in one language.
#[derive(Debug, Clone)]
pub struct LangResult {
    pub lang: &'static str,
    pub checks: Vec<CheckResult>,
}

impl LangResult {
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.passed || c.skipped)
    }

    /// The first failure, as the table shows it.
    pub fn reason(&self) -> String {
        match self.checks.iter().find(|c| !c.passed && !c.skipped) {
            None => String::new(),
            Some(c) if c.hidden => format!("{}: failed (a hidden check)", c.name),
            Some(c) => format!("{}: {}", c.name, c.detail),
        }
    }
}

/// One exercise of the kit.
#[derive(Debug, Clone)]
pub struct ExerciseResult {
    pub id: String,
    pub section: String,
    pub title: String,
    pub max: u32,
    pub langs: Vec<LangResult>,
}

impl ExerciseResult {
    pub fn score(&self) -> u32 {
        if self.langs.iter().any(LangResult::passed) {
            self.max
        } else {
            0
        }
    }
}

/// A graded kit.
#[derive(Debug)]
pub struct Graded {
    pub kit: String,
    pub missing: Vec<String>,
    pub exercises: Vec<ExerciseResult>,
    pub seconds: f64,
}

impl Graded {
    pub fn score(&self) -> (u32, u32) {
        (
            self.exercises.iter().map(ExerciseResult::score).sum(),
            self.exercises.iter().map(|e| e.max).sum(),
        )
    }
}

/// Where the grader keeps its outputs, caches and scratch copies.
pub fn grade_dir(ws: &Workspace) -> PathBuf {
    ws.target.join("grade")
}

/// Builds this repository's Rust programs `programs`, the reference side.
pub fn build_reference(ws: &Workspace, programs: &BTreeSet<String>) -> Result<(), String> {
    let mut cmd = ws.cargo();
    cmd.args(["build", "--quiet", "--bins"]);
    for p in programs {
        cmd.args(["-p", p]);
    }
    let run = sockref::testing::run_bounded(cmd, BUILD.wall).map_err(|e| format!("cargo: {e}"))?;
    if !run.output.status.success() {
        return Err(format!(
            "building the reference programs failed:\n{}",
            String::from_utf8_lossy(&run.output.stderr)
        ));
    }
    // A port is graded against the C twin's transcript.
    for (_, e) in exercises()
        .iter()
        .filter(|(_, e)| e.port && programs.contains(e.program()))
    {
        let program = find_program(e.program()).ok_or("a port names no program")?;
        crate::programs::build_c_twin(ws, program)?;
    }
    // The Rust programs are the reference, for C students too (less the
    // std:: lines), as parity compares them.
    Ok(())
}

fn find_program(bin: &str) -> Option<&'static sections::Program> {
    sections::all()
        .iter()
        .flat_map(|s| &s.programs)
        .find(|p| p.bin == bin)
}

/// One run of a reference program (Rust, or with `lang` "c" the C twin),
/// in `sandbox`'s network namespace if given.
pub fn reference_run(
    ws: &Workspace,
    lang: &str,
    program: &str,
    args: &[String],
    sandbox: Option<&Sandbox>,
) -> Result<Run, String> {
    let binary = if lang == "c" {
        ws.c_binary(program)
    } else {
        ws.rust_binary(program)
    };
    let cmd = match sandbox {
        Some(s) => s.reference(&binary, args),
        None => {
            let mut c = Command::new(&binary);
            c.args(args);
            c
        }
    };
    sandbox::run_capped(cmd, &PROGRAM).map_err(|e| format!("cannot run {}: {e}", binary.display()))
}

/// Reference transcripts, one per program and arguments, for a grading run.
#[derive(Debug, Default)]
pub struct References {
    runs: Mutex<HashMap<(String, Vec<String>), String>>,
}

impl References {
    fn get(
        &self,
        ws: &Workspace,
        sandbox: &Sandbox,
        lang: &str,
        program: &str,
        args: &[String],
    ) -> Result<String, String> {
        let key = (format!("{lang}:{program}"), args.to_vec());
        if let Some(t) = self.runs.lock().expect("references lock").get(&key) {
            return Ok(t.clone());
        }
        let run = reference_run(ws, lang, program, args, Some(sandbox))?;
        if let Some(why) = run.abnormal(PROGRAM.wall) {
            return Err(format!("the reference {program} {args:?} {why}"));
        }
        let text = full_text(&run);
        self.runs
            .lock()
            .expect("references lock")
            .insert(key, text.clone());
        Ok(text)
    }
}

/// Stdout, stderr and the status, as compared.
fn full_text(run: &Run) -> String {
    format!(
        "{}--- stderr ---\n{}[exit status {}]\n",
        run.stdout,
        run.stderr,
        run.code.map_or("killed".to_string(), |c| c.to_string())
    )
}

/// Keeps the lines of `text` that start with one of `prefixes`, with the
/// indented lines under each.
pub fn selected_lines(text: &str, prefixes: &[String]) -> String {
    let mut out = String::new();
    let mut keeping = false;
    for line in text.lines() {
        let indented = line.starts_with("  ");
        if !indented {
            keeping = prefixes.iter().any(|p| line.starts_with(p.as_str()));
        }
        if keeping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Compares a student's transcript with the reference's: all of it, or
/// only the exercise's lines of stdout.
pub fn compare(reference: &str, student: &str, lang: &str, lines: &[String]) -> Result<(), String> {
    let strip = |t: &str| {
        if lang == "c" {
            without_rust_only_lines(t)
        } else {
            t.to_string()
        }
    };
    let (want, got) = if lines.is_empty() {
        (normalize(&strip(reference)), normalize(student))
    } else {
        let stdout = |t: &str| {
            t.split("--- stderr ---\n")
                .next()
                .unwrap_or_default()
                .to_string()
        };
        (
            normalize(&selected_lines(&strip(&stdout(reference)), lines)),
            normalize(&selected_lines(&stdout(student), lines)),
        )
    };
    if want == got {
        return Ok(());
    }
    let blocked = student
        .lines()
        .find(|l| l.contains("is not done yet"))
        .map(|l| format!(" ({})", l.trim()))
        .unwrap_or_default();
    Err(format!(
        "differs from the reference{blocked} (- reference, + yours):\n{}",
        first_difference(&want, &got)
    ))
}

/// Grades the kit in `kit_dir`; writes nothing but its scratch copy.
/// How a kit is graded.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Exercises graded at once.
    pub workers: usize,
    /// The sandbox's fallback, whatever the machine allows.
    pub fallback: bool,
}

impl Options {
    /// `workers` at once, the fallback if the environment asks for it.
    pub fn new(workers: usize) -> Options {
        Options {
            workers,
            fallback: sandbox::fallback_asked(),
        }
    }
}

pub fn grade_kit(
    ws: &Workspace,
    kit_dir: &Path,
    uid: u32,
    refs: &References,
    options: Options,
) -> Result<Graded, Error> {
    let Options { workers, fallback } = options;
    let start = Instant::now();
    let spec = kit::read_spec(kit_dir)?;
    for lang in spec.langs() {
        let folder = if lang == "rust" { "rust" } else { "c" };
        if !kit_dir.join(folder).is_dir() {
            return Err(Error::usage(format!(
                "{}: the kit is of the wrong shape: kit.toml says {} but there is no {folder}/ folder",
                kit_dir.display(),
                spec.lang
            )));
        }
    }
    let name = kit_name(kit_dir);
    let scratch = grade_dir(ws).join(&name).join("scratch");
    let programs: BTreeSet<String> = spec
        .exercises
        .iter()
        .filter_map(|id| exercise(id))
        .map(|(_, e)| e.program().to_string())
        .collect();
    build_reference(ws, &programs).map_err(Error::runtime)?;
    // The cache: for a Rust build, and for the C tests' binaries.
    // The cache: for a Rust build, and for the C tests' binaries (which
    // need the sandbox's /kit).
    let isolating = sandbox::would_isolate(fallback);
    let c_tests = isolating && !builds::test_refs(&spec, "c").is_empty();
    let cache = if spec.has_lang("rust") || c_tests {
        Some(builds::ensure_cache(ws, uid, fallback).map_err(Error::runtime)?)
    } else {
        None
    };
    let scripted = builds::assemble(ws, kit_dir, &scratch, &spec).map_err(Error::runtime)?;
    let sandbox = Sandbox::with_fallback(&scratch, uid, fallback);
    let key = builds::build_key(&scratch, &spec, sandbox.isolated()).map_err(Error::runtime)?;
    let all_programs: BTreeSet<String> = spec
        .sections()
        .iter()
        .flat_map(|s| s.programs.iter().map(|p| p.bin.clone()))
        .collect();
    let built = match builds::reuse_build(ws, &key, &sandbox) {
        Some(built) => built,
        None => {
            if let Some(cache) = cache.as_ref().filter(|_| spec.has_lang("rust")) {
                builds::seed_target(&cache.target, &scratch).map_err(Error::runtime)?;
            }
            sandbox.hand_over();
            let built = builds::build_student(&sandbox, &spec, &all_programs, &scripted);
            builds::store_build(ws, &key, &sandbox, &built);
            built
        }
    };
    let c_tests = if spec.has_lang("c") && c_tests && sandbox.isolated() {
        Some(builds::c_test_layout(ws, &sandbox, &spec, cache.as_ref()))
    } else {
        None
    };
    let context = Context {
        ws,
        sandbox: &sandbox,
        refs,
        built: &built,
        scratch: &scratch,
        c_cc: c_tests.as_ref(),
    };
    sandbox.hand_over();
    // Each exercise in each language is one job; `workers` threads take
    // them in turn (most of a check is waiting for programs).
    let jobs: Vec<(&Section, &Exercise, &'static str)> = spec
        .exercises
        .iter()
        .filter_map(|id| exercise(id))
        .flat_map(|(section, e)| {
            spec.langs()
                .into_iter()
                .filter(|l| e.has(l))
                .map(move |lang| (section, e, lang))
        })
        .collect();
    let next = Mutex::new(0usize);
    let done: Mutex<Vec<Option<Vec<CheckResult>>>> = Mutex::new(vec![None; jobs.len()]);
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().expect("job counter");
                        *n += 1;
                        *n - 1
                    };
                    let Some((section, e, lang)) = jobs.get(i) else {
                        break;
                    };
                    let checks = grade_exercise(&context, section, e, lang);
                    done.lock().expect("results")[i] = Some(checks);
                }
            });
        }
    });
    let mut done = done.into_inner().expect("results").into_iter();
    let mut results: Vec<ExerciseResult> = Vec::new();
    for (section, e, lang) in &jobs {
        let checks = done.next().flatten().unwrap_or_default();
        match results.last_mut() {
            Some(last) if last.id == e.id => last.langs.push(LangResult { lang, checks }),
            _ => results.push(ExerciseResult {
                id: e.id.clone(),
                section: section.name.clone(),
                title: e.title.clone(),
                max: e.points,
                langs: vec![LangResult { lang, checks }],
            }),
        }
    }
    let missing = sandbox.missing().to_vec();
    drop(sandbox);
    Ok(Graded {
        kit: name,
        missing,
        exercises: results,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The first `n` lines of `text`.
pub fn first_lines(text: &str, n: usize) -> String {
    text.lines().take(n).collect::<Vec<_>>().join("\n")
}

/// A kit's name, from its folder.
pub fn kit_name(dir: &Path) -> String {
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "kit".into())
}

fn exercise(id: &str) -> Option<(&'static Section, &'static Exercise)> {
    exercises().into_iter().find(|(_, e)| e.id == id)
}

/// What one check found.
enum Verdict {
    Pass,
    Fail(String),
    /// Not counted either way, with the reason.
    Skip(String),
}

impl From<Result<(), String>> for Verdict {
    fn from(r: Result<(), String>) -> Verdict {
        match r {
            Ok(()) => Verdict::Pass,
            Err(why) => Verdict::Fail(why),
        }
    }
}

/// A check to run: its name, whether it is hidden, and the check.
type Planned<'a> = (String, bool, Box<dyn FnOnce() -> Verdict + 'a>);

/// What every exercise of a kit is graded with.
struct Context<'a> {
    ws: &'a Workspace,
    sandbox: &'a Sandbox,
    refs: &'a References,
    built: &'a Built,
    scratch: &'a Path,
    /// The `CC` of the C tests, once their layout is made (or why not).
    c_cc: Option<&'a Result<String, String>>,
}

fn grade_exercise(
    cx: &Context<'_>,
    section: &Section,
    e: &Exercise,
    lang: &'static str,
) -> Vec<CheckResult> {
    let Context {
        ws,
        sandbox,
        refs,
        built,
        scratch,
        ..
    } = *cx;
    let fail = |name: &str, detail: String| CheckResult {
        name: name.into(),
        passed: false,
        skipped: false,
        hidden: false,
        detail,
        seconds: 0.0,
    };
    // The markers must still be there, once.
    let marked = marker_count(ws, scratch, section, e, lang);
    if marked != 1 {
        return vec![fail(
            "markers",
            format!(
                "the markers of exercise {} are missing or doubled in your {lang} source",
                e.id
            ),
        )];
    }
    let binary = match built.binary(lang, e.program()) {
        Ok(b) => b,
        Err(why) => return vec![fail("build", why)],
    };
    let binary = binary.as_str();
    let program = find_program(e.program()).expect("exercises name programs");
    let mut plan: Vec<Planned<'_>> = Vec::new();
    let mut runs: Vec<(String, Vec<String>, bool)> = Vec::new();
    for c in program.cases.iter().filter(|c| e.cases.contains(&c.name)) {
        runs.push((c.name.clone(), c.args.clone(), false));
    }
    for r in &e.runs {
        runs.push((r.case.clone(), r.args.clone(), false));
    }
    for r in &e.hidden {
        runs.push((r.case.clone(), r.args.clone(), true));
    }
    for (case, args, hidden) in runs {
        let name = format!("{} {case}", if hidden { "hidden" } else { "case" });
        plan.push((
            name,
            hidden,
            Box::new(move || {
                let reference = if e.port { "c" } else { "rust" };
                refs.get(ws, sandbox, reference, e.program(), &args)
                    .and_then(|want| {
                        let run = student_run(sandbox, binary, &args)?;
                        if let Some(why) = run.abnormal(PROGRAM.wall) {
                            return Err(format!("your program {why}"));
                        }
                        let got = full_text(&run);
                        if e.port {
                            // The C twin prints no std:: lines.
                            compare(&want, &without_rust_only_lines(&got), "c", &e.lines)
                        } else {
                            compare(&want, &got, lang, &e.lines)
                        }
                    })
                    .into()
            }),
        ));
    }
    for pairing in &e.interop {
        let Some(interop) = section.interop.iter().find(|i| &i.name == pairing) else {
            continue;
        };
        for ip in hostile::IPS {
            plan.push((
                format!("interop {pairing} over {ip}"),
                false,
                Box::new(move || {
                    check_interop(ws, sandbox, binary, e.program(), interop, lang, ip).into()
                }),
            ));
        }
    }
    for probe in &e.probes {
        match probe.as_str() {
            "refused" => plan.push((
                format!("probe {probe}"),
                false,
                Box::new(move || probe_refused(ws, sandbox, binary, program, lang).into()),
            )),
            "fresh-socket" => plan.push((
                format!("probe {probe}"),
                false,
                Box::new(move || match probe_fresh_socket(sandbox, binary, program) {
                    Ok(()) => Verdict::Pass,
                    Err(Skip(why)) if why.starts_with("skipped") => Verdict::Skip(why),
                    Err(Skip(why)) => Verdict::Fail(why),
                }),
            )),
            "hostile-clients" => {
                for ip in hostile::IPS {
                    plan.push((
                        format!("probe {probe} over {ip}"),
                        false,
                        Box::new(move || hostile::probe_clients(sandbox, binary, ip).into()),
                    ));
                }
            }
            other => {
                let why = format!("unknown probe {other}");
                plan.push((
                    format!("probe {probe}"),
                    false,
                    Box::new(move || Verdict::Fail(why)),
                ));
            }
        }
    }
    for run in &e.hostile {
        for peer in run.peers.iter().filter_map(|p| Peer::from_key(p)) {
            for ip in hostile::IPS {
                plan.push((
                    format!(
                        "hostile {} over {ip} ({})",
                        peer.key(),
                        run.receiver_args.join(" ")
                    ),
                    false,
                    Box::new(move || {
                        hostile::check_receiver(sandbox, binary, run, peer, ip)
                            .map_err(|why| format!("{}: {why}", peer.name()))
                            .into()
                    }),
                ));
            }
        }
    }
    let links = if lang == "rust" { &e.tests } else { &e.c_tests };
    for link in links {
        let t = TestRef::parse(link);
        plan.push((
            format!("test {}", t.shown()),
            false,
            Box::new(move || reference_test(cx, &t, lang)),
        ));
    }
    // All or nothing: after the first failure the rest cannot change the
    // points, and is not run.
    let mut checks: Vec<CheckResult> = Vec::new();
    for (name, hidden, check) in plan {
        let t = Instant::now();
        let verdict = check();
        let seconds = t.elapsed().as_secs_f64();
        let (passed, skipped, detail) = match verdict {
            Verdict::Pass => (true, false, String::new()),
            Verdict::Skip(why) => (false, true, why),
            Verdict::Fail(why) => (false, false, why),
        };
        checks.push(CheckResult {
            name,
            passed,
            skipped,
            hidden,
            detail,
            seconds,
        });
        if !passed && !skipped {
            break;
        }
    }
    checks
}

/// One of this repository's tests against the student's code: in Rust,
/// the test binary compiled with the student's sources; in C, the cache's
/// binary, which compiles the student's C twin when it runs.
fn reference_test(cx: &Context<'_>, t: &TestRef, lang: &str) -> Verdict {
    let sandbox = cx.sandbox;
    let (binary, dir, env) = if lang == "rust" {
        match cx.built.test(&t.key()) {
            Ok(b) => (b, builds::package_dir(t), Vec::new()),
            Err(why) => return Verdict::Fail(format!("the test binary {why}")),
        }
    } else {
        if !sandbox.isolated() {
            return Verdict::Skip(
                "skipped: the C tests build your twin from the sandbox's /kit, and this machine has no private root for it".into(),
            );
        }
        let cc = match cx.c_cc {
            Some(Ok(cc)) => cc.clone(),
            Some(Err(why)) => return Verdict::Fail(why.clone()),
            None => return Verdict::Fail("the C tests were not prepared".into()),
        };
        (
            builds::c_test_binary(sandbox, t),
            String::new(),
            vec![("CC", cc)],
        )
    };
    let mut args: Vec<String> = vec!["--test-threads=2".into(), "-q".into()];
    if let Some(f) = &t.function {
        args.extend(["--exact".into(), f.clone()]);
    }
    let mut env = env;
    env.push(("RUST_BACKTRACE", "0".into()));
    let cmd = sandbox.command(&binary, &args, &dir, &TESTS, &env);
    let run = match sandbox::run_capped(cmd, &TESTS) {
        Ok(run) => run,
        Err(e) => return Verdict::Fail(format!("cannot run the test: {e}")),
    };
    if let Some(why) = run.abnormal(TESTS.wall) {
        return Verdict::Fail(format!("the test {why}"));
    }
    let ran = run
        .stdout
        .lines()
        .any(|l| l.starts_with("test result: ") && !l.contains(" 0 passed; 0 failed"));
    if run.code == Some(0) && ran {
        return Verdict::Pass;
    }
    if run.code == Some(0) {
        return Verdict::Fail("the test ran nothing (no test of that name?)".into());
    }
    Verdict::Fail(format!(
        "fails against your code:\n{}",
        test_failure(&run.stdout)
    ))
}

/// The first failing test's name and its panic message, from libtest's
/// output.
fn test_failure(stdout: &str) -> String {
    let mut lines = stdout.lines();
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        if line.starts_with("---- ") && line.ends_with(" stdout ----") {
            out.push(
                line.trim_matches('-')
                    .trim()
                    .trim_end_matches(" stdout")
                    .to_string(),
            );
            for more in lines.by_ref() {
                if more.is_empty() && out.len() == 1 {
                    continue;
                }
                if more.is_empty() || more.starts_with("---- ") || more == "failures:" {
                    break;
                }
                if !more.starts_with("note: run with `RUST_BACKTRACE") {
                    out.push(more.to_string());
                }
            }
            break;
        }
    }
    if out.is_empty() {
        first_lines(stdout, 8)
    } else {
        first_lines(&out.join("\n"), 8)
    }
}

/// How often the scratch copy's sources of `lang` mark exercise `e`.
fn marker_count(
    ws: &Workspace,
    scratch: &Path,
    section: &Section,
    e: &Exercise,
    lang: &str,
) -> usize {
    let spec = Spec {
        lang: lang.into(),
        exercises: vec![e.id.clone()],
        solved: false,
    };
    kit::kit_files(ws, &spec)
        .iter()
        .filter(|f| f.repo.starts_with(&section.dir) || f.repo.starts_with("lib/"))
        .filter_map(|f| fs::read_to_string(scratch.join(&f.kit)).ok())
        .map(|text| bodies(&text).iter().filter(|(id, _)| id == &e.id).count())
        .sum()
}

fn student_run(sandbox: &Sandbox, binary: &str, args: &[String]) -> Result<Run, String> {
    let cmd = sandbox.command(binary, args, "", &PROGRAM, &[]);
    sandbox::run_capped(cmd, &PROGRAM).map_err(|e| format!("cannot run your program: {e}"))
}

/// A receiver started with `IP 0 ARGS`, its port read from the first
/// line, then a sender pointed at it; both transcripts. Every wait is
/// bounded and the receiver's group is killed on every way out.
fn run_pair(
    receiver: Command,
    sender: impl FnOnce(String) -> Command,
) -> Result<(String, String), String> {
    let mut receiver = receiver;
    receiver
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut group =
        GroupChild::spawn(receiver).map_err(|e| format!("cannot start the receiver: {e}"))?;
    let stdout = group.child.stdout.take().expect("piped stdout");
    let stderr = group.child.stderr.take().expect("piped stderr");
    let (line_tx, line_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut all = String::new();
        let reader = BufReader::new(stdout.take(sandbox::OUTPUT_CAP as u64));
        for line in reader.lines().map_while(Result::ok) {
            let _ = line_tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        let mut err = String::new();
        let _ = stderr
            .take(sandbox::OUTPUT_CAP as u64)
            .read_to_string(&mut err);
        let _ = done_tx.send(all + &err);
    });
    let first = line_rx
        .recv_timeout(PROGRAM.wall)
        .map_err(|_| "the receiver printed no 'listening on' line".to_string())?;
    let port = first
        .split_whitespace()
        .find_map(|w| w.parse::<std::net::SocketAddr>().ok())
        .map(|a| a.port().to_string())
        .ok_or_else(|| format!("the receiver printed '{first}', not 'listening on IP:PORT'"))?;
    let sent = sandbox::run_capped(sender(port), &PROGRAM)
        .map_err(|e| format!("cannot run the sender: {e}"))?;
    let received = done_rx.recv_timeout(PROGRAM.wall);
    group.kill_group();
    let status = group.child.wait().ok().and_then(|s| s.code());
    let received = received.map_err(|_| "the receiver did not finish in time".to_string())?;
    if let Some(why) = sent.abnormal(PROGRAM.wall) {
        return Err(format!("the sender {why}"));
    }
    Ok((
        normalize(&format!("{received}[exit status {status:?}]\n")),
        normalize(&format!(
            "{}{}[exit status {:?}]\n",
            sent.stdout, sent.stderr, sent.code
        )),
    ))
}

/// The student's program on its side of `interop`, the reference on the
/// other, against both sides being the reference.
fn check_interop(
    ws: &Workspace,
    sandbox: &Sandbox,
    binary: &str,
    program: &str,
    interop: &Interop,
    lang: &str,
    ip: &str,
) -> Result<(), String> {
    let ip = ip.to_string();
    let recv_args = |extra: &[String]| {
        let mut a = vec![ip.clone(), "0".into()];
        a.extend(extra.iter().cloned());
        a
    };
    let send_args = |port: String| {
        let mut a = vec![ip.clone(), port];
        a.extend(interop.sender_args.iter().cloned());
        a
    };
    let ref_recv = ws.rust_binary(&interop.receiver);
    let ref_send = ws.rust_binary(&interop.sender);
    let want = run_pair(
        sandbox.reference(&ref_recv, &recv_args(&interop.receiver_args)),
        |port| sandbox.reference(&ref_send, &send_args(port)),
    )
    .map_err(|e| format!("the reference pair: {e}"))?;
    let student_receives = interop.receiver == program;
    let got = if student_receives {
        run_pair(
            sandbox.command(
                binary,
                &recv_args(&interop.receiver_args),
                "",
                &PROGRAM,
                &[],
            ),
            |port| sandbox.reference(&ref_send, &send_args(port)),
        )
    } else {
        run_pair(
            sandbox.reference(&ref_recv, &recv_args(&interop.receiver_args)),
            |port| sandbox.command(binary, &send_args(port), "", &PROGRAM, &[]),
        )
    }?;
    let strip = |t: &str| {
        if lang == "c" {
            without_rust_only_lines(t)
        } else {
            t.to_string()
        }
    };
    let (side, w, g) = if student_receives {
        ("receiver", strip(&want.0), got.0)
    } else {
        ("sender", strip(&want.1), got.1)
    };
    if w == g {
        Ok(())
    } else {
        Err(format!(
            "your {side} with the reference {} differs (- reference, + yours):\n{}",
            if student_receives {
                "sender"
            } else {
                "receiver"
            },
            first_difference(&w, &g)
        ))
    }
}

/// A port where nothing listens, where the student's program runs.
fn closed_port(sandbox: &Sandbox) -> Result<u16, String> {
    if sandbox.has_netns() {
        // A namespace of its own: nothing listens anywhere in it.
        Ok(9)
    } else {
        sockref::peer::closed_port()
            .map(|a| a.port())
            .map_err(|e| e.to_string())
    }
}

/// The client pointed at a closed port fails as the reference does.
fn probe_refused(
    ws: &Workspace,
    sandbox: &Sandbox,
    binary: &str,
    program: &sections::Program,
    lang: &str,
) -> Result<(), String> {
    let port = closed_port(sandbox)?;
    let mut args = vec!["127.0.0.1".to_string(), port.to_string()];
    args.extend(program.connects.clone().unwrap_or_default());
    let want = full_text(&reference_run(
        ws,
        "rust",
        &program.bin,
        &args,
        Some(sandbox),
    )?);
    let run = student_run(sandbox, binary, &args)?;
    if let Some(why) = run.abnormal(PROGRAM.wall) {
        return Err(format!("your program {why}"));
    }
    compare(&want, &full_text(&run), lang, &[])
}

#[derive(Debug)]
struct Skip(String);

/// Every connect attempt on a socket of its own: under strace, the
/// client pointed at a closed port makes as many sockets as connects.
fn probe_fresh_socket(
    sandbox: &Sandbox,
    binary: &str,
    program: &sections::Program,
) -> Result<(), Skip> {
    let strace = ["/usr/bin/strace", "/bin/strace"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .ok_or_else(|| Skip("skipped: strace is not installed".into()))?;
    let port = closed_port(sandbox).map_err(Skip)?;
    // A file of its own: exercises are graded side by side.
    static TRACES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!(
        "probe-trace-{}.txt",
        TRACES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let trace = sandbox.kit_path().join(&name);
    let _ = fs::remove_file(sandbox.scratch.join(&name));
    let mut args: Vec<String> = ["-f", "-qq", "-e", "trace=socket,connect", "-o"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(trace.display().to_string());
    args.extend([binary.to_string(), "127.0.0.1".into(), port.to_string()]);
    args.extend(program.connects.clone().unwrap_or_default());
    let run = sandbox::run_capped(sandbox.command(strace, &args, "", &PROGRAM, &[]), &PROGRAM)
        .map_err(|e| Skip(format!("cannot run strace: {e}")))?;
    if let Some(why) = run.abnormal(PROGRAM.wall) {
        return Err(Skip(format!("your program {why}")));
    }
    let text = fs::read_to_string(sandbox.scratch.join(&name))
        .map_err(|_| Skip("skipped: strace wrote no trace (ptrace refused?)".into()))?;
    let sockets = text
        .lines()
        .filter(|l| l.contains("socket(AF_INET, SOCK_STREAM"))
        .count();
    let connects = text.lines().filter(|l| l.contains("connect(")).count();
    if connects < 2 {
        return Err(Skip(format!(
            "a client pointed at a closed port made {connects} connect attempt(s); the schedule asks for 3"
        )));
    }
    if sockets < connects {
        return Err(Skip(format!(
            "{connects} connect attempts on {sockets} socket(s): a socket whose connect failed must not be reused (close it, make a new one)"
        )));
    }
    Ok(())
}

/// The per-exercise table, the failures, and `score: X/Y` last.
pub fn print_report(g: &Graded) {
    print!("{}", report_text(g));
}

/// What [`print_report`] prints: first, where the sandbox was incomplete,
/// the protections that were missing.
pub fn report_text(g: &Graded) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    macro_rules! println {
        ($($arg:tt)*) => {{
            let _ = writeln!(out, $($arg)*);
        }};
    }
    let (score, max) = g.score();
    if !g.missing.is_empty() {
        println!("sandbox: missing protections: {}", g.missing.join("; "));
    }
    println!("grade: kit {} ({:.1} s)", g.kit, g.seconds);
    println!("| exercise | lang | points | result |");
    println!("|---|---|---|---|");
    for e in &g.exercises {
        for l in &e.langs {
            let result = if l.passed() {
                "pass".to_string()
            } else {
                let first = first_lines(&l.reason(), 1);
                first
                    .trim_end_matches(" (- reference, + yours):")
                    .replace('|', "/")
            };
            let points = if l.passed() { e.max } else { 0 };
            println!("| {} | {} | {points}/{} | {result} |", e.id, l.lang, e.max);
        }
    }
    for e in &g.exercises {
        for l in e.langs.iter().filter(|l| !l.passed()) {
            println!("\nFAIL {} ({}): {}", e.id, l.lang, l.reason());
        }
    }
    println!("score: {score}/{max}");
    out
}

/// report.json, junit.xml and Gradescope's results.json into `dir`.
pub fn write_reports(g: &Graded, dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let (score, max) = g.score();
    let exercises: Vec<serde_json::Value> = g
        .exercises
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "section": e.section,
                "title": e.title,
                "score": e.score(),
                "max": e.max,
                "languages": e.langs.iter().map(|l| json!({
                    "lang": l.lang,
                    "passed": l.passed(),
                    "checks": l.checks.iter().map(|c| json!({
                        "name": c.name,
                        "passed": c.passed,
                        "skipped": c.skipped,
                        "hidden": c.hidden,
                        "detail": if c.hidden { String::new() } else { c.detail.clone() },
                        "seconds": (c.seconds * 100.0).round() / 100.0,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let report = json!({
        "kit": g.kit,
        "missing_protections": g.missing,
        "score": score,
        "max": max,
        "seconds": (g.seconds * 10.0).round() / 10.0,
        "exercises": exercises,
    });
    fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(&report)? + "\n",
    )?;
    // Gradescope's autograder format: one test per exercise.
    let tests: Vec<serde_json::Value> = g
        .exercises
        .iter()
        .map(|e| {
            let output = e
                .langs
                .iter()
                .map(|l| {
                    if l.passed() {
                        format!("{}: pass", l.lang)
                    } else {
                        format!("{}: {}", l.lang, l.reason())
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            json!({
                "name": e.id,
                "score": e.score(),
                "max_score": e.max,
                "output": output,
                "visibility": "visible",
            })
        })
        .collect();
    let mut results = json!({ "score": score, "tests": tests });
    if !g.missing.is_empty() {
        results["output"] = json!(format!("missing protections: {}", g.missing.join("; ")));
    }
    fs::write(
        dir.join("results.json"),
        serde_json::to_string_pretty(&results)? + "\n",
    )?;
    fs::write(dir.join("junit.xml"), junit(g))
}

fn junit(g: &Graded) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new(format!("grade {}", g.kit));
    report.set_time(Duration::from_secs_f64(g.seconds));
    let mut suite = TestSuite::new(g.kit.as_str());
    for e in &g.exercises {
        let status = if e.score() == e.max {
            TestCaseStatus::success()
        } else {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let reason = e.langs.first().map(LangResult::reason).unwrap_or_default();
            s.set_message(first_lines(&reason, 1));
            s.set_description(reason);
            s
        };
        let mut case = TestCase::new(e.id.as_str(), status);
        case.set_classname(format!("{}.{}", g.kit, e.section));
        suite.add_test_case(case);
    }
    report.add_test_suite(suite);
    report.to_string().expect("JUnit XML serializes")
}

/// Exercises of one kit graded at once (`cargo xtask grade DIR`); a class
/// grades its kits side by side instead, one exercise at a time each.
pub const WORKERS: usize = 3;

/// The uid student processes run as in job `slot` (one per parallel job,
/// so that one kit's processes never count against another's limits).
pub fn uid_for(slot: usize) -> u32 {
    if slot == 0 {
        65534
    } else {
        64500 + slot as u32
    }
}

/// `cargo xtask grade DIR`.
pub fn grade_command(ws: &Workspace, dir: &Path) -> Result<(), Error> {
    let refs = References::default();
    let g = grade_kit(ws, dir, uid_for(0), &refs, Options::new(WORKERS))?;
    print_report(&g);
    let out = grade_dir(ws).join(&g.kit);
    write_reports(&g, &out).map_err(|e| Error::runtime(format!("{}: {e}", out.display())))?;
    let _ = fs::remove_dir_all(out.join("scratch"));
    Ok(())
}

/// `cargo xtask grade --class DIR --jobs N`: every subfolder a kit; one
/// bad kit never stops the others.
pub fn class_command(ws: &Workspace, dir: &Path, jobs: usize) -> Result<(), Error> {
    if !dir.is_dir() {
        return Err(Error::usage(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    let mut kits: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| Error::usage(format!("{}: {e}", dir.display())))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    kits.sort();
    if kits.is_empty() {
        return Err(Error::usage(format!(
            "{} holds no kit folder",
            dir.display()
        )));
    }
    let start = Instant::now();
    // Built once, before the jobs share them.
    let all: BTreeSet<String> = exercises()
        .iter()
        .map(|(_, e)| e.program().to_string())
        .collect();
    build_reference(ws, &all).map_err(Error::runtime)?;
    builds::ensure_cache(ws, uid_for(0), sandbox::fallback_asked()).map_err(Error::runtime)?;
    let refs = References::default();
    let queue = Mutex::new(kits.iter().collect::<Vec<_>>());
    let outcomes: Mutex<Vec<(String, Result<Graded, String>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for slot in 0..jobs.max(1) {
            let (queue, outcomes, refs) = (&queue, &outcomes, &refs);
            scope.spawn(move || {
                loop {
                    let Some(kit) = queue.lock().expect("queue").pop() else {
                        break;
                    };
                    let name = kit_name(kit);
                    let result = grade_kit(ws, kit, uid_for(slot + 1), refs, Options::new(1))
                        .map_err(|e| e.to_string());
                    if let Ok(g) = &result {
                        let out = grade_dir(ws).join(&g.kit);
                        let _ = write_reports(g, &out);
                        let _ = fs::remove_dir_all(out.join("scratch"));
                    }
                    outcomes.lock().expect("outcomes").push((name, result));
                }
            });
        }
    });
    let mut outcomes = outcomes.into_inner().expect("outcomes");
    outcomes.sort_by(|a, b| a.0.cmp(&b.0));
    let ids: Vec<&str> = exercises().iter().map(|(_, e)| e.id.as_str()).collect();
    let mut csv = format!("student,{},total\n", ids.join(","));
    println!("| student | score | note |");
    println!("|---|---|---|");
    for (name, result) in &outcomes {
        match result {
            Ok(g) => {
                let (score, max) = g.score();
                let cells: Vec<String> = ids
                    .iter()
                    .map(|id| {
                        g.exercises
                            .iter()
                            .find(|e| e.id == *id)
                            .map_or(String::new(), |e| e.score().to_string())
                    })
                    .collect();
                csv.push_str(&format!(
                    "{},{},{score}\n",
                    csv_field(name),
                    cells.join(",")
                ));
                let note = if g.missing.is_empty() {
                    String::new()
                } else {
                    "sandbox incomplete".into()
                };
                println!("| {name} | {score}/{max} | {note} |");
            }
            Err(e) => {
                csv.push_str(&format!(
                    "{},{},0\n",
                    csv_field(name),
                    vec![""; ids.len()].join(",")
                ));
                println!("| {name} | not graded | {} |", first_lines(e, 1));
            }
        }
    }
    let path = grade_dir(ws).join("gradebook.csv");
    fs::create_dir_all(grade_dir(ws))
        .and_then(|()| fs::write(&path, csv))
        .map_err(|e| Error::runtime(format!("{}: {e}", path.display())))?;
    println!(
        "{} kit(s) graded in {:.1} s; gradebook: {}",
        outcomes.len(),
        start.elapsed().as_secs_f64(),
        crate::programs::display(ws, &path)
    );
    Ok(())
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
