//! `runbook show RUN` as text: a heading naming the run, then (replayed by the terminal view)
//! its events, then a closing with the values it published and the rollbacks it still owes.

use crate::journal::record::RunRecord;

/// The line above the events: which run, of what, started when and by whom, and its state.
pub fn heading(record: &RunRecord) -> String {
    let h = &record.header;
    format!(
        "run {} — {} › {} — started {} by {} (pid {}) — {}\n",
        h.run,
        h.file.display(),
        h.procedure,
        h.started,
        h.who,
        h.pid,
        record.state().name()
    )
}

/// The lines below the events: the values published, and the rollbacks owed, newest last.
pub fn closing(record: &RunRecord) -> String {
    let mut text = String::new();
    let published = record.published();
    if !published.is_empty() {
        text.push_str("published:\n");
        for v in published {
            let on = v.host.map(|h| format!(" on {h}")).unwrap_or_default();
            text.push_str(&format!("  {}{on} = {}\n", v.name, v.json));
        }
    }
    let owed = record.owed();
    if owed.is_empty() {
        text.push_str("no rollback owed\n");
    } else {
        text.push_str("rollbacks owed (newest last):\n");
        for o in owed {
            let on = if o.hosts.is_empty() {
                String::new()
            } else {
                format!(" on {}", o.hosts.join(", "))
            };
            text.push_str(&format!("  {}{on}\n", o.step));
        }
    }
    text
}
