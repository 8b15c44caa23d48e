//! Private state: journals and locks `0600` in `0700` directories, a state directory other users
//! can write to refused, another user of the machine unable to read a journal, and
//! `runs --prune` expiring journals without losing one that still owes rollbacks.

use crate::harness::Test;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The unprivileged user the tests read journals as (`scripts/test.sh` creates it too).
const OTHER_USER: &str = "runbook-other";

const DEPLOY: &str = r#"runbook "deploy" {
  param release: string = "r-2041"
  procedure p {
    step a { sh("echo deploying release-notes-7d1f"); } rollback { sh("true"); }
    step b { sh("sleep 0.2"); }
  }
}"#;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .mode()
        & 0o7777
}

fn run(test: &Test, args: &[&str]) -> Output {
    test.command().args(args).output().expect("run runbook")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn journals(state: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(state.join("runs"))
        .map(|dir| dir.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found.sort();
    found
}

#[test]
fn journals_are_private_files_in_private_directories() {
    let test = Test::new().runbook(DEPLOY);
    let out = run(&test, &["run", "main.rb42"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let state = test.path().join(".runbook");
    let journal = journals(&state).pop().expect("a journal");
    assert_eq!(mode(&journal), 0o600, "{}", journal.display());
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("runs")), 0o700);
    assert_eq!(mode(&state.join("locks")), 0o700);
}

#[test]
fn a_lock_is_private_while_the_run_holds_it() {
    let test = Test::new().runbook(
        r#"runbook "r" {
  procedure p {
    step a { sh("touch started; while [ ! -e go ]; do sleep 0.05; done"); }
  }
}"#,
    );
    let mut child = test
        .command()
        .args(["run", "main.rb42"])
        .spawn()
        .expect("spawn");
    crate::journal::wait_for(&test.path().join("started"));
    // Read while the run holds it.
    let modes: Vec<u32> = std::fs::read_dir(test.path().join(".runbook/locks"))
        .expect("locks")
        .flatten()
        .map(|e| mode(&e.path()))
        .collect();
    std::fs::write(test.path().join("go"), "").unwrap();
    assert!(child.wait().expect("wait").success());
    assert_eq!(modes, [0o600]);
}

#[test]
fn a_state_directory_others_can_write_to_is_refused_before_anything_runs() {
    for dir_mode in [0o777, 0o1777, 0o770] {
        let test = Test::new().runbook(
            r#"runbook "r" {
  procedure p { step a { sh("touch ran"); } }
}"#,
        );
        let state = test.path().join("shared-state");
        std::fs::create_dir(&state).unwrap();
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(dir_mode)).unwrap();
        let state_arg = state.display().to_string();
        let out = run(&test, &["run", "main.rb42", "--state-dir", &state_arg]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{dir_mode:o}: {}",
            text(&out.stderr)
        );
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!("refusing the state directory {state_arg}"))
                && stderr.contains("other users can write to it")
                && stderr.contains("chmod 700"),
            "{stderr}"
        );
        assert!(!test.path().join("ran").exists(), "a step ran");
        assert!(journals(&state).is_empty(), "a journal was written");
        for listing in [
            vec!["runs", "--state-dir", &state_arg],
            vec!["show", "20260101-000000-0000", "--state-dir", &state_arg],
            vec!["runs", "--prune", "--keep", "1", "--state-dir", &state_arg],
        ] {
            let out = run(&test, &listing);
            assert_eq!(out.status.code(), Some(2), "{listing:?}");
            assert!(
                text(&out.stderr).contains("refusing the state directory"),
                "{listing:?}: {}",
                text(&out.stderr)
            );
        }
    }
}

/// Creates the unprivileged user once (for real: `useradd`), as `scripts/test.sh` does.
fn other_user() {
    let exists = Command::new("id")
        .arg(OTHER_USER)
        .output()
        .is_ok_and(|o| o.status.success());
    if !exists {
        let made = Command::new("useradd")
            .args(["--no-create-home", "--shell", "/bin/sh", OTHER_USER])
            .status()
            .expect("useradd");
        // Another test process may have made it meanwhile.
        assert!(
            made.success()
                || Command::new("id")
                    .arg(OTHER_USER)
                    .status()
                    .is_ok_and(|s| s.success()),
            "cannot create the user {OTHER_USER}: the tests run as root (scripts/test.sh)"
        );
    }
}

