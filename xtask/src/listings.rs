//! The book's own mdBook preprocessor, run before mdBook's `links` (which
//! expands `{{#include}}`), so it still sees which file each block shows.
//!
//! - A fenced block holding one `{{#include}}` of a source file (under
//!   `crates/`, `lib/` or `benches/`) becomes a numbered listing: a
//!   `<figure class="listing">` whose caption gives the number, the
//!   language, the file's path (a link to the file in the repository), the
//!   anchor, and the textbook figure or sections from the manifest. A Rust
//!   listing next to its C twin (same anchor) makes a pair: one number, two
//!   labelled blocks. Without JavaScript the pair is two stacked blocks;
//!   `theme/listings.js` adds the switch (Rust, C, side by side).
//! - A fenced block holding a recorded output gets a caption saying what
//!   varies between runs; its lines wrap rather than scroll.
//! - `![alt](images/x.svg)` is inlined as a numbered figure, so the SVG can
//!   draw in the theme's colours (`currentColor`, CSS variables).
//! - `man:NAME.SECTION`, `rfc:NUMBER` and `docs:CRATE/PATH` link targets
//!   become man7.org, rfc-editor.org and docs.rs addresses (docs.rs at the
//!   version in Cargo.lock): the URL schemes live here and nowhere else.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use mdbook_driver::book::Book;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use regex::Regex;

use crate::i18n::{UNTESTED, Words};
use crate::sections::Section;

/// The preprocessor; `root` is the workspace.
pub struct Listings {
    pub root: PathBuf,
    pub sections: &'static [Section],
    /// The words it writes itself (captions, labels), in the book's language.
    pub words: Words,
    /// What a link out of the book needs in front of the chapter's own
    /// relative path: `""` for the English book in `target/book/`, `"../"`
    /// for a translation one folder down.
    pub outside: &'static str,
}

impl Preprocessor for Listings {
    fn name(&self) -> &str {
        "sockref-listings"
    }

    fn run(
        &self,
        ctx: &PreprocessorContext,
        mut book: Book,
    ) -> mdbook_preprocessor::errors::Result<Book> {
        let src = ctx.root.join(&ctx.config.book.src);
        let versions = locked_versions(&self.root);
        let mut problems = Vec::new();
        book.for_each_chapter_mut(|chapter| {
            let Some(path) = &chapter.source_path else {
                return;
            };
            let dir = src.join(path).parent().map(Path::to_path_buf);
            let number = chapter
                .number
                .as_ref()
                .map(|n| n.iter().map(u32::to_string).collect::<Vec<_>>().join("."));
            // Files outside every section (the benches) follow the
            // textbook of the chapter's section, or of its parent chapter's.
            let fallback = self
                .sections
                .iter()
                .find(|s| Path::new(&s.chapter) == path.as_path())
                .or_else(|| {
                    let parent = chapter.parent_names.last()?;
                    self.sections.iter().find(|s| &s.title == parent)
                })
                .map(|s| s.textbook.clone())
                .unwrap_or_default();
            let section = self
                .sections
                .iter()
                .find(|s| Path::new(&s.chapter) == path.as_path())
                .map(|s| {
                    let figures = s
                        .programs
                        .iter()
                        .filter(|p| !p.figures.is_empty())
                        .map(|p| format!("{} ({})", p.bin, p.figures.join(", ")))
                        .collect();
                    (s.textbook.clone(), figures)
                });
            let page = Page {
                section,
                fallback,
                root: &self.root,
                sections: self.sections,
                dir: dir.unwrap_or_else(|| src.clone()),
                number,
                versions: &versions,
                words: &self.words,
                outside: self.outside,
            };
            match page.transform(&chapter.content) {
                Ok(text) => chapter.content = text,
                Err(e) => problems.push(format!("book/src/{}: {e}", path.display())),
            }
        });
        if problems.is_empty() {
            Ok(book)
        } else {
            Err(mdbook_preprocessor::errors::Error::msg(problems.join("\n")))
        }
    }
}

