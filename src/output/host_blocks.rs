//! The lines of each host of a step fanned out over many, held until the host finishes and
//! then shown together, so that two hundred hosts' lines do not interleave. A host that holds
//! more than a bound shows what it holds at once and goes on holding the rest.

use std::collections::BTreeMap;

/// Held text per host beyond which it is shown without waiting for the host's end.
const HELD_UP_TO: usize = 64 * 1024;

#[derive(Default)]
pub struct HostBlocks {
    /// Whether a step is fanned out now: only then are lines held.
    holding: bool,
    held: BTreeMap<String, String>,
}

impl HostBlocks {
    /// Starts holding the hosts' lines (a fan-out starts).
    pub fn hold_from_now(&mut self) {
        self.holding = true;
    }

    /// Stops holding; what is still held, host by host, to show now.
    pub fn release_all(&mut self) -> String {
        self.holding = false;
        std::mem::take(&mut self.held).into_values().collect()
    }

    /// Holds `rows` (lines with their `\n`) of `host` while a fan-out runs; gives them back
    /// (with what the host held) when there is none, or when the host holds too much.
    pub fn hold(&mut self, host: Option<&str>, rows: String) -> Option<String> {
        let Some(host) = host.filter(|_| self.holding) else {
            return Some(rows);
        };
        let held = self.held.entry(host.to_string()).or_default();
        held.push_str(&rows);
        if held.len() > HELD_UP_TO {
            return self.held.remove(host);
        }
        None
    }

    /// The lines `host` held, then `last` (its verdict), to show now.
    pub fn finish(&mut self, host: &str, last: &str) -> String {
        let mut block = self.held.remove(host).unwrap_or_default();
        block.push_str(last);
        block
    }
}

#[cfg(test)]
mod tests {
    use super::HostBlocks;

    #[test]
    fn a_hosts_lines_are_shown_together_when_it_finishes() {
        let mut blocks = HostBlocks::default();
        assert_eq!(blocks.hold(Some("a"), "a1\n".into()), Some("a1\n".into()));
        blocks.hold_from_now();
        for (host, row) in [("a", "a2\n"), ("b", "b1\n"), ("a", "a3\n"), ("b", "b2\n")] {
            assert_eq!(blocks.hold(Some(host), row.into()), None);
        }
        assert_eq!(blocks.hold(None, "here\n".into()), Some("here\n".into()));
        assert_eq!(blocks.finish("b", "✓ b\n"), "b1\nb2\n✓ b\n");
        assert_eq!(blocks.release_all(), "a2\na3\n");
        assert_eq!(blocks.hold(Some("a"), "a4\n".into()), Some("a4\n".into()));
    }

    #[test]
    fn a_host_holding_too_much_shows_it_at_once() {
        let mut blocks = HostBlocks::default();
        blocks.hold_from_now();
        let line = format!("{}\n", "x".repeat(1023));
        let shown: usize = (0..100)
            .filter_map(|_| blocks.hold(Some("a"), line.clone()))
            .map(|text| text.len())
            .sum();
        assert_eq!(shown, 65 * 1024, "the first 65 lines, once past 64 KiB");
        assert_eq!(blocks.finish("a", "").len(), 35 * 1024);
    }
}
