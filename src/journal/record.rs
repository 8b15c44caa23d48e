//! What a journal tells: how the run ended (or that it died), the values it published, and
//! the rollbacks it still owes, per host.

use super::state_dir;
use super::state_permissions;
use super::writer::Header;
use crate::context::event::{Event, Phase, Status};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A journal, read back.
#[derive(Debug)]
pub struct RunRecord {
    pub path: PathBuf,
    pub header: Header,
    pub events: Vec<Event>,
    /// When each event was journaled, in milliseconds since the Unix epoch (none in journals
    /// written before times were kept).
    pub times: Vec<Option<u64>>,
}

/// The time a journal line carries beside its event.
#[derive(serde::Deserialize)]
struct Stamp {
    at_ms: Option<u64>,
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Finished(Status),
    /// Its process is alive.
    Running,
    /// No end was recorded and its process is gone: killed, crashed, power lost.
    Died,
    /// Finished by `runbook rollback`: what it had changed was undone.
    RolledBack,
}

impl RunState {
    pub fn name(self) -> &'static str {
        match self {
            RunState::Finished(Status::Succeeded) => "succeeded",
            RunState::Finished(Status::GuardFailed) => "guard failed",
            RunState::Finished(Status::Failed) => "failed",
            RunState::Finished(Status::Declined) => "declined",
            RunState::Finished(Status::Interrupted) => "interrupted",
            RunState::Finished(Status::RollbackFailed) => "rollback failed",
            RunState::Running => "running",
            RunState::Died => "died",
            RunState::RolledBack => "rolled back",
        }
    }
}

/// A value a run published, as journaled.
#[derive(Debug, Clone, PartialEq)]
pub struct JournaledValue {
    pub name: String,
    /// The host it is the value of; none: published here.
    pub host: Option<String>,
    pub json: serde_json::Value,
}

/// A rollback still owed: the step, and the hosts it completed on (none: it ran locally).
#[derive(Debug, Clone, PartialEq)]
pub struct Owed {
    pub step: String,
    pub hosts: Vec<String>,
}

impl RunRecord {
    /// Reads a journal; a last line cut by a crash is ignored.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the journal {}: {e}", path.display()))?;
        let mut lines = text.lines();
        let header: Header = lines
            .next()
            .and_then(|l| serde_json::from_str(l).ok())
            .ok_or_else(|| format!("{} is not a runbook journal", path.display()))?;
        let (events, times) = lines
            .filter_map(|l| {
                let event: Event = serde_json::from_str(l).ok()?;
                let at = serde_json::from_str::<Stamp>(l).ok().and_then(|s| s.at_ms);
                Some((event, at))
            })
            .unzip();
        Ok(Self {
            path: path.to_path_buf(),
            header,
            events,
            times,
        })
    }

    /// The journal of run `id` in `state`.
    pub fn find(state: &Path, id: &str) -> Result<Self, String> {
        let path = state_dir::journal(state, id);
        if !path.exists() {
            let known: Vec<String> = list(state)?.into_iter().map(|r| r.header.run).collect();
            let hint = known
                .last()
                .map(|k| format!(" (latest: {k})"))
                .unwrap_or_default();
            return Err(format!("no run `{id}` in {}{hint}", state.display()));
        }
        state_permissions::check(state)?;
        Self::read(&path)
    }

    pub fn state(&self) -> RunState {
        let finished = self.events.iter().rev().find_map(|e| match e {
            Event::RunFinished {
                status,
                steps_done,
                rolled_back,
                ..
            } => Some((*status, *steps_done == 0 && *rolled_back > 0)),
            _ => None,
        });
        match finished {
            Some((Status::Succeeded, true)) => RunState::RolledBack,
            Some((status, _)) => RunState::Finished(status),
            None if process_alive(self.header.pid) => RunState::Running,
            None => RunState::Died,
        }
    }

    /// Values published by completed steps, typed, in order, each with the host it was
    /// published on (none: here).
    pub fn published(&self) -> Vec<JournaledValue> {
        let mut values: Vec<JournaledValue> = Vec::new();
        for event in &self.events {
            if let Event::Published {
                name, host, json, ..
            } = event
            {
                values.retain(|v| !(&v.name == name && &v.host == host));
                values.push(JournaledValue {
                    name: name.clone(),
                    host: host.clone(),
                    json: json.clone(),
                });
            }
        }
        values
    }

    /// What the run still owes: the rollbacks of the steps that completed (and of `rollback
    /// always` steps from the moment they started), less those that ran. A step without a
    /// rollback is never owed. `show`, `rollback` and `resume` all read it here.
    pub fn owed(&self) -> Vec<Owed> {
        let mut owed = owed(&self.events);
        if let Some(with_rollback) = &self.header.rollbacks {
            owed.retain(|o| with_rollback.contains(&o.step));
        }
        owed
    }

    /// The step a resume starts at: the one that failed, or the first not finished.
    pub fn failed_step(&self) -> Option<String> {
        self.events.iter().rev().find_map(|e| match e {
            Event::StepFailed { step, .. } | Event::StepStarted { step, .. } => Some(step.clone()),
            _ => None,
        })
    }
}

