//! `runbook run`: steps, guards, confirmations, rollbacks, retries, timeouts, values, modules.

use crate::harness::Test;

/// Three steps that record what they do in `log.txt`; the third fails when `fail` is true.
const THREE_STEPS: &str = r#"runbook "three" {
  param fail: bool = false
  procedure deploy {
    step a "Étape A" { sh("echo a >> log.txt"); } rollback { sh("echo undo-a >> log.txt"); }
    step b "Étape B" { sh("echo b >> log.txt"); } rollback { sh("echo undo-b >> log.txt"); }
    step c "Étape C" {
      sh("echo c >> log.txt");
      if fail { sh("echo boom >&2; exit 7"); }
    } rollback { sh("echo undo-c >> log.txt"); }
  }
}"#;

#[test]
fn runs_every_step_with_live_output() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  guard "sh est là" { sh("command -v sh").ok }
  procedure p {
    step hello "Dire bonjour" { sh("echo bonjour; echo le monde"); }
  }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    out.code(0)
        .stdout_has("guard ✓ sh est là")
        .stdout_has("[1/1] hello — Dire bonjour")
        .stdout_has("│ bonjour")
        .stdout_has("│ le monde")
        .stdout_has("✓ succeeded");
}

#[test]
fn a_failed_step_rolls_back_completed_steps_in_reverse_order() {
    let out = Test::new()
        .runbook(THREE_STEPS)
        .args(["run", "main.rb42", "-p", "fail=true"])
        .run();
    out.code(1)
        .stdout_has("c failed: command `echo boom >&2; exit 7` exited with code 7: boom");
    assert_eq!(out.read("log.txt").unwrap(), "a\nb\nc\nundo-b\nundo-a\n");
    assert_eq!(
        out.lines_with(&["rollback "]),
        ["↩ rollback b — Étape B", "↩ rollback a — Étape A"]
    );
}

#[test]
fn the_failure_names_the_rb42_line() {
    let out = Test::new()
        .runbook(THREE_STEPS)
        .args(["run", "main.rb42", "-p", "fail=true"])
        .run();
    out.code(1).stdout_has("--> main.rb42:8:17");
}

#[test]
fn a_failing_rollback_is_loud_and_the_others_still_run() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  procedure p {
    step a { sh("echo a >> log.txt"); } rollback { sh("echo undo-a >> log.txt"); }
    step b { sh("echo b >> log.txt"); } rollback { fail("cannot undo b"); }
    step c { fail("c breaks"); }
  }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    out.code(4)
        .stdout_has("ROLLBACK OF b FAILED: cannot undo b")
        .stdout_has("a rollback failed too");
    assert_eq!(out.read("log.txt").unwrap(), "a\nb\nundo-a\n");
}

#[test]
fn rollback_always_also_undoes_the_step_that_failed_half_way() {
    let text = r#"runbook "r" {
  procedure p {
    step a { sh("echo a >> log.txt"); } rollback { sh("echo undo-a >> log.txt"); }
    step b "Copier la version" retry 1 every 1s {
      sh("echo half-b >> log.txt");
      fail("the copy broke half-way");
    } rollback always {
      sh("echo undo-b >> log.txt");
    }
    step c { sh("echo c >> log.txt"); } rollback always { sh("echo undo-c >> log.txt"); }
  }
}"#;
    let out = Test::new().runbook(text).args(["run", "main.rb42"]).run();
    out.code(1).stdout_has("the copy broke half-way");
    assert_eq!(
        out.read("log.txt").unwrap(),
        "a\nhalf-b\nhalf-b\nundo-b\nundo-a\n",
        "b's rollback runs once, after its last attempt; c never ran and owes nothing"
    );
    let plan = Test::new().runbook(text).args(["plan", "main.rb42"]).run();
    plan.code(0)
        .stdout_has("rollback always (also if this step fails)");
    let list = Test::new().runbook(text).args(["list", "main.rb42"]).run();
    list.code(0)
        .stdout_has("2. b — Copier la version [rollback always, retry 1]");
    let doc = Test::new().runbook(text).args(["doc", "main.rb42"]).run();
    doc.code(0)
        .stdout_has("**Rollback** of `b`, if this step or a later step fails:")
        .stdout_has("**Rollback** of `a`, if a later step fails:");
}

