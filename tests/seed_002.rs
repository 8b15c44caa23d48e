//! Seed 002 (SmartMarket) end to end, against a loopback "production server" (sshd) running the
//! Compose project on the real Docker engine, with the database in the real PostgreSQL fixture:
//! backups and their manifest, full and database-only restores, the emergency stop, the deploy
//! and database rollbacks, migrations, monitoring, the development start, and the plan of every
//! procedure.
//!
//! Django, Celery, Redis and Nginx do not exist here: their services run a small image built
//! from `runbook-test/web:1` whose `python`, `celery`, `redis-cli` and `nginx` are one shell
//! script ([`FAKE_TOOLS`]) that records each call in the container's `/tmp/calls` and answers
//! like the tool. The tests read `/tmp/calls` of each service's container, so they check that
//! the runbook ran the right command in the right service.

use crate::docker_env::{self, ComposeProject};
use crate::harness::{Output, Test, free_port};
use crate::http_env::{self, HttpServer};
use crate::postgres_env;
use crate::sshd::{self, Sshd};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const RUNBOOK: &str = "runbooks/002-smartmarket.rb42";
const DEV_RUNBOOK: &str = "runbooks/002-smartmarket-dev.rb42";

/// `runbook-test/web:1` (httpd on 8080, healthy `/health`) plus the fake tools.
const FAKE_IMAGE: &str = "runbook-test/smartmarket-fake:1";

/// `python`, `celery`, `redis-cli` and `nginx`: records `TOOL ARGS…` in /tmp/calls and answers
/// like the tool, naming the Compose service it runs in (`$SERVICE`, set by the Compose file).
const FAKE_TOOLS: &str = r##"#!/bin/sh
tool=${0##*/}
echo "$tool $*" >> /tmp/calls
case "$tool $*" in
  "python manage.py createsuperuser --noinput")
    if [ -f /tmp/superuser ]; then
      echo "CommandError: Error: That username is already taken." >&2
      exit 1
    fi
    echo "$DJANGO_SUPERUSER_USERNAME <$DJANGO_SUPERUSER_EMAIL> password=$DJANGO_SUPERUSER_PASSWORD" > /tmp/superuser
    echo "Superuser created successfully." ;;
  "python manage.py showmigrations")
    echo "catalog"; echo " [X] 0001_initial"; echo " [X] 0002_products" ;;
  "python manage.py check"*)
    echo "System check identified no issues (0 silenced)." ;;
  "python manage.py migrate --noinput")
    echo "Operations to perform:"; echo "  Apply all migrations: catalog"; echo "No migrations to apply." ;;
  "python manage.py "*)
    echo "manage.py $2 done" ;;
  "celery -A smartmarket inspect active")
    echo "->  celery@$SERVICE: OK"; echo "    - empty -" ;;
  "celery -A smartmarket inspect scheduled")
    echo "->  celery@$SERVICE: OK"; echo "    * backup_database (every 86400 s)" ;;
  "celery -A smartmarket inspect stats")
    echo "->  celery@$SERVICE: OK"; echo '    {"pool": {"max-concurrency": 4}}' ;;
  "celery -A smartmarket inspect ping")
    echo "->  celery@$SERVICE: OK"; echo "        pong" ;;
  "redis-cli info")
    echo "# Server"; echo "redis_version:7.2.4"; echo "role:master" ;;
  "redis-cli dbsize")
    echo "42" ;;
  "nginx -t")
    echo "nginx: configuration file /etc/nginx/nginx.conf test is successful" ;;
  *)
    echo "$tool: unexpected call in $SERVICE: $*" >&2
    exit 2 ;;
esac
"##;

const FAKE_DOCKERFILE: &str = r#"FROM runbook-test/web:1
COPY fake /usr/local/bin/fake
RUN for tool in python celery redis-cli nginx; do ln -s fake /usr/local/bin/$tool; done
"#;

