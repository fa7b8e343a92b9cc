//! The book in other languages: gettext catalogs, kept the way Comprehensive
//! Rust keeps its translations, with `mdbook-i18n-helpers` used as a library.
//!
//! - `book/po/messages.pot` holds every message of the English book: each
//!   paragraph, heading, list item and table cell of the chapters as they
//!   stand in `book/src` (before any preprocessor, so an included listing
//!   is one `{{#include ...}}` line and never translated), plus the few
//!   words the listings preprocessor writes itself
//!   ([`crate::listings::WORDS`]).
//! - `book/po/<code>.po` holds one language's translations ([`LANGUAGES`]).
//! - `cargo xtask i18n extract` rewrites the template, `update` carries
//!   each translation over to the new template (an English message that
//!   changed keeps its old translation, marked fuzzy, for the translator to
//!   mend), `status` counts what is left per chapter.
//! - `cargo xtask book` builds each language into `target/book/<code>/`,
//!   running mdbook-i18n-helpers' gettext preprocessor before the listings
//!   preprocessor, so code, recorded outputs and figures are shared.
//! - check-all's `i18n` stage fails while the template is stale, a message
//!   is untranslated or fuzzy (naming the chapter), or a translation drops
//!   a link, a code span or the "not tested here" label of its English.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use mdbook_i18n_helpers::extract_events;
use mdbook_markdown::pulldown_cmark::{Event, Tag, TagEnd};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use polib::catalog::Catalog;
use polib::message::{Message, MessageMutView, MessageView};
use polib::metadata::CatalogMetadata;
use sockref::Error;

use crate::Workspace;

/// A language the book is translated into.
#[derive(Debug)]
pub struct Language {
    /// The gettext code: `book/po/<code>.po`, `target/book/<code>/`.
    pub code: &'static str,
    /// The language's own name, as the picker lists it.
    pub name: &'static str,
    /// What the picker's button shows while the page is in this language.
    pub short: &'static str,
}

/// The English original, as the picker names it.
pub const ENGLISH: Language = Language {
    code: "en",
    name: "English",
    short: "EN",
};

/// Every translation, in the picker's order after English.
pub const LANGUAGES: &[Language] = &[
    Language {
        code: "zh-CN",
        name: "简体中文",
        short: "中文",
    },
    Language {
        code: "ru",
        name: "Русский",
        short: "RU",
    },
];

/// Where the preprocessor's words come from, as their messages say.
const UI_SOURCE: &str = "xtask/src/listings.rs";

/// The label of an untested claim, in English: `(not tested here: why)`.
pub const UNTESTED: &str = "not tested here";

/// The catalog files.
fn po_dir(ws: &Workspace) -> PathBuf {
    ws.root.join("book/po")
}

pub fn pot_path(ws: &Workspace) -> PathBuf {
    po_dir(ws).join("messages.pot")
}

pub fn po_path(ws: &Workspace, lang: &Language) -> PathBuf {
    po_dir(ws).join(format!("{}.po", lang.code))
}

/// Every message of the English book, as mdbook-xgettext would extract
/// them from the chapters' sources, with file names but no line numbers
/// (so moving a paragraph does not touch every catalog), and the
/// preprocessor's words.
pub fn extract(ws: &Workspace) -> Result<Catalog, String> {
    let dir = ws.root.join("book");
    let mut config = mdbook_driver::config::Config::from_disk(dir.join("book.toml"))
        .map_err(|e| format!("book/book.toml: {e:#}"))?;
    config
        .set("output.xgettext.granularity", 0)
        .map_err(|e| format!("book.toml: {e:#}"))?;
    let book = mdbook_driver::MDBook::load_with_config(&dir, config)
        .map_err(|e| format!("load book/: {e:#}"))?;
    let ctx = mdbook_renderer::RenderContext::new(
        book.root.clone(),
        book.book.clone(),
        book.config.clone(),
        ws.target.join("xgettext"),
    );
    let catalogs = mdbook_i18n_helpers::xgettext::create_catalogs(&ctx, fs::read_to_string)
        .map_err(|e| format!("extract the book's messages: {e:#}"))?;
    let mut catalog = catalogs
        .into_values()
        .next()
        .ok_or("mdbook-i18n-helpers returned no catalog")?;
    for word in crate::listings::WORDS {
        catalog.append_or_update(
            Message::build_singular()
                .with_source(UI_SOURCE.to_string())
                .with_msgid(word.to_string())
                .done(),
        );
    }
    // The title, in every page's header and the browser's tab.
    if let Some(title) = &book.config.book.title {
        catalog.append_or_update(
            Message::build_singular()
                .with_source("book.toml".to_string())
                .with_msgid(title.clone())
                .done(),
        );
    }
    // No creation date: the template changes only when the text does.
    catalog.metadata.pot_creation_date = String::new();
    Ok(catalog)
}