#[test]
fn a_gate_without_a_terminal_fails_closed_and_rolls_back() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  procedure p {
    step a { sh("echo a >> log.txt"); } rollback { sh("echo undo-a >> log.txt"); }
    confirm "Continuer en production ?"
    step b { sh("echo b >> log.txt"); }
  }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    out.code(3)
        .stdout_has("? Continuer en production ?")
        .stdout_has("declined: no terminal to ask");
    assert_eq!(out.read("log.txt").unwrap(), "a\nundo-a\n");
}

#[test]
fn yes_and_confirm_id_answer_ahead() {
    let text = r#"runbook "r" {
  procedure p {
    confirm "Premier ?"
    step a { sh("echo a >> log.txt"); }
    step b confirm "Second ?" { sh("echo b >> log.txt"); }
  }
}"#;
    let out = Test::new()
        .runbook(text)
        .args(["run", "main.rb42", "--yes"])
        .run();
    out.code(0);
    assert_eq!(out.read("log.txt").unwrap(), "a\nb\n");
    let out = Test::new()
        .runbook(text)
        .args(["run", "main.rb42", "--confirm", "a"])
        .run();
    out.code(3);
    assert_eq!(out.read("log.txt").unwrap(), "a\n");
    let out = Test::new()
        .runbook(text)
        .args(["run", "main.rb42", "--confirm", "aa"])
        .run();
    out.code(2)
        .stderr_has("--confirm aa: no step `aa`")
        .stderr_has("did you mean `a`?");
    assert!(!out.exists("log.txt"));
}

#[test]
fn confirm_always_is_answered_only_by_the_operator_at_a_terminal() {
    let text = r#"runbook "r" {
  procedure p {
    step a { sh("echo a >> log.txt"); }
    confirm always "Écraser la base ?"
    step b { sh("echo b >> log.txt"); }
    step c when { false } confirm always "Jamais demandé ?" { sh("echo c >> log.txt"); }
  }
}"#;
    // Neither --yes nor --confirm answers it: without a terminal, it is declined.
    for flag in [&["--yes"][..], &["--confirm", "b"]] {
        let out = Test::new()
            .runbook(text)
            .args(["run", "main.rb42"])
            .args(flag.iter().copied())
            .run();
        out.code(3)
            .stdout_has("? Écraser la base ?")
            .stdout_has("only an operator there answers a `confirm always`");
        assert_eq!(out.read("log.txt").unwrap(), "a\n");
    }
    // At a terminal, the operator's yes runs it; a skipped step asks nothing.
    let test = Test::new()
        .runbook(text)
        .args(["run", "main.rb42", "--yes"]);
    let screen = crate::tmux::answer_on_terminal(&test, "y", |asked| {
        assert!(asked.contains("Écraser la base ?"), "{asked}");
    });
    assert!(screen.contains("[exit 0]"), "{screen}");
    assert!(!screen.contains("Jamais demandé"), "{screen}");
    assert_eq!(
        std::fs::read_to_string(test.path().join("log.txt")).unwrap(),
        "a\nb\n"
    );
    // The formatter keeps it.
    let formatted = Test::new().runbook(text).args(["fmt", "main.rb42"]).run();
    formatted.code(0);
    let kept = formatted.read("main.rb42").unwrap();
    assert!(
        kept.contains("\n    confirm always \"Écraser la base ?\"\n"),
        "{kept}"
    );
    assert!(
        kept.contains("confirm always \"Jamais demandé ?\" {"),
        "{kept}"
    );
}

