use super::*;
use crate::diagnostic::source::SourceFile;
use crate::language::parser;
use std::sync::Arc;

fn chart(text: &str) -> String {
    let source = Arc::new(SourceFile::new("t.rb42", text));
    let runbook = parser::parse(&source).unwrap_or_else(|d| panic!("{}", d.render(false)));
    let hosts = |name: &str| match name {
        "web" => vec![
            "web1".to_string(),
            "web2".into(),
            "web3".into(),
            "web4".into(),
        ],
        _ => Vec::new(),
    };
    let anchor = |id: &str| format!("procedure-p-{id}");
    Flow {
        procedure: &runbook.procedures[0],
        runbook_guards: &runbook.guards,
        hosts: &hosts,
        anchor: Some(&anchor),
        text: &str::to_string,
    }
    .mermaid()
}

#[test]
fn escapes_what_mermaid_reads_as_markup() {
    assert_eq!(
        escape(r#"a "b" [c] #1 <x> & `y` | z"#),
        "a #quot;b#quot; [c] #35;1 #lt;x#gt; #amp; #96;y#96; #124; z"
    );
    assert_eq!(escape("Déployer l'été\nnow"), "Déployer l'été now");
}

#[test]
fn a_failure_enters_the_rollbacks_at_the_newest_owed() {
    let text = chart(
        r#"runbook "r" {
          procedure p {
            step a { sh("a"); } rollback { sh("undo a"); }
            step b { sh("b"); }
            confirm "Go on?"
            step c "C \"quoted\" #1" on web forks 2 { run("c"); } rollback always { run("undo c"); }
            finally { sh("f"); }
          }
        }"#,
    );
    for line in [
        "  s1 -.->|\"fails\"| fin",
        "  s2 -.->|\"fails\"| r1",
        "  c1 -.->|\"no\"| r1",
        "  c1 -->|\"yes\"| s3",
        "  s3 -.->|\"fails\"| r3",
        "  r3 --> r1",
        "  r1 --> fin",
        "  fin -->|\"after success\"| done",
        "  click s3 href \"#procedure-p-c\" \"Step C #quot;quoted#quot; #35;1\"",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
    assert!(text.contains("on web: web1, web2, web3 +1 more<br>2 at a time"));
    assert_eq!(text, chart(&text_of_same()), "deterministic");
}

fn text_of_same() -> String {
    r#"runbook "r" {
          procedure p {
            step a { sh("a"); } rollback { sh("undo a"); }
            step b { sh("b"); }
            confirm "Go on?"
            step c "C \"quoted\" #1" on web forks 2 { run("c"); } rollback always { run("undo c"); }
            finally { sh("f"); }
          }
        }"#
    .into()
}

#[test]
fn a_when_condition_can_skip_its_step() {
    let text = chart(
        r#"runbook "r" { procedure p {
            step a when { 1 > 2 } { sh("a"); }
            step b { sh("b"); }
        } }"#,
    );
    assert!(text.contains("  w1{\"when 1 #gt; 2\"}"), "{text}");
    assert!(text.contains("  w1 -->|\"true\"| s1"), "{text}");
    assert!(text.contains("  w1 -.->|\"false: skipped\"| s2"), "{text}");
}

#[test]
fn a_big_procedure_is_folded_in_rows() {
    let steps: String = (1..=60)
        .map(|i| format!("step s{i} {{ sh(\"{i}\"); }} rollback {{ sh(\"u{i}\"); }}\n"))
        .collect();
    let text = chart(&format!("runbook \"r\" {{ procedure p {{ {steps} }} }}"));
    assert!(
        text.contains("subgraph row10 [\"steps 55 to 60\"]"),
        "{text}"
    );
    assert!(text.contains("  row2 -.->|\"a step fails\"| u2"), "{text}");
    assert!(text.contains("  u2 --> u1"), "{text}");
    assert_eq!(text.matches("-.->").count(), 10, "one failure edge per row");
}
