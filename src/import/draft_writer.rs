//! The draft's text, written from the outline: declarations first (description, contacts,
//! parameters, secrets, modules, hosts), then procedures and notes in the source's order. The
//! text is plain and roughly indented; `runbook fmt`'s printer lays it out afterwards.

use super::ids::{self, Unique};
use super::inputs::{Inputs, UserValue};
use super::outline::{Entry, Outline, is_rollback};
use super::procedure_builder::{Piece, ProcedureOutline, StepOutline};
use super::rhai_text::{comment_text, rb42_string};
use super::summary::Summary;
use super::translate::{Outcome, Translator};
use super::wording::Language;

/// Comments are wrapped at this width.
const COMMENT_WIDTH: usize = 96;

/// Words of titles that change a system, whose steps want rollbacks.
const CHANGES: &[&str] = &[
    "déploi",
    "deploy",
    "mise en production",
    "migrat",
    "release",
    "rollout",
    "roll out",
    "upgrade",
    "mise à jour",
    "failover",
    "bascule",
    "renouvel",
    "renew",
    "démarrage en production",
];

/// The draft for `outline`, read from `source_name`, and what it holds.
pub fn write(outline: &Outline, source_name: &str) -> (String, Summary) {
    let mut inputs = Inputs::default();
    let mut summary = Summary::default();
    let mut procedure_ids = Unique::default();
    let rollbacks: Vec<String> = outline
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Procedure(p) if is_rollback(&p.title) => Some(p.title.clone()),
            _ => None,
        })
        .collect();
    let mut body = String::new();
    for entry in &outline.entries {
        match entry {
            Entry::Note { lines, todo } => {
                body.push('\n');
                for line in lines {
                    comment(&mut body, 1, line, false);
                }
                if let Some(todo) = todo {
                    comment(&mut body, 1, todo, true);
                }
            }
            Entry::Procedure(p) => {
                let id = procedure_ids.take(&ids::slug(&p.title), "procedure", '-');
                summary.procedures += 1;
                if is_rollback(&p.title) {
                    summary.rollback_procedures += 1;
                }
                let mut translator = Translator::new(&mut inputs);
                body.push('\n');
                let french = outline.language == Language::French;
                procedure(
                    &mut body,
                    &id,
                    p,
                    &rollbacks,
                    french,
                    &mut translator,
                    &mut summary,
                );
            }
        }
    }
    let mut text = String::new();
    text.push_str(&format!(
        "// Drafted by `runbook import` from {}: review it before use.\n// Each TODO(import) marks what the importer could not turn into code.\n",
        comment_text(source_name)
    ));
    let name = outline.title.clone().unwrap_or_else(|| stem(source_name));
    text.push_str(&format!("runbook {} {{\n", rb42_string(&name)));
    if !outline.description.is_empty() {
        text.push_str(&format!(
            "  description {}\n",
            rb42_string(&outline.description.join("\n\n"))
        ));
    }
    declarations(&mut text, outline, &inputs);
    text.push_str(&body);
    text.push_str("}\n");
    summary.params = inputs.params.len();
    summary.secrets = inputs.secrets.len();
    summary.hosts = inputs.hosts.len();
    summary.todos = text
        .lines()
        .filter(|l| l.trim_start().starts_with("// TODO(import):"))
        .count();
    (text, summary)
}

fn declarations(text: &mut String, outline: &Outline, inputs: &Inputs) {
    for (name, reach) in &outline.contacts {
        match reach {
            Some(reach) => text.push_str(&format!(
                "  contact {} {}\n",
                rb42_string(name),
                rb42_string(reach)
            )),
            None => text.push_str(&format!("  contact {}\n", rb42_string(name))),
        }
    }
    let unfilled = outline.contacts.iter().any(|(_, reach)| {
        reach.as_deref().is_none_or(|r| {
            r.contains('[') || r.contains('…') || r.contains("...") || r.trim().is_empty()
        })
    });
    if unfilled {
        comment(
            text,
            1,
            "fill in the contacts the source left blank or as placeholders",
            true,
        );
    }
    if !outline.contacts.is_empty() {
        text.push('\n');
    }
    for p in &inputs.params {
        let mut line = format!("  param {}: string", p.name);
        if let Some(default) = &p.default {
            line.push_str(&format!(" = {}", rb42_string(default)));
        }
        if let Some(env) = &p.env {
            line.push_str(&format!(" env {}", rb42_string(env)));
        }
        line.push_str(&format!(" help {}\n", rb42_string(&p.help)));
        text.push_str(&line);
    }
    for s in &inputs.secrets {
        text.push_str(&format!(
            "  secret {} from env {}\n",
            s.name,
            rb42_string(&s.env)
        ));
    }
    for m in &inputs.modules {
        text.push_str(&format!(
            "  use {} as {}\n",
            rb42_string(m.path()),
            m.alias()
        ));
    }
    for h in &inputs.hosts {
        let user = match &h.user {
            Some(UserValue::Text(u)) => format!(" user {}", rb42_string(u)),
            Some(UserValue::Param(p)) => format!(" user {p}"),
            None => String::new(),
        };
        text.push_str(&format!(
            "  host {} {{ address {}{user} }}\n",
            h.id, h.address
        ));
    }
}

