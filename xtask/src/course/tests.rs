//! Fast tests of course mode: markers, stubs, kits, line selection.

use super::*;

fn workspace() -> crate::Workspace {
    let root = crate::workspace_root(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("workspace");
    crate::Workspace {
        target: root.join("target"),
        root,
    }
}

fn load() -> (crate::Workspace, &'static [Section]) {
    let ws = workspace();
    let chapters = crate::book::chapters(&ws).expect("chapters");
    let sections = sections::init(&ws.root, &chapters).expect("sections");
    (ws, sections)
}

#[test]
fn every_declared_exercise_is_marked_and_every_marker_declared() {
    let (ws, sections) = load();
    let regions = all_regions(&ws.root).expect("well-formed markers");
    let problems = check_markers(sections, &regions);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let count: usize = sections.iter().map(|s| s.exercises.len()).sum();
    assert!(count >= 24, "only {count} exercises");
    for s in sections {
        assert!(
            s.exercises.len() >= 3,
            "section {} has {} exercises",
            s.name,
            s.exercises.len()
        );
    }
}

#[test]
fn a_marker_out_of_place_is_named() {
    let err = regions_in("x.rs", "rust", "// exercise: a/b\n// exercise: a/c\n").unwrap_err();
    assert!(
        err.contains("x.rs:2: exercise a/c opens inside exercise a/b"),
        "{err}"
    );
    let err = regions_in("x.c", "c", "/* end exercise */\n").unwrap_err();
    assert!(err.contains("x.c:1"), "{err}");
    let err = regions_in("x.c", "c", "/* exercise: a/b */\n").unwrap_err();
    assert!(err.contains("never closed"), "{err}");
}

#[test]
fn stubs_fit_the_enclosing_function() {
    let rust = "fn f() -> Result<(), Error> {\n    // exercise: p/a\n    work()?;\n    // end exercise\n}\nfn g(x: u8) -> Socket {\n    // exercise: p/b\n    make(x)\n    // end exercise\n}\n";
    let out = stubbed("rust", rust, |_| true);
    assert!(out.contains("    eprintln!(\"error: exercise p/a is not done yet\");\n    return Ok(());\n    // end exercise"), "{out}");
    assert!(
        out.contains("    panic!(\"exercise p/b is not done yet\")\n"),
        "{out}"
    );
    assert!(
        !out.contains("work()?") && !out.contains("make(x)"),
        "{out}"
    );
    let c = "static int f(int x)\n{\n    /* exercise: p/c */\n    return x;\n    /* end exercise */\n}\nstatic void g(void)\n{\n    /* exercise: p/d */\n    puts(\"x\");\n    /* end exercise */\n}\n";
    let out = stubbed("c", c, |id| id == "p/c");
    assert!(out.contains("errno = ENOSYS;\n    return -1;"), "{out}");
    assert!(
        out.contains("puts(\"x\")"),
        "only chosen regions are stubbed: {out}"
    );
    assert_eq!(stubbed("c", c, |_| false), c);
}

#[test]
fn only_the_exercise_lines_are_compared() {
    let text = "A: one\n  more\nB: two\nA: three\n";
    assert_eq!(
        grade::selected_lines(text, &["A:".into()]),
        "A: one\n  more\nA: three\n"
    );
    let want = "A: 1\nB: 2\n--- stderr ---\n[exit status 0]\n";
    let got = "A: 1\nB: 9\n--- stderr ---\nerror: x\n[exit status 1]\n";
    assert!(grade::compare(want, got, "rust", &["A:".into()]).is_ok());
    let err = grade::compare(want, got, "rust", &[]).unwrap_err();
    assert!(err.contains("- B: 2") && err.contains("+ B: 9"), "{err}");
}

#[test]
fn a_kit_spec_rejects_unknown_exercises_and_languages() {
    let _ = load();
    assert!(kit::Spec::new("both", &["no/such".into()], false).is_err());
    assert!(kit::Spec::new("fortran", &[], false).is_err());
    let spec = kit::Spec::new("c", &["services/ntohs".into()], false).unwrap();
    assert_eq!(spec.exercises, ["services/ntohs"]);
}

#[test]
fn a_missing_empty_or_misshapen_kit_is_a_usage_error() {
    let _ = load();
    let tmp = std::env::temp_dir().join(format!("course-kit-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    let missing = kit::read_spec(&tmp).unwrap_err();
    assert!(matches!(missing, sockref::Error::Usage(_)), "{missing}");
    fs::create_dir_all(&tmp).unwrap();
    let empty = kit::read_spec(&tmp).unwrap_err();
    assert!(empty.to_string().contains("is empty"), "{empty}");
    fs::write(tmp.join("kit.toml"), "lang = 3\n").unwrap();
    assert!(matches!(
        kit::read_spec(&tmp),
        Err(sockref::Error::Usage(_))
    ));
    let file = tmp.join("kit.toml");
    let not_dir = kit::read_spec(&file).unwrap_err();
    assert!(not_dir.to_string().contains("not a directory"), "{not_dir}");
    fs::remove_dir_all(&tmp).unwrap();
}

#[test]
fn output_past_the_cap_is_cut_and_a_hang_is_killed() {
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", "yes 0123456789abcdef"]);
    let run = sandbox::run_capped(cmd, &sandbox::PROGRAM).unwrap();
    assert!(run.truncated);
    assert_eq!(run.stdout.len(), sandbox::OUTPUT_CAP);
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", "sleep 60 & sleep 60"]);
    let limits = sandbox::Limits {
        wall: std::time::Duration::from_millis(300),
        ..sandbox::PROGRAM
    };
    let t = std::time::Instant::now();
    let run = sandbox::run_capped(cmd, &limits).unwrap();
    assert!(run.timed_out);
    assert!(t.elapsed() < std::time::Duration::from_secs(5));
}

/// A scratch folder of its own for a sandbox test.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("course-sandbox-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn sh(sandbox: &sandbox::Sandbox, script: &str, limits: &sandbox::Limits) -> sandbox::Run {
    let cmd = sandbox.command("sh", &["-c".into(), script.into()], "", limits, &[]);
    sandbox::run_capped(cmd, limits).unwrap()
}

#[test]
fn the_sandbox_hides_the_repository_and_the_network_and_drops_root() {
    let dir = scratch("hide");
    let sandbox = sandbox::Sandbox::new(&dir, grade::uid_for(0));
    if !sandbox.missing().is_empty() {
        eprintln!("skipped: {}", sandbox.missing().join("; "));
        return;
    }
    sandbox.hand_over();
    let key = workspace().root.join("Cargo.toml");
    let script = format!(
        "id -u; cat {} >/dev/null 2>&1 && echo READ-THE-KEY; ip -o link | cut -d: -f2; ip route get 198.18.0.1 2>&1; echo hi > /kit/mine && echo wrote-kit; echo x > /etc/x 2>/dev/null && echo WROTE-ETC; true",
        key.display()
    );
    let run = sh(&sandbox, &script, &sandbox::PROGRAM);
    drop(sandbox);
    let lines: Vec<&str> = run.stdout.lines().map(str::trim).collect();
    assert_eq!(lines.first(), Some(&"65534"), "{run:?}");
    assert!(!run.stdout.contains("READ-THE-KEY"), "{run:?}");
    assert!(
        lines.contains(&"lo") && !lines.iter().any(|l| l.starts_with("eth")),
        "{run:?}"
    );
    assert!(run.stdout.contains("unreachable"), "{run:?}");
    assert!(
        run.stdout.contains("wrote-kit") && dir.join("mine").is_file(),
        "{run:?}"
    );
    assert!(!run.stdout.contains("WROTE-ETC"), "{run:?}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_fork_bomb_in_the_sandbox_ends_with_its_time_limit_and_leaves_nothing() {
    let dir = scratch("bomb");
    let sandbox = sandbox::Sandbox::new(&dir, grade::uid_for(9));
    if !sandbox.missing().is_empty() {
        eprintln!("skipped: {}", sandbox.missing().join("; "));
        return;
    }
    let limits = sandbox::Limits {
        wall: std::time::Duration::from_secs(1),
        ..sandbox::PROGRAM
    };
    let t = std::time::Instant::now();
    let run = sh(&sandbox, "b() { b | b & }; b; sleep 100", &limits);
    assert!(run.timed_out, "{run:?}");
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
    drop(sandbox);
    // pid 1 of its namespace is gone, and every process with it.
    let left = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            use std::os::unix::fs::MetadataExt;
            e.file_name().to_string_lossy().parse::<u32>().is_ok()
                && e.metadata().is_ok_and(|m| m.uid() == grade::uid_for(9))
                && !fs::read_to_string(e.path().join("stat")).is_ok_and(|s| s.contains(") Z "))
        })
        .count();
    assert_eq!(left, 0, "processes of the sandbox uid left running");
    fs::remove_dir_all(&dir).unwrap();
}

/// The entry of the grader's peer process when the grader is this test
/// binary (`hostile::run_job`); without the job it does nothing.
#[test]
fn peer_process() {
    if let Some(job) = std::env::var_os(hostile::PEER_ENV) {
        let _ = hostile::peer_main(&job);
    }
}

#[test]
fn the_fallback_says_what_is_missing_and_keeps_its_limits() {
    let dir = scratch("fallback");
    let sandbox = sandbox::Sandbox::with_fallback(&dir, grade::uid_for(0), true);
    assert!(!sandbox.isolated() && !sandbox.has_netns());
    let missing = sandbox.missing().join("; ");
    assert!(
        missing.contains(sandbox::NO_SANDBOX_ENV)
            && missing.contains("no network, mount or pid namespace"),
        "{missing}"
    );
    assert_eq!(sandbox.kit_path(), dir);
    // The rlimits, the clean environment and the time limit still hold.
    let script = "ulimit -n; grep 'Max processes' /proc/self/limits | awk '{print $3}'; echo $HOME; env | grep -c CARGO";
    let run = sh(&sandbox, script, &sandbox::PROGRAM);
    let lines: Vec<&str> = run.stdout.lines().map(str::trim).collect();
    assert_eq!(lines, ["256", "64", "/tmp", "0"], "{run:?}");
    let limits = sandbox::Limits {
        wall: std::time::Duration::from_millis(300),
        ..sandbox::PROGRAM
    };
    let t = std::time::Instant::now();
    let run = sh(&sandbox, "sleep 60 & sleep 60", &limits);
    assert!(run.timed_out && t.elapsed() < std::time::Duration::from_secs(5));
    fs::remove_dir_all(&dir).unwrap();
}

/// The hostile peers and clients run as a process of this very binary
/// (here the test binary, through `peer_process`): against the reference
/// receiver and server, in a sandbox (the fallback, on the host's
/// loopback, so no privilege is needed), they find nothing wrong.
#[test]
fn hostile_peers_and_clients_pass_the_reference_programs() {
    let ws = workspace();
    let (recv, server) = (ws.rust_binary("oob-recv"), ws.rust_binary("initserver"));
    if !recv.is_file() || !server.is_file() {
        eprintln!("skipped: build oob-recv and initserver first (cargo build)");
        return;
    }
    let dir = scratch("peers");
    let sandbox = sandbox::Sandbox::with_fallback(&dir, grade::uid_for(0), true);
    let run = crate::sections::HostileRun {
        receiver_args: vec!["--strategy".into(), "atmark".into()],
        peers: Vec::new(),
    };
    for peer in [
        crate::stress::Peer::Gaps,
        crate::stress::Peer::ResetMidStream,
    ] {
        for ip in hostile::IPS {
            hostile::check_receiver(&sandbox, &recv.display().to_string(), &run, peer, ip)
                .unwrap_or_else(|e| panic!("{} over {ip}: {e}", peer.name()));
        }
    }
    hostile::probe_clients(&sandbox, &server.display().to_string(), "127.0.0.1").unwrap();
    fs::remove_dir_all(&dir).unwrap();
}
