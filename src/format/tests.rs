//! The formatter changes the layout, never the language: for every runbook in `runbooks/` and
//! for inputs written to trip it, the syntax tree after formatting is the one before (bodies
//! compared as rhai tokens, positions left out), every comment is still there, and formatting
//! twice changes nothing.

use super::format;
use crate::diagnostic::source::{Location, SourceFile};
use crate::language::ast::{Body, Item, Runbook};
use crate::language::parser;
use rhai::Token;
use std::sync::Arc;

/// The rhai tokens of a body: what rhai reads, whatever the blanks around them.
fn rhai_tokens(code: &str) -> Vec<Token> {
    let engine = rhai::Engine::new_raw();
    let inputs = [code];
    let (tokens, control) = engine.lex(&inputs);
    // Interpolations open a block; after its `}` the parser tells the tokenizer to read text.
    let mut open_interpolations: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    for (token, _) in tokens {
        match token {
            Token::EOF => break,
            Token::InterpolatedString(_) => open_interpolations.push(0),
            Token::LeftBrace => {
                if let Some(depth) = open_interpolations.last_mut() {
                    *depth += 1;
                }
            }
            Token::RightBrace => {
                if let Some(depth) = open_interpolations.last_mut() {
                    *depth -= 1;
                    if *depth == 0 {
                        open_interpolations.pop();
                        control.borrow_mut().is_within_text = true;
                    }
                }
            }
            _ => {}
        }
        out.push(token);
    }
    out
}

fn normalise(body: &mut Body) {
    body.code = format!("{:?}", rhai_tokens(&body.code));
    body.origin = Location::default();
}

/// The syntax tree as text, bodies as their rhai tokens, without positions.
fn shape(text: &str) -> String {
    let source = Arc::new(SourceFile::new("test.rb42", text));
    let mut runbook: Runbook = parser::parse(&source).expect("parses");
    for guard in &mut runbook.guards {
        normalise(&mut guard.body);
    }
    for value in &mut runbook.values {
        normalise(&mut value.expr);
    }
    for procedure in &mut runbook.procedures {
        for value in &mut procedure.values {
            normalise(&mut value.expr);
        }
        for guard in &mut procedure.guards {
            normalise(&mut guard.body);
        }
        if let Some(finally) = &mut procedure.finally {
            normalise(finally);
        }
        for item in &mut procedure.items {
            if let Item::Step(step) = item {
                normalise(&mut step.body);
                if let Some(when) = &mut step.when {
                    normalise(when);
                }
                if let Some(rollback) = &mut step.rollback {
                    normalise(rollback);
                }
            }
        }
    }
    without_spans(&format!("{runbook:?}"))
}

/// Drops every `Span { … }` of a syntax tree's debug text.
fn without_spans(debug: &str) -> String {
    let mut out = String::new();
    let mut rest = debug;
    while let Some(start) = rest.find("Span { start: ") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find(" }, width: ")
            .map_or(rest.len(), |i| start + i);
        let close = rest[end + 11..]
            .find(" }")
            .map_or(rest.len(), |i| end + 11 + i + 2);
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

fn formatted(text: &str) -> String {
    format(&Arc::new(SourceFile::new("test.rb42", text))).expect("formats")
}

/// The comments written on their own lines, in order.
fn own_line_comments(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter_map(|l| {
            if l.starts_with("//") {
                Some(l)
            } else if l.starts_with("/*") {
                Some(l.find("*/").map_or(l, |end| &l[..end + 2]))
            } else {
                None
            }
        })
        .collect()
}

fn assert_same_language(text: &str) {
    let once = formatted(text);
    assert_eq!(
        shape(text),
        shape(&once),
        "the syntax tree changed:\n{once}"
    );
    assert_eq!(formatted(&once), once, "formatting twice changed the text");
    assert_eq!(own_line_comments(text), own_line_comments(&once));
    assert!(once.ends_with("}\n") || once.ends_with('\n'));
    // Trailing blanks stay only inside multi-line strings, as written.
    for line in once.lines().filter(|l| l.trim_end() != *l) {
        assert!(
            text.lines().any(|l| l == line),
            "trailing blanks in {line:?}"
        );
    }
}

#[test]
fn every_runbook_of_the_repository() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("runbooks/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "rb42") {
            assert_same_language(&std::fs::read_to_string(&path).expect("readable"));
            count += 1;
        }
    }
    assert!(count >= 8, "only {count} runbooks found");
}

const TRICKY: &str = include_str!("../../tests/golden/fmt-tricky-input.rb42");

#[test]
fn tricky_inputs() {
    assert_same_language(TRICKY);
}

#[test]
fn an_empty_body_is_a_pair_of_braces() {
    let text = "runbook \"r\" { procedure p { step s {\n\n   } rollback { } } }";
    assert_same_language(text);
    assert!(formatted(text).contains("    step s {} rollback {}\n"));
}

/// Comments inside items, between every kind of token.
const COMMENTS_INSIDE: &str = r#"runbook /* a */ "r" /* b */ {
  param x: /* c */ int // d
    = /* e */ 3 // f
  tags [ // g
    "a", /* h */ "b" // i
  ]
  host h // j
  { address "x" /* k */ }
  procedure p // l
  /* m */ on h
  {
    step s "t" // n
      retry 2 /* o */ every 1s
    {
      log("x") } // p
    // q
    rollback { log("y")
    }
    step u { /* r */ } /* s */ rollback { } // t
  } // u
} /* v */ // w
"#;

#[test]
fn comments_inside_items() {
    assert_same_language(COMMENTS_INSIDE);
    let once = formatted(COMMENTS_INSIDE);
    for comment in [
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r",
        "s", "t", "u", "v", "w",
    ] {
        let kept =
            once.contains(&format!("/* {comment} */")) || once.contains(&format!("// {comment}\n"));
        assert!(kept, "comment {comment} lost:\n{once}");
    }
}

#[test]
fn a_changed_body_is_seen() {
    // The comparison itself must be able to fail: a space inside a backtick string matters.
    let a = "runbook \"r\" { procedure p { step s { let x = `a ${1}  b`; } } }";
    let b = "runbook \"r\" { procedure p { step s { let x = `a ${1} b`; } } }";
    assert_ne!(shape(a), shape(b));
    let c = "runbook \"r\" { procedure p { step s {\n  let x = `a\n   b`;\n} } }";
    let d = "runbook \"r\" { procedure p { step s {\n  let x = `a\n b`;\n} } }";
    assert_ne!(shape(c), shape(d));
}

#[test]
fn a_value_keeps_its_expression_and_its_continuation_lines_move_with_it() {
    let text = "runbook \"r\" {\n    let app   =   #{dir: \"/srv\",\n        name: \"x\"} ;\n  let m = #{\n        a: 1, // one\n           b: `x\n  y`,\n    };\n  procedure p {\n  let c = app.dir + \";\";\n    step s { log(`${c}${m}`); }\n  }\n}\n";
    assert_same_language(text);
    let once = formatted(text);
    assert!(
        once.contains("  let app = #{dir: \"/srv\",\n    name: \"x\"};\n"),
        "{once}"
    );
    assert!(
        once.contains("  let m = #{\n    a: 1, // one\n       b: `x\n  y`,\n  };\n"),
        "{once}"
    );
    assert!(once.contains("    let c = app.dir + \";\";\n"), "{once}");
}
