//! Seed 000 (BrokerX+) end to end: the deploy to a loopback "VM" (sshd) running Compose
//! on the real Docker engine, its automatic rollback to the archive when /health never answers,
//! the manual rollback from an archive, pg_dump and pg_restore against the real PostgreSQL
//! fixture, an incident playbook (evidence, then the remedy declined and accepted), restores of
//! the dumps that exist (plain and custom, with or without a manifest; the incident restore only
//! when the database is down, always asked at a terminal), and the plan of every procedure. Seed
//! 001's VM (requirements, health, daily backup, deploy and rollback by git) is
//! tests/seed_001.rs, on the same stand-in VM.

use crate::docker_env::{self, BUSYBOX, ComposeProject, WEB_HEALTHY};
use crate::harness::{Output, Test, free_port};
use crate::http_env::{self, HttpServer};
use crate::postgres_env;
use crate::sshd::{self, Sshd};
use crate::tmux::answer_on_terminal;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const DEPLOY: &str = "runbooks/000-brokerx-deploy.rb42";
const LOCAL: &str = "runbooks/000-brokerx-local.rb42";
const INCIDENTS: &str = "runbooks/000-brokerx-incidents.rb42";

pub fn runbook_path(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(file)
        .display()
        .to_string()
}

/// The page `/` of the service on `port` once it answers 200 (up to 30 s): "web v1" or "web v2".
pub fn served(port: u16) -> String {
    http_env::page(port, "/")
}

/// A Compose file whose web service runs `runbook-test/web:TAG` on `127.0.0.1:PORT`.
pub fn compose_yaml(tag: &str, port: u16) -> String {
    format!(
        "version: \"2.4\"\nservices:\n  web:\n    image: \"runbook-test/web:{tag}\"\n    ports: [\"127.0.0.1:{port}:8080\"]\n    env_file: [.env]\n"
    )
}

/// Every file under `dir`, as sorted relative paths.
fn files_in(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).expect("read dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("inside dir");
                found.push(relative.display().to_string());
            }
        }
    }
    found.sort();
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The id of the running container of `service` in the Compose project `project`.
fn container_id(project: &str, service: &str) -> String {
    docker_env::docker(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
        "--filter",
        &format!("label=com.docker.compose.service={service}"),
    ])
    .trim()
    .to_string()
}

/// The stand-in VM: an sshd on loopback, `/opt` and `/opt/brokerx` as directories the remote
/// user owns, local releases to deploy, and the Compose project name the deploys use (dropping
/// the stage takes the project down).
pub struct Vm {
    pub server: Sshd,
    dir: tempfile::TempDir,
    pub opt: PathBuf,
    pub app_dir: PathBuf,
    pub port: u16,
    /// Only for clean-up: its name is the deployed project's name.
    pub project: ComposeProject,
}

impl Vm {
    pub fn new() -> Vm {
        docker_env::images();
        let server = Sshd::start();
        let dir = tempfile::tempdir().expect("temp dir");
        let opt = sshd::remote_dir(&dir.path().join("opt"));
        let app_dir = sshd::remote_dir(&opt.join("brokerx"));
        let port = free_port();
        sshd::known_hosts(&dir.path().join("known_hosts"), &[&server]);
        Vm {
            server,
            dir,
            opt,
            app_dir,
            port,
            project: ComposeProject::new(&format!(
                "version: \"2.4\"\nservices:\n  web:\n    image: \"{WEB_HEALTHY}\"\n"
            )),
        }
    }

