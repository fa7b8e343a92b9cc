//! Building a student's kit: the scratch copy, the shared cache, the
//! sandboxed builds, and reusing the binaries of identical sources.
//!
//! The scratch copy is this repository's kit with the student's region
//! files (and any `build.rs`) laid over it. Its Rust workspace builds over
//! a copy of the shared cache (the solved kit, built once at the same path
//! in a sandbox), with every file identical to the cache's given one old
//! modification time, so cargo recompiles only what the student changed.
//! A section whose folder holds a student's `build.rs` is built apart,
//! under [`SCRIPT_BUILD`]'s short limits: the script runs at build time.
//!
//! The same builds make the test binaries of this repository's tests that
//! the kit's exercises name (`tests` in the manifests), compiled against
//! the student's sources. The C half of those tests (`c-tests`) comes from
//! the cache: compiled from the solved kit, those binaries build the C twin
//! from `rust/crates/...` beside the workspace at run time, where
//! [`c_test_layout`] puts the student's C files.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use serde_json::json;

use super::grade::{first_lines, grade_dir};
use super::kit::{self, Spec};
use super::sandbox::{self, BUILD, C_BUILD, CACHE_BUILD, Limits, SCRIPT_BUILD, Sandbox};
use super::{bodies, exercises};
use crate::Workspace;
use crate::sections::{self, Section};

/// A program or test binary as the sandbox sees it, or why there is none.
pub type Made = Result<String, String>;

/// What the student's build produced.
#[derive(Debug, Default)]
pub struct Built {
    /// Program → its binary.
    pub rust: BTreeMap<String, Made>,
    pub c: BTreeMap<String, Made>,
    /// `package/test` → the test binary, compiled against the student's Rust.
    pub tests: BTreeMap<String, Made>,
}

impl Built {
    pub fn binary(&self, lang: &str, program: &str) -> Made {
        let map = if lang == "rust" { &self.rust } else { &self.c };
        map.get(program)
            .cloned()
            .unwrap_or_else(|| Err("not built".into()))
    }

    pub fn test(&self, key: &str) -> Made {
        self.tests
            .get(key)
            .cloned()
            .unwrap_or_else(|| Err("not built".into()))
    }
}

/// One of this repository's tests, as a manifest names it
/// (`crates/<section>/<package>/tests/<file>.rs[#function]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRef {
    pub package: String,
    /// The test target: the file's name without `.rs`.
    pub target: String,
    pub function: Option<String>,
}

impl TestRef {
    pub fn parse(link: &str) -> TestRef {
        let (path, function) = match link.split_once('#') {
            Some((p, f)) => (p, Some(f.to_string())),
            None => (link, None),
        };
        let (folder, file) = path.split_once("/tests/").unwrap_or((path, ""));
        TestRef {
            package: folder.rsplit('/').next().unwrap_or_default().to_string(),
            target: file.trim_end_matches(".rs").to_string(),
            function,
        }
    }

    /// The key of its binary in [`Built::tests`] and the cache's list.
    pub fn key(&self) -> String {
        format!("{}/{}", self.package, self.target)
    }

    /// As the report names it.
    pub fn shown(&self) -> String {
        match &self.function {
            Some(f) => format!("{}/tests/{}.rs#{f}", self.package, self.target),
            None => format!("{}/tests/{}.rs", self.package, self.target),
        }
    }
}

/// The test binaries `spec`'s exercises need in `lang` ("rust": `tests`,
/// "c": `c-tests`).
pub fn test_refs(spec: &Spec, lang: &str) -> Vec<TestRef> {
    let mut refs = Vec::new();
    for (_, e) in exercises()
        .iter()
        .filter(|(_, e)| spec.exercises.contains(&e.id))
    {
        let links = if lang == "rust" { &e.tests } else { &e.c_tests };
        for link in links {
            let t = TestRef::parse(link);
            if !refs.iter().any(|r: &TestRef| r.key() == t.key()) {
                refs.push(t);
            }
        }
    }
    refs
}

