//! The registry of the course: every section, its programs, their C twins
//! and the runs the book records. The grader, `bless` and the tidy tests all
//! read this one table; adding a program means adding it here.

/// One textbook section: a chapter of the book and the packages teaching it.
#[derive(Debug)]
pub struct Section {
    /// What `--section` takes.
    pub name: &'static str,
    /// Cargo packages of the section (tests and clippy run on these).
    pub packages: &'static [&'static str],
    /// The chapter, relative to `book/src`.
    pub chapter: &'static str,
    pub programs: &'static [Program],
}

/// One program: a binary of a package, and its C twin.
#[derive(Debug)]
pub struct Program {
    pub package: &'static str,
    pub bin: &'static str,
    /// The Rust source, relative to the workspace root.
    pub source: &'static str,
    /// The C twin, relative to the workspace root.
    pub c_twin: &'static str,
    pub cases: &'static [Case],
}

/// One run of a program with fixed arguments.
#[derive(Debug)]
pub struct Case {
    /// Names the recorded output: `book/src/output/<bin>-<name>.txt`.
    pub name: &'static str,
    pub args: &'static [&'static str],
    /// The book shows this run's output, recorded by `cargo xtask bless`.
    pub recorded: bool,
}

impl Program {
    /// The file under `book/src` that holds a case's recorded output.
    pub fn recorded_path(&self, case: &Case) -> String {
        format!("output/{}-{}.txt", self.bin, case.name)
    }

    /// The command a reader types for a case, shown atop its recorded output.
    pub fn command_line(&self, case: &Case) -> String {
        let mut line = format!("$ cargo run -q -p {}", self.package);
        if self.bin != self.package {
            line.push_str(&format!(" --bin {}", self.bin));
        }
        if !case.args.is_empty() {
            line.push_str(" --");
            for arg in case.args {
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

const fn case(name: &'static str, args: &'static [&'static str]) -> Case {
    Case {
        name,
        args,
        recorded: true,
    }
}

/// Compared with the C twin but not shown in the book.
const fn parity(name: &'static str, args: &'static [&'static str]) -> Case {
    Case {
        name,
        args,
        recorded: false,
    }
}

pub static SECTIONS: &[Section] = &[
    Section {
        name: "byte-order",
        packages: &["byte-order"],
        chapter: "byte-order.md",
        programs: &[Program {
            package: "byte-order",
            bin: "byte-order",
            source: "crates/byte-order/src/main.rs",
            c_twin: "crates/byte-order/c/byte-order.c",
            cases: &[
                case("default", &[]),
                case(
                    "values",
                    &["1", "0xff", "0x100", "65536", "18446744073709551615"],
                ),
                parity("bad-value", &["12x"]),
                parity("bad-option", &["--frob"]),
            ],
        }],
    },
    Section {
        name: "addr-convert",
        packages: &["addr-convert"],
        chapter: "addr-convert.md",
        programs: &[Program {
            package: "addr-convert",
            bin: "addr-convert",
            source: "crates/addr-convert/src/main.rs",
            c_twin: "crates/addr-convert/c/addr-convert.c",
            cases: &[
                case("default", &[]),
                case(
                    "compare",
                    &[
                        "01.2.3.4",
                        "127.1",
                        "0x7f.1",
                        "1.2.3.4 junk",
                        "::1.2.3.4",
                        "::ffff:1.2.3.4",
                        "fe80::1%1",
                        "",
                    ],
                ),
                parity("bad-option", &["--frob"]),
            ],
        }],
    },
];

/// The section named `name`, for `--section`.
pub fn find(name: &str) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.name == name)
}
