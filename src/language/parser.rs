//! From source text to the syntax tree: reads the file, refuses what is not text, runs the pest
//! grammar (`grammar/runbook.pest`) and turns its pairs into `ast` values.

use super::ast::{
    Body, Contact, Gate, GroupDecl, Guard, HostDecl, Item, Literal, LiteralAt, ModuleUse, Name,
    Param, ParamType, Procedure, Retry, Runbook, Secret, SecretSource, Step, Target, Tolerance,
    Value, ValueAt,
};
use super::duration;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::{Location, SourceFile, Span};
use pest::Parser as _;
use pest::iterators::Pair;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/runbook.pest"]
struct RunbookParser;

/// Deeper nesting than this is refused before parsing, so junk cannot exhaust the stack.
const MAX_NESTING: usize = 128;

/// Reads a runbook file from disk and parses it.
pub fn load(path: &Path) -> Result<(Arc<SourceFile>, Runbook), Diagnostic> {
    let shown = path.display().to_string();
    if path.is_dir() {
        return Err(Diagnostic::error("this is a directory, not a runbook file")
            .in_file(shown)
            .help("name a .rb42 file inside it"));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        };
        Diagnostic::error(format!("cannot read the runbook: {why}")).in_file(shown.clone())
    })?;
    load_bytes(path, &bytes)
}

/// Parses a runbook read elsewhere (standard input), named `path` in diagnostics.
pub fn load_bytes(path: &Path, bytes: &[u8]) -> Result<(Arc<SourceFile>, Runbook), Diagnostic> {
    let text = decode(bytes).map_err(|d| d.in_file(path.display().to_string()))?;
    let source = Arc::new(SourceFile::new(path, text));
    let runbook = parse(&source)?;
    Ok((source, runbook))
}

/// Refuses binary content and invalid UTF-8, naming where it starts (runbooks and modules).
pub fn decode(bytes: &[u8]) -> Result<String, Diagnostic> {
    let place = |offset: usize| {
        let before = &bytes[..offset];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        format!("line {line}, column {col} (byte {offset})")
    };
    if let Some(offset) = bytes.iter().position(|b| *b == 0) {
        return Err(Diagnostic::error(format!(
            "this is a binary file, not a runbook: NUL byte at {}",
            place(offset)
        )));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text).to_string()),
        Err(e) => Err(Diagnostic::error(format!(
            "the file is not valid UTF-8 at {}",
            place(e.valid_up_to())
        ))),
    }
}

/// Parses source text into a syntax tree.
pub fn parse(source: &Arc<SourceFile>) -> Result<Runbook, Diagnostic> {
    let runbook = pest_tree(source)?
        .into_inner()
        .find(|p| p.as_rule() == Rule::runbook)
        .ok_or_else(|| Diagnostic::error("no runbook in file"))?;
    Builder { source }.runbook(runbook)
}

/// The pest pair of the whole file (rule `file`), for tools that work on the text itself, such
/// as the formatter; `parse` builds the syntax tree from it.
pub fn pest_tree(source: &Arc<SourceFile>) -> Result<Pair<'_, Rule>, Diagnostic> {
    let text = &source.text;
    if text.trim().is_empty() {
        return Err(Diagnostic::error("the file is empty")
            .at(source, Span::new(Location::new(1, 1), 1))
            .help("a runbook starts with `runbook \"name\" { … }`"));
    }
    check_nesting(source)?;
    let mut pairs = RunbookParser::parse(Rule::file, text).map_err(|e| syntax_error(source, &e))?;
    pairs.next().ok_or_else(|| Diagnostic::error("empty parse"))
}

