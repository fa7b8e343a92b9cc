//! The parsers of address text, compared: std::net against glibc's
//! inet_pton (a differential property test), and the older forms only
//! inet_aton and getaddrinfo accept.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use sockref::ffi::{inet_aton, inet_ntop4, inet_ntop6, inet_pton4, inet_pton6};
use sockref::testing::{assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_addr-convert");

/// Where glibc and Rust print the same IPv6 address differently: glibc
/// writes an IPv4-compatible address (first 96 bits zero, not `::` or
/// `::1`) with a dotted tail, `::1.2.3.4`, where Rust writes `::102:304`.
fn prints_differently(a: &Ipv6Addr) -> bool {
    let s = a.segments();
    s[..6].iter().all(|&x| x == 0) && s[6] != 0
}

/// Text shaped like an IPv4 address, often slightly wrong: components with
/// leading zeros, hex, too large, too few or too many, stray characters.
fn ipv4ish() -> impl Strategy<Value = String> {
    let component = prop_oneof![
        (0u32..=255).prop_map(|n| n.to_string()),
        (0u32..=300).prop_map(|n| format!("0{n}")),
        (0u32..=255).prop_map(|n| format!("0x{n:x}")),
        (256u32..=99999).prop_map(|n| n.to_string()),
        "[0-9a-fx ]{0,4}",
    ];
    (
        proptest::collection::vec(component, 1..=5),
        "[.]{1,2}",
        "( |[a-z]{1,3})?",
    )
        .prop_map(|(parts, sep, tail)| format!("{}{tail}", parts.join(&sep)))
}

/// Text shaped like an IPv6 address: groups of hex digits, `::`, embedded
/// dotted quads, scope ids.
fn ipv6ish() -> impl Strategy<Value = String> {
    let group = prop_oneof![
        "[0-9a-fA-F]{1,4}",
        "[0-9a-fA-F]{5}",
        Just(String::new()),
        (0u8..=255, 0u8..=255, 0u8..=255, 0u8..=255)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        "[0-9.g]{1,6}",
    ];
    (
        proptest::collection::vec(group, 1..=10),
        "(%[a-z0-9]{1,4})?",
    )
        .prop_map(|(groups, scope)| format!("{}{scope}", groups.join(":")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn std_and_inet_pton_accept_the_same_ipv4_text(text in prop_oneof![ipv4ish(), "[0-9.x]{0,16}"]) {
        let std = text.parse::<Ipv4Addr>().ok();
        let glibc = inet_pton4(&text);
        prop_assert_eq!(std.map(|a| a.octets()), glibc, "input {:?}", text);
        if let Some(bytes) = glibc {
            prop_assert_eq!(std.unwrap().to_string(), inet_ntop4(&bytes));
        }
    }

    #[test]
    fn std_and_inet_pton_accept_the_same_ipv6_text(text in prop_oneof![ipv6ish(), "[0-9a-f:.]{0,24}"]) {
        let std = text.parse::<Ipv6Addr>().ok();
        let glibc = inet_pton6(&text);
        prop_assert_eq!(std.map(|a| a.octets()), glibc, "input {:?}", text);
        if let (Some(addr), Some(bytes)) = (std, glibc) {
            let same_text = addr.to_string() == inet_ntop6(&bytes);
            prop_assert_eq!(same_text, !prints_differently(&addr), "{} vs {}", addr, inet_ntop6(&bytes));
        }
    }

    #[test]
    fn every_ipv6_address_round_trips_through_both_printers(bytes in any::<[u8; 16]>(), zeros in 0usize..16) {
        // Zero a prefix often, so that `::` compression and the IPv4 forms come up.
        let mut bytes = bytes;
        bytes[..zeros].fill(0);
        let addr = Ipv6Addr::from(bytes);
        let glibc_text = inet_ntop6(&bytes);
        prop_assert_eq!(inet_pton6(&glibc_text), Some(bytes));
        prop_assert_eq!(glibc_text.parse::<Ipv6Addr>().ok(), Some(addr));
        prop_assert_eq!(inet_pton6(&addr.to_string()), Some(bytes));
        prop_assert_eq!(addr.to_string() == glibc_text, !prints_differently(&addr));
    }
}

#[test]
fn only_the_old_parser_takes_octal_hex_short_and_trailing_junk() {
    let cases = [
        ("010.0.0.1", [8, 0, 0, 1]),
        ("0x7f.1", [127, 0, 0, 1]),
        ("127.1", [127, 0, 0, 1]),
        ("1.2.3", [1, 2, 0, 3]),
        ("2130706433", [127, 0, 0, 1]),
        ("1.2.3.4 junk", [1, 2, 3, 4]),
    ];
    for (text, bytes) in cases {
        assert_eq!(inet_aton(text), Some(bytes), "inet_aton({text:?})");
        assert_eq!(inet_pton4(text), None, "inet_pton({text:?})");
        assert!(text.parse::<Ipv4Addr>().is_err(), "std parses {text:?}");
    }
}

#[test]
fn glibc_prints_ipv4_compatible_addresses_dotted_and_rust_in_hex() {
    for (text, rust) in [("::1.2.3.4", "::102:304"), ("::0.1.2.3", "::1:203")] {
        let bytes = inet_pton6(text).unwrap();
        assert_eq!(inet_ntop6(&bytes), text);
        assert_eq!(Ipv6Addr::from(bytes).to_string(), rust);
    }
    // Mapped addresses print alike.
    let mapped = inet_pton6("::ffff:1.2.3.4").unwrap();
    assert_eq!(inet_ntop6(&mapped), Ipv6Addr::from(mapped).to_string());
}

#[test]
fn the_textbook_transcript() {
    let out = stdout_of(BIN, &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"addr = c0a80880"), "{out}");
    assert!(lines.contains(&"addr = 192.168.8.128"), "{out}");
    assert!(lines.contains(&"addr = 2001:db8::8:800:200c:417a"), "{out}");
}

/// A scope id by number is taken by getaddrinfo and by std's
/// `SocketAddrV6`; by interface name only by getaddrinfo, which turns the
/// name into the interface's index. Neither `inet_pton` nor `Ipv6Addr`
/// takes a scope id at all.
#[test]
fn scope_ids_only_through_getaddrinfo_and_numeric_socket_addresses() {
    // The loopback interface's index, as the kernel numbers it (1 in
    // every network namespace, read rather than assumed).
    let lo: u32 = std::fs::read_to_string("/sys/class/net/lo/ifindex")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let by_number = format!("fe80::1%{lo}");
    let out = stdout_of(BIN, &[&by_number, "fe80::1%lo"]);
    let blocks: Vec<&str> = out.split("\n\n").collect();
    for block in &blocks {
        assert!(
            block.contains("inet_pton(AF_INET6)       rejected"),
            "{out}"
        );
        assert!(
            block.contains("std::net::Ipv6Addr        rejected"),
            "{out}"
        );
        assert!(
            block.contains(&format!("getaddrinfo(NUMERICHOST)  fe80::1%{lo}")),
            "{out}"
        );
    }
    assert!(
        blocks[0].contains(&format!("std::net::SocketAddrV6    fe80::1%{lo}")),
        "{out}"
    );
    assert!(
        blocks[1].contains("std::net::SocketAddrV6    rejected"),
        "by name: {out}"
    );
    // The parsers themselves, without the program.
    assert!(
        format!("[{by_number}]:0")
            .parse::<std::net::SocketAddrV6>()
            .is_ok()
    );
    assert!("[fe80::1%lo]:0".parse::<std::net::SocketAddrV6>().is_err());
    assert_eq!(inet_pton6("fe80::1%lo"), None);
}

// ANCHOR: addr01_test
/// The notes' addr01 printed bytes through a `char` with `%x`. Run here on
/// the bytes of 192.168.8.128 (c0 a8 08 80): the C twin really does it,
/// the Rust program does the same conversion through `c_char`, and both
/// print the sign-extended bytes where `char` is signed, as on x86-64.
#[test]
fn addr01_prints_a_char_with_x_and_sign_extends_bytes_of_0x80_and_more() {
    let char_is_signed = std::ffi::c_char::MIN != 0;
    let through_char = if char_is_signed {
        "ffffffc0_ffffffa8_8_ffffff80"
    } else {
        "c0_a8_8_80"
    };
    let expected = format!(
        "input '192.168.8.128': the bytes inet_pton(AF_INET) stores, one by one:\n  \
         char with %x (addr01)    {through_char}\n  \
         unsigned char with %x    c0_a8_8_80\n"
    );
    let c = sockref::testing::c_twin(
        "crates/addr-convert/addr-convert/c/addr-convert.c",
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
    );
    for program in [BIN, c.to_str().unwrap()] {
        assert_eq!(
            stdout_of(program, &["--bytes", "192.168.8.128"]),
            expected,
            "{program}"
        );
    }
    if cfg!(target_arch = "x86_64") {
        assert!(char_is_signed, "char is signed on x86-64");
    }
}
// ANCHOR_END: addr01_test

#[test]
fn any_text_gets_a_verdict_and_options_are_usage_errors() {
    let out = stdout_of(BIN, &["--", "", "-1", "1.2.3.4 junk", "ünïcode", "::::"]);
    assert_eq!(out.matches("input '").count(), 5, "{out}");
    assert_usage_error(BIN, &["--frob"]);
    assert_usage_error(BIN, &["-x", "1.2.3.4"]);
    assert_usage_error(BIN, &["--bytes"]);
    assert_usage_error(BIN, &["--bytes=x", "1.2.3.4"]);
}