    /// A local release `NAME`: the Compose file running `runbook-test/web:TAG`, a RELEASE file,
    /// `extra` files, and its `.env` beside it (`NAME.env`).
    pub fn release(&self, name: &str, tag: &str, extra: &[&str]) -> (String, String) {
        let dir = self.dir.path().join("releases").join(name);
        std::fs::create_dir_all(&dir).expect("release dir");
        std::fs::write(dir.join("docker-compose.yml"), compose_yaml(tag, self.port))
            .expect("compose file");
        std::fs::write(dir.join("RELEASE"), format!("{name}\n")).expect("RELEASE");
        for file in extra {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, format!("{file} of {name}\n")).expect("extra file");
        }
        let env = self.dir.path().join("releases").join(format!("{name}.env"));
        std::fs::write(&env, format!("SECRET_KEY_BASE=key-of-{name}\n")).expect(".env");
        (dir.display().to_string(), env.display().to_string())
    }

    /// The parameters that point the seeds at this VM.
    pub fn params(&self) -> [(&'static str, String); 6] {
        [
            ("ssh_host", "127.0.0.1".to_string()),
            ("ssh_user", sshd::USER.to_string()),
            ("ssh_port", self.server.port().to_string()),
            ("app_dir", self.app_dir.display().to_string()),
            ("project", self.project.name.clone()),
            ("app_port", self.port.to_string()),
        ]
    }

    /// A test whose environment reaches the VM: its key, its known_hosts, no ssh_config.
    pub fn test(&self) -> Test {
        Test::new()
            .env("SSH_KEY", &sshd::client_key().display().to_string())
            .env(
                "RUNBOOK_KNOWN_HOSTS",
                &self.dir.path().join("known_hosts").display().to_string(),
            )
            .env("RUNBOOK_SSH_CONFIG", "none")
    }

    /// `runbook ARGS… -p …` with the VM's parameters and SSH settings.
    pub fn runbook(&self, args: &[&str], params: &[(&str, String)]) -> Output {
        let mut all: Vec<String> = args.iter().map(ToString::to_string).collect();
        for (name, value) in self.params().iter().chain(params) {
            all.push("-p".into());
            all.push(format!("{name}={value}"));
        }
        self.test().args(all.iter().map(String::as_str)).run()
    }

    /// Runs the deploy of a release made by [`Vm::release`].
    fn deploy(&self, release: &(String, String)) -> Output {
        self.runbook(
            &["run", &runbook_path(DEPLOY), "deploy"],
            &[
                ("release_dir", release.0.clone()),
                ("env_file", release.1.clone()),
                ("backup_dir", self.opt.display().to_string()),
                ("health_wait", "10s".into()),
            ],
        )
    }

    fn archives(&self) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&self.opt)
            .expect("read /opt")
            .map(|e| e.expect("entry").path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("brokerx_backup_"))
            })
            .collect();
        found.sort();
        found
    }
}

#[test]
fn a_release_is_deployed_to_the_vm_then_rolled_back_by_hand_from_its_archive() {
    let vm = Vm::new();
    let first = vm.release("1.0", "1", &[]);
    vm.deploy(&first)
        .code(0)
        .stdout_has("nothing to back up")
        // The VM's own /health, reached through the VM.
        .stdout_has(&format!(
            "http://localhost:{}/health: 200 {{\"status\": \"healthy\"}}",
            vm.port
        ));
    assert_eq!(served(vm.port), "web v1");
    assert_eq!(
        files_in(&vm.app_dir),
        [".env", "RELEASE", "docker-compose.yml"]
    );
    assert_eq!(read(&vm.app_dir.join("RELEASE")), "1.0\n");
    let env = vm.app_dir.join(".env");
    assert_eq!(read(&env), "SECRET_KEY_BASE=key-of-1.0\n");
    let mode = std::fs::metadata(&env)
        .expect("stat .env")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, ".env is private");
    assert!(vm.archives().is_empty(), "nothing was backed up");

    // A second healthy release: the first is archived before it is replaced.
    let second = vm.release("1.1", "1", &["db/migrate/002_orders.rb"]);
    vm.deploy(&second).code(0).stdout_has("backup: ");
    assert_eq!(read(&vm.app_dir.join("RELEASE")), "1.1\n");
    let archives = vm.archives();
    assert_eq!(archives.len(), 1, "{archives:?}");
    let archive = archives[0].display().to_string();
    let name = archives[0]
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        name.len() == "brokerx_backup_YYYYmmddHHMMSS.tgz".len() && name.ends_with(".tgz"),
        "{name}"
    );

    // « Identifier l'archive de sauvegarde sur la VM ».
    let backups = vm.runbook(
        &["run", &runbook_path(DEPLOY), "backups"],
        &[("backup_dir", vm.opt.display().to_string())],
    );
    backups.code(0).stdout_has(&archive);

    // The manual rollback asks first: declined, nothing changes.
    let rollback = |extra: &[&str]| {
        let mut args = vec!["run".to_string(), runbook_path(DEPLOY), "rollback".into()];
        args.extend(extra.iter().map(ToString::to_string));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        vm.runbook(
            &args,
            &[
                ("backup", archive.clone()),
                ("backup_dir", vm.opt.display().to_string()),
                ("health_wait", "20s".into()),
            ],
        )
    };
    rollback(&[]).code(3).stdout_has("declined");
    assert_eq!(read(&vm.app_dir.join("RELEASE")), "1.1\n");

    rollback(&["--yes"])
        .code(0)
        .stdout_has(&format!("{archive} restored into"));
    assert_eq!(read(&vm.app_dir.join("RELEASE")), "1.0\n");
    assert_eq!(
        files_in(&vm.app_dir),
        [".env", "RELEASE", "docker-compose.yml"],
        "the files of 1.1 are gone"
    );
    assert_eq!(served(vm.port), "web v1");
    assert_eq!(
        vm.archives().len(),
        2,
        "the state before the rollback is kept"
    );
    assert_eq!(vm.server.connections(), 5, "one SSH connection per run");
}

