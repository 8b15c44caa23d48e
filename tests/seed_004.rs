//! Seed 004 (e-commerce operations and incidents A-K) end to end: the development start against
//! a real Compose project and stand-in HTTP services, the quick checklists that run every check
//! before failing, an incident whose remedy (restarting the API container) is declined then
//! confirmed, the MinIO diagnostics, a restore from a dump into the PostgreSQL fixture, the
//! stdlib checklist module, and the plan of every procedure.

use crate::docker_env::{self, ComposeProject};
use crate::harness::{Output, Test, free_port};
use crate::http_env::HttpServer;
use crate::postgres_env;
use crate::tmux::answer_on_terminal;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

const RUNBOOK: &str = "runbooks/004-ecommerce-operations.rb42";

fn runbook_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(RUNBOOK)
}

/// `runbook run RUNBOOK PROCEDURE -p name=value… extra…` with `env` set.
fn run(procedure: &str, params: &[(&str, String)], extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args: Vec<String> = vec![
        "run".into(),
        runbook_path().display().to_string(),
        procedure.into(),
    ];
    for (name, value) in params {
        args.push("-p".into());
        args.push(format!("{name}={value}"));
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut test = Test::new();
    for (name, value) in env {
        test = test.env(name, value);
    }
    test.args(args.iter().map(String::as_str)).run()
}

/// The Compose parameters of a test project.
fn project_params(project: &ComposeProject) -> Vec<(&'static str, String)> {
    vec![
        ("project_dir", project.dir.path().display().to_string()),
        ("project_name", project.name.clone()),
    ]
}

/// The id of the container of a Compose service.
fn container(project: &ComposeProject, service: &str) -> String {
    let ids = docker_env::docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={}", project.name),
        "--filter",
        &format!("label=com.docker.compose.service={service}"),
    ]);
    ids.split_whitespace()
        .next()
        .unwrap_or_else(|| panic!("no container for {service} in {}", project.name))
        .to_string()
}

fn started_at(container: &str) -> String {
    docker_env::docker(&["inspect", "-f", "{{.State.StartedAt}}", container])
        .trim()
        .to_string()
}

