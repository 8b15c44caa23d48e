//! The engine: runs checked runbooks as a stream of events, in real or dry-run mode.

pub mod acting_host;
pub mod confirmation_gate;
pub mod event;
pub mod fan_out;
pub mod parameters;
pub mod published;
pub mod rollback_stack;
pub mod run_context;
pub mod runner;
pub mod script_engine;
pub mod secret_mask;
pub mod secrets;
pub mod stop_signal;
