//! `on vm` means on vm for HTTP, WebSocket and SQL too: each request and database connection
//! of a body on a host goes through a forward of the host's SSH connection, to the address as
//! the host sees it. The hosts are network namespaces ([`Namespace`]) whose servers listen on
//! their own loopback, which this machine cannot reach.

use crate::harness::{Output, Test};
use crate::sshd::Sshd;
use crate::tunnel_env::Namespace;

/// A test of `runbook` (after `@HOSTS@` is replaced) whose hosts are `namespaces`, by name.
fn test(runbook: &str, namespaces: &[(&str, &Namespace)]) -> Test {
    let hosts: String = namespaces
        .iter()
        .map(|(name, ns)| ns.host_line(name))
        .collect();
    let test = Test::new().runbook(&runbook.replace("@HOSTS@", &hosts));
    let known = test.path().join("known_hosts");
    let servers: Vec<&Sshd> = namespaces.iter().map(|(_, ns)| &ns.sshd).collect();
    crate::sshd::known_hosts(&known, &servers);
    test.env("RUNBOOK_KNOWN_HOSTS", &known.to_string_lossy())
        .env("RUNBOOK_SSH_CONFIG", "none")
}

/// Runs `main.rb42` with `ns`'s ports as parameters.
fn run(test: Test, ns: &Namespace, command: &str) -> Output {
    let http = format!("http={}", ns.http_port);
    let https = format!("https={}", ns.https_port);
    test.args([command, "main.rb42", "-p", &http, "-p", &https])
        .run()
}

/// Nothing listens on `port` of this machine's loopback: a request from here must fail.
fn closed_here(port: u16) {
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "something listens on 127.0.0.1:{port} here: the test needs it free"
    );
}

