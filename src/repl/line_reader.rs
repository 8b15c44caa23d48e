//! Where typed input comes from: rustyline on a terminal (line editing, completion, history in
//! a file), or plain lines from a pipe (no prompt; the same commands; a block still open
//! continues on the next line), so a session can be scripted.

use super::command::is_command;
use super::completion::{ReplHelper, SharedVocabulary};
use super::open_input::is_open;
use crate::output::console::errln;
use rustyline::Editor;
use rustyline::config::{CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use std::io::BufRead;
use std::path::PathBuf;

/// One thing typed.
pub enum Input {
    /// A command or a complete piece of rhai (possibly several lines).
    Line(String),
    /// Ctrl-C at the prompt: the line is dropped.
    Cancelled,
    /// Ctrl-D, or the end of the piped input.
    End,
}

pub enum LineReader {
    Terminal {
        editor: Box<Editor<ReplHelper, DefaultHistory>>,
        history: Option<PathBuf>,
    },
    Piped {
        lines: std::io::Lines<std::io::StdinLock<'static>>,
        /// What was read this session, for `:history`.
        seen: Vec<String>,
    },
}

pub const PROMPT: &str = "runbook> ";

impl LineReader {
    /// A line editor on the terminal, its history loaded from `history` (when there is one).
    pub fn terminal(
        vocabulary: SharedVocabulary,
        history: Option<PathBuf>,
    ) -> Result<Self, String> {
        let config = Config::builder()
            .completion_type(CompletionType::List)
            .auto_add_history(false)
            .max_history_size(10_000)
            .map_err(|e| e.to_string())?
            .build();
        let mut editor = Editor::with_config(config).map_err(|e| e.to_string())?;
        editor.set_helper(Some(ReplHelper::new(vocabulary)));
        if let Some(path) = &history
            && path.exists()
            && let Err(e) = editor.load_history(path)
        {
            errln!("warning: cannot read the history {}: {e}", path.display());
        }
        Ok(Self::Terminal {
            editor: Box::new(editor),
            history,
        })
    }

    pub fn piped() -> Self {
        Self::Piped {
            lines: std::io::stdin().lock().lines(),
            seen: Vec::new(),
        }
    }

    /// The next command or complete piece of rhai.
    pub fn read(&mut self) -> Input {
        match self {
            Self::Terminal { editor, history } => match editor.readline(PROMPT) {
                Ok(line) => {
                    if !line.trim().is_empty() {
                        let _ = editor.add_history_entry(line.as_str());
                        if let Some(path) = history {
                            save(editor, path);
                        }
                    }
                    Input::Line(line)
                }
                Err(ReadlineError::Interrupted) => Input::Cancelled,
                Err(ReadlineError::Eof) => Input::End,
                Err(e) => {
                    errln!("error: cannot read the terminal: {e}");
                    Input::End
                }
            },
            Self::Piped { lines, seen } => {
                let mut text = String::new();
                loop {
                    match lines.next() {
                        Some(Ok(line)) => {
                            if !text.is_empty() {
                                text.push('\n');
                            }
                            text.push_str(&line);
                        }
                        // The end, or unreadable input: what was gathered is evaluated (and
                        // reported if still open), then the session ends.
                        Some(Err(_)) | None if text.is_empty() => return Input::End,
                        Some(Err(_)) | None => break,
                    }
                    if is_command(&text) || !is_open(&text) {
                        break;
                    }
                }
                if !text.trim().is_empty() {
                    seen.push(text.clone());
                }
                Input::Line(text)
            }
        }
    }

    /// The lines typed before, oldest first (from the history file on a terminal).
    pub fn history(&self) -> Vec<String> {
        match self {
            Self::Terminal { editor, .. } => {
                editor.history().iter().map(ToString::to_string).collect()
            }
            Self::Piped { seen, .. } => seen.clone(),
        }
    }
}

/// Writes the history now, so a killed session keeps what was typed; only its owner may read it.
fn save(editor: &mut Editor<ReplHelper, DefaultHistory>, path: &PathBuf) {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = editor.append_history(path) {
        tracing::warn!(error = %e, path = %path.display(), "cannot save the history");
    }
    // Lines may hold host names, paths or tokens typed in commands: the owner's only.
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}
