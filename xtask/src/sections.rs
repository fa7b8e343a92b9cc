//! The registry of the course: every section, its programs, their C twins
//! and the runs the book records. The grader, `bless` and the tidy tests all
//! read this one table; adding a program means adding it here.

/// One textbook section: a chapter of the book and the packages teaching it.
#[derive(Debug)]
pub struct Section {
    /// What `--section` takes.
    pub name: &'static str,
    /// Cargo packages of the section (tests and clippy run on these).
    pub packages: &'static [&'static str],
    /// The chapter, relative to `book/src`.
    pub chapter: &'static str,
    /// Library code the section's programs share (Rust and C), which the
    /// chapter must show as well.
    pub shared: &'static [&'static str],
    pub programs: &'static [Program],
    /// Standalone runs of one program against another, Rust and C in every
    /// pairing, that must agree (see `programs::check_interop`).
    pub interop: &'static [Interop],
}

/// A receiver started on 127.0.0.1 port 0 and a sender pointed at the port
/// it prints; each side's program is run in Rust and in C.
#[derive(Debug)]
pub struct Interop {
    pub name: &'static str,
    pub receiver: &'static str,
    pub receiver_args: &'static [&'static str],
    pub sender: &'static str,
    pub sender_args: &'static [&'static str],
}

/// One program: a binary of a package, and its C twin.
#[derive(Debug)]
pub struct Program {
    pub package: &'static str,
    pub bin: &'static str,
    /// The Rust source, relative to the workspace root.
    pub source: &'static str,
    /// The C twin, relative to the workspace root.
    pub c_twin: &'static str,
    /// Takes `IP PORT` and connects: graded on a port where nothing listens,
    /// with these extra arguments (to keep a retrying client short).
    pub connects: Option<&'static [&'static str]>,
    pub cases: &'static [Case],
}

/// One run of a program with fixed arguments.
#[derive(Debug)]
pub struct Case {
    /// Names the recorded output: `book/src/output/<bin>-<name>.txt`.
    pub name: &'static str,
    pub args: &'static [&'static str],
    /// The book shows this run's output, recorded by `cargo xtask bless`.
    pub recorded: bool,
}

impl Program {
    /// The file under `book/src` that holds a case's recorded output.
    pub fn recorded_path(&self, case: &Case) -> String {
        format!("output/{}-{}.txt", self.bin, case.name)
    }

