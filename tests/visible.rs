//! What ran, and what would run, is visible: the live view of a run and `runbook show` print
//! each action as its plan words it, environment and SQL parameter values included and secrets
//! masked; `${name}` in titles and confirmations reads the same in `plan`, `doc` and `run`; a
//! plan's log lines never invent a value; plans show the fan-out policy and list per-host
//! actions in inventory order, the same bytes every time.

use crate::harness::{Test, run_id};
use crate::journal::show;

const SECRET: &str = "s3cr3t-t0ken-81f2";

/// A command given a secret and a plain variable, then SQL statements with parameter values
/// (the secret among them) on a SQLite file beside the runbook.
const LIVE: &str = r#"runbook "r" {
  param name: string = "Zoé"
  secret token from env "DEPLOY_TOKEN"
  procedure p {
    step greet "Saluer" {
      sh(["printenv", "MODE"], #{env: #{API_TOKEN: token, MODE: "blue green"}});
    }
    step store "Enregistrer" {
      execute("sqlite://app.db", "CREATE TABLE IF NOT EXISTS people (name TEXT, token TEXT)");
      let n = execute("sqlite://app.db", "INSERT INTO people (name, token) VALUES (?, ?)", [name, token]);
      log(`${n} row(s) stored`);
    }
  }
}"#;