/// The checklist row of `name` (`✓ name detail`), without the log prefix and the padding.
fn row(out: &Output, name: &str) -> String {
    let rows = out.lines_with(&[&format!(" {name}")]);
    let line = rows
        .iter()
        .find(|l| {
            ["✓", "✗", "–", "?"]
                .iter()
                .any(|m| l.contains(&format!("{m} {name}")))
        })
        .unwrap_or_else(|| panic!("no row for {name}:\n{}", out.stdout));
    line.trim_start_matches("· ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_checklist_module_runs_every_check_then_fails_with_the_table() {
    let server = HttpServer::start();
    let text = r#"runbook "checklist" {
  param ok_url: string = ""
  param fail_url: string = ""
  use "stdlib/checklist.rhai" as checklist
  use "lib.rhai" as lib
  procedure table {
    step s {
      let result = checklist::evaluate("Table", [
        #{name: "http ok", check: || http_get(ok_url)},
        #{name: "http 500", check: || http_get(fail_url)},
        #{name: "false", check: || false},
        #{name: "thrown", check: || { throw "no luck"; }},
        #{name: "skipped", check: || checklist::skip("not needed")},
        #{name: "detail", check: || #{ok: true, detail: "2 products"}},
        #{name: "module runs a command", check: || lib::true_command()},
        #{name: "last", check: || true},
      ]);
      log(`counts: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped`);
      checklist::require(result);
      log("not reached");
    }
  }
  procedure asks {
    step s {
      checklist::evaluate("Asks", [#{name: "ask", check: || confirm("Vraiment ?")}, #{name: "after", check: || true}]);
    }
  }
  procedure all-pass {
    step s {
      checklist::verify("Fine", [#{name: "one", check: || 1}, #{name: "two", check: || "two"}]);
      log("all passed");
    }
  }
}"#;
    // `run()` inside a module function called by a check: the checklist must not shadow it.
    let lib = "fn true_command() { run([\"true\"]).ok }\n";
    let ok = format!("ok_url={}", server.url("/ok"));
    let fail = format!("fail_url={}", server.url("/fail"));
    let args = ["run", "main.rb42", "table", "-p", &ok, "-p", &fail];
    let out = Test::new()
        .runbook(text)
        .file("lib.rhai", lib)
        .args(args)
        .run();

    out.code(1)
        .stdout_has("Table: 4 of 8 passed, 3 failed, 1 skipped")
        .stdout_has("counts: 4 passed, 3 failed, 1 skipped")
        .stdout_has("Table: 3 of 8 checks failed: http 500, false, thrown")
        .stdout_lacks("not reached");
    assert!(row(&out, "http ok").starts_with("✓ http ok"));
    assert!(row(&out, "http ok").contains("HTTP 200"));
    assert!(row(&out, "http 500").starts_with("✗ http 500"));
    assert!(row(&out, "http 500").contains("HTTP 500: boom"));
    assert_eq!(row(&out, "false"), "✗ false");
    assert!(row(&out, "thrown").ends_with("no luck"));
    assert!(row(&out, "skipped").starts_with("– skipped"));
    assert!(row(&out, "detail").ends_with("2 products"));
    assert!(row(&out, "module runs a command").starts_with("✓ module runs a command"));
    assert_eq!(
        row(&out, "last"),
        "✓ last",
        "the checks after a failure run too"
    );
    // The details start in one column: names are padded to the longest.
    let column = |needle: &str| {
        let line = out
            .stdout
            .lines()
            .find(|l| l.contains(needle))
            .expect(needle);
        line.find(needle).expect(needle)
    };
    assert_eq!(column("HTTP 200"), column("2 products"), "{}", out.stdout);
    // The rows come in the order of the checks.
    let marks: Vec<String> = out
        .lines_with(&["✓ ", "✗ ", "– "])
        .iter()
        .filter(|l| !l.contains(" failed"))
        .map(|l| l.trim_start_matches("· ").chars().take(1).collect())
        .collect();
    assert_eq!(
        marks,
        ["✓", "✗", "✗", "✗", "–", "✓", "✓", "✓"],
        "{}",
        out.stdout
    );

    let fine = Test::new()
        .runbook(text)
        .file("lib.rhai", lib)
        .args(["run", "main.rb42", "all-pass"])
        .run();
    fine.code(0)
        .stdout_has("Fine: 2 of 2 passed")
        .stdout_has("all passed");

    // A refused confirmation is no failed check: it ends the run, declined.
    let asks = Test::new()
        .runbook(text)
        .file("lib.rhai", lib)
        .args(["run", "main.rb42", "asks"])
        .run();
    asks.code(3).stdout_lacks("Asks:");
}

/// The development project: the front publishes the port `.env` gives it.
const DEV_COMPOSE: &str = r#"version: "2.4"
services:
  frontend:
    image: runbook-test/web:1
    ports: ["127.0.0.1:${FRONT_PORT}:8080"]
  api:
    image: runbook-test/web:1
  postgres:
    image: runbook-test/busybox:1
"#;

#[test]
fn dev_start_fills_the_env_starts_the_project_and_checks_front_api_and_image() {
    let project = ComposeProject::new(DEV_COMPOSE);
    let port = free_port();
    let example =
        format!("# Copy to .env\nFRONT_PORT={port}\nJWT_SECRET=\nMINIO_ROOT_USER=minio\n");
    std::fs::write(project.dir.path().join(".env.example"), example).expect(".env.example");
    // The API answers 503 "starting" twice before it is healthy: the check waits for it.
    let api = HttpServer::start_with_healthy_after(2);
    let images = HttpServer::start();
    let mut params = project_params(&project);
    params.extend([
        ("front_url", format!("http://127.0.0.1:{port}/")),
        ("api_url", api.url("")),
        ("image_url", images.url("/ok")),
        ("startup_wait", "30s".to_string()),
    ]);

    let unfilled = run("dev-start", &params, &[], &[]);
    unfilled
        .code(1)
        .stdout_has("copied .env.example")
        .stdout_has("fill these values in")
        .stdout_has("JWT_SECRET");
    let env_file = project.dir.path().join(".env");
    let copied = std::fs::read_to_string(&env_file).expect("the .env copied from .env.example");
    assert!(copied.contains(&format!("FRONT_PORT={port}")), "{copied}");
    assert!(
        docker_env::docker(&[
            "ps",
            "-q",
            "--filter",
            &format!("label=com.docker.compose.project={}", project.name)
        ])
        .trim()
        .is_empty(),
        "nothing starts before .env is filled"
    );

    std::fs::write(
        &env_file,
        copied.replace("JWT_SECRET=", "JWT_SECRET=dev-secret"),
    )
    .expect(".env");
    let started = run("dev-start", &params, &[], &[]);
    started
        .code(0)
        .stdout_has(".env has a value for every key of .env.example")
        .stdout_has("Vérifications: 3 of 3 passed");
    assert!(row(&started, "Front : page d'accueil").starts_with("✓"));
    assert!(row(&started, "API : /health").starts_with("✓"));
    assert!(
        row(&started, "MinIO : une image produit").contains("✓ MinIO : une image produit HTTP 200")
    );
    let served = std::process::Command::new("docker")
        .args([
            "exec",
            &container(&project, "frontend"),
            "wget",
            "-qO-",
            "http://127.0.0.1:8080/",
        ])
        .output()
        .expect("docker exec");
    assert_eq!(String::from_utf8_lossy(&served.stdout).trim(), "web v1");
    for service in ["frontend", "api", "postgres"] {
        let state = docker_env::docker(&[
            "inspect",
            "-f",
            "{{.State.Status}}",
            &container(&project, service),
        ]);
        assert_eq!(state.trim(), "running", "{service}");
    }
    assert_eq!(
        images
            .requests()
            .iter()
            .filter(|r| r.method == "HEAD")
            .count(),
        1,
        "one HEAD on the image"
    );

    // The same checks alone, once the image is gone: every check runs, the image is marked.
    drop(images);
    params.retain(|(name, _)| *name != "image_url");
    params.push(("image_url", api.url("/product-images/products/1/main.png")));
    let missing = run("dev-check", &params, &[], &[]);
    missing
        .code(1)
        .stdout_has("Vérifications: 2 of 3 passed, 1 failed")
        .stdout_has("HTTP 404: no such object");
    assert!(row(&missing, "MinIO : une image produit").starts_with("✗"));
}

#[test]
fn the_demo_checklist_runs_every_check_and_marks_the_failing_one() {
    let server = HttpServer::start();
    let params = vec![
        ("front_url", server.url("/ok")),
        ("api_url", server.url("")),
        // `/json` lists 2 products: 8 are expected.
        ("products_path", "/json".to_string()),
        ("webhook_path", "/echo".to_string()),
        ("image_url", server.url("/ok")),
        // The stand-in Grafana: `/ok` answers 200 whatever the query, here the API path.
        ("grafana_url", server.url("/ok?")),
    ];
    let env = [
        ("STRIPE_SECRET_KEY", "sk_test_51Hdemo"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_demo"),
    ];

    let out = run("demo-checklist", &params, &[], &env);

    out.code(1)
        .stdout_has("Avant une démo: 7 of 9 passed, 1 failed, 1 skipped")
        .stdout_has("Avant une démo: 1 of 9 checks failed: 8 produits visibles");
    let expected = [
        ("✓", "Front OK"),
        ("✓", "API OK"),
        ("✗", "8 produits visibles"),
        ("✓", "Stripe : clés test configurées"),
        ("✓", "Stripe : secret webhook"),
        ("✓", "Stripe : webhook accessible"),
        ("✓", "MinIO : images accessibles"),
        ("–", "Airflow : DAG de sync activé"),
        ("✓", "Grafana : dashboard charge"),
    ];
    for (mark, name) in expected {
        assert!(
            row(&out, name).starts_with(&format!("{mark} {name}")),
            "{name}: {}",
            row(&out, name)
        );
    }
    assert!(row(&out, "8 produits visibles").ends_with("2 products (8 expected)"));
    for secret in ["sk_test_51Hdemo", "whsec_demo"] {
        assert!(
            !out.stdout.contains(secret),
            "{secret} leaked:\n{}",
            out.stdout
        );
    }
    // Every check ran, those after the failing one included.
    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        paths,
        [
            "GET /ok",
            "GET /health",
            "GET /json",
            "POST /echo",
            "HEAD /ok",
            "GET /ok?/api/dashboards/home"
        ],
    );

    let live = run(
        "demo-checklist",
        &params,
        &["-p", "products_expected=2"],
        &[
            ("STRIPE_SECRET_KEY", "sk_live_51Hdemo"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_demo"),
        ],
    );
    live.code(1)
        .stdout_has("1 of 9 checks failed: Stripe : clés test configurées")
        .stdout_has("a LIVE key");
    assert!(row(&live, "2 produits visibles").starts_with("✓"));
}

/// An API whose container the incident procedure restarts, and a database stand-in.
fn api_compose(port: u16) -> String {
    format!(
        "version: \"2.4\"\nservices:\n  api:\n    image: runbook-test/web:1\n    ports: [\"127.0.0.1:{port}:8080\"]\n  postgres:\n    image: runbook-test/busybox:1\n"
    )
}

#[test]
fn the_api_5xx_incident_diagnoses_then_restarts_the_api_only_when_confirmed() {
    let port = free_port();
    let project = ComposeProject::new(&api_compose(port));
    project.compose(&["up", "-d"]);
    let api = container(&project, "api");
    docker_env::wait_for_health(&api, "healthy");
    let before = started_at(&api);
    let mut params = project_params(&project);
    params.extend([
        ("api_url", format!("http://127.0.0.1:{port}")),
        ("startup_wait", "30s".to_string()),
        ("log_lines", "20".to_string()),
    ]);

    // The restart is optional: without a terminal it is skipped and the procedure goes on to
    // its verification (a declined `confirm` used to abort it there).
    let declined = run("incident-api-5xx", &params, &[], &[]);
    declined
        .code(0)
        .stdout_has("API 5xx: 4 of 4 passed")
        .stdout_has("web v1 listening on 8080")
        .stdout_has("api: no error line in the last 20 log lines")
        .stdout_has("restart_api skipped: optional")
        .stdout_has("L'API répond de nouveau");
    assert!(row(&declined, "API : /health").starts_with("✓ API : /health HTTP 200"));
    assert!(row(&declined, "DB up : conteneur postgres").contains("running, no healthcheck"));
    assert_eq!(
        started_at(&api),
        before,
        "a declined restart leaves the API alone"
    );

    let confirmed = run(
        "incident-api-5xx",
        &params,
        &["--confirm", "restart_api"],
        &[],
    );
    confirmed
        .code(0)
        .stdout_has("migrate skipped")
        .stdout_has("API: 2 of 2 passed");
    assert_eq!(container(&project, "api"), api, "restarted, not recreated");
    assert_ne!(started_at(&api), before, "the API container was restarted");
    assert!(row(&confirmed, "Conteneur api").ends_with("healthy"));
}

/// After an ENV change: the database stand-in never becomes healthy.
const ENV_COMPOSE: &str = r#"version: "2.4"
services:
  frontend:
    image: runbook-test/web:1
  api:
    image: runbook-test/web:1
  postgres:
    image: runbook-test/web:2
"#;

#[test]
fn the_env_checklist_restarts_the_stack_and_looks_at_every_healthcheck() {
    let project = ComposeProject::new(ENV_COMPOSE);
    let mut params = project_params(&project);
    params.push(("startup_wait", "15s".to_string()));

    run("env-checklist", &params, &[], &[])
        .code(3)
        .stdout_has("declined");

    let out = run("env-checklist", &params, &["--confirm", "down"], &[]);
    out.code(1)
        .stdout_has("Healthcheck des services: 2 of 3 passed, 1 failed")
        .stdout_has("1 of 3 checks failed: postgres");
    assert!(
        row(&out, "frontend").ends_with("healthy"),
        "{}",
        row(&out, "frontend")
    );
    assert!(row(&out, "api").ends_with("healthy"));
    assert!(row(&out, "postgres").starts_with("✗ postgres"));
    assert!(
        row(&out, "postgres").contains("is unhealthy"),
        "{}",
        row(&out, "postgres")
    );
}

#[test]
fn the_minio_diagnostics_name_the_missing_object_the_expired_url_and_cors() {
    let server = HttpServer::start();
    // Signed on 2020-01-01T00:00:00Z (Unix 1577836800), valid for an hour from now.
    let since_2020 = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        - 1_577_836_800;
    let valid = server.url(&format!(
        "/ok?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20200101T000000Z&X-Amz-Expires={}&X-Amz-Signature=abc",
        since_2020 + 3600
    ));
    let expired = server.url("/ok?X-Amz-Date=20200101T000000Z&X-Amz-Expires=3600");

    let broken = run(
        "incident-minio-images",
        &[
            (
                "image_url",
                server.url("/product-images/products/1/main.png"),
            ),
            ("signed_image_url", expired),
        ],
        &[],
        &[],
    );
    broken
        .code(0)
        .stdout_has("Images MinIO: 0 of 3 passed, 3 failed")
        .stdout_has("HTTP 404: no such object")
        .stdout_has("no such object: check that it is in the bucket")
        .stdout_has("the signed URL expired")
        .stdout_has("no Access-Control-Allow-Origin for http://localhost:3000");
    assert!(row(&broken, "URL signée valide (expiration non dépassée)").contains("expired"));

    let fine = run(
        "incident-minio-images",
        &[
            ("image_url", server.url("/ok")),
            ("signed_image_url", valid),
            ("cors_origin", String::new()),
        ],
        &[],
        &[],
    );
    fine.code(0)
        .stdout_has("Images MinIO: 2 of 3 passed, 1 skipped")
        .stdout_has("the image answers");
    let signed = row(&fine, "URL signée valide (expiration non dépassée)");
    assert!(signed.contains("HTTP 200, expires in 3"), "{signed}");
}

#[test]
fn restore_postgres_puts_the_dumped_data_back_only_when_confirmed() {
    let server = postgres_env::server();
    let url = server.database();
    server.psql(
        &url,
        "CREATE TABLE orders (id serial PRIMARY KEY, status text); INSERT INTO orders (status) VALUES ('paid'), ('pending');",
    );
    let backups = tempfile::tempdir().expect("temp dir");
    let dump = backups.path().join("shop.dump");
    let text = format!(
        "runbook \"dump\" {{\n  secret db from env \"DATABASE_URL\"\n  use \"stdlib/database.rhai\" as database\n  procedure p {{ step s {{ database::dump(db, {:?}); }} }}\n}}",
        dump.display().to_string()
    );
    Test::new()
        .runbook(&text)
        .env("DATABASE_URL", &url)
        .args(["run", "main.rb42"])
        .run()
        .code(0);
    server.psql(&url, "DELETE FROM orders WHERE status = 'paid';");
    let count = || {
        server
            .psql(&url, "SELECT count(*) FROM orders;")
            .trim()
            .to_string()
    };
    assert_eq!(count(), "1");
    let params = [("dump_file", dump.display().to_string())];
    let env = [("DATABASE_URL", url.as_str())];

    run("restore-postgres", &params, &[], &env).code(3);
    assert_eq!(count(), "1", "nothing restored without a confirmation");
    // No flag answers a restore over the database.
    run(
        "restore-postgres",
        &params,
        &["--yes", "--confirm", "save"],
        &env,
    )
    .code(3)
    .stdout_has("only an operator there answers a `confirm always`");
    assert_eq!(count(), "1", "nothing restored by a flag");

    let mut test = Test::new().args([
        "run",
        &runbook_path().display().to_string(),
        "restore-postgres",
        "-p",
        &format!("dump_file={}", dump.display()),
    ]);
    test = test.env("DATABASE_URL", &url);
    let screen = answer_on_terminal(&test, "y", |asked| {
        let name = url.rsplit('/').next().expect("database");
        assert!(
            asked.contains(&format!(
                "Remplacer le contenu de la base {name} par {}",
                dump.display()
            )),
            "{asked}"
        );
    });
    assert!(screen.contains("[exit 0]"), "{screen}");
    assert!(screen.contains("restored "), "{screen}");
    assert_eq!(count(), "2", "the dumped rows are back");
    assert!(
        Path::new(&format!("{}.before-restore", dump.display())).exists(),
        "the state before the restore was copied"
    );
}

#[test]
fn restore_postgres_reads_a_plain_sql_dump_without_a_manifest() {
    let server = postgres_env::server();
    let url = server.database();
    server.psql(
        &url,
        "CREATE TABLE orders (id serial PRIMARY KEY, status text); INSERT INTO orders (status) VALUES ('paid'), ('pending');",
    );
    let backups = tempfile::tempdir().expect("temp dir");
    let dump = backups.path().join("shop.sql");
    let out = std::process::Command::new("pg_dump")
        .arg(&url)
        .output()
        .expect("pg_dump");
    assert!(out.status.success());
    std::fs::write(&dump, out.stdout).expect("dump");
    server.psql(&url, "DELETE FROM orders;");
    let test = Test::new().env("DATABASE_URL", &url).args([
        "run",
        &runbook_path().display().to_string(),
        "restore-postgres",
        "-p",
        &format!("dump_file={}", dump.display()),
    ]);
    let screen = answer_on_terminal(&test, "y", |asked| {
        assert!(
            asked.contains("plain SQL dump (pg_dump > FILE.sql)"),
            "{asked}"
        );
    });
    assert!(screen.contains("[exit 0]"), "{screen}");
    assert_eq!(
        server.psql(&url, "SELECT count(*) FROM orders;").trim(),
        "2"
    );
}

#[test]
fn every_procedure_plans() {
    let procedures = [
        "dev-start",
        "dev-check",
        "rebuild-front",
        "incident-product-detail",
        "incident-api-5xx",
        "incident-postgres",
        "restore-postgres",
        "incident-minio-images",
        "incident-traefik",
        "incident-airflow",
        "incident-stripe-webhook",
        "incident-grafana",
        "demo-checklist",
        "env-checklist",
    ];
    let listed = Test::new()
        .args(["list", &runbook_path().display().to_string()])
        .run();
    listed.code(0);
    for procedure in procedures {
        listed.stdout_has(&format!("  {procedure} — "));
        let out = Test::new()
            .env("DATABASE_URL", "postgres://shop@db.example.org/shop")
            .args([
                "plan",
                &runbook_path().display().to_string(),
                procedure,
                "-p",
                "project_dir=/srv/shop",
                "-p",
                "airflow_dag=etl_sync",
                "-p",
                "airflow_task=load_bigquery",
                "-p",
                "dump_file=/var/backups/shop.dump",
                "-p",
                "dashboards_dir=/srv/shop/grafana",
                "-p",
                "migrate_command=npm,run,migrate",
            ])
            .run();
        out.code(0).stdout_has(&format!("› {procedure}"));
    }
    let section = listed
        .stdout
        .split("\nprocedures\n")
        .nth(1)
        .expect("a procedures section");
    assert_eq!(
        section
            .lines()
            .filter(|l| l.contains(" — ") && !l.starts_with("   "))
            .count(),
        procedures.len(),
        "a procedure is missing from this test:\n{section}"
    );
}

#[test]
fn the_front_rebuild_the_product_detail_and_postgres_incidents_run_on_the_project() {
    let front = free_port();
    let api_port = free_port();
    let project = ComposeProject::new(&format!(
        "version: \"2.4\"\nservices:\n  frontend:\n    image: runbook-test/web:1\n    ports: [\"127.0.0.1:{front}:8080\"]\n  api:\n    image: runbook-test/web:1\n    ports: [\"127.0.0.1:{api_port}:8080\"]\n  postgres:\n    image: runbook-test/busybox:1\n"
    ));
    // Its own role: the fixture's password is "postgres", and a secret's value is masked
    // wherever it appears, the service's name included.
    let database = postgres_env::server().role_with_password("shop_incident", "shop-incident-pw");
    let mut params = project_params(&project);
    params.extend([
        ("front_url", format!("http://127.0.0.1:{front}/")),
        ("api_url", format!("http://127.0.0.1:{api_port}")),
        ("products_path", "/index.html".to_string()),
        ("product_id", "42".to_string()),
        ("startup_wait", "30s".to_string()),
        ("log_lines", "20".to_string()),
    ]);

    // F: the front is rebuilt (an image-only service is skipped by `build`) and started.
    run("rebuild-front", &params, &[], &[])
        .code(0)
        .stdout_has("Front: 1 of 1 passed");
    let api = container(&project, "api");
    docker_env::wait_for_health(&api, "healthy");

    // B: the list answers, the detail and an unknown id do not (busybox httpd says 404).
    let detail = run("incident-product-detail", &params, &[], &[]);
    detail
        .code(0)
        .stdout_has("web v1 listening on 8080")
        .stdout_has("product 42 does not exist");
    assert!(row(&detail, "La liste répond").starts_with("✓"));
    assert!(row(&detail, "Un ID inconnu donne 404, pas 500").starts_with("✓"));

    // D: evidence, then postgres and the API restarted once confirmed.
    let postgres = container(&project, "postgres");
    let before = started_at(&postgres);
    let env = [("DATABASE_URL", database.as_str())];
    let declined = run("incident-postgres", &params, &[], &env);
    declined.code(3).stdout_has("declined");
    assert!(row(&declined, "DATABASE_URL répond").starts_with("✓"));
    assert_eq!(started_at(&postgres), before);
    run("incident-postgres", &params, &["--yes"], &env)
        .code(0)
        .stdout_has("PostgreSQL: 3 of 3 passed");
    assert_ne!(started_at(&postgres), before, "postgres was restarted");
}

#[test]
fn the_traefik_and_stripe_incidents_run_on_the_project() {
    let api_port = free_port();
    let project = ComposeProject::new(&format!(
        "version: \"2.4\"\nservices:\n  api:\n    image: runbook-test/web:1\n    ports: [\"127.0.0.1:{api_port}:8080\"]\n    environment: {{STRIPE_WEBHOOK_SECRET: \"${{STRIPE_WEBHOOK_SECRET:-}}\"}}\n    labels: {{\"traefik.http.routers.api.rule\": \"Host(`127.0.0.1`)\"}}\n  frontend:\n    image: runbook-test/web:1\n    labels: {{\"traefik.http.routers.app.rule\": \"Host(`127.0.0.1`)\"}}\n  traefik:\n    image: runbook-test/busybox:1\n"
    ));
    project.compose(&["up", "-d"]);
    let api = container(&project, "api");
    docker_env::wait_for_health(&api, "healthy");
    let traefik = container(&project, "traefik");
    let before = started_at(&traefik);
    let base = format!("http://127.0.0.1:{api_port}");
    let mut params = project_params(&project);
    params.extend([
        ("api_url", base.clone()),
        ("app_url", format!("{base}/")),
        ("traefik_url", format!("{base}/")),
        ("port_urls", base.clone()),
        ("startup_wait", "30s".to_string()),
        ("log_lines", "20".to_string()),
    ]);

    // F: the dashboard, both rules, both routes and the port answer; Traefik is restarted.
    let routing = run("incident-traefik", &params, &["--yes"], &[]);
    routing
        .code(0)
        .stdout_has("Traefik: 6 of 6 passed")
        .stdout_has("Routes: 2 of 2 passed");
    assert_ne!(started_at(&traefik), before, "traefik was restarted");

    // H: the secret is set, but the API fails on the event (busybox httpd answers 501 to a POST).
    let webhook = run(
        "incident-stripe-webhook",
        &params,
        &[],
        &[("STRIPE_WEBHOOK_SECRET", "whsec_test_1")],
    );
    webhook
        .code(0)
        .stdout_has("HTTP 501: the API fails on the event")
        .stdout_has("no line about /api/paiements/stripe/webhook");
    assert!(row(&webhook, "Secret webhook (STRIPE_WEBHOOK_SECRET)").starts_with("✓"));
}

/// Writes `files` (relative path, content) under `dir`, readable by the container's httpd.
fn site(dir: &Path, files: &[(&str, String)]) {
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
    let status = std::process::Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(dir)
        .status()
        .expect("chmod");
    assert!(status.success());
}

#[test]
fn the_grafana_incident_starts_prometheus_and_grafana_and_sees_the_metrics() {
    // Prometheus and Grafana stand-ins: busybox httpd serving their HTTP API's answers.
    let www = tempfile::tempdir().expect("temp dir");
    let prometheus = www.path().join("prometheus");
    let grafana = www.path().join("grafana");
    let targets: Vec<String> = ["api", "postgres", "airflow", "traefik", "minio"]
        .iter()
        .map(|job| {
            format!(
                r#"{{"health": "up", "labels": {{"job": "{job}"}}, "scrapeUrl": "http://{job}:9100/metrics", "lastError": ""}}"#
            )
        })
        .collect();
    site(
        &prometheus,
        &[
            ("health", "ok".into()),
            ("-/healthy", "Prometheus Server is Healthy.".into()),
            (
                "api/v1/targets",
                format!(
                    r#"{{"status": "success", "data": {{"activeTargets": [{}]}}}}"#,
                    targets.join(", ")
                ),
            ),
        ],
    );
    site(
        &grafana,
        &[
            ("health", "ok".into()),
            ("api/health", r#"{"database": "ok"}"#.into()),
            (
                "api/datasources",
                r#"[{"type": "prometheus", "name": "Prometheus", "url": "http://prometheus:9090"}]"#
                    .into(),
            ),
        ],
    );
    let (prometheus_port, grafana_port) = (free_port(), free_port());
    let project = ComposeProject::new(&format!(
        "version: \"2.4\"\nservices:\n  prometheus:\n    image: runbook-test/web:1\n    ports: [\"127.0.0.1:{prometheus_port}:8080\"]\n    volumes: [\"{}:/www:ro\"]\n  grafana:\n    image: runbook-test/web:1\n    ports: [\"127.0.0.1:{grafana_port}:8080\"]\n    volumes: [\"{}:/www:ro\"]\n",
        prometheus.display(),
        grafana.display()
    ));
    let mut params = project_params(&project);
    params.extend([
        (
            "prometheus_url",
            format!("http://127.0.0.1:{prometheus_port}"),
        ),
        ("grafana_url", format!("http://127.0.0.1:{grafana_port}")),
        ("startup_wait", "30s".to_string()),
    ]);

    // Nothing runs: the diagnosis says so, and the start is declined.
    let declined = run("incident-grafana", &params, &[], &[]);
    declined.code(3).stdout_has("declined");
    assert!(row(&declined, "Prometheus up").starts_with("✗"));

    let started = run("incident-grafana", &params, &["--yes"], &[]);
    started
        .code(0)
        .stdout_has("Métriques: 4 of 4 passed")
        .stdout_has("Prometheus → http://prometheus:9090")
        .stdout_has("5 targets up");
    for service in ["prometheus", "grafana"] {
        let state = docker_env::docker(&[
            "inspect",
            "-f",
            "{{.State.Status}}",
            &container(&project, service),
        ]);
        assert_eq!(state.trim(), "running", "{service}");
    }
}

#[test]
fn the_airflow_incident_reads_the_task_log_and_names_the_cause() {
    // An Airflow webserver stand-in: busybox httpd serving the REST API's answers (a directory
    // answers with its index.html, after a redirect that adds the slash).
    let www = tempfile::tempdir().expect("temp dir");
    let dag = "api/v1/dags/sync_products";
    let task = format!("{dag}/dagRuns/scheduled__2025-01-01/taskInstances/load_bq");
    site(
        www.path(),
        &[
            (
                "health/index.html",
                r#"{"metadatabase": {"status": "healthy"}, "scheduler": {"status": "healthy"}}"#.into(),
            ),
            (&format!("{dag}/index.html"), r#"{"is_paused": false}"#.into()),
            (
                &format!("{dag}/dagRuns/index.html"),
                r#"{"dag_runs": [{"dag_run_id": "scheduled__2025-01-01", "state": "failed"}]}"#
                    .into(),
            ),
            (
                &format!("{task}/index.html"),
                r#"{"state": "failed", "try_number": 1}"#.into(),
            ),
            (
                &format!("{task}/logs/1"),
                "INFO - Loading into BigQuery\nERROR - DefaultCredentialsError: Could not automatically determine credentials\n".into(),
            ),
            ("api/v1/connections/postgres_default", "{}".into()),
            ("api/v1/connections/google_cloud_default", "{}".into()),
            ("api/v1/variables/dataset", "{}".into()),
        ],
    );
    // /health is Airflow's here: the image's own health check is off.
    let port = free_port();
    let mount = format!("{}:/www:ro", www.path().display());
    let publish = format!("127.0.0.1:{port}:8080");
    let _airflow = docker_env::Container::start(
        docker_env::WEB_HEALTHY,
        "airflow",
        &["-p", &publish, "-v", &mount, "--no-healthcheck"],
        &[],
    );
    let url = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    while crate::http_env::get(port, "/api/v1/variables/dataset").is_none() {
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let params = [
        ("airflow_url", url),
        ("airflow_dag", "sync_products".to_string()),
        ("airflow_task", "load_bq".to_string()),
    ];
    let out = run("incident-airflow", &params, &[], &[]);
    out.code(3)
        .stdout_has("Airflow: 5 of 6 passed, 1 failed")
        .stdout_has("sync_products.load_bq in scheduled__2025-01-01: failed (try 1)")
        .stdout_has("DefaultCredentialsError")
        .stdout_has("BigQuery credentials missing")
        .stdout_has("declined");
    assert!(row(&out, "Variable project").starts_with("✗"));
}
