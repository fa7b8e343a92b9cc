//! The book's behavioural claims and what backs each one.
//!
//! A paragraph (or list item, or table) of a chapter makes a behavioural
//! claim when it names an errno (`EINVAL`) or says what Linux or the
//! kernel does. Such a claim must be backed, in one of three ways:
//!
//! - a named test, linked with the `test:` scheme
//!   (`[name](test:crates/oob/oob/tests/rules.rs#name)`; the listings
//!   preprocessor checks that the function exists and links its source);
//! - a test or a recorded output included in the same subsection (a
//!   recorded output is compared with a fresh run by the `recorded` stage);
//! - the label `(not tested here: REASON)`, the one form the book uses for
//!   what it documents without proving.
//!
//! The `coverage` stage counts each kind per chapter and fails on a claim
//! with none, so "every behavioural claim is backed by a test, or visibly
//! labelled" is checked rather than promised. The detector is a heuristic:
//! it can miss a claim worded without those markers, never invent one.

use std::sync::LazyLock;

use regex::Regex;

/// How a claim is backed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backing {
    /// A `test:` link in the paragraph.
    Test,
    /// A test function included in the same subsection.
    IncludedTest,
    /// A recorded output included in the same subsection.
    Recorded,
    /// `(not tested here: ...)`.
    Label,
    /// Nothing: the coverage stage fails.
    Unbacked,
}

/// One behavioural claim: where it starts and how it is backed.
#[derive(Debug)]
pub struct Claim {
    /// 1-based line of the chapter where the paragraph starts.
    pub line: usize,
    pub text: String,
    pub backing: Backing,
}

/// The label, as the book writes it.
pub const LABEL: &str = "(not tested here: ";

