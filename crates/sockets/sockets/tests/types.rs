//! The sockets program's transcript is the claims of its chapter; this test
//! checks each line as the kernel produced it.

use sockref::testing::{assert_usage_error, stdout_of};

const BIN: &str = env!("CARGO_BIN_EXE_sockets");

#[test]
fn each_socket_type_keeps_its_promise() {
    let out = stdout_of(BIN, &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "protocol 0: socket(AF_INET, SOCK_STREAM, 0) is IPPROTO_TCP (6); socket(AF_INET, SOCK_DGRAM, 0) is IPPROTO_UDP (17)",
            "protocol 0: socket(AF_INET6, SOCK_STREAM, 0) is IPPROTO_TCP (6); socket(AF_INET6, SOCK_DGRAM, 0) is IPPROTO_UDP (17)",
            "SOCK_STREAM: wrote 'hello' and 'world'; one recv got 10 bytes 'helloworld'",
            "SOCK_SEQPACKET: wrote 'hello' and 'world'; recv got 5 bytes 'hello', then 5 bytes 'world'",
            "SOCK_DGRAM: wrote 'hello' and 'world'; recv got 5 bytes 'hello'",
            "SOCK_DGRAM: a 3-byte buffer got 'wor'; MSG_TRUNC says the datagram had 5 bytes",
            "shutdown(SHUT_WR): the peer read 'question', then 0 bytes (end of file), and could still answer 'answer'",
            "close: after closing one of two copies the peer saw no end of file (EAGAIN); after the last, recv returned 0 (end of file)",
            "struct sockaddr: 16 bytes, sa_family (2 bytes) at offset 0: no sa_len",
            "struct sockaddr_in: 16 bytes, sin_family at offset 0, sin_port at 2, sin_addr at 4",
        ]
    );
}

#[test]
fn arguments_are_usage_errors() {
    assert_usage_error(BIN, &["extra"]);
    assert_usage_error(BIN, &["--frob"]);
}
