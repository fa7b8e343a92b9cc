//! `cargo xtask book-test`: the built book in a real browser.
//!
//! The book is served on 127.0.0.1 (any free port) and Debian's headless
//! Chromium, driven through ChromeDriver by the WebDriver client
//! fantoccini, loads every chapter of SUMMARY.md in one browser session:
//! the page must render (its DOM has the chapter and its code blocks, no
//! include left unexpanded, every recorded output on the page) and log no
//! console error, and again in the `navy` theme. No code block may be
//! wider than the text column at 1280 px (the failure names the chapter
//! and the block), every figure needs alt text, and at a phone's 390 px no
//! figure may draw its text under 10 px. `cargo xtask book-test`
//! also leaves three full-page screenshots of each chapter under
//! `target/book-test/`, for a person to look at: at 1280 px, at a phone's
//! 390 px, and at 1280 px in the `navy` theme (check-all's browser stage
//! runs the same checks without them, to stay within its time budget). The search box must find
//! `sockatmark` and `connect_retry` (mdBook fills it from `?search=`).
//! Every translation (`target/book/<code>/`) gets the same page checks
//! (less the widths of code and figure text, which are the English
//! pages') and a search for `sockatmark`, and on every page of every language the
//! language picker must offer each language, each link reaching the same
//! chapter. Internal links are checked on the HTML by the `links` stage.

use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use regex::Regex;
use serde_json::{Value, json};
use sockref::testing::GroupChild;

use crate::Workspace;
use crate::book;
use crate::i18n::{ENGLISH, LANGUAGES, Language};

/// What to install where the browser is missing.
pub const INSTALL: &str = "apt-get install chromium chromium-driver";

/// The whole browser run, every page and search, ends within this.
const LIMIT: Duration = Duration::from_secs(120);

/// The widths a reader sees the book at: a laptop and a phone.
const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);

/// Chromium refuses to make a window taller than this; longer pages are
/// cut there in the screenshot (the checks still see the whole DOM).
const TALLEST: u32 = 16_000;

/// The language picker of `book/theme/languages.js`: its button's text and
/// where its links go.
const PICKER_JS: &str = r#"
const picker = document.querySelector('#mdbook-menu-bar .language-picker');
if (!picker) { return null; }
return [picker.querySelector('summary').textContent,
        [...picker.querySelectorAll('a')].map(a => [a.hreflang, a.href])];
"#;

/// The smallest text, in CSS pixels, a figure may draw at a phone's width.
const SMALLEST_TEXT: f64 = 10.0;

/// Every code block wider than its box, with all `<details>` open and each
/// Rust/C pair stacked (as a reader may see them), then put back. One line
/// per block: its number on the page, and its caption or first line.
const OVERFLOW_JS: &str = r#"
const details = [...document.querySelectorAll('main details')].filter(d => !d.open);
details.forEach(d => d.open = true);
const pairs = [...document.querySelectorAll('main .listing-pair')];
const shows = pairs.map(p => p.getAttribute('data-show'));
pairs.forEach(p => p.removeAttribute('data-show'));
const out = [];
document.querySelectorAll('main pre').forEach((pre, i) => {
  const code = pre.querySelector('code') || pre;
  const wide = [pre, code].find(e => e.scrollWidth > e.clientWidth + 1);
  if (wide) {
    const fig = pre.closest('figure');
    const cap = fig && fig.querySelector('figcaption');
    const label = cap ? cap.innerText : (pre.innerText.split('\n')[0] || '');
    out.push(`block ${i + 1} (${label.trim().slice(0, 100)}): ${wide.scrollWidth} px wide in ${wide.clientWidth} px`);
  }
});
details.forEach(d => d.open = false);
pairs.forEach((p, i) => shows[i] === null ? p.removeAttribute('data-show') : p.setAttribute('data-show', shows[i]));
return out;
"#;

/// Figures without alt text, and text of inline SVG figures drawn smaller
/// than `arguments[0]` pixels at the current width.
const FIGURES_JS: &str = r#"
const smallest = arguments[0];
const out = [];
document.querySelectorAll('main figure.figure').forEach(fig => {
  const name = (fig.querySelector('figcaption') || fig).innerText.split(':')[0];
  const svg = fig.querySelector('svg');
  if (!svg) return;
  const box = svg.viewBox.baseVal;
  const scale = box && box.width ? svg.getBoundingClientRect().width / box.width : 1;
  let small = null;
  svg.querySelectorAll('text').forEach(t => {
    const px = parseFloat(getComputedStyle(t).fontSize) * scale;
    if (px < smallest && (small === null || px < small.px)) small = { px, text: t.textContent };
  });
  if (small) out.push(`${name}: text drawn at ${small.px.toFixed(1)} px ("${small.text}"), under ${smallest} px`);
});
return out;
"#;

