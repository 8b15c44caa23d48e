//! Seed 003 (ATMR CI/CD) end to end: the SSH deploy to a loopback "server" running Compose on the
//! real Docker engine, its automatic rollback when the smoke tests fail, the smoke tests against
//! real HTTP and PostgreSQL servers, secrets validation, and the plan of every procedure.

use crate::docker_env;
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

/// A database whose migrations are at `abc123`.
fn migrated_database() -> String {
    let url = postgres_env::server().database();
    postgres_env::server().psql(
        &url,
        "CREATE TABLE alembic_version (version_num text); INSERT INTO alembic_version VALUES ('abc123');",
    );
    url
}

/// The stand-in server: an sshd, a remote application directory, the Compose file to deploy.
struct Stage {
    server: Sshd,
    test_dir: tempfile::TempDir,
    app_dir: PathBuf,
    project: String,
    port: u16,
    database: String,
}

impl Stage {
    fn new() -> Stage {
        docker_env::images();
        let server = Sshd::start();
        let test_dir = tempfile::tempdir().expect("temp dir");
        let project = docker_env::unique("atmr");
        let app_dir = sshd::remote_dir(&test_dir.path().join("srv").join(&project));
        let port = free_port();
        let compose = format!(
            "version: \"2.4\"\nservices:\n  backend:\n    image: \"${{DOCKER_IMAGE}}:${{DOCKER_TAG}}\"\n    ports: [\"127.0.0.1:{port}:8080\"]\n    environment:\n      SQLALCHEMY_DATABASE_URI: \"postgresql://atmr@db/atmr\"\n"
        );
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
            database: migrated_database(),
        }
    }

    fn run(&self, procedure: &str, tag: &str, extra: &[&str]) -> Output {
        let dir = self.test_dir.path();
        let mut args: Vec<String> = vec![
            "run".into(),
            runbook_path().display().to_string(),
            procedure.into(),
        ];
        for (name, value) in [
            ("ssh_host", "127.0.0.1".to_string()),
            ("ssh_user", sshd::USER.to_string()),
            ("ssh_port", self.server.port().to_string()),
            ("docker_image", "runbook-test/web".into()),
            ("docker_tag", tag.into()),
            ("previous_tag", "1".into()),
            ("app_dir", self.app_dir.display().to_string()),
            ("config_dir", dir.display().to_string()),
            ("pull", "false".into()),
            (
                "health_url",
                format!("http://127.0.0.1:{}/health", self.port),
            ),
            ("postgres_user", "atmr".into()),
            ("postgres_db", "atmr".into()),
            ("postgres_wait", "20s".into()),
            ("expected_revision", "abc123".into()),
        ] {
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

    fn env_file(&self) -> String {
        std::fs::read_to_string(self.app_dir.join(".env")).unwrap_or_default()
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
        .stdout_has("health: 200, status healthy")
        .stdout_has("database: reachable")
        .stdout_has("migrations: abc123");
    assert!(http_env::page(stage.port, "/health").contains("\"healthy\""));
    assert!(stage.env_file().contains("DOCKER_TAG=1"));
    for (_, secret) in SECRETS {
        assert!(
            !first.stdout.contains(secret),
            "a secret leaked: {}",
            first.stdout
        );
    }

    let broken = stage.run("deploy", "2", &[]);
    broken
        .code(1)
        .stdout_has("smoke_tests failed")
        .stdout_has("expected status 200, got 404")
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
fn the_manual_rollback_restarts_the_previous_tag() {
    let stage = Stage::new();
    stage.run("deploy", "1", &[]).code(0);
    let declined = stage.run("rollback", "1", &[]);
    declined.code(3).stdout_has("declined");
    stage.run("rollback", "1", &["--yes"]).code(0);
    assert!(http_env::page(stage.port, "/health").contains("\"healthy\""));
}

/// The stand-alone smoke tests, on a loopback "server": its checks go through it.
fn smoke(server: &HttpServer, database: &str, revision: &str) -> Output {
    let ssh = Sshd::start();
    let health = format!("health_url={}", server.url("/health"));
    let revision = format!("expected_revision={revision}");
    let port = format!("ssh_port={}", ssh.port());
    let user = format!("ssh_user={}", sshd::USER);
    let test = Test::new();
    let known = test.path().join("known_hosts");
    sshd::known_hosts(&known, &[&ssh]);
    let mut test = test
        .env("DATABASE_URL", database)
        .env("SSH_KEY", &sshd::client_key().display().to_string())
        .env("RUNBOOK_KNOWN_HOSTS", &known.display().to_string())
        .env("RUNBOOK_SSH_CONFIG", "none")
        .args([
            "run",
            &runbook_path().display().to_string(),
            "smoke",
            "-p",
            &health,
            "-p",
            &revision,
            "-p",
            &port,
            "-p",
            &user,
        ]);
    for (name, value) in [
        ("SSH_HOST", "127.0.0.1"),
        ("DOCKER_IMAGE", "atmr"),
        ("DOCKER_TAG", "1"),
        ("POSTGRES_USER", "atmr"),
        ("POSTGRES_DB", "atmr"),
    ]
    .iter()
    .chain(SECRETS)
    {
        test = test.env(name, value);
    }
    test.run()
}

#[test]
fn the_smoke_tests_pass_and_fail_for_the_right_reasons() {
    let database = migrated_database();
    let healthy = HttpServer::start();
    smoke(&healthy, &database, "abc123")
        .code(0)
        .stdout_has("health: 200, status healthy")
        .stdout_has("migrations: abc123");
    smoke(&healthy, &database, "def456")
        .code(1)
        .stdout_has("migrations are not current: alembic_version is at abc123, expected def456");
    let starting = HttpServer::start_with_healthy_after(100);
    smoke(&starting, &database, "abc123")
        .code(1)
        .stdout_has("expected status 200, got 503");
}

#[test]
fn every_missing_secret_is_listed_before_anything_runs() {
    let out = Test::new()
        .args([
            "run",
            &runbook_path().display().to_string(),
            "validate-secrets",
            "-p",
            "ssh_host=h",
            "-p",
            "docker_image=i",
            "-p",
            "docker_tag=t",
            "-p",
            "postgres_user=u",
            "-p",
            "postgres_db=d",
        ])
        .run();
    out.code(2);
    for name in [
        "SSH_KEY",
        "POSTGRES_PASSWORD",
        "APP_ENCRYPTION_KEY_B64",
        "SECRET_KEY",
        "JWT_SECRET_KEY",
        "DATABASE_URL",
    ] {
        out.stderr_has(name);
    }
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
            ])
            .run();
        out.code(0).stdout_has(&format!("› {procedure}"));
        if procedure == "smoke" {
            // The seed's `curl http://localhost:5000/health`, typed on the server.
            out.stdout_has("http@server$ GET http://localhost:5000/health");
        }
    }
}
