//! The README's promises: the quickstart runs, fails and rolls back as it says; its plan reads
//! in every format; the 30-second example checks clean; a broken copy points at the right line.

use crate::harness::{Output, Test};

const QUICKSTART: &str = include_str!("../runbooks/quickstart.rb42");
const TEMPLATE: &str = include_str!("../runbooks/templates/release-notes.md.j2");

/// The quickstart and its template, working in the test's own directory.
fn quickstart() -> Test {
    Test::new()
        .file("quickstart.rb42", QUICKSTART)
        .file("templates/release-notes.md.j2", TEMPLATE)
}

/// Runs the quickstart with its work directory in the test's `demo/`.
fn run_in_demo(args: &[&str]) -> Output {
    let test = quickstart();
    let workdir = format!("workdir={}", test.path().join("demo").display());
    test.args(args.iter().copied())
        .args(["-p", workdir.as_str()])
        .run()
}

#[test]
fn the_default_procedure_shows_a_guard_a_confirmation_live_output_and_a_template() {
    let out = run_in_demo(&["run", "quickstart.rb42", "--yes"]);
    out.code(0)
        .stdout_has("guard ✓ Les outils tar et sh sont disponibles")
        .stdout_has("? Publier la nouvelle version dans le répertoire de démo ?")
        .stdout_has("│ publié : 1.4.2")
        .stdout_has("✓ succeeded (5 done");
    assert_eq!(out.read("demo/app/VERSION").unwrap(), "1.4.2\n");
    let notes = out.read("demo/app/RELEASE.md").unwrap();
    assert!(
        notes.starts_with("# demo 1.4.2\n\nDeployed to `staging`"),
        "{notes}"
    );
}

#[test]
fn the_broken_procedure_rolls_back_in_reverse_order() {
    let out = run_in_demo(&["run", "quickstart.rb42", "broken"]);
    out.code(1).stdout_has("✗ health failed");
    assert_eq!(
        out.lines_with(&["↩ rollback"]),
        [
            "↩ rollback release — Publier une version défectueuse",
            "↩ rollback archive — Sauvegarder l'application",
            "↩ rollback prepare — Préparer le répertoire de l'application",
        ]
    );
    assert_eq!(
        out.read("demo/app/VERSION").unwrap(),
        "1.0.0\n",
        "the release was undone"
    );
    assert!(
        !out.exists("demo/backups/app_broken.tgz"),
        "the archive was removed"
    );
}

#[test]
fn its_plan_reads_in_every_format() {
    for (format, expect) in [
        (
            "text",
            "confirm before `release`: Publier la nouvelle version",
        ),
        ("markdown", "> ⚠️ **Confirmation before `release`:**"),
        ("json", "\"kind\": \"confirmation\""),
    ] {
        let out = quickstart()
            .args([
                "plan",
                "quickstart.rb42",
                "--format",
                format,
                "-p",
                "workdir=/srv/demo",
            ])
            .run();
        out.code(0)
            .stdout_has(expect)
            .stdout_has("tar czf /srv/demo/backups/app_");
    }
}

#[test]
fn a_broken_copy_points_at_the_broken_line() {
    let broken = QUICKSTART.replace(
        "backup::restore(archive, `${workdir}/app`);",
        "backup::restore(archiv, `${workdir}/app`);",
    );
    let line = broken
        .lines()
        .position(|l| l.contains("restore(archiv,"))
        .unwrap()
        + 1;
    let out = Test::new()
        .file("broken.rb42", broken)
        .file("templates/release-notes.md.j2", TEMPLATE)
        .args(["check", "broken.rb42"])
        .run();
    out.code(2)
        .stderr_has("unknown variable `archiv`")
        .stderr_has(&format!("broken.rb42:{line}:23"))
        .stderr_has("did you mean `archive`?");
}

#[test]
fn the_readme_example_checks_clean() {
    let readme = include_str!("../README.md");
    let example = readme
        .split("```")
        .find(|block| block.trim_start().starts_with("runbook \"brokerx\""))
        .expect("the README has a runbook example");
    let out = Test::new()
        .runbook(example)
        .args(["check", "main.rb42"])
        .run();
    out.code(0).stderr_has("0 errors, 0 warnings");
}

#[test]
fn the_quickstart_checks_clean() {
    let out = quickstart().args(["check", "quickstart.rb42"]).run();
    out.code(0).stderr_has("0 errors, 0 warnings");
}

#[test]
fn the_readme_plan_excerpt_is_the_quickstarts_plan() {
    let readme = include_str!("../README.md");
    let excerpt = readme
        .split("From `runbook plan runbooks/quickstart.rb42`:\n\n```\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README's Safety section quotes the quickstart's plan");
    let out = quickstart().args(["plan", "quickstart.rb42"]).run();
    out.code(0);
    let plan = out
        .stdout
        .replace("quickstart.rb42:", "runbooks/quickstart.rb42:");
    assert!(plan.contains(excerpt), "{excerpt}\nis not in\n{plan}");
}
