//! No secret on a command line, checked by looking: while a runbook runs, a watcher reads
//! `/proc/*/cmdline` of every process of the machine — local commands, the SSH server's
//! sessions (on loopback, so on this machine), and the processes of a Compose service's
//! container — and the secret must be in none of them. Each test also checks that the watcher
//! saw the command while it ran and that the command got the secret, so it cannot pass blind.

use crate::docker_env::{BUSYBOX, ComposeProject};
use crate::harness::Test;
use crate::ssh::remote_test;
use crate::sshd::Sshd;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// Every command line seen on the machine until stopped.
struct CmdlineWatch {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<BTreeSet<String>>,
}

impl CmdlineWatch {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let mut seen = BTreeSet::new();
            while !flag.load(Ordering::Relaxed) {
                for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                    if let Ok(bytes) = std::fs::read(entry.path().join("cmdline")) {
                        let line = String::from_utf8_lossy(&bytes).replace('\0', " ");
                        if !line.is_empty() {
                            seen.insert(line);
                        }
                    }
                }
            }
            seen
        });
        Self { stop, handle }
    }

    fn finish(self) -> BTreeSet<String> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().expect("watcher")
    }
}

/// Fails when `secret` is on a command line seen; fails too when no command line has
/// `witness` (the watcher must have seen the command run).
fn assert_unseen(seen: &BTreeSet<String>, secret: &str, witness: &str) {
    let leaks: Vec<&String> = seen.iter().filter(|l| l.contains(secret)).collect();
    assert!(
        leaks.is_empty(),
        "the secret is on a command line: {leaks:#?}"
    );
    assert!(
        seen.iter().any(|l| l.contains(witness)),
        "the watcher never saw `{witness}` among {} command lines",
        seen.len()
    );
}

const TOKEN: &str = "tok-on-argv-never-5e2b";

#[test]
fn local_commands_get_secrets_in_their_environment_not_their_arguments() {
    let test = Test::new()
        .runbook(
            r#"runbook "r" {
  secret token from env "API_TOKEN"
  procedure p {
    step a {
      sh(["sh", "-c", "sleep 0.5; test \"$TOKEN\" = \"$API_TOKEN\" && touch got-sh"], #{env: #{TOKEN: token}});
      run("sleep 0.5; test \"$TOKEN\" = \"$API_TOKEN\" && touch got-run", #{env: #{TOKEN: token}});
      sh(["sh", "-c", "sleep 0.5; read -r t; test \"$t\" = \"$API_TOKEN\" && touch got-stdin"], #{stdin: token});
    }
  }
}"#,
        )
        .env("API_TOKEN", TOKEN);
    let watch = CmdlineWatch::start();
    let out = test.args(["run", "main.rb42"]).run();
    let seen = watch.finish();
    out.code(0);
    for file in ["got-sh", "got-run", "got-stdin"] {
        assert!(
            out.exists(file),
            "{file}: the command did not get the secret"
        );
    }
    assert_unseen(&seen, TOKEN, "touch got-run");
}

#[test]
fn remote_commands_get_secrets_through_the_session_not_the_command_line() {
    let server = Sshd::start();
    let (test, remote) = remote_test(
        r#"runbook "r" {
  param dir: string
  secret token from env "API_TOKEN"
@HOSTS@
  procedure p on vm {
    step a {
      run(["sh", "-c", "sleep 0.5; test \"$TOKEN\" = \"$WANT\" && touch got-remote"], #{cwd: dir, env: #{TOKEN: token, WANT: "tok-on-argv-never-5e2b"}});
      run("test \"$(cat)\" = \"ok\"", #{stdin: "ok", env: #{TOKEN: token}});
    }
  }
}"#,
        &[("vm", &server)],
    );
    let dir = format!("dir={}", remote.display());
    let watch = CmdlineWatch::start();
    let out = test
        .env("API_TOKEN", TOKEN)
        .args(["run", "main.rb42", "-p", &dir])
        .run();
    let seen = watch.finish();
    out.code(0);
    assert!(
        remote.join("got-remote").exists(),
        "the remote command did not get the secret"
    );
    assert_unseen(&seen, TOKEN, "touch got-remote");
}

const PASSWORD: &str = "pg-pw-never-on-argv-91c3";

/// A fake `pg_dump` on the service's PATH: records the password it was given, lingers so the
/// watcher sees it, prints a dump.
const FAKE_PG_DUMP: &str = "#!/bin/sh\necho \"$PGPASSWORD\" > /fake/seen\nsleep 0.5\necho \"-- dump of $PGDATABASE as $PGUSER\"\n";

#[test]
fn a_dump_through_compose_passes_the_password_by_name_only() {
    let project = ComposeProject::new(&format!(
        "services:\n  db:\n    image: {BUSYBOX}\n    environment:\n      PATH: /fake:/usr/local/bin:/bin\n    volumes:\n      - ./fake:/fake\n"
    ));
    let fake = project.dir.path().join("fake");
    std::fs::create_dir(&fake).unwrap();
    std::fs::write(fake.join("pg_dump"), FAKE_PG_DUMP).unwrap();
    std::fs::set_permissions(
        fake.join("pg_dump"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    project.compose(&["up", "-d"]);
    let file = format!("compose_file={}", project.file().display());
    let name = format!("project={}", project.name);
    let watch = CmdlineWatch::start();
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  secret db from env "DATABASE_URL"
  param compose_file: string
  param project: string
  use "stdlib/database.rhai" as database
  procedure p {
    step dump {
      database::dump(db, "out.sql", #{format: "plain", compose: #{file: compose_file, name: project}, service: "db"});
    }
  }
}"#,
        )
        .env(
            "DATABASE_URL",
            &format!("postgres://shop:{PASSWORD}@db:5432/shop"),
        )
        .args(["run", "main.rb42", "-p", &file, "-p", &name])
        .run();
    let seen = watch.finish();
    out.code(0);
    assert_eq!(
        out.read("out.sql").as_deref(),
        Some("-- dump of shop as shop\n")
    );
    assert_eq!(
        std::fs::read_to_string(fake.join("seen")).unwrap().trim(),
        PASSWORD,
        "pg_dump did not get the password"
    );
    assert_unseen(&seen, PASSWORD, "PGPASSWORD");
}

#[test]
fn check_warns_where_a_secret_reaches_a_command_line() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  secret token from env "API_TOKEN"
  procedure p {
    step a {
      let header = `Authorization: Bearer ${token}`;
      sh(["curl", "-H", header, "https://example.invalid"]);
      sh(["curl", "-H", "@-", "https://example.invalid"], #{stdin: header});
    }
  }
}"#,
        )
        .args(["check", "main.rb42", "--deny-warnings"])
        .run();
    out.code(2);
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(
        said.contains("secret `token` reaches the command line of `sh`, where `ps` shows it"),
        "{said}"
    );
    assert!(said.contains("main.rb42:6:"), "{said}");
    assert!(said.contains("#{stdin: token}"), "{said}");
    assert_eq!(
        said.matches("reaches the command line").count(),
        1,
        "{said}"
    );
}

#[test]
fn the_shipped_runbooks_put_no_secret_on_a_command_line() {
    let runbooks = concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks");
    let out = Test::new()
        .args(["check", "--deny-warnings", runbooks])
        .run();
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(!said.contains("reaches the command line"), "{said}");
}
