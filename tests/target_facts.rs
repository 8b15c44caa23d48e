//! The primitives that read the body's target instead of hand-written shell, held against what
//! the machine's own tools say, on this machine and on a host over SSH (a server on loopback,
//! so the same machine seen as another user): listening ports with their process, disk space,
//! CPUs and memory, SHA-256, dotenv files read and one key set.

use crate::command_line_secrets::{CmdlineWatch, assert_unseen};
use crate::harness::{Output, Test, free_port};
use crate::ssh::remote_test;
use crate::sshd::Sshd;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// What a tool prints, trimmed.
fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().expect(program);
    assert!(out.status.success(), "{program} {args:?} failed");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The value logged after `label=` (the run's output shows `· label=value`).
fn logged(out: &Output, label: &str) -> String {
    let needle = format!("{label}=");
    let line = out
        .lines_with(&[&needle])
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no `{needle}` in\n{}", out.stdout));
    line[line.find(&needle).expect("label") + needle.len()..].to_string()
}

/// `df -Pk PATH`'s total, in bytes.
fn df_total(path: &Path) -> i64 {
    let df = tool("df", &["-Pk", &path.to_string_lossy()]);
    let line = df.lines().nth(1).expect("a df line");
    line.split_whitespace()
        .nth(1)
        .expect("total")
        .parse::<i64>()
        .expect("KiB")
        * 1024
}

/// `MemTotal` of /proc/meminfo, in bytes.
fn mem_total() -> i64 {
    let info = std::fs::read_to_string("/proc/meminfo").expect("meminfo");
    let line = info
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .expect("MemTotal");
    let kib: i64 = line
        .trim_start_matches("MemTotal:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .expect("kB");
    kib * 1024
}

const FACTS: &str = r#"
      for l in listening_ports() {
        if l.port == PORT { log(`listener=${l.address} ${l.pid} ${l.process}`); }
      }
      log(`sha=${sha256(DIR + "/data.bin")}`);
      log(`size=${file_size(DIR + "/data.bin")}`);
      log(`cpus=${cpu_count()}`);
      log(`memory=${memory().total} ${memory().available > 0}`);
      let d = disk_free(DIR + "/not/yet/created");
      log(`disk=${d.total} ${d.free + d.used <= d.total} ${d.free_percent + d.used_percent}`);
"#;

/// Checks the facts `FACTS` logged against the machine's tools; `owner` is the listener's
/// `pid process` as the target sees it (`()` reads as nothing).
fn assert_facts(out: &Output, dir: &Path, owner: &str) {
    out.code(0);
    assert_eq!(logged(out, "listener"), format!("127.0.0.1 {owner}").trim());
    let sum = tool("sha256sum", &[&dir.join("data.bin").to_string_lossy()]);
    assert_eq!(logged(out, "sha"), sum.split_whitespace().next().unwrap());
    let size = std::fs::metadata(dir.join("data.bin"))
        .expect("data.bin")
        .len();
    assert_eq!(logged(out, "size"), size.to_string());
    assert_eq!(logged(out, "cpus"), tool("nproc", &[]));
    assert_eq!(logged(out, "memory"), format!("{} true", mem_total()));
    assert_eq!(logged(out, "disk"), format!("{} true 100", df_total(dir)));
}

#[test]
fn facts_of_this_machine_match_what_its_own_tools_say() {
    let port = free_port();
    let _listener = TcpListener::bind(("127.0.0.1", port)).expect("listen");
    let test = Test::new().file("data.bin", b"some bytes\n\x00\xff".as_slice());
    let dir = test.path().to_path_buf();
    let body = FACTS
        .replace("PORT", &port.to_string())
        .replace("DIR", &format!("{:?}", dir.to_string_lossy()));
    let out = test
        .runbook(&format!(
            "runbook \"r\" {{\n  procedure p {{\n    step facts {{{body}    }}\n  }}\n}}\n"
        ))
        .args(["run", "main.rb42"])
        .run();
    let comm = std::fs::read_to_string("/proc/self/comm").expect("comm");
    assert_facts(
        &out,
        &dir,
        &format!("{} {}", std::process::id(), comm.trim()),
    );
}

#[test]
fn facts_of_a_host_come_from_the_host_as_its_user_sees_them() {
    let server = Sshd::start();
    let port = free_port();
    // Our listener belongs to another user than the host's: listed, its owner not visible.
    let _listener = TcpListener::bind(("127.0.0.1", port)).expect("listen");
    let body = FACTS
        .replace("PORT", &port.to_string())
        .replace("DIR", "dir");
    let (test, remote) = remote_test(
        &format!(
            "runbook \"r\" {{\n  param dir: string\n@HOSTS@\n  procedure p on vm {{\n    step facts {{{body}    }}\n  }}\n}}\n"
        ),
        &[("vm", &server)],
    );
    std::fs::write(remote.join("data.bin"), b"remote bytes\n").expect("data");
    let dir = format!("dir={}", remote.display());
    let out = test.args(["run", "main.rb42", "-p", &dir]).run();
    assert_facts(&out, &remote, "");
    assert!(
        out.stdout
            .contains("read   vm$ list the listening TCP ports"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_host_sees_the_process_of_its_own_user_listening() {
    let server = Sshd::start();
    let port = free_port();
    let (test, remote) = remote_test(
        &format!(
            r#"runbook "r" {{
  param dir: string
@HOSTS@
  procedure p on vm {{
    step listen {{
      let listen = "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(60)";
      let pid = run(`setsid /usr/bin/python3 -c "${{listen}}" </dev/null >/dev/null 2>&1 & echo $!`).stdout;
      let seen = [];
      for attempt in 0..100 {{
        seen = listening_ports().filter(|l| l.port == {port});
        if !seen.is_empty() {{ break; }}
        sleep(0.1);
      }}
      run(["kill", pid]);
      log(`listener=${{seen[0].pid == parse_int(pid)}} ${{seen[0].process}}`);
    }}
  }}
}}"#
        ),
        &[("vm", &server)],
    );
    let dir = format!("dir={}", remote.display());
    let out = test.args(["run", "main.rb42", "-p", &dir]).run();
    out.code(0);
    assert_eq!(logged(&out, "listener"), "true python3");
}

const SECRET: &str = "pw-dotenv-never-on-argv-7f1d";

const DOTENV: &str = "# database\nexport DB_POOL=5 # per worker\nDB_PASSWORD=old\n\n# app\nNAME='my app'\nDB_POOL=6\n";

/// `mktemp` that lingers, so the watcher sees the write's command line while it runs.
const SLOW_MKTEMP: &str = "#!/bin/sh\nsleep 0.5\nexec /usr/bin/mktemp \"$@\"\n";

#[test]
fn a_dotenv_key_set_keeps_comments_and_order_and_keeps_its_value_off_command_lines() {
    let test = Test::new()
        .file(".env", DOTENV)
        .file("bin/mktemp", SLOW_MKTEMP)
        .runbook(
            r#"runbook "r" {
  secret password from env "DB_PASSWORD"
  procedure p {
    step set {
      log(`previous=${dotenv_set(".env", "DB_POOL", 12)}`);
      dotenv_set(".env", "DB_PASSWORD", password);
      log(`absent=${dotenv_set(".env", "NEW_KEY", "two words")}`);
      let after = dotenv_read(".env");
      log(`after=${after.DB_POOL} ${after.NAME} ${after.DB_PASSWORD == password}`);
    } rollback none "a test"
  }
}"#,
        )
        .env("DB_PASSWORD", SECRET);
    let dir = test.path().to_path_buf();
    let mktemp = dir.join("bin/mktemp");
    std::fs::set_permissions(&mktemp, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(dir.join(".env"), std::fs::Permissions::from_mode(0o640))
        .expect("chmod");
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    let plan = Test::new()
        .file(".env", DOTENV)
        .runbook(&std::fs::read_to_string(dir.join("main.rb42")).expect("runbook"))
        .env("DB_PASSWORD", SECRET)
        .args(["plan", "main.rb42"])
        .run();
    plan.code(0)
        .stdout_has("change local$ set DB_POOL=12 in .env")
        .stdout_has("change local$ set DB_PASSWORD=*** in .env")
        .stdout_has("read   local$ cat -- .env")
        .stdout_lacks(SECRET);
    assert_eq!(
        plan.read(".env").as_deref(),
        Some(DOTENV),
        "a plan changed the file"
    );

    let watch = CmdlineWatch::start();
    let out = test.env("PATH", &path).args(["run", "main.rb42"]).run();
    let seen = watch.finish();
    out.code(0).stdout_lacks(SECRET);
    assert_eq!(logged(&out, "previous"), "5");
    assert_eq!(logged(&out, "absent"), "");
    assert_eq!(logged(&out, "after"), "12 my app true");
    let written = std::fs::read_to_string(dir.join(".env")).expect(".env");
    assert_eq!(
        written,
        format!(
            "# database\nexport DB_POOL=12\nDB_PASSWORD={SECRET}\n\n# app\nNAME='my app'\nNEW_KEY='two words'\n"
        )
    );
    let mode = std::fs::metadata(dir.join(".env"))
        .expect(".env")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640, "the file's mode is kept");
    assert_unseen(&seen, SECRET, "mktemp");
}

#[test]
fn a_dotenv_key_set_on_a_host_writes_the_host_file() {
    let server = Sshd::start();
    let (test, remote) = remote_test(
        r#"runbook "r" {
  param dir: string
@HOSTS@
  procedure p on vm {
    step set {
      dotenv_set(dir + "/.env", "DB_POOL", "12");
      log(`read=${dotenv_read(dir + "/.env").DB_POOL}`);
    } rollback none "a test"
    step handle {
      let vm = host("vm");
      vm.dotenv_set(dir + "/.env", "DB_PASSWORD", "new");
      log(`handle=${vm.dotenv_read(dir + "/.env").DB_PASSWORD} ${vm.sha256(dir + "/.env").len() == 64} ${vm.file_size(dir + "/.env") > 0}`);
    } rollback none "a test"
  }
}"#,
        &[("vm", &server)],
    );
    std::fs::write(remote.join(".env"), DOTENV).expect(".env");
    let dir = format!("dir={}", remote.display());
    let out = test.args(["run", "main.rb42", "-p", &dir]).run();
    out.code(0).stdout_has("change vm$ set DB_POOL=12 in ");
    assert_eq!(logged(&out, "read"), "12");
    assert_eq!(logged(&out, "handle"), "new true true");
    let written = std::fs::read_to_string(remote.join(".env")).expect(".env");
    assert_eq!(
        written,
        "# database\nexport DB_POOL=12\nDB_PASSWORD=new\n\n# app\nNAME='my app'\n"
    );
}

#[test]
fn check_counts_the_arguments_of_each_fact() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  procedure p {
    step s {
      sha256();
      dotenv_set(".env", "KEY");
      log(parse_duration("1h", 2));
    } rollback none "a test"
  }
}"#,
        )
        .args(["check", "main.rb42"])
        .run();
    out.code(2)
        .stderr_has("`sha256` takes 1 or 2 arguments, not 0")
        .stderr_has("`dotenv_set` takes 3 or 4 arguments, not 2")
        .stderr_has("`parse_duration` takes 1 argument, not 2");
}

