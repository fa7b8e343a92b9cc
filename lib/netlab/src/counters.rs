//! The kernel's TCP counters (`nstat`'s TcpExt), read from
//! `/proc/thread-self/net/netstat`: the namespace of the calling thread.

use std::collections::BTreeMap;

/// The counters a receive-side stall shows in: a queue collapsed or pruned
/// to fit its buffer, segments dropped for want of room, the window shut
/// and reopened, segments parked in the out-of-order or backlog queues,
/// memory pressure, and the acknowledgements and probes around them.
pub const WATCHED: &[&str] = &[
    "TCPRcvCollapsed",
    "PruneCalled",
    "RcvPruned",
    "OfoPruned",
    "TCPOFOQueue",
    "TCPRcvQDrop",
    "TCPZeroWindowDrop",
    "TCPToZeroWindowAdv",
    "TCPFromZeroWindowAdv",
    "TCPWantZeroWindowAdv",
    "TCPWinProbe",
    "TCPBacklogDrop",
    "TCPBacklogCoalesce",
    "TCPRcvCoalesce",
    "TCPMemoryPressures",
    "DelayedACKs",
    "TCPLossProbes",
];

/// TcpExt name to value, as the kernel counts them now.
pub fn tcp_ext() -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string("/proc/thread-self/net/netstat").unwrap_or_default();
    let mut lines = text.lines();
    let mut out = BTreeMap::new();
    while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
        let (Some(n), Some(v)) = (
            names.strip_prefix("TcpExt:"),
            values.strip_prefix("TcpExt:"),
        ) else {
            continue;
        };
        for (name, value) in n.split_whitespace().zip(v.split_whitespace()) {
            if let Ok(value) = value.parse() {
                out.insert(name.to_string(), value);
            }
        }
    }
    out
}

/// The watched counters that changed between two readings, with the change.
pub fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    WATCHED
        .iter()
        .filter_map(|name| {
            let d = after
                .get(*name)?
                .saturating_sub(*before.get(*name).unwrap_or(&0));
            (d > 0).then(|| (name.to_string(), d))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_kernel_counts_tcp_ext() {
        let now = super::tcp_ext();
        assert!(now.contains_key("TCPRcvCollapsed"), "{now:?}");
        assert!(now.contains_key("PruneCalled"));
    }
}
