//! `--format json`: one JSON object per event per line, with a timestamp.

use super::console::outln;
use crate::context::event::{Event, EventSink};

pub struct JsonLines;

impl EventSink for JsonLines {
    fn emit(&self, event: &Event) {
        let Ok(mut value) = serde_json::to_value(event) else {
            return;
        };
        value["time"] = chrono::Utc::now()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            .into();
        outln!("{value}");
    }
}
