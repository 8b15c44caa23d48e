//! `runbook check`: file:line:col diagnostics with carets, in text, JSON and GitHub formats.

use crate::harness::{Test, golden};

const BROKEN: &str = r#"runbook "broken" {
  param app_dir: string = "/opt/app"
  param unused: int = 1
  procedure deploy {
    step backup { sh(["tar", "czf", "/tmp/a.tgz", app_dir]); publish("archive", "/tmp/a.tgz"); }
      rollback { sh(["rm", archive]); }
    step up { sh(`cd ${app_dir} && docker compose up -d`); }
    step verify { sh(["ls", archiv]); }
  }
}"#;

#[test]
fn check_points_at_the_right_lines() {
    let out = Test::new()
        .runbook(BROKEN)
        .args(["check", "main.rb42"])
        .run();
    out.code(2);
    golden("check-broken.txt", &out.stderr);
}

#[test]
fn check_json_and_github_formats() {
    let out = Test::new()
        .runbook(BROKEN)
        .args(["check", "main.rb42", "--format", "json"])
        .run();
    out.code(2);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON report");
    assert_eq!(report["errors"], 1);
    let first = &report["diagnostics"][0];
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(7), Some(15))
    );
    let error = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == "error")
        .unwrap();
    assert_eq!(error["message"], "unknown variable `archiv`");
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(8), Some(29))
    );
    let out = Test::new()
        .runbook(BROKEN)
        .args(["check", "main.rb42", "--format", "github"])
        .run();
    out.code(2).stdout_has("::error file=main.rb42,line=8,col=29::unknown variable `archiv` (help: did you mean `archive`?)");
}

#[test]
fn a_clean_runbook_checks_clean_and_warnings_can_fail() {
    let out = Test::new()
        .runbook(r#"runbook "r" { param n: int = 1 procedure p { step a { log(n); } } }"#)
        .args(["check", "main.rb42"])
        .run();
    out.code(0)
        .stderr_has("checked 1 file: 0 errors, 0 warnings");
    let out = Test::new()
        .runbook(r#"runbook "r" { param n: int = 1 procedure p { step a { log(1); } } }"#)
        .args(["check", "main.rb42", "--deny-warnings"])
        .run();
    out.code(2).stderr_has("parameter `n` is never used");
}

#[test]
fn check_finds_runbooks_in_directories() {
    let out = Test::new()
        .file(
            "a/one.rb42",
            r#"runbook "one" { procedure p { step a { log(1); } } }"#,
        )
        .file(
            "a/b/two.rb42",
            r#"runbook "two" { procedure p { step a { log(x); } } }"#,
        )
        .args(["check", "a"])
        .run();
    out.code(2)
        .stderr_has("a/b/two.rb42:1:44")
        .stderr_has("checked 2 files: 1 error");
}

#[test]
fn targets_hosts_and_groups_are_checked_where_they_are_written() {
    let out = Test::new()
        .runbook(
            r#"runbook "fleet" {
  param ssh_port: int = 22
  secret key from env "SSH_KEY"
  host web1 "deploy@10.0.0.1" { port ssh_port identity key }
  host web2 { user deploy_user }
  host db "db.example.org" { port 70000 }
  group web [web1, web3]
  procedure p {
    step a on wbe { run("true"); }
    step b on web forks 5 tolerate 20% { run("true"); }
    step c on ssh_port { run("true"); }
  }
}"#,
        )
        .args(["check", "main.rb42"])
        .run();
    out.code(2);
    for (message, place) in [
        ("host `web2` has no address", "main.rb42:5:8"),
        ("unknown parameter `deploy_user`", "main.rb42:5:20"),
        ("a port is a number from 1 to 65535", "main.rb42:6:35"),
        ("group `web` lists an unknown host `web3`", "main.rb42:7:20"),
        ("unknown target `wbe`", "main.rb42:9:15"),
        (
            "`on ssh_port`: parameter `ssh_port` must be a string naming a host, not int",
            "main.rb42:11:15",
        ),
    ] {
        let at = out
            .stderr
            .find(message)
            .unwrap_or_else(|| panic!("{message}:\n{}", out.stderr));
        let after = &out.stderr[at..];
        assert!(
            after.lines().take(3).any(|l| l.contains(place)),
            "{message} at {place}:\n{}",
            out.stderr
        );
    }
    out.stderr_has("did you mean `web`?");
    let about_web1 = |l: &&str| l.starts_with("error") && l.contains("web1");
    assert!(
        !out.stderr.lines().any(|l| about_web1(&l)),
        "{}",
        out.stderr
    );
}

#[test]
fn an_inventory_error_points_into_the_inventory() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  inventory "hosts.ini"
  procedure p { step a on web { run("true"); } }
}"#,
        )
        .file("hosts.ini", "[web]\nweb1 ansible_port=22\nweb2:99999\n")
        .args(["check", "main.rb42"])
        .run();
    out.code(2).stderr_has("hosts.ini:3:");
}