fn check_nesting(source: &Arc<SourceFile>) -> Result<(), Diagnostic> {
    let mut depth = 0usize;
    for (line_no, line) in source.text.split('\n').enumerate() {
        for (col, c) in line.chars().enumerate() {
            match c {
                '{' | '[' | '(' => depth += 1,
                '}' | ']' | ')' => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth > MAX_NESTING {
                return Err(Diagnostic::error(format!(
                    "blocks are nested more than {MAX_NESTING} deep"
                ))
                .at(source, Span::new(Location::new(line_no + 1, col + 1), 1)));
            }
        }
    }
    Ok(())
}

fn syntax_error(source: &Arc<SourceFile>, error: &pest::error::Error<Rule>) -> Diagnostic {
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
            "a step attribute (retry, timeout, when, confirm) or `{`"
        }
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

struct Builder<'s> {
    source: &'s Arc<SourceFile>,
}

type Built<T> = Result<T, Diagnostic>;

impl Builder<'_> {
    fn error(&self, pair: &Pair<'_, Rule>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(message).at(self.source, Span::of(pair))
    }

    fn runbook(&self, pair: Pair<'_, Rule>) -> Built<Runbook> {
        let mut inner = kids(&pair);
        let name_pair = inner
            .next()
            .ok_or_else(|| Diagnostic::error("runbook without a name"))?;
        let mut runbook = Runbook {
            name: self.name_from_string(&name_pair)?,
            description: None,
            owner: None,
            contacts: Vec::new(),
            tags: Vec::new(),
            params: Vec::new(),
            secrets: Vec::new(),
            modules: Vec::new(),
            hosts: Vec::new(),
            groups: Vec::new(),
            inventory: None,
            guards: Vec::new(),
            procedures: Vec::new(),
        };
        for item in inner {
            match item.as_rule() {
                Rule::description => {
                    set_once(&mut runbook.description, self.only_string(&item)?, || {
                        self.error(&item, "`description` is given twice")
                    })?
                }
                Rule::owner => set_once(&mut runbook.owner, self.only_string(&item)?, || {
                    self.error(&item, "`owner` is given twice")
                })?,
                Rule::contact => {
                    let mut strings = kids(&item);
                    let name = self.string(
                        &strings
                            .next()
                            .ok_or_else(|| self.error(&item, "contact without a name"))?,
                    )?;
                    let reach = strings.next().map(|p| self.string(&p)).transpose()?;
                    runbook.contacts.push(Contact { name, reach });
                }
                Rule::tags => {
                    let list = kids(&item)
                        .next()
                        .ok_or_else(|| Diagnostic::error("tags without a list"))?;
                    runbook.tags = kids(&list).map(|p| self.string(&p)).collect::<Built<_>>()?;
                }
                Rule::param => runbook.params.push(self.param(item)?),
                Rule::secret => runbook.secrets.push(self.secret(item)?),
                Rule::use_module => runbook.modules.push(self.module_use(item)?),
                Rule::host => runbook.hosts.push(self.host(item)?),
                Rule::group => runbook.groups.push(GroupDecl {
                    name: Self::name(
                        &kids(&item)
                            .next()
                            .ok_or_else(|| self.error(&item, "group without a name"))?,
                    ),
                    members: kids(&item).skip(1).map(|m| Self::name(&m)).collect(),
                }),
                Rule::inventory => {
                    let value = self.value(
                        &kids(&item)
                            .next()
                            .ok_or_else(|| self.error(&item, "inventory without a file"))?,
                    )?;
                    set_once(&mut runbook.inventory, value, || {
                        self.error(&item, "`inventory` is given twice")
                    })?
                }
                Rule::guard => runbook.guards.push(self.guard(item)?),
                Rule::procedure => runbook.procedures.push(self.procedure(item)?),
                _ => {}
            }
        }
        Ok(runbook)
    }

    fn name_from_string(&self, pair: &Pair<'_, Rule>) -> Built<Name> {
        Ok(Name {
            text: self.string(pair)?,
            span: Span::of(pair),
        })
    }

    fn name(pair: &Pair<'_, Rule>) -> Name {
        Name {
            text: pair.as_str().to_string(),
            span: Span::of(pair),
        }
    }

    fn only_string(&self, pair: &Pair<'_, Rule>) -> Built<String> {
        let inner = kids(pair)
            .next()
            .ok_or_else(|| self.error(pair, "a string is missing"))?;
        self.string(&inner)
    }

    /// The value of a `string` pair, escapes resolved.
    fn string(&self, pair: &Pair<'_, Rule>) -> Built<String> {
        let raw = kids(pair).next().map(|p| p.as_str()).unwrap_or("");
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some('u') => {
                    let rest: String = chars.clone().collect();
                    let code = rest
                        .strip_prefix('{')
                        .and_then(|r| r.split_once('}'))
                        .and_then(|(hex, _)| {
                            u32::from_str_radix(hex, 16).ok().map(|n| (n, hex.len()))
                        })
                        .and_then(|(n, len)| char::from_u32(n).map(|c| (c, len)));
                    let (c, len) =
                        code.ok_or_else(|| self.error(pair, "bad \\u{…} escape in string"))?;
                    out.push(c);
                    for _ in 0..len + 2 {
                        chars.next();
                    }
                }
                Some(other @ ('"' | '\\')) => out.push(other),
                Some(other) => {
                    return Err(self.error(pair, format!("unknown escape `\\{other}` in string")));
                }
                None => return Err(self.error(pair, "string ends with a lone backslash")),
            }
        }
        Ok(out)
    }

    fn literal(&self, pair: &Pair<'_, Rule>) -> Built<LiteralAt> {
        let value = match pair.as_rule() {
            Rule::string => Literal::String(self.string(pair)?),
            Rule::boolean => Literal::Bool(pair.as_str() == "true"),
            Rule::duration => Literal::Duration(self.duration(pair)?),
            Rule::number => {
                let text = pair.as_str();
                match text.parse::<i64>() {
                    Ok(n) => Literal::Int(n),
                    Err(_) => Literal::Float(
                        text.parse()
                            .map_err(|_| self.error(pair, "number out of range"))?,
                    ),
                }
            }
            Rule::literal_list => Literal::List(
                kids(pair)
                    .map(|p| self.literal(&p).map(|l| l.value))
                    .collect::<Built<_>>()?,
            ),
            _ => return Err(self.error(pair, "expected a value")),
        };
        Ok(LiteralAt {
            value,
            span: Span::of(pair),
        })
    }

    fn duration(&self, pair: &Pair<'_, Rule>) -> Built<Duration> {
        duration::parse(pair.as_str()).ok_or_else(|| self.error(pair, "duration out of range"))
    }

    fn param(&self, pair: Pair<'_, Rule>) -> Built<Param> {
        let mut inner = kids(&pair);
        let name = Self::name(
            &inner
                .next()
                .ok_or_else(|| Diagnostic::error("param without a name"))?,
        );
        let ty_pair = inner
            .next()
            .ok_or_else(|| Diagnostic::error("param without a type"))?;
        let ty = match ty_pair.as_str() {
            "string" => ParamType::String,
            "int" => ParamType::Int,
            "bool" => ParamType::Bool,
            "duration" => ParamType::Duration,
            _ => ParamType::List,
        };
        let mut param = Param {
            name,
            ty,
            default: None,
            allowed: None,
            env: None,
            help: None,
        };
        for part in inner {
            match part.as_rule() {
                Rule::allowed => {
                    let list = kids(&part)
                        .next()
                        .ok_or_else(|| self.error(&part, "expected a list"))?;
                    let values = kids(&list)
                        .map(|p| self.literal(&p))
                        .collect::<Built<_>>()?;
                    set_once(&mut param.allowed, values, || {
                        self.error(&part, "`one of` is given twice")
                    })?;
                }
                Rule::from_env => set_once(&mut param.env, self.only_string(&part)?, || {
                    self.error(&part, "`env` is given twice")
                })?,
                Rule::help => set_once(&mut param.help, self.only_string(&part)?, || {
                    self.error(&part, "`help` is given twice")
                })?,
                _ => param.default = Some(self.literal(&part)?),
            }
        }
        Ok(param)
    }

    fn secret(&self, pair: Pair<'_, Rule>) -> Built<Secret> {
        let mut inner = kids(&pair);
        let name = Self::name(
            &inner
                .next()
                .ok_or_else(|| Diagnostic::error("secret without a name"))?,
        );
        let source_pair = inner
            .next()
            .ok_or_else(|| Diagnostic::error("secret without a source"))?;
        let source = match source_pair.as_rule() {
            Rule::secret_command => self.secret_command(&source_pair)?,
            Rule::secret_env => SecretSource::Env(self.only_string(&source_pair)?),
            Rule::secret_file => SecretSource::File(self.only_string(&source_pair)?),
            _ => SecretSource::Prompt(self.only_string(&source_pair)?),
        };
        let optional = inner.next().is_some();
        Ok(Secret {
            name,
            source,
            optional,
        })
    }

    /// `command ["argv", …] [timeout D]`.
    fn secret_command(&self, pair: &Pair<'_, Rule>) -> Built<SecretSource> {
        let mut inner = kids(pair);
        let list = inner
            .next()
            .ok_or_else(|| self.error(pair, "command without a list"))?;
        let argv: Vec<String> = kids(&list).map(|p| self.string(&p)).collect::<Built<_>>()?;
        if argv.first().is_none_or(String::is_empty) {
            return Err(self.error(&list, "a secret's command needs a program: [\"pass\", …]"));
        }
        let timeout = inner
            .next()
            .and_then(|t| kids(&t).next())
            .map(|d| self.duration(&d))
            .transpose()?;
        Ok(SecretSource::Command { argv, timeout })
    }

    fn module_use(&self, pair: Pair<'_, Rule>) -> Built<ModuleUse> {
        let mut inner = kids(&pair);
        let path_pair = inner
            .next()
            .ok_or_else(|| Diagnostic::error("use without a path"))?;
        let alias = Self::name(
            &inner
                .next()
                .ok_or_else(|| Diagnostic::error("use without an alias"))?,
        );
        Ok(ModuleUse {
            path: self.string(&path_pair)?,
            path_span: Span::of(&path_pair),
            alias,
        })
    }

    fn body(pair: &Pair<'_, Rule>) -> Body {
        let (line, col) = pair.line_col();
        let code = kids(pair)
            .next()
            .map(|p| p.as_str())
            .unwrap_or("")
            .to_string();
        Body {
            code,
            origin: Location::new(line, col + 1),
        }
    }

    fn guard(&self, pair: Pair<'_, Rule>) -> Built<Guard> {
        let span = Span::of(&pair);
        let mut inner = kids(&pair);
        let title = self.string(
            &inner
                .next()
                .ok_or_else(|| Diagnostic::error("guard without a title"))?,
        )?;
        let body = Self::body(
            &inner
                .next()
                .ok_or_else(|| Diagnostic::error("guard without a body"))?,
        );
        Ok(Guard { title, span, body })
    }

    fn procedure(&self, pair: Pair<'_, Rule>) -> Built<Procedure> {
        let mut inner = kids(&pair);
        let id = Self::name(
            &inner
                .next()
                .ok_or_else(|| Diagnostic::error("procedure without an id"))?,
        );
        let mut procedure = Procedure {
            id,
            title: None,
            description: None,
            is_default: false,
            target: None,
            guards: Vec::new(),
            items: Vec::new(),
            finally: None,
        };
        for item in inner {
            match item.as_rule() {
                Rule::string => procedure.title = Some(self.string(&item)?),
                Rule::default_flag => procedure.is_default = true,
                Rule::on_target => set_once(&mut procedure.target, self.target(&item)?, || {
                    self.error(&item, "`on` is given twice")
                })?,
                Rule::description => {
                    set_once(&mut procedure.description, self.only_string(&item)?, || {
                        self.error(&item, "`description` is given twice")
                    })?
                }
                Rule::guard => procedure.guards.push(self.guard(item)?),
                Rule::gate => procedure.items.push(Item::Gate(Gate {
                    message: self.only_string(&item)?,
                    span: Span::of(&item),
                })),
                Rule::finally => {
                    let body = Self::body(
                        &kids(&item)
                            .next()
                            .ok_or_else(|| self.error(&item, "empty"))?,
                    );
                    set_once(&mut procedure.finally, body, || {
                        self.error(&item, "`finally` is given twice")
                    })?;
                }
                Rule::step => procedure.items.push(Item::Step(self.step(item)?)),
                _ => {}
            }
        }
        Ok(procedure)
    }

    fn step(&self, pair: Pair<'_, Rule>) -> Built<Step> {
        let mut inner = kids(&pair);
        let id = Self::name(
            &inner
                .next()
                .ok_or_else(|| Diagnostic::error("step without an id"))?,
        );
        let mut title = None;
        let mut target = None;
        let mut retry = None;
        let mut timeout = None;
        let mut when = None;
        let mut confirm = None;
        let mut body = None;
        let mut rollback = None;
        let mut rollback_always = false;
        for part in inner {
            let twice = |what: &str| {
                self.error(
                    &part,
                    format!("`{what}` is given twice on step `{}`", id.text),
                )
            };
            match part.as_rule() {
                Rule::string => title = Some(self.string(&part)?),
                Rule::on_target => set_once(&mut target, self.target(&part)?, || twice("on"))?,
                Rule::retry => {
                    let mut parts = kids(&part);
                    let times_pair = parts.next().ok_or_else(|| twice("retry"))?;
                    let times = times_pair
                        .as_str()
                        .parse()
                        .map_err(|_| self.error(&times_pair, "too many retries"))?;
                    let mut value = Retry {
                        times,
                        delay: Duration::from_secs(1),
                        backoff: 1.0,
                    };
                    for p in parts {
                        match p.as_rule() {
                            Rule::duration => value.delay = self.duration(&p)?,
                            _ => {
                                value.backoff = p
                                    .as_str()
                                    .parse()
                                    .map_err(|_| self.error(&p, "bad backoff factor"))?;
                                if !(1.0..=10.0).contains(&value.backoff) {
                                    return Err(self.error(&p, "backoff must be between 1 and 10"));
                                }
                            }
                        }
                    }
                    set_once(&mut retry, value, || twice("retry"))?;
                }
                Rule::timeout => {
                    let d = kids(&part).next().ok_or_else(|| twice("timeout"))?;
                    set_once(&mut timeout, self.duration(&d)?, || twice("timeout"))?;
                }
                Rule::when => {
                    let b = kids(&part).next().ok_or_else(|| twice("when"))?;
                    set_once(&mut when, Self::body(&b), || twice("when"))?;
                }
                Rule::step_confirm => {
                    set_once(&mut confirm, self.only_string(&part)?, || twice("confirm"))?
                }
                Rule::body => body = Some(Self::body(&part)),
                Rule::rollback => {
                    let b = kids(&part).next().ok_or_else(|| twice("rollback"))?;
                    rollback = Some(Self::body(&b));
                    rollback_always = part
                        .clone()
                        .into_inner()
                        .any(|p| p.as_rule() == Rule::kw_always);
                }
                _ => {}
            }
        }
        Ok(Step {
            body: body
                .ok_or_else(|| Diagnostic::error(format!("step `{}` has no body", id.text)))?,
            id,
            title,
            target,
            retry,
            timeout,
            when,
            confirm,
            rollback,
            rollback_always,
        })
    }
}

