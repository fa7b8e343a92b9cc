//! The parts of README.md and the book that repeat a list kept elsewhere:
//! the sections (from their manifests), check-all's stages (from
//! [`crate::check::STAGES`]) and the xtask's commands (from its clap
//! declaration). Each is a block between two markers,
//!
//! ```text
//! <!-- generated: NAME (cargo xtask codegen) -->
//! ...
//! <!-- end generated -->
//! ```
//!
//! rewritten by `cargo xtask codegen` and checked for staleness by the
//! `generated` stage of check-all, as rust-analyzer checks its generated
//! files: nobody edits such a block by hand, and nobody has to remember it.

use std::fs;

use clap::CommandFactory;
use sockref::Error;

use crate::Workspace;
use crate::check::STAGES;
use crate::sections::{self, Section};

/// Which block goes where.
const BLOCKS: &[(&str, &str)] = &[
    ("README.md", "sections"),
    ("README.md", "commands"),
    ("README.md", "stages"),
    ("book/src/graders.md", "stages"),
    ("book/src/graders.md", "section-names"),
    ("ARCHITECTURE.md", "code-map"),
    ("book/src/seeds.md", "seeds"),
    ("book/theme/languages.js", "languages"),
];

/// Every block: the fixed ones, and each section chapter's exercises.
fn blocks() -> Vec<(String, &'static str)> {
    let mut all: Vec<(String, &'static str)> =
        BLOCKS.iter().map(|(f, b)| (f.to_string(), *b)).collect();
    for s in sections::all().iter().filter(|s| !s.exercises.is_empty()) {
        all.push((format!("book/src/{}", s.chapter), "exercises"));
    }
    all
}

fn render(root: &std::path::Path, file: &str, block: &str) -> String {
    match block {
        "exercises" => {
            let section = sections::all()
                .iter()
                .find(|s| format!("book/src/{}", s.chapter) == file);
            section.map_or_else(String::new, crate::course::exercises_block)
        }
        "sections" => sections_table(sections::all()),
        "stages" => stages_table(),
        "commands" => commands_list(),
        "section-names" => section_names(sections::all()),
        "code-map" => code_map(sections::all()),
        "seeds" => seeds_table(sections::all(), root),
        "languages" => languages_list(),
        other => unreachable!("BLOCKS names only rendered blocks, not {other}"),
    }
}

/// The README's table: one row per section, its programs and C twins.
fn sections_table(sections: &[Section]) -> String {
    let mut out = String::from(
        "| section | what it shows | textbook | run it | C twins |\n|---|---|---|---|---|\n",
    );
    for s in sections {
        let runs: Vec<String> = s
            .programs
            .iter()
            .map(|p| format!("`cargo run -p {}`", p.bin))
            .collect();
        let twins: Vec<String> = s
            .programs
            .iter()
            .map(|p| format!("`{}`", p.c_twin))
            .collect();
        out.push_str(&format!(
            "| [{}](book/src/{}) | {} | {} | {} | {} |\n",
            s.title,
            s.chapter,
            s.summary,
            s.textbook.join(", "),
            runs.join("<br>"),
            twins.join("<br>")
        ));
    }
    out
}

fn stages_table() -> String {
    let mut out = String::from("| stage | grades | checks |\n|---|---|---|\n");
    for st in STAGES {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            st.name,
            st.scope.describe(),
            st.checks
        ));
    }
    out
}

fn commands_list() -> String {
    let cli = crate::Cli::command();
    let mut out = String::new();
    for sub in cli.get_subcommands() {
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        out.push_str(&format!("- `cargo xtask {}`: {about}\n", sub.get_name()));
    }
    out
}

/// ARCHITECTURE.md's map of the section folders: every package, and
/// whether it is a program or the library its programs share.
fn code_map(sections: &[Section]) -> String {
    let mut out = String::from("| folder | packages | teaches |\n|---|---|---|\n");
    for s in sections {
        let packages: Vec<String> = s
            .packages
            .iter()
            .map(|p| {
                if s.programs.iter().any(|prog| &prog.bin == p) {
                    format!("`{p}`")
                } else {
                    format!("`{p}` (library)")
                }
            })
            .collect();
        out.push_str(&format!(
            "| `{}` | {} | {} ({}) |\n",
            s.dir,
            packages.join(", "),
            s.summary,
            s.textbook.join(", ")
        ));
    }
    out
}

