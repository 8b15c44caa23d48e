//! What every primitive of a run shares: the mode (real or dry-run), the event stream with its
//! secret mask, the stop signal, the confirmation gate, where in the procedure we are, the
//! `let` values and the values steps publish.

use super::column_orders::ColumnOrders;
use super::confirmation_gate::ConfirmationGate;
use super::event::OutputLines;
use super::event::{Answer, AnsweredBy, Effect, Event, EventSink, Level, Mode, Phase};
use super::published::Published;
use super::secret_mask::SecretMask;
use super::stop_signal::StopSignal;
use super::unknown_value::Unknown;
use crate::docker::engines::EnginePool;
use crate::hosts::resolution::Hosts;
use crate::sql::connections::Databases;
use crate::ssh::pool::{ConnectionPool, SshSettings};
use rhai::Dynamic;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// Marks a value only a real run knows; dry-run placeholders carry it, and a command built from
/// one is a "might change".
pub const UNKNOWN_OPEN: char = '⟨';
pub const UNKNOWN_CLOSE: char = '⟩';

/// Where in the procedure the running code is.
#[derive(Debug, Clone, Default)]
pub struct Cursor {
    pub step: Option<String>,
    pub phase: Option<Phase>,
}

pub struct RunContext {
    /// A dry-run (the REPL's `:dry on` switches it between commands).
    dry_run: AtomicBool,
    /// In a dry-run, execute reads for real.
    pub probe: bool,
    /// Relative paths in bodies resolve here (the runbook's directory).
    pub base_dir: PathBuf,
    pub runtime: tokio::runtime::Handle,
    pub stop: StopSignal,
    pub gate: ConfirmationGate,
    /// SSH masters, one per host, shared by every body of the run.
    pub ssh: ConnectionPool,
    /// Docker engines, one client per target.
    pub docker: EnginePool,
    /// Database connections, one per URL.
    pub databases: Databases,
    /// The column order of recent query results, for tables.
    pub column_orders: ColumnOrders,
    hosts: RwLock<Arc<Hosts>>,
    sink: Arc<dyn EventSink>,
    mask: RwLock<SecretMask>,
    /// Values met during the run and masked since ([`RunContext::add_secret`]): a new mask
    /// ([`RunContext::set_mask`], after the REPL's `:set`) keeps them.
    learned: Mutex<Vec<String>>,
    cursor: Mutex<Cursor>,
    unknown_used: AtomicBool,
    /// An action was recorded since [`RunContext::take_acted`] last looked.
    acted: AtomicBool,
    /// The origin of the last unknown value handed out (`⟨…⟩`).
    last_unknown: Mutex<String>,
    declined: AtomicBool,
    /// The `let` values of the procedure, computed before its first guard.
    values: Mutex<Vec<(String, Dynamic)>>,
    published: Mutex<Published>,
    /// Places a dry-run planned a change on (see [`RunContext::place`]): a probe of them would
    /// read a state the plan never made.
    planned_changes: Mutex<HashSet<String>>,
}

impl RunContext {
    pub fn new(
        mode: Mode,
        probe: bool,
        base_dir: PathBuf,
        runtime: tokio::runtime::Handle,
        gate: ConfirmationGate,
        ssh: SshSettings,
        sink: Arc<dyn EventSink>,
    ) -> Self {
        Self {
            dry_run: AtomicBool::new(mode == Mode::DryRun),
            probe,
            base_dir,
            runtime,
            stop: StopSignal::default(),
            gate,
            ssh: ConnectionPool::new(ssh),
            docker: EnginePool::default(),
            databases: Databases::default(),
            column_orders: ColumnOrders::default(),
            hosts: RwLock::new(Arc::default()),
            sink,
            mask: RwLock::new(SecretMask::default()),
            learned: Mutex::new(Vec::new()),
            cursor: Mutex::new(Cursor::default()),
            unknown_used: AtomicBool::new(false),
            acted: AtomicBool::new(false),
            last_unknown: Mutex::new(String::new()),
            declined: AtomicBool::new(false),
            values: Mutex::new(Vec::new()),
            published: Mutex::new(Published::default()),
            planned_changes: Mutex::new(HashSet::new()),
        }
    }

    /// A dry-run that asks nothing and reaches nothing on its own (static checks, doc traces):
    /// default SSH settings, no prompter, events to `sink`.
    pub fn dry(
        base_dir: PathBuf,
        runtime: tokio::runtime::Handle,
        sink: Arc<dyn EventSink>,
    ) -> Self {
        Self::new(
            Mode::DryRun,
            false,
            base_dir,
            runtime,
            ConfirmationGate::default(),
            SshSettings::default(),
            sink,
        )
    }

    pub fn mode(&self) -> Mode {
        if self.is_dry_run() {
            Mode::DryRun
        } else {
            Mode::Run
        }
    }

    /// Switches between real and dry-run; only between commands, never during a body.
    pub fn set_mode(&self, mode: Mode) {
        self.dry_run.store(mode == Mode::DryRun, Ordering::SeqCst);
    }

    pub fn is_dry_run(&self) -> bool {
        self.dry_run.load(Ordering::SeqCst)
    }

