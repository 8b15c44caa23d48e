//! A real container registry on loopback for the tests that pull: Debian's `docker-registry`
//! (Distribution 2.8) serving `127.0.0.1:PORT`, its storage in a temporary directory, one per
//! test, killed when dropped.
//!
//! Docker Engine allows plain HTTP to registries on 127.0.0.0/8 without any daemon
//! configuration, so `docker push 127.0.0.1:PORT/atmr/backend:1` works as is. The images pushed
//! are the test images of [`crate::docker_env`], built from scratch with busybox.
//!
//! The machine needs `docker-registry` on PATH: `scripts/test.sh` installs it.

use crate::docker_env;
use crate::harness::free_port;
use crate::http_env;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the registry may take to answer `/v2/` after it started.
const ANSWERS_WITHIN: Duration = Duration::from_secs(30);

/// A `docker-registry serve` process on a free loopback port.
pub struct Registry {
    process: Child,
    /// `127.0.0.1:PORT`, the prefix of every image reference in this registry.
    pub host: String,
    /// Holds the configuration file and the storage; removed after the process is killed.
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a registry with empty storage and waits until `/v2/` answers. Panics with what to
    /// do when `docker-registry` is missing, and with its output when it never answers.
    pub fn start() -> Registry {
        let dir = tempfile::Builder::new()
            .prefix("runbook-registry-")
            .tempdir()
            .expect("temp dir for a registry");
        let port = free_port();
        let config = dir.path().join("config.yml");
        let log = dir.path().join("registry.log");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("storage").display()
            ),
        )
        .expect("write the registry's config.yml");
        let output = std::fs::File::create(&log).expect("registry log");
        let process = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("registry log"))
            .stderr(output)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start docker-registry ({e}): run scripts/test.sh (as root) to install \
                     Debian's docker-registry"
                )
            });
        let registry = Registry {
            process,
            host: format!("127.0.0.1:{port}"),
            _dir: dir,
        };
        let started = Instant::now();
        while !matches!(http_env::get(port, "/v2/"), Some((200, _))) {
            assert!(
                started.elapsed() < ANSWERS_WITHIN,
                "the registry on port {port} never answered /v2/; its log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        registry
    }

    /// The reference of `name:tag` in this registry: `127.0.0.1:PORT/name:tag`.
    pub fn reference(&self, name: &str, tag: &str) -> String {
        format!("{}/{name}:{tag}", self.host)
    }

    /// Pushes the local image `local` as `name:tag`, then removes the local copy of that
    /// reference, so that only a pull can bring it back. Returns the reference.
    pub fn push(&self, local: &str, name: &str, tag: &str) -> String {
        docker_env::images();
        let reference = self.reference(name, tag);
        docker_env::docker(&["tag", local, &reference]);
        docker_env::docker(&["push", &reference]);
        remove_local(&reference);
        reference
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        // The local copies pulled from this registry (their names carry its port).
        let local = docker_env::docker(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
        for reference in local.lines() {
            if reference.starts_with(&format!("{}/", self.host)) {
                remove_local(reference);
            }
        }
    }
}

/// Removes the engine's local copy of `reference` (quietly: it may be gone already). The image
/// itself stays while another tag, such as the test image it was tagged from, names it.
pub fn remove_local(reference: &str) {
    let _ = Command::new("docker")
        .args(["rmi", reference])
        .stdin(Stdio::null())
        .output();
}

/// Whether the engine holds a local copy of `reference`.
pub fn is_local(reference: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", reference])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
