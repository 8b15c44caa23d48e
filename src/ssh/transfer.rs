//! Files and directories to and from a host, streamed over the master connection: a file
//! through `cat` into a temporary name renamed into place (a reader never sees half a file),
//! a directory as a tar stream. No SFTP subsystem or extra connection is needed.

use super::remote_process::{Ended, RemoteChild};
use crate::shell_quote::quote;
use openssh::Session;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// What is at a remote path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Directory,
    Missing,
}

/// Sends a local file or directory to `remote`; returns the bytes sent.
pub async fn upload(
    session: &Arc<Session>,
    local: &Path,
    remote: &str,
    mode: Option<u32>,
) -> Result<u64, String> {
    let meta = tokio::fs::metadata(local)
        .await
        .map_err(|e| format!("cannot read {}: {e}", local.display()))?;
    if meta.is_dir() {
        let mut tar = local_tar(&["-C", &local.to_string_lossy(), "-cf", "-", "."])?;
        let out = tar.stdout.take().ok_or("tar has no output")?;
        let r = quote(remote);
        let script = format!("mkdir -p -- {r} && tar --no-same-owner -C {r} -xf -");
        let sent = exchange(session, &script, Some(out), None::<&mut tokio::io::Sink>).await?;
        finish_local(tar, "tar").await?;
        Ok(sent)
    } else {
        let file = tokio::fs::File::open(local)
            .await
            .map_err(|e| format!("cannot read {}: {e}", local.display()))?;
        write_from(session, file, remote, mode).await
    }
}

/// Writes bytes to a remote file (created with `mode`, default 0644 less the umask).
pub async fn write(
    session: &Arc<Session>,
    content: &[u8],
    remote: &str,
    mode: Option<u32>,
) -> Result<u64, String> {
    write_from(session, content, remote, mode).await
}

async fn write_from(
    session: &Arc<Session>,
    source: impl AsyncRead + Unpin,
    remote: &str,
    mode: Option<u32>,
) -> Result<u64, String> {
    let r = quote(remote);
    let tmp = quote(&format!("{remote}.runbook-part"));
    let chmod = mode.map_or(String::new(), |m| format!(" && chmod {m:o} -- {tmp}"));
    let script = format!(
        "mkdir -p -- \"$(dirname -- {r})\" && cat > {tmp}{chmod} && mv -f -- {tmp} {r} \
         || {{ rm -f -- {tmp}; exit 1; }}"
    );
    exchange(session, &script, Some(source), None::<&mut tokio::io::Sink>).await
}

/// Fetches a remote file or directory to `local`; returns the bytes received.
pub async fn download(session: &Arc<Session>, remote: &str, local: &Path) -> Result<u64, String> {
    let r = quote(remote);
    match kind(session, remote).await? {
        Kind::Missing => Err(format!("{remote}: no such file or directory")),
        Kind::File => {
            if let Some(parent) = local.parent() {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            let part = local.with_extension("runbook-part");
            let mut file = tokio::fs::File::create(&part)
                .await
                .map_err(|e| format!("cannot write {}: {e}", part.display()))?;
            let got = exchange(
                session,
                &format!("cat -- {r}"),
                None::<&[u8]>,
                Some(&mut file),
            )
            .await;
            file.flush().await.map_err(|e| e.to_string())?;
            match got {
                Ok(n) => tokio::fs::rename(&part, local)
                    .await
                    .map(|()| n)
                    .map_err(|e| format!("cannot write {}: {e}", local.display())),
                Err(e) => {
                    let _ = tokio::fs::remove_file(&part).await;
                    Err(e)
                }
            }
        }
        Kind::Directory => {
            tokio::fs::create_dir_all(local)
                .await
                .map_err(|e| format!("cannot create {}: {e}", local.display()))?;
            let mut tar = local_tar(&[
                "--no-same-owner",
                "-C",
                &local.to_string_lossy(),
                "-xf",
                "-",
            ])?;
            let mut input = tar.stdin.take().ok_or("tar takes no input")?;
            let got = exchange(
                session,
                &format!("tar -C {r} -cf - ."),
                None::<&[u8]>,
                Some(&mut input),
            )
            .await;
            drop(input);
            finish_local(tar, "tar").await?;
            got
        }
    }
}

/// The bytes of a remote file, exactly.
pub async fn read(session: &Arc<Session>, remote: &str) -> Result<Vec<u8>, String> {
    let mut content = Vec::new();
    let script = format!("cat -- {}", quote(remote));
    exchange(session, &script, None::<&[u8]>, Some(&mut content)).await?;
    Ok(content)
}

/// Whether a remote path is a file, a directory, or nothing.
pub async fn kind(session: &Arc<Session>, remote: &str) -> Result<Kind, String> {
    let r = quote(remote);
    let mut answer = Vec::new();
    exchange(
        session,
        &format!("if [ -d {r} ]; then echo d; elif [ -e {r} ]; then echo f; else echo m; fi"),
        None::<&[u8]>,
        Some(&mut answer),
    )
    .await?;
    Ok(match answer.first() {
        Some(b'd') => Kind::Directory,
        Some(b'f') => Kind::File,
        _ => Kind::Missing,
    })
}

/// Runs `script` with `input` as its stdin and its stdout into `output`; fails with its
/// stderr when it exits non-zero. Returns the bytes moved.
async fn exchange<W: AsyncWrite + Unpin>(
    session: &Arc<Session>,
    script: &str,
    input: Option<impl AsyncRead + Unpin>,
    output: Option<&mut W>,
) -> Result<u64, String> {
    let mut child = RemoteChild::spawn(session, script, input.is_some()).await?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let send = async {
        match (input, stdin) {
            (Some(mut source), Some(mut pipe)) => {
                let n = tokio::io::copy(&mut source, &mut pipe).await;
                let _ = pipe.shutdown().await;
                n.map_err(|e| format!("sending failed: {e}"))
            }
            _ => Ok(0),
        }
    };
    let receive = async {
        match (output, stdout) {
            (Some(sink), Some(mut pipe)) => tokio::io::copy(&mut pipe, sink)
                .await
                .map_err(|e| format!("receiving failed: {e}")),
            (None, Some(mut pipe)) => tokio::io::copy(&mut pipe, &mut tokio::io::sink())
                .await
                .map_err(|e| e.to_string()),
            _ => Ok(0),
        }
    };
    let errors = async {
        let mut text = String::new();
        if let Some(mut err) = stderr {
            let _ = err.read_to_string(&mut text).await;
        }
        text
    };
    let (sent, received, errors) = tokio::join!(send, receive, errors);
    match child.wait().await {
        Ended::Exited(0) => Ok(sent? + received?),
        Ended::ConnectionLost => Err("the connection was lost".into()),
        _ => Err(errors
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("the remote command failed")
            .trim()
            .to_string()),
    }
}

fn local_tar(args: &[&str]) -> Result<tokio::process::Child, String> {
    tokio::process::Command::new("tar")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start tar: {e}"))
}

async fn finish_local(child: tokio::process::Child, what: &str) -> Result<(), String> {
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
