//! The rb42 language: source text → syntax tree → checked runbook.

pub mod ast;
pub mod check;
pub mod duration;
pub mod fan_out_wording;
pub mod function_names;
pub mod message_text;
pub mod needs;
pub mod output_limit;
pub mod parser;
pub mod reserved_words;
pub mod script_scan;
pub mod secret_flow;
