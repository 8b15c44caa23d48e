//! `textDocument/completion`: the names that fit where the cursor is. In a body: primitives,
//! the functions of the modules the runbook `use`s, rhai's keywords, its parameters, secrets,
//! `let` values and the values its steps publish. Between items: the runbook language's keywords and the
//! hosts and groups a procedure or step may run `on`. In a string or comment: nothing. Clients
//! filter by the word being typed.

use super::published;
use super::text_place::Place;
use crate::diagnostic::source::SourceFile;
use crate::engine::script_engine::{self, public_functions};
use crate::language::ast::Runbook;
use crate::language::parser;
use crate::primitives;
use lsp_types::{CompletionItem, CompletionItemKind};
use std::sync::Arc;

const PRIMITIVE: CompletionItemKind = CompletionItemKind::FUNCTION;
/// `alias::fn`, a function reached through its module.
const MODULE_FUNCTION: CompletionItemKind = CompletionItemKind::METHOD;
/// Parameters, secrets, `let` values and published values.
const VALUE: CompletionItemKind = CompletionItemKind::VARIABLE;
/// Hosts and groups.
const TARGET: CompletionItemKind = CompletionItemKind::CONSTANT;
const KEYWORD: CompletionItemKind = CompletionItemKind::KEYWORD;

/// The rhai keywords a body's statements start with or use.
const RHAI_KEYWORDS: &[&str] = &[
    "let", "const", "if", "else", "switch", "while", "loop", "for", "in", "do", "until", "break",
    "continue", "return", "throw", "try", "catch", "fn", "true", "false",
];

/// Completion items at `place` of a document; `parsed` is its last text that parsed, if any.
pub fn items(parsed: Option<&(Arc<SourceFile>, Runbook)>, place: Place) -> Vec<CompletionItem> {
    let mut items = match place {
        Place::Quoted => return Vec::new(),
        Place::Body => in_body(parsed),
        Place::Runbook => between_items(parsed),
    };
    // A value may be published by several steps; a parameter may shadow a primitive.
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.label.clone()));
    items
}

fn in_body(parsed: Option<&(Arc<SourceFile>, Runbook)>) -> Vec<CompletionItem> {
    let mut items: Vec<CompletionItem> = primitives::NAMES
        .iter()
        .map(|name| item(name, PRIMITIVE, "primitive"))
        .collect();
    items.extend(RHAI_KEYWORDS.iter().map(|k| item(k, KEYWORD, "rhai")));
    let Some((source, runbook)) = parsed else {
        return items;
    };
    let engine = script_engine::limited();
    for module_use in &runbook.modules {
        let Ok(text) = script_engine::module_text(module_use, source) else {
            continue;
        };
        let alias = &module_use.alias.text;
        items.extend(
            public_functions(&engine, &text)
                .iter()
                .map(|f| item(&format!("{alias}::{f}"), MODULE_FUNCTION, &module_use.path)),
        );
    }
    items.extend(
        runbook
            .params
            .iter()
            .map(|p| item(&p.name.text, VALUE, "parameter")),
    );
    items.extend(
        runbook
            .secrets
            .iter()
            .map(|s| item(&s.name.text, VALUE, "secret")),
    );
    let values = runbook
        .values
        .iter()
        .chain(runbook.procedures.iter().flat_map(|p| &p.values));
    items.extend(values.map(|v| item(&v.name.text, VALUE, &format!("value = {}", v.written()))));
    let steps = runbook.procedures.iter().flat_map(|p| p.steps());
    for step in steps {
        let detail = format!("published by {}", step.id.text);
        items.extend(published::in_body(&step.body).map(|p| item(p.name, VALUE, &detail)));
    }
    items
}

fn between_items(parsed: Option<&(Arc<SourceFile>, Runbook)>) -> Vec<CompletionItem> {
    let mut items: Vec<CompletionItem> = parser::keywords()
        .iter()
        .map(|k| item(k, KEYWORD, "keyword"))
        .collect();
    if let Some((_, runbook)) = parsed {
        items.extend(
            runbook
                .hosts
                .iter()
                .map(|h| item(&h.name.text, TARGET, "host")),
        );
        items.extend(
            runbook
                .groups
                .iter()
                .map(|g| item(&g.name.text, TARGET, "group")),
        );
    }
    items
}

fn item(label: &str, kind: CompletionItemKind, detail: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail.to_string()),
        ..CompletionItem::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn every_stdlib_module_used_offers_its_functions() {
        let uses: String = crate::stdlib::MODULES
            .iter()
            .enumerate()
            .map(|(i, (path, _))| format!("use \"{path}\" as m{i}\n"))
            .collect();
        let text = format!("runbook \"r\" {{\n{uses}procedure p {{ step s {{ }} }}\n}}");
        let parsed = parser::load_bytes(Path::new("r.rb42"), text.as_bytes()).expect("parses");
        let labels: Vec<String> = items(Some(&parsed), Place::Body)
            .into_iter()
            .map(|i| i.label)
            .collect();
        for i in 0..crate::stdlib::MODULES.len() {
            let prefix = format!("m{i}::");
            assert!(
                labels.iter().any(|l| l.starts_with(&prefix)),
                "{prefix}: {labels:?}"
            );
        }
        assert!(labels.contains(&"m0::archive".to_string()));
    }

    #[test]
    fn a_body_is_offered_the_values_with_their_expression() {
        let text = "runbook \"r\" {\n  let app = #{name: \"shop\"};\n  procedure p {\n    let marker = app.name + \".m\";\n    step s { log(marker); }\n  }\n}\n";
        let parsed = parser::load_bytes(Path::new("r.rb42"), text.as_bytes()).expect("parses");
        let offered: Vec<(String, Option<String>)> = items(Some(&parsed), Place::Body)
            .into_iter()
            .map(|i| (i.label, i.detail))
            .collect();
        for (label, detail) in [
            ("app", "value = #{name: \"shop\"}"),
            ("marker", "value = app.name + \".m\""),
        ] {
            assert!(
                offered.contains(&(label.to_string(), Some(detail.to_string()))),
                "{label}: {offered:?}"
            );
        }
    }
}