impl Builder<'_> {
    fn host(&self, pair: Pair<'_, Rule>) -> Built<HostDecl> {
        let mut inner = kids(&pair);
        let name = Self::name(
            &inner
                .next()
                .ok_or_else(|| self.error(&pair, "host without a name"))?,
        );
        let mut host = HostDecl {
            name,
            address: None,
            user: None,
            port: None,
            identity: None,
            jump: Vec::new(),
            options: Vec::new(),
        };
        for part in inner {
            if part.as_rule() != Rule::host_block {
                host.address = Some(self.value(&part)?);
                continue;
            }
            for setting in kids(&part) {
                let mut words = kids(&setting);
                let (Some(key), Some(value)) = (words.next(), words.next()) else {
                    return Err(self.error(&setting, "a host setting needs a value"));
                };
                let value = self.value(&value)?;
                let twice = || {
                    self.error(
                        &setting,
                        format!(
                            "`{}` is given twice on host `{}`",
                            key.as_str(),
                            host.name.text
                        ),
                    )
                };
                match (key.as_rule(), key.as_str()) {
                    (Rule::string, _) => host.options.push((self.string(&key)?, value)),
                    (_, "address") => set_once(&mut host.address, value, twice)?,
                    (_, "user") => set_once(&mut host.user, value, twice)?,
                    (_, "port") => set_once(&mut host.port, value, twice)?,
                    (_, "identity") => set_once(&mut host.identity, value, twice)?,
                    _ => host.jump.push(value),
                }
            }
        }
        Ok(host)
    }

    fn value(&self, pair: &Pair<'_, Rule>) -> Built<ValueAt> {
        let value = match pair.as_rule() {
            Rule::string => Value::Text(self.string(pair)?),
            Rule::integer => Value::Int(
                pair.as_str()
                    .parse()
                    .map_err(|_| self.error(pair, "number too large"))?,
            ),
            _ => Value::Ref(pair.as_str().to_string()),
        };
        Ok(ValueAt {
            value,
            span: Span::of(pair),
        })
    }

    fn target(&self, pair: &Pair<'_, Rule>) -> Built<Target> {
        let mut inner = kids(pair);
        let name = Self::name(
            &inner
                .next()
                .ok_or_else(|| self.error(pair, "`on` without a target"))?,
        );
        let mut target = Target {
            name,
            forks: None,
            tolerate: Tolerance::None,
        };
        for part in inner {
            let twice = |what: &str| self.error(&part, format!("`{what}` is given twice"));
            let number = kids(&part).next();
            match part.as_rule() {
                Rule::forks => {
                    let n = number.ok_or_else(|| twice("forks"))?;
                    let forks: u32 = n.as_str().parse().unwrap_or(0);
                    if forks == 0 {
                        return Err(self.error(&n, "forks must be a whole number from 1"));
                    }
                    set_once(&mut target.forks, forks, || twice("forks"))?;
                }
                _ => {
                    if target.tolerate != Tolerance::None {
                        return Err(twice("tolerate"));
                    }
                    target.tolerate = match number {
                        None => Tolerance::All,
                        Some(p) => match p.as_str().trim_end_matches('%').parse::<u8>() {
                            Ok(n) if n <= 100 => Tolerance::Percent(n),
                            _ => return Err(self.error(&p, "a percentage goes from 0% to 100%")),
                        },
                    };
                }
            }
        }
        Ok(target)
    }
}

