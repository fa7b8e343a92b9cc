//! Tidy checks on the source tree, run as ordinary tests (the
//! rust-analyzer way): they fail `cargo test`, and so check-all.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn crate_dirs() -> Vec<PathBuf> {
    let folders = |dir: PathBuf| -> Vec<PathBuf> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    };
    let mut dirs: Vec<PathBuf> = folders(root().join("crates"))
        .into_iter()
        .flat_map(folders)
        .chain(folders(root().join("lib")))
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The crate roots: lib.rs, main.rs and src/bin/*.rs.
fn roots(dir: &Path) -> Vec<PathBuf> {
    let src = dir.join("src");
    let mut out: Vec<PathBuf> = ["lib.rs", "main.rs"]
        .iter()
        .map(|f| src.join(f))
        .filter(|p| p.is_file())
        .collect();
    out.extend(rust_files(&src.join("bin")));
    out
}

#[test]
fn every_crate_root_says_which_section_it_teaches() {
    for dir in crate_dirs().into_iter().chain([root().join("xtask")]) {
        for file in roots(&dir) {
            let text = fs::read_to_string(&file).unwrap();
            assert!(
                text.starts_with("//!"),
                "{} must open with a crate-level doc comment",
                file.display()
            );
        }
    }
}

#[test]
fn crates_without_unsafe_code_forbid_it() {
    for dir in crate_dirs().into_iter().chain([root().join("xtask")]) {
        let uses_unsafe = rust_files(&dir.join("src")).iter().any(|f| {
            fs::read_to_string(f)
                .unwrap()
                .lines()
                .any(|l| !l.trim_start().starts_with("//") && l.contains("unsafe "))
        });
        for file in roots(&dir) {
            let forbids = fs::read_to_string(&file)
                .unwrap()
                .contains("#![forbid(unsafe_code)]");
            assert!(
                uses_unsafe || forbids,
                "{} has no unsafe code: it should say #![forbid(unsafe_code)]",
                file.display()
            );
        }
    }
}

fn workspace() -> crate::Workspace {
    crate::Workspace {
        root: root(),
        target: root().join("target"),
    }
}

fn sections() -> Vec<crate::sections::Section> {
    let ws = workspace();
    let chapters = crate::book::chapters(&ws).unwrap();
    crate::sections::load(&ws.root, &chapters).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_section_folder_loads_and_every_c_file_is_a_twin_or_a_header() {
    for section in sections() {
        let twins: Vec<PathBuf> = section
            .programs
            .iter()
            .map(|p| root().join(&p.c_twin))
            .collect();
        for package in &section.packages {
            let c = root().join(&section.dir).join(package).join("c");
            for entry in fs::read_dir(&c).into_iter().flatten() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "c") {
                    assert!(
                        twins.contains(&path),
                        "{} is not the C twin of a [[program]] in {}/section.toml",
                        path.display(),
                        section.dir
                    );
                }
            }
        }
    }
}

/// ARCHITECTURE.md's code map names every section folder, every package
/// and every xtask module, and every path it names exists.
#[test]
fn architecture_md_maps_the_tree() {
    let text = fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let mut wanted: Vec<String> = Vec::new();
    for section in sections() {
        wanted.push(format!("`{}`", section.dir));
        wanted.extend(section.packages.iter().map(|p| format!("`{p}`")));
    }
    for dir in crate_dirs() {
        if dir.starts_with(root().join("lib")) {
            wanted.push(format!(
                "`lib/{}`",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    for module in rust_files(&root().join("xtask/src")) {
        let name = module.file_name().unwrap().to_string_lossy().into_owned();
        if name != "main.rs" {
            wanted.push(format!("`{name}`"));
        }
    }
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| !text.contains(w.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map does not name {missing:?}"
    );
    // Every `path/with/slashes` it names exists (globs and placeholders
    // aside), from the root or from the folder its paragraph is about.
    let mut bases = vec![root(), root().join("book"), root().join("benches")];
    bases.extend(crate_dirs());
    bases.extend(sections().iter().map(|s| root().join(&s.dir)));
    let mut stale = Vec::new();
    for span in text.split('`').skip(1).step_by(2) {
        let looks_like_path = span.contains('/')
            && !span.contains(['<', '*', ' ', '{', ':'])
            && !span.starts_with("http")
            // Build outputs exist only once something has been built.
            && !span.starts_with("target/");
        let exists = |base: &Path| base.join(span.trim_end_matches('/')).exists();
        if looks_like_path && !bases.iter().any(|b| exists(b)) {
            stale.push(span);
        }
    }
    assert!(
        stale.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {stale:?}"
    );
}
