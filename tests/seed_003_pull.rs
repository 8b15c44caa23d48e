//! Seed 003 (ATMR CI/CD) deploying with `pull=true`, as the pipeline does: every image comes
//! from a real registry on loopback (Debian's `docker-registry`), never from the engine's local
//! copies, which each test removes first. A first deploy with no previous tag, the automatic
//! rollback of a failed `up` that pulls the previous tag again before the stack stops, the
//! manual rollback, and a tag the registry does not have.

use crate::docker_env::{self, BUSYBOX, WEB_BROKEN, WEB_HEALTHY};
use crate::harness::{Output, run_id};
use crate::http_env;
use crate::journal::show;
use crate::registry_env::{self, Registry};
use crate::seed_003::{Layout, Stage};

/// The backend's repository in the registry, as the CI pushes it.
const BACKEND: &str = "atmr/backend";

/// A registry holding release 1 (healthy) and release 2 (its health check never passes) of
/// the backend, and the image of the other services; a stage whose Compose file takes every
/// image from it, with a `worker` service waiting for a healthy backend when `worker` (then
/// `up` itself fails for release 2). No local copy of any of them is left.
fn staged(worker: bool) -> (Registry, Stage) {
    let registry = Registry::start();
    registry.push(WEB_HEALTHY, BACKEND, "1");
    registry.push(WEB_BROKEN, BACKEND, "2");
    let support = registry.push(BUSYBOX, "atmr/busybox", "1");
    let stage = Stage::with(
        Layout {
            support_image: Some(support),
            worker,
            ..Layout::default()
        },
        "abc123",
    );
    (registry, stage)
}

/// Runs `procedure` of the runbook for `tag` with `pull=true`, the backend image from the
/// registry, `previous` as PREVIOUS_TAG.
fn pulling(
    registry: &Registry,
    stage: &Stage,
    procedure: &str,
    tag: &str,
    previous: &str,
    extra: &[&str],
) -> Output {
    stage.run_with(
        procedure,
        tag,
        &[
            ("docker_image", format!("{}/{BACKEND}", registry.host)),
            ("previous_tag", previous.to_string()),
            ("pull", "true".into()),
            ("health_wait", "5s".into()),
        ],
        extra,
    )
}

/// `docker ps --format FORMAT` of the running backend container.
fn backend(stage: &Stage, format: &str) -> String {
    docker_env::docker(&[
        "ps",
        "--filter",
        &format!("label=com.docker.compose.project={}", stage.project),
        "--filter",
        "label=com.docker.compose.service=backend",
        "--format",
        format,
    ])
    .trim()
    .to_string()
}

/// The image the running backend container was started from, as `docker ps` shows it.
fn backend_image(stage: &Stage) -> String {
    backend(stage, "{{.Image}}")
}

/// Whether the running backend container runs the local image `image`: the same image id,
/// whatever the name it was started under.
fn backend_runs(stage: &Stage, image: &str) -> bool {
    let id = |args: &[&str]| docker_env::docker(args).trim().to_string();
    let container = backend(stage, "{{.ID}}");
    id(&["container", "inspect", "-f", "{{.Image}}", &container])
        == id(&["image", "inspect", "-f", "{{.Id}}", image])
}

/// The position of the first line of `out`'s stdout containing `needle`; fails when none does.
fn line_of(out: &Output, needle: &str) -> usize {
    out.stdout
        .lines()
        .position(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("no line has {needle:?}:\n{}", out.stdout))
}

#[test]
fn a_first_deploy_with_no_previous_tag_pulls_every_image_from_the_registry() {
    let (registry, stage) = staged(false);
    let release = registry.reference(BACKEND, "1");
    assert!(!registry_env::is_local(&release));

    let out = pulling(&registry, &stage, "deploy", "1", "", &[]);

    out.code(0)
        .stdout_has("pull_image")
        .stdout_has("backend: healthy")
        .stdout_has("health: 200, status healthy");
    assert_eq!(backend_image(&stage), release);
    assert!(registry_env::is_local(&release), "pulled: {}", out.stdout);
    assert!(http_env::page(stage.port, "/health").contains("\"healthy\""));
    assert!(stage.env_file().contains("DOCKER_TAG=1"));
}