/// A catalog as the text of its file.
fn render(catalog: &Catalog) -> Result<String, String> {
    let tmp = std::env::temp_dir().join(format!(
        "sockref-po-{}-{:?}.po",
        std::process::id(),
        std::thread::current().id()
    ));
    polib::po_file::write(catalog, &tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let text = fs::read_to_string(&tmp).map_err(|e| format!("{}: {e}", tmp.display()));
    let _ = fs::remove_file(&tmp);
    text
}

fn write(catalog: &Catalog, path: &Path) -> Result<bool, String> {
    let text = render(catalog)?;
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))?;
    Ok(true)
}

pub fn parse(path: &Path) -> Result<Catalog, String> {
    polib::po_file::parse(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `book/po/NAME` as the messages name it.
fn display(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    format!("book/po/{name}")
}

/// The chapter a message comes from: the first file of its references.
fn chapter_of(message: &dyn MessageView) -> String {
    message
        .source()
        .split_whitespace()
        .next()
        .map(|s| s.trim_start_matches("src/").to_string())
        .unwrap_or_else(|| "(no source)".into())
}

/// One language's translations, for the preprocessor's own words.
#[derive(Debug, Default)]
pub struct Words(HashMap<String, String>);

impl Words {
    /// English: every word is itself.
    pub fn english() -> Self {
        Words::default()
    }

    /// The finished translations of `catalog` (fuzzy ones are not used).
    pub fn from_catalog(catalog: &Catalog) -> Self {
        Words(
            catalog
                .messages()
                .filter(|m| m.is_translated() && !m.is_fuzzy())
                .filter_map(|m| Some((m.msgid().to_string(), m.msgstr().ok()?.to_string())))
                .collect(),
        )
    }

    /// Given pairs of English and translation.
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Words(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    /// `english` in this language (as it is, where there is no translation).
    pub fn get<'a>(&'a self, english: &'a str) -> &'a str {
        self.0.get(english).map_or(english, String::as_str)
    }
}

/// The gettext preprocessor of mdbook-i18n-helpers (`translate_book`), but
/// writing emphasis as `*x*`: the helpers write `_x_`, which a Markdown
/// parser does not take for emphasis hard against Chinese text (`_带外数据_（`
/// shows its underscores), while `*x*` works in every language.
#[derive(Debug)]
pub struct Translate {
    /// The language's catalog, `book/po/<code>.po`.
    pub po: PathBuf,
}

impl Preprocessor for Translate {
    fn name(&self) -> &str {
        "sockref-gettext"
    }

    fn run(
        &self,
        _: &PreprocessorContext,
        mut book: mdbook_driver::book::Book,
    ) -> mdbook_preprocessor::errors::Result<mdbook_driver::book::Book> {
        let mut catalog = parse(&self.po).map_err(mdbook_preprocessor::errors::Error::msg)?;
        mdbook_i18n_helpers::gettext::add_stripped_summary_translations(&mut catalog);
        let mut problems = Vec::new();
        book.for_each_mut(|item| {
            let texts: Vec<&mut String> = match item {
                mdbook_driver::book::BookItem::Chapter(ch) => vec![&mut ch.content, &mut ch.name],
                mdbook_driver::book::BookItem::PartTitle(title) => vec![title],
                mdbook_driver::book::BookItem::Separator => Vec::new(),
            };
            for text in texts {
                match translate(text, &catalog) {
                    Ok(t) => *text = t,
                    Err(e) => problems.push(e),
                }
            }
        });
        match problems.first() {
            None => Ok(book),
            Some(e) => Err(mdbook_preprocessor::errors::Error::msg(format!(
                "translate with {}: {e}",
                self.po.display()
            ))),
        }
    }
}

/// `text` with every message that has a finished translation translated.
fn translate(text: &str, catalog: &Catalog) -> Result<String, String> {
    let events = extract_events(text, None);
    let translated =
        mdbook_i18n_helpers::translate_events(&events, catalog).map_err(|e| format!("{e}"))?;
    // Fences one backtick longer than any run inside a code block, as
    // mdbook-i18n-helpers counts them, and never fewer than three.
    let mut fence = 3;
    let mut in_code = false;
    for (_, event) in &translated {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Text(t) if in_code => {
                let longest = t.split(|c| c != '`').map(str::len).max().unwrap_or(0);
                fence = fence.max(longest + 1);
            }
            _ => {}
        }
    }
    let options = pulldown_cmark_to_cmark::Options {
        code_block_token_count: fence,
        list_token: '-',
        emphasis_token: '*',
        strong_token: "**",
        ..pulldown_cmark_to_cmark::Options::default()
    };
    let mut out = String::new();
    pulldown_cmark_to_cmark::cmark_with_options(
        translated.iter().map(|(_, e)| e),
        &mut out,
        options,
    )
    .map_err(|e| format!("{e}"))?;
    Ok(out)
}

/// Runs first in a translated build: every heading without an id of its own
/// gets, written out, the id mdBook derives from its English text, so a
/// link to `chapter.md#some-heading` reaches the same heading in every
/// language (translated text would otherwise give it another id).
#[derive(Debug)]
pub struct StableAnchors;

impl Preprocessor for StableAnchors {
    fn name(&self) -> &str {
        "sockref-stable-anchors"
    }

    fn run(
        &self,
        _: &PreprocessorContext,
        mut book: mdbook_driver::book::Book,
    ) -> mdbook_preprocessor::errors::Result<mdbook_driver::book::Book> {
        book.for_each_chapter_mut(|chapter| chapter.content = with_heading_ids(&chapter.content));
        Ok(book)
    }
}

/// `text` with `{#id}` after every ATX heading that has none, the id made
/// as mdBook's HTML renderer makes it (`id_from_content`, `unique_id` in
/// mdbook-html): the heading's text, lower case, letters, digits, `_` and
/// `-` kept, white space as `-`, a repeat suffixed `-1`, `-2`, ...
pub fn with_heading_ids(text: &str) -> String {
    let options = mdbook_markdown::MarkdownOptions::default();
    let mut used = HashSet::new();
    let mut inserts = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (event, range) in mdbook_markdown::new_cmark_parser(text, &options).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { id: None, .. }) if text[range.start..].starts_with('#') => {
                let line = text[range.start..]
                    .find('\n')
                    .map_or(text.len(), |i| range.start + i);
                let end = range.start + text[range.start..line].trim_end().len();
                open = Some((end, String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, content)) = &mut open {
                    content.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((end, content)) = open.take() {
                    let id: String = content
                        .trim()
                        .to_lowercase()
                        .chars()
                        .filter_map(|c| match c {
                            c if c.is_alphanumeric() || c == '_' || c == '-' => Some(c),
                            c if c.is_whitespace() => Some('-'),
                            _ => None,
                        })
                        .collect();
                    let mut unique = id.clone();
                    let mut n = 0;
                    while !used.insert(unique.clone()) {
                        n += 1;
                        unique = format!("{id}-{n}");
                    }
                    inserts.push((end, unique));
                }
            }
            _ => {}
        }
    }
    let mut out = text.to_string();
    for (at, id) in inserts.into_iter().rev() {
        out.insert_str(at, &format!(" {{#{id}}}"));
    }
    out
}

