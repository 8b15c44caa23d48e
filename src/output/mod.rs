//! Consumers of the event stream, and the renderings of plans and listings.

pub mod json_lines;
pub mod listing;
pub mod plan;
pub mod plan_diff;
pub mod style;
pub mod terminal;
pub mod terminal_prompter;
