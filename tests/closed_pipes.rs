//! Every command that prints ends quietly when nobody reads its output (`runbook show RUN |
//! head`): no panic, no backtrace, the exit code it would have had. The binary's stdout (and,
//! in a second round, its stderr) is a pipe whose reader is closed before it starts, so its
//! very first write finds the pipe broken.

use crate::harness::{Test, run_id};
use std::process::{Command, Stdio};

const RUNBOOK: &str = r#"runbook "pipes" {
  procedure deploy "Deploy" default {
    step talk "Talk a lot" {
      for i in 0..500 { print(`line ${i}`); }
      sh("seq 1 5000");
    } rollback {
      sh("seq 1 5000");
    }
    step gate "Fails until allowed" { sh("test -f allowed"); }
    step done "Mark the end" { sh("touch done"); }
  }
}
"#;

const UNFORMATTED: &str = "runbook \"u\" {\nprocedure p {\nstep a { sh(\"true\"); }\n}\n}\n";

const NOTES: &str = "# Deploy\n\n1. Build it: `make build`\n2. Ship it: `make deploy`\n";

/// A language server's first request, framed.
fn initialize() -> String {
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;
    format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

/// Which streams go to the closed pipe.
#[derive(Clone, Copy, Debug)]
enum Closed {
    Stdout,
    StdoutAndStderr,
}

/// Runs `args` with the closed pipe for `closed`, standard input from `stdin` (a file of the
/// test's directory) or nothing; the exit code and what stderr said (when it was read).
fn run_into_closed_pipe(
    test: &Test,
    args: &[&str],
    stdin: Option<&str>,
    closed: Closed,
) -> (i32, String) {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let mut command: Command = test.command();
    command
        .args(args)
        .stdout(writer.try_clone().expect("clone the pipe"));
    match closed {
        Closed::Stdout => command.stderr(Stdio::piped()),
        Closed::StdoutAndStderr => command.stderr(writer),
    };
    if let Some(name) = stdin {
        let file = std::fs::File::open(test.path().join(name)).expect("the input file");
        command.stdin(file);
    }
    let output = command.output().expect("run runbook");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn every_printing_command_ends_quietly_when_nobody_reads_its_output() {
    let test = Test::new()
        .runbook(RUNBOOK)
        .file(
            "bad.rb42",
            "runbook \"b\" {\n  procedure p { step a { nope( } }\n}\n",
        )
        .file("unformatted.rb42", UNFORMATTED)
        .file("notes.md", NOTES)
        .file("lsp-input", initialize())
        .file("repl-input", ":list\n:plan\nlet x = 40 + 2;\nx\n");
    // A failed run to show, roll back and resume: `gate` fails until `allowed` exists.
    let failed = test
        .command()
        .args(["run", "main.rb42", "--yes"])
        .output()
        .expect("run");
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    let run = run_id(test.path());
    std::fs::write(test.path().join("allowed"), "").expect("allow");

    let cases: &[(&[&str], Option<&str>, i32)] = &[
        (&["--help"], None, 0),
        (&["--version"], None, 0),
        (&["show", &run], None, 0),
        (&["show", &run, "--format", "json"], None, 0),
        (&["show", &run, "--format", "html"], None, 0),
        (&["runs"], None, 0),
        (&["rollback", &run, "--yes"], None, 0),
        (&["resume", &run, "--yes"], None, 0),
        (&["run", "main.rb42", "--yes"], None, 0),
        (&["run", "main.rb42", "--yes", "--format", "json"], None, 0),
        (&["run", "main.rb42", "--dry-run"], None, 0),
        (&["plan", "main.rb42"], None, 0),
        (&["plan", "main.rb42", "--format", "markdown"], None, 0),
        (
            &["plan", "main.rb42", "--base", "unformatted.rb42"],
            None,
            0,
        ),
        (&["list", "main.rb42"], None, 0),
        (&["list", "main.rb42", "--format", "json"], None, 0),
        (&["doc", "main.rb42"], None, 0),
        (&["check", "main.rb42", "bad.rb42"], None, 2),
        (
            &["check", "main.rb42", "bad.rb42", "--format", "json"],
            None,
            2,
        ),
        (&["check", "bad.rb42", "--format", "github"], None, 2),
        (&["fmt", "--check", "unformatted.rb42"], None, 1),
        (&["fmt", "-"], Some("unformatted.rb42"), 0),
        (&["completions", "bash"], None, 0),
        (&["import", "notes.md"], None, 0),
        (&["repl", "main.rb42"], Some("repl-input"), 0),
        (&["lsp"], Some("lsp-input"), 0),
    ];
    for closed in [Closed::Stdout, Closed::StdoutAndStderr] {
        for (args, stdin, expected) in cases {
            let _ = std::fs::remove_file(test.path().join("done"));
            let (code, stderr) = run_into_closed_pipe(&test, args, *stdin, closed);
            assert!(
                !stderr.contains("panicked") && !stderr.contains("backtrace"),
                "runbook {args:?} with {closed:?} closed:\n{stderr}"
            );
            assert_eq!(
                code, *expected,
                "runbook {args:?} with {closed:?} closed:\n{stderr}"
            );
            if args[0] == "run" && !args.contains(&"--dry-run") {
                // Nobody read it, yet the run went to its end.
                assert!(
                    test.path().join("done").exists(),
                    "runbook {args:?}: `done` never ran"
                );
            }
        }
    }
}
