//! `runbook doc` and `runbook plan --base`: pages from runbooks, byte for byte the same every
//! time; docs/ kept fresh; templates extended block by block; `--check`; the plan diff; and
//! secrets in none of it.

use crate::harness::{Test, golden};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn repo_str(path: &str) -> String {
    repo(path).display().to_string()
}

/// The `.md` files of a directory, by name.
fn pages(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "md"))
                .map(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    (name, std::fs::read_to_string(&p).expect("read page"))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn quickstart_page_golden() {
    let out = Test::new()
        .args(["doc", &repo_str("runbooks/quickstart.rb42")])
        .run();
    out.code(0);
    golden("doc-quickstart.md", &out.stdout);
}

/// docs/ is what `runbook doc runbooks -o docs` writes, for every runbook there now;
/// `UPDATE_GOLDEN=1` regenerates it.
#[test]
fn docs_directory_is_fresh() {
    let test = Test::new();
    let rendered = test.path().join("docs");
    let out = test
        .args([
            "doc",
            &repo_str("runbooks"),
            "-o",
            &rendered.display().to_string(),
        ])
        .run();
    out.code(0);
    let fresh = pages(&out.dir.join("docs"));
    let runbooks = std::fs::read_dir(repo("runbooks"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "rb42"))
        .count();
    assert_eq!(
        fresh.len(),
        runbooks + 1,
        "one page per runbook, plus index.md"
    );
    let docs = repo("docs");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(&docs).unwrap();
        for name in pages(&docs).keys().filter(|n| !fresh.contains_key(*n)) {
            std::fs::remove_file(docs.join(name)).unwrap();
        }
        for (name, text) in &fresh {
            std::fs::write(docs.join(name), text).unwrap();
        }
        return;
    }
    let committed = pages(&docs);
    let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&committed),
        names(&fresh),
        "docs/ does not match runbooks/: run `runbook doc runbooks -o docs` (or UPDATE_GOLDEN=1)"
    );
    for (name, text) in &fresh {
        assert!(
            committed[name] == *text,
            "docs/{name} is out of date: run `runbook doc runbooks -o docs` (or UPDATE_GOLDEN=1)"
        );
    }
}

#[test]
fn same_runbook_same_bytes_whatever_the_environment() {
    let file = repo_str("runbooks/003-atmr-cicd.rb42");
    let first = Test::new().args(["doc", &file]).run();
    let second = Test::new()
        .args(["doc", &file])
        .env("SSH_HOST", "prod.example.org")
        .env("DOCKER_TAG", "v9")
        .env("PWD", "/somewhere/else")
        .run();
    first.code(0);
    second.code(0);
    assert_eq!(first.stdout, second.stdout);
    first
        .stdout_has("export DOCKER_IMAGE='⟨docker_image⟩'; export DOCKER_TAG='⟨docker_tag⟩'")
        .stdout_has("| `server` | ⟨ssh_host⟩ | ⟨ssh_user⟩ | ⟨ssh_port⟩ | ⟨secret ssh_key⟩ |")
        .stdout_lacks("prod.example.org");
}

