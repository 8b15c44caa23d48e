//! HTTP against real servers on loopback: methods, headers, bodies, statuses, redirects,
//! timeouts, waits, the WebSocket upgrade, token masking, and the seed's smoke tests.

use crate::certificates::{self, CA_FILE, SERVER_CERT};
use crate::harness::{Output, Test, free_port};
use crate::http_env::{HttpServer, TOKEN};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `body` as one step, with `-p base=URL` and the token secret in the environment.
fn step(body: &str, server: &HttpServer) -> Output {
    let text = format!(
        "runbook \"http\" {{\n  param base: string\n  secret token from env \"API_TOKEN\"\n  procedure p {{\n    step s {{\n{body}\n    }}\n  }}\n}}"
    );
    let param = format!("base={}", server.url(""));
    Test::new()
        .runbook(&text)
        .env("API_TOKEN", TOKEN)
        .args(["run", "main.rb42", "-p", &param])
        .run()
}

#[test]
fn requests_carry_methods_headers_queries_and_bodies() {
    let server = HttpServer::start();
    let out = step(
        r#"
      let r = http_post(`${base}/echo`, #{json: #{name: "café", qty: 2}, headers: #{"X-Trace": "abc"}, query: #{dry: "no"}});
      assert(r.status == 200 && r.ok, `${r.status}`);
      assert(r.json.method == "POST" && r.json.headers["x-trace"] == "abc" && r.json.query == "dry=no", r.text);
      assert(parse_json(r.json.body).name == "café", r.json.body);
      assert(r.json.headers["content-type"] == "application/json", r.text);
      let f = http_put(`${base}/echo`, #{form: #{a: "1 2", b: "é"}});
      assert(f.json.body == "a=1+2&b=%C3%A9", f.json.body);
      assert(http_patch(`${base}/echo`, #{body: "raw"}).json.body == "raw", "patch");
      assert(http_delete(`${base}/echo`).json.method == "DELETE", "delete");
      let h = http_head(`${base}/ok`);
      assert(h.status == 200 && h.text == "" && h.headers["content-length"] == "2", `${h}`);
      assert(json_path(http_get(`${base}/json`), "items[1].name") == "b", "json path");
      assert(body_contains(http_get(`${base}/ok`), "ok"), "contains");
      assert(http_get(`${base}/auth`, #{bearer: token}).status == 200, "bearer");
      assert(http_get(`${base}/auth`).status == 401, "no bearer");
      log("requests ok");
"#,
        &server,
    );
    out.code(0).stdout_has("requests ok");
    let auth = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/auth" && r.header("authorization").is_some())
        .expect("the bearer request");
    assert_eq!(
        auth.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[test]
fn basic_authentication_sends_the_password_and_shows_only_the_user() {
    let server = HttpServer::start();
    let out = step(
        r#"
      let r = http_post(`${base}/echo`, #{basic: #{user: "ops", password: token}});
      log(`basic: ${r.status}`);
      try { http_get(`${base}/echo`, #{basic: #{user: "ops"}}); } catch (e) { log(`incomplete: ${e}`); }
"#,
        &server,
    );
    out.code(0)
        .stdout_has("basic: 200")
        .stdout_has("incomplete: http: `basic` needs a text `password`")
        .stdout_lacks(TOKEN);
    let sent = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/echo")
        .expect("the request");
    // base64("ops:s3cr3t-token")
    assert_eq!(
        sent.header("authorization"),
        Some("Basic b3BzOnMzY3IzdC10b2tlbg==")
    );
    let text = "runbook \"http\" {\n  secret token from env \"API_TOKEN\"\n  procedure p {\n    step s { http_post(\"http://127.0.0.1:9/hook\", #{basic: #{user: \"ops\", password: token}}); }\n  }\n}";
    let plan = Test::new()
        .runbook(text)
        .env("API_TOKEN", TOKEN)
        .args(["plan", "main.rb42"])
        .run();
    plan.code(0)
        .stdout_has("POST http://127.0.0.1:9/hook (basic auth as ops)")
        .stdout_lacks(TOKEN)
        .stdout_lacks("b3BzOnMzY3IzdC10b2tlbg");
}

#[test]
fn statuses_redirects_and_timeouts_are_reported() {
    let server = HttpServer::start();
    let out = step(
        r#"
      assert(http_get(`${base}/redirect`).url.ends_with("/ok"), "followed");
      assert(http_get(`${base}/redirect`, #{redirects: 0}).status == 302, "not followed");
      try { http_get(`${base}/redirect-loop`, #{redirects: 3}); } catch (e) { log(`loop: ${e}`); }
      try { http_get(`${base}/slow?ms=3000`, #{timeout: 0.5}); } catch (e) { log(`slow: ${e}`); }
      try { expect_status(http_get(`${base}/fail`), 200); } catch (e) { log(`fail: ${e}`); }
      http_get(`${base}/fail`, #{expect: [200, 204]});
"#,
        &server,
    );
    out.code(1)
        .stdout_has("loop: GET ")
        .stdout_has("more than 3 redirects")
        .stdout_has("slow: GET ")
        .stdout_has("no answer within 0.5s")
        .stdout_has("fail: ")
        .stdout_has("expected status 200, got 500 boom")
        .stdout_has("expected 200 or 204, got 500 boom");
}

#[test]
fn http_wait_polls_until_healthy_and_shows_each_attempt() {
    let server = HttpServer::start_with_healthy_after(3);
    let out = step(
        r#"
      let r = http_wait(`${base}/health`, #{path: "status", equals: "healthy", interval: 0.2, wait: 20});
      assert(json_path(r, "db.ok") == true, r.text);
      log("healthy now");
"#,
        &server,
    );
    out.code(0)
        .stdout_has("GET http://127.0.0.1:")
        .stdout_has("503 {\"status\":\"starting\"} (attempt 3)")
        .stdout_has("healthy now");
    let never = HttpServer::start_with_healthy_after(1000);
    let out = step(
        r#"http_wait(`${base}/health`, #{path: "status", equals: "healthy", interval: 0.2, wait: 1});"#,
        &never,
    );
    out.code(1)
        .stdout_has("did not answer status 200, status == \"healthy\" within 1s")
        .stdout_has("last: 503 {\"status\":\"starting\"}");
}

#[test]
fn wait_and_websocket_options_that_would_be_ignored_are_refused() {
    let server = HttpServer::start();
    let out = step(
        r#"
      for opts in [#{expect: 200}, #{equals: "healthy"}, #{status: "200"}, #{backoff: 0.5}, #{backoff: "2"}] {
        try { http_wait(`${base}/ok`, opts); log(`accepted ${opts}`); } catch (e) { log(`refused: ${e}`); }
      }
      try { ws_check(`${base}/ws/admin/orders/`, #{body: "x"}); } catch (e) { log(`refused: ${e}`); }
      log(`fine: ${http_wait(`${base}/ok`, #{status: 200, backoff: 2, interval: 0.1, wait: 5}).status}`);
"#,
        &server,
    );
    out.code(0)
        .stdout_lacks("accepted")
        .stdout_has("refused: http_wait: unknown option `expect`")
        .stdout_has("refused: http_wait: `equals` compares the value at `path`: give a `path` too")
        .stdout_has("refused: http_wait: option `status` must be a whole number, not string")
        .stdout_has("refused: http_wait: `backoff` must be between 1 and 10")
        .stdout_has("refused: http_wait: option `backoff` must be a number, not string")
        .stdout_has("refused: ws_check: unknown option `body`")
        .stdout_has("fine: 200");
}

#[test]
fn the_websocket_upgrade_is_checked() {
    let server = HttpServer::start();
    let out = step(
        r#"
      let ws = "ws" + base.sub_string(4);
      let r = ws_check(`${ws}/ws/admin/orders/`);
      assert(r.status == 101, `${r.status}`);
      ws_check(`${base}/ws/refused`);
"#,
        &server,
    );
    out.code(1)
        .stdout_has("the WebSocket upgrade was refused: 403");
}

#[test]
fn tokens_never_appear_and_plans_show_requests_without_sending_them() {
    let server = HttpServer::start();
    let out = step(
        r#"
      let r = http_get(`${base}/echo`, #{headers: #{"X-Api-Key": token}});
      log(r.text);
      http_post(`${base}/echo`, #{bearer: token, json: #{token: token}, insecure: true});
"#,
        &server,
    );
    out.code(0);
    assert!(!out.stdout.contains(TOKEN), "{}", out.stdout);
    let text = "runbook \"http\" {\n  param base: string\n  secret token from env \"API_TOKEN\"\n  procedure p { step s {\n    http_get(`${base}/ok`);\n    http_post(`${base}/deploy`, #{bearer: token, insecure: true});\n  } }\n}";
    let param = format!("base={}", server.url(""));
    let before = server.requests().len();
    let plan = Test::new()
        .runbook(text)
        .env("API_TOKEN", TOKEN)
        .args(["plan", "main.rb42", "-p", &param])
        .run();
    plan.code(0)
        .stdout_has("change http@127.0.0.1:")
        .stdout_has("/deploy (bearer token) [TLS NOT VERIFIED]")
        .stdout_has("read   http@127.0.0.1:");
    assert_eq!(server.requests().len(), before, "a plan sends nothing");
    let probe = Test::new()
        .runbook(text)
        .env("API_TOKEN", TOKEN)
        .args(["plan", "main.rb42", "-p", &param, "--probe"])
        .run();
    probe.code(0);
    let sent: Vec<String> = server.requests()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    // A read after the POST would not be probed: the server it reads has a planned change.
    assert_eq!(sent, ["GET /ok"], "--probe sends the GET only");
}

/// `openssl s_server -www` on 127.0.0.1: a real HTTPS server whose certificate is signed by a
/// throwaway CA; it answers 200 with a status page. Stopped when dropped.
pub struct HttpsServer {
    child: Child,
    pub port: u16,
    /// Holds the certificates, [`CA_FILE`] among them.
    pub dir: tempfile::TempDir,
}

impl HttpsServer {
    /// With a certificate signed by a throwaway CA ([`CA_FILE`]).
    pub fn start() -> HttpsServer {
        HttpsServer::start_with(certificates::make)
    }

    /// With the certificate and key `make` writes into the server's directory.
    fn start_with(make: impl FnOnce(&std::path::Path) -> Result<(), String>) -> HttpsServer {
        let dir = tempfile::tempdir().expect("temp dir");
        make(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let port = free_port();
        let child = Command::new("openssl")
            .args(certificates::s_server_args(&format!("127.0.0.1:{port}")))
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server");
        let server = HttpsServer { child, port, dir };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "openssl s_server never listened on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn https_is_verified_against_the_given_ca_and_an_exception_is_shown() {
    let server = HttpsServer::start();
    let ca = std::fs::read(server.dir.path().join(CA_FILE)).expect("the CA");
    // `ca` is a path from the runbook's directory, not from where runbook was started.
    let text = format!(
        r#"runbook "tls" {{
  param base: string = "https://127.0.0.1:{port}/"
  param ca: string = "certs/ca.pem"
  procedure p {{
    step s {{
      log(`with the CA: ${{http_get(base, #{{ca: ca}}).status}}`);
      try {{ http_get(base); }} catch (e) {{ log(`system roots only: ${{e}}`); }}
      log(`unverified: ${{http_get(base, #{{insecure: true}}).status}}`);
    }}
  }}
}}"#,
        port = server.port,
    );
    let test = || {
        Test::new()
            .file("ops/tls.rb42", &text)
            .file("ops/certs/ca.pem", &ca)
    };
    let out = test().args(["run", "ops/tls.rb42"]).run();
    out.code(0)
        .stdout_has("with the CA: 200")
        .stdout_has("system roots only: GET https://127.0.0.1:")
        .stdout_has("unverified: 200");
    let refused = out.lines_with(&["system roots only"]).join("\n");
    assert!(
        refused.to_lowercase().contains("certificate"),
        "the refusal names the certificate: {refused}"
    );
    let plan = test().args(["plan", "ops/tls.rb42"]).run();
    plan.code(0)
        .stdout_has("[TLS: also trusts ops/certs/ca.pem]")
        .stdout_has("[TLS NOT VERIFIED]");
}

#[test]
fn a_plain_self_signed_certificate_given_as_ca_is_pinned_and_its_name_still_checked() {
    let server = HttpsServer::start_with(|dir| {
        certificates::make_self_signed(dir, "DNS:localhost,IP:127.0.0.1")
    });
    let elsewhere =
        HttpsServer::start_with(|dir| certificates::make_self_signed(dir, "DNS:elsewhere.test"));
    let read = |server: &HttpsServer| {
        std::fs::read(server.dir.path().join(SERVER_CERT)).expect("the certificate")
    };
    let text = format!(
        r#"runbook "tls" {{
  procedure p {{
    step s {{
      log(`by address: ${{http_get("https://127.0.0.1:{port}/", #{{ca: "server.pem"}}).status}}`);
      log(`by name: ${{http_get("https://localhost:{port}/", #{{ca: "server.pem"}}).status}}`);
      try {{ http_get("https://127.0.0.1:{other}/", #{{ca: "elsewhere.pem"}}); }} catch (e) {{ log(`other name: ${{e}}`); }}
      try {{ http_get("https://127.0.0.1:{port}/"); }} catch (e) {{ log(`not pinned: ${{e}}`); }}
    }}
  }}
}}"#,
        port = server.port,
        other = elsewhere.port,
    );
    let out = Test::new()
        .runbook(&text)
        .file("server.pem", read(&server))
        .file("elsewhere.pem", read(&elsewhere))
        .args(["run", "main.rb42"])
        .run();
    out.code(0)
        .stdout_has("by address: 200")
        .stdout_has("by name: 200")
        .stdout_has("not pinned: GET https://127.0.0.1:");
    let refused = out.lines_with(&["other name:"]).join("\n");
    assert!(
        refused.contains(r#"certificate not valid for name "127.0.0.1""#)
            && refused.contains("elsewhere.test"),
        "a pinned certificate for another name is refused, naming both: {refused}"
    );
}

#[test]
fn the_tls_library_s_own_error_lines_appear_only_with_verbose() {
    let server = HttpsServer::start_with(|dir| {
        certificates::make_self_signed(dir, "DNS:localhost,IP:127.0.0.1")
    });
    let text = format!(
        "runbook \"tls\" {{\n  procedure p {{\n    step s {{ http_get(\"https://127.0.0.1:{}/\"); }}\n  }}\n}}",
        server.port
    );
    let run = |verbose: &[&str]| {
        let args: Vec<&str> = verbose
            .iter()
            .copied()
            .chain(["run", "main.rb42"])
            .collect();
        Test::new().runbook(&text).args(args).run()
    };
    let library_line = "failed to verify TLS certificate";
    let quiet = run(&[]);
    quiet.code(1).stdout_has("GET https://127.0.0.1:");
    for (name, text) in [("stdout", &quiet.stdout), ("stderr", &quiet.stderr)] {
        assert!(
            !text.contains(library_line) && !text.contains(" ERROR "),
            "no library log line on {name} without -v:\n{text}"
        );
    }
    let verbose = run(&["-v"]);
    verbose.code(1);
    assert!(
        verbose.stderr.contains(library_line),
        "-v shows the library's own line:\n{}",
        verbose.stderr
    );
}
