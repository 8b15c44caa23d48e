//! `runbook repl`: piped sessions (expressions, variables, tables, blocks over several lines,
//! errors that never end the session, the commands on a runbook, `:step` and `:rollback`), the
//! seed deploy driven step by step against the test VM, and a real terminal (tmux) for
//! completion, Ctrl-C and Ctrl-D.

use crate::harness::{Output, Test};
use crate::seed_000::{DEPLOY, Vm, runbook_path};
use crate::tmux::Tmux;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// `runbook repl ARGS…` reading `input` from a pipe, with no history file.
fn session(test: Test, args: &[&str], input: &str) -> Output {
    test.env("RUNBOOK_HISTORY", "")
        .args(["repl"])
        .args(args.iter().copied())
        .stdin(input)
        .run()
}

#[test]
fn lines_are_evaluated_with_variables_tables_and_blocks_over_several_lines() {
    let out = session(
        Test::new(),
        &[],
        "1 + 2\n\
         let greeting = \"bonjour\";\n\
         greeting + \" !\"\n\
         #{name: \"web\", port: 8080}\n\
         [#{host: \"a\", up: true}, #{host: \"b\", port: 22}]\n\
         if greeting.len() > 3 {\n\
           let n = 20;\n\
           n * 2 + 2\n\
         }\n\
         fn twice(x) { x * 2 }\n\
         twice(21)\n\
         let note = `written\n\
         on two lines`;\n\
         note\n\
         ()\n\
         :vars\n",
    );
    out.code(0);
    assert_eq!(
        out.stdout,
        "3\n\
         bonjour !\n\
         key  │ value\n\
         ─────┼──────\n\
         name │ web\n\
         port │ 8080\n\
         host │ up   │ port\n\
         ─────┼──────┼─────\n\
         a    │ true │\n\
         b    │      │ 22\n\
         42\n\
         42\n\
         written\non two lines\n\
         name     │     │ type   │ value\n\
         ─────────┼─────┼────────┼─────────────────────\n\
         greeting │ let │ string │ bonjour\n\
         note     │ let │ string │ written⏎on two lines\n",
        "stderr:\n{}",
        out.stderr
    );
}

#[test]
fn an_error_is_reported_and_the_session_goes_on() {
    let out = session(
        Test::new(),
        &[],
        "let x = ;\n\
         missing + 1\n\
         sh(\"exit 3\")\n\
         :stpe x\n\
         :step x\n\
         :help\n\
         :hosts\n\
         \"still here\"\n",
    );
    out.code(0)
        .stdout_has("  :step ID|PROC.ID")
        .stdout_has("Ctrl-C cancels the line or the running command")
        .stdout_has("no hosts")
        .stdout_has("still here");
    assert_eq!(out.stdout.lines().last(), Some("still here"));
    for expected in [
        "error: Unexpected ';'\n --> <repl>:1:9\n  |\n1 | let x = ;\n  |         ^\n",
        "error: Undefined variable: missing\n --> <repl>:1:1\n",
        "error: command `exit 3` exited with code 3\n",
        "error: unknown command :stpe (did you mean :step?)\n",
        "error: no runbook loaded: `:load FILE` first\n",
    ] {
        assert!(
            out.stderr.contains(expected),
            "stderr lacks {expected:?}:\n{}",
            out.stderr
        );
    }
}

/// A runbook with a parameter of each kind, a secret, and a step with a rollback.
const DEMO: &str = r#"runbook "demo" {
  param label: string = "first" help "Written into the file"
  param count: int = 1 one of [1, 2, 3]
  secret token from env "DEMO_TOKEN"

  procedure make "Make the file" default {
    step write "Write made.txt" {
      write_file("made.txt", `${label} ${count} ${token}`);
      publish("written", "made.txt");
    } rollback {
      sh(["rm", "-f", "made.txt"]);
    }
    confirm "Show the file?"
    step show { sh(["cat", "made.txt"]) }
  }
}
"#;

