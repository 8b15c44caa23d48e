//! How much of a step's output the journal keeps: the first lines and the last lines of each
//! step on each host, and between them one `output_left_out` record counting the lines left out
//! and their size. Everything is still streamed live; only the journal is bounded, so a command
//! printing hundreds of megabytes cannot fill the disk with its journal.
//!
//! Lines, not bytes, as Rundeck's "lines per node" log limit: a person reading a journal reads
//! the start (what the command was doing) and the end (how it ended), and a line is kept whole.

use crate::context::event::OutputLines;
use crate::context::event::{Event, Stream};
use crate::language::ast::Procedure;
use crate::language::output_limit::OutputLimit;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// The output of one step on one host (or here), as the journal is keeping it.
#[derive(Default)]
struct Kept {
    /// Lines journaled as the head.
    head: usize,
    /// The last lines seen past the head, not journaled yet.
    tail: VecDeque<(Stream, String)>,
    left_out_lines: u64,
    left_out_bytes: u64,
}

impl Kept {
    fn leave_out(&mut self, line: &str) {
        self.left_out_lines += 1;
        self.left_out_bytes += line.len() as u64 + 1;
    }
}

/// Which output: the step (none: outside steps) and the host (none: here).
type Key = (Option<String>, Option<String>);

/// Decides which events reach the journal.
pub struct OutputBound {
    /// The run's limit (`--journal-output`).
    limit: OutputLimit,
    /// The steps' own (`journal N` on a step), which replace the run's for their output.
    steps: HashMap<String, OutputLimit>,
    kept: BTreeMap<Key, Kept>,
}

impl OutputBound {
    pub fn new(limit: OutputLimit) -> Self {
        Self {
            limit,
            steps: HashMap::new(),
            kept: BTreeMap::new(),
        }
    }

    /// With the limits steps set themselves.
    #[must_use]
    pub fn with_steps(mut self, steps: impl IntoIterator<Item = (String, OutputLimit)>) -> Self {
        self.steps.extend(steps);
        self
    }

    /// The run's `limit`, and the limits the steps of `procedure` set themselves.
    pub fn for_procedure(limit: OutputLimit, procedure: &Procedure) -> Self {
        Self::new(limit).with_steps(
            procedure
                .steps()
                .filter_map(|step| Some((step.id.text.clone(), step.journal?))),
        )
    }

    fn limit_of(&self, step: Option<&String>) -> OutputLimit {
        step.and_then(|s| self.steps.get(s))
            .copied()
            .unwrap_or(self.limit)
    }

    /// Passes `event` on to `journal`, with whatever it releases before it: an output line is
    /// journaled at once while in its step's head, else held as part of the tail; any other
    /// event first journals the tails held (after a count of the lines left out), so the
    /// journal keeps the order things happened in.
    pub fn pass<E>(
        &mut self,
        event: &Event,
        journal: &mut impl FnMut(&Event) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Event::Output {
            step,
            host,
            stream,
            line,
        } = event
        {
            let batch = OutputLines {
                step: step.clone(),
                host: host.clone(),
                stream: *stream,
                lines: vec![line.clone()],
            };
            return self.pass_lines(&batch, journal);
        }
        self.release(journal)?;
        // A new attempt of a step, or its rollback, starts a new head; a step that ended
        // forgets its counts (a runbook may have thousands of steps).
        match event {
            Event::StepStarted { step, .. }
            | Event::StepFinished { step, .. }
            | Event::StepFailed { step, .. } => {
                self.kept.retain(|(s, _), _| s.as_ref() != Some(step))
            }
            Event::RollbackStarted { step, host, .. } => {
                self.kept.remove(&(Some(step.clone()), host.clone()));
            }
            _ => {}
        }
        journal(event)
    }

    /// Passes a batch of output lines as [`OutputBound::pass`] passes each: lines in the head
    /// are journaled, the last ones are held as the tail, the others only counted (a line the
    /// rest of its batch would push out of the tail is never copied).
    pub fn pass_lines<E>(
        &mut self,
        batch: &OutputLines,
        journal: &mut impl FnMut(&Event) -> Result<(), E>,
    ) -> Result<(), E> {
        let OutputLimit::Lines { head, tail } = self.limit_of(batch.step.as_ref()) else {
            return batch.events().try_for_each(|event| journal(&event));
        };
        let kept = self
            .kept
            .entry((batch.step.clone(), batch.host.clone()))
            .or_default();
        for (i, line) in batch.lines.iter().enumerate() {
            if kept.head < head {
                kept.head += 1;
                journal(&Event::Output {
                    step: batch.step.clone(),
                    host: batch.host.clone(),
                    stream: batch.stream,
                    line: line.clone(),
                })?;
            } else if batch.lines.len() - i > tail {
                kept.leave_out(line);
            } else {
                kept.tail.push_back((batch.stream, line.clone()));
                if kept.tail.len() > tail
                    && let Some((_, old)) = kept.tail.pop_front()
                {
                    kept.leave_out(&old);
                }
            }
        }
        Ok(())
    }

