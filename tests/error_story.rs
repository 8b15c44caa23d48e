//! One error story: static and runtime errors draw the same excerpt and caret, measured in
//! display columns; a failure inside a closure names the statement that failed; and every
//! failure event carries an `error_kind`, in `--format json` and in the journal, for each kind
//! a real server gives (SSH servers, PostgreSQL, an HTTP server, the Docker engine).

use crate::harness::{Output, Test};
use crate::http_env::HttpServer;
use crate::postgres_env;
use crate::ssh::remote_test;
use crate::sshd::{self, Sshd};
use serde_json::Value;

/// The caret line under a place `columns` display columns into a line numbered with one digit.
fn caret_at(columns: usize) -> String {
    format!("  | {}^\n", " ".repeat(columns))
}

#[test]
fn a_caret_after_cjk_text_or_an_emoji_stands_under_its_place() {
    let out = Test::new()
        .runbook(
            "runbook \"r\" {\n  procedure p {\n    step s \"日本語\" { log(nope); }\n    step t \"🚀 go\" { log(nada); }\n  }\n}\n",
        )
        .args(["check", "main.rb42"])
        .run();
    out.code(2)
        .stderr_has("--> main.rb42:3:24")
        .stderr_has("--> main.rb42:4:25");
    // `    step s "` is 12 columns, 日本語 takes 6 (two each), `" { log(` 8: `nope` is at 26.
    let cjk = format!(
        "3 |     step s \"日本語\" {{ log(nope); }}\n{}",
        caret_at(26)
    );
    assert!(out.stderr.contains(&cjk), "{}", out.stderr);
    // 🚀 takes 2 columns, then ` go" { log(` 11: `nada` is at 12 + 2 + 11 = 25.
    let emoji = format!(
        "4 |     step t \"🚀 go\" {{ log(nada); }}\n{}",
        caret_at(25)
    );
    assert!(out.stderr.contains(&emoji), "{}", out.stderr);
}

/// The events of a `--format json` run.
fn events(out: &Output) -> Vec<Value> {
    out.stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The events of the run's journal (the test directory holds one run).
fn journal(out: &Output) -> Vec<Value> {
    let runs = out.dir.join(".runbook/runs");
    let entries = std::fs::read_dir(&runs).expect("a journal directory");
    let files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    assert_eq!(files.len(), 1, "one journal in {}", runs.display());
    std::fs::read_to_string(&files[0])
        .expect("the journal")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Whether an event tells of a failure.
fn is_failure(event: &Value) -> bool {
    match event["event"].as_str() {
        Some("step_failed" | "step_retrying") => true,
        Some("host_finished" | "rollback_finished" | "finally_finished") => event["ok"] == false,
        Some("guard_checked") => event["status"] == "failed",
        _ => false,
    }
}

/// Every failure event, of the output and of the journal, has `kind`; there is at least one.
fn assert_kind(out: &Output, kind: &str) {
    for (source, events) in [("--format json", events(out)), ("journal", journal(out))] {
        let failures: Vec<&Value> = events.iter().filter(|e| is_failure(e)).collect();
        assert!(
            failures.iter().any(|e| e["event"] == "step_failed"),
            "{source}: no step_failed in\n{}\n{}",
            out.stdout,
            out.stderr
        );
        for failure in failures {
            assert_eq!(failure["error_kind"], kind, "{source}: {failure}");
        }
        let fine: Vec<&Value> = events
            .iter()
            .filter(|e| !is_failure(e) && e.get("error_kind").is_some())
            .collect();
        assert!(
            fine.is_empty(),
            "{source}: a kind without a failure: {fine:?}"
        );
    }
}

/// A body whose command exits with 3, after CJK text on its line.
const EXIT_3: &str = "runbook \"r\" {\n  procedure p {\n    step s {\n      log(\"日本\"); sh(\"exit 3\");\n    }\n  }\n}\n";

#[test]
fn a_runtime_failure_shows_the_static_caret_and_its_kind() {
    let out = Test::new().runbook(EXIT_3).args(["run", "main.rb42"]).run();
    out.code(1)
        .stdout_has("✗ s failed: command `exit 3` exited with code 3")
        .stdout_has("--> main.rb42:4:18");
    // `      log("` is 11 columns, 日本 4 (for 2 characters), `"); ` 4: `sh`, the 18th
    // character, is 19 columns in.
    let excerpt = format!(
        "    4 |       log(\"日本\"); sh(\"exit 3\");\n      | {}^",
        " ".repeat(19)
    );
    assert!(out.stdout.contains(&excerpt), "{}", out.stdout);

    let json = Test::new()
        .runbook(EXIT_3)
        .args(["run", "main.rb42", "--format", "json"])
        .run();
    json.code(1);
    assert_kind(&json, "exit_status");
    let failed = events(&json)
        .into_iter()
        .find(|e| e["event"] == "step_failed")
        .expect("a step_failed event");
    assert_eq!(failed["location"]["file"], "main.rb42");
    assert_eq!(failed["location"]["line"], 4);
    assert_eq!(failed["location"]["column"], 18);
    assert_eq!(
        failed["location"]["source_line"],
        "      log(\"日本\"); sh(\"exit 3\");"
    );
}

/// A step whose `transaction` closure fails on its third line, against `url`.
const TRANSACTION: &str = r#"runbook "sql" {
  param db: string
  procedure p {
    step s {
      execute(db, "CREATE TABLE IF NOT EXISTS story (id int)");
      transaction(db, || {
        execute(db, "INSERT INTO story VALUES (1)");
        execute(db, "INSERT INTO no_such_table VALUES (1)");
      });
    }
  }
}
"#;

#[test]
fn a_failure_inside_a_transaction_names_its_statement_against_postgres() {
    let url = postgres_env::server().database();
    let param = format!("db={url}");
    let out = Test::new()
        .runbook(TRANSACTION)
        .args(["run", "main.rb42", "-p", &param])
        .run();
    out.code(1)
        .stdout_has("relation \"no_such_table\" does not exist")
        .stdout_has("--> main.rb42:8:9")
        .stdout_has("    8 |         execute(db, \"INSERT INTO no_such_table VALUES (1)\");")
        .stdout_lacks("anon$")
        .stdout_lacks("main.rb42:6:");
    let json = Test::new()
        .runbook(TRANSACTION)
        .args(["run", "main.rb42", "-p", &param, "--format", "json"])
        .run();
    json.code(1).stdout_lacks("anon$");
    assert_kind(&json, "sql");
    // The transaction was rolled back: the first insert is not there.
    let url = postgres_env::server().database();
    let param = format!("db={url}");
    Test::new()
        .runbook(
            "runbook \"sql\" {\n  param db: string\n  procedure p { step s {\n    execute(db, \"CREATE TABLE story (id int)\");\n    assert(scalar(db, \"SELECT count(*) FROM story\") == 0, \"empty\");\n  } }\n}\n",
        )
        .args(["run", "main.rb42", "-p", &param])
        .run()
        .code(0);
}

/// A one-step runbook on the host `vm` (`@HOSTS@` is replaced by its declaration).
const ON_VM: &str = r#"runbook "r" {
  param dir: string
@HOSTS@
  procedure p on vm { step s timeout 60s { run("exit 3"); } }
}"#;

