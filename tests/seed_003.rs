//! Seed 003 (ATMR CI/CD) end to end: the SSH deploy to a loopback "server" running Compose on the
//! real Docker engine, its automatic rollback when the smoke tests fail, the smoke tests against
//! real HTTP and PostgreSQL servers, secrets validation, and the plan of every procedure.

use crate::docker_env::{self, BUSYBOX};
use crate::harness::{Output, Test, free_port};
use crate::http_env::{self, HttpServer};
use crate::postgres_env;
use crate::sshd::{self, Sshd};
use std::path::{Path, PathBuf};

const RUNBOOK: &str = "runbooks/003-atmr-cicd.rb42";

fn runbook_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(RUNBOOK)
}

/// The application secrets, all present.
const SECRETS: &[(&str, &str)] = &[
    ("APP_ENCRYPTION_KEY_B64", "a2V5LWtleS1rZXk="),
    ("SECRET_KEY", "flask-secret-8c1f"),
    ("JWT_SECRET_KEY", "jwt-secret-77aa"),
    ("POSTGRES_PASSWORD", "pg-pass-31d2"),
];

/// A database whose migrations are at `revision`.
fn database_at(revision: &str) -> String {
    let url = postgres_env::server().database();
    postgres_env::server().psql(
        &url,
        &format!(
            "CREATE TABLE alembic_version (version_num text); INSERT INTO alembic_version VALUES ('{revision}');"
        ),
    );
    url
}

/// The Alembic migrations the backend "image" ships (mounted into the container): `aaa111`,
/// then `abc123`, the newest, in the formats Alembic's templates write.
const MIGRATIONS: [(&str, &str); 2] = [
    (
        "0001_init.py",
        "\"\"\"init\"\"\"\nrevision = 'aaa111'\ndown_revision = None\n",
    ),
    (
        "0002_users.py",
        "\"\"\"users\"\"\"\nrevision: str = \"abc123\"\ndown_revision: Union[str, None] = \"aaa111\"\n",
    ),
];

/// How the stand-in server's Compose file is laid out.
#[derive(Default)]
pub(crate) struct Layout {
    /// The backend sleeps this many seconds before it listens (a booting backend).
    pub(crate) boot_seconds: u32,
    /// A `worker` service that starts only once the backend is healthy, as the seed's Celery
    /// services do: `up` fails when the backend never becomes healthy.
    pub(crate) worker: bool,
    /// The image of the other services (`postgres`, `worker`): [`BUSYBOX`] when none, or the
    /// same image pushed to a registry, for a deploy that pulls every service's image.
    pub(crate) support_image: Option<String>,
}

/// The stand-in server: an sshd, a remote application directory, the Compose file to deploy.
pub(crate) struct Stage {
    server: Sshd,
    test_dir: tempfile::TempDir,
    /// The application directory on the server.
    pub(crate) app_dir: PathBuf,
    /// The Compose project's name (the application directory's name).
    pub(crate) project: String,
    /// The backend's published port on loopback.
    pub(crate) port: u16,
    database: String,
}

impl Stage {
    fn new() -> Stage {
        Stage::with(Layout::default(), "abc123")
    }

    /// A stage laid out as `layout`, whose database is at migration `revision`.
    pub(crate) fn with(layout: Layout, revision: &str) -> Stage {
        docker_env::images();
        let server = Sshd::start();
        let test_dir = tempfile::tempdir().expect("temp dir");
        let project = docker_env::unique("atmr");
        let app_dir = sshd::remote_dir(&test_dir.path().join("srv").join(&project));
        let port = free_port();
        let migrations = test_dir.path().join("migrations");
        std::fs::create_dir_all(&migrations).expect("migrations dir");
        for (name, text) in MIGRATIONS {
            std::fs::write(migrations.join(name), text).expect("migration");
        }
        let command = if layout.boot_seconds > 0 {
            format!(
                "\n    command: [\"sh\", \"-c\", \"sleep {}; exec /usr/local/bin/serve v1\"]",
                layout.boot_seconds
            )
        } else {
            String::new()
        };
        let mut compose = format!(
            "version: \"2.4\"\nservices:\n  backend:\n    image: \"${{DOCKER_IMAGE}}:${{DOCKER_TAG}}\"\n    ports: [\"127.0.0.1:{port}:8080\"]\n    volumes: [\"{}:/app/migrations/versions:ro\"]\n    environment:\n      SQLALCHEMY_DATABASE_URI: \"postgresql://atmr@db/atmr\"{command}\n",
            migrations.display()
        );
        let support = layout.support_image.as_deref().unwrap_or(BUSYBOX);
        // The seed's PostgreSQL service (the database itself is the test's PostgreSQL server).
        compose.push_str(&format!(
            "  postgres:\n    image: \"{support}\"\n    command: [\"sh\", \"-c\", \"echo database system is ready to accept connections; exec /usr/local/bin/idle\"]\n"
        ));
        if layout.worker {
            compose.push_str(&format!(
                "  worker:\n    image: \"{support}\"\n    depends_on:\n      backend:\n        condition: service_healthy\n"
            ));
        }
        std::fs::write(
            test_dir.path().join("docker-compose.production.yml"),
            compose,
        )
        .expect("compose file");
        sshd::known_hosts(&test_dir.path().join("known_hosts"), &[&server]);
        Stage {
            server,
            test_dir,
            app_dir,
            project,
            port,
            database: database_at(revision),
        }
    }

