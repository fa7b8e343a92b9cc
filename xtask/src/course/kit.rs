//! `cargo xtask course new DIR`: a student's kit, standalone.
//!
//! ```text
//! DIR/kit.toml          what the kit holds (its language and exercises)
//! DIR/README.md         how to build, run and self-check
//! DIR/selfcheck.sh      runs the public cases and compares with expected/
//! DIR/expected/         the reference transcripts of the public cases
//! DIR/rust/             a Cargo workspace: the support crate and the sections
//! DIR/c/                the C twins, include/ (sockref.h, the sections' headers), a Makefile
//! ```
//!
//! Every file is a copy of this repository's, with the regions of the
//! kit's exercises replaced by stubs (or kept, with `--solved`). The grader
//! rebuilds the same layout from the repository and takes from a student's
//! kit only the files that hold regions (and a `build.rs`, run sandboxed).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sockref::Error;

use super::{LANGS, exercises, stubbed};
use crate::Workspace;
use crate::sections::{self, Section};

/// `kit.toml`: what a kit holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// "rust", "c" or "both".
    pub lang: String,
    /// Exercise ids, in book order.
    pub exercises: Vec<String>,
    /// The answer key: the reference solutions are in place.
    #[serde(default)]
    pub solved: bool,
}

impl Spec {
    /// A spec for `lang` and `only` (every exercise when empty), checked
    /// against the manifests.
    pub fn new(lang: &str, only: &[String], solved: bool) -> Result<Spec, Error> {
        if !["rust", "c", "both"].contains(&lang) {
            return Err(Error::usage(format!(
                "--lang takes c, rust or both, not '{lang}'"
            )));
        }
        let known: Vec<&str> = exercises().iter().map(|(_, e)| e.id.as_str()).collect();
        for id in only {
            if !known.contains(&id.as_str()) {
                return Err(Error::usage(format!(
                    "no exercise '{id}' (exercises: {})",
                    known.join(", ")
                )));
            }
        }
        let chosen: Vec<String> = exercises()
            .iter()
            .filter(|(_, e)| only.is_empty() || only.contains(&e.id))
            .filter(|(_, e)| lang == "both" || e.has(lang))
            .map(|(_, e)| e.id.clone())
            .collect();
        if chosen.is_empty() {
            return Err(Error::usage(format!("no exercise of {only:?} has {lang}")));
        }
        Ok(Spec {
            lang: lang.to_string(),
            exercises: chosen,
            solved,
        })
    }

    pub fn has_lang(&self, lang: &str) -> bool {
        self.lang == "both" || self.lang == lang
    }

    pub fn langs(&self) -> Vec<&'static str> {
        LANGS.iter().copied().filter(|l| self.has_lang(l)).collect()
    }

    /// The sections the kit's exercises belong to, in book order.
    pub fn sections(&self) -> Vec<&'static Section> {
        sections::all()
            .iter()
            .filter(|s| s.exercises.iter().any(|e| self.exercises.contains(&e.id)))
            .collect()
    }
}

