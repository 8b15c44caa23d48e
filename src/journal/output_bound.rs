//! How much of a step's output the journal keeps: the first lines and the last lines of each
//! step on each host, and between them one `output_left_out` record counting the lines left out
//! and their size. Everything is still streamed live; only the journal is bounded, so a command
//! printing hundreds of megabytes cannot fill the disk with its journal.
//!
//! Lines, not bytes, as Rundeck's "lines per node" log limit: a person reading a journal reads
//! the start (what the command was doing) and the end (how it ended), and a line is kept whole.

use crate::context::event::Event;
use std::collections::{BTreeMap, VecDeque};

/// Output lines kept per step and host, by default: 500 first and 500 last.
pub const DEFAULT_LINES: usize = 1000;

/// What the journal keeps of each step's output on each host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputLimit {
    /// Every line.
    All,
    /// The first `head` and the last `tail` lines.
    Lines { head: usize, tail: usize },
}

impl Default for OutputLimit {
    fn default() -> Self {
        Self::lines(DEFAULT_LINES)
    }
}

impl OutputLimit {
    /// `lines` lines per step and host, half the first ones, half the last ones.
    pub fn lines(lines: usize) -> Self {
        let head = lines / 2;
        Self::Lines {
            head,
            tail: lines - head,
        }
    }

    /// `--journal-output`: a number of lines, or `all`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text == "all" {
            return Ok(Self::All);
        }
        text.parse::<usize>().map(Self::lines).map_err(|_| {
            format!("`{text}` is not a number of output lines to journal per step, nor `all`")
        })
    }
}

/// The output of one step on one host (or here), as the journal is keeping it.
#[derive(Default)]
struct Kept {
    /// Lines journaled as the head.
    head: usize,
    /// The last lines seen past the head, not journaled yet.
    tail: VecDeque<Event>,
    left_out_lines: u64,
    left_out_bytes: u64,
}

/// Which output: the step (none: outside steps) and the host (none: here).
type Key = (Option<String>, Option<String>);

/// Decides which events reach the journal.
pub struct OutputBound {
    limit: OutputLimit,
    kept: BTreeMap<Key, Kept>,
}

impl OutputBound {
    pub fn new(limit: OutputLimit) -> Self {
        Self {
            limit,
            kept: BTreeMap::new(),
        }
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
        let OutputLimit::Lines { head, tail } = self.limit else {
            return journal(event);
        };
        if let Event::Output { step, host, .. } = event {
            let kept = self.kept.entry((step.clone(), host.clone())).or_default();
            if kept.head < head {
                kept.head += 1;
                return journal(event);
            }
            kept.tail.push_back(event.clone());
            if kept.tail.len() > tail
                && let Some(Event::Output { line, .. }) = kept.tail.pop_front()
            {
                kept.left_out_lines += 1;
                kept.left_out_bytes += line.len() as u64 + 1;
            }
            return Ok(());
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
            for line in kept.tail.drain(..) {
                journal(&line)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{OutputBound, OutputLimit};
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
    fn all_keeps_every_line_and_few_lines_need_no_count() {
        let events = vec![line("a", 1), line("a", 2), line("a", 3), finished()];
        assert_eq!(journaled(OutputLimit::All, &events), events);
        assert_eq!(journaled(OutputLimit::lines(4), &events), events);
        assert_eq!(OutputLimit::parse("all"), Ok(OutputLimit::All));
        assert_eq!(
            OutputLimit::parse("1001"),
            Ok(OutputLimit::Lines {
                head: 500,
                tail: 501
            })
        );
        assert!(OutputLimit::parse("-3").is_err());
    }
}
