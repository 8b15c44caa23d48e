//! `let` values at the runbook's top and in a procedure: computed once before the first guard,
//! seen by guards, `when`, bodies, rollbacks, `finally` and messages; only those a procedure
//! reads; the same again on `resume` and `rollback RUN`; one computation here for a fan-out over
//! SSH hosts; `check`'s diagnostics; plans (a value built from an unknown is unknown); masking of
//! values built from secrets.

use crate::harness::{Test, run_id};
use crate::journal::{kill9, show, wait_for};
use crate::ssh::remote_test;
use crate::sshd::Sshd;
use std::process::Stdio;

/// A value whose expression leaves a trace each time it is computed (`count`), read by every
/// kind of body and message.
const EVERYWHERE: &str = r#"runbook "v" {
  param project: string = "shop"
  let computed = sh(["sh", "-c", "echo x >> count; echo computed"]).stdout;
  let app = #{name: project, dir: "work", tag: computed};

  procedure deploy default {
    let marker = `${app.dir}/${app.name}.marker`;
    guard "${app.name} has a directory" { app.dir != "" }
    confirm "Déployer ${app.name} (${app.tag}) ?"
    step prepare "Préparer ${app.name}" when { app.name == project } {
      sh(["mkdir", "-p", app.dir]);
      sh(["touch", marker]);
    } rollback {
      sh(["rm", "-f", marker]);
    }
    step fail_here { if project == "broken" { fail(`cannot deploy ${app.name}`); } }
    finally { sh(["sh", "-c", `echo ${app.name} > finally-saw`]); }
  }

  procedure other {
    step s { log("nothing read") }
  }
}"#;

#[test]
fn a_value_is_computed_once_and_seen_by_guards_when_bodies_rollbacks_finally_and_messages() {
    let out = Test::new()
        .runbook(EVERYWHERE)
        .args(["run", "main.rb42", "--yes", "-p", "project=broken"])
        .run();
    out.code(1)
        .stdout_has("guard ✓ broken has a directory")
        .stdout_has("Déployer broken (computed) ?")
        .stdout_has("prepare — Préparer broken")
        .stdout_has("change local$ touch work/broken.marker")
        .stdout_has("cannot deploy broken")
        .stdout_has("change local$ rm -f work/broken.marker");
    assert_eq!(
        out.read("count").as_deref(),
        Some("x\n"),
        "computed once for the guard, the gate, two steps, a rollback and finally"
    );
    assert_eq!(out.read("finally-saw").as_deref(), Some("broken\n"));
    assert!(!out.exists("work/broken.marker"), "rolled back");
}

#[test]
fn only_the_values_a_procedure_reads_are_computed() {
    let out = Test::new()
        .runbook(EVERYWHERE)
        .args(["run", "main.rb42", "other"])
        .run();
    out.code(0);
    assert!(
        !out.exists("count"),
        "`other` reads no value: `computed` never ran"
    );
}

#[test]
fn check_reports_each_mistake_with_values_at_its_place() {
    let out = Test::new()
        .runbook(
            r#"runbook "bad" {
  param app_dir: string = "/srv"
  secret token from env "TOKEN"
  let early = later + 1;
  let later = 2;
  let app = #{dir: app_dirr};
  let app_dir = 4;
  let fn = 1;

  procedure p {
    let later = 3;
    step s {
      app = #{};
      token += "x";
      app.dir = "y";
      let mine = app; mine.dir = "z";
      log(`${early} ${mine}`);
      publish("app", mine);
    }
  }
}"#,
        )
        .args(["check", "main.rb42"])
        .run();
    out.code(2);
    let expected = [
        (
            "error: value `later` is used before its definition",
            "main.rb42:4:15",
        ),
        ("error: unknown variable `app_dirr`", "main.rb42:6:20"),
        (
            "error: `app_dir` is already declared as a parameter",
            "main.rb42:7:7",
        ),
        (
            "error: `fn` is reserved by rhai and cannot name a value",
            "main.rb42:8:7",
        ),
        (
            "error: `later` is already declared as a value",
            "main.rb42:11:9",
        ),
        (
            "error: `app` is a value: it cannot be assigned",
            "main.rb42:13:7",
        ),
        (
            "error: `token` is a secret: it cannot be assigned",
            "main.rb42:14:7",
        ),
        (
            "error: `app` is a value: it cannot be assigned",
            "main.rb42:15:7",
        ),
        (
            "error: `app` is a value: a step cannot publish it",
            "main.rb42:18:15",
        ),
    ];
    for (message, at) in expected {
        let shown = format!("{message}\n --> {at}");
        let shown_wide = format!("{message}\n  --> {at}");
        assert!(
            out.stderr.contains(&shown) || out.stderr.contains(&shown_wide),
            "{message} at {at}:\n{}",
            out.stderr
        );
    }
    out.stderr_has("help: did you mean `app_dir`?")
        .stderr_has("help: `later` is defined on line 5")
        .stderr_has("checked 1 file: 9 errors");
}

