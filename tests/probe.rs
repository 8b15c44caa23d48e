//! `plan --probe` against real HTTP servers and the real Docker Engine: reads run and their
//! values are known; a read that fails is "could not probe" and its value (and what the step
//! would publish) unknown; nothing is read after a change planned on the same place; nothing is
//! ever changed. And the Compose program a plan names: chosen at run time, or probed.

use crate::docker_env::{self, BUSYBOX, ComposeProject, Container, WEB_BROKEN, WEB_HEALTHY};
use crate::harness::{Output, Test, free_port};
use crate::http_env::HttpServer;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Plans `steps` (a procedure's body) with `--probe` and `-p name=VALUE` for each param.
fn probe(steps: &str, params: &[(&str, &str)], test: Test) -> Output {
    let declared: String = params
        .iter()
        .map(|(name, _)| format!("  param {name}: string\n"))
        .collect();
    let text = format!("runbook \"probe\" {{\n{declared}  procedure p {{\n{steps}\n  }}\n}}");
    let values: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut args = vec!["plan", "main.rb42", "--probe"];
    for value in &values {
        args.extend(["-p", value.as_str()]);
    }
    test.runbook(&text).args(args).run()
}

#[test]
fn http_reads_are_probed_and_their_values_known() {
    let server = HttpServer::start();
    let base = server.url("");
    let out = probe(
        r#"    step look {
      let r = http_get(`${base}/json`);
      log(`count ${r.json.count}, head ${http_head(`${base}/ok`).status}`);
      let h = http_wait(`${base}/health`, #{path: "db.ok", equals: true, wait: 30});
      if h.status == 200 { log("healthy now"); }
    }"#,
        &[("base", &base)],
        Test::new(),
    );
    out.code(0)
        .stdout_has("count 2, head 200")
        .stdout_has("healthy now")
        .stdout_lacks("could not probe")
        .stdout_lacks("⟨");
}

#[test]
fn an_http_read_that_fails_is_unknown_and_so_is_what_its_step_publishes() {
    let server = HttpServer::start();
    let base = server.url("");
    let closed = format!("http://127.0.0.1:{}", free_port());
    let out = probe(
        r#"    step look {
      let down = http_get(`${closed}/x`);
      publish("answer", down.text);
      let r = http_get(`${base}/fail`, #{expect: 200});
      if r.status != 200 { publish("backup_file", "none"); } else { publish("backup_file", r.text); }
    }
    step ship {
      confirm(`ship ${backup_file} (${answer})?`);
      sh(`cp ${backup_file} /srv`);
    } rollback {
      sh(`rm /srv/${backup_file}`);
    }"#,
        &[("base", &base), ("closed", &closed)],
        Test::new(),
    );
    out.code(0)
        .stdout_has("could not probe: ")
        .stdout_has(&format!("GET {closed}/x"))
        .stdout_has("expected 200, got 500")
        .stdout_has("might: the rest of this step depends on ⟨status of GET")
        .stdout_has("asks the operator: ship ⟨backup_file⟩ (⟨response of GET")
        .stdout_has("rm /srv/⟨backup_file⟩")
        .stdout_lacks("would fail")
        .stdout_lacks("${backup_file}")
        .stdout_lacks("(no command)");
    let sent: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(sent, ["GET /fail"]);
}

#[test]
fn an_http_wait_probe_looks_once() {
    let server = HttpServer::start_with_healthy_after(100);
    let base = server.url("");
    let out = probe(
        r#"    step wait {
      let h = http_wait(`${base}/health`, #{wait: 60, interval: 1});
      log(`health ${h.status}`);
    }"#,
        &[("base", &base)],
        Test::new(),
    );
    out.code(0)
        .stdout_has("could not probe: ")
        .stdout_has("(a probe does not wait); last: 503")
        .stdout_has("health ⟨")
        .stdout_lacks("would fail");
    assert_eq!(server.requests().len(), 1, "one look, no waiting");
}

#[test]
fn a_probe_sends_no_method_that_changes_and_reads_nothing_after_one() {
    let server = HttpServer::start();
    let base = server.url("");
    let out = probe(
        r#"    step s {
      http_head(`${base}/ok`);
      http_post(`${base}/echo`, #{json: #{a: 1}});
      http_put(`${base}/echo`, #{body: "x"});
      http_patch(`${base}/echo`, #{body: "x"});
      http_delete(`${base}/echo`);
    }
    step t {
      let r = http_get(`${base}/json`);
      log(`after: ${r.text}`);
    }"#,
        &[("base", &base)],
        Test::new(),
    );
    out.code(0)
        .stdout_has("change http@")
        .stdout_has(&format!(
            "GET {base}/json  (not probed: follows a change planned on local)"
        ))
        .stdout_has("after: ⟨response of GET");
    let sent: Vec<String> = server.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(sent, ["HEAD"], "only the read before the changes was sent");
}

#[test]
fn a_server_on_this_machine_is_not_probed_after_a_change_planned_here() {
    let server = HttpServer::start();
    let base = server.url("");
    let out = probe(
        r#"    step up { sh("docker compose up -d"); }
    step check { http_wait(`${base}/health`, #{wait: 60}); }"#,
        &[("base", &base)],
        Test::new(),
    );
    out.code(0).stdout_has(&format!(
        "GET {base}/health until status 200 (up to 60s)  (not probed: follows a change planned on local)"
    ));
    assert!(server.requests().is_empty(), "the old service was not read");
}

#[test]
fn docker_reads_are_probed_and_their_values_known() {
    let web = Container::start(WEB_HEALTHY, "probe-known", &["--label", "probe=yes"], &[]);
    docker_env::wait_for_health(&web.name, "healthy");
    let out = probe(
        r#"    step look {
      let d = docker();
      let c = d.wait_healthy(name, 30);
      let listed = d.containers(#{name: name, label: "probe=yes"});
      let lines = d.logs(name, #{tail: 20, quiet: true});
      if c.health == "healthy" && listed.len() == 1 && lines.some(|l| l.contains("listening")) {
        log(`probed: ${d.inspect(name).image} is ${c.health}`);
      }
    }"#,
        &[("name", &web.name)],
        Test::new(),
    );
    out.code(0)
        .stdout_has(&format!("probed: {WEB_HEALTHY} is healthy"))
        .stdout_lacks("could not probe")
        .stdout_lacks("⟨");
}

#[test]
fn a_docker_read_that_fails_is_unknown_and_so_is_what_its_step_publishes() {
    let sick = Container::start(WEB_BROKEN, "probe-sick", &[], &[]);
    let missing = docker_env::unique("probe-missing");
    let out = probe(
        r#"    step look {
      let d = docker();
      d.wait_healthy(sick, 60);
      let c = d.inspect(missing);
      publish("image", c.image);
    }
    step use_it {
      confirm(`redeploy ${image}?`);
      docker().exec(sick, ["echo", image]);
    } rollback {
      docker().exec(sick, ["echo", "back to", image]);
    }"#,
        &[("sick", &sick.name), ("missing", &missing)],
        Test::new(),
    );
    out.code(0)
        .stdout_has("could not probe: ")
        .stdout_has("(a probe does not wait)")
        .stdout_has(&format!("no container `{missing}`"))
        .stdout_has(&format!(
            "might: the rest of this step depends on ⟨state of container {missing}⟩"
        ))
        .stdout_has("asks the operator: redeploy ⟨image⟩?")
        .stdout_has("'back to' '⟨image⟩'")
        .stdout_lacks("would fail")
        .stdout_lacks("${image}")
        .stdout_lacks("(no command)");
}

#[test]
fn a_docker_probe_changes_nothing_and_reads_nothing_after_a_planned_change() {
    let web = Container::start(BUSYBOX, "probe-untouched", &[], &[]);
    let started = || docker_env::docker(&["inspect", "-f", "{{.State.StartedAt}}", &web.name]);
    let before = started();
    let out = probe(
        r#"    step look { log(`running: ${docker().inspect(name).running}`); }
    step here { sh("touch made"); }
    step engine { log(`listed: ${docker("local").containers().len()}`); }
    step first {
      let d = docker();
      d.restart(name);
      d.stop(name);
      d.exec(name, ["touch", "/tmp/probed"]);
      d.remove(name, #{force: true});
    }
    step then { log(`after: ${docker().inspect(name).running}`); }"#,
        &[("name", &web.name)],
        Test::new(),
    );
    out.code(0)
        .stdout_has("running: true")
        .stdout_has("change docker@local$ docker restart ")
        .stdout_has("might: the rest of this step depends on ⟨containers of docker ps⟩")
        .stdout_has(&format!(
            "might: the rest of this step depends on ⟨state of container {}⟩",
            web.name
        ));
    let unprobed = out.lines_with(&["(not probed: follows a change planned on local)"]);
    assert_eq!(unprobed.len(), 2, "{}", out.stdout);
    assert_eq!(
        started(),
        before,
        "the container was neither restarted nor stopped"
    );
    let touched = docker_env::docker(&["exec", &web.name, "ls", "/tmp"]);
    assert!(!touched.contains("probed"), "the exec did not run");
    assert!(!out.exists("made"));
}

const COMPOSE: &str =
    "version: \"2.4\"\nservices:\n  web:\n    image: \"runbook-test/web:${WEB_TAG}\"\n";

/// A runbook that starts the project in a plan and reads its resolved file in a run.
const PROJECT: &str = r#"runbook "c" {
  param file: string
  param project: string
  use "stdlib/compose.rhai" as compose
  procedure up {
    step up { compose::up(#{file: file, name: project, env: #{WEB_TAG: "1"}}); }
  }
  procedure config {
    step config { log(compose::config(#{file: file, name: project, env: #{WEB_TAG: "1"}})); }
  }
}"#;

/// `dir/name`: a shell script running `body`, executable.
fn script(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write a shim");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Where `program` is on this machine's PATH.
fn found(program: &str) -> String {
    let out = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .expect("sh");
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!path.is_empty(), "{program} is not on PATH");
    path
}

/// A directory for PATH holding `sh` and a `docker` that forwards to the real engine's CLI;
/// the real Compose is reached as `docker compose` when `v2`, else only as `docker-compose`.
fn shims(test: &Test, v2: bool) -> String {
    let dir = test.path().join("bin");
    std::fs::create_dir(&dir).expect("bin");
    std::os::unix::fs::symlink(found("sh"), dir.join("sh")).expect("sh");
    let real: Vec<String> = docker_env::compose_command();
    let compose = format!("{} {}", found(&real[0]), real[1..].join(" "));
    let docker = found("docker");
    if v2 {
        script(
            &dir,
            "docker",
            &format!(
                "if [ \"$1\" = compose ]; then shift; exec {compose} \"$@\"; fi\nexec {docker} \"$@\""
            ),
        );
    } else {
        script(
            &dir,
            "docker",
            &format!(
                "if [ \"$1\" = compose ]; then echo \"docker: 'compose' is not a docker command.\" >&2; exit 1; fi\nexec {docker} \"$@\""
            ),
        );
        script(&dir, "docker-compose", &format!("exec {compose} \"$@\""));
    }
    dir.display().to_string()
}

fn compose_args(command: &str, procedure: &str, project: &ComposeProject) -> Vec<String> {
    vec![
        command.to_string(),
        "main.rb42".into(),
        procedure.into(),
        "-p".into(),
        format!("file={}", project.file().display()),
        "-p".into(),
        format!("project={}", project.name),
    ]
}

#[test]
fn a_plan_says_the_compose_program_is_chosen_at_run_time() {
    let project = ComposeProject::new(COMPOSE);
    let args = compose_args("plan", "up", &project);
    let out = Test::new()
        .runbook(PROJECT)
        .args(args.iter().map(String::as_str))
        .run();
    out.code(0)
        .stdout_has("read   local$ docker compose version")
        .stdout_has("⟨docker compose or docker-compose, chosen at run time⟩ -f ")
        .stdout_has("(depends on ⟨docker compose or docker-compose, chosen at run time⟩)")
        .stdout_lacks("change local$");
}

#[test]
fn a_probe_names_the_compose_program_the_run_uses() {
    for v2 in [false, true] {
        let project = ComposeProject::new(COMPOSE);
        let (program, other) = if v2 {
            ("docker compose", "docker-compose")
        } else {
            ("docker-compose", "docker compose")
        };
        let test = Test::new().runbook(PROJECT);
        let path = shims(&test, v2);
        let mut args = compose_args("plan", "up", &project);
        args.push("--probe".into());
        let plan = test
            .env("PATH", &path)
            .args(args.iter().map(String::as_str))
            .run();
        plan.code(0)
            .stdout_has(&format!("change local$ WEB_TAG=1 {program} -f "))
            .stdout_lacks(&format!("{other} -f"))
            .stdout_lacks("chosen at run time");
        let test = Test::new().runbook(PROJECT);
        let path = shims(&test, v2);
        let mut args = compose_args("run", "config", &project);
        args.extend(["--format".into(), "json".into()]);
        let run = test
            .env("PATH", &path)
            .args(args.iter().map(String::as_str))
            .run();
        run.code(0)
            .stdout_has(&format!("WEB_TAG=1 {program} -f "))
            .stdout_has("runbook-test/web:1")
            .stdout_lacks(&format!("{other} -f"));
    }
}
