//! Running one piece of work on many places (hosts): at most `forks` at once, each on its own
//! thread, and no new one started once more have failed than the policy tolerates. A single
//! place, or one fork, runs inline on the calling thread. A dry-run goes through the places one
//! at a time, in their order ([`spread_in_order`]), so that its events, and the plan made of
//! them, are the same every time.

use crate::language::ast::Tolerance;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

/// Hosts at once when the runbook does not say.
pub const DEFAULT_FORKS: usize = 10;

/// How a fan-out proceeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    pub forks: usize,
    pub tolerate: Tolerance,
}

impl Policy {
    /// Whether `failed` hosts out of `total` are more than tolerated.
    pub fn exceeded(&self, failed: usize, total: usize) -> bool {
        match self.tolerate {
            Tolerance::None => failed > 0,
            Tolerance::All => false,
            Tolerance::Percent(p) => failed * 100 > usize::from(p) * total,
        }
    }
}

/// What happened on each place, in the order the places were given.
#[derive(Debug)]
pub struct Spread<K, T, E> {
    pub done: Vec<(K, T)>,
    pub failed: Vec<(K, E)>,
    /// Not started: the policy stopped the fan-out first.
    pub not_run: Vec<K>,
}

impl<K: Clone, T, E> Spread<K, T, E> {
    pub fn done_places(&self) -> Vec<K> {
        self.done.iter().map(|(h, _)| h.clone()).collect()
    }
}

/// Runs `each` for every place; returns when all started places are finished.
pub fn spread<K: Clone + Sync, T: Send, E: Send>(
    hosts: &[K],
    policy: Policy,
    each: impl Fn(&K) -> Result<T, E> + Sync,
) -> Spread<K, T, E> {
    spread_with(hosts, policy, false, each)
}

/// Runs `each` for every place, one at a time in their order, on the calling thread. The places
/// a parallel run would start before any failure is known (the first `forks`) run whatever
/// fails; after them, the policy stops the fan-out as [`spread`] does.
pub fn spread_in_order<K: Clone + Sync, T: Send, E: Send>(
    hosts: &[K],
    policy: Policy,
    each: impl Fn(&K) -> Result<T, E> + Sync,
) -> Spread<K, T, E> {
    spread_with(hosts, policy, true, each)
}

fn spread_with<K: Clone + Sync, T: Send, E: Send>(
    hosts: &[K],
    policy: Policy,
    in_order: bool,
    each: impl Fn(&K) -> Result<T, E> + Sync,
) -> Spread<K, T, E> {
    let queue: Mutex<VecDeque<(usize, &K)>> = Mutex::new(hosts.iter().enumerate().collect());
    let results: Mutex<Vec<Option<Result<T, E>>>> =
        Mutex::new(hosts.iter().map(|_| None).collect());
    let failures = Mutex::new(0usize);
    let halted = AtomicBool::new(false);
    let workers = if in_order {
        1
    } else {
        policy.forks.clamp(1, hosts.len().max(1))
    };
    // In order, the places a parallel run starts at once are not held back by a failure.
    let started_at_once = if in_order { policy.forks.max(1) } else { 0 };
    let work = || {
        loop {
            let mut queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
            let at_once = queue
                .front()
                .is_some_and(|(index, _)| *index < started_at_once);
            if halted.load(Ordering::SeqCst) && !at_once {
                return;
            }
            let next = queue.pop_front();
            drop(queue);
            let Some((index, host)) = next else {
                return;
            };
            let result = each(host);
            if result.is_err() {
                let mut failed = failures.lock().unwrap_or_else(PoisonError::into_inner);
                *failed += 1;
                if policy.exceeded(*failed, hosts.len()) {
                    halted.store(true, Ordering::SeqCst);
                }
            }
            results.lock().unwrap_or_else(PoisonError::into_inner)[index] = Some(result);
        }
    };
    if workers == 1 {
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(work);
            }
        });
    }
    let mut spread = Spread {
        done: Vec::new(),
        failed: Vec::new(),
        not_run: Vec::new(),
    };
    let results = results.into_inner().unwrap_or_else(PoisonError::into_inner);
    for (host, result) in hosts.iter().zip(results) {
        match result {
            Some(Ok(value)) => spread.done.push((host.clone(), value)),
            Some(Err(error)) => spread.failed.push((host.clone(), error)),
            None => spread.not_run.push(host.clone()),
        }
    }
    spread
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn hosts(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("h{i}")).collect()
    }

    fn policy(forks: usize, tolerate: Tolerance) -> Policy {
        Policy { forks, tolerate }
    }

    #[test]
    fn every_host_runs_and_results_keep_host_order() {
        let spread = spread(&hosts(7), policy(3, Tolerance::None), |h| {
            Ok::<_, ()>(h.len())
        });
        assert_eq!(spread.done_places(), hosts(7));
        assert!(spread.failed.is_empty() && spread.not_run.is_empty());
    }

    #[test]
    fn never_more_than_forks_at_once() {
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        spread(&hosts(12), policy(4, Tolerance::None), |_| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(20));
            running.fetch_sub(1, Ordering::SeqCst);
            Ok::<_, ()>(())
        });
        let peak = peak.load(Ordering::SeqCst);
        assert!((2..=4).contains(&peak), "peak {peak}");
    }

    #[test]
    fn in_order_every_place_runs_in_its_turn_and_the_first_forks_whatever_fails() {
        let order = Mutex::new(Vec::new());
        let spread = spread_in_order(&hosts(6), policy(3, Tolerance::None), |h| {
            order.lock().unwrap().push(h.clone());
            if h == "h2" { Err("boom") } else { Ok(()) }
        });
        assert_eq!(*order.lock().unwrap(), ["h1", "h2", "h3"]);
        assert_eq!(spread.done_places(), ["h1", "h3"]);
        assert_eq!(spread.not_run, ["h4", "h5", "h6"]);
        let all = spread_in_order(&hosts(4), policy(2, Tolerance::All), |h| {
            if h == "h1" { Err("boom") } else { Ok(()) }
        });
        assert_eq!(all.done_places(), ["h2", "h3", "h4"]);
    }

    #[test]
    fn the_first_failure_stops_new_hosts_by_default() {
        let spread = spread(&hosts(5), policy(1, Tolerance::None), |h| {
            if h == "h2" { Err("boom") } else { Ok(()) }
        });
        assert_eq!(spread.done_places(), ["h1"]);
        assert_eq!(spread.failed.len(), 1);
        assert_eq!(spread.not_run, ["h3", "h4", "h5"]);
    }

    #[test]
    fn tolerate_all_runs_everything() {
        let spread = spread(&hosts(4), policy(2, Tolerance::All), |h| {
            if h == "h1" || h == "h3" {
                Err(())
            } else {
                Ok(())
            }
        });
        assert_eq!(spread.done_places(), ["h2", "h4"]);
        assert_eq!(spread.failed.len(), 2);
        assert!(spread.not_run.is_empty());
    }

    #[test]
    fn a_percentage_stops_once_exceeded() {
        let p = policy(1, Tolerance::Percent(25));
        assert!(!p.exceeded(1, 4) && p.exceeded(2, 4));
        let spread = spread(&hosts(8), p, |h| {
            if ["h1", "h2", "h3"].contains(&h.as_str()) {
                Err(())
            } else {
                Ok(())
            }
        });
        // 2 of 8 is within 25%, the third failure is not: h4.. never start.
        assert_eq!(spread.failed.len(), 3);
        assert_eq!(spread.not_run.len(), 5);
    }
}