/// The grader's shared Rust build cache: the solved kit of every exercise,
/// built once in a sandbox at the same path, so a student's build
/// recompiles only what differs from it.
fn cache_dir(ws: &Workspace, fallback: bool) -> PathBuf {
    // Paths differ inside and outside the sandbox: a cache for each.
    if sandbox::would_isolate(fallback) {
        grade_dir(ws).join("cache")
    } else {
        grade_dir(ws).join("cache-unsandboxed")
    }
}

/// The modification time given to every file that is the same as in the
/// cache's kit, so cargo sees it as unchanged.
fn old_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000)
}

pub fn full_spec() -> Spec {
    Spec {
        lang: "both".into(),
        exercises: exercises().iter().map(|(_, e)| e.id.clone()).collect(),
        solved: true,
    }
}

/// The cache: its kit's `rust/target`, and its test binaries (`package/test`
/// → the file on the host), for the C tests.
#[derive(Debug)]
pub struct Cache {
    pub target: PathBuf,
    pub tests: BTreeMap<String, PathBuf>,
}

/// Builds (or refreshes) the shared cache. Only trusted code is in it.
pub fn ensure_cache(ws: &Workspace, uid: u32, fallback: bool) -> Result<Cache, String> {
    let dir = cache_dir(ws, fallback);
    let kit = dir.join("kit");
    let spec = Spec {
        lang: "rust".into(),
        ..full_spec()
    };
    let mut tests = test_refs(&full_spec(), "rust");
    for t in test_refs(&full_spec(), "c") {
        if !tests.iter().any(|r| r.key() == t.key()) {
            tests.push(t);
        }
    }
    let stamp = dir.join("stamp");
    let list = dir.join("tests.json");
    let fingerprint = cache_fingerprint(ws, &spec, &tests)?;
    let target = kit.join("rust/target");
    let read_list = || -> Option<BTreeMap<String, PathBuf>> {
        let text = fs::read_to_string(&list).ok()?;
        let map: BTreeMap<String, String> = serde_json::from_str(&text).ok()?;
        Some(map.into_iter().map(|(k, v)| (k, kit.join(v))).collect())
    };
    if fs::read_to_string(&stamp).ok().as_deref() == Some(fingerprint.as_str())
        && target.is_dir()
        && let Some(tests) = read_list()
    {
        return Ok(Cache { target, tests });
    }
    let keep = dir.join("target.keep");
    let _ = fs::remove_dir_all(&keep);
    if target.is_dir() {
        let _ = fs::rename(&target, &keep);
    }
    let _ = fs::remove_dir_all(&kit);
    kit::write_tree(ws, &kit, &spec)?;
    if keep.is_dir() {
        let _ = fs::rename(&keep, &target);
    }
    set_times(&kit, &|_| true)?;
    let sandbox = Sandbox::with_fallback(&kit, uid, fallback);
    sandbox.hand_over();
    let selection = Selection {
        packages: None,
        exclude: Vec::new(),
        tests: tests.iter().map(|t| t.target.clone()).collect(),
    };
    let outcome = cargo_build(&sandbox, &selection, &CACHE_BUILD)?;
    if let Some((pkg, e)) = outcome.errors.iter().next() {
        return Err(format!("the solved kit does not build ({pkg}): {e}"));
    }
    let mut saved = BTreeMap::new();
    for t in &tests {
        let exe = outcome
            .tests
            .get(&t.key())
            .ok_or_else(|| format!("the solved kit made no test binary {}", t.key()))?;
        let rel = Path::new(exe)
            .strip_prefix(sandbox.kit_path())
            .unwrap_or(Path::new(exe))
            .display()
            .to_string();
        saved.insert(t.key(), rel);
    }
    fs::write(
        &list,
        serde_json::to_string(&saved).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    fs::write(&stamp, fingerprint).map_err(|e| e.to_string())?;
    let tests = read_list().ok_or("the cache's list of test binaries")?;
    Ok(Cache { target, tests })
}

/// A digest of every file of the cache's kit and of the tests it builds,
/// to know when to rebuild it.
fn cache_fingerprint(ws: &Workspace, spec: &Spec, tests: &[TestRef]) -> Result<String, String> {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    for f in kit::kit_files(ws, spec) {
        f.kit.hash(&mut h);
        kit::kit_text(ws, spec, &f)?.hash(&mut h);
    }
    kit::cargo_manifest(ws, spec)?.hash(&mut h);
    fs::read(ws.root.join("Cargo.lock"))
        .map_err(|e| e.to_string())?
        .hash(&mut h);
    for t in tests {
        t.key().hash(&mut h);
    }
    Ok(format!("{:016x}\n", h.finish()))
}

/// Sets the old time on every file under `dir` that `same` accepts
/// (relative path), and leaves the others as written (now).
fn set_times(dir: &Path, same: &dyn Fn(&str) -> bool) -> Result<(), String> {
    fn walk(base: &Path, path: &Path, same: &dyn Fn(&str) -> bool) -> std::io::Result<()> {
        for entry in fs::read_dir(path)? {
            let entry = entry?;
            let p = entry.path();
            let rel = p.strip_prefix(base).unwrap_or(&p).display().to_string();
            if rel == "rust/target" {
                continue;
            }
            let ty = entry.file_type()?;
            if ty.is_dir() {
                walk(base, &p, same)?;
            } else if ty.is_file() && same(&rel) {
                fs::File::options()
                    .write(true)
                    .open(&p)?
                    .set_modified(old_time())?;
            }
        }
        Ok(())
    }
    walk(dir, dir, same).map_err(|e| format!("{}: {e}", dir.display()))
}

/// Package, program or test name → a path or a message.
type Names = BTreeMap<String, String>;

/// What one cargo build of the kit's workspace should make.
#[derive(Debug)]
struct Selection {
    /// These packages, or the whole workspace (less `exclude`).
    packages: Option<Vec<String>>,
    exclude: Vec<String>,
    /// Test targets (`--test NAME`) to build as well.
    tests: Vec<String>,
}

/// What one cargo build made: programs, test binaries (`package/test`),
/// and the first error of each package that failed.
#[derive(Debug, Default)]
struct Outcome {
    bins: Names,
    tests: Names,
    errors: Names,
}

/// `cargo build --bins` (and `--test` targets) of the kit's workspace in
/// the sandbox, under `limits`.
fn cargo_build(
    sandbox: &Sandbox,
    selection: &Selection,
    limits: &Limits,
) -> Result<Outcome, String> {
    let (cargo, env) = sandbox.cargo();
    let mut args: Vec<String> = [
        "build",
        "--offline",
        "--bins",
        "--keep-going",
        "--message-format=json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    match &selection.packages {
        Some(packages) => {
            for p in packages {
                args.extend(["-p".into(), p.clone()]);
            }
        }
        None => {
            args.push("--workspace".into());
            for p in &selection.exclude {
                args.extend(["--exclude".into(), p.clone()]);
            }
        }
    }
    let unique: BTreeSet<&String> = selection.tests.iter().collect();
    for t in unique {
        args.extend(["--test".into(), t.clone()]);
    }
    let mut env = env;
    env.push(("CARGO_TERM_COLOR", "never".into()));
    let cmd = sandbox.command(&cargo, &args, "rust", limits, &env);
    let run = sandbox::run_capped(cmd, limits).map_err(|e| format!("cannot run cargo: {e}"))?;
    let mut outcome = Outcome::default();
    for line in run.stdout.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let package = msg["package_id"]
            .as_str()
            .map(package_name)
            .unwrap_or_default();
        match msg["reason"].as_str() {
            Some("compiler-artifact") => {
                if let Some(exe) = msg["executable"].as_str() {
                    let name = msg["target"]["name"].as_str().unwrap_or_default();
                    if msg["profile"]["test"] == true {
                        outcome
                            .tests
                            .insert(format!("{package}/{name}"), exe.to_string());
                    } else {
                        outcome.bins.insert(name.to_string(), exe.to_string());
                    }
                }
            }
            Some("compiler-message") if msg["message"]["level"] == "error" => {
                let rendered = msg["message"]["rendered"].as_str().unwrap_or_default();
                outcome
                    .errors
                    .entry(package)
                    .or_insert_with(|| first_lines(rendered, 6));
            }
            _ => {}
        }
    }
    if let Some(why) = run.abnormal(limits.wall) {
        outcome
            .errors
            .insert("(cargo)".into(), format!("cargo build {why}"));
    } else if run.code != Some(0) && outcome.errors.is_empty() {
        // Cargo's own error (a failed build script, say), from its first
        // `error` line on.
        let from = run
            .stderr
            .lines()
            .position(|l| l.trim_start().starts_with("error"))
            .unwrap_or(0);
        let rest: Vec<&str> = run.stderr.lines().skip(from).collect();
        let text = if rest.is_empty() {
            format!(
                "cargo build ended with status {}",
                run.code.map_or("(killed)".into(), |c| c.to_string())
            )
        } else {
            first_lines(&rest.join("\n"), 8)
        };
        outcome.errors.insert("(cargo)".into(), text);
    }
    Ok(outcome)
}

