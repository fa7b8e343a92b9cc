//! A failed write to standard output is an error, never a panic (Rust)
//! nor a silent loss (C): run with stdout on /dev/full.

use std::path::Path;

#[test]
fn ruptime_dg_reports_a_full_stdout() {
    sockref::testing::assert_full_stdout_is_an_error_in_both(
        env!("CARGO_BIN_EXE_ruptime-dg"),
        "crates/data-transfer/ruptime-dg/c/ruptime-dg.c",
        Path::new(env!("CARGO_TARGET_TMPDIR")),
    );
}
