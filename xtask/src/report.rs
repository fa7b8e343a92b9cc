//! The grader's results: the per-section table on stdout, and the JSON and
//! JUnit XML reports under `target/check-all/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

use serde_json::json;

/// How one check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

/// One graded check: a stage applied to one thing of one section.
#[derive(Debug)]
pub struct Check {
    pub stage: &'static str,
    /// `None` for checks of the whole workspace.
    pub section: Option<&'static str>,
    pub name: String,
    pub outcome: Outcome,
    /// Why it failed or was skipped; empty when it passed.
    pub detail: String,
    pub seconds: f64,
}

impl Check {
    pub fn section_name(&self) -> &'static str {
        self.section.unwrap_or("(workspace)")
    }
}

/// The closing line every runner here prints: `N passed, N failed`, and
/// `, N skipped` where anything was; `Err` names the failures.
pub fn closing_line(
    passed: usize,
    failed: usize,
    skipped: usize,
    what: &str,
) -> Result<(), sockref::Error> {
    let tail = if skipped > 0 {
        format!(", {skipped} skipped")
    } else {
        String::new()
    };
    println!("{passed} passed, {failed} failed{tail}");
    if failed > 0 {
        Err(sockref::Error::runtime(format!("{failed} {what} failed")))
    } else {
        Ok(())
    }
}

pub fn count(checks: &[Check], outcome: Outcome) -> usize {
    checks.iter().filter(|c| c.outcome == outcome).count()
}

/// A table of sections against stages: `passed/total`, or `FAIL n` where a
/// check failed.
pub fn print_table(checks: &[Check], stages: &[&str]) {
    let mut cells: BTreeMap<(&str, &str), (usize, usize, usize)> = BTreeMap::new();
    let mut sections: Vec<&str> = Vec::new();
    for c in checks {
        let s = c.section_name();
        if !sections.contains(&s) {
            sections.push(s);
        }
        let cell = cells.entry((s, c.stage)).or_default();
        match c.outcome {
            Outcome::Pass => cell.0 += 1,
            Outcome::Fail => cell.1 += 1,
            Outcome::Skip => cell.2 += 1,
        }
    }
    let used: Vec<&str> = stages
        .iter()
        .copied()
        .filter(|st| checks.iter().any(|c| c.stage == *st))
        .collect();
    print!("\n{:<14}", "section");
    for st in &used {
        print!(" {st:>9}");
    }
    println!();
    for s in sections {
        print!("{s:<14}");
        for st in &used {
            let text = match cells.get(&(s, *st)) {
                None => "-".to_string(),
                Some(&(_, failed, _)) if failed > 0 => format!("FAIL {failed}"),
                Some(&(passed, 0, skipped)) if skipped > 0 && passed == 0 => "skip".to_string(),
                Some(&(passed, _, skipped)) => format!("{passed}/{}", passed + skipped),
            };
            print!(" {text:>9}");
        }
        println!();
    }
    println!();
}

/// Writes `report.json` and `junit.xml` into `dir`.
pub fn write_reports(dir: &Path, checks: &[Check], seconds: f64) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let list: Vec<_> = checks
        .iter()
        .map(|c| {
            json!({
                "stage": c.stage,
                "section": c.section,
                "name": c.name,
                "outcome": match c.outcome { Outcome::Pass => "pass", Outcome::Fail => "fail", Outcome::Skip => "skip" },
                "detail": c.detail,
                "seconds": (c.seconds * 1000.0).round() / 1000.0,
            })
        })
        .collect();
    let report = json!({
        "passed": count(checks, Outcome::Pass),
        "failed": count(checks, Outcome::Fail),
        "skipped": count(checks, Outcome::Skip),
        "seconds": (seconds * 10.0).round() / 10.0,
        "checks": list,
    });
    fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(&report)? + "\n",
    )?;
    fs::write(dir.join("junit.xml"), junit(checks, seconds))
}

/// JUnit XML, written by quick-junit (the crate cargo-nextest uses): one
/// test suite per stage, one test case per check.
fn junit(checks: &[Check], seconds: f64) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("check-all");
    report.set_time(Duration::from_secs_f64(seconds));
    let mut stages: Vec<&str> = Vec::new();
    for c in checks {
        if !stages.contains(&c.stage) {
            stages.push(c.stage);
        }
    }
    for stage in stages {
        let mut suite = TestSuite::new(stage);
        for c in checks.iter().filter(|c| c.stage == stage) {
            let status = match c.outcome {
                Outcome::Pass => TestCaseStatus::success(),
                Outcome::Fail => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(c.detail.lines().next().unwrap_or("failed"));
                    s.set_description(c.detail.as_str());
                    s
                }
                Outcome::Skip => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(c.detail.as_str());
                    s
                }
            };
            let mut case = TestCase::new(c.name.as_str(), status);
            case.set_classname(format!("{stage}.{}", c.section_name()));
            case.set_time(Duration::from_secs_f64(c.seconds));
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string().expect("JUnit XML serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_escapes_and_counts() {
        let checks = vec![
            Check {
                stage: "parity",
                section: Some("oob"),
                name: "a<b>".into(),
                outcome: Outcome::Fail,
                detail: "x & \"y\"".into(),
                seconds: 0.5,
            },
            Check {
                stage: "fmt",
                section: None,
                name: "fmt".into(),
                outcome: Outcome::Pass,
                detail: String::new(),
                seconds: 0.1,
            },
        ];
        let xml = junit(&checks, 1.0);
        assert!(
            xml.contains("tests=\"2\" skipped=\"0\" failures=\"1\""),
            "{xml}"
        );
        assert!(xml.contains("name=\"a&lt;b&gt;\""), "{xml}");
        assert!(xml.contains("<failure message=\"x &amp; "), "{xml}");
        assert!(xml.contains("classname=\"fmt.(workspace)\""), "{xml}");
    }
}
