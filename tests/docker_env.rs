//! A real Docker Engine for the Docker tests: test images built from nothing, containers and
//! Compose projects that remove themselves when dropped.
//!
//! No registry is reachable from the test machines, so every image starts `FROM scratch` with the
//! host's static `/bin/busybox` copied in; [`images`] builds them once per test process. Names
//! carry the test process's pid ([`unique`]) so that parallel tests and parallel test processes
//! never meet.
//!
//! The machine needs an engine answering `docker info`, a Compose ([`compose_command`]) and a
//! statically linked `/bin/busybox` (Debian `busybox-static`): `scripts/test.sh` sets them up.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Just busybox, every applet linked into `/bin`; by default it idles for an hour.
pub const BUSYBOX: &str = "runbook-test/busybox:1";
/// busybox httpd serving `/www` on port 8080; `/health` answers `{"status": "healthy"}`, so the
/// image's HEALTHCHECK passes. Prints "web v1 listening on 8080" once httpd listens.
pub const WEB_HEALTHY: &str = "runbook-test/web:1";
/// Like [`WEB_HEALTHY`] but without `/health`, so the HEALTHCHECK always fails; prints
/// "web v2 listening on 8080", then "ERROR websocket handshake failed" every second.
pub const WEB_BROKEN: &str = "runbook-test/web:2";

/// The host's busybox, copied into every image; it must not need a dynamic loader.
const BUSYBOX_BINARY: &str = "/bin/busybox";
/// What to do when the machine lacks something.
const FIX: &str = "run scripts/test.sh (as root) to set the machine up for the Docker tests";
/// How long a container may take to reach a health status before the test fails.
const HEALTHY_WITHIN: Duration = Duration::from_secs(30);

/// One multi-stage file for all the images, each a `--target`: the web stages start from the
/// busybox stage of the same file, never from a tag, so no builder ever asks a registry.
const DOCKERFILE: &str = r#"FROM scratch AS busybox
COPY busybox /bin/busybox
# Exec form: there is no /bin/sh until busybox has installed it.
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /tmp /www && chmod 1777 /tmp
COPY idle serve /usr/local/bin/
CMD ["/usr/local/bin/idle"]

FROM busybox AS web-healthy
RUN echo '{"status": "healthy"}' > /www/health && echo 'web v1' > /www/index.html
EXPOSE 8080
HEALTHCHECK --interval=1s --timeout=1s --retries=2 CMD wget -q -O- http://127.0.0.1:8080/health || exit 1
CMD ["/usr/local/bin/serve", "v1"]

FROM busybox AS web-broken
RUN echo 'web v2' > /www/index.html
EXPOSE 8080
HEALTHCHECK --interval=1s --timeout=1s --retries=2 CMD wget -q -O- http://127.0.0.1:8080/health || exit 1
CMD ["/usr/local/bin/serve", "v2", "ERROR websocket handshake failed"]
"#;

/// The busybox image's default command: `sleep 3600`, as PID 1 that stops on SIGTERM (PID 1
/// ignores every signal it has no handler for, and `docker stop` would wait 10 s to kill it).
const IDLE_SCRIPT: &str = r#"#!/bin/sh
trap 'exit 0' TERM INT
sleep 3600 &
wait
"#;

/// The web images' command: `serve VERSION [LINE]` starts httpd, announces it once it listens
/// (so a test that saw the line can connect), then prints LINE every second when given.
const SERVE_SCRIPT: &str = r#"#!/bin/sh
httpd -f -p 8080 -h /www &
httpd=$!
trap 'kill $httpd; exit 0' TERM INT
until netstat -ltn | grep -q ':8080 '; do
  kill -0 $httpd 2>/dev/null || exit 1
  sleep 0.1
done
echo "web $1 listening on 8080"
if [ -n "$2" ]; then
  while :; do echo "$2"; sleep 1; done
fi
wait
"#;

/// Every image tag with the Dockerfile stage that builds it.
const STAGES: [(&str, &str); 3] = [
    ("busybox", BUSYBOX),
    ("web-healthy", WEB_HEALTHY),
    ("web-broken", WEB_BROKEN),
];

/// Builds every test image, once per test process: `docker build` from a temporary context
/// holding the Dockerfile, the host's `/bin/busybox` and the start scripts. Rebuilding in a new
/// process is quick (the engine caches the layers) and keeps the images in step with this file.
///
/// Panics with what to do when no engine answers, `/bin/busybox` is missing or dynamically
/// linked, or a build fails.
pub fn images() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    // A failure is kept, so that every later test fails at once with the same message.
    if let Err(message) = BUILT.get_or_init(build_images) {
        panic!("{message}");
    }
}

