use super::*;
use crate::context::event::{Answer, AnsweredBy, Status};
use crate::diagnostic::error_kind::ErrorKind;
use crate::journal::writer::Header;

fn record(events: Vec<(u64, Event)>) -> RunRecord {
    let (times, events): (Vec<_>, Vec<_>) = events.into_iter().map(|(t, e)| (Some(t), e)).unzip();
    RunRecord {
        path: "r.jsonl".into(),
        header: Header {
            event: "journal".into(),
            run: "r1".into(),
            file: "/x/main.rb42".into(),
            fingerprint: String::new(),
            procedure: "p".into(),
            who: "me".into(),
            pid: u32::MAX,
            started: "2026-12-03T10:00:00+01:00".into(),
            params: Vec::new(),
            rollbacks: None,
        },
        events,
        times,
    }
}

fn started(step: &str, attempt: u32, attempts: u32) -> Event {
    Event::StepStarted {
        step: step.into(),
        title: step.to_uppercase(),
        index: 1,
        total: 2,
        attempt,
        attempts,
        hosts: 0,
    }
}

fn kinds(lane: &Lane) -> Vec<(BarKind, u64, u64)> {
    lane.bars
        .iter()
        .map(|b| (b.kind, b.start_ms, b.duration_ms))
        .collect()
}

#[test]
fn steps_waits_retries_and_rollbacks_become_bars_in_their_lanes() {
    let t0 = 1_764_752_400_000; // 2025-12-03 09:00 UTC
    let timeline = Timeline::new(&record(vec![
        (t0, started("a", 1, 1)),
        (
            t0 + 100,
            Event::StepFinished {
                step: "a".into(),
                duration_ms: 90,
            },
        ),
        (
            t0 + 100,
            Event::ConfirmationAsked {
                id: "b".into(),
                message: "Go?".into(),
                next: Vec::new(),
            },
        ),
        (
            t0 + 400,
            Event::ConfirmationAnswered {
                id: "b".into(),
                answer: Answer::Yes,
                by: AnsweredBy::Operator,
            },
        ),
        (t0 + 400, started("b", 1, 2)),
        (
            t0 + 600,
            Event::HostFinished {
                step: Some("b".into()),
                phase: Phase::Body,
                host: "web1".into(),
                ok: false,
                error: Some("boom".into()),
                error_kind: Some(ErrorKind::ExitStatus),
                duration_ms: 150,
            },
        ),
        (
            t0 + 600,
            Event::StepRetrying {
                step: "b".into(),
                attempt: 1,
                error: "web1: boom".into(),
                error_kind: Some(ErrorKind::ExitStatus),
                delay_ms: 1000,
            },
        ),
        (t0 + 1600, started("b", 2, 2)),
        (
            t0 + 1700,
            Event::RollbackStarted {
                step: "a".into(),
                title: "A".into(),
                host: None,
            },
        ),
        (
            t0 + 1750,
            Event::RollbackFinished {
                step: "a".into(),
                host: None,
                ok: true,
                error: None,
                error_kind: None,
                location: None,
            },
        ),
    ]));
    assert_eq!(timeline.status, "died");
    assert_eq!(timeline.duration_ms, 1750);
    let names: Vec<&str> = timeline.lanes.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["local", "web1"]);
    assert_eq!(
        kinds(&timeline.lanes[0]),
        [
            (BarKind::Step, 10, 90),
            (BarKind::Confirmation, 100, 300),
            (BarKind::Rollback, 1700, 50),
        ]
    );
    assert_eq!(
        kinds(&timeline.lanes[1]),
        [
            (BarKind::Failed, 450, 150),
            (BarKind::RetryWait, 600, 1000),
            (BarKind::Unfinished, 1600, 150),
        ]
    );
    assert_eq!(
        timeline.events[0].time, "10:00:00.000",
        "in the run's time zone"
    );
    assert_eq!(timeline.events.len(), 10);
}

#[test]
fn a_finished_run_has_its_status_and_no_unfinished_bar() {
    let timeline = Timeline::new(&record(vec![
        (5, started("a", 1, 1)),
        (
            9,
            Event::StepFailed {
                step: "a".into(),
                title: "A".into(),
                error: "no".into(),
                error_kind: Some(ErrorKind::Assertion),
                location: None,
            },
        ),
        (
            9,
            Event::RunFinished {
                status: Status::Failed,
                exit_code: 1,
                duration_ms: 4,
                steps_done: 0,
                rolled_back: 0,
                rollbacks_failed: 0,
            },
        ),
    ]));
    assert_eq!(timeline.status, "failed");
    assert_eq!(kinds(&timeline.lanes[0]), [(BarKind::Failed, 0, 4)]);
    assert!(timeline.owed.is_empty());
}
