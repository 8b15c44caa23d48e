//! `textDocument/completion`: the names a runbook may use, whatever the place: primitives, the
//! functions of the modules it `use`s, keywords, its parameters, secrets and step ids. Clients
//! filter by the word being typed.

use crate::engine::script_engine;
use crate::language::ast::Runbook;
use crate::language::parser;
use crate::language::source::SourceFile;
use crate::primitives;
use crate::repl::stdlib_modules::public_functions;
use serde_json::{Value, json};
use std::sync::Arc;

/// LSP `CompletionItemKind`s.
const FUNCTION: u8 = 3;
const VARIABLE: u8 = 6;
const CONSTANT: u8 = 21;
const KEYWORD: u8 = 14;
const MODULE_FUNCTION: u8 = 2; // Method: `alias::fn`

/// Completion items for a document; `parsed` is its last text that parsed, if any.
pub fn items(parsed: Option<&(Arc<SourceFile>, Runbook)>) -> Vec<Value> {
    let mut items: Vec<Value> = primitives::NAMES
        .iter()
        .map(|name| item(name, FUNCTION, "primitive"))
        .collect();
    items.extend(
        parser::keywords()
            .iter()
            .map(|k| item(k, KEYWORD, "keyword")),
    );
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
    items.extend(steps.map(|s| item(&s.id.text, CONSTANT, "step")));
    // A step id may be in several procedures; a parameter may shadow a primitive.
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i["label"].to_string()));
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
        let labels: Vec<String> = items(Some(&parsed))
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