/// Builds [`FAKE_IMAGE`] once per test process.
fn fake_image() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    docker_env::images();
    let built = BUILT.get_or_init(|| {
        let context = tempfile::tempdir().map_err(|e| e.to_string())?;
        fs::write(context.path().join("Dockerfile"), FAKE_DOCKERFILE).map_err(|e| e.to_string())?;
        let fake = context.path().join("fake");
        fs::write(&fake, FAKE_TOOLS).map_err(|e| e.to_string())?;
        set_mode(&fake, 0o755);
        let out = Command::new("docker")
            .args(["build", "-q", "-t", FAKE_IMAGE])
            .arg(context.path())
            .env_remove("DOCKER_BUILDKIT")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "docker build of {FAKE_IMAGE} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(message) = built {
        panic!("{message}");
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// Gives `path` to the sshd's user, who runs the runbook's commands on the "server".
fn give(path: &Path) {
    let user = nix::unistd::User::from_name(sshd::USER)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("the user {} is missing", sshd::USER));
    std::os::unix::fs::chown(path, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
        .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
}

/// The Compose project of the "production server": `web` runs `web_image` and publishes
/// `port`; worker, beat, redis and nginx run the fake tools.
fn compose_yaml(web_image: &str, port: u16) -> String {
    let mut yaml = format!(
        "version: \"2.4\"\nservices:\n  web:\n    image: \"{web_image}\"\n    ports: [\"127.0.0.1:{port}:8080\"]\n    environment: {{SERVICE: web}}\n"
    );
    for service in ["worker", "beat", "redis", "nginx"] {
        yaml.push_str(&format!(
            "  {service}:\n    image: \"{FAKE_IMAGE}\"\n    command: [\"/usr/local/bin/idle\"]\n    environment: {{SERVICE: {service}}}\n    healthcheck: {{disable: true}}\n"
        ));
    }
    yaml
}

/// The table every test backs up and restores.
const ORDERS: &str = "CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL);
INSERT INTO orders VALUES (1, 'livre'), (2, 'lampe'), (3, 'tapis');";
const ORDERS_QUERY: &str = "SELECT id, item FROM orders ORDER BY id";
const ORIGINAL_ORDERS: &str = "1|livre\n2|lampe\n3|tapis\n";
/// What each test does to the data after its backup.
const DAMAGE: &str =
    "DELETE FROM orders WHERE id = 1; UPDATE orders SET item = 'cassé' WHERE id = 2;
INSERT INTO orders VALUES (4, 'intrus');";

/// The stand-in production server: an sshd, the Compose project in the application directory
/// (owned by the sshd's user), its database, and the known_hosts file.
struct Stage {
    server: Sshd,
    project: ComposeProject,
    app_dir: PathBuf,
    known_hosts: tempfile::TempDir,
    port: u16,
    database: String,
}

impl Stage {
    fn new(web_image: &str) -> Stage {
        fake_image();
        let port = free_port();
        let project = ComposeProject::new(&compose_yaml(web_image, port));
        let app_dir = sshd::remote_dir(project.dir.path());
        fs::write(app_dir.join(".env"), "SECRET_KEY=premiere-cle\nDEBUG=0\n").expect(".env");
        give(&app_dir.join(".env"));
        let media = sshd::remote_dir(&app_dir.join("media"));
        fs::write(media.join("produit-1.jpg"), "image v1").expect("media file");
        give(&media.join("produit-1.jpg"));
        let server = Sshd::start();
        let known_hosts = tempfile::tempdir().expect("temp dir");
        sshd::known_hosts(&known_hosts.path().join("known_hosts"), &[&server]);
        let database = postgres_env::server().database();
        postgres_env::server().psql(&database, ORDERS);
        Stage {
            server,
            project,
            app_dir,
            known_hosts,
            port,
            database,
        }
    }

    /// Starts every service, as the production start would.
    fn up(&self) -> &Self {
        self.project.compose(&["up", "-d"]);
        self
    }

    fn backups(&self) -> PathBuf {
        self.app_dir.join("backups")
    }

    /// `runbook ARGS… -p …` for this server, not yet run.
    fn test(&self, args: &[&str]) -> Test {
        let mut all: Vec<String> = Vec::new();
        let url = |path: &str| format!("http://127.0.0.1:{}{path}", self.port);
        for (name, value) in [
            ("ssh_host", "127.0.0.1".to_string()),
            ("ssh_user", sshd::USER.to_string()),
            ("ssh_port", self.server.port().to_string()),
            ("app_dir", self.app_dir.display().to_string()),
            ("compose_file", "docker-compose.yml".into()),
            ("project_name", self.project.name.clone()),
            ("services", "web,worker,beat,redis,nginx".into()),
            ("db_service", String::new()),
            ("backups_dir", self.backups().display().to_string()),
            ("live_url", url("/health")),
            ("ready_url", url("/health")),
            ("detailed_url", url("/health")),
            ("health_wait", "30s".into()),
        ] {
            all.push("-p".into());
            all.push(format!("{name}={value}"));
        }
        // Last, so that a test's own `-p` wins.
        all.extend(args.iter().map(|s| s.to_string()));
        isolated()
            .env("SSH_KEY", &sshd::client_key().display().to_string())
            .env("DATABASE_URL", &self.database)
            .env(
                "RUNBOOK_KNOWN_HOSTS",
                &self
                    .known_hosts
                    .path()
                    .join("known_hosts")
                    .display()
                    .to_string(),
            )
            .env("RUNBOOK_SSH_CONFIG", "none")
            .args(["run", &runbook_path(RUNBOOK).display().to_string()])
            .args(all.iter().map(String::as_str))
    }

    /// Runs a procedure of the production runbook with `extra` arguments.
    fn run(&self, procedure: &str, extra: &[&str]) -> Output {
        let mut args = vec![procedure];
        args.extend(extra);
        self.test(&args).run()
    }

    fn orders(&self) -> String {
        postgres_env::server().psql(&self.database, ORDERS_QUERY)
    }

    fn damage(&self) {
        postgres_env::server().psql(&self.database, DAMAGE);
        assert_ne!(self.orders(), ORIGINAL_ORDERS);
    }

    /// The id of the service's container, or "" when there is none.
    fn container(&self, service: &str) -> String {
        docker_env::docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=com.docker.compose.project={}", self.project.name),
            "--filter",
            &format!("label=com.docker.compose.service={service}"),
        ])
        .trim()
        .to_string()
    }

    fn running(&self, service: &str) -> bool {
        let id = self.container(service);
        !id.is_empty()
            && docker_env::docker(&["inspect", "-f", "{{.State.Running}}", &id]).trim() == "true"
    }

    fn image(&self, service: &str) -> String {
        docker_env::docker(&[
            "inspect",
            "-f",
            "{{.Config.Image}}",
            &self.container(service),
        ])
        .trim()
        .to_string()
    }

    /// The fake tools' calls in the service's container, in order.
    fn calls(&self, service: &str) -> Vec<String> {
        let out = Command::new("docker")
            .args(["exec", &self.container(service), "sh", "-c"])
            .arg("cat /tmp/calls 2>/dev/null || true")
            .stdin(Stdio::null())
            .output()
            .expect("docker exec");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The directories and dumps in the backups directory whose names start with `prefix`.
    fn backups_named(&self, prefix: &str) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = fs::read_dir(self.backups())
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with(prefix))
                    })
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
    }
}

