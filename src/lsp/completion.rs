//! `textDocument/completion`: the names that fit where the cursor is. In a body: primitives,
//! the functions of the modules the runbook `use`s, rhai's keywords, its parameters, secrets
//! and the values its steps publish. Between items: the runbook language's keywords and the
//! hosts and groups a procedure or step may run `on`. In a string or comment: nothing. Clients
//! filter by the word being typed.

use super::published;
use super::text_place::Place;
use crate::diagnostic::source::SourceFile;
use crate::engine::script_engine::{self, public_functions};
use crate::language::ast::Runbook;
use crate::language::parser;
use crate::primitives;
use serde_json::{Value, json};
use std::sync::Arc;

/// LSP `CompletionItemKind`s.
const FUNCTION: u8 = 3;
const VARIABLE: u8 = 6;
const CONSTANT: u8 = 21;
const KEYWORD: u8 = 14;
const MODULE_FUNCTION: u8 = 2; // Method: `alias::fn`

/// The rhai keywords a body's statements start with or use.
const RHAI_KEYWORDS: &[&str] = &[
    "let", "const", "if", "else", "switch", "while", "loop", "for", "in", "do", "until", "break",
    "continue", "return", "throw", "try", "catch", "fn", "true", "false",
];

/// Completion items at `place` of a document; `parsed` is its last text that parsed, if any.
pub fn items(parsed: Option<&(Arc<SourceFile>, Runbook)>, place: Place) -> Vec<Value> {
    let mut items = match place {
        Place::Quoted => return Vec::new(),
        Place::Body => in_body(parsed),
        Place::Runbook => between_items(parsed),
    };
    // A value may be published by several steps; a parameter may shadow a primitive.
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i["label"].to_string()));
    items
}

fn in_body(parsed: Option<&(Arc<SourceFile>, Runbook)>) -> Vec<Value> {
    let mut items: Vec<Value> = primitives::NAMES
        .iter()
        .map(|name| item(name, FUNCTION, "primitive"))
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
            .map(|p| item(&p.name.text, VARIABLE, "parameter")),
    );
    items.extend(
        runbook
            .secrets
            .iter()
            .map(|s| item(&s.name.text, VARIABLE, "secret")),
    );
    let steps = runbook.procedures.iter().flat_map(|p| p.steps());
    for step in steps {
        let detail = format!("published by {}", step.id.text);
        items.extend(published::in_body(&step.body).map(|p| item(p.name, VARIABLE, &detail)));
    }
    items
}

fn between_items(parsed: Option<&(Arc<SourceFile>, Runbook)>) -> Vec<Value> {
    let mut items: Vec<Value> = parser::keywords()
        .iter()
        .map(|k| item(k, KEYWORD, "keyword"))
        .collect();
    if let Some((_, runbook)) = parsed {
        items.extend(
            runbook
                .hosts
                .iter()
                .map(|h| item(&h.name.text, CONSTANT, "host")),
        );
        items.extend(
            runbook
                .groups
                .iter()
                .map(|g| item(&g.name.text, CONSTANT, "group")),
        );
    }
    items
}

fn item(label: &str, kind: u8, detail: &str) -> Value {
    json!({ "label": label, "kind": kind, "detail": detail })
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
            .iter()
            .map(|i| i["label"].as_str().unwrap_or("").to_string())
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
}
