//! Live consumers of a run's events: the terminal view, JSON lines, the terminal prompter, the
//! colours they share (`style`), an action in words as plans show it too (`action_line`), and standard output and error written without panicking on a
//! closed pipe (`console`), output a journal left out in words (`left_out`), the hosts' summary
//! (`host_table`), a fan-out's live count (`fleet_progress`) and its hosts' lines held together
//! (`host_blocks`), a command's output lines as rows (`output_rows`), counts of hosts in words
//! (`host_count`), a rollback over hosts told in a few lines (`rollback_phase`), and a name with
//! its title said once (`titled`). Static renderings (plans, diffs, pages, listings) are in
//! `render/`. It may import `context` (the events) and `language`; never `engine` or above.

pub mod action_line;
pub mod console;
mod fleet_progress;
mod host_blocks;
mod host_count;
mod host_table;
pub mod json_lines;
pub mod left_out;
mod output_rows;
mod rollback_phase;
pub mod style;
pub mod terminal;
pub mod terminal_prompter;
pub mod titled;
