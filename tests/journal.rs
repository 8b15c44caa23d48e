//! Runs that survive faults: the journal, `runs`/`show`, `rollback RUN` after a `kill -9`,
//! `resume RUN`, `--from`/`--only`, the lock against two runs, and a full disk.

use crate::harness::{Test, run_id};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SLOW: &str = r#"runbook "j" {
  secret token from env "TOKEN"
  procedure p {
    step a { sh("touch a"); publish("marker", #{n: 7, token: token}); } rollback { sh(`rm a; touch undone-${marker.n}`); }
    step b { sh("touch started; sleep 30; touch b"); } rollback { sh("touch b-undone"); }
    step c { sh("touch c"); }
  }
}"#;

fn test() -> Test {
    Test::new().runbook(SLOW).env("TOKEN", "tok-9f8e7d")
}

fn spawn(test: &Test, args: &[&str]) -> Child {
    let mut command = test.command();
    command
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command.spawn().expect("spawn runbook")
}

/// Waits for a file a step creates (10 s: a hang detector, not a timing assertion).
pub fn wait_for(path: &Path) {
    for _ in 0..400 {
        if path.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{} never appeared", path.display());
}

/// `runbook show ID` on the journal in `dir`'s state directory.
pub fn show(dir: &Path, id: &str) -> crate::harness::Output {
    Test::new()
        .args(["show", id, "--state-dir"])
        .arg_path(&dir.join(".runbook"))
        .run()
}

pub fn kill9(child: &mut Child) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("kill -9");
    child.wait().expect("reap");
}

#[test]
fn after_kill_9_the_owed_rollbacks_run_with_the_published_values() {
    let test = test();
    let dir = test.path().to_path_buf();
    let mut child = spawn(&test, &["run", "main.rb42"]);
    wait_for(&dir.join("started"));
    kill9(&mut child);
    let id = run_id(&dir);
    let runs = Test::new()
        .args(["runs", "--state-dir"])
        .arg_path(&dir.join(".runbook"))
        .run();
    runs.code(0).stdout_has(&id).stdout_has("died");
    let show = show(&dir, &id);
    show.code(0)
        .stdout_has("rollbacks owed")
        .stdout_has("marker = {");
    assert!(!show.stdout.contains("tok-9f8e7d"), "{}", show.stdout);
    let journal = std::fs::read_to_string(dir.join(format!(".runbook/runs/{id}.jsonl"))).unwrap();
    assert!(
        !journal.contains("tok-9f8e7d"),
        "the journal holds the secret"
    );
    let back = test.args(["rollback", &id, "--yes"]).run();
    back.code(0).stdout_has("rolled back a");
    assert!(
        back.exists("undone-7") && !back.exists("a"),
        "step a undone"
    );
    assert!(
        !back.exists("b-undone"),
        "b never finished: its rollback is not owed"
    );
}

#[test]
fn after_kill_9_a_rollback_always_step_that_was_running_is_owed_too() {
    let test = Test::new()
        .runbook(&SLOW.replace(
            r#"touch b"); } rollback {"#,
            r#"touch b"); } rollback always {"#,
        ))
        .env("TOKEN", "tok");
    let dir = test.path().to_path_buf();
    let mut child = spawn(&test, &["run", "main.rb42"]);
    wait_for(&dir.join("started"));
    kill9(&mut child);
    let id = run_id(&dir);
    let back = test.args(["rollback", &id, "--yes"]).run();
    back.code(0)
        .stdout_has("rolled back b")
        .stdout_has("rolled back a");
    assert!(
        back.exists("b-undone") && back.exists("undone-7"),
        "b was half-done when the run died: its `rollback always` ran, then a's"
    );
}

#[test]
fn resume_continues_at_the_step_that_did_not_finish() {
    let test = test();
    let dir = test.path().to_path_buf();
    let mut child = spawn(&test, &["run", "main.rb42"]);
    wait_for(&dir.join("started"));
    kill9(&mut child);
    let id = run_id(&dir);
    // Without a terminal and without --yes the resume is declined.
    let declined = Test::new()
        .args(["resume", &id, "--state-dir"])
        .arg_path(&dir.join(".runbook"))
        .env("TOKEN", "tok-9f8e7d")
        .run();
    declined.code(3);
    std::fs::write(dir.join("main.rb42"), SLOW.replace("sleep 30", "sleep 0")).unwrap();
    let changed = Test::new()
        .args(["resume", &id, "--yes", "--state-dir"])
        .arg_path(&dir.join(".runbook"))
        .env("TOKEN", "tok-9f8e7d")
        .run();
    changed.code(2).stderr_has("changed since run");
    let resumed = test
        .args(["resume", &id, "--yes", "--force", "--break-lock"])
        .run();
    resumed.code(0).stdout_has("[2/3] b").stdout_has("[3/3] c");
    assert!(!resumed.stdout.contains("[1/3] a"), "a is not run again");
    assert!(resumed.exists("b") && resumed.exists("c"));
}

#[test]
fn a_second_run_is_refused_while_the_first_holds_the_lock() {
    let test = test();
    let dir = test.path().to_path_buf();
    let mut first = spawn(&test, &["run", "main.rb42"]);
    wait_for(&dir.join("started"));
    // Another directory, the same runbook (by another path) and state directory.
    let second = Test::new()
        .args(["run"])
        .arg_path(&dir.join("main.rb42"))
        .args(["--state-dir"])
        .arg_path(&dir.join(".runbook"))
        .env("TOKEN", "tok-other")
        .run();
    second
        .code(5)
        .stderr_has("another run holds the lock")
        .stderr_has(&format!("(pid {})", first.id()));
    kill9(&mut first);
    let stale = Test::new()
        .args(["run"])
        .arg_path(&dir.join("main.rb42"))
        .args(["--state-dir"])
        .arg_path(&dir.join(".runbook"))
        .env("TOKEN", "tok-other")
        .run();
    stale
        .code(5)
        .stderr_has("is stale")
        .stderr_has("--break-lock");
    let broken = test
        .args(["run", "main.rb42", "--only", "c", "--break-lock"])
        .run();
    broken.code(0).stdout_has("[3/3] c");
    assert!(!broken.stdout.contains("[1/3]"), "--only runs one step");
}

#[test]
fn from_skips_the_earlier_steps() {
    let out = Test::new()
        .runbook(&SLOW.replace("sleep 30", "sleep 0"))
        .env("TOKEN", "tok-other")
        .args(["run", "main.rb42", "--from", "c"])
        .run();
    out.code(0).stdout_has("[3/3] c");
    assert!(!out.exists("a"));
    let typo = Test::new()
        .runbook(SLOW)
        .env("TOKEN", "tok-other")
        .args(["run", "main.rb42", "--from", "bb"])
        .run();
    typo.code(2).stderr_has("did you mean `b`?");
}

#[test]
fn a_full_disk_for_the_journal_stops_before_any_change() {
    let test = test();
    let state = test.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8k,mode=0700", "tmpfs"])
        .arg(&state)
        .status()
        .expect("mount");
    assert!(
        mounted.success(),
        "the journal test mounts a small tmpfs: it needs root (scripts/test.sh runs as root)"
    );
    // Fill it.
    let _ = std::fs::write(state.join("filler"), vec![0u8; 64 * 1024]);
    let out = test
        .args(["run", "main.rb42", "--state-dir"])
        .arg_path(&state)
        .run();
    let _ = Command::new("umount").arg(&state).status();
    out.code(2).stderr_has("cannot write the journal");
    assert!(!out.exists("a"), "a step ran without a journal");
}

#[test]
fn a_second_interrupt_during_rollbacks_warns_and_a_third_leaves_them_owed() {
    let test = Test::new().runbook(
        r#"runbook "r" {
  procedure p {
    step a { sh("touch a"); } rollback { sh("touch a-undone"); }
    step b { sh("touch b"); } rollback { sh("touch rb-started; sleep 20; touch b-undone"); }
    step wait { sh("touch started; sleep 30"); }
  }
}"#,
    );
    let dir = test.path().to_path_buf();
    let mut command = test.command();
    let child = command
        .args(["run", "main.rb42"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    let interrupt = || nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    wait_for(&dir.join("started"));
    interrupt();
    wait_for(&dir.join("rb-started"));
    interrupt();
    std::thread::sleep(Duration::from_millis(300));
    interrupt();
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(stdout.contains("rollbacks continue"), "{stdout}");
    assert!(stdout.contains("rollbacks stopped"), "{stdout}");
    assert!(
        !dir.join("b-undone").exists() && !dir.join("a-undone").exists(),
        "{stdout}"
    );
    let id = run_id(&dir);
    show(&dir, &id)
        .code(0)
        .stdout_has("rollbacks owed")
        .stdout_has("  a")
        .stdout_has("  b");
}