    /// The parameters that point the runbook at this stage, deploying `tag` after tag 1.
    fn params(&self, tag: &str) -> Vec<(&'static str, String)> {
        vec![
            ("ssh_host", "127.0.0.1".to_string()),
            ("ssh_user", sshd::USER.to_string()),
            ("ssh_port", self.server.port().to_string()),
            ("docker_image", "runbook-test/web".into()),
            ("docker_tag", tag.into()),
            ("previous_tag", "1".into()),
            ("app_dir", self.app_dir.display().to_string()),
            ("config_dir", self.test_dir.path().display().to_string()),
            ("pull", "false".into()),
            (
                "health_url",
                format!("http://127.0.0.1:{}/health", self.port),
            ),
            ("postgres_user", "atmr".into()),
            ("postgres_db", "atmr".into()),
            ("postgres_wait", "20s".into()),
            ("health_wait", "20s".into()),
        ]
    }

    fn run(&self, procedure: &str, tag: &str, extra: &[&str]) -> Output {
        self.run_with(procedure, tag, &[], extra)
    }

    /// Runs `procedure` with the stage's parameters, `changed` replacing some of them.
    pub(crate) fn run_with(
        &self,
        procedure: &str,
        tag: &str,
        changed: &[(&str, String)],
        extra: &[&str],
    ) -> Output {
        let dir = self.test_dir.path();
        let mut args: Vec<String> = vec![
            "run".into(),
            runbook_path().display().to_string(),
            procedure.into(),
        ];
        for (name, value) in self.params(tag) {
            let value = changed
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(value, |(_, v)| v.clone());
            args.push("-p".into());
            args.push(format!("{name}={value}"));
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut test = Test::new()
            .env("SSH_KEY", &sshd::client_key().display().to_string())
            .env("DATABASE_URL", &self.database)
            .env(
                "RUNBOOK_KNOWN_HOSTS",
                &dir.join("known_hosts").display().to_string(),
            )
            .env("RUNBOOK_SSH_CONFIG", "none");
        for (name, value) in SECRETS {
            test = test.env(name, value);
        }
        test.args(args.iter().map(String::as_str)).run()
    }

    pub(crate) fn env_file(&self) -> String {
        std::fs::read_to_string(self.app_dir.join(".env")).unwrap_or_default()
    }

    /// The containers of the deployed project that are running.
    pub(crate) fn running(&self) -> Vec<String> {
        let ids = docker_env::docker(&[
            "ps",
            "-q",
            "--filter",
            &format!("label=com.docker.compose.project={}", self.project),
        ]);
        ids.split_whitespace().map(str::to_string).collect()
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        let ids = docker_env::docker(&["ps", "-aq", "--filter", &format!("name={}", self.project)]);
        for id in ids.split_whitespace() {
            let _ = std::process::Command::new("docker")
                .args(["rm", "-f", id])
                .output();
        }
        let _ = std::process::Command::new("docker")
            .args(["network", "rm", &format!("{}_default", self.project)])
            .output();
    }
}

#[test]
fn a_deploy_passes_its_smoke_tests_then_a_broken_release_is_rolled_back() {
    let stage = Stage::new();
    let first = stage.run("deploy", "1", &[]);
    first
        .code(0)
        .stdout_has("backend: healthy")
        .stdout_has("health: 200, status healthy")
        .stdout_has("database: reachable")
        .stdout_has("migrations: abc123 (the newest)");
    assert!(http_env::page(stage.port, "/health").contains("\"healthy\""));
    assert!(stage.env_file().contains("DOCKER_TAG=1"));
    for (_, secret) in SECRETS {
        assert!(
            !first.stdout.contains(secret),
            "a secret leaked: {}",
            first.stdout
        );
    }

    // Release 2 has no /health: its Compose health check never passes.
    let broken = stage.run_with("deploy", "2", &[("health_wait", "5s".into())], &[]);
    broken
        .code(1)
        .stdout_has("services failed")
        .stdout_has("is not healthy after 5s")
        .stdout_has("containers stopped, orphans removed")
        .stdout_has("restored runbook-test/web:1");
    assert!(
        http_env::page(stage.port, "/health").contains("\"healthy\""),
        "the previous release serves again"
    );
    assert!(
        stage.env_file().contains("DOCKER_TAG=1"),
        "{}",
        stage.env_file()
    );
    assert_eq!(stage.server.connections(), 2, "one SSH connection per run");
}

#[test]
fn a_failed_up_without_a_previous_tag_leaves_no_container_running() {
    // The worker waits for a healthy backend; release 2's backend never is, so `up` fails after
    // it started the backend.
    let stage = Stage::with(
        Layout {
            worker: true,
            ..Layout::default()
        },
        "abc123",
    );
    let out = stage.run_with("deploy", "2", &[("previous_tag", String::new())], &[]);
    out.code(1)
        .stdout_has("up failed")
        .stdout_has("containers stopped, orphans removed")
        .stdout_lacks("restored runbook-test/web");
    assert_eq!(stage.running(), Vec::<String>::new(), "{}", out.stdout);
    assert_eq!(stage.env_file(), "", "no previous .env: none is left");
}

#[test]
fn the_deploy_waits_for_a_booting_backend_instead_of_rolling_back() {
    let stage = Stage::with(
        Layout {
            boot_seconds: 3,
            ..Layout::default()
        },
        "abc123",
    );
    stage
        .run("deploy", "1", &[])
        .code(0)
        .stdout_has("backend: healthy")
        .stdout_has("health: 200, status healthy")
        .stdout_lacks("↩ rollback");
    assert!(http_env::page(stage.port, "/health").contains("\"healthy\""));
}

#[test]
fn a_database_behind_the_image_s_newest_migration_fails_the_smoke_tests() {
    // One migration row exists, but not the newest the image ships.
    let stage = Stage::with(Layout::default(), "aaa111");
    stage
        .run_with("deploy", "1", &[("previous_tag", String::new())], &[])
        .code(1)
        .stdout_has("smoke_tests failed")
        .stdout_has("migrations are not current: alembic_version is at aaa111, expected abc123");
    assert_eq!(stage.running(), Vec::<String>::new());
}

#[test]
fn the_troubleshooting_procedures_run_on_the_deployed_server() {
    let stage = Stage::new();
    stage.run("deploy", "1", &[]).code(0);
    stage
        .run("diagnose-database-uri", "1", &[])
        .code(0)
        .stdout_has("SQLALCHEMY_DATABASE_URI is set in the Compose file")
        .stdout_has("the PostgreSQL variables are exported");
    stage
        .run("diagnose-postgres", "1", &[])
        .code(0)
        .stdout_has("database system is ready to accept connections")
        .stdout_has("VOLUME NAME");
    stage
        .run("diagnose-smoke", "1", &[])
        .code(0)
        .stdout_has("backend")
        .stdout_has("web v1 listening on 8080")
        .stdout_has("health: 200, status healthy");

    // The .env lost its PostgreSQL variables: the diagnosis names them.
    std::fs::write(stage.app_dir.join(".env"), "SECRET_KEY=x\n").expect(".env");
    stage
        .run("diagnose-database-uri", "1", &[])
        .code(1)
        .stdout_has("POSTGRES_USER")
        .stdout_has("POSTGRES_PASSWORD");
}

#[test]
fn the_manual_rollback_restarts_the_previous_tag() {
    let stage = Stage::new();
    stage.run("deploy", "1", &[]).code(0);
    let declined = stage.run("rollback", "1", &[]);
    declined.code(3).stdout_has("declined");
    stage.run("rollback", "1", &["--yes"]).code(0);
    assert!(http_env::page(stage.port, "/health").contains("\"healthy\""));
}

#[test]
fn the_smoke_tests_wait_for_the_backend_and_fail_for_the_right_reasons() {
    let stage = Stage::new();
    stage.run("deploy", "1", &[]).code(0);
    let smoke = |server: &HttpServer, revision: &str| {
        stage.run_with(
            "smoke",
            "1",
            &[
                ("health_url", server.url("/health")),
                ("health_wait", "20s".into()),
            ],
            &["-p", &format!("expected_revision={revision}")],
        )
    };
    // The backend answers 503 three times while it boots.
    let starting = HttpServer::start_with_healthy_after(3);
    smoke(&starting, "")
        .code(0)
        .stdout_has("backend: healthy")
        .stdout_has("503")
        .stdout_has("health: 200, status healthy")
        .stdout_has("migrations: abc123 (the newest)");
    let healthy = HttpServer::start();
    smoke(&healthy, "def456")
        .code(1)
        .stdout_has("migrations are not current: alembic_version is at abc123, expected def456");
    let never = HttpServer::start_with_healthy_after(1000);
    stage
        .run_with(
            "smoke",
            "1",
            &[
                ("health_url", never.url("/health")),
                ("health_wait", "3s".into()),
            ],
            &[],
        )
        .code(1)
        .stdout_has("within 3s")
        .stdout_has("503");
}

/// `validate-secrets` with every name of the seed's list set, `changed` replacing some values
/// (`None` leaves the variable unset).
fn validate(changed: &[(&str, Option<&str>)]) -> Output {
    let mut test = Test::new().args([
        "run",
        &runbook_path().display().to_string(),
        "validate-secrets",
    ]);
    let all = [
        ("DOCKER_IMAGE", "docker.io/djasiqi/atmr-backend"),
        ("DOCKER_TAG", "v1.0.0"),
        ("SSH_HOST", "203.0.113.10"),
        ("SSH_USER", "deploy"),
        ("SSH_KEY", "/home/ci/.ssh/id_ed25519"),
        ("SSH_PORT", "22"),
        ("POSTGRES_USER", "atmr"),
        ("POSTGRES_DB", "atmr"),
        ("DOCKERHUB_USERNAME", "djasiqi"),
        ("DOCKERHUB_TOKEN", "dckr_pat_x1"),
        ("DATABASE_URL", "postgresql://atmr@db/atmr"),
    ];
    for (name, value) in all.iter().chain(SECRETS) {
        match changed.iter().find(|(n, _)| n == name) {
            Some((_, Some(v))) => test = test.env(name, v),
            Some((_, None)) => {}
            None => test = test.env(name, value),
        }
    }
    test.run()
}

#[test]
fn every_secret_of_the_seed_s_list_is_checked_and_an_empty_one_is_named() {
    validate(&[])
        .code(0)
        .stdout_has("all 15 secrets present")
        .stdout_has("MAIL_PASSWORD: not set (optional)");
    let missing = validate(&[
        ("DOCKERHUB_USERNAME", None),
        ("DOCKERHUB_TOKEN", None),
        ("SSH_KEY", None),
        ("POSTGRES_PASSWORD", None),
    ]);
    missing.code(2);
    for name in [
        "DOCKERHUB_USERNAME",
        "DOCKERHUB_TOKEN",
        "SSH_KEY",
        "POSTGRES_PASSWORD",
    ] {
        missing.stderr_has(name);
    }
    validate(&[
        ("SECRET_KEY", Some("")),
        ("DOCKERHUB_TOKEN", Some("")),
        ("SSH_HOST", Some("")),
    ])
    .code(1)
    .stdout_has("empty secrets: [\"DOCKERHUB_TOKEN\", \"SECRET_KEY\", \"SSH_HOST\"]");
}

#[test]
fn every_procedure_plans() {
    for procedure in [
        "validate-secrets",
        "deploy",
        "smoke",
        "rollback",
        "diagnose-database-uri",
        "diagnose-postgres",
        "diagnose-smoke",
    ] {
        let out = Test::new()
            .args([
                "plan",
                &runbook_path().display().to_string(),
                procedure,
                "-p",
                "ssh_host=203.0.113.10",
                "-p",
                "docker_image=docker.io/djasiqi/atmr-backend",
                "-p",
                "docker_tag=v1.0.0",
                "-p",
                "previous_tag=v0.9.0",
                "-p",
                "postgres_user=atmr",
                "-p",
                "postgres_db=atmr",
                "-p",
                "dockerhub_username=djasiqi",
            ])
            .run();
        out.code(0).stdout_has(&format!("› {procedure}"));
        if procedure == "smoke" {
            // The seed's `curl http://localhost:5000/health`, typed on the server.
            out.stdout_has("http@server$ GET http://localhost:5000/health");
        }
    }
}
