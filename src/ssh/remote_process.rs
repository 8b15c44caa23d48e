//! A command running on a host over the master connection. The remote shell reports its
//! process group first, so a timeout or Ctrl-C can stop everything the command started there
//! (closing the channel alone would leave it running).

use openssh::{ChildStdin, ChildStdout, Session, Stdio};
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

/// The first stderr line of every remote command: `runbook-pgid:1234`.
const PGID_MARK: &str = "runbook-pgid:";

/// How a remote command ended, when it did not exit by itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    Exited(i64),
    /// Killed by a signal.
    Killed,
    /// The connection to the host went away.
    ConnectionLost,
}

pub struct RemoteChild {
    session: Arc<Session>,
    child: openssh::Child<Arc<Session>>,
    pgid: Option<u32>,
    pub stdin: Option<ChildStdin>,
    pub stdout: Option<ChildStdout>,
    /// Stderr after the process-group line.
    pub stderr: Option<Box<dyn AsyncRead + Unpin + Send>>,
}

impl RemoteChild {
    /// Starts `script` through the remote user's shell.
    pub async fn spawn(session: &Arc<Session>, script: &str, stdin: bool) -> Result<Self, String> {
        // The channel would carry it, but the remote shell's C strings end there.
        if script.contains('\0') {
            return Err("a NUL byte cannot be sent in a remote command or path".into());
        }
        let wrapped = format!("printf '{PGID_MARK}%s\\n' \"$$\" >&2; {script}");
        let mut child = Session::to_raw_command(Arc::clone(session), wrapped)
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .await
            .map_err(|e| format!("cannot start the command: {e}"))?;
        let mut pgid = None;
        let stderr = match child.stderr().take() {
            Some(err) => {
                let mut reader = BufReader::new(err);
                let mut first = String::new();
                let _ = reader.read_line(&mut first).await;
                let rest: Box<dyn AsyncRead + Unpin + Send> =
                    match first.trim_end().strip_prefix(PGID_MARK) {
                        Some(id) => {
                            pgid = id.parse().ok();
                            Box::new(reader)
                        }
                        // A login script printed first: keep its line.
                        None => Box::new(std::io::Cursor::new(first.into_bytes()).chain(reader)),
                    };
                Some(rest)
            }
            None => None,
        };
        Ok(Self {
            session: Arc::clone(session),
            stdin: child.stdin().take(),
            stdout: child.stdout().take(),
            stderr,
            child,
            pgid,
        })
    }

    /// Waits for the end; tells a lost connection from a killed process.
    pub async fn wait(self) -> Ended {
        match self.child.wait().await {
            Ok(status) => status
                .code()
                .map_or(Ended::Killed, |c| Ended::Exited(c.into())),
            Err(_) if self.session.check().await.is_err() => Ended::ConnectionLost,
            Err(openssh::Error::Disconnected) => Ended::ConnectionLost,
            Err(_) => Ended::Killed,
        }
    }

    /// What stops the command's whole process group: SIGTERM, then SIGKILL after 2 s.
    pub fn stopper(&self) -> Stopper {
        Stopper {
            session: Arc::clone(&self.session),
            pgid: self.pgid,
        }
    }
}

/// Stops a remote process group from a second channel.
pub struct Stopper {
    session: Arc<Session>,
    pgid: Option<u32>,
}

impl Stopper {
    pub async fn stop(&self) {
        let Some(pgid) = self.pgid else {
            return;
        };
        let script = format!(
            "kill -TERM -{pgid} 2>/dev/null || exit 0; \
             for i in 1 2 3 4 5 6 7 8 9 10; do \
               kill -0 -{pgid} 2>/dev/null || exit 0; sleep 0.2; \
             done; kill -KILL -{pgid} 2>/dev/null; exit 0"
        );
        let mut command = self.session.raw_command(script);
        if tokio::time::timeout(std::time::Duration::from_secs(5), command.status())
            .await
            .is_err()
        {
            tracing::debug!(pgid, "stopping a remote process group timed out");
        }
    }
}