#[test]
fn confirmations_and_guard_titles_name_the_values_they_are_about() {
    let text = r#"runbook "r" {
  param host: string = "vm-1"
  secret token from env "TOKEN"
  guard "Le disque de ${host} a de la place" { true }
  procedure p {
    step choose { publish("dump", "/backups/db-42.dump"); }
    confirm "Restaurer ${dump} sur ${host} avec ${token} ?"
    step restore confirm "Vraiment ${dump} ?" { log("restauré"); }
  }
}"#;
    let out = Test::new()
        .runbook(text)
        .env("TOKEN", "s3cr3t-value")
        .args(["run", "main.rb42", "--yes", "-p", "host=vm-2"])
        .run();
    out.code(0)
        .stdout_has("Le disque de vm-2 a de la place")
        .stdout_has("Restaurer /backups/db-42.dump sur vm-2 avec ⟨secret token⟩ ?")
        .stdout_has("Vraiment /backups/db-42.dump ?")
        .stdout_lacks("s3cr3t-value");
    let out = Test::new()
        .runbook(&text.replace("${dump} sur", "${dumpp} sur"))
        .args(["check", "main.rb42"])
        .run();
    out.stderr_has("`${dumpp}` names no parameter, secret or value published before it")
        .stderr_has("did you mean `${dump}`?")
        .stderr_has("main.rb42:7:");
}

#[test]
fn confirm_inside_a_body_declines_without_a_terminal() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  procedure p {
    step a { sh("touch a"); } rollback { sh("rm a"); }
    step b { if confirm("Purger le cache ?") { sh("touch purged"); } }
  }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    out.code(3).stdout_has("declined");
    assert!(!out.exists("purged"));
    assert!(!out.exists("a"), "step a was rolled back");
}

#[test]
fn guards_are_all_evaluated_and_stop_the_run_before_any_step() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  guard "premier" { false }
  procedure p {
    guard "second" { sh("exit 3").ok }
    guard "troisième" { true }
    step a { sh("touch ran"); }
  }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    out.code(1)
        .stdout_has("guard ✗ premier")
        .stdout_has("guard ✗ second")
        .stdout_has("guard ✓ troisième")
        .stdout_has("a guard failed: nothing was run");
    assert!(!out.exists("ran"));
}

#[test]
fn when_skips_a_step_and_says_why() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  param env: string = "staging"
  procedure p {
    step a when { env == "production" } { sh("touch prod"); }
    step b { sh("touch b"); }
  }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    out.code(0)
        .stdout_has(r#"a skipped: `when { env == "production" }` is false"#);
    assert!(!out.exists("prod"));
    assert!(out.exists("b"));
}

#[test]
fn retries_until_the_step_succeeds() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  procedure p {
    step flaky retry 3 every 10ms backoff 2 {
      sh("echo x >> tries");
      sh("test $(wc -l < tries) -ge 3");
    }
  }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    out.code(0)
        .stdout_has("(attempt 3/4)")
        .stdout_has("retrying in");
    assert_eq!(out.read("tries").unwrap(), "x\nx\nx\n");
}

#[test]
fn a_timeout_stops_a_command_and_an_endless_loop() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  procedure p {
    step slow timeout 300ms { sh("sleep 30; touch late"); }
  }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    out.code(1).stdout_has("timed out after 300ms");
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  procedure p {
    step spin timeout 300ms { let n = 0; loop { n += 1; } }
  }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    out.code(1).stdout_has("timed out after 300ms");
}

#[test]
fn finally_runs_on_success_and_on_failure() {
    let text = r#"runbook "r" {
  param fail: bool = false
  procedure p {
    step a { if fail { fail("no"); } }
    finally { sh("echo done >> finally.txt"); }
  }
}"#;
    let out = Test::new().runbook(text).args(["run", "main.rb42"]).run();
    out.code(0);
    assert_eq!(out.read("finally.txt").unwrap(), "done\n");
    let out = Test::new()
        .runbook(text)
        .args(["run", "main.rb42", "-p", "fail=true"])
        .run();
    out.code(1);
    assert_eq!(out.read("finally.txt").unwrap(), "done\n");
}