/// Reads `DIR/kit.toml`; a missing or malformed one is a usage error.
pub fn read_spec(dir: &Path) -> Result<Spec, Error> {
    if !dir.exists() {
        return Err(Error::usage(format!("{} does not exist", dir.display())));
    }
    if !dir.is_dir() {
        return Err(Error::usage(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    let path = dir.join("kit.toml");
    let text = fs::read_to_string(&path).map_err(|_| {
        let empty = fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(true);
        Error::usage(if empty {
            format!(
                "{} is empty: not a kit (make one with `cargo xtask course new`)",
                dir.display()
            )
        } else {
            format!(
                "{} has no kit.toml: not a kit made by `cargo xtask course new`",
                dir.display()
            )
        })
    })?;
    let spec: Spec = toml::from_str(&text)
        .map_err(|e| Error::usage(format!("{}: {}", path.display(), e.message())))?;
    // The ids must still be exercises of this repository.
    Spec::new(&spec.lang, &spec.exercises, spec.solved).map(|checked| Spec {
        exercises: checked.exercises,
        ..spec
    })
}

/// One file of a kit: where it comes from in the repository.
#[derive(Debug, Clone)]
pub struct KitFile {
    /// Relative to the workspace root.
    pub repo: String,
    /// Relative to the kit.
    pub kit: String,
}

/// The repository files a kit copies, and where each goes.
pub fn kit_files(ws: &Workspace, spec: &Spec) -> Vec<KitFile> {
    let mut files = Vec::new();
    let mut add = |repo: String, kit: String| files.push(KitFile { repo, kit });
    let sections = spec.sections();
    if spec.has_lang("rust") {
        for rel in tree(&ws.root, "lib/sockref", &["src", "Cargo.toml"]) {
            let kit = rel.replacen("lib/sockref", "rust/sockref", 1);
            add(rel, kit);
        }
        for s in &sections {
            for package in &s.packages {
                let dir = format!("{}/{package}", s.dir);
                for rel in tree(&ws.root, &dir, &["src", "tests", "Cargo.toml"]) {
                    let kit = format!("rust/{}", rel.trim_start_matches("crates/"));
                    add(rel, kit);
                }
            }
        }
        // A port's C twin, to read and port (the kit's other exercises
        // stubbed in it, as everywhere).
        for (_, e) in exercises()
            .iter()
            .filter(|(_, e)| e.port && spec.exercises.contains(&e.id))
        {
            if let Some(p) = sections::all()
                .iter()
                .flat_map(|s| &s.programs)
                .find(|p| p.bin == e.program())
            {
                add(p.c_twin.clone(), format!("port/{}.c", p.bin));
            }
        }
        // Other libraries of lib/ that a section's packages use (the lab,
        // for the heartbeat's tests) sit beside the support crate.
        for name in lib_dependencies(ws, spec) {
            let dir = format!("lib/{name}");
            for rel in tree(&ws.root, &dir, &["src", "Cargo.toml"]) {
                let kit = rel.replacen("lib/", "rust/", 1);
                add(rel, kit);
            }
        }
    }
    if spec.has_lang("c") {
        add(
            "lib/sockref/c/sockref.h".into(),
            "c/include/sockref.h".into(),
        );
        for s in &sections {
            for package in &s.packages {
                let dir = format!("{}/{package}/c", s.dir);
                for rel in tree(&ws.root, &dir, &[""]) {
                    let name = rel.rsplit('/').next().unwrap_or_default().to_string();
                    if name.ends_with(".h") {
                        add(rel, format!("c/include/{name}"));
                    } else if name.ends_with(".c") {
                        add(rel, format!("c/{name}"));
                    }
                }
            }
        }
    }
    files
}

/// Files under `root/dir/<part>` for each part ("" for `dir` itself),
/// relative to `root`, sorted.
fn tree(root: &Path, dir: &str, parts: &[&str]) -> Vec<String> {
    fn walk(path: &Path, out: &mut Vec<PathBuf>) {
        if path.is_file() {
            out.push(path.to_path_buf());
        } else if let Ok(entries) = fs::read_dir(path) {
            for e in entries.flatten() {
                walk(&e.path(), out);
            }
        }
    }
    let mut found = Vec::new();
    for part in parts {
        let path = if part.is_empty() {
            root.join(dir)
        } else {
            root.join(dir).join(part)
        };
        walk(&path, &mut found);
    }
    let mut rel: Vec<String> = found
        .iter()
        .filter_map(|p| p.strip_prefix(root).ok())
        .map(|p| p.display().to_string())
        .collect();
    rel.sort();
    rel
}

/// The text of a kit file: the repository's, with the kit's exercises
/// stubbed (or left solved).
pub fn kit_text(ws: &Workspace, spec: &Spec, file: &KitFile) -> Result<String, String> {
    let text =
        fs::read_to_string(ws.root.join(&file.repo)).map_err(|e| format!("{}: {e}", file.repo))?;
    if file.repo.starts_with("crates/") && file.repo.ends_with("/Cargo.toml") {
        // crates/<section>/<package> to lib/<name> is three folders up; in
        // the kit, rust/<section>/<package> to rust/<name> is two.
        return Ok(text.replace("\"../../../lib/", "\"../../"));
    }
    let Some(lang) = super::lang_of(Path::new(&file.repo)) else {
        return Ok(text);
    };
    if spec.solved {
        return Ok(text);
    }
    Ok(stubbed(lang, &text, |id| {
        spec.exercises.iter().any(|e| e == id)
    }))
}

/// The packages of `lib/` other than the support crate that the kit's
/// sections name in their manifests (`../../../lib/<name>`).
fn lib_dependencies(ws: &Workspace, spec: &Spec) -> Vec<String> {
    let mut names = Vec::new();
    for s in spec.sections() {
        for package in &s.packages {
            let manifest = ws.root.join(&s.dir).join(package).join("Cargo.toml");
            let text = fs::read_to_string(manifest).unwrap_or_default();
            for part in text.split("\"../../../lib/").skip(1) {
                let name = part
                    .split(['"', '/'])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if !name.is_empty() && name != "sockref" && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    names.sort();
    names
}

/// The kit's own workspace manifest: the repository's, with the kit's
/// members and the support crate beside them.
pub fn cargo_manifest(ws: &Workspace, spec: &Spec) -> Result<String, String> {
    let text = fs::read_to_string(ws.root.join("Cargo.toml")).map_err(|e| e.to_string())?;
    let mut doc: toml::Table = toml::from_str(&text).map_err(|e| e.to_string())?;
    let workspace = doc
        .get_mut("workspace")
        .and_then(|w| w.as_table_mut())
        .ok_or("Cargo.toml has no [workspace]")?;
    let mut members = vec![toml::Value::from("sockref")];
    members.extend(
        lib_dependencies(ws, spec)
            .into_iter()
            .map(toml::Value::from),
    );
    for s in spec.sections() {
        members.push(toml::Value::from(format!("{}/*", s.name)));
    }
    workspace.insert("members".into(), toml::Value::Array(members));
    workspace.remove("default-members");
    if let Some(deps) = workspace
        .get_mut("dependencies")
        .and_then(|d| d.as_table_mut())
    {
        let mut sockref = toml::Table::new();
        sockref.insert("path".into(), "sockref".into());
        deps.insert("sockref".into(), toml::Value::Table(sockref));
    }
    let body = toml::to_string(&doc).map_err(|e| e.to_string())?;
    Ok(format!(
        "# A student kit of sockref (cargo xtask course new): its own workspace.\n{body}"
    ))
}

/// The flags the grader and the kit's Makefile compile C with: the twins'
/// flags, less -Werror (a student's warning is not a failed build).
pub const STUDENT_CC_FLAGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-O1", "-pthread"];

/// The C programs of a kit (one per twin).
pub fn c_programs(spec: &Spec) -> Vec<String> {
    spec.sections()
        .iter()
        .flat_map(|s| s.programs.iter().map(|p| p.bin.clone()))
        .collect()
}

fn makefile(spec: &Spec) -> String {
    let programs = c_programs(spec);
    let mut out = format!(
        "# The C half of a sockref kit: `make` builds every program into build/.\nCC ?= cc\nCFLAGS ?= {}\nPROGRAMS = {}\n\nall: $(addprefix build/,$(PROGRAMS))\n\nbuild/%: %.c include/*.h\n\t@mkdir -p build\n\t$(CC) $(CFLAGS) -Iinclude $< -o $@\n\nclean:\n\trm -rf build\n\n.PHONY: all clean\n",
        STUDENT_CC_FLAGS.join(" "),
        programs.join(" ")
    );
    out.push('\n');
    out
}

/// The public runs of an exercise: its program's named cases and its own
/// runs (never the hidden ones), as (case name, args).
pub fn public_runs(e: &sections::Exercise) -> Vec<(String, Vec<String>)> {
    let program = sections::all()
        .iter()
        .flat_map(|s| &s.programs)
        .find(|p| p.bin == e.program());
    let mut runs = Vec::new();
    if let Some(p) = program {
        for c in p.cases.iter().filter(|c| e.cases.contains(&c.name)) {
            runs.push((c.name.clone(), c.args.clone()));
        }
    }
    for r in &e.runs {
        runs.push((r.case.clone(), r.args.clone()));
    }
    runs
}

fn readme(spec: &Spec) -> String {
    let mut out = String::from(
        "# Your sockets kit\n\nMade by `cargo xtask course new` from the sockref course. Each exercise is a\nregion of a program between two markers,\n\n    // exercise: <id>          (in C: /* exercise: <id> */)\n    ...your code...\n    // end exercise            (in C: /* end exercise */)\n\nand until you write it, the region holds a stub that prints\n`error: exercise <id> is not done yet`. Write only between the markers, and\nkeep the markers: the grader takes your code from there (and builds the rest\nfrom the course's own copy). The book's chapter for each section has an\n\"Exercises\" part: the task, what a correct program prints, hints, and how it\nis graded.\n\n## Exercises\n\n| exercise | task | points | builds on |\n|---|---|---|---|\n",
    );
    for (_, e) in exercises()
        .iter()
        .filter(|(_, e)| spec.exercises.contains(&e.id))
    {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            e.id, e.title, e.points, e.builds_on
        ));
    }
    if spec.has_lang("rust") {
        out.push_str("\n## Rust\n\n```console\n$ cd rust\n$ cargo build              # every program, into rust/target/debug/\n$ cargo run -p services -- --port 80\n$ cargo test -p services   # the course's public tests of that program\n```\n");
    }
    if spec.has_lang("c") {
        out.push_str("\n## C\n\n```console\n$ cd c\n$ make                     # every program, into c/build/\n$ ./build/services --port 80\n```\n");
    }
    out.push_str(
        "\n## Self-check\n\n```console\n$ ./selfcheck.sh           # builds, runs every public case, compares with expected/\n```\n\nIt prints `ok` or the difference for each case, with port numbers and\nprocess ids masked. The grader runs the same cases, the reference peers in\nboth directions over 127.0.0.1 and ::1, peers and clients with hostile\ntiming, the course's own tests of your functions (its copy of `tests/`,\nnot yours: keep each function's signature), and some hidden checks, each\nwith a time limit, in a sandbox without network access beyond loopback.\n",
    );
    if exercises()
        .iter()
        .any(|(_, e)| e.port && spec.exercises.contains(&e.id))
    {
        out.push_str(
            "\n## Ports\n\nAn exercise whose title says \"Port\" asks for a function of a C program\nwritten in Rust: `port/` holds the C program to read. Your Rust program's\nlines are compared with what the C program prints.\n",
        );
    }
    out
}

fn selfcheck(spec: &Spec) -> String {
    let mut out = String::from(
        "#!/bin/sh\n# Runs the public cases of this kit's exercises and compares each output\n# with expected/ (ports, pids and times masked). Written by cargo xtask course new.\ncd \"$(dirname \"$0\")\" || exit 2\nmask() { sed -E 's/:[0-9]{2,5}\\b/:PORT/g; s/pid [0-9]+/pid PID/g; s/[0-9]+\\.[0-9]+ (s|ms)\\b/T \\1/g'; }\nfailed=0\ncheck() { # LANG BINARY CASE-FILE ARGS...\n  lang=$1; bin=$2; expected=$3; shift 3\n  [ -x \"$bin\" ] || { echo \"$lang $expected: not built ($bin)\"; failed=1; return; }\n  got=$(timeout 20 \"$bin\" \"$@\" 2>&1)\n  code=$?\n  if [ $code -ne 0 ]; then got=\"$got\n[exit status $code]\"; fi\n  want=$(cat \"expected/$expected\")\n  if [ \"$lang\" = c ]; then want=$(printf '%s\\n' \"$want\" | grep -v '^std::'); fi\n  if [ \"$lang\" = rust-port ]; then got=$(printf '%s\\n' \"$got\" | grep -v '^std::'); fi\n  if [ \"$(printf '%s\\n' \"$got\" | mask)\" = \"$(printf '%s\\n' \"$want\" | mask)\" ]; then\n    echo \"ok   $lang $expected\"\n  else\n    echo \"FAIL $lang $expected\"; failed=1\n    printf '%s\\n' \"$want\" | mask > /tmp/selfcheck-want.$$\n    printf '%s\\n' \"$got\" | mask | diff /tmp/selfcheck-want.$$ - | head -5\n    rm -f /tmp/selfcheck-want.$$\n  fi\n}\n",
    );
    if spec.has_lang("rust") {
        out.push_str("(cd rust && cargo build --quiet) || failed=1\n");
    }
    if spec.has_lang("c") {
        out.push_str("make -s -C c || failed=1\n");
    }
    for (_, e) in exercises()
        .iter()
        .filter(|(_, e)| spec.exercises.contains(&e.id))
    {
        for (case, args) in public_runs(e) {
            let quoted: Vec<String> = args
                .iter()
                .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
                .collect();
            let file = expected_name(e, &case);
            for lang in spec.langs().into_iter().filter(|l| e.has(l)) {
                let bin = if lang == "rust" {
                    format!("rust/target/debug/{}", e.program())
                } else {
                    format!("c/build/{}", e.program())
                };
                // A port's Rust is compared with the C twin's transcript.
                let shown = if e.port { "rust-port" } else { lang };
                out.push_str(&format!(
                    "check {shown} {bin} {file} {}\n",
                    quoted.join(" ")
                ));
            }
        }
    }
    out.push_str("exit $failed\n");
    out
}

/// The file under `expected/` for a case of an exercise's program (a
/// port's is the C twin's transcript, kept apart).
pub fn expected_name(e: &sections::Exercise, case: &str) -> String {
    if e.port {
        format!("{}-{case}.c-twin.txt", e.program())
    } else {
        format!("{}-{case}.txt", e.program())
    }
}

/// `cargo xtask course new`.
pub fn new_kit(ws: &Workspace, dir: &Path, spec: &Spec) -> Result<(), Error> {
    if dir.exists() {
        let empty = dir.is_dir()
            && fs::read_dir(dir)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
        if !empty {
            return Err(Error::usage(format!(
                "{} already exists: give a new folder",
                dir.display()
            )));
        }
    }
    write_tree(ws, dir, spec).map_err(Error::runtime)?;
    write_expected(ws, dir, spec)?;
    println!(
        "wrote a {}kit of {} exercise(s) ({}) into {}",
        if spec.solved { "solved " } else { "" },
        spec.exercises.len(),
        spec.lang,
        dir.display()
    );
    Ok(())
}

/// Every file of the kit but `expected/`: also the grader's scratch copy.
pub fn write_tree(ws: &Workspace, dir: &Path, spec: &Spec) -> Result<(), String> {
    let write = |rel: &str, text: &str| -> Result<(), String> {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().expect("kit file has a parent"))
            .and_then(|()| fs::write(&path, text))
            .map_err(|e| format!("write {}: {e}", path.display()))
    };
    for file in kit_files(ws, spec) {
        write(&file.kit, &kit_text(ws, spec, &file)?)?;
    }
    if spec.has_lang("rust") {
        write("rust/Cargo.toml", &cargo_manifest(ws, spec)?)?;
        let lock = fs::read_to_string(ws.root.join("Cargo.lock")).map_err(|e| e.to_string())?;
        write("rust/Cargo.lock", &lock)?;
    }
    if spec.has_lang("c") {
        write("c/Makefile", &makefile(spec))?;
    }
    write(
        "kit.toml",
        &format!(
            "# What this kit holds; the grader reads it.\n{}",
            toml::to_string(spec).map_err(|e| e.to_string())?
        ),
    )?;
    write("README.md", &readme(spec))?;
    write("selfcheck.sh", &selfcheck(spec))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(dir.join("selfcheck.sh"), fs::Permissions::from_mode(0o755));
    }
    Ok(())
}

/// `expected/`: the reference transcripts of the public runs, from this
/// repository's programs (built here if need be).
fn write_expected(ws: &Workspace, dir: &Path, spec: &Spec) -> Result<(), Error> {
    let programs: BTreeSet<String> = exercises()
        .iter()
        .filter(|(_, e)| spec.exercises.contains(&e.id))
        .map(|(_, e)| e.program().to_string())
        .collect();
    super::grade::build_reference(ws, &programs).map_err(Error::runtime)?;
    fs::create_dir_all(dir.join("expected"))
        .map_err(|e| Error::runtime(format!("{}: {e}", dir.display())))?;
    for (_, e) in exercises()
        .iter()
        .filter(|(_, e)| spec.exercises.contains(&e.id))
    {
        for (case, args) in public_runs(e) {
            let reference = if e.port { "c" } else { "rust" };
            let run = super::grade::reference_run(ws, reference, e.program(), &args, None)
                .map_err(Error::runtime)?;
            let path = dir.join("expected").join(expected_name(e, &case));
            fs::write(&path, run.text())
                .map_err(|err| Error::runtime(format!("write {}: {err}", path.display())))?;
        }
    }
    Ok(())
}
