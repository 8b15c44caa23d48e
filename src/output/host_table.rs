//! What happened on each host, for the summary at the end of a run. A few hosts show one row
//! each; a fleet shows the hosts that failed or were rolled back with their error, one row for
//! the hosts with the same counts and error (`h001–h020 (20 hosts)`, their own names left out of
//! the comparison), and counts the rest, hosts with the same outcome on one line.

use super::style::Style;
use crate::context::error_groups::ErrorGroups;
use crate::context::event::Phase;
use crate::context::host_list::host_list;
use std::collections::BTreeMap;

/// Up to this many hosts, every host has its row.
const EVERY_HOST_UP_TO: usize = 12;

#[derive(Default)]
pub struct HostTable {
    rows: BTreeMap<String, HostRow>,
}

#[derive(Default)]
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
        // (what the first column says, the counts, the error when a fleet says it)
        let mut shown: Vec<(String, &HostRow, Option<&str>)> = Vec::new();
        if fleet {
            // The hosts in trouble, one row for the hosts with the same counts and error.
            let mut troubled: BTreeMap<Counts, (&HostRow, ErrorGroups)> = BTreeMap::new();
            for (host, row) in self.rows.iter().filter(|(_, row)| row.troubled()) {
                let error = row.error.as_deref().unwrap_or_default();
                let (_, groups) = troubled
                    .entry(row.counts())
                    .or_insert_with(|| (row, ErrorGroups::default()));
                groups.add(host, error);
            }
            for (row, groups) in troubled.values() {
                for (hosts, error) in groups.each() {
                    let mut names = host_list(hosts);
                    if hosts.len() > 1 {
                        names.push_str(&format!(" ({} hosts)", hosts.len()));
                    }
                    shown.push((names, *row, Some(error).filter(|e| !e.is_empty())));
                }
            }
            // The rest, by outcome: `188 other hosts` and their counts.
            let mut rest: BTreeMap<Counts, (usize, &HostRow)> = BTreeMap::new();
            for row in self.rows.values().filter(|row| !row.troubled()) {
                rest.entry(row.counts()).or_insert((0, row)).0 += 1;
            }
            for (n, row) in rest.into_values() {
                let others = format!("{n} other host{}", if n == 1 { "" } else { "s" });
                shown.push((others, row, None));
            }
            return table(s, &shown);
        }
        shown.extend(
            self.rows
                .iter()
                .map(|(host, row)| (host.clone(), row, None)),
        );
        table(s, &shown)
    }
}

/// The counts of a row: ok, failed, rolled back, rollback failed.
type Counts = (usize, usize, usize, usize);

impl HostRow {
    fn counts(&self) -> Counts {
        (self.ok, self.failed, self.rolled_back, self.rollback_failed)
    }
}

/// The heading and a line per row, the first column as wide as its widest.
fn table(s: Style, rows: &[(String, &HostRow, Option<&str>)]) -> Vec<String> {
    let width = rows
        .iter()
        .map(|(first, ..)| first.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut lines = vec![s.dim(&format!(
        "  {:width$}  {:>4}  {:>6}  {:>11}  {:>15}",
        "host", "ok", "failed", "rolled back", "rollback failed"
    ))];
    for (first, row, error) in rows {
        let mut line = format!(
            "  {first:width$}  {:>4}  {:>6}  {:>11}  {:>15}",
            row.ok, row.failed, row.rolled_back, row.rollback_failed
        );
        if let Some(error) = error {
            line.push_str(&format!("  {error}"));
        }
        lines.push(if row.failed + row.rollback_failed > 0 {
            s.red(&line)
        } else {
            line
        });
    }
    lines
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
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(
            lines[1].starts_with("  h007, h150 (2 hosts)     1       1            1")
                && lines[1].ends_with("  exit 3: boom"),
            "{lines:#?}"
        );
        assert!(
            lines[2].starts_with("  198 other hosts          2       0"),
            "{lines:#?}"
        );
    }

    /// Twenty hosts refusing the same key, each named in its own error, and two others: three
    /// rows, not twenty-two.
    #[test]
    fn hosts_with_the_same_error_share_one_row() {
        let mut table = HostTable::default();
        for n in 1..=200 {
            let host = format!("h{n:03}");
            let error = match n {
                1..=20 => Some(format!("{host} (u@10.0.0.{n}:22) refused authentication")),
                150 => Some("disk full".to_string()),
                151 => Some("exit 3".to_string()),
                _ => None,
            };
            table.finished(&host, Phase::Body, error.is_none(), error.as_deref());
        }
        let lines = table.render(Style { colour: false });
        assert_eq!(lines.len(), 5, "{lines:#?}");
        assert!(
            lines[1].starts_with("  h001–h020 (20 hosts)")
                && lines[1].ends_with("  ⟨host⟩ refused authentication"),
            "{lines:#?}"
        );
        assert!(lines[2].contains("h150") && lines[2].ends_with("disk full"));
        assert!(lines[3].contains("h151") && lines[3].ends_with("exit 3"));
        assert!(lines[4].starts_with("  178 other hosts"), "{lines:#?}");
    }
}
