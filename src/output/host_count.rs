//! Counts of hosts in words, for the lines that count them instead of naming them.

/// `1 host`, `22 hosts`.
pub fn hosts(n: usize) -> String {
    format!("{n} host{}", if n == 1 { "" } else { "s" })
}

/// `, 150 not started` when a fan-out stopped before every host started.
pub fn not_started_on(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(", {n} not started")
    }
}