#[test]
fn parameters_are_set_typed_and_secrets_never_echoed() {
    let out = session(
        Test::new().runbook(DEMO).env("DEMO_TOKEN", "s3cr3t-value"),
        &["main.rb42"],
        ":params\n\
         :set count two\n\
         :set count 7\n\
         :set count 2\n\
         :set label second run\n\
         :set token typed-secret\n\
         :set lable x\n\
         label + \"/\" + count\n\
         token\n\
         `token is ${token}`\n\
         :list\n",
    );
    out.code(0)
        .stdout_has("loaded demo (main.rb42): 1 procedure(s), 2 step(s), 2 parameter(s)")
        .stdout_has("label     │ string │ \"first\" │ Written into the file")
        .stdout_has("count     │ int    │ 1")
        .stdout_has("token  │ environment variable DEMO_TOKEN │ ***")
        .stdout_has("count = 2\nlabel = \"second run\"\n")
        .stdout_has("second run/2\n***\ntoken is ***\n")
        .stdout_has("make")
        .stdout_lacks("s3cr3t-value")
        .stdout_lacks("typed-secret");
    assert!(!out.stderr.contains("s3cr3t-value") && !out.stderr.contains("typed-secret"));
    for expected in [
        "error: parameter `count` must be an int, not `two` (from :set)",
        "error: parameter `count` is 7, which is not one of 1, 2, 3",
        "`token` is a secret: it is never typed on a line",
        "error: no parameter `lable` in this runbook (did you mean `label`?)",
    ] {
        assert!(
            out.stderr.contains(expected),
            "stderr lacks {expected:?}:\n{}",
            out.stderr
        );
    }
}

#[test]
fn a_password_met_in_a_database_url_stays_masked_after_set() {
    let out = session(
        Test::new().runbook(DEMO).env("DEMO_TOKEN", "s3cr3t-value"),
        &["main.rb42"],
        "let url = \"postgres://app:hunter2-pw@127.0.0.1:9/shop\"\n\
         try { scalar(url, \"SELECT 1\") } catch (e) { print(`refused: ${e}`) }\n\
         :set count 2\n\
         `after :set: ${url}`\n",
    );
    out.code(0)
        .stdout_has("after :set: postgres://app:***@127.0.0.1:9/shop")
        .stdout_lacks("hunter2-pw");
    assert!(!out.stderr.contains("hunter2-pw"), "{}", out.stderr);
}

#[test]
fn a_step_runs_alone_and_its_rollback_runs_on_demand_while_dry_mode_changes_nothing() {
    let out = session(
        Test::new().runbook(DEMO).env("DEMO_TOKEN", "s3cr3t-value"),
        &["main.rb42"],
        ":plan\n\
         :dry on\n\
         :step write\n\
         exists(\"made.txt\")\n\
         :dry off\n\
         :step write\n\
         exists(\"made.txt\")\n\
         written\n\
         read_file(\"made.txt\")\n\
         :rollback\n\
         exists(\"made.txt\")\n\
         :rollback\n\
         :quit\n",
    );
    out.code(0)
        // The plan, as `runbook plan` prints it.
        .stdout_has("Plan demo › make — Make the file")
        .stdout_has("change local$ write ")
        .stdout_has("rollback of `write` registered (1 owed)")
        .stdout_has("made.txt\nfirst 1 ***\n")
        .stdout_has("↩ rollback write")
        .stdout_has("no rollback registered")
        .stdout_lacks("s3cr3t-value");
    let answers: Vec<String> = out.lines_with(&["true", "false"]);
    assert_eq!(answers, ["false", "true", "false"], "{}", out.stdout);
    assert!(!out.exists("made.txt"));
    // The plan, the dry step and the real step each show the action as the plan words it.
    assert_eq!(
        out.stdout.matches("change local$ write ").count(),
        3,
        "{}",
        out.stdout
    );
}