/// The rollbacks owed after `events`: steps that completed, in order, less the rollbacks that
/// ran (a journal, or the steps run one by one in the REPL).
pub fn owed(events: &[Event]) -> Vec<Owed> {
    let mut on_hosts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Hosts a `rollback always` step ran on, whether it completed there or not.
    let mut attempted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut owed: Vec<Owed> = Vec::new();
    for event in events {
        match event {
            Event::RollbackOwed { step, hosts } => {
                owed.retain(|o| &o.step != step);
                attempted.insert(step.clone(), Vec::new());
                owed.push(Owed {
                    step: step.clone(),
                    hosts: hosts.clone(),
                });
            }
            Event::HostFinished {
                step: Some(step),
                phase: Phase::Body,
                host,
                ok,
                ..
            } if attempted.contains_key(step) => {
                if *ok {
                    on_hosts.entry(step.clone()).or_default().push(host.clone());
                }
                if let Some(hosts) = attempted.get_mut(step) {
                    hosts.push(host.clone());
                }
            }
            // Once a `rollback always` step ends, it owes its rollback where it ran.
            Event::StepFinished { step, .. } | Event::StepFailed { step, .. }
                if attempted.contains_key(step) =>
            {
                let ran = attempted.remove(step).unwrap_or_default();
                on_hosts.remove(step);
                if let Some(entry) = owed.iter_mut().find(|o| &o.step == step)
                    && !entry.hosts.is_empty()
                {
                    entry.hosts.retain(|h| ran.contains(h));
                    if entry.hosts.is_empty() {
                        let step = step.clone();
                        owed.retain(|o| o.step != step);
                    }
                }
            }
            Event::StepStarted { step, .. } if !owed.iter().any(|o| &o.step == step) => {
                on_hosts.remove(step);
            }
            Event::HostFinished {
                step: Some(step),
                phase: Phase::Body,
                host,
                ok: true,
                ..
            } => on_hosts.entry(step.clone()).or_default().push(host.clone()),
            Event::StepFinished { step, .. } => {
                let hosts = on_hosts.remove(step).unwrap_or_default();
                owed.push(Owed {
                    step: step.clone(),
                    hosts,
                });
            }
            // A fan-out that failed part-way owes rollbacks where it completed.
            Event::StepFailed { step, .. } => {
                if let Some(hosts) = on_hosts.remove(step).filter(|h| !h.is_empty()) {
                    owed.push(Owed {
                        step: step.clone(),
                        hosts,
                    });
                }
            }
            Event::RollbackFinished {
                step,
                host,
                ok: true,
                ..
            } => {
                if let Some(entry) = owed.iter_mut().rev().find(|o| &o.step == step) {
                    match host {
                        Some(h) => entry.hosts.retain(|x| x != h),
                        None => entry.hosts.clear(),
                    }
                    if entry.hosts.is_empty() {
                        let step = step.clone();
                        owed.retain(|o| o.step != step);
                    }
                }
            }
            _ => {}
        }
    }
    owed
}

/// Every journal in `state`, oldest first; refused when others can write to `state`.
pub fn list(state: &Path) -> Result<Vec<RunRecord>, String> {
    state_permissions::check(state)?;
    let Ok(entries) = std::fs::read_dir(state_dir::runs(state)) else {
        return Ok(Vec::new());
    };
    let mut records: Vec<RunRecord> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .filter_map(|p| RunRecord::read(&p).ok())
        .collect();
    records.sort_by(|a, b| a.header.run.cmp(&b.header.run));
    Ok(records)
}

/// Whether a process of this machine is alive (a zombie waiting to be reaped is not).
pub fn process_alive(pid: u32) -> bool {
    let exists = i32::try_from(pid)
        .is_ok_and(|pid| nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok());
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    });
    exists && !zombie
}
