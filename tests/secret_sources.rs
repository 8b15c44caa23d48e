//! Secrets from a password manager's command (`pass` with a GnuPG key made here) and from files
//! encrypted with Debian's `age`; `runbook secrets encrypt|decrypt|edit`. Values are used, never
//! shown: not in output, JSON events, journals, plans or error messages.

use crate::harness::Test;
use crate::tmux::Tmux;
use std::path::Path;
use std::process::{Command, Stdio};

const DB_PASSWORD: &str = "pa55-from-pass-4c1e";

/// Runs a tool of the test set-up; panics with its output when it fails.
fn tool(program: &str, args: &[&str], envs: &[(&str, &Path)], input: Option<&str>) -> String {
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in envs {
        command.env(key, value);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} (scripts/test.sh installs it): {e}"));
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        use std::io::Write;
        stdin.write_all(text.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A password store in `dir`: a GnuPG home with a key generated for the test, `pass init` with
/// it, and `prod/db` inserted. Returns the environment `pass` needs.
struct PasswordStore {
    gnupg: std::path::PathBuf,
    store: std::path::PathBuf,
}

impl PasswordStore {
    fn new(dir: &Path) -> Self {
        let gnupg = dir.join("gnupg");
        let store = dir.join("store");
        std::fs::create_dir(&gnupg).unwrap();
        std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        let home = [("GNUPGHOME", gnupg.as_path())];
        tool(
            "gpg",
            &[
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--quick-gen-key",
                "Runbook Test <test@runbook.invalid>",
                "default",
                "default",
                "never",
            ],
            &home,
            None,
        );
        let listing = tool("gpg", &["--list-keys", "--with-colons"], &home, None);
        let fingerprint = listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:::::::::"))
            .map(|rest| rest.trim_end_matches(':').to_string())
            .expect("a fingerprint");
        let this = Self { gnupg, store };
        tool("pass", &["init", &fingerprint], &this.env(), None);
        tool(
            "pass",
            &["insert", "--multiline", "prod/db"],
            &this.env(),
            Some(&format!("{DB_PASSWORD}\n")),
        );
        this
    }

    fn env(&self) -> [(&'static str, &Path); 2] {
        [
            ("GNUPGHOME", self.gnupg.as_path()),
            ("PASSWORD_STORE_DIR", self.store.as_path()),
        ]
    }

    fn apply(&self, test: Test) -> Test {
        self.env()
            .iter()
            .fold(test, |t, (k, v)| t.env(k, &v.display().to_string()))
    }
}

impl Drop for PasswordStore {
    fn drop(&mut self) {
        // The agent gpg started for this home.
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", &self.gnupg)
            .status();
    }
}

const FROM_PASS: &str = r#"runbook "r" {
  secret db from command ["pass", "show", "prod/db"]
  procedure p {
    step use {
      sh(["sh", "-c", "test \"$DB\" = \"$EXPECTED\" && echo db=$DB && touch matched"], #{env: #{DB: db}});
      log(`connecting with ${db}`);
    }
  }
}"#;

fn no_leak(what: &str, text: &str, value: &str) {
    assert!(!text.contains(value), "{what} shows the secret:\n{text}");
}

#[test]
fn pass_gives_a_secret_that_the_run_uses_and_never_shows() {
    let scratch = tempfile::tempdir().unwrap();
    let store = PasswordStore::new(scratch.path());
    for format in ["text", "json"] {
        let test = store
            .apply(Test::new().runbook(FROM_PASS))
            .env("EXPECTED", DB_PASSWORD);
        let dir = test.path().to_path_buf();
        let out = test
            .command()
            .args(["run", "main.rb42", "--format", format])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        assert!(dir.join("matched").exists(), "the step got another value");
        assert!(stdout.contains("db=***") && stdout.contains("connecting with ***"));
        no_leak("stdout", &stdout, DB_PASSWORD);
        no_leak("stderr", &stderr, DB_PASSWORD);
        for journal in std::fs::read_dir(dir.join(".runbook/runs"))
            .unwrap()
            .flatten()
        {
            no_leak(
                "the journal",
                &std::fs::read_to_string(journal.path()).unwrap(),
                DB_PASSWORD,
            );
        }
    }
}

#[test]
fn a_command_that_fails_names_the_secret_and_not_what_it_printed() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  secret db from command ["sh", "-c", "printf 'half-a-%s\\n' s3cret; echo 'prod/db is not in the password store.' >&2; exit 1"]
  procedure p { step a { sh(["touch", "ran"], #{env: #{DB: db}}); } }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    out.code(2)
        .stderr_has("secret `db`")
        .stderr_has("exited 1: prod/db is not in the password store.");
    no_leak("stderr", &out.stderr, "half-a-s3cret");
    no_leak("stdout", &out.stdout, "half-a-s3cret");
    assert!(!out.exists("ran"));
}

#[test]
fn a_command_that_hangs_is_stopped_at_its_timeout() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  secret db from command ["sh", "-c", "sleep 60"] timeout 1s
  procedure p { step a { sh(["touch", "ran"], #{env: #{DB: db}}); } }
}"#,
        )
        .args(["run", "main.rb42"])
        .run();
    out.code(2)
        .stderr_has("secret `db`")
        .stderr_has("did not finish within 1s");
    assert!(!out.exists("ran"));
}

const TOUCHES: &str = r#"runbook "r" {
  secret db from command ["sh", "-c", "touch command-ran; echo v4lue"]
  procedure needs default { step a { sh(["sh", "-c", "echo $DB > seen"], #{env: #{DB: db}}); } }
  procedure other { step b { sh("true"); } }
}"#;

#[test]
fn plans_docs_and_listings_never_run_the_command() {
    for args in [
        vec!["plan", "main.rb42"],
        vec!["run", "main.rb42", "--dry-run"],
        vec!["doc", "main.rb42"],
        vec!["list", "main.rb42"],
        vec!["check", "main.rb42"],
    ] {
        let out = Test::new().runbook(TOUCHES).args(args.clone()).run();
        out.code(0);
        assert!(!out.exists("command-ran"), "{args:?} ran the command");
        if args[0] == "list" {
            out.stdout_has(r#"db from command ["sh", "-c", "touch command-ran; echo v4lue"]"#);
        }
    }
}

#[test]
fn the_command_runs_only_when_the_procedure_needs_the_secret() {
    let out = Test::new()
        .runbook(TOUCHES)
        .args(["run", "main.rb42", "other"])
        .run();
    out.code(0);
    assert!(!out.exists("command-ran"));
    let out = Test::new()
        .runbook(TOUCHES)
        .args(["run", "main.rb42", "needs"])
        .run();
    out.code(0);
    assert!(out.exists("command-ran"));
    assert_eq!(out.read("seen").as_deref(), Some("v4lue\n"));
}

/// An age key made by Debian's `age-keygen` in `dir`: its file and public key.
fn age_key(dir: &Path) -> (std::path::PathBuf, String) {
    let key = dir.join("key.txt");
    let said = tool("age-keygen", &["-o", &key.display().to_string()], &[], None);
    let public = said
        .lines()
        .find_map(|l| l.strip_prefix("Public key: "))
        .expect("a public key")
        .trim()
        .to_string();
    (key, public)
}

const AGE_VALUE: &str = "age-s3cret-77d0";

const FROM_AGE: &str = r#"runbook "r" {
  secret db from file "secrets/db.age"
  param region: string env "REGION"
  procedure p {
    step a {
      sh(["sh", "-c", "test \"$DB\" = \"$EXPECTED\" && echo $REGION > region"], #{env: #{DB: db, REGION: region}});
      log(`db is ${db}`);
    }
  }
}"#;

#[test]
fn age_files_are_decrypted_in_memory_with_the_identity_given() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = age_key(keys.path());
    let test = Test::new().runbook(FROM_AGE).env("EXPECTED", AGE_VALUE);
    std::fs::create_dir(test.path().join("secrets")).unwrap();
    let db = test.path().join("secrets/db.age");
    tool(
        "age",
        &["-r", &public, "-o", &db.display().to_string()],
        &[],
        Some(&format!("{AGE_VALUE}\n")),
    );
    let env_file = test.path().join("prod.env.age");
    tool(
        "age",
        &[
            "--armor",
            "-r",
            &public,
            "-o",
            &env_file.display().to_string(),
        ],
        &[],
        Some("REGION=eu-west-3\n"),
    );
    let key_arg = key.display().to_string();
    // --age-identity, then RUNBOOK_AGE_IDENTITY.
    for by_flag in [true, false] {
        let mut command = test.command();
        command.args(["run", "main.rb42", "--env-file", "prod.env.age"]);
        if by_flag {
            command.args(["--age-identity", &key_arg]);
        } else {
            command.env("RUNBOOK_AGE_IDENTITY", &key);
        }
        let out = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("db is ***"), "{stdout}");
        no_leak("stdout", &stdout, AGE_VALUE);
        assert_eq!(
            std::fs::read_to_string(test.path().join("region")).unwrap(),
            "eu-west-3\n"
        );
    }
    // Nothing in clear was left beside the encrypted files.
    let mut names: Vec<String> = std::fs::read_dir(test.path().join("secrets"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["db.age"]);
}

#[test]
fn an_age_file_without_an_identity_is_a_clear_error_and_a_plan_needs_none() {
    let keys = tempfile::tempdir().unwrap();
    let (_, public) = age_key(keys.path());
    let test = Test::new().runbook(FROM_AGE);
    std::fs::create_dir(test.path().join("secrets")).unwrap();
    let db = test.path().join("secrets/db.age");
    tool(
        "age",
        &["-r", &public, "-o", &db.display().to_string()],
        &[],
        Some(AGE_VALUE),
    );
    let out = test
        .command()
        .args(["run", "main.rb42", "-p", "region=x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("secret `db`")
            && stderr.contains("--age-identity FILE or RUNBOOK_AGE_IDENTITY"),
        "{stderr}"
    );
    let (other_key, _) = age_key(&test.path().join("secrets"));
    let out = test
        .command()
        .args(["run", "main.rb42", "-p", "region=x", "--age-identity"])
        .arg(&other_key)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot decrypt"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = test
        .command()
        .args(["plan", "main.rb42", "-p", "region=x"])
        .output()
        .unwrap();
    assert!(
        plan.status.success(),
        "a plan needs no identity: {}",
        String::from_utf8_lossy(&plan.stderr)
    );
}

#[test]
fn secrets_encrypt_decrypt_and_edit_keep_the_clear_text_private() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = age_key(keys.path());
    let test = Test::new()
        .file(".age-recipients", format!("# the team\n{public}\n"))
        .file("db.txt", "first-v4lue\n")
        // The editor: records the temporary file's mode and path, then appends a line.
        .file(
            "editor.sh",
            "#!/bin/sh\nstat -c %a \"$1\" > editor-mode\necho \"$1\" > editor-path\necho second-v4lue >> \"$1\"\n",
        )
        .env("RUNBOOK_AGE_IDENTITY", &key.display().to_string());
    let dir = test.path().to_path_buf();
    std::fs::set_permissions(
        dir.join("editor.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = test
            .command()
            .args(args)
            .env("EDITOR", dir.join("editor.sh"))
            .env_remove("VISUAL")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["secrets", "encrypt", "db.txt"]);
    let sealed = std::fs::read_to_string(dir.join("db.txt.age")).unwrap();
    assert!(
        sealed.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{sealed}"
    );
    assert!(!sealed.contains("first-v4lue"));
    // Debian's age reads what runbook wrote.
    let key_arg = key.display().to_string();
    let clear = tool(
        "age",
        &[
            "-d",
            "-i",
            &key_arg,
            &dir.join("db.txt.age").display().to_string(),
        ],
        &[],
        None,
    );
    assert_eq!(clear, "first-v4lue\n");
    assert_eq!(run(&["secrets", "decrypt", "db.txt.age"]), "first-v4lue\n");
    assert!(run(&["secrets", "edit", "db.txt.age"]).contains("re-encrypted"));
    assert_eq!(
        run(&["secrets", "decrypt", "db.txt.age"]),
        "first-v4lue\nsecond-v4lue\n"
    );
    let mode = std::fs::read_to_string(dir.join("editor-mode")).unwrap();
    assert_eq!(mode.trim(), "600");
    let temp = std::fs::read_to_string(dir.join("editor-path")).unwrap();
    assert!(
        !Path::new(temp.trim()).exists(),
        "the clear copy {temp} is left"
    );
}

#[test]
fn a_file_encrypted_to_a_passphrase_asks_for_it_on_the_terminal() {
    let test = Test::new()
        .runbook(
            r#"runbook "r" {
  secret db from file "db.age"
  procedure p {
    step a { sh(["sh", "-c", "test \"$DB\" = phrase-locked-v4lue && touch matched"], #{env: #{DB: db}}); }
  }
}"#,
        )
        .file("plain.txt", "phrase-locked-v4lue\n");
    let dir = test.path().to_path_buf();
    // One tmux server per program. Debian's age asks for the passphrase twice, on the terminal.
    let in_dir = |command: &str| format!("cd '{}' && {command}", dir.display());
    let tty = Tmux::start(dir.join("age.sock"), &in_dir("age -p -o db.age plain.txt"));
    tty.wait_for_text("passphrase");
    tty.answer("correct horse 42");
    tty.wait_for_text("Confirm");
    tty.answer("correct horse 42");
    tty.wait_for_text("[exit 0]");
    std::fs::remove_file(dir.join("plain.txt")).unwrap();
    drop(tty);
    let tty = Tmux::start(
        dir.join("runbook.sock"),
        &in_dir(&format!(
            "NO_COLOR=1 RUNBOOK_STATE_DIR=state '{}' run main.rb42",
            env!("CARGO_BIN_EXE_runbook")
        )),
    );
    tty.wait_for_text("Passphrase for");
    tty.answer("correct horse 42");
    let screen = tty.wait_for_text("[exit");
    assert!(screen.contains("[exit 0]"), "{screen}");
    assert!(dir.join("matched").exists(), "{screen}");
    no_leak("the terminal", &screen, "phrase-locked-v4lue");
    no_leak("the terminal", &screen, "correct horse 42");
}
