//! The sections of the course, read from their folders.
//!
//! A section is a folder `crates/<section>/` holding a `section.toml`
//! manifest and one Cargo package per program (`<program>/src/main.rs`,
//! its C twin `<program>/c/<program>.c`), plus any library package its
//! programs share. Nothing here is a hand-kept list: sections are found by
//! globbing, ordered as their chapters are in `book/src/SUMMARY.md`, and
//! every path follows from the convention. The manifest says only what the
//! folder cannot: the title, the chapter, the textbook sections, and the
//! runs to record, compare and pair.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;

/// One textbook section: a chapter of the book and the packages teaching it.
#[derive(Debug)]
pub struct Section {
    /// The folder's name, which is what `--section` takes.
    pub name: String,
    /// `crates/<name>`, relative to the workspace root.
    pub dir: String,
    pub title: String,
    /// One line for the README's table.
    pub summary: String,
    /// The chapter, relative to `book/src`.
    pub chapter: String,
    /// Textbook sections the chapter follows ("APUE 16.7", "UNP 24.1").
    pub textbook: Vec<String>,
    /// Every Cargo package in the folder (tests and clippy run on these).
    pub packages: Vec<String>,
    /// Library code the programs share (Rust and C), relative to the
    /// workspace root; the chapter must show it.
    pub shared: Vec<String>,
    pub programs: Vec<Program>,
    /// Standalone runs of one program against another, Rust and C in every
    /// pairing, that must agree (see `programs::check_interop`).
    pub interop: Vec<Interop>,
    /// What students write: regions of the programs (see `course`).
    pub exercises: Vec<Exercise>,
    /// The seeds' programs, figures and rules this section proves (the
    /// book's seed-coverage table, `codegen::seeds_table`).
    pub seeds: Vec<Seed>,
}

/// One item of the source material: a program, a figure or a rule, and
/// the test that proves it on the running kernel, or why none does.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Seed {
    /// What the item is, in one line.
    pub item: String,
    /// Where the seeds state it: a textbook reference, `seed NNN`, `IBM rules`.
    pub source: String,
    /// The program of this section that shows it, if one does.
    pub program: Option<String>,
    /// `PATH#FUNCTION`, the path relative to the section folder when read,
    /// to the workspace root once loaded.
    pub test: Option<String>,
    /// Why no test here proves it.
    pub untested: Option<String>,
}

/// One exercise: a marked region of a program (Rust, C or both) that a
/// student writes, and how the grader checks it (`course::grade`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Exercise {
    /// `<program>/<name>`: the marker says `exercise: <id>`.
    pub id: String,
    /// The task, in one line.
    pub title: String,
    /// The textbook figure or section it builds on ("APUE figure 16.11").
    pub builds_on: String,
    /// Hints for the student, shown folded away in the chapter.
    pub hint: String,
    /// Points, all or nothing.
    pub points: u32,
    /// "rust", "c" or both: which sources carry the markers.
    pub languages: Vec<String>,
    /// Cases of the program (by name) whose transcripts must match.
    #[serde(default)]
    pub cases: Vec<String>,
    /// Graded runs of its own, shipped in the kit for self-checking.
    #[serde(default)]
    pub runs: Vec<ExerciseRun>,
    /// Graded runs never shipped: shown only as a score.
    #[serde(default)]
    pub hidden: Vec<ExerciseRun>,
    /// Compare only the lines starting with one of these (and the indented
    /// lines under them), for a program whose run shows several exercises.
    #[serde(default)]
    pub lines: Vec<String>,
    /// Interop pairings of the section, run with the student's program on
    /// its side and the reference program on the other.
    #[serde(default)]
    pub interop: Vec<String>,
    /// A check of the grader's own (`course::grade::PROBES`).
    #[serde(default)]
    pub probes: Vec<String>,
    /// The stress suite's hostile peers (`stress::Peer`, by key) against
    /// the student's receiver started with these arguments, over 127.0.0.1
    /// and ::1 (`course::hostile`).
    #[serde(default)]
    pub hostile: Vec<HostileRun>,
    /// This repository's tests of the region, run against the student's
    /// Rust: `PACKAGE/tests/FILE.rs` (every test of the file) or
    /// `...#FUNCTION`, relative to the section folder when read, to the
    /// workspace root once loaded.
    #[serde(default)]
    pub tests: Vec<String>,
    /// The same against the student's C: tests that build and run the C
    /// twin from the sources beside them.
    #[serde(default)]
    pub c_tests: Vec<String>,
    /// A port: the student writes in Rust what the C twin does, and the
    /// transcript to match is the C twin's.
    #[serde(default)]
    pub port: bool,
}

