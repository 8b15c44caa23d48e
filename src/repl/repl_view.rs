//! What the REPL shows of the events its commands emit: the live terminal view of a run (for
//! `:step`, `:rollback`, primitives' actions and their output, in dry mode as in real mode). It
//! also keeps the events of a `:step` for the rollbacks it registers, and can hand them to
//! another consumer instead (the plan of `:plan`).

use crate::context::event::OutputLines;
use crate::context::event::{Event, EventSink};
use crate::output::terminal::TerminalView;
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Default)]
pub struct ReplView {
    terminal: TerminalView,
    recording: Mutex<Option<Vec<Event>>>,
    diverted: Mutex<Option<Arc<dyn EventSink>>>,
}

impl ReplView {
    /// Keeps every event from now on, until [`ReplView::take_recorded`].
    pub fn record(&self) {
        *self
            .recording
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Vec::new());
    }

    pub fn take_recorded(&self) -> Vec<Event> {
        self.recording
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_default()
    }

    /// Sends the events to `sink` instead of the terminal (none: back to the terminal).
    pub fn divert(&self, sink: Option<Arc<dyn EventSink>>) {
        *self.diverted.lock().unwrap_or_else(PoisonError::into_inner) = sink;
    }
}

impl EventSink for ReplView {
    /// In one write to the terminal, unless recorded or diverted.
    fn emit_lines(&self, batch: &OutputLines) {
        let recording = self
            .recording
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some();
        let diverted = self
            .diverted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some();
        if recording || diverted {
            batch.events().for_each(|event| self.emit(&event));
        } else {
            self.terminal.emit_lines(batch);
        }
    }

    fn emit(&self, event: &Event) {
        if let Some(events) = self
            .recording
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            events.push(event.clone());
        }
        let diverted = self
            .diverted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(sink) = diverted {
            sink.emit(event);
            return;
        }
        self.terminal.emit(event);
    }
}
