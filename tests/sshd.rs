//! Real OpenSSH servers on loopback for the SSH tests: each test starts its own [`Sshd`], with
//! its own port, configuration, host key and log, and logs in as [`USER`] with [`client_key`].
//!
//! The machine needs `/usr/sbin/sshd`, `/run/sshd` and the user [`USER`], which
//! `scripts/test.sh` sets up, and the tests must run as root (sshd switches to the user).

use crate::harness::free_port;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, User, geteuid};

/// The account every test logs in as: a plain `/bin/sh` user without start-up files.
pub const USER: &str = "runbook-test";

const SSHD: &str = "/usr/sbin/sshd";
/// sshd refuses to start without its privilege separation directory.
const PRIVSEP_DIR: &str = "/run/sshd";
/// How long a server may take to listen before the test fails.
const READY_WITHIN: Duration = Duration::from_secs(10);
/// A free port can be taken by someone else before sshd binds it: try again with another.
const BIND_ATTEMPTS: usize = 5;

/// A running sshd on `127.0.0.1` (or inside a network namespace, [`Sshd::start_in`]).
/// Dropping it kills the server and everything it started.
pub struct Sshd {
    port: u16,
    /// The address it listens on.
    address: String,
    /// The network namespace it runs in, if not the test process's.
    netns: Option<String>,
    /// Configuration lines after the usual ones.
    extra: String,
    /// `None` once killed.
    server: Option<Child>,
    /// Configuration, host key, authorized keys, pid file and log; removed after the server.
    dir: tempfile::TempDir,
}

/// Whether a server came up or lost its port to someone else.
enum Startup {
    Listening,
    PortTaken,
}

impl Sshd {
    /// Starts an sshd on 127.0.0.1 on a free port with its own config, host key (ed25519) and
    /// authorized key (the [`client_key`]) in a temp dir, and waits until it listens.
    ///
    /// Readiness is read from the server's log ("Server listening"), never probed by connecting:
    /// a probe would count in [`Sshd::connections`].
    pub fn start() -> Sshd {
        Self::launch("127.0.0.1", None, "")
    }

    /// Starts an sshd inside the network namespace `netns`, listening on `address` port 22,
    /// with `extra` lines appended to its configuration (`AllowTcpForwarding no`).
    pub fn start_in(netns: &str, address: &str, extra: &str) -> Sshd {
        Self::launch(address, Some(netns), extra)
    }