/// The action lines of a plan or a run's output (`change local$ …`), trimmed.
fn action_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| {
            ["change ", "read ", "might "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn the_live_view_and_show_print_each_command_as_its_plan_words_it() {
    let plan = Test::new()
        .runbook(LIVE)
        .env("DEPLOY_TOKEN", SECRET)
        .args(["plan", "main.rb42"])
        .run();
    plan.code(0).stdout_lacks(SECRET);
    let planned = action_lines(&plan.stdout);
    assert_eq!(
        planned,
        [
            "change local$ API_TOKEN=*** MODE='blue green' printenv MODE",
            "change sqlite://app.db$ CREATE TABLE IF NOT EXISTS people (name TEXT, token TEXT)",
            "change sqlite://app.db$ INSERT INTO people (name, token) VALUES (?, ?)  -- parameters: 'Zoé', '***'",
        ],
        "{}",
        plan.stdout
    );

    let run = Test::new()
        .runbook(LIVE)
        .env("DEPLOY_TOKEN", SECRET)
        .args(["run", "main.rb42"])
        .run();
    run.code(0).stdout_lacks(SECRET);
    assert_eq!(action_lines(&run.stdout), planned, "{}", run.stdout);
    // Each command comes before its output.
    let command = run.stdout.find("printenv MODE").expect("the command");
    let output = run.stdout.find("│ blue green").expect("its output");
    assert!(command < output, "{}", run.stdout);

    let id = run_id(&run.dir);
    let shown = show(&run.dir, &id);
    shown.code(0).stdout_lacks(SECRET);
    assert_eq!(action_lines(&shown.stdout), planned, "{}", shown.stdout);

    let journal = std::fs::read_to_string(run.dir.join(format!(".runbook/runs/{id}.jsonl")))
        .expect("the journal");
    assert!(!journal.contains(SECRET), "{journal}");
    assert!(
        journal.contains("-- parameters: 'Zoé', '***'")
            && journal.contains("API_TOKEN=*** MODE='blue green' printenv MODE"),
        "{journal}"
    );
}

#[test]
fn a_docs_sql_statements_show_their_parameter_values() {
    let out = Test::new().runbook(LIVE).args(["doc", "main.rb42"]).run();
    out.code(0)
        .stdout_has(
            "INSERT INTO people (name, token) VALUES (?, ?)  -- parameters: 'Zoé', '⟨secret token⟩'",
        )
        .stdout_has("API_TOKEN='⟨secret token⟩' MODE='blue green' printenv MODE");
}

/// Values only a run knows, written into log lines.
const LOGS: &str = r#"runbook "r" {
  param url: string = "http://127.0.0.1:9/health"
  procedure p {
    step backfill "Remplir" {
      let n = execute("sqlite://app.db", "UPDATE users SET plan = 'free'");
      log(`${n} rows backfilled`);
      let answer = http_get(url);
      log(`web1: answered in ${answer.elapsed_ms} ms`);
    }
  }
}"#;

#[test]
fn a_plans_log_lines_show_what_only_a_run_knows_as_unknown() {
    let out = Test::new().runbook(LOGS).args(["plan", "main.rb42"]).run();
    out.code(0)
        .stdout_has("⟨rows changed by UPDATE users SET plan = 'free'⟩ rows backfilled")
        .stdout_has("web1: answered in ⟨time of GET http://127.0.0.1:9/health⟩ ms")
        .stdout_lacks("0 rows backfilled")
        .stdout_lacks("answered in  ms");
}

/// A Compose project's environment (and `up`'s own `env`): the tag a reviewer approves, and the
/// rollback's other tag; a tag only a run knows makes the command *might*.
const COMPOSE: &str = r#"runbook "r" {
  param tag: string = "1.5.0"
  param previous_tag: string = "1.4.2"
  use "stdlib/compose.rhai" as compose
  procedure p {
    step current "Lire la version" {
      publish("running", sh("cat current-tag", #{read: true}).stdout);
    }
    step release "Nouvelle image" {
      compose::up(#{name: "app", env: #{WEB_TAG: tag}}, #{services: ["web"]});
    } rollback {
      compose::up(#{name: "app"}, #{env: #{WEB_TAG: previous_tag}, services: ["web"]});
    }
    step again "Remettre la version lue" {
      compose::up(#{name: "app", env: #{WEB_TAG: running}});
    }
  }
}"#;

#[test]
fn a_compose_tag_is_in_the_plan_the_doc_and_the_json_and_the_rollbacks_tag_differs() {
    let out = Test::new()
        .runbook(COMPOSE)
        .args(["plan", "main.rb42"])
        .run();
    out.code(0);
    let ups: Vec<String> = action_lines(&out.stdout)
        .into_iter()
        .filter(|l| l.contains(" up -d"))
        .collect();
    assert_eq!(ups.len(), 3, "{}", out.stdout);
    assert!(
        // A might: the Compose program is chosen at run time.
        ups[0].starts_with("might  local$ WEB_TAG=1.5.0 ") && ups[0].contains(" up -d web "),
        "{ups:?}"
    );
    // The rollback, under its step: its own tag.
    assert!(
        ups[1].starts_with("might  local$ WEB_TAG=1.4.2 ") && ups[1].contains(" up -d web "),
        "{ups:?}"
    );
    assert!(
        ups[2].starts_with("might  local$ WEB_TAG='⟨output of cat current-tag⟩' "),
        "{ups:?}"
    );

    let json = Test::new()
        .runbook(COMPOSE)
        .args(["plan", "main.rb42", "--format", "json"])
        .run();
    json.code(0);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("a JSON plan");
    let step = &plan["items"][1];
    assert_eq!(step["id"], "release");
    let up = |list: &serde_json::Value| {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["command"].as_str())
            .find(|c| c.contains(" up -d"))
            .unwrap_or_default()
            .to_string()
    };
    assert!(up(&step["actions"]).starts_with("WEB_TAG=1.5.0 "), "{step}");
    assert!(
        up(&step["rollback"]).starts_with("WEB_TAG=1.4.2 "),
        "{step}"
    );

    let doc = Test::new()
        .runbook(COMPOSE)
        .args(["doc", "main.rb42"])
        .run();
    doc.code(0)
        .stdout_has("WEB_TAG=1.5.0 ")
        .stdout_has("WEB_TAG=1.4.2 ");
}

/// `${name}` in step titles and confirmations: a parameter, a value published by an earlier
/// step, and a value only a run knows.
const FILLED: &str = r#"runbook "r" {
  param dump_dir: string = "/backups"
  procedure p {
    step dump "Sauvegarder dans ${dump_dir}" {
      publish("dump_file", `${dump_dir}/db.dump`);
      publish("listing", sh("ls", #{read: true}).stdout);
    }
    confirm "Restaurer ${dump_file} ?"
    step restore "Restaurer ${dump_file} (${listing})" confirm "Vraiment ${dump_file} ?" {
      sh(["true"]);
    }
  }
}"#;

#[test]
fn titles_and_confirmations_are_filled_in_alike_by_plan_doc_and_run() {
    let plan = Test::new()
        .runbook(FILLED)
        .args(["plan", "main.rb42"])
        .run();
    plan.code(0)
        .stdout_has("1. dump — Sauvegarder dans /backups")
        .stdout_has("confirm before `restore`: Restaurer /backups/db.dump ?")
        .stdout_has("confirm before `restore`: Vraiment /backups/db.dump ?")
        .stdout_has("2. restore — Restaurer /backups/db.dump (⟨output of ls⟩)");
    let doc = Test::new().runbook(FILLED).args(["doc", "main.rb42"]).run();
    doc.code(0)
        .stdout_has("#### 1. Sauvegarder dans /backups (`dump`)")
        .stdout_has("Restaurer /backups/db.dump ?")
        .stdout_has("**Confirmation:** Vraiment /backups/db.dump ?")
        .stdout_has("#### 2. Restaurer /backups/db.dump (⟨output of ls⟩) (`restore`)")
        // Its diagram too.
        .stdout_has("2. Restaurer /backups/db.dump (⟨output of ls⟩)<br>id: restore")
        .stdout_lacks("${");
    let markdown = Test::new()
        .runbook(FILLED)
        .args(["plan", "main.rb42", "--format", "markdown"])
        .run();
    markdown
        .code(0)
        .stdout_has("confirm: Restaurer /backups/db.dump ?")
        .stdout_has("confirm: Vraiment /backups/db.dump ?")
        .stdout_lacks("${");
    let run = Test::new()
        .runbook(FILLED)
        .args(["run", "main.rb42", "--yes"])
        .run();
    run.code(0)
        .stdout_has("dump — Sauvegarder dans /backups")
        .stdout_has("? Restaurer /backups/db.dump ?")
        .stdout_has("? Vraiment /backups/db.dump ?")
        .stdout_has("restore — Restaurer /backups/db.dump (main.rb42");
    // A title naming nothing known is checked as confirmations are.
    let check = Test::new()
        .runbook(&FILLED.replace("Restaurer ${dump_file} (", "Restaurer ${dump_fil} ("))
        .args(["check", "main.rb42"])
        .run();
    check
        .stderr_has("`${dump_fil}` names no parameter, secret or value published before it: it shows as ⟨dump_fil⟩")
        .stderr_has("did you mean `${dump_file}`?");
}

/// Four hosts of an inventory; each host's body waits the longer the earlier it comes, so
/// hosts planned at once finish in the reverse of the inventory's order.
const FAN_OUT: &str = r#"runbook "r" {
  host a "a.example"
  host b "b.example"
  host c "c.example"
  host d "d.example"
  group web [a, b, c, d]
  procedure p on web forks 4 tolerate 25% {
    step deploy "Déployer" {
      let wait = #{a: "0.6", b: "0.4", c: "0.2", d: "0"}[target().name];
      sh(`sleep ${wait}`, #{read: true});
      run(`echo deploy ${target().name}`);
    }
  }
}"#;

#[test]
fn plans_are_the_same_bytes_every_time_with_hosts_in_inventory_order() {
    let test = Test::new().runbook(FAN_OUT);
    let plan = |format: &str| {
        let mut cmd = test.command();
        cmd.args(["plan", "main.rb42", "--probe", "--format", format]);
        let out = cmd.output().expect("runbook plan");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let first = plan("text");
    for _ in 0..4 {
        assert_eq!(plan("text"), first);
    }
    let deploys: Vec<&str> = first
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("$ echo deploy"))
        .collect();
    assert_eq!(
        deploys,
        [
            "change a$ echo deploy a",
            "change b$ echo deploy b",
            "change c$ echo deploy c",
            "change d$ echo deploy d",
        ],
        "{first}"
    );
    let markdown = plan("markdown");
    assert_eq!(plan("markdown"), markdown);
}

#[test]
fn text_and_markdown_plans_show_the_fan_out_policy_as_the_doc_does() {
    let policy = "4 at a time, up to 25% of the hosts may fail";
    let text = Test::new()
        .runbook(FAN_OUT)
        .args(["plan", "main.rb42"])
        .run();
    text.code(0)
        .stdout_has(&format!("1. deploy — Déployer  [on web, {policy}]"));
    let markdown = Test::new()
        .runbook(FAN_OUT)
        .args(["plan", "main.rb42", "--format", "markdown"])
        .run();
    markdown.code(0).stdout_has(&format!("_on web, {policy}_"));
    let doc = Test::new()
        .runbook(FAN_OUT)
        .args(["doc", "main.rb42"])
        .run();
    doc.code(0)
        .stdout_has(&format!("**Runs on** `web` (a, b, c, d), {policy}."));
}

#[test]
fn a_plan_diff_tells_a_changed_fan_out_policy() {
    let out = Test::new()
        .runbook(FAN_OUT)
        .file(
            "old.rb42",
            FAN_OUT.replace("forks 4 tolerate 25%", "forks 2"),
        )
        .args(["plan", "main.rb42", "--base", "old.rb42"])
        .run();
    out.code(0)
        .stdout_has("fan-out: `2 at a time` → `4 at a time, up to 25% of the hosts may fail`");
}
