//! What makes a trace the same on every machine and at every moment: in a doc trace the clock,
//! the environment and the local file checks, which a dry-run otherwise reads for real, answer
//! with stand-ins.
//! Later registrations replace earlier ones of the same signature, so these override the
//! primitives the run's engine already has.

use crate::context::run_context::RunContext;
use rhai::Engine;
use std::sync::Arc;

/// Replaces the clock, environment and local file reads of `engine` with fixed answers.
pub fn freeze(engine: &mut Engine, ctx: &Arc<RunContext>) {
    // The time of a run is a value only the run knows, like a command's output.
    let c = Arc::clone(ctx);
    engine.register_fn("now", move || c.unknown_value("now"));
    let c = Arc::clone(ctx);
    engine.register_fn("now", move |format: &str| {
        c.unknown_value(&format!("now {format}"))
    });
    // The environment of the machine a page is made on is not the one a run sees.
    let c = Arc::clone(ctx);
    engine.register_fn("env", move |name: &str| {
        c.unknown_value(&format!("${name}"))
    });
    let c = Arc::clone(ctx);
    engine.register_fn("env", move |name: &str, _default: rhai::Dynamic| {
        c.unknown_value(&format!("${name}"))
    });
    // A number is needed for arithmetic on it (deadlines): the clock stands at 0.
    engine.register_fn("timestamp", || 0_i64);
    // Pages describe a run on a machine where what the runbook looks for is not there yet, so
    // the branches that create it are documented.
    engine.register_fn("exists", |_: &str| false);
    let c = Arc::clone(ctx);
    engine.register_fn("read_file", move |path: &str| {
        c.unknown_value(&format!("content of {path}"))
    });
}