/// A container name unique to this test process and call: `rbt-{prefix}-{pid}-{n}`. The prefix
/// must be a valid container name part (letters, digits, `_`, `.`, `-`).
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("rbt-{prefix}-{}-{n}", std::process::id())
}

/// A container started with `docker run -d --name NAME [args…] IMAGE [cmd…]`. Dropping it
/// removes it with its anonymous volumes (`docker rm -f -v`).
pub struct Container {
    /// The container's name, from [`unique`].
    pub name: String,
}

impl Container {
    /// Builds the [`images`] if needed and starts `image` detached under a [`unique`] name
    /// with extra `docker run` arguments and an optional command. Panics when `docker run` fails.
    pub fn start(image: &str, name_prefix: &str, args: &[&str], cmd: &[&str]) -> Container {
        images();
        let container = Container {
            name: unique(name_prefix),
        };
        // Pids repeat between runs (a fresh CI container often counts the same way): a test
        // process killed before its drops ran may have left a container with this name.
        remove_container(&container.name);
        // `docker run` may create the container and then fail to start it; `container` is
        // dropped by the panic and removes it.
        let mut run = vec!["run", "-d", "--name", &container.name];
        run.extend(args);
        run.push(image);
        run.extend(cmd);
        docker(&run);
        container
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        remove_container(&self.name);
    }
}

/// A Compose project in a temporary directory: `docker-compose.yml` holds the text it was made
/// with, and [`ComposeProject::name`] is unique to the test. Nothing runs until the test says
/// `up` (see [`ComposeProject::compose`]); dropping it takes everything down, volumes included.
///
/// Compose v1 (1.29) needs files in the `version: "2.4"` format for `depends_on` conditions
/// such as `service_healthy`. It does not pull an image that exists locally, so the test
/// images are used as they are.
pub struct ComposeProject {
    /// Holds `docker-compose.yml`; removed after the project is down.
    pub dir: tempfile::TempDir,
    /// The project name (`-p`), which Compose puts in the label `com.docker.compose.project`.
    pub name: String,
}

impl ComposeProject {
    /// Builds the [`images`] if needed and writes `yaml` to `docker-compose.yml` in a new
    /// temporary directory, under a [`unique`] project name.
    pub fn new(yaml: &str) -> ComposeProject {
        images();
        compose_command();
        let project = ComposeProject {
            dir: tempfile::Builder::new()
                .prefix("runbook-compose-")
                .tempdir()
                .expect("temp dir for a Compose project"),
            name: unique("compose"),
        };
        fs::write(project.file(), yaml).expect("write docker-compose.yml");
        // Same reason as in `Container::start`: a killed earlier run may have used this name.
        remove_project_leftovers(&project.name);
        project
    }

    /// The path of `docker-compose.yml`.
    pub fn file(&self) -> PathBuf {
        self.dir.path().join("docker-compose.yml")
    }

