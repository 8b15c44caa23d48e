//! Asking the operator on the terminal: confirmations, step-by-step mode, choices and secrets.
//! Answers are read by one background thread, so a question waiting for a line still gives up
//! when the run is interrupted (Ctrl-C at a prompt must not hang the run).

use super::console::errln;
use crate::context::confirmation_gate::Prompter;
use crate::context::event::Answer;
use crate::context::stop_signal::StopSignal;
use std::io::Write;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// Reads answers from standard input, writes questions to standard error.
#[derive(Default)]
pub struct TerminalPrompter {
    lines: OnceLock<Mutex<Receiver<String>>>,
}

impl TerminalPrompter {
    /// The lines typed on standard input, read by a thread started at the first question.
    fn lines(&self) -> &Mutex<Receiver<String>> {
        self.lines.get_or_init(|| {
            let (tx, rx) = channel();
            std::thread::spawn(move || {
                for line in std::io::stdin().lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            Mutex::new(rx)
        })
    }

    /// Shows `question` and waits for a line; `None` at end of input or on interruption.
    fn ask(&self, question: &str, stop: &StopSignal) -> Option<String> {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{question} ");
        let _ = err.flush();
        drop(err);
        let lines = self.lines().lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match lines.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => return Some(line.trim().to_string()),
                Err(RecvTimeoutError::Timeout) if !stop.is_interrupted() => {}
                Err(_) => {
                    errln!();
                    return None;
                }
            }
        }
    }

    fn ask_lowercase(&self, question: &str, stop: &StopSignal) -> Option<String> {
        self.ask(question, stop).map(|a| a.to_lowercase())
    }
}

impl Prompter for TerminalPrompter {
    /// The terminal view has already shown the question and what comes next.
    fn confirm(&self, _message: &str, stop: &StopSignal) -> bool {
        matches!(
            self.ask_lowercase("  proceed? [y/N]", stop).as_deref(),
            Some("y" | "yes" | "o" | "oui")
        )
    }

    fn before_step(&self, title: &str, stop: &StopSignal) -> Answer {
        let question = format!("run “{title}”? [y]es / [s]kip / [a]bort");
        loop {
            match self.ask_lowercase(&question, stop).as_deref() {
                Some("y" | "yes" | "o" | "oui") => return Answer::Yes,
                Some("s" | "skip") => return Answer::Skip,
                Some("a" | "abort") | None => return Answer::Abort,
                Some(_) => {}
            }
        }
    }

    fn choose(&self, prompt: &str, options: &[String], stop: &StopSignal) -> Option<usize> {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{prompt}");
        for (i, option) in options.iter().enumerate() {
            let _ = writeln!(err, "  {}) {option}", i + 1);
        }
        drop(err);
        let question = format!("choose 1-{} (empty to abort):", options.len());
        loop {
            let answer = self.ask(&question, stop)?;
            if answer.is_empty() {
                return None;
            }
            if let Ok(n) = answer.parse::<usize>()
                && (1..=options.len()).contains(&n)
            {
                return Some(n - 1);
            }
        }
    }

    fn secret(&self, prompt: &str) -> Option<String> {
        rpassword::prompt_password(format!("{prompt}: ")).ok()
    }
}