/// The calls the book names, with their manual sections: the first time a
/// chapter writes one in code (`socket` or `socket(...)`), it links to its
/// man page.
const CALLS: &[(&str, &str)] = &[
    ("accept", "2"),
    ("bind", "2"),
    ("close", "2"),
    ("connect", "2"),
    ("dup", "2"),
    ("fcntl", "2"),
    ("freeaddrinfo", "3"),
    ("gai_strerror", "3"),
    ("getaddrinfo", "3"),
    ("gethostbyname", "3"),
    ("gethostent", "3"),
    ("getnameinfo", "3"),
    ("getnetbyname", "3"),
    ("getnetent", "3"),
    ("getpeername", "2"),
    ("getprotobyname", "3"),
    ("getprotobynumber", "3"),
    ("getprotoent", "3"),
    ("getservbyname", "3"),
    ("getservbyport", "3"),
    ("getservent", "3"),
    ("getsockname", "2"),
    ("getsockopt", "2"),
    ("htonl", "3"),
    ("htons", "3"),
    ("inet_addr", "3"),
    ("inet_ntop", "3"),
    ("inet_pton", "3"),
    ("ioctl", "2"),
    ("kill", "2"),
    ("listen", "2"),
    ("ntohl", "3"),
    ("ntohs", "3"),
    ("poll", "2"),
    ("read", "2"),
    ("recv", "2"),
    ("recvfrom", "2"),
    ("recvmsg", "2"),
    ("select", "2"),
    ("send", "2"),
    ("sendmsg", "2"),
    ("sendto", "2"),
    ("setsockopt", "2"),
    ("shutdown", "2"),
    ("sigaction", "2"),
    ("signalfd", "2"),
    ("sockatmark", "3"),
    ("socket", "2"),
    ("socketpair", "2"),
    ("timerfd_create", "2"),
    ("write", "2"),
];

/// The man page address of `name` in `section` (the one URL scheme).
pub fn man_url(name: &str, section: &str) -> String {
    format!("https://man7.org/linux/man-pages/man{section}/{name}.{section}.html")
}

/// An RFC's address.
pub fn rfc_url(number: &str) -> String {
    format!("https://www.rfc-editor.org/rfc/rfc{number}")
}

/// A docs.rs page of `krate` at `version`; `path` is below the crate's root
/// module (`struct.Socket.html`).
pub fn docs_url(krate: &str, version: &str, path: &str) -> String {
    let module = krate.replace('-', "_");
    format!("https://docs.rs/{krate}/{version}/{module}/{path}")
}

/// Every package's version in Cargo.lock (the first of a name wins).
fn locked_versions(root: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut name = None;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take())
            && !out.iter().any(|(old, _)| *old == n)
        {
            out.push((n, v.trim_matches('"').to_string()));
        }
    }
    out
}

struct Page<'a> {
    /// The chapter's section: its textbook sections, and each program with
    /// its figures ("oob-send: UNP figure 24.1").
    section: Option<(Vec<String>, Vec<String>)>,
    /// The textbook references of files no section owns.
    fallback: Vec<String>,
    root: &'a Path,
    sections: &'a [Section],
    /// The chapter's folder, against which include paths resolve.
    dir: PathBuf,
    /// The chapter's number ("5", "8.1"), if it has one.
    number: Option<String>,
    versions: &'a [(String, String)],
    words: &'a Words,
    outside: &'a str,
}

/// A fenced block of exactly one include, found in a chapter.
struct Block {
    /// Index of the opening fence line.
    start: usize,
    fence: String,
    spec: String,
}

