//! The grader graded: kits planted with known faults, each of which must
//! cost exactly its exercise's points.
//!
//! - [`quick`] (check-all's `course` stage): an untouched kit scores 0 on
//!   every exercise with a reason, the solved kit scores full marks, and a
//!   kit of planted wrong solutions (one per exercise, in Rust and in C)
//!   loses exactly the planted exercises' points.
//! - [`self_test`] (`cargo xtask grade --self-test`): the same, then a kit
//!   planted with wrong solutions only the slower checks catch (a server
//!   that dies when a client resets, the broken select loop), then a kit
//!   of hostile programs (an infinite loop, a fork bomb, 1 GB of output,
//!   sleeping forever, a connect to 198.18.0.1 inside the namespace,
//!   reading the grader's files, a hostile `build.rs`): each scores zero,
//!   the run stays bounded, leaves no process of the sandbox's uid and
//!   writes nothing outside the scratch copy.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use sockref::Error;

use super::exercises;
use super::grade::{self, Graded, References};
use super::kit::{self, Spec};
use crate::Workspace;

/// The exercises the quick check grades: one per planted fault, and one
/// pure function besides.
pub const QUICK: &[&str] = &[
    "byte-order/htons",
    "services/ntohs",
    "connect-retry/backoff",
    "partial-writes/loop",
    "oob-recv/atmark",
];

/// A planted fault: in a kit file, `from` becomes `to`.
#[derive(Debug)]
struct Plant {
    exercise: &'static str,
    file: &'static str,
    from: &'static str,
    to: &'static str,
}

/// Wrong solutions a student could hand in, in Rust and in C.
const PLANTS: &[Plant] = &[
    // s_port printed as stored, without ntohs.
    Plant {
        exercise: "services/ntohs",
        file: "rust/netdb/services/src/main.rs",
        from: "s.port, s.raw_port",
        to: "s.raw_port, s.raw_port",
    },
    Plant {
        exercise: "services/ntohs",
        file: "c/services.c",
        from: "ntohs((uint16_t)s->s_port), s->s_port",
        to: "s->s_port, s->s_port",
    },
    // connect_retry reusing its socket after a failed connect.
    Plant {
        exercise: "connect-retry/backoff",
        file: "rust/connect/connect-retry/src/lib.rs",
        from: "    let mut number = 0;\n    loop {\n        number += 1;\n        let error = match try_connect(ty, addr) {",
        to: "    let mut number = 0;\n    let shared = Socket::new(Domain::for_address(addr), ty, None);\n    loop {\n        number += 1;\n        let attempt = shared.as_ref().map_err(|e| std::io::Error::new(e.kind(), e.to_string())).and_then(|s| s.connect(&SockAddr::from(addr)).and_then(|()| s.try_clone()));\n        let error = match attempt {",
    },
    Plant {
        exercise: "connect-retry/backoff",
        file: "c/connect-retry.c",
        from: "        int fd = socket(addr->sa_family, type, 0);",
        to: "        static int fd = -1;\n        if (fd < 0)\n            fd = socket(addr->sa_family, type, 0);",
    },
    Plant {
        exercise: "connect-retry/backoff",
        file: "c/connect-retry.c",
        from: "        int err = errno;\n        close(fd);",
        to: "        int err = errno;",
    },
    // A writen that takes a partial write for the whole: it resends
    // from the start.
    Plant {
        exercise: "partial-writes/loop",
        file: "rust/data-transfer/partial-writes/src/main.rs",
        from: "tx.send(&data[sent..])",
        to: "tx.send(&data)",
    },
    Plant {
        exercise: "partial-writes/loop",
        file: "c/partial-writes.c",
        from: "send(tx, data + sent, (size_t)(TOTAL - sent), 0)",
        to: "send(tx, data, (size_t)TOTAL, 0)",
    },
    // A receiver that reads past the mark without noticing it.
    Plant {
        exercise: "oob-recv/atmark",
        file: "rust/oob/oob/src/receiver.rs",
        from: "        if sockatmark(conn).context(\"sockatmark\")? {\n            out.line(\"at OOB mark\")?;",
        to: "        if false && sockatmark(conn).context(\"sockatmark\")? {\n            out.line(\"at OOB mark\")?;",
    },
    Plant {
        exercise: "oob-recv/atmark",
        file: "c/include/oob.h",
        from: "        if (at_mark(fd))\n            say(tag, \"at OOB mark\");",
        to: "        if (0 && at_mark(fd))\n            say(tag, \"at OOB mark\");",
    },
];

