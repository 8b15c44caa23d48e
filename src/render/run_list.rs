//! `runbook runs`: the journaled runs as a table, one line each.

use crate::journal::record::RunRecord;

/// The table of `records`: id, runbook, procedure, started, status, who.
pub fn render_text(records: &[RunRecord]) -> String {
    if records.is_empty() {
        return "no journaled run\n".to_string();
    }
    let mut text = format!(
        "{:<20}  {:<24}  {:<16}  {:<25}  {:<15}  who\n",
        "run", "runbook", "procedure", "started", "status"
    );
    for r in records {
        let name = r
            .header
            .file
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        text.push_str(&format!(
            "{:<20}  {:<24}  {:<16}  {:<25}  {:<15}  {}\n",
            r.header.run,
            name,
            r.header.procedure,
            r.header.started,
            r.state().name(),
            r.header.who
        ));
    }
    text
}