/// `cargo xtask i18n extract`: rewrites `book/po/messages.pot`.
pub fn extract_command(ws: &Workspace) -> Result<(), Error> {
    let catalog = extract(ws).map_err(Error::runtime)?;
    let path = pot_path(ws);
    fs::create_dir_all(po_dir(ws)).map_err(|e| Error::runtime(format!("book/po: {e}")))?;
    if write(&catalog, &path).map_err(Error::runtime)? {
        sockref::outln!("rewrote {} ({} messages)", display(&path), catalog.count())?;
    } else {
        sockref::outln!("{} is up to date", display(&path))?;
    }
    Ok(())
}

/// `cargo xtask i18n update [--compendium FILE...]`: extracts the template
/// and carries every language's translations over to it. A message whose
/// English is unchanged keeps its translation; one found translated in a
/// compendium (a translator's partial catalog) takes that translation; one
/// whose English changed takes the translation of the most similar message
/// that left the same chapter, marked fuzzy; anything else is empty.
pub fn update_command(ws: &Workspace, compendia: &[PathBuf]) -> Result<(), Error> {
    extract_command(ws)?;
    let template = parse(&pot_path(ws)).map_err(Error::runtime)?;
    let mut extra = Vec::new();
    for path in compendia {
        extra.push(parse(path).map_err(Error::runtime)?);
    }
    for lang in LANGUAGES {
        let path = po_path(ws, lang);
        let old = if path.is_file() {
            Some(parse(&path).map_err(Error::runtime)?)
        } else {
            None
        };
        let compendia: Vec<&Catalog> = extra
            .iter()
            .filter(|c| c.metadata.language == lang.code || c.metadata.language.is_empty())
            .collect();
        let merged = merge(&template, old.as_ref(), &compendia, lang);
        if write(&merged, &path).map_err(Error::runtime)? {
            sockref::outln!("rewrote {}", display(&path))?;
        }
    }
    status_command(ws)
}

