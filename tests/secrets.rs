//! Secrets: all missing ones listed at once; values masked in every output.

use crate::doc::{base64, url_encoded};
use crate::harness::Test;
use crate::http_env::HttpServer;

const USES_SECRETS: &str = r#"runbook "r" {
  secret token from env "API_TOKEN"
  secret key from file "key.txt"
  procedure p {
    step a {
      sh(`echo token=${token} key=${key}`);
      log("using " + token);
      publish("auth", "Bearer " + token);
    }
    step b { fail(`refused with ${key}`); }
  }
}"#;

#[test]
fn missing_secrets_are_listed_together_before_step_one() {
    let out = Test::new()
        .runbook(USES_SECRETS)
        .args(["run", "main.rb42"])
        .run();
    out.code(2)
        .stderr_has("missing secret `token`: environment variable API_TOKEN is not set")
        .stderr_has("missing secret `key`: cannot read");
    assert!(out.stdout.is_empty(), "nothing ran: {}", out.stdout);
}

#[test]
fn secret_values_never_appear_in_text_or_json_output() {
    for format in ["text", "json"] {
        let out = Test::new()
            .runbook(USES_SECRETS)
            .file("key.txt", "k3y-v4lue\n")
            .env("API_TOKEN", "t0k3n-v4lue")
            .args(["run", "main.rb42", "--format", format])
            .run();
        out.code(1)
            .stdout_has("token=*** key=***")
            .stdout_has("refused with ***")
            .stdout_has("Bearer ***");
        for leaked in ["t0k3n-v4lue", "k3y-v4lue"] {
            assert!(
                !out.stdout.contains(leaked) && !out.stderr.contains(leaked),
                "{format} leaked {leaked}"
            );
        }
    }
}

#[test]
fn secret_values_never_appear_in_plans() {
    for format in ["text", "markdown", "json"] {
        let out = Test::new()
            .runbook(USES_SECRETS)
            .file("key.txt", "k3y-v4lue\n")
            .env("API_TOKEN", "t0k3n-v4lue")
            .args(["plan", "main.rb42", "--format", format])
            .run();
        out.code(0).stdout_has("token=*** key=***");
        assert!(
            !out.stdout.contains("t0k3n-v4lue") && !out.stdout.contains("k3y-v4lue"),
            "{format} leaked"
        );
    }
}

#[test]
fn a_plan_needs_no_secret_values() {
    let out = Test::new()
        .runbook(USES_SECRETS)
        .args(["plan", "main.rb42"])
        .run();
    out.code(0).stdout_has("token=⟨secret token⟩");
}

#[test]
fn an_optional_secret_may_be_absent_and_is_masked_when_present() {
    let text = r#"runbook "r" {
  secret dsn from env "SENTRY_DSN" optional
  procedure p { step s { if dsn == "" { log("no dsn"); } else { log(`dsn ${dsn}`); } } }
}"#;
    Test::new()
        .runbook(text)
        .args(["run", "main.rb42"])
        .run()
        .code(0)
        .stdout_has("no dsn");
    let out = Test::new()
        .runbook(text)
        .env("SENTRY_DSN", "https://k3y@sentry.example/1")
        .args(["run", "main.rb42"])
        .run();
    out.code(0).stdout_has("dsn ***");
    assert!(!out.stdout.contains("k3y"), "{}", out.stdout);
}

#[test]
fn a_procedure_asks_only_for_the_secrets_and_parameters_it_reads() {
    let text = r#"runbook "r" {
  param target: string
  secret deploy_key from env "DEPLOY_KEY"
  procedure deploy { step s { log(`${target} ${deploy_key}`); } }
  procedure health { step s { log("healthy"); } }
}"#;
    Test::new()
        .runbook(text)
        .args(["run", "main.rb42", "health"])
        .run()
        .code(0)
        .stdout_has("healthy");
    Test::new()
        .runbook(text)
        .args(["run", "main.rb42", "deploy"])
        .run()
        .code(2)
        .stderr_has("missing required parameter `target`")
        .stderr_has("missing secret `deploy_key`");
}

