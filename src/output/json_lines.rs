//! `--format json`: one JSON object per event per line, with a timestamp.

use super::console::{out, outln};
use crate::context::event::OutputLines;
use crate::context::event::{Event, EventSink};

pub struct JsonLines;

/// The event as a JSON object stamped with the time now.
fn stamped(event: &Event) -> Option<serde_json::Value> {
    let mut value = serde_json::to_value(event).ok()?;
    value["time"] = chrono::Utc::now()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        .into();
    Some(value)
}

impl EventSink for JsonLines {
    fn emit(&self, event: &Event) {
        if let Some(value) = stamped(event) {
            outln!("{value}");
        }
    }

    /// One object per line of output, as for single events, written together.
    fn emit_lines(&self, batch: &OutputLines) {
        let mut text = String::new();
        for value in batch.events().filter_map(|event| stamped(&event)) {
            text.push_str(&value.to_string());
            text.push('\n');
        }
        let _ = out(&text);
    }
}