/// The exercises of the second planted kit: its plants, and beside each an
/// exercise of the same files left right.
pub const SLOW: &[&str] = &[
    "initserver/initserver",
    "initserver/serve",
    "oob-recv/atmark",
    "oob-recv/select",
];

/// Wrong solutions that only the slower checks catch: a hostile client,
/// or the textbook's broken loop.
const SLOW_PLANTS: &[Plant] = &[
    // A server that dies when a client resets: a failed send to one
    // client ends the server (only a reset in the accept queue shows it).
    Plant {
        exercise: "initserver/serve",
        file: "rust/connect/initserver/src/lib.rs",
        from: "    if let Err(e) = conn.send(line.as_bytes()) {\n        client_failed(client, &peer, \"send\", &e);\n    }",
        to: "    conn.send(line.as_bytes())\n        .map_err(|e| sockref::Error::runtime(format!(\"send: {e}\")))?;",
    },
    Plant {
        exercise: "initserver/serve",
        file: "c/include/initserver.h",
        from: "        client_failed(client, endpoint_text(&peer), \"send\");\n    close(conn);",
        to: "        call_failed(\"send\");\n    close(conn);",
    },
    // The broken select loop (UNP figure 24.6): it takes the exception
    // condition to last until the mark is passed, as the textbook's
    // kernels report it, so on the pass after reading the urgent byte it
    // reads out of band again, and gets EINVAL.
    Plant {
        exercise: "oob-recv/select",
        file: "rust/oob/oob/src/receiver.rs",
        from: "        if except_set.contains(conn.as_fd()) {",
        to: "        if except_set.contains(conn.as_fd()) || just_read_oob {",
    },
    Plant {
        exercise: "oob-recv/select",
        file: "c/include/oob.h",
        from: "        if (FD_ISSET(fd, &xset)) {",
        to: "        if (FD_ISSET(fd, &xset) || just_read_oob) {",
    },
];

fn folder(ws: &Workspace, name: &str) -> PathBuf {
    grade::grade_dir(ws).join("self-test").join(name)
}

/// Writes a kit of `exercises` in both languages into a fresh folder.
fn make_kit(
    ws: &Workspace,
    name: &str,
    exercises: &[&str],
    solved: bool,
) -> Result<PathBuf, String> {
    make_kit_in(ws, name, "both", exercises, solved)
}

fn make_kit_in(
    ws: &Workspace,
    name: &str,
    lang: &str,
    exercises: &[&str],
    solved: bool,
) -> Result<PathBuf, String> {
    let dir = folder(ws, name);
    let _ = fs::remove_dir_all(&dir);
    let only: Vec<String> = exercises.iter().map(|s| s.to_string()).collect();
    let spec = Spec::new(lang, &only, solved).map_err(|e| e.to_string())?;
    kit::write_tree(ws, &dir, &spec)?;
    Ok(dir)
}

fn replace_in(dir: &Path, file: &str, from: &str, to: &str) -> Result<(), String> {
    let path = dir.join(file);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !text.contains(from) {
        return Err(format!("{file}: the plant's text is not there: {from:?}"));
    }
    fs::write(&path, text.replacen(from, to, 1)).map_err(|e| e.to_string())
}

fn grade_one(ws: &Workspace, dir: &Path, refs: &References) -> Result<Graded, String> {
    let options = grade::Options::new(grade::WORKERS);
    let g =
        grade::grade_kit(ws, dir, grade::uid_for(0), refs, options).map_err(|e| e.to_string())?;
    let _ = fs::remove_dir_all(grade::grade_dir(ws).join(&g.kit).join("scratch"));
    Ok(g)
}

