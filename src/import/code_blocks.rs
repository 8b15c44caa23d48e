//! The code a document holds: which blocks are shell, which inline code spans are commands,
//! and what the draft says of a block that is not commands.

use super::shell_text;

/// Whether a code block is shell: its language says so, or, without a language, every line
/// reads as a command.
pub fn is_shell_block(lang: &str, text: &str) -> bool {
    if shell_text::is_shell(lang) {
        return true;
    }
    lang.is_empty()
        && text.lines().any(|l| !l.trim().is_empty())
        && text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .all(|l| shell_text::is_command(l.trim_start_matches("$ ")))
}

/// The code spans that are commands.
pub fn inline_commands(codes: &[String]) -> Vec<String> {
    codes
        .iter()
        .filter(|c| shell_text::is_command(c))
        .cloned()
        .collect()
}

/// What the draft says of a code block it does not run.
pub fn code_summary(lang: &str, text: &str) -> String {
    let lines = text.lines().count();
    let what = if lang.is_empty() {
        "code".to_string()
    } else {
        format!("`{lang}`")
    };
    format!(
        "(a {what} block of {lines} line{} in the source: not commands)",
        if lines == 1 { "" } else { "s" }
    )
}
