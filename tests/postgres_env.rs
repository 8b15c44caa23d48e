//! Real PostgreSQL servers on loopback for the SQL tests: one throwaway cluster per test process
//! ([`server`]), started on first use, and clusters that start late ([`start_late`]) for the
//! tests that wait for a database to come up.
//!
//! Every cluster lives in its own temp dir `runbook-pg-*` (data, Unix socket, log) and listens
//! on a free port of 127.0.0.1. Host connections need a password (SCRAM): the superuser
//! [`SUPERUSER`] has the password [`SUPERUSER_PASSWORD`], and every URL carries it.
//!
//! Statics are never dropped, so no destructor can stop the process's server. Instead postgres
//! runs under a small shell wrapper ([`WRAPPER`]) whose stdin is a pipe held by the test
//! process: however the test process ends, the kernel closes the pipe, and the wrapper stops
//! postgres (fast shutdown) and removes the cluster's directory. A cluster whose wrapper was
//! killed as well is removed by the next test process ([`remove_stale_clusters`]).
//!
//! Every cluster also accepts TLS (`ssl=on`), with a server certificate for `127.0.0.1` and
//! `localhost` signed by a throwaway CA made with `openssl` ([`Postgres::ca`]): clients that do
//! not ask for TLS connect in clear, as before.
//!
//! The machine needs the PostgreSQL server binaries (Debian `postgresql`), `psql` and
//! `pg_isready`, and, when the tests run as root, the OS user [`OS_USER`] (initdb refuses to
//! run as root): `scripts/test.sh` sets them up.

use crate::certificates::{self, CA_FILE, SERVER_CERT, SERVER_KEY};
use crate::harness::free_port;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Once, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, User, geteuid};

/// The cluster's superuser.
pub const SUPERUSER: &str = "postgres";
/// The superuser's password, checked on every host connection.
pub const SUPERUSER_PASSWORD: &str = "postgres";

/// The OS user that runs the clusters when the tests run as root.
const OS_USER: &str = "postgres";
/// The name of every cluster directory in the temp dir starts with this.
const DIR_PREFIX: &str = "runbook-pg-";
/// "PID STARTTIME" of the test process that made a cluster, in the cluster's directory.
const OWNER_FILE: &str = "owner";
/// How long a server may take to accept connections before the test fails.
const READY_WITHIN: Duration = Duration::from_secs(30);
/// How long a stopping server may take before the test process stops waiting for it.
const STOP_WITHIN: Duration = Duration::from_secs(30);
/// A free port can be taken by someone else before postgres binds it: try again with another.
const BIND_ATTEMPTS: usize = 3;
/// A cluster directory without owner file this old was left by a process killed while making
/// it (a live one writes the file right after creating the directory).
const ORPHAN_AFTER: Duration = Duration::from_secs(10 * 60);
/// What to do when the machine lacks something.
const FIX: &str = "run scripts/test.sh (as root) to set the machine up for the SQL tests";

/// `sh -c WRAPPER sh DIR POSTGRES ARGS…`: runs `POSTGRES ARGS…` with its log in `DIR`, and
/// exits when postgres exits. A watcher reads stdin until end of file (the test process closed
/// it or exited), then stops postgres with SIGINT (fast shutdown) and removes `DIR`.
///
/// An asynchronous list's stdin is `/dev/null`, so the pipe reaches the watcher as fd 3.
const WRAPPER: &str = r#"dir=$1; shift
exec 3<&0
"$@" </dev/null 3<&- >>"$dir/postgres.log" 2>&1 &
pg=$!
{
  cat <&3 >/dev/null
  kill -INT "$pg" 2>/dev/null
  # Bounded: an orphaned postgres may stay a zombie where nothing reaps it.
  n=0
  while kill -0 "$pg" 2>/dev/null && [ "$n" -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
  rm -rf "$dir"
} &
exec 3<&-
wait "$pg"
"#;

/// The PostgreSQL server of this test process: started on first use, stopped when the process
/// exits. Panics with the reason (and what to do) when it cannot start, in every test that asks.
pub fn server() -> &'static Postgres {
    static SERVER: OnceLock<Result<Postgres, String>> = OnceLock::new();
    match SERVER.get_or_init(Postgres::start) {
        Ok(server) => server,
        Err(message) => panic!("{message}"),
    }
}

