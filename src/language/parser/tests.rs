use super::*;
use crate::language::ast::Item;

fn parse_text(text: &str) -> Result<Runbook, String> {
    parse(&Arc::new(SourceFile::new("t.rb42", text))).map_err(|d| d.render(false))
}

/// A compact outline of the tree: procedures, their items and step attributes.
fn outline(text: &str) -> String {
    let runbook = parse_text(text).unwrap_or_else(|e| panic!("{e}"));
    let mut out = format!("(runbook {:?}", runbook.name.text);
    for p in &runbook.params {
        out.push_str(&format!(
            " (param {} {}{})",
            p.name.text,
            p.ty.name(),
            if p.default.is_some() { " =" } else { "" }
        ));
    }
    for procedure in &runbook.procedures {
        out.push_str(&format!(" (procedure {}", procedure.id.text));
        for item in &procedure.items {
            match item {
                Item::Gate(g) => out.push_str(&format!(" (confirm {:?})", g.message)),
                Item::Step(s) => {
                    out.push_str(&format!(" (step {}", s.id.text));
                    if let Some(r) = s.retry {
                        out.push_str(&format!(" retry={}", r.times));
                    }
                    if s.rollback.is_some() {
                        out.push_str(" rollback");
                    }
                    if s.rollback_always {
                        out.push_str(" always");
                    }
                    out.push(')');
                }
            }
        }
        out.push(')');
    }
    out.push(')');
    out
}

#[test]
fn parses_steps_gates_and_attributes() {
    let text = r#"runbook "r" {
  param dir: string = "/opt"
  param keep: int
  procedure deploy default {
step a "A" retry 2 every 1s { let x = "}"; `${x}{` } rollback { () }
confirm "Sûr ?"
step b { /* } */ 'x'; }
  }
}"#;
    assert_eq!(
        outline(text),
        r#"(runbook "r" (param dir string =) (param keep int) (procedure deploy (step a retry=2 rollback) (confirm "Sûr ?") (step b)))"#
    );
}

#[test]
fn body_origin_points_after_the_brace() {
    let runbook =
        parse_text("runbook \"r\" {\n procedure p {\n  step s {\n   x\n  }\n }\n}").unwrap();
    let Item::Step(step) = &runbook.procedures[0].items[0] else {
        panic!("not a step")
    };
    assert_eq!(step.body.origin, Location::new(3, 11));
}

#[test]
fn keywords_need_a_word_boundary() {
    let err = parse_text("runbook \"r\" { procedure p { stepx a {} } }").unwrap_err();
    assert!(err.contains("1:29"), "{err}");
}

#[test]
fn reports_unterminated_strings_where_they_open() {
    let err = parse_text("runbook \"r\" {\n  description \"oops\n}\n").unwrap_err();
    assert!(err.starts_with("error: unterminated string"), "{err}");
    assert!(err.contains("t.rb42:2:15"), "{err}");
}

#[test]
fn refuses_deep_nesting_without_recursing() {
    let text = format!("runbook \"r\" {}", "{".repeat(100_000));
    assert!(parse_text(&text).unwrap_err().contains("nested more than"));
}

#[test]
fn a_body_ends_at_its_own_brace_whatever_its_strings_and_comments_hold() {
    let bodies = [
        r#"let s = "a } \" {"; s"#,
        r#"`x ${ if a { "}" } else { `{` } } y $ \` $x {`"#,
        "// } a comment\n 1",
        "/* { */ 6 / 3 /= 2",
        r#"'}' + '\'' + '{'"#,
        r#""é} ü{" + `ß}`"#,
        "#{a: #{b: 1}}.a",
        "let a = [1, 2]; a[0] \\ 2 $ @",
    ];
    let steps: String = bodies
        .iter()
        .enumerate()
        .map(|(n, body)| format!("    step s{n} {{{body}}}\n"))
        .collect();
    let text = format!("runbook \"r\" {{\n  procedure p {{\n{steps}  }}\n}}\n");
    let runbook = parse_text(&text).unwrap_or_else(|e| panic!("{e}"));
    let read: Vec<&str> = runbook.procedures[0]
        .steps()
        .map(|s| s.body.code.as_str())
        .collect();
    assert_eq!(read, bodies);
}
