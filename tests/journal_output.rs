//! The journal keeps the head and the tail of each step's output, with a count and size of the
//! lines left out between them, while every line is still streamed live; `show`, `rollback` and
//! `resume` work on such a journal.

use crate::harness::{Test, run_id};
use crate::journal::{kill9, wait_for};
use std::path::Path;
use std::process::Stdio;

const LINES: u64 = 200_000;

const CHATTY: &str = r#"runbook "chatty" {
  procedure p {
    step loud { sh("seq 1 200000"); }
    step quiet { sh("echo done"); }
  }
}"#;

/// The numbers printed on output rows (`  │ 42`), in order.
fn numbers(text: &str) -> Vec<u64> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("│ ")?.parse().ok())
        .collect()
}

fn journal(dir: &Path, id: &str) -> String {
    std::fs::read_to_string(dir.join(format!(".runbook/runs/{id}.jsonl"))).unwrap()
}

fn show(dir: &Path, id: &str) -> crate::harness::Output {
    Test::new()
        .args(["show", id, "--state-dir"])
        .arg_path(&dir.join(".runbook"))
        .run()
}

/// Bytes of `seq`'s lines `from..=to`, newlines included.
fn seq_bytes(from: u64, to: u64) -> u64 {
    (from..=to).map(|n| n.to_string().len() as u64 + 1).sum()
}