#[test]
fn published_values_reach_later_steps_and_rollbacks() {
    let out = Test::new()
        .runbook(r#"runbook "r" {
  procedure p {
    step make { let name = "archive-" + 42 + ".tgz"; sh(["touch", name]); publish("archive", name); }
      rollback { sh(["rm", archive]); }
    step use_it { sh(["cp", archive, "copy.tgz"]); }
    step boom { fail("stop here"); }
  }
}"#)
        .args(["run", "main.rb42"])
        .run();
    out.code(1).stdout_has("→ archive = archive-42.tgz");
    assert!(out.exists("copy.tgz"));
    assert!(
        !out.exists("archive-42.tgz"),
        "the rollback removed the published archive"
    );
}

#[test]
fn templates_and_modules_work_from_the_runbook_directory() {
    let out = Test::new()
        .file(
            "t/motd.j2",
            "Bienvenue sur {{ host }} ({{ items|length }} services)\n",
        )
        .file("lib/names.rhai", "fn greeting(who) { `bonjour ${who}` }\n")
        .runbook(
            r#"runbook "r" {
  use "lib/names.rhai" as names
  use "stdlib/checks.rhai" as checks
  procedure p {
    step render {
      write_file("motd.txt", template("t/motd.j2", #{host: "web-1", items: ["a", "b"]}));
      log(names::greeting("ops"));
      assert(checks::version_at_least("Docker version 24.0.7, build x", "24"), "version");
      assert(!checks::version_at_least("v2.19.1", "2.20"), "older");
    }
  }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    out.code(0).stdout_has("bonjour ops");
    assert_eq!(
        out.read("motd.txt").unwrap(),
        "Bienvenue sur web-1 (2 services)\n"
    );
}

#[test]
fn parameters_come_from_flags_env_and_env_files() {
    let text = r#"runbook "r" {
  param dir: string env "APP_DIR"
  param count: int = 1
  param wait: duration = 1m
  param hosts: list = ["a"]
  param stage: string = "staging" one of ["staging", "production"]
  procedure p {
    step show { write_file("out.txt", `${dir} ${count} ${wait} ${hosts.len()} ${stage}`); }
  }
}"#;
    let out = Test::new()
        .runbook(text)
        .file(".env", "APP_DIR=/from/file\n")
        .args([
            "run",
            "main.rb42",
            "--env-file",
            ".env",
            "-p",
            "count=3",
            "-p",
            "wait=1h30m",
            "-p",
            "hosts=x,y",
        ])
        .run();
    out.code(0);
    assert_eq!(out.read("out.txt").unwrap(), "/from/file 3 5400 2 staging");
    let out = Test::new()
        .runbook(text)
        .env("APP_DIR", "/from/env")
        .args(["run", "main.rb42"])
        .run();
    out.code(0);
    assert_eq!(out.read("out.txt").unwrap(), "/from/env 1 60 1 staging");
}

#[test]
fn every_parameter_problem_is_reported_at_once_before_anything_runs() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  param dir: string
  param count: int = 1
  param stage: string = "staging" one of ["staging", "production"]
  procedure p { step s { sh("touch ran"); write_file("x", `${dir}${count}${stage}`); } }
}"#,
        )
        .args([
            "run",
            "main.rb42",
            "-p",
            "count=many",
            "-p",
            "stage=prod",
            "-p",
            "cuont=2",
        ])
        .run();
    out.code(2)
        .stderr_has("unknown parameter `cuont`")
        .stderr_has("did you mean `count`?")
        .stderr_has("missing required parameter `dir`")
        .stderr_has("main.rb42:2:9")
        .stderr_has("parameter `count` must be an int, not `many`")
        .stderr_has(
            "parameter `stage` is \"prod\", which is not one of \"staging\", \"production\"",
        );
    assert!(!out.exists("ran"));
}