    /// The command a reader types for a case, shown atop its recorded output.
    pub fn command_line(&self, case: &Case) -> String {
        let mut line = format!("$ cargo run -q -p {}", self.package);
        if self.bin != self.package {
            line.push_str(&format!(" --bin {}", self.bin));
        }
        if !case.args.is_empty() {
            line.push_str(" --");
            for arg in case.args {
                line.push(' ');
                line.push_str(&shell_quote(arg));
            }
        }
        line
    }
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/%=,@+".contains(&b));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

const fn case(name: &'static str, args: &'static [&'static str]) -> Case {
    Case {
        name,
        args,
        recorded: true,
    }
}

/// Compared with the C twin but not shown in the book.
const fn parity(name: &'static str, args: &'static [&'static str]) -> Case {
    Case {
        name,
        args,
        recorded: false,
    }
}

pub static SECTIONS: &[Section] = &[
    Section {
        name: "byte-order",
        packages: &["byte-order"],
        chapter: "byte-order.md",
        shared: &[],
        interop: &[],
        programs: &[Program {
            package: "byte-order",
            bin: "byte-order",
            source: "crates/byte-order/byte-order/src/main.rs",
            c_twin: "crates/byte-order/byte-order/c/byte-order.c",
            connects: None,
            cases: &[
                case("default", &[]),
                case(
                    "values",
                    &["1", "0xff", "0x100", "65536", "18446744073709551615"],
                ),
                parity("bad-value", &["12x"]),
                parity("bad-option", &["--frob"]),
            ],
        }],
    },
    Section {
        name: "addr-convert",
        packages: &["addr-convert"],
        chapter: "addr-convert.md",
        shared: &[],
        interop: &[],
        programs: &[Program {
            package: "addr-convert",
            bin: "addr-convert",
            source: "crates/addr-convert/addr-convert/src/main.rs",
            c_twin: "crates/addr-convert/addr-convert/c/addr-convert.c",
            connects: None,
            cases: &[
                case("default", &[]),
                case(
                    "compare",
                    &[
                        "01.2.3.4",
                        "127.1",
                        "0x7f.1",
                        "1.2.3.4 junk",
                        "::1.2.3.4",
                        "::ffff:1.2.3.4",
                        "fe80::1%1",
                        "",
                    ],
                ),
                parity("bad-option", &["--frob"]),
            ],
        }],
    },
    Section {
        name: "sockets",
        packages: &["sockets"],
        chapter: "sockets.md",
        shared: &[],
        interop: &[],
        programs: &[Program {
            package: "sockets",
            bin: "sockets",
            source: "crates/sockets/sockets/src/main.rs",
            c_twin: "crates/sockets/sockets/c/sockets.c",
            connects: None,
            cases: &[
                case("default", &[]),
                parity("extra", &["extra"]),
                parity("bad-option", &["--frob"]),
            ],
        }],
    },
    Section {
        name: "netdb",
        packages: &[
            "netdb",
            "services",
            "protocols",
            "networks",
            "hosts",
            "getaddrinfo",
            "getnameinfo",
        ],
        chapter: "netdb.md",
        shared: &[
            "crates/netdb/netdb/src/lib.rs",
            "crates/netdb/netdb/c/lookup.h",
        ],
        interop: &[],
        programs: &[
            Program {
                package: "services",
                bin: "services",
                source: "crates/netdb/services/src/main.rs",
                c_twin: "crates/netdb/services/c/services.c",
                connects: None,
                cases: &[
                    case("tcpmux", &["tcpmux"]),
                    case("port-80", &["--port", "80"]),
                    case("nfs-udp", &["2049", "--proto", "udp"]),
                    parity("all", &[]),
                    parity("udp", &["--proto", "udp"]),
                    parity("unknown", &["no-such-service"]),
                    parity("bad-port", &["--port", "x"]),
                    parity("port-equals", &["--port=80", "--proto=tcp"]),
                    parity("port-and-name", &["http", "--port", "80"]),
                ],
            },
            Program {
                package: "protocols",
                bin: "protocols",
                source: "crates/netdb/protocols/src/main.rs",
                c_twin: "crates/netdb/protocols/c/protocols.c",
                connects: None,
                cases: &[
                    case("tcp", &["tcp"]),
                    case("17", &["17"]),
                    parity("all", &[]),
                    parity("unknown", &["no-such-protocol"]),
                ],
            },
            Program {
                package: "networks",
                bin: "networks",
                source: "crates/netdb/networks/src/main.rs",
                c_twin: "crates/netdb/networks/c/networks.c",
                connects: None,
                cases: &[
                    case("all", &[]),
                    case("loopback", &["loopback"]),
                    case("link-local", &["169.254.0.0"]),
                    parity("unknown", &["10.0.0.0"]),
                ],
            },
            Program {
                package: "hosts",
                bin: "hosts",
                source: "crates/netdb/hosts/src/main.rs",
                c_twin: "crates/netdb/hosts/c/hosts.c",
                connects: None,
                cases: &[
                    case("localhost", &["localhost"]),
                    parity("all", &[]),
                    parity("two-names", &["a", "b"]),
                ],
            },
            Program {
                package: "getaddrinfo",
                bin: "getaddrinfo",
                source: "crates/netdb/getaddrinfo/src/main.rs",
                c_twin: "crates/netdb/getaddrinfo/c/getaddrinfo.c",
                connects: None,
                cases: &[
                    case("default", &[]),
                    case("http", &["localhost", "http", "--canonname"]),
                    case("passive", &["-", "http", "--passive"]),
                    case("unknown-service", &["localhost", "no-such-service"]),
                    case("numeric-host", &["localhost", "80", "--numeric-host"]),
                    parity(
                        "v4mapped",
                        &["localhost", "nfs", "--family", "inet6", "--v4mapped"],
                    ),
                    parity("dgram", &["127.0.0.1", "53", "--socktype", "dgram"]),
                    parity("bad-socktype", &["--socktype", "carrier-pigeon"]),
                    parity(
                        "socktype-equals",
                        &["localhost", "http", "--socktype=stream"],
                    ),
                    parity("both-null", &["-", "-"]),
                ],
            },
            Program {
                package: "getnameinfo",
                bin: "getnameinfo",
                source: "crates/netdb/getnameinfo/src/main.rs",
                c_twin: "crates/netdb/getnameinfo/c/getnameinfo.c",
                connects: None,
                cases: &[
                    case("default", &[]),
                    case(
                        "numeric",
                        &["127.0.0.1", "80", "--numeric-host", "--numeric-serv"],
                    ),
                    case("nfs-dgram", &["127.0.0.1", "2049", "--dgram"]),
                    parity("ipv6-numeric", &["::1", "22", "--numeric-host"]),
                    parity("bad-address", &["127.0.0.300", "80"]),
                    parity("bad-flag", &["--name-optional"]),
                ],
            },
        ],
    },
    Section {
        name: "connect",
        packages: &["initserver", "connect-retry"],
        chapter: "connect.md",
        shared: &[
            "crates/connect/initserver/src/lib.rs",
            "crates/connect/initserver/c/initserver.h",
            "crates/connect/connect-retry/src/lib.rs",
        ],
        programs: &[
            Program {
                package: "initserver",
                bin: "initserver",
                source: "crates/connect/initserver/src/main.rs",
                c_twin: "crates/connect/initserver/c/initserver.c",
                connects: None,
                cases: &[
                    case("default", &[]),
                    case("seqpacket", &["127.0.0.1", "0", "--type", "seqpacket"]),
                    parity("bad-type", &["--type", "carrier-pigeon"]),
                    parity("bad-type-equals", &["--type=carrier-pigeon"]),
                    parity("no-clients", &["--clients", "0"]),
                    parity("bad-port", &["127.0.0.1", "70000"]),
                ],
            },
            Program {
                package: "connect-retry",
                bin: "connect-retry",
                source: "crates/connect/connect-retry/src/main.rs",
                c_twin: "crates/connect/connect-retry/c/connect-retry.c",
                connects: Some(&["--initial", "0.01", "--max-attempts", "3", "--jitter", "5"]),
                cases: &[
                    case("default", &[]),
                    parity("port-zero", &["127.0.0.1", "0"]),
                    parity("bad-factor", &["--factor", "x"]),
                    parity("bad-factor-equals", &["--factor=x"]),
                    parity("bad-initial", &["--initial", "-1"]),
                ],
            },
        ],
        interop: &[Interop {
            name: "initserver and connect-retry",
            receiver: "initserver",
            receiver_args: &["--clients", "1"],
            sender: "connect-retry",
            sender_args: &[],
        }],
    },
    Section {
        name: "data-transfer",
        packages: &["flags", "datagrams", "partial-writes", "msg"],
        chapter: "data-transfer.md",
        shared: &[],
        interop: &[],
        programs: &[
            Program {
                package: "flags",
                bin: "flags",
                source: "crates/data-transfer/flags/src/main.rs",
                c_twin: "crates/data-transfer/flags/c/flags.c",
                connects: None,
                cases: &[case("default", &[]), parity("extra", &["extra"])],
            },
            Program {
                package: "datagrams",
                bin: "datagrams",
                source: "crates/data-transfer/datagrams/src/main.rs",
                c_twin: "crates/data-transfer/datagrams/c/datagrams.c",
                connects: None,
                cases: &[case("default", &[]), parity("extra", &["extra"])],
            },
            Program {
                package: "partial-writes",
                bin: "partial-writes",
                source: "crates/data-transfer/partial-writes/src/main.rs",
                c_twin: "crates/data-transfer/partial-writes/c/partial-writes.c",
                connects: None,
                cases: &[case("default", &[]), parity("extra", &["extra"])],
            },
            Program {
                package: "msg",
                bin: "msg",
                source: "crates/data-transfer/msg/src/main.rs",
                c_twin: "crates/data-transfer/msg/c/msg.c",
                connects: None,
                cases: &[case("default", &[]), parity("extra", &["extra"])],
            },
        ],
    },
    Section {
        name: "sockopt",
        packages: &["sockopt"],
        chapter: "sockopt.md",
        shared: &[],
        interop: &[],
        programs: &[Program {
            package: "sockopt",
            bin: "sockopt",
            source: "crates/sockopt/sockopt/src/main.rs",
            c_twin: "crates/sockopt/sockopt/c/sockopt.c",
            connects: None,
            cases: &[case("default", &[]), parity("extra", &["extra"])],
        }],
    },
    Section {
        name: "oob",
        packages: &["oob", "oob-send", "oob-recv"],
        chapter: "oob.md",
        shared: &[
            "crates/oob/oob/src/urgent.rs",
            "crates/oob/oob/src/sender.rs",
            "crates/oob/oob/src/receiver.rs",
            "crates/oob/oob/src/sigurg.rs",
            "crates/oob/oob/src/pace.rs",
            "crates/oob/oob/c/oob.h",
        ],
        programs: &[
            Program {
                package: "oob-send",
                bin: "oob-send",
                source: "crates/oob/oob-send/src/main.rs",
                c_twin: "crates/oob/oob-send/c/oob-send.c",
                connects: Some(&[]),
                cases: &[
                    case("default", &[]),
                    case("paced", &["--scenario", "paced"]),
                    case("mark", &["--scenario", "mark"]),
                    case("two-urgent", &["--scenario", "two-urgent"]),
                    case("flow-control", &["--scenario", "flow-control"]),
                    case("ipv6", &["--family", "ipv6"]),
                    case("unix", &["--family", "unix"]),
                    parity("unix-paced", &["--family", "unix", "--scenario", "paced"]),
                    parity(
                        "two-urgent-atmark",
                        &["--scenario", "two-urgent", "--strategy", "atmark"],
                    ),
                    parity("bad-scenario", &["--scenario", "loud"]),
                    parity("bad-option", &["--frob"]),
                    parity("bad-address", &["127.0.0.300", "80"]),
                    parity("port-zero", &["127.0.0.1", "0"]),
                    parity("paced-demo", &["--paced"]),
                    parity("missing-value", &["--scenario"]),
                ],
            },
            Program {
                package: "oob-recv",
                bin: "oob-recv",
                source: "crates/oob/oob-recv/src/main.rs",
                c_twin: "crates/oob/oob-recv/c/oob-recv.c",
                connects: None,
                cases: &[
                    case("default", &[]),
                    case("sigurg", &["--strategy", "sigurg"]),
                    case("select-broken", &["--strategy", "select-broken"]),
                    case("select-fixed", &["--strategy", "select-fixed"]),
                    case("atmark", &["--strategy", "atmark"]),
                    case("flow-control", &["--strategy", "flow-control"]),
                    case(
                        "sigurg-two-urgent",
                        &["--strategy", "sigurg", "--scenario", "two-urgent"],
                    ),
                    case(
                        "sigurg-two-urgent-unix",
                        &[
                            "--strategy",
                            "sigurg",
                            "--scenario",
                            "two-urgent",
                            "--family",
                            "unix",
                        ],
                    ),
                    case(
                        "flow-control-unix",
                        &["--strategy", "flow-control", "--family", "unix"],
                    ),
                    parity(
                        "select-broken-two-urgent",
                        &["--strategy", "select-broken", "--scenario", "two-urgent"],
                    ),
                    parity("bad-strategy", &["--strategy", "psychic"]),
                    parity("bad-family", &["--family", "ipx"]),
                    parity("bad-port", &["127.0.0.1", "65536"]),
                    parity("bad-timeout", &["--timeout", "-1"]),
                ],
            },
        ],
        interop: &[
            Interop {
                name: "plain classic",
                receiver: "oob-recv",
                receiver_args: &["--wait-eof", "--timeout", "10", "--strategy", "plain"],
                sender: "oob-send",
                sender_args: &["--scenario", "classic"],
            },
            Interop {
                name: "plain two-urgent",
                receiver: "oob-recv",
                receiver_args: &["--wait-eof", "--timeout", "10", "--strategy", "plain"],
                sender: "oob-send",
                sender_args: &["--scenario", "two-urgent"],
            },
            Interop {
                name: "atmark mark",
                receiver: "oob-recv",
                receiver_args: &["--wait-eof", "--timeout", "10", "--strategy", "atmark"],
                sender: "oob-send",
                sender_args: &["--scenario", "mark"],
            },
            Interop {
                name: "select-broken paced",
                receiver: "oob-recv",
                receiver_args: &[
                    "--wait-eof",
                    "--timeout",
                    "10",
                    "--strategy",
                    "select-broken",
                ],
                sender: "oob-send",
                sender_args: &["--scenario", "paced"],
            },
            Interop {
                name: "select-fixed paced",
                receiver: "oob-recv",
                receiver_args: &[
                    "--wait-eof",
                    "--timeout",
                    "10",
                    "--strategy",
                    "select-fixed",
                ],
                sender: "oob-send",
                sender_args: &["--scenario", "paced"],
            },
        ],
    },
    Section {
        name: "heartbeat",
        packages: &["heartbeat", "hb-client", "hb-server"],
        chapter: "heartbeat.md",
        shared: &[
            "crates/heartbeat/heartbeat/src/lib.rs",
            "crates/heartbeat/heartbeat/src/demo.rs",
            "crates/heartbeat/heartbeat/c/heartbeat.h",
        ],
        programs: &[
            Program {
                package: "hb-client",
                bin: "hb-client",
                source: "crates/heartbeat/hb-client/src/main.rs",
                c_twin: "crates/heartbeat/hb-client/c/hb-client.c",
                connects: Some(&["--nsec", "0.05", "--nprobes", "2"]),
                cases: &[
                    case("default", &[]),
                    parity("bad-nsec", &["--nsec", "x"]),
                    parity("bad-nprobes", &["--nprobes", "0"]),
                    parity("count-in-demo", &["--count", "3"]),
                    parity("one-probe-demo", &["--nprobes", "1"]),
                    parity("bad-option", &["--frob"]),
                    parity("bad-address", &["127.0.0.300", "80"]),
                ],
            },
            Program {
                package: "hb-server",
                bin: "hb-server",
                source: "crates/heartbeat/hb-server/src/main.rs",
                c_twin: "crates/heartbeat/hb-server/c/hb-server.c",
                connects: None,
                cases: &[
                    case("default", &[]),
                    parity("bad-nsec", &["--nsec", "0"]),
                    parity("count-is-client-only", &["--count", "3"]),
                    parity("three-arguments", &["a", "b", "c"]),
                ],
            },
        ],
        interop: &[Interop {
            name: "five probes",
            receiver: "hb-server",
            receiver_args: &["--nsec", "0.1", "--nprobes", "3"],
            sender: "hb-client",
            sender_args: &["--count", "5", "--nsec", "0.1", "--nprobes", "3"],
        }],
    },
];

/// The section named `name`, for `--section`.
pub fn find(name: &str) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.name == name)
}