impl Exercise {
    /// The program whose sources hold the exercise.
    pub fn program(&self) -> &str {
        self.id.split('/').next().unwrap_or_default()
    }

    pub fn has(&self, lang: &str) -> bool {
        self.languages.iter().any(|l| l == lang)
    }
}

/// Hostile peers against a student's receiver: its arguments after
/// `IP 0`, and the peers by key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HostileRun {
    #[serde(default)]
    pub receiver_args: Vec<String>,
    pub peers: Vec<String>,
}

/// A run of an exercise: a name and the arguments.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseRun {
    pub case: String,
    #[serde(default)]
    pub args: Vec<String>,
}

/// A receiver started on a loopback address, port 0, and a sender pointed
/// at the port it prints; each side's program is run in Rust and in C.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Interop {
    pub name: String,
    pub receiver: String,
    #[serde(default)]
    pub receiver_args: Vec<String>,
    pub sender: String,
    #[serde(default)]
    pub sender_args: Vec<String>,
}

/// One program: a package with `src/main.rs`, and its C twin.
#[derive(Debug, Clone)]
pub struct Program {
    /// The package and binary name, which is also the C twin's.
    pub bin: String,
    /// The Rust source, relative to the workspace root.
    pub source: String,
    /// The C twin, relative to the workspace root.
    pub c_twin: String,
    /// Textbook figures the program implements ("APUE figure 16.10").
    pub figures: Vec<String>,
    /// Takes `IP PORT` and connects: graded on a port where nothing listens,
    /// with these extra arguments (to keep a retrying client short).
    pub connects: Option<Vec<String>>,
    pub cases: Vec<Case>,
}

/// One run of a program with fixed arguments.
#[derive(Debug, Clone)]
pub struct Case {
    /// Names the recorded output: `book/src/output/<bin>-<name>.txt`.
    pub name: String,
    pub args: Vec<String>,
    /// The book shows this run's output, recorded by `cargo xtask bless`.
    pub recorded: bool,
}

impl Case {
    #[cfg(test)]
    pub fn new(name: &str, args: &[&str], recorded: bool) -> Self {
        Case {
            name: name.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            recorded,
        }
    }
}

impl Program {
    /// A program of the section folder `dir`, paths by the convention.
    pub fn new(dir: &str, bin: &str) -> Self {
        Program {
            bin: bin.into(),
            source: format!("{dir}/{bin}/src/main.rs"),
            c_twin: format!("{dir}/{bin}/c/{bin}.c"),
            figures: Vec::new(),
            connects: None,
            cases: Vec::new(),
        }
    }

    /// The file under `book/src` that holds a case's recorded output.
    pub fn recorded_path(&self, case: &Case) -> String {
        format!("output/{}-{}.txt", self.bin, case.name)
    }