    /// Journals the tails held, each after the count of the lines left out before it.
    fn release<E>(&mut self, journal: &mut impl FnMut(&Event) -> Result<(), E>) -> Result<(), E> {
        for ((step, host), kept) in &mut self.kept {
            if kept.left_out_lines > 0 {
                journal(&Event::OutputLeftOut {
                    step: step.clone(),
                    host: host.clone(),
                    lines: kept.left_out_lines,
                    bytes: kept.left_out_bytes,
                })?;
                kept.left_out_lines = 0;
                kept.left_out_bytes = 0;
            }
            for (stream, line) in kept.tail.drain(..) {
                journal(&Event::Output {
                    step: step.clone(),
                    host: host.clone(),
                    stream,
                    line,
                })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{OutputBound, OutputLimit};
    use crate::context::event::OutputLines;
    use crate::context::event::{Event, Stream};

    fn line(host: &str, n: u32) -> Event {
        Event::Output {
            step: Some("s".into()),
            host: Some(host.into()),
            stream: Stream::Stdout,
            line: n.to_string(),
        }
    }

    fn finished() -> Event {
        Event::StepFinished {
            step: "s".into(),
            duration_ms: 1,
        }
    }

    /// What the journal gets of `events` under `limit`.
    fn journaled(limit: OutputLimit, events: &[Event]) -> Vec<Event> {
        let mut bound = OutputBound::new(limit);
        let mut out = Vec::new();
        for event in events {
            bound
                .pass(event, &mut |e: &Event| {
                    out.push(e.clone());
                    Ok::<(), ()>(())
                })
                .unwrap();
        }
        out
    }

    #[test]
    fn each_host_keeps_its_head_and_tail_in_order() {
        let mut events: Vec<Event> = (1..=10)
            .flat_map(|n| [line("a", n), line("b", n)])
            .collect();
        events.push(finished());
        let kept = journaled(OutputLimit::lines(4), &events);
        let left_out = |host: &str| Event::OutputLeftOut {
            step: Some("s".into()),
            host: Some(host.into()),
            lines: 6,
            bytes: 12,
        };
        let expected = vec![
            line("a", 1),
            line("b", 1),
            line("a", 2),
            line("b", 2),
            left_out("a"),
            line("a", 9),
            line("a", 10),
            left_out("b"),
            line("b", 9),
            line("b", 10),
            finished(),
        ];
        assert_eq!(kept, expected);
    }

    #[test]
    fn a_step_limit_replaces_the_run_limit_for_that_step_only() {
        let other = |n: u32| Event::Output {
            step: Some("t".into()),
            host: None,
            stream: Stream::Stderr,
            line: n.to_string(),
        };
        let mut events: Vec<Event> = (1..=5).flat_map(|n| [line("a", n), other(n)]).collect();
        events.push(finished());
        let mut bound = OutputBound::new(OutputLimit::All)
            .with_steps([("s".to_string(), OutputLimit::lines(2))]);
        let mut kept = Vec::new();
        for event in &events {
            bound
                .pass(event, &mut |e: &Event| {
                    kept.push(e.clone());
                    Ok::<(), ()>(())
                })
                .unwrap();
        }
        let of_s: Vec<&Event> = kept
            .iter()
            .filter(|e| !matches!(e, Event::Output { step: Some(s), .. } if s == "t"))
            .collect();
        let left_out = Event::OutputLeftOut {
            step: Some("s".into()),
            host: Some("a".into()),
            lines: 3,
            bytes: 6,
        };
        assert_eq!(
            of_s,
            [&line("a", 1), &left_out, &line("a", 5), &finished()],
            "{kept:?}"
        );
        assert_eq!(kept.len(), 4 + 5, "every line of t is kept");
    }

    /// Lines passed in batches of every size are kept as when passed one by one.
    #[test]
    fn batches_keep_what_single_lines_keep() {
        let lines: Vec<String> = (1..=50).map(|n| n.to_string()).collect();
        let mut single: Vec<Event> = (1..=50).map(|n| line("a", n)).collect();
        single.push(finished());
        let expected = journaled(OutputLimit::lines(7), &single);
        for size in [1, 2, 3, 7, 8, 50] {
            let mut bound = OutputBound::new(OutputLimit::lines(7));
            let mut kept = Vec::new();
            let mut keep = |e: &Event| {
                kept.push(e.clone());
                Ok::<(), ()>(())
            };
            for chunk in lines.chunks(size) {
                let batch = OutputLines {
                    step: Some("s".into()),
                    host: Some("a".into()),
                    stream: Stream::Stdout,
                    lines: chunk.to_vec(),
                };
                bound.pass_lines(&batch, &mut keep).unwrap();
            }
            bound.pass(&finished(), &mut keep).unwrap();
            assert_eq!(kept, expected, "batches of {size}");
        }
    }

    #[test]
    fn all_keeps_every_line_and_few_lines_need_no_count() {
        let events = vec![line("a", 1), line("a", 2), line("a", 3), finished()];
        assert_eq!(journaled(OutputLimit::All, &events), events);
        assert_eq!(journaled(OutputLimit::lines(4), &events), events);
    }
}
