//! `textDocument/definition`: where the name under the cursor is declared — a parameter,
//! secret, `let` value, host or group of the runbook, or the `publish("name", …)` call of the step that
//! publishes a value — in the last version of the text that parsed.

use super::published;
use crate::diagnostic::source::Span;
use crate::language::ast::Runbook;

/// Where `name` is declared or published, if the runbook declares or publishes it.
pub fn of(name: &str, runbook: &Runbook) -> Option<Span> {
    let declared = runbook
        .params
        .iter()
        .map(|p| &p.name)
        .chain(runbook.secrets.iter().map(|s| &s.name))
        .chain(runbook.values.iter().map(|v| &v.name))
        .chain(
            runbook
                .procedures
                .iter()
                .flat_map(|p| &p.values)
                .map(|v| &v.name),
        )
        .chain(runbook.hosts.iter().map(|h| &h.name))
        .chain(runbook.groups.iter().map(|g| &g.name))
        .find(|n| n.text == name);
    if let Some(declared) = declared {
        return Some(declared.span);
    }
    runbook
        .procedures
        .iter()
        .flat_map(|p| p.steps())
        .find_map(|step| published::in_body(&step.body).find(|p| p.name == name))
        .map(|p| p.span)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::source::Location;
    use crate::language::parser;
    use std::path::Path;

    const TEXT: &str = "runbook \"r\" {\n  param dir: string = \"/srv\"\n  host vm { address \"vm.example\" }\n  procedure p on vm {\n    step a {\n      let x = 1;\n      publish( \"archive\", `${dir}/é.tgz`);\n    }\n    step b { log(archive); }\n  }\n}\n";

    #[test]
    fn declarations_and_published_values_are_found_where_they_are_written() {
        let (_, runbook) =
            parser::load_bytes(Path::new("r.rb42"), TEXT.as_bytes()).expect("parses");
        assert_eq!(of("dir", &runbook), Some(Span::new(Location::new(2, 9), 3)));
        assert_eq!(of("vm", &runbook), Some(Span::new(Location::new(3, 8), 2)));
        assert_eq!(
            of("archive", &runbook),
            Some(Span::new(Location::new(7, 17), 7)),
            "inside the quotes of publish( \"archive\", …)"
        );
        assert_eq!(of("x", &runbook), None, "a body's own variable");
        assert_eq!(of("log", &runbook), None);
    }
}
