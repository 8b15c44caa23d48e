//! Seed 001 (BrokerX+, « Vue Physique (Déploiement) ») end to end on the stand-in VM of seed 000
//! (an sshd on loopback running Compose on the real Docker engine), with the real PostgreSQL, a
//! real Redis and a real HTTPS server: the production requirements as guards, the firewall and
//! HTTPS checks from outside, the health JSON, the `git pull && docker compose up -d` deploy and
//! its rollback, the rollback to a tag, the daily backup with its retention, and the plan of every
//! procedure.

use crate::certificates::CA_FILE;
use crate::docker_env::{self, Container, WEB_HEALTHY};
use crate::harness::{Test, free_port};
use crate::http::HttpsServer;
use crate::http_env::{self, HttpServer};
use crate::postgres_env;
use crate::seed_000::{Vm, compose_yaml, git, procedures, runbook_path, served, shop_database};
use crate::sshd;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const VM: &str = "runbooks/001-brokerx-vm.rb42";

/// A real `redis-server` on 127.0.0.1, without persistence; stopped when dropped.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start() -> Redis {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (scripts/test.sh installs it)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "redis-server never listened on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Redis { child, port }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A veth pair, up, so that its first end reports a link speed (10000 Mb/s); deleted when
/// dropped.
struct Link {
    name: String,
}

impl Link {
    fn new() -> Link {
        let name = format!("rbv{}", std::process::id() % 100_000);
        let peer = format!("{name}p");
        let _ = Command::new("ip").args(["link", "del", &name]).output();
        for args in [
            vec!["link", "add", &name, "type", "veth", "peer", "name", &peer],
            vec!["link", "set", &name, "up"],
            vec!["link", "set", &peer, "up"],
        ] {
            let status = Command::new("ip").args(&args).status().expect("ip");
            assert!(status.success(), "ip {args:?}");
        }
        let link = Link { name };
        let speed = Path::new("/sys/class/net").join(&link.name).join("speed");
        let started = Instant::now();
        while std::fs::read_to_string(&speed).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "no link speed");
            std::thread::sleep(Duration::from_millis(50));
        }
        link
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.name])
            .output();
    }
}

#[test]
fn the_vm_requirements_are_guards_with_the_seed_minimums_by_default() {
    let vm = Vm::new();
    let redis = Redis::start();
    let link = Link::new();
    let database = postgres_env::server().database();
    let free = free_port().to_string();
    let requirements = |params: &[(&str, String)]| {
        let mut all = vec![
            ("redis_port", redis.port.to_string()),
            ("network_interface", link.name.clone()),
        ];
        all.extend(params.iter().cloned());
        vm.test()
            .env("DATABASE_URL", &database)
            .args(["run", &runbook_path(VM), "requirements"])
            .args(
                vm.params()
                    .iter()
                    .chain(&all)
                    .flat_map(|(n, v)| ["-p".to_string(), format!("{n}={v}")])
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str),
            )
            .run()
    };
    let lowered = [
        ("docker_min", "20.10".to_string()),
        ("compose_min", "1.29".to_string()),
        ("min_cpus", "1".to_string()),
        ("min_memory_gb", "1".to_string()),
        ("min_disk_gb", "1".to_string()),
        ("min_free_gb", "1".to_string()),
        ("ports", free.clone()),
    ];
    // PostgreSQL 14+, Redis 7+ and a 1 Gbps link are the seed's and this machine meets them.
    requirements(&lowered)
        .code(0)
        .stdout_has("Docker 20.10")
        .stdout_has(&format!("ports [\"{free}\"]: available"))
        .stdout_has("Redis 7.")
        .stdout_has(&format!("network: {}, 10000 Mb/s", link.name));

    // The seed's minimums (Docker 24, Compose 2.20) refuse this engine, the SSH port is taken,
    // and PostgreSQL, Redis and the link are below what this run asks.
    let taken = requirements(&[
        ("min_cpus", "1".to_string()),
        ("min_memory_gb", "1".to_string()),
        ("min_disk_gb", "1".to_string()),
        ("min_free_gb", "1".to_string()),
        ("ports", format!("{free},{}", vm.server.port())),
        ("postgres_min", "99".to_string()),
        ("redis_min", "99".to_string()),
        ("min_network_mbps", "100000".to_string()),
    ]);
    taken.code(1).stdout_lacks("Relevé de la VM");
    let failed = taken.lines_with(&["guard ✗"]);
    for guard in [
        "Docker Engine ≥",
        "Docker Compose ≥",
        "Ports exposés",
        "PostgreSQL ≥",
        "Redis ≥",
        "Réseau",
    ] {
        assert!(
            failed.iter().any(|l| l.contains(guard)),
            "{guard} should fail: {failed:?}\n{}",
            taken.stdout
        );
    }
    assert_eq!(failed.len(), 6, "{failed:?}");
}