/// A [`Test`] whose runs keep their journal and lock in its own directory, so that parallel
/// tests of the same runbook and host never wait for each other.
fn isolated() -> Test {
    let test = Test::new();
    let state = test.path().join("runbook-state").display().to_string();
    test.env("RUNBOOK_STATE_DIR", &state)
}

fn runbook_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(file)
}

fn manifest(backup: &Path) -> serde_json::Value {
    let text = fs::read_to_string(backup.join("manifest.json")).expect("manifest.json");
    serde_json::from_str(&text).expect("manifest.json is JSON")
}

#[test]
fn a_named_backup_then_a_full_restore_brings_back_the_data_and_the_files() {
    let stage = Stage::new("runbook-test/web:1");
    stage.up();
    stage
        .run("backup", &["-p", "backup=backup_avant_maintenance"])
        .code(0)
        .stdout_has("backup_avant_maintenance: backup directory holding a PostgreSQL custom-format dump (pg_dump -Fc), 1 archive(s)")
        .stdout_has("3 SHA-256 match ");
    let backup = stage.backups().join("backup_avant_maintenance");
    let manifest = manifest(&backup);
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert_eq!(
        files,
        ["database.dump", "database.dump.manifest.json", "files.tgz"]
    );
    assert_eq!(manifest["archived"], serde_json::json!([".env", "media"]));
    let listed = stage.run("backups", &[]);
    listed.code(0).stdout_has("backup_avant_maintenance");

    stage.damage();
    fs::write(stage.app_dir.join(".env"), "SECRET_KEY=autre-cle\n").expect(".env");
    fs::remove_file(stage.app_dir.join("media/produit-1.jpg")).expect("rm media");

    let declined = stage.run("restore", &["-p", "backup=backup_avant_maintenance"]);
    declined.code(3);
    assert!(stage.running("web"), "a declined restore stops nothing");

    stage
        .run(
            "restore",
            &["-p", "backup=backup_avant_maintenance", "--yes"],
        )
        .code(0)
        .stdout_has("database restored from ")
        .stdout_has("files of backup_avant_maintenance restored");
    assert_eq!(stage.orders(), ORIGINAL_ORDERS);
    assert_eq!(
        fs::read_to_string(stage.app_dir.join(".env")).expect(".env"),
        "SECRET_KEY=premiere-cle\nDEBUG=0\n"
    );
    assert_eq!(
        fs::read_to_string(stage.app_dir.join("media/produit-1.jpg")).expect("media"),
        "image v1"
    );
    for service in ["web", "worker", "beat", "redis", "nginx"] {
        assert!(stage.running(service), "{service} runs after the restore");
    }
    assert!(http_env::page(stage.port, "/health").contains("healthy"));
}

/// A psql session holding `LOCK TABLE orders IN ACCESS SHARE MODE` in an open transaction:
/// a restore that drops the table waits for it.
struct TableLock {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl TableLock {
    fn take(url: &str) -> TableLock {
        let mut child = Command::new("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("psql");
        let mut stdin = child.stdin.take().expect("psql stdin");
        stdin
            .write_all(b"BEGIN;\nLOCK TABLE orders IN ACCESS SHARE MODE;\nSELECT 'locked';\n")
            .and_then(|()| stdin.flush())
            .expect("write to psql");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("psql stdout"))
            .read_line(&mut line)
            .expect("read psql");
        assert_eq!(line.trim(), "locked", "psql did not take the lock");
        TableLock {
            child,
            stdin: Some(stdin),
        }
    }

