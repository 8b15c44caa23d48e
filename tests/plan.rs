//! `runbook plan` and `run --dry-run`: nothing changes, and the plan says what would.

use crate::harness::{Test, golden};

/// A deploy whose every command is visible in its plan; no clock, no temp paths.
const DEPLOY: &str = r#"runbook "brokerx" {
  description "Déploiement de BrokerX+ sur la VM"
  param app_dir: string = "/opt/brokerx"
  param tag: string = "v1.2.3"
  secret token from env "DEPLOY_TOKEN"

  guard "Docker Compose v2 disponible" { sh("docker compose version").ok }

  procedure deploy "Déployer" {
    step archive "Sauvegarder l'application" {
      let file = `/tmp/brokerx_backup_${tag}.tgz`;
      sh(["tar", "czf", file, "-C", app_dir, "."]);
      publish("archive", file);
    } rollback {
      sh(["rm", "-f", archive]);
    }
    confirm "Relancer les services en production ?"
    step up "Relancer les services" retry 3 every 5s timeout 10m {
      let current = sh("docker compose ps -q web", #{read: true}).stdout;
      sh(`docker tag ${current} brokerx:previous`);
      sh(["curl", "-H", "Authorization: Bearer " + token, "https://deploy.invalid/hook"]);
      sh(`cd ${quote(app_dir)} && docker compose up -d --build`);
    } rollback {
      sh(["tar", "xzf", archive, "-C", app_dir]);
    }
    step notify "Prévenir l'équipe" when { tag != "" } {
      log("déployé");
    }
  }
}"#;