#[test]
fn the_firewall_lets_only_http_and_https_through_and_https_is_verified() {
    let https = HttpsServer::start();
    let http = HttpServer::start();
    let http_port: u16 = http
        .url("")
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the HTTP server's port");
    let ca = https.dir.path().join(CA_FILE).display().to_string();
    let closed = [free_port(), free_port()];
    let network = |closed: &[u16], ca: &str| {
        let closed: Vec<String> = closed.iter().map(u16::to_string).collect();
        Test::new()
            .args(["run", &runbook_path(VM), "network"])
            .args(["-p", "ssh_host=127.0.0.1"])
            .args(["-p", &format!("http_port={}", http_port)])
            .args(["-p", &format!("https_port={}", https.port)])
            .args(["-p", &format!("closed_ports={}", closed.join(","))])
            .args(["-p", &format!("https_ca={ca}")])
            .run()
    };
    network(&closed, &ca)
        .code(0)
        .stdout_has(&format!("127.0.0.1:{}: closed", closed[0]))
        .stdout_has(&format!("127.0.0.1:{}: open", https.port))
        .stdout_has("certificate valid");
    // A port the firewall should close answers.
    network(&[closed[0], http_port], &ca)
        .code(1)
        .stdout_has(&format!("127.0.0.1:{}: REACHABLE", http_port))
        .stdout_has("the firewall must allow 80/443 only");
    // A certificate no trusted authority signed.
    network(&closed, "")
        .code(1)
        .stdout_has("https failed")
        .stdout_lacks("certificate valid");
}

