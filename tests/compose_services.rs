//! A Compose service reached by name from a host step (`compose:` on the HTTP primitives): its
//! container's address found through the host's engine, the request sent through the host.
//! The host is a loopback sshd whose engine is this machine's, as in tests/docker.rs.

use crate::docker_env::{self, ComposeProject};
use crate::harness::{Output, Test};
use crate::sshd::{self, Sshd};

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
            "http@vm GET http://web:8080/health (compose project {})",
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
