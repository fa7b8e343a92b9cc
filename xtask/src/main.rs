//! The project's automation, in the manner of rust-analyzer's xtask: plain
//! Rust, run with `cargo xtask <command>`. The commands are declared once,
//! in [`Command`]; `cargo xtask --help` lists them all.
#![forbid(unsafe_code)]

mod bench;
mod book;
mod browser;
mod check;
mod claims;
mod codegen;
mod course;
mod i18n;
mod lab;
mod listings;
mod normalize;
mod programs;
mod report;
mod sections;
mod stress;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tidy;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sockref::Error;

/// The grader and the book pipeline of sockref.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Every command of the xtask. The README's command list is checked
/// against this enum.
#[derive(Debug, Subcommand)]
enum Command {
    /// Grade everything: build, tests, C twins, parity, interop, the book.
    CheckAll {
        /// Grade one section only (a folder name under crates/).
        #[arg(long, value_name = "NAME")]
        section: Option<String>,
        /// Run only this stage (repeatable); the stage table lists them.
        #[arg(long = "stage", value_name = "STAGE")]
        stages: Vec<String>,
    },
    /// Rerun the programs and rewrite the recorded outputs the book shows.
    Bless {
        /// Bless one section only.
        #[arg(long, value_name = "NAME")]
        section: Option<String>,
    },
    /// Rewrite the generated parts of README.md and the book from the
    /// section manifests and the stage table.
    Codegen,
    /// Build the book into target/book/, or serve it on 127.0.0.1.
    Book {
        /// Serve the built book until interrupted.
        #[arg(long)]
        serve: bool,
        /// The port to serve on (default: any free port).
        #[arg(long, default_value_t = 0, requires = "serve")]
        port: u16,
    },
    /// Every chapter in headless Chromium, with screenshots.
    BookTest,
    /// The book's translations: extract the English messages, carry the
    /// translations over, count what is left
    I18n {
        #[command(subcommand)]
        action: I18nAction,
    },
    /// Run the criterion benches and regenerate the performance figures.
    Bench {
        /// Only redraw the figures from the committed summary; measure nothing.
        #[arg(long)]
        render: bool,
    },
    /// Two hosts in network namespaces: print the urgent-notice-ahead table.
    Lab,
    /// Hostile command lines, peers and clients against every program and
    /// twin, and the test suite run repeatedly (a few minutes).
    Stress {
        /// Only the subset check-all runs.
        #[arg(long)]
        quick: bool,
    },
    /// Course mode: write a student's kit of exercises (`course new DIR`)
    Course {
        #[command(subcommand)]
        action: CourseAction,
    },
    /// Grade a student's kit, or with --class every kit in a folder
    Grade {
        /// The kit to grade (made by `cargo xtask course new`).
        #[arg(value_name = "DIR", required_unless_present_any = ["class", "self_test"])]
        dir: Option<PathBuf>,
        /// Grade every subfolder of DIR as one student's kit.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["dir", "self_test"])]
        class: Option<PathBuf>,
        /// Kits graded at once with --class.
        #[arg(long, default_value_t = 2, requires = "class")]
        jobs: usize,
        /// The grader's own slow tests: hostile kits, planted wrong solutions.
        #[arg(long, conflicts_with = "dir")]
        self_test: bool,
    },
}

