//! Machines the runner cannot reach except through SSH, for the tunnel tests: each [`Namespace`]
//! is a network namespace (`ip netns`) with its own loopback, joined to the test process by a
//! veth pair (10.213.N.1 here, 10.213.N.2 inside) on which only its sshd listens. Its servers
//! listen on the namespace's own 127.0.0.1:
//!
//! | server                          | port              | answers                               |
//! |---------------------------------|-------------------|---------------------------------------|
//! | `busybox httpd`                 | [`Namespace::http_port`]  | `/health`: "healthy on NAME"; `/cgi-bin/redirect`: 302 to `/health`; `/cgi-bin/elsewhere`: 302 to the HTTPS server; `/cgi-bin/slow`: after 30 s; `/cgi-bin/ws`: a WebSocket 101 |
//! | `openssl s_server -www`         | [`Namespace::https_port`] | 200, a certificate for `localhost` made with a plain `openssl req -x509` ([`Namespace::certificate`]) |
//! | PostgreSQL ([`Namespace::with_postgres`]) | 5432      | the superuser's password, TLS for `localhost` |
//!
//! The HTTP and HTTPS ports are the same in every namespace, ports free on this machine: a
//! request from here to `localhost:PORT` finds nothing, one from a namespace finds its server.
//!
//! Names are `rbt-PID-N`, unique to the test process. Dropping a namespace stops its servers
//! and deletes it (its veth pair goes with it); namespaces a killed test process left behind
//! are deleted by the next one. The tests run as root (`ip netns`), with `ip` (iproute2),
//! `busybox` and `openssl`, which `scripts/test.sh` installs.

use crate::certificates::{self, SERVER_CERT};
use crate::harness::free_port;
use crate::postgres_env::Postgres;
use crate::sshd::Sshd;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Once, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// Every namespace's name starts with this.
const PREFIX: &str = "rbt-";
/// How long a server may take to listen before the test fails.
const READY_WITHIN: Duration = Duration::from_secs(20);

