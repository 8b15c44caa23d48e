//! A Compose service reached by name from a host step (`compose:` on the HTTP primitives): its
//! container's address found through the host's engine, the request sent through the host.
//! The host is a loopback sshd whose engine is this machine's, as in tests/docker.rs.

use crate::docker_env::{self, ComposeProject};
use crate::harness::{Output, Test, free_port};
use crate::sshd::{self, Sshd};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::time::{Duration, Instant};

/// `web` answers `/health` with `{"status": "healthy"}` on port 8080, published nowhere;
/// `job` runs once and exits.
const COMPOSE: &str = r#"version: "2.4"
services:
  web:
    image: runbook-test/web:1
  job:
    image: runbook-test/busybox:1
    command: ["true"]
"#;

/// Runs `body` in a step `on vm`, with `project` as a parameter.
fn on_vm(server: &Sshd, project: &ComposeProject, body: &str, command: &str) -> Output {
    let text = format!(
        r#"runbook "c" {{
  host vm "{user}@127.0.0.1:{port}" {{ identity "{key}" }}
  param project: string
  procedure p on vm {{
    step s {{ {body} }}
  }}
}}"#,
        user = sshd::USER,
        port = server.port(),
        key = sshd::client_key().display(),
    );
    let test = Test::new().runbook(&text);
    let known = test.path().join("known_hosts");
    sshd::known_hosts(&known, &[server]);
    let known = known.to_string_lossy().into_owned();
    let name = format!("project={}", project.name);
    test.env("RUNBOOK_KNOWN_HOSTS", &known)
        .env("RUNBOOK_SSH_CONFIG", "none")
        .args([command, "main.rb42", "-p", &name])
        .run()
}

/// The containers of a service, by name, first replica first.
fn containers(project: &ComposeProject, service: &str) -> Vec<String> {
    let mut names: Vec<String> = docker_env::docker(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}}",
        "--filter",
        &format!("label=com.docker.compose.project={}", project.name),
        "--filter",
        &format!("label=com.docker.compose.service={service}"),
    ])
    .lines()
    .map(str::to_string)
    .collect();
    names.sort();
    names
}

fn started(scale: usize) -> ComposeProject {
    let project = ComposeProject::new(COMPOSE);
    project.compose(&["up", "-d", "--scale", &format!("web={scale}")]);
    for web in containers(&project, "web") {
        docker_env::wait_for_health(&web, "healthy");
    }
    project
}

