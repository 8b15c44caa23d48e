//! `textDocument/documentSymbol`: the outline of a runbook — its parameters, secrets and hosts,
//! and its procedures with their steps — from the last version of the text that parsed.

use super::position;
use crate::diagnostic::source::SourceFile;
use crate::language::ast::{Name, Runbook};
use serde_json::{Value, json};

/// LSP `SymbolKind`s.
const FUNCTION: u8 = 12;
const VARIABLE: u8 = 13;
const KEY: u8 = 20;
const OBJECT: u8 = 19;
const EVENT: u8 = 24;

/// The document's symbols, procedures holding their steps.
pub fn outline(source: &SourceFile, runbook: &Runbook) -> Vec<Value> {
    let mut symbols = Vec::new();
    for param in &runbook.params {
        symbols.push(symbol(
            source,
            &param.name,
            "parameter",
            VARIABLE,
            Vec::new(),
        ));
    }
    for secret in &runbook.secrets {
        symbols.push(symbol(source, &secret.name, "secret", KEY, Vec::new()));
    }
    for host in &runbook.hosts {
        symbols.push(symbol(source, &host.name, "host", OBJECT, Vec::new()));
    }
    for procedure in &runbook.procedures {
        let steps = procedure
            .steps()
            .map(|step| symbol(source, &step.id, step.title(), EVENT, Vec::new()))
            .collect();
        symbols.push(symbol(
            source,
            &procedure.id,
            procedure.title(),
            FUNCTION,
            steps,
        ));
    }
    symbols
}

fn symbol(source: &SourceFile, name: &Name, detail: &str, kind: u8, children: Vec<Value>) -> Value {
    let range = position::range(source, name.span);
    json!({
        "name": name.text,
        "detail": detail,
        "kind": kind,
        "range": range,
        "selectionRange": range,
        "children": children,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::parser;
    use std::path::Path;

    #[test]
    fn procedures_hold_their_steps_under_the_declarations() {
        let text = "runbook \"r\" {\n  param dir: string = \"/srv\"\n  secret token from env \"T\"\n  host vm { address \"vm.example\" }\n  procedure deploy \"Déployer\" {\n    step backup \"Sauvegarder\" { log(dir); }\n    step up { log(token); }\n  }\n}\n";
        let (source, runbook) =
            parser::load_bytes(Path::new("r.rb42"), text.as_bytes()).expect("parses");
        let outline = outline(&source, &runbook);
        let names: Vec<&str> = outline.iter().filter_map(|s| s["name"].as_str()).collect();
        assert_eq!(names, ["dir", "token", "vm", "deploy"]);
        let deploy = &outline[3];
        assert_eq!(deploy["detail"], "Déployer");
        assert_eq!(deploy["kind"], FUNCTION);
        let steps: Vec<&str> = deploy["children"]
            .as_array()
            .expect("children")
            .iter()
            .filter_map(|s| s["name"].as_str())
            .collect();
        assert_eq!(steps, ["backup", "up"]);
        assert_eq!(
            deploy["children"][0]["selectionRange"],
            json!({"start": {"line": 5, "character": 9}, "end": {"line": 5, "character": 15}})
        );
        assert_eq!(deploy["children"][1]["detail"], "up");
    }
}
