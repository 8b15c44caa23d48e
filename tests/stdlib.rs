//! The stdlib modules' shared helpers, on real files and the real Docker here: the Compose
//! project map and CLI, and the backup archives with their manifest (here and on a host).

use crate::docker_env;
use crate::harness::Test;
use crate::ssh::remote_test;
use crate::sshd::Sshd;
use std::path::Path;
use std::process::{Command, Stdio};

/// What `ARGV… version --short` prints here, or `None` when it fails (the CLI is missing).
fn version_of(argv: &[&str]) -> Option<String> {
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .args(["version", "--short"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn compose_project_map_joins_the_file_to_the_directory_and_names_it_as_compose_would() {
    let out = Test::new()
        .runbook(
            r#"runbook "p" {
  use "stdlib/compose.rhai" as compose
  let app = compose::project("/srv/My Shop.v2", "docker-compose.yml", "");
  let named = compose::project("/srv/shop", "/etc/shop/compose.yml", "shop", #{TAG: "7"});
  procedure p {
    step show {
      log(`app: ${app.file} | ${app.dir} | ${app.name}`);
      log(`named: ${named.file} | ${named.dir} | ${named.name} | ${named.env.TAG}`);
    }
  }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    out.code(0)
        .stdout_has("app: /srv/My Shop.v2/docker-compose.yml | /srv/My Shop.v2 | myshopv2")
        .stdout_has("named: /etc/shop/compose.yml | /srv/shop | shop | 7");
}

#[test]
fn compose_version_is_that_of_the_cli_installed_here() {
    // `docker compose` first, else `docker-compose`: whichever of them really answers here.
    let expected = version_of(&["docker", "compose"])
        .or_else(|| version_of(&["docker-compose"]))
        .unwrap_or_default();
    let cli = docker_env::compose_command().join(" ");
    let out = Test::new()
        .runbook(
            r#"runbook "v" {
  use "stdlib/compose.rhai" as compose
  procedure p {
    step show { log(`cli: ${compose::cli()}, version: [${compose::version()}]`); }
  }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    let words: Vec<String> = cli.split(' ').map(|w| format!("\"{w}\"")).collect();
    out.code(0)
        .stdout_has(&format!("cli: [{}]", words.join(", ")))
        .stdout_has(&format!("version: [{expected}]"));
}

/// Archives `dir/app` with a manifest, checks it, then checks it again after a byte of the
/// archive changed: `on` is empty here, or `on vm` with the host declarations.
const ARCHIVE: &str = r#"runbook "b" {
  param dir: string
@HOSTS@
  use "stdlib/backup.rhai" as backup
  procedure make @ON {
    step make {
      backup::archive(dir + "/app", dir + "/app.tgz", #{manifest: true});
      log(`checked: ${backup::verify(dir + "/app.tgz", false).check}`);
    }
  }
  procedure verify @ON {
    step verify { log(`checked: ${backup::verify(dir + "/app.tgz", false).check}`); }
  }
}"#;

/// Runs `procedure` of the test's runbook with `dir`; returns its status and output.
fn run_archive(test: &Test, dir: &Path, procedure: &str) -> (i32, String) {
    let args: Vec<String> = ["run", "main.rb42", procedure, "-p"]
        .iter()
        .map(ToString::to_string)
        .chain([format!("dir={}", dir.display())])
        .collect();
    let out = test.execute(&args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The archive's manifest holds its size and `sha256sum`'s sum, `verify` accepts it, and once
/// the archive is changed `verify` fails naming the archive and its manifest.
fn archive_manifest_round_trip(test: &Test, dir: &Path) {
    std::fs::create_dir_all(dir.join("app")).expect("app dir");
    std::fs::write(dir.join("app/.env"), "TAG=1\n").expect("app file");
    let (code, out) = run_archive(test, dir, "make");
    assert_eq!(code, 0, "{out}");
    let archive = dir.join("app.tgz");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("app.tgz.manifest.json")).expect("the manifest"),
    )
    .expect("JSON");
    let sum = Command::new("sha256sum")
        .arg(&archive)
        .output()
        .expect("sha256sum");
    let sum = String::from_utf8_lossy(&sum.stdout);
    assert_eq!(manifest["sha256"], sum.split_whitespace().next().unwrap());
    assert_eq!(
        manifest["bytes"],
        std::fs::metadata(&archive).expect("archive").len()
    );
    assert_eq!(manifest["format"], "archive");
    assert!(out.contains("checked: 1 SHA-256 match"), "{out}");

    let mut bytes = std::fs::read(&archive).expect("archive");
    bytes.push(0);
    std::fs::write(&archive, bytes).expect("changed archive");
    let (code, out) = run_archive(test, dir, "verify");
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "{} does not match {}.manifest.json",
            archive.display(),
            archive.display()
        )),
        "{out}"
    );
}

#[test]
fn an_archive_with_a_manifest_is_verified_and_a_changed_one_refused() {
    let text = ARCHIVE.replace("@HOSTS@", "").replace("@ON", "");
    let test = Test::new().runbook(&text);
    let dir = test.path().join("work");
    archive_manifest_round_trip(&test, &dir);
}

#[test]
fn an_archive_on_a_host_is_summed_and_verified_on_the_host() {
    let server = Sshd::start();
    let text = ARCHIVE.replace("@ON", "on vm");
    let (test, remote) = remote_test(&text, &[("vm", &server)]);
    archive_manifest_round_trip(&test, &remote);
}
