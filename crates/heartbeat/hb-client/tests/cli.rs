//! hb-client: the self-demo's transcript follows the counter, the same on
//! every run; bad input is a usage error.

use sockref::testing::{assert_usage_error, masked, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_hb-client");

#[test]
fn the_self_demo_detects_a_stopped_peer_and_its_recovery_the_same_way_every_run() {
    let first = stdout_of(BIN, &[]);
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("SIGSTOP")).count(),
        2,
        "{first}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("is back: counter reset to 0")),
        "{first}"
    );
    assert!(
        lines[lines.len() - 2].ends_with("(3 of 3): the server is dead"),
        "{first}"
    );
    for _ in 0..2 {
        assert_eq!(masked(&stdout_of(BIN, &[])), masked(&first));
    }
}

#[test]
fn bad_input_is_a_usage_error() {
    for args in [
        &["--nsec", "x"][..],
        &["--nsec", "0"],
        &["--nprobes", "0"],
        &["--frob"],
        &["a", "b", "c"],
        &["--nprobes", "1"],
    ] {
        assert_usage_error(BIN, args);
    }
}

#[test]
fn a_client_and_a_server_exchange_five_probes_then_close() {
    use std::io::BufRead;
    let server = std::process::Command::new(
        env!("CARGO_BIN_EXE_hb-client").replace("hb-client", "hb-server"),
    )
    .args(["127.0.0.1", "0", "--nsec", "0.05", "--nprobes", "3"])
    .stdout(std::process::Stdio::piped())
    .spawn();
    let Ok(mut server) = server else {
        eprintln!("skip: hb-server is not built beside hb-client");
        return;
    };
    // Bounded: a server that does not end is killed after 15 s.
    let (done, watch) = std::sync::mpsc::channel::<()>();
    let pid = server.id().to_string();
    std::thread::spawn(move || {
        if watch
            .recv_timeout(std::time::Duration::from_secs(15))
            .is_err()
        {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid])
                .status();
        }
    });
    let mut out = std::io::BufReader::new(server.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let port = first.trim().rsplit(':').next().unwrap().to_string();
    let client = stdout_of(BIN, &["127.0.0.1", &port, "--count", "5", "--nsec", "0.05"]);
    assert!(client.ends_with("5 replies, closing\n"), "{client}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(
        rest.ends_with("the client closed the connection after 5 probes\n"),
        "{rest}"
    );
    assert!(server.wait().unwrap().success());
    let _ = done.send(());
}

#[test]
fn a_non_utf8_argument_is_the_same_usage_error_in_rust_and_c() {
    use std::os::unix::ffi::OsStrExt;
    let twin = sockref::testing::c_twin(
        "crates/heartbeat/hb-client/c/hb-client.c",
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
    );
    let arg = std::ffi::OsStr::from_bytes(b"caf\xE9");
    let run = |bin: &std::path::Path| {
        let out = std::process::Command::new(bin).arg(arg).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let rust = run(std::path::Path::new(BIN));
    assert_eq!(rust.0, Some(2));
    assert!(
        rust.1
            .starts_with("error: argument 'caf\\xE9' is not valid UTF-8\n"),
        "{}",
        rust.1
    );
    assert_eq!(run(&twin), rust);
}