#[test]
fn a_request_to_the_host_s_localhost_goes_through_the_host_with_tls_checked_by_its_name() {
    let ns = Namespace::new();
    closed_here(ns.http_port);
    let test = test(
        r#"runbook "r" {
  param http: int
  param https: int
@HOSTS@
  procedure p on vm {
    step through {
      let r = http_get(`http://localhost:${http}/health`);
      log(`through: ${r.status} ${r.text}`);
      try { http_get(`http://localhost:${http}/health`, #{via: "local"}); log("local: reached"); }
      catch (e) { log(`local: ${e}`); }
      let s = http_get(`https://localhost:${https}/`, #{ca: "server.pem"});
      log(`https: ${s.status}`);
      try { http_get(`https://127.0.0.1:${https}/`, #{ca: "server.pem"}); log("by address: accepted"); }
      catch (e) { log(`by address: ${e}`); }
      let w = ws_check(`ws://localhost:${http}/cgi-bin/ws`);
      log(`websocket: ${w.status}`);
    }
    step here on local {
      try { http_get(`http://localhost:${http}/health`); log("on local: reached"); }
      catch (e) { log(`on local: ${e}`); }
    }
  }
}"#,
        &[("vm", &ns)],
    );
    let cert = std::fs::read(ns.certificate()).expect("certificate");
    let test = test.file("server.pem", cert);
    let out = run(test, &ns, "run");
    out.code(0)
        .stdout_has(&format!("through: 200 healthy on {}", ns.name))
        .stdout_has(&format!(
            "local: GET http://localhost:{}/health: ",
            ns.http_port
        ))
        .stdout_lacks("local: reached")
        .stdout_has("https: 200")
        .stdout_has(&format!(
            "by address: GET https://127.0.0.1:{}/ from vm: ",
            ns.https_port
        ))
        .stdout_has("certificate not valid for name \"127.0.0.1\"")
        .stdout_lacks("by address: accepted")
        .stdout_has("websocket: 101")
        .stdout_has(&format!(
            "on local: GET http://localhost:{}/health: ",
            ns.http_port
        ));
}

#[test]
fn a_database_on_the_host_s_loopback_or_socket_is_reached_through_the_host() {
    let ns = Namespace::with_postgres();
    let dir = ns.postgres().socket_dir().display().to_string();
    let runbook = r#"runbook "r" {
  param http: int
  param https: int
  param ca: string
  param socket: string
@HOSTS@
  procedure p on vm {
    step tcp {
      let url = "postgres://postgres:postgres@localhost:5432/postgres";
      log(`tcp: ${scalar(url, "SELECT current_setting('unix_socket_directories')")}`);
      try { scalar(url, "SELECT 1", [], #{via: "local"}); log("local: reached"); }
      catch (e) { log(`local: ${e}`); }
    }
    step tls {
      let url = `postgres://postgres:postgres@localhost:5432/postgres?sslmode=verify-full&sslrootcert=${ca}`;
      log(`tls: ${scalar(url, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")}`);
    }
    step socket {
      let url = `postgres://postgres@/postgres?host=${socket}`;
      log(`socket: ${scalar(url, "SELECT 'over the socket'")}`);
    }
  }
}"#;
    let test = test(runbook, &[("vm", &ns)]);
    let ca = format!("ca={}", ns.postgres().ca().display());
    let socket = format!("socket={dir}");
    let local_server = std::net::TcpStream::connect(("127.0.0.1", 5432)).is_ok();
    let out = test
        .args(["run", "main.rb42", "-p", "http=1", "-p", "https=1"])
        .args(["-p", &ca, "-p", &socket])
        .run();
    out.code(0)
        .stdout_has(&format!("tcp: {dir}"))
        .stdout_has("tls: true")
        .stdout_has("socket: over the socket");
    if !local_server {
        // The password is the user's and the database's name too: all three are masked.
        out.stdout_has("local: cannot connect to ***://***:***@localhost:5432/***: ");
    }
    out.stdout_lacks("local: reached");
}

#[test]
fn a_fan_out_sees_each_host_s_own_server() {
    let namespaces = [Namespace::new(), Namespace::new(), Namespace::new()];
    let test = test(
        r#"runbook "r" {
  param http: int
  param https: int
@HOSTS@
  group all [a, b, c]
  procedure p on all {
    step check {
      let r = http_get(`http://localhost:${http}/health`, #{expect: 200});
      log(`${target().name} sees ${r.text}`);
    }
  }
}"#,
        &[
            ("a", &namespaces[0]),
            ("b", &namespaces[1]),
            ("c", &namespaces[2]),
        ],
    );
    let out = run(test, &namespaces[0], "run");
    out.code(0);
    for (host, ns) in ["a", "b", "c"].iter().zip(&namespaces) {
        out.stdout_has(&format!("{host} sees healthy on {}", ns.name));
    }
}

#[test]
fn a_closed_port_on_the_host_is_named_with_the_host_s_reason() {
    let ns = Namespace::new();
    let test = test(
        r#"runbook "r" {
  param http: int
  param https: int
@HOSTS@
  procedure p on vm {
    step sql {
      try { scalar("postgres://app:pw@localhost:5999/x", "SELECT 1"); }
      catch (e) { log(`sql: ${e}`); }
    }
    step http { http_get("http://localhost:5999/"); }
  }
}"#,
        &[("vm", &ns)],
    );
    let out = run(test, &ns, "run");
    out.code(1)
        .stdout_has("sql: cannot reach localhost:5999 from vm: connection refused")
        .stdout_has("vm: cannot reach localhost:5999 from vm: connection refused");
    let runs = out.dir.join(".runbook/runs");
    let journal: String = std::fs::read_dir(&runs)
        .expect("a journal")
        .filter_map(Result::ok)
        .map(|entry| std::fs::read_to_string(entry.path()).unwrap_or_default())
        .collect();
    assert!(
        journal.contains(r#""error_kind":"unreachable""#),
        "the error kind is unreachable: {journal}"
    );
}

#[test]
fn a_host_whose_sshd_refuses_forwarding_is_named_with_the_fix() {
    let ns = Namespace::refusing_forwards();
    let test = test(
        r#"runbook "r" {
  param http: int
  param https: int
@HOSTS@
  procedure p on vm {
    step http { http_get(`http://localhost:${http}/health`); }
  }
}"#,
        &[("vm", &ns)],
    );
    let out = run(test, &ns, "run");
    out.code(1).stdout_has(&format!(
        "vm: cannot reach localhost:{} from vm: the SSH server refuses forwarding (allow it in \
         vm's sshd_config: `AllowTcpForwarding yes`",
        ns.http_port
    ));
}

#[test]
fn a_probe_reads_through_the_host_too() {
    let ns = Namespace::new();
    let test = test(
        r#"runbook "r" {
  param http: int
  param https: int
@HOSTS@
  procedure p on vm {
    step check {
      let r = http_get(`http://localhost:${http}/health`);
      log(`probed: ${r.text}`);
    }
  }
}"#,
        &[("vm", &ns)],
    );
    let http = format!("http={}", ns.http_port);
    let out = test
        .args(["plan", "main.rb42", "-p", &http, "-p", "https=1", "--probe"])
        .run();
    out.code(0)
        .stdout_has(&format!("probed: healthy on {}", ns.name));
}

#[test]
fn a_step_timeout_closes_the_channel_of_its_request() {
    let ns = Namespace::new();
    // Still connected to the server from inside the namespace: sshd's end of the channel.
    // A channel left open would stay so while the server sleeps (30 s).
    let count = format!(
        "for i in $(seq 50); do \
           n=$(ip netns exec {} ss -Htn state established dst 127.0.0.1:{} | wc -l); \
           [ \"$n\" = 0 ] && break; sleep 0.1; \
         done; echo \"still open: $n\"",
        ns.name, ns.http_port
    );
    let runbook = r#"runbook "r" {
  param http: int
  param https: int
@HOSTS@
  procedure p on vm {
    step slow timeout 2s { http_get(`http://localhost:${http}/cgi-bin/slow`, #{timeout: 60}); }
    finally { sh(@COUNT@); }
  }
}"#
    .replace("@COUNT@", &format!("{count:?}"));
    let test = test(&runbook, &[("vm", &ns)]);
    let marker = ns.slow_marker();
    let during = format!(
        "ip netns exec {} ss -Htn state established dst 127.0.0.1:{} | wc -l",
        ns.name, ns.http_port
    );
    let (out, open_during) = std::thread::scope(|scope| {
        // While the request waits, the count sees its connection: the filter is right.
        let watcher = scope.spawn(|| {
            for _ in 0..400 {
                if marker.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            let out = std::process::Command::new("sh")
                .args(["-c", &during])
                .output()
                .expect("ss");
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        });
        let out = run(test, &ns, "run");
        (out, watcher.join().expect("the watcher"))
    });
    assert_eq!(open_during, "1", "the request's connection, while it waits");
    out.code(1).stdout_has("still open: 0");
}

#[test]
fn a_tunnel_killed_mid_request_fails_the_step_naming_host_and_address() {
    let mut ns = Namespace::new();
    let test = test(
        r#"runbook "r" {
  param http: int
  param https: int
@HOSTS@
  procedure p on vm {
    step slow { http_get(`http://localhost:${http}/cgi-bin/slow`, #{timeout: 60}); }
  }
}"#,
        &[("vm", &ns)],
    );
    let marker = ns.slow_marker();
    let http = format!("http={}", ns.http_port);
    let sshd = &mut ns.sshd;
    let out = std::thread::scope(|scope| {
        let killer = scope.spawn(move || {
            // A hang detector, not a timing assertion.
            for _ in 0..800 {
                if marker.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            assert!(marker.exists(), "the slow request never reached the server");
            sshd.kill();
        });
        let out = test
            .args(["run", "main.rb42", "-p", &http, "-p", "https=1"])
            .run();
        killer.join().expect("the killer");
        out
    });
    out.code(1).stdout_has(&format!(
        "vm: cannot reach localhost:{} from vm",
        ns.http_port
    ));
}

#[test]
fn plans_name_the_host_a_request_or_a_statement_starts_from() {
    let ns = Namespace::new();
    let test = test(
        r#"runbook "r" {
  param http: int
  param https: int
@HOSTS@
  procedure p on vm {
    step check {
      http_get(`http://localhost:${http}/health`);
      execute("postgres://app:s3cret@localhost:5432/shop", "DELETE FROM t");
    }
    step here on local { http_get(`http://localhost:${http}/health`); }
  }
}"#,
        &[("vm", &ns)],
    );
    let out = run(test, &ns, "plan");
    out.code(0)
        .stdout_has(&format!(
            "http@vm$ GET http://localhost:{}/health",
            ns.http_port
        ))
        .stdout_has("sql@vm$ DELETE FROM t  -- in postgres://app:***@localhost:5432/shop")
        .stdout_has(&format!(
            "http@localhost:{0}$ GET http://localhost:{0}/health",
            ns.http_port
        ))
        .stdout_lacks("s3cret");
}

#[test]
fn redirects_and_timeouts_through_the_host_behave_as_here() {
    let ns = Namespace::new();
    let test = test(
        r#"runbook "r" {
  param http: int
  param https: int
@HOSTS@
  procedure p on vm {
    step redirects {
      let r = http_get(`http://localhost:${http}/cgi-bin/redirect`);
      log(`same authority: ${r.status} ${r.url} ${r.text}`);
      let e = http_get(`http://localhost:${http}/cgi-bin/elsewhere`, #{ca: "server.pem"});
      log(`other authority: ${e.status} ${e.url}`);
      let none = http_get(`http://localhost:${http}/cgi-bin/redirect`, #{redirects: 0});
      log(`not followed: ${none.status}`);
      try { http_get(`http://localhost:${http}/cgi-bin/elsewhere`, #{redirects: 1, ca: "server.pem"}); log("one: followed"); }
      catch (e) { log(`one: ${e}`); }
    }
    step timeout { http_get(`http://localhost:${http}/cgi-bin/slow`, #{timeout: 1}); }
  }
}"#,
        &[("vm", &ns)],
    );
    let cert = std::fs::read(ns.certificate()).expect("certificate");
    let out = run(test.file("server.pem", cert), &ns, "run");
    out.code(1)
        .stdout_has(&format!(
            "same authority: 200 http://localhost:{}/health healthy on {}",
            ns.http_port, ns.name
        ))
        .stdout_has(&format!(
            "other authority: 200 https://localhost:{}/",
            ns.https_port
        ))
        .stdout_has("not followed: 302")
        .stdout_has("one: followed")
        .stdout_has(&format!(
            "GET http://localhost:{}/cgi-bin/slow from vm: no answer within 1s",
            ns.http_port
        ));
}