    fn release(mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            stdin.write_all(b"COMMIT;\n").expect("commit");
        }
        self.child.wait().expect("psql ends");
    }
}

impl Drop for TableLock {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Whether a session waits for a lock in the database of `url`.
fn someone_waits_for_a_lock(url: &str) -> bool {
    postgres_env::server().psql(
        url,
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
         WHERE NOT l.granted AND d.datname = current_database()",
    ) != "0\n"
}

#[test]
fn a_database_only_restore_stops_web_worker_and_beat_and_starts_them_again() {
    let stage = Stage::new("runbook-test/web:1");
    stage.up();
    stage
        .run("backup-database", &[])
        .code(0)
        .stdout_has("database dump: ");
    let dumps = stage.backups_named("backup_db_");
    assert_eq!(dumps.len(), 2, "the dump and its manifest: {dumps:?}");
    stage.damage();

    // The restore will wait for this lock: meanwhile, the engine tells what runs.
    let lock = TableLock::take(&stage.database);
    let test = stage.test(&["restore-database", "--yes"]);
    let log = test.path().join("restore.log");
    let (mut command, fidelity) = test.checked_command();
    let mut restore = command
        .stdout(fs::File::create(&log).expect("log file"))
        .stderr(Stdio::inherit())
        .spawn()
        .expect("runbook");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !someone_waits_for_a_lock(&stage.database) {
        if let Some(status) = restore.try_wait().expect("try_wait") {
            panic!(
                "the restore ended ({status}) without waiting for the database:\n{}",
                fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "the restore never reached the database"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for service in ["web", "worker", "beat"] {
        assert!(
            !stage.running(service),
            "{service} is stopped during the restore"
        );
    }
    assert!(stage.running("redis"), "redis keeps running");
    assert!(stage.running("nginx"), "nginx keeps running");
    lock.release();

    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = restore.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = restore.kill();
            panic!("the restore did not finish");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "the restore failed:\n{output}");
    if let Some(fidelity) = fidelity {
        fidelity.check();
    }
    assert!(output.contains("1 SHA-256 match "), "{output}");
    assert!(output.contains("database restored from "), "{output}");
    assert_eq!(stage.orders(), ORIGINAL_ORDERS);
    for service in ["web", "worker", "beat", "redis", "nginx"] {
        assert!(stage.running(service), "{service} runs after the restore");
    }
}

#[test]
fn the_production_start_checks_and_starts_everything_and_the_graceful_stop_ends_it() {
    let stage = Stage::new("runbook-test/web:1");
    stage
        .run("start", &[])
        .code(0)
        .stdout_has(".env defines 2 variables: [\"SECRET_KEY\", \"DEBUG\"]")
        .stdout_lacks("premiere-cle")
        .stdout_has("web v1 listening on 8080");
    for service in ["web", "worker", "beat", "redis", "nginx"] {
        assert!(stage.running(service), "{service} runs after the start");
    }
    assert!(http_env::page(stage.port, "/health").contains("healthy"));

    stage
        .run("stop", &[])
        .code(0)
        .stdout_has(&format!("no container of {} runs", stage.project.name));
    assert!(
        stage.container("web").is_empty(),
        "down removed the containers"
    );
}

#[test]
fn the_emergency_stop_kills_and_removes_every_container() {
    let stage = Stage::new("runbook-test/web:1");
    stage.up();
    stage.run("emergency-stop", &[]).code(3);
    assert!(
        stage.running("web"),
        "nothing is stopped without confirmation"
    );

    stage
        .run("emergency-stop", &["--yes"])
        .code(0)
        .stdout_has(&format!("no container of {} is left", stage.project.name));
    let left = docker_env::docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={}", stage.project.name),
    ]);
    assert!(left.trim().is_empty(), "containers left: {left}");
}

#[test]
fn a_corrupted_backup_fails_its_manifest_and_is_not_restored() {
    let stage = Stage::new("runbook-test/web:1");
    stage.up();
    stage.run("backup", &["-p", "backup=backup_ok"]).code(0);
    stage
        .run("backup-verify", &["-p", "backup=backup_ok"])
        .code(0)
        .stdout_has("3 SHA-256 match ");

    let dump = stage.backups().join("backup_ok/database.dump");
    let mut bytes = fs::read(&dump).expect("dump");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    fs::write(&dump, bytes).expect("corrupt the dump");
    stage.damage();

    stage
        .run("backup-verify", &["-p", "backup=backup_ok"])
        .code(1)
        .stdout_has("backup_ok/database.dump does not match ")
        .stdout_has("the backup is damaged or was changed");
    stage
        .run("restore", &["-p", "backup=backup_ok", "--yes"])
        .code(1)
        .stdout_has("backup_ok/database.dump does not match ");
    assert_ne!(stage.orders(), ORIGINAL_ORDERS, "nothing was restored");
    for service in ["web", "worker", "beat"] {
        assert!(stage.running(service), "{service} was not stopped");
    }
}

#[test]
fn a_deploy_rollback_returns_web_to_the_previous_image_tag() {
    let stage = Stage::new("runbook-test/web:2");
    stage.up();
    assert_eq!(stage.image("web"), "runbook-test/web:2");
    let compose_file = stage.project.file();

    stage
        .run(
            "deploy-rollback",
            &[
                "-p",
                "web_image=runbook-test/web",
                "-p",
                "previous_tag=1",
                "--yes",
            ],
        )
        .code(0)
        .stdout_has("web runs runbook-test/web:2")
        .stdout_has("rolling back to runbook-test/web:1");
    assert_eq!(stage.image("web"), "runbook-test/web:1");
    assert!(http_env::page(stage.port, "/health").contains("healthy"));
    let text = fs::read_to_string(&compose_file).expect("compose file");
    assert!(text.contains("    image: runbook-test/web:1\n"), "{text}");
    assert!(
        text.contains(FAKE_IMAGE),
        "other images are untouched: {text}"
    );

    // Back to a tag that never becomes ready: the Compose file and web:1 come back.
    stage
        .run(
            "deploy-rollback",
            &[
                "-p",
                "web_image=runbook-test/web",
                "-p",
                "previous_tag=2",
                "-p",
                "health_wait=4s",
                "--yes",
            ],
        )
        .code(1)
        .stdout_has("did not answer status 200 within 4s")
        .stdout_has("the services are back as they were");
    assert_eq!(stage.image("web"), "runbook-test/web:1");
    assert_eq!(
        fs::read_to_string(&compose_file).expect("compose file"),
        text
    );
    assert!(http_env::page(stage.port, "/health").contains("healthy"));
}

#[test]
fn migrations_take_a_pre_migration_backup_that_the_database_rollback_restores() {
    let stage = Stage::new(FAKE_IMAGE);
    stage.up();
    stage.run("migrate", &["--yes"]).code(0);
    assert_eq!(
        stage.calls("web"),
        [
            "python manage.py migrate --noinput",
            "python manage.py showmigrations",
            "python manage.py collectstatic --noinput",
        ]
    );
    let backups = stage.backups_named("pre_migration_");
    assert_eq!(backups.len(), 1, "{backups:?}");
    let name = backups[0]
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name");
    assert_eq!(manifest(&backups[0])["name"], name);

    stage.damage();
    stage
        .run("database-rollback", &["--yes"])
        .code(0)
        .stdout_has(&format!("{name}: backup directory holding"));
    assert_eq!(stage.orders(), ORIGINAL_ORDERS);
    assert_eq!(
        stage.calls("web").last().map(String::as_str),
        Some("python manage.py check")
    );
    for service in ["web", "worker", "beat"] {
        assert!(stage.running(service), "{service} runs after the rollback");
    }
}

#[test]
fn celery_redis_and_nginx_commands_run_in_their_own_services() {
    let stage = Stage::new(FAKE_IMAGE);
    stage.up();
    stage
        .run("celery", &[])
        .code(0)
        .stdout_has("celery@worker: OK")
        .stdout_has("celery@beat: OK");
    assert_eq!(
        stage.calls("worker"),
        [
            "celery -A smartmarket inspect active",
            "celery -A smartmarket inspect stats"
        ]
    );
    assert_eq!(
        stage.calls("beat"),
        ["celery -A smartmarket inspect scheduled"]
    );
    stage
        .run("redis", &[])
        .code(0)
        .stdout_has("redis_version:7.2.4")
        .stdout_has("redis dbsize: 42");
    assert_eq!(stage.calls("redis"), ["redis-cli info", "redis-cli dbsize"]);

    let websocket = HttpServer::start();
    let ws_url = format!("ws_url={}", websocket.url("/ws/admin/orders/"));
    stage
        .run("diagnose-websocket", &["-p", &ws_url])
        .code(0)
        .stdout_has("test is successful")
        .stdout_has("101 Switching Protocols");
    assert_eq!(stage.calls("nginx"), ["nginx -t"]);

    stage
        .run("health", &[])
        .code(0)
        .stdout_has("live: 200")
        .stdout_has("detailed: 200 {\"status\": \"healthy\"}");
    stage
        .run("status", &[])
        .code(0)
        .stdout_has("worker: running")
        .stdout_has("redis: running");
}

#[test]
fn a_stopped_worker_is_diagnosed_and_restarted() {
    let stage = Stage::new(FAKE_IMAGE);
    stage.up();
    docker_env::docker(&["stop", "-t", "1", &stage.container("worker")]);

    let out = stage.run("diagnose-worker", &["--yes"]);
    out.code(0)
        .stdout_has("the worker does not answer ping")
        .stdout_has("celery@worker: OK");
    assert!(stage.running("worker"));
    assert_eq!(
        stage.calls("worker"),
        ["celery -A smartmarket inspect ping"],
        "the first ping never reached the stopped worker"
    );
}

#[test]
fn the_development_start_clones_configures_and_prepares_the_application() {
    fake_image();
    let yaml = format!(
        "version: \"2.4\"\nservices:\n  web:\n    image: \"{FAKE_IMAGE}\"\n    environment: {{SERVICE: web}}\n"
    );
    // Takes the development project down when the test ends.
    let project = ComposeProject::new(&yaml);
    let work = tempfile::tempdir().expect("temp dir");
    let repository = work.path().join("smartmarket.git");
    fs::create_dir(&repository).expect("repository");
    fs::write(repository.join("docker-compose.dev.yaml"), &yaml).expect("compose file");
    fs::write(repository.join("env.example"), "DEBUG=1\nSECRET_KEY=dev\n").expect("env.example");
    for args in [
        &["init", "-q"][..],
        &["add", "."][..],
        &[
            "-c",
            "user.name=SmartMarket",
            "-c",
            "user.email=dev@smartmarket.example",
            "commit",
            "-q",
            "-m",
            "initial",
        ][..],
    ] {
        let status = Command::new("git")
            .args(args)
            .current_dir(&repository)
            .stdin(Stdio::null())
            .status()
            .expect("git");
        assert!(status.success(), "git {args:?}");
    }
    let dev_dir = work.path().join("checkout");
    let start = || {
        isolated()
            .env("DJANGO_SUPERUSER_PASSWORD", "mot-de-passe-dev")
            .args([
                "run",
                &runbook_path(DEV_RUNBOOK).display().to_string(),
                "start",
                "-p",
                &format!("repository_url={}", repository.display()),
                "-p",
                &format!("dev_dir={}", dev_dir.display()),
                "-p",
                &format!("project_name={}", project.name),
            ])
            .run()
    };
    let first = start();
    first.code(0).stdout_lacks("mot-de-passe-dev");
    assert_eq!(
        fs::read_to_string(dev_dir.join(".env")).expect(".env"),
        "DEBUG=1\nSECRET_KEY=dev\n"
    );
    let web = docker_env::docker(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={}", project.name),
    ]);
    let read = |file: &str| docker_env::docker(&["exec", web.trim(), "cat", file]);
    assert_eq!(
        read("/tmp/calls").lines().collect::<Vec<_>>(),
        [
            "python manage.py migrate --noinput",
            "python manage.py createsuperuser --noinput",
            "python manage.py build_ml_indexes",
            "python manage.py build_rag_index",
        ]
    );
    assert_eq!(
        read("/tmp/superuser"),
        "admin <admin@example.com> password=mot-de-passe-dev\n"
    );

