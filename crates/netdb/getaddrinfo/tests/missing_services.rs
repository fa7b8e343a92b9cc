//! What getaddrinfo does on a machine without /etc/services (Debian's
//! netbase package): a service NAME fails with EAI_SERVICE, whose text
//! blames the socket type, even with a numeric host; a port NUMBER works.
//!
//! The test makes such a machine for one process: in a private mount
//! namespace (`unshare --mount`) a folder holding only the few files a
//! lookup of 127.0.0.1 reads (the loader's cache, hosts, nsswitch.conf,
//! host.conf, gai.conf) is bound over /etc. Nothing outside that process
//! sees it, and it ends with it. Where mount namespaces are not allowed
//! (no privilege) the test says so and is skipped.

use std::path::Path;
use std::process::Command;

use sockref::testing::{RUN_LIMIT, run_bounded, unshare_allowed};

const BIN: &str = env!("CARGO_BIN_EXE_getaddrinfo");

#[test]
fn without_etc_services_a_service_name_is_eai_service_and_a_number_works() {
    if !unshare_allowed(&["--mount"]) {
        return;
    }
    let etc = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("etc-without-netbase-{}", std::process::id()));
    std::fs::create_dir_all(&etc).unwrap();
    for file in [
        "ld.so.cache",
        "ld.so.conf",
        "hosts",
        "nsswitch.conf",
        "host.conf",
        "gai.conf",
    ] {
        let _ = std::fs::copy(Path::new("/etc").join(file), etc.join(file));
    }
    let run = |args: &[&str]| {
        let mut command = Command::new("unshare");
        command
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(r#"mount --bind "$0" /etc && exec "$@""#)
            .arg(&etc)
            .arg(BIN)
            .args(args);
        let run = run_bounded(command, RUN_LIMIT).unwrap();
        assert!(!run.timed_out, "{args:?} did not end");
        run.output
    };
    let by_name = run(&["127.0.0.1", "http", "--numeric-host"]);
    let by_number = run(&["127.0.0.1", "80", "--numeric-host"]);
    let _ = std::fs::remove_dir_all(&etc);

    assert_eq!(by_name.status.code(), Some(1), "{by_name:?}");
    assert_eq!(
        String::from_utf8_lossy(&by_name.stderr),
        "error: getaddrinfo(\"127.0.0.1\", \"http\", AI_NUMERICHOST): \
         EAI_SERVICE (Servname not supported for ai_socktype)\n"
    );
    assert!(by_number.status.success(), "{by_number:?}");
    let out = String::from_utf8_lossy(&by_number.stdout);
    assert!(out.contains("address 127.0.0.1  port 80"), "{out}");
}