#[test]
fn a_release_that_never_becomes_healthy_is_rolled_back_to_the_archive() {
    let vm = Vm::new();
    let good = vm.release("1.0", "1", &[]);
    vm.deploy(&good).code(0);
    assert_eq!(served(vm.port), "web v1");

    let broken = vm.release("2.0", "2", &["db/migrate/003_websocket.rb"]);
    let out = vm.deploy(&broken);
    out.code(1)
        .stdout_has("did not answer status 200 within 10s")
        .stdout_has("the previous release is running again");
    let archive = vm.archives();
    assert_eq!(archive.len(), 1, "{archive:?}");
    out.stdout_has(&format!("deploy failed: {} restored", archive[0].display()));

    // The files are those of 1.0 again, without what 2.0 added, and 1.0 serves.
    assert_eq!(
        files_in(&vm.app_dir),
        [".env", "RELEASE", "docker-compose.yml"]
    );
    assert_eq!(read(&vm.app_dir.join("RELEASE")), "1.0\n");
    assert_eq!(
        read(&vm.app_dir.join(".env")),
        "SECRET_KEY_BASE=key-of-1.0\n"
    );
    assert!(read(&vm.app_dir.join("docker-compose.yml")).contains("runbook-test/web:1"));
    assert_eq!(served(vm.port), "web v1");
    let health = http_env::get(vm.port, "/health").expect("/health answers");
    assert_eq!(health.0, 200, "{health:?}");
    let id = container_id(&vm.project.name, "web");
    let image = docker_env::docker(&["inspect", "-f", "{{.Config.Image}}", &id]);
    assert_eq!(image.trim(), "runbook-test/web:1");
}

/// A database with two tables and their rows.
pub fn shop_database() -> String {
    let url = postgres_env::server().database();
    postgres_env::server().psql(
        &url,
        "CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12, 2));
         CREATE TABLE orders (id serial PRIMARY KEY, account int REFERENCES accounts, symbol text, quantity int);
         INSERT INTO accounts VALUES (1, 'alice', 1500.25), (2, 'bob', 20.00);
         INSERT INTO orders (account, symbol, quantity) VALUES (1, 'AAPL', 10), (1, 'MSFT', -3), (2, 'TSLA', 1);",
    );
    url
}

fn snapshot(url: &str) -> String {
    postgres_env::server().psql(
        url,
        "SELECT * FROM accounts ORDER BY id; SELECT * FROM orders ORDER BY id; SELECT last_value FROM orders_id_seq;",
    )
}

fn local(procedure: &str, database: &str, params: &[(&str, String)], extra: &[&str]) -> Output {
    local_test(LOCAL, procedure, database, params, extra).run()
}