    /// Replaces the mask of the parameters and secrets; values learned during the run stay
    /// masked.
    pub fn set_mask(&self, mut mask: SecretMask) {
        for value in self
            .learned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            mask.add(value);
        }
        *self.mask.write().unwrap_or_else(PoisonError::into_inner) = mask;
    }

    pub fn set_hosts(&self, hosts: Hosts) {
        *self.hosts.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(hosts);
    }

    /// The hosts and targets of the run.
    pub fn hosts(&self) -> Arc<Hosts> {
        Arc::clone(&self.hosts.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Treats a value met during the run as a secret from now on.
    pub fn add_secret(&self, value: &str) {
        let mut learned = self.learned.lock().unwrap_or_else(PoisonError::into_inner);
        if !learned.iter().any(|v| v == value) {
            learned.push(value.to_string());
        }
        drop(learned);
        self.mask
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .add(value);
    }

    pub fn mask(&self, text: &str) -> String {
        self.mask
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .mask(text)
    }

    /// Sends an event to every consumer, secrets masked.
    pub fn emit(&self, event: &Event) {
        let masked = self
            .mask
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .mask_event(event);
        self.sink.emit(&masked);
    }

    /// Sends a batch of output lines to every consumer, secrets masked in each line as
    /// [`RunContext::emit`] masks an `Output` event.
    pub fn emit_lines(&self, mut batch: OutputLines) {
        let mask = self.mask.read().unwrap_or_else(PoisonError::into_inner);
        if !mask.is_empty() {
            for text in batch
                .lines
                .iter_mut()
                .chain(&mut batch.step)
                .chain(&mut batch.host)
            {
                *text = mask.mask(text);
            }
        }
        drop(mask);
        self.sink.emit_lines(&batch);
    }

    pub fn cursor(&self) -> Cursor {
        self.cursor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn enter(&self, step: Option<&str>, phase: Phase) {
        *self.cursor.lock().unwrap_or_else(PoisonError::into_inner) = Cursor {
            step: step.map(str::to_string),
            phase: Some(phase),
        };
    }

    pub fn phase(&self) -> Phase {
        self.cursor().phase.unwrap_or(Phase::Body)
    }

    /// Conditions (guards, `when`) only look: their commands read and may fail quietly.
    pub fn in_condition(&self) -> bool {
        matches!(self.phase(), Phase::Guard | Phase::When)
    }

    pub fn log(&self, level: Level, message: impl Into<String>) {
        self.emit(&Event::Log {
            step: self.cursor().step,
            level,
            message: message.into(),
        });
    }

    /// Records what a primitive does (or would do) to the world, and tells whether it must
    /// actually happen now. Commands built from unknown values are "might".
    /// A probe never reads a target after a change planned on it: it would see a state the
    /// plan never made.
    pub fn act(&self, primitive: &str, target: &str, command: &str, effect: Effect) -> bool {
        let unknown = unknown_parts(command);
        let after_change = self.is_dry_run() && self.probe && self.change_planned_on(target);
        let (effect, reason) = match (effect, unknown.is_empty()) {
            (Effect::Change, false) => (
                Effect::Might,
                Some(format!("depends on {}", unknown.join(", "))),
            ),
            (Effect::Read, _) if after_change => (
                Effect::Read,
                Some(format!(
                    "not probed: follows a change planned on {}",
                    self.place(target)
                )),
            ),
            (effect, _) => (effect, None),
        };
        self.acted.store(true, Ordering::SeqCst);
        let cursor = self.cursor();
        self.emit(&Event::Action {
            step: cursor.step,
            phase: cursor.phase.unwrap_or(Phase::Body),
            primitive: primitive.into(),
            target: target.into(),
            command: command.into(),
            effect,
            reason,
        });
        match self.mode() {
            Mode::Run => true,
            Mode::DryRun => {
                if effect != Effect::Read {
                    self.planned_changes
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(self.place(target));
                }
                self.probe && effect == Effect::Read && unknown.is_empty() && !after_change
            }
        }
    }

    /// Whether this dry-run planned a change on `target`, or on the place it is part of, already.
    fn change_planned_on(&self, target: &str) -> bool {
        self.planned_changes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&self.place(target))
    }

    /// Asks confirmation `id`, recording the question and the answer; a dry-run lists it and
    /// goes on. True to go on.
    pub fn confirm(&self, id: &str, message: &str, next: Vec<String>) -> bool {
        self.confirmation(id, message, next, false)
    }

    /// Like [`Self::confirm`], for a `confirm always`: no flag answers it.
    pub fn confirm_always(&self, id: &str, message: &str, next: Vec<String>) -> bool {
        self.confirmation(id, message, next, true)
    }

    fn confirmation(&self, id: &str, message: &str, next: Vec<String>, always: bool) -> bool {
        self.emit(&Event::ConfirmationAsked {
            id: id.into(),
            message: message.into(),
            next,
        });
        let (answer, by) = if self.is_dry_run() {
            (Answer::Yes, AnsweredBy::DryRun)
        } else {
            self.gate.decide(id, message, always, &self.stop)
        };
        self.emit(&Event::ConfirmationAnswered {
            id: id.into(),
            answer,
            by,
        });
        answer == Answer::Yes
    }

    /// A dry-run's value only a real run knows, as a value of its own type: any decision on it
    /// stops the plan of the step (see [`Unknown`]).
    pub fn unknown_value(&self, what: &str) -> Dynamic {
        self.unknown_used.store(true, Ordering::SeqCst);
        let origin = placeholder(what);
        origin.clone_into(
            &mut self
                .last_unknown
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        Dynamic::from(Unknown { origin })
    }

    /// The origin of the last unknown value handed out.
    pub fn last_unknown(&self) -> String {
        self.last_unknown
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether a placeholder was handed out since the last call (and resets the mark).
    pub fn take_unknown_used(&self) -> bool {
        self.unknown_used.swap(false, Ordering::SeqCst)
    }

    /// Whether an action was recorded since the last call (and resets the mark).
    pub fn take_acted(&self) -> bool {
        self.acted.swap(false, Ordering::SeqCst)
    }

    pub fn mark_declined(&self) {
        self.declined.store(true, Ordering::SeqCst);
    }

    pub fn take_declined(&self) -> bool {
        self.declined.swap(false, Ordering::SeqCst)
    }

    /// Replaces the `let` values (a procedure computes its own before its first guard).
    pub fn set_values(&self, values: Vec<(String, Dynamic)>) {
        *self.values.lock().unwrap_or_else(PoisonError::into_inner) = values;
    }

    /// Every `let` value computed.
    pub fn values(&self) -> Vec<(String, Dynamic)> {
        self.values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The `let` values whose names are among `names` (a body's words).
    pub fn values_named(&self, names: &HashSet<&str>) -> Vec<(String, Dynamic)> {
        self.values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(name, _)| names.contains(name.as_str()))
            .cloned()
            .collect()
    }

    /// Publishes a value for later bodies: `host`'s own when published on a host.
    pub fn publish(&self, name: &str, host: Option<&str>, value: Dynamic) {
        self.published
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name, host, value);
    }

    /// Puts back the values of an earlier [`RunContext::published`] (after a plan in the REPL,
    /// whose placeholders must not replace real values).
    pub fn restore_published(&self, values: Published) {
        *self
            .published
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = values;
    }

    /// Every published value, with the host each belongs to.
    pub fn published(&self) -> Published {
        self.published
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every published name with the value a body on `host` (none: here) sees.
    pub fn published_seen_from(&self, host: Option<&str>) -> Vec<(String, Dynamic)> {
        self.published
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .seen_from(host)
    }

    /// The published values whose names are among `names` (a body's words), as a body on
    /// `host` (none: here) sees them.
    pub fn published_named(
        &self,
        names: &HashSet<&str>,
        host: Option<&str>,
    ) -> Vec<(String, Dynamic)> {
        self.published
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .named(names, host)
    }

    /// Resolves a path written in a body against the runbook's directory.
    pub fn path(&self, path: &str) -> PathBuf {
        let p = PathBuf::from(path);
        if p.is_absolute() {
            p
        } else {
            self.base_dir.join(p)
        }
    }

    /// Where a target's changes land. A service is part of the host it runs on, so that a
    /// change planned on one is a change planned on the other (a command on `vm` may be
    /// `docker compose up`): `docker@vm`, `http@vm` and `sql@vm` (requests and statements sent
    /// from `vm`) are on `vm`; `http@ADDRESS:PORT` is on this machine (`local`) for a loopback
    /// address, else on the declared host at that address. Other targets are their own place.
    fn place(&self, target: &str) -> String {
        let Some((service, at)) = target
            .split_once('@')
            .filter(|(service, _)| service.chars().all(|c| c.is_ascii_alphabetic()))
        else {
            return target.to_string();
        };
        if service != "http" || self.hosts().spec(at).is_some() {
            return at.to_string();
        }
        let address = at.rsplit_once(':').map_or(at, |(address, _)| address);
        let address = address.trim_start_matches('[').trim_end_matches(']');
        if address == "localhost" || address == "::1" || address.starts_with("127.") {
            return "local".to_string();
        }
        self.hosts()
            .specs()
            .find(|spec| spec.address == address)
            .map_or_else(|| at.to_string(), |spec| spec.name.clone())
    }
}

/// How a value only a real run knows is written: `⟨what⟩`.
pub fn placeholder(what: &str) -> String {
    format!("{UNKNOWN_OPEN}{what}{UNKNOWN_CLOSE}")
}

/// The `⟨…⟩` placeholders inside a text, each once.
pub fn unknown_parts(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(UNKNOWN_OPEN) {
        let after = &rest[start..];
        match after.find(UNKNOWN_CLOSE) {
            Some(end) => {
                let part = &after[..end + UNKNOWN_CLOSE.len_utf8()];
                if !parts.iter().any(|p| p == part) {
                    parts.push(part.to_string());
                }
                rest = &after[end + UNKNOWN_CLOSE.len_utf8()..];
            }
            None => break,
        }
    }
    parts
}
