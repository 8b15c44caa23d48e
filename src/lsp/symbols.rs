//! `textDocument/documentSymbol`: the outline of a runbook — its parameters, secrets and hosts,
//! and its procedures with their steps — from the last version of the text that parsed.

use super::position;
use crate::diagnostic::source::SourceFile;
use crate::language::ast::{Name, Runbook};
use lsp_types::{DocumentSymbol, SymbolKind};

const PARAMETER: SymbolKind = SymbolKind::VARIABLE;
const SECRET: SymbolKind = SymbolKind::KEY;
const HOST: SymbolKind = SymbolKind::OBJECT;
const PROCEDURE: SymbolKind = SymbolKind::FUNCTION;
const STEP: SymbolKind = SymbolKind::EVENT;

/// The document's symbols, procedures holding their steps.
pub fn outline(source: &SourceFile, runbook: &Runbook) -> Vec<DocumentSymbol> {
    let mut symbols = Vec::new();
    for param in &runbook.params {
        symbols.push(symbol(
            source,
            &param.name,
            "parameter",
            PARAMETER,
            Vec::new(),
        ));
    }
    for secret in &runbook.secrets {
        symbols.push(symbol(source, &secret.name, "secret", SECRET, Vec::new()));
    }
    for host in &runbook.hosts {
        symbols.push(symbol(source, &host.name, "host", HOST, Vec::new()));
    }
    for procedure in &runbook.procedures {
        let steps = procedure
            .steps()
            .map(|step| symbol(source, &step.id, step.title(), STEP, Vec::new()))
            .collect();
        symbols.push(symbol(
            source,
            &procedure.id,
            procedure.title(),
            PROCEDURE,
            steps,
        ));
    }
    symbols
}

fn symbol(
    source: &SourceFile,
    name: &Name,
    detail: &str,
    kind: SymbolKind,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    let range = position::range(source, name.span);
    // `deprecated` is the protocol's old field, superseded by `tags`; it must still be set.
    #[allow(deprecated)]
    DocumentSymbol {
        name: name.text.clone(),
        detail: Some(detail.to_string()),
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range: range,
        children: Some(children),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::parser;
    use lsp_types::{Position, Range};
    use std::path::Path;

    #[test]
    fn procedures_hold_their_steps_under_the_declarations() {
        let text = "runbook \"r\" {\n  param dir: string = \"/srv\"\n  secret token from env \"T\"\n  host vm { address \"vm.example\" }\n  procedure deploy \"Déployer\" {\n    step backup \"Sauvegarder\" { log(dir); }\n    step up { log(token); }\n  }\n}\n";
        let (source, runbook) =
            parser::load_bytes(Path::new("r.rb42"), text.as_bytes()).expect("parses");
        let outline = outline(&source, &runbook);
        let names: Vec<&str> = outline.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["dir", "token", "vm", "deploy"]);
        let deploy = &outline[3];
        assert_eq!(deploy.detail.as_deref(), Some("Déployer"));
        assert_eq!(deploy.kind, PROCEDURE);
        let steps = deploy.children.as_deref().expect("children");
        let step_names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(step_names, ["backup", "up"]);
        assert_eq!(
            steps[0].selection_range,
            Range::new(Position::new(5, 9), Position::new(5, 15))
        );
        assert_eq!(steps[1].detail.as_deref(), Some("up"));
    }
}