#[test]
fn a_chatty_step_streams_every_line_and_journals_its_head_and_tail() {
    let out = Test::new().runbook(CHATTY).args(["run", "main.rb42"]).run();
    out.code(0);
    let live = numbers(&out.stdout);
    assert_eq!(live.len() as u64, LINES, "every line is streamed live");
    assert_eq!(live, (1..=LINES).collect::<Vec<_>>());

    let id = run_id(&out.dir);
    let journal = journal(&out.dir, &id);
    // The default: 500 first and 500 last lines of `loud`, and `quiet`'s one line.
    let output_lines: Vec<&str> = journal
        .lines()
        .filter(|l| l.contains(r#""event":"output""#))
        .collect();
    assert_eq!(output_lines.len(), 1001);
    let longest = output_lines.iter().map(|l| l.len()).max().unwrap();
    let others = journal.lines().count() - output_lines.len();
    assert!(
        journal.len() <= 1001 * (longest + 1) + others * 512,
        "the journal is {} bytes",
        journal.len()
    );

    let left = LINES - 1000;
    let bytes = seq_bytes(501, LINES - 500);
    assert!(
        journal.contains(&format!(
            r#""event":"output_left_out","step":"loud","lines":{left},"bytes":{bytes}}}"#
        )),
        "{journal}"
    );
    let shown = show(&out.dir, &id);
    shown
        .code(0)
        .stdout_has("│ … 199,000 lines (1.3 MB) left out of the journal …")
        .stdout_has("│ done");
    let numbers = numbers(&shown.stdout);
    let expected: Vec<u64> = (1..=500).chain(LINES - 499..=LINES).collect();
    assert_eq!(numbers, expected, "show prints the head then the tail");
    let order = shown.lines_with(&["│ 500", "left out", "│ 199501"]);
    assert_eq!(order.len(), 3, "{order:?}");
    assert!(order[1].contains("left out"), "{order:?}");
}

#[test]
fn the_bound_is_set_per_run_by_flag_or_environment() {
    let small = Test::new()
        .runbook(CHATTY)
        .args(["run", "main.rb42", "--journal-output", "10"])
        .run();
    small.code(0);
    assert_eq!(numbers(&small.stdout).len() as u64, LINES);
    let shown = show(&small.dir, &run_id(&small.dir));
    let kept: Vec<u64> = (1..=5).chain(LINES - 4..=LINES).collect();
    assert_eq!(numbers(&shown.stdout), kept);
    shown.stdout_has("… 199,990 lines");

    let all = Test::new()
        .runbook(&CHATTY.replace("200000", "3000"))
        .env("RUNBOOK_JOURNAL_OUTPUT", "all")
        .args(["run", "main.rb42"])
        .run();
    all.code(0);
    let shown = show(&all.dir, &run_id(&all.dir));
    assert_eq!(numbers(&shown.stdout), (1..=3000).collect::<Vec<_>>());
    shown.stdout_lacks("left out of the journal");

    let wrong = Test::new()
        .runbook(CHATTY)
        .args(["run", "main.rb42", "--journal-output", "lots"])
        .run();
    wrong
        .code(2)
        .stderr_has("`lots` is not a number of output lines");
}

const KILLED: &str = r#"runbook "k" {
  procedure p {
    step a { sh("seq 1 5000; touch a"); } rollback { sh("seq 1 3000; touch undone"); }
    step b { sh("seq 1 4000; touch started; test -f ok || sleep 30"); }
  }
}"#;

/// A run of [`KILLED`] killed with `kill -9` in step b: a's rollback is owed.
fn killed() -> (Test, String) {
    let test = Test::new().runbook(KILLED);
    let dir = test.path().to_path_buf();
    let mut child = test
        .command()
        .args(["run", "main.rb42"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&dir.join("started"));
    kill9(&mut child);
    let id = run_id(&dir);
    (test, id)
}

#[test]
fn rollback_of_a_bounded_journal_undoes_what_it_owes() {
    let (test, id) = killed();
    assert!(journal(test.path(), &id).contains(r#""lines":4000,"#));
    let back = test
        .args(["rollback", &id, "--yes", "--journal-output", "10"])
        .run();
    back.code(0).stdout_has("rolled back a");
    assert_eq!(numbers(&back.stdout).len(), 3000, "streamed live");
    assert!(back.exists("undone"));
    let shown = show(&back.dir, &id);
    shown
        .code(0)
        .stdout_has("… 4,000 lines (")
        .stdout_has("… 2,990 lines (")
        .stdout_has("no rollback owed");
}

#[test]
fn resume_of_a_bounded_journal_starts_at_the_step_that_did_not_finish() {
    let (test, id) = killed();
    std::fs::write(test.path().join("ok"), "").unwrap();
    let resumed = test.args(["resume", &id, "--yes", "--break-lock"]).run();
    resumed.code(0).stdout_has("[2/2] b");
    assert!(!resumed.stdout.contains("[1/2] a"), "a is not run again");
    assert_eq!(numbers(&resumed.stdout).len(), 4000, "streamed live");
    let shown = show(&resumed.dir, &id);
    shown
        .code(0)
        .stdout_has("succeeded")
        .stdout_has("… 3,000 lines (")
        .stdout_has("rollbacks owed");
}

/// A step that keeps its own bound, one that keeps all, one that follows the run's.
const PER_STEP: &str = r#"runbook "per-step" {
  procedure p {
    step small journal 10 { sh("seq 1 3000"); }
    step whole journal all { sh("seq 1 3000"); }
    step usual { sh("seq 1 3000"); }
  }
}"#;

#[test]
fn a_step_sets_its_own_bound_over_the_run() {
    let out = Test::new()
        .runbook(PER_STEP)
        .args(["run", "main.rb42", "--journal-output", "100"])
        .run();
    out.code(0);
    assert_eq!(
        numbers(&out.stdout).len(),
        9000,
        "every line is streamed live"
    );
    let shown = show(&out.dir, &run_id(&out.dir));
    shown.code(0);
    let small: Vec<u64> = (1..=5).chain(2996..=3000).collect();
    let whole: Vec<u64> = (1..=3000).collect();
    let usual: Vec<u64> = (1..=50).chain(2951..=3000).collect();
    let expected: Vec<u64> = [small, whole, usual].concat();
    assert_eq!(numbers(&shown.stdout), expected);
    let cut: Vec<String> = shown
        .stdout
        .lines()
        .filter(|l| l.contains("left out of the journal"))
        .map(str::trim)
        .map(str::to_string)
        .collect();
    assert_eq!(
        cut,
        [
            format!(
                "│ … 2,990 lines ({}) left out of the journal …",
                size(seq_bytes(6, 2995))
            ),
            format!(
                "│ … 2,900 lines ({}) left out of the journal …",
                size(seq_bytes(51, 2950))
            ),
        ]
    );
}

/// `14,685` bytes as `show` words them: `14.7 kB`.
fn size(bytes: u64) -> String {
    format!("{:.1} kB", bytes as f64 / 1000.0)
}

#[test]
fn a_step_bound_is_checked() {
    let out = Test::new()
        .runbook(&PER_STEP.replace("journal 10", "journal lots"))
        .args(["check", "main.rb42"])
        .run();
    out.code(2)
        .stderr_has("expected `all` or a whole number, found `l`")
        .stderr_has("main.rb42:3:24");
    let twice = Test::new()
        .runbook(&PER_STEP.replace("journal 10", "journal 10 journal all"))
        .args(["check", "main.rb42"])
        .run();
    twice
        .code(2)
        .stderr_has("`journal` is given twice on step `small`");
}

/// A secret the command prints in two writes, so that it reaches runbook in two reads.
const SPLIT_SECRET: &str = r#"runbook "split" {
  secret token from env "API_TOKEN"
  procedure p {
    step leak {
      let head = token.sub_string(0, 5);
      let rest = token.sub_string(5);
      sh(`seq 1 3000; printf 'before %s' ${head}; sleep 0.5; printf '%s after\n' ${rest}; seq 1 3000`);
    }
  }
}"#;

#[test]
fn a_secret_cut_between_two_reads_is_still_masked() {
    let out = Test::new()
        .runbook(SPLIT_SECRET)
        .env("API_TOKEN", "t0k3n-v4lue")
        .args(["run", "main.rb42", "--journal-output", "all"])
        .run();
    out.code(0).stdout_has("│ before *** after");
    assert!(!out.stdout.contains("t0k3n-v4lue"), "{}", out.stdout);
    let id = run_id(&out.dir);
    let journal = journal(&out.dir, &id);
    assert!(
        journal.contains(r#""line":"before *** after""#),
        "{journal}"
    );
    assert!(!journal.contains("t0k3n-v4lue"));
    show(&out.dir, &id).code(0).stdout_has("│ before *** after");
}