fn run_json(test: Test, remote: &std::path::Path) -> Output {
    let dir = format!("dir={}", remote.display());
    test.args(["run", "main.rb42", "-p", &dir, "--format", "json"])
        .run()
}

#[test]
fn ssh_failures_have_their_kinds() {
    let server = Sshd::start();

    let (test, remote) = remote_test(ON_VM, &[("vm", &server)]);
    let out = run_json(test, &remote);
    out.code(1).stdout_has("exited with code 3");
    assert_kind(&out, "exit_status");

    let (test, remote) = remote_test(
        // A step timeout counts the connection too: 1 s is short for a loaded machine, but
        // a connection that takes longer still ends the step as a timeout.
        &ON_VM
            .replace("run(\"exit 3\")", "run(\"sleep 4321\")")
            .replace("timeout 60s", "timeout 1s"),
        &[("vm", &server)],
    );
    let out = run_json(test, &remote);
    out.code(1).stdout_has("timed out");
    assert_kind(&out, "timeout");

    // A key the server does not authorise.
    let (test, remote) = remote_test(ON_VM, &[("vm", &server)]);
    let text = std::fs::read_to_string(test.path().join("main.rb42"))
        .expect("the runbook")
        .replace(
            &sshd::client_key().display().to_string(),
            &sshd::stranger_key().display().to_string(),
        );
    let out = run_json(test.file("main.rb42", text), &remote);
    out.code(1).stdout_has("refused authentication");
    assert_kind(&out, "auth");

    // A host key that is not in known_hosts.
    let (test, remote) = remote_test(ON_VM, &[("vm", &server)]);
    let empty = test.path().join("empty_known_hosts");
    std::fs::write(&empty, "").expect("an empty known_hosts");
    let empty = empty.to_string_lossy().into_owned();
    let out = run_json(test.env("RUNBOOK_KNOWN_HOSTS", &empty), &remote);
    out.code(1).stdout_has("not in known_hosts");
    assert_kind(&out, "host_key");

    // Nothing listens on the port any more.
    let (test, remote) = remote_test(ON_VM, &[("vm", &server)]);
    drop(server);
    let out = run_json(test, &remote);
    out.code(1).stdout_has("connection refused");
    assert_kind(&out, "unreachable");
}

