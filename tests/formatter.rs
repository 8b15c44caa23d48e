//! `runbook fmt`: the canonical layout, `--check` for CI, and files it must leave alone. That
//! formatting keeps the syntax tree of every runbook is proven in `src/format/tests.rs`.

use crate::harness::{Test, golden};
use std::path::Path;

const MESSY: &str = include_str!("golden/fmt-tricky-input.rb42");

const TIDY: &str = "runbook \"tidy\" {\n  procedure p {\n    step s { log(\"ok\") }\n  }\n}\n";

#[test]
fn fmt_rewrites_a_messy_runbook_in_the_canonical_layout() {
    let out = Test::new().runbook(MESSY).args(["fmt", "main.rb42"]).run();
    out.code(0).stderr_has("reformatted 1 of 1 file");
    let formatted = out.read("main.rb42").expect("the runbook");
    golden("fmt-tricky.rb42", &formatted);

    // Formatting twice changes nothing, and the result still parses and checks alike.
    let again = Test::new()
        .runbook(&formatted)
        .args(["fmt", "--check", "main.rb42"])
        .run();
    again.code(0).stderr_has("would reformat 0 of 1 file");
    assert_eq!(again.read("main.rb42").as_deref(), Some(formatted.as_str()));
}

#[test]
fn fmt_check_names_the_files_that_would_change_and_changes_nothing() {
    let messy = "runbook \"messy\" {\n    procedure p {\n  step s {log(\"ok\")}\n  }\n}";
    let out = Test::new()
        .file("runbooks/messy.rb42", messy)
        .file("runbooks/tidy.rb42", TIDY)
        .args(["fmt", "--check", "runbooks"])
        .run();
    out.code(1)
        .stdout_has("would reformat runbooks/messy.rb42\n@@ line 2 @@\n-    procedure p {\n-  step s {log(\"ok\")}\n")
        .stdout_has("+  procedure p {\n+    step s { log(\"ok\") }\n")
        .stdout_lacks("tidy.rb42")
        .stderr_has("would reformat 1 of 2 files, 1 already formatted");
    assert_eq!(out.read("runbooks/messy.rb42").as_deref(), Some(messy));

    let fixed = Test::new()
        .file("runbooks/messy.rb42", messy)
        .args(["fmt", "runbooks"])
        .run();
    fixed.code(0);
    let text = fixed.read("runbooks/messy.rb42").expect("the runbook");
    assert_eq!(text, TIDY.replace("tidy", "messy"));
}

#[test]
fn fmt_leaves_a_file_that_does_not_parse_alone() {
    let broken =
        "runbook \"broken\" {\n  procedure p {\n    step s { log(1) } rollbak { }\n  }\n}\n";
    let out = Test::new()
        .runbook(broken)
        .file(
            "tidy.rb42",
            TIDY.replace("\"tidy\"", "\"tidy2\"")
                .replace("  step", "step"),
        )
        .args(["fmt", "main.rb42", "tidy.rb42"])
        .run();
    out.code(2)
        .stderr_has("--> main.rb42:3:")
        .stderr_has("reformatted 1 of 1 file, 0 already formatted, 1 error");
    assert_eq!(out.read("main.rb42").as_deref(), Some(broken));
    // The file that parses is still formatted.
    assert_eq!(
        out.read("tidy.rb42").as_deref(),
        Some(TIDY.replace("\"tidy\"", "\"tidy2\"").as_str())
    );
}

#[test]
fn the_runbooks_of_the_repository_are_formatted() {
    let runbooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let out = Test::new()
        .args(["fmt", "--check"])
        .arg_path(&runbooks)
        .run();
    out.code(0).stdout_lacks("would reformat");
}

#[test]
fn fmt_dash_filters_standard_input_for_editors() {
    let fmt = |input: &str| Test::new().args(["fmt", "-"]).stdin(input).run();
    let out = fmt("runbook \"tidy\" { procedure p { step s {log(\"ok\")} } }");
    assert_eq!((out.code, out.stdout.as_str()), (0, TIDY));

    let out = fmt("runbook \"tidy\" {\n  procedure p {\n    step s { log(\"ok\") } rollbak\n");
    assert_eq!((out.code, out.stdout.as_str()), (2, ""));
    assert!(out.stderr.contains("--> <stdin>:3:"), "{}", out.stderr);
}
