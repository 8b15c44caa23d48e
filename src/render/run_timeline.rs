//! A run's timeline, read from its journal alone, for the post-incident review: one lane per
//! host (and `local`), with steps, retries, waits for a confirmation, failures and rollbacks as
//! bars; the events as a table; and, for a run that died, what it left unfinished and still
//! owes. `runbook show RUN --format json` prints this model, `--format html` draws it
//! (`timeline.html.j2`). The journal is masked when written, so nothing here can hold a secret.

use super::event_row;
use crate::context::event::{Event, Phase};
use crate::journal::record::RunRecord;
use serde::Serialize;
use std::collections::BTreeMap;

/// The lane of what runs on this machine.
pub const LOCAL: &str = "local";
/// Output lines the event table keeps; the journal has them all.
const OUTPUT_ROWS: usize = 400;

#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub run: String,
    pub runbook: String,
    pub file: String,
    pub procedure: String,
    pub title: String,
    pub who: String,
    pub pid: u32,
    /// When the run started, as the journal's header says (the run's local time).
    pub started: String,
    /// `succeeded`, `failed`, `died`, `rolled back`, …
    pub status: String,
    /// Milliseconds from the first journaled event to the last.
    pub duration_ms: u64,
    /// `local` first, then the hosts by name.
    pub lanes: Vec<Lane>,
    pub events: Vec<Row>,
    /// Output lines left out of `events` (see the journal).
    pub output_left_out: usize,
    /// Rollbacks still owed, oldest first, with the hosts they are owed on.
    pub owed: Vec<OwedRollback>,
    /// Values the run published (masked like everything journaled).
    pub published: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Lane {
    pub name: String,
    pub bars: Vec<Bar>,
}

/// What a bar stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BarKind {
    Guard,
    /// A step's attempt that completed.
    Step,
    /// An attempt that failed (the step failed, or a retry follows).
    Failed,
    /// The pause before the next attempt.
    RetryWait,
    /// Waiting for an operator's (or a flag's) answer.
    Confirmation,
    Rollback,
    /// A rollback that failed: the system may be half-changed.
    RollbackFailed,
    Finally,
    /// Started and never ended in the journal: the run died there.
    Unfinished,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub kind: BarKind,
    /// The step it belongs to, if any.
    pub step: Option<String>,
    pub label: String,
    /// From the run's start.
    pub start_ms: u64,
    pub duration_ms: u64,
    /// The error or answer, when there is one.
    pub detail: Option<String>,
}

/// One event, for the table under the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// From the run's start.
    pub at_ms: u64,
    /// The wall-clock time, in the run's time zone.
    pub time: String,
    pub event: String,
    pub lane: String,
    pub step: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OwedRollback {
    pub step: String,
    pub hosts: Vec<String>,
}

/// Bars and rows as the events are read.
#[derive(Default)]
struct Builder {
    lanes: BTreeMap<String, Vec<Bar>>,
    rows: Vec<Row>,
    output_rows: usize,
    output_left_out: usize,
    /// Open attempts by step: (start, attempt, attempts, title).
    attempts: BTreeMap<String, (u64, u32, u32, String)>,
    /// Steps whose current attempt ran on hosts (their bars come from the hosts).
    on_hosts: BTreeMap<String, Vec<String>>,
    /// The hosts a step's next attempt runs on: those where the last one failed.
    retry_hosts: BTreeMap<String, Vec<String>>,
    /// Open confirmations by id: (start, message).
    asked: BTreeMap<String, (u64, String)>,
    /// Open rollbacks by (step, lane): (start, title).
    rolling_back: BTreeMap<(String, String), (u64, String)>,
    /// Whether hosts reported the guard or `finally` being checked (then they have the bars).
    hosts_reported: bool,
    /// The time of the previous event: where a body without a start event began.
    last: u64,
}

impl Builder {
    fn bar(&mut self, lane: &str, bar: Bar) {
        self.lanes.entry(lane.to_string()).or_default().push(bar);
    }