#[test]
fn inventory_groups_and_hosts_are_valid_targets() {
    Test::new()
        .runbook(
            r#"runbook "r" {
  inventory "hosts.ini"
  procedure p {
    step a on web { run("true"); }
    step b on db1 { run("true"); }
    step c on prod { run("true"); }
  }
}"#,
        )
        .file(
            "hosts.ini",
            "[web]\nweb1 ansible_host=10.0.0.1\n[db]\ndb1\n[prod:children]\nweb\ndb\n",
        )
        .args(["check", "main.rb42"])
        .run()
        .code(0);
}

#[test]
fn a_module_may_not_take_a_primitives_name() {
    let out = Test::new()
        .runbook("runbook \"r\" {\n  use \"lib.rhai\" as lib\n  procedure p { step a { lib::run(); } }\n}")
        .file("lib.rhai", "fn run() { 1 }\n")
        .args(["check", "main.rb42"])
        .run();
    out.code(2)
        .stderr_has("module `lib.rhai` defines `run`, the name of a primitive: rename it")
        .stderr_has("main.rb42:2:7");
}

#[test]
fn diagnostics_are_coloured_only_on_a_terminal_that_understands_colours() {
    let test = Test::new().runbook("runbook \"r\" {\n  procedure p { step s { log(nope); } }\n}\n");
    let on_a_terminal = |env: &[(&str, &str)]| {
        let command = format!("{} check main.rb42", env!("CARGO_BIN_EXE_runbook"));
        let mut script = std::process::Command::new("script");
        script
            .args(["-qec", &command, "/dev/null"])
            .current_dir(test.path())
            .env_remove("NO_COLOR")
            .envs(env.iter().copied());
        let out = script.output().expect("util-linux `script`");
        assert_eq!(out.status.code(), Some(2));
        let screen = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(screen.contains("main.rb42:2:30"), "{screen}");
        screen.contains("\x1b[")
    };
    assert!(on_a_terminal(&[("TERM", "xterm")]), "no colours on xterm");
    // Emacs' shell buffers, and anyone who asks for plain text.
    assert!(
        !on_a_terminal(&[("TERM", "dumb")]),
        "colours on a dumb terminal"
    );
    assert!(!on_a_terminal(&[("TERM", "xterm"), ("NO_COLOR", "1")]));
}

/// Targets only an inventory can give: a group, a host, and a group of groups.
const UNDECLARED_TARGETS: &str = r#"runbook "r" {
  procedure p {
    step a on web { run("true"); }
    step b on db1 { run("true"); }
    step c on prod { run("true"); }
  }
}"#;

const HOSTS_INI: &str = "[web]\nweb1 ansible_host=10.0.0.1\n[db]\ndb1\n[prod:children]\nweb\ndb\n";

#[test]
fn an_inventory_given_with_dash_i_resolves_the_targets() {
    Test::new()
        .runbook(UNDECLARED_TARGETS)
        .file("hosts.ini", HOSTS_INI)
        .args(["check", "main.rb42", "-i", "hosts.ini"])
        .run()
        .code(0)
        .stderr_has("checked 1 file: 0 errors, 0 warnings");
    // RUNBOOK_INVENTORY stands for -i, as it does for `run` and `plan`.
    Test::new()
        .runbook(UNDECLARED_TARGETS)
        .file("hosts.ini", HOSTS_INI)
        .env("RUNBOOK_INVENTORY", "hosts.ini")
        .args(["check", "main.rb42"])
        .run()
        .code(0);
}

#[test]
fn without_an_inventory_an_undeclared_target_suggests_dash_i() {
    let out = Test::new()
        .runbook(UNDECLARED_TARGETS)
        .args(["check", "main.rb42"])
        .run();
    out.code(2)
        .stderr_has("error: unknown target `web`")
        .stderr_has("main.rb42:3:15")
        .stderr_has("or give an Ansible inventory with `-i FILE`")
        .stderr_has("checked 1 file: 3 errors");
}

#[test]
fn a_name_missing_from_the_given_inventory_is_unknown_with_a_suggestion() {
    let out = Test::new()
        .runbook(&UNDECLARED_TARGETS.replace("on prod", "on prd"))
        .file("hosts.ini", HOSTS_INI)
        .args(["check", "main.rb42", "-i", "hosts.ini"])
        .run();
    out.code(2)
        .stderr_has("error: unknown target `prd`")
        .stderr_has("did you mean `prod`?")
        .stderr_has("checked 1 file: 1 error");
}

#[test]
fn an_error_in_the_given_inventory_points_into_it() {
    let out = Test::new()
        .runbook(UNDECLARED_TARGETS)
        .file("hosts.ini", "[web]\nweb1\nweb2:99999\n")
        .args(["check", "main.rb42", "-i", "hosts.ini"])
        .run();
    out.code(2)
        .stderr_has("port 99999 is out of range")
        .stderr_has("hosts.ini:3:6");
    let out = Test::new()
        .runbook(UNDECLARED_TARGETS)
        .args(["check", "main.rb42", "-i", "missing.ini"])
        .run();
    out.code(2).stderr_has("cannot read the inventory");
}

