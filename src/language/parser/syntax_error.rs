//! What pest refuses, worded for the author: the place, what was expected in the language's
//! own words, and an unterminated string named where it opens.

use super::Rule;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::{Location, SourceFile, Span};
use std::sync::Arc;

pub(super) fn syntax_error(
    source: &Arc<SourceFile>,
    error: &pest::error::Error<Rule>,
) -> Diagnostic {
    let (line, col) = match error.line_col {
        pest::error::LineColLocation::Pos(p) | pest::error::LineColLocation::Span(p, _) => p,
    };
    let at_end = match error.location {
        pest::error::InputLocation::Pos(p) | pest::error::InputLocation::Span((p, _)) => {
            p >= source.text.len()
        }
    };
    let found = source
        .line(line)
        .and_then(|l| l.chars().skip(col - 1).find(|c| !c.is_whitespace()))
        .map(|c| format!("`{c}`"));
    let expected = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => describe_expected(positives),
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    let open_string =
        unclosed_string(&source.text).filter(|start| *start <= Location::new(line, col));
    let message = match (open_string, at_end) {
        (Some(_), _) => "unterminated string: the file ends inside quotes".to_string(),
        (None, true) => format!("unexpected end of file: expected {expected}"),
        (None, false) => format!(
            "expected {expected}, found {}",
            found.unwrap_or_else(|| "end of line".into())
        ),
    };
    let span = Span::new(open_string.unwrap_or(Location::new(line, col)), 1);
    let mut diagnostic = Diagnostic::error(message).at(source, span);
    if at_end {
        diagnostic = diagnostic.help("a block or string was left open; every `{` needs its `}`");
    }
    diagnostic
}

/// Where an unterminated string literal starts, outside comments, if there is one.
fn unclosed_string(text: &str) -> Option<Location> {
    let mut open: Option<(Location, char)> = None;
    let (mut line, mut col) = (1, 0);
    let mut chars = text.chars().peekable();
    let mut in_line_comment = false;
    while let Some(c) = chars.next() {
        col += 1;
        if c == '\n' {
            line += 1;
            col = 0;
            in_line_comment = false;
            continue;
        }
        if in_line_comment {
            continue;
        }
        match open {
            Some((_, quote)) if c == '\\' => {
                let _ = quote;
                chars.next();
                col += 1;
            }
            Some((_, quote)) if c == quote => open = None,
            Some(_) => {}
            None if c == '/' && chars.peek() == Some(&'/') => in_line_comment = true,
            None if c == '"' || c == '`' => open = Some((Location::new(line, col), c)),
            None => {}
        }
    }
    open.map(|(at, _)| at)
}

fn describe_expected(rules: &[Rule]) -> String {
    let mut names: Vec<&str> = rules.iter().map(|r| rule_name(*r)).collect();
    names.sort_unstable();
    names.dedup();
    match names.as_slice() {
        [] => "something else".into(),
        [one] => (*one).into(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn rule_name(rule: Rule) -> &'static str {
    match rule {
        Rule::runbook => "`runbook \"name\" {`",
        Rule::runbook_item => {
            "a runbook item (description, param, secret, use, guard, procedure) or `}`"
        }
        Rule::procedure_item => "a procedure item (step, confirm, guard, finally) or `}`",
        Rule::description => "`description`",
        Rule::owner => "`owner`",
        Rule::contact => "`contact`",
        Rule::tags => "`tags`",
        Rule::param => "`param`",
        Rule::param_type => "a type (string, int, bool, duration, list)",
        Rule::param_clause | Rule::allowed | Rule::from_env | Rule::help => {
            "a parameter clause (one of, env, help)"
        }
        Rule::secret => "`secret`",
        Rule::secret_source
        | Rule::secret_env
        | Rule::secret_file
        | Rule::secret_prompt
        | Rule::secret_command => {
            "a secret source (env \"VAR\", file \"path\", prompt \"question\", command [\"argv\"])"
        }
        Rule::use_module => "`use`",
        Rule::guard => "`guard`",
        Rule::procedure => "`procedure`",
        Rule::default_flag => "`default`",
        Rule::step => "`step`",
        Rule::step_attr | Rule::retry | Rule::timeout | Rule::when | Rule::step_confirm => {
            "a step attribute (retry, timeout, when, confirm, journal) or `{`"
        }
        Rule::step_journal | Rule::kw_journal => "`journal`",
        Rule::rollback => "`rollback`",
        Rule::gate => "`confirm`",
        Rule::finally => "`finally`",
        Rule::body | Rule::code => "a `{ … }` block",
        Rule::literal | Rule::literal_list | Rule::string_list => "a value",
        Rule::boolean => "`true` or `false`",
        Rule::duration => "a duration (30s, 10m, 1h30m)",
        Rule::integer => "a whole number",
        Rule::number => "a number",
        Rule::string | Rule::string_inner => "a \"string\"",
        Rule::ident => "a name (letters, digits, _)",
        Rule::id => "an id (letters, digits, _, -)",
        Rule::keyword => "a keyword",
        Rule::EOI => "end of file",
        Rule::kw_runbook => "`runbook`",
        Rule::kw_description => "`description`",
        Rule::kw_owner => "`owner`",
        Rule::kw_contact => "`contact`",
        Rule::kw_tags => "`tags`",
        Rule::kw_param => "`param`",
        Rule::kw_one => "`one`",
        Rule::kw_of => "`of`",
        Rule::kw_env => "`env`",
        Rule::kw_help => "`help`",
        Rule::kw_secret => "`secret`",
        Rule::kw_from => "`from`",
        Rule::kw_file => "`file`",
        Rule::kw_prompt => "`prompt`",
        Rule::kw_command => "`command`",
        Rule::kw_use => "`use`",
        Rule::kw_as => "`as`",
        Rule::kw_guard => "`guard`",
        Rule::kw_procedure => "`procedure`",
        Rule::kw_default => "`default`",
        Rule::kw_step => "`step`",
        Rule::kw_retry => "`retry`",
        Rule::kw_every => "`every`",
        Rule::kw_backoff => "`backoff`",
        Rule::kw_timeout => "`timeout`",
        Rule::kw_when => "`when`",
        Rule::kw_confirm => "`confirm`",
        Rule::kw_rollback => "`rollback`",
        Rule::kw_finally => "`finally`",
        Rule::host | Rule::kw_host => "`host`",
        Rule::host_block => "a `{ … }` block of host settings",
        Rule::host_setting | Rule::host_setting_name | Rule::kw_option => {
            "a host setting (address, user, port, identity, jump, option)"
        }
        Rule::host_value | Rule::reference => "a \"string\", a number or a parameter name",
        Rule::group | Rule::kw_group => "`group`",
        Rule::inventory | Rule::kw_inventory => "`inventory`",
        Rule::on_target | Rule::kw_on => "`on`",
        Rule::forks | Rule::kw_forks => "`forks`",
        Rule::tolerate | Rule::kw_tolerate => "`tolerate`",
        Rule::percent => "a percentage (20%)",
        Rule::kw_all => "`all`",
        Rule::optional_flag | Rule::kw_optional => "`optional`",
        _ => "something else",
    }
}