    /// A bar from `start` to `end`.
    #[allow(clippy::too_many_arguments)] // each is one column of the bar
    fn span(
        &mut self,
        lane: &str,
        kind: BarKind,
        step: Option<&str>,
        label: String,
        start: u64,
        end: u64,
        detail: Option<String>,
    ) {
        self.bar(
            lane,
            Bar {
                kind,
                step: step.map(str::to_string),
                label,
                start_ms: start,
                duration_ms: end.saturating_sub(start),
                detail,
            },
        );
    }

    #[allow(
        clippy::too_many_lines,
        reason = "one short arm per kind of event, each placing it on the timeline: the match is the table of events"
    )]
    fn read(&mut self, event: &Event, at: u64) {
        match event {
            Event::GuardChecked {
                title,
                status,
                message,
                ..
            } => {
                // Hosts that checked it drew their own bars.
                if std::mem::take(&mut self.hosts_reported) {
                    return;
                }
                let failed = *status == crate::context::event::GuardStatus::Failed;
                let kind = if failed {
                    BarKind::Failed
                } else {
                    BarKind::Guard
                };
                let label = format!("guard: {title}");
                self.span(LOCAL, kind, None, label, self.last, at, message.clone());
            }
            Event::StepStarted {
                step,
                title,
                attempt,
                attempts,
                ..
            } => {
                self.attempts
                    .insert(step.clone(), (at, *attempt, *attempts, title.clone()));
                self.on_hosts.remove(step);
            }
            Event::HostFinished {
                step,
                phase,
                host,
                ok,
                error,
                duration_ms,
                ..
            } => self.host_finished(step.as_deref(), *phase, host, *ok, error, *duration_ms, at),
            Event::StepRetrying {
                step,
                attempt,
                error,
                delay_ms,
                ..
            } => {
                let lanes = self.close_attempt(step, at, false, Some(error.clone()));
                if lanes != [LOCAL] {
                    self.retry_hosts.insert(step.clone(), lanes.clone());
                }
                for lane in lanes {
                    let label = format!("{step}: wait before attempt {}", attempt + 1);
                    self.span(
                        &lane,
                        BarKind::RetryWait,
                        Some(step),
                        label,
                        at,
                        at + delay_ms,
                        None,
                    );
                }
            }
            Event::StepFinished { step, duration_ms } => {
                if let Some((start, ..)) = self.attempts.get_mut(step) {
                    // The runner's own measure is the most exact start.
                    *start = at.saturating_sub(*duration_ms).max(*start);
                }
                self.close_attempt(step, at, true, None);
            }
            Event::StepFailed { step, error, .. } => {
                self.close_attempt(step, at, false, Some(error.clone()));
            }
            Event::ConfirmationAsked { id, message, .. } => {
                self.asked.insert(id.clone(), (at, message.clone()));
            }
            Event::ConfirmationAnswered { id, answer, by } => {
                if let Some((start, message)) = self.asked.remove(id) {
                    let answer = format!("{answer:?} ({by:?})").to_lowercase();
                    let step = (!id.is_empty()).then_some(id.as_str());
                    let label = format!("confirm: {message}");
                    let detail = Some(answer);
                    self.span(LOCAL, BarKind::Confirmation, step, label, start, at, detail);
                }
            }
            Event::RollbackStarted { step, title, host } => {
                let lane = host.clone().unwrap_or_else(|| LOCAL.into());
                self.rolling_back
                    .insert((step.clone(), lane), (at, title.clone()));
            }
            Event::RollbackFinished {
                step,
                host,
                ok,
                error,
                ..
            } => {
                let lane = host.clone().unwrap_or_else(|| LOCAL.into());
                let start = self
                    .rolling_back
                    .remove(&(step.clone(), lane.clone()))
                    .map_or(at, |(start, _)| start);
                let kind = if *ok {
                    BarKind::Rollback
                } else {
                    BarKind::RollbackFailed
                };
                let label = format!("rollback of {step}");
                self.span(&lane, kind, Some(step), label, start, at, error.clone());
            }
            Event::FinallyFinished { ok, error, .. } => {
                if std::mem::take(&mut self.hosts_reported) {
                    return;
                }
                let kind = if *ok {
                    BarKind::Finally
                } else {
                    BarKind::Failed
                };
                let (start, label) = (self.last, "finally".to_string());
                self.span(LOCAL, kind, None, label, start, at, error.clone());
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)] // the fields of one event
    fn host_finished(
        &mut self,
        step: Option<&str>,
        phase: Phase,
        host: &str,
        ok: bool,
        error: &Option<String>,
        duration_ms: u64,
        at: u64,
    ) {
        let start = at.saturating_sub(duration_ms);
        let failed = if ok { None } else { Some(BarKind::Failed) };
        let (kind, label) = match (phase, step) {
            (Phase::Guard, _) => {
                self.hosts_reported = true;
                (failed.unwrap_or(BarKind::Guard), "guard".to_string())
            }
            (Phase::Finally, _) => {
                self.hosts_reported = true;
                (failed.unwrap_or(BarKind::Finally), "finally".into())
            }
            (Phase::When, Some(step)) => {
                (failed.unwrap_or(BarKind::Guard), format!("{step}: when"))
            }
            (Phase::Body, Some(step)) => {
                self.on_hosts
                    .entry(step.to_string())
                    .or_default()
                    .push(host.to_string());
                let attempt = self.attempts.get(step).map_or(1, |a| a.1);
                let label = if attempt > 1 {
                    format!("{step} (attempt {attempt})")
                } else {
                    step.to_string()
                };
                (failed.unwrap_or(BarKind::Step), label)
            }
            // Rollbacks on hosts have their own start and end events.
            _ => return,
        };
        self.span(host, kind, step, label, start, at, error.clone());
    }

    /// Ends a step's attempt: a bar on `local` unless its hosts drew their own. Returns the
    /// lanes the attempt ran on that failed (where a retry waits).
    fn close_attempt(
        &mut self,
        step: &str,
        at: u64,
        ok: bool,
        error: Option<String>,
    ) -> Vec<String> {
        let Some((start, attempt, attempts, title)) = self.attempts.remove(step) else {
            return Vec::new();
        };
        if let Some(hosts) = self.on_hosts.remove(step) {
            let failed: Vec<String> = hosts
                .into_iter()
                .filter(|h| {
                    self.lanes.get(h).is_some_and(|bars| {
                        bars.iter()
                            .rev()
                            .find(|b| b.step.as_deref() == Some(step))
                            .is_some_and(|b| b.kind == BarKind::Failed)
                    })
                })
                .collect();
            return failed;
        }
        let kind = if ok { BarKind::Step } else { BarKind::Failed };
        let label = if attempts > 1 {
            format!("{step}: {title} (attempt {attempt} of {attempts})")
        } else {
            format!("{step}: {title}")
        };
        self.span(LOCAL, kind, Some(step), label, start, at, error);
        vec![LOCAL.to_string()]
    }

    /// The event as a row of the table; output lines past [`OUTPUT_ROWS`] are only counted.
    fn row(&mut self, event: &Event, at: u64, time: u64, zone: &chrono::FixedOffset) {
        if matches!(event, Event::Output { .. }) {
            if self.output_rows == OUTPUT_ROWS {
                self.output_left_out += 1;
                return;
            }
            self.output_rows += 1;
        }
        let described = event_row::describe(event, LOCAL);
        let clock = i64::try_from(time)
            .ok()
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.with_timezone(zone).format("%H:%M:%S%.3f").to_string())
            .unwrap_or_default();
        self.rows.push(Row {
            at_ms: at,
            time: clock,
            event: described.event.into(),
            lane: described.lane,
            step: described.step,
            text: described.text,
        });
    }

    /// What the journal left open: the run died (or is still running) there.
    fn unfinished(&mut self, end: u64) {
        for (step, (start, attempt, _, title)) in std::mem::take(&mut self.attempts) {
            // Hosts report only when they end: an attempt cut short shows on the hosts it was
            // retried on that had not ended, else on `local`.
            let ended = self.on_hosts.remove(&step).unwrap_or_default();
            let mut lanes: Vec<String> = self
                .retry_hosts
                .remove(&step)
                .unwrap_or_default()
                .into_iter()
                .filter(|h| !ended.contains(h))
                .collect();
            if lanes.is_empty() {
                lanes.push(LOCAL.to_string());
            }
            for lane in lanes {
                let label = format!("{step}: {title} (attempt {attempt}), no end journaled");
                self.open_span(&lane, Some(&step), label, start, end);
            }
        }
        for (id, (start, message)) in std::mem::take(&mut self.asked) {
            let step = (!id.is_empty()).then_some(id.as_str());
            let label = format!("confirm: {message}, never answered");
            self.open_span(LOCAL, step, label, start, end);
        }
        for ((step, lane), (start, _)) in std::mem::take(&mut self.rolling_back) {
            let label = format!("rollback of {step}, no end journaled");
            self.open_span(&lane, Some(&step), label, start, end);
        }
    }

    /// A bar the journal never closed, drawn up to `end`.
    fn open_span(&mut self, lane: &str, step: Option<&str>, label: String, start: u64, end: u64) {
        self.span(lane, BarKind::Unfinished, step, label, start, end, None);
    }
}

