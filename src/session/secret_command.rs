//! `secret db from command ["pass", "show", "prod/db"]`: a password manager's or a vault's CLI,
//! run without a shell. Its standard output is the value (trailing newline removed); what it
//! says on standard error explains a failure. The value is never part of a message.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a secret's command may take unless the runbook says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `argv` and returns its standard output, or why it gave no value.
pub fn read(argv: &[String], timeout: Option<Duration>) -> Result<String, String> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| "the command is empty".to_string())?;
    let shown = argv.join(" ");
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: a timeout stops it and whatever it started (gpg, an agent call).
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let limit = timeout.unwrap_or(DEFAULT_TIMEOUT);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= limit => {
                stop_group(child.id());
                let _ = child.wait();
                return Err(format!(
                    "`{shown}` did not finish within {}",
                    crate::language::duration::format(limit)
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("cannot wait for `{shown}`: {e}")),
        }
    };
    // A daemon it started (gpg-agent) could keep the pipes open: wait for them no longer than
    // the time left, and at least a moment.
    let left = limit
        .saturating_sub(started.elapsed())
        .max(Duration::from_secs(1));
    let stdout = stdout.recv_timeout(left).unwrap_or_default();
    let stderr = stderr.recv_timeout(left).unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr).trim().to_string();
    if !status.success() {
        let code = status.code().map_or_else(
            || "was killed by a signal".to_string(),
            |c| format!("exited {c}"),
        );
        let said = if stderr.is_empty() {
            String::new()
        } else {
            format!(": {stderr}")
        };
        return Err(format!("`{shown}` {code}{said}"));
    }
    let value = String::from_utf8(stdout)
        .map_err(|_| format!("`{shown}` printed bytes that are not UTF-8"))?;
    let value = value
        .strip_suffix('\n')
        .map(|v| v.strip_suffix('\r').unwrap_or(v))
        .unwrap_or(&value);
    Ok(value.to_string())
}

/// Reads a pipe to its end on a thread, so a chatty command never blocks on a full pipe.
fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        let _ = sender.send(bytes);
    });
    receiver
}

fn stop_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_string()).collect()
    }

    #[test]
    fn the_value_is_stdout_less_its_last_newline() {
        let value = read(&argv(&["printf", "s3cret value\\n\\n"]), None).unwrap();
        assert_eq!(value, "s3cret value\n");
    }

    #[test]
    fn no_shell_reads_the_words() {
        let value = read(&argv(&["echo", "$HOME;", "`id`"]), None).unwrap();
        assert_eq!(value, "$HOME; `id`");
    }

    #[test]
    fn a_failure_says_what_the_command_said_not_what_it_printed() {
        let why = read(
            &argv(&[
                "sh",
                "-c",
                "printf 'v4%s\\n' lue; echo 'no such entry' >&2; exit 3",
            ]),
            None,
        )
        .unwrap_err();
        assert!(why.contains("exited 3: no such entry"), "{why}");
        assert!(!why.contains("v4lue"), "{why}");
    }

    #[test]
    fn a_command_that_hangs_is_stopped_at_its_timeout() {
        let why = read(
            &argv(&["sh", "-c", "sleep 30 & wait"]),
            Some(Duration::from_millis(300)),
        )
        .unwrap_err();
        assert!(why.contains("did not finish within 300ms"), "{why}");
    }

    #[test]
    fn a_missing_program_is_named() {
        let why = read(&argv(&["no-such-program-xyz"]), None).unwrap_err();
        assert!(why.contains("cannot run `no-such-program-xyz`"), "{why}");
    }
}
