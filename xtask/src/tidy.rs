//! Tidy checks on the source tree, run as ordinary tests (the
//! rust-analyzer way): they fail `cargo test`, and so check-all.

use std::fs;
use std::path::{Path, PathBuf};

use crate::sections::SECTIONS;

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

#[test]
fn every_program_and_c_twin_is_registered() {
    let registered: Vec<(&str, &str)> = SECTIONS
        .iter()
        .flat_map(|s| s.programs.iter().map(|p| (p.bin, p.c_twin)))
        .collect();
    for dir in crate_dirs() {
        let package = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut bins = Vec::new();
        if dir.join("src/main.rs").is_file() {
            bins.push(package.clone());
        }
        bins.extend(
            rust_files(&dir.join("src/bin"))
                .iter()
                .map(|f| f.file_stem().unwrap().to_string_lossy().into_owned()),
        );
        for bin in bins {
            assert!(
                registered.iter().any(|(b, _)| *b == bin),
                "program {bin} of crates/{package} is not in xtask/src/sections.rs"
            );
        }
        if let Ok(entries) = fs::read_dir(dir.join("c")) {
            for entry in entries {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "c") {
                    let rel = path
                        .strip_prefix(root())
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    assert!(
                        registered.iter().any(|(_, c)| *c == rel),
                        "C twin {rel} is not in xtask/src/sections.rs"
                    );
                }
            }
        }
    }
}

#[test]
fn registered_files_exist() {
    for section in SECTIONS {
        assert!(
            root().join("book/src").join(section.chapter).is_file(),
            "{}",
            section.chapter
        );
        for program in section.programs {
            assert!(root().join(program.source).is_file(), "{}", program.source);
            assert!(root().join(program.c_twin).is_file(), "{}", program.c_twin);
            let names: Vec<&str> = program.cases.iter().map(|c| c.name).collect();
            let mut unique = names.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(
                names.len(),
                unique.len(),
                "duplicate case names for {}",
                program.bin
            );
        }
    }
}