/// Runs `script` as the other user, through `su`.
fn as_other_user(script: &str) -> Output {
    Command::new("su")
        .args(["-s", "/bin/sh", "-c", script, OTHER_USER])
        .output()
        .expect("su")
}

#[test]
fn another_user_of_the_machine_cannot_read_a_journal() {
    other_user();
    let test = Test::new().runbook(DEPLOY);
    // The test's own directory is open to everyone: only the state's modes keep them out.
    std::fs::set_permissions(test.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(&test, &["run", "main.rb42"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let journal = journals(&test.path().join(".runbook"))
        .pop()
        .expect("journal");
    assert!(
        std::fs::read_to_string(&journal)
            .unwrap()
            .contains("release-notes-7d1f"),
        "the journal holds the run's output"
    );
    let runbook = test.path().join("main.rb42");
    let control = as_other_user(&format!("cat {}", runbook.display()));
    assert!(
        control.status.success(),
        "{OTHER_USER} should read the runbook itself: {}",
        text(&control.stderr)
    );
    for attempt in [
        format!("cat {}", journal.display()),
        format!("ls {}", journal.parent().unwrap().display()),
    ] {
        let out = as_other_user(&attempt);
        assert!(!out.status.success(), "{attempt} succeeded");
        assert!(
            text(&out.stderr).contains("Permission denied"),
            "{attempt}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stdout).contains("release-notes-7d1f"));
    }
}

/// Moves a journal's start back by `days`, as if it had been written then.
fn age_journal(journal: &Path, days: i64) {
    let text = std::fs::read_to_string(journal).unwrap();
    let (header, rest) = text.split_once('\n').unwrap();
    let mut header: serde_json::Value = serde_json::from_str(header).unwrap();
    let started = chrono::Local::now() - chrono::Duration::days(days);
    header["started"] = started
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        .into();
    std::fs::write(journal, format!("{header}\n{rest}")).unwrap();
}

fn run_ids(state: &Path) -> Vec<String> {
    journals(state)
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn prune_removes_old_journals_but_never_one_that_owes_rollbacks() {
    let test = Test::new().runbook(
        r#"runbook "r" {
  param fail: bool = false
  procedure p {
    step a { sh("true"); } rollback { sh("true"); }
    step b { if fail { sh("kill -9 $PPID"); } }
  }
}"#,
    );
    let state = test.path().join(".runbook");
    // Three runs: an old success, an old run killed after step a (it owes a's rollback), and
    // a recent success.
    assert!(run(&test, &["run", "main.rb42"]).status.success());
    // Run ids start with the second: one per second keeps them in order.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let killed = run(&test, &["run", "main.rb42", "-p", "fail=true"]);
    assert!(!killed.status.success());
    let ids = run_ids(&state);
    assert_eq!(ids.len(), 2, "{ids:?}");
    for journal in journals(&state) {
        age_journal(&journal, 40);
    }
    std::thread::sleep(std::time::Duration::from_millis(1100));
    // The killed run left its lock behind.
    let recent = run(&test, &["run", "main.rb42", "--break-lock"]);
    assert!(recent.status.success(), "{}", text(&recent.stderr));
    let all = run_ids(&state);
    assert_eq!(all.len(), 3, "{all:?}");

    let out = run(&test, &["runs", "--prune", "--older-than", "30d"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains(&format!("removed {}", ids[0])), "{said}");
    assert!(
        said.contains(&format!("kept {}: owes rollbacks (a)", ids[1])),
        "{said}"
    );
    assert!(said.contains("1 journal(s) removed"), "{said}");
    assert_eq!(run_ids(&state), [ids[1].clone(), all[2].clone()]);

    // The owed rollback done, the journal may go; --keep 1 keeps the newest.
    let rolled = run(&test, &["rollback", &ids[1], "--yes"]);
    assert!(rolled.status.success(), "{}", text(&rolled.stderr));
    let out = run(&test, &["runs", "--prune", "--keep", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(run_ids(&state), [all[2].clone()]);
}

#[test]
fn prune_needs_a_rule_and_reads_ages() {
    let test = Test::new().runbook(DEPLOY);
    let out = run(&test, &["runs", "--prune"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--older-than"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&test, &["runs", "--prune", "--older-than", "a month"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("`a month` is not an age such as 30d"),
        "{}",
        text(&out.stderr)
    );
}