    // Again: the clone and the developer's .env are kept, the superuser exists already.
    fs::write(dev_dir.join(".env"), "DEBUG=1\nSECRET_KEY=mine\n").expect(".env");
    start()
        .code(0)
        .stdout_has("skipped")
        .stdout_has("superuser admin already exists");
    assert_eq!(
        fs::read_to_string(dev_dir.join(".env")).expect(".env"),
        "DEBUG=1\nSECRET_KEY=mine\n"
    );

    // A data migration is created and tried in development first.
    data_migration_test(&dev_dir, &project);
}

/// Runs the development data migration (`data-migration-test`) in the checkout `dev_dir`.
fn data_migration_test(dev_dir: &Path, project: &ComposeProject) {
    isolated()
        .args([
            "run",
            &runbook_path(DEV_RUNBOOK).display().to_string(),
            "data-migration-test",
            "-p",
            &format!("dev_dir={}", dev_dir.display()),
            "-p",
            &format!("project_name={}", project.name),
        ])
        .run()
        .code(0)
        .stdout_has("manage.py makemigrations done")
        .stdout_has("No migrations to apply.");
    let web = docker_env::docker(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={}", project.name),
    ]);
    let calls = docker_env::docker(&["exec", web.trim(), "cat", "/tmp/calls"]);
    assert!(
        calls.ends_with("python manage.py makemigrations\npython manage.py migrate --noinput\n"),
        "{calls}"
    );
}

