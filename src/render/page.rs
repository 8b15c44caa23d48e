//! The model of a rendered page: what a runbook declares, in the order an operator reads it,
//! with each step's commands taken from the dry-run trace. Templates see exactly this (and
//! `runbook doc --format json` prints it), so a custom template has every field to work with.

use crate::context::run_context::placeholder;
use crate::engine::run_values::ParamValue;
use crate::engine::trace::{TracedBody, TracedRunbook};
use crate::language::ast::{
    Guard, HostDecl, Literal, Runbook, Target, Tolerance, Value, ValueAt, ValueDecl,
};
use crate::language::duration;
use crate::language::fan_out_wording;
use serde::Serialize;
use std::collections::BTreeMap;

mod procedure_docs;
use procedure_docs::{body_doc, one_line, procedure_doc};

/// One runbook's page.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// The runbook's name (`runbook "name"`).
    pub name: String,
    /// The source file's name, and the page's (`quickstart.rb42` → `quickstart.md`).
    pub file: String,
    pub page: String,
    pub description: Option<String>,
    pub owner: Option<String>,
    /// The escalation, in the order written.
    pub contacts: Vec<ContactRow>,
    pub tags: Vec<String>,
    pub params: Vec<ParamRow>,
    /// `-p` values the page was rendered with, as `name=value`.
    pub given: Vec<String>,
    pub secrets: Vec<SecretRow>,
    /// `let` values every procedure may read.
    pub values: Vec<ValueRow>,
    pub hosts: Vec<HostRow>,
    pub groups: Vec<GroupRow>,
    pub inventory: Option<String>,
    pub modules: Vec<ModuleRow>,
    /// The runbook's guards: checked before every procedure.
    pub prerequisites: Vec<GuardDoc>,
    pub procedures: Vec<ProcedureDoc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContactRow {
    pub name: String,
    pub reach: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParamRow {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    /// As written (`"staging"`, `1m30s`, `["a", "b"]`); none when required.
    pub default: Option<String>,
    pub required: bool,
    pub allowed: Vec<String>,
    pub help: Option<String>,
    pub env: Option<String>,
    /// How the page's commands show it: the value used, or its placeholder.
    pub shown: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretRow {
    pub name: String,
    /// `env`, `file` or `prompt`.
    pub source: String,
    /// The variable, path or question.
    pub from: String,
    pub optional: bool,
    /// How the page's commands show it.
    pub shown: String,
}

/// `let name = expression;`.
#[derive(Debug, Clone, Serialize)]
pub struct ValueRow {
    pub name: String,
    /// As written, on one line.
    pub expression: String,
}

impl ValueRow {
    pub fn of(value: &ValueDecl) -> Self {
        Self {
            name: value.name.text.clone(),
            expression: value.written(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct HostRow {
    pub name: String,
    /// As written; a parameter or secret by its placeholder.
    pub address: Option<String>,
    pub user: Option<String>,
    pub port: Option<String>,
    pub identity: Option<String>,
    pub jump: Vec<String>,
    pub options: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    pub name: String,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModuleRow {
    pub alias: String,
    pub path: String,
}

/// A guard: its title and what it checks.
#[derive(Debug, Clone, Serialize)]
pub struct GuardDoc {
    pub title: String,
    /// The condition as written (rhai), blanks squeezed.
    pub code: String,
    pub body: BodyDoc,
}

/// What a body runs, as command blocks per target.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BodyDoc {
    pub blocks: Vec<CommandBlock>,
    /// Questions its `confirm()` calls ask.
    pub asks: Vec<String>,
    /// What its `warn()` calls say.
    pub warnings: Vec<String>,
    /// Why the dry-run stopped before the body's end.
    pub stopped: Option<String>,
    /// Whether that stop came from a value only a real run knows.
    pub stopped_on_unknown: bool,
}

/// Consecutive commands on one target, for one fenced code block.
#[derive(Debug, Clone, Serialize)]
pub struct CommandBlock {
    /// `local`, a host, a Docker engine, a database or a URL's host.
    pub target: String,
    /// The fence's language: `sh`, or `sql` for database statements.
    pub lang: String,
    /// Commands as they would run; other actions as comments (`# upload a → b`).
    pub lines: Vec<String>,
}

/// `on server forks 5 tolerate 20%`.
#[derive(Debug, Clone, Serialize)]
pub struct TargetDoc {
    pub name: String,
    /// The hosts it stands for, where the declarations tell.
    pub hosts: Vec<String>,
    pub forks: Option<u32>,
    /// `20%` or `all`.
    pub tolerate: Option<String>,
    /// The policy in words, as plans say it too: `5 at a time`, `up to 20% of the hosts may
    /// fail`.
    pub policy: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProcedureDoc {
    pub id: String,
    pub title: String,
    /// The page anchor of its section.
    pub anchor: String,
    pub description: Option<String>,
    pub default: bool,
    pub target: Option<TargetDoc>,
    /// Its own `let` values, computed after the runbook's.
    pub values: Vec<ValueRow>,
    pub guards: Vec<GuardDoc>,
    pub items: Vec<ItemDoc>,
    pub steps: usize,
    pub confirmations: usize,
    pub rollbacks: usize,
    pub finally: Option<BodyDoc>,
    /// Its flow as a Mermaid `flowchart` (the `diagram` block of the page).
    pub diagram: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemDoc {
    Step(Box<StepDoc>),
    /// A `confirm` between steps, asked before `before`.
    Gate {
        message: String,
        before: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct StepDoc {
    pub number: usize,
    pub id: String,
    pub title: String,
    pub anchor: String,
    /// Its own `on`, when it has one.
    pub target: Option<TargetDoc>,
    /// `3 times, every 5s, backoff ×2`.
    pub retry: Option<String>,
    pub timeout: Option<String>,
    /// The `when` condition's code.
    pub when: Option<String>,
    /// Its own `confirm` question.
    pub confirm: Option<String>,
    pub body: BodyDoc,
    pub rollback: Option<BodyDoc>,
    /// `rollback always`: the rollback also runs when the step itself fails.
    pub rollback_always: bool,
    /// `rollback none "why"`: no rollback, deliberately, for this reason.
    pub rollback_none: Option<String>,
    /// `optional`: the operator runs it, skips it or aborts.
    pub optional: bool,
}

/// Every page of a directory, for the index.
#[derive(Debug, Clone, Serialize)]
pub struct Index {
    pub pages: Vec<IndexEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndexEntry {
    pub name: String,
    pub file: String,
    pub page: String,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub tags: Vec<String>,
    pub procedures: Vec<IndexProcedure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndexProcedure {
    pub id: String,
    pub title: String,
    pub anchor: String,
    pub default: bool,
}

impl Index {
    pub fn new(pages: &[Page]) -> Self {
        let mut pages: Vec<IndexEntry> = pages
            .iter()
            .map(|p| IndexEntry {
                name: p.name.clone(),
                file: p.file.clone(),
                page: p.page.clone(),
                description: p.description.clone(),
                owner: p.owner.clone(),
                tags: p.tags.clone(),
                procedures: p
                    .procedures
                    .iter()
                    .map(|d| IndexProcedure {
                        id: d.id.clone(),
                        title: d.title.clone(),
                        anchor: d.anchor.clone(),
                        default: d.default,
                    })
                    .collect(),
            })
            .collect();
        pages.sort_by(|a, b| a.page.cmp(&b.page));
        Self { pages }
    }
}

impl Page {
    /// The page of a traced runbook whose file is named `file`.
    pub fn new(traced: &TracedRunbook, file: &str, given: &[(String, String)]) -> Self {
        let runbook = &traced.runbook;
        let page = match file.rsplit_once('.') {
            Some((stem, _)) => format!("{stem}.md"),
            None => format!("{file}.md"),
        };
        let describe = |guard: &Guard, title: Option<String>, body: &TracedBody| GuardDoc {
            title: title.unwrap_or_else(|| guard.title.clone()),
            code: one_line(&guard.body.code),
            body: body_doc(body),
        };
        // Every procedure traces the runbook's guards first; the first trace documents them.
        let first = traced.procedures.first().map(|(_, t)| t);
        let prerequisites = runbook
            .guards
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let body = first.and_then(|t| t.guards.get(i)).cloned();
                let title = first.map(|t| t.text(&g.title));
                describe(g, title, &body.unwrap_or_default())
            })
            .collect();
        Self {
            name: runbook.name.text.clone(),
            file: file.to_string(),
            page,
            description: runbook.description.clone(),
            owner: runbook.owner.clone(),
            contacts: runbook
                .contacts
                .iter()
                .map(|c| ContactRow {
                    name: c.name.clone(),
                    reach: c.reach.clone(),
                })
                .collect(),
            tags: runbook.tags.clone(),
            params: param_rows(runbook, &traced.params),
            given: given.iter().map(|(n, v)| format!("{n}={v}")).collect(),
            secrets: runbook
                .secrets
                .iter()
                .map(|s| SecretRow {
                    name: s.name.text.clone(),
                    source: s.source.kind().into(),
                    from: s.source.target(),
                    optional: s.optional,
                    shown: placeholder(&format!("secret {}", s.name.text)),
                })
                .collect(),
            values: runbook.values.iter().map(ValueRow::of).collect(),
            hosts: runbook.hosts.iter().map(|h| host_row(h, runbook)).collect(),
            groups: runbook
                .groups
                .iter()
                .map(|g| GroupRow {
                    name: g.name.text.clone(),
                    members: g.members.iter().map(|m| m.text.clone()).collect(),
                })
                .collect(),
            inventory: runbook.inventory.as_ref().map(|v| written(v, runbook)),
            modules: runbook
                .modules
                .iter()
                .map(|m| ModuleRow {
                    alias: m.alias.text.clone(),
                    path: m.path.clone(),
                })
                .collect(),
            prerequisites,
            procedures: runbook
                .procedures
                .iter()
                .filter_map(|p| {
                    let trace = traced.trace(&p.id.text)?;
                    Some(procedure_doc(p, trace, &runbook.guards, &traced.targets))
                })
                .collect(),
        }
    }
}

fn param_rows(runbook: &Runbook, values: &[ParamValue]) -> Vec<ParamRow> {
    runbook
        .params
        .iter()
        .map(|p| ParamRow {
            name: p.name.text.clone(),
            ty: p.ty.name().into(),
            default: p.default.as_ref().map(|d| literal(&d.value)),
            required: p.default.is_none(),
            allowed: p
                .allowed
                .iter()
                .flatten()
                .map(|a| literal(&a.value))
                .collect(),
            help: p.help.clone(),
            env: p.env.clone(),
            shown: values
                .iter()
                .find(|v| v.name == p.name.text)
                .map_or_else(|| placeholder(&p.name.text), |v| v.shown.clone()),
        })
        .collect()
}

/// A literal as it would be written in the runbook.
fn literal(value: &Literal) -> String {
    match value {
        Literal::String(s) => format!("{s:?}"),
        Literal::Int(i) => i.to_string(),
        Literal::Float(f) => f.to_string(),
        Literal::Bool(b) => b.to_string(),
        Literal::Duration(d) => duration::format(*d),
        Literal::List(items) => {
            let items: Vec<String> = items.iter().map(literal).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// A host setting as written: text as is, a parameter or secret by its placeholder.
fn written(value: &ValueAt, runbook: &Runbook) -> String {
    match &value.value {
        Value::Text(t) => t.clone(),
        Value::Int(i) => i.to_string(),
        Value::Ref(name) if runbook.secrets.iter().any(|s| &s.name.text == name) => {
            placeholder(&format!("secret {name}"))
        }
        Value::Ref(name) => placeholder(name),
    }
}

fn host_row(host: &HostDecl, runbook: &Runbook) -> HostRow {
    let w = |v: &Option<ValueAt>| v.as_ref().map(|v| written(v, runbook));
    HostRow {
        name: host.name.text.clone(),
        address: w(&host.address),
        user: w(&host.user),
        port: w(&host.port),
        identity: w(&host.identity),
        jump: host.jump.iter().map(|j| written(j, runbook)).collect(),
        options: host
            .options
            .iter()
            .map(|(k, v)| (k.clone(), written(v, runbook)))
            .collect(),
    }
}

fn target_doc(target: &Target, targets: &BTreeMap<String, Vec<String>>) -> TargetDoc {
    let name = target.name.text.clone();
    let hosts = targets
        .get(&name)
        .filter(|hosts| **hosts != [name.clone()])
        .cloned()
        .unwrap_or_default();
    TargetDoc {
        name,
        hosts,
        forks: target.forks,
        policy: fan_out_wording::policy_clauses(target),
        tolerate: match target.tolerate {
            Tolerance::None => None,
            Tolerance::Percent(p) => Some(format!("{p}%")),
            Tolerance::All => Some("all".into()),
        },
    }
}