/// `runbook run FILE PROCEDURE` with the database and `params`, not yet run.
fn local_test(
    file: &str,
    procedure: &str,
    database: &str,
    params: &[(&str, String)],
    extra: &[&str],
) -> Test {
    let mut args = vec![
        "run".to_string(),
        runbook_path(file),
        procedure.to_string(),
        "-p".into(),
        "app_dir=/nonexistent/brokerx".into(),
    ];
    for (name, value) in params {
        args.push("-p".into());
        args.push(format!("{name}={value}"));
    }
    args.extend(extra.iter().map(ToString::to_string));
    Test::new()
        .env("DATABASE_URL", database)
        .args(args.iter().map(String::as_str))
}

/// The database name of a PostgreSQL URL.
fn database_name(url: &str) -> &str {
    url.rsplit('/').next().expect("a database in the URL")
}

#[test]
fn the_database_is_dumped_with_pg_dump_and_restored_with_pg_restore() {
    let url = shop_database();
    let before = snapshot(&url);
    let dir = tempfile::tempdir().expect("temp dir");
    let dump = dir.path().join("backup.dump").display().to_string();
    let params = [("db_service", String::new()), ("dump_file", dump.clone())];

    local("db-backup", &url, &params, &[])
        .code(0)
        .stdout_has(&format!("{dump}: "));
    let manifest: serde_json::Value =
        serde_json::from_str(&read(Path::new(&format!("{dump}.manifest.json")))).expect("manifest");
    assert_eq!(manifest["format"], "custom");
    assert_eq!(
        manifest["bytes"].as_u64(),
        Some(std::fs::metadata(&dump).expect("dump").len())
    );

    // Damage: rows changed, deleted, added, and a table dropped.
    postgres_env::server().psql(
        &url,
        "UPDATE accounts SET balance = 0 WHERE owner = 'alice';
         DELETE FROM orders WHERE symbol = 'TSLA';
         INSERT INTO orders (account, symbol, quantity) VALUES (2, 'GME', 1000);
         CREATE TABLE scratch (x int); DROP TABLE orders;",
    );
    let damaged = postgres_env::server().psql(&url, "SELECT * FROM accounts ORDER BY id");
    assert!(damaged.contains("1|alice|0.00"), "{damaged}");

    // The restore asks first; declined, the database is untouched.
    local("db-restore", &url, &params, &[])
        .code(3)
        .stdout_has("declined");
    assert_eq!(
        postgres_env::server().psql(&url, "SELECT * FROM accounts ORDER BY id"),
        damaged
    );

    // `--yes` does not answer a restore over the database: only an operator at a terminal does.
    local("db-restore", &url, &params, &["--yes"])
        .code(3)
        .stdout_has("only an operator there answers a `confirm always`");
    assert_eq!(
        postgres_env::server().psql(&url, "SELECT * FROM accounts ORDER BY id"),
        damaged
    );

    let test = local_test(LOCAL, "db-restore", &url, &params, &["--yes"]);
    let screen = answer_on_terminal(&test, "y", |asked| {
        let name = database_name(&url);
        assert!(
            asked.contains(&format!("Remplacer le contenu de la base {name} par {dump} (PostgreSQL custom-format dump (pg_dump -Fc), du 20")),
            "the question names the database, the dump and its date:\n{asked}"
        );
    });
    assert!(screen.contains("[exit 0]"), "{screen}");
    assert!(screen.contains("restored "), "{screen}");
    assert_eq!(snapshot(&url), before, "the data are those of the dump");
    assert!(
        Path::new(&format!("{dump}.before-restore")).exists(),
        "the damaged state was saved before the restore"
    );
}