#[test]
fn a_gate_guards_its_step_and_leaving_with_rollbacks_not_run_warns() {
    let out = session(
        Test::new().runbook(DEMO).env("DEMO_TOKEN", "tok-42"),
        &["main.rb42"],
        ":step make.write\n:step show\n",
    );
    // The gate before `show` asks, and without a terminal nobody can answer.
    out.code(0)
        .stdout_has("? Show the file?")
        .stdout_has("declined: no terminal to ask")
        .stdout_lacks("│ first 1")
        .stderr_has("warning: 1 rollback(s) registered by :step were not run: make.write");
    assert_eq!(out.read("made.txt").as_deref(), Some("first 1 tok-42"));

    // `--yes` answers it.
    let out = session(
        Test::new().runbook(DEMO).env("DEMO_TOKEN", "tok-42"),
        &["main.rb42", "--yes"],
        ":step write\n:step show\n:rollback\n",
    );
    out.code(0)
        .stdout_has("✓ confirmed by flag")
        .stdout_has("│ first 1 ***");
    assert!(!out.exists("made.txt"));
}

/// The issue's "done when": an operator opens the seed deploy, points it at the test VM with
/// `:set`, runs two steps there and sees what they did, then rolls them back.
#[test]
fn the_seed_deploy_runs_step_by_step_on_the_vm_and_is_rolled_back() {
    let vm = Vm::new();
    let release = vm.release("2.0", "1", &["config/app.yml"]);
    let mut input = String::new();
    let mut params: Vec<(&str, String)> = vm.params().to_vec();
    params.extend([
        ("release_dir", release.0.clone()),
        ("env_file", release.1.clone()),
        ("backup_dir", vm.opt.display().to_string()),
    ]);
    for (name, value) in &params {
        input.push_str(&format!(":set {name} {value}\n"));
    }
    input.push_str(
        ":step backup\n\
         :step copy\n\
         host(\"vm\").run([\"cat\", `${app_dir}/RELEASE`]).stdout\n\
         host(\"vm\").run([\"ls\", \"-A\", app_dir]).stdout\n\
         :hosts\n\
         :rollback\n\
         host(\"vm\").run([\"ls\", \"-A\", app_dir]).stdout.len()\n",
    );
    let out = session(vm.test(), &[&runbook_path(DEPLOY)], &input);
    out.code(0)
        .stdout_has("[1/4] backup — Sauvegarder /opt/brokerx")
        .stdout_has("[2/4] copy — Copier le dépôt et le .env")
        .stdout_has("rollback of `copy` registered (2 owed)")
        // What the step did, seen from the session over the same connection.
        .stdout_has("\n2.0\n")
        .stdout_has("\n.env\nRELEASE\nconfig\ndocker-compose.yml\n")
        .stdout_has("connected")
        .stdout_has("↩ rollback copy")
        .stdout_has("↩ rollback backup")
        .stdout_has("✓ succeeded (0 done, 2 rolled back")
        .stdout_has("\n0\n");
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let left: Vec<_> = std::fs::read_dir(&vm.app_dir).expect("app dir").collect();
    assert!(left.is_empty(), "the rollback left {left:?}");
    // Guards, steps, session lines and rollbacks shared one SSH connection.
    assert_eq!(vm.server.connections(), 1, "{}", vm.server.log());
}

/// A REPL on a real terminal: tmux with its own server socket.
struct Terminal {
    tmux: Tmux,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Terminal {
    type Target = Tmux;

    fn deref(&self) -> &Tmux {
        &self.tmux
    }
}

impl Terminal {
    /// Runs `runbook repl ARGS…` in a new tmux pane; `[exit N]` is printed when it ends.
    fn start(history: &Path, args: &[&str]) -> Terminal {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut command = format!(
            "NO_COLOR=1 RUNBOOK_HISTORY='{}' '{}' repl",
            history.display(),
            env!("CARGO_BIN_EXE_runbook")
        );
        for arg in args {
            command.push_str(&format!(" '{arg}'"));
        }
        let terminal = Terminal {
            tmux: Tmux::start(dir.path().join("tmux.sock"), &command),
            _dir: dir,
        };
        terminal.wait_for("the prompt", |s| s.contains("runbook>"));
        terminal
    }

