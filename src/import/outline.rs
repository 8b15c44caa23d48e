//! The shape of the draft, decided from the document's sections: which become procedures,
//! which steps each has, and what stays a note.
//!
//! A top section that holds commands or numbered instructions becomes a procedure; one that
//! does not is kept as a comment and its sub-sections are looked at the same way. Inside a
//! procedure, numbered list items, instruction items ("Vérifier …", "Restart …"), numbered
//! comments of a shell block (`# 1. …`) and numbered sub-headings are its steps, in order. Side
//! by side alternatives are not chained: when a section lists two or more labelled blocks
//! ("Démarrer :" then a shell block, "Arrêter :" then another) each becomes a procedure of its
//! own, and so does anything titled as a rollback or a restore — running a procedure never
//! does more than the source asked in one go.

use super::code_blocks::{code_summary, inline_commands, is_shell_block};
use super::markdown::{Block, Located};
use super::procedure_builder::{ProcedureBuilder, ProcedureOutline};
use super::sections::{Document, Section};
use super::wording::{self, Language};

/// The draft's shape.
#[derive(Debug, Default)]
pub struct Outline {
    pub language: Language,
    pub title: Option<String>,
    pub description: Vec<String>,
    pub contacts: Vec<(String, Option<String>)>,
    pub entries: Vec<Entry>,
}

/// What the draft holds, in the source's order.
#[derive(Debug)]
pub enum Entry {
    Procedure(ProcedureOutline),
    /// A section with nothing to run, kept as comment lines; `todo` says what is left to do.
    Note {
        lines: Vec<String>,
        todo: Option<String>,
    },
}

/// The outline of a document.
pub fn outline(doc: &Document, language: Language) -> Outline {
    let mut out = Outline {
        language,
        title: doc.title.clone(),
        ..Outline::default()
    };
    out.description.extend(prose(&doc.intro));
    let tables: Vec<Located> = doc
        .intro
        .iter()
        .filter(|b| matches!(b.block, Block::Table { .. }))
        .cloned()
        .collect();
    if !tables.is_empty() {
        let rest = take_contacts(tables, language, &mut out.contacts);
        if !rest.is_empty() {
            out.entries.push(Entry::Note {
                lines: note_lines(&rest),
                todo: None,
            });
        }
    }
    if has_operations(&doc.intro, language) {
        let title = doc.title.clone().unwrap_or_default();
        out.entries
            .push(procedure(&title, &doc.intro, &[], language));
    }
    for section in &doc.sections {
        visit(section, false, language, &mut out);
    }
    out
}

fn visit(section: &Section, in_contacts: bool, language: Language, out: &mut Outline) {
    let title = section.heading();
    let contacts = in_contacts || is_contacts(&title);
    let mut blocks = section.blocks.clone();
    if contacts {
        blocks = take_contacts(blocks, language, &mut out.contacts);
    }
    if is_table_of_contents(&title, &blocks) {
        out.entries.push(Entry::Note {
            lines: vec![format!(
                "{title}: left out, `runbook doc` writes its own contents."
            )],
            todo: None,
        });
        return;
    }
    if is_overview(&title) && out.description.is_empty() && !has_operations(&blocks, language) {
        out.description.extend(prose(&blocks));
        blocks.clear();
    }
    // Numbered sub-headings ("1. Drain", "Step 2: Upgrade") are steps of this section.
    let (steps, others): (Vec<&Section>, Vec<&Section>) = section
        .children
        .iter()
        .partition(|c| is_numbered(&c.heading()) && !is_rollback(&c.heading()));
    let (rest, groups) = split_alternatives(&title, &blocks, language);
    // Prerequisites read as instructions ("Read access to …") but are checks to write.
    let own_operations = if is_prerequisites(&title) {
        has_commands(&rest)
    } else {
        has_operations(&rest, language)
            || steps
                .iter()
                .any(|s| has_operations(&s.flattened(), language))
    };
    if own_operations {
        out.entries.push(procedure(&title, &rest, &steps, language));
    } else if !rest.is_empty() || !groups.is_empty() || !others.is_empty() {
        let mut lines = vec![title.clone()];
        lines.extend(note_lines(&rest));
        for step in &steps {
            lines.push(step.heading());
            lines.extend(note_lines(&step.flattened()));
        }
        let todo = if is_rollback(&title) && groups.is_empty() && others.is_empty() {
            Some(
                "the source describes a rollback here without a command: write it as a procedure"
                    .to_string(),
            )
        } else if is_prerequisites(&title) {
            Some("prerequisites: write each as a `guard` of the runbook".to_string())
        } else {
            None
        };
        out.entries.push(Entry::Note { lines, todo });
    }
    for (label, group) in groups {
        let mut entry = procedure(&label, &group, &[], language);
        if let Entry::Procedure(p) = &mut entry {
            // The section these side by side operations come from, as the page shows it.
            p.description.insert(0, title.clone());
        }
        out.entries.push(entry);
    }
    for child in others {
        visit(child, contacts, language, out);
    }
}

