//! The Emacs mode in `editors/emacs`, run by the real Emacs in batch mode: its faces on the
//! sample and on every runbook of the repository, its indentation against the layout of
//! `runbook fmt`, its keyword and primitive lists against the language, and its commands
//! against the real binary.

use crate::editors::{LineStart, SAMPLE, column, editor, line_starts, repository, seed_runbooks};
use crate::harness::Test;
use std::path::Path;
use std::process::Command;

/// Runs `script` (Emacs Lisp) in a batch Emacs with `rb42-mode` loaded; what it prints.
fn emacs(script: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("script.el");
    std::fs::write(&file, script).expect("write");
    let out = editor("emacs")
        .args(["--batch", "-Q", "-L"])
        .arg(repository().join("editors/emacs"))
        .args(["-l", "rb42-mode", "-l"])
        .arg(&file)
        .output()
        .expect("run emacs (scripts/test.sh installs emacs-nox)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "emacs failed:\n{stderr}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// An Emacs Lisp string literal.
fn lisp_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The major mode Emacs picks for `file`, then the face at each (line, column), one per line.
fn faces(file: &Path, positions: &[(usize, usize)]) -> Vec<String> {
    let mut script = format!(
        "(find-file {})\n(font-lock-ensure)\n(princ (format \"%s\\n\" major-mode))\n",
        lisp_string(&file.display().to_string())
    );
    for (line, col) in positions {
        script.push_str(&format!(
            "(goto-char (point-min)) (forward-line {}) (move-to-column {})
(princ (format \"%s\\n\" (get-text-property (point) 'face)))\n",
            line - 1,
            col - 1
        ));
    }
    emacs(&script).lines().map(str::to_string).collect()
}

#[test]
fn the_emacs_mode_highlights_a_sample_runbook() {
    let expected: &[(usize, &str, &str)] = &[
        (1, "A sample", "font-lock-comment-face"),
        (2, "runbook", "font-lock-keyword-face"),
        (2, "{not", "font-lock-string-face"),
        (3, "param", "font-lock-keyword-face"),
        (3, "duration", "font-lock-type-face"),
        (3, "1m30s", "font-lock-constant-face"),
        (3, "max", "font-lock-string-face"),
        (4, "optional", "font-lock-keyword-face"),
        (5, "vm", "font-lock-variable-name-face"),
        (5, "address", "font-lock-builtin-face"),
        (5, "2222", "font-lock-constant-face"),
        (6, "sh(", "font-lock-builtin-face"),
        (6, "command", "font-lock-string-face"),
        (8, "procedure", "font-lock-keyword-face"),
        (8, "deploy", "font-lock-function-name-face"),
        (8, "default", "font-lock-keyword-face"),
        // A step id may be a keyword.
        (9, "rollback", "font-lock-function-name-face"),
        (9, "retry", "font-lock-keyword-face"),
        (9, "5s", "font-lock-constant-face"),
        (10, "let", "font-lock-keyword-face"),
        (10, "}{", "font-lock-string-face"),
        (10, "a brace", "font-lock-comment-face"),
        (11, "${", "font-lock-preprocessor-face"),
        (11, "en été", "font-lock-string-face"),
        (12, "log", "font-lock-builtin-face"),
        (13, "comment */", "font-lock-comment-face"),
        (13, "publish", "font-lock-builtin-face"),
        (13, "0x1F", "font-lock-constant-face"),
        (14, "rollback", "font-lock-keyword-face"),
        (14, "always", "font-lock-keyword-face"),
        (15, "sh", "font-lock-builtin-face"),
        (18, "confirm", "font-lock-keyword-face"),
        (20, "when", "font-lock-keyword-face"),
        (20, "if", "font-lock-keyword-face"),
        (20, "sleep", "font-lock-builtin-face"),
        (20, "log", "font-lock-builtin-face"),
        // Inside a body, the runbook's words are rhai names: `wait` is a parameter.
        (20, "wait", "nil"),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("sample.rb42");
    std::fs::write(&file, SAMPLE).expect("write");
    let positions: Vec<(usize, usize)> = expected
        .iter()
        .map(|(line, needle, _)| column(SAMPLE, *line, needle))
        .collect();
    let faces = faces(&file, &positions);
    assert_eq!(
        faces[0], "rb42-mode",
        "auto-mode-alist did not pick the mode"
    );
    for ((line, needle, face), actual) in expected.iter().zip(&faces[1..]) {
        assert_eq!(actual, face, "line {line}, {needle:?}");
    }
}

#[test]
fn the_emacs_mode_highlights_every_seed_runbook() {
    for (path, text) in seed_runbooks() {
        let starts = line_starts(&text);
        let positions: Vec<(usize, usize)> = starts.iter().map(|&(l, c, _)| (l, c)).collect();
        let faces = faces(&path, &positions);
        for ((line, _, start), actual) in starts.iter().zip(&faces[1..]) {
            let face = match start {
                LineStart::Keyword | LineStart::RhaiKeyword => "font-lock-keyword-face",
                LineStart::Primitive => "font-lock-builtin-face",
                LineStart::Comment => "font-lock-comment-delimiter-face",
            };
            assert_eq!(actual, face, "{}:{line}", path.display());
        }
    }
}

#[test]
fn the_emacs_mode_indents_every_seed_runbook_as_runbook_fmt_lays_it_out() {
    // The seeds are in the canonical layout (CI runs `runbook fmt --check runbooks/`): with
    // every indentation removed, `indent-region` must give each line back as it was.
    for (path, text) in seed_runbooks() {
        let script = format!(
            r#"(with-temp-buffer
  (insert-file-contents {file})
  (rb42-mode)
  (goto-char (point-min))
  (while (re-search-forward "^[ \t]+" nil t) (replace-match ""))
  (let ((inhibit-message t)) (indent-region (point-min) (point-max)))
  (princ (buffer-string)))"#,
            file = lisp_string(&path.display().to_string())
        );
        let indented = emacs(&script);
        for (i, (want, got)) in text.lines().zip(indented.lines()).enumerate() {
            assert_eq!(got, want, "{}:{}", path.display(), i + 1);
        }
        assert_eq!(indented.lines().count(), text.lines().count());
    }
}

/// The strings of the Lisp list `(defconst NAME '( … ))` in the mode's file.
fn mode_list(name: &str) -> Vec<String> {
    let mode = std::fs::read_to_string(repository().join("editors/emacs/rb42-mode.el"))
        .expect("rb42-mode.el");
    let start = mode
        .find(&format!("(defconst {name}\n"))
        .unwrap_or_else(|| panic!("no {name}"));
    let list = &mode[start..];
    let list = &list[list.find("'(").expect("a list")..list.find(')').expect("its end")];
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn the_emacs_mode_knows_every_keyword_and_primitive_of_the_language() {
    let mut keywords = runbook::language::parser::keywords();
    keywords.sort();
    assert_eq!(mode_list("rb42-keywords"), keywords);
    let mut primitives: Vec<String> = runbook::primitives::NAMES
        .iter()
        .map(|n| n.to_string())
        .collect();
    primitives.sort();
    let mut listed = mode_list("rb42-primitives");
    listed.sort();
    assert_eq!(listed, primitives);
}

#[test]
fn the_emacs_commands_format_the_buffer_and_lead_to_each_diagnostic() {
    let runbook = env!("CARGO_BIN_EXE_runbook");
    let dir = tempfile::tempdir().expect("temp dir");
    let untidy = dir.path().join("untidy.rb42");
    std::fs::write(
        &untidy,
        "runbook \"r\"   {\nprocedure p {\n      step s \"Étape\" { log(\"é\"); }\n}\n}\n",
    )
    .expect("write");
    let broken = dir.path().join("broken.rb42");
    // Untidy too, and `9s` is no step id: a parse error.
    let broken_text = "runbook \"r\" {\nprocedure p {\n    step 9s { log(1); }\n}\n}\n";
    std::fs::write(&broken, broken_text).expect("write");
    let script = format!(
        r#"(setq rb42-runbook-command {runbook} compilation-ask-about-save nil)
(find-file {untidy})
(rb42-format-buffer)
(princ (buffer-string))
(princ "---\n")
(require 'imenu)
(dolist (group (imenu--make-index-alist t))
  (when (consp (cdr group))
    (princ (format "%s: %s\n" (car group) (mapconcat #'car (cdr group) " ")))))
(princ "---\n")
(find-file {broken})
(let ((inhibit-message t)) (rb42-format-buffer))
(princ (buffer-string))
(princ "---\n")
(defvar finished nil)
(add-hook 'compilation-finish-functions (lambda (_buffer _how) (setq finished t)))
(let ((compilation (rb42-check)))
  ;; Until the sentinel has read all of the output and said how it ended.
  (with-timeout (60 (error "runbook check did not finish"))
    (while (not finished)
      (accept-process-output nil 0.1)))
  (with-current-buffer compilation (goto-char (point-min)))
  (set-buffer compilation)
  (next-error)
  ;; next-error shows the place in the selected window.
  (set-buffer (window-buffer (selected-window)))
  (goto-char (window-point))
  (princ (format "%s:%d:%d\n" (buffer-name) (line-number-at-pos) (1+ (current-column)))))"#,
        runbook = lisp_string(runbook),
        untidy = lisp_string(&untidy.display().to_string()),
        broken = lisp_string(&broken.display().to_string()),
    );
    let out = emacs(&script);
    let parts: Vec<&str> = out.split("---\n").collect();
    let formatted = Command::new(runbook)
        .arg("fmt")
        .arg("-")
        .stdin(std::fs::File::open(&untidy).expect("open"))
        .output()
        .expect("runbook fmt");
    assert!(formatted.status.success());
    assert_eq!(parts[0], String::from_utf8_lossy(&formatted.stdout));
    assert!(parts[0].contains("    step s \"Étape\""), "{}", parts[0]);
    // imenu lists the procedures and the steps.
    assert_eq!(parts[1], "Steps: s\nProcedures: p\n");
    // A buffer that does not parse is left as it is.
    assert_eq!(parts[2], broken_text);
    // `runbook check` points at the step id; next-error goes there.
    let check = Test::new()
        .file("broken.rb42", broken_text)
        .args(["check", "broken.rb42"])
        .run();
    check.code(2).stderr_has("broken.rb42:3:10");
    assert_eq!(parts[3].trim(), "broken.rb42:3:10");
}

#[test]
fn the_emacs_mode_byte_compiles_without_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("rb42-mode.el");
    std::fs::copy(repository().join("editors/emacs/rb42-mode.el"), &file).expect("copy");
    let out = editor("emacs")
        .args([
            "--batch",
            "-Q",
            "--eval",
            "(setq byte-compile-error-on-warn t)",
        ])
        .args(["-f", "batch-byte-compile"])
        .arg(&file)
        .output()
        .expect("run emacs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("rb42-mode.elc").exists());
}

#[test]
fn a_step_on_its_procedures_line_is_a_rhai_body() {
    let text = "runbook \"r {\" {\n  procedure q { step one { log(1); } }\n}\n";
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("one-line.rb42");
    std::fs::write(&file, text).expect("write");
    let positions = [
        column(text, 2, "procedure"),
        column(text, 2, "step"),
        column(text, 2, "log"),
    ];
    let faces = faces(&file, &positions);
    assert_eq!(
        faces[1..],
        [
            "font-lock-keyword-face",
            "font-lock-keyword-face",
            "font-lock-builtin-face"
        ]
    );
}
