//! Why a running body must stop: the operator interrupted (Ctrl-C, SIGTERM) or the step's
//! timeout passed. rhai checks it between operations; primitives blocked on I/O race it.

use crate::diagnostic::error_kind::ErrorKind;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    Interrupted,
    TimedOut(Duration),
}

impl StopReason {
    /// The kind of failure a stop makes of the work it cut short.
    pub fn kind(self) -> ErrorKind {
        match self {
            StopReason::Interrupted => ErrorKind::Interrupted,
            StopReason::TimedOut(_) => ErrorKind::Timeout,
        }
    }
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Interrupted => write!(f, "interrupted by the operator"),
            StopReason::TimedOut(limit) => write!(
                f,
                "timed out after {}",
                crate::language::duration::format(*limit)
            ),
        }
    }
}

pub struct StopSignal {
    interrupted: watch::Sender<bool>,
    deadline: Mutex<Option<(Instant, Duration)>>,
    /// The terminal went away (SIGHUP): nobody can be asked anything.
    hung_up: AtomicBool,
    /// Rollbacks are running: a Ctrl-C warns first, the next one abandons them.
    rolling_back: AtomicBool,
    presses_in_rollback: AtomicU32,
    abandoned: AtomicBool,
}

impl Default for StopSignal {
    fn default() -> Self {
        Self {
            interrupted: watch::Sender::new(false),
            deadline: Mutex::new(None),
            hung_up: AtomicBool::new(false),
            rolling_back: AtomicBool::new(false),
            presses_in_rollback: AtomicU32::new(0),
            abandoned: AtomicBool::new(false),
        }
    }
}

/// What a Ctrl-C (or SIGTERM, SIGHUP) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    /// The running step is stopped.
    Interrupted,
    /// During rollbacks: a warning; they go on.
    Warned,
    /// During rollbacks, again: the rest is left for `runbook rollback`.
    Abandoned,
}

impl StopSignal {
    pub fn interrupt(&self) {
        self.interrupted.send_replace(true);
    }

    /// An operator's signal: `hangup` for SIGHUP (the terminal is gone).
    pub fn press(&self, hangup: bool) -> Press {
        if hangup {
            self.hung_up.store(true, Ordering::SeqCst);
        }
        if !self.rolling_back.load(Ordering::SeqCst) {
            self.interrupt();
            return Press::Interrupted;
        }
        if self.presses_in_rollback.fetch_add(1, Ordering::SeqCst) == 0 {
            return Press::Warned;
        }
        self.abandoned.store(true, Ordering::SeqCst);
        self.interrupt();
        Press::Abandoned
    }

    pub fn hung_up(&self) -> bool {
        self.hung_up.load(Ordering::SeqCst)
    }

    /// Rollbacks begin: the interruption that led here is forgotten, and Ctrl-C now warns.
    pub fn begin_rollbacks(&self) {
        self.clear_interrupt();
        self.rolling_back.store(true, Ordering::SeqCst);
    }

    /// Forgets everything about the previous command: the REPL runs many, one after the other.
    pub fn reset(&self) {
        self.clear_interrupt();
        self.rolling_back.store(false, Ordering::SeqCst);
        self.presses_in_rollback.store(0, Ordering::SeqCst);
        self.abandoned.store(false, Ordering::SeqCst);
        self.limit(None);
    }

    /// Whether the operator stopped the rollbacks.
    pub fn rollbacks_abandoned(&self) -> bool {
        self.abandoned.load(Ordering::SeqCst)
    }

    /// Forgets an interruption once it has been acted on (rollbacks must still run).
    pub fn clear_interrupt(&self) {
        self.interrupted.send_replace(false);
    }

    pub fn is_interrupted(&self) -> bool {
        *self.interrupted.borrow()
    }

    /// Starts (or, with `None`, lifts) a time limit for the body about to run.
    pub fn limit(&self, timeout: Option<Duration>) {
        let mut deadline = self
            .deadline
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *deadline = timeout.map(|t| (Instant::now() + t, t));
    }

    fn deadline(&self) -> Option<(Instant, Duration)> {
        *self
            .deadline
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The reason to stop now, if there is one.
    pub fn check(&self) -> Option<StopReason> {
        if self.is_interrupted() {
            return Some(StopReason::Interrupted);
        }
        match self.deadline() {
            Some((at, limit)) if Instant::now() >= at => Some(StopReason::TimedOut(limit)),
            _ => None,
        }
    }

    /// Resolves when the running body must stop.
    pub async fn wait(&self) -> StopReason {
        let mut rx = self.interrupted.subscribe();
        let deadline = self.deadline();
        tokio::select! {
            _ = rx.wait_for(|v| *v) => StopReason::Interrupted,
            () = async {
                match deadline {
                    Some((at, _)) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => StopReason::TimedOut(deadline.map_or(Duration::ZERO, |(_, limit)| limit)),
        }
    }
}
