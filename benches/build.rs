//! Builds the C side of the round-trip benchmark into the bench binary, so
//! that Rust and C run in one process over the same kind of connection.
fn main() {
    println!("cargo:rerun-if-changed=c/pingpong.c");
    cc::Build::new()
        .file("c/pingpong.c")
        .flag("-std=c11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .opt_level(2)
        .compile("pingpong");
}