#[test]
fn db_restore_reads_a_plain_sql_dump_and_a_custom_dump_without_a_manifest() {
    let url = shop_database();
    let before = snapshot(&url);
    let dir = tempfile::tempdir().expect("temp dir");
    // What the seed's own commands make: `pg_dump > backup.sql`, `pg_dump -F c -f backup.dump`,
    // with no manifest beside them, named so that no name tells the format.
    let plain = dir.path().join("backup-a");
    std::fs::write(&plain, postgres_env::pg_dump(&url, &[])).expect("write the dump");
    let custom = dir.path().join("backup-b");
    std::fs::write(&custom, postgres_env::pg_dump(&url, &["-Fc"])).expect("write the dump");
    let damage =
        "UPDATE accounts SET balance = 0; DELETE FROM orders; CREATE TABLE scratch (x int);";

    for (file, format) in [
        (&plain, "plain SQL dump (pg_dump > FILE.sql)"),
        (&custom, "PostgreSQL custom-format dump (pg_dump -Fc)"),
    ] {
        postgres_env::server().psql(&url, damage);
        let params = [
            ("db_service", String::new()),
            ("dump_file", file.display().to_string()),
        ];
        // The plan, probing the file, says which format it found and what it checked.
        let probed = local_test(LOCAL, "db-restore", &url, &params, &[]);
        let mut args: Vec<String> = probed.arguments().to_vec();
        args[0] = "plan".into();
        args.push("--probe".into());
        let planned = Test::new()
            .env("DATABASE_URL", &url)
            .args(args.iter().map(String::as_str))
            .run();
        planned.code(0).stdout_has(format).stdout_has("no manifest");

        let test = local_test(LOCAL, "db-restore", &url, &params, &[]);
        let screen = answer_on_terminal(&test, "y", |_| {});
        assert!(screen.contains("[exit 0]"), "{screen}");
        assert!(
            screen.contains(format),
            "the terminal names the format: {screen}"
        );
        assert_eq!(
            snapshot(&url),
            before,
            "{format}: the data are those of the dump"
        );
        if file == &plain {
            // A plain dump creates without dropping: it goes into emptied schemas.
            let tables = postgres_env::server().psql(
                &url,
                "SELECT count(*) FROM pg_tables WHERE tablename = 'scratch'",
            );
            assert_eq!(tables.trim(), "0", "the restore replaced the database");
        }
        postgres_env::server().psql(&url, "DROP TABLE IF EXISTS scratch;");
    }
}

/// A plain SQL dump written by hand (as a script could), ending like pg_dump's.
const HAND_DUMP: &str = "CREATE TABLE restored (id int PRIMARY KEY, note text);
INSERT INTO restored VALUES (1, 'from the backup');
-- PostgreSQL database dump complete
";

#[test]
fn the_incident_restore_runs_only_when_the_database_is_down_and_always_asks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dump = dir.path().join("nightly.sql");
    std::fs::write(&dump, HAND_DUMP).expect("dump");
    let incident = |url: &str, extra: &[&str]| {
        let params = [
            ("db_service", String::new()),
            ("backup_dir", dir.path().display().to_string()),
        ];
        local_test(INCIDENTS, "incident-db", url, &params, extra)
            .env("DUMP_FILE", &dump.display().to_string())
    };

    // A healthy database, DUMP_FILE exported and --yes: nothing is restored.
    let healthy = shop_database();
    let before = snapshot(&healthy);
    incident(&healthy, &["--yes"])
        .run()
        .code(0)
        .stdout_has("the database answers")
        .stdout_has("`when { db_down && dump_file != \"\" && database_url != \"\" }` is false");
    assert_eq!(
        snapshot(&healthy),
        before,
        "a healthy database is left alone"
    );

    // A database that does not answer (it does not exist yet): the restore is offered, and
    // --yes does not answer it.
    let url = postgres_env::server().database();
    let name = database_name(&url).to_string();
    let admin = url.replace(&format!("/{name}"), "/postgres");
    postgres_env::server().psql(&admin, &format!("DROP DATABASE \"{name}\""));
    incident(&url, &["--yes"])
        .run()
        .code(3)
        .stdout_has("the database does not answer")
        .stdout_has("only an operator there answers a `confirm always`");

    // At a terminal, once the operator has it answering again, the restore runs after a copy.
    let test = incident(&url, &["--yes"]);
    let screen = answer_on_terminal(&test, "y", |asked| {
        assert!(
            asked.contains(&format!(
                "La base {name} était indisponible. Remplacer son contenu par {}",
                dump.display()
            )),
            "{asked}"
        );
        assert!(asked.contains("plain SQL dump"), "{asked}");
        postgres_env::server().psql(&admin, &format!("CREATE DATABASE \"{name}\""));
    });
    assert!(screen.contains("[exit 0]"), "{screen}");
    assert_eq!(
        postgres_env::server().psql(&url, "SELECT id, note FROM restored"),
        "1|from the backup\n"
    );
    assert!(
        Path::new(&format!("{}.before-restore", dump.display())).exists(),
        "the state before the restore was copied"
    );
}