    /// Waits for an empty prompt on the last line: until it shows, the line editor is still
    /// setting the terminal up and discards what is typed, as it would for an operator.
    fn wait_for_prompt(&self) {
        self.wait_for("an empty prompt", |s| {
            s.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::trim)
                == Some("runbook>")
        });
    }

    /// Types `text` at an empty prompt, and waits until the line shows it. A line editor still
    /// setting the terminal up after its prompt showed may discard what was typed (all of it or
    /// the start): then the line is cleared (Ctrl-U) and typed again.
    fn type_at_prompt(&self, text: &str) {
        let wanted = format!("runbook> {text}");
        let last_line = |screen: &str| {
            screen
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim_end().to_string())
                .unwrap_or_default()
        };
        for _ in 0..5 {
            self.wait_for_prompt();
            self.type_text(text);
            let typed = Instant::now();
            while typed.elapsed() < Duration::from_secs(2) {
                if last_line(&self.screen()) == wanted {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            self.keys(&["C-u"]);
        }
        panic!("the line never showed `{wanted}`:\n{}", self.screen());
    }
}

/// Whether a process whose command line is exactly `command` runs on this machine.
fn running(command: &str) -> bool {
    Command::new("pgrep")
        .args(["-x", "-f", command])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn on_a_terminal_tab_completes_ctrl_c_cancels_and_ctrl_d_leaves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let history = dir.path().join("state/history");
    let terminal = Terminal::start(&history, &[&runbook_path("runbooks/quickstart.rb42")]);

    // A primitive, then a step id after :step.
    terminal.type_at_prompt("http_ge");
    terminal.keys(&["Tab"]);
    terminal.wait_for("http_get completed", |s| s.contains("runbook> http_get"));
    terminal.keys(&["C-u"]);
    terminal.type_at_prompt(":step arch");
    terminal.keys(&["Tab"]);
    terminal.wait_for("the step id completed", |s| {
        s.contains("runbook> :step archive")
    });
    terminal.keys(&["C-u"]);

    // A confirmation is asked on the terminal, and the session reads its lines again after it.
    let workdir = dir.path().join("quickstart");
    for (line, done) in [
        (format!(":set workdir {}", workdir.display()), "workdir = "),
        (":step deploy.prepare".to_string(), "(1 owed)"),
        (":step deploy.archive".to_string(), "(2 owed)"),
    ] {
        terminal.type_at_prompt(&line);
        terminal.keys(&["Enter"]);
        terminal.wait_for(done, |s| s.contains(done));
    }
    terminal.type_at_prompt(":step deploy.release");
    terminal.keys(&["Enter"]);
    terminal.wait_for("the confirmation", |s| s.contains("proceed? [y/N]"));
    terminal.type_text("y");
    terminal.keys(&["Enter"]);
    terminal.wait_for("the step done", |s| {
        s.contains("rollback of `release` registered (3 owed)")
    });
    assert_eq!(
        std::fs::read_to_string(workdir.join("app/VERSION")).expect("VERSION"),
        "1.4.2\n"
    );

    // Ctrl-C drops the line being typed.
    terminal.type_at_prompt("let lost = 1");
    terminal.keys(&["C-c"]);
    terminal.type_at_prompt("lost");
    terminal.keys(&["Enter"]);
    terminal.wait_for("the cancelled line had no effect", |s| {
        s.contains("Undefined variable: lost")
    });

    // Ctrl-C stops a running command and its process; the session goes on.
    let sleeper = "sleep 29.5";
    terminal.type_at_prompt(&format!("sh(\"{sleeper}\")"));
    terminal.keys(&["Enter"]);
    let started = Instant::now();
    while !running(sleeper) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{}",
            terminal.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    terminal.keys(&["C-c"]);
    terminal.wait_for("the interruption", |s| {
        s.contains("interrupted by the operator")
    });
    assert!(!running(sleeper), "the command's process outlived Ctrl-C");
    terminal.type_at_prompt("40 + 2");
    terminal.keys(&["Enter"]);
    terminal.wait_for("the session still answering", |s| {
        s.lines().any(|l| l.trim() == "42")
    });

    // Ctrl-D leaves with exit code 0 and the history kept.
    terminal.wait_for_prompt();
    terminal.keys(&["C-d"]);
    terminal.wait_for("the exit", |s| s.contains("[exit 0]"));
    let kept = std::fs::read_to_string(&history).expect("history file");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&history)
        .expect("history")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the history is readable by others");
    assert!(kept.contains(&format!("sh(\"{sleeper}\")")), "{kept}");
    assert!(kept.contains("40 + 2"), "{kept}");
}

