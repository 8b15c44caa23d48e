//! The rustyline helper: Tab completion of what the session knows (primitives, module
//! functions, variables, parameters, procedures, step ids, commands, files for `:load`), and
//! multi-line input while a block or a string is open.

use super::command::{COMMANDS, is_command};
use super::open_input::is_open;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper, Highlighter, Hinter};
use std::sync::{Arc, PoisonError, RwLock};

/// The names completion offers, kept up to date by the session.
#[derive(Debug, Default, Clone)]
pub struct Vocabulary {
    /// Primitives and `module::function` names.
    pub functions: Vec<String>,
    pub variables: Vec<String>,
    /// Parameters and secrets.
    pub params: Vec<String>,
    pub procedures: Vec<String>,
    /// Step ids, and `PROC.ID` for each.
    pub steps: Vec<String>,
    /// The hosts and groups `:on` reaches.
    pub targets: Vec<String>,
}

pub type SharedVocabulary = Arc<RwLock<Vocabulary>>;

#[derive(Helper, Highlighter, Hinter)]
pub struct ReplHelper {
    vocabulary: SharedVocabulary,
    files: FilenameCompleter,
}

impl ReplHelper {
    pub fn new(vocabulary: SharedVocabulary) -> Self {
        Self {
            vocabulary,
            files: FilenameCompleter::new(),
        }
    }
}

/// Where the word before `pos` starts: letters, digits, `_` and `::`.
fn word_start(line: &str, pos: usize) -> usize {
    line[..pos]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || matches!(c, '_' | ':' | '.' | '-'))
        .last()
        .map_or(pos, |(i, _)| i)
}

fn matching<'a>(prefix: &str, names: impl IntoIterator<Item = &'a String>) -> Vec<Pair> {
    let mut found: Vec<&String> = names
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .collect();
    found.sort();
    found.dedup();
    found
        .into_iter()
        .map(|n| Pair {
            display: n.clone(),
            replacement: n.clone(),
        })
        .collect()
}

impl ReplHelper {
    /// Candidates for `prefix` in a rhai expression.
    fn in_code(&self, prefix: &str) -> Vec<Pair> {
        let v = self
            .vocabulary
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        matching(
            prefix,
            v.functions.iter().chain(&v.variables).chain(&v.params),
        )
    }

    /// Candidates for the argument of `command`.
    fn in_command(&self, command: &str, prefix: &str) -> Vec<Pair> {
        let v = self
            .vocabulary
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        match command {
            ":step" => matching(prefix, &v.steps),
            ":plan" => matching(prefix, &v.procedures),
            ":set" => matching(prefix, &v.params),
            ":dry" => matching(prefix, &["on".to_string(), "off".to_string()]),
            ":on" => matching(prefix, &v.targets),
            _ => Vec::new(),
        }
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        if !is_command(before) {
            let start = word_start(line, pos);
            return Ok((start, self.in_code(&line[start..pos])));
        }
        let trimmed = before.trim_start();
        let Some((command, rest)) = trimmed.split_once(char::is_whitespace) else {
            let start = pos - trimmed.len();
            let names: Vec<String> = COMMANDS.iter().map(|(n, _, _)| n.to_string()).collect();
            return Ok((start, matching(trimmed, &names)));
        };
        if command == ":load" {
            return self.files.complete(line, pos, ctx);
        }
        // Only the first argument is completed.
        if rest.trim_start().contains(char::is_whitespace) {
            return Ok((pos, Vec::new()));
        }
        let start = pos - rest.trim_start().len();
        Ok((start, self.in_command(command, &line[start..pos])))
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        Ok(if !is_command(input) && is_open(input) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustyline::history::DefaultHistory;

    fn complete(line: &str) -> (usize, Vec<String>) {
        let vocabulary = Vocabulary {
            functions: vec![
                "http_get".into(),
                "http_head".into(),
                "backup::archive".into(),
            ],
            variables: vec!["answer".into()],
            params: vec!["app_dir".into()],
            procedures: vec!["deploy".into()],
            steps: vec!["backup".into(), "deploy.backup".into()],
            targets: vec!["db1".into(), "web".into(), "web1".into()],
        };
        let helper = ReplHelper::new(Arc::new(RwLock::new(vocabulary)));
        let history = DefaultHistory::new();
        let ctx = Context::new(&history);
        let (start, pairs) = helper.complete(line, line.len(), &ctx).expect("completion");
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn code_completes_functions_variables_and_parameters() {
        assert_eq!(complete("let r = http_g"), (8, vec!["http_get".into()]));
        assert_eq!(complete("backup::a"), (0, vec!["backup::archive".into()]));
        assert_eq!(complete("ans"), (0, vec!["answer".into()]));
        assert_eq!(complete("print(app"), (6, vec!["app_dir".into()]));
    }

    #[test]
    fn commands_complete_their_names_and_arguments() {
        assert_eq!(complete(":ste"), (0, vec![":step".into()]));
        assert_eq!(
            complete(":step "),
            (6, vec!["backup".into(), "deploy.backup".into()])
        );
        assert_eq!(complete(":step dep"), (6, vec!["deploy.backup".into()]));
        assert_eq!(complete(":plan d"), (6, vec!["deploy".into()]));
        assert_eq!(complete(":dry o"), (5, vec!["off".into(), "on".into()]));
        assert_eq!(complete(":on we"), (4, vec!["web".into(), "web1".into()]));
        // The command after the target is shell text: nothing to complete.
        assert_eq!(complete(":on web upt"), (11, Vec::new()));
    }
}
