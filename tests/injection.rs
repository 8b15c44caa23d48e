//! One sweep of shell-injection attempts across every primitive that builds a command, a path,
//! a query or a request: each hostile value arrives as data, byte-exact; a marker file that a
//! successful injection would create never exists; a NUL byte is refused, never cut off.

use crate::docker_env::{BUSYBOX, Container};
use crate::http_env::HttpServer;
use crate::postgres_env;
use crate::ssh::remote_test;
use crate::sshd::Sshd;

/// `values(marker)`: words that run `touch MARKER` wherever a shell takes them as code.
const HOSTILE: &str = r#"
fn values(marker) {
    [
        `; touch ${marker}`, `| touch ${marker}`, `&& touch ${marker}`, `$(touch ${marker})`,
        "`touch " + marker + "`", `'; touch ${marker}; '`, `"; touch ${marker}; "`,
        "x\ntouch " + marker, "two  spaces", "*", "-rf", "--help", "~", "\\", "$HOME", "%s%n",
    ]
}

/// Calls `f` with the NUL-holding value and returns the error it raised.
fn refusal(f) {
    try { f.call("a\x00b"); } catch (e) { return `${e}`; }
    throw "a NUL byte was accepted";
}
"#;

const SWEEP: &str = r#"runbook "injection" {
  param marker: string
  param dir: string
  param db: string
  param pg: string
  param web: string
  param container: string
  use "hostile.rhai" as hostile
  use "stdlib/backup.rhai" as backup
  use "stdlib/database.rhai" as database
@HOSTS@
  procedure sweep {
    step local {
      for v in hostile::values(marker) {
        assert(sh(["printf", "%s", v]).stdout == v, `sh argv: ${v}`);
        assert(sh(`printf %s ${quote(v)}`).stdout == v, `sh quote: ${v}`);
        assert(sh("printf %s \"$V\"", #{env: #{V: v}}).stdout == v, `sh env: ${v}`);
        assert(sh("cat", #{stdin: v}).stdout == v, `sh stdin: ${v}`);
        assert(run(["printf", "%s", v]).stdout == v, `run argv: ${v}`);
        assert(run(`printf %s ${quote(v)}`).stdout == v, `run quote: ${v}`);
      }
      for f in [|v| sh(["printf", "%s", v]), |v| quote(v), |v| run(["printf", v])] {
        log(`NUL refused: ${hostile::refusal(f)}`);
      }
    }
    step remote on vm {
      let marker = `${dir}/pwned`;
      for v in hostile::values(marker) {
        assert(run(["printf", "%s", v], #{cwd: dir}).stdout == v, `run argv: ${v}`);
        assert(run(`printf %s ${quote(v)}`, #{cwd: dir}).stdout == v, `run quote: ${v}`);
        assert(run("printf %s \"$V\"", #{cwd: dir, env: #{V: v}}).stdout == v, `run env: ${v}`);
        let path = `${dir}/files/${v}`;
        remote_write(path, v);
        assert(remote_exists(path), `remote_exists: ${v}`);
        assert(remote_read(path) == v, `remote_read: ${v}`);
        download(path, "downloaded");
        assert(read_file("downloaded") == v, `download: ${v}`);
        upload("downloaded", `${path}.up`);
        assert(remote_read(`${path}.up`) == v, `upload: ${v}`);
      }
      for f in [|v| run(["printf", "%s", v]), |v| remote_write(`${dir}/${v}`, "x"),
                |v| remote_exists(`${dir}/${v}`), |v| remote_read(v), |v| download(v, "x"),
                |v| upload("downloaded", v)] {
        log(`NUL refused: ${hostile::refusal(f)}`);
      }
    }
    step services {
      execute(db, "CREATE TABLE t (v text)");
      let d = docker();
      for v in hostile::values(marker) {
        execute(db, "INSERT INTO t VALUES (?1)", [v]);
        assert(scalar(db, "SELECT count(*) FROM t WHERE v = ?1", [v]) == 1, `sql: ${v}`);
        assert(d.exec(container, ["printf", "%s", v]).stdout == v, `docker exec: ${v}`);
        assert(d.exec(container, `printf %s ${quote(v)}`).stdout == v, `docker exec quote: ${v}`);
        try {
          let echo = parse_json(http_post(`${web}/echo`, #{query: #{q: v}, headers: #{"x-v": v}}).text);
          assert(echo.headers["x-v"] == v, `http header: ${v}`);
        } catch (e) {
          assert(v.contains("\n"), `http: ${e}`);
          log(`header refused: ${e}`);
        }
      }
      assert(!d.exec(container, ["test", "-e", "/tmp/pwned"], #{check: false}).ok, "docker");
      log(`NUL refused: ${hostile::refusal(|v| docker().exec(container, ["printf", v]))}`);
    }
    step stdlib {
      for v in hostile::values(marker) {
        sh(["mkdir", "-p", "--", v]);
        write_file(`${v}/f`, v);
        backup::archive(v, `${v}.tgz`);
        backup::restore(`${v}.tgz`, `${v}.restored`);
        assert(read_file(`${v}.restored/f`) == v, `backup: ${v}`);
        database::dump(pg, `${v}.dump`);
        database::restore(pg, `${v}.dump`);
      }
    }
  }
}"#;

#[test]
fn hostile_values_stay_data_in_every_primitive_and_nul_is_refused() {
    let server = Sshd::start();
    let web = HttpServer::start();
    let container = Container::start(BUSYBOX, "inject", &[], &[]);
    let (test, remote) = remote_test(SWEEP, &[("vm", &server)]);
    let db = format!("sqlite://{}/t.db", test.path().display());
    let params = [
        "marker=pwned".to_string(),
        format!("dir={}", remote.display()),
        format!("db={db}"),
        format!("pg={}", postgres_env::server().database()),
        format!("web={}", web.url("")),
        format!("container={}", container.name),
    ];
    let mut args = vec!["run", "main.rb42"];
    for p in &params {
        args.extend(["-p", p.as_str()]);
    }
    let local = test.path().to_path_buf();
    let out = test.file("hostile.rhai", HOSTILE).args(args).run();
    out.code(0);
    assert!(!local.join("pwned").exists(), "a local injection ran");
    assert!(!remote.join("pwned").exists(), "a remote injection ran");
    let refusals = out.lines_with(&["NUL refused: "]);
    assert_eq!(refusals.len(), 3 + 6 + 1, "{}", out.stdout);
    for line in &refusals {
        let (_, why) = line.split_once("NUL refused: ").unwrap_or_default();
        assert!(
            why.to_lowercase().contains("nul"),
            "unclear refusal: {line}"
        );
    }
    // Each query value the server read is the header value the body checked.
    let requests = web.requests();
    assert_eq!(
        requests.len(),
        15,
        "one request per value without a newline"
    );
    for r in &requests {
        assert_eq!(query_value(&r.path).as_deref(), r.header("x-v"), "{r:?}");
    }
}

/// The decoded value of `q` in a request target (`/echo?q=…`).
fn query_value(target: &str) -> Option<String> {
    let raw = target.split_once("?q=")?.1.as_bytes();
    let mut bytes = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(raw.get(i + 1..i + 3)?).ok()?;
                bytes.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => bytes.push(b),
        }
        i += 1;
    }
    String::from_utf8(bytes).ok()
}