fn procedure(title: &str, blocks: &[Located], steps: &[&Section], language: Language) -> Entry {
    let mut builder = ProcedureBuilder::new(title, language);
    builder.blocks(blocks);
    for step in steps {
        // `runbook doc` numbers steps itself.
        builder.start_step(without_number(&step.heading()));
        builder.blocks(&step.flattened());
    }
    Entry::Procedure(builder.finish())
}

/// Whether blocks hold something to run or do: a shell block, a command in an instruction, or
/// an instruction item.
pub fn has_operations(blocks: &[Located], language: Language) -> bool {
    blocks.iter().enumerate().any(|(i, b)| match &b.block {
        Block::Code { lang, text, .. } => is_shell_block(lang, text),
        Block::Text { text, item } => {
            let plain = text.plain();
            !wording::is_descriptive(&plain)
                && (!inline_commands(&text.codes).is_empty()
                    || (item.is_some() && wording::is_instruction(&plain, language))
                    || (wording::is_label(&plain)
                        && blocks.get(i + 1).is_some_and(|n| matches!(&n.block, Block::Code { lang, text, .. } if is_shell_block(lang, text)))))
        }
        _ => false,
    })
}

/// Whether blocks hold a command: a shell block, or a command in a text.
fn has_commands(blocks: &[Located]) -> bool {
    blocks.iter().any(|b| match &b.block {
        Block::Code { lang, text, .. } => is_shell_block(lang, text),
        Block::Text { text, .. } => {
            !wording::is_descriptive(&text.plain()) && !inline_commands(&text.codes).is_empty()
        }
        _ => false,
    })
}

/// Splits a section's blocks into what stays with it and the labelled alternatives that become
/// procedures of their own: two or more labelled groups holding operations, or one whose label
/// names a rollback.
#[allow(clippy::type_complexity)]
fn split_alternatives(
    title: &str,
    blocks: &[Located],
    language: Language,
) -> (Vec<Located>, Vec<(String, Vec<Located>)>) {
    let groups = labelled_groups(blocks);
    let with_operations: Vec<&(usize, usize)> = groups
        .iter()
        .filter(|(start, end)| has_operations(&blocks[*start..*end], language))
        .collect();
    // Short labels name operations side by side ("Démarrer :", "Logs :"); sentences
    // ("Point the application at the new primary:") walk through one.
    let side_by_side = with_operations.len() >= 2
        && with_operations
            .iter()
            .all(|(start, _)| is_short_label(&label_of(&blocks[*start])));
    let split: Vec<(usize, usize)> = with_operations
        .iter()
        .filter(|(start, _)| {
            side_by_side || (is_rollback(&label_of(&blocks[*start])) && !is_rollback(title))
        })
        .map(|g| **g)
        .collect();
    if split.is_empty() {
        return (blocks.to_vec(), Vec::new());
    }
    let mut rest = Vec::new();
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end) in split {
        rest.extend_from_slice(&blocks[at..start]);
        let label = label_of(&blocks[start]);
        // The label is the procedure's title; its first step keeps it as title too.
        out.push((label, blocks[start..end].to_vec()));
        at = end;
    }
    rest.extend_from_slice(&blocks[at..]);
    (rest, out)
}

/// A label of a few words, parentheses aside.
fn is_short_label(label: &str) -> bool {
    let mut depth = 0usize;
    let outside: String = label
        .chars()
        .filter(|&c| {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ => {}
            }
            depth == 0 && c != ')'
        })
        .collect();
    outside.split_whitespace().count() <= 6
}

/// The label text of a block, without its colon.
fn label_of(block: &Located) -> String {
    match &block.block {
        Block::Text { text, .. } => text
            .plain()
            .trim_end_matches(['*', '_', ' '])
            .trim_end_matches(':')
            .trim()
            .to_string(),
        _ => String::new(),
    }
}

/// `(start, end)` of each labelled group: a label ("Logs :") — a paragraph, or an item of a
/// bullet list, at the top of the blocks — with what it announces: what is nested under it, or
/// the code block right after it. Numbered items are a sequence, never alternatives.
fn labelled_groups(blocks: &[Located]) -> Vec<(usize, usize)> {
    let mut groups = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        let b = &blocks[i];
        let is_label = match &b.block {
            Block::Text { text, item: None } => b.depth == 0 && wording::is_label(&text.plain()),
            Block::Text {
                text,
                item: Some(item),
            } => b.depth == 1 && item.number.is_none() && wording::is_label(&text.plain()),
            _ => false,
        };
        if !is_label {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < blocks.len() && blocks[end].depth > b.depth {
            end += 1;
        }
        if end == i + 1 && matches!(blocks.get(end).map(|n| &n.block), Some(Block::Code { .. })) {
            end += 1;
        }
        if end > i + 1 {
            groups.push((i, end));
        }
        i = end.max(i + 1);
    }
    groups
}