/// The volumes of a Compose project.
fn volumes(project: &str) -> String {
    docker_env::docker(&[
        "volume",
        "ls",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ])
}

#[test]
fn the_compose_operations_start_restart_inspect_and_stop_the_services() {
    let port = free_port();
    let project = ComposeProject::new(&format!(
        "version: \"2.4\"\nservices:\n  web:\n    image: \"{WEB_HEALTHY}\"\n    ports: [\"127.0.0.1:{port}:8080\"]\n  postgres:\n    image: \"{BUSYBOX}\"\n    volumes: [\"pgdata:/var/lib/postgresql/data\"]\nvolumes:\n  pgdata: {{}}\n"
    ));
    let run = |procedure: &str, extra: &[&str]| {
        let mut args = vec![
            "run".to_string(),
            runbook_path(LOCAL),
            procedure.to_string(),
        ];
        for (name, value) in [
            ("app_dir", project.dir.path().display().to_string()),
            ("project", project.name.clone()),
            ("health_url", format!("http://127.0.0.1:{port}/health")),
            ("health_wait", "30s".into()),
            ("tail", "20".into()),
            (
                "migrate_command",
                "sh,-c,echo rails db:create db:migrate: done".into(),
            ),
        ] {
            args.push("-p".into());
            args.push(format!("{name}={value}"));
        }
        args.extend(extra.iter().map(ToString::to_string));
        Test::new().args(args.iter().map(String::as_str)).run()
    };

    run("start", &[]).code(0).stdout_has("/health: 200");
    assert_eq!(served(port), "web v1");
    run("ps", &[])
        .code(0)
        .stdout_has(&format!("{}_web_1", project.name));
    run("logs", &[])
        .code(0)
        .stdout_has("web v1 listening on 8080");
    run("health", &[]).code(0).stdout_has("/health: 200");
    let web = container_id(&project.name, "web");
    let started = |id: &str| docker_env::docker(&["inspect", "-f", "{{.State.StartedAt}}", id]);
    let first_start = started(&web);
    run("restart-web", &[]).code(0);
    assert_ne!(started(&web), first_start, "web was restarted");
    assert_eq!(served(port), "web v1");
    run("db-setup", &[])
        .code(0)
        .stdout_has("rails db:create db:migrate: done");

    run("stop", &[]).code(0);
    assert!(container_id(&project.name, "web").is_empty(), "stopped");
    assert!(
        !volumes(&project.name).trim().is_empty(),
        "the volume is kept"
    );

    run("start", &[]).code(0);
    run("purge", &[]).code(3).stdout_has("declined");
    assert!(
        !container_id(&project.name, "web").is_empty(),
        "still running"
    );
    run("purge", &["--yes"]).code(0);
    assert!(container_id(&project.name, "web").is_empty(), "stopped");
    assert!(
        volumes(&project.name).trim().is_empty(),
        "the volume is gone"
    );
}

#[test]
fn the_actioncable_check_connects_with_the_token_and_the_origin() {
    let server = HttpServer::start();
    let run = |path: &str| {
        Test::new()
            .env("BROKERX_JWT", "eyJhbGciOiJIUzI1NiJ9.brokerx.sig")
            .args([
                "run",
                &runbook_path(LOCAL),
                "realtime",
                "-p",
                "app_dir=/nonexistent/brokerx",
                "-p",
                &format!("cable_url={}", server.url(path).replacen("http", "ws", 1)),
                "-p",
                "origin=http://localhost:3000",
            ])
            .run()
    };
    run("/ws/admin/orders/")
        .code(0)
        .stdout_has("WebSocket upgrade accepted (101) for the origin http://localhost:3000")
        .stdout_lacks("brokerx.sig");
    let request = server
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with("/ws/admin/orders/"))
        .expect("the upgrade request");
    assert_eq!(request.header("origin"), Some("http://localhost:3000"));
    assert!(
        request
            .path
            .ends_with("?token=eyJhbGciOiJIUzI1NiJ9.brokerx.sig"),
        "{}",
        request.path
    );
    run("/ws/refused")
        .code(1)
        .stdout_has("check the origin (http://localhost:3000, the page's own) and the JWT");
}