/// Everything one loaded page is checked for, in one round trip to the
/// browser (`arguments[0]`: the commands of the recorded outputs it must
/// show): whether it rendered, its code blocks, the commands missing from
/// its text, the picker, the blocks wider than the column, the figures
/// without alt text, and how many SVG figures it has.
static PAGE_JS: LazyLock<String> = LazyLock::new(|| {
    [
        "const commands = arguments[0];\n",
        "const text = document.body.innerText;\n",
        "return {\n",
        "  rendered: !!document.querySelector('main') && !document.body.innerHTML.includes('{{#include'),\n",
        "  blocks: document.querySelectorAll('pre').length,\n",
        "  missing: commands.filter(c => !text.includes(c)),\n",
        "  picker: (() => {",
        PICKER_JS,
        "})(),\n  overflow: (() => {",
        OVERFLOW_JS,
        "})(),\n  alt: (() => {",
        ALT_JS,
        "})(),\n  svg: document.querySelectorAll('main figure.figure svg').length,\n};\n",
    ]
    .concat()
});

/// Images and inline SVG figures without alt text.
const ALT_JS: &str = r#"
const out = [];
document.querySelectorAll('main img').forEach(img => {
  if (!(img.getAttribute('alt') || '').trim()) out.push(`${img.getAttribute('src')}: no alt text`);
});
document.querySelectorAll('main figure.figure svg').forEach(svg => {
  if (!(svg.getAttribute('aria-label') || '').trim()) out.push(`${svg.closest('figure').id}: no alt text`);
});
return out;
"#;

/// A JSON array of strings as strings.
fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// One checked page or search: a name and its outcome.
pub type Check = (String, Result<(), String>);

/// The Chromium binary and its driver, if installed.
fn installed() -> Option<(PathBuf, PathBuf)> {
    let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())?;
    let driver = PathBuf::from("/usr/bin/chromedriver");
    driver.is_file().then_some((browser, driver))
}

/// Serves the built book at `dir` on a loopback port, for the rest of the
/// process's life; returns the base URL.
fn serve(dir: PathBuf, ws_root: &Path) -> Result<String, String> {
    let server = book::Server::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("bind to 127.0.0.1 port 0: {e}"))?;
    let url = server.url();
    server.spawn(book::Site::new(dir, ws_root));
    Ok(url)
}