/// Items of a contacts section that name someone ("**DBA** : [Nom] - [Email]") become contacts;
/// the other blocks are returned.
fn take_contacts(
    blocks: Vec<Located>,
    language: Language,
    contacts: &mut Vec<(String, Option<String>)>,
) -> Vec<Located> {
    let mut rest = Vec::new();
    for b in blocks {
        match &b.block {
            Block::Text {
                text,
                item: Some(_),
            } if !wording::is_instruction(&text.plain(), language) => {
                let plain = text.plain().replace("**", "");
                match plain
                    .split_once(" : ")
                    .or_else(|| plain.split_once(": "))
                    .or_else(|| plain.split_once(" — "))
                    .or_else(|| plain.split_once(" - "))
                {
                    Some((name, reach)) => {
                        contacts.push((name.trim().to_string(), Some(reach.trim().to_string())))
                    }
                    None => contacts.push((plain.trim_end_matches(':').trim().to_string(), None)),
                }
            }
            Block::Table { rows } if rows.len() > 1 => {
                for row in &rows[1..] {
                    let mut cells = row.iter().map(|c| c.trim()).filter(|c| !c.is_empty());
                    if let Some(name) = cells.next() {
                        let reach: Vec<&str> = cells.collect();
                        contacts.push((
                            name.to_string(),
                            (!reach.is_empty()).then(|| reach.join(" - ")),
                        ));
                    }
                }
            }
            _ => rest.push(b),
        }
    }
    rest
}

/// The prose of blocks, one entry per paragraph or item.
pub fn prose(blocks: &[Located]) -> Vec<String> {
    blocks
        .iter()
        .filter_map(|b| match &b.block {
            Block::Text { text, .. } => Some(text.plain()),
            _ => None,
        })
        .filter(|t| !t.is_empty())
        .collect()
}

/// Blocks as comment lines: text as written (items with `-`), code and tables summarised.
pub fn note_lines(blocks: &[Located]) -> Vec<String> {
    blocks
        .iter()
        .map(|b| {
            let indent = "  ".repeat(b.depth.saturating_sub(1));
            match &b.block {
                Block::Text {
                    text,
                    item: Some(item),
                } => match item.number {
                    Some(n) => format!("{indent}{n}. {}", text.plain()),
                    None => format!("{indent}- {}", text.plain()),
                },
                Block::Text { text, item: None } | Block::Heading { text, .. } => text.plain(),
                Block::Code { lang, text, .. } => code_summary(lang, text),
                Block::Table { rows } => format!("(a table of {} rows in the source)", rows.len()),
            }
        })
        .collect()
}

fn lower(text: &str) -> String {
    text.to_lowercase()
}

/// Titles about undoing: rollback, restore, « retour arrière », revert.
pub fn is_rollback(title: &str) -> bool {
    let t = lower(title);
    [
        "rollback",
        "roll back",
        "roll-back",
        "restaur",
        "restore",
        "retour arrière",
        "retour en arrière",
        "revert",
    ]
    .iter()
    .any(|w| t.contains(w))
}

fn is_contacts(title: &str) -> bool {
    let t = lower(title);
    [
        "contact",
        "escalad",
        "escalation",
        "astreinte",
        "on-call",
        "on call",
        "responsab",
        "référent",
        "numéros d'urgence",
        "numéros d’urgence",
    ]
    .iter()
    .any(|w| t.contains(w))
}

fn is_overview(title: &str) -> bool {
    let t = lower(title);
    [
        "vue d'ensemble",
        "vue d’ensemble",
        "overview",
        "objectif",
        "purpose",
        "summary",
        "résumé",
        "introduction",
    ]
    .iter()
    .any(|w| t.contains(w))
}

fn is_prerequisites(title: &str) -> bool {
    let t = lower(title);
    [
        "prérequis",
        "pré-requis",
        "prerequisite",
        "requirements",
        "before you begin",
    ]
    .iter()
    .any(|w| t.contains(w))
}

fn is_table_of_contents(title: &str, blocks: &[Located]) -> bool {
    let t = lower(title);
    let named = [
        "table des matières",
        "sommaire",
        "contents",
        "table of contents",
    ]
    .iter()
    .any(|w| t.contains(w));
    let links = blocks
        .iter()
        .all(|b| matches!(&b.block, Block::Text { text, item: Some(_) } if text.only_links));
    named || (!blocks.is_empty() && links)
}

/// A numbered title without its number: `2. Renew` → `Renew`.
fn without_number(title: &str) -> &str {
    let lower = title.to_lowercase();
    let skip = ["step ", "étape ", "etape "]
        .iter()
        .find(|w| lower.starts_with(*w))
        .map_or(0, |w| w.len());
    let rest = &title[skip..];
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    let rest = rest[digits..].trim_start_matches(['.', ')', ':', '-', '—', ' ']);
    if rest.is_empty() { title } else { rest }
}

/// `1. Title`, `2) Title`, `Step 3: Title`, `Étape 4 — Title`.
pub fn is_numbered(title: &str) -> bool {
    let lower = lower(title);
    let rest = ["step ", "étape ", "etape "]
        .iter()
        .find_map(|w| lower.strip_prefix(w))
        .unwrap_or(&lower);
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && rest[digits..].starts_with(['.', ')', ':', ' ', '-'])
}