const DEPLOY: &str = r#"runbook "shop" {
  description "Déploiement de la boutique"
  owner "ops@example.org"
  contact "Astreinte" "+33 1 23 45 67 89"
  contact "Équipe web"
  tags ["deploy", "web"]
  param version: string help "Version à déployer"
  param app_dir: string = "/srv/shop"
  param replicas: int = 2 one of [1, 2, 3] env "REPLICAS"
  secret token from env "SHOP_TOKEN"
  host web "deploy@web.example.org:2222"
  group front [web]
  guard "Docker est là" { sh("docker version", #{read: true}).ok }

  procedure deploy "Déployer la boutique" default {
    description "Sauvegarde, publie, relance."
    step save "Sauvegarder" {
      sh(["tar", "czf", `/tmp/shop-${version}.tgz`, "-C", app_dir, "."]);
    } rollback {
      sh(["rm", "-f", `/tmp/shop-${version}.tgz`]);
    }
    confirm "Publier en production ?"
    step publish "Publier" on front retry 2 every 5s timeout 10m when { replicas > 1 } {
      run(`docker pull shop:${version}`);
      run(["curl", "-H", "Authorization: Bearer " + token, "https://hooks.invalid/deploy"]);
    } rollback {
      run("docker compose down");
    }
    step notify "Prévenir" confirm "Envoyer le message ?" {
      sh(["echo", `déployé ${version}`]);
    }
    finally { sh("rm -rf /tmp/shop-build"); }
  }
}"#;

#[test]
fn a_page_shows_what_the_runbook_declares_and_what_each_step_runs() {
    let out = Test::new().runbook(DEPLOY).args(["doc", "main.rb42"]).run();
    out.code(0)
        .stdout_has("# shop\n\nDéploiement de la boutique\n")
        .stdout_has("- **Owner:** ops@example.org\n- **Escalation:**\n  1. Astreinte — +33 1 23 45 67 89\n  2. Équipe web\n")
        .stdout_has("| `version` | string |  | **yes** |  |  | Version à déployer |")
        .stdout_has("| `replicas` | int | `2` | no | `1`, `2`, `3` | `REPLICAS` |  |")
        .stdout_has("| `token` | environment variable `SHOP_TOKEN` |  |")
        .stdout_has("| `web` | deploy@web.example.org:2222 |")
        .stdout_has("| `front` | web |")
        .stdout_has("  - [Déployer la boutique](#procedure-deploy) (`deploy`, default)")
        .stdout_has("### Docker est là\n\nOn `local`:\n\n```sh\ndocker version\n```")
        .stdout_has("`runbook run main.rb42 deploy` (the default procedure) · 3 steps · 2 confirmations · 2 rollbacks")
        .stdout_has("#### 1. Sauvegarder (`save`)\n\nOn `local`:\n\n```sh\ntar czf '/tmp/shop-⟨version⟩.tgz' -C /srv/shop .\n```")
        .stdout_has("**Rollback** of `save`, if a later step fails:\n\nOn `local`:\n\n```sh\nrm -f '/tmp/shop-⟨version⟩.tgz'\n```")
        .stdout_has("> ⚠️ **Confirmation:** Publier en production ?")
        .stdout_has("**Runs on** `front` (web).")
        .stdout_has("> ⚠️ **Only when** `replicas > 1` · **Retried** 2 times, every 5s · **Timeout** 10m")
        .stdout_has("On `web`:\n\n```sh\ndocker pull shop:⟨version⟩\ncurl -H 'Authorization: Bearer ⟨secret token⟩' https://hooks.invalid/deploy\n```")
        .stdout_has("> ⚠️ **Confirmation:** Envoyer le message ?")
        .stdout_has("#### Finally\n\nRuns last, whatever happened.\n\nOn `local`:\n\n```sh\nrm -rf /tmp/shop-build\n```");
}

#[test]
fn values_given_with_param_are_used_and_noted() {
    let out = Test::new()
        .runbook(DEPLOY)
        .args([
            "doc",
            "main.rb42",
            "-p",
            "version=2.1.0",
            "-p",
            "replicas=3",
        ])
        .run();
    out.code(0)
        .stdout_has("rendered with `-p version=2.1.0` `-p replicas=3`")
        .stdout_has("tar czf /tmp/shop-2.1.0.tgz -C /srv/shop .")
        .stdout_lacks("⟨version⟩");
    let bad = Test::new()
        .runbook(DEPLOY)
        .args(["doc", "main.rb42", "-p", "replicas=7", "-p", "verison=1"])
        .run();
    bad.code(2)
        .stderr_has("unknown parameter `verison`")
        .stderr_has("did you mean `version`?")
        .stderr_has("parameter `replicas` is 7, which is not one of 1, 2, 3");
}

#[test]
fn a_custom_template_extends_the_default_and_overrides_one_block() {
    let template = r#"{% extends "runbook.md.j2" %}
{% block metadata %}
Owned by **{{ page.owner }}**; escalate to {{ page.contacts[0].name }}.

{% endblock %}
{% block footer %}
{% include "footer.md.j2" %}
{% endblock %}
"#;
    let out = Test::new()
        .runbook(DEPLOY)
        .file("templates/page.md.j2", template)
        .file(
            "templates/footer.md.j2",
            "_Team {{ page.name }}, page {{ page.page }}._\n",
        )
        .args(["doc", "main.rb42", "--template", "templates/page.md.j2"])
        .run();
    out.code(0)
        .stdout_has("# shop\n\nDéploiement de la boutique\n\nOwned by **ops@example.org**; escalate to Astreinte.\n\n## Contents")
        .stdout_lacks("- **Owner:**")
        .stdout_has("## Parameters")
        .stdout_has("#### 1. Sauvegarder (`save`)");
    assert!(
        out.stdout.ends_with("_Team shop, page main.md._\n"),
        "{}",
        out.stdout
    );

    let broken = Test::new()
        .runbook(DEPLOY)
        .file(
            "t.md.j2",
            "{% extends \"runbook.md.j2\" %}{% block header %}{{ page.nme }}{% endblock %}",
        )
        .args(["doc", "main.rb42", "--template", "t.md.j2"])
        .run();
    broken.code(2).stderr_has("cannot render the page");
}

#[test]
fn check_fails_on_a_stale_page_and_passes_on_a_fresh_one() {
    let test = Test::new().runbook(DEPLOY);
    let dir = test.path().to_path_buf();
    let runbook = dir.join("main.rb42").display().to_string();
    let page = dir.join("out/main.md");
    let doc = |extra: &[&str]| {
        let mut cmd = Test::new().args(["doc", runbook.as_str(), "-o"]);
        cmd = cmd
            .args([page.to_str().unwrap()])
            .args(extra.iter().copied());
        cmd.run()
    };
    let missing = doc(&["--check"]);
    missing.code(1).stderr_has("main.md: missing");
    std::fs::create_dir_all(dir.join("out")).unwrap();
    doc(&[]).code(0);
    doc(&["--check"]).code(0);
    let text = std::fs::read_to_string(&page).unwrap();
    let heading = "#### 1. Sauvegarder";
    std::fs::write(&page, text.replace(heading, "#### 1. Sauvegarde")).unwrap();
    let stale = doc(&["--check"]);
    stale
        .code(1)
        .stderr_has("main.md: out of date from line")
        .stderr_has("    - #### 1. Sauvegarde (`save`)")
        .stderr_has("    + #### 1. Sauvegarder (`save`)")
        .stderr_has("1 page out of date");
    drop(test);
}

#[test]
fn a_directory_renders_every_runbook_and_an_index() {
    let test = Test::new()
        .file("books/b-shop.rb42", DEPLOY)
        .file(
            "books/a-hello.rb42",
            r#"runbook "hello" { description "Bonjour" procedure hi "Saluer" { step s { sh("echo hi"); } } }"#,
        );
    let out = test.args(["doc", "books", "-o", "pages"]).run();
    out.code(0);
    let index = out.read("pages/index.md").expect("index");
    assert!(
        index.contains("## [hello](a-hello.md)\n\nBonjour\n")
            && index.contains(
                "- [Déployer la boutique](b-shop.md#procedure-deploy) (`deploy`, default)"
            ),
        "{index}"
    );
    assert!(index.find("a-hello.md") < index.find("b-shop.md"));
    assert!(
        out.read("pages/b-shop.md")
            .unwrap()
            .starts_with("<!-- Generated by `runbook doc` from b-shop.rb42")
    );

    // A fresh directory passes; an extra page, a changed one, or a missing one does not.
    let again = |extra: &[&str]| {
        let mut t = Test::new().args(["doc"]);
        let books = out.dir.join("books").display().to_string();
        let pages = out.dir.join("pages").display().to_string();
        t = t
            .args([books.as_str(), "-o", pages.as_str()])
            .args(extra.iter().copied());
        t.run()
    };
    again(&["--check"]).code(0);
    std::fs::write(out.dir.join("pages/old.md"), "x").unwrap();
    std::fs::remove_file(out.dir.join("pages/a-hello.md")).unwrap();
    again(&["--check"])
        .code(1)
        .stderr_has("a-hello.md: missing")
        .stderr_has("old.md: no runbook renders it any more (remove it)")
        .stderr_has("2 pages out of date");

    let no_output = Test::new()
        .file(
            "books/a.rb42",
            r#"runbook "a" { procedure p { step s { log("x") } } }"#,
        )
        .args(["doc", "books"])
        .run();
    no_output.code(2).stderr_has("-o DIR");
}

const OLD: &str = r#"runbook "app" {
  param dir: string = "/srv/app"
  procedure deploy "Déployer" default {
    step save "Sauvegarder" {
      sh(["tar", "czf", "/tmp/app.tgz", "-C", dir, "."]);
    } rollback {
      sh(["rm", "-f", "/tmp/app.tgz"]);
    }
    step clean "Nettoyer" { sh("rm -rf /tmp/cache"); }
    confirm "Relancer ?"
    step up "Relancer" retry 3 every 5s {
      sh(`cd ${dir} && docker compose up -d`);
    } rollback {
      sh(`cd ${dir} && docker compose down`);
    }
  }
  procedure status "État" { step ps { sh("docker compose ps", #{read: true}); } }
}"#;

fn new_version() -> String {
    OLD.replace(
        "    step clean \"Nettoyer\" { sh(\"rm -rf /tmp/cache\"); }\n",
        "",
    )
    .replace("confirm \"Relancer ?\"", "confirm \"Relancer en production ?\"")
    .replace("retry 3 every 5s {", "retry 5 every 5s timeout 10m {")
    .replace(
        "sh(`cd ${dir} && docker compose up -d`);",
        "sh(`cd ${dir} && docker compose pull`);\n      sh(`cd ${dir} && docker compose up -d --build`);",
    )
    .replace("docker compose down`", "docker compose down --remove-orphans`")
    .replace(
        "    }\n  }\n  procedure status",
        "    }\n    step notify \"Prévenir\" { sh([\"curl\", \"-X\", \"POST\", \"https://chat.invalid/hook\"]); }\n  }\n  procedure status",
    )
}

#[test]
fn plan_base_shows_added_removed_and_changed_steps() {
    let out = Test::new()
        .file("old.rb42", OLD)
        .file("new.rb42", new_version())
        .args(["plan", "--base", "old.rb42", "new.rb42"])
        .run();
    out.code(0);
    assert_eq!(
        out.stdout,
        "Plan diff app: old.rb42 → new.rb42
summary: 2 procedures: 1 changed, 1 unchanged · 3 steps: 1 added, 1 removed, 1 changed

~ procedure deploy — Déployer (changed)
  - clean — Nettoyer (removed; was step 2)
        - local$ rm -rf /tmp/cache
  ~ 2. up — Relancer
        retry: `3 every 5s` → `5 every 5s`
        timeout: none → `10m`
        confirmation before the step changed: « Relancer ? » → « Relancer en production ? »
        - local$ cd /srv/app && docker compose up -d
        + local$ cd /srv/app && docker compose pull
        + local$ cd /srv/app && docker compose up -d --build
        rollback:
          - local$ cd /srv/app && docker compose down
          + local$ cd /srv/app && docker compose down --remove-orphans
  + 3. notify — Prévenir (added)
        + local$ curl -X POST https://chat.invalid/hook

unchanged: status
"
    );
    let md = Test::new()
        .file("old.rb42", OLD)
        .file("new.rb42", new_version())
        .args([
            "plan", "--base", "old.rb42", "new.rb42", "deploy", "--format", "markdown",
        ])
        .run();
    md.code(0)
        .stdout_has("**1 procedure: 1 changed · 3 steps: 1 added, 1 removed, 1 changed**")
        .stdout_has("<summary><b>deploy</b> — Déployer: 1 added, 1 removed, 1 changed</summary>")
        .stdout_has("#### `clean` — Nettoyer · removed (was step 2)\n\n```diff\n- local$ rm -rf /tmp/cache\n```")
        .stdout_has("```diff\n- local$ cd /srv/app && docker compose up -d\n+ local$ cd /srv/app && docker compose pull\n+ local$ cd /srv/app && docker compose up -d --build\n```")
        .stdout_has("Rollback:\n\n```diff\n- local$ cd /srv/app && docker compose down\n+ local$ cd /srv/app && docker compose down --remove-orphans\n```")
        .stdout_has("#### 3. `notify` — Prévenir · added")
        .stdout_lacks("status");

    let same = Test::new()
        .file("old.rb42", OLD)
        .args(["plan", "--base", "old.rb42", "old.rb42"])
        .run();
    same.code(0).stdout_has("no change in what would run");
}

#[test]
fn plan_base_ref_reads_the_old_version_from_git() {
    let has_git = std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_git {
        return;
    }
    let test = Test::new().file("runbooks/app.rb42", OLD);
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
            .args(args)
            .current_dir(test.path())
            .output()
            .expect("git");
        assert!(status.status.success(), "{status:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "base"]);
    let test = test.file("runbooks/app.rb42", new_version());
    let out = test
        .args(["plan", "--base-ref", "HEAD", "runbooks/app.rb42"])
        .run();
    out.code(0)
        .stdout_has("Plan diff app: HEAD:runbooks/app.rb42 → runbooks/app.rb42")
        .stdout_has("  + 3. notify — Prévenir (added)");
    let bad = Test::new()
        .file("app.rb42", OLD)
        .args(["plan", "--base-ref", "HEAD", "app.rb42"])
        .run();
    bad.code(2).stderr_has("git show HEAD:./app.rb42 failed");
}

/// Base64 (standard alphabet, padded), for the secret tests.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Percent-encoding of every byte but the unreserved ones, for the secret tests.
pub fn url_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn secrets_are_absent_from_every_rendered_byte() {
    let secret = "s3cr3t/T0ken+=x";
    let forms = [
        secret.to_string(),
        base64(secret.as_bytes()),
        url_encoded(secret),
    ];
    let runbook = r#"runbook "vault" {
  secret token from env "VAULT_TOKEN"
  secret db from env "DB_PASSWORD"
  param url: string = "https://api.invalid/v1"
  procedure go "Aller" default {
    step call "Appeler" {
      sh(["curl", "-H", "Authorization: Bearer " + token, url]);
      sh(`echo ${token} | base64`);
      run(`psql postgres://app:${db}@db.invalid/app -c 'select 1'`);
    } rollback {
      sh(["curl", "-X", "DELETE", `${url}?token=${token}`]);
    }
  }
}"#;
    let new = runbook.replace("-c 'select 1'", "-c 'select 2'");
    let outputs: Vec<String> = [
        vec!["doc", "main.rb42"],
        vec!["doc", "main.rb42", "--format", "json"],
        vec!["doc", ".", "-o", "pages"],
        vec!["plan", "main.rb42", "--format", "markdown"],
        vec!["plan", "main.rb42", "--format", "json"],
        vec!["plan", "--base", "main.rb42", "new.rb42"],
        vec![
            "plan",
            "--base",
            "main.rb42",
            "new.rb42",
            "--format",
            "markdown",
        ],
    ]
    .into_iter()
    .map(|args| {
        let out = Test::new()
            .runbook(runbook)
            .file("new.rb42", &new)
            .env("VAULT_TOKEN", secret)
            .env("DB_PASSWORD", secret)
            .args(args)
            .run();
        out.code(0);
        let pages: String = pages(&out.dir.join("pages")).into_values().collect();
        format!("{}{}{pages}", out.stdout, out.stderr)
    })
    .collect();
    for (i, text) in outputs.iter().enumerate() {
        for form in &forms {
            assert!(
                !text.contains(form.as_str()),
                "output {i} holds {form:?}:\n{text}"
            );
        }
    }
    assert!(outputs[0].contains("Authorization: Bearer ⟨secret token⟩"));
    assert!(outputs[0].contains("| `token` | environment variable `VAULT_TOKEN` |"));
}

#[test]
fn a_plan_lists_each_rollback_once_when_a_later_step_would_fail() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  procedure p {
    step a { sh("touch a"); } rollback { sh("rm -f a"); }
    step b { fail("boom"); }
  }
}"#,
        )
        .args(["plan", "main.rb42", "--format", "markdown"])
        .run();
    out.code(0).stdout_has("_(would fail)_");
    assert_eq!(out.stdout.matches("rm -f a").count(), 1, "{}", out.stdout);
}

#[test]
fn a_step_after_one_whose_dry_run_stops_is_still_documented() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  procedure p {
    step read "Lire" {
      let v = sh("cat VERSION", #{read: true}).stdout;
      if v != "1.0" { fail("unexpected VERSION"); }
      publish("version", v);
    }
    step skipped "Jamais vrai" when { false } { sh(["echo", "documented anyway"]); }
    step use "Utiliser" { sh(["echo", version]); }
  }
}"#,
        )
        .args(["doc", "main.rb42"])
        .run();
    out.code(0)
        .stdout_has(
            "_What follows depends on what a real run finds; the dry-run stops at: a decision on ⟨output of cat VERSION⟩ (line 5)_",
        )
        .stdout_has(
            "> ⚠️ **Only when** `false`\n\nOn `local`:\n\n```sh\necho 'documented anyway'\n```",
        )
        .stdout_has("```sh\necho ⟨version⟩\n```");
}