#[test]
fn plan_creates_no_file_and_runs_no_command() {
    let text = r#"runbook "r" {
  guard "g" { sh("touch guard-ran").ok }
  procedure p {
    step a { sh("touch a-ran"); write_file("written.txt", "x"); } rollback { sh("touch rollback-ran"); }
    confirm "Sûr ?"
    step b { sh(["touch", "b-ran"]); sh("touch read-ran", #{read: true}); }
    finally { sh("touch finally-ran"); }
  }
}"#;
    for args in [
        vec!["plan", "main.rb42"],
        vec!["run", "--dry-run", "main.rb42"],
    ] {
        let out = Test::new().runbook(text).args(args).run();
        out.code(0)
            .stdout_has("touch a-ran")
            .stdout_has("touch rollback-ran")
            .stdout_has("confirm before `b`: Sûr ?");
        let created: Vec<_> = std::fs::read_dir(&out.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(created, ["main.rb42"], "a dry-run created files");
    }
}

#[test]
fn probe_executes_reads_only() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  guard "g" { sh("touch guard-read").ok }
  procedure p { step a { sh("touch read-ran", #{read: true}); sh("touch change-ran"); } }
}"#,
        )
        .args(["plan", "main.rb42", "--probe"])
        .run();
    out.code(0).stdout_has("g — ✓ passes");
    assert!(out.exists("guard-read") && out.exists("read-ran"));
    assert!(!out.exists("change-ran"));
}

#[test]
fn probe_reads_nothing_after_a_change_planned_on_the_same_target() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  procedure p {
    step a { sh("touch before", #{read: true}); }
    step b { sh("mkdir made"); }
    step c { sh("touch after", #{read: true}); }
  }
}"#,
        )
        .args(["plan", "main.rb42", "--probe"])
        .run();
    out.code(0)
        .stdout_has("local$ touch after  (not probed: follows a change planned on local)");
    assert!(out.exists("before"), "a read before any change is probed");
    assert!(!out.exists("made") && !out.exists("after"));
}

/// The plan of `DEPLOY` in `format`, with its token set: the token must not show.
fn deploy_plan(format: &str) -> String {
    let out = Test::new()
        .runbook(DEPLOY)
        .env("DEPLOY_TOKEN", "s3cr3t-t0ken")
        .args(["plan", "main.rb42", "--format", format])
        .run();
    out.code(0).stdout_lacks("s3cr3t-t0ken");
    out.stdout.clone()
}

#[test]
fn plan_text_golden() {
    golden("plan.txt", &deploy_plan("text"));
}

#[test]
fn plan_markdown_golden() {
    golden("plan.md", &deploy_plan("markdown"));
}

#[test]
fn plan_json_golden() {
    let text = deploy_plan("json");
    let plan: serde_json::Value = serde_json::from_str(&text).expect("JSON plan");
    assert_eq!(plan["summary"]["steps"], 3);
    assert_eq!(plan["items"][1]["kind"], "confirmation");
    golden("plan.json", &text);
}

#[test]
fn a_when_condition_is_planned_with_its_step() {
    let text = r#"runbook "r" {
  procedure p {
    step migrate when { sh("test -f pending", #{read: true}).ok } { sh("touch migrated"); }
  }
}"#;
    let out = Test::new().runbook(text).args(["plan", "main.rb42"]).run();
    out.code(0)
        .stdout_has("  1. migrate  [when { sh(\"test -f pending\", #{read: true}).ok }]")
        .stdout_has(
            "runs only if `sh(\"test -f pending\", #{read: true}).ok`: unknown until a real run",
        )
        .stdout_has("read   local$ test -f pending")
        .stdout_has("change local$ touch migrated");
    let out = Test::new()
        .runbook(text)
        .args(["plan", "main.rb42", "--probe"])
        .run();
    out.code(0)
        .stdout_has("skipped: `when {")
        .stdout_lacks("touch migrated");
}

#[test]
fn a_command_built_from_an_unknown_value_might_change() {
    let out = Test::new()
        .runbook(DEPLOY)
        .args(["plan", "main.rb42"])
        .run();
    out.code(0)
        .stdout_has(
            "might  local$ docker tag ⟨output of docker compose ps -q web⟩ brokerx:previous",
        )
        .stdout_has("(depends on ⟨output of docker compose ps -q web⟩)");
}

#[test]
fn a_body_tells_a_dry_run_from_a_real_run() {
    let text = r#"runbook "r" {
  procedure p {
    step s {
      if dry_run() { log("only planning"); } else { write_file("real.txt", "acted"); log("acted for real"); }
    }
  }
}"#;
    let plan = Test::new().runbook(text).args(["plan", "main.rb42"]).run();
    plan.code(0)
        .stdout_has("only planning")
        .stdout_lacks("acted for real");
    assert!(!plan.exists("real.txt"), "a plan acts on nothing");
    let run = Test::new().runbook(text).args(["run", "main.rb42"]).run();
    run.code(0).stdout_has("acted for real");
    assert_eq!(run.read("real.txt").as_deref(), Some("acted"));
}

/// A runbook that declares no host: its targets come from `-i hosts.ini`.
const ON_INVENTORY: &str = r#"runbook "r" {
  procedure p {
    step restart on web { run(["systemctl", "restart", "app"]); }
    step notes on db1 { run("echo hi"); }
  }
}"#;

const HOSTS_INI: &str = "[web]\nweb1 ansible_host=10.0.0.11\nweb2 ansible_host=10.0.0.12 ansible_port=2222\n[db]\ndb1\n";

#[test]
fn plan_takes_an_inventory_with_dash_i() {
    let out = Test::new()
        .runbook(ON_INVENTORY)
        .file("hosts.ini", HOSTS_INI)
        .args(["plan", "main.rb42", "-i", "hosts.ini"])
        .run();
    out.code(0)
        .stdout_has("targets: db1, web1, web2")
        .stdout_has("change web1$ systemctl restart app")
        .stdout_has("change web2$ systemctl restart app")
        .stdout_has("change db1$ echo hi");
    let out = Test::new()
        .runbook(ON_INVENTORY)
        .args(["plan", "main.rb42"])
        .run();
    out.code(2)
        .stderr_has("unknown target `web`")
        .stderr_has("`-i FILE`");
}

#[test]
fn plan_base_traces_both_versions_with_the_inventory_given() {
    let out = Test::new()
        .runbook(&ON_INVENTORY.replace("echo hi", "echo bye"))
        .file("old.rb42", ON_INVENTORY)
        .file("hosts.ini", HOSTS_INI)
        .args(["plan", "main.rb42", "--base", "old.rb42", "-i", "hosts.ini"])
        .run();
    out.code(0)
        .stdout_has("- db1$ echo hi")
        .stdout_has("+ db1$ echo bye");
}

/// Environment variables given to commands: in the plan with their command, secrets masked,
/// an unknown value making the command *might*.
const ENVIRONMENT: &str = r#"runbook "r" {
  param tag: string = "v2.0.1"
  secret token from env "DEPLOY_TOKEN"
  use "stdlib/compose.rhai" as compose
  procedure p {
    step up {
      let current = sh("cat current-tag", #{read: true}).stdout;
      sh(["true"], #{env: #{API_TOKEN: token, MODE: "blue green"}});
      sh(["true"], #{env: #{PREVIOUS: current}});
      compose::up(#{name: "app", env: #{WEB_TAG: tag}}, #{services: ["web"]});
    }
  }
}"#;

#[test]
fn a_commands_environment_is_in_its_plan() {
    let out = Test::new()
        .runbook(ENVIRONMENT)
        .env("DEPLOY_TOKEN", "s3cr3t-t0ken")
        .args(["plan", "main.rb42"])
        .run();
    out.code(0)
        .stdout_lacks("s3cr3t-t0ken")
        .stdout_has("change local$ API_TOKEN=")
        .stdout_has("MODE='blue green' true")
        .stdout_has("might  local$ PREVIOUS='⟨output of cat current-tag⟩' true")
        .stdout_has(
            "might  local$ WEB_TAG=v2.0.1 ⟨docker compose or docker-compose, chosen at run time⟩ -p app up -d web",
        );
    let out = Test::new()
        .runbook(ENVIRONMENT)
        .env("DEPLOY_TOKEN", "s3cr3t-t0ken")
        .args(["plan", "main.rb42", "--format", "json"])
        .run();
    out.code(0).stdout_lacks("s3cr3t-t0ken");
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON plan");
    let commands: Vec<&str> = plan["items"][0]["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(|a| a["command"].as_str())
        .collect();
    assert!(
        commands.contains(
            &"WEB_TAG=v2.0.1 ⟨docker compose or docker-compose, chosen at run time⟩ -p app up -d web"
        ),
        "{commands:?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("API_TOKEN=") && c.ends_with("MODE='blue green' true")),
        "{commands:?}"
    );
}

#[test]
fn a_real_runs_events_carry_the_environment_masked() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  secret token from env "DEPLOY_TOKEN"
  procedure p { step s { sh(["printenv", "MODE"], #{env: #{API_TOKEN: token, MODE: "blue green"}}); } }
}"#,
        )
        .env("DEPLOY_TOKEN", "s3cr3t-t0ken")
        .args(["run", "main.rb42", "--format", "json"])
        .run();
    out.code(0)
        .stdout_lacks("s3cr3t-t0ken")
        .stdout_has("API_TOKEN=*** MODE='blue green' printenv MODE")
        .stdout_has("blue green");
}

#[test]
fn a_step_that_would_fail_previews_the_rollback_it_still_owes() {
    let text = r#"runbook "r" {
  procedure p {
    step b "Copier la version" {
      write_file("half-b.txt", "half");
      fail("the copy broke half-way");
    } rollback always {
      sh("echo undo-b >> log.txt");
    }
  }
}"#;
    let out = Test::new()
        .runbook(text)
        .args(["plan", "main.rb42", "--format", "json"])
        .run();
    out.code(0);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON plan");
    let step = &plan["items"][0];
    assert_eq!(step["outlook"], "would_fail", "{step}");
    assert_eq!(
        step["rollback"][0]["command"], "echo undo-b >> log.txt",
        "the run would undo the half-done step: the plan shows it ({step})"
    );
    assert!(
        !out.exists("log.txt") && !out.exists("half-b.txt"),
        "a plan changes nothing"
    );
}

#[test]
fn a_remote_read_without_a_host_reads_nothing_in_a_plan() {
    // The upload before it is only planned: reading the file now would see a state the plan
    // never made, and say the step fails where the run succeeds.
    let text = r#"runbook "r" {
  procedure p on local {
    step s {
      upload("release", "deployed");
      if remote_read("deployed/VERSION") != "2\n" { fail("not deployed"); }
      download("deployed/VERSION", "copy");
    }
  }
}"#;
    let out = Test::new()
        .runbook(text)
        .file("release/VERSION", "2\n")
        .args(["plan", "main.rb42", "--format", "json"])
        .run();
    out.code(0);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON plan");
    let step = &plan["items"][0];
    assert_ne!(step["outlook"], "would_fail", "{step}");
    assert_eq!(step["effect"], "change", "{step}");
    assert!(!out.exists("deployed"), "a plan changes nothing");
}

/// An untitled procedure or step is titled by its id: the plan's heading and step lines, in
/// text and Markdown, and the run's say it once; a titled step keeps its title.
#[test]
fn an_untitled_procedure_is_named_once() {
    let text = r#"runbook "r" {
  procedure p {
    step a { sh("true"); }
    step b "Say hello" { sh("true"); }
  }
}"#;
    Test::new()
        .runbook(text)
        .args(["plan", "main.rb42"])
        .run()
        .code(0)
        .stdout_has("Plan r › p\n")
        .stdout_lacks("p — p")
        .stdout_has("  1. a\n")
        .stdout_has("  2. b — Say hello\n");
    Test::new()
        .runbook(text)
        .args(["plan", "main.rb42", "--format", "markdown"])
        .run()
        .code(0)
        .stdout_has("› `p`\n")
        .stdout_has("<summary><b>p</b>: ")
        .stdout_has("#### 1. `a`\n")
        .stdout_has("#### 2. `b` — Say hello\n");
    Test::new()
        .runbook(text)
        .args(["run", "main.rb42"])
        .run()
        .code(0)
        .stdout_has("▶ r › p (2 steps)\n");
}
