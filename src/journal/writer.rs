//! Appends a run's events to its journal, synced at each step boundary so a crash loses at most
//! the step in progress, each step's output bounded (`output_bound`), a batch of output lines in
//! one write. A journal that cannot be written stops the run.

use super::output_bound::OutputBound;
use super::state_permissions;
use crate::context::event::OutputLines;
use crate::context::event::{Event, EventSink};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// The first line of every journal.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    pub event: String,
    pub run: String,
    /// The runbook, absolute.
    pub file: PathBuf,
    pub fingerprint: String,
    pub procedure: String,
    pub who: String,
    pub pid: u32,
    pub started: String,
    /// `--param` inputs and the values of parameters (never secrets), as given.
    pub params: Vec<(String, String)>,
    /// The procedure's steps that have a rollback: only those are ever owed. Absent from
    /// journals written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollbacks: Option<Vec<String>>,
}

pub struct JournalWriter {
    path: PathBuf,
    file: Mutex<(File, OutputBound)>,
    /// Set when a write failed; the run is stopped by whoever polls it.
    failed: Mutex<Option<String>>,
}

impl JournalWriter {
    /// Creates the journal and writes its header, synced: if this fails nothing has run yet.
    /// It keeps what `bound` keeps of each step's output.
    pub fn create(path: &Path, header: &Header, bound: OutputBound) -> Result<Self, String> {
        let say = |e: std::io::Error| format!("cannot write the journal {}: {e}", path.display());
        // The journal is STATE/runs/RUN.jsonl.
        if let Some(state) = path.parent().and_then(Path::parent) {
            state_permissions::check(state)?;
        }
        let mut file = state_permissions::create_private_file(path, true).map_err(say)?;
        let line = serde_json::to_string(header).map_err(|e| e.to_string())?;
        writeln!(file, "{line}").map_err(say)?;
        file.sync_data().map_err(say)?;
        Ok(Self {
            path: path.to_path_buf(),
            file: Mutex::new((file, bound)),
            failed: Mutex::new(None),
        })
    }

    /// Continues an existing journal (a rollback or resume of its run is journaled there; its
    /// state directory was checked when it was found), keeping what `bound` keeps of each
    /// step's output.
    pub fn append(path: &Path, bound: OutputBound) -> Result<Self, String> {
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot write the journal {}: {e}", path.display()))?;
        Ok(Self {
            path: path.to_path_buf(),
            file: Mutex::new((file, bound)),
            failed: Mutex::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The first write error, if any.
    pub fn failure(&self) -> Option<String> {
        self.failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Journals what the bound keeps of a batch of output lines: one lock, one write.
    fn write_lines(&self, batch: &OutputLines) -> std::io::Result<()> {
        let mut guard = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let (file, bound) = &mut *guard;
        let mut text = Vec::new();
        let at_ms = now_ms();
        bound.pass_lines(batch, &mut |event: &Event| {
            let line = stamped(event, at_ms).map_err(std::io::Error::other)?;
            text.extend_from_slice(line.as_bytes());
            text.push(b'\n');
            Ok::<(), std::io::Error>(())
        })?;
        if text.is_empty() {
            return Ok(());
        }
        file.write_all(&text)
    }

    fn write(&self, event: &Event) -> std::io::Result<()> {
        let mut guard = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let (file, bound) = &mut *guard;
        bound.pass(event, &mut |event: &Event| {
            let line = stamped(event, now_ms()).map_err(std::io::Error::other)?;
            writeln!(file, "{line}")
        })?;
        if boundary(event) {
            file.sync_data()?;
        }
        Ok(())
    }
}

/// An event's journal line: `at_ms` (milliseconds since the Unix epoch) first, then the event's
/// fields. The time is the journal's, not the event's: the event stream stays free of clocks
/// (plans and goldens do not change), and a run's timeline is read back from its journal.
fn stamped(event: &Event, at_ms: u64) -> serde_json::Result<String> {
    let line = serde_json::to_string(event)?;
    let fields = line.strip_prefix('{').unwrap_or(&line);
    Ok(format!("{{\"at_ms\":{at_ms},{fields}"))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Events after which the journal is on disk.
fn boundary(event: &Event) -> bool {
    matches!(
        event,
        Event::RunStarted { .. }
            | Event::StepFinished { .. }
            | Event::StepFailed { .. }
            | Event::StepSkipped { .. }
            | Event::HostFinished { .. }
            | Event::RollbackOwed { .. }
            | Event::Published { .. }
            | Event::RollbackFinished { .. }
            | Event::RunFinished { .. }
    )
}

impl JournalWriter {
    /// Keeps the first write error; the run is stopped by whoever polls it.
    fn keep_failure(&self, written: std::io::Result<()>) {
        if let Err(e) = written {
            let mut failed = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
            if failed.is_none() {
                *failed = Some(format!(
                    "cannot write the journal {}: {e}",
                    self.path.display()
                ));
            }
        }
    }
}

impl EventSink for JournalWriter {
    fn emit(&self, event: &Event) {
        self.keep_failure(self.write(event));
    }

    fn emit_lines(&self, batch: &OutputLines) {
        self.keep_failure(self.write_lines(batch));
    }
}
