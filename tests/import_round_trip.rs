//! `runbook import`'s round trip: `runbook doc` of each draft has the source's sections that
//! hold commands, in the same order, each with the same commands (or a TODO naming the
//! command where it stood).

use crate::import::{DOCUMENTS, fixture, import, on_draft};

/// The words of a line as the page shows them: quotes dropped, `docker-compose` as
/// `docker compose` (the stdlib runs whichever Compose the host has).
fn words(line: &str) -> Vec<String> {
    // A page says which Compose program runs only when the run chooses it.
    line.replace(
        "⟨docker compose or docker-compose, chosen at run time⟩",
        "docker compose",
    )
    .replace("docker-compose ", "docker compose ")
    .split_whitespace()
    .map(|w| w.trim_matches(|c| c == '\'' || c == '"').to_string())
    .filter(|w| !w.is_empty())
    .collect()
}

/// Whether a word of the source is a placeholder the draft made a parameter of.
fn is_placeholder(word: &str) -> bool {
    [
        "<",
        "$",
        "{",
        "[",
        "YOUR_",
        "YYYY",
        "previous-tag",
        "previous_version",
        "username",
        "...",
    ]
    .iter()
    .any(|p| word.contains(p))
}

/// What a section of the source holds, read the simple way a person skims it: its heading, the
/// lines of its shell blocks (prompts dropped, continuations joined, comments and a console's
/// output left out), and the commands list items give in backticks (`- Logs: `cmd``).
struct SourceSection {
    heading: String,
    commands: Vec<String>,
}