/// Every procedure of `file`, from `runbook list`.
fn procedures(file: &str) -> Vec<String> {
    let out = Test::new()
        .args([
            "list",
            &runbook_path(file).display().to_string(),
            "--format",
            "json",
        ])
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
fn every_procedure_plans() {
    let production = procedures(RUNBOOK);
    assert_eq!(production.len(), 24, "{production:?}");
    for procedure in &production {
        let out = Test::new()
            .env("SSH_KEY", "/home/deploy/.ssh/id_ed25519")
            .env(
                "DATABASE_URL",
                "postgres://smartmarket:db-password@db:5432/smartmarket",
            )
            .args([
                "plan",
                &runbook_path(RUNBOOK).display().to_string(),
                procedure,
                "-p",
                "ssh_host=203.0.113.10",
                "-p",
                "backup=backup_20250101_120000",
                "-p",
                "previous_tag=v1.4.2",
            ])
            .run();
        out.code(0)
            .stdout_has(&format!("› {procedure}"))
            .stdout_lacks("would fail");
        if procedure == "health" {
            // The seed's `curl http://localhost/health/live/`, typed on the server.
            out.stdout_has("http@server$ GET http://localhost/health/live/");
        }
    }
    let development = procedures(DEV_RUNBOOK);
    assert_eq!(development, ["start", "data-migration-test"]);
    for procedure in &development {
        let out = Test::new()
            .env("DJANGO_SUPERUSER_PASSWORD", "mot-de-passe-dev")
            .args([
                "plan",
                &runbook_path(DEV_RUNBOOK).display().to_string(),
                procedure,
                "-p",
                "repository_url=https://git.example.org/smartmarket.git",
                "-p",
                "dev_dir=/home/dev/smartmarket",
            ])
            .run();
        out.code(0)
            .stdout_has(&format!("› {procedure}"))
            .stdout_lacks("would fail");
    }
}

#[test]
fn the_contacts_and_escalation_levels_are_runbook_metadata() {
    let out = Test::new()
        .args([
            "list",
            &runbook_path(RUNBOOK).display().to_string(),
            "--format",
            "json",
        ])
        .run();
    out.code(0);
    let listing: serde_json::Value = serde_json::from_str(&out.stdout).expect("list JSON");
    let contacts = listing["contacts"].to_string();
    for name in ["Lead Developer", "DevOps", "DBA", "Support 24/7"] {
        assert!(contacts.contains(name), "{contacts}");
    }
    let description = listing["description"].as_str().unwrap_or_default();
    for level in [
        "Niveau 1 : Équipe technique (0-30 min)",
        "Niveau 2 : Lead Developer (30-60 min)",
        "Niveau 3 : CTO (1-2 heures)",
    ] {
        assert!(description.contains(level), "{description}");
    }
}

/// `gzip -c`, as a Celery Beat task would compress its dump.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("gzip");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write to gzip");
    child.wait_with_output().expect("gzip").stdout
}

