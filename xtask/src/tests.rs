//! The grader must fail, naming the stage's check and the file, on each of
//! the faults it exists to catch. These tests build a small workspace in a
//! temporary folder with fake programs (shell scripts) and break it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::Workspace;
use crate::book::check_includes;
use crate::programs::{check_parity, check_recorded};
use crate::sections::{Case, Program};

struct Scratch {
    ws: Workspace,
}

impl Scratch {
    fn new(tag: &str) -> Self {
        let root = std::env::temp_dir().join(format!("xtask-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("book/src/output")).unwrap();
        fs::create_dir_all(root.join("target/debug")).unwrap();
        fs::create_dir_all(root.join("target/c-twins")).unwrap();
        fs::create_dir_all(root.join("crates/demo/demo/src")).unwrap();
        Scratch {
            ws: Workspace {
                target: root.join("target"),
                root,
            },
        }
    }

    fn write(&self, path: &str, text: &str) -> PathBuf {
        let p = self.ws.root.join(path);
        fs::write(&p, text).unwrap();
        p
    }

    /// A "program" that prints `text`.
    fn script(&self, path: &Path, text: &str) {
        fs::write(path, format!("#!/bin/sh\nprintf '{text}'\n")).unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.ws.root);
    }
}

fn case() -> Case {
    Case::new("default", &[], true)
}

/// The program `demo` of a section folder `crates/demo`.
fn demo() -> Program {
    Program::new("crates/demo", "demo")
}

#[test]
fn a_recorded_output_edited_by_hand_fails_naming_the_file() {
    let s = Scratch::new("recorded");
    s.script(
        &s.ws.rust_binary("demo"),
        "listening on 127.0.0.1:4242\\nhello\\n",
    );
    // A recording from an earlier run, with another ephemeral port: fine.
    s.write(
        "book/src/output/demo-default.txt",
        "$ cargo run -q -p demo\nlistening on 127.0.0.1:5555\nhello\n",
    );
    check_recorded(&s.ws, &demo(), &case()).unwrap();
    // The same recording, edited by hand.
    s.write(
        "book/src/output/demo-default.txt",
        "$ cargo run -q -p demo\nlistening on 127.0.0.1:5555\nhello!\n",
    );
    let err = check_recorded(&s.ws, &demo(), &case()).unwrap_err();
    assert!(
        err.contains("book/src/output/demo-default.txt does not match a fresh run"),
        "{err}"
    );
    assert!(err.contains("hello!"), "{err}");
}

#[test]
fn a_c_twin_printing_one_character_differently_fails() {
    let s = Scratch::new("parity");
    s.script(
        &s.ws.rust_binary("demo"),
        "got 5 bytes\\n  std::net only in Rust\\n",
    );
    s.script(&s.ws.c_binary("demo"), "got 5 bytes\\n");
    check_parity(&s.ws, &demo(), &case()).unwrap();
    s.script(&s.ws.c_binary("demo"), "got 5 bytez\\n");
    let err = check_parity(&s.ws, &demo(), &case()).unwrap_err();
    assert!(
        err.contains(
            "crates/demo/demo/c/demo.c differs from crates/demo/demo/src/main.rs on stdout"
        ),
        "{err}"
    );
    assert!(err.contains("bytez"), "{err}");
}

#[test]
fn a_removed_anchor_fails_naming_the_chapter_and_the_file() {
    let s = Scratch::new("anchor");
    s.write(
        "crates/demo/demo/src/main.rs",
        "// ANCHOR: main\nfn main() {}\n// ANCHOR_END: main\n",
    );
    let chapter = s.write(
        "book/src/demo.md",
        "```rust\n{{#include ../../crates/demo/demo/src/main.rs:main}}\n```\n",
    );
    check_includes(&s.ws, &chapter).unwrap();
    s.write("crates/demo/demo/src/main.rs", "fn main() {}\n");
    let err = check_includes(&s.ws, &chapter).unwrap_err();
    assert_eq!(
        err,
        "book/src/demo.md:2: anchor 'main' is not defined in crates/demo/demo/src/main.rs"
    );
}

#[test]
fn an_include_of_a_missing_file_fails_naming_the_chapter_and_the_file() {
    let s = Scratch::new("missing");
    let chapter = s.write(
        "book/src/demo.md",
        "# Demo\n\n{{#include output/nothing.txt}}\n",
    );
    let err = check_includes(&s.ws, &chapter).unwrap_err();
    assert_eq!(
        err,
        "book/src/demo.md:3: includes book/src/output/nothing.txt, which does not exist"
    );
}

fn pair() -> crate::sections::Interop {
    crate::sections::Interop {
        name: "demo".into(),
        receiver: "demo-recv".into(),
        receiver_args: Vec::new(),
        sender: "demo-send".into(),
        sender_args: Vec::new(),
    }
}

#[test]
fn interop_compares_every_pairing_and_catches_a_differing_receiver() {
    let s = Scratch::new("interop");
    for path in [s.ws.rust_binary("demo-recv"), s.ws.c_binary("demo-recv")] {
        s.script(&path, "listening on 127.0.0.1:4242\\ngot 5 bytes\\n");
    }
    s.script(&s.ws.rust_binary("demo-send"), "connected\\n");
    s.script(&s.ws.c_binary("demo-send"), "connected\\n");
    crate::programs::check_interop(&s.ws, &pair()).unwrap();
    s.script(
        &s.ws.c_binary("demo-recv"),
        "listening on 127.0.0.1:4343\\ngot 6 bytes\\n",
    );
    let err = crate::programs::check_interop(&s.ws, &pair()).unwrap_err();
    assert!(err.contains("the receiver transcript differs"), "{err}");
    assert!(err.contains("got 6 bytes"), "{err}");
}

/// A scratch workspace holding one new section, `demo`, as a contributor
/// would add it: a folder with a manifest and a program package, a chapter,
/// and its line in SUMMARY.md. Nothing else is edited.
fn planted_section(tag: &str) -> Scratch {
    let s = Scratch::new(tag);
    fs::create_dir_all(s.ws.root.join("crates/demo/demo/c")).unwrap();
    s.write(
        "book/book.toml",
        "[book]\ntitle = \"t\"\n[build]\ncreate-missing = false\n",
    );
    s.write("book/src/SUMMARY.md", "# Summary\n\n- [Demo](demo.md)\n");
    s.write(
        "book/src/demo.md",
        "# Demo\n\n```rust\n{{#include ../../crates/demo/demo/src/main.rs}}\n```\n\n```c\n{{#include ../../crates/demo/demo/c/demo.c}}\n```\n\n```console\n{{#include output/demo-default.txt}}\n```\n",
    );
    s.write(
        "crates/demo/section.toml",
        "title = \"Demo\"\nsummary = \"a planted section\"\nchapter = \"demo.md\"\ntextbook = [\"APUE 16.1\"]\n\n[[program]]\nname = \"demo\"\nrecord = [{ case = \"default\" }]\nparity = [{ case = \"extra\", args = [\"x\"] }]\n",
    );
    s.write(
        "crates/demo/demo/Cargo.toml",
        "[package]\nname = \"demo\"\n",
    );
    s.write("crates/demo/demo/src/main.rs", "fn main() {}\n");
    s.write(
        "crates/demo/demo/c/demo.c",
        "int main(void) { return 0; }\n",
    );
    s.script(&s.ws.rust_binary("demo"), "hello\\n");
    s.script(&s.ws.c_binary("demo"), "hello\\n");
    s.write(
        "book/src/output/demo-default.txt",
        "$ cargo run -q -p demo\nhello\n",
    );
    s
}

#[test]
fn a_new_section_folder_is_graded_with_no_other_edit() {
    let s = planted_section("planted");
    let chapters = crate::book::chapters(&s.ws).unwrap();
    let sections = crate::sections::load(&s.ws.root, &chapters).unwrap();
    assert_eq!(sections.len(), 1);
    let demo = &sections[0];
    assert_eq!(demo.packages, ["demo"]);
    let program = &demo.programs[0];
    assert_eq!(program.source, "crates/demo/demo/src/main.rs");
    assert_eq!(program.c_twin, "crates/demo/demo/c/demo.c");
    for case in &program.cases {
        check_parity(&s.ws, program, case).unwrap();
        if case.recorded {
            check_recorded(&s.ws, program, case).unwrap();
        }
    }
    let included = crate::book::included_files(&s.ws).unwrap();
    assert!(included.contains(&s.ws.root.join(&program.source)));
    check_includes(&s.ws, &s.ws.root.join("book/src/demo.md")).unwrap();
}

#[test]
fn a_section_whose_chapter_is_not_in_summary_md_is_named() {
    let s = planted_section("no-chapter");
    s.write("book/src/SUMMARY.md", "# Summary\n");
    let chapters = crate::book::chapters(&s.ws).unwrap();
    let err = crate::sections::load(&s.ws.root, &chapters).unwrap_err();
    assert_eq!(
        err,
        "book/src/SUMMARY.md does not list demo.md, the chapter of section demo (crates/demo/section.toml)"
    );
}

#[test]
fn a_program_the_manifest_does_not_name_is_named() {
    let s = planted_section("stray-program");
    fs::create_dir_all(s.ws.root.join("crates/demo/other/src")).unwrap();
    s.write(
        "crates/demo/other/Cargo.toml",
        "[package]\nname = \"other\"\n",
    );
    s.write("crates/demo/other/src/main.rs", "fn main() {}\n");
    let chapters = crate::book::chapters(&s.ws).unwrap();
    let err = crate::sections::load(&s.ws.root, &chapters).unwrap_err();
    assert_eq!(
        err,
        "crates/demo/section.toml: crates/demo/other is a program, but no [[program]] is named \"other\""
    );
}