#[test]
fn the_memory_leak_playbook_gathers_evidence_then_redeploys_only_when_confirmed() {
    let port = free_port();
    let project = ComposeProject::new(&format!(
        "version: \"2.4\"\nservices:\n  web:\n    image: \"{WEB_HEALTHY}\"\n    ports: [\"127.0.0.1:{port}:8080\"]\n"
    ));
    project.compose(&["up", "-d"]);
    let before = container_id(&project.name, "web");
    assert!(!before.is_empty());
    served(port);

    let run = |extra: &[&str]| {
        let mut args = vec![
            "run".to_string(),
            runbook_path(INCIDENTS),
            "incident-memory".into(),
        ];
        for (name, value) in [
            ("app_dir", project.dir.path().display().to_string()),
            ("project", project.name.clone()),
            ("base_url", format!("http://127.0.0.1:{port}")),
            ("health_wait", "30s".into()),
        ] {
            args.push("-p".into());
            args.push(format!("{name}={value}"));
        }
        args.extend(extra.iter().map(ToString::to_string));
        Test::new().args(args.iter().map(String::as_str)).run()
    };

    // Evidence first, then the remedy is declined: exit 3, the container untouched.
    let declined = run(&[]);
    declined
        .code(3)
        .stdout_has(&format!("{}_web_1 (web): running, memory ", project.name))
        .stdout_has("restarts, OOM killed: false")
        .stdout_has("no container above 80% of its memory limit")
        .stdout_has("declined");
    assert_eq!(container_id(&project.name, "web"), before);

    let accepted = run(&["--confirm", "redeploy"]);
    accepted.code(0);
    let after = container_id(&project.name, "web");
    assert!(
        !after.is_empty() && after != before,
        "the container was recreated"
    );
    assert_eq!(served(port), "web v1");
}

#[test]
fn the_latency_playbook_profiles_the_endpoints_then_enlarges_the_pool_when_confirmed() {
    let port = free_port();
    let project = ComposeProject::new(&format!(
        "version: \"2.4\"\nservices:\n  web:\n    image: \"{WEB_HEALTHY}\"\n    ports: [\"127.0.0.1:{port}:8080\"]\n    env_file: [.env]\n"
    ));
    let env = project.dir.path().join(".env");
    std::fs::write(&env, "SECRET_KEY_BASE=k\nRAILS_MAX_THREADS=5\n").expect(".env");
    project.compose(&["up", "-d"]);
    served(port);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run".to_string(),
            runbook_path(INCIDENTS),
            "incident-latency".into(),
        ];
        for (name, value) in [
            ("app_dir", project.dir.path().display().to_string()),
            ("project", project.name.clone()),
            ("base_url", format!("http://127.0.0.1:{port}")),
            ("endpoints", "/,/health".into()),
            ("samples", "3".into()),
            ("slow_ms", "-1".into()),
            ("pool_size", "12".into()),
            ("health_wait", "30s".into()),
        ] {
            args.push("-p".into());
            args.push(format!("{name}={value}"));
        }
        args.extend(extra.iter().map(ToString::to_string));
        Test::new().args(args.iter().map(String::as_str)).run()
    };
    let container_env = || {
        let id = container_id(&project.name, "web");
        docker_env::docker(&["inspect", "-f", "{{json .Config.Env}}", &id])
    };

    run(&[])
        .code(3)
        .stdout_has("/health: min ")
        .stdout_has("ms (3 requests)")
        .stdout_has("slow endpoints: [\"/\", \"/health\"]")
        .stdout_has("memory ")
        .stdout_has("declined");
    assert_eq!(read(&env), "SECRET_KEY_BASE=k\nRAILS_MAX_THREADS=5\n");

    run(&["--confirm", "pool"])
        .code(0)
        .stdout_has("RAILS_MAX_THREADS=12: web recreated");
    assert_eq!(read(&env), "SECRET_KEY_BASE=k\nRAILS_MAX_THREADS=12\n");
    assert!(
        container_env().contains("RAILS_MAX_THREADS=12"),
        "{}",
        container_env()
    );
    assert_eq!(served(port), "web v1");
}