#[test]
fn a_failed_up_is_rolled_back_to_the_previous_tag_pulled_again_before_the_stack_stops() {
    let (registry, stage) = staged(true);
    pulling(&registry, &stage, "deploy", "1", "", &[]).code(0);
    let previous = registry.reference(BACKEND, "1");
    // The operator's disk was cleaned since: only the registry has release 1.
    registry_env::remove_local(&previous);
    assert!(!registry_env::is_local(&previous));

    let out = pulling(&registry, &stage, "deploy", "2", "1", &[]);

    out.code(1)
        .stdout_has("up failed")
        .stdout_has(&format!("restored {previous}"));
    assert!(
        line_of(&out, &format!("pulled {previous}"))
            < line_of(&out, "containers stopped, orphans removed"),
        "the previous images are pulled while the failed release still runs:\n{}",
        out.stdout
    );
    assert_eq!(backend_image(&stage), previous);
    assert!(backend_runs(&stage, WEB_HEALTHY));
    assert!(http_env::page(stage.port, "/health").contains("\"healthy\""));
    assert!(stage.env_file().contains("DOCKER_TAG=1"));
    show(&out.dir, &run_id(&out.dir))
        .code(0)
        .stdout_has("no rollback owed");
}

#[test]
fn the_manual_rollback_pulls_the_previous_tag_before_it_stops_the_services() {
    let (registry, stage) = staged(false);
    pulling(&registry, &stage, "deploy", "1", "", &[]).code(0);
    let previous = registry.reference(BACKEND, "1");
    // A stale local copy under release 1's name (release 2's image): starting it without a
    // pull would run release 2 again.
    docker_env::docker(&["tag", WEB_BROKEN, &previous]);

    let out = pulling(&registry, &stage, "rollback", "2", "1", &["--yes"]);

    out.code(0);
    assert!(
        line_of(&out, &format!("pulled {previous}")) < line_of(&out, "down — "),
        "{}",
        out.stdout
    );
    assert_eq!(backend_image(&stage), previous);
    assert!(
        backend_runs(&stage, WEB_HEALTHY),
        "the backend runs the registry's release 1"
    );
    assert!(http_env::page(stage.port, "/health").contains("\"healthy\""));
}

#[test]
fn a_tag_missing_from_the_registry_fails_at_the_pull_and_leaves_the_running_stack_alone() {
    let (registry, stage) = staged(false);
    pulling(&registry, &stage, "deploy", "1", "", &[]).code(0);
    let running = stage.running();

    let out = pulling(&registry, &stage, "deploy", "9", "1", &[]);

    out.code(1)
        .stdout_has("pull_image failed")
        .stdout_has(&registry.reference(BACKEND, "9"))
        .stdout_has("manifest unknown");
    assert_eq!(stage.running(), running, "the same containers still run");
    assert_eq!(backend_image(&stage), registry.reference(BACKEND, "1"));
    assert!(stage.env_file().contains("DOCKER_TAG=1"));
    assert!(http_env::page(stage.port, "/health").contains("\"healthy\""));
}

#[test]
fn a_previous_tag_missing_from_the_registry_is_named_and_the_failed_release_still_stops() {
    let (registry, stage) = staged(true);
    let previous = registry.reference(BACKEND, "8");

    let out = pulling(&registry, &stage, "deploy", "2", "8", &[]);

    // The failed release is taken down all the same; this first deploy left no previous
    // configuration to start tag 8 with.
    out.code(1)
        .stdout_has("up failed")
        .stdout_has(&format!("cannot pull {previous}"))
        .stdout_has(&format!("manifest for {previous} not found"))
        .stdout_has("containers stopped, orphans removed")
        .stdout_has(&format!(
            "no previous docker-compose.production.yml in {} (a first deploy): {previous} is not started",
            stage.app_dir.display()
        ))
        .stdout_lacks(&format!("restored {previous}"));
    assert_eq!(stage.running(), Vec::<String>::new(), "{}", out.stdout);
}
