//! One procedure's steps, built from the blocks of its section in reading order: which block
//! starts a step, which block belongs to the step before, what is description.

use super::code_blocks::{code_summary, inline_commands, is_shell_block};
use super::markdown::{Block, Located};
use super::shell_text::{self, ShellLine};
use super::wording::{self, Language};

/// Step titles longer than this are cut at a word.
const MAX_TITLE: usize = 80;

/// A procedure as the source lays it out.
#[derive(Debug, Clone)]
pub struct ProcedureOutline {
    pub title: String,
    pub description: Vec<String>,
    /// Notes and TODOs before the first step.
    pub notes: Vec<Piece>,
    pub steps: Vec<StepOutline>,
    /// The source says its commands run on a server: the host's name (`vm`, `server`).
    pub remote: Option<String>,
}

/// A step as the source lays it out.
#[derive(Debug, Clone)]
pub struct StepOutline {
    pub title: String,
    /// "Si surcharge ou bug": the operator confirms before the step runs.
    pub condition: Option<String>,
    pub pieces: Vec<Piece>,
}

/// What a step holds, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// A command line; `remote` names the host the source says it runs on.
    Command {
        text: String,
        complete: bool,
        remote: Option<String>,
    },
    Note(String),
    /// Something the importer cannot turn into code.
    Todo(String),
}

pub struct ProcedureBuilder {
    language: Language,
    out: ProcedureOutline,
    current: Option<StepOutline>,
    /// The list depth of the item the current step was made from: what is nested under it
    /// belongs to the step.
    owner_depth: Option<usize>,
    /// A label ("Démarrer :") that titles the step of the shell block after it.
    pending_title: Option<(String, Option<String>)>,
}

impl ProcedureBuilder {
    pub fn new(title: &str, language: Language) -> Self {
        Self {
            language,
            out: ProcedureOutline {
                title: title.to_string(),
                description: Vec::new(),
                notes: Vec::new(),
                steps: Vec::new(),
                remote: server_named(title),
            },
            current: None,
            owner_depth: None,
            pending_title: None,
        }
    }

    /// Starts a step: what comes next belongs to it.
    pub fn start_step(&mut self, title: &str) {
        self.close_step();
        self.current = Some(StepOutline {
            title: short_title(title),
            condition: None,
            pieces: Vec::new(),
        });
    }

    fn close_step(&mut self) {
        self.owner_depth = None;
        if let Some(step) = self.current.take() {
            self.out.steps.push(step);
        }
    }

    pub fn finish(mut self) -> ProcedureOutline {
        self.close_step();
        self.out
    }

    pub fn blocks(&mut self, blocks: &[Located]) {
        for i in 0..blocks.len() {
            let b = &blocks[i];
            if let Some(depth) = self.owner_depth {
                let is_item = matches!(&b.block, Block::Text { item: Some(_), .. });
                if b.depth < depth || (b.depth == depth && is_item) {
                    self.owner_depth = None;
                }
            }
            match &b.block {
                Block::Text { text, item } => {
                    let plain = text.plain();
                    let commands = if wording::is_descriptive(&plain) {
                        Vec::new()
                    } else {
                        inline_commands(&text.codes)
                    };
                    let nested = blocks.get(i + 1).is_some_and(|n| n.depth > b.depth);
                    let next_is_shell = blocks.get(i + 1).is_some_and(|n| {
                        matches!(&n.block, Block::Code { lang, text, .. } if is_shell_block(lang, text))
                    });
                    self.text(&plain, commands, item.is_some(), nested, next_is_shell, b);
                }
                Block::Code { lang, text, closed } => self.code(lang, text, *closed, b.line),
                Block::Table { rows } => {
                    for row in rows {
                        self.note(row.join(" | "));
                    }
                }
                Block::Heading { text, .. } => self.note(text.plain()),
            }
        }
    }

    fn text(
        &mut self,
        plain: &str,
        commands: Vec<String>,
        item: bool,
        nested: bool,
        next_is_shell: bool,
        b: &Located,
    ) {
        let instruction =
            !wording::is_descriptive(plain) && wording::is_instruction(plain, self.language);
        if self.owner_depth.is_some() {
            // Part of the step an item above started.
            if commands.is_empty() {
                self.piece(if instruction || !wording::is_descriptive(plain) {
                    Piece::Todo(plain.to_string())
                } else {
                    Piece::Note(plain.to_string())
                });
            } else {
                self.commands_with_text(plain, &commands, None);
            }
            return;
        }
        if item && (!commands.is_empty() || instruction) {
            self.start_step(&step_title(plain, &commands));
            if let Some(step) = &mut self.current {
                step.condition = wording::condition(plain);
            }
            self.owner_depth = Some(b.depth);
            let remote = server_named(plain);
            if !commands.is_empty() {
                self.commands_with_text(plain, &commands, remote);
            } else if !(wording::is_label(plain) && (nested || next_is_shell)) {
                self.piece(Piece::Todo(plain.to_string()));
            }
            return;
        }
        let label_item = item && wording::is_label(plain);
        if (!item || label_item) && next_is_shell && !wording::is_descriptive(plain) {
            let title = plain.trim_end_matches([':', ' ', '.']).to_string();
            self.pending_title = Some((title, server_named(plain)));
            return;
        }
        if !item && !commands.is_empty() {
            self.start_step(&step_title(plain, &commands));
            self.commands_with_text(plain, &commands, server_named(plain));
            return;
        }
        if self.out.remote.is_none() && self.current.is_none() && self.out.steps.is_empty() {
            // "All commands run on the web server."
            self.out.remote = server_named(plain);
        }
        if plain.trim_end_matches([':', ' ']) == self.out.title {
            // The label the procedure is titled by.
            return;
        }
        if self.current.is_none() && self.out.steps.is_empty() {
            if instruction {
                self.out.notes.push(Piece::Todo(plain.to_string()));
            } else {
                self.out.description.push(plain.to_string());
            }
        } else if instruction {
            self.piece(Piece::Todo(plain.to_string()));
        } else {
            self.note(plain.to_string());
        }
    }