/// The translations of `old` and `compendia` carried over to `template`.
fn merge(
    template: &Catalog,
    old: Option<&Catalog>,
    compendia: &[&Catalog],
    lang: &Language,
) -> Catalog {
    let mut metadata = old
        .and_then(|c| CatalogMetadata::parse(&c.metadata.export_for_po()).ok())
        .unwrap_or_default();
    metadata.project_id_version = template.metadata.project_id_version.clone();
    metadata.language = lang.code.to_string();
    metadata.mime_version = "1.0".into();
    metadata.content_type = "text/plain; charset=UTF-8".into();
    metadata.content_transfer_encoding = "8bit".into();
    metadata.pot_creation_date = String::new();
    let mut out = Catalog::new(metadata);
    let translated = |c: &Catalog, id: &str| -> Option<(String, bool)> {
        let m = c.find_message(None, id, None)?;
        let s = m.msgstr().ok()?;
        (!s.is_empty()).then(|| (s.to_string(), m.is_fuzzy()))
    };
    // Messages of the old catalog the template no longer has: the
    // candidates for a changed paragraph's old translation.
    let wanted: HashSet<&str> = template.messages().map(|m| m.msgid()).collect();
    let gone: Vec<(String, String, String)> = old
        .into_iter()
        .flat_map(|c| c.messages())
        .filter(|m| !wanted.contains(m.msgid()) && m.is_translated())
        .filter_map(|m| {
            Some((
                chapter_of(m),
                m.msgid().to_string(),
                m.msgstr().ok()?.to_string(),
            ))
        })
        .collect();
    for m in template.messages() {
        let id = m.msgid();
        let mut found = old.and_then(|c| translated(c, id));
        // A translator's finished message beats an old fuzzy one.
        if found.as_ref().is_none_or(|(_, fuzzy)| *fuzzy)
            && let Some(t) = compendia.iter().find_map(|c| translated(c, id))
        {
            found = Some(t);
        }
        if found.is_none() {
            let chapter = chapter_of(m);
            found = gone
                .iter()
                .filter(|(c, _, _)| *c == chapter)
                .map(|(_, was, msgstr)| (similarity(was, id), msgstr))
                .filter(|(s, _)| *s >= 0.5)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, msgstr)| (msgstr.clone(), true));
        }
        let mut message = Message::build_singular()
            .with_source(m.source().to_string())
            .with_comments(m.comments().to_string())
            .with_msgid(id.to_string())
            .done();
        if let Some((msgstr, fuzzy)) = found {
            let _ = message.set_msgstr(msgstr);
            if fuzzy {
                message.flags_mut().add_flag("fuzzy");
            }
        }
        out.append_or_update(message);
    }
    out
}

