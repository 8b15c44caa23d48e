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
pub struct CmdlineWatch {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<BTreeSet<String>>,
}

impl CmdlineWatch {
    pub fn start() -> Self {
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

    pub fn finish(self) -> BTreeSet<String> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().expect("watcher")
    }
}

/// Fails when `secret` is on a command line seen; fails too when no command line has
/// `witness` (the watcher must have seen the command run).
pub fn assert_unseen(seen: &BTreeSet<String>, secret: &str, witness: &str) {
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

const REAL_PASSWORD: &str = "pg-real-compose-pw-4b7e";

/// The host's PostgreSQL client programs' directory (`/usr/lib/postgresql/VERSION/bin`).
fn postgres_bin() -> String {
    let mut found: Vec<String> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("/usr/lib/postgresql")
        .flatten()
        .map(|e| e.path().join("bin").display().to_string())
        .filter(|bin| std::path::Path::new(bin).join("pg_dump").exists())
        .collect();
    found.sort();
    found.pop().expect("a PostgreSQL client")
}

/// The seeds' default path for real: `docker compose exec -T -e PGPASSWORD … db pg_dump`, then
/// `pg_restore` the same way. No registry here, so the service `db` runs the busybox image with
/// the host's PostgreSQL programs and libraries mounted read-only, on the host's network, its own
/// PGHOST and PGPORT pointing at the test's server; the password comes only from `-e PGPASSWORD`.
#[test]
fn the_compose_dump_and_restore_run_postgres_own_tools_and_never_show_the_password() {
    let server = crate::postgres_env::server();
    let role = crate::docker_env::unique("rbt_compose");
    let role_url = server.role_with_password(&role, REAL_PASSWORD);
    let admin = server.database();
    let database = crate::docker_env::unique("rbt_compose_db");
    server.psql(
        &admin,
        &format!("CREATE DATABASE \"{database}\" OWNER \"{role}\""),
    );
    let url = role_url.replace("/postgres", &format!("/{database}"));
    server.psql(
        &url,
        "CREATE TABLE trades (id int PRIMARY KEY, symbol text); INSERT INTO trades VALUES (1, 'AAPL'), (2, 'MSFT');",
    );
    let bin = postgres_bin();
    let project = ComposeProject::new(&format!(
        "services:\n  db:\n    image: {BUSYBOX}\n    network_mode: host\n    environment:\n      PATH: {bin}:/bin\n      PGHOST: 127.0.0.1\n      PGPORT: \"{port}\"\n    volumes:\n      - /usr/lib/postgresql:/usr/lib/postgresql:ro\n      - /usr/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:ro\n      - /usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro\n      - /lib64:/lib64:ro\n",
        port = server.port
    ));
    project.compose(&["up", "-d"]);
    let dump = project.dir.path().join("trades.dump").display().to_string();
    let local = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/runbooks/000-brokerx-local.rb42"
    );
    let test = |procedure: &str| {
        Test::new().env("DATABASE_URL", &url).args([
            "run",
            local,
            procedure,
            "-p",
            &format!("app_dir={}", project.dir.path().display()),
            "-p",
            &format!("project={}", project.name),
            "-p",
            "db_service=db",
            "-p",
            &format!("dump_file={dump}"),
        ])
    };

    let watch = CmdlineWatch::start();
    let backup = test("db-backup").run();
    let mut seen = watch.finish();
    server.psql(&url, "DELETE FROM trades WHERE id = 1;");
    let watch = CmdlineWatch::start();
    let screen = crate::tmux::answer_on_terminal(&test("db-restore"), "y", |_| {});
    seen.extend(watch.finish());
    backup.code(0);
    assert!(screen.contains("[exit 0]"), "{screen}");
    assert_eq!(
        server.psql(&url, "SELECT id, symbol FROM trades ORDER BY id"),
        "1|AAPL\n2|MSFT\n",
        "the dump made and restored in the container brought the row back"
    );
    assert_unseen(&seen, REAL_PASSWORD, "exec -T -e ");
    for program in ["pg_dump", "pg_restore"] {
        assert!(
            seen.iter()
                .any(|l| l.contains("exec -T") && l.contains(program)),
            "{program} did not run through docker compose exec"
        );
    }
}