    fn launch(address: &str, netns: Option<&str>, extra: &str) -> Sshd {
        check_machine();
        let dir = tempfile::Builder::new()
            .prefix("runbook-sshd-")
            .tempdir()
            .expect("temp dir for sshd");
        // The user reads the authorized keys through this directory (sshd drops privileges).
        set_mode(dir.path(), 0o755);
        keygen(&dir.path().join("host_ed25519"), "runbook-test-host");
        let authorized = dir.path().join("authorized_keys");
        fs::copy(client_key().with_extension("pub"), &authorized).expect("write authorized_keys");
        set_mode(&authorized, 0o644);

        let mut sshd = Sshd {
            port: 0,
            address: address.to_string(),
            netns: netns.map(str::to_string),
            extra: extra.to_string(),
            server: None,
            dir,
        };
        for _ in 0..BIND_ATTEMPTS {
            // A namespace of its own has port 22 free.
            sshd.port = if netns.is_some() { 22 } else { free_port() };
            sshd.server = Some(sshd.spawn());
            match sshd.wait_until_listening() {
                Startup::Listening => return sshd,
                Startup::PortTaken => sshd.kill(),
            }
        }
        panic!(
            "sshd found no free port in {BIND_ATTEMPTS} attempts; last log:\n{}",
            sshd.log()
        );
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// "[127.0.0.1]:PORT ssh-ed25519 AAAA…": the line a known_hosts file needs for this server.
    pub fn known_hosts_line(&self) -> String {
        let public = fs::read_to_string(self.dir.path().join("host_ed25519.pub"))
            .expect("read the host public key");
        let mut fields = public.split_whitespace();
        let (Some(kind), Some(key)) = (fields.next(), fields.next()) else {
            panic!("malformed host public key: {public:?}");
        };
        // ssh writes port 22 without brackets and looks it up so.
        if self.port == 22 {
            format!("{} {kind} {key}", self.address)
        } else {
            format!("[{}]:{} {kind} {key}", self.address, self.port)
        }
    }

    /// How many TCP connections this server accepted so far (from its VERBOSE log
    /// "Connection from").
    pub fn connections(&self) -> usize {
        self.log()
            .lines()
            .filter(|line| {
                line.contains("Connection from ")
                    && line.contains(&format!(" on {} port ", self.address))
            })
            .count()
    }

    /// Kills the server and every process it started (session processes and the user's
    /// commands) with SIGKILL: the network connections drop as if the machine vanished.
    ///
    /// The tree is first frozen with SIGSTOP, until a scan finds no new descendant, so that no
    /// process forks a child behind our back; then all of it is killed at once.
    pub fn kill(&mut self) {
        let Some(mut server) = self.server.take() else {
            return;
        };
        let root = Pid::from_raw(i32::try_from(server.id()).expect("pid fits in i32"));
        let mut tree = vec![root];
        // Failures mean the process is already gone, which is what we want.
        let _ = kill(root, Signal::SIGSTOP);
        loop {
            let new: Vec<Pid> = descendants(root)
                .into_iter()
                .filter(|pid| !tree.contains(pid))
                .collect();
            if new.is_empty() {
                break;
            }
            for &pid in &new {
                let _ = kill(pid, Signal::SIGSTOP);
            }
            tree.extend(new);
        }
        for &pid in &tree {
            let _ = kill(pid, Signal::SIGKILL);
        }
        // Reap the server; its descendants are reparented to init, which reaps them.
        let _ = server.wait();
    }

    /// The server's log so far (for assertion messages).
    pub fn log(&self) -> String {
        fs::read(self.log_path())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("sshd.log")
    }

    /// Writes the configuration for the current port and starts sshd in the foreground.
    fn spawn(&self) -> Child {
        let dir = self.dir.path().display();
        let config = self.dir.path().join("sshd_config");
        // `Port` must come before `ListenAddress`, which otherwise takes the default port.
        let text = format!(
            "Port {port}
ListenAddress {address}
HostKey {dir}/host_ed25519
PidFile {dir}/sshd.pid
AuthorizedKeysFile {dir}/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers {USER}
LogLevel VERBOSE
MaxSessions 100
MaxStartups 100:30:200
Subsystem sftp internal-sftp
UseDNS no
PrintMotd no
{extra}
",
            port = self.port,
            address = self.address,
            extra = self.extra,
        );
        fs::write(&config, text).expect("write sshd_config");
        // A fresh log per attempt; sshd appends to it (`-E`). Errors printed before sshd opens
        // its log (a bad configuration) land in the same file through stderr.
        let log = fs::File::create(self.log_path()).expect("create sshd log");
        let mut command = match &self.netns {
            // `ip netns exec` execs sshd: the child is sshd itself.
            Some(netns) => {
                let mut command = Command::new("ip");
                command.args(["netns", "exec", netns, SSHD]);
                command
            }
            None => Command::new(SSHD),
        };
        command
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config)
            .arg("-E")
            .arg(self.log_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"))
    }

    fn wait_until_listening(&mut self) -> Startup {
        let listening = format!("Server listening on {} port {}.", self.address, self.port);
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            let log = self.log();
            if log.contains(&listening) {
                return Startup::Listening;
            }
            let server = self.server.as_mut().expect("server started");
            if let Some(status) = server.try_wait().expect("poll sshd") {
                if log.contains("Address already in use") {
                    return Startup::PortTaken;
                }
                panic!("sshd exited ({status}) before listening; its log:\n{log}");
            }
            if Instant::now() > deadline {
                self.kill();
                panic!(
                    "sshd did not listen within {READY_WITHIN:?}; its log:\n{}",
                    self.log()
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An ed25519 private key authorized on every [`Sshd`], its public key beside it (`.pub`).
pub fn client_key() -> &'static Path {
    &keys().client
}

/// An ed25519 private key no server authorizes.
pub fn stranger_key() -> &'static Path {
    &keys().stranger
}

/// Makes `dir` (created if missing) writable by [`USER`], and every ancestor traversable
/// (`o+x`) so that the remote user can reach it. Returns its absolute path.
pub fn remote_dir(dir: &Path) -> PathBuf {
    fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    let dir = fs::canonicalize(dir).expect("canonical remote dir");
    let user = test_user();
    std::os::unix::fs::chown(&dir, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
        .unwrap_or_else(|e| panic!("chown {} to {USER}: {e}", dir.display()));
    for ancestor in dir.ancestors().skip(1) {
        let mode = fs::metadata(ancestor)
            .expect("stat ancestor")
            .permissions()
            .mode();
        if mode & 0o001 == 0 {
            set_mode(ancestor, mode | 0o001);
        }
    }
    dir
}

/// Writes a known_hosts file at `path` listing `servers`.
pub fn known_hosts(path: &Path, servers: &[&Sshd]) {
    let text: String = servers
        .iter()
        .map(|server| server.known_hosts_line() + "\n")
        .collect();
    fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// The test process's client keys.
struct Keys {
    /// Keeps the files for the whole process (statics are never dropped, hence under `target/`).
    _dir: tempfile::TempDir,
    client: PathBuf,
    stranger: PathBuf,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("ssh-keys-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temp dir for client keys");
        let client = dir.path().join("client_ed25519");
        let stranger = dir.path().join("stranger_ed25519");
        keygen(&client, "runbook-test-client");
        keygen(&stranger, "runbook-test-stranger");
        // ssh refuses private keys that others can read.
        set_mode(&client, 0o600);
        set_mode(&stranger, 0o600);
        Keys {
            _dir: dir,
            client,
            stranger,
        }
    })
}

/// Generates an ed25519 key pair without passphrase: `path` and `path.pub`.
fn keygen(path: &Path, comment: &str) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run ssh-keygen ({e}): run scripts/test.sh"));
    assert!(status.success(), "ssh-keygen failed ({status})");
}

/// Panics with what to do when the machine cannot run test servers.
fn check_machine() {
    let fix = "run scripts/test.sh (as root) to set the machine up for the SSH tests";
    assert!(Path::new(SSHD).exists(), "{SSHD} is missing: {fix}");
    assert!(
        Path::new(PRIVSEP_DIR).is_dir(),
        "{PRIVSEP_DIR} is missing: {fix}"
    );
    test_user();
    assert!(
        geteuid().is_root(),
        "the SSH tests must run as root: sshd switches to the user {USER}"
    );
}

fn test_user() -> User {
    User::from_name(USER)
        .expect("look up the test user")
        .unwrap_or_else(|| {
            panic!("the user {USER} is missing: run scripts/test.sh to set the machine up")
        })
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}

/// Every process below `root`, found through the parent pid in `/proc/<pid>/stat`.
fn descendants(root: Pid) -> Vec<Pid> {
    let parents: Vec<(Pid, Pid)> = fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|entry| {
            let pid: i32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid …": comm may hold spaces and parentheses.
            let ppid = stat
                .get(stat.rfind(')')? + 1..)?
                .split_whitespace()
                .nth(1)?;
            Some((Pid::from_raw(pid), Pid::from_raw(ppid.parse().ok()?)))
        })
        .collect();
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(
            parents
                .iter()
                .filter(|(_, ppid)| *ppid == parent)
                .map(|(pid, _)| *pid),
        );
        next += 1;
    }
    found.remove(0);
    found
}