/// `path+file:///kit/rust/oob/oob#0.1.0` or `oob 0.1.0 (path+...)` → `oob`.
fn package_name(id: &str) -> String {
    if let Some((head, _)) = id.split_once(' ') {
        return head.to_string();
    }
    let before_hash = id.split('#').next().unwrap_or(id);
    let after = id.split('#').nth(1).unwrap_or_default();
    match after.split_once('@') {
        Some((name, _)) => name.to_string(),
        None => before_hash
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

/// Assembles the scratch copy: the repository's kit, the student's region
/// files and build scripts over it, with the times that keep cargo's
/// artifacts of unchanged files. Returns the sections whose folder holds
/// a build script of the student's.
pub fn assemble(
    ws: &Workspace,
    kit_dir: &Path,
    scratch: &Path,
    spec: &Spec,
) -> Result<Vec<&'static Section>, String> {
    let _ = fs::remove_dir_all(scratch);
    let starter = Spec {
        solved: false,
        ..spec.clone()
    };
    kit::write_tree(ws, scratch, &starter)?;
    let solved_spec = full_spec();
    let mut same: BTreeSet<String> = BTreeSet::new();
    for file in kit::kit_files(ws, &starter) {
        let repo_text = fs::read_to_string(ws.root.join(&file.repo)).map_err(|e| e.to_string())?;
        let has_regions = !bodies(&repo_text).is_empty();
        let mut text = kit::kit_text(ws, &starter, &file)?;
        if has_regions && let Some(student) = read_student_file(&kit_dir.join(&file.kit)) {
            text = student;
            fs::write(scratch.join(&file.kit), &text).map_err(|e| e.to_string())?;
        }
        if text == kit::kit_text(ws, &solved_spec, &file)? {
            same.insert(file.kit.clone());
        }
    }
    // A build script of the student's is theirs to have; it runs sandboxed.
    let mut scripted = Vec::new();
    if spec.has_lang("rust") {
        for s in spec.sections() {
            for package in &s.packages {
                let rel = format!("rust/{}/{package}/build.rs", s.name);
                if let Some(text) = read_student_file(&kit_dir.join(&rel)) {
                    fs::write(scratch.join(&rel), text).map_err(|e| e.to_string())?;
                    if !scripted.iter().any(|x: &&Section| x.name == s.name) {
                        scripted.push(s);
                    }
                }
            }
        }
    }
    let generated = ["rust/Cargo.toml", "rust/Cargo.lock"];
    set_times(scratch, &|rel| {
        same.contains(rel) || generated.contains(&rel)
    })?;
    Ok(scripted)
}

/// A regular file of at most 1 MiB from the student's kit, never through
/// a symlink (which could point at anything the grader can read).
fn read_student_file(path: &Path) -> Option<String> {
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.file_type().is_file() || meta.len() > 1 << 20 {
        return None;
    }
    let mut text = String::new();
    fs::File::open(path)
        .ok()?
        .take(1 << 20)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// Copies the shared cache into the scratch copy's target/ (reflinks where
/// the file system has them).
pub fn seed_target(cache: &Path, scratch: &Path) -> Result<(), String> {
    let target = scratch.join("rust/target");
    let status = Command::new("cp")
        .args(["-a", "--reflink=auto"])
        .arg(cache)
        .arg(&target)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cp: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "cannot copy the build cache into {}",
            target.display()
        ))
    }
}