/// Runs git in `dir` as the test process (root), with an identity.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "safe.directory=*",
            "-c",
            "user.name=BrokerX CI",
            "-c",
            "user.email=ci@brokerx.example",
            "-C",
        ])
        .arg(dir)
        .args(args)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The procedure ids of a runbook, from `runbook list --format json`.
pub fn procedures(file: &str) -> Vec<String> {
    let out = Test::new()
        .args(["list", &runbook_path(file), "--format", "json"])
        .run();
    out.code(0);
    let listing: serde_json::Value = serde_json::from_str(&out.stdout).expect("list JSON");
    listing["procedures"]
        .as_array()
        .expect("procedures")
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn every_procedure_checks_clean_and_plans() {
    let files = [DEPLOY, LOCAL, INCIDENTS].map(runbook_path);
    let mut check = vec!["check", "--deny-warnings"];
    check.extend(files.iter().map(String::as_str));
    Test::new()
        .args(check)
        .run()
        .code(0)
        .stderr_has("0 errors, 0 warnings");

    let ssh: &[&str] = &["ssh_host=203.0.113.10", "ssh_user=deploy"];
    let expected: [(&str, &[&str], Vec<&str>); 3] = [
        (
            DEPLOY,
            &["deploy", "backups", "rollback"],
            [ssh, &["backup=/opt/brokerx_backup_20250101123456.tgz"]].concat(),
        ),
        (
            LOCAL,
            &[
                "start",
                "stop",
                "purge",
                "logs",
                "ps",
                "restart-web",
                "health",
                "realtime",
                "db-setup",
                "db-backup",
                "db-restore",
            ],
            vec!["app_dir=/home/dev/brokerx"],
        ),
        (
            INCIDENTS,
            &[
                "incident-5xx",
                "incident-db",
                "incident-latency",
                "incident-memory",
            ],
            vec!["dump_file=/opt/backups/brokerx.dump"],
        ),
    ];
    for (file, ids, params) in expected {
        assert_eq!(procedures(file), ids, "{file}");
        for procedure in ids {
            let path = runbook_path(file);
            let mut args = vec!["plan", path.as_str(), procedure];
            for param in &params {
                args.extend(["-p", param]);
            }
            let out = Test::new()
                .env("SSH_KEY", "/home/deploy/.ssh/id_ed25519")
                .env(
                    "DATABASE_URL",
                    "postgres://brokerx:db-password@localhost:5432/brokerx_development",
                )
                .args(args)
                .run();
            out.code(0).stdout_has(&format!("› {procedure}"));
        }
    }
}

#[test]
fn the_5xx_playbook_gathers_logs_resources_and_connections_and_offers_no_rollback_without_a_deploy()
{
    let port = free_port();
    let project = ComposeProject::new(&format!(
        "version: \"2.4\"\nservices:\n  web:\n    image: \"{WEB_HEALTHY}\"\n    ports: [\"127.0.0.1:{port}:8080\"]\n"
    ));
    project.compose(&["up", "-d"]);
    served(port);
    let backups = tempfile::tempdir().expect("temp dir");
    let database = postgres_env::server().database();
    let mut args = vec![
        "run".to_string(),
        runbook_path(INCIDENTS),
        "incident-5xx".into(),
    ];
    for (name, value) in [
        ("app_dir", project.dir.path().display().to_string()),
        ("project", project.name.clone()),
        ("base_url", format!("http://127.0.0.1:{port}")),
        ("backup_dir", backups.path().display().to_string()),
    ] {
        args.push("-p".into());
        args.push(format!("{name}={value}"));
    }
    let out = Test::new()
        .env("DATABASE_URL", &database)
        .args(args.iter().map(String::as_str))
        .run();
    out.code(0)
        .stdout_has("responses 5xx in the last 500 lines")
        .stdout_has(&format!("{}_web_1 (web): running, memory ", project.name))
        .stdout_has("max_connections: ")
        .stdout_has("error lines in the last 500 lines")
        .stdout_has("no rollback to offer");
}
