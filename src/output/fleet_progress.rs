//! The live count of a step fanned out over many hosts, for the terminal's spinner: hosts
//! done, failed and left, and when the rest should be done at the pace so far (once a tenth
//! are done: before, the first hosts are still connecting, all at once).

use crate::language::duration;
use std::time::{Duration, Instant};

/// From this many hosts, a step shows its count while it runs.
const FROM_HOSTS: usize = 2;

pub struct FleetProgress {
    label: String,
    total: usize,
    done: usize,
    failed: usize,
    started: Instant,
}

impl FleetProgress {
    /// The count of a step over `hosts` hosts, or none for fewer than are worth counting.
    pub fn start(label: String, hosts: usize) -> Option<Self> {
        (hosts >= FROM_HOSTS).then(|| Self {
            label,
            total: hosts,
            done: 0,
            failed: 0,
            started: Instant::now(),
        })
    }

    pub fn finished(&mut self, ok: bool) {
        self.done += 1;
        if !ok {
            self.failed += 1;
        }
    }

    /// Hosts not finished: once the step is over, those it never started.
    pub fn left(&self) -> usize {
        self.total.saturating_sub(self.done)
    }

    /// `deploy — 37/200 hosts done, 2 failed, 163 left, about 41s to go`.
    pub fn message(&self) -> String {
        self.worded(self.started.elapsed())
    }

    fn worded(&self, elapsed: Duration) -> String {
        let left = self.left();
        let mut text = format!(
            "{} — {}/{} hosts done, {} failed, {left} left",
            self.label, self.done, self.total, self.failed
        );
        if self.done * 10 >= self.total && self.done > 0 && left > 0 {
            let per_host = elapsed.div_f64(self.done as f64);
            let to_go = per_host.mul_f64(left as f64);
            text.push_str(&format!(", about {} to go", duration::elapsed(to_go)));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::FleetProgress;
    use std::time::Duration;

    #[test]
    fn the_count_says_done_failed_left_and_the_time_to_go_at_the_pace_so_far() {
        assert!(FleetProgress::start("one".into(), 1).is_none());
        let mut p = FleetProgress::start("deploy".into(), 200).expect("a fleet");
        assert_eq!(
            p.worded(Duration::ZERO),
            "deploy — 0/200 hosts done, 0 failed, 200 left"
        );
        for n in 0..19 {
            p.finished(n != 3 && n != 9);
        }
        assert_eq!(
            p.worded(Duration::from_secs(10)),
            "deploy — 19/200 hosts done, 2 failed, 181 left",
            "no guess before a tenth are done"
        );
        for _ in 19..50 {
            p.finished(true);
        }
        assert_eq!(
            p.worded(Duration::from_secs(10)),
            "deploy — 50/200 hosts done, 2 failed, 150 left, about 30.0s to go"
        );
    }
}