/// A secret used every way a body can: logged, in argv and output, encoded by the body, in a
/// URL's password, a header and a query, published, in an error and in a rollback.
const LEAKY: &str = r#"runbook "leaky" {
  secret token from env "API_TOKEN"
  param web: string
  param fail: bool = false
  procedure p {
    step use_it {
      log(`token is ${token}`);
      sh(["echo", "argv", token]);
      sh(`printf %s ${quote(token)} | base64`);
      let echo = http_post(`${web}/echo`, #{query: #{t: token}, headers: #{"x-token": token}});
      log(`echoed ${echo.text}`);
      let encoded = "";
      for c in token.chars() {
        if "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".contains(c) {
          encoded += c;
        } else {
          let hex = to_hex(c.to_int());
          hex.make_upper();
          encoded += `%${hex}`;
        }
      }
      log(`encoded ${encoded}`);
      let with_password = `${web}`;
      with_password.replace("http://", `http://app:${encoded}@`);
      log(`status ${http_get(`${with_password}/ok`).status}`);
      publish("auth", `Bearer ${token}`);
    } rollback {
      log(`undoing with ${token}`);
      sh(["echo", "undo", token]);
    }
    step maybe_fail { if fail { fail(`refused by the API: ${token}`); } }
  }
}"#;

#[test]
fn a_secret_used_every_way_is_absent_from_outputs_journals_plans_and_docs() {
    let secret = "s3cr3t/T0ken+=x";
    // From the environment, from a command's output, from an age-encrypted file.
    let env = Test::new().runbook(LEAKY).env("API_TOKEN", secret);
    grep_every_output(env, secret);
    let command = Test::new()
        .runbook(&LEAKY.replace(
            r#"from env "API_TOKEN""#,
            r#"from command ["printenv", "API_TOKEN"]"#,
        ))
        .env("API_TOKEN", secret);
    grep_every_output(command, secret);
    let keys = tempfile::tempdir().expect("temp dir");
    let key = keys.path().join("key.txt");
    let made = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .expect("age-keygen (scripts/test.sh installs age)");
    let said = String::from_utf8_lossy(&made.stderr);
    let public = said
        .lines()
        .find_map(|l| l.strip_prefix("Public key: "))
        .expect("a public key");
    let sealed = std::process::Command::new("age")
        .args(["-r", public.trim(), "-o"])
        .arg(keys.path().join("token.age"))
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(secret.as_bytes())?;
            child.wait()
        })
        .expect("age");
    assert!(sealed.success());
    let age_file = Test::new()
        .runbook(&LEAKY.replace(r#"from env "API_TOKEN""#, r#"from file "token.age""#))
        .file(
            "token.age",
            std::fs::read(keys.path().join("token.age")).expect("token.age"),
        )
        .env("RUNBOOK_AGE_IDENTITY", &key.display().to_string());
    grep_every_output(age_file, secret);
}

/// Runs, plans, documents, lists and shows LEAKY's runs, and greps every output and journal
/// for `secret` in four forms.
fn grep_every_output(test: Test, secret: &str) {
    let forms = [
        secret.to_string(),
        base64(secret.as_bytes()),
        base64(secret.as_bytes()).trim_end_matches('=').to_string(),
        url_encoded(secret),
    ];
    let web = HttpServer::start();
    let web_param = format!("web={}", web.url("").trim_end_matches('/'));
    let run = |args: &[&str]| {
        let out = test.command().args(args).output().expect("run runbook");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let p = ["-p", web_param.as_str()];
    let mut outputs = vec![
        run(&[&["run", "main.rb42"][..], &p].concat()),
        run(&[&["run", "main.rb42", "--format", "json"][..], &p].concat()),
        run(&[&["run", "main.rb42", "-p", "fail=true"][..], &p].concat()),
        run(&[&["plan", "main.rb42"][..], &p].concat()),
        run(&[&["plan", "main.rb42", "--format", "markdown"][..], &p].concat()),
        run(&[&["plan", "main.rb42", "--format", "json"][..], &p].concat()),
        run(&["doc", "main.rb42"]),
        run(&["runs"]),
    ];
    let journals = test.path().join(".runbook/runs");
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(&journals).expect("journals").flatten() {
        outputs.push(std::fs::read_to_string(entry.path()).expect("journal"));
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(id) = name.strip_suffix(".jsonl") {
            ids.push(id.to_string());
        }
    }
    assert_eq!(ids.len(), 3, "three real runs journaled");
    for id in &ids {
        outputs.push(run(&["show", id]));
    }
    for (i, text) in outputs.iter().enumerate() {
        for form in &forms {
            assert!(
                !text.contains(form.as_str()),
                "output {i} holds {form:?}:\n{text}"
            );
        }
    }
    // The secret did travel: masked where it was shown, sent for real where it was used.
    let first = &outputs[0];
    for shown in [
        "token is ***",
        "argv ***",
        "\"x-token\":\"***\"",
        "t=***",
        "Bearer ***",
    ] {
        assert!(first.contains(shown), "`{shown}` missing:\n{first}");
    }
    assert!(outputs[2].contains("refused by the API: ***") && outputs[2].contains("undo ***"));
    assert!(
        web.requests()
            .iter()
            .any(|r| r.header("x-token") == Some(secret))
    );
}