#[test]
fn a_runbook_named_on_the_command_line_must_load() {
    let out = session(Test::new(), &["missing.rb42"], "1 + 1\n");
    out.code(2)
        .stderr_has("cannot read the runbook")
        .stdout_lacks("2");
    let broken =
        Test::new().runbook("runbook \"r\" {\n  procedure p { step s { log(nope); } }\n}\n");
    let out = session(broken, &["main.rb42"], "1 + 1\n");
    out.code(2).stderr_has("unknown variable `nope`");
    // So must its `-p` values, named as given on the command line; `:set` later is named so.
    let with_param = || {
        Test::new().runbook(
            "runbook \"r\" {\n  param keep: int = 3 env \"KEEP\"\n  procedure p { step s { log(keep); } }\n}\n",
        )
    };
    let out = session(with_param(), &["main.rb42", "-p", "kept=1"], "1 + 1\n");
    out.code(2)
        .stderr_has("unknown parameter `kept` (from --param)")
        .stderr_has("declared parameters: keep")
        .stdout_lacks("2");
    let out = session(with_param(), &["main.rb42", "-p", "keep=abc"], "1 + 1\n");
    out.code(2)
        .stderr_has("parameter `keep` must be an int, not `abc` (from --param)")
        .stderr_has("main.rb42:2:9");
    let out = session(
        with_param(),
        &["main.rb42", "-p", "keep=5"],
        ":set keep abc\nkeep\n",
    );
    out.code(0).stderr_has("(from :set)").stdout_has("5");
    // A wrong value in the environment stops it too, as it stops `run` and `plan`.
    let out = session(with_param().env("KEEP", "many"), &["main.rb42"], "1 + 1\n");
    out.code(2)
        .stderr_has("(from environment variable KEEP)")
        .stdout_lacks("2");
    // Inside a session, a bad :load is reported and the session goes on.
    let out = session(Test::new(), &[], ":load missing.rb42\n40 + 2\n");
    out.code(0)
        .stderr_has("cannot read the runbook")
        .stdout_has("42");
}

#[test]
fn a_runbook_loads_with_the_inventory_given_with_dash_i() {
    let runbook = r#"runbook "r" {
  procedure p { step restart on web { run("systemctl restart app"); } }
}"#;
    let hosts =
        "[web]\nweb1 ansible_host=10.0.0.11\nweb2 ansible_host=10.0.0.12 ansible_port=2222\n";
    let test = Test::new().runbook(runbook).file("hosts.ini", hosts);
    let out = session(test, &["main.rb42", "-i", "hosts.ini"], ":hosts\n");
    out.code(0)
        .stdout_has("loaded r (main.rb42)")
        .stdout_has("10.0.0.12:2222");
}

