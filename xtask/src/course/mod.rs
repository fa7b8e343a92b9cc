//! Course mode: exercises for students, and grading what they hand back.
//!
//! An exercise is declared once, as an `[[exercise]]` of its section's
//! manifest, and marked once in each reference source that holds it:
//!
//! ```text
//! // exercise: connect-retry/backoff        /* exercise: connect-retry/backoff */
//! ...the reference solution...             ...the reference solution...
//! // end exercise                           /* end exercise */
//! ```
//!
//! The marked regions are both the answer key and, replaced by a stub, the
//! starter code: `kit` writes a student's kit from them, `grade` grades one
//! (or a class), `hostile` runs the stress suite's peers and clients
//! against a student's program, `sandbox` is where student code runs.

pub mod builds;
pub mod grade;
pub mod hostile;
pub mod kit;
pub mod sandbox;
pub mod selftest;
#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};

use crate::sections::{self, Exercise, Section};

/// The grader's own checks an exercise may name (see `grade`).
pub const PROBES: &[&str] = &["refused", "fresh-socket", "hostile-clients"];

/// The languages of a kit, as `--lang` takes them.
pub const LANGS: &[&str] = &["rust", "c"];

/// One marked region of a reference source.
#[derive(Debug, Clone)]
pub struct Region {
    pub id: String,
    /// Relative to the workspace root.
    pub file: String,
    pub lang: &'static str,
    /// Line index of the opening marker (0-based).
    pub start: usize,
}

/// The language of a source file, by its extension.
pub fn lang_of(path: &Path) -> Option<&'static str> {
    match path.extension()?.to_str()? {
        "rs" => Some("rust"),
        "c" | "h" => Some("c"),
        _ => None,
    }
}

/// The exercise id an opening marker line names, if it is one.
pub fn opening(line: &str) -> Option<&str> {
    let t = line.trim();
    let rest = t.strip_prefix("// exercise:").or_else(|| {
        t.strip_prefix("/* exercise:")
            .and_then(|r| r.strip_suffix("*/"))
    })?;
    Some(rest.trim())
}

/// Whether a line is a closing marker.
pub fn closing(line: &str) -> bool {
    matches!(line.trim(), "// end exercise" | "/* end exercise */")
}

/// The regions of one file's text, or what is wrong with its markers.
pub fn regions_in(file: &str, lang: &'static str, text: &str) -> Result<Vec<Region>, String> {
    let mut found = Vec::new();
    let mut open: Option<(String, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(id) = opening(line) {
            if let Some((outer, _)) = &open {
                return Err(format!(
                    "{file}:{}: exercise {id} opens inside exercise {outer}",
                    i + 1
                ));
            }
            open = Some((id.to_string(), i));
        } else if closing(line) {
            let Some((id, start)) = open.take() else {
                return Err(format!(
                    "{file}:{}: `end exercise` with no exercise open",
                    i + 1
                ));
            };
            found.push(Region {
                id,
                file: file.to_string(),
                lang,
                start,
            });
        }
    }
    if let Some((id, start)) = open {
        return Err(format!(
            "{file}:{}: exercise {id} is never closed",
            start + 1
        ));
    }
    Ok(found)
}

/// Every region of every source under `crates/` and `lib/`.
pub fn all_regions(root: &Path) -> Result<Vec<Region>, String> {
    let mut files = Vec::new();
    for top in ["crates", "lib"] {
        source_files(&root.join(top), &mut files);
    }
    files.sort();
    let mut regions = Vec::new();
    let mut problems = Vec::new();
    for path in files {
        let Some(lang) = lang_of(&path) else { continue };
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let text = fs::read_to_string(&path).map_err(|e| format!("{rel}: {e}"))?;
        match regions_in(&rel, lang, &text) {
            Ok(r) => regions.extend(r),
            Err(e) => problems.push(e),
        }
    }
    if problems.is_empty() {
        Ok(regions)
    } else {
        Err(problems.join("\n"))
    }
}

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                source_files(&path, out);
            }
        } else if lang_of(&path).is_some() {
            out.push(path);
        }
    }
}