/// The system `ssh` client, set to log in to `server` as [`USER`] with `key`, trusting only
/// the hosts in `known_hosts`, never prompting.
fn ssh(server: &Sshd, known_hosts: &Path, key: &Path, command: &str) -> Command {
    let mut ssh = Command::new("ssh");
    ssh.args(["-F", "none", "-i"])
        .arg(key)
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .args([
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-p",
        ])
        .arg(server.port().to_string())
        .arg(format!("{USER}@127.0.0.1"))
        .arg(command)
        .stdin(Stdio::null());
    ssh
}

#[test]
fn runs_a_command_as_the_test_user() {
    let server = Sshd::start();
    let tmp = tempfile::tempdir().expect("temp dir");
    let hosts = tmp.path().join("known_hosts");
    known_hosts(&hosts, &[&server]);

    let out = ssh(&server, &hosts, client_key(), "echo hello; id -un")
        .output()
        .expect("run ssh");

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ssh failed: {stderr}\n{}",
        server.log()
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello\nrunbook-test\n"
    );
    assert_eq!(server.connections(), 1, "{}", server.log());
}

#[test]
fn servers_are_told_apart_by_port_in_one_known_hosts() {
    let first = Sshd::start();
    let second = Sshd::start();
    assert_ne!(first.port(), second.port());
    let tmp = tempfile::tempdir().expect("temp dir");
    let hosts = tmp.path().join("known_hosts");
    known_hosts(&hosts, &[&first, &second]);

    for server in [&first, &second] {
        let out = ssh(server, &hosts, client_key(), "true")
            .output()
            .expect("run ssh");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "ssh failed: {stderr}\n{}",
            server.log()
        );
        assert_eq!(server.connections(), 1, "{}", server.log());
    }
}