#[test]
fn on_runs_a_command_on_every_host_of_a_group_tagged_by_host() {
    use crate::sshd::Sshd;
    let servers = [Sshd::start(), Sshd::start()];
    let runbook = r#"runbook "r" {
@HOSTS@
  group web [a, b]
  procedure p { step s on web { run("true"); } }
}"#;
    let (test, remote) =
        crate::ssh::remote_test(runbook, &[("a", &servers[0]), ("b", &servers[1])]);
    let marker = remote.join("made-in-dry-mode");
    let out = session(
        test,
        &["main.rb42"],
        &format!(
            ":on web echo \"hello from $SSH_CONNECTION\" | cut -c1-10; exit 0\n\
         :on web echo oops >&2; exit 3\n\
         :on webb uptime\n\
         :on a\n\
         :dry on\n\
         :on web touch {}\n",
            marker.display()
        ),
    );
    out.code(0)
        .stdout_has("a │ ✓ exit 0")
        .stdout_has("a │   hello from")
        .stdout_has("b │ ✓ exit 0")
        .stdout_has("b │   hello from")
        .stdout_has("2 host(s): 2 ok, 0 failed")
        .stdout_has("a │ ✗ exit 3")
        .stdout_has("b │   oops")
        .stdout_has("2 host(s): 0 ok, 2 failed")
        .stderr_has("unknown target `webb`")
        .stderr_has("did you mean `web`?")
        .stderr_has(":on a needs a command after the target")
        .stdout_has(&format!(
            "a │ would run: touch {} (dry mode)",
            marker.display()
        ))
        .stdout_has(&format!(
            "b │ would run: touch {} (dry mode)",
            marker.display()
        ));
    assert!(!marker.exists(), "dry mode ran the command");
    // Tagged in inventory order, a before b.
    let a = out.stdout.find("a │ ✓").expect("a answered");
    let b = out.stdout.find("b │ ✓").expect("b answered");
    assert!(a < b, "{}", out.stdout);
}

/// `SELECT id, full_name, email` shows in that order, in the REPL and through `log_table`,
/// though a row is a map whose keys sort; a `created` Unix time shows as a date; in dry mode
/// the rows and cells only a real run knows show as their origin.
#[test]
fn query_results_keep_the_query_s_column_order() {
    let test = Test::new();
    let db = format!("sqlite://{}", test.path().join("app.db").display());
    let out = session(
        test,
        &[],
        &format!(
            "let db = \"{db}\";\n\
             execute(db, \"CREATE TABLE users (id int, full_name text, email text, created int)\");\n\
             execute(db, \"INSERT INTO users VALUES (1, 'Ada Lovelace', 'ada@example.org', 1733304600)\");\n\
             query(db, \"SELECT id, full_name, email, created FROM users\")\n\
             query_one(db, \"SELECT email, id FROM users\")\n\
             log_table(query(db, \"SELECT full_name, id FROM users\"));\n\
             :dry on\n\
             query(db, \"SELECT id FROM users\")\n\
             [#{{n: scalar(db, \"SELECT count(*) FROM users\")}}]\n"
        ),
    );
    out.code(0)
        // In dry mode, what only a real run knows shows as its origin.
        .stdout_has("⟨query of SELECT id FROM users⟩")
        .stdout_has("⟨scalar of SELECT count(*) FROM users⟩")
        .stdout_lacks("unknown_value");
    assert!(
        out.stdout.contains(
            "id │ full_name    │ email           │ created\n\
             ───┼──────────────┼─────────────────┼────────────────────────\n\
             1  │ Ada Lovelace │ ada@example.org │ 2024-12-04 09:30:00 UTC\n"
        ),
        "stdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout.contains(
            "key   │ value\n──────┼────────────────\nemail │ ada@example.org\nid    │ 1\n"
        ),
        "{}",
        out.stdout
    );
    let logged = format!("{}{}", out.stdout, out.stderr);
    assert!(logged.contains("full_name    │ id"), "{logged}");
}
