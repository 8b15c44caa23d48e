//! Asking the operator from inside the REPL: a confirmation of `:step`, a `choose()`, a secret.
//! Each question reads one line through its own short-lived line editor, so nothing keeps
//! reading standard input behind the REPL's back (the run's prompter reads it from a thread),
//! and Ctrl-C at a question answers no.

use crate::context::confirmation_gate::Prompter;
use crate::context::event::Answer;
use crate::context::stop_signal::StopSignal;
use crate::output::console::errln;
use rustyline::DefaultEditor;

pub struct ReplPrompter;

/// One answer, lowercased; none on Ctrl-C, Ctrl-D or when the run was interrupted.
fn ask(question: &str, stop: &StopSignal) -> Option<String> {
    if stop.is_interrupted() {
        return None;
    }
    let mut editor = DefaultEditor::new().ok()?;
    let answer = editor.readline(&format!("{question} ")).ok()?;
    Some(answer.trim().to_lowercase())
}

fn yes(answer: Option<&str>) -> bool {
    matches!(answer, Some("y" | "yes" | "o" | "oui"))
}

impl Prompter for ReplPrompter {
    fn confirm(&self, _message: &str, stop: &StopSignal) -> bool {
        yes(ask("  proceed? [y/N]", stop).as_deref())
    }

    fn before_step(&self, title: &str, stop: &StopSignal) -> Answer {
        match ask(&format!("run “{title}”? [y]es / [s]kip / [a]bort"), stop).as_deref() {
            answer if yes(answer) => Answer::Yes,
            Some("s" | "skip") => Answer::Skip,
            _ => Answer::Abort,
        }
    }

    fn choose(&self, prompt: &str, options: &[String], stop: &StopSignal) -> Option<usize> {
        errln!("{prompt}");
        for (i, option) in options.iter().enumerate() {
            errln!("  {}) {option}", i + 1);
        }
        let answer = ask(&format!("choice [1-{}]:", options.len()), stop)?;
        let chosen: usize = answer.parse().ok()?;
        (1..=options.len()).contains(&chosen).then(|| chosen - 1)
    }

    fn secret(&self, prompt: &str) -> Option<String> {
        rpassword::prompt_password(format!("{prompt} ")).ok()
    }
}