/// `/cgi-bin/*`: small CGI scripts `busybox httpd` runs, by name, for a web root and the
/// HTTPS port; a script's output that starts with `HTTP/` is the whole response.
fn scripts(root: &Path, https_port: u16) -> [(&'static str, String); 4] {
    let raw = |response: &str| format!("#!/bin/sh\nprintf '{response}'\n");
    [
        (
            "redirect",
            raw(
                "HTTP/1.1 302 Found\\r\\nLocation: /health\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n",
            ),
        ),
        // To another authority: the HTTPS server of the same namespace.
        (
            "elsewhere",
            raw(&format!(
                "HTTP/1.1 302 Found\\r\\nLocation: https://localhost:{https_port}/\\r\\n\
                 Content-Length: 0\\r\\nConnection: close\\r\\n\\r\\n"
            )),
        ),
        // Says it started (`slow-started` in the web root), then answers after 30 s.
        (
            "slow",
            format!(
                "#!/bin/sh\ntouch {}\nsleep 30\nprintf 'Content-Type: text/plain\\r\\n\\r\\nslow\\n'\n",
                root.join("slow-started").display()
            ),
        ),
        // The fixed accept value of the fixed key runbook sends (RFC 6455, section 1.3).
        (
            "ws",
            raw(
                "HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\n\
                 Connection: Upgrade\\r\\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\\r\\n\\r\\n",
            ),
        ),
    ]
}

/// The HTTP and HTTPS ports of every namespace of the test process (each namespace has its
/// own loopback): free on this machine when first asked.
fn ports() -> (u16, u16) {
    static PORTS: OnceLock<(u16, u16)> = OnceLock::new();
    *PORTS.get_or_init(|| (free_port(), free_port()))
}

/// A network namespace with an sshd, HTTP and HTTPS servers, and maybe PostgreSQL.
pub struct Namespace {
    pub name: String,
    /// The sshd's address, inside the namespace, reached through the veth pair.
    pub address: String,
    pub http_port: u16,
    pub https_port: u16,
    // Field order is drop order: the database stops in order before the rest is killed.
    postgres: Option<Postgres>,
    pub sshd: Sshd,
    servers: Vec<Child>,
    /// The web root and the HTTPS server's certificate.
    dir: tempfile::TempDir,
}

impl Namespace {
    /// A fresh namespace with its sshd and web servers, listening.
    pub fn new() -> Namespace {
        Namespace::with_sshd_config("")
    }

    /// The same, its sshd refusing every forward (`AllowTcpForwarding no`).
    pub fn refusing_forwards() -> Namespace {
        Namespace::with_sshd_config("AllowTcpForwarding no\nAllowStreamLocalForwarding no")
    }

    fn with_sshd_config(extra: &str) -> Namespace {
        remove_stale_namespaces();
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        // Subnets differ between test processes too (10.213.1–250.0/24).
        let subnet = (std::process::id() % 20 * 12 + n) % 250 + 1;
        let name = format!("{PREFIX}{}-{n}", std::process::id());
        let outside = format!("rbt{}o{n}", std::process::id() % 100_000);
        let inside = format!("rbt{}i{n}", std::process::id() % 100_000);
        ip(&["netns", "add", &name]);
        ip(&["-n", &name, "link", "set", "lo", "up"]);
        ip(&[
            "link", "add", &outside, "type", "veth", "peer", "name", &inside, "netns", &name,
        ]);
        ip(&[
            "addr",
            "add",
            &format!("10.213.{subnet}.1/24"),
            "dev",
            &outside,
        ]);
        ip(&["link", "set", &outside, "up"]);
        let address = format!("10.213.{subnet}.2");
        ip(&[
            "-n",
            &name,
            "addr",
            "add",
            &format!("{address}/24"),
            "dev",
            &inside,
        ]);
        ip(&["-n", &name, "link", "set", &inside, "up"]);

        let dir = tempfile::Builder::new()
            .prefix("runbook-netns-")
            .tempdir()
            .expect("temp dir for a namespace");
        let sshd = Sshd::start_in(&name, &address, extra);
        let mut namespace = Namespace {
            name,
            address,
            http_port: ports().0,
            https_port: ports().1,
            postgres: None,
            sshd,
            servers: Vec::new(),
            dir,
        };
        namespace.start_http();
        namespace.start_https();
        namespace
    }

    /// The same, with a PostgreSQL on the namespace's port 5432.
    pub fn with_postgres() -> Namespace {
        let mut namespace = Namespace::new();
        let postgres = Postgres::start_in(&namespace.name).unwrap_or_else(|e| panic!("{e}"));
        namespace.postgres = Some(postgres);
        namespace
    }

    /// The namespace's database server.
    pub fn postgres(&self) -> &Postgres {
        self.postgres.as_ref().expect("made with_postgres")
    }

    /// The file `/cgi-bin/slow` makes when it starts answering.
    pub fn slow_marker(&self) -> PathBuf {
        self.dir.path().join("www/slow-started")
    }

    /// The HTTPS server's own certificate, what a client pins with `ca:`.
    pub fn certificate(&self) -> PathBuf {
        self.dir.path().join(SERVER_CERT)
    }

    /// `host NAME "runbook-test@ADDRESS" { identity "KEY" }`.
    pub fn host_line(&self, host: &str) -> String {
        format!(
            "  host {host} \"{}@{}\" {{ identity \"{}\" }}\n",
            crate::sshd::USER,
            self.address,
            crate::sshd::client_key().display()
        )
    }

    fn start_http(&mut self) {
        let root = self.dir.path().join("www");
        let cgi = root.join("cgi-bin");
        fs::create_dir_all(&cgi).expect("web root");
        fs::write(root.join("health"), format!("healthy on {}\n", self.name)).expect("health");
        for (name, script) in scripts(&root, self.https_port) {
            let path = cgi.join(name);
            fs::write(&path, script).expect("cgi script");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let listen = format!("127.0.0.1:{}", self.http_port);
        let child = self
            .inside("busybox")
            .args(["httpd", "-f", "-p", &listen, "-h"])
            .arg(&root)
            .spawn()
            .expect("busybox httpd");
        self.servers.push(child);
        self.wait_for(self.http_port);
    }

    fn start_https(&mut self) {
        certificates::make_self_signed(self.dir.path(), "DNS:localhost")
            .unwrap_or_else(|e| panic!("{e}"));
        let child = self
            .inside("openssl")
            .args(certificates::s_server_args(&format!(
                "127.0.0.1:{}",
                self.https_port
            )))
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .spawn()
            .expect("openssl s_server");
        self.servers.push(child);
        self.wait_for(self.https_port);
    }

    /// `program` run inside the namespace, its output discarded.
    fn inside(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.name, program])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// Waits until something listens on the namespace's `127.0.0.1:port`.
    fn wait_for(&self, port: u16) {
        let started = Instant::now();
        loop {
            let probe = format!(": >/dev/tcp/127.0.0.1/{port}");
            let listening = self
                .inside("bash")
                .args(["-c", &probe])
                .status()
                .is_ok_and(|s| s.success());
            if listening {
                return;
            }
            assert!(
                started.elapsed() < READY_WITHIN,
                "nothing listened on {port} in {} within {READY_WITHIN:?}",
                self.name
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        drop(self.postgres.take());
        for child in &mut self.servers {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.sshd.kill();
        kill_processes(&self.name);
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// Runs `ip ARGS`, panicking with its words when it fails.
fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run ip ({e}): run scripts/test.sh as root"));
    assert!(
        out.status.success(),
        "ip {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// SIGKILLs every process inside the namespace `name`.
fn kill_processes(name: &str) {
    let Ok(out) = Command::new("ip").args(["netns", "pids", name]).output() else {
        return;
    };
    for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
        let _ = Command::new("kill").args(["-KILL", pid]).status();
    }
}

/// Deletes the namespaces of test processes that are gone (killed before dropping them).
fn remove_stale_namespaces() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
            return;
        };
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Some(name) = line.split_whitespace().next() else {
                continue;
            };
            let Some(pid) = name
                .strip_prefix(PREFIX)
                .and_then(|rest| rest.split('-').next())
            else {
                continue;
            };
            if !Path::new("/proc").join(pid).exists() {
                kill_processes(name);
                let _ = Command::new("ip").args(["netns", "del", name]).status();
            }
        }
    });
}