fn source_sections(markdown: &str) -> Vec<SourceSection> {
    let mut sections = vec![SourceSection {
        heading: String::new(),
        commands: Vec::new(),
    }];
    let mut fence: Option<(String, bool)> = None;
    let mut pending = String::new();
    for line in markdown.lines() {
        let trimmed = line.trim();
        if let Some((marker, shell)) = &fence {
            if trimmed.starts_with(marker.as_str())
                && trimmed.trim_start_matches(['`', '~']).is_empty()
            {
                fence = None;
                continue;
            }
            if !shell {
                continue;
            }
            let console_output = marker.ends_with("console") && !trimmed.starts_with("$ ");
            let command = trimmed.strip_prefix("$ ").unwrap_or(trimmed);
            if command.is_empty() || command.starts_with('#') || console_output || command == "EOF"
            {
                continue;
            }
            pending.push_str(command.trim_end_matches('\\').trim());
            if command.ends_with('\\') || command.ends_with('|') {
                pending.push(' ');
                continue;
            }
            let done = std::mem::take(&mut pending);
            if let Some(section) = sections.last_mut() {
                section.commands.push(done);
            }
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("```") {
            let lang = rest.trim().to_string();
            let shell = matches!(lang.as_str(), "bash" | "sh" | "shell" | "console");
            fence = Some((
                if lang == "console" {
                    "```console".into()
                } else {
                    "```".into()
                },
                shell,
            ));
            continue;
        }
        if line.starts_with('#') {
            let heading = line.trim_start_matches('#').trim().replace(['`', '*'], "");
            sections.push(SourceSection {
                heading,
                commands: Vec::new(),
            });
        } else if let Some(command) = item_command(trimmed)
            && let Some(section) = sections.last_mut()
        {
            section.commands.push(command);
        }
    }
    sections
}

/// The command of a list item that gives one in backticks, first or after a label:
/// `- Logs: `docker compose logs web``, `1. `kubectl get pods` → …`.
fn item_command(line: &str) -> Option<String> {
    let text = line.strip_prefix("- ").or_else(|| {
        line.split_once(". ")
            .filter(|(n, _)| n.chars().all(|c| c.is_ascii_digit()))
            .map(|(_, t)| t)
    })?;
    let code = match text.split_once(": `") {
        Some((label, rest)) if !label.contains('`') => rest,
        _ => text.strip_prefix('`')?,
    };
    let code = code.split('`').next()?;
    let first = code.split_whitespace().next()?;
    let commands = [
        "docker",
        "docker-compose",
        "kubectl",
        "curl",
        "ssh",
        "systemctl",
        "psql",
        "pg_dump",
    ];
    (commands.contains(&first) && code.split_whitespace().count() > 1).then(|| code.to_string())
}

/// The lines of a page from its procedures on, each with whether it is a command (inside a
/// code block) or text (a title, a description).
fn page_lines(page: &str) -> Vec<(bool, String)> {
    let mut lines = Vec::new();
    let mut in_block = false;
    for line in page.lines().skip_while(|l| *l != "## Procedures") {
        if line.starts_with("```") {
            in_block = !in_block;
        } else if !line.trim().is_empty() {
            lines.push((in_block, line.to_string()));
        }
    }
    lines
}

/// Whether a text line of the page shows a heading: a procedure's or step's title (numbering
/// aside), or a description that names it.
fn shows_heading(line: &str, heading: &str) -> bool {
    if let Some(title) = line.strip_prefix("### ") {
        return unnumbered(title) == heading;
    }
    if let Some(step) = line.strip_prefix("#### ") {
        let title = step.split_once(". ").map_or(step, |(_, t)| t);
        let title = title.rsplit_once(" (`").map_or(title, |(t, _)| t);
        return unnumbered(title) == heading;
    }
    unnumbered(line) == heading
}

/// A title without the numbering the source gave it (`3. Renew`, `Step 2: …`).
fn unnumbered(title: &str) -> String {
    let t = title.trim_start_matches(|c: char| c.is_ascii_digit());
    let t = if t.len() < title.len() {
        t.trim_start_matches(['.', ')', ':', ' '])
    } else {
        title
    };
    t.to_string()
}

/// The draft's comments, with wrapped lines joined back.
fn draft_comments(draft: &str) -> String {
    draft
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("//"))
        .map(|c| c.trim_start().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_docs_of_a_draft_have_the_sources_sections_in_order_with_its_commands() {
    for doc in &DOCUMENTS {
        let markdown = fixture(doc.dir, doc.file);
        let (_, draft) = import(doc);
        let mut args = vec!["doc"];
        // A dump's URL must be one for the page to trace it.
        if draft.contains("param database_url") {
            args.extend(["-p", "database_url=postgres://app@db.example/shop"]);
        }
        let page = on_draft(&draft, &args);
        page.code(0);
        let lines = page_lines(&page.stdout);
        let comments = draft_comments(&draft);
        let mut cursor = 0;
        let mut checked = 0;
        for section in source_sections(&markdown) {
            if section.commands.is_empty() {
                continue;
            }
            // A section holding shell blocks is on the page, after the one before it: as a
            // procedure, a step, or (for side by side operations) the description of each.
            let heading = unnumbered(&section.heading);
            let at = lines[cursor..]
                .iter()
                .position(|(command, line)| !command && shows_heading(line, &heading))
                .unwrap_or_else(|| {
                    panic!(
                        "{}: section « {heading} » is not on the page after line {cursor}",
                        doc.file
                    )
                });
            cursor += at;
            for command in section.commands {
                let wanted: Vec<String> = words(&command)
                    .into_iter()
                    .filter(|w| !is_placeholder(w) && !w.contains('=') && w != ">" && w != "sudo")
                    .collect();
                let context = matches!(
                    wanted.first().map(String::as_str),
                    Some("cd" | "export" | "exit")
                ) || (wanted.first().map(String::as_str) == Some("ssh")
                    && wanted.len() <= 2);
                if context || wanted.is_empty() {
                    continue;
                }
                // Left as a TODO, with the command, where it stood.
                if comments.contains(&format!(
                    "left to a person: {}",
                    command.split_whitespace().collect::<Vec<_>>().join(" ")
                )) {
                    continue;
                }
                // Otherwise on the page, after what came before it: `curl -f URL` as the GET of
                // an HTTP check, `ssh HOST 'CMD'` as CMD on that host, others word for word.
                let wanted = match wanted.first().map(String::as_str) {
                    Some("curl")
                        if wanted.iter().any(|w| w.starts_with("-f") || w == "-sf")
                            && !wanted.iter().any(|w| w == "-o") =>
                    {
                        vec![
                            "GET".to_string(),
                            wanted.last().cloned().unwrap_or_default(),
                        ]
                    }
                    Some("ssh") => wanted[2..].to_vec(),
                    _ => wanted,
                };
                let found = lines[cursor..].iter().position(|(is_command, line)| {
                    let have = words(line);
                    *is_command && wanted.iter().all(|w| have.contains(w))
                });
                let Some(found) = found else {
                    panic!(
                        "{}: « {command} » of « {heading} » is neither on the page after line {cursor} nor a TODO",
                        doc.file
                    );
                };
                cursor += found;
                checked += 1;
            }
        }
        assert!(
            checked > 0,
            "{}: no command of the source was found on the page",
            doc.file
        );
    }
}
