//! What a run owes and how it says so: a failed rollback is counted as failed, never as rolled
//! back; a run stopped by a guard suggests nothing to finish; `show` and `rollback RUN` agree on
//! what is owed, and a step without a rollback is never owed.

use crate::harness::run_id;
use crate::harness::{Output, Test};
use crate::journal::show;

/// Runs the procedure of `steps` (a step `record` without a rollback, a step `a` whose
/// rollback is `undo_a`, a step `b` that fails); returns the run's output, `runbook show` of
/// its journal, and the test (for `runbook rollback`).
fn run_then_show(undo_a: &str) -> (Output, Output, String) {
    let test = Test::new().runbook(&format!(
        r#"runbook "r" {{
  procedure p {{
    step record {{ sh("touch record"); }}
    step a {{ sh("touch a"); }} rollback {{ {undo_a} }}
    step b {{ fail("b is broken"); }}
  }}
}}"#
    ));
    let dir = test.path().to_path_buf();
    let out = test.args(["run", "main.rb42"]).run();
    let id = run_id(&dir);
    (out, show(&dir, &id), id)
}

fn run(runbook: &str) -> Output {
    Test::new()
        .runbook(runbook)
        .args(["run", "main.rb42"])
        .run()
}

#[test]
fn a_rollback_that_fails_is_counted_as_failed_not_as_rolled_back() {
    let (out, _, _) = run_then_show(r#"fail("cannot undo a");"#);
    out.code(4)
        .stdout_has("b is broken")
        .stdout_has("cannot undo a")
        .stdout_has("(2 done, 1 rollback failed, ")
        .stdout_lacks("rolled back,");
}

#[test]
fn a_run_stopped_by_its_guard_suggests_nothing_to_resume_or_roll_back() {
    let out = run(r#"runbook "r" {
  procedure p {
    guard "never" { false }
    step a { sh("touch a"); } rollback { sh("rm a"); }
  }
}"#);
    out.code(1).stdout_has("a guard failed: nothing was run");
    assert!(
        !out.stderr.contains("runbook resume") && !out.stderr.contains("runbook rollback"),
        "{}",
        out.stderr
    );
    // A run that did something still says how to finish it.
    let out = run(r#"runbook "r" {
  procedure p {
    step a { sh("touch a"); }
    step b { fail("b is broken"); }
  }
}"#);
    out.code(1).stderr_has("`runbook resume ");
}

#[test]
fn show_and_rollback_agree_that_a_run_whose_rollbacks_all_ran_owes_nothing() {
    let (out, show, id) = run_then_show(r#"sh("rm a");"#);
    out.code(1).stdout_has("rolled back a");
    show.code(0)
        .stdout_has("no rollback owed")
        .stdout_lacks("rollbacks owed");
    let back = Test::new()
        .args(["rollback", &id, "--yes", "--state-dir"])
        .arg_path(&out.dir.join(".runbook"))
        .run();
    back.code(0).stdout_has("owes no rollback");
}

#[test]
fn show_lists_only_the_steps_with_a_rollback_as_owed() {
    let (out, show, _) = run_then_show(r#"fail("not now");"#);
    out.code(4);
    show.code(0)
        .stdout_has("rollbacks owed (newest last):\n  a\n")
        .stdout_lacks("  record\n");
}

const NO_ROLLBACK: &str = r#"runbook "r" {
  procedure p {
    step backup { sh("touch backup"); } rollback none "backups are kept: nothing to undo"

    step a { sh("touch a"); } rollback { sh("rm a"); }
  }
}
"#;

#[test]
fn a_step_says_why_it_owes_no_rollback_and_every_view_shows_it() {
    let check = Test::new()
        .runbook(NO_ROLLBACK)
        .args(["check", "--deny-warnings", "main.rb42"])
        .run();
    check.code(0).stderr_has("0 errors, 0 warnings");
    let plan = Test::new()
        .runbook(NO_ROLLBACK)
        .args(["plan", "main.rb42"])
        .run();
    plan.code(0)
        .stdout_has("no rollback: backups are kept: nothing to undo");
    let doc = Test::new()
        .runbook(NO_ROLLBACK)
        .args(["doc", "main.rb42"])
        .run();
    doc.code(0)
        .stdout_has("**No rollback** for `backup`: backups are kept: nothing to undo")
        .stdout_has("1. backup<br>id: backup<br>no rollback: backups are kept: nothing to undo");
    let list = Test::new()
        .runbook(NO_ROLLBACK)
        .args(["list", "main.rb42"])
        .run();
    list.code(0)
        .stdout_has("      1. backup [rollback none]")
        .stdout_has("      2. a [rollback]");
    let json = Test::new()
        .runbook(NO_ROLLBACK)
        .args(["list", "main.rb42", "--format", "json"])
        .run();
    json.code(0)
        .stdout_has(r#""rollback_none": "backups are kept: nothing to undo""#);
    let fmt = Test::new()
        .runbook(NO_ROLLBACK)
        .args(["fmt", "--check", "main.rb42"])
        .run();
    fmt.code(0);
    let out = Test::new()
        .runbook(NO_ROLLBACK.replace("touch a", "false").as_str())
        .args(["run", "main.rb42"])
        .run();
    // `backup` owes nothing: the failed run has nothing to roll back.
    out.code(1).stdout_lacks("rolling back");
}

#[test]
fn rollback_none_without_a_reason_is_an_error() {
    let out = Test::new()
        .runbook(&NO_ROLLBACK.replace("none \"backups are kept: nothing to undo\"", "none \"\""))
        .args(["check", "main.rb42"])
        .run();
    out.code(2)
        .stderr_has("`rollback none` on step `backup` must say why")
        .stderr_has("main.rb42:3:10");
}