static CLAIM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bE[A-Z]{3,}\b|(?i:\bon linux\b|\bthis kernel\b|\bthe kernel\b)")
        .expect("valid pattern")
});
static INCLUDE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{#include ([^}:\s]+)").expect("valid pattern"));
static CODE_SPAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"`[^`]*`").expect("valid pattern"));
static TEST_PATH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|[^\[])`([^`\s]*tests/[^`\s]*\.rs)`").expect("valid pattern"));
static LIST_ITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*([-*]|\d+\.) ").expect("valid pattern"));

/// The claims of one chapter, and the misuses of the label (a "not tested
/// here" that is not in the label's form, or has no reason).
pub fn scan(text: &str) -> (Vec<Claim>, Vec<String>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut claims = Vec::new();
    let mut misuses = Vec::new();
    for subsection in subsections(&lines) {
        let mut included_test = false;
        let mut recorded = false;
        let mut paragraphs: Vec<(usize, String)> = Vec::new();
        let mut current: Option<(usize, String)> = None;
        let mut in_fence = false;
        let mut in_generated = false;
        for (n, line) in subsection.clone().map(|n| (n, lines[n])) {
            let trimmed = line.trim_start();
            let ends_paragraph = trimmed.is_empty()
                || trimmed.starts_with("```")
                || trimmed.starts_with('#')
                || trimmed.starts_with("<!--")
                || LIST_ITEM.is_match(line);
            if ends_paragraph {
                paragraphs.extend(current.take());
            }
            if trimmed.starts_with("<!-- generated") {
                in_generated = true;
            }
            if trimmed.starts_with("<!-- end generated") {
                in_generated = false;
                continue;
            }
            if trimmed.starts_with("```") {
                in_fence = !in_fence;
                continue;
            }
            if let Some(cap) = INCLUDE.captures(line) {
                let path = &cap[1];
                included_test |= path.contains("/tests/");
                recorded |= path.starts_with("output/") || path.contains("/generated/");
            }
            if in_fence || in_generated || trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            // The preprocessor marks the label line by line: it must not
            // be broken across lines.
            let joined = format!("{line} {}", lines.get(n + 1).map_or("", |l| l.trim_start()));
            let straddles = joined
                .match_indices("(not tested here:")
                .any(|(at, m)| at < line.len() && at + m.len() > line.len());
            if straddles {
                misuses.push(format!(
                    "line {}: keep `(not tested here:` on one line, so it is marked",
                    n + 1
                ));
            }
            match &mut current {
                Some((_, text)) => {
                    text.push(' ');
                    text.push_str(trimmed);
                }
                None => current = Some((n + 1, trimmed.to_string())),
            }
        }
        paragraphs.extend(current.take());
        for (line, text) in paragraphs {
            // The label quoted as code (`(not tested here: ...)`) is a
            // mention of it, not a use.
            let prose = CODE_SPAN.replace_all(&text, "");
            let lower = prose.to_lowercase();
            if lower.contains("not tested here") {
                let good = prose.match_indices("(not tested here:").all(|(at, m)| {
                    let rest = &prose[at + m.len()..];
                    rest.starts_with(' ')
                        && rest.split(')').next().is_some_and(|r| r.trim().len() > 3)
                });
                let count_phrase = lower.matches("not tested here").count();
                let count_label = prose.matches("(not tested here:").count();
                if !good || count_phrase != count_label {
                    misuses.push(format!(
                        "line {line}: write the label as `{LABEL}REASON)`: {}",
                        excerpt(&text)
                    ));
                }
            }
            if let Some(cap) = TEST_PATH.captures(&text) {
                misuses.push(format!(
                    "line {line}: name the test with a link, [`{0}`](test:{0}) or [`NAME`](test:{0}#NAME), so it is checked to exist",
                    &cap[2]
                ));
            }
            if !CLAIM.is_match(&text) {
                continue;
            }
            let backing = if text.contains("](test:") {
                Backing::Test
            } else if text.contains("(not tested here:") {
                Backing::Label
            } else if included_test {
                Backing::IncludedTest
            } else if recorded {
                Backing::Recorded
            } else {
                Backing::Unbacked
            };
            claims.push(Claim {
                line,
                text,
                backing,
            });
        }
    }
    (claims, misuses)
}

/// The line ranges between headings (outside code fences).
fn subsections(lines: &[&str]) -> Vec<std::ops::Range<usize>> {
    let mut starts = vec![0];
    let mut in_fence = false;
    for (n, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence && line.starts_with('#') && n > 0 {
            starts.push(n);
        }
    }
    starts.push(lines.len());
    starts.windows(2).map(|w| w[0]..w[1]).collect()
}

/// The start of a paragraph, for a failure message.
pub fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(90).collect();
    if out.len() < text.len() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backing(md: &str) -> Vec<Backing> {
        scan(md).0.iter().map(|c| c.backing).collect()
    }

    #[test]
    fn each_kind_of_backing_is_told_apart() {
        let md = "# T\n\nPlain words, no claim.\n\nA second read gives EINVAL\n([`twice`](test:a/tests/r.rs#twice)).\n\nOn Linux the byte stays (not tested here: needs BSD).\n\nThe kernel drops it.\n\n## Included\n\nThis kernel says EAGAIN.\n\n```rust\n{{#include ../../a/tests/r.rs:x}}\n```\n\n## Recorded\n\n- on Linux, first\n- second, EPIPE\n\n```text\n{{#include output/p-default.txt}}\n```\n";
        assert_eq!(
            backing(md),
            [
                Backing::Test,
                Backing::Label,
                Backing::Unbacked,
                Backing::IncludedTest,
                Backing::Recorded,
                Backing::Recorded
            ]
        );
    }

    #[test]
    fn code_and_generated_blocks_make_no_claims() {
        let md = "```c\n// EINVAL on Linux\n```\n\n<!-- generated: x (cargo xtask codegen) -->\nthe kernel\n<!-- end generated -->\n";
        assert!(backing(md).is_empty());
    }

    #[test]
    fn a_test_named_in_prose_must_be_a_link() {
        assert_eq!(scan("Checked by `crates/a/tests/b.rs`.").1.len(), 1);
        assert!(
            scan("Checked by [`b.rs`](test:crates/a/tests/b.rs).")
                .1
                .is_empty()
        );
    }

    #[test]
    fn the_label_has_one_form() {
        for bad in [
            "BSD differs; not tested here.",
            "(Not tested here: x y z)",
            "(not tested here:)",
        ] {
            assert_eq!(scan(bad).1.len(), 1, "{bad}");
        }
        assert!(
            scan("(not tested here: no BSD kernel on this machine)")
                .1
                .is_empty()
        );
    }
}