/// Every keyword of the language, from the grammar's `kw_*` rules (for editor completion).
pub fn keywords() -> Vec<String> {
    Rule::all_rules()
        .iter()
        .filter_map(|rule| format!("{rule:?}").strip_prefix("kw_").map(str::to_string))
        .collect()
}

/// The children of a pair, without keyword tokens.
fn kids<'i>(pair: &Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> + use<'i> {
    pair.clone()
        .into_inner()
        .filter(|p| !rule_name_of_keyword(p.as_rule()))
}

fn rule_name_of_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_runbook
            | Rule::kw_description
            | Rule::kw_owner
            | Rule::kw_contact
            | Rule::kw_tags
            | Rule::kw_param
            | Rule::kw_one
            | Rule::kw_of
            | Rule::kw_env
            | Rule::kw_help
            | Rule::kw_secret
            | Rule::kw_from
            | Rule::kw_file
            | Rule::kw_prompt
            | Rule::kw_command
            | Rule::kw_use
            | Rule::kw_as
            | Rule::kw_guard
            | Rule::kw_procedure
            | Rule::kw_default
            | Rule::kw_step
            | Rule::kw_retry
            | Rule::kw_every
            | Rule::kw_backoff
            | Rule::kw_timeout
            | Rule::kw_when
            | Rule::kw_confirm
            | Rule::kw_rollback
            | Rule::kw_always
            | Rule::kw_finally
            | Rule::kw_host
            | Rule::kw_group
            | Rule::kw_inventory
            | Rule::kw_option
            | Rule::kw_on
            | Rule::kw_forks
            | Rule::kw_tolerate
            | Rule::kw_all
            | Rule::kw_optional
    )
}