#[test]
fn check_warns_about_a_value_nothing_reads_or_that_reads_the_clock() {
    let out = Test::new()
        .runbook(
            r#"runbook "w" {
  let unused = 1;
  let shown = #{name: "shop"};
  let stamp = `/srv/releases/${now("%Y%m%d")}`;
  procedure p {
    confirm "Relancer ${shown.name} ?"
    step s { log(stamp) }
  }
}"#,
        )
        .args(["check", "main.rb42"])
        .run();
    out.code(0)
        .stderr_has("warning: value `unused` is never used\n --> main.rb42:2:7")
        .stderr_has("warning: value `stamp` reads the clock: `resume` and `rollback RUN` compute it again, at another time\n --> main.rb42:4:32")
        .stderr_has("checked 1 file: 0 errors, 2 warnings");
}

#[test]
fn a_plan_computes_values_and_a_value_built_from_an_unknown_is_unknown() {
    let out = Test::new()
        .runbook(
            r#"runbook "p" {
  param dir: string = "/srv/app"
  let app = #{dir: dir, name: "shop"};
  let host_name = sh("hostname").stdout;
  let label = host_name.to_upper();
  let path = `${app.dir}/${host_name}`;
  procedure p {
    confirm "Relancer ${app.name} sur ${label} ?"
    step s {
      sh(["touch", `${app.dir}/known`]);
      sh(["touch", path]);
      sh(["echo", label]);
    }
  }
}"#,
        )
        .args(["plan", "main.rb42"])
        .run();
    out.code(0)
        .stdout_has("Guards\n  value `host_name` — ✓ passes\n      read   local$ hostname\n")
        .stdout_has("confirm before `s`: Relancer shop sur ⟨value label⟩ ?")
        .stdout_has("change local$ touch /srv/app/known")
        .stdout_has("might  local$ touch '/srv/app/⟨output of hostname⟩'")
        .stdout_has("might  local$ echo ⟨value label⟩  (depends on ⟨value label⟩)");
}

/// A value built from a secret, transformed beyond what the secret's own mask recognises.
const MASKED: &str = r#"runbook "m" {
  secret token from env "TOKEN"
  let shout = token.to_upper();
  let header = #{auth: `Bearer ${shout}`, user: "deploy"};
  procedure p {
    step s {
      log(shout);
      sh(["sh", "-c", "echo \"$H\""], #{env: #{H: header.auth}});
      publish("sent", header);
      fail(`refused ${shout}`);
    }
  }
}"#;

#[test]
fn a_value_built_from_a_secret_is_masked_in_output_and_journal() {
    let test = Test::new().runbook(MASKED).env("TOKEN", "tok-abc");
    let dir = test.path().to_path_buf();
    let mut command = test.command();
    let run = command.args(["run", "main.rb42"]).output().expect("runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("refused ***"), "{stdout}");
    assert!(!stdout.contains("TOK-ABC"), "{stdout}");
    let journal =
        std::fs::read_to_string(dir.join(format!(".runbook/runs/{}.jsonl", run_id(&dir))))
            .expect("journal");
    assert!(!journal.contains("TOK-ABC"), "the journal holds the value");
    assert!(!journal.contains("tok-abc"), "the journal holds the secret");
    assert!(
        journal.contains(r#"\"user\": \"deploy\""#),
        "a field of the map built from no secret is kept:\n{journal}"
    );
}

/// A plan (text and JSON) computes a value from the secret's real value, and shows it masked:
/// in a log, a command's argument and a confirmation.
#[test]
fn a_value_built_from_a_secret_is_masked_in_plans() {
    let text = r#"runbook "m" {
  secret token from env "TOKEN"
  let shout = token.to_upper();
  let header = #{auth: `Bearer ${shout}`, user: "deploy"};
  procedure p {
    confirm "Envoyer ${header.auth} ?"
    step s {
      log(shout);
      sh(["curl", "-H", header.auth, "https://example.org"]);
    }
  }
}"#;
    let plan = Test::new()
        .runbook(text)
        .env("TOKEN", "tok-abc")
        .args(["plan", "main.rb42"])
        .run();
    plan.code(0)
        .stdout_has("confirm before `s`: Envoyer *** ?")
        .stdout_has("change local$ curl -H '***' https://example.org")
        .stdout_lacks("TOK-ABC")
        .stdout_lacks("tok-abc");
    let json = Test::new()
        .runbook(text)
        .env("TOKEN", "tok-abc")
        .args(["plan", "main.rb42", "--format", "json"])
        .run();
    json.code(0)
        .stdout_has("curl -H '***'")
        .stdout_lacks("TOK-ABC")
        .stdout_lacks("tok-abc");
}

/// Step `b` waits long enough for the test to kill the run; the values come from a parameter
/// given on the command line, which only the journal remembers afterwards.
const RESUMABLE: &str = r#"runbook "r" {
  param project: string = "default"
  let app = #{name: project, marker: `made-by-${project}`};
  procedure p {
    step a { sh(["touch", app.marker]); } rollback { sh(["touch", `undone-${app.name}`]); }
    step b { sh("touch started; sleep SLEEP"); }
    step c { sh(["touch", `finished-${app.name}`]); }
  }
}"#;