/// The book's map of the source material: every seed item of every
/// manifest, and every figure a program implements, with the test that
/// proves it or the label saying why none does, sorted by source so a
/// reader can look a figure up.
fn seeds_table(sections: &[Section], root: &std::path::Path) -> String {
    struct Row {
        source: String,
        item: String,
        program: String,
        proof: String,
        chapter: String,
        tested: bool,
    }
    let mut rows = Vec::new();
    for s in sections {
        let chapter = format!("[{}]({})", s.title, s.chapter);
        for seed in &s.seeds {
            let (proof, tested) = match (&seed.test, &seed.untested) {
                (Some(test), _) => {
                    let name = test.rsplit('#').next().unwrap_or(test);
                    (format!("[`{name}`](test:{test})"), true)
                }
                (None, why) => (
                    format!("(not tested here: {})", why.as_deref().unwrap_or_default()),
                    false,
                ),
            };
            rows.push(Row {
                source: seed.source.clone(),
                item: seed.item.clone(),
                program: seed
                    .program
                    .as_ref()
                    .map_or_else(String::new, |p| format!("`{p}`")),
                proof,
                chapter: chapter.clone(),
                tested,
            });
        }
        for p in &s.programs {
            let tests_dir = format!("{}/{}/tests", s.dir, p.bin);
            let mut files: Vec<String> = fs::read_dir(root.join(&tests_dir))
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|f| f.ends_with(".rs"))
                .collect();
            files.sort();
            let mut proof: Vec<String> = files
                .iter()
                .map(|f| format!("[`{f}`](test:{tests_dir}/{f})"))
                .collect();
            proof.push("its recorded and parity runs".into());
            for figure in &p.figures {
                rows.push(Row {
                    source: figure.clone(),
                    item: format!("the program of {figure}"),
                    program: format!("`{}`", p.bin),
                    proof: proof.join(", "),
                    chapter: chapter.clone(),
                    tested: true,
                });
            }
        }
    }
    rows.sort_by_key(|r| source_order(&r.source));
    let tested = rows.iter().filter(|r| r.tested).count();
    let mut out = format!(
        "{} items: {tested} proved by a test on the running kernel, {} labelled not tested here.\n\n",
        rows.len(),
        rows.len() - tested
    );
    out.push_str("| source | item | program | proof | chapter |\n|---|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.source,
            r.item.replace('|', "\\|"),
            r.program,
            r.proof,
            r.chapter
        ));
    }
    out
}

/// APUE before UNP before the rest; figures before sections; numbers as
/// numbers (16.9 before 16.10).
fn source_order(source: &str) -> (u8, u8, Vec<u32>, String) {
    let book = match source.split(' ').next() {
        Some("APUE") => 0,
        Some("UNP") => 1,
        Some("apue.3e") => 2,
        Some("IBM") => 3,
        _ => 4,
    };
    let figure = u8::from(!source.contains(" figure "));
    let numbers = source
        .split(' ')
        .find(|w| w.contains('.') && w.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        .map(|n| n.split('.').filter_map(|p| p.parse().ok()).collect())
        .unwrap_or_default();
    (book, figure, numbers, source.to_string())
}

fn section_names(sections: &[Section]) -> String {
    let names: Vec<String> = sections.iter().map(|s| format!("`{}`", s.name)).collect();
    format!("The sections are {}.\n", names.join(", "))
}

/// The picker's languages (`book/theme/languages.js`): code, name, and the
/// button's short name, English first.
fn languages_list() -> String {
    let mut out = String::from("    var LANGUAGES = [\n");
    for l in std::iter::once(&crate::i18n::ENGLISH).chain(crate::i18n::LANGUAGES) {
        out.push_str(&format!(
            "        [\"{}\", \"{}\", \"{}\"],\n",
            l.code, l.name, l.short
        ));
    }
    out.push_str("    ];\n    ");
    out
}

/// A block's opening marker: an HTML comment in Markdown, a line comment
/// in a script.
fn begin(file: &str, block: &str) -> String {
    if file.ends_with(".js") {
        format!("// generated: {block} (cargo xtask codegen)\n")
    } else {
        format!("<!-- generated: {block} (cargo xtask codegen) -->\n")
    }
}

fn end(file: &str) -> &'static str {
    if file.ends_with(".js") {
        "// end generated"
    } else {
        "<!-- end generated -->"
    }
}