impl Timeline {
    /// The timeline of a journaled run.
    pub fn new(record: &RunRecord) -> Self {
        let header = &record.header;
        let zone = chrono::DateTime::parse_from_rfc3339(&header.started)
            .map_or_else(|_| chrono::FixedOffset::east_opt(0), |d| Some(*d.offset()))
            .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()));
        // Events from journals without times sit at the last known time.
        let mut known = None;
        let times: Vec<u64> = record
            .times
            .iter()
            .map(|t| {
                known = t.or(known);
                known.unwrap_or(0)
            })
            .collect();
        let origin = times.first().copied().unwrap_or(0);
        let mut builder = Builder::default();
        let (mut runbook, mut title) = (String::new(), String::new());
        for (event, &time) in record.events.iter().zip(&times) {
            let at = time.saturating_sub(origin);
            if let Event::RunStarted {
                runbook: name,
                title: t,
                ..
            } = event
            {
                runbook.clone_from(name);
                title.clone_from(t);
            }
            builder.read(event, at);
            builder.row(event, at, time, &zone);
            builder.last = at;
        }
        let end = builder.last;
        builder.unfinished(end);
        let mut lanes: Vec<Lane> = Vec::new();
        let local = builder.lanes.remove(LOCAL).unwrap_or_default();
        lanes.push(Lane {
            name: LOCAL.into(),
            bars: local,
        });
        lanes.extend(
            std::mem::take(&mut builder.lanes)
                .into_iter()
                .map(|(name, bars)| Lane { name, bars }),
        );
        for lane in &mut lanes {
            lane.bars.sort_by_key(|b| (b.start_ms, b.duration_ms));
        }
        Self {
            run: header.run.clone(),
            runbook,
            file: header.file.display().to_string(),
            procedure: header.procedure.clone(),
            title,
            who: header.who.clone(),
            pid: header.pid,
            started: header.started.clone(),
            status: record.state().name().to_string(),
            duration_ms: end,
            lanes,
            events: builder.rows,
            output_left_out: builder.output_left_out,
            owed: record
                .owed()
                .into_iter()
                .map(|o| OwedRollback {
                    step: o.step,
                    hosts: o.hosts,
                })
                .collect(),
            published: record
                .published()
                .into_iter()
                .map(|v| {
                    let text = match v.json {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    let name = match v.host {
                        Some(host) => format!("{} on {host}", v.name),
                        None => v.name,
                    };
                    (name, text)
                })
                .collect(),
        }
    }

    pub fn render_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

#[cfg(test)]
mod tests;