fn killed_run(sleep: &str) -> (Test, String) {
    let test = Test::new().runbook(&RESUMABLE.replace("SLEEP", sleep));
    let dir = test.path().to_path_buf();
    let mut child = test
        .command()
        .args(["run", "main.rb42", "-p", "project=blue"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn runbook");
    wait_for(&dir.join("started"));
    kill9(&mut child);
    let id = run_id(&dir);
    (test, id)
}

#[test]
fn rollback_run_computes_the_values_again_from_the_journaled_parameters() {
    let (test, id) = killed_run("30");
    let dir = test.path().to_path_buf();
    show(&dir, &id).code(0).stdout_has("rollbacks owed");
    let back = test.args(["rollback", &id, "--yes"]).run();
    back.code(0).stdout_has("rolled back a");
    assert!(back.exists("made-by-blue"));
    assert!(
        back.exists("undone-blue"),
        "the rollback saw the run's value (project=blue), not the default"
    );
}

#[test]
fn resume_computes_the_values_again_from_the_journaled_parameters() {
    let (test, id) = killed_run("30");
    std::fs::write(
        test.path().join("main.rb42"),
        RESUMABLE.replace("SLEEP", "0"),
    )
    .expect("rewrite");
    let resumed = test
        .args(["resume", &id, "--yes", "--force", "--break-lock"])
        .run();
    resumed.code(0).stdout_has("[3/3] c");
    assert!(
        resumed.exists("finished-blue"),
        "step c saw project=blue:\n{}",
        resumed.stdout
    );
}

#[test]
fn a_fan_out_over_ssh_hosts_sees_one_value_computed_once_here() {
    let servers = [Sshd::start(), Sshd::start()];
    let (test, remote) = remote_test(
        r#"runbook "f" {
  param dir: string
@HOSTS@
  group web [web1, web2]
  let stamp = sh(["sh", "-c", "echo x >> count; hostname"]).stdout;
  let app = #{name: "shop", stamp: stamp};
  procedure p on web {
    guard "${app.name} is set" { app.name != "" }
    step write {
      run(["sh", "-c", `echo ${app.name} ${app.stamp} > ${dir}/seen-${target().name}`]);
    }
  }
}"#,
        &[("web1", &servers[0]), ("web2", &servers[1])],
    );
    let dir = format!("dir={}", remote.display());
    let out = test.args(["run", "main.rb42", "-p", &dir]).run();
    out.code(0).stdout_has("guard ✓ shop is set");
    assert_eq!(
        out.read("count").as_deref(),
        Some("x\n"),
        "computed once, here, not once per host"
    );
    let here = String::from_utf8(
        std::process::Command::new("hostname")
            .output()
            .expect("hostname")
            .stdout,
    )
    .expect("utf-8");
    for host in ["web1", "web2"] {
        let seen = std::fs::read_to_string(remote.join(format!("seen-{host}")))
            .unwrap_or_else(|_| panic!("{host} did not write"));
        assert_eq!(seen.trim(), format!("shop {}", here.trim()), "{host}");
    }
}

#[test]
fn the_repl_has_the_runbooks_values_as_variables_and_computes_them_again_after_set() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  param label: string = "first"
  let path = `/srv/${label}`;
  procedure p {
    step s { log(`step sees ${path}`); }
  }
}"#,
        )
        .env("RUNBOOK_HISTORY", "")
        .args(["repl", "main.rb42"])
        .stdin("path\n:set label second\npath\n:step s\n")
        .run();
    out.code(0)
        .stdout_has("/srv/first\n")
        .stdout_has("/srv/second\n")
        .stdout_has("step sees /srv/second");
}

#[test]
fn list_and_doc_show_the_values_as_written() {
    let test = Test::new().runbook(
        r#"runbook "l" {
  param dir: string = "/srv"
  let app = #{dir: dir,
    name: "shop"};
  procedure p {
    let marker = `${app.dir}/m`;
    step s { sh(["touch", marker]); }
  }
}"#,
    );
    let list = Test::new()
        .args(["list"])
        .arg_path(&test.path().join("main.rb42"))
        .run();
    list.code(0)
        .stdout_has("values\n  app = #{dir: dir, name: \"shop\"}\n")
        .stdout_has("      let marker = `${app.dir}/m`\n");
    let json = Test::new()
        .args(["list", "--format", "json"])
        .arg_path(&test.path().join("main.rb42"))
        .run();
    json.code(0).stdout_has(r#""name": "marker""#);
    let page = test.args(["doc", "main.rb42"]).run();
    page.code(0)
        .stdout_has("## Values")
        .stdout_has("| `app` | `#{dir: dir, name: \"shop\"}` |")
        .stdout_has("**Values:** `marker` = `` `${app.dir}/m` ``")
        .stdout_has("touch /srv/m");
}