static INCLUDE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\{\{#(?:include|rustdoc_include)\s+([^}\s]+)\s*\}\}$").expect("valid pattern")
});
static SVG_IMAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^!\[([^\]]*)\]\(((?:images|generated)/[^)\s]+\.svg)\)$").expect("valid")
});
static CALL_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|[^\[`])`([a-z_]+)(\([^`]*\))?`").expect("valid pattern"));
static SCHEME_LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\]\((man|rfc|docs|test):([^)\s]+)\)").expect("valid pattern"));

/// The words this preprocessor writes itself, in English: each is a
/// message of the book's translations (`crate::i18n`).
pub const WORDS: &[&str] = &[
    LISTING, FIGURE, FOLLOWS, IMPLEMENT, ANCHOR, RECORDED, TEST_TITLE, UNTESTED,
];
const LISTING: &str = "Listing";
const FIGURE: &str = "Figure";
const FOLLOWS: &str = "Follows";
const IMPLEMENT: &str = "the programs implement";
const ANCHOR: &str = "anchor";
const TEST_TITLE: &str = "the test, run by cargo xtask check-all";

/// The caption of a recorded output (see normalize.rs for what varies).
pub const RECORDED: &str = "Output, recorded by `cargo xtask bless` and checked on every run (ports, process ids and times differ from run to run)";

/// The label of an untested claim: an opening parenthesis, the words, a
/// colon, in ASCII or in the full-width forms Chinese text uses.
static UNTESTED_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([(（])([^:：()（）]+)([:：])").expect("valid pattern"));

/// `a `b` c` with the code span as HTML, for a caption.
fn inline_code(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            write!(out, "<code>{}</code>", escape(part)).expect("write to a String");
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

impl Page<'_> {
    fn transform(&self, text: &str) -> Result<String, String> {
        let lines: Vec<&str> = text.lines().collect();
        let blocks = self.blocks(&lines);
        let mut out = String::new();
        let mut listing = 0;
        let mut figure = 0;
        let mut i = 0;
        let mut next_block = 0;
        let mut in_fence = false;
        let mut follows_done = false;
        let mut linked: Vec<&'static str> = Vec::new();
        while i < lines.len() {
            if let Some(b) = blocks.get(next_block).filter(|b| b.start == i) {
                next_block += 1;
                let path = b.spec.split(':').next().unwrap_or_default();
                if path.starts_with("output/") {
                    write!(
                        out,
                        "<figure class=\"transcript\">\n<figcaption>{}</figcaption>\n\n{}\n{{{{#include {}}}}}\n```\n\n</figure>\n",
                        inline_code(self.words.get(RECORDED)),
                        b.fence,
                        b.spec
                    )
                    .expect("write to a String");
                    i = b.start + 3;
                    continue;
                }
                let Some(first) = self.source(b)? else {
                    // An include of some other file: left as it is.
                    out.push_str(lines[i]);
                    out.push('\n');
                    i += 1;
                    continue;
                };
                listing += 1;
                let number = match &self.number {
                    Some(n) => format!("{n}.{listing}"),
                    None => listing.to_string(),
                };
                // Its twin: the next block, past blank lines only, in the
                // other language with the same anchor.
                let mut j = b.start + 3;
                while j < lines.len() && lines[j].trim().is_empty() {
                    j += 1;
                }
                let twin = blocks
                    .get(next_block)
                    .filter(|t| t.start == j)
                    .map(|t| self.source(t))
                    .transpose()?
                    .flatten()
                    .filter(|t| t.lang != first.lang && t.anchor == first.anchor);
                match twin {
                    Some(second) => {
                        next_block += 1;
                        write!(
                            out,
                            "<div class=\"listing-pair\" role=\"group\" aria-label=\"{} {number}: {}, {}\">\n\n{}\n{}</div>\n",
                            self.words.get(LISTING),
                            first.lang,
                            second.lang,
                            first.html(&number, true, self.words, self.outside),
                            second.html(&number, true, self.words, self.outside)
                        )
                        .expect("write to a String");
                        i = j + 3;
                    }
                    None => {
                        out.push_str(&first.html(&number, false, self.words, self.outside));
                        i = b.start + 3;
                    }
                }
                continue;
            }
            if let Some(cap) = SVG_IMAGE.captures(lines[i]) {
                figure += 1;
                let number = match &self.number {
                    Some(n) => format!("{n}.{figure}"),
                    None => figure.to_string(),
                };
                out.push_str(&self.svg_figure(&cap[1], &cap[2], &number)?);
                i += 1;
                continue;
            }
            if lines[i].starts_with("```") {
                in_fence = !in_fence;
            }
            let line = if in_fence || lines[i].starts_with('#') || lines[i].starts_with("```") {
                lines[i].to_string()
            } else {
                self.scheme_links(&link_calls(lines[i], &mut linked))?
            };
            out.push_str(&line);
            out.push('\n');
            if !follows_done && lines[i].starts_with("# ") {
                follows_done = true;
                if let Some(p) = self.follows() {
                    out.push('\n');
                    out.push_str(&p);
                    out.push('\n');
                }
            }
            i += 1;
        }
        Ok(out)
    }

    /// The textbook sections a section's chapter follows and the figures
    /// its programs implement, from the manifest, as a paragraph.
    fn follows(&self) -> Option<String> {
        let section = self.section.as_ref()?;
        let mut text = format!(
            "<p class=\"follows\"><strong>{}</strong> {}",
            escape(self.words.get(FOLLOWS)),
            escape(&section.0.join(", "))
        );
        if !section.1.is_empty() {
            text.push_str("; ");
            text.push_str(&escape(self.words.get(IMPLEMENT)));
            text.push(' ');
            text.push_str(&escape(&section.1.join("; ")));
        }
        text.push_str(".</p>\n");
        Some(text)
    }

    /// Every fenced block that is one include line, in order.
    fn blocks(&self, lines: &[&str]) -> Vec<Block> {
        let mut found = Vec::new();
        let mut i = 0;
        while i + 2 < lines.len() {
            let open = lines[i];
            if open.starts_with("```")
                && let Some(cap) = INCLUDE_LINE.captures(lines[i + 1])
                && lines[i + 2] == "```"
            {
                found.push(Block {
                    start: i,
                    fence: open.to_string(),
                    spec: cap[1].to_string(),
                });
                i += 3;
            } else if open.starts_with("```") {
                // Skip a whole other block, so its content is not read as fences.
                i += 1;
                while i < lines.len() && !lines[i].starts_with("```") {
                    i += 1;
                }
                i += 1;
            } else {
                i += 1;
            }
        }
        found
    }

    /// The listing a block shows, if it includes a source file.
    fn source(&self, b: &Block) -> Result<Option<Source>, String> {
        let mut parts = b.spec.splitn(2, ':');
        let path = parts.next().unwrap_or_default();
        let anchor = parts.next().map(str::to_string);
        let file = crate::book::clean(&self.dir.join(path));
        let Ok(rel) = file.strip_prefix(self.root) else {
            return Ok(None);
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if !["crates/", "lib/", "benches/"]
            .iter()
            .any(|p| rel.starts_with(p))
        {
            return Ok(None);
        }
        let lang = match file.extension().and_then(|e| e.to_str()) {
            Some("rs") => "Rust",
            Some("c" | "h") => "C",
            _ => return Err(format!("{path}: a listing of neither Rust nor C")),
        };
        let textbook = self.textbook(&rel).ok_or_else(|| {
            format!("{rel}: no section manifest gives this file a textbook reference")
        })?;
        Ok(Some(Source {
            lang,
            fence: b.fence.clone(),
            spec: b.spec.clone(),
            href: path.to_string(),
            path: rel,
            anchor,
            textbook,
        }))
    }

    /// The textbook figures of the program a file belongs to, or else its
    /// section's textbook sections.
    fn textbook(&self, rel: &str) -> Option<Vec<String>> {
        let Some(section) = self
            .sections
            .iter()
            .find(|s| rel.starts_with(&format!("{}/", s.dir)))
        else {
            return (!self.fallback.is_empty()).then(|| self.fallback.clone());
        };
        let program = section
            .programs
            .iter()
            .find(|p| rel.starts_with(&format!("{}/{}/", section.dir, p.bin)));
        match program {
            Some(p) if !p.figures.is_empty() => Some(p.figures.clone()),
            _ => (!section.textbook.is_empty()).then(|| section.textbook.clone()),
        }
    }

    fn svg_figure(&self, alt: &str, path: &str, number: &str) -> Result<String, String> {
        if alt.trim().is_empty() {
            return Err(format!("the figure {path} has no alt text"));
        }
        let file = self.dir.join(path);
        let svg = fs::read_to_string(&file).map_err(|e| format!("{path}: {e}"))?;
        let start = svg
            .find("<svg")
            .ok_or_else(|| format!("{path}: not an SVG"))?;
        // No blank line may end the HTML block early.
        let body: Vec<&str> = svg[start..]
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        let body = body.join("\n").replacen(
            "<svg",
            &format!(
                "<svg role=\"img\" aria-label=\"{}\" class=\"figure-art\"",
                escape(alt)
            ),
            1,
        );
        let id = format!("figure-{}", number.replace('.', "-"));
        Ok(format!(
            "<figure class=\"figure\" id=\"{id}\">\n{body}\n<figcaption><a href=\"#{id}\">{} {number}</a>: {}</figcaption>\n</figure>\n",
            escape(self.words.get(FIGURE)),
            escape(alt)
        ))
    }

    /// `](man:socket.2)` and friends as real addresses.
    fn scheme_links(&self, line: &str) -> Result<String, String> {
        let mut bad = None;
        let out = SCHEME_LINK.replace_all(line, |cap: &regex::Captures<'_>| {
            let target = &cap[2];
            if &cap[1] == "test" {
                // A named test: the link reaches its source, as a listing's
                // link does, and the test must exist.
                return match crate::sections::check_test_link(self.root, target) {
                    Ok(()) => {
                        // A text fragment takes a browser to the function.
                        let href = match target.split_once('#') {
                            Some((path, name)) => format!("{path}#:~:text=fn%20{name}"),
                            None => target.to_string(),
                        };
                        format!(
                            "]({}{}{href} \"{}\")",
                            self.outside,
                            self.up(),
                            self.words.get(TEST_TITLE)
                        )
                    }
                    Err(e) => {
                        bad = Some(e);
                        cap[0].to_string()
                    }
                };
            }
            let url = match &cap[1] {
                "man" => target
                    .rsplit_once('.')
                    .map(|(name, section)| man_url(name, section)),
                "rfc" => Some(rfc_url(target)),
                _ => target.split_once('/').and_then(|(krate, rest)| {
                    let version = self.versions.iter().find(|(n, _)| n == krate)?;
                    Some(docs_url(krate, &version.1, rest))
                }),
            };
            match url {
                Some(url) => format!("]({url})"),
                None => {
                    bad = Some(format!("{}:{target}", &cap[1]));
                    cap[0].to_string()
                }
            }
        });
        let label = self.words.get(UNTESTED);
        let out = UNTESTED_LABEL
            .replace_all(&out, |cap: &regex::Captures<'_>| {
                if &cap[2] == label {
                    format!(
                        "{}<span class=\"untested\">{label}</span>{}",
                        &cap[1], &cap[3]
                    )
                } else {
                    cap[0].to_string()
                }
            })
            .into_owned();
        match bad {
            Some(e) if e.starts_with("test link") => Err(e),
            Some(link) => Err(format!(
                "link {link}: expected man:NAME.SECTION, rfc:NUMBER or docs:CRATE/PATH of a crate in Cargo.lock"
            )),
            None => Ok(out),
        }
    }

    /// From the chapter's folder up to the workspace root: `../../`.
    fn up(&self) -> String {
        let depth = self
            .dir
            .strip_prefix(self.root)
            .map_or(2, |d| d.components().count());
        "../".repeat(depth)
    }
}

struct Source {
    lang: &'static str,
    fence: String,
    spec: String,
    /// The include path as written, relative to the chapter: the same
    /// relative link reaches the file from the chapter's source.
    href: String,
    /// The file relative to the workspace root.
    path: String,
    anchor: Option<String>,
    textbook: Vec<String>,
}

impl Source {
    fn html(&self, number: &str, paired: bool, words: &Words, outside: &str) -> String {
        let lang_id = if self.lang == "Rust" { "rust" } else { "c" };
        let id = if paired {
            format!("listing-{}-{lang_id}", number.replace('.', "-"))
        } else {
            format!("listing-{}", number.replace('.', "-"))
        };
        let anchor = self
            .anchor
            .as_ref()
            .map(|a| {
                format!(
                    ", <span class=\"listing-anchor\">{} <code>{}</code></span>",
                    escape(words.get(ANCHOR)),
                    escape(a)
                )
            })
            .unwrap_or_default();
        format!(
            "<figure class=\"listing\" data-lang=\"{lang_id}\" id=\"{id}\">\n<figcaption>\
             <a class=\"listing-number\" href=\"#{id}\">{} {number}</a> \
             <span class=\"listing-lang\">{}</span>: \
             <a class=\"listing-path\" href=\"{outside}{}\"><code>{}</code></a>{anchor}; \
             <span class=\"listing-ref\">{}</span></figcaption>\n\n{}\n{{{{#include {}}}}}\n```\n\n</figure>\n\n",
            escape(words.get(LISTING)),
            self.lang,
            escape(&self.href),
            escape(&self.path),
            escape(&self.textbook.join(", ")),
            self.fence,
            self.spec
        )
    }
}

/// The `listings` check on the built book: every fenced include of a
/// source file in a chapter is, on its page, a listing with a number, a
/// language, a link to a file that exists in the workspace, and a textbook
/// reference. `pages` are (chapter source, its built HTML page).
/// In a translation (`outside` = `"../"`, as [`Listings`] has it) the
/// number's word is the language's.
pub fn check_built(root: &Path, pages: &[(PathBuf, PathBuf)], outside: &str) -> Result<(), String> {
    static SOURCE_INCLUDE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?m)^```[^\n]*\n\{\{#include (\.\./)+(crates|lib|benches)/").expect("valid")
    });
    static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r##"class="listing-number" href="#listing-[0-9-]+(-rust|-c)?">[^<0-9]+ [0-9]+(\.[0-9]+)*</a>"##)
            .expect("valid")
    });
    static LANG: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"class="listing-lang">(Rust|C)</span>"#).expect("valid"));
    static PATH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"class="listing-path" href="([^"]+)"><code>([^<]+)</code></a>"#)
            .expect("valid")
    });
    static REF: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"class="listing-ref">([^<]+)</span>"#).expect("valid"));
    let mut problems = Vec::new();
    for (chapter, page) in pages {
        let name = chapter.file_name().unwrap_or_default().to_string_lossy();
        let md = fs::read_to_string(chapter).map_err(|e| format!("{}: {e}", chapter.display()))?;
        let expected = SOURCE_INCLUDE.find_iter(&md).count();
        let html = fs::read_to_string(page).unwrap_or_default();
        let figures: Vec<&str> = html
            .split("<figure class=\"listing\"")
            .skip(1)
            .map(|f| f.split("</figure>").next().unwrap_or_default())
            .collect();
        if figures.len() != expected {
            problems.push(format!(
                "{name}: {expected} code blocks from source files, {} listings on the page",
                figures.len()
            ));
        }
        for (i, figure) in figures.iter().enumerate() {
            let at = format!("{name}: listing {} of the page", i + 1);
            let caption = figure.split("</figcaption>").next().unwrap_or_default();
            if !NUMBER.is_match(caption) {
                problems.push(format!("{at}: no listing number"));
            }
            if !LANG.is_match(caption) {
                problems.push(format!("{at}: no language"));
            }
            match PATH.captures(caption) {
                None => problems.push(format!("{at}: no linked file path")),
                Some(cap) => {
                    let dir = chapter.parent().unwrap_or(root);
                    let href = cap[1].strip_prefix(outside).unwrap_or_default();
                    let file = crate::book::clean(&dir.join(href));
                    if !file.is_file()
                        || file
                            .strip_prefix(root)
                            .map_or(true, |rel| rel != Path::new(&cap[2]))
                    {
                        problems.push(format!(
                            "{at}: the link {} does not reach {}",
                            &cap[1], &cap[2]
                        ));
                    }
                }
            }
            let refs = REF.captures(caption).map(|c| c[1].to_string());
            let good = refs
                .as_ref()
                .is_some_and(|r| r.split(", ").all(crate::sections::is_reference));
            if !good {
                problems.push(format!(
                    "{at}: no textbook reference (APUE figure 16.10, UNP 24.2), found {refs:?}"
                ));
            }
            if !figure.contains("<pre") {
                problems.push(format!("{at}: no code block"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// `line` with the first mention in a chapter of each call of [`CALLS`],
/// in code, made a `man:` link.
fn link_calls(line: &str, linked: &mut Vec<&'static str>) -> String {
    CALL_CODE
        .replace_all(line, |cap: &regex::Captures<'_>| {
            let name = &cap[2];
            match CALLS.iter().find(|(n, _)| *n == name) {
                Some((n, section)) if !linked.contains(n) => {
                    linked.push(n);
                    let args = cap.get(3).map_or("", |m| m.as_str());
                    format!("{}[`{name}{args}`](man:{name}.{section})", &cap[1])
                }
                _ => cap[0].to_string(),
            }
        })
        .into_owned()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_have_one_scheme_each() {
        assert_eq!(
            man_url("socket", "2"),
            "https://man7.org/linux/man-pages/man2/socket.2.html"
        );
        assert_eq!(rfc_url("6093"), "https://www.rfc-editor.org/rfc/rfc6093");
        assert_eq!(
            docs_url("dns-lookup", "4.0.2", "fn.getaddrinfo.html"),
            "https://docs.rs/dns-lookup/4.0.2/dns_lookup/fn.getaddrinfo.html"
        );
    }

    #[test]
    fn a_rust_block_and_its_c_twin_make_one_numbered_pair() {
        let root = Path::new("/ws");
        let page = Page {
            section: None,
            fallback: vec!["UNP 24.1".into()],
            root,
            sections: &[],
            dir: root.join("book/src"),
            number: Some("8".into()),
            versions: &[],
            words: &Words::english(),
            outside: "",
        };
        let md = "# T\n\nUse `socket(...)`, then `socket` again.\n\n```rust\n{{#include ../../benches/a.rs:x}}\n```\n\n```c\n{{#include ../../benches/a.c:x}}\n```\n\n```text\n{{#include output/a.txt}}\n```\n\n```rust\n{{#include ../../benches/a.rs}}\n```\n";
        let out = page.transform(md).unwrap();
        assert_eq!(
            out.matches("<div class=\"listing-pair\"").count(),
            1,
            "{out}"
        );
        assert!(out.contains("id=\"listing-8-1-rust\"") && out.contains("id=\"listing-8-1-c\""));
        assert!(out.contains("id=\"listing-8-2\"") && out.contains("UNP 24.1"));
        assert!(out.contains("<figure class=\"transcript\">"));
        assert_eq!(
            out.matches("man7.org").count(),
            1,
            "one link per call per chapter"
        );
        assert!(
            out.contains("[`socket(...)`](https://man7.org/linux/man-pages/man2/socket.2.html)")
        );
        let bad = page.transform("![](images/x.svg)\n").unwrap_err();
        assert!(bad.contains("no alt text"), "{bad}");
        let bad = page
            .transform("see [x](docs:nosuchcrate/index.html)\n")
            .unwrap_err();
        assert!(bad.contains("docs:nosuchcrate"), "{bad}");
    }

    /// A `test:` link reaches the test's source from the chapter, and a
    /// test that does not exist fails the build; the label is marked.
    #[test]
    fn test_links_are_checked_and_the_label_is_marked() {
        let ws = std::env::temp_dir().join(format!("xtask-test-links-{}", std::process::id()));
        fs::create_dir_all(ws.join("crates/s/p/tests")).unwrap();
        fs::write(ws.join("crates/s/p/tests/t.rs"), "#[test]\nfn holds() {}\n").unwrap();
        let page_in = |words, outside| Page {
            section: None,
            fallback: Vec::new(),
            root: &ws,
            sections: &[],
            dir: ws.join("book/src"),
            number: None,
            versions: &[],
            words,
            outside,
        };
        let english = Words::english();
        let page = page_in(&english, "");
        // In a translation one folder down: one more `../`, the label in
        // the language's words and its full-width punctuation.
        let words = Words::from_pairs(&[(UNTESTED, "此处未测试")]);
        let translated = page_in(&words, "../");
        let out = translated
            .transform(
                "EINVAL ([`holds`](test:crates/s/p/tests/t.rs#holds))（此处未测试：BSD）。\n",
            )
            .unwrap();
        assert!(
            out.contains("](../../../crates/s/p/tests/t.rs#:~:text=fn%20holds "),
            "{out}"
        );
        assert!(
            out.contains("（<span class=\"untested\">此处未测试</span>：BSD）"),
            "{out}"
        );
        let out = page
            .transform("EINVAL ([`holds`](test:crates/s/p/tests/t.rs#holds)); BSD differs (not tested here: no BSD).\n")
            .unwrap();
        assert!(
            out.contains("[`holds`](../../crates/s/p/tests/t.rs#:~:text=fn%20holds \"the test, run by cargo xtask check-all\")"),
            "{out}"
        );
        assert!(
            out.contains("(<span class=\"untested\">not tested here</span>: no BSD)"),
            "{out}"
        );
        let bad = page
            .transform("[x](test:crates/s/p/tests/t.rs#gone)\n")
            .unwrap_err();
        assert!(bad.contains("defines no fn gone"), "{bad}");
        fs::remove_dir_all(&ws).unwrap();
    }

    /// A good listing passes; each missing part is named.
    #[test]
    fn every_listing_needs_number_language_link_and_reference() {
        let ws = std::env::temp_dir().join(format!("xtask-listings-{}", std::process::id()));
        let src = ws.join("book/src");
        fs::create_dir_all(&src).unwrap();
        fs::create_dir_all(ws.join("crates/s/p/src")).unwrap();
        fs::write(ws.join("crates/s/p/src/main.rs"), "fn main() {}\n").unwrap();
        let chapter = src.join("c.md");
        fs::write(
            &chapter,
            "```rust\n{{#include ../../crates/s/p/src/main.rs}}\n```\n\n```rust\n{{#include ../../crates/s/p/src/main.rs:x}}\n```\n",
        )
        .unwrap();
        let good = r##"<figure class="listing" data-lang="rust" id="listing-1-1"><figcaption><a class="listing-number" href="#listing-1-1">Listing 1.1</a> <span class="listing-lang">Rust</span>: <a class="listing-path" href="../../crates/s/p/src/main.rs"><code>crates/s/p/src/main.rs</code></a>; <span class="listing-ref">APUE figure 16.10, UNP 24.2</span></figcaption><pre><code>x</code></pre></figure>"##;
        let page = ws.join("c.html");
        let run = |html: String| {
            fs::write(&page, html).unwrap();
            check_built(&ws, &[(chapter.clone(), page.clone())], "")
        };
        assert_eq!(run(good.repeat(2)), Ok(()));
        // A translation one folder down: its own word, one more `../`.
        let translated = good
            .replace("Listing 1.1", "程序清单 1.1")
            .replace("href=\"../../crates", "href=\"../../../crates");
        fs::write(&page, translated.repeat(2)).unwrap();
        let pages = [(chapter.clone(), page.clone())];
        assert_eq!(check_built(&ws, &pages, "../"), Ok(()));
        assert!(
            check_built(&ws, &pages, "")
                .unwrap_err()
                .contains("does not reach")
        );
        let one = run(good.to_string()).unwrap_err();
        assert_eq!(
            one,
            "c.md: 2 code blocks from source files, 1 listings on the page"
        );
        let faults = [
            ("Listing 1.1</a>", "</a>", "no listing number"),
            (">Rust</span>", ">Go</span>", "no language"),
            (
                "href=\"../../crates/s/p/src/main.rs\"",
                "href=\"../crates/s/p/src/main.rs\"",
                "does not reach",
            ),
            (
                "APUE figure 16.10, UNP 24.2",
                "the textbook",
                "no textbook reference",
            ),
            ("<pre><code>x</code></pre>", "", "no code block"),
        ];
        for (from, to, want) in faults {
            let bad = good.replace(from, to);
            let err = run(format!("{good}{bad}")).unwrap_err();
            assert!(
                err.contains("listing 2 of the page") && err.contains(want),
                "{want}: {err}"
            );
        }
        fs::remove_dir_all(&ws).unwrap();
    }
}