fn procedure(
    out: &mut String,
    id: &str,
    p: &ProcedureOutline,
    rollbacks: &[String],
    french: bool,
    translator: &mut Translator<'_>,
    summary: &mut Summary,
) {
    out.push_str(&format!("  procedure {id} {} {{\n", rb42_string(&p.title)));
    if !p.description.is_empty() {
        out.push_str(&format!(
            "    description {}\n",
            rb42_string(&p.description.join("\n\n"))
        ));
    }
    for piece in &p.notes {
        match piece {
            Piece::Note(text) => comment(out, 2, text, false),
            Piece::Todo(text) => comment(out, 2, text, true),
            Piece::Command { text, .. } => comment(out, 2, text, false),
        }
    }
    let mut step_ids = Unique::default();
    let mut steps_text = String::new();
    let mut changes = false;
    for step in &p.steps {
        let sid = step_ids.take(&ids::slug(&step.title), "step", '-');
        summary.steps += 1;
        changes |= write_step(
            &mut steps_text,
            &sid,
            step,
            p.remote.as_deref(),
            french,
            translator,
            summary,
        );
    }
    let title = p.title.to_lowercase();
    if changes && !is_rollback(&p.title) && CHANGES.iter().any(|w| title.contains(w)) {
        let todo = if rollbacks.is_empty() {
            "write the rollback of each step that changes something (`rollback { … }`): the source gives none".to_string()
        } else {
            let named: Vec<String> = rollbacks
                .iter()
                .take(3)
                .map(|r| format!("« {r} »"))
                .collect();
            format!(
                "write the rollback of each step that changes something (`rollback {{ … }}`), from what the source says in {}",
                named.join(", ")
            )
        };
        comment(out, 2, &todo, true);
    }
    out.push_str(&steps_text);
    out.push_str("  }\n");
}

/// Writes a step; tells whether it changes something (a command that is not only a read).
fn write_step(
    out: &mut String,
    id: &str,
    step: &StepOutline,
    hint: Option<&str>,
    french: bool,
    translator: &mut Translator<'_>,
    summary: &mut Summary,
) -> bool {
    // Where the step runs: the host of its first remote command, found on a copy of the shell.
    let saved = translator.shell.clone();
    let mut host = None;
    for piece in &step.pieces {
        if let Piece::Command {
            text,
            complete,
            remote,
            ..
        } = piece
        {
            let found = translator.command(text, *complete, remote.as_deref().or(hint), None);
            if let Some(h) = found.iter().find_map(|o| match o {
                Outcome::Code { host: Some(h), .. } => Some(h.clone()),
                _ => None,
            }) {
                host = Some(h);
                break;
            }
        }
    }
    translator.shell = saved;
    let mut body = String::new();
    let mut has_code = false;
    let mut changes = false;
    for piece in &step.pieces {
        match piece {
            Piece::Note(text) => comment(&mut body, 3, text, false),
            Piece::Todo(text) => comment(&mut body, 3, text, true),
            Piece::Command {
                text,
                complete,
                remote,
                ..
            } => {
                for outcome in
                    translator.command(text, *complete, remote.as_deref().or(hint), host.as_deref())
                {
                    match outcome {
                        Outcome::Code { lines, .. } => {
                            summary.code += 1;
                            has_code = true;
                            for line in lines {
                                changes |=
                                    !line.contains("read: true") && !line.starts_with("http_get(");
                                body.push_str(&format!("      {line}\n"));
                            }
                        }
                        Outcome::Context(note) => {
                            summary.code += 1;
                            comment(&mut body, 3, &note, false);
                        }
                        Outcome::Todo(why) => {
                            summary.todo += 1;
                            comment(&mut body, 3, &why, true);
                        }
                        Outcome::Note(note) => comment(&mut body, 3, &note, false),
                    }
                }
            }
        }
    }
    let mut header = format!("    step {id} {}", rb42_string(&step.title));
    if let Some(h) = &host {
        header.push_str(&format!(" on {h}"));
    }
    if let (Some(condition), true) = (&step.condition, has_code) {
        // French puts a space before a question mark.
        let mark = if french { " ?" } else { "?" };
        let question = format!("{}{mark}", condition.replace("${", "$ {"));
        header.push_str(&format!(" confirm {}", rb42_string(&question)));
    }
    out.push_str(&format!("\n{header} {{\n{body}    }}\n"));
    changes
}

/// A `//` comment at `level` (two spaces each), wrapped; a TODO starts with `TODO(import):`.
fn comment(out: &mut String, level: usize, text: &str, todo: bool) {
    let indent = "  ".repeat(level);
    let text = comment_text(text);
    let text = if todo {
        format!("TODO(import): {text}")
    } else {
        text
    };
    let mut line = String::new();
    let mut first = true;
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > COMMENT_WIDTH {
            let lead = if first { "" } else { "  " };
            out.push_str(&format!("{indent}// {lead}{line}\n"));
            line.clear();
            first = false;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || first {
        let lead = if first { "" } else { "  " };
        out.push_str(&format!("{indent}// {lead}{line}\n"));
    }
}

/// A file's name without its directory and extension.
fn stem(path: &str) -> String {
    std::path::Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "imported".to_string())
}
