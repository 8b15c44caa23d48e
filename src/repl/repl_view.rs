//! What the REPL shows of the events its commands emit: the live terminal view of a run (for
//! `:step`, `:rollback` and primitives' output), plus, in dry mode, each action a primitive
//! would take. It also keeps the events of a `:step` for the rollbacks it registers, and can
//! hand them to another consumer instead (the plan of `:plan`).

use crate::context::event::{Effect, Event, EventSink};
use crate::output::style::Style;
use crate::output::terminal::TerminalView;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Default)]
pub struct ReplView {
    terminal: TerminalView,
    dry: AtomicBool,
    recording: Mutex<Option<Vec<Event>>>,
    diverted: Mutex<Option<Arc<dyn EventSink>>>,
}

impl ReplView {
    /// Dry mode: show what primitives would do.
    pub fn set_dry(&self, dry: bool) {
        self.dry.store(dry, Ordering::SeqCst);
    }

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

    fn action(&self, event: &Event) {
        let Event::Action {
            primitive,
            target,
            command,
            effect,
            reason,
            ..
        } = event
        else {
            return;
        };
        let s = Style::for_stdout();
        let effect = match effect {
            Effect::Read => s.dim("read"),
            Effect::Change => s.yellow("change"),
            Effect::Might => s.yellow("might change"),
        };
        let why = reason
            .as_ref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stdout(),
            "  {} {primitive} on {target}: {command}  [{effect}{why}]",
            s.cyan("would")
        );
    }
}

impl EventSink for ReplView {
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
        if self.dry.load(Ordering::SeqCst) {
            self.action(event);
        }
        self.terminal.emit(event);
    }
}
