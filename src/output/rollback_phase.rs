//! The rollbacks of a run as the terminal tells them: where each step's rollback is owed (the
//! hosts it completed on, or was owed on before it ran), to count the hosts a rollback runs
//! on; and the outcomes of the step being rolled back over hosts, told when it is over in a
//! few lines, as a step's are: the hosts rolled back on one line, the failures one line per
//! distinct error.

use super::host_count::hosts;
use super::style::Style;
use crate::context::error_groups::ErrorGroups;
use crate::context::host_list::host_list;
use std::collections::{BTreeSet, HashMap};

#[derive(Default)]
pub struct RollbackPhase {
    owed: HashMap<String, BTreeSet<String>>,
    open: Option<Outcomes>,
}

/// How the rollback of one step went on its hosts so far.
struct Outcomes {
    step: String,
    done: Vec<String>,
    failures: ErrorGroups,
}

impl RollbackPhase {
    /// A new run: nothing is owed yet.
    pub fn forget(&mut self) {
        *self = Self::default();
    }

    /// The rollback of `step` is owed on `host`.
    pub fn owe(&mut self, step: &str, host: &str) {
        self.owed
            .entry(step.to_string())
            .or_default()
            .insert(host.to_string());
    }

    /// On how many hosts the rollback of `step` is owed, as far as this run told: none when it
    /// was owed by an earlier run.
    pub fn owed_on(&self, step: &str) -> usize {
        self.owed.get(step).map_or(0, BTreeSet::len)
    }

    /// Whether the rollback of `step` over hosts is the one being told.
    pub fn is_open(&self, step: &str) -> bool {
        self.open.as_ref().is_some_and(|o| o.step == step)
    }

    pub fn is_any_open(&self) -> bool {
        self.open.is_some()
    }

    /// Starts telling the rollback of `step` over hosts.
    pub fn open(&mut self, step: &str) {
        self.open = Some(Outcomes {
            step: step.to_string(),
            done: Vec::new(),
            failures: ErrorGroups::default(),
        });
    }

    /// The open rollback is over on `host`: done, or failed with `error`.
    pub fn finished(&mut self, host: &str, error: Option<&str>) {
        if let Some(open) = self.open.as_mut() {
            match error {
                None => open.done.push(host.to_string()),
                Some(error) => open.failures.add(host, error),
            }
        }
    }

    /// The open rollback is over: its lines, each ended by `\n`.
    pub fn close(&mut self, s: Style) -> String {
        let Some(Outcomes {
            step,
            done,
            failures,
        }) = self.open.take()
        else {
            return String::new();
        };
        let mut block = String::new();
        if !done.is_empty() {
            let count = if done.len() > 1 {
                format!(" ({})", hosts(done.len()))
            } else {
                String::new()
            };
            block.push_str(&format!(
                "  {} rolled back {step} on {}{count}\n",
                s.green("✓"),
                host_list(&done)
            ));
        }
        match failures.each().collect::<Vec<_>>().as_slice() {
            [] => {}
            [([host], error)] => block.push_str(&format!(
                "  {} ROLLBACK OF {step} on {host} FAILED: {error}\n",
                s.red("✗")
            )),
            _ => {
                block.push_str(&format!(
                    "  {} ROLLBACK OF {step} FAILED on {}:\n",
                    s.red("✗"),
                    hosts(failures.hosts())
                ));
                block.push_str(&failures.indented());
            }
        }
        block
    }
}

#[cfg(test)]
mod tests {
    use super::RollbackPhase;
    use crate::output::style::Style;

    #[test]
    fn a_fleets_rollback_is_a_line_for_its_hosts_and_one_per_distinct_error() {
        let mut phase = RollbackPhase::default();
        phase.open("prepare");
        for n in (1..=30).chain(51..=149) {
            phase.finished(&format!("h{n:03}"), None);
        }
        for n in [31, 40] {
            let host = format!("h{n:03}");
            phase.finished(&host, Some(&format!("cannot restore {host}")));
        }
        assert_eq!(
            phase.close(Style { colour: false }),
            "  ✓ rolled back prepare on h001–h030, h051–h149 (129 hosts)\n  \
             ✗ ROLLBACK OF prepare FAILED on 2 hosts:\n    h031, h040: cannot restore ⟨host⟩\n"
        );
        assert_eq!(phase.close(Style { colour: false }), "", "told once");
    }

    #[test]
    fn one_hosts_rollback_reads_as_it_always_did() {
        let mut phase = RollbackPhase::default();
        phase.open("a");
        phase.finished("vm", Some("cannot reach vm"));
        assert_eq!(
            phase.close(Style { colour: false }),
            "  ✗ ROLLBACK OF a on vm FAILED: cannot reach vm\n"
        );
    }
}
