//! The book: checking what chapters include, building it with mdBook used as
//! a library, and serving it on loopback for reading.
//!
//! mdBook only logs a missing include file and renders an empty block for a
//! missing anchor, so the grader checks every include itself.

use std::collections::BTreeSet;
use std::fs;
use std::net::Ipv4Addr;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, LazyLock};

use regex::Regex;
use sockref::Error;

use crate::Workspace;
use crate::i18n::{self, LANGUAGES, Language, Words};
use crate::programs::display;

/// `{{#include path}}`, `{{#include path:anchor}}`, `{{#include path:3:9}}`,
/// and the same for `rustdoc_include`; an escaped `\{{#include` is text.
static INCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\\?)\{\{#(include|rustdoc_include)\s+([^}\s]+)\s*\}\}").expect("valid pattern")
});

/// One include directive of a chapter.
#[derive(Debug)]
pub struct Include {
    pub chapter: PathBuf,
    pub line: usize,
    /// The included file, resolved against the chapter's folder.
    pub file: PathBuf,
    pub anchor: Option<String>,
}

/// The chapters of the book in order, as mdBook parses SUMMARY.md: paths
/// relative to `book/src` (drafts and separators left out).
pub fn chapters(ws: &Workspace) -> Result<Vec<String>, String> {
    let book = mdbook_driver::MDBook::load(ws.root.join("book"))
        .map_err(|e| format!("book/src/SUMMARY.md: {e:#}"))?;
    Ok(book
        .iter()
        .filter_map(|item| match item {
            mdbook_driver::book::BookItem::Chapter(ch) => ch.path.as_ref(),
            _ => None,
        })
        .map(|p| p.to_string_lossy().into_owned())
        .collect())
}

/// The chapters as paths under `book/src`.
pub fn chapter_paths(ws: &Workspace) -> Result<Vec<PathBuf>, String> {
    let src = ws.root.join("book/src");
    Ok(chapters(ws)?.iter().map(|c| src.join(c)).collect())
}

/// Every include directive of `chapter`.
pub fn includes(chapter: &Path) -> Result<Vec<Include>, String> {
    let text = fs::read_to_string(chapter).map_err(|e| format!("{}: {e}", chapter.display()))?;
    let dir = chapter.parent().expect("chapter in a folder");
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for cap in INCLUDE.captures_iter(line) {
            if !cap[1].is_empty() {
                continue; // escaped: shown as text
            }
            let spec = &cap[3];
            let (path, rest) = spec
                .split_once(':')
                .map_or((spec, None), |(p, r)| (p, Some(r)));
            let anchor = rest
                .filter(|r| !r.chars().next().is_some_and(|c| c.is_ascii_digit()) && !r.is_empty());
            found.push(Include {
                chapter: chapter.to_path_buf(),
                line: i + 1,
                file: clean(&dir.join(path)),
                anchor: anchor.map(str::to_string),
            });
        }
    }
    Ok(found)
}