#[test]
fn restores_read_the_backups_the_seed_scripts_and_celery_beat_make() {
    let stage = Stage::new("runbook-test/web:1");
    stage.up();
    let backups = sshd::remote_dir(&stage.backups());

    // scripts/backup.sh's kind of backup: a plain SQL dump, a tar.gz of the application's
    // files and a manifest.json with no checksum, named as the seed names them.
    let dir = sshd::remote_dir(&backups.join("backup_20250101_020000"));
    fs::write(
        dir.join("db.sql"),
        postgres_env::pg_dump(&stage.database, &[]),
    )
    .expect("db.sql");
    let tar = Command::new("tar")
        .arg("czf")
        .arg(dir.join("app.tar.gz"))
        .arg("-C")
        .arg(&stage.app_dir)
        .args([".env", "media"])
        .status()
        .expect("tar");
    assert!(tar.success());
    fs::write(
        dir.join("manifest.json"),
        r#"{"timestamp": "20250101_020000", "files": ["db.sql", "app.tar.gz"]}"#,
    )
    .expect("manifest.json");

    stage.damage();
    fs::write(stage.app_dir.join(".env"), "SECRET_KEY=autre-cle\n").expect(".env");
    stage
        .run("restore", &["-p", "backup=backup_20250101_020000", "--yes"])
        .code(0)
        .stdout_has("backup directory holding a plain SQL dump (pg_dump > FILE.sql), 1 archive(s)")
        .stdout_has("manifest.json lists no SHA-256: checked from the content only")
        .stdout_has("db.sql: ends with pg_dump's closing line")
        .stdout_has("app.tar.gz: tar.gz of ");
    assert_eq!(stage.orders(), ORIGINAL_ORDERS);
    assert_eq!(
        fs::read_to_string(stage.app_dir.join(".env")).expect(".env"),
        "SECRET_KEY=premiere-cle\nDEBUG=0\n"
    );
    // The state before the restore was copied first.
    let safety = stage.backups_named("before_restore_");
    assert_eq!(safety.len(), 1, "{safety:?}");
    let listed = Command::new("pg_restore")
        .arg("--list")
        .arg(safety[0].join("database.dump"))
        .output()
        .expect("pg_restore");
    assert!(listed.status.success(), "the copy is a readable dump");
    assert!(safety[0].join("files.tgz").exists());

    // Celery Beat's kind: a gzipped plain dump, the newest backup_db_*.
    fs::write(
        backups.join("backup_db_20250102_020000.sql.gz"),
        gzip(&postgres_env::pg_dump(&stage.database, &[])),
    )
    .expect("dump");
    stage.damage();
    stage
        .run("restore-database", &["--yes"])
        .code(0)
        .stdout_has("gzipped plain SQL dump")
        .stdout_has("database restored from ");
    assert_eq!(stage.orders(), ORIGINAL_ORDERS);
    assert_eq!(
        stage.backups_named("before_restore_db_").len(),
        2,
        "the copy and its manifest"
    );

    // A custom dump with no manifest, named without a telling suffix.
    let custom = backups.join("nightly");
    fs::write(&custom, postgres_env::pg_dump(&stage.database, &["-Fc"])).expect("dump");
    stage.damage();
    stage
        .run(
            "restore-database",
            &["-p", &format!("dump={}", custom.display()), "--yes"],
        )
        .code(0)
        .stdout_has("PostgreSQL custom-format dump (pg_dump -Fc)")
        .stdout_has("pg_restore --list reads ");
    assert_eq!(stage.orders(), ORIGINAL_ORDERS);
}

