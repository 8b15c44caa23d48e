//! The pest pairs of a parsed file turned into the runbook's items: parameters, secrets,
//! modules, guards, procedures and their steps.

use super::Rule;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::{Location, SourceFile, Span};
use crate::language::ast::{
    Body, Contact, Gate, GroupDecl, Guard, Item, Literal, LiteralAt, ModuleUse, Name, Procedure,
    Retry, Runbook, Step, ValueDecl,
};
use crate::language::duration;
use crate::language::output_limit::OutputLimit;
use pest::iterators::Pair;
use std::sync::Arc;
use std::time::Duration;

pub(super) struct Builder<'s> {
    pub(super) source: &'s Arc<SourceFile>,
}

pub(super) type Built<T> = Result<T, Diagnostic>;

impl Builder<'_> {
    pub(super) fn error(&self, pair: &Pair<'_, Rule>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(message).at(self.source, Span::of(pair))
    }

    pub(super) fn runbook(&self, pair: Pair<'_, Rule>) -> Built<Runbook> {
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
            values: Vec::new(),
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
                Rule::let_value => runbook.values.push(Self::let_value(&item)),
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

    pub(super) fn name(pair: &Pair<'_, Rule>) -> Name {
        Name {
            text: pair.as_str().to_string(),
            span: Span::of(pair),
        }
    }

    /// `journal N` or `journal all`.
    fn journal(&self, part: &Pair<'_, Rule>) -> Built<OutputLimit> {
        let Some(lines) = kids(part).next() else {
            return Ok(OutputLimit::All);
        };
        lines.as_str().parse().map(OutputLimit::lines).map_err(|_| {
            self.error(
                &lines,
                "too many lines to journal: give a smaller number, or `all`",
            )
        })
    }

    /// `retry N [every D] [backoff F]`.
    fn retry(&self, part: &Pair<'_, Rule>) -> Built<Retry> {
        let mut parts = kids(part);
        let times_pair = parts
            .next()
            .ok_or_else(|| self.error(part, "`retry` needs a count"))?;
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
        Ok(value)
    }

    /// The `if { … }` of a confirmation, if any.
    fn confirm_if(pair: &Pair<'_, Rule>) -> Option<Body> {
        kids(pair)
            .find(|p| p.as_rule() == Rule::confirm_if)
            .and_then(|c| kids(&c).next())
            .map(|b| Self::body(&b))
    }

    pub(super) fn only_string(&self, pair: &Pair<'_, Rule>) -> Built<String> {
        let inner = kids(pair)
            .next()
            .ok_or_else(|| self.error(pair, "a string is missing"))?;
        self.string(&inner)
    }

    /// The value of a `string` pair, escapes resolved.
    pub(super) fn string(&self, pair: &Pair<'_, Rule>) -> Built<String> {
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

    pub(super) fn literal(&self, pair: &Pair<'_, Rule>) -> Built<LiteralAt> {
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

    pub(super) fn duration(&self, pair: &Pair<'_, Rule>) -> Built<Duration> {
        duration::parse(pair.as_str()).ok_or_else(|| self.error(pair, "duration out of range"))
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

    /// `let name = expression;`: the grammar guarantees a name and an expression.
    fn let_value(pair: &Pair<'_, Rule>) -> ValueDecl {
        let mut inner = kids(pair);
        let name = inner.next().map(|p| Self::name(&p));
        let expr = inner.next();
        let (line, col) = expr.as_ref().map_or((0, 0), Pair::line_col);
        ValueDecl {
            name: name.unwrap_or_else(|| Self::name(pair)),
            expr: Body {
                code: expr.map_or("", |p| p.as_str()).trim_end().to_string(),
                origin: Location::new(line, col),
            },
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
            values: Vec::new(),
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
                Rule::let_value => procedure.values.push(Self::let_value(&item)),
                Rule::guard => procedure.guards.push(self.guard(item)?),
                Rule::gate => procedure.items.push(Item::Gate(Gate {
                    message: self.only_string(&item)?,
                    always: item
                        .clone()
                        .into_inner()
                        .any(|p| p.as_rule() == Rule::kw_always),
                    span: Span::of(&item),
                    condition: Self::confirm_if(&item),
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
        let mut confirm_if = None;
        let mut optional = false;
        let mut body = None;
        let mut rollback = None;
        let mut rollback_always = false;
        let mut rollback_none = None;
        let mut confirm_always = false;
        let mut journal = None;
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
                    let value = self.retry(&part)?;
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
                    set_once(&mut confirm, self.only_string(&part)?, || twice("confirm"))?;
                    confirm_if = Self::confirm_if(&part);
                    confirm_always = part
                        .clone()
                        .into_inner()
                        .any(|p| p.as_rule() == Rule::kw_always);
                }
                Rule::step_optional => {
                    if optional {
                        return Err(twice("optional"));
                    }
                    optional = true;
                }
                Rule::step_journal => {
                    set_once(&mut journal, self.journal(&part)?, || twice("journal"))?;
                }
                Rule::body => body = Some(Self::body(&part)),
                Rule::rollback => {
                    let b = kids(&part).next().ok_or_else(|| twice("rollback"))?;
                    if b.as_rule() == Rule::string {
                        rollback_none = Some(self.string(&b)?);
                        continue;
                    }
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
            confirm_if,
            optional,
            confirm_always,
            journal,
            rollback,
            rollback_always,
            rollback_none,
        })
    }
}

/// The children of a pair, without keyword tokens.
pub(super) fn kids<'i>(pair: &Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> + use<'i> {
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
            | Rule::kw_none
            | Rule::kw_if
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
            | Rule::kw_journal
            | Rule::kw_let
    )
}

pub(super) fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    twice: impl FnOnce() -> Diagnostic,
) -> Built<()> {
    if slot.is_some() {
        return Err(twice());
    }
    *slot = Some(value);
    Ok(())
}
