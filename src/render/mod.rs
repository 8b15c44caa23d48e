//! Static renderings: what a runbook or a dry-run looks like on paper. Plans (text, Markdown,
//! JSON), plan diffs (`plan --base`), doc pages and their index with their templates (`*.j2` in
//! `templates/`), listings (`runbook list`, the REPL's `:list`), the flow diagram of a procedure
//! (Mermaid), the timeline of a run (HTML and JSON, from its journal), and the journaled runs in
//! words (`runbook runs`, `runbook show`).
//!
//! Everything here is a pure function of its input: no run, no prompt. It may import `output`
//! (for `style`), `journal` (the runs read back), `engine` (the plan model and the trace),
//! `context`, `language` and `diagnostic`; never `session` or a front end.

pub mod event_row;
pub mod flow_diagram;
pub mod listing;
pub mod page;
pub mod plan;
pub mod plan_diff;
pub mod reformat_hint;
pub mod run_list;
pub mod run_report;
pub mod run_timeline;
pub mod templates;
pub mod timeline_page;