#[test]
fn the_health_check_reports_database_redis_and_sidekiq() {
    let www = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(www.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let health = |sidekiq: bool| {
        std::fs::write(
            www.path().join("health"),
            format!(
                r#"{{"status": "OK", "timestamp": "2025-01-01T12:34:56Z", "checks": {{"database": true, "redis": true, "sidekiq": {sidekiq}}}}}"#
            ),
        )
        .expect("write health");
    };
    health(false);
    let vm = Vm::new();
    let port = vm.port;
    let mount = format!("{}:/www:ro", www.path().display());
    let publish = format!("127.0.0.1:{port}:8080");
    let _web = Container::start(
        WEB_HEALTHY,
        "brokerx-health",
        &["-p", &publish, "-v", &mount],
        &[],
    );
    assert!(http_env::page(port, "/health").contains("sidekiq"));
    // The check the seed types on the VM: `localhost` is the VM's, reached through it.
    vm.runbook(&["plan", &runbook_path(VM), "health"], &[])
        .code(0)
        .stdout_has(&format!("http@vm$ GET http://localhost:{port}/health"));
    let run = || vm.runbook(&["run", &runbook_path(VM), "health"], &[]);
    run()
        .code(1)
        .stdout_has("database: ok")
        .stdout_has("redis: ok")
        .stdout_has("sidekiq: FAILED (false)")
        .stdout_has("unhealthy: [\"sidekiq\"]");
    health(true);
    run()
        .code(0)
        .stdout_has("status: OK, timestamp: 2025-01-01T12:34:56Z")
        .stdout_has("sidekiq: ok");
}

/// `chown -R USER DIR`: git refuses a repository another user owns.
fn give(dir: &Path, user: &str) {
    let status = Command::new("chown")
        .args(["-R", user])
        .arg(dir)
        .status()
        .expect("chown");
    assert!(status.success());
}

/// Makes `/opt/brokerx` a checkout of a new bare "origin" at v1.0 (web:1), both owned by the
/// remote user; returns the origin's path.
fn checkout_at_v1(vm: &Vm) -> std::path::PathBuf {
    let origin = vm.opt.join("origin.git");
    std::fs::create_dir_all(&origin).expect("origin");
    git(&origin, &["init", "-q", "--bare", "-b", "main"]);
    let repo = &vm.app_dir;
    give(repo, "root");
    git(repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("docker-compose.yml"), compose_yaml("1", vm.port)).expect("v1");
    std::fs::write(repo.join(".gitignore"), ".env\n").expect(".gitignore");
    std::fs::write(repo.join(".env"), "SECRET_KEY_BASE=k\n").expect(".env");
    git(repo, &["add", "."]);
    git(repo, &["commit", "-qm", "v1.0"]);
    git(repo, &["tag", "v1.0"]);
    git(
        repo,
        &["remote", "add", "origin", &origin.display().to_string()],
    );
    git(repo, &["push", "-q", "-u", "origin", "main"]);
    give(repo, sshd::USER);
    give(&origin, sshd::USER);
    origin
}

/// Pushes a commit to `origin` whose Compose file runs `runbook-test/web:TAG`, from a clone.
fn push_release(vm: &Vm, origin: &Path, tag: &str, message: &str) {
    give(origin, "root");
    let clone = tempfile::tempdir().expect("temp dir");
    let work = clone.path().join("w");
    git(
        clone.path(),
        &["clone", "-q", &origin.display().to_string(), "w"],
    );
    std::fs::write(work.join("docker-compose.yml"), compose_yaml(tag, vm.port)).expect("compose");
    std::fs::write(work.join("RELEASE"), format!("{message}\n")).expect("RELEASE");
    git(&work, &["add", "."]);
    git(&work, &["commit", "-qm", message]);
    git(&work, &["push", "-q", "origin", "main"]);
    give(origin, sshd::USER);
}

fn compose_up(vm: &Vm) {
    let compose = docker_env::compose_command();
    let up = Command::new(&compose[0])
        .args(&compose[1..])
        .args(["-p", &vm.project.name, "-f"])
        .arg(vm.app_dir.join("docker-compose.yml"))
        .args(["up", "-d"])
        .output()
        .expect("compose up");
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
}

#[test]
fn git_pull_and_compose_up_deploy_a_commit_and_a_broken_one_is_rolled_back() {
    let vm = Vm::new();
    let origin = checkout_at_v1(&vm);
    compose_up(&vm);
    assert_eq!(served(vm.port), "web v1");
    let deploy = || {
        vm.runbook(
            &["run", &runbook_path(VM), "deploy-git"],
            &[("health_wait", "10s".into())],
        )
    };

    push_release(&vm, &origin, "1", "v1.1");
    deploy().code(0).stdout_has("pulled: ").stdout_has("v1.1");
    assert_eq!(git(&vm.app_dir, &["log", "-1", "--format=%s"]), "v1.1");
    assert_eq!(served(vm.port), "web v1");

    // web:2 has no /health: the deploy fails and v1.1 runs again.
    push_release(&vm, &origin, "2", "v2.0");
    deploy()
        .code(1)
        .stdout_has("health failed")
        .stdout_has("is running again");
    assert_eq!(git(&vm.app_dir, &["log", "-1", "--format=%s"]), "v1.1");
    assert_eq!(served(vm.port), "web v1");
}

#[test]
fn the_rollback_to_the_previous_tag_serves_that_release_again() {
    let vm = Vm::new();
    // /opt/brokerx is a git checkout with the tags v1.0 (web:1) and v2.0 (web:2), at v2.0.
    let repo = &vm.app_dir;
    git(repo, &["init", "-q"]);
    std::fs::write(repo.join("docker-compose.yml"), compose_yaml("1", vm.port)).expect("v1");
    std::fs::write(repo.join(".env"), "SECRET_KEY_BASE=k\n").expect(".env");
    git(repo, &["add", "."]);
    git(repo, &["commit", "-qm", "v1.0"]);
    git(repo, &["tag", "v1.0"]);
    std::fs::write(repo.join("docker-compose.yml"), compose_yaml("2", vm.port)).expect("v2");
    git(repo, &["commit", "-qam", "v2.0"]);
    git(repo, &["tag", "v2.0"]);
    give(repo, sshd::USER);
    compose_up(&vm);
    assert_eq!(served(vm.port), "web v2");

    let run = |extra: &[&str]| {
        let mut args = vec!["run".to_string(), runbook_path(VM), "rollback-tag".into()];
        args.extend(extra.iter().map(ToString::to_string));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        vm.runbook(&args, &[("health_wait", "30s".into())])
    };
    run(&[])
        .code(3)
        .stdout_has("going back to v1.0")
        .stdout_has("declined");
    assert_eq!(git(repo, &["describe", "--tags"]), "v2.0");

    run(&["--yes"])
        .code(0)
        .stdout_has("v1.0 is running and healthy");
    assert_eq!(git(repo, &["describe", "--tags"]), "v1.0");
    assert_eq!(served(vm.port), "web v1");
}

#[test]
fn every_procedure_checks_clean_and_plans() {
    Test::new()
        .args(["check", "--deny-warnings", &runbook_path(VM)])
        .run()
        .code(0)
        .stderr_has("0 errors, 0 warnings");
    let ids = [
        "requirements",
        "network",
        "health",
        "backup",
        "deploy-git",
        "rollback-tag",
    ];
    assert_eq!(procedures(VM), ids);
    for procedure in ids {
        Test::new()
            .env("SSH_KEY", "/home/deploy/.ssh/id_ed25519")
            .env(
                "DATABASE_URL",
                "postgres://user:pass@localhost:5432/brokerx",
            )
            .args(["plan", &runbook_path(VM), procedure])
            .args(["-p", "ssh_host=203.0.113.10", "-p", "previous_tag=v1.4.2"])
            .run()
            .code(0)
            .stdout_has(&format!("› {procedure}"));
    }
}

#[test]
fn seed_001_daily_backup_keeps_timestamped_verified_dumps_and_prunes_the_oldest() {
    let vm = Vm::new();
    let url = shop_database();
    let backups = vm.opt.join("backups");
    let run = || {
        let mut args = vec!["run".to_string(), runbook_path(VM), "backup".into()];
        for (name, value) in vm.params().iter().cloned().chain([
            ("db_service", String::new()),
            ("backups_dir", backups.display().to_string()),
            ("backup_keep", "2".to_string()),
        ]) {
            args.push("-p".into());
            args.push(format!("{name}={value}"));
        }
        vm.test()
            .env("DATABASE_URL", &url)
            .args(args.iter().map(String::as_str))
            .run()
    };
    let dumps = || {
        let mut names: Vec<String> = std::fs::read_dir(&backups)
            .expect("the backups directory")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    for _ in 0..3 {
        run()
            .code(0)
            .stdout_has("PostgreSQL custom-format dump (pg_dump -Fc)")
            .stdout_has("1 SHA-256 match ")
            .stdout_has("pg_restore --list reads ");
    }
    let kept = dumps();
    assert_eq!(kept.len(), 4, "two dumps and their manifests: {kept:?}");
    for name in kept.iter().filter(|n| !n.ends_with(".manifest.json")) {
        let stamp = name
            .strip_prefix("brokerx_")
            .and_then(|n| n.get(..15))
            .unwrap_or_else(|| panic!("{name}"));
        assert!(
            stamp.len() == 15 && stamp.as_bytes()[8] == b'_',
            "timestamped: {name}"
        );
        assert!(kept.contains(&format!("{name}.manifest.json")), "{kept:?}");
        let listed = Command::new("pg_restore")
            .arg("--list")
            .arg(backups.join(name))
            .output()
            .expect("pg_restore");
        assert!(listed.status.success(), "{name} is a readable dump");
    }

    // The doc page shows the schedule: every day at 2 AM.
    let page = Test::new().args(["doc", &runbook_path(VM)]).run();
    page.code(0).stdout_has("0 2 * * * runbook run ");
}