/// What `cargo xtask i18n` does.
#[derive(Debug, Subcommand)]
enum I18nAction {
    /// Rewrite book/po/messages.pot from the English chapters.
    Extract,
    /// Extract, then carry each language's translations over to the new
    /// messages (a changed paragraph keeps its old translation, fuzzy).
    Update {
        /// Also take finished translations from these catalogs.
        #[arg(long, value_name = "FILE", num_args = 1..)]
        compendium: Vec<PathBuf>,
    },
    /// Per language and chapter: messages translated, fuzzy, left.
    Status,
    /// Check catalogs (by default every language's): nothing stale, left
    /// or fuzzy, and every link, code span and label of the English kept.
    Check {
        /// The catalogs to check (a translator's partial one, for example).
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

/// What `cargo xtask course` does.
#[derive(Debug, Subcommand)]
enum CourseAction {
    /// Write a standalone student kit into DIR.
    New {
        dir: PathBuf,
        /// The kit's language: c, rust or both.
        #[arg(long, default_value = "both")]
        lang: String,
        /// Only these exercises (ids such as services/ntohs).
        #[arg(long, value_name = "ID", num_args = 1..)]
        only: Vec<String>,
        /// The answer key: the reference solutions in place of the stubs.
        #[arg(long)]
        solved: bool,
    },
}

fn main() -> ExitCode {
    // The grader's peer process (course::hostile), inside a kit's namespace.
    if let Some(job) = std::env::var_os(course::hostile::PEER_ENV) {
        return course::hostile::peer_main(&job);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // clap's own message, then its usage line; exit 2 like every program.
            let _ = e.print();
            return ExitCode::from(2);
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if matches!(e, Error::Usage(_)) {
                eprintln!("usage: see `cargo xtask <command> --help`");
            }
            ExitCode::from(if matches!(e, Error::Usage(_)) { 2 } else { 1 })
        }
    }
}

fn run(command: Command) -> Result<(), Error> {
    let ws = Workspace::locate()?;
    let chapters = book::chapters(&ws).map_err(Error::runtime)?;
    sections::init(&ws.root, &chapters).map_err(Error::runtime)?;
    let section = |name: Option<String>| -> Result<Option<&'static sections::Section>, Error> {
        let Some(name) = name else { return Ok(None) };
        sections::find(&name).map(Some).ok_or_else(|| {
            let known: Vec<&str> = sections::all().iter().map(|s| s.name.as_str()).collect();
            Error::usage(format!(
                "no section '{name}' (sections: {})",
                known.join(", ")
            ))
        })
    };
    match command {
        Command::CheckAll {
            section: name,
            stages,
        } => check::check_all(&ws, section(name)?, &stages),
        Command::Bless { section: name } => programs::bless(&ws, section(name)?),
        Command::Codegen => codegen::write_all(&ws),
        Command::Book { serve: true, port } => book::serve(&ws, port),
        Command::Book { serve: false, .. } => {
            book::build(&ws).map(|dir| println!("book written to {}", dir.display()))
        }
        Command::BookTest => browser::book_test_command(&ws),
        Command::I18n { action } => match action {
            I18nAction::Extract => i18n::extract_command(&ws),
            I18nAction::Update { compendium } => i18n::update_command(&ws, &compendium),
            I18nAction::Status => i18n::status_command(&ws),
            I18nAction::Check { files } => i18n::check_command(&ws, &files),
        },
        Command::Bench { render: true } => bench::render_committed(&ws),
        Command::Bench { render: false } => bench::bench(&ws),
        Command::Lab => lab::lab(&ws),
        Command::Stress { quick } => stress::stress(&ws, quick),
        Command::Course {
            action:
                CourseAction::New {
                    dir,
                    lang,
                    only,
                    solved,
                },
        } => {
            let spec = course::kit::Spec::new(&lang, &only, solved)?;
            course::kit::new_kit(&ws, &dir, &spec)
        }
        Command::Grade {
            self_test: true, ..
        } => course::selftest::self_test(&ws),
        Command::Grade {
            class: Some(class),
            jobs,
            ..
        } => course::grade::class_command(&ws, &class, jobs),
        Command::Grade { dir: Some(dir), .. } => course::grade::grade_command(&ws, &dir),
        Command::Grade { .. } => Err(Error::usage(
            "grade needs a kit folder, --class DIR or --self-test",
        )),
    }
}

/// Where things are: the workspace root and cargo's target directory.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub target: PathBuf,
}

impl Workspace {
    /// Finds the workspace at run time: from `CARGO_MANIFEST_DIR`, which
    /// `cargo run` sets to this checkout's `xtask/`, else upward from the
    /// current folder. Never from where the binary was compiled, so a
    /// copied checkout with its `target/` grades and builds itself.
    fn locate() -> Result<Self, Error> {
        let start = match std::env::var_os("CARGO_MANIFEST_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => std::env::current_dir()
                .map_err(|e| Error::runtime(format!("current folder: {e}")))?,
        };
        let root = workspace_root(&start).ok_or_else(|| {
            Error::runtime(format!(
                "{} is not inside the sockref workspace (no Cargo.toml with [workspace] and xtask/ above it)",
                start.display()
            ))
        })?;
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .map(|t| if t.is_absolute() { t } else { root.join(t) })
            .unwrap_or_else(|| root.join("target"));
        Ok(Workspace { root, target })
    }

    /// A Rust program built by `cargo build`.
    pub fn rust_binary(&self, bin: &str) -> PathBuf {
        self.target.join("debug").join(bin)
    }

    /// A C twin built by the xtask.
    pub fn c_binary(&self, bin: &str) -> PathBuf {
        self.target.join("c-twins").join(bin)
    }

    /// `cargo` itself, as cargo tells its children.
    pub fn cargo(&self) -> std::process::Command {
        let mut cmd =
            std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(&self.root);
        cmd
    }
}

/// The nearest folder at or above `start` with a workspace `Cargo.toml`
/// and an `xtask/` folder.
fn workspace_root(start: &Path) -> Option<PathBuf> {
    start.ancestors().find_map(|dir| {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
        let is_workspace = manifest.lines().any(|l| l.trim() == "[workspace]");
        (is_workspace && dir.join("xtask").is_dir()).then(|| dir.to_path_buf())
    })
}

#[cfg(test)]
mod workspace_tests {
    use super::*;

    #[test]
    fn the_root_is_found_from_any_folder_below_it_and_nowhere_else() {
        let tmp = std::env::temp_dir().join(format!("xtask-root-{}", std::process::id()));
        let deep = tmp.join("copy/crates/oob/oob-send/src");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::create_dir_all(tmp.join("copy/xtask")).unwrap();
        std::fs::write(tmp.join("copy/Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        std::fs::write(
            tmp.join("copy/crates/oob/oob-send/Cargo.toml"),
            "[package]\nname = \"oob-send\"\n",
        )
        .unwrap();
        let found = workspace_root(&deep);
        let outside = workspace_root(&tmp);
        std::fs::remove_dir_all(&tmp).unwrap();
        assert_eq!(found, Some(tmp.join("copy")));
        assert_eq!(outside, None);
    }
}