#[test]
fn a_compose_service_is_reached_by_name_through_the_host() {
    let project = started(1);
    let server = Sshd::start();
    let body = r#"let r = http_get("http://web:8080/health", #{compose: project, expect: 200}); log(`web says ${r.text}`);"#;
    on_vm(&server, &project, body, "run")
        .code(0)
        .stdout_has(r#"web says {"status": "healthy"}"#);
    on_vm(&server, &project, body, "plan")
        .code(0)
        .stdout_has(&format!(
            "http@vm$ GET http://web:8080/health (compose project {})",
            project.name
        ));
}

#[test]
fn a_service_not_running_or_unknown_is_named_with_its_project() {
    let project = started(1);
    let server = Sshd::start();
    let stopped = r#"http_get("http://job:8080/", #{compose: project});"#;
    on_vm(&server, &project, stopped, "run")
        .code(1)
        .stdout_has(&format!(
            "service `job` of Compose project `{}` on vm is not running",
            project.name
        ));
    let typo = r#"http_get("http://wbe:8080/", #{compose: project});"#;
    on_vm(&server, &project, typo, "run")
        .code(1)
        .stdout_has(&format!(
            "no service `wbe` in Compose project `{}` on vm (its services: job, web); did you mean `web`?",
            project.name
        ));
}

#[test]
fn of_several_replicas_the_first_healthy_one_answers_and_the_log_says_which() {
    let project = started(2);
    let first = containers(&project, "web").remove(0);
    let server = Sshd::start();
    let body =
        r#"http_get("http://web:8080/health", #{compose: project, expect: 200}); log("answered");"#;
    on_vm(&server, &project, body, "run")
        .code(0)
        .stdout_has(&format!(
            "2 running replicas of `web`, using {first} (healthy)"
        ))
        .stdout_has("answered");
}

/// A real PostgreSQL as a Compose service `postgres`, with no registry: the busybox image runs
/// this machine's postgres binaries (`/usr` mounted read-only) on a cluster made here by
/// `initdb`, trusting every client. Then the backend `backend` (busybox httpd, healthy) on
/// `127.0.0.1:PORT`, as ATMR's server publishes it.
struct PostgresStack {
    /// First: the project goes down before its data directory is removed.
    project: ComposeProject,
    _data: tempfile::TempDir,
    backend_port: u16,
}

impl PostgresStack {
    fn start() -> PostgresStack {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL is installed (scripts/test.sh)")
            .filter_map(Result::ok)
            .map(|version| version.path().join("bin"))
            .find(|bin| bin.join("postgres").exists())
            .expect("a postgres binary under /usr/lib/postgresql/*/bin");
        let owner = nix::unistd::User::from_name("postgres")
            .ok()
            .flatten()
            .expect("the postgres user");
        let data = tempfile::Builder::new()
            .prefix("runbook-compose-pg-")
            .tempdir()
            .expect("temp dir");
        std::os::unix::fs::chown(
            data.path(),
            Some(owner.uid.as_raw()),
            Some(owner.gid.as_raw()),
        )
        .expect("chown the cluster dir");
        let cluster = data.path().join("data");
        let init = std::process::Command::new(bin.join("initdb"))
            .arg("-D")
            .arg(&cluster)
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ])
            .uid(owner.uid.as_raw())
            .gid(owner.gid.as_raw())
            .env("LC_ALL", "C")
            .output()
            .expect("run initdb");
        assert!(init.status.success(), "initdb: {init:?}");
        let mut hba = std::fs::OpenOptions::new()
            .append(true)
            .open(cluster.join("pg_hba.conf"))
            .expect("pg_hba.conf");
        std::io::Write::write_all(&mut hba, b"host all all 0.0.0.0/0 trust\n").expect("pg_hba");
        let backend_port = free_port();
        let yaml = format!(
            r#"version: "2.4"
services:
  postgres:
    image: runbook-test/busybox:1
    user: "{uid}:{gid}"
    volumes: ["/usr:/usr:ro", "/usr/lib:/lib:ro", "/usr/lib64:/lib64:ro", "/etc/passwd:/etc/passwd:ro", "{cluster}:/data"]
    command: ["{postgres}", "-D", "/data", "-c", "listen_addresses=*", "-k", "/tmp", "-c", "fsync=off"]
  backend:
    image: runbook-test/web:1
    ports: ["127.0.0.1:{backend_port}:8080"]
"#,
            uid = owner.uid,
            gid = owner.gid,
            cluster = cluster.display(),
            postgres = bin.join("postgres").display(),
        );
        let project = ComposeProject::new(&yaml);
        project.compose(&["up", "-d"]);
        docker_env::wait_for_health(&containers(&project, "backend")[0], "healthy");
        PostgresStack {
            project,
            _data: data,
            backend_port,
        }
    }

    /// Runs `sql` with psql at the service's address, once the server accepts it (30 s).
    fn psql(&self, sql: &str) -> String {
        let container = &containers(&self.project, "postgres")[0];
        let ip = docker_env::docker(&[
            "inspect",
            "-f",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
            container,
        ]);
        let url = format!("postgres://postgres@{}:5432/postgres", ip.trim());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = std::process::Command::new("psql")
                .args([url.as_str(), "-X", "-A", "-t", "-c", sql])
                .output()
                .expect("run psql");
            if out.status.success() {
                return String::from_utf8_lossy(&out.stdout).trim().to_string();
            }
            assert!(
                Instant::now() < deadline,
                "postgres in {container} never answered: {}\n{}",
                String::from_utf8_lossy(&out.stderr),
                docker_env::logs(container)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

#[test]
fn a_database_in_compose_is_reached_by_service_name_through_the_host() {
    let stack = PostgresStack::start();
    let server = Sshd::start();
    let body = r#"let db = "postgres://postgres@postgres:5432/postgres";
      wait_ready(db, 30, #{compose: project});
      log(`db says ${scalar(db, "SELECT 41 + 1", [], #{compose: project})}`);"#;
    on_vm(&server, &stack.project, body, "run")
        .code(0)
        .stdout_has("db says 42");
    on_vm(&server, &stack.project, body, "plan")
        .code(0)
        .stdout_has(&format!(
            "SELECT 41 + 1  -- (compose project {})",
            stack.project.name
        ));
}

/// ATMR's smoke tests (seed 003) on its server: `/health` on the server's localhost, the
/// database by the service name the backend uses (`postgres`), in the project of `app_dir`.
#[test]
fn atmr_smoke_tests_check_the_real_database_and_backend_on_the_server() {
    let stack = PostgresStack::start();
    stack.psql("CREATE TABLE alembic_version (version_num text); INSERT INTO alembic_version VALUES ('abc123');");
    let server = Sshd::start();
    let runbook = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/003-atmr-cicd.rb42");
    let test = Test::new();
    let known = test.path().join("known_hosts");
    sshd::known_hosts(&known, &[&server]);
    // From `health`: the first step waits for the services' health checks through Compose in
    // `app_dir`, a directory this stand-in server does not have (seed_003 runs that step).
    let mut args: Vec<String> = vec![
        "run".into(),
        runbook.display().to_string(),
        "smoke".into(),
        "--from".into(),
        "health".into(),
    ];
    for (name, value) in [
        ("ssh_host", "127.0.0.1".to_string()),
        ("ssh_user", sshd::USER.to_string()),
        ("ssh_port", server.port().to_string()),
        ("docker_image", "atmr".into()),
        ("docker_tag", "1".into()),
        ("postgres_user", "postgres".into()),
        ("postgres_db", "postgres".into()),
        // The project is named after its directory, as Compose names /srv/atmr's `atmr`.
        ("app_dir", format!("/srv/{}", stack.project.name)),
        (
            "health_url",
            format!("http://localhost:{}/health", stack.backend_port),
        ),
        ("expected_revision", "abc123".into()),
    ] {
        args.push("-p".into());
        args.push(format!("{name}={value}"));
    }
    let mut test = test
        .env("SSH_KEY", &sshd::client_key().display().to_string())
        .env("RUNBOOK_KNOWN_HOSTS", &known.display().to_string())
        .env("RUNBOOK_SSH_CONFIG", "none")
        .env(
            "DATABASE_URL",
            "postgresql://postgres:unused@postgres:5432/postgres",
        );
    for name in [
        "POSTGRES_PASSWORD",
        "APP_ENCRYPTION_KEY_B64",
        "SECRET_KEY",
        "JWT_SECRET_KEY",
    ] {
        test = test.env(name, "x");
    }
    test.args(args.iter().map(String::as_str))
        .run()
        .code(0)
        .stdout_has("health: 200, status healthy")
        .stdout_has("database: reachable")
        .stdout_has("migrations: abc123");
}