    /// Runs `COMPOSE -p NAME -f FILE ARGS…` and returns its stdout; panics when it fails.
    pub fn compose(&self, args: &[&str]) -> String {
        let out = self
            .command(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", compose_command().join(" ")));
        expect_success(
            &format!("{} {}", compose_command().join(" "), args.join(" ")),
            &out,
        )
    }

    /// `COMPOSE -p NAME -f FILE ARGS…`, not yet run.
    fn command(&self, args: &[&str]) -> Command {
        let compose = compose_command();
        let mut command = Command::new(&compose[0]);
        command
            .args(&compose[1..])
            .arg("-p")
            .arg(&self.name)
            .arg("-f")
            .arg(self.file())
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        command
    }
}

impl Drop for ComposeProject {
    fn drop(&mut self) {
        // A short stop timeout: a container whose PID 1 ignores SIGTERM would hold `down` 10 s.
        let down = self
            .command(&["down", "-v", "--remove-orphans", "-t", "1"])
            .output();
        if let Ok(out) = &down
            && !out.status.success()
        {
            eprintln!(
                "compose down {} failed: {}",
                self.name,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // Whatever `down` missed (a file the test rewrote, a container started by hand).
        remove_project_leftovers(&self.name);
    }
}

/// The Compose command available here: `["docker", "compose"]` (v2) when it answers, else
/// `["docker-compose"]` (v1). Panics when neither does.
pub fn compose_command() -> Vec<String> {
    static COMMAND: OnceLock<Option<Vec<String>>> = OnceLock::new();
    COMMAND
        .get_or_init(|| {
            [&["docker", "compose"][..], &["docker-compose"][..]]
                .into_iter()
                .find(|command| {
                    Command::new(command[0])
                        .args(&command[1..])
                        .arg("version")
                        .stdin(Stdio::null())
                        .output()
                        .is_ok_and(|out| out.status.success())
                })
                .map(|command| command.iter().map(ToString::to_string).collect())
        })
        .clone()
        .unwrap_or_else(|| {
            panic!("neither `docker compose version` nor `docker-compose version` works: {FIX}")
        })
}

/// Runs `docker ARGS…` and returns its stdout; panics with its output when it fails.
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker ({e}): {FIX}"));
    expect_success(&format!("docker {}", args.join(" ")), &out)
}

/// A container's logs so far, stdout and stderr (`docker logs` keeps them apart).
pub fn logs(container: &str) -> String {
    let out = Command::new("docker")
        .args(["logs", container])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker ({e}): {FIX}"));
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Waits until the container's health status is `wanted` (`healthy`, `unhealthy`), for up to
/// 30 s. Panics with its state and logs when it stops running or the time runs out.
pub fn wait_for_health(container: &str, wanted: &str) {
    let deadline = Instant::now() + HEALTHY_WITHIN;
    loop {
        let state = docker(&[
            "inspect",
            "-f",
            "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}",
            container,
        ]);
        let (status, health) = state.trim().split_once(' ').unwrap_or(("?", "?"));
        if health == wanted {
            return;
        }
        if status != "running" || Instant::now() > deadline {
            panic!(
                "container {container} is {status} and {health}, never {wanted} \
                 (waited up to {HEALTHY_WITHIN:?}); its logs:\n{}",
                logs(container)
            );
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// Builds every stage into its tag; the error says what failed and what to do.
fn build_images() -> Result<(), String> {
    check_machine()?;
    let context = tempfile::Builder::new()
        .prefix("runbook-images-")
        .tempdir()
        .map_err(|e| format!("temp dir for the image build context: {e}"))?;
    write_context(context.path())?;
    for (stage, tag) in STAGES {
        let out = Command::new("docker")
            .args(["build", "--target", stage, "-t", tag])
            .arg(context.path())
            // `DOCKER_BUILDKIT=1` fails without the buildx plugin; unset, the CLI picks BuildKit
            // when buildx is there and the legacy builder otherwise. The file suits both.
            .env_remove("DOCKER_BUILDKIT")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run docker ({e}): {FIX}"))?;
        if !out.status.success() {
            return Err(format!(
                "docker build of {tag} failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(())
}

/// The engine answers and busybox can run in an empty image.
fn check_machine() -> Result<(), String> {
    let info = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run docker ({e}): {FIX}"))?;
    let version = String::from_utf8_lossy(&info.stdout);
    if !info.status.success() || version.trim().is_empty() {
        let host = std::env::var("DOCKER_HOST")
            .unwrap_or_else(|_| "unix:///var/run/docker.sock".to_string());
        return Err(format!(
            "no Docker Engine answers at {host}: {}\n{FIX}, and start the engine (dockerd)",
            String::from_utf8_lossy(&info.stderr).trim()
        ));
    }
    if !Path::new(BUSYBOX_BINARY).is_file() {
        return Err(format!("{BUSYBOX_BINARY} is missing: {FIX}"));
    }
    // An image from scratch has no dynamic loader; `ldd` fails on a static binary.
    let dynamic = Command::new("ldd")
        .arg(BUSYBOX_BINARY)
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success());
    if dynamic {
        return Err(format!(
            "{BUSYBOX_BINARY} is dynamically linked and cannot run in an empty image: \
             install busybox-static ({FIX})"
        ));
    }
    Ok(())
}

/// Writes the Dockerfile, busybox and the start scripts into `dir`.
fn write_context(dir: &Path) -> Result<(), String> {
    let write = |name: &str, text: &str, mode: u32| {
        let path = dir.join(name);
        fs::write(&path, text)
            .and_then(|()| fs::set_permissions(&path, fs::Permissions::from_mode(mode)))
            .map_err(|e| format!("write {}: {e}", path.display()))
    };
    write("Dockerfile", DOCKERFILE, 0o644)?;
    write("idle", IDLE_SCRIPT, 0o755)?;
    write("serve", SERVE_SCRIPT, 0o755)?;
    fs::copy(BUSYBOX_BINARY, dir.join("busybox"))
        .map_err(|e| format!("copy {BUSYBOX_BINARY} into the build context: {e}"))?;
    Ok(())
}

/// `docker rm -f -v NAME`, quietly: the container may not exist.
fn remove_container(name: &str) {
    let _ = Command::new("docker")
        .args(["rm", "-f", "-v", name])
        .stdin(Stdio::null())
        .output();
}

/// Removes the containers, then the networks and volumes, labelled with the project's name.
fn remove_project_leftovers(project: &str) {
    let label = format!("label=com.docker.compose.project={project}");
    for (list, remove) in [
        (&["ps", "-aq", "--filter"][..], &["rm", "-f", "-v"][..]),
        (
            &["network", "ls", "-q", "--filter"][..],
            &["network", "rm"][..],
        ),
        (
            &["volume", "ls", "-q", "--filter"][..],
            &["volume", "rm", "-f"][..],
        ),
    ] {
        let Ok(out) = Command::new("docker")
            .args(list)
            .arg(&label)
            .stdin(Stdio::null())
            .output()
        else {
            return;
        };
        let ids = String::from_utf8_lossy(&out.stdout);
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let _ = Command::new("docker")
                .args(remove)
                .args(&ids)
                .stdin(Stdio::null())
                .output();
        }
    }
}

/// The stdout of a command that must have succeeded.
fn expect_success(what: &str, out: &Output) -> String {
    assert!(
        out.status.success(),
        "`{what}` failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The containers carrying a Compose project's label, as `name label-value` lines.
fn project_containers(project: &str) -> Vec<String> {
    docker(&[
        "ps",
        "-a",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
        "--format",
        r#"{{.Names}} {{.Label "com.docker.compose.project"}}"#,
    ])
    .lines()
    .map(str::to_string)
    .collect()
}

#[test]
fn every_image_is_built_and_runs_busybox() {
    images();
    for (_, tag) in STAGES {
        let out = docker(&["run", "--rm", tag, "sh", "-c", "busybox | head -n 1"]);
        assert!(out.starts_with("BusyBox v"), "{tag} printed {out:?}");
    }
}

#[test]
fn a_healthy_web_container_becomes_healthy_and_serves_its_health() {
    let web = Container::start(WEB_HEALTHY, "web", &[], &[]);

    wait_for_health(&web.name, "healthy");

    let health = docker(&[
        "exec",
        &web.name,
        "wget",
        "-q",
        "-O-",
        "http://127.0.0.1:8080/health",
    ]);
    assert!(health.contains("healthy"), "/health said {health:?}");
    let logs = logs(&web.name);
    assert!(logs.contains("web v1 listening on 8080"), "logs:\n{logs}");
}

#[test]
fn a_broken_web_container_becomes_unhealthy_and_logs_errors() {
    let web = Container::start(WEB_BROKEN, "broken", &[], &[]);

    wait_for_health(&web.name, "unhealthy");

    let logs = logs(&web.name);
    assert!(logs.contains("web v2 listening on 8080"), "logs:\n{logs}");
    assert!(logs.contains("ERROR websocket"), "logs:\n{logs}");
}

#[test]
fn a_dropped_container_is_removed() {
    let first = Container::start(BUSYBOX, "idle", &["--label", "runbook-test=idle"], &[]);
    let second = Container::start(BUSYBOX, "idle", &[], &["sleep", "60"]);
    assert_ne!(first.name, second.name);
    let name = first.name.clone();
    let running = |name: &str| docker(&["ps", "-aq", "--filter", &format!("name=^/{name}$")]);
    assert!(!running(&name).trim().is_empty(), "{name} is not there");

    drop(first);

    assert_eq!(running(&name).trim(), "", "{name} is still there");
}

#[test]
fn a_compose_project_comes_up_labelled_and_goes_down_on_drop() {
    let project = ComposeProject::new(&format!(
        r#"version: "2.4"
services:
  web:
    image: {WEB_HEALTHY}
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/health"]
      interval: 1s
      timeout: 1s
      retries: 5
  worker:
    image: {BUSYBOX}
    depends_on:
      web:
        condition: service_healthy
"#
    ));
    let name = project.name.clone();

    project.compose(&["up", "-d"]);

    let containers = project_containers(&name);
    assert_eq!(containers.len(), 2, "containers: {containers:?}");
    for line in &containers {
        assert!(line.ends_with(&format!(" {name}")), "label of {line:?}");
    }
    let web = containers
        .iter()
        .find_map(|line| line.split(' ').next().filter(|n| n.contains("web")))
        .expect("a web container");
    wait_for_health(web, "healthy");

    drop(project);

    let left = project_containers(&name);
    assert!(left.is_empty(), "left after drop: {left:?}");
}
