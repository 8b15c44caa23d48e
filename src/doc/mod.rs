//! `runbook doc`: runbooks rendered as Markdown pages an operator reads in place of the prose
//! they came from. A dry-run trace gives each step's concrete commands, a page model gathers
//! what the runbook declares, and minijinja templates (embedded, and overridable block by
//! block) draw it. Same runbook, same bytes: pages live in git.

pub mod page;
pub mod templates;