/// A running cluster on 127.0.0.1; see [`server`].
pub struct Postgres {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    /// Keeps the server running: the process's server is a static, never dropped.
    cluster: Cluster,
}

impl Postgres {
    fn start() -> Result<Postgres, String> {
        for _ in 0..BIND_ATTEMPTS {
            let port = free_port();
            let mut cluster = Cluster::launch(ClusterDir::create()?, port, None)?;
            match cluster.wait_until_ready()? {
                Startup::Ready => {
                    return Ok(Postgres { port, cluster });
                }
                Startup::PortTaken => drop(cluster),
            }
        }
        Err(format!(
            "postgres found no free port in {BIND_ATTEMPTS} attempts"
        ))
    }

    /// A cluster inside the network namespace `netns`, on its loopback's port 5432 (free in a
    /// namespace of its own). Dropping it stops the server.
    pub fn start_in(netns: &str) -> Result<Postgres, String> {
        let port = 5432;
        let dir = ClusterDir::create()?;
        // The SSH user reaches the server's Unix socket in it.
        fs::set_permissions(
            &dir.path,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .map_err(|e| format!("chmod {}: {e}", dir.path.display()))?;
        let mut cluster = Cluster::launch(dir, port, Some(netns))?;
        match cluster.wait_until_ready()? {
            Startup::Ready => Ok(Postgres { port, cluster }),
            Startup::PortTaken => Err(format!("port {port} is taken in {netns}")),
        }
    }

    /// The directory of the server's Unix socket (`.s.PGSQL.PORT`).
    pub fn socket_dir(&self) -> &Path {
        &self.cluster.dir
    }

    /// The PEM file of the CA that signed the server's TLS certificate (for `sslrootcert`).
    pub fn ca(&self) -> PathBuf {
        self.cluster.dir.join(CA_FILE)
    }

    /// A fresh, empty database (`CREATE DATABASE` with a name unique to this process) and its
    /// URL `postgres://postgres:postgres@127.0.0.1:PORT/NAME`.
    pub fn database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("test_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        self.psql(
            &url(self.port, "postgres"),
            &format!("CREATE DATABASE {}", quote_identifier(&name)),
        );
        url(self.port, &name)
    }

    /// A login role `name` with the password `password` (created, or its password reset when
    /// another test made it: roles belong to the whole cluster, so tests should pick their own
    /// names), and its URL `postgres://NAME:PASSWORD@127.0.0.1:PORT/postgres`, name and
    /// password percent-encoded. Connections with another password fail.
    pub fn role_with_password(&self, name: &str, password: &str) -> String {
        let role = quote_identifier(name);
        let password_literal = quote_literal(password);
        self.psql(
            &url(self.port, "postgres"),
            &format!(
                "DO $role$ BEGIN
                   IF EXISTS (SELECT FROM pg_roles WHERE rolname = {name_literal}) THEN
                     ALTER ROLE {role} LOGIN PASSWORD {password_literal};
                   ELSE
                     CREATE ROLE {role} LOGIN PASSWORD {password_literal};
                   END IF;
                 END $role$",
                name_literal = quote_literal(name),
            ),
        );
        format!(
            "postgres://{}:{}@127.0.0.1:{}/postgres",
            percent_encode(name),
            percent_encode(password),
            self.port
        )
    }

