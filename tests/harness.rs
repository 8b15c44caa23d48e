//! A small builder that writes runbooks into a temporary directory, runs the real binary there
//! and checks what a user would see.

use crate::fidelity::Fidelity;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Test {
    dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub dir: PathBuf,
}

impl Test {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
        }
    }

    /// Writes `main.rb42`.
    pub fn runbook(self, text: &str) -> Self {
        self.file("main.rb42", text)
    }

    pub fn file(self, name: &str, content: impl AsRef<[u8]>) -> Self {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, content).expect("write file");
        self
    }

    pub fn args<'a>(mut self, args: impl IntoIterator<Item = &'a str>) -> Self {
        self.args.extend(args.into_iter().map(str::to_string));
        self
    }

    /// Adds a path argument.
    pub fn arg_path(mut self, path: &Path) -> Self {
        self.args.push(path.display().to_string());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// What the binary reads on standard input (a pipe; nothing by default).
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.into());
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The arguments given so far.
    pub fn arguments(&self) -> &[String] {
        &self.args
    }

    /// The value the test gives the environment variable `key`, if any.
    pub fn env_value(&self, key: &str) -> Option<String> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// The binary with the test's arguments, environment and directory. A real run that
    /// [`Fidelity`] checks goes through [`Test::run`] or [`Test::checked_command`] instead.
    pub fn command(&self) -> Command {
        assert!(
            !Fidelity::applies(self),
            "a real run held against its plan goes through Test::run or Test::checked_command"
        );
        self.binary(&self.args)
    }

    /// [`Test::command`] for a run the test drives itself, and the plan taken before it:
    /// call [`Fidelity::check`] once the process has ended.
    pub fn checked_command(&self) -> (Command, Option<Fidelity>) {
        (self.binary(&self.args), Fidelity::before(self))
    }

    fn binary(&self, args: &[String]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_runbook"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("RUNBOOK_LOG")
            // Journals and locks of runbooks run from elsewhere (runbooks/) stay in the test's
            // own directory: tests run in parallel.
            .env("RUNBOOK_STATE_DIR", self.dir.path().join(".runbook"))
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// The shell command line that runs the binary as [`Test::command`] would (directory,
    /// environment, arguments), for a test that types it into a real terminal. The environment
    /// is in a file the line sources, so that no value (a secret) is on a command line.
    pub fn shell_line(&self) -> String {
        let quote = |text: &str| format!("'{}'", text.replace('\'', r"'\''"));
        let state = self.dir.path().join(".runbook");
        let mut env = format!(
            "NO_COLOR=1\nRUNBOOK_STATE_DIR={}\n",
            quote(&state.display().to_string())
        );
        for (k, v) in &self.env {
            env.push_str(&format!("{k}={}\n", quote(v)));
        }
        let file = self.dir.path().join("terminal.env");
        std::fs::write(&file, env).expect("write terminal.env");
        let mut line = format!(
            "cd {} && unset RUNBOOK_LOG && set -a && . ./terminal.env && set +a && {}",
            quote(&self.dir.path().display().to_string()),
            quote(env!("CARGO_BIN_EXE_runbook"))
        );
        for arg in &self.args {
            line.push(' ');
            line.push_str(&quote(arg));
        }
        line
    }

    /// Runs the binary with `args` (the test's environment, directory and standard input).
    pub fn execute(&self, args: &[String]) -> std::process::Output {
        match &self.stdin {
            None => self.binary(args).output().expect("run runbook"),
            Some(text) => {
                let mut child = self
                    .binary(args)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("run runbook");
                let mut input = child.stdin.take().expect("stdin");
                let text = text.clone();
                // Written from a thread: a large input must not block on a full pipe.
                let writer = std::thread::spawn(move || {
                    use std::io::Write;
                    let _ = input.write_all(text.as_bytes());
                });
                let out = child.wait_with_output().expect("wait for runbook");
                let _ = writer.join();
                out
            }
        }
    }

    /// Runs the binary. A real run of a seed runbook or the quickstart (see [`Fidelity`]) is
    /// planned first, then held against its plan.
    pub fn run(self) -> Output {
        let fidelity = Fidelity::before(&self);
        let out = self.execute(&self.args);
        let output = Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            dir: self.dir.keep(),
        };
        assert!(
            !output.stderr.contains("panicked"),
            "the binary panicked:\n{}",
            output.stderr
        );
        if let Some(fidelity) = fidelity {
            fidelity.check();
        }
        output
    }
}

impl Output {
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn stdout_has(&self, needle: &str) -> &Self {
        expect("stdout", &self.stdout, needle, true);
        self
    }

    pub fn stdout_lacks(&self, needle: &str) -> &Self {
        expect("stdout", &self.stdout, needle, false);
        self
    }

    pub fn stderr_has(&self, needle: &str) -> &Self {
        expect("stderr", &self.stderr, needle, true);
        self
    }

    /// The lines of stdout that contain any of `needles`, in order.
    pub fn lines_with(&self, needles: &[&str]) -> Vec<String> {
        self.stdout
            .lines()
            .filter(|l| needles.iter().any(|n| l.contains(n)))
            .map(|l| l.trim().to_string())
            .collect()
    }

    pub fn read(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join(name)).ok()
    }

    pub fn exists(&self, name: &str) -> bool {
        self.dir.join(name).exists()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn expect(stream: &str, text: &str, needle: &str, present: bool) {
    let verb = if present { "lacks" } else { "has" };
    assert!(
        text.contains(needle) == present,
        "{stream} {verb} {needle:?}:\n{text}"
    );
}

/// The id of the only run journaled in `dir`'s state directory (`.runbook/`).
pub fn run_id(dir: &Path) -> String {
    let entries = std::fs::read_dir(dir.join(".runbook/runs")).expect("a runs directory");
    let mut ids: Vec<String> = entries
        .flatten()
        .map(|e| {
            e.file_name()
                .to_string_lossy()
                .trim_end_matches(".jsonl")
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids.remove(0)
}

/// Compares with `tests/golden/NAME`; `UPDATE_GOLDEN=1` rewrites it.
pub fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}: run with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(actual, expected, "output differs from {}", path.display());
}

/// A loopback port nothing listens on, for a test server or a container's published port.
///
/// Ports come from below the kernel's ephemeral range (32768 and up on Linux), where no outgoing
/// connection and no `bind(0)` can take them: a container stopped and started again during a
/// test finds its published port still free. A counter starting at an offset from the pid keeps
/// the tests of one process apart, and parallel processes mostly apart; a port found in use is
/// skipped.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 20_000;
    const COUNT: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id() * 97 % COUNT,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    for _ in 0..COUNT {
        let port = FIRST + NEXT.fetch_add(1, Ordering::Relaxed) % COUNT;
        let port = u16::try_from(port).expect("ports stay below 32000");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!(
        "no free loopback port between {FIRST} and {}",
        FIRST + COUNT
    )
}
