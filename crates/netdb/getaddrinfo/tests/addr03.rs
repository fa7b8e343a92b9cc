//! The notes' addr03, its three mistakes run in C (`tests/c/addr03.c`,
//! compiled here) beside the fix, and what the Rust program does instead.
//! Only localhost is looked up: /etc/hosts answers, no DNS query is sent.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use sockref::testing::{assert_runtime_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_getaddrinfo");

/// The tests of this file take turns: one of them counts the bytes this
/// process has in use, which another test allocating at the same time
/// would blur.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn addr03() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        sockref::testing::c_twin(
            "crates/netdb/getaddrinfo/tests/c/addr03.c",
            Path::new(env!("CARGO_TARGET_TMPDIR")),
        )
    })
}

fn run(demo: &str) -> String {
    stdout_of(addr03().to_str().unwrap(), &[demo])
}

/// Hints filled in field by field over stack garbage: each of the four
/// fields glibc reads, forgotten, is an error of its own; the other four it
/// does not read at all (POSIX says they must be 0 or NULL). Zeroing the
/// struct first is the fix, and what Rust's `AddrInfoHints::default()` is.
#[test]
fn addr03_hints_left_as_garbage_make_getaddrinfo_fail() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = run("hints");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "ai_flags     forgotten: EAI_BADFLAGS (Bad value for ai_flags)",
            "ai_family    forgotten: EAI_FAMILY (ai_family not supported)",
            "ai_socktype  forgotten: EAI_SOCKTYPE (ai_socktype not supported)",
            "ai_protocol  forgotten: EAI_SERVICE (Servname not supported for ai_socktype)",
            "ai_addrlen   forgotten: accepted",
            "ai_addr      forgotten: accepted",
            "ai_canonname forgotten: accepted",
            "ai_next      forgotten: accepted",
            "zeroed first: accepted",
        ]
    );
}

/// On failure getaddrinfo leaves the list pointer as it was, so the notes'
/// loop after a failed call reads through an uninitialised pointer. The
/// Rust program stops at the error: one line, exit status 1.
#[test]
fn addr03_after_a_failed_getaddrinfo_the_list_is_garbage() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(
        run("failure"),
        "getaddrinfo: EAI_SERVICE (Servname not supported for ai_socktype)\n\
         ailist afterwards: unchanged, still garbage\n"
    );
    let line = assert_runtime_error(BIN, &["localhost", "no-such-service"]);
    assert!(line.contains("EAI_SERVICE"), "{line}");
}

/// Without freeaddrinfo every lookup's list stays allocated. dns-lookup
/// frees the list when its iterator is dropped, so the same thousand
/// lookups from Rust leave nothing behind.
#[test]
fn addr03_without_freeaddrinfo_every_lookup_leaks() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = run("leak");
    let bytes: Vec<i64> = out
        .lines()
        .map(|l| l.split(": ").nth(1).unwrap().split(' ').next().unwrap())
        .map(|n| n.parse().unwrap())
        .collect();
    let entry = std::mem::size_of::<libc::addrinfo>() as i64;
    assert!(bytes[0] >= 1000 * entry, "never freed: {out}");
    assert!(bytes[1] < 100 * entry, "freed: {out}");

    let in_use = || {
        // SAFETY: mallinfo2 only reads the allocator's statistics.
        unsafe { libc::mallinfo2() }.uordblks as i64
    };
    let hints = dns_lookup::AddrInfoHints {
        flags: libc::AI_CANONNAME,
        ..Default::default()
    };
    // One lookup first: glibc keeps what its first lookup sets up (the
    // name service modules' state), as the C demonstration's first loop did.
    dns_lookup::getaddrinfo(Some("localhost"), Some("nfs"), Some(hints)).unwrap();
    let start = in_use();
    for _ in 0..1000 {
        let list = dns_lookup::getaddrinfo(Some("localhost"), Some("nfs"), Some(hints)).unwrap();
        assert!(list.count() >= 2);
    }
    let kept = in_use() - start;
    assert!(kept < 100 * entry, "Rust kept {kept} bytes");
}