/// How alike two English texts are: the share of words they have in common
/// (Jaccard over word sets), 0 to 1.
fn similarity(a: &str, b: &str) -> f64 {
    let words =
        |s: &str| -> HashSet<String> { s.split_whitespace().map(str::to_lowercase).collect() };
    let (a, b) = (words(a), words(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 1.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

/// Per chapter: messages, translated, fuzzy.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    total: usize,
    done: usize,
    fuzzy: usize,
}

fn counts(template: &Catalog, po: &Catalog) -> BTreeMap<String, Counts> {
    let mut by_chapter: BTreeMap<String, Counts> = BTreeMap::new();
    for m in template.messages() {
        let c = by_chapter.entry(chapter_of(m)).or_default();
        c.total += 1;
        match po.find_message(None, m.msgid(), None) {
            Some(t) if t.is_fuzzy() => c.fuzzy += 1,
            Some(t) if t.is_translated() => c.done += 1,
            _ => {}
        }
    }
    by_chapter
}

/// `cargo xtask i18n status`: what is left to translate, per language and
/// chapter.
pub fn status_command(ws: &Workspace) -> Result<(), Error> {
    let template = extract(ws).map_err(Error::runtime)?;
    for lang in LANGUAGES {
        let path = po_path(ws, lang);
        let po = if path.is_file() {
            parse(&path).map_err(Error::runtime)?
        } else {
            Catalog::new(CatalogMetadata::new())
        };
        let by_chapter = counts(&template, &po);
        let total: Counts = by_chapter.values().fold(Counts::default(), |a, c| Counts {
            total: a.total + c.total,
            done: a.done + c.done,
            fuzzy: a.fuzzy + c.fuzzy,
        });
        sockref::outln!(
            "{} ({}): {} of {} messages translated, {} fuzzy",
            lang.code,
            lang.name,
            total.done,
            total.total,
            total.fuzzy
        )?;
        for (chapter, c) in by_chapter.iter().filter(|(_, c)| c.done < c.total) {
            sockref::outln!(
                "  {chapter}: {} to translate, {} fuzzy",
                c.total - c.done - c.fuzzy,
                c.fuzzy
            )?;
        }
    }
    Ok(())
}

/// The built translations against the built English book: every page has
/// as many code blocks, tables, figures, links and emphasised phrases as
/// its English, so nothing was lost or mangled between a catalog and the
/// page (a message can be faithful and still render differently).
pub fn check_built(book: &Path) -> Result<(), String> {
    const SHAPES: &[&str] = &[
        "<pre", "<table", "<figure", "<a href", "<em>", "<strong>", "<img",
    ];
    let mut problems = Vec::new();
    let english: Vec<PathBuf> = fs::read_dir(book)
        .map_err(|e| format!("{}: {e}", book.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    for lang in LANGUAGES {
        for page in &english {
            let name = page.file_name().unwrap_or_default();
            let translated = book.join(lang.code).join(name);
            let (Ok(a), Ok(b)) = (fs::read_to_string(page), fs::read_to_string(&translated)) else {
                problems.push(format!("{}/{}: missing", lang.code, name.to_string_lossy()));
                continue;
            };
            for shape in SHAPES {
                let (m, n) = (a.matches(shape).count(), b.matches(shape).count());
                if m != n {
                    problems.push(format!(
                        "{}/{}: {n} `{shape}` where the English has {m}",
                        lang.code,
                        name.to_string_lossy()
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        problems.sort();
        Err(problems.join("\n"))
    }
}

/// `cargo xtask i18n check [FILE...]`: a translator's check of catalogs
/// (by default every language's): each message still in the English, none
/// untranslated or fuzzy, each translation keeping what it must keep.
pub fn check_command(ws: &Workspace, files: &[PathBuf]) -> Result<(), Error> {
    let template = extract(ws).map_err(Error::runtime)?;
    let files: Vec<PathBuf> = if files.is_empty() {
        LANGUAGES.iter().map(|l| po_path(ws, l)).collect()
    } else {
        files.to_vec()
    };
    let mut failed = 0;
    for file in &files {
        let po = parse(file).map_err(Error::runtime)?;
        // A translator's part may lack the label's own message: the
        // language's catalog has it.
        let mut words = LANGUAGES
            .iter()
            .find(|l| l.code == po.metadata.language)
            .and_then(|l| parse(&po_path(ws, l)).ok())
            .map(|c| Words::from_catalog(&c))
            .unwrap_or_default();
        words.0.extend(Words::from_catalog(&po).0);
        let left = po
            .messages()
            .filter(|m| !m.is_translated() || m.is_fuzzy())
            .count();
        let results = [
            (
                "no message the English no longer has",
                no_obsolete(&template, &po),
            ),
            ("links, code and labels kept", faithful(&po, &words)),
            (
                "every message translated, none fuzzy",
                if left == 0 {
                    Ok(())
                } else {
                    Err(format!("{left} message(s) untranslated or fuzzy"))
                },
            ),
        ];
        for (what, result) in results {
            match result {
                Ok(()) => sockref::outln!("ok    {}: {what}", file.display())?,
                Err(e) => {
                    failed += 1;
                    sockref::outln!("FAIL  {}: {what}:\n{e}", file.display())?;
                }
            }
        }
    }
    if failed == 0 {
        Ok(())
    } else {
        Err(Error::runtime(format!("{failed} check(s) failed")))
    }
}

/// What a translation must keep of its English: link targets, image
/// sources, inline code and HTML, each as many times, and as much emphasis
/// (an `_x_` or `**x**` hard against Chinese punctuation or letters is
/// not emphasis to a Markdown parser, and shows its marks).
fn kept(markdown: &str) -> BTreeMap<String, usize> {
    let mut found = BTreeMap::new();
    for (_, event) in extract_events(markdown, None) {
        let key = match event {
            Event::Start(Tag::Link { dest_url, .. }) => format!("link {dest_url}"),
            Event::Start(Tag::Image { dest_url, .. }) => format!("image {dest_url}"),
            Event::Code(code) => format!("code `{code}`"),
            Event::InlineHtml(html) | Event::Html(html) => format!("html {}", html.trim()),
            Event::Start(Tag::Emphasis) => "emphasis".into(),
            Event::Start(Tag::Strong) => "strong emphasis".into(),
            _ => continue,
        };
        *found.entry(key).or_insert(0) += 1;
    }
    found
}

/// How `translation` differs from `english` in what it must keep, if it does.
fn check_kept(english: &str, translation: &str, words: &Words) -> Result<(), String> {
    let want = kept(english);
    let have = kept(translation);
    let mut problems = Vec::new();
    for (key, n) in &want {
        let m = have.get(key).copied().unwrap_or(0);
        if m != *n {
            problems.push(format!("{key}: {n} in the English, {m} in the translation"));
        }
    }
    for (key, m) in &have {
        if !want.contains_key(key) {
            problems.push(format!("{key}: not in the English, {m} in the translation"));
        }
    }
    let labels = english.matches(&format!("({UNTESTED}:")).count();
    let label = words.get(UNTESTED);
    if english == UNTESTED {
        // The label's own message: the words alone.
    } else if labels > 0 && label == UNTESTED {
        problems.push(format!("\"{UNTESTED}\" itself is not translated"));
    } else if translation.matches(label).count() != labels {
        problems.push(format!(
            "the label \"({UNTESTED}: ...)\" appears {labels} time(s) in the English, \"{label}\" {} time(s) in the translation",
            translation.matches(label).count()
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// check-all's `i18n` stage: the template is fresh, and every language is
/// complete and faithful to it.
pub fn checks(ws: &Workspace) -> Vec<(String, Result<(), String>)> {
    let mut out = Vec::new();
    let template = match extract(ws) {
        Ok(t) => t,
        Err(e) => return vec![("extract the messages".into(), Err(e))],
    };
    let fresh = render(&template).and_then(|text| {
        let path = pot_path(ws);
        match fs::read_to_string(&path) {
            Ok(old) if old == text => Ok(()),
            Ok(_) => Err(format!(
                "{} is stale (the English changed): run `cargo xtask i18n update`, then translate what it marks",
                display(&path)
            )),
            Err(e) => Err(format!("{}: {e}", display(&path))),
        }
    });
    out.push(("book/po/messages.pot matches the English".into(), fresh));
    for lang in LANGUAGES {
        let path = po_path(ws, lang);
        let po = match parse(&path) {
            Ok(po) => po,
            Err(e) => {
                out.push((format!("{}.po", lang.code), Err(e)));
                continue;
            }
        };
        out.push((
            format!("{}.po: every message translated, none fuzzy", lang.code),
            complete(&template, &po),
        ));
        out.push((
            format!("{}.po: no message the English no longer has", lang.code),
            no_obsolete(&template, &po),
        ));
        out.push((
            format!("{}.po: links, code and labels kept", lang.code),
            faithful(&po, &Words::from_catalog(&po)),
        ));
    }
    out
}

fn complete(template: &Catalog, po: &Catalog) -> Result<(), String> {
    let left: Vec<String> = counts(template, po)
        .into_iter()
        .filter(|(_, c)| c.done < c.total)
        .map(|(chapter, c)| {
            format!(
                "{chapter}: {} untranslated, {} fuzzy",
                c.total - c.done - c.fuzzy,
                c.fuzzy
            )
        })
        .collect();
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n(`cargo xtask i18n update` marks what changed; translate, then remove the fuzzy mark)",
            left.join("\n")
        ))
    }
}

fn no_obsolete(template: &Catalog, po: &Catalog) -> Result<(), String> {
    let gone: Vec<String> = po
        .messages()
        .filter(|m| template.find_message(None, m.msgid(), None).is_none())
        .map(|m| format!("{}: {:?}", chapter_of(m), short(m.msgid())))
        .collect();
    if gone.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} message(s) no longer in the English (run `cargo xtask i18n update`):\n{}",
            gone.len(),
            gone.join("\n")
        ))
    }
}

/// `words` gives the language's label for an untested claim.
fn faithful(po: &Catalog, words: &Words) -> Result<(), String> {
    let problems: Vec<String> = po
        .messages()
        .filter(|m| m.is_translated() && !m.is_fuzzy())
        .filter_map(|m| {
            let msgstr = m.msgstr().ok()?;
            check_kept(m.msgid(), msgstr, words)
                .err()
                .map(|e| format!("{}: {:?}: {e}", chapter_of(m), short(m.msgid())))
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn short(text: &str) -> String {
    let mut s: String = text.chars().take(60).collect();
    if s.len() < text.len() {
        s.push_str("...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(entries: &[(&str, &str, &str, bool)]) -> Catalog {
        let mut c = Catalog::new(CatalogMetadata::new());
        for (source, id, text, fuzzy) in entries {
            let mut m = Message::build_singular()
                .with_source(source.to_string())
                .with_msgid(id.to_string())
                .with_msgstr(text.to_string())
                .done();
            if *fuzzy {
                m.flags_mut().add_flag("fuzzy");
            }
            c.append_or_update(m);
        }
        c
    }

    #[test]
    fn a_changed_paragraph_keeps_its_old_translation_marked_fuzzy() {
        let template = catalog(&[
            ("src/a.md", "Title", "", false),
            (
                "src/a.md",
                "The urgent byte stays in the queue on Linux.",
                "",
                false,
            ),
            ("src/b.md", "Something else entirely.", "", false),
        ]);
        let old = catalog(&[
            ("src/a.md", "Title", "标题", false),
            (
                "src/a.md",
                "The urgent byte stays in the queue.",
                "紧急字节留在队列中。",
                false,
            ),
            ("src/b.md", "Unrelated words here.", "无关", false),
        ]);
        let lang = &LANGUAGES[0];
        let merged = merge(&template, Some(&old), &[], lang);
        let get = |id: &str| merged.find_message(None, id, None).unwrap();
        assert_eq!(get("Title").msgstr().unwrap(), "标题");
        assert!(!get("Title").is_fuzzy());
        let changed = get("The urgent byte stays in the queue on Linux.");
        assert_eq!(changed.msgstr().unwrap(), "紧急字节留在队列中。");
        assert!(changed.is_fuzzy());
        // Too different, and from another chapter anyway: left empty.
        assert!(!get("Something else entirely.").is_translated());
        assert_eq!(counts(&template, &merged)["a.md"].fuzzy, 1);
        assert!(
            complete(&template, &merged)
                .unwrap_err()
                .contains("a.md: 0 untranslated, 1 fuzzy")
        );
    }

    #[test]
    fn a_compendium_fills_what_the_old_catalog_lacks() {
        let template = catalog(&[
            ("src/a.md", "One", "", false),
            ("src/a.md", "Two", "", false),
        ]);
        let old = catalog(&[
            ("src/a.md", "One", "Один", false),
            ("src/a.md", "Two", "Дв", true),
        ]);
        let part = catalog(&[("src/a.md", "Two", "Два", false)]);
        let merged = merge(&template, Some(&old), &[&part], &LANGUAGES[1]);
        assert_eq!(
            merged
                .find_message(None, "Two", None)
                .unwrap()
                .msgstr()
                .unwrap(),
            "Два"
        );
        assert!(complete(&template, &merged).is_ok());
        assert_eq!(merged.metadata.language, "ru");
    }

    #[test]
    fn a_translation_must_keep_links_code_and_the_label() {
        let words = Words::from_catalog(&catalog(&[("x", UNTESTED, "здесь не проверено", false)]));
        let english = "Linux gives `EINVAL` ([the test](test:a.rs#t)) (not tested here: BSD).";
        let good = "Linux даёт `EINVAL` ([тест](test:a.rs#t)) (здесь не проверено: BSD).";
        assert_eq!(check_kept(english, good, &words), Ok(()));
        let no_link = "Linux даёт `EINVAL` (здесь не проверено: BSD).";
        assert!(
            check_kept(english, no_link, &words)
                .unwrap_err()
                .contains("link test:a.rs#t")
        );
        let no_code = "Linux даёт EINVAL ([тест](test:a.rs#t)) (здесь не проверено: BSD).";
        assert!(
            check_kept(english, no_code, &words)
                .unwrap_err()
                .contains("code `EINVAL`")
        );
        let no_label = "Linux даёт `EINVAL` ([тест](test:a.rs#t)) (BSD).";
        assert!(
            check_kept(english, no_label, &words)
                .unwrap_err()
                .contains("label")
        );
    }

    #[test]
    fn headings_keep_the_ids_mdbook_gives_them_in_english() {
        let md = "# Out-of-band data\n\n## What TCP's `MSG_OOB` does -- really\n\ntext\n\n## Summary\n\n```text\n# not a heading\n```\n\n## Own {#mine}\n\n## Summary\n";
        assert_eq!(
            with_heading_ids(md),
            "# Out-of-band data {#out-of-band-data}\n\n## What TCP's `MSG_OOB` does -- really {#what-tcps-msg_oob-does--really}\n\ntext\n\n## Summary {#summary}\n\n```text\n# not a heading\n```\n\n## Own {#mine}\n\n## Summary {#summary-1}\n"
        );
    }

    #[test]
    fn translated_emphasis_is_written_with_asterisks() {
        let po = catalog(&[(
            "src/a.md",
            "Sockets offer _out-of-band data_ for that.",
            "套接字为此提供了*带外数据*（out-of-band data）。",
            false,
        )]);
        let out = translate("# T\n\nSockets offer _out-of-band data_ for that.\n", &po).unwrap();
        assert!(out.contains("*带外数据*（out-of-band data）"), "{out}");
        assert!(!out.contains('_'), "{out}");
    }

    #[test]
    fn similarity_is_the_share_of_common_words() {
        assert_eq!(similarity("a b c d", "a b c d"), 1.0);
        assert_eq!(similarity("a b", "c d"), 0.0);
        assert!((similarity("a b c", "a b d") - 0.5).abs() < 1e-9);
    }
}