#[test]
fn an_http_status_the_step_refuses_is_http_status() {
    let server = HttpServer::start();
    let param = format!("base={}", server.url(""));
    let out = Test::new()
        .runbook(
            "runbook \"h\" {\n  param base: string\n  procedure p { step s { http_get(`${base}/fail`, #{expect: 200}); } }\n}\n",
        )
        .args(["run", "main.rb42", "-p", &param, "--format", "json"])
        .run();
    out.code(1).stdout_has("expected 200, got 500");
    assert_kind(&out, "http_status");
}

#[test]
fn a_refused_docker_request_is_docker() {
    let out = Test::new()
        .runbook(
            "runbook \"d\" {\n  procedure p { step s { docker().restart(\"runbook-test-no-such-container\"); } }\n}\n",
        )
        .args(["run", "main.rb42", "--format", "json"])
        .run();
    out.code(1)
        .stdout_has("no container `runbook-test-no-such-container`");
    assert_kind(&out, "docker");
}

const CHECKS: &str = r#"runbook "r" {
  procedure p {
    guard "the world is ready" { false }
    step s { log("never"); }
  }
  procedure q {
    step a { log("a"); } rollback { fail("cannot undo a"); }
    step b { assert(1 == 2, "one is not two"); }
  }
}
"#;

#[test]
fn a_false_guard_a_failed_assertion_and_a_failed_rollback_are_assertions() {
    let out = Test::new()
        .runbook(CHECKS)
        .args(["run", "main.rb42", "p", "--format", "json"])
        .run();
    out.code(1);
    let guard = events(&out)
        .into_iter()
        .find(|e| e["event"] == "guard_checked")
        .expect("a guard event");
    assert_eq!(guard["error_kind"], "assertion", "{guard}");

    let out = Test::new()
        .runbook(CHECKS)
        .args(["run", "main.rb42", "q", "--format", "json"])
        .run();
    out.code(4).stdout_has("one is not two");
    assert!(
        events(&out)
            .iter()
            .any(|e| e["event"] == "rollback_finished" && e["ok"] == false),
        "{}",
        out.stdout
    );
    assert_kind(&out, "assertion");
}

/// A step over two hosts that fails on one; its rollback fails on the other.
const ON_TWO: &str = r#"runbook "r" {
  param dir: string
@HOSTS@
  group web [a, b]
  procedure p on web {
    step s {
      if target().name == "b" { fail("b is broken"); }
    } rollback {
      if target().name == "a" { fail("cannot undo on a"); }
    }
  }
}"#;

#[test]
fn a_fan_out_tells_the_kind_of_each_host_and_of_each_hosts_rollback() {
    let servers = [Sshd::start(), Sshd::start()];
    let (test, remote) = remote_test(ON_TWO, &[("a", &servers[0]), ("b", &servers[1])]);
    let out = run_json(test, &remote);
    out.code(4)
        .stdout_has("b is broken")
        .stdout_has("cannot undo on a");
    let events = events(&out);
    let failed_on = |event: &str, host: &str| {
        events
            .iter()
            .any(|e| e["event"] == event && e["host"] == host && e["ok"] == false)
    };
    assert!(failed_on("host_finished", "b"), "{}", out.stdout);
    assert!(failed_on("rollback_finished", "a"), "{}", out.stdout);
    let finished = events
        .iter()
        .find(|e| e["event"] == "run_finished")
        .expect("run_finished");
    assert_eq!(finished["rollbacks_failed"], 1, "{finished}");
    // Every failure event has its kind; run_finished, which is not one, has none.
    assert_kind(&out, "assertion");
}

#[test]
fn a_missing_file_is_io_and_a_declined_confirmation_is_declined_with_exit_3() {
    let out = Test::new()
        .runbook(
            "runbook \"r\" {\n  procedure p { step s { read_file(\"no-such-file.txt\"); } }\n}\n",
        )
        .args(["run", "main.rb42", "--format", "json"])
        .run();
    out.code(1).stdout_has("cannot read `no-such-file.txt`");
    assert_kind(&out, "io");

    // Without a terminal to ask, a confirmation is declined.
    let out = Test::new()
        .runbook("runbook \"r\" {\n  procedure p { step s { confirm(\"Go on?\"); } }\n}\n")
        .args(["run", "main.rb42", "--format", "json"])
        .run();
    out.code(3).stdout_has("declined: Go on?");
    assert_kind(&out, "declined");
}