    /// The commands of a text, after the text itself when it says more than the commands.
    fn commands_with_text(&mut self, plain: &str, commands: &[String], remote: Option<String>) {
        // The text is worth a note when it says more than the step's title and its commands.
        let rest = commands
            .iter()
            .fold(plain.to_string(), |t, c| t.replacen(c.as_str(), "", 1));
        let rest = rest.trim().trim_end_matches([':', ' ']);
        let title = self
            .current
            .as_ref()
            .map(|s| s.title.as_str())
            .unwrap_or("");
        if rest.chars().any(char::is_alphanumeric) && rest != title && plain != title {
            self.note(plain.to_string());
        }
        for command in commands {
            self.piece(Piece::Command {
                text: command.clone(),
                complete: true,
                remote: remote.clone(),
            });
        }
    }

    fn code(&mut self, lang: &str, text: &str, closed: bool, line: usize) {
        let hinted = self.pending_title.take();
        if !is_shell_block(lang, text) {
            self.note(code_summary(lang, text));
            return;
        }
        if !closed {
            let lines = text.lines().count();
            self.piece(Piece::Todo(format!(
                "the code block opened at line {line} is never closed: its {lines} lines, to the end of the file, were not imported; close its fence and import again"
            )));
            return;
        }
        let remote = hinted.as_ref().and_then(|h| h.1.clone());
        let owned = self.owner_depth.is_some();
        let condition = hinted.as_ref().and_then(|(t, _)| wording::condition(t));
        let mut title = hinted.map(|(t, _)| t);
        let mut comment_title: Option<String> = None;
        let mut started = false;
        for shell_line in shell_text::lines(text, lang, line + 1) {
            match shell_line {
                ShellLine::StepMark { title, .. } => {
                    self.start_step(&title);
                    started = true;
                }
                ShellLine::Command { text, complete, .. } => {
                    if !started
                        && !owned
                        && (title.is_some() || comment_title.is_some() || self.current.is_none())
                    {
                        let t = title
                            .take()
                            .or(comment_title.take())
                            .unwrap_or_else(|| self.out.title.clone());
                        self.start_step(&t);
                        if let Some(step) = &mut self.current {
                            step.condition.clone_from(&condition);
                        }
                    }
                    if let Some(pending) = comment_title.take() {
                        self.note(pending);
                    }
                    started = true;
                    self.piece(Piece::Command {
                        text,
                        complete,
                        remote: remote.clone(),
                    });
                }
                ShellLine::Comment { text, .. } => {
                    if !started && self.current.is_none() && comment_title.is_none() {
                        comment_title = Some(text);
                    } else {
                        if let Some(pending) = comment_title.take() {
                            self.note(pending);
                        }
                        self.note(text);
                    }
                }
                ShellLine::Output { text, .. } => self.note(format!("output: {text}")),
            }
        }
        if let Some(pending) = comment_title {
            self.note(pending);
        }
    }

    fn note(&mut self, text: String) {
        if !text.trim().is_empty() {
            self.piece(Piece::Note(text));
        }
    }

    fn piece(&mut self, piece: Piece) {
        match &mut self.current {
            Some(step) => step.pieces.push(piece),
            None => self.out.notes.push(piece),
        }
    }
}

/// The host a sentence says commands run on: `vm` for a VM, `server` for a server or host.
fn server_named(text: &str) -> Option<String> {
    let t = text
        .to_lowercase()
        .replace(['’', ','], " ")
        .replace('\'', " ");
    let words: Vec<&str> = t.split_whitespace().collect();
    // "sur la VM", "on the web server", "sur le serveur de production".
    for (i, w) in words.iter().enumerate() {
        if !matches!(*w, "sur" | "on") {
            continue;
        }
        for next in words.iter().skip(i + 1).take(3) {
            match *next {
                "vm" => return Some("vm".to_string()),
                "server" | "serveur" | "host" | "hôte" | "machine" => {
                    return Some("server".to_string());
                }
                _ => {}
            }
        }
    }
    None
}

/// A step's title from an item: its label ("Redémarrer API: `…`" → "Redémarrer API"), or its
/// text.
fn step_title(plain: &str, commands: &[String]) -> String {
    if let Some((label, _)) = wording::split_label(plain) {
        return label.to_string();
    }
    if plain.trim().is_empty() {
        return commands.first().cloned().unwrap_or_default();
    }
    plain.to_string()
}

/// The text up to the end of its first sentence (a period after a word, then a capital).
fn first_sentence(text: &str) -> &str {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for w in chars.windows(4) {
        let [(_, before), (at, '.'), (_, ' '), (_, next)] = *w else {
            continue;
        };
        if before.is_alphabetic() && next.is_uppercase() {
            return &text[..at];
        }
    }
    text
}

/// A title cut to a readable length at a word, without trailing punctuation.
fn short_title(text: &str) -> String {
    let text = first_sentence(text);
    let text = text.trim().trim_end_matches([':', '.', ';', ' ']);
    if text.chars().count() <= MAX_TITLE {
        return text.to_string();
    }
    let mut out = String::new();
    for word in text.split(' ') {
        if out.chars().count() + word.chars().count() + 1 > MAX_TITLE - 1 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = text.chars().take(MAX_TITLE - 1).collect();
    }
    out.push('…');
    out
}
