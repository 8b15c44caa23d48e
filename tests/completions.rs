//! `runbook completions SHELL`: scripts that name every subcommand; the bash one, sourced in a
//! real bash, completes subcommands, options and values.

use crate::harness::Test;
use std::process::Command;

const SUBCOMMANDS: &[&str] = &[
    "run",
    "plan",
    "check",
    "list",
    "doc",
    "runs",
    "show",
    "rollback",
    "resume",
    "fmt",
    "completions",
    "lsp",
];

fn script(shell: &str) -> String {
    let out = Test::new().args(["completions", shell]).run();
    out.code(0);
    out.stdout.clone()
}

/// What bash offers for the command line `words`, the cursor on the last word.
fn bash_completes(words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("runbook.bash");
    std::fs::write(&path, script("bash")).expect("write the script");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}' && complete -p runbook >/dev/null && COMP_WORDS=({}) && COMP_CWORD={} && \
         COMP_LINE='{}' && COMP_POINT=${{#COMP_LINE}} && _runbook runbook '{}' '{}' && \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display(),
        quoted.join(" "),
        words.len() - 1,
        words.join(" "),
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands_options_and_values() {
    let all = bash_completes(&["runbook", ""]);
    for name in SUBCOMMANDS {
        assert!(all.iter().any(|w| w == name), "{name} missing from {all:?}");
    }
    assert_eq!(bash_completes(&["runbook", "ro"]), ["rollback"]);
    assert_eq!(bash_completes(&["runbook", "fmt", "--ch"]), ["--check"]);
    let check = bash_completes(&["runbook", "check", "--"]);
    assert!(check.iter().any(|w| w == "--deny-warnings"), "{check:?}");
    assert!(!check.iter().any(|w| w == "--check"), "{check:?}");
    assert_eq!(
        bash_completes(&["runbook", "completions", "p"]),
        ["powershell"]
    );
}

#[test]
fn every_shell_gets_a_script_naming_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let text = script(shell);
        for name in SUBCOMMANDS {
            assert!(text.contains(name), "{shell}: no `{name}`");
        }
        // The shell's own syntax check, where that shell is installed.
        if matches!(shell, "zsh" | "fish") && Command::new(shell).arg("--version").output().is_ok()
        {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("script");
            std::fs::write(&path, &text).expect("write the script");
            let status = Command::new(shell)
                .arg("-n")
                .arg(&path)
                .status()
                .expect("run the shell");
            assert!(status.success(), "{shell} -n refuses the script");
        }
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    Test::new()
        .args(["completions", "tcsh"])
        .run()
        .code(2)
        .stderr_has("possible values: bash, elvish, fish, powershell, zsh");
}
