//! Live consumers of a run's events: the terminal view, JSON lines, the terminal prompter, and
//! the colours they share (`style`). Static renderings (plans, diffs, pages, listings) are in
//! `render/`. It may import `context` (the events) and `language`; never `engine` or above.

pub mod json_lines;
pub mod style;
pub mod terminal;
pub mod terminal_prompter;