#[test]
fn a_restore_that_fails_puts_back_the_copy_taken_before_it() {
    let stage = Stage::new("runbook-test/web:1");
    stage.up();
    let backups = sshd::remote_dir(&stage.backups());
    // A dump that fails half-way: psql stops at the error.
    let mut dump = postgres_env::pg_dump(&stage.database, &[]);
    let text = String::from_utf8_lossy(&dump).into_owned();
    let cut = text
        .find("-- PostgreSQL database dump complete")
        .expect("pg_dump's closing line");
    dump = format!("{}SELECT 1 / 0;\n{}", &text[..cut], &text[cut..]).into_bytes();
    fs::write(backups.join("backup_db_broken.sql"), dump).expect("dump");
    stage.damage();
    let damaged = stage.orders();

    stage
        .run("restore-database", &["--yes"])
        .code(1)
        .stdout_has("division by zero")
        .stdout_has("restore failed: the database is back to ");
    assert_eq!(stage.orders(), damaged, "the state before the restore");
    for service in ["web", "worker", "beat"] {
        assert!(stage.running(service), "{service} runs again");
    }
}

#[test]
fn the_data_migration_schedule_logs_and_diagnostics_run_on_the_server() {
    let stage = Stage::new(FAKE_IMAGE);
    stage.up();
    stage
        .run("data-migration", &[])
        .code(3)
        .stdout_has("declined");
    assert!(stage.backups_named("pre_migration_").is_empty());
    stage
        .run("data-migration", &["--yes"])
        .code(0)
        .stdout_has("pre-migration backup: ")
        .stdout_has("No migrations to apply.");
    assert_eq!(stage.backups_named("pre_migration_").len(), 1);
    assert_eq!(stage.calls("web"), ["python manage.py migrate --noinput"]);

    stage
        .run("backup-schedule", &[])
        .code(0)
        .stdout_has("backup_database (every 86400 s)");
    assert_eq!(
        stage.calls("beat"),
        ["celery -A smartmarket inspect scheduled"]
    );

    stage
        .run("logs", &["-p", "service=web"])
        .code(0)
        .stdout_has("web v1 listening on 8080");
    stage
        .run("logs", &["-p", "service=web", "-p", "follow=1s"])
        .code(0)
        .stdout_has("web v1 listening on 8080");

    stage
        .run("diagnose-web", &[])
        .code(0)
        .stdout_has("web v1 listening on 8080")
        .stdout_has("docker-compose.yml is valid")
        .stdout_has("manage.py dbshell done");

    stage
        .run("diagnose-performance", &[])
        .code(0)
        .stdout_has("web: CPU ")
        .stdout_has("worker: 0 error lines")
        .stdout_has("database size: ");

    let websocket = HttpServer::start();
    let ws_url = format!("ws_url={}", websocket.url("/ws/admin/orders/"));
    stage
        .run("diagnostics", &["-p", &ws_url])
        .code(0)
        .stdout_has("System check identified no issues")
        .stdout_has("manage.py shell done")
        .stdout_has("101 Switching Protocols");
    assert_eq!(
        stage.calls("web")[1..],
        [
            "python manage.py dbshell -- -c SELECT 1",
            "python manage.py check --deploy",
            "python manage.py dbshell -- -c SELECT 1",
            "python manage.py shell -c from catalog.tasks import debug_task; debug_task.delay()",
        ]
    );
}