#[test]
fn an_inventory_given_with_dash_i_replaces_the_runbooks_own() {
    let declaring = UNDECLARED_TARGETS.replace(
        "  procedure p {",
        "  inventory \"missing.ini\"\n  procedure p {",
    );
    let out = Test::new()
        .runbook(&declaring)
        .file("hosts.ini", HOSTS_INI)
        .args(["check", "main.rb42"])
        .run();
    out.code(2).stderr_has("cannot read the inventory");
    // Only the inventory that is used is read.
    Test::new()
        .runbook(&declaring)
        .file("hosts.ini", HOSTS_INI)
        .args(["check", "main.rb42", "-i", "hosts.ini"])
        .run()
        .code(0);
}

#[test]
fn the_help_of_run_plan_check_and_repl_offers_dash_i() {
    for command in ["run", "plan", "check", "repl"] {
        Test::new()
            .args([command, "--help"])
            .run()
            .code(0)
            .stdout_has("-i, --inventory <FILE>")
            .stdout_has("ansible-playbook -i");
    }
}

#[test]
fn every_called_function_resolves_with_its_argument_count() {
    let runbook = r#"runbook "t" {
  use "stdlib/database.rhai" as database
  procedure p "P" {
    step a "A" {
      database::dumpp("x", "y");
      htttp_get("http://127.0.0.1:9/");
      http_get("http://127.0.0.1:9/", #{}, 3);
      fn twice(x) { x * 2 }
      let f = |x| x + 1;
      log(`${twice(f(1))} ${len("abc")}`);
    }
  }
}
"#;
    let out = Test::new()
        .file("main.rb42", runbook)
        .args(["check", "main.rb42"])
        .run();
    out.code(2)
        .stderr_has("main.rb42:5:17")
        .stderr_has("unknown function `database::dumpp`")
        .stderr_has("did you mean `database::dump`?")
        .stderr_has("main.rb42:6:7")
        .stderr_has("unknown function `htttp_get`")
        .stderr_has("did you mean `http_get`?")
        .stderr_has("main.rb42:7:7")
        .stderr_has("`http_get` takes 1 or 2 arguments, not 3")
        .stderr_has("checked 1 file: 3 errors, 0 warnings");
}

#[test]
fn a_function_missing_at_run_time_is_named_in_the_language_s_types() {
    let runbook = r#"runbook "t" {
  procedure p "P" {
    step a "A" {
      let name = "http_get";
      call(Fn(name + "x"), "u", 3);
    }
  }
}
"#;
    let out = Test::new()
        .runbook(runbook)
        .args(["run", "main.rb42"])
        .run();
    out.code(1)
        .stdout_has("no function `http_getx` takes (string, int)")
        .stdout_lacks("ImmutableString");
}

#[test]
fn a_value_used_in_the_step_that_publishes_it_is_one_diagnostic() {
    let runbook = r#"runbook "t" {
  procedure p "P" {
    step a "A" {
      publish("version", "1.2");
      publish("tag", "v1");
      log(version);
    }
    step b "B" {
      log(`${version} ${tag}`);
    }
  }
}
"#;
    let out = Test::new()
        .runbook(runbook)
        .args(["check", "main.rb42"])
        .run();
    out.code(2)
        .stderr_has("main.rb42:6:11")
        .stderr_has("`version` is published by this same step")
        .stderr_has("checked 1 file: 1 error, 0 warnings");
}

/// The constructs of issue 18 are checked where they are written: the names in a `confirm …
/// if` condition (a gate's and a step's), an empty `rollback none` reason, and the arguments
/// of the newer primitives.
#[test]
fn conditional_confirmations_rollback_none_and_new_primitives_are_checked() {
    let runbook = r#"runbook "c" {
  param env: string = "dev"
  procedure p {
    confirm "Go?" if { envv == "production" }
    step s confirm "Sure?" if { env == prod } { log_table([], ["a"], 3); }
    step t optional { trimmed(); } rollback none ""
  }
}
"#;
    let out = Test::new()
        .file("main.rb42", runbook)
        .args(["check", "main.rb42"])
        .run();
    out.code(2)
        .stderr_has("error: unknown variable `envv`\n --> main.rb42:4:24")
        .stderr_has("did you mean `env`?")
        .stderr_has("error: unknown variable `prod`\n --> main.rb42:5:40")
        .stderr_has("`log_table` takes 1 or 2 arguments, not 3")
        .stderr_has("`trimmed` takes 1 argument, not 0")
        .stderr_has("error: `rollback none` on step `t` must say why\n --> main.rb42:6:10")
        .stderr_has("checked 1 file: 5 errors, 0 warnings");
}