/// Checks one chapter's includes: each file exists, each anchor is opened
/// and closed in it. Returns one message per broken include.
pub fn check_includes(ws: &Workspace, chapter: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    for inc in includes(chapter)? {
        let at = format!("{}:{}", display(ws, &inc.chapter), inc.line);
        let Ok(text) = fs::read_to_string(&inc.file) else {
            problems.push(format!(
                "{at}: includes {}, which does not exist",
                display(ws, &inc.file)
            ));
            continue;
        };
        if let Some(anchor) = &inc.anchor {
            let opened = text
                .lines()
                .any(|l| anchor_name(l, "ANCHOR:") == Some(anchor));
            let closed = text
                .lines()
                .any(|l| anchor_name(l, "ANCHOR_END:") == Some(anchor));
            if !(opened && closed) {
                problems.push(format!(
                    "{at}: anchor '{anchor}' is not {} in {}",
                    if opened {
                        "closed (ANCHOR_END)"
                    } else {
                        "defined"
                    },
                    display(ws, &inc.file)
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// The anchor name on a line such as `// ANCHOR: name` or `/* ANCHOR: name */`.
fn anchor_name<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let rest = &line[line.find(marker)? + marker.len()..];
    rest.split_whitespace().next().filter(|name| *name != "*/")
}

/// Every file some chapter of the book includes.
pub fn included_files(ws: &Workspace) -> Result<BTreeSet<PathBuf>, String> {
    let mut files = BTreeSet::new();
    for chapter in chapter_paths(ws)? {
        files.extend(includes(&chapter)?.into_iter().map(|i| i.file));
    }
    Ok(files)
}

/// Every anchor defined in the workspace's sources is included by some
/// chapter: an anchor nobody shows is a label that lies about the book.
pub fn check_anchors_used(ws: &Workspace) -> Result<(), String> {
    let mut used = BTreeSet::new();
    for chapter in chapter_paths(ws)? {
        for inc in includes(&chapter)? {
            if let Some(anchor) = inc.anchor {
                used.insert((inc.file, anchor));
            }
        }
    }
    let mut unused = Vec::new();
    for file in source_files(ws) {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if let Some(name) = anchor_name(line, "ANCHOR:")
                && !used.contains(&(file.clone(), name.to_string()))
            {
                unused.push(format!(
                    "{}:{}: anchor '{name}' is included by no chapter (include it or remove it)",
                    display(ws, &file),
                    i + 1
                ));
            }
        }
    }
    if unused.is_empty() {
        Ok(())
    } else {
        Err(unused.join("\n"))
    }
}

/// The Rust and C sources under crates/, lib/ and benches/.
fn source_files(ws: &Workspace) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    walk(&path, out);
                }
            } else if path
                .extension()
                .is_some_and(|e| e == "rs" || e == "c" || e == "h")
            {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for dir in ["crates", "lib", "benches"] {
        walk(&ws.root.join(dir), &mut out);
    }
    out.sort();
    out
}

/// `a/b/../c` as `a/c`, without touching the file system.
pub(crate) fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Builds the book with mdBook into `target/book` and returns that folder:
/// the English book there, and each translation of [`LANGUAGES`] in
/// `target/book/<code>/` (built after the English, whose build empties the
/// folder, the translations at once).
pub fn build(ws: &Workspace) -> Result<PathBuf, Error> {
    let out = build_one(ws, None)?;
    std::thread::scope(|scope| {
        let builds: Vec<_> = LANGUAGES
            .iter()
            .map(|lang| scope.spawn(move || build_one(ws, Some(lang))))
            .collect();
        builds
            .into_iter()
            .try_for_each(|b| b.join().expect("a book build does not panic").map(|_| ()))
    })?;
    Ok(out)
}

/// One language's book: English when `lang` is `None`.
fn build_one(ws: &Workspace, lang: Option<&Language>) -> Result<PathBuf, Error> {
    let dir = ws.root.join("book");
    let mut config = mdbook_driver::config::Config::from_disk(dir.join("book.toml"))
        .map_err(|e| Error::runtime(format!("book/book.toml: {e:#}")))?;
    // Beside cargo's output wherever CARGO_TARGET_DIR puts it.
    let out = match lang {
        None => ws.target.join("book"),
        Some(lang) => ws.target.join("book").join(lang.code),
    };
    config.build.build_dir = out.clone();
    // The listings preprocessor must see the include directives, so it runs
    // before mdBook's own `links` and `index`, registered here in order.
    config.build.use_default_preprocessors = false;
    let words = match lang {
        None => Words::english(),
        Some(lang) => {
            config.book.language = Some(lang.code.to_string());
            let words = Words::from_catalog(
                &i18n::parse(&i18n::po_path(ws, lang)).map_err(Error::runtime)?,
            );
            config.book.title = config.book.title.map(|t| words.get(&t).to_string());
            words
        }
    };
    let mut book = mdbook_driver::MDBook::load_with_config(&dir, config)
        .map_err(|e| Error::runtime(format!("load book/: {e:#}")))?;
    if let Some(lang) = lang {
        // Translated first, so everything after sees the language's text,
        // with the English headings' ids kept.
        book.with_preprocessor(i18n::StableAnchors)
            .with_preprocessor(i18n::Translate {
                po: i18n::po_path(ws, lang),
            });
    }
    book.with_preprocessor(crate::listings::Listings {
        root: ws.root.clone(),
        sections: crate::sections::all(),
        words,
        outside: if lang.is_some() { "../" } else { "" },
    })
    .with_preprocessor(mdbook_driver::builtin_preprocessors::LinkPreprocessor::new())
    .with_preprocessor(mdbook_driver::builtin_preprocessors::IndexPreprocessor::new());
    let name = lang.map_or("en", |l| l.code);
    book.build()
        .map_err(|e| Error::runtime(format!("build the book ({name}): {e:#}")))?;
    if !out.join("index.html").is_file() {
        return Err(Error::runtime(format!(
            "the book build wrote no {}",
            out.join("index.html").display()
        )));
    }
    Ok(out)
}

/// Every internal link and anchor of the built book resolves: each
/// `href`/`src` that is not external names a file that exists, and each
/// `#anchor` an `id` in that file.
///
/// A relative link that leaves the book (a listing's link to its source)
/// is read as the chapter's source reads it, from `src` (`book/src`), and
/// must reach a file of the workspace. External links are checked for form
/// only: `https://`, a host with a dot, no space (nothing is fetched).
pub fn check_links(book: &Path, src: &Path) -> Result<(), String> {
    static LINK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"(?:href|src)="([^"]*)""#).expect("valid pattern"));
    static ID: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"\bid="([^"]*)""#).expect("valid pattern"));
    let pages = html_files(book);
    if pages.is_empty() {
        return Err(format!(
            "no HTML in {}: build the book first",
            book.display()
        ));
    }
    let mut ids: std::collections::HashMap<PathBuf, BTreeSet<String>> =
        std::collections::HashMap::new();
    let mut ids_of = |file: &Path| -> BTreeSet<String> {
        ids.entry(file.to_path_buf())
            .or_insert_with(|| {
                let text = fs::read_to_string(file).unwrap_or_default();
                ID.captures_iter(&text).map(|c| c[1].to_string()).collect()
            })
            .clone()
    };
    let mut broken = Vec::new();
    for page in &pages {
        let text = fs::read_to_string(page).map_err(|e| format!("{}: {e}", page.display()))?;
        for cap in LINK.captures_iter(&text) {
            let link = cap[1].replace("&amp;", "&");
            let shown = page
                .strip_prefix(book)
                .unwrap_or(page)
                .display()
                .to_string();
            if link.contains("://") {
                if let Err(why) = external_form(&link) {
                    broken.push(format!("{shown}: link to {link}: {why}"));
                }
                continue;
            }
            if link.is_empty() || link.starts_with("mailto:") || link.starts_with("javascript:") {
                continue;
            }
            if let Some((scheme, _)) = link.split_once(':')
                && !scheme.contains('/')
                && !scheme.contains('#')
            {
                broken.push(format!("{shown}: link to {link}: unknown scheme {scheme}:"));
                continue;
            }
            let (path, anchor) = link
                .split_once('#')
                .map_or((link.as_str(), None), |(p, a)| (p, Some(a)));
            let path = path.split('?').next().unwrap_or_default();
            let target = if path.is_empty() {
                page.clone()
            } else if let Some(rooted) = path.strip_prefix('/') {
                book.join(rooted)
            } else {
                clean(
                    &page
                        .parent()
                        .expect("page in a folder")
                        .join(percent_decode(path)),
                )
            };
            if !target.starts_with(book) {
                // Out of the book: a link to a source file of the workspace.
                let rel = page.strip_prefix(book).unwrap_or(page);
                let from = clean(&src.join(rel).parent().expect("page in a folder").join(path));
                let workspace = clean(&src.join("../.."));
                if !(from.starts_with(&workspace) && from.is_file()) {
                    broken.push(format!(
                        "{shown}: link to {link}: no such file in the workspace"
                    ));
                }
                continue;
            }
            let target = if target.is_dir() {
                target.join("index.html")
            } else {
                target
            };
            if !target.is_file() {
                broken.push(format!("{shown}: link to {link}: no such file"));
                continue;
            }
            let is_html = target.extension().is_some_and(|e| e == "html");
            if let Some(anchor) = anchor.filter(|a| !a.is_empty() && is_html)
                && !ids_of(&target).contains(&percent_decode(anchor))
            {
                broken.push(format!("{shown}: link to {link}: no such anchor"));
            }
        }
    }
    broken.sort();
    broken.dedup();
    if broken.is_empty() {
        Ok(())
    } else {
        Err(broken.join("\n"))
    }
}

/// An external link as the book may write it.
fn external_form(link: &str) -> Result<(), &'static str> {
    static FORM: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^https://[a-z0-9-]+(\.[a-z0-9-]+)+(/[^\s<>\x22]*)?$").expect("valid pattern")
    });
    if !link.starts_with("https://") {
        Err("not an https address")
    } else if FORM.is_match(link) {
        Ok(())
    } else {
        Err("not a well-formed address")
    }
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(html_files(&path));
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// `cargo xtask book --serve`: builds the book and serves it on 127.0.0.1
/// (any free port unless `--port` says) until interrupted.
pub fn serve(ws: &Workspace, port: u16) -> Result<(), Error> {
    let root = build(ws)?;
    let server = Server::bind((Ipv4Addr::LOCALHOST, port))
        .map_err(|e| Error::runtime(format!("bind to 127.0.0.1:{port}: {e}")))?;
    println!("serving the book on {} (Ctrl-C stops)", server.url());
    server
        .run(Site::new(root, &ws.root))
        .map_err(Error::runtime)
}

/// What the server serves: the built book, and the workspace's sources
/// under the paths the book's listings link to (`/crates/...`, `/lib/...`,
/// `/benches/...`: the book's `../../crates/...` from the site's root).
#[derive(Debug, Clone)]
pub struct Site {
    book: PathBuf,
    sources: PathBuf,
}

impl Site {
    pub fn new(book: PathBuf, workspace: &Path) -> Self {
        Site {
            book,
            sources: workspace.to_path_buf(),
        }
    }

    /// The file a request path names, or None.
    fn file(&self, path: &str) -> Option<PathBuf> {
        let parts: Vec<String> = path
            .split('/')
            .filter(|p| !p.is_empty() && *p != "." && *p != "..")
            .map(percent_decode)
            .collect();
        let source = matches!(
            parts.first().map(String::as_str),
            Some("crates" | "lib" | "benches")
        );
        let mut file = if source {
            self.sources.clone()
        } else {
            self.book.clone()
        };
        file.extend(&parts);
        if file.is_dir() && !source {
            file.push("index.html");
        }
        let shown = !source
            || file
                .extension()
                .is_some_and(|e| ["rs", "c", "h", "toml", "md"].iter().any(|x| e == *x));
        (shown && file.is_file()).then_some(file)
    }
}

/// A static-file server for the built book, on hyper: every connection
/// is a task of its own, so an idle keep-alive connection blocks nobody.
/// (tiny_http was tried first: its thread pool hands a new connection to
/// a thread that may be parked on another client's idle keep-alive
/// socket, and Chromium's page loads stalled for a minute now and then.)
pub struct Server {
    listener: std::net::TcpListener,
}

impl Server {
    pub fn bind(addr: (Ipv4Addr, u16)) -> Result<Self, String> {
        let listener = std::net::TcpListener::bind(addr).map_err(|e| e.to_string())?;
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        Ok(Server { listener })
    }

    pub fn url(&self) -> String {
        match self.listener.local_addr() {
            Ok(addr) => format!("http://{addr}"),
            Err(e) => format!("http://(unknown: {e})"),
        }
    }

    /// Serves `site` until the process ends.
    pub fn run(self, site: Site) -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("a tokio runtime: {e}"))?;
        let root = Arc::new(site);
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(self.listener)
                .map_err(|e| format!("listen: {e}"))?;
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let root = Arc::clone(&root);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let root = Arc::clone(&root);
                        async move { Ok::<_, std::convert::Infallible>(answer(&root, &request)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        })
    }

    /// Serves `site` on a thread of its own.
    pub fn spawn(self, site: Site) {
        std::thread::spawn(move || self.run(site));
    }
}

/// One GET: the file, or the book's own 404 page with status 404.
fn answer<B>(
    site: &Site,
    request: &hyper::Request<B>,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let (status, file) = match site.file(request.uri().path()) {
        Some(file) => (200, file),
        None => (404, site.book.join("404.html")),
    };
    let body = fs::read(&file).unwrap_or_else(|_| b"not found".to_vec());
    hyper::Response::builder()
        .status(status)
        .header("Content-Type", content_type(&file))
        .body(http_body_util::Full::new(bytes::Bytes::from(body)))
        .expect("a valid response")
}

fn percent_decode(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css",
        Some("js") => "application/javascript",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("rs" | "c" | "h" | "toml" | "md") => "text/plain; charset=utf-8",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_serves_the_book_and_the_sources_its_listings_link_to() {
        let dir = std::env::temp_dir().join(format!("xtask-site-{}", std::process::id()));
        let (book, ws) = (dir.join("target/book"), dir.join("ws"));
        fs::create_dir_all(&book).unwrap();
        fs::create_dir_all(ws.join("crates/oob/oob-send/src")).unwrap();
        fs::write(book.join("index.html"), "book").unwrap();
        fs::write(ws.join("crates/oob/oob-send/src/main.rs"), "fn main() {}").unwrap();
        fs::write(ws.join("crates/secret.key"), "no").unwrap();
        let site = Site::new(book.clone(), &ws);
        let found = [
            site.file("/"),
            site.file("/crates/oob/oob-send/src/main.rs"),
            site.file("/crates/../../../../etc/hostname.rs"),
            site.file("/crates/secret.key"),
            site.file("/nothing.html"),
        ];
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found[0], Some(book.join("index.html")));
        assert_eq!(found[1], Some(ws.join("crates/oob/oob-send/src/main.rs")));
        assert_eq!(found[2], None, "'..' is dropped, never followed");
        assert_eq!(found[3], None, "only source files are served");
        assert_eq!(found[4], None);
    }

    #[test]
    fn anchors_in_rust_and_c_comments() {
        assert_eq!(anchor_name("// ANCHOR: main", "ANCHOR:"), Some("main"));
        assert_eq!(anchor_name("/* ANCHOR: main */", "ANCHOR:"), Some("main"));
        assert_eq!(
            anchor_name("/* ANCHOR_END: main */", "ANCHOR_END:"),
            Some("main")
        );
        assert_eq!(anchor_name("no anchor", "ANCHOR:"), None);
    }

    #[test]
    fn broken_links_and_anchors_are_named() {
        let ws = std::env::temp_dir().join(format!("xtask-links-{}", std::process::id()));
        let dir = ws.join("target/book");
        fs::create_dir_all(&dir).unwrap();
        fs::create_dir_all(ws.join("crates")).unwrap();
        fs::write(ws.join("crates/a.rs"), "").unwrap();
        fs::write(
            dir.join("a.html"),
            r#"<h2 id="here">x</h2><a href="b.html#there">ok</a><a href="a.html#here">ok</a><a href="../../crates/a.rs">src</a>"#,
        )
        .unwrap();
        fs::write(
            dir.join("b.html"),
            concat!(
                r#"<p id="there"></p><a href="missing.html">no</a><a href="a.html#nowhere">no</a>"#,
                r#"<a href="https://example.org/x.html">ext</a><a href="http://example.org/">plain</a>"#,
                r#"<a href="https://exa mple.org/">space</a><a href="man:socket.2">helper left</a>"#,
                r#"<a href="../../crates/b.rs">no source</a>"#,
            ),
        )
        .unwrap();
        let err = check_links(&dir, &ws.join("book/src")).unwrap_err();
        fs::remove_dir_all(&ws).unwrap();
        assert_eq!(
            err,
            [
                "b.html: link to ../../crates/b.rs: no such file in the workspace",
                "b.html: link to a.html#nowhere: no such anchor",
                "b.html: link to http://example.org/: not an https address",
                "b.html: link to https://exa mple.org/: not a well-formed address",
                "b.html: link to man:socket.2: unknown scheme man:",
                "b.html: link to missing.html: no such file",
            ]
            .join("\n")
        );
    }

    #[test]
    fn include_specs() {
        let dir = std::env::temp_dir().join(format!("xtask-inc-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let chapter = dir.join("c.md");
        fs::write(
            &chapter,
            "{{#include ../a.rs:main}}\n\\{{#include not.rs}}\n{{#include b.txt}} {{#include x.c:3:9}}\n",
        )
        .unwrap();
        let found = includes(&chapter).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        let got: Vec<(usize, String, Option<String>)> = found
            .iter()
            .map(|i| {
                (
                    i.line,
                    i.file.file_name().unwrap().to_string_lossy().into_owned(),
                    i.anchor.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (1, "a.rs".into(), Some("main".into())),
                (3, "b.txt".into(), None),
                (3, "x.c".into(), None)
            ]
        );
        assert_eq!(found[0].file, clean(&dir.join("../a.rs")));
    }
}