/// Declared exercises against markers: each declared language has exactly
/// one region in the exercise's section, and each region is declared.
pub fn check_markers(sections: &[Section], regions: &[Region]) -> Vec<String> {
    let mut problems = Vec::new();
    for s in sections {
        for e in &s.exercises {
            for lang in LANGS {
                let n = regions
                    .iter()
                    .filter(|r| r.id == e.id && r.lang == *lang && r.file.starts_with(&s.dir))
                    .count();
                match (e.has(lang), n) {
                    (true, 1) | (false, 0) => {}
                    (true, 0) => problems.push(format!(
                        "{}/{}: exercise {} is declared for {lang}, but no {lang} source under {} marks it",
                        s.dir,
                        sections::MANIFEST,
                        e.id,
                        s.dir
                    )),
                    (true, n) => problems.push(format!(
                        "exercise {} is marked {n} times in {lang} sources",
                        e.id
                    )),
                    (false, _) => problems.push(format!(
                        "exercise {} is marked in {lang}, but {}/{} does not declare {lang}",
                        e.id,
                        s.dir,
                        sections::MANIFEST
                    )),
                }
            }
        }
    }
    for r in regions {
        let declared = sections
            .iter()
            .any(|s| r.file.starts_with(&s.dir) && s.exercises.iter().any(|e| e.id == r.id));
        if !declared {
            problems.push(format!(
                "{}:{}: marks exercise {}, which no section manifest beside it declares",
                r.file,
                r.start + 1,
                r.id
            ));
        }
    }
    problems
}

/// Every declared exercise with its section, in book order.
pub fn exercises() -> Vec<(&'static Section, &'static Exercise)> {
    sections::all()
        .iter()
        .flat_map(|s| s.exercises.iter().map(move |e| (s, e)))
        .collect()
}

/// The stub that replaces a region's body: it compiles and fails clearly.
/// `signature` is the enclosing function's header (through its `{`).
pub fn stub(lang: &str, id: &str, signature: &str, indent: &str) -> Vec<String> {
    let message = format!("exercise {id} is not done yet");
    if lang == "rust" {
        let ret = signature
            .rsplit_once("->")
            .map(|(_, r)| r.trim().trim_end_matches('{').trim().to_string())
            .unwrap_or_default();
        // A part of a self-demo says so and lets the rest run; anything
        // else that must return a value cannot, and stops.
        let body = if ret.is_empty() {
            vec![
                format!("eprintln!(\"error: {message}\");"),
                "return;".into(),
            ]
        } else if ret.starts_with("Result<()") {
            vec![
                format!("eprintln!(\"error: {message}\");"),
                "return Ok(());".into(),
            ]
        } else {
            vec![format!("panic!(\"{message}\")")]
        };
        body.into_iter().map(|l| format!("{indent}{l}")).collect()
    } else {
        let head = signature.split('(').next().unwrap_or_default();
        let say = format!("fprintf(stderr, \"error: {message}\\n\");");
        let body = if head.ends_with(" main") {
            // A part of main: say so and go on with the next part.
            vec![say]
        } else if head.contains("void ") {
            vec![say, "return;".into()]
        } else if head.contains('*') {
            vec![say, "errno = ENOSYS;".into(), "return NULL;".into()]
        } else {
            vec![say, "errno = ENOSYS;".into(), "return -1;".into()]
        };
        body.into_iter().map(|l| format!("{indent}{l}")).collect()
    }
}

/// The header of the function enclosing line `at` of `lines`.
pub fn enclosing_signature(lang: &str, lines: &[&str], at: usize) -> String {
    let is_head = |l: &str| {
        if lang == "rust" {
            let t = l.trim_start();
            t.starts_with("fn ") || t.starts_with("pub fn ") || t.starts_with("pub(crate) fn ")
        } else {
            !l.is_empty()
                && !l.starts_with([' ', '\t', '{', '}', '/', '#', '*'])
                && l.contains('(')
                && !l.trim_end().ends_with(';')
        }
    };
    let Some(head) = (0..at).rev().find(|&i| is_head(lines[i])) else {
        return String::new();
    };
    let mut sig = String::new();
    for line in &lines[head..at] {
        sig.push_str(line.trim());
        sig.push(' ');
        if line.trim_end().ends_with('{') {
            break;
        }
    }
    sig
}

