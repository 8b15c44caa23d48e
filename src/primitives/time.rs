//! Clock functions: `now()`, `now(format)` (strftime) and `timestamp()` (Unix seconds).

use super::{Outcome, error};
use crate::diagnostic::error_kind::ErrorKind;
use chrono::format::{Item, StrftimeItems};
use rhai::Engine;

pub fn register(engine: &mut Engine) {
    engine.register_fn("now", || {
        chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    });
    engine.register_fn("now", now_formatted);
    engine.register_fn("timestamp", || chrono::Utc::now().timestamp());
}

/// Formats the local time; a bad format is an error, never a panic.
fn now_formatted(format: &str) -> Outcome<String> {
    let items: Vec<Item<'_>> = StrftimeItems::new(format).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return error(
            ErrorKind::Script,
            format!("now: `{format}` is not a valid strftime format"),
        );
    }
    Ok(chrono::Local::now()
        .format_with_items(items.into_iter())
        .to_string())
}