#[test]
fn json_output_is_one_event_per_line() {
    let out = Test::new()
        .runbook(THREE_STEPS)
        .args(["run", "main.rb42", "--format", "json", "-p", "fail=true"])
        .run();
    out.code(1);
    let events: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"run_started"));
    assert_eq!(kinds.last(), Some(&"run_finished"));
    assert!(kinds.contains(&"step_failed") && kinds.contains(&"rollback_finished"));
    let last = events.last().unwrap();
    assert_eq!(last["status"], "failed");
    assert_eq!(last["exit_code"], 1);
    assert_eq!(last["rolled_back"], 2);
    let output: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "output")
        .map(|e| e["line"].as_str().unwrap())
        .collect();
    assert_eq!(output, ["boom"]);
}

#[test]
fn ctrl_c_stops_the_step_and_rolls_back() {
    let test = Test::new()
        .runbook(
            r#"runbook "r" {
  procedure p {
    step a { sh("touch a"); } rollback { sh("rm a; touch undone"); }
    step wait { sh("touch started; sleep 30"); }
  }
}"#,
        )
        .args(["run", "main.rb42"]);
    let mut child = test
        .command()
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = test.path().join("started");
    for _ in 0..200 {
        if started.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert!(started.exists(), "the long step started");
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("send SIGINT");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(3));
    assert!(
        test.path().join("undone").exists(),
        "step a was rolled back"
    );
    assert!(!test.path().join("a").exists());
}

/// Starts `runbook ARGS` under a pseudo-terminal (util-linux `script`); what is written to the
/// child's stdin is typed on that terminal.
fn spawn_on_a_terminal(test: &Test, args: &str) -> std::process::Child {
    // `exec`: the shell `script` starts must not stay in the terminal's foreground group, or
    // a Ctrl-C kills it (dash) and its exit code hides runbook's.
    let command = format!("exec {} {args}", env!("CARGO_BIN_EXE_runbook"));
    std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(test.path())
        .env("SHELL", "/bin/sh")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs commands under a pty (scripts/test.sh installs it)")
}

/// Runs `runbook ARGS` on a terminal, typing `input`; the exit code and the screen.
fn on_a_terminal(test: &Test, args: &str, input: &str) -> (i32, String) {
    use std::io::Write;
    let mut child = spawn_on_a_terminal(test, args);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), screen)
}

#[test]
fn ctrl_c_at_a_prompt_rolls_back_instead_of_waiting() {
    use std::io::Write;
    let test = Test::new().runbook(
        r#"runbook "r" {
  procedure p {
    step a { sh("touch a"); } rollback { sh("rm a; touch undone"); }
    confirm "Continuer ?"
    step b { sh("touch b"); }
  }
}"#,
    );
    let mut child = spawn_on_a_terminal(&test, "run main.rb42");
    let started = test.path().join("a");
    for _ in 0..400 {
        if started.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert!(started.exists(), "step a ran before the gate");
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Ctrl-C typed on the terminal while the gate waits; then Enter at the question that
    // follows (keep the changes? no, the default): the rollbacks run.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\x03").unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    stdin.write_all(b"\n").unwrap();
    stdin.flush().unwrap();
    let out = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{screen}");
    assert!(screen.contains("interrupted"), "{screen}");
    assert!(
        test.path().join("undone").exists() && !test.path().join("b").exists(),
        "{screen}"
    );
}

#[test]
fn on_a_terminal_the_operator_answers_confirmations() {
    let text = r#"runbook "r" {
  procedure p {
    step a { sh("touch a"); } rollback { sh("rm a"); }
    confirm "Continuer ?"
    step b { sh("touch b"); }
  }
}"#;
    let test = Test::new().runbook(text);
    let (code, screen) = on_a_terminal(&test, "run main.rb42", "y\n");
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("Continuer ?") && screen.contains("proceed? [y/N]"),
        "{screen}"
    );
    assert!(test.path().join("b").exists());
    let test = Test::new().runbook(text);
    let (code, screen) = on_a_terminal(&test, "run main.rb42", "n\n");
    assert_eq!(code, 3, "{screen}");
    assert!(!test.path().join("a").exists() && !test.path().join("b").exists());
}