#[test]
fn a_stranger_key_is_refused() {
    let server = Sshd::start();
    let tmp = tempfile::tempdir().expect("temp dir");
    let hosts = tmp.path().join("known_hosts");
    known_hosts(&hosts, &[&server]);

    let out = ssh(&server, &hosts, stranger_key(), "true")
        .output()
        .expect("run ssh");

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the stranger got in:\n{}",
        server.log()
    );
    assert!(stderr.contains("Permission denied"), "ssh said: {stderr}");
}

#[test]
fn kill_drops_a_running_session() {
    use std::io::{BufRead, BufReader};

    let mut server = Sshd::start();
    let tmp = tempfile::tempdir().expect("temp dir");
    let hosts = tmp.path().join("known_hosts");
    known_hosts(&hosts, &[&server]);
    let mut session = ssh(&server, &hosts, client_key(), "echo started; sleep 30")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run ssh");
    let mut first_line = String::new();
    BufReader::new(session.stdout.take().expect("ssh stdout"))
        .read_line(&mut first_line)
        .expect("read ssh output");
    assert_eq!(first_line, "started\n", "{}", server.log());

    server.kill();

    // Had the remote `sleep` survived, ssh would end after 30 s with success.
    let status = session.wait().expect("wait for ssh");
    assert!(!status.success(), "ssh ended with {status}");
}

#[test]
fn the_remote_user_writes_in_a_remote_dir() {
    let server = Sshd::start();
    let tmp = tempfile::tempdir().expect("temp dir");
    let hosts = tmp.path().join("known_hosts");
    known_hosts(&hosts, &[&server]);
    let dir = remote_dir(&tmp.path().join("remote/deeper"));

    let out = ssh(
        &server,
        &hosts,
        client_key(),
        &format!("touch {}/x", dir.display()),
    )
    .output()
    .expect("run ssh");

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ssh failed: {stderr}\n{}",
        server.log()
    );
    assert!(dir.join("x").exists());
}
