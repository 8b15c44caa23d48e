//! Bad input: a clear error naming the place, exit code 2, never a panic or a hang.

use crate::harness::Test;

fn refused(test: Test, expect: &[&str]) {
    let out = test.run();
    out.code(2);
    for needle in expect {
        out.stderr_has(needle);
    }
}

#[test]
fn missing_file_and_directory() {
    refused(
        Test::new().args(["run", "nope.rb42"]),
        &["cannot read the runbook: no such file", "nope.rb42"],
    );
    refused(
        Test::new().file("d/x", "").args(["check", "d/x", "d"]),
        &["d/x:1:1", "the file is empty"],
    );
    refused(
        Test::new().file("d/x", "").args(["run", "d"]),
        &["this is a directory"],
    );
}

#[test]
fn empty_binary_and_invalid_utf8_files() {
    refused(
        Test::new().runbook("  \n").args(["run", "main.rb42"]),
        &["main.rb42:1:1", "the file is empty"],
    );
    refused(
        Test::new()
            .file("main.rb42", b"runbook \"x\" {\0\x01\x02}")
            .args(["check", "main.rb42"]),
        &["binary file", "line 1, column 14"],
    );
    refused(
        Test::new()
            .file("main.rb42", b"runbook \"x\" {\n  description \"\xff\"\n}")
            .args(["check", "main.rb42"]),
        &["not valid UTF-8 at line 2, column 16"],
    );
}

#[test]
fn truncated_block_and_unterminated_string() {
    refused(
        Test::new()
            .runbook("runbook \"r\" {\n  procedure p {\n    step a { log(1); }\n")
            .args(["check", "main.rb42"]),
        &["unexpected end of file", "main.rb42:4:1"],
    );
    refused(
        Test::new()
            .runbook("runbook \"r\" {\n  procedure p \"Titre {\n    step a { }\n  }\n}\n")
            .args(["check", "main.rb42"]),
        &["unterminated string", "main.rb42:2:15"],
    );
}

#[test]
fn duplicates_and_unknown_names() {
    refused(
        Test::new()
            .runbook("runbook \"r\" {\n  procedure p {\n    step a { }\n    step a { }\n  }\n}\n")
            .args(["check", "main.rb42"]),
        &["duplicate step id `a` in procedure `p`", "main.rb42:4:10"],
    );
    let two = "runbook \"r\" {\n  procedure deploy { step a { } }\n  procedure rollback { step a { } }\n}\n";
    refused(
        Test::new()
            .runbook(two)
            .args(["run", "main.rb42", "deplyo"]),
        &["no procedure `deplyo`", "did you mean `deploy`?"],
    );
    refused(
        Test::new().runbook(two).args(["run", "main.rb42"]),
        &["several procedures", "deploy, rollback"],
    );
    refused(
        Test::new()
            .runbook("runbook \"r\" { procedure p { step a { } } }")
            .args(["run", "main.rb42", "-p", "x=1"]),
        &["unknown parameter `x`", "declares no parameters"],
    );
}

#[test]
fn a_confirmation_with_no_step_after_it() {
    refused(
        Test::new()
            .runbook("runbook \"r\" {\n  procedure p {\n    step a { }\n    confirm \"Et après ?\"\n  }\n}\n")
            .args(["check", "main.rb42"]),
        &["a confirmation must be followed by a step it guards", "main.rb42:4:5"],
    );
}

#[test]
fn a_typo_in_a_keyword_points_at_it() {
    refused(
        Test::new()
            .runbook("runbook \"r\" {\n  procedure p {\n    stpe a { }\n  }\n}\n")
            .args(["check", "main.rb42"]),
        &["main.rb42:3:5", "expected"],
    );
}

#[test]
fn ten_megabytes_of_junk() {
    let junk: String = (0..10 * 1024 * 1024)
        .map(|i| [b'{', b'x', b'"', b'}', b'\n', b'(', b'a', b' '][i % 8] as char)
        .collect();
    refused(
        Test::new()
            .file("main.rb42", junk)
            .args(["check", "main.rb42"]),
        &["error:", "--> main.rb42:"],
    );
    let nested = format!(
        "runbook \"r\" {{ procedure p {{ step a {}",
        "{".repeat(5_000_000)
    );
    refused(
        Test::new()
            .file("main.rb42", nested)
            .args(["check", "main.rb42"]),
        &["nested more than 128 deep"],
    );
}

#[test]
fn a_module_that_fails_to_load_is_not_suggested_as_its_own_typo() {
    let out = Test::new()
        .file("loop.rhai", "let x = 0;\nloop { x += 1; }\nfn f() { 1 }\n")
        .runbook(
            "runbook \"r\" {\n  use \"loop.rhai\" as m\n  procedure p { step s { m::f(); } }\n}\n",
        )
        .args(["check", "main.rb42"])
        .run();
    out.code(2)
        .stderr_has("module `loop.rhai` failed to load: Too many operations")
        .stderr_has("checked 1 file: 1 error");
    assert!(
        !out.stderr.contains("unknown module"),
        "the module's own error is enough: {}",
        out.stderr
    );
}

#[test]
fn a_parameter_argument_without_equals_sign_is_a_usage_error_in_every_subcommand() {
    let text = "runbook \"r\" {\n  param host: string = \"vm\"\n  procedure p { step s { log(host); } }\n}\n";
    for command in ["run", "plan", "doc", "repl"] {
        let out = Test::new()
            .runbook(text)
            .args([command, "main.rb42", "-p", "host", "-p", "=vm"])
            .run();
        out.code(2)
            .stderr_has("--param `host` is not NAME=VALUE")
            .stderr_has("--param `=vm` is not NAME=VALUE");
    }
}