fn set_once<T>(slot: &mut Option<T>, value: T, twice: impl FnOnce() -> Diagnostic) -> Built<()> {
    if slot.is_some() {
        return Err(twice());
    }
    *slot = Some(value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Runbook, String> {
        parse(&Arc::new(SourceFile::new("t.rb42", text))).map_err(|d| d.render(false))
    }

    /// A compact outline of the tree: procedures, their items and step attributes.
    fn outline(text: &str) -> String {
        let runbook = parse_text(text).unwrap_or_else(|e| panic!("{e}"));
        let mut out = format!("(runbook {:?}", runbook.name.text);
        for p in &runbook.params {
            out.push_str(&format!(
                " (param {} {}{})",
                p.name.text,
                p.ty.name(),
                if p.default.is_some() { " =" } else { "" }
            ));
        }
        for procedure in &runbook.procedures {
            out.push_str(&format!(" (procedure {}", procedure.id.text));
            for item in &procedure.items {
                match item {
                    Item::Gate(g) => out.push_str(&format!(" (confirm {:?})", g.message)),
                    Item::Step(s) => {
                        out.push_str(&format!(" (step {}", s.id.text));
                        if let Some(r) = s.retry {
                            out.push_str(&format!(" retry={}", r.times));
                        }
                        if s.rollback.is_some() {
                            out.push_str(" rollback");
                        }
                        if s.rollback_always {
                            out.push_str(" always");
                        }
                        out.push(')');
                    }
                }
            }
            out.push(')');
        }
        out.push(')');
        out
    }

    #[test]
    fn parses_steps_gates_and_attributes() {
        let text = r#"runbook "r" {
  param dir: string = "/opt"
  param keep: int
  procedure deploy default {
    step a "A" retry 2 every 1s { let x = "}"; `${x}{` } rollback { () }
    confirm "Sûr ?"
    step b { /* } */ 'x'; }
  }
}"#;
        assert_eq!(
            outline(text),
            r#"(runbook "r" (param dir string =) (param keep int) (procedure deploy (step a retry=2 rollback) (confirm "Sûr ?") (step b)))"#
        );
    }

    #[test]
    fn body_origin_points_after_the_brace() {
        let runbook =
            parse_text("runbook \"r\" {\n procedure p {\n  step s {\n   x\n  }\n }\n}").unwrap();
        let Item::Step(step) = &runbook.procedures[0].items[0] else {
            panic!("not a step")
        };
        assert_eq!(step.body.origin, Location::new(3, 11));
    }

    #[test]
    fn keywords_need_a_word_boundary() {
        let err = parse_text("runbook \"r\" { procedure p { stepx a {} } }").unwrap_err();
        assert!(err.contains("1:29"), "{err}");
    }

    #[test]
    fn reports_unterminated_strings_where_they_open() {
        let err = parse_text("runbook \"r\" {\n  description \"oops\n}\n").unwrap_err();
        assert!(err.starts_with("error: unterminated string"), "{err}");
        assert!(err.contains("t.rb42:2:15"), "{err}");
    }

    #[test]
    fn refuses_deep_nesting_without_recursing() {
        let text = format!("runbook \"r\" {}", "{".repeat(100_000));
        assert!(parse_text(&text).unwrap_err().contains("nested more than"));
    }
}
