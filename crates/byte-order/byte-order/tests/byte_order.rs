//! glibc's byte-order functions and Rust's idioms agree, and the program
//! reports the host's real byte order.

use sockref::ffi::{htonl, htons, ntohl, ntohs};
use sockref::testing::{assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_byte-order");

fn edge_and_sweep_u32() -> impl Iterator<Item = u32> {
    let edges = [
        0,
        1,
        0xff,
        0x100,
        0xffff,
        0x1_0000,
        0x1234_5678,
        u32::MAX - 1,
        u32::MAX,
    ];
    // A multiplicative sweep touches every byte position with varied values.
    let sweep = (0..100_000u32).map(|i| i.wrapping_mul(0x9e37_79b9));
    edges.into_iter().chain(sweep)
}

#[test]
fn htonl_and_ntohl_agree_with_to_be_and_from_be() {
    for x in edge_and_sweep_u32() {
        assert_eq!(htonl(x), x.to_be(), "htonl({x:#x})");
        assert_eq!(ntohl(x), u32::from_be(x), "ntohl({x:#x})");
        assert_eq!(
            htonl(x).to_ne_bytes(),
            x.to_be_bytes(),
            "bytes of htonl({x:#x})"
        );
        assert_eq!(
            u32::from_be_bytes(htonl(x).to_ne_bytes()),
            x,
            "from_be_bytes"
        );
        assert_eq!(ntohl(htonl(x)), x, "round trip of {x:#x}");
    }
}

#[test]
fn htons_and_ntohs_agree_with_to_be_and_from_be_for_every_u16() {
    for x in 0..=u16::MAX {
        assert_eq!(htons(x), x.to_be(), "htons({x:#x})");
        assert_eq!(ntohs(x), u16::from_be(x), "ntohs({x:#x})");
        assert_eq!(
            htons(x).to_ne_bytes(),
            x.to_be_bytes(),
            "bytes of htons({x:#x})"
        );
        assert_eq!(ntohs(htons(x)), x);
    }
}

#[test]
fn network_order_puts_the_most_significant_byte_first() {
    assert_eq!(htonl(0x1234_5678).to_ne_bytes(), [0x12, 0x34, 0x56, 0x78]);
    assert_eq!(htons(0x1234).to_ne_bytes(), [0x12, 0x34]);
}

#[test]
fn the_program_detects_the_real_host_order() {
    let out = stdout_of(BIN, &[]);
    let first = out.lines().next().unwrap();
    if cfg!(target_endian = "little") {
        assert!(
            first.starts_with("host byte order: little-endian"),
            "{first}"
        );
        assert!(
            out.contains("  stored in host order   78_56_34_12 "),
            "{out}"
        );
    } else {
        assert!(first.starts_with("host byte order: big-endian"), "{first}");
        assert!(
            out.contains("  stored in host order   12_34_56_78 "),
            "{out}"
        );
    }
    assert!(
        out.contains("  network order          12_34_56_78 "),
        "{out}"
    );
    assert!(
        out.contains("  network order          01_23_45_67_89_ab_cd_ef "),
        "{out}"
    );
}

#[test]
fn values_take_the_narrowest_width_that_holds_them() {
    let out = stdout_of(BIN, &["0", "65535", "65536", "0xffffffff", "0x100000000"]);
    let titles: Vec<String> = out
        .lines()
        .filter(|l| l.starts_with('u'))
        .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        titles,
        [
            "u16 0x0000",
            "u16 0xffff",
            "u32 0x00010000",
            "u32 0xffffffff",
            "u64 0x0000000100000000"
        ]
    );
}

#[test]
fn bad_values_are_usage_errors() {
    for bad in [
        &["12x"][..],
        &["0x"],
        &[""],
        &["18446744073709551616"],
        &["--frob"],
        &["-1"],
    ] {
        let line = assert_usage_error(BIN, bad);
        assert!(
            line.contains("is not a number")
                || line.contains("does not fit")
                || line.contains("invalid option"),
            "{line}"
        );
    }
}