#[test]
fn dates_and_durations_compute_as_the_date_tool_does() {
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  procedure p {
    step s {
      let t = parse_time("2024-01-31T23:59:59Z");
      log(`epoch=${t}`);
      log(`offset=${parse_time("31/01/2024 23:59 +0100", "%d/%m/%Y %H:%M %z")}`);
      log(`day=${format_time(t + parse_duration("1d"), "%Y-%m-%d")}`);
      log(`span=${format_duration(parse_duration("90m") + 30)}`);
    } rollback none "a test"
  }
}"#,
        )
        .env("TZ", "UTC")
        .args(["run", "main.rb42"])
        .run();
    out.code(0);
    assert_eq!(
        logged(&out, "epoch"),
        tool("date", &["-u", "-d", "2024-01-31T23:59:59Z", "+%s"])
    );
    assert_eq!(
        logged(&out, "offset"),
        tool("date", &["-d", "2024-01-31T23:59:00+01:00", "+%s"])
    );
    assert_eq!(logged(&out, "day"), "2024-02-01");
    assert_eq!(logged(&out, "span"), "1h30m30s");
}

#[test]
fn a_plan_shows_each_fact_as_a_read_and_learns_it_only_with_probe() {
    let runbook = r#"runbook "r" {
  procedure p {
    step s {
      log(cpu_count());
      log(`sha ${sha256("main.rb42")}`);
      log(`size ${file_size("main.rb42")}`);
    } rollback none "a test"
  }
}"#;
    let plan = |extra: &[&str]| {
        let mut args = vec!["plan", "main.rb42"];
        args.extend_from_slice(extra);
        Test::new().runbook(runbook).args(args).run()
    };
    plan(&[])
        .code(0)
        .stdout_has("read   local$ count the CPUs (nproc)")
        .stdout_has("read   local$ sha256sum -- main.rb42")
        .stdout_has("· ⟨CPU count⟩")
        .stdout_has("· sha ⟨SHA-256 of main.rb42⟩")
        .stdout_has("read   local$ stat -L -c %s -- main.rb42")
        .stdout_has("· size ⟨size of main.rb42⟩");
    let probed = plan(&["--probe"]);
    probed
        .code(0)
        .stdout_has(&format!("· {}", tool("nproc", &[])))
        .stdout_lacks("⟨");
}

/// A doc page lists what each fact would read, and what `dotenv_set` would change, as the
/// plan does, without reading anything.
#[test]
fn a_doc_page_shows_what_each_fact_reads() {
    let runbook = r#"runbook "r" {
  procedure p {
    step s {
      log(cpu_count());
      log(memory());
      log(sha256("main.rb42"));
      log(disk_free("/"));
      log(listening_ports());
      log(dotenv_read(".env"));
      dotenv_set(".env", "A", "1");
    } rollback none "a test"
  }
}"#;
    let doc = Test::new()
        .runbook(runbook)
        .args(["doc", "main.rb42"])
        .run();
    doc.code(0).stdout_has(
        "# cpu_count: count the CPUs (nproc)\n\
         # memory: read the memory sizes (/proc/meminfo)\n\
         # sha256sum -- main.rb42\n\
         # disk_free: measure the free disk space of / (df)\n\
         # listening_ports: list the listening TCP ports (/proc/net/tcp, tcp6)\n\
         # dotenv_read: cat -- .env\n\
         # dotenv_set: set A=1 in .env\n",
    );
    assert!(
        !doc.dir.join(".env").exists(),
        "a doc page wrote the dotenv file"
    );
}
