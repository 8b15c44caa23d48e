//! SQL against a real PostgreSQL server and SQLite files: typed rows, NULLs, hostile
//! parameters, transactions, timeouts, readiness waits, dump/restore, password masking.

use crate::harness::{Output, Test};
use crate::postgres_env;

/// Runs `body` as one step, with `-p db=URL`.
fn step(body: &str, url: &str) -> Output {
    let text = format!(
        "runbook \"sql\" {{\n  param db: string\n  use \"stdlib/database.rhai\" as database\n  procedure p {{\n    step s {{\n{body}\n    }}\n  }}\n}}"
    );
    let param = format!("db={url}");
    Test::new()
        .runbook(&text)
        .args(["run", "main.rb42", "-p", &param])
        .run()
}

const TYPED: &str = r#"
      execute(db, `CREATE TABLE t (id int4 PRIMARY KEY, big int8, small int2, ok bool, price numeric(10,2),
                   ratio float8, name text, tags jsonb, at timestamptz, day date, uid uuid, nothing text)`);
      execute(db, `INSERT INTO t VALUES (1, 9007199254740993, 7, true, 12.34, 0.5, 'café', '{"a": [1, 2]}',
                   '2026-11-22 10:00:00+00', '2026-11-22', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', NULL)`);
      let r = query_one(db, "SELECT * FROM t");
      assert(r.id == 1 && r.big == 9007199254740993 && r.small == 7 && r.ok == true, `${r}`);
      assert(r.price == 12.34 && r.ratio == 0.5 && r.name == "café", `${r}`);
      assert(r.tags.a[1] == 2, `${r.tags}`);
      assert(r.at == "2026-11-22T10:00:00+00:00" && r.day == "2026-11-22", `${r.at} ${r.day}`);
      assert(r.uid == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", r.uid);
      assert(r.nothing == (), "NULL is ()");
      log("typed ok");
"#;

#[test]
fn postgres_rows_are_typed() {
    let url = postgres_env::server().database();
    step(TYPED, &url).code(0).stdout_has("typed ok");
}

const HOSTILE: &str = r#"
      execute(db, "CREATE TABLE users (name text, note text)");
      let evil = ["Robert'); DROP TABLE users;--", "' OR '1'='1", "$1", "\\\"; \n--", "é"];
      for e in evil { execute(db, "INSERT INTO users (name, note) VALUES ($1, $2)", [e, ()]); }
      assert(scalar(db, "SELECT count(*) FROM users") == evil.len(), "every value stored");
      assert(scalar(db, "SELECT count(*) FROM users WHERE name = $1", ["' OR '1'='1"]) == 1, "a literal");
      assert(scalar(db, "SELECT count(*) FROM users WHERE note IS NULL") == evil.len(), "NULLs");
      log("hostile ok");
"#;

#[test]
fn hostile_parameters_stay_data() {
    let url = postgres_env::server().database();
    step(HOSTILE, &url).code(0).stdout_has("hostile ok");
    let sqlite = Test::new();
    let file = sqlite.path().join("app.db");
    let url = format!("sqlite://{}", file.display());
    step(
        &HOSTILE.replace("$1, $2", "?1, ?2").replace("= $1", "= ?1"),
        &url,
    )
    .code(0)
    .stdout_has("hostile ok");
}

#[test]
fn a_failed_transaction_leaves_nothing_behind() {
    let scratch = Test::new();
    for url in [
        postgres_env::server().database(),
        format!("sqlite://{}/tx.db", scratch.path().display()),
    ] {
        let out = step(
            r#"
      execute(db, "CREATE TABLE accounts (id int, balance int)");
      execute(db, "INSERT INTO accounts VALUES (1, 100)");
      try {
        transaction(db, || {
          execute(db, "UPDATE accounts SET balance = balance - 50 WHERE id = 1");
          fail("transfer refused");
        });
      } catch (e) { log(`caught: ${e}`); }
      assert(scalar(db, "SELECT balance FROM accounts WHERE id = 1") == 100, "rolled back");
      let done = transaction(db, || { execute(db, "UPDATE accounts SET balance = 70") });
      assert(done == 1 && scalar(db, "SELECT balance FROM accounts") == 70, "committed");
      log("tx ok");
"#,
            &url,
        );
        out.code(0)
            .stdout_has("caught: transfer refused")
            .stdout_has("tx ok");
    }
}

#[test]
fn a_statement_timeout_cancels_the_query() {
    let url = postgres_env::server().database();
    let out = step(
        r#"query(db, "SELECT pg_sleep(30)", [], #{timeout: 1});"#,
        &url,
    );
    out.code(1).stdout_has("timed out after 1s");
    let busy = postgres_env::server().psql(
        &url,
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND state = 'active'",
    );
    assert_eq!(busy.trim(), "0", "the server still runs the query");
}

#[test]
fn an_sql_error_names_the_problem() {
    let url = postgres_env::server().database();
    let out = step(r#"query(db, "SELECT * FROM missing_table");"#, &url);
    out.code(1)
        .stdout_has("relation \"missing_table\" does not exist (42P01)");
}

#[test]
fn wait_ready_waits_for_a_server_started_late() {
    let late = postgres_env::start_late(std::time::Duration::from_secs(3));
    let out = step(
        r#"wait_ready(db, 30); log(`answer ${scalar(db, "SELECT 41 + 1")}`);"#,
        &late.url(),
    );
    out.code(0)
        .stdout_has("not ready (attempt 1)")
        .stdout_has("answer 42");
    let out = step(
        r#"wait_ready(db, 1);"#,
        "postgres://postgres@127.0.0.1:1/none",
    );
    out.code(1).stdout_has("not ready after 1s");
}

#[test]
fn passwords_in_urls_never_appear() {
    let server = postgres_env::server();
    let url = server.role_with_password("masked_role", "Sup3r-S3cret-pw");
    for format in ["text", "json"] {
        let body = r#"
      log(db);
      log(scalar(db, "SELECT current_user"));
      query(db, "SELECT nope FROM nowhere");
"#;
        let text = format!(
            "runbook \"sql\" {{\n  param db: string\n  procedure p {{\n    step s {{\n{body}\n    }}\n  }}\n}}"
        );
        let param = format!("db={url}");
        let out = Test::new()
            .runbook(&text)
            .args(["run", "main.rb42", "-p", &param, "--format", format])
            .run();
        out.code(1).stdout_has("masked_role");
        assert!(!out.stdout.contains("Sup3r-S3cret-pw"), "{}", out.stdout);
        assert!(!out.stderr.contains("Sup3r-S3cret-pw"), "{}", out.stderr);
    }
    let text = "runbook \"sql\" {\n  param db: string\n  procedure p { step s { query(db, \"SELECT 1\"); } }\n}";
    let param = format!("db={url}");
    let plan = Test::new()
        .runbook(text)
        .args(["plan", "main.rb42", "-p", &param])
        .run();
    plan.code(0).stdout_has("masked_role:***@");
    assert!(!plan.stdout.contains("Sup3r-S3cret-pw"), "{}", plan.stdout);
}

#[test]
fn a_dump_restores_the_data_it_was_taken_from() {
    let server = postgres_env::server();
    let url = server.database();
    let out = step(
        r#"
      execute(db, "CREATE TABLE orders (id serial PRIMARY KEY, item text, qty int)");
      execute(db, "INSERT INTO orders (item, qty) VALUES ('vis', 3), ('écrou', 5)");
      let m = database::dump(db, "orders.dump");
      assert(m.bytes > 0 && m.sha256.len() == 64 && m.format == "custom", `${m}`);
      execute(db, "DELETE FROM orders WHERE item = 'vis'");
      execute(db, "CREATE TABLE junk (x int)");
      database::restore(db, "orders.dump");
      let rows = query(db, "SELECT item, qty FROM orders ORDER BY id");
      assert(rows.len() == 2 && rows[0].item == "vis" && rows[1].item == "écrou", `${rows}`);
      let counts = database::row_counts(db);
      assert(counts["public.orders"] == 2, `${counts}`);
      log(`size ${database::size(db).pretty}`);
      log("round trip ok");
"#,
        &url,
    );
    out.code(0).stdout_has("round trip ok");
    let manifest: serde_json::Value =
        serde_json::from_str(&out.read("orders.dump.manifest.json").expect("a manifest")).unwrap();
    assert_eq!(manifest["file"], "orders.dump");
    let dump = std::fs::read(out.dir.join("orders.dump")).unwrap();
    assert_eq!(manifest["bytes"], dump.len());
}

#[test]
fn a_restore_refuses_a_dump_that_does_not_match_its_manifest() {
    let url = postgres_env::server().database();
    let out = step(
        r#"
      execute(db, "CREATE TABLE t (x int)");
      database::dump(db, "t.dump");
      run(["sh", "-c", "printf x >> t.dump"]);
      database::restore(db, "t.dump");
"#,
        &url,
    );
    out.code(1)
        .stdout_has("t.dump does not match t.dump.manifest.json (sha256 ");
}

#[test]
fn migrations_of_django_and_rails() {
    let url = postgres_env::server().database();
    let out = step(
        r#"
      execute(db, "CREATE TABLE django_migrations (id serial, app text, name text, applied timestamptz DEFAULT now())");
      execute(db, "INSERT INTO django_migrations (app, name) VALUES ('orders', '0001_initial'), ('orders', '0002_price')");
      execute(db, "CREATE TABLE schema_migrations (version text)");
      execute(db, "INSERT INTO schema_migrations VALUES ('20240101000000'), ('20241122000000')");
      assert(database::latest_migration(db, "django").name == "0002_price", "django");
      assert(database::latest_migration(db, "rails").version == "20241122000000", "rails");
      assert(database::migrations(db, "django").len() == 2, "all");
      log("migrations ok");
"#,
        &url,
    );
    out.code(0).stdout_has("migrations ok");
}

#[test]
fn a_plan_records_statements_and_probes_reads_read_only() {
    let url = postgres_env::server().database();
    postgres_env::server().psql(
        &url,
        "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2);",
    );
    let text = r#"runbook "sql" {
  param db: string
  procedure p {
    step s {
      log(`rows: ${scalar(db, "SELECT count(*) FROM t")}`);
      // Marked a read by mistake: a probe runs only what reads by its text.
      try { execute(db, "DELETE FROM t WHERE x = 1", [], #{read: true}); } catch (e) { log(`refused: ${e}`); }
      execute(db, "DELETE FROM t");
    }
  }
}"#;
    let param = format!("db={url}");
    let plan = Test::new()
        .runbook(text)
        .args(["plan", "main.rb42", "-p", &param, "--probe"])
        .run();
    plan.code(0)
        .stdout_has("rows: 2")
        .stdout_has("$ SELECT count(*) FROM t")
        .stdout_has("change ")
        .stdout_has("$ DELETE FROM t WHERE x = 1")
        .stdout_has("$ DELETE FROM t")
        .stdout_lacks("refused: ");
    let left = postgres_env::server().psql(&url, "SELECT count(*) FROM t");
    assert_eq!(left.trim(), "2", "the plan deleted nothing");
}

/// Plans `body` as one step with `--probe` and `-p db=URL`, in `test`'s directory.
fn probe(test: Test, body: &str, url: &str) -> Output {
    let text =
        format!("runbook \"sql\" {{\n  param db: string\n  procedure p {{\n{body}\n  }}\n}}");
    let param = format!("db={url}");
    test.runbook(&text)
        .args(["plan", "main.rb42", "-p", &param, "--probe"])
        .run()
}

#[test]
fn a_probe_never_creates_a_sqlite_file_and_a_read_that_fails_is_unknown() {
    let test = Test::new();
    let file = test.path().join("missing.db");
    let url = format!("sqlite://{}", file.display());
    let out = probe(
        test,
        r#"    step s {
      let n = scalar(db, "SELECT count(*) FROM sqlite_master");
      publish("n", n);
    }
    step t { sh(`echo ${n}`); }"#,
        &url,
    );
    out.code(0)
        .stdout_has("could not probe: ")
        .stdout_has("unable to open database file")
        .stdout_lacks("would fail");
    assert!(!file.exists(), "the probe created {}", file.display());
}

#[test]
fn a_probe_of_vacuum_into_leaves_no_file() {
    let test = Test::new();
    let file = test.path().join("app.db");
    let backup = test.path().join("backup.db");
    let url = format!("sqlite://{}", file.display());
    let seed = step(
        "      execute(db, \"CREATE TABLE t (x int)\"); execute(db, \"INSERT INTO t VALUES (1)\");",
        &url,
    );
    seed.code(0);
    let body = format!(
        "    step backup {{ execute(db, \"VACUUM INTO ?\", [\"{}\"], #{{read: true}}); }}",
        backup.display()
    );
    probe(test, &body, &url)
        .code(0)
        .stdout_has("$ VACUUM INTO ?")
        .stdout_lacks("would fail");
    assert!(!backup.exists(), "the probe wrote {}", backup.display());
}

#[test]
fn a_probe_reads_nothing_an_earlier_planned_change_would_alter() {
    let url = postgres_env::server().database();
    postgres_env::server().psql(
        &url,
        "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2);",
    );
    let out = probe(
        Test::new(),
        r#"    step widen { execute(db, "ALTER TABLE t ADD COLUMN y int"); }
    step fill {
      execute(db, "INSERT INTO t (x) VALUES (3)");
      let missing = scalar(db, "SELECT count(y) FROM t");
      publish("missing", missing);
    }
    step report { sh(`echo ${missing} missing`); }"#,
        &url,
    );
    out.code(0)
        .stdout_has("$ SELECT count(y) FROM t  (not probed: follows a change planned on ")
        .stdout_lacks("would fail")
        .stdout_lacks("does not exist")
        .stdout_lacks("could not probe");
    let left = postgres_env::server().psql(&url, "SELECT count(*) FROM t");
    assert_eq!(left.trim(), "2", "the probe inserted nothing");
    let columns = postgres_env::server().psql(
        &url,
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 't'",
    );
    assert_eq!(columns.trim(), "1", "the probe added no column");
}

#[test]
fn tls_connections_are_verified_against_the_given_root() {
    let server = postgres_env::server();
    let url = server.database();
    let ca = server.ca();
    let ssl = "scalar(db, \"SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()\")";
    step(&format!("log(`tls: ${{{ssl}}}`);"), &url)
        .code(0)
        .stdout_has("tls: false");
    let verified = format!("{url}?sslmode=verify-full&sslrootcert={}", ca.display());
    step(&format!("log(`tls: ${{{ssl}}}`);"), &verified)
        .code(0)
        .stdout_has("tls: true");
    // The same server, with only the system's roots: its certificate is refused.
    let unverified = format!("{url}?sslmode=verify-full");
    step(&format!("log(`tls: ${{{ssl}}}`);"), &unverified)
        .code(1)
        .stdout_has("certificate")
        // The log line never ran (the excerpt under the failure shows its source).
        .stdout_lacks("· tls: ")
        .stdout_lacks(":postgres@");
}

#[test]
fn a_percent_encoded_password_decodes_for_the_server_and_client_tools_and_stays_masked() {
    let server = postgres_env::server();
    let canonical = server.role_with_password("rbt_encoded_pw", "p@ss!w é");
    // `!` may stand unencoded in a URL: the password as written is then not the canonical
    // encoding of the decoded one, and both must be masked.
    let url = canonical.replace("p%40ss%21w%20%C3%A9", "p%40ss!w%20%C3%A9");
    assert_ne!(url, canonical);
    let out = step(
        r#"
      log(db);
      log(`server: ${scalar(db, "SELECT current_user")}`);
      let env = pg_env(db);
      log(env.PGPASSWORD);
      let out = sh(["psql", "-X", "-w", "-At", "-c", "SELECT 'psql as ' || current_user"], #{env: env});
      log(out.stdout);
"#,
        &url,
    );
    out.code(0)
        .stdout_has("server: rbt_encoded_pw")
        .stdout_has("psql as rbt_encoded_pw")
        .stdout_has("rbt_encoded_pw:***@");
    for shown in ["p%40ss!w%20%C3%A9", "p@ss!w é", "ss!w"] {
        assert!(!out.stdout.contains(shown), "{shown}: {}", out.stdout);
        assert!(!out.stderr.contains(shown), "{shown}: {}", out.stderr);
    }
}

/// SQL actions show their parameter values in plans and in the events of a real run, a secret
/// among them masked.
#[test]
fn parameters_are_shown_with_their_statement() {
    let scratch = Test::new();
    let backup = scratch.path().join("backup.db");
    for url in [
        postgres_env::server().database(),
        format!("sqlite://{}/params.db", scratch.path().display()),
    ] {
        let insert = if url.starts_with("sqlite") {
            "INSERT INTO notes VALUES (?1, ?2)"
        } else {
            "INSERT INTO notes VALUES ($1, $2)"
        };
        let text = format!(
            "runbook \"sql\" {{\n  param db: string\n  secret pw from env \"NOTE_SECRET\"\n  procedure p {{\n    step s {{\n      execute(db, \"CREATE TABLE IF NOT EXISTS notes (who text, note text)\");\n      execute(db, \"{insert}\", [\"o'brien\", pw]);\n    }}\n  }}\n}}"
        );
        let param = format!("db={url}");
        for args in [
            vec!["plan", "main.rb42", "-p", &param],
            vec!["plan", "main.rb42", "-p", &param, "--format", "json"],
            vec!["run", "main.rb42", "-p", &param, "--format", "json"],
        ] {
            let out = Test::new()
                .runbook(&text)
                .env("NOTE_SECRET", "n0te-s3cret")
                .args(args)
                .run();
            out.code(0)
                .stdout_has(&format!("{insert}  -- parameters: 'o''brien', '***'"))
                .stdout_lacks("n0te-s3cret")
                .stdout_lacks("parameter(s)");
        }
    }
    let url = format!("sqlite://{}/vacuum.db", scratch.path().display());
    let text = format!(
        "runbook \"sql\" {{\n  param db: string\n  procedure p {{\n    step s {{\n      execute(db, \"VACUUM INTO ?\", [\"{}\"]);\n    }}\n  }}\n}}",
        backup.display()
    );
    let param = format!("db={url}");
    Test::new()
        .runbook(&text)
        .args(["plan", "main.rb42", "-p", &param])
        .run()
        .code(0)
        .stdout_has(&format!(
            "VACUUM INTO ?  -- parameters: '{}'",
            backup.display()
        ));
}

/// `database::dump` and `database::restore` on a `sqlite://` URL go through SQLite's backup
/// API: the restore brings back what the dump held, a file that is not a SQLite database is
/// refused with the database untouched, and the plan names both copies.
#[test]
fn sqlite_dump_and_restore_go_through_the_backup_api() {
    let test = Test::new();
    let db = test.path().join("app.db");
    let url = format!("sqlite://{}", db.display());
    let prepare = r#"
      execute(db, "CREATE TABLE orders (id int, item text)");
      execute(db, "INSERT INTO orders VALUES (1, 'café'), (2, 'thé')");
      let copy = database::dump(db, "app.backup");
      assert(copy.format == "sqlite" && copy.bytes > 0, `${copy}`);
      execute(db, "DELETE FROM orders");
      execute(db, "INSERT INTO orders VALUES (3, 'wrong')");
      let back = database::restore(db, "app.backup");
      log(`restored: ${query(db, "SELECT item FROM orders ORDER BY id").map(|r| r.item)}`);
"#;
    let text = format!(
        "runbook \"sql\" {{\n  param db: string\n  use \"stdlib/database.rhai\" as database\n  procedure p {{\n    step s {{\n{prepare}\n    }}\n  }}\n}}"
    );
    let param = format!("db={url}");
    let test = test.runbook(&text);
    let plan = Test::new()
        .runbook(&text)
        .args(["plan", "main.rb42", "-p", &param])
        .run();
    // The plan stops at the assertion on the copy's size, which only a run knows.
    plan.code(0)
        .stdout_has("back up")
        .stdout_has("to app.backup (SQLite backup API)");
    let out = test.args(["run", "main.rb42", "-p", &param]).run();
    out.code(0).stdout_has("restored: [\"café\", \"thé\"]");
    let dir = out.dir.clone();
    assert!(
        dir.join("app.backup").is_file(),
        "the backup file is kept: {:?}",
        std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
    );
    assert!(
        !dir.join("app.backup.partial").exists(),
        "no partial copy is left behind"
    );

    let refuse = Test::new()
        .file("garbage.db", "not a database at all\n")
        .runbook(&text.replace(
            prepare,
            r#"
      execute(db, "CREATE TABLE t (x int)");
      execute(db, "INSERT INTO t VALUES (42)");
      try { database::restore(db, "garbage.db"); } catch (e) { log(`refused: ${e}`); }
      log(`still: ${scalar(db, "SELECT x FROM t")}`);
"#,
        ));
    let db2 = refuse.path().join("other.db");
    let param2 = format!("db=sqlite://{}", db2.display());
    let restore_plan = refuse
        .command()
        .args(["plan", "main.rb42", "-p", &param2])
        .output();
    let shown = String::from_utf8_lossy(&restore_plan.expect("plan").stdout).to_string();
    assert!(
        shown.contains(
            "from garbage.db (SQLite backup API): every table of the database is replaced"
        ),
        "{shown}"
    );
    refuse
        .args(["run", "main.rb42", "-p", &param2])
        .run()
        .code(0)
        .stdout_has("refused: sqlite_restore")
        .stdout_has("garbage.db is not a SQLite database")
        .stdout_has("still: 42");
}

/// In a plan, `log_table` of rows (or cells) only a run knows logs where they come from.
#[test]
fn log_table_of_rows_a_plan_does_not_know_names_their_query() {
    let scratch = Test::new();
    let url = format!("sqlite://{}/plan.db", scratch.path().display());
    let text = "runbook \"sql\" {\n  param db: string\n  procedure p {\n    step s {\n      execute(db, \"CREATE TABLE people (id int)\");\n      log_table(query(db, \"SELECT id FROM people\"));\n      log_table([#{count: scalar(db, \"SELECT count(*) FROM people\")}]);\n    }\n  }\n}";
    let param = format!("db={url}");
    Test::new()
        .runbook(text)
        .args(["plan", "main.rb42", "-p", &param])
        .run()
        .code(0)
        .stdout_has("· ⟨query of SELECT id FROM people⟩")
        .stdout_has("· ⟨scalar of SELECT count(*) FROM people⟩")
        .stdout_lacks("unknown_value");
}

const ORDERED: &str = r#"
      execute(db, "CREATE TABLE people (id integer, full_name text, email text)");
      execute(db, "INSERT INTO people VALUES (1, 'Ada', 'ada@example.org')");
      let rows = query(db, "SELECT id, full_name, email FROM people");
      log(`rows: ${to_json(rows)}`);
      log_table(rows);
      log(`one: ${query_one(db, "SELECT email, id FROM people").to_json()}`);
      log(`hand-made: ${to_json(#{zeta: 1, alpha: 2})}`);
      publish("people", rows);
"#;

/// The keys of the first row of the value the run published as `people`, in the order written
/// in `text` (`--format json` lines or a journal).
fn published_columns(text: &str) -> Vec<String> {
    let event = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|e| e["event"] == "published" && e["name"] == "people")
        .unwrap_or_else(|| panic!("no published `people` in:\n{text}"));
    event["json"][0]
        .as_object()
        .expect("a row")
        .keys()
        .cloned()
        .collect()
}

/// A query's rows keep the `SELECT`'s column order in the JSON runbook writes (`to_json`, a
/// published value in `--format json` and in the journal) and in `log_table`, on PostgreSQL
/// and SQLite; a map made by hand sorts its keys.
#[test]
fn query_rows_keep_the_query_s_column_order_in_json() {
    let scratch = Test::new();
    let sqlite = format!("sqlite://{}/order.db", scratch.path().display());
    for url in [postgres_env::server().database(), sqlite] {
        let text = format!(
            "runbook \"sql\" {{\n  param db: string\n  procedure p {{\n    step s {{\n{ORDERED}\n    }}\n  }}\n}}"
        );
        let param = format!("db={url}");
        let out = Test::new()
            .runbook(&text)
            .args(["run", "main.rb42", "--format", "json", "-p", &param])
            .run();
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        for line in [
            r#"rows: [{\"id\":1,\"full_name\":\"Ada\",\"email\":\"ada@example.org\"}]"#,
            r#"one: {\"email\":\"ada@example.org\",\"id\":1}"#,
            r#"hand-made: {\"alpha\":2,\"zeta\":1}"#,
            "id │ full_name │ email",
        ] {
            assert!(out.stdout.contains(line), "no `{line}` in:\n{}", out.stdout);
        }
        assert_eq!(published_columns(&out.stdout), ["id", "full_name", "email"]);
        let journal = std::fs::read_to_string(out.dir.join(format!(
            ".runbook/runs/{}.jsonl",
            crate::harness::run_id(&out.dir)
        )))
        .expect("journal");
        assert_eq!(published_columns(&journal), ["id", "full_name", "email"]);
    }
}
