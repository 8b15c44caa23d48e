//! A real terminal for the tests: a tmux server of the test's own (its socket in the test's
//! directory) running one command in one session, read from its screen and typed into.

use crate::harness::Test;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    /// Starts `command` in a 160×50 session of a new server listening on `socket`; `[exit N]`
    /// is printed when it ends, and the pane stays for its screen to be read.
    pub fn start(socket: PathBuf, command: &str) -> Tmux {
        let tmux = Tmux { socket };
        let line = format!("{command}; echo \"[exit $?]\"; sleep 600");
        tmux.tmux(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "160",
            "-y",
            "50",
            &line,
        ]);
        tmux
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Presses keys, named as tmux names them (`Enter`, `Tab`, `C-c`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Types `text` literally.
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
    }

    /// Types `text`, then Enter.
    pub fn answer(&self, text: &str) {
        self.type_text(text);
        self.keys(&["Enter"]);
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "t", "-S", "-200"])
    }

    /// Waits until the screen satisfies `ready` (a minute at most, for a loaded machine).
    pub fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "never saw {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `text` shows on the screen.
    pub fn wait_for_text(&self, text: &str) -> String {
        self.wait_for(text, |screen| screen.contains(text))
    }
}

/// Runs `test` on a real terminal, answers `answer` to its first confirmation once `ready`
/// returns (the screen so far shows the question), and returns the screen once it ended, with
/// its `[exit N]` line.
pub fn answer_on_terminal(test: &Test, answer: &str, ready: impl FnOnce(&str)) -> String {
    let tty = Tmux::start(test.path().join("tty.sock"), &test.shell_line());
    let asked = tty.wait_for("a confirmation", |screen| {
        screen.contains("proceed? [y/N]") || screen.contains("[exit ")
    });
    if !asked.contains("[exit ") {
        ready(&asked);
        tty.answer(answer);
    }
    tty.wait_for_text("[exit ")
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}