/// `text` with every region whose id `replace` accepts swapped for its
/// stub; markers stay, so the student sees where to write.
pub fn stubbed(lang: &str, text: &str, replace: impl Fn(&str) -> bool) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        out.push(line.to_string());
        if let Some(id) = opening(line).filter(|id| replace(id)) {
            let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
            out.extend(stub(
                lang,
                id,
                &enclosing_signature(lang, &lines, i),
                &indent,
            ));
            while i + 1 < lines.len() && !closing(lines[i + 1]) {
                i += 1;
            }
        }
        i += 1;
    }
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    joined
}

/// The body of each region of `text` (between its markers), by id.
pub fn bodies(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in text.lines() {
        if let Some(id) = opening(line) {
            current = Some((id.to_string(), Vec::new()));
        } else if closing(line) {
            if let Some((id, body)) = current.take() {
                found.push((id, body.join("\n")));
            }
        } else if let Some((_, body)) = &mut current {
            body.push(line);
        }
    }
    found
}

/// The generated part of a chapter's "Exercises": every exercise of the
/// section, with its task, what a correct solution prints, hints folded
/// away, and exactly how it is graded, all from the manifest.
pub fn exercises_block(section: &Section) -> String {
    let mut out = String::new();
    for e in &section.exercises {
        let program = section.programs.iter().find(|p| p.bin == e.program());
        let langs = match (e.has("rust"), e.has("c")) {
            (true, true) => "Rust or C",
            (true, false) => "Rust",
            _ => "C",
        };
        let plural = if e.points == 1 { "" } else { "s" };
        let task = if e.port {
            let function = program
                .and_then(|p| {
                    let root = crate::Workspace::locate().ok()?.root;
                    let text = std::fs::read_to_string(root.join(&p.source)).ok()?;
                    let lines: Vec<&str> = text.lines().collect();
                    let at = lines
                        .iter()
                        .position(|l| opening(l) == Some(e.id.as_str()))?;
                    let sig = enclosing_signature("rust", &lines, at);
                    let name = sig
                        .split("fn ")
                        .nth(1)?
                        .split('(')
                        .next()?
                        .trim()
                        .to_string();
                    Some(name)
                })
                .unwrap_or_else(|| "the function".into());
            format!(
                "a port: the kit gives you the C twin as `port/{0}.c`; write in Rust, in the region between `exercise: {1}` and `end exercise` of the program `{0}`, what its C function `{function}` does",
                e.program(),
                e.id
            )
        } else {
            format!(
                "write the region between `exercise: {}` and `end exercise` in the program `{}`",
                e.id,
                e.program()
            )
        };
        out.push_str(&format!(
            "### `{}`: {}\n\nBuilds on {}. {} point{plural}, in {langs}: {task}.\n\n",
            e.id, e.title, e.builds_on, e.points,
        ));
        // What a correct solution prints: a recorded run, where one is.
        let recorded = program.and_then(|p| {
            p.cases
                .iter()
                .find(|c| c.recorded && e.cases.contains(&c.name))
                .map(|c| (p, c))
        });
        match recorded {
            Some((p, c)) if !e.port => {
                let only = if e.lines.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (the exercise's lines are those starting {})",
                        quoted(&e.lines)
                    )
                };
                out.push_str(&format!(
                    "A correct solution prints what the reference prints{only}:\n\n```text\n{{{{#include {}}}}}\n```\n\n",
                    p.recorded_path(c)
                ));
            }
            _ if e.port => {
                out.push_str(&format!(
                    "A correct solution prints what the C twin prints{}.\n\n",
                    if e.lines.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (the exercise's lines are those starting {})",
                            quoted(&e.lines)
                        )
                    }
                ));
            }
            _ => {
                let runs = kit::public_runs(e);
                let lines: Vec<String> = runs
                    .iter()
                    .map(|(_, args)| {
                        format!("`cargo run -q -p {} -- {}`", e.program(), args.join(" "))
                    })
                    .collect();
                out.push_str(&format!(
                    "A correct solution prints what the reference prints for {}: the same table the chapter shows above for its own values.\n\n",
                    lines.join(", ")
                ));
            }
        }
        out.push_str(&format!(
            "<details>\n<summary>Hints</summary>\n\n{}\n\n</details>\n\n",
            e.hint
        ));
        out.push_str(
            "How it is graded (all or nothing in each language; the better language counts):\n\n",
        );
        for (case, args) in kit::public_runs(e) {
            let shown = if args.is_empty() {
                "no arguments".to_string()
            } else {
                format!("`{}`", args.join(" "))
            };
            let part = if e.lines.is_empty() {
                "stdout, stderr and exit status".to_string()
            } else {
                format!("the stdout lines starting {}", quoted(&e.lines))
            };
            if e.port {
                out.push_str(&format!(
                    "- case `{case}` ({shown}): {part} match the C twin's, less your lines beginning with `std::`, ports, pids and times masked\n"
                ));
                continue;
            }
            out.push_str(&format!(
                "- case `{case}` ({shown}): {part} match the reference program's, ports, pids and times masked (in C, less the `std::` lines)\n"
            ));
        }
        for pairing in &e.interop {
            if let Some(i) = section.interop.iter().find(|i| &i.name == pairing) {
                let (mine, theirs, other) = if i.receiver == e.program() {
                    ("receiver", "sender", &i.sender)
                } else {
                    ("sender", "receiver", &i.receiver)
                };
                out.push_str(&format!(
                    "- interop `{pairing}`: your program as the {mine}, the reference `{other}` as the {theirs}, over 127.0.0.1 and over ::1; your side's transcript matches the all-reference run\n"
                ));
            }
        }
        for probe in &e.probes {
            let text = match probe.as_str() {
                "refused" => {
                    "pointed at a port where nothing listens, your client fails as the reference does: one `error: connect to ...: Connection refused` line, exit status 1"
                }
                "fresh-socket" => {
                    "traced with strace against a closed port, your client makes a new socket for every connect attempt"
                }
                "hostile-clients" => {
                    "your server, started with `127.0.0.1 0` and with `::1 0`, meets the stress suite's misbehaving clients (connect and close, garbage, silence, a half-close, a reset), then a client that resets its connection while it waits in the accept queue; it must still answer the next client with its status line, and still be running"
                }
                _ => "a check of the grader's own",
            };
            out.push_str(&format!("- probe `{probe}`: {text}\n"));
        }
        for run in &e.hostile {
            let peers: Vec<String> = run
                .peers
                .iter()
                .filter_map(|p| crate::stress::Peer::from_key(p))
                .map(|p| format!("`{}` ({})", p.key(), p.name()))
                .collect();
            let waiting: Vec<String> = run
                .peers
                .iter()
                .filter_map(|p| crate::stress::Peer::from_key(p))
                .filter(|p| p.receiver_may_wait_for_eof())
                .map(|p| format!("`{}`", p.key()))
                .collect();
            let wait = if waiting.is_empty() {
                String::new()
            } else {
                format!(
                    " (and `--wait-eof`, reading once the stream has ended, for {})",
                    waiting.join(", ")
                )
            };
            out.push_str(&format!(
                "- hostile peers, each over 127.0.0.1 and ::1, against your receiver started as `{} IP 0 --timeout 5 {}`{wait}: {}; it must end by itself with status 0 or 1, report no byte that was not sent, and lose none the kernel delivered\n",
                e.program(),
                run.receiver_args.join(" "),
                peers.join(", ")
            ));
        }
        for (lang, links) in [("Rust", &e.tests), ("C", &e.c_tests)] {
            for link in links {
                let t = builds::TestRef::parse(link);
                let how = if lang == "Rust" {
                    "compiled with your Rust and run"
                } else {
                    "run with your C twin (it compiles your sources itself)"
                };
                out.push_str(&format!(
                    "- test [`{}`](test:{link}) (for {lang}): this repository's test, {how}; it must pass\n",
                    t.shown()
                ));
            }
        }
        if !e.hidden.is_empty() {
            out.push_str(&format!(
                "- {} hidden run(s), not in the kit: shown only as pass or fail\n",
                e.hidden.len()
            ));
        }
        out.push_str("- every run in the grader's sandbox, with a time limit\n\n");
    }
    out
}

fn quoted(list: &[String]) -> String {
    list.iter()
        .map(|l| format!("`{}`", l.trim_end()))
        .collect::<Vec<_>>()
        .join(", ")
}
