//! Containers and images through the real Docker Engine: every `docker()` method, Compose
//! helpers, health waits, failures named clearly, and an engine reached through an SSH server.

use crate::docker_env::{self, BUSYBOX, ComposeProject, Container, WEB_BROKEN, WEB_HEALTHY};
use crate::harness::{Output, Test};
use crate::registry_env::{self, Registry};
use crate::sshd::{self, Sshd};

/// Runs `body` as the only step of a runbook, with `name` given as `-p name=…`.
fn step(body: &str, name: &str) -> Output {
    docker_env::images();
    let text = format!(
        "runbook \"d\" {{\n  param name: string\n  procedure p {{\n    step s {{\n{body}\n    }}\n  }}\n}}"
    );
    let param = format!("name={name}");
    Test::new()
        .runbook(&text)
        .args(["run", "main.rb42", "-p", &param])
        .run()
}

#[test]
fn inspect_list_stats_and_lifecycle() {
    let web = Container::start(WEB_HEALTHY, "life", &["--label", "team=ops"], &[]);
    let out = step(
        r#"
      let d = docker();
      let c = d.wait_healthy(name, 30);
      assert(c.running && c.health == "healthy" && c.image == "runbook-test/web:1", `${c}`);
      let listed = d.containers(#{label: "team=ops", name: name});
      assert(listed.len() == 1 && listed[0].health == "healthy", `${listed}`);
      let s = d.stats(name);
      assert(s.memory_bytes > 0 && s.cpu_percent >= 0.0, `${s}`);
      d.stop(name, 1);
      let stopped = d.inspect(name);
      assert(!stopped.running && stopped.status == "exited", `${stopped}`);
      assert(d.containers(#{name: name}).is_empty(), "a stopped container is not listed by default");
      assert(d.containers(#{name: name, status: "exited"}).len() == 1, "but by status");
      d.start(name);
      d.wait_running(name, 10);
      d.restart(name, 1);
      assert(d.inspect(name).restart_count >= 0, "restarted");
      d.kill(name);
      assert(!d.inspect(name).running, "killed");
      d.remove(name, #{force: true});
      log("removed");
    "#,
        &web.name,
    );
    out.code(0).stdout_has("removed");
    let left = docker_env::docker(&["ps", "-aq", "--filter", &format!("name={}", web.name)]);
    assert!(left.trim().is_empty(), "the container was removed");
}

#[test]
fn logs_are_streamed_searched_and_followed() {
    let web = Container::start(WEB_BROKEN, "logs", &[], &[]);
    let out = step(
        r#"
      let d = docker();
      let hits = d.logs(name, #{follow: 3, grep: "WEBSOCKET"});
      assert(hits.len() >= 2, `${hits}`);
      assert(hits.all(|l| l.contains("ERROR websocket")), `${hits}`);
      let last = d.logs(name, #{tail: 1, quiet: true});
      assert(last.len() == 1, `${last}`);
    "#,
        &web.name,
    );
    out.code(0)
        .stdout_has(&format!("[local:{}] ERROR websocket", web.name));
}

#[test]
fn exec_reports_code_and_output() {
    let web = Container::start(BUSYBOX, "exec", &[], &[]);
    let out = step(
        r#"
      let d = docker();
      let r = d.exec(name, ["sh", "-c", "echo out; echo err >&2; exit 3"], #{check: false});
      assert(r.code == 3 && r.stdout == "out" && r.stderr == "err", `${r}`);
      let env = d.exec(name, "echo $GREETING from $(pwd)", #{env: #{GREETING: "salut"}, cwd: "/tmp"});
      assert(env.stdout == "salut from /tmp", env.stdout);
      d.exec(name, "exit 4");
    "#,
        &web.name,
    );
    out.code(1)
        .stdout_has("exited with code 4")
        .stdout_has(&format!("[local:{}] out", web.name));
}

#[test]
fn images_are_listed_tagged_removed_and_a_pull_fails_clearly() {
    docker_env::images();
    let tag = format!("runbook-test/retag:{}", std::process::id());
    let out = step(
        r#"
      let d = docker();
      let tags = d.images().map(|i| i.tags).reduce(|all, t| all + t, []);
      assert(tags.contains("runbook-test/busybox:1"), `${tags}`);
      d.tag("runbook-test/busybox:1", name);
      assert(d.images().some(|i| i.tags.contains(name)), "tagged");
      d.remove_image(name);
      assert(!d.images().some(|i| i.tags.contains(name)), "removed");
      d.pull("registry.invalid/nothing:1");
    "#,
        &tag,
    );
    out.code(1).stdout_has("pull of registry.invalid/nothing:1");
}

#[test]
fn a_pull_brings_an_image_from_a_registry_and_a_missing_tag_names_the_registry_s_answer() {
    let registry = Registry::start();
    let image = registry.push(BUSYBOX, "runbook-test/pulled", "1");
    let missing = registry.reference("runbook-test/pulled", "9");
    let out = step(
        &format!(
            r#"
      let d = docker();
      d.pull(name);
      assert(d.images().some(|i| i.tags.contains(name)), "pulled");
      d.pull("{missing}");
    "#
        ),
        &image,
    );
    out.code(1)
        .stdout_has(&format!("pull {image}: "))
        .stdout_has(&format!("pull of {missing} on local"))
        .stdout_has(&format!(
            "failed: manifest for {missing} not found: manifest unknown"
        ))
        .stdout_lacks("not found on local");
    assert!(registry_env::is_local(&image));
}

#[test]
fn unknown_names_get_close_suggestions() {
    let web = Container::start(BUSYBOX, "typo", &[], &[]);
    let typo = format!("{}x", web.name);
    let out = step(r#"docker().restart(name);"#, &typo);
    out.code(1)
        .stdout_has(&format!("no container `{typo}`"))
        .stdout_has(&format!("did you mean `{}`?", web.name));
    let out = step(r#"docker().remove_image(name);"#, "runbook-test/busybox:2");
    out.code(1)
        .stdout_has("no image `runbook-test/busybox:2`")
        .stdout_has("did you mean `runbook-test/busybox:1`?");
}

#[test]
fn a_container_that_never_becomes_healthy_shows_why() {
    let web = Container::start(WEB_BROKEN, "sick", &[], &[]);
    // The engine gives up after its retries (2 checks, 1 s apart): no need to wait 60 s.
    let out = step(r#"docker().wait_healthy(name, 60);"#, &web.name);
    out.code(1)
        .stdout_has("is unhealthy: its health check failed as many times as it retries")
        .stdout_has("of the 60s allowed")
        .stdout_has("last health check:")
        .stdout_has("last log lines: ")
        .stdout_has("ERROR websocket");
    let waited = out
        .stdout
        .split("(after ")
        .nth(1)
        .and_then(|rest| rest.split('s').next())
        .and_then(|secs| secs.parse::<u64>().ok())
        .expect("the message says how long it waited");
    assert!(
        waited < 60,
        "stopped at the engine's verdict, not the timeout: {waited}s"
    );
}

#[test]
fn keep_waiting_waits_out_the_timeout_of_an_unhealthy_container() {
    let web = Container::start(WEB_BROKEN, "sick", &[], &[]);
    docker_env::wait_for_health(&web.name, "unhealthy");
    let out = step(
        r#"docker().wait_healthy(name, 3, #{keep_waiting: true});"#,
        &web.name,
    );
    out.code(1)
        .stdout_has("is not healthy after 3s (status running, health unhealthy)")
        .stdout_has("last health check:");
    // The plan and the doc page say the wait goes on through `unhealthy`.
    let text = r#"runbook "d" { procedure p { step s { docker().wait_healthy("web", 3, #{keep_waiting: true}); } } }"#;
    for command in ["plan", "doc"] {
        Test::new()
            .runbook(text)
            .args([command, "main.rb42"])
            .run()
            .code(0)
            .stdout_has("wait until web is healthy (up to 3s, through unhealthy)");
    }
}

#[test]
fn an_unreachable_engine_is_named() {
    let out = Test::new()
        .runbook(r#"runbook "d" { procedure p { step s { docker().version(); } } }"#)
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .args(["run", "main.rb42"])
        .run();
    out.code(1)
        .stdout_has("cannot reach the Docker engine unix:///nonexistent/docker.sock");
}

#[test]
fn a_dry_run_records_changes_with_the_engine_and_reads_nothing() {
    let out = Test::new()
        .runbook(
            r#"runbook "d" {
  procedure p {
    step s {
      let d = docker();
      d.restart("web");
      d.pull("nginx:1.27");
      if d.inspect("web").health != "healthy" { d.stop("web"); }
    }
  }
}"#,
        )
        .args(["plan", "main.rb42"])
        .run();
    out.code(0)
        .stdout_has("change docker@local$ docker restart web")
        .stdout_has("change docker@local$ docker pull nginx:1.27")
        .stdout_has("read   docker@local$ docker inspect web")
        .stdout_has("might: the rest of this step depends on ⟨state of container web⟩ (main.rb42:");
}

const COMPOSE: &str = r#"version: "2.4"
services:
  web:
    image: "runbook-test/web:${WEB_TAG}"
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/health"]
      interval: 1s
      timeout: 1s
      retries: 2
  worker:
    image: "runbook-test/busybox:1"
    command: ["sleep", "3600"]
"#;

/// The done-when scenario: a new image that never becomes healthy is rolled back to the
/// previous tag. `on` is empty locally, or `on vm` with the host declarations.
const DEPLOY: &str = r#"runbook "deploy" {
  param file: string
  param project: string
  param tag: string
@HOSTS@
  use "stdlib/compose.rhai" as compose
  procedure deploy @ON {
    step up "Démarrer" {
      let app = #{file: file, name: project, env: #{WEB_TAG: "1"}};
      compose::up(app);
      compose::wait_healthy(app, "web", 30);
      publish("previous", compose::image_of(app, "web").split(":")[1]);
    }
    step release "Nouvelle image" {
      let app = #{file: file, name: project, env: #{WEB_TAG: tag}};
      compose::up(app);
      compose::restart(app, "web");
    } rollback {
      let app = #{file: file, name: project, env: #{WEB_TAG: previous}};
      compose::up(app);
      compose::wait_healthy(app, "web", 30);
      log(`rolled back to ${compose::image_of(app, "web")}`);
    }
    step healthy "Attendre la santé" {
      compose::wait_healthy(#{name: project}, "web", 6);
    }
    step check_logs "Chercher les erreurs" {
      let d = docker();
      let errors = d.logs(compose::container(#{name: project}, "web"), #{tail: 50, grep: "error"});
      if !errors.is_empty() { fail(`errors in the logs: ${errors[0]}`); }
    }
  }
}"#;

fn deploy(tag: &str, on_ssh: bool) -> (Output, ComposeProject) {
    docker_env::images();
    let project = ComposeProject::new(COMPOSE);
    // The remote user reads the Compose file too.
    sshd::remote_dir(project.dir.path());
    let server = on_ssh.then(Sshd::start);
    let (hosts, on) = match &server {
        Some(s) => (
            format!(
                "  host vm \"{}@127.0.0.1:{}\" {{ identity \"{}\" }}",
                sshd::USER,
                s.port(),
                sshd::client_key().display()
            ),
            "on vm",
        ),
        None => (String::new(), ""),
    };
    let text = DEPLOY.replace("@HOSTS@", &hosts).replace("@ON", on);
    let test = Test::new().runbook(&text);
    let test = match &server {
        Some(s) => {
            let known = test.path().join("known_hosts");
            sshd::known_hosts(&known, &[s]);
            let known = known.to_string_lossy().into_owned();
            test.env("RUNBOOK_KNOWN_HOSTS", &known)
                .env("RUNBOOK_SSH_CONFIG", "none")
        }
        None => test,
    };
    let file = format!("file={}", project.file().display());
    let name = format!("project={}", project.name);
    let tag = format!("tag={tag}");
    let out = test
        .args(["run", "main.rb42", "-p", &file, "-p", &name, "-p", &tag])
        .run();
    if let Some(server) = &server {
        assert_eq!(server.connections(), 1, "{}", server.log());
    }
    (out, project)
}

fn running_image(project: &ComposeProject) -> String {
    let id = docker_env::docker(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={}", project.name),
        "--filter",
        "label=com.docker.compose.service=web",
    ]);
    docker_env::docker(&["inspect", "-f", "{{.Config.Image}}", id.trim()])
        .trim()
        .to_string()
}

#[test]
fn an_unhealthy_release_is_rolled_back_to_the_previous_tag() {
    let (out, project) = deploy("2", false);
    out.code(1)
        .stdout_has("is unhealthy: its health check failed")
        .stdout_has("rolled back to runbook-test/web:1");
    assert_eq!(running_image(&project), "runbook-test/web:1");
}

#[test]
fn a_healthy_release_passes_the_log_check() {
    let (out, project) = deploy("1", false);
    out.code(0);
    assert_eq!(running_image(&project), "runbook-test/web:1");
}

#[test]
fn the_same_deploy_runs_against_a_remote_engine_over_ssh() {
    let (out, project) = deploy("2", true);
    out.code(1)
        .stdout_has("on vm is unhealthy: its health check failed")
        .stdout_has("rolled back to runbook-test/web:1");
    assert_eq!(running_image(&project), "runbook-test/web:1");
}

#[test]
fn compose_helpers_drive_the_cli_and_read_state_through_the_api() {
    docker_env::images();
    let project = ComposeProject::new(COMPOSE);
    let text = r#"runbook "c" {
  param file: string
  param project: string
  use "stdlib/compose.rhai" as compose
  procedure p {
    step s {
      let app = #{file: file, name: project, env: #{WEB_TAG: "1"}};
      compose::up(app);
      compose::wait_healthy(app, "web", 30);
      assert(compose::healthy(app, "web"), "healthy");
      assert(compose::ps(app).contains("worker"), "ps lists the worker");
      assert(compose::config(app).contains("runbook-test/web:1"), "config resolves the tag");
      let piped = compose::exec(app, "worker", ["sh", "-c", "echo from-$(hostname | cut -c1-3)"]);
      assert(piped.stdout.starts_with("from-"), piped.stdout);
      let shaped = compose::exec(app, "worker", ["sh", "-c", "echo $(id -u) $(pwd) $GREETING $(cat)"],
                                 #{user: "65534", workdir: "/tmp", env: #{GREETING: "bonjour à tous"}, stdin: "entrée"});
      assert(shaped.stdout == "65534 /tmp bonjour à tous entrée", shaped.stdout);
      let failed = compose::exec(app, "worker", ["sh", "-c", "exit 3"], #{check: false});
      assert(failed.code == 3 && !failed.ok, `${failed}`);
      try { compose::exec(app, "worker", ["true"], #{usr: "x"}); } catch (e) { log(`bad option: ${e}`); }
      compose::stop(app, ["worker"]);
      assert(compose::containers(app, "worker")[0].state == "exited", "stopped");
      compose::start(app, ["worker"]);
      assert(compose::containers(app, "worker")[0].state == "running", "started");
      compose::kill(app, ["worker"]);
      compose::rm(app, ["worker"]);
      assert(compose::containers(app, "worker").is_empty(), "removed");
      assert(compose::logs(app, "web", 5).contains("listening"), "logs");
      compose::down(app, #{volumes: true, remove_orphans: true});
      assert(compose::containers(app, "web").is_empty(), "down");
      log("compose ok");
    }
  }
}"#;
    let file = format!("file={}", project.file().display());
    let name = format!("project={}", project.name);
    Test::new()
        .runbook(text)
        .args(["run", "main.rb42", "-p", &file, "-p", &name])
        .run()
        .code(0)
        .stdout_has("bad option: compose::exec: unknown option `usr`")
        .stdout_has("compose ok");
}
