//! What may differ between two correct runs of a program, and is masked
//! before runs are compared: ephemeral ports, process ids, timings.
//! Recorded outputs keep the real values; only comparisons mask them.

use std::sync::LazyLock;

use regex::Regex;

static RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // 127.0.0.1:41523, [::1]:41523, or any numeric address with a port.
        (r"(\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:.%]+\]):\d+", "$1:PORT"),
        (r"\bport \d+", "port PORT"),
        (r"\bpid \d+", "pid PID"),
        (r"\b\d+(\.\d+)? ?(ns|µs|us|ms|s)\b", "TIME"),
    ]
    .into_iter()
    .map(|(pattern, with)| (Regex::new(pattern).expect("valid pattern"), with))
    .collect()
});

/// `text` with the run-dependent parts masked.
pub fn normalize(text: &str) -> String {
    RULES.iter().fold(text.to_string(), |acc, (re, with)| {
        re.replace_all(&acc, *with).into_owned()
    })
}

/// Lines that name a Rust std API exist only in the Rust program's output:
/// C has no std::net. Everything else must match the C twin.
pub fn without_rust_only_lines(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("std::"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_pids_and_times_are_masked() {
        assert_eq!(
            normalize("listening on 127.0.0.1:41523 and [::1]:80, pid 4242, took 1.5 ms"),
            "listening on 127.0.0.1:PORT and [::1]:PORT, pid PID, took TIME"
        );
    }

    #[test]
    fn addresses_without_ports_stay() {
        assert_eq!(normalize("addr = 192.168.8.128"), "addr = 192.168.8.128");
        assert_eq!(normalize("u32 0x12345678"), "u32 0x12345678");
    }

    #[test]
    fn std_lines_are_rust_only() {
        assert_eq!(without_rust_only_lines("a\n  std::net x\nb"), "a\nb\n");
    }
}