/// The result for `name` of a build that covered it: what it made, else
/// the first error of `own` packages, else any error of that build.
fn made(outcome: &Outcome, made: Option<&String>, own: &[&str]) -> Made {
    if let Some(exe) = made {
        return Ok(exe.clone());
    }
    let why = own
        .iter()
        .find_map(|p| outcome.errors.get(*p))
        .or_else(|| outcome.errors.get("(cargo)"))
        .or_else(|| outcome.errors.values().next());
    Err(format!(
        "does not build: {}",
        why.map_or("no binary was made".into(), |w| w.clone())
    ))
}

/// Builds the student's side: the kit's Rust workspace (with the test
/// binaries of `tests`), and each C twin. `scripted` sections are built
/// apart, each under [`SCRIPT_BUILD`].
pub fn build_student(
    sandbox: &Sandbox,
    spec: &Spec,
    programs: &BTreeSet<String>,
    scripted: &[&'static Section],
) -> Built {
    let mut built = Built::default();
    let kit = sandbox.kit_path();
    if spec.has_lang("rust") {
        let tests = test_refs(spec, "rust");
        let fenced: Vec<String> = scripted
            .iter()
            .flat_map(|s| s.packages.iter().cloned())
            .collect();
        // The main build, then one per section with a build script.
        let mut phases: Vec<(Vec<&'static Section>, Selection, &Limits)> = vec![(
            spec.sections()
                .into_iter()
                .filter(|s| !scripted.iter().any(|x| x.name == s.name))
                .collect(),
            Selection {
                packages: None,
                exclude: fenced.clone(),
                tests: tests
                    .iter()
                    .filter(|t| !fenced.contains(&t.package))
                    .map(|t| t.target.clone())
                    .collect(),
            },
            &BUILD,
        )];
        for s in scripted {
            phases.push((
                vec![*s],
                Selection {
                    packages: Some(s.packages.clone()),
                    exclude: Vec::new(),
                    tests: tests
                        .iter()
                        .filter(|t| s.packages.contains(&t.package))
                        .map(|t| t.target.clone())
                        .collect(),
                },
                &SCRIPT_BUILD,
            ));
        }
        for (sections, selection, limits) in phases {
            let outcome = cargo_build(sandbox, &selection, limits).unwrap_or_else(|e| Outcome {
                errors: BTreeMap::from([("(cargo)".to_string(), e)]),
                ..Outcome::default()
            });
            for s in &sections {
                let own: Vec<&str> = s.packages.iter().map(String::as_str).collect();
                for p in s.programs.iter().filter(|p| programs.contains(&p.bin)) {
                    let mut order = vec![p.bin.as_str()];
                    order.extend(&own);
                    built.rust.insert(
                        p.bin.clone(),
                        made(&outcome, outcome.bins.get(&p.bin), &order),
                    );
                }
                for t in tests.iter().filter(|t| s.packages.contains(&t.package)) {
                    let mut order = vec![t.package.as_str()];
                    order.extend(&own);
                    built
                        .tests
                        .insert(t.key(), made(&outcome, outcome.tests.get(&t.key()), &order));
                }
            }
        }
    }
    if spec.has_lang("c") {
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        let _ = fs::create_dir_all(sandbox.scratch.join("c/build"));
        sandbox.hand_over();
        for p in programs {
            let mut args: Vec<String> = kit::STUDENT_CC_FLAGS
                .iter()
                .map(|s| s.to_string())
                .collect();
            args.extend([
                "-Iinclude".into(),
                format!("{p}.c"),
                "-o".into(),
                format!("build/{p}"),
            ]);
            let cmd = sandbox.command(&cc, &args, "c", &C_BUILD, &[]);
            let result = match sandbox::run_capped(cmd, &C_BUILD) {
                Err(e) => Err(format!("cannot run {cc}: {e}")),
                Ok(run) if run.code == Some(0) => {
                    Ok(kit.join("c/build").join(p).display().to_string())
                }
                Ok(run) => {
                    let first = run
                        .stderr
                        .lines()
                        .find(|l| l.contains("error"))
                        .or_else(|| run.stderr.lines().next())
                        .unwrap_or("the compiler failed")
                        .to_string();
                    Err(format!(
                        "does not build: {}",
                        run.abnormal(C_BUILD.wall).unwrap_or(first)
                    ))
                }
            };
            built.c.insert(p.clone(), result);
        }
    }
    built
}

