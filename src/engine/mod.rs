//! The engine: runs checked runbooks as a stream of events, in real or dry-run mode.
//!
//! It imports the primitives (the script engine registers them), the run context they act
//! through (`context`), and what lies below; never `session`, `render` or `output`.

pub mod evaluator;
pub mod fan_out;
mod frozen_world;
pub mod let_values;
pub mod message_filling;
pub mod plan;
pub mod plan_collector;
pub mod rhai_error;
pub mod rollback_stack;
pub mod run_values;
pub mod runner;
pub mod script_engine;
pub mod stdlib_imports;
mod switch_guard;
pub mod trace;