/// `text` of `file` with the block's content replaced by `content`, or why not.
fn replace(file: &str, text: &str, block: &str, content: &str) -> Result<String, String> {
    let open = begin(file, block);
    let end = end(file);
    let start = text
        .find(&open)
        .ok_or_else(|| format!("has no line `{}`", open.trim_end()))?
        + open.len();
    let len = text[start..]
        .find(end)
        .ok_or_else(|| format!("block {block} has no `{end}` after it"))?;
    Ok(format!(
        "{}{content}{}",
        &text[..start],
        &text[start + len..]
    ))
}

/// `cargo xtask codegen`: rewrites every block that is stale.
pub fn write_all(ws: &Workspace) -> Result<(), Error> {
    for (file, block) in blocks() {
        let file = file.as_str();
        let path = ws.root.join(file);
        let text = fs::read_to_string(&path).map_err(|e| Error::runtime(format!("{file}: {e}")))?;
        let new = replace(file, &text, block, &render(&ws.root, file, block))
            .map_err(|e| Error::runtime(format!("{file} {e}")))?;
        if new != text {
            fs::write(&path, new).map_err(|e| Error::runtime(format!("write {file}: {e}")))?;
            println!("rewrote {file} ({block})");
        }
    }
    Ok(())
}

/// One check per block: the file holds what the block renders to now.
pub fn check_all(ws: &Workspace) -> Vec<(String, Result<(), String>)> {
    blocks()
        .into_iter()
        .map(|(file, block)| {
            let result = fs::read_to_string(ws.root.join(&file))
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    let fresh = replace(&file, &text, block, &render(&ws.root, &file, block))?;
                    if fresh == text {
                        Ok(())
                    } else {
                        Err(format!(
                            "the {block} block is stale (edited by hand, or a manifest changed): run `cargo xtask codegen`"
                        ))
                    }
                })
                .map_err(|e| format!("{file}: {e}"));
            (format!("{file} {block}"), result)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_replaced_between_its_markers_only() {
        let md = "README.md";
        let end = end(md);
        let text = format!("intro\n{}old\n{end}\nafter\n", begin(md, "stages"));
        let new = replace(md, &text, "stages", "new\n").unwrap();
        assert_eq!(
            new,
            format!("intro\n{}new\n{end}\nafter\n", begin(md, "stages"))
        );
        assert!(
            replace(md, "no markers", "stages", "x")
                .unwrap_err()
                .contains("has no line")
        );
        // In a script the markers are line comments.
        let js = "x.js";
        let text =
            "a\n  // generated: languages (cargo xtask codegen)\n  old\n  // end generated\nb\n";
        assert_eq!(
            replace(js, text, "languages", "  new\n  ").unwrap(),
            "a\n  // generated: languages (cargo xtask codegen)\n  new\n  // end generated\nb\n"
        );
    }

    #[test]
    fn every_stage_and_command_is_listed() {
        let stages = stages_table();
        for st in STAGES {
            assert!(stages.contains(&format!("| `{}` |", st.name)), "{stages}");
        }
        let commands = commands_list();
        for name in [
            "check-all",
            "bless",
            "codegen",
            "book",
            "book-test",
            "i18n",
            "bench",
        ] {
            assert!(
                commands.contains(&format!("`cargo xtask {name}`")),
                "{commands}"
            );
        }
    }
}
