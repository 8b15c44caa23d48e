//! `to_json(value)`: a map or an array as JSON text, query rows with their columns in the
//! query's order. It replaces rhai's own `to_json`, which takes maps only and sorts their keys.

use super::Outcome;
use crate::context::ordered_json;
use crate::context::run_context::RunContext;
use crate::context::unknown_value;
use rhai::{Array, Dynamic, Engine, Map};
use std::sync::Arc;

pub fn register(engine: &mut Engine, ctx: &Arc<RunContext>) {
    let c = Arc::clone(ctx);
    engine.register_fn("to_json", move |map: Map| text(&c, &Dynamic::from_map(map)));
    let c = Arc::clone(ctx);
    engine.register_fn("to_json", move |array: Array| {
        text(&c, &Dynamic::from_array(array))
    });
}

/// An unknown value inside is written as its origin, as in a request's JSON body.
fn text(ctx: &RunContext, value: &Dynamic) -> Outcome<String> {
    let json = ordered_json::json(&unknown_value::written(value), &ctx.column_orders)?;
    Ok(serde_json::to_string(&json).unwrap_or_default())
}