/// A digest of every source of the scratch copy: two kits with the same
/// sources build the same binaries.
pub fn build_key(scratch: &Path, spec: &Spec, isolated: bool) -> Result<String, String> {
    use std::hash::{DefaultHasher, Hash, Hasher};
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let p = entry.path();
            let rel = p.strip_prefix(base).unwrap_or(&p).display().to_string();
            // Not sources: the build does not read them.
            if ["rust/target", "c/build", "README.md", "selfcheck.sh"].contains(&rel.as_str()) {
                continue;
            }
            if entry.file_type()?.is_dir() {
                walk(base, &p, out)?;
            } else {
                out.push((rel, fs::read(&p)?));
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(scratch, scratch, &mut files).map_err(|e| e.to_string())?;
    files.sort();
    let mut h = DefaultHasher::new();
    spec.lang.hash(&mut h);
    // Binaries built at /kit and on the host's path differ.
    isolated.hash(&mut h);
    files.hash(&mut h);
    kit::STUDENT_CC_FLAGS.hash(&mut h);
    for t in test_refs(spec, "rust") {
        t.key().hash(&mut h);
    }
    Ok(format!("{:016x}", h.finish()))
}

/// Where the binaries of an earlier build of the same sources are kept.
fn builds_dir(ws: &Workspace, key: &str) -> PathBuf {
    grade_dir(ws).join("builds").join(key)
}

/// The three maps of [`Built`], each with its folder in `builds/<key>/`.
fn maps(built: &mut Built) -> [(&'static str, &mut BTreeMap<String, Made>); 3] {
    [
        ("rust", &mut built.rust),
        ("c", &mut built.c),
        ("tests", &mut built.tests),
    ]
}

/// The binaries of an earlier build of the same sources, copied into the
/// scratch copy where this build would have put them.
pub fn reuse_build(ws: &Workspace, key: &str, sandbox: &Sandbox) -> Option<Built> {
    let dir = builds_dir(ws, key);
    let text = fs::read_to_string(dir.join("built.json")).ok()?;
    let saved: serde_json::Value = serde_json::from_str(&text).ok()?;
    let mut built = Built::default();
    for (kind, map) in maps(&mut built) {
        let Some(entries) = saved[kind].as_object() else {
            continue;
        };
        for (name, result) in entries {
            let entry = if let Some(why) = result["error"].as_str() {
                Err(why.to_string())
            } else {
                let rel = result["at"].as_str()?;
                let to = sandbox.scratch.join(rel);
                fs::create_dir_all(to.parent()?).ok()?;
                fs::copy(dir.join(kind).join(name.replace('/', "-")), &to).ok()?;
                Ok(sandbox.kit_path().join(rel).display().to_string())
            };
            map.insert(name.clone(), entry);
        }
    }
    Some(built)
}

/// Keeps this build's binaries for the next kit with the same sources.
pub fn store_build(ws: &Workspace, key: &str, sandbox: &Sandbox, built: &Built) {
    let dir = builds_dir(ws, key);
    let _ = fs::remove_dir_all(&dir);
    let mut saved = json!({});
    let mut copy = Built {
        rust: built.rust.clone(),
        c: built.c.clone(),
        tests: built.tests.clone(),
    };
    for (kind, map) in maps(&mut copy) {
        let mut entries = serde_json::Map::new();
        for (name, result) in map.iter() {
            let value = match result {
                Ok(inside) => {
                    let rel = Path::new(inside)
                        .strip_prefix(sandbox.kit_path())
                        .unwrap_or(Path::new(inside))
                        .to_path_buf();
                    let to = dir.join(kind).join(name.replace('/', "-"));
                    let copied = fs::create_dir_all(dir.join(kind))
                        .and_then(|()| fs::copy(sandbox.scratch.join(&rel), &to));
                    if copied.is_err() {
                        return;
                    }
                    json!({ "at": rel.display().to_string() })
                }
                Err(why) => json!({ "error": why }),
            };
            entries.insert(name.clone(), value);
        }
        saved[kind] = serde_json::Value::Object(entries);
    }
    let _ = fs::write(dir.join("built.json"), saved.to_string());
}

/// Lays the student's C files out where the C tests' binaries look for
/// them: `rust/crates/<section>/<package>/c/` and `rust/lib/sockref/c/`,
/// beside a `rust/Cargo.lock` (how they find the workspace). Also a `cc`
/// that takes back the tests' `-Werror` (a student's warning is not a
/// failure) and the tests' scratch folder. Returns the `CC` to give them.
pub fn c_test_layout(
    ws: &Workspace,
    sandbox: &Sandbox,
    spec: &Spec,
    cache: Option<&Cache>,
) -> Result<String, String> {
    let scratch = &sandbox.scratch;
    let c_spec = Spec {
        lang: "c".into(),
        ..spec.clone()
    };
    for file in kit::kit_files(ws, &c_spec) {
        let to = scratch.join("rust").join(&file.repo);
        fs::create_dir_all(to.parent().expect("a file has a folder"))
            .and_then(|()| fs::copy(scratch.join(&file.kit), &to))
            .map_err(|e| format!("{}: {e}", to.display()))?;
    }
    let lock = scratch.join("rust/Cargo.lock");
    if !lock.exists() {
        fs::write(&lock, "").map_err(|e| e.to_string())?;
    }
    fs::create_dir_all(scratch.join("rust/target/tmp")).map_err(|e| e.to_string())?;
    let grader = scratch.join(".grader");
    fs::create_dir_all(grader.join("tests")).map_err(|e| e.to_string())?;
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let wrapper = grader.join("cc");
    fs::write(
        &wrapper,
        format!("#!/bin/sh\nexec {cc} \"$@\" -Wno-error\n"),
    )
    .map_err(|e| e.to_string())?;
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
    // The cache's binaries of the C tests, beside it.
    let cache = cache.ok_or("the grader's cache is missing")?;
    for t in test_refs(spec, "c") {
        let from = cache
            .tests
            .get(&t.key())
            .ok_or_else(|| format!("the grader's cache has no test binary {}", t.key()))?;
        let to = grader.join("tests").join(t.key().replace('/', "-"));
        fs::copy(from, &to).map_err(|e| format!("{}: {e}", from.display()))?;
    }
    sandbox.hand_over();
    Ok(sandbox.kit_path().join(".grader/cc").display().to_string())
}

/// Where [`c_test_layout`] put the binary of a C test, as the sandbox
/// sees it.
pub fn c_test_binary(sandbox: &Sandbox, t: &TestRef) -> String {
    sandbox
        .kit_path()
        .join(".grader/tests")
        .join(t.key().replace('/', "-"))
        .display()
        .to_string()
}

/// The section folder of a package of the kit, relative to the kit.
pub fn package_dir(t: &TestRef) -> String {
    sections::all()
        .iter()
        .find(|s| s.packages.contains(&t.package))
        .map_or(String::from("rust"), |s| {
            format!("rust/{}/{}", s.name, t.package)
        })
}
