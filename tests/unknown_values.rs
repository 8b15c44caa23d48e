//! Plans never claim less than a run does: in a dry-run a value only a real run knows is
//! unknown, and a decision on it stops the plan of its step there, naming the value and the
//! place; the run then does what the plan left open.

use crate::docker_env::{self, Container, WEB_HEALTHY};
use crate::harness::{Output, Test};
use crate::postgres_env;
use crate::ssh::remote_test;
use crate::sshd::Sshd;
use serde_json::Value;

const QUICKSTART: &str = include_str!("../runbooks/quickstart.rb42");
const TEMPLATE: &str = include_str!("../runbooks/templates/release-notes.md.j2");

/// The real binary run on `runbook` as `main.rb42` with `args`.
fn of(runbook: &str, args: &[&str]) -> Output {
    Test::new()
        .runbook(runbook)
        .args(args.iter().copied())
        .run()
}

/// The JSON plan's step `id`.
fn planned_step(out: &Output, id: &str) -> Value {
    let plan: Value = serde_json::from_str(&out.stdout).expect("JSON plan");
    plan["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no step {id} in {plan}"))
}

/// The one stop of a planned step: its origin and where.
fn stop_of(step: &Value) -> (String, String) {
    let stops = step["stops"].as_array().expect("the step stops");
    assert_eq!(stops.len(), 1, "{step}");
    (
        stops[0]["origin"].as_str().unwrap_or_default().to_string(),
        stops[0]["location"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// The quickstart with `count` old backups in `demo/backups`.
fn quickstart_with_backups(count: usize) -> Test {
    let mut test = Test::new()
        .file("quickstart.rb42", QUICKSTART)
        .file("templates/release-notes.md.j2", TEMPLATE);
    for n in 0..count {
        test = test.file(&format!("demo/backups/app_2020010100000{n}.tgz"), "old");
    }
    test
}

#[test]
fn the_quickstart_prune_plan_stops_where_the_run_deletes() {
    let plan_test = quickstart_with_backups(5);
    let workdir = format!("workdir={}", plan_test.path().join("demo").display());
    let plan = plan_test
        .args([
            "plan",
            "quickstart.rb42",
            "--format",
            "json",
            "-p",
            &workdir,
        ])
        .run();
    plan.code(0);
    let prune = planned_step(&plan, "prune");
    let (origin, location) = stop_of(&prune);
    assert!(origin.starts_with("⟨output of cd -- "), "{origin}");
    assert!(location.ends_with("quickstart.rb42:64:29"), "{location}");
    assert_eq!(prune["effect"], "might");
    assert!(
        !prune.to_string().contains("0 ancienne(s)"),
        "the plan no longer claims that nothing is deleted: {prune}"
    );
    let text = quickstart_with_backups(5);
    let workdir = format!("workdir={}", text.path().join("demo").display());
    text.args(["plan", "quickstart.rb42", "-p", &workdir])
        .run()
        .code(0)
        .stdout_has("2 steps stop on a value only a real run knows")
        .stdout_has("might: the rest of this step depends on ⟨output of cd -- ");

    let run_test = quickstart_with_backups(5);
    let workdir = format!("workdir={}", run_test.path().join("demo").display());
    let run = run_test
        .args(["run", "quickstart.rb42", "--yes", "-p", &workdir])
        .run();
    run.code(0)
        .stdout_has("3 ancienne(s) sauvegarde(s) supprimée(s)");
    assert!(!run.exists("demo/backups/app_20200101000000.tgz"));
}

const CLEAN: &str = r#"runbook "r" {
  param dir: string
@HOSTS@
  procedure p on vm {
    step clean "Nettoyer" {
      let files = run(`ls -1 ${dir}`, #{read: true}).stdout;
      for f in files.split("\n") { if f != "" { run(["rm", "-f", `${dir}/${f}`]); } }
      publish("listing", files);
    }
    step after "Ensuite" { run(`echo ${quote(listing)}`); }
  }
}"#;

#[test]
fn a_loop_over_a_remote_listing_stops_and_later_steps_still_plan() {
    let server = Sshd::start();
    let (test, remote) = remote_test(CLEAN, &[("vm", &server)]);
    let dir = format!("dir={}", remote.display());
    let out = test
        .args(["plan", "main.rb42", "--format", "json", "-p", &dir])
        .run();
    out.code(0);
    let clean = planned_step(&out, "clean");
    let (origin, location) = stop_of(&clean);
    assert!(origin.starts_with("⟨output of ls -1 "), "{origin}");
    assert!(location.starts_with("main.rb42:"), "{location}");
    assert_eq!(clean["stops"][0]["host"], "vm");
    assert_eq!(clean["effect"], "might");
    let after = planned_step(&out, "after");
    assert_eq!(after["outlook"], "will_run", "{after}");
    assert_eq!(after["actions"][0]["effect"], "might", "{after}");
    assert_eq!(after["actions"][0]["command"], "echo '⟨listing⟩'");
    let plan: Value = serde_json::from_str(&out.stdout).expect("JSON plan");
    assert_eq!(plan["summary"]["stopped"], 1);

    let (test, remote) = remote_test(CLEAN, &[("vm", &server)]);
    for name in ["a.old", "b.old"] {
        std::fs::write(remote.join(name), "old").expect("write a remote file");
    }
    let dir = format!("dir={}", remote.display());
    test.args(["run", "main.rb42", "-p", &dir]).run().code(0);
    assert!(!remote.join("a.old").exists() && !remote.join("b.old").exists());
}

#[test]
fn a_branch_on_the_number_of_rows_stops_and_the_run_deletes() {
    let url = postgres_env::server().database();
    let param = format!("db={url}");
    let runbook = r#"runbook "r" {
  param db: string
  procedure p {
    step seed "Remplir" {
      execute(db, "CREATE TABLE IF NOT EXISTS jobs (id int)");
      execute(db, "INSERT INTO jobs VALUES (1), (2)");
    }
    step purge "Purger" {
      let rows = query(db, "SELECT id FROM jobs");
      if rows.len() > 0 { execute(db, "DELETE FROM jobs"); log("purged"); }
    }
  }
}"#;
    let plan = Test::new()
        .runbook(runbook)
        .args(["plan", "main.rb42", "--format", "json", "-p", &param])
        .run();
    plan.code(0);
    let purge = planned_step(&plan, "purge");
    let (origin, location) = stop_of(&purge);
    assert_eq!(origin, "⟨query of SELECT id FROM jobs⟩");
    assert!(location.contains("main.rb42:10:"), "{location}");
    assert_eq!(purge["effect"], "might");
    let run = Test::new()
        .runbook(runbook)
        .args(["run", "main.rb42", "-p", &param])
        .run();
    run.code(0).stdout_has("purged");
    assert_eq!(
        postgres_env::server()
            .psql(&url, "SELECT count(*) FROM jobs")
            .trim(),
        "0"
    );
}

#[test]
fn a_branch_on_a_container_health_stops_and_the_run_restarts_it() {
    docker_env::images();
    let web = Container::start(WEB_HEALTHY, "branch", &[], &[]);
    docker_env::wait_for_health(&web.name, "healthy");
    let runbook = r#"runbook "d" {
  param name: string
  procedure p {
    step bounce "Relancer" {
      let c = docker().inspect(name);
      if c.health == "healthy" { docker().restart(name, 1); log("restarted"); }
    }
  }
}"#;
    let param = format!("name={}", web.name);
    let plan = Test::new()
        .runbook(runbook)
        .args(["plan", "main.rb42", "--format", "json", "-p", &param])
        .run();
    plan.code(0);
    let bounce = planned_step(&plan, "bounce");
    let (origin, location) = stop_of(&bounce);
    assert_eq!(origin, format!("⟨state of container {}⟩", web.name));
    assert!(location.ends_with("main.rb42:6:11"), "{location}");
    assert_eq!(bounce["effect"], "might");
    let run = Test::new()
        .runbook(runbook)
        .args(["run", "main.rb42", "-p", &param])
        .run();
    run.code(0).stdout_has("restarted");
}

#[test]
fn plan_base_shows_a_new_stop_as_a_change() {
    let old = r#"runbook "r" {
  procedure p {
    step clean "Nettoyer" {
      let files = sh("ls -1 /var/spool/outgoing", #{read: true}).stdout;
      sh(`echo ${files}`);
    }
  }
}"#;
    let new = old.replace(
        "sh(`echo ${files}`);",
        "if files.len() > 0 { sh(\"rm -rf /var/spool/outgoing\"); }",
    );
    let out = Test::new()
        .file("old.rb42", old)
        .file("new.rb42", new)
        .args(["plan", "--base", "old.rb42", "new.rb42"])
        .run();
    out.code(0)
        .stdout_has("~ 1. clean — Nettoyer")
        .stdout_has("stops on: none → `⟨output of ls -1 /var/spool/outgoing⟩`");
}

/// The JSON plan's actions of a step: `(effect, command)`.
fn actions_of(step: &Value) -> Vec<(String, String)> {
    step["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| {
            (
                a["effect"].as_str().unwrap_or_default().to_string(),
                a["command"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn an_unknown_passed_to_a_primitive_makes_its_action_a_might_not_a_stop() {
    let runbook = r#"runbook "r" {
  procedure p {
    step drop "Déposer" {
      let found = sh(["ls", "/srv/drop"], #{read: true}).stdout;
      write_file(found, "done");
      sh(found);
      log("after the actions");
    }
  }
}"#;
    let plan = of(runbook, &["plan", "main.rb42", "--format", "json"]);
    plan.code(0);
    let drop = planned_step(&plan, "drop");
    assert!(drop["stops"].as_array().is_none_or(Vec::is_empty), "{drop}");
    let actions = actions_of(&drop);
    assert_eq!(actions.len(), 3, "{drop}");
    for (effect, command) in &actions[1..] {
        assert_eq!(effect, "might", "{drop}");
        assert!(command.contains("⟨output of ls /srv/drop⟩"), "{command}");
    }
    of(runbook, &["plan", "main.rb42"])
        .code(0)
        .stdout_has("after the actions")
        .stdout_lacks("Function not found");
}

#[test]
fn an_unknown_given_to_a_string_method_stops_instead_of_answering() {
    let runbook = r#"runbook "r" {
  procedure p {
    step keep "Garder" {
      let prefix = sh(["cat", "/etc/prefix"], #{read: true}).stdout;
      if "app_1.tgz".starts_with(prefix) { log("kept"); } else { sh("rm app_1.tgz"); }
    }
  }
}"#;
    let plan = of(runbook, &["plan", "main.rb42", "--format", "json"]);
    plan.code(0).stdout_lacks("rm app_1.tgz");
    assert_eq!(
        stop_of(&planned_step(&plan, "keep")).0,
        "⟨output of cat /etc/prefix⟩"
    );
}

#[test]
fn trimmed_text_of_an_unknown_stops_rather_than_deciding_on_its_origin() {
    // `trimmed` looks into its text: given an unknown, an answer would be the origin's words,
    // and a comparison on them would plan a branch the run may not take.
    let runbook = r#"runbook "r" {
  procedure p {
    step mode "Mode" {
      let mode = trimmed(sh(["cat", "/etc/mode"], #{read: true}).stdout);
      if mode == "maintenance" { log("left alone"); } else { sh("systemctl restart app"); }
    }
  }
}"#;
    let plan = of(runbook, &["plan", "main.rb42", "--format", "json"]);
    plan.code(0).stdout_lacks("systemctl restart app");
    assert_eq!(
        stop_of(&planned_step(&plan, "mode")).0,
        "⟨output of cat /etc/mode⟩"
    );
}

#[test]
fn a_switch_on_an_unknown_stops_the_plan_where_a_real_run_branches() {
    let runbook = r#"runbook "r" {
  procedure p {
    step pick "Choisir" {
      let mode = sh(["cat", "/etc/mode"], #{read: true}).stdout;
      switch mode { "fast" => sh("restart --fast"), _ => log("default branch") }
    }
    step field "Lire un champ" {
      let r = http_get("http://127.0.0.1:9/mode");
      let word = switch r.status { 200 => "up", _ => "down" };
      log(`the service is ${word}`);
    }
  }
}"#;
    let plan = of(runbook, &["plan", "main.rb42", "--format", "json"]);
    plan.code(0)
        .stdout_lacks("default branch")
        .stdout_lacks("the service is down");
    let (origin, location) = stop_of(&planned_step(&plan, "pick"));
    assert_eq!(origin, "⟨output of cat /etc/mode⟩");
    assert!(location.ends_with("main.rb42:5:14"), "{location}");
    let (origin, _) = stop_of(&planned_step(&plan, "field"));
    assert_eq!(origin, "⟨status of GET http://127.0.0.1:9/mode⟩");
}

const PUBLISHED_AFTER_A_STOP: &str = r#"runbook "r" {
  procedure p {
    step find "Trouver" {
      let out = sh(["ls", "-1t", "/srv/backups"], #{read: true}).stdout;
      if out.len() > 0 { publish("latest", out); }
    } rollback {
      sh(["rm", "-f", latest]);
    }
    step copy "Copier" {
      sh(["cp", latest, "/srv/restore"]);
      if latest.len() > 100 { log("a long name"); }
    }
    step tidy "Ranger" when { latest != "" } {
      sh(["rm", "-f", latest]);
    }
  }
}"#;

#[test]
fn a_stopped_step_publishes_its_names_unknown_in_plans_and_docs() {
    let plan = of(
        PUBLISHED_AFTER_A_STOP,
        &["plan", "main.rb42", "--format", "json"],
    );
    plan.code(0)
        .stdout_lacks("Variable not found")
        .stdout_lacks("(no command)")
        .stdout_lacks("would_fail");
    let find = planned_step(&plan, "find");
    assert_eq!(stop_of(&find).0, "⟨output of ls -1t /srv/backups⟩");
    assert_eq!(find["rollback"][0]["command"], "rm -f ⟨latest⟩", "{find}");
    let copy = planned_step(&plan, "copy");
    assert_eq!(
        actions_of(&copy),
        vec![("might".to_string(), "cp ⟨latest⟩ /srv/restore".to_string())]
    );
    assert_eq!(stop_of(&copy).0, "⟨latest⟩");
    let tidy = planned_step(&plan, "tidy");
    assert_eq!(
        tidy["outlook"], "will_run",
        "a `when` on the unknown name is checked at run time: {tidy}"
    );

    let doc = of(PUBLISHED_AFTER_A_STOP, &["doc", "main.rb42"]);
    doc.code(0);
    let page = &doc.stdout;
    assert!(page.contains("cp ⟨latest⟩ /srv/restore"), "{page}");
    assert!(page.contains("rm -f ⟨latest⟩"), "{page}");
    assert!(
        page.contains("the dry-run stops at: a decision on ⟨latest⟩"),
        "the page marks the decision on the unknown name: {page}"
    );
    assert!(!page.contains("Variable not found"), "{page}");
}

#[test]
fn a_remote_read_is_unknown_in_a_plan_and_a_decision_on_it_stops() {
    let runbook = r#"runbook "r" {
  host vm { address "vm.example" }
  procedure p {
    step conf "Relire la configuration" on vm {
      let text = remote_read("/etc/app.conf");
      if text.contains("debug") { run("systemctl restart app"); }
    }
  }
}"#;
    let plan = of(runbook, &["plan", "main.rb42", "--format", "json"]);
    plan.code(0);
    let conf = planned_step(&plan, "conf");
    let (origin, location) = stop_of(&conf);
    assert_eq!(origin, "⟨content of vm:/etc/app.conf⟩");
    assert!(location.ends_with("main.rb42:6:15"), "{location}");
}

#[test]
fn the_database_dump_and_restore_plan_through_to_the_restore() {
    let runbook = r#"runbook "r" {
  param db: string = "postgres://app@127.0.0.1:5432/shop"
  use "stdlib/database.rhai" as database
  procedure p {
    step dump "Sauvegarder" {
      let manifest = database::dump(db, "/srv/shop.dump");
      log(`${manifest.bytes} bytes`);
    }
    step restore "Restaurer" {
      database::restore(db, "/srv/shop.dump");
    }
    step restore_custom "Restaurer un dump custom" {
      database::restore(db, "/srv/shop.dump", #{format: "custom"});
    }
  }
}"#;
    let plan = of(runbook, &["plan", "main.rb42", "--format", "json"]);
    plan.code(0)
        .stdout_lacks("Error parsing")
        .stdout_lacks("Syntax error");
    let dump = planned_step(&plan, "dump");
    let commands: Vec<String> = actions_of(&dump).into_iter().map(|(_, c)| c).collect();
    assert!(
        commands[0].contains("pg_dump --no-owner -Fc"),
        "{commands:?}"
    );
    // The manifest's size and SHA-256 are reads the plan cannot know, so it writes their
    // origins: the plan still shows the manifest written, and the step goes to its end.
    assert!(commands[1].starts_with("stat -L -c %s --"), "{commands:?}");
    assert!(commands[2].starts_with("sha256sum --"), "{commands:?}");
    assert!(
        commands[3].contains("tee -- /srv/shop.dump.manifest.json"),
        "{commands:?}"
    );
    assert!(
        dump["stops"].as_array().is_none_or(|s| s.is_empty()),
        "{dump}"
    );
    // The format comes from the dump's content, which only a run (or --probe) reads: the plan
    // stops at the look, naming it; given the format, it shows the restore itself.
    let restore = planned_step(&plan, "restore");
    let commands: Vec<String> = actions_of(&restore).into_iter().map(|(_, c)| c).collect();
    assert!(commands[0].contains("od -An -tx1"), "{commands:?}");
    assert!(
        stop_of(&restore).0.starts_with("⟨output of sh -c "),
        "{restore}"
    );
    let custom = planned_step(&plan, "restore_custom");
    let commands: Vec<String> = actions_of(&custom).into_iter().map(|(_, c)| c).collect();
    assert!(
        commands[0].contains("pg_restore --clean --if-exists"),
        "{commands:?}"
    );
    let doc = of(runbook, &["doc", "main.rb42"]);
    doc.code(0);
    let page = &doc.stdout;
    assert!(page.contains("pg_restore --clean --if-exists"), "{page}");
    assert!(!page.contains("Syntax error"), "{page}");
}

#[test]
fn a_checklist_stops_at_the_first_check_deciding_on_an_unknown() {
    // No catch catches a stop, not even a checklist's: what the checks after it would do is
    // unknown too, and the plan says so where it stops.
    let runbook = r#"runbook "r" {
  use "stdlib/checklist.rhai" as checklist
  procedure p {
    step check "Vérifier" {
      checklist::verify("Avant la démo", [
        #{name: "Toujours", check: || true},
        #{name: "Fichiers", check: || sh(["ls", "/srv"], #{read: true}).stdout.len() > 0},
        #{name: "Front", check: || http_get("http://127.0.0.1:9/")},
      ]);
      log("après la liste");
    }
  }
}"#;
    let plan = of(runbook, &["plan", "main.rb42", "--format", "json"]);
    plan.code(0);
    let (origin, _) = stop_of(&planned_step(&plan, "check"));
    assert_eq!(origin, "⟨output of ls /srv⟩");
    of(runbook, &["plan", "main.rb42"])
        .code(0)
        .stdout_lacks("après la liste")
        .stdout_lacks("Avant la démo: ");
}

#[test]
fn a_catch_does_not_hide_a_stop() {
    // In a real run the decision could go either way: what the `catch` does next is unknown too.
    let runbook = r#"runbook "r" {
  procedure p {
    step clean "Nettoyer" {
      let files = sh("ls -1 /var/spool/outgoing", #{read: true}).stdout;
      try {
        if files.len() > 0 { sh("rm -rf /var/spool/outgoing"); }
      } catch (err) {
        log(`skipped: ${err}`);
      }
    }
  }
}"#;
    let plan = of(runbook, &["plan", "main.rb42", "--format", "json"]);
    plan.code(0);
    let clean = planned_step(&plan, "clean");
    let (origin, location) = stop_of(&clean);
    assert_eq!(origin, "⟨output of ls -1 /var/spool/outgoing⟩");
    assert!(location.ends_with("main.rb42:6:18"), "{location}");
    assert!(!clean.to_string().contains("skipped:"), "{clean}");
}

#[test]
fn a_when_that_hands_back_a_published_unknown_value_plans_the_step_as_conditional() {
    let text = r#"runbook "r" {
  procedure p {
    step look { publish("down", run(["sh", "-c", "echo yes"], #{read: true}).stdout == "yes"); }
    step start when { down } { run(["echo", "starting"]); }
  }
}
"#;
    let out = Test::new().runbook(text).args(["plan", "main.rb42"]).run();
    out.code(0)
        .stdout_lacks("`when` must be true or false")
        .stdout_has("echo starting");
}
