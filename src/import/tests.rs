//! The importer end to end on small documents: the draft's text as `runbook fmt` lays it out.

use super::*;

fn draft(markdown: &str) -> Draft {
    import("doc.md", markdown.as_bytes()).expect("imports")
}

#[test]
fn a_numbered_list_becomes_steps_with_their_commands() {
    let d = draft("# Ops\n\n## Start\n\n1. Lancer: `docker compose up -d`\n2. Vérifier les logs\n");
    assert!(d.text.contains("procedure start \"Start\" {"), "{}", d.text);
    assert!(d.text.contains("step lancer \"Lancer\" {"), "{}", d.text);
    assert!(d.text.contains("compose::up(#{});"), "{}", d.text);
    assert!(
        d.text.contains("// TODO(import): Vérifier les logs"),
        "{}",
        d.text
    );
    assert_eq!(d.summary.steps, 2);
    assert_eq!((d.summary.code, d.summary.todo), (1, 0));
}