    /// The command a reader types for a case, shown atop its recorded output.
    pub fn command_line(&self, case: &Case) -> String {
        let mut line = format!("$ cargo run -q -p {}", self.bin);
        if !case.args.is_empty() {
            line.push_str(" --");
            for arg in &case.args {
                line.push(' ');
                line.push_str(&shell_quote(arg));
            }
        }
        line
    }
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/%=,@+".contains(&b));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// `crates/<section>/section.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Manifest {
    title: String,
    summary: String,
    chapter: String,
    #[serde(default)]
    textbook: Vec<String>,
    #[serde(default)]
    shared: Vec<String>,
    #[serde(default, rename = "program")]
    programs: Vec<ProgramEntry>,
    #[serde(default)]
    interop: Vec<Interop>,
    #[serde(default, rename = "exercise")]
    exercises: Vec<Exercise>,
    #[serde(default, rename = "seed")]
    seeds: Vec<Seed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ProgramEntry {
    name: String,
    #[serde(default)]
    figures: Vec<String>,
    connects: Option<Vec<String>>,
    #[serde(default)]
    record: Vec<CaseEntry>,
    #[serde(default)]
    parity: Vec<CaseEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseEntry {
    case: String,
    #[serde(default)]
    args: Vec<String>,
}

/// The name of the manifest in each section folder.
pub const MANIFEST: &str = "section.toml";

/// A textbook reference: `APUE 16.3.1`, `UNP 24.2`, `APUE figure 16.10`.
pub fn is_reference(text: &str) -> bool {
    let mut words = text.split(' ');
    let book = words.next();
    let mut number = words.next();
    if number == Some("figure") {
        number = words.next();
    }
    matches!(book, Some("APUE" | "UNP"))
        && words.next().is_none()
        && number.is_some_and(|n| {
            n.split('.').count() >= 2
                && n.split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// Where a seed item comes from: a textbook reference, one of the seed
/// files (`seed 000`, optionally followed by what in it), `IBM rules`, or
/// a file of apue.3e's sources (`apue.3e sockets/ruptimed-fd.c`).
pub fn is_seed_source(text: &str) -> bool {
    let seed_file = text.strip_prefix("seed ").is_some_and(|rest| {
        let number = rest.split(' ').next().unwrap_or_default();
        number.len() == 3 && number.bytes().all(|b| b.is_ascii_digit())
    });
    is_reference(text)
        || seed_file
        || text == "IBM rules"
        || text.strip_prefix("apue.3e ").is_some_and(|f| !f.is_empty())
}

/// `PATH#NAME`: the file exists under `root` and defines `fn NAME`;
/// `PATH` alone: a whole file of tests, which must exist.
pub fn check_test_link(root: &Path, link: &str) -> Result<(), String> {
    let (path, name) = link.split_once('#').unwrap_or((link, ""));
    let text = fs::read_to_string(root.join(path))
        .map_err(|e| format!("test link {link}: cannot read {path}: {e}"))?;
    if name.is_empty() {
        return Ok(());
    }
    let defined = text.match_indices(&format!("fn {name}")).any(|(at, m)| {
        let after = text[at + m.len()..].chars().next();
        matches!(after, Some('(' | '<'))
    });
    if defined {
        Ok(())
    } else {
        Err(format!("test link {link}: {path} defines no fn {name}"))
    }
}

/// Reads one section folder. Every problem is reported, naming the file.
pub fn load_section(root: &Path, dir: &Path) -> Result<Section, Vec<String>> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rel = format!("crates/{name}");
    let manifest_path = format!("{rel}/{MANIFEST}");
    let text = fs::read_to_string(dir.join(MANIFEST))
        .map_err(|e| vec![format!("{manifest_path}: {e}")])?;
    let manifest: Manifest =
        toml::from_str(&text).map_err(|e| vec![format!("{manifest_path}: {e}")])?;
    let mut problems = Vec::new();
    let packages = package_folders(dir);
    let mut programs = Vec::new();
    for entry in manifest.programs {
        let mut program = Program::new(&rel, &entry.name);
        for file in [&program.source, &program.c_twin] {
            if !root.join(file).is_file() {
                problems.push(format!(
                    "{manifest_path}: program {} has no {file}",
                    entry.name
                ));
            }
        }
        program.figures = entry.figures;
        program.connects = entry.connects;
        for (cases, recorded) in [(entry.record, true), (entry.parity, false)] {
            for c in cases {
                if program.cases.iter().any(|old| old.name == c.case) {
                    problems.push(format!(
                        "{manifest_path}: program {} has two cases named {}",
                        entry.name, c.case
                    ));
                }
                program.cases.push(Case {
                    name: c.case,
                    args: c.args,
                    recorded,
                });
            }
        }
        programs.push(program);
    }
    // Every package with a main.rs is a program the manifest must name.
    for package in &packages {
        let is_program = dir.join(package).join("src/main.rs").is_file();
        if is_program && !programs.iter().any(|p| &p.bin == package) {
            problems.push(format!(
                "{manifest_path}: {rel}/{package} is a program, but no [[program]] is named \"{package}\""
            ));
        }
    }
    for interop in &manifest.interop {
        for side in [&interop.receiver, &interop.sender] {
            if !programs.iter().any(|p| &p.bin == side) {
                problems.push(format!(
                    "{manifest_path}: interop '{}' names {side}, which is not a program of this section",
                    interop.name
                ));
            }
        }
    }
    let shared: Vec<String> = manifest
        .shared
        .iter()
        .map(|f| format!("{rel}/{f}"))
        .collect();
    for file in &shared {
        if !root.join(file).is_file() {
            problems.push(format!(
                "{manifest_path}: shared file {file} does not exist"
            ));
        }
    }
    problems.extend(check_exercises(
        &manifest_path,
        &manifest.exercises,
        &manifest.interop,
        &programs,
    ));
    let mut exercises = manifest.exercises;
    for e in &mut exercises {
        for test in e.tests.iter_mut().chain(e.c_tests.iter_mut()) {
            let package = test.split('/').next().unwrap_or_default();
            if !packages.iter().any(|p| p == package) || !test.contains("/tests/") {
                problems.push(format!(
                    "{manifest_path}: exercise {}: test {test}: expected PACKAGE/tests/FILE.rs[#FUNCTION] with a package of this section",
                    e.id
                ));
            }
            *test = format!("{rel}/{test}");
            if let Err(why) = check_test_link(root, test) {
                problems.push(format!("{manifest_path}: exercise {}: {why}", e.id));
            }
        }
    }
    let mut seeds = manifest.seeds;
    for seed in &mut seeds {
        let mut bad =
            |what: String| problems.push(format!("{manifest_path}: seed '{}': {what}", seed.item));
        if !is_seed_source(&seed.source) {
            bad(format!(
                "source '{}' is not a textbook reference, seed NNN, IBM rules or apue.3e FILE",
                seed.source
            ));
        }
        if let Some(p) = &seed.program
            && !programs.iter().any(|q| &q.bin == p)
        {
            bad(format!("program {p} is not a program of this section"));
        }
        match (&mut seed.test, &seed.untested) {
            (Some(test), None) if !test.contains('#') => {
                bad(format!("test {test}: expected PATH#FUNCTION"));
            }
            (Some(test), None) => {
                *test = format!("{rel}/{test}");
                if let Err(e) = check_test_link(root, test) {
                    bad(e);
                }
            }
            (None, Some(why)) if !why.trim().is_empty() => {}
            _ => bad("needs exactly one of test = \"PATH#FUNCTION\" or untested = \"why\"".into()),
        }
    }
    let figures = programs.iter().flat_map(|p| &p.figures);
    let builds_on = exercises.iter().map(|e| &e.builds_on);
    for reference in manifest.textbook.iter().chain(figures).chain(builds_on) {
        if !is_reference(reference) {
            problems.push(format!(
                "{manifest_path}: '{reference}' is not a textbook reference (APUE 16.7, UNP 24.2, APUE figure 16.10)"
            ));
        }
    }
    if !root.join("book/src").join(&manifest.chapter).is_file() {
        problems.push(format!(
            "{manifest_path}: its chapter book/src/{} does not exist",
            manifest.chapter
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Section {
        name,
        dir: rel,
        title: manifest.title,
        summary: manifest.summary,
        chapter: manifest.chapter,
        textbook: manifest.textbook,
        packages,
        shared,
        programs,
        interop: manifest.interop,
        exercises,
        seeds,
    })
}

/// Each `[[exercise]]` names a program of the section, languages it can
/// have, and only cases, pairings and probes that exist.
fn check_exercises(
    path: &str,
    exercises: &[Exercise],
    interop: &[Interop],
    programs: &[Program],
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for e in exercises {
        let mut bad = |what: String| problems.push(format!("{path}: exercise {}: {what}", e.id));
        if !seen.insert(e.id.as_str()) {
            bad("declared twice".into());
        }
        let name = e.id.split_once('/').map(|(_, n)| n).unwrap_or_default();
        let Some(program) = programs.iter().find(|p| p.bin == e.program()) else {
            bad(format!(
                "the id must be <program>/<name> with a program of this section, not '{}'",
                e.program()
            ));
            continue;
        };
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            bad("the name after the '/' must be lowercase letters, digits and '-'".into());
        }
        if e.points == 0 {
            bad("points must be at least 1".into());
        }
        if e.languages.is_empty() || e.languages.iter().any(|l| l != "rust" && l != "c") {
            bad("languages must be \"rust\", \"c\" or both".into());
        }
        for case in &e.cases {
            if !program.cases.iter().any(|c| &c.name == case) {
                bad(format!("program {} has no case {case}", program.bin));
            }
        }
        for pairing in &e.interop {
            match interop.iter().find(|i| &i.name == pairing) {
                None => bad(format!("the section has no interop pairing '{pairing}'")),
                Some(i) if i.receiver != program.bin && i.sender != program.bin => bad(format!(
                    "interop pairing '{pairing}' does not involve {}",
                    program.bin
                )),
                Some(_) => {}
            }
        }
        for probe in &e.probes {
            if !crate::course::PROBES.contains(&probe.as_str()) {
                bad(format!(
                    "no probe '{probe}' (probes: {})",
                    crate::course::PROBES.join(", ")
                ));
            }
        }
        for run in &e.hostile {
            for peer in &run.peers {
                if peer == crate::stress::Peer::MegabyteThenUrgent.key() {
                    bad(format!(
                        "hostile peer '{peer}': a receiver's transcript of it is larger than the grader keeps of a student's output"
                    ));
                } else if crate::stress::Peer::from_key(peer).is_none() {
                    let keys: Vec<&str> = crate::stress::PEERS.iter().map(|p| p.key()).collect();
                    bad(format!(
                        "no hostile peer '{peer}' (peers: {})",
                        keys.join(", ")
                    ));
                }
            }
        }
        if e.port && e.languages != ["rust"] {
            bad("a port is written in Rust from the C twin: languages = [\"rust\"]".into());
        }
        if !e.c_tests.is_empty() && !e.has("c") {
            bad("c-tests, but no C region".into());
        }
        if !e.tests.is_empty() && !e.has("rust") {
            bad("tests, but no Rust region".into());
        }
        if e.cases.is_empty()
            && e.runs.is_empty()
            && e.interop.is_empty()
            && e.probes.is_empty()
            && e.hostile.is_empty()
            && e.tests.is_empty()
        {
            bad("nothing grades it: give cases, runs, interop, probes, hostile or tests".into());
        }
    }
    problems
}

/// The Cargo packages directly inside `dir`, sorted.
fn package_folders(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    found
}

/// Every section under `root/crates`, in the order of their chapters in
/// the book (`chapters` lists chapter paths relative to `book/src`).
pub fn load(root: &Path, chapters: &[String]) -> Result<Vec<Section>, String> {
    let mut sections = Vec::new();
    let mut problems = Vec::new();
    let mut dirs: Vec<PathBuf> = fs::read_dir(root.join("crates"))
        .map_err(|e| format!("crates/: {e}"))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        if !dir.join(MANIFEST).is_file() {
            let name = dir.file_name().unwrap_or_default().to_string_lossy();
            problems.push(format!(
                "crates/{name} has no {MANIFEST}: every folder under crates/ is a section"
            ));
            continue;
        }
        match load_section(root, &dir) {
            Ok(s) => sections.push(s),
            Err(p) => problems.extend(p),
        }
    }
    for s in &sections {
        if !chapters.contains(&s.chapter) {
            problems.push(format!(
                "book/src/SUMMARY.md does not list {}, the chapter of section {} ({}/{MANIFEST})",
                s.chapter, s.name, s.dir
            ));
        }
    }
    let mut owner: std::collections::BTreeMap<&str, &str> = Default::default();
    for s in &sections {
        for p in &s.programs {
            if let Some(other) = owner.insert(&p.bin, &s.name) {
                problems.push(format!(
                    "sections {other} and {} both have a program named {}",
                    s.name, p.bin
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    sections.sort_by_key(|s| chapters.iter().position(|c| *c == s.chapter));
    Ok(sections)
}

static SECTIONS: OnceLock<Vec<Section>> = OnceLock::new();

/// Loads the sections once per process; later calls return the same list.
pub fn init(root: &Path, chapters: &[String]) -> Result<&'static [Section], String> {
    if let Some(s) = SECTIONS.get() {
        return Ok(s);
    }
    let loaded = load(root, chapters)?;
    Ok(SECTIONS.get_or_init(|| loaded))
}

/// The sections loaded by [`init`].
pub fn all() -> &'static [Section] {
    SECTIONS.get().map_or(&[], Vec::as_slice)
}

/// The section named `name`, for `--section`.
pub fn find(name: &str) -> Option<&'static Section> {
    all().iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_references() {
        for good in ["APUE 16.3.1", "UNP 24.2", "APUE figure 16.10"] {
            assert!(is_reference(good), "{good}");
        }
        for bad in [
            "APUE",
            "apue 16.1",
            "UNP 24",
            "APUE figure",
            "TLPI 61.1",
            "UNP 24.2 x",
        ] {
            assert!(!is_reference(bad), "{bad}");
        }
    }

    #[test]
    fn seed_sources() {
        for good in [
            "UNP figure 24.11",
            "seed 000",
            "seed 001 addr03",
            "IBM rules",
            "apue.3e sockets/ruptimed-fd.c",
        ] {
            assert!(is_seed_source(good), "{good}");
        }
        for bad in ["seed 0", "seed", "IBM", "apue.3e ", "the notes"] {
            assert!(!is_seed_source(bad), "{bad}");
        }
    }

    #[test]
    fn test_links_name_a_function_that_exists() {
        let dir = std::env::temp_dir().join(format!("xtask-test-link-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("t.rs"),
            "#[test]\nfn marks_move() {}\nfn generic<T>() {}\n",
        )
        .unwrap();
        assert_eq!(check_test_link(&dir, "t.rs#marks_move"), Ok(()));
        assert_eq!(check_test_link(&dir, "t.rs#generic"), Ok(()));
        let prefix = check_test_link(&dir, "t.rs#marks").unwrap_err();
        assert!(prefix.contains("defines no fn marks"), "{prefix}");
        assert_eq!(check_test_link(&dir, "t.rs"), Ok(()));
        assert!(check_test_link(&dir, "missing.rs#x").is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn command_lines_quote_what_the_shell_would_split() {
        let program = Program::new("crates/demo", "demo");
        let case = Case::new("x", &["1.2.3.4 junk", "", "plain"], true);
        assert_eq!(
            program.command_line(&case),
            "$ cargo run -q -p demo -- '1.2.3.4 junk' '' plain"
        );
    }
}