/// What each run showed, for a failure message.
fn summary(g: &Graded) -> String {
    g.exercises
        .iter()
        .map(|e| {
            let why = e
                .langs
                .iter()
                .map(|l| {
                    format!(
                        "{}: {}",
                        l.lang,
                        if l.passed() {
                            "pass".into()
                        } else {
                            l.reason()
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            format!("  {} {}/{}: {why}", e.id, e.score(), e.max)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The three quick checks, each as (name, result).
pub fn quick(ws: &Workspace) -> Vec<(String, Result<(), String>)> {
    let refs = References::default();
    let mut checks = Vec::new();
    let untouched = make_kit(ws, "untouched", QUICK, false).and_then(|d| grade_one(ws, &d, &refs));
    checks.push((
        "untouched kit scores 0, each exercise with a reason".to_string(),
        untouched.and_then(|g| {
            let (score, max) = g.score();
            let unexplained = g
                .exercises
                .iter()
                .flat_map(|e| &e.langs)
                .any(|l| l.passed() || l.reason().is_empty());
            if score == 0 && max > 0 && !unexplained {
                Ok(())
            } else {
                Err(format!("scored {score}/{max}:\n{}", summary(&g)))
            }
        }),
    ));
    let solved = make_kit(ws, "solved", QUICK, true).and_then(|d| grade_one(ws, &d, &refs));
    checks.push((
        "solved kit scores full marks".to_string(),
        solved.and_then(|g| {
            let (score, max) = g.score();
            let all = g
                .exercises
                .iter()
                .flat_map(|e| &e.langs)
                .all(|l| l.passed());
            if score == max && all {
                Ok(())
            } else {
                Err(format!("scored {score}/{max}:\n{}", summary(&g)))
            }
        }),
    ));
    checks.push((
        "planted wrong solutions each lose exactly their points".to_string(),
        planted(ws, &refs, "planted", QUICK, PLANTS).map(drop),
    ));
    checks.push((
        "a server that dies when a client resets, and the broken select loop, each lose exactly their points".to_string(),
        planted(ws, &refs, "planted-slow", SLOW, SLOW_PLANTS).map(drop),
    ));
    checks
}

/// A solved kit of `exercises` with `plants`: each planted exercise fails
/// in both languages, every other exercise passes in both.
fn planted(
    ws: &Workspace,
    refs: &References,
    name: &str,
    exercises: &[&str],
    plants: &[Plant],
) -> Result<String, String> {
    let dir = make_kit(ws, name, exercises, true)?;
    for p in plants {
        replace_in(&dir, p.file, p.from, p.to)?;
    }
    let g = grade_one(ws, &dir, refs)?;
    let mut wrong = Vec::new();
    for e in &g.exercises {
        let is_planted = plants.iter().any(|p| p.exercise == e.id);
        for l in &e.langs {
            if l.passed() == is_planted {
                wrong.push(format!(
                    "{} ({}) {}",
                    e.id,
                    l.lang,
                    if is_planted {
                        "was planted wrong but passed"
                    } else {
                        "was not planted but failed"
                    }
                ));
            }
        }
    }
    if wrong.is_empty() {
        Ok(summary(&g))
    } else {
        Err(format!("{}\n{}", wrong.join("\n"), summary(&g)))
    }
}

/// Hostile regions: exercise, kit file, the region's new body.
const HOSTILE: &[(&str, &str, &str)] = &[
    (
        "services/ntohs",
        "rust/netdb/services/src/main.rs",
        "    let _ = s;\n    #[allow(clippy::empty_loop)]\n    loop {}",
    ),
    (
        "services/ntohs",
        "c/services.c",
        "    (void)s;\n    for (;;) {}",
    ),
    (
        "protocols/print",
        "rust/netdb/protocols/src/main.rs",
        "    let _ = p;\n    loop {\n        let _ = std::process::Command::new(\"/proc/self/exe\").spawn();\n    }",
    ),
    (
        "protocols/print",
        "c/protocols.c",
        "    (void)p;\n    for (;;)\n        fork();",
    ),
    (
        "networks/print",
        "rust/netdb/networks/src/main.rs",
        "    let _ = n;\n    let line = \"x\".repeat(1023);\n    for _ in 0..(1 << 20) {\n        println!(\"{line}\");\n    }",
    ),
    (
        "networks/print",
        "c/networks.c",
        "    (void)n;\n    for (long i = 0; i < (1L << 20); i++)\n        printf(\"%01023d\\n\", 0);",
    ),
    (
        "hosts/print",
        "rust/netdb/hosts/src/main.rs",
        "    let _ = h;\n    std::thread::sleep(std::time::Duration::from_secs(1 << 30));",
    ),
    (
        "hosts/print",
        "c/hosts.c",
        "    (void)h;\n    for (;;)\n        pause();",
    ),
    (
        "byte-order/htons",
        "rust/byte-order/byte-order/src/main.rs",
        "    let _ = x;\n    let far: std::net::SocketAddr = \"198.18.0.1:80\".parse().unwrap();\n    let r = std::net::TcpStream::connect_timeout(&far, std::time::Duration::from_secs(1));\n    eprintln!(\"remote connect: {:?}\", r.err());\n    let b = std::net::TcpListener::bind(\"198.18.0.2:0\");\n    eprintln!(\"remote bind: {:?}\", b.err());\n    Ok(())",
    ),
    (
        "byte-order/htons",
        "c/byte-order.c",
        "    (void)x;\n    struct sockaddr_in far = { .sin_family = AF_INET, .sin_port = htons(80) };\n    inet_pton(AF_INET, \"198.18.0.1\", &far.sin_addr);\n    int fd = socket(AF_INET, SOCK_STREAM, 0);\n    if (connect(fd, (struct sockaddr *)&far, sizeof far) < 0)\n        fprintf(stderr, \"remote connect: %s\\n\", strerror(errno));\n    return 1;",
    ),
];

/// Exercises whose section gets a hostile build script: the first writes
/// outside, reads the answer key and reaches for a remote address (written
/// in `hostile`, which knows the paths); the others never end.
const SCRIPTED: &[(&str, &str)] = &[
    ("sockets/stream", ""),
    (
        "sockopt/linger",
        "use std::io::Write;\nfn main() {\n    let line = [b'x'; 1023];\n    let mut out = std::io::stdout().lock();\n    for _ in 0..(1 << 20) {\n        if out.write_all(&line).and_then(|()| out.write_all(b\"\\n\")).is_err() {\n            break;\n        }\n    }\n    #[allow(clippy::empty_loop)]\n    loop {}\n}\n",
    ),
    (
        "datagrams/sendto",
        "fn main() {\n    if let Ok(me) = std::env::current_exe() {\n        for _ in 0..64 {\n            let _ = std::process::Command::new(&me).spawn();\n        }\n    }\n    std::thread::sleep(std::time::Duration::from_secs(1 << 30));\n}\n",
    ),
];

/// The grader's own files a hostile program tries to read, and files it
/// tries to write outside its scratch copy.
fn planted_paths(ws: &Workspace) -> (PathBuf, Vec<PathBuf>) {
    let key = ws.root.join("crates/byte-order/byte-order/src/main.rs");
    let outside = vec![
        grade::grade_dir(ws).join("self-test/escaped.txt"),
        PathBuf::from("/tmp/sockref-grade-escaped.txt"),
    ];
    (key, outside)
}

fn replace_region(dir: &Path, file: &str, id: &str, body: &str) -> Result<(), String> {
    let path = dir.join(file);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if super::opening(line) == Some(id) {
            out.push(line.to_string());
            out.push(body.to_string());
            inside = true;
        } else if inside && super::closing(line) {
            out.push(line.to_string());
            inside = false;
        } else if !inside {
            out.push(line.to_string());
        }
    }
    fs::write(&path, out.join("\n") + "\n").map_err(|e| e.to_string())
}

/// Processes of `uid` still alive (not zombies).
fn processes_of(uid: u32) -> Vec<u32> {
    use std::os::unix::fs::MetadataExt;
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let owned = fs::metadata(entry.path()).is_ok_and(|m| m.uid() == uid);
        let zombie =
            fs::read_to_string(entry.path().join("stat")).is_ok_and(|s| s.contains(") Z "));
        if owned && !zombie {
            found.push(pid);
        }
    }
    found
}

/// The hostile kit: every hostile exercise scores 0, in bounded time, with
/// no process left and nothing written outside the scratch copy.
pub fn hostile(ws: &Workspace) -> Result<String, String> {
    let ids: Vec<&str> = HOSTILE
        .iter()
        .map(|h| h.0)
        .chain(SCRIPTED.iter().map(|(id, _)| *id))
        .chain(["byte-order/htonl"])
        .collect();
    let mut unique: Vec<&str> = Vec::new();
    for id in ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    let dir = make_kit(ws, "hostile", &unique, true)?;
    // A packet to 198.18.0.0/15 is sent only from a namespace of the
    // grader's, where it cannot leave; without one that case is skipped.
    let probe = grade::grade_dir(ws).join("self-test/netns-probe");
    let _ = fs::create_dir_all(&probe);
    let remote_ok = super::sandbox::Sandbox::new(&probe, grade::uid_for(0)).has_netns();
    let mut notes = Vec::new();
    for (id, file, body) in HOSTILE {
        if id == &"byte-order/htons" && !remote_ok {
            notes
                .push("skipped the remote connect and bind: no network namespace can be made here");
            let inert = if file.ends_with(".c") {
                "    (void)x;\n    return 0;"
            } else {
                "    let _ = x;\n    Ok(())"
            };
            replace_region(&dir, file, id, inert)?;
            continue;
        }
        replace_region(&dir, file, id, body)?;
    }
    let (key, outside) = planted_paths(ws);
    for p in &outside {
        let _ = fs::remove_file(p);
    }
    // Reading the grader's files: the answer key, by its absolute path.
    let read_key = format!(
        "    let _ = x;\n    match std::fs::read_to_string({key:?}) {{\n        Ok(text) => print!(\"{{text}}\"),\n        Err(e) => eprintln!(\"cannot read the answer key: {{e}}\"),\n    }}\n    Ok(())"
    );
    replace_region(
        &dir,
        "rust/byte-order/byte-order/src/main.rs",
        "byte-order/htonl",
        &read_key,
    )?;
    let read_key_c = format!(
        "    (void)x;\n    FILE *f = fopen({key:?}, \"r\");\n    if (!f) {{ perror(\"cannot read the answer key\"); return 1; }}\n    int c;\n    while ((c = fgetc(f)) != EOF) putchar(c);\n    return 0;"
    );
    replace_region(&dir, "c/byte-order.c", "byte-order/htonl", &read_key_c)?;
    // A build script that writes outside, reads the key, reaches for a
    // remote address (inside the namespace only), then fails.
    let remote = if remote_ok {
        "    let far: std::net::SocketAddr = \"198.18.0.1:80\".parse().unwrap();\n    let r = std::net::TcpStream::connect_timeout(&far, std::time::Duration::from_secs(1));\n    eprintln!(\"remote connect: {:?}\", r.err());\n"
    } else {
        notes.push(
            "skipped the build script's remote connect: no network namespace can be made here",
        );
        ""
    };
    let build_rs = format!(
        "fn main() {{\n    for p in [{:?}, {:?}] {{\n        let _ = std::fs::write(p, \"escaped\");\n    }}\n{remote}    let key = std::fs::read_to_string({key:?});\n    panic!(\"hostile build script: reading the answer key gave {{:?}}\", key.map(|t| t.len()));\n}}\n",
        outside[0], outside[1]
    );
    fs::write(dir.join("rust/sockets/sockets/build.rs"), build_rs).map_err(|e| e.to_string())?;
    // Build scripts that never end: a flood then a busy loop, and a fork
    // bomb then sleeping forever.
    for (id, script) in SCRIPTED.iter().skip(1) {
        let section = exercises()
            .iter()
            .find(|(_, e)| e.id == *id)
            .map(|(s, e)| format!("rust/{}/{}", s.name, e.program()))
            .ok_or("a scripted exercise is declared")?;
        fs::write(dir.join(section).join("build.rs"), script).map_err(|e| e.to_string())?;
    }
    let start = Instant::now();
    let refs = References::default();
    let g = grade_one(ws, &dir, &refs)?;
    let seconds = start.elapsed().as_secs_f64();
    let mut problems = Vec::new();
    for e in &g.exercises {
        let scripted = SCRIPTED.iter().any(|(id, _)| *id == e.id);
        for l in &e.langs {
            // The C half of a section has no build script: it may pass.
            if l.passed() && !(scripted && l.lang == "c") {
                problems.push(format!("{} ({}) passed", e.id, l.lang));
            }
        }
    }
    let namespaces = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let ours = format!("sockref-grade-{}-", std::process::id());
    if let Some(left) = namespaces.lines().find(|l| l.starts_with(&ours)) {
        problems.push(format!("a network namespace was left: {left}"));
    }
    for p in &outside {
        if p.exists() {
            problems.push(format!(
                "{} was written outside the scratch copy",
                p.display()
            ));
        }
    }
    let left = processes_of(grade::uid_for(0));
    if !left.is_empty() {
        problems.push(format!(
            "processes of the sandbox uid left running: {left:?}"
        ));
    }
    // The key's first line, had the reader got it, would be the first
    // difference of its transcript.
    if summary(&g).contains("//! Section") {
        problems.push("a hostile program read the answer key".into());
    }
    if seconds > 240.0 {
        problems.push(format!("grading took {seconds:.0} s"));
    }
    if problems.is_empty() {
        Ok(format!(
            "hostile kit: every hostile exercise scored 0 in {seconds:.1} s {}\n{}",
            notes.join("; "),
            summary(&g)
        ))
    } else {
        Err(format!("{}\n{}", problems.join("\n"), summary(&g)))
    }
}

/// The C exercises graded with the sandbox's fallback forced: a server
/// probed by hostile clients, a receiver by hostile peers, a C test (which
/// needs the private root, so it is skipped with the reason).
pub const FALLBACK: &[&str] = &["services/ntohs", "initserver/serve", "oob-recv/atmark"];

/// The sandbox's fallback, forced as on a machine without namespaces: the
/// report's first line names the missing protections, and a solved kit
/// still scores full marks (in C: a Rust kit would need a second build
/// cache, built outside the sandbox).
pub fn fallback(ws: &Workspace) -> Result<String, String> {
    let dir = make_kit_in(ws, "fallback", "c", FALLBACK, true)?;
    let refs = References::default();
    let options = grade::Options {
        workers: grade::WORKERS,
        fallback: true,
    };
    let g =
        grade::grade_kit(ws, &dir, grade::uid_for(0), &refs, options).map_err(|e| e.to_string())?;
    let _ = fs::remove_dir_all(grade::grade_dir(ws).join(&g.kit).join("scratch"));
    let report = grade::report_text(&g);
    let first = report.lines().next().unwrap_or_default().to_string();
    let (score, max) = g.score();
    let mut problems = Vec::new();
    if !first.starts_with("sandbox: missing protections: ")
        || !first.contains(super::sandbox::NO_SANDBOX_ENV)
        || !first.contains("no network, mount or pid namespace")
    {
        problems.push(format!(
            "the report's first line does not name the missing protections: {first}"
        ));
    }
    if score != max || max == 0 {
        problems.push(format!("scored {score}/{max}"));
    }
    let skipped: Vec<String> = g
        .exercises
        .iter()
        .flat_map(|e| &e.langs)
        .flat_map(|l| &l.checks)
        .filter(|c| c.skipped)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    if problems.is_empty() {
        Ok(format!(
            "{first}
skipped: {}",
            skipped.join("; ")
        ))
    } else {
        Err(format!(
            "{}
{}",
            problems.join(
                "
"
            ),
            summary(&g)
        ))
    }
}

/// `cargo xtask grade --self-test`.
pub fn self_test(ws: &Workspace) -> Result<(), Error> {
    let mut failed = 0;
    let mut results = quick(ws);
    results.push((
        "the sandbox's fallback: the report's first line names the missing protections, and grading works".into(),
        fallback(ws).map(|s| println!("{s}")),
    ));
    results.push(("hostile kit".into(), hostile(ws).map(|s| println!("{s}"))));
    for (name, result) in &results {
        match result {
            Ok(()) => println!("ok   {name}"),
            Err(e) => {
                failed += 1;
                println!("FAIL {name}\n{e}");
            }
        }
    }
    if failed == 0 {
        Ok(())
    } else {
        Err(Error::runtime(format!("{failed} self-test(s) failed")))
    }
}