    /// Runs `sql` through `psql` against the database `url` and returns its stdout, in
    /// unaligned, tuples-only form (`-At`): one line per row, columns separated by `|`.
    /// Panics with psql's stderr when it fails.
    pub fn psql(&self, url: &str, sql: &str) -> String {
        let out = psql(url, sql);
        assert!(
            out.status.success(),
            "psql failed ({}) against {url} running:\n{sql}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Starts a new cluster only `delay` from now, on a background thread: for the tests that wait
/// until a database is ready. The port is chosen at once; the server accepts connections
/// shortly after `delay` (its start-up takes a moment). Dropping the handle stops the server,
/// or cancels it when it has not started yet.
pub fn start_late(delay: Duration) -> LateServer {
    let start_at = Instant::now() + delay;
    let port = free_port();
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = thread::spawn(move || {
        // The cluster is made during the delay, so that the server starts on time.
        let dir = ClusterDir::create().unwrap_or_else(|message| panic!("{message}"));
        let wait = start_at.saturating_duration_since(Instant::now());
        if stopped.recv_timeout(wait) != Err(RecvTimeoutError::Timeout) {
            // Dropped before its start: `dir` goes away unused.
            return;
        }
        let mut cluster =
            Cluster::launch(dir, port, None).unwrap_or_else(|message| panic!("{message}"));
        match cluster.wait_until_ready() {
            Ok(Startup::Ready) => {}
            Ok(Startup::PortTaken) => panic!(
                "the late postgres lost its port {port} to someone else; its log:\n{}",
                cluster.log()
            ),
            Err(message) => panic!("{message}"),
        }
        // Until the handle is dropped.
        let _ = stopped.recv();
    });
    LateServer {
        port,
        stop: Some(stop),
        thread: Some(thread),
    }
}

/// A cluster that starts late; see [`start_late`].
pub struct LateServer {
    /// The port it will listen on, on 127.0.0.1.
    pub port: u16,
    /// Dropping it tells the background thread to stop the server.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl LateServer {
    /// `postgres://postgres:postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        url(self.port, "postgres")
    }

    /// Whether the server accepts connections now (`pg_isready`).
    pub fn is_ready(&self) -> bool {
        accepting(self.port, None)
    }
}

impl Drop for LateServer {
    fn drop(&mut self) {
        drop(self.stop.take());
        let Some(thread) = self.thread.take() else {
            return;
        };
        if thread.join().is_err() && !thread::panicking() {
            panic!("the late postgres failed to start: see the panic above");
        }
    }
}

/// A cluster's directory, made and initialised (`initdb`), owned by the OS user that runs the
/// server: `data/` holds the cluster, the directory itself the socket and `postgres.log`.
/// Dropping it removes it, unless it was handed over to a server.
struct ClusterDir {
    path: PathBuf,
}

impl ClusterDir {
    fn create() -> Result<ClusterDir, String> {
        let tools = tools()?;
        let owner = server_user()?;
        remove_stale_clusters();
        let path = tempfile::Builder::new()
            .prefix(DIR_PREFIX)
            .tempdir()
            .map_err(|e| format!("temp dir for a postgres cluster: {e}"))?
            .keep();
        let dir = ClusterDir { path };
        fs::write(
            dir.path.join(OWNER_FILE),
            process_identity(std::process::id()),
        )
        .map_err(|e| format!("write the owner of {}: {e}", dir.path.display()))?;
        let password_file = dir.path.join("password");
        fs::write(&password_file, SUPERUSER_PASSWORD)
            .map_err(|e| format!("write {}: {e}", password_file.display()))?;
        if let Some(user) = &owner {
            for path in [&dir.path, &password_file] {
                std::os::unix::fs::chown(path, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
                    .map_err(|e| format!("chown {} to {OS_USER}: {e}", path.display()))?;
            }
        }
        let out = dir
            .command(&owner, &tools.initdb)
            .arg("-D")
            .arg(dir.path.join("data"))
            .args([
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .arg(format!("--pwfile={}", password_file.display()))
            // Independent of the machine's locale, and no fsync: the cluster is thrown away.
            .args(["-E", "UTF8", "--no-locale", "--no-sync"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {} ({e}): {FIX}", tools.initdb.display()))?;
        let _ = fs::remove_file(&password_file);
        if !out.status.success() {
            return Err(format!(
                "initdb failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        dir.make_certificates(&owner)?;
        Ok(dir)
    }

    /// The server's TLS certificate and key ([`certificates::make`]); the key belongs to the
    /// server's OS user, as postgres demands.
    fn make_certificates(&self, owner: &Option<User>) -> Result<(), String> {
        certificates::make(&self.path).map_err(|e| format!("{e}: {FIX}"))?;
        if let Some(user) = owner {
            for name in [SERVER_KEY, SERVER_CERT] {
                let path = self.path.join(name);
                std::os::unix::fs::chown(&path, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
                    .map_err(|e| format!("chown {} to {OS_USER}: {e}", path.display()))?;
            }
        }
        Ok(())
    }

    /// `program`, run as `owner` (when the tests run as root) inside the directory.
    fn command(&self, owner: &Option<User>, program: &Path) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.path).env("LC_ALL", "C");
        if let Some(user) = owner {
            command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
        }
        command
    }

    /// Hands the directory over to a running server's wrapper, which removes it.
    fn hand_over(mut self) -> PathBuf {
        std::mem::take(&mut self.path)
    }
}

impl Drop for ClusterDir {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// A postgres running under the [`WRAPPER`]. Dropping it stops the server, which removes the
/// directory.
struct Cluster {
    port: u16,
    /// The network namespace it runs in, if not the test process's.
    netns: Option<String>,
    dir: PathBuf,
    wrapper: Child,
    /// The wrapper's stdin: closing it stops the server. `None` once stopped.
    pipe: Option<ChildStdin>,
}

/// Whether a server came up or lost its port to someone else.
enum Startup {
    Ready,
    PortTaken,
}

impl Cluster {
    fn launch(dir: ClusterDir, port: u16, netns: Option<&str>) -> Result<Cluster, String> {
        let tools = tools()?;
        let owner = server_user()?;
        let mut command = match netns {
            // Entering a namespace needs root: `ip` enters it, `setpriv` then becomes the owner.
            Some(netns) => {
                let mut command = Command::new("ip");
                command
                    .args(["netns", "exec", netns])
                    .current_dir(&dir.path)
                    .env("LC_ALL", "C");
                if let Some(user) = &owner {
                    command.args([
                        "setpriv",
                        &format!("--reuid={}", user.uid),
                        &format!("--regid={}", user.gid),
                        "--clear-groups",
                    ]);
                }
                command.arg("sh");
                command
            }
            None => dir.command(&owner, Path::new("sh")),
        };
        command
            .args(["-c", WRAPPER, "sh"])
            .arg(&dir.path)
            .arg(&tools.postgres)
            .arg("-D")
            .arg(dir.path.join("data"))
            .args(["-p", &port.to_string(), "-k"])
            .arg(&dir.path)
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "ssl=on"])
            .arg("-c")
            .arg(format!(
                "ssl_cert_file={}",
                dir.path.join(SERVER_CERT).display()
            ))
            .arg("-c")
            .arg(format!(
                "ssl_key_file={}",
                dir.path.join(SERVER_KEY).display()
            ))
            // A throwaway cluster needs no durability, and many may run at once.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "shared_buffers=32MB"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Out of the terminal's process group: Ctrl-C stops the test process, whose exit
            // closes the pipe, and the wrapper then stops postgres in order.
            .process_group(0);
        let mut wrapper = command
            .spawn()
            .map_err(|e| format!("cannot start postgres through sh: {e}"))?;
        let pipe = wrapper.stdin.take();
        Ok(Cluster {
            port,
            netns: netns.map(str::to_string),
            dir: dir.hand_over(),
            wrapper,
            pipe,
        })
    }

    /// Waits until the server accepts connections: `pg_isready`, and the log's "ready to accept
    /// connections", which tells our server from another one that owns the port.
    fn wait_until_ready(&mut self) -> Result<Startup, String> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if accepting(self.port, self.netns.as_deref())
                && self.log().contains("ready to accept connections")
            {
                return Ok(Startup::Ready);
            }
            if let Some(status) = self.wrapper.try_wait().expect("poll the postgres wrapper") {
                let log = self.log();
                if log.contains("Address already in use") {
                    return Ok(Startup::PortTaken);
                }
                return Err(format!(
                    "postgres exited ({status}) before accepting connections; its log:\n{log}"
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "postgres did not accept connections on port {} within {READY_WITHIN:?}; \
                     its log:\n{}",
                    self.port,
                    self.log()
                ));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The server's log so far (for failure messages).
    fn log(&self) -> String {
        fs::read(self.dir.join("postgres.log"))
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.pipe.take().is_none() {
            return;
        }
        // The wrapper exits when postgres has shut down; the watcher then removes the directory.
        let deadline = Instant::now() + STOP_WITHIN;
        while matches!(self.wrapper.try_wait(), Ok(None)) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The programs the clusters need.
struct Tools {
    initdb: PathBuf,
    postgres: PathBuf,
    pg_isready: PathBuf,
    psql: PathBuf,
}

/// Finds the server binaries: in `/usr/lib/postgresql/<highest version>/bin`, else in
/// `/usr/local/bin`, else beside the `initdb` on PATH. The client tools come from the same
/// directory when it has them, else from PATH.
fn tools() -> Result<&'static Tools, String> {
    static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();
    TOOLS
        .get_or_init(|| {
            let has_server =
                |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
            let versioned = fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path().join("bin"))
                .filter(|bin| has_server(bin))
                .max_by_key(|bin| version(bin));
            let bin = versioned
                .or_else(|| Some(PathBuf::from("/usr/local/bin")).filter(|bin| has_server(bin)))
                .or_else(|| {
                    find_in_path("initdb").and_then(|initdb| Some(initdb.parent()?.to_path_buf()))
                })
                .filter(|bin| has_server(bin))
                .ok_or_else(|| format!("no PostgreSQL server (initdb, postgres) found: {FIX}"))?;
            let tool = |name: &str| {
                Some(bin.join(name))
                    .filter(|path| path.is_file())
                    .or_else(|| find_in_path(name))
                    .ok_or_else(|| format!("{name} is missing: {FIX}"))
            };
            Ok(Tools {
                initdb: tool("initdb")?,
                postgres: tool("postgres")?,
                pg_isready: tool("pg_isready")?,
                psql: tool("psql")?,
            })
        })
        .as_ref()
        .map_err(String::clone)
}

/// `[15]` for `/usr/lib/postgresql/15/bin`, `[9, 6]` for `…/9.6/bin`.
fn version(bin: &Path) -> Vec<u32> {
    bin.parent()
        .and_then(Path::file_name)
        .and_then(|name| name.to_str())
        .map(|name| {
            name.split('.')
                .filter_map(|part| part.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// The OS user the servers run as: [`OS_USER`] when the tests run as root, else the tests' own
/// user (`None`).
fn server_user() -> Result<Option<User>, String> {
    if !geteuid().is_root() {
        return Ok(None);
    }
    match User::from_name(OS_USER) {
        Ok(Some(user)) => Ok(Some(user)),
        _ => Err(format!(
            "the user {OS_USER} is missing (initdb refuses to run as root): {FIX}"
        )),
    }
}

/// `postgres://postgres:postgres@127.0.0.1:PORT/DATABASE`.
fn url(port: u16, database: &str) -> String {
    format!("postgres://{SUPERUSER}:{SUPERUSER_PASSWORD}@127.0.0.1:{port}/{database}")
}

/// Whether a server accepts connections on the port (`pg_isready`, which needs no password),
/// in the network namespace `netns` if given.
fn accepting(port: u16, netns: Option<&str>) -> bool {
    let Ok(tools) = tools() else {
        return false;
    };
    let mut command = match netns {
        Some(netns) => {
            let mut command = Command::new("ip");
            command
                .args(["netns", "exec", netns])
                .arg(&tools.pg_isready);
            command
        }
        None => Command::new(&tools.pg_isready),
    };
    command
        .args(["-q", "-h", "127.0.0.1", "-t", "2", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// `psql` running `sql` against `url`, never prompting and stopping at the first error.
fn psql(url: &str, sql: &str) -> Output {
    let tools = tools().unwrap_or_else(|message| panic!("{message}"));
    let mut command = Command::new(&tools.psql);
    command
        .args([
            "-X",
            "-w",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .env("PGCONNECT_TIMEOUT", "10")
        .stdin(Stdio::null());
    // The URL says everything; the environment must not add to it.
    for name in [
        "PGPASSWORD",
        "PGPASSFILE",
        "PGSERVICE",
        "PGOPTIONS",
        "PGSSLMODE",
    ] {
        command.env_remove(name);
    }
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} ({e}): {FIX}", tools.psql.display()))
}

/// Removes the clusters in the temp dir whose test process is gone (its wrapper was killed
/// with it, or the machine stopped), stopping their postmaster first. Once per process.
fn remove_stale_clusters() {
    static SWEPT: Once = Once::new();
    SWEPT.call_once(|| {
        let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let dir = entry.path();
            let ours = entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.starts_with(DIR_PREFIX));
            if ours && dir.is_dir() && is_stale(&dir) {
                stop_postmaster(&dir);
                let _ = fs::remove_dir_all(&dir);
            }
        }
    });
}

fn is_stale(dir: &Path) -> bool {
    match fs::read_to_string(dir.join(OWNER_FILE)) {
        Ok(owner) => {
            let pid = owner
                .split_whitespace()
                .next()
                .and_then(|pid| pid.parse().ok());
            pid.is_none_or(|pid| process_identity(pid) != owner)
        }
        Err(_) => fs::metadata(dir)
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age > ORPHAN_AFTER)),
    }
}

/// Stops the postmaster of a stale cluster, if it still runs: SIGINT (fast shutdown), then
/// SIGKILL after a while.
fn stop_postmaster(dir: &Path) {
    let Some(pid) = fs::read_to_string(dir.join("data/postmaster.pid"))
        .ok()
        .and_then(|text| text.lines().next()?.trim().parse::<i32>().ok())
    else {
        return;
    };
    // Only a postgres started on this directory: the pid may belong to someone else by now.
    let runs_here = || {
        fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
            let cmdline = String::from_utf8_lossy(&cmdline);
            cmdline.contains("postgres") && cmdline.contains(&*dir.to_string_lossy())
        }) && !is_zombie(pid)
    };
    if !runs_here() {
        return;
    }
    let pid = Pid::from_raw(pid);
    let _ = kill(pid, Signal::SIGINT);
    let deadline = Instant::now() + Duration::from_secs(10);
    while runs_here() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
    if runs_here() {
        let _ = kill(pid, Signal::SIGKILL);
    }
}

/// "PID STARTTIME" of a process (from `/proc/PID/stat`), which tells it from a later process
/// with the same pid; just "PID" when it is gone.
fn process_identity(pid: u32) -> String {
    match stat_field(pid, 22) {
        Some(start) => format!("{pid} {start}"),
        None => pid.to_string(),
    }
}

fn is_zombie(pid: i32) -> bool {
    u32::try_from(pid).is_ok_and(|pid| stat_field(pid, 3).as_deref() == Some("Z"))
}

/// Field `n` (1-based, as in proc(5)) of `/proc/PID/stat`, for fields after the command.
fn stat_field(pid: u32, n: usize) -> Option<String> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state …": comm may hold spaces and parentheses.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    rest.split_whitespace()
        .nth(n.checked_sub(3)?)
        .map(str::to_string)
}

/// `"name"`, quotes doubled: an SQL identifier.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'`, quotes doubled: an SQL string literal.
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for a URL's user info.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[test]
fn the_server_answers_queries() {
    let postgres = server();

    let out = postgres.psql(&postgres.database(), "select 1");

    assert_eq!(out, "1\n");
}

#[test]
fn every_database_is_a_new_one() {
    let postgres = server();
    let first = postgres.database();
    let second = postgres.database();
    assert_ne!(first, second);

    postgres.psql(&first, "create table orders (id int)");

    let tables = "select count(*) from pg_tables where tablename = 'orders'";
    assert_eq!(postgres.psql(&first, tables), "1\n");
    assert_eq!(postgres.psql(&second, tables), "0\n");
}

#[test]
fn a_role_logs_in_with_its_password_only() {
    let postgres = server();
    let password = "s3cr3t p@ss'word";

    let url = postgres.role_with_password("rbt_masked", password);

    assert_eq!(
        url,
        format!(
            "postgres://rbt_masked:s3cr3t%20p%40ss%27word@127.0.0.1:{}/postgres",
            postgres.port
        )
    );
    assert_eq!(postgres.psql(&url, "select current_user"), "rbt_masked\n");
    let wrong = format!(
        "postgres://rbt_masked:wrong@127.0.0.1:{}/postgres",
        postgres.port
    );
    let out = psql(&wrong, "select 1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "logged in with a wrong password");
    assert!(
        stderr.contains("password authentication failed"),
        "psql said: {stderr}"
    );
    // The superuser needs its password on host connections too.
    let stranger = format!(
        "postgres://{SUPERUSER}:wrong@127.0.0.1:{}/postgres",
        postgres.port
    );
    assert!(!psql(&stranger, "select 1").status.success());
}

#[test]
fn a_late_server_accepts_connections_only_after_its_delay() {
    let delay = Duration::from_secs(2);
    let asked = Instant::now();

    let late = start_late(delay);

    assert!(!late.is_ready(), "ready at once");
    let deadline = asked + delay + READY_WITHIN;
    while !late.is_ready() {
        assert!(Instant::now() < deadline, "never ready");
        thread::sleep(Duration::from_millis(100));
    }
    assert!(
        asked.elapsed() >= delay,
        "ready after {:?}",
        asked.elapsed()
    );
    assert_eq!(server().psql(&late.url(), "select 1"), "1\n");
    let port = late.port;
    drop(late);
    assert!(!accepting(port, None), "still running after drop");
}

/// `pg_dump ARGS… URL`, with the machine's pg_dump: what the seed's commands write.
pub fn pg_dump(url: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new("pg_dump")
        .args(args)
        .arg(url)
        .output()
        .expect("run pg_dump");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