/// Starts ChromeDriver on a free loopback port and waits for its word that
/// it listens; the returned guard kills it.
fn start_driver(driver: &Path, log: &Path) -> Result<(GroupChild, String), String> {
    let port = sockref::peer::closed_port()
        .map_err(|e| format!("a free port for chromedriver: {e}"))?
        .port();
    let mut cmd = Command::new(driver);
    cmd.arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .arg(format!("--log-path={}", log.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut group =
        GroupChild::spawn(cmd).map_err(|e| format!("cannot start {}: {e}", driver.display()))?;
    let stdout = group.child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("started successfully") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(20))
        .map_err(|_| format!("{} did not say it was listening", driver.display()))?;
    Ok((group, format!("http://127.0.0.1:{port}")))
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

/// Loads every chapter and runs the searches, calling `progress` after
/// each. `Err` means the test could not run at all (no browser, no book).
pub fn book_test(
    ws: &Workspace,
    screenshots: bool,
    progress: &dyn Fn(&Check),
) -> Result<Vec<Check>, String> {
    let (browser, driver) =
        installed().ok_or_else(|| format!("chromium is not installed ({INSTALL})"))?;
    let built = ws.target.join("book");
    if !built.join("index.html").is_file() {
        return Err("the book is not built (cargo xtask book)".into());
    }
    let out = ws.target.join("book-test");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    // Two browsers at once, each with a profile of its own: the English
    // book in one, the translations in the other.
    let profiles = [out.join("profile"), out.join("profile-translations")];
    for profile in &profiles {
        let _ = std::fs::remove_dir_all(profile);
    }
    let base = serve(built.clone(), &ws.root)?;
    // The driver's log stays behind for a person to read when a run fails.
    let (_driver, driver_url) = start_driver(&driver, &out.join("chromedriver.log"))?;
    let src = ws.root.join("book/src");
    let pages: Vec<(PathBuf, String)> = book::chapter_paths(ws)?
        .into_iter()
        .map(|chapter| {
            let rel = chapter
                .strip_prefix(&src)
                .unwrap_or(&chapter)
                .with_extension("html");
            (chapter, rel.display().to_string())
        })
        .collect();
    for lang in LANGUAGES {
        if !built.join(lang.code).join("index.html").is_file() {
            return Err(format!(
                "the {} book is not built (cargo xtask book)",
                lang.code
            ));
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("a tokio runtime: {e}"))?;
    let run = Run {
        base,
        book: built,
        out: screenshots.then(|| out.clone()),
        progress,
    };
    let result = runtime.block_on(async {
        let english = connect(&driver_url, &browser, &profiles[0]).await?;
        let translations = match connect(&driver_url, &browser, &profiles[1]).await {
            Ok(client) => client,
            Err(e) => {
                let _ = english.close().await;
                return Err(e);
            }
        };
        let both = async {
            let (mut checks, more) = tokio::join!(
                run.english(&english, &pages),
                run.translations(&translations, &pages)
            );
            checks.extend(more);
            checks
        };
        let checks = tokio::time::timeout(LIMIT, both).await;
        let _ = english.close().await;
        let _ = translations.close().await;
        checks.map_err(|_| format!("the browser run did not finish within {LIMIT:?}"))
    });
    for profile in &profiles {
        let _ = std::fs::remove_dir_all(profile);
    }
    result
}

/// A WebDriver session on headless Chromium that keeps the browser's log.
async fn connect(driver: &str, browser: &Path, profile: &Path) -> Result<Client, String> {
    let caps = json!({
        "browserName": "chrome",
        "goog:loggingPrefs": { "browser": "ALL" },
        "goog:chromeOptions": {
            "binary": browser,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let Value::Object(caps) = caps else {
        unreachable!("a JSON object literal")
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(driver)
        .await
        .map_err(|e| format!("a WebDriver session on chromium: {e}"))
}

/// ChromeDriver's log of the browser console since the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

/// A Chrome DevTools command through ChromeDriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp(Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.0.to_string()))
    }
}

/// Console messages that are errors (uncaught exceptions, console.error,
/// failed loads), from the log ChromeDriver returns.
fn console_errors(log: &Value) -> Vec<String> {
    log.as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["level"] == "SEVERE")
        .map(|entry| entry["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

struct Run<'a> {
    base: String,
    /// The built book the server serves.
    book: PathBuf,
    /// Where screenshots go; `None` takes none (check-all's stage: the
    /// checks alone take a few seconds, full-page screenshots half a
    /// second each).
    out: Option<PathBuf>,
    progress: &'a dyn Fn(&Check),
}

impl Run<'_> {
    /// Every English page, again in the navy theme, and two searches.
    async fn english(&self, client: &Client, pages: &[(PathBuf, String)]) -> Vec<Check> {
        let mut checks = Vec::new();
        let mut record = |check: Check| {
            (self.progress)(&check);
            checks.push(check);
        };
        for (chapter, page) in pages {
            let result = self.page(client, chapter, page, &ENGLISH).await;
            record((page.clone(), result));
        }
        // The same pages in the navy theme, which mdBook keeps in localStorage.
        let navy = self.navy(client, pages).await;
        record(("every page in the navy theme".into(), navy));
        for term in ["sockatmark", "connect_retry"] {
            let result = self.search(client, "", term).await;
            record((format!("search {term}"), result));
        }
        checks
    }

    /// Each translation: every chapter, and its own search index.
    async fn translations(&self, client: &Client, pages: &[(PathBuf, String)]) -> Vec<Check> {
        let mut checks = Vec::new();
        let mut record = |check: Check| {
            (self.progress)(&check);
            checks.push(check);
        };
        for lang in LANGUAGES {
            for (chapter, page) in pages {
                let page = format!("{}/{page}", lang.code);
                let result = self.page(client, chapter, &page, lang).await;
                record((page, result));
            }
            let result = self
                .search(client, &format!("{}/", lang.code), "sockatmark")
                .await;
            record((format!("{}: search sockatmark", lang.code), result));
        }
        checks
    }

    /// The page's language picker (`PICKER_JS`'s answer) names every
    /// language, marks `lang` as the current one, and links each to a page
    /// that exists.
    fn picker(&self, found: &Value, page: &str, lang: &Language) -> Result<(), String> {
        let Some([shown, links]) = found
            .as_array()
            .and_then(|a| <&[Value; 2]>::try_from(a.as_slice()).ok())
        else {
            return Err("no language picker in the menu bar".into());
        };
        if shown.as_str() != Some(lang.short) {
            return Err(format!(
                "the language picker shows {shown}, not {}",
                lang.short
            ));
        }
        let links: Vec<(&str, &str)> = links
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| Some((l[0].as_str()?, l[1].as_str()?)))
            .collect();
        let chapter = page.rsplit('/').next().unwrap_or(page);
        for other in std::iter::once(&ENGLISH).chain(LANGUAGES) {
            let want = match other.code {
                "en" => chapter.to_string(),
                code => format!("{code}/{chapter}"),
            };
            let Some((_, href)) = links.iter().find(|(code, _)| *code == other.code) else {
                return Err(format!("the language picker has no link to {}", other.code));
            };
            let path = href
                .strip_prefix(&format!("{}/", self.base))
                .unwrap_or(href);
            if path != want || !self.book.join(path).is_file() {
                return Err(format!(
                    "the language picker's {} link goes to {href}, not to the built {want}",
                    other.code
                ));
            }
        }
        Ok(())
    }

    /// Loads `page` (a path below the book's root) at the desktop width.
    async fn open(&self, client: &Client, page: &str) -> Result<(), String> {
        let wd = |e: fantoccini::error::CmdError| format!("webdriver: {e}");
        client
            .set_window_size(DESKTOP.0, DESKTOP.1)
            .await
            .map_err(wd)?;
        client
            .goto(&format!("{}/{page}", self.base))
            .await
            .map_err(wd)
    }

    async fn page(
        &self,
        client: &Client,
        chapter: &Path,
        page: &str,
        lang: &Language,
    ) -> Result<(), String> {
        let wd = |e: fantoccini::error::CmdError| format!("webdriver: {e}");
        self.open(client, page).await?;
        let errors = console_errors(&client.issue_cmd(BrowserLog).await.map_err(wd)?);
        if !errors.is_empty() {
            return Err(format!("console errors:\n{}", errors.join("\n")));
        }
        let found = client
            .execute(&PAGE_JS, vec![json!(recorded_commands(chapter))])
            .await
            .map_err(wd)?;
        if found["rendered"] != json!(true) {
            return Err(
                "the chapter did not render (no <main>, or an include left unexpanded)".into(),
            );
        }
        let fences = std::fs::read_to_string(chapter).map_or(0, |md| md.matches("```").count() / 2);
        let blocks = found["blocks"].as_u64().unwrap_or(0) as usize;
        if blocks < fences {
            return Err(format!(
                "{fences} code blocks in the chapter, {blocks} rendered"
            ));
        }
        if let Some(command) = strings(&found["missing"]).first() {
            return Err(format!(
                "the recorded output of `{command}` is not on the page"
            ));
        }
        self.picker(&found["picker"], page, lang)?;
        // A translation shares the English page's code and figures, so
        // their widths were measured there; its screenshots are still taken.
        let english = lang.code == ENGLISH.code;
        let overflow = if english {
            strings(&found["overflow"])
        } else {
            Vec::new()
        };
        if !overflow.is_empty() {
            return Err(format!(
                "{} block(s) cut off at {} px (wider than the text column):\n{}",
                overflow.len(),
                DESKTOP.0,
                overflow.join("\n")
            ));
        }
        let missing_alt = strings(&found["alt"]);
        if !missing_alt.is_empty() {
            return Err(missing_alt.join("\n"));
        }
        self.screenshot(client, page, DESKTOP.0, "").await?;
        let has = english && found["svg"].as_u64().unwrap_or(0) > 0;
        if has || self.out.is_some() {
            self.figures(client, has).await?;
        }
        self.screenshot(client, page, PHONE.0, "-phone").await
    }

    /// At a phone's width, no text of an inline SVG figure is drawn
    /// smaller than [`SMALLEST_TEXT`] pixels (where the page `has` one).
    async fn figures(&self, client: &Client, has: bool) -> Result<(), String> {
        let wd = |e: fantoccini::error::CmdError| format!("webdriver: {e}");
        // Loaded anew at the phone's width, as a phone loads it: a page
        // only resized keeps the sidebar the desktop width opened.
        client.set_window_size(PHONE.0, PHONE.1).await.map_err(wd)?;
        client.refresh().await.map_err(wd)?;
        if !has {
            return Ok(());
        }
        let found = client
            .execute(FIGURES_JS, vec![json!(SMALLEST_TEXT)])
            .await
            .map_err(wd)?;
        let problems = strings(&found);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "figures at {} px:\n{}",
                PHONE.0,
                problems.join("\n")
            ))
        }
    }

    /// A full-page screenshot at `width` (JPEG: a tall page encodes many
    /// times faster than as PNG), so figures far down are seen too.
    async fn screenshot(
        &self,
        client: &Client,
        page: &str,
        width: u32,
        suffix: &str,
    ) -> Result<(), String> {
        let Some(out) = &self.out else {
            return Ok(());
        };
        let wd = |e: fantoccini::error::CmdError| format!("webdriver: {e}");
        client.set_window_size(width, PHONE.1).await.map_err(wd)?;
        let height = client
            .execute("return document.documentElement.scrollHeight", vec![])
            .await
            .map_err(wd)?
            .as_u64()
            .unwrap_or(u64::from(DESKTOP.1))
            .min(u64::from(TALLEST));
        let shot = client
            .issue_cmd(Cdp(json!({
                "cmd": "Page.captureScreenshot",
                "params": {
                    "format": "jpeg",
                    "quality": 70,
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
                },
            })))
            .await
            .map_err(wd)?;
        let data = shot["data"]
            .as_str()
            .ok_or("the screenshot came back without data")?;
        use base64::Engine as _;
        let jpeg = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| format!("the screenshot's base64: {e}"))?;
        let path = out.join(page.replace(".html", &format!("{suffix}.jpg")));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, jpeg).map_err(|e| format!("{}: {e}", path.display()))
    }

    async fn navy(&self, client: &Client, pages: &[(PathBuf, String)]) -> Result<(), String> {
        let wd = |e: fantoccini::error::CmdError| format!("webdriver: {e}");
        client
            .execute("localStorage.setItem('mdbook-theme', 'navy')", vec![])
            .await
            .map_err(wd)?;
        let mut problems = Vec::new();
        for (_, page) in pages {
            client
                .goto(&format!("{}/{page}", self.base))
                .await
                .map_err(wd)?;
            let class = client
                .execute("return document.documentElement.className", vec![])
                .await
                .map_err(wd)?;
            if !class.as_str().unwrap_or_default().contains("navy") {
                problems.push(format!("{page}: the navy theme did not apply"));
            }
            let errors = console_errors(&client.issue_cmd(BrowserLog).await.map_err(wd)?);
            if !errors.is_empty() {
                problems.push(format!("{page}: console errors: {}", errors.join("; ")));
            }
            self.screenshot(client, page, DESKTOP.0, "-navy").await?;
        }
        client
            .execute("localStorage.removeItem('mdbook-theme')", vec![])
            .await
            .map_err(wd)?;
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }

    /// The search of the book at `dir` (`""` or `"zh-CN/"`) finds `term`.
    async fn search(&self, client: &Client, dir: &str, term: &str) -> Result<(), String> {
        static FOUND: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"(\d+) search results? for").expect("valid pattern"));
        let wd = |e: fantoccini::error::CmdError| format!("webdriver: {e}");
        self.open(client, &format!("{dir}index.html?search={term}"))
            .await?;
        // The search index loads after the page: wait for the results
        // header to say how many it found, within a bound.
        let header = client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("#mdbook-searchresults-header"))
            .await
            .map_err(wd)?;
        for _ in 0..100 {
            let text = header.text().await.map_err(wd)?;
            if let Some(n) = FOUND
                .captures(&text)
                .and_then(|c| c[1].parse::<usize>().ok())
            {
                return if n > 0 {
                    Ok(())
                } else {
                    Err(format!("the search box found nothing for '{term}'"))
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("the search for '{term}' showed no result count"))
    }
}

/// `cargo xtask book-test`: builds the book, runs [`book_test`], and
/// prints one line per page as it goes.
pub fn book_test_command(ws: &Workspace) -> Result<(), sockref::Error> {
    book::build(ws)?;
    let start = std::time::Instant::now();
    let print = |(name, result): &Check| {
        let at = start.elapsed().as_secs_f64();
        match result {
            Ok(()) => println!("ok    {name} ({at:.1} s)"),
            Err(e) => println!("FAIL  {name} ({at:.1} s): {e}"),
        }
    };
    let checks = book_test(ws, true, &print).map_err(sockref::Error::runtime)?;
    let failed = checks.iter().filter(|(_, r)| r.is_err()).count();
    println!("screenshots in {}", ws.target.join("book-test").display());
    crate::report::closing_line(checks.len() - failed, failed, 0, "page(s)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_errors_are_told_from_other_logging() {
        let log = json!([
            { "level": "SEVERE", "message": "http://x/a.js 1:1 Uncaught Error: boom" },
            { "level": "INFO", "message": "hello" },
            { "level": "WARNING", "message": "something else" },
        ]);
        assert_eq!(
            console_errors(&log),
            ["http://x/a.js 1:1 Uncaught Error: boom"]
        );
    }
}
