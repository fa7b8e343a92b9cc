//! `cargo xtask book-test`: the built book in a real browser.
//!
//! The book is served on 127.0.0.1 (any free port) and Debian's headless
//! Chromium loads every chapter of SUMMARY.md: the page must render (its
//! DOM has the chapter and its code blocks, no include left unexpanded),
//! print no console error, and leave a screenshot under
//! `target/book-test/` for a person to look at. The search box must find
//! `sockatmark` and `connect_retry` (mdBook fills it from `?search=`).
//! Internal links are checked on the HTML by the `links` stage.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use sockref::testing::run_bounded;

use crate::Workspace;
use crate::book;

/// What to install where the browser is missing.
pub const INSTALL: &str = "apt-get install chromium chromium-driver";

const LIMIT: Duration = Duration::from_secs(60);

/// The Chromium binary, if installed.
pub fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// One checked page or search: a name and its outcome.
pub type Check = (String, Result<(), String>);

/// Serves the built book at `dir` on a loopback port, for the rest of the
/// process's life; returns the base URL.
fn serve(dir: PathBuf) -> Result<String, String> {
    let server = book::Server::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("bind to 127.0.0.1 port 0: {e}"))?;
    let url = server.url();
    server.spawn(dir);
    Ok(url)
}

/// Runs headless Chromium on `url` with `action` (`--dump-dom`, or
/// `--screenshot=...`); returns stdout and stderr.
fn chrome(
    browser: &Path,
    profile: &Path,
    action: &str,
    url: &str,
) -> Result<(String, String), String> {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,1600",
        "--virtual-time-budget=3000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(action)
    .arg(url);
    let run =
        run_bounded(cmd, LIMIT).map_err(|e| format!("cannot run {}: {e}", browser.display()))?;
    if run.timed_out {
        return Err(format!("chromium did not finish within {LIMIT:?} on {url}"));
    }
    Ok((
        String::from_utf8_lossy(&run.output.stdout).into_owned(),
        String::from_utf8_lossy(&run.output.stderr).into_owned(),
    ))
}

/// Console messages that are errors: uncaught exceptions and console.error.
fn console_errors(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") && (l.contains("Uncaught") || l.contains("rror")))
        .map(str::to_string)
        .collect()
}

/// The start of each recorded output a chapter includes (`$ cargo run -q
/// -p PACKAGE`), which the rendered page must show.
fn recorded_commands(chapter: &Path) -> Vec<String> {
    let Ok(includes) = book::includes(chapter) else {
        return Vec::new();
    };
    includes
        .iter()
        .filter(|i| i.file.components().any(|c| c.as_os_str() == "output"))
        .filter_map(|i| std::fs::read_to_string(&i.file).ok())
        .filter_map(|text| {
            let first = text.lines().next()?.to_string();
            let words: Vec<&str> = first.split_whitespace().take(5).collect();
            Some(words.join(" "))
        })
        .collect()
}

/// Loads every chapter and runs the searches. `Err` means the test could
/// not run at all (no browser, no book).
pub fn book_test(ws: &Workspace) -> Result<Vec<Check>, String> {
    let browser = chromium().ok_or_else(|| format!("chromium is not installed ({INSTALL})"))?;
    let built = ws.target.join("book");
    if !built.join("index.html").is_file() {
        return Err("the book is not built (cargo xtask book)".into());
    }
    let out = ws.target.join("book-test");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let profile = out.join("profile");
    let base = serve(built)?;
    let mut checks = Vec::new();
    let src = ws.root.join("book/src");
    for chapter in book::chapter_paths(ws)? {
        let rel = chapter
            .strip_prefix(&src)
            .unwrap_or(&chapter)
            .with_extension("html");
        let page = rel.display().to_string();
        let url = format!("{base}/{page}");
        let result = (|| {
            let (dom, stderr) = chrome(&browser, &profile, "--dump-dom", &url)?;
            let errors = console_errors(&stderr);
            if !errors.is_empty() {
                return Err(format!("console errors:\n{}", errors.join("\n")));
            }
            if !dom.contains("<main") || dom.contains("{{#include") {
                return Err(
                    "the chapter did not render (no <main>, or an include left unexpanded)".into(),
                );
            }
            let fences =
                std::fs::read_to_string(&chapter).map_or(0, |md| md.matches("```").count() / 2);
            let blocks = dom.matches("<pre").count();
            if blocks < fences {
                return Err(format!(
                    "{fences} code blocks in the chapter, {blocks} rendered"
                ));
            }
            for command in recorded_commands(&chapter) {
                if !dom.contains(&command) {
                    return Err(format!(
                        "the recorded output of `{command}` is not on the page"
                    ));
                }
            }
            let shot = out.join(rel.with_extension("png"));
            chrome(
                &browser,
                &profile,
                &format!("--screenshot={}", shot.display()),
                &url,
            )?;
            if !shot.is_file() {
                return Err(format!("no screenshot was written to {}", shot.display()));
            }
            Ok(())
        })();
        checks.push((page, result));
    }
    static FOUND: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(\d+) search results? for").expect("valid pattern"));
    for term in ["sockatmark", "connect_retry"] {
        let url = format!("{base}/index.html?search={term}");
        let result =
            chrome(&browser, &profile, "--dump-dom", &url).and_then(|(dom, _)| {
                match FOUND
                    .captures(&dom)
                    .and_then(|c| c[1].parse::<usize>().ok())
                {
                    Some(n) if n > 0 => Ok(()),
                    _ => Err(format!("the search box found nothing for '{term}'")),
                }
            });
        checks.push((format!("search {term}"), result));
    }
    let _ = std::fs::remove_dir_all(&profile);
    Ok(checks)
}

/// `cargo xtask book-test`: builds the book, runs [`book_test`], and
/// prints one line per page.
pub fn book_test_command(ws: &Workspace) -> Result<(), sockref::Error> {
    book::build(ws)?;
    let checks = book_test(ws).map_err(sockref::Error::runtime)?;
    let failed = checks.iter().filter(|(_, r)| r.is_err()).count();
    for (name, result) in &checks {
        match result {
            Ok(()) => println!("ok    {name}"),
            Err(e) => println!("FAIL  {name}: {e}"),
        }
    }
    println!("screenshots in {}", ws.target.join("book-test").display());
    println!("{} passed, {failed} failed", checks.len() - failed);
    if failed > 0 {
        Err(sockref::Error::runtime(format!("{failed} page(s) failed")))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_errors_are_told_from_other_logging() {
        let stderr = "[1:1:INFO:CONSOLE:1] \"Uncaught Error: boom\", source: x (1)\n\
                      [1:1:INFO:CONSOLE:2] \"hello\", source: x (2)\n\
                      [1:1:WARNING:other.cc] Error in something else\n";
        assert_eq!(console_errors(stderr).len(), 1);
    }
}
