//! sendmsg and recvmsg as the program shows them, and the rule behind
//! MSG_CTRUNC: a passed descriptor that finds no room is closed (that
//! rule's own test is in tests/ctrunc.rs, alone in its binary).

use sockref::testing::{assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_msg");

fn lines() -> Vec<String> {
    stdout_of(BIN, &[]).lines().map(str::to_string).collect()
}

#[test]
fn sendmsg_and_recvmsg() {
    let out = lines();
    assert_eq!(
        out[1],
        "recvmsg scattered 14 bytes into buffers of 7 and 20: 'head|bo' and 'dy|tail'"
    );
    assert_eq!(
        out[2],
        "SCM_RIGHTS: a pipe's read end came over the socket; reading it gives 'written before the descriptor was passed'"
    );
    assert!(out[3].contains("MSG_CTRUNC set"), "{out:?}");
}

#[test]
fn arguments_are_usage_errors() {
    assert_usage_error(BIN, &["extra"]);
}