#[test]
fn step_mode_asks_before_every_step() {
    let test = Test::new().runbook(
        r#"runbook "r" {
  procedure p {
    step a { sh("touch a"); }
    step b { sh("touch b"); }
    step c { sh("touch c"); }
  }
}"#,
    );
    let (code, screen) = on_a_terminal(&test, "run main.rb42 --step", "y\ns\ny\n");
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("b skipped: skipped by the operator"),
        "{screen}"
    );
    let made: Vec<bool> = ["a", "b", "c"]
        .iter()
        .map(|f| test.path().join(f).exists())
        .collect();
    assert_eq!(made, [true, false, true]);
    let out = Test::new()
        .runbook("runbook \"r\" { procedure p { step a { } } }")
        .args(["run", "main.rb42", "--step"])
        .run();
    out.code(2)
        .stderr_has("--step asks before every step and needs a terminal");
}

#[test]
fn a_duration_default_may_be_quoted() {
    let out = Test::new()
        .runbook(r#"runbook "r" { param d: duration = "10m" procedure p { step s { write_file("d.txt", `${d}`); } } }"#)
        .args(["run", "main.rb42"])
        .run();
    out.code(0);
    assert_eq!(out.read("d.txt").unwrap(), "600");
}

#[test]
fn the_tools_own_diagnostics_go_to_the_log_file_not_the_output() {
    let out = Test::new()
        .runbook(r#"runbook "r" { procedure p { step a { sh("echo hello"); } } }"#)
        .args(["-vv", "--log-file", "runbook.log", "run", "main.rb42"])
        .run();
    out.code(0).stdout_has("│ hello").stdout_lacks("spawning");
    let log = out.read("runbook.log").expect("a log file");
    assert!(
        log.contains("spawning a local command") && log.contains("command=echo hello"),
        "{log}"
    );
}

#[test]
fn after_ctrl_c_on_a_terminal_the_operator_may_keep_the_changes_and_roll_back_later() {
    use std::io::Write;
    let test = Test::new().runbook(
        r#"runbook "r" {
  procedure p {
    step a { sh("touch a"); } rollback { sh("rm a; touch undone"); }
    step wait { sh("touch started; sleep 30"); }
  }
}"#,
    );
    let mut child = spawn_on_a_terminal(&test, "run main.rb42");
    let started = test.path().join("started");
    for _ in 0..400 {
        if started.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert!(started.exists(), "the long step started");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\x03").unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    stdin.write_all(b"y\n").unwrap();
    stdin.flush().unwrap();
    let out = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{screen}");
    assert!(screen.contains("Keep the changes"), "{screen}");
    assert!(
        test.path().join("a").exists(),
        "the change was kept: {screen}"
    );
    let later = test.args(["rollback", "--yes"]);
    let runs = std::fs::read_dir(later.path().join(".runbook/runs"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .file_name()
        .to_string_lossy()
        .trim_end_matches(".jsonl")
        .to_string();
    let out = later.args([runs.as_str()]).run();
    out.code(0).stdout_has("rolled back a");
    assert!(out.exists("undone") && !out.exists("a"));
}

#[test]
fn transfers_without_a_host_act_on_this_machine() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  procedure p on local {
    step s {
      upload("release", "deployed/app");
      remote_write("deployed/app/.env", "KEY=v\n", #{mode: 0o600});
      assert(remote_read("deployed/app/.env") == "KEY=v\n", "read back");
      assert(remote_exists("deployed/app/index.html") && !remote_exists("nothing"), "exists");
      download("deployed/app/index.html", "copy.html");
    }
  }
}"#,
        )
        .file("release/index.html", "<h1>v1</h1>")
        .args(["run", "main.rb42"])
        .run();
    out.code(0);
    assert_eq!(
        out.read("deployed/app/index.html").as_deref(),
        Some("<h1>v1</h1>")
    );
    assert_eq!(out.read("copy.html").as_deref(), Some("<h1>v1</h1>"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(out.dir.join("deployed/app/.env"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn backup_prune_removes_only_the_oldest_archives_that_start_with_the_prefix() {
    let mut test = Test::new().runbook(
        r#"runbook "b" {
  use "stdlib/backup.rhai" as backup
  procedure p {
    step prune { log(`removed: ${backup::prune("backups", "app_", 1)}`); }
  }
}"#,
    );
    for (n, name) in ["app_1.tgz", "old_app_0.tgz", "app_2.tgz"]
        .iter()
        .enumerate()
    {
        test = test.file(&format!("backups/{name}"), "x");
        // ls -t orders by modification time: app_2 is the newest.
        let path = test.path().join("backups").join(name);
        let time =
            std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000 + n as u64);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(time))
            .expect("set mtime");
    }
    let out = test.args(["run", "main.rb42"]).run();
    out.code(0).stdout_has("removed: [\"backups/app_1.tgz\"]");
    assert!(out.exists("backups/app_2.tgz"), "the newest is kept");
    assert!(
        out.exists("backups/old_app_0.tgz"),
        "a name that only contains the prefix is not an archive of the series"
    );
}

#[test]
fn log_table_aligns_rows_in_the_columns_given() {
    let out = Test::new()
        .runbook(
            r#"runbook "t" {
  procedure p {
    step s {
      let rows = [#{id: 1, full_name: "Ada Lovelace", email: "ada@example.org"},
                  #{id: 22, full_name: "Bo", email: "bo@example.org"}];
      log_table(rows, ["id", "full_name", "email"]);
      log_table(rows);
      log_table([]);
    }
  }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    out.code(0);
    // Each row is one log line (`· ` in the live view).
    let lines = out.lines_with(&["│"]);
    assert_eq!(
        lines,
        [
            "· id │ full_name    │ email",
            "· 1  │ Ada Lovelace │ ada@example.org",
            "· 22 │ Bo           │ bo@example.org",
            "· email           │ full_name    │ id",
            "· ada@example.org │ Ada Lovelace │ 1",
            "· bo@example.org  │ Bo           │ 22",
        ]
    );
    out.stdout_has("(no rows)");
}

const CONDITIONAL_CONFIRM: &str = r#"runbook "c" {
  param env: string = "staging"

  procedure p {
    step build { log("built"); }

    confirm "Deploy to ${env}?" if { env == "production" }

    step deploy confirm "Restart ${env}?" if { env == "production" } {
      log("deployed");
    }
  }
}
"#;

#[test]
fn a_confirmation_with_if_asks_only_where_its_condition_holds() {
    let staging = Test::new()
        .runbook(CONDITIONAL_CONFIRM)
        .args(["run", "main.rb42"])
        .run();
    staging
        .code(0)
        .stdout_has("not asked: `if { env == \"production\" }` is false")
        .stdout_has("deployed")
        .stdout_lacks("Deploy to staging?");
    let production = Test::new()
        .runbook(CONDITIONAL_CONFIRM)
        .args(["run", "main.rb42", "-p", "env=production"])
        .run();
    production
        .code(3)
        .stdout_has("Deploy to production?")
        .stdout_lacks("deployed");
    let answered = Test::new()
        .runbook(CONDITIONAL_CONFIRM)
        .args([
            "run",
            "main.rb42",
            "-p",
            "env=production",
            "--confirm",
            "deploy",
        ])
        .run();
    answered.code(0).stdout_has("deployed");
    let plan = Test::new()
        .runbook(CONDITIONAL_CONFIRM)
        .args(["plan", "main.rb42", "-p", "env=production"])
        .run();
    plan.code(0)
        .stdout_has("confirm before `deploy`: Deploy to production?")
        .stdout_has("confirm before `deploy`: Restart production?")
        .stdout_has("[confirm (only if env == \"production\")]");
    let quiet_plan = Test::new()
        .runbook(CONDITIONAL_CONFIRM)
        .args(["plan", "main.rb42"])
        .run();
    quiet_plan.code(0).stdout_lacks("confirm before");
    let doc = Test::new()
        .runbook(CONDITIONAL_CONFIRM)
        .args(["doc", "main.rb42"])
        .run();
    doc.code(0)
        .stdout_has("**Confirmation:** Restart staging? (only if env == \"production\")");
    let fmt = Test::new()
        .runbook(CONDITIONAL_CONFIRM)
        .args(["fmt", "--check", "main.rb42"])
        .run();
    fmt.code(0);
}

#[test]
fn a_confirmation_condition_that_is_not_a_bool_fails_its_step() {
    let out = Test::new()
        .runbook(&CONDITIONAL_CONFIRM.replace(
            r#"confirm "Restart ${env}?" if { env == "production" }"#,
            r#"confirm "Restart ${env}?" if { env }"#,
        ))
        .args(["run", "main.rb42"])
        .run();
    out.code(1)
        .stdout_has("`confirm … if` must be true or false, not string")
        .stdout_lacks("deployed");
}

const OPTIONAL: &str = r#"runbook "o" {
  procedure p {
    step diagnose { log("diagnosed"); }

    step restart "Redémarrer l'API" optional {
      log("restarted");
    }

    step migrate "Migrations" optional {
      log("migrated");
    } rollback {
      log("unmigrated");
    }

    step verify { fail("still broken"); }
  }
}
"#;

#[test]
fn an_optional_step_is_run_skipped_or_refused_and_the_procedure_goes_on() {
    let alone = Test::new()
        .runbook(OPTIONAL)
        .args(["run", "main.rb42"])
        .run();
    // No terminal: skipped, and a skipped step owes no rollback.
    alone
        .code(1)
        .stdout_has("restart skipped: optional: skipped, no terminal to ask")
        .stdout_has("migrate skipped: optional")
        .stdout_lacks("restarted")
        .stdout_lacks("unmigrated")
        .stdout_has("still broken");
    let chosen = Test::new()
        .runbook(OPTIONAL)
        .args([
            "run",
            "main.rb42",
            "--confirm",
            "migrate",
            "--skip",
            "restart",
        ])
        .run();
    chosen
        .code(1)
        .stdout_has("restart skipped: optional: skipped with --skip")
        .stdout_has("migrated")
        .stdout_has("unmigrated");
    let all = Test::new()
        .runbook(OPTIONAL)
        .args(["run", "main.rb42", "--yes"])
        .run();
    all.code(1).stdout_has("restarted").stdout_has("migrated");
    let typo = Test::new()
        .runbook(OPTIONAL)
        .args(["run", "main.rb42", "--skip", "verify"])
        .run();
    typo.code(2)
        .stderr_has("--skip verify: no optional step `verify` in procedure `p`")
        .stderr_has("optional steps: restart, migrate");
    let plan = Test::new()
        .runbook(OPTIONAL)
        .args(["plan", "main.rb42"])
        .run();
    plan.code(0)
        .stdout_has("2. restart — Redémarrer l'API  [optional: the operator runs, skips or aborts")
        .stdout_has("· restarted");
    let doc = Test::new()
        .runbook(OPTIONAL)
        .args(["doc", "main.rb42"])
        .run();
    doc.code(0)
        .stdout_has("**Optional:** the operator runs it, skips it or aborts; `--yes` runs it, `--skip restart` skips it");
    let list = Test::new()
        .runbook(OPTIONAL)
        .args(["list", "main.rb42"])
        .run();
    list.code(0)
        .stdout_has("restart — Redémarrer l'API [optional]");
}
