//! What happened on each host, for the summary at the end of a run. A few hosts show one row
//! each; a fleet shows a row for each host that failed or was rolled back, with its error, and
//! counts the rest, hosts with the same outcome on one line.

use super::style::Style;
use crate::context::event::Phase;
use std::collections::BTreeMap;

/// Up to this many hosts, every host has its row.
const EVERY_HOST_UP_TO: usize = 12;

#[derive(Default)]
pub struct HostTable {
    rows: BTreeMap<String, HostRow>,
}

#[derive(Default, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct HostRow {
    ok: usize,
    failed: usize,
    rolled_back: usize,
    rollback_failed: usize,
    /// The last failure on the host, on one line.
    error: Option<String>,
}

impl HostRow {
    fn troubled(&self) -> bool {
        self.failed + self.rollback_failed + self.rolled_back > 0
    }
}

impl HostTable {
    pub fn finished(&mut self, host: &str, phase: Phase, ok: bool, error: Option<&str>) {
        if phase != Phase::Body {
            return;
        }
        let row = self.rows.entry(host.to_string()).or_default();
        if ok {
            row.ok += 1;
        } else {
            row.failed += 1;
            row.error = error.map(|e| e.replace('\n', " "));
        }
    }

    pub fn rolled_back(&mut self, host: &str, ok: bool) {
        let row = self.rows.entry(host.to_string()).or_default();
        if ok {
            row.rolled_back += 1;
        } else {
            row.rollback_failed += 1;
        }
    }

    pub fn render(&self, s: Style) -> Vec<String> {
        if self.rows.is_empty() {
            return Vec::new();
        }
        let fleet = self.rows.len() > EVERY_HOST_UP_TO;
        let shown: Vec<(&String, &HostRow)> = self
            .rows
            .iter()
            .filter(|(_, row)| !fleet || row.troubled())
            .collect();
        // The rest, grouped by outcome: `188 other hosts` and their counts.
        let mut rest: BTreeMap<&HostRow, usize> = BTreeMap::new();
        if fleet {
            for row in self.rows.values().filter(|row| !row.troubled()) {
                *rest.entry(row).or_default() += 1;
            }
        }
        let others = |n: usize| format!("{n} other host{}", if n == 1 { "" } else { "s" });
        let width = shown
            .iter()
            .map(|(h, _)| h.chars().count())
            .chain(rest.values().map(|n| others(*n).chars().count()))
            .max()
            .unwrap_or(4)
            .max(4);
        let mut lines = vec![s.dim(&format!(
            "  {:width$}  {:>4}  {:>6}  {:>11}  {:>15}",
            "host", "ok", "failed", "rolled back", "rollback failed"
        ))];
        for (host, row) in shown {
            let mut line = format!(
                "  {host:width$}  {:>4}  {:>6}  {:>11}  {:>15}",
                row.ok, row.failed, row.rolled_back, row.rollback_failed
            );
            if let Some(error) = row.error.as_ref().filter(|_| fleet) {
                line.push_str(&format!("  {error}"));
            }
            lines.push(if row.failed + row.rollback_failed > 0 {
                s.red(&line)
            } else {
                line
            });
        }
        for (row, n) in rest {
            lines.push(format!(
                "  {:width$}  {:>4}  {:>6}  {:>11}  {:>15}",
                others(n),
                row.ok,
                row.failed,
                row.rolled_back,
                row.rollback_failed
            ));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::HostTable;
    use crate::context::event::Phase;
    use crate::output::style::Style;

    #[test]
    fn a_few_hosts_have_a_row_each() {
        let mut table = HostTable::default();
        table.finished("web1", Phase::Body, true, None);
        table.finished("web2", Phase::Body, false, Some("disk full"));
        let lines = table.render(Style { colour: false });
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(lines[2].starts_with("  web2     0       1"), "{lines:#?}");
    }

    #[test]
    fn a_fleet_shows_its_failed_hosts_with_their_errors_and_counts_the_rest() {
        let mut table = HostTable::default();
        for n in 1..=200 {
            let host = format!("h{n:03}");
            table.finished(&host, Phase::Body, true, None);
            if n == 7 || n == 150 {
                table.finished(&host, Phase::Body, false, Some("exit 3: boom"));
                table.rolled_back(&host, true);
            } else {
                table.finished(&host, Phase::Body, true, None);
            }
        }
        let lines = table.render(Style { colour: false });
        assert_eq!(lines.len(), 4, "{lines:#?}");
        assert!(lines[1].contains("h007") && lines[1].ends_with("exit 3: boom"));
        assert!(lines[2].contains("h150"));
        assert!(
            lines[3].starts_with("  198 other hosts     2       0"),
            "{lines:#?}"
        );
    }
}
