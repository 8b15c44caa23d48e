//! Remote steps against real OpenSSH servers on loopback: commands, quoting, transfers, one
//! connection per host, fan-out policies, per-host rollbacks, host keys, authentication, and
//! failures (a server killed mid-step, a hung command).

use crate::harness::{Output, Test};
use crate::sshd::{self, Sshd};
use std::path::{Path, PathBuf};

/// `host NAME "runbook-test@127.0.0.1:PORT" { identity "KEY" }` for each server.
pub fn hosts(servers: &[(&str, &Sshd)]) -> String {
    servers
        .iter()
        .map(|(name, server)| {
            format!(
                "  host {name} \"{}@127.0.0.1:{}\" {{ identity \"{}\" }}\n",
                sshd::USER,
                server.port(),
                sshd::client_key().display()
            )
        })
        .collect()
}

/// A test whose runbook reaches `servers`: their keys known, no personal ssh config, and a
/// directory `remote/` the remote user can write (passed as `-p dir=…`).
pub fn remote_test(runbook: &str, servers: &[(&str, &Sshd)]) -> (Test, PathBuf) {
    let text = runbook.replace("@HOSTS@", &hosts(servers));
    let test = Test::new().runbook(&text);
    let known = test.path().join("known_hosts");
    let all: Vec<&Sshd> = servers.iter().map(|(_, s)| *s).collect();
    sshd::known_hosts(&known, &all);
    let remote = sshd::remote_dir(&test.path().join("remote"));
    let test = test
        .env("RUNBOOK_KNOWN_HOSTS", &known.to_string_lossy())
        .env("RUNBOOK_SSH_CONFIG", "none");
    (test, remote)
}

fn run(test: Test, remote: &Path, extra: &[&str]) -> Output {
    let dir = format!("dir={}", remote.display());
    let mut args = vec!["run", "main.rb42", "-p", dir.as_str()];
    args.extend_from_slice(extra);
    test.args(args).run()
}

#[test]
fn remote_commands_quote_hostile_arguments_and_take_env_and_cwd() {
    let server = Sshd::start();
    let (test, remote) = remote_test(
        r#"runbook "r" {
  param dir: string
@HOSTS@
  procedure p on vm {
    step hostile {
      let words = ["; rm -rf /", "$(touch pwned)", "it's \"quoted\"", "two\nlines", "`id`"];
      for w in words { run(["printf", "<%s>\n", w], #{cwd: dir}); }
    }
    step env_cwd {
      let r = run("echo \"$GREETING from $(pwd)\"", #{cwd: dir, env: #{GREETING: "salut l'équipe"}});
      assert(r.stdout == `salut l'équipe from ${dir}`, r.stdout);
      let code = run("exit 7", #{check: false}).code;
      assert(code == 7, `code ${code}`);
    }
  }
}"#,
        &[("vm", &server)],
    );
    let out = run(test, &remote, &[]);
    out.code(0)
        .stdout_has("[vm] <; rm -rf />")
        .stdout_has("[vm] <$(touch pwned)>")
        .stdout_has("[vm] <it's \"quoted\">")
        .stdout_has("[vm] <two")
        .stdout_has("[vm] lines>")
        .stdout_has("[vm] <`id`>");
    assert!(!remote.join("pwned").exists(), "a substitution ran");
}

#[test]
fn one_connection_per_host_serves_every_step_guard_and_rollback() {
    let server = Sshd::start();
    let (test, remote) = remote_test(
        r#"runbook "r" {
  param dir: string
@HOSTS@
  procedure p on vm {
    guard "reachable" { run("true").ok }
    step a { run(`touch ${dir}/a`); } rollback { run(`rm ${dir}/a; touch ${dir}/a-undone`); }
    step b { for i in 0..20 { run(`echo ${i}`); } }
    step c { run("exit 1"); }
  }
}"#,
        &[("vm", &server)],
    );
    let out = run(test, &remote, &[]);
    out.code(1).stdout_has("rolled back a on vm");
    assert!(remote.join("a-undone").exists() && !remote.join("a").exists());
    assert_eq!(server.connections(), 1, "{}", server.log());
}

#[test]
fn upload_and_download_keep_every_byte() {
    let server = Sshd::start();
    let (test, remote) = remote_test(
        r#"runbook "r" {
  param dir: string
@HOSTS@
  procedure p on vm {
    step send {
      upload("release", `${dir}/app`);
      upload("blob.bin", `${dir}/single/blob.bin`, #{mode: 0o600});
      remote_write(`${dir}/app/.env`, "SECRET_KEY=é\n", #{mode: "640"});
      assert(remote_exists(`${dir}/app/nested/deep.txt`), "uploaded");
      assert(!remote_exists(`${dir}/nothing`), "nothing there");
      assert(remote_read(`${dir}/app/.env`) == "SECRET_KEY=é\n", "read back");
    }
    step fetch {
      download(`${dir}/app`, "back");
      download(`${dir}/single/blob.bin`, "back-blob.bin");
    }
  }
}"#,
        &[("vm", &server)],
    );
    let blob: Vec<u8> = (0..200_000u32).map(|i| (i * 7919 % 256) as u8).collect();
    let test = test
        .file("release/index.html", "<h1>v2</h1>")
        .file("release/nested/deep.txt", "deep\n")
        .file("blob.bin", &blob);
    let out = run(test, &remote, &[]);
    out.code(0);
    assert_eq!(std::fs::read(remote.join("single/blob.bin")).unwrap(), blob);
    assert_eq!(std::fs::read(out.dir.join("back-blob.bin")).unwrap(), blob);
    assert_eq!(out.read("back/index.html").as_deref(), Some("<h1>v2</h1>"));
    assert_eq!(out.read("back/nested/deep.txt").as_deref(), Some("deep\n"));
    assert_eq!(out.read("back/.env").as_deref(), Some("SECRET_KEY=é\n"));
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(remote.join("single/blob.bin")), 0o600);
    assert_eq!(mode(remote.join("app/.env")), 0o640);
}

/// Three servers named a, b, c; step `work` fails on b.
const FAN_OUT: &str = r#"runbook "r" {
  param dir: string
@HOSTS@
  group web [a, b, c]
  procedure p {
    step work on web forks 1 POLICY {
      let me = target().name;
      run(`touch ${dir}/${me}-work`);
      if me == "b" { fail("b is broken"); }
    } rollback {
      run(`touch ${dir}/${target().name}-undone`);
    }
    step after on web { run(`touch ${dir}/${target().name}-after`); }
  }
}"#;

fn fan_out(policy: &str) -> (Output, PathBuf, [Sshd; 3]) {
    let servers = [Sshd::start(), Sshd::start(), Sshd::start()];
    let (test, remote) = remote_test(
        &FAN_OUT.replace("POLICY", policy),
        &[("a", &servers[0]), ("b", &servers[1]), ("c", &servers[2])],
    );
    (run(test, &remote, &[]), remote, servers)
}

fn marks(remote: &Path, suffix: &str) -> Vec<String> {
    ["a", "b", "c"]
        .iter()
        .filter(|h| remote.join(format!("{h}-{suffix}")).exists())
        .map(|h| h.to_string())
        .collect()
}

#[test]
fn by_default_the_first_failure_stops_the_fan_out_and_rolls_back_where_it_ran() {
    let (out, remote, _servers) = fan_out("");
    out.code(1)
        .stdout_has("b: b is broken")
        .stdout_has("not started on c");
    assert_eq!(marks(&remote, "work"), ["a", "b"]);
    assert_eq!(
        marks(&remote, "undone"),
        ["a"],
        "rolled back only where it completed"
    );
    assert!(marks(&remote, "after").is_empty());
}

#[test]
fn rollback_always_also_undoes_the_host_where_the_step_failed() {
    let servers = [Sshd::start(), Sshd::start(), Sshd::start()];
    let (test, remote) = remote_test(
        &FAN_OUT
            .replace("POLICY", "")
            .replace("} rollback {", "} rollback always {"),
        &[("a", &servers[0]), ("b", &servers[1]), ("c", &servers[2])],
    );
    let out = run(test, &remote, &[]);
    out.code(1).stdout_has("b: b is broken");
    assert_eq!(
        marks(&remote, "undone"),
        ["a", "b"],
        "where it completed and where it failed half-way; never on c, where it did not start"
    );
}

#[test]
fn tolerate_all_continues_without_the_failed_host() {
    let (out, remote, _servers) = fan_out("tolerate all");
    out.code(0).stdout_has("left out of the remaining steps");
    assert_eq!(marks(&remote, "work"), ["a", "b", "c"]);
    assert_eq!(marks(&remote, "after"), ["a", "c"]);
    assert!(marks(&remote, "undone").is_empty());
    // The summary has a row per host.
    let rows = out.lines_with(&["a ", "b ", "c "]);
    assert!(
        rows.iter()
            .any(|r| r.starts_with("b ") && r.contains(" 1 ")),
        "{rows:?}"
    );
}

#[test]
fn a_failure_percentage_decides_the_step() {
    let (out, remote, _servers) = fan_out("tolerate 30%");
    out.code(1);
    assert_eq!(marks(&remote, "undone"), ["a"]);
    let (out, remote, _servers) = fan_out("tolerate 40%");
    out.code(0);
    assert_eq!(marks(&remote, "after"), ["a", "c"]);
}

#[test]
fn a_dry_run_lists_commands_per_host_without_connecting() {
    let servers = [Sshd::start(), Sshd::start()];
    let (test, remote) = remote_test(
        r#"runbook "r" {
  param dir: string
@HOSTS@
  group web [a, b]
  procedure p on web {
    step deploy { run(["systemctl", "restart", "app"], #{sudo: true}); upload("main.rb42", `${dir}/x`); }
  }
}"#,
        &[("a", &servers[0]), ("b", &servers[1])],
    );
    let dir = format!("dir={}", remote.display());
    let out = test.args(["plan", "main.rb42", "-p", &dir]).run();
    out.code(0)
        .stdout_has("a$ sudo -n -u root -- sh -c 'systemctl restart app'")
        .stdout_has("b$ sudo -n -u root -- sh -c 'systemctl restart app'")
        .stdout_has("b$ upload main.rb42 →");
    assert_eq!(servers[0].connections() + servers[1].connections(), 0);
}

#[test]
fn a_parameter_chooses_the_target() {
    let server = Sshd::start();
    let (test, remote) = remote_test(
        r#"runbook "r" {
  param dir: string
  param target: string
  procedure p {
    step hello on target { run(`touch ${dir}/hello`); log(target().address); }
  }
}"#,
        &[],
    );
    let known = test.path().join("known_hosts");
    sshd::known_hosts(&known, &[&server]);
    let chosen = format!("target={}@127.0.0.1:{}", sshd::USER, server.port());
    let key = sshd::client_key().display().to_string();
    // The key comes from ssh-agent-less defaults: name it through an ssh_config file.
    let config = format!("Host *\n  IdentityFile {key}\n  IdentitiesOnly yes\n");
    let test = test
        .file("ssh_config", config)
        .env("RUNBOOK_SSH_CONFIG", "ssh_config");
    let out = run(test, &remote, &["-p", &chosen]);
    out.code(0).stdout_has("127.0.0.1");
    assert!(remote.join("hello").exists());
}

#[test]
fn an_unknown_host_key_is_refused_unless_accepted_and_then_recorded() {
    let server = Sshd::start();
    let runbook = r#"runbook "r" {
  param dir: string
@HOSTS@
  procedure p on vm { step s { run("true"); } }
}"#;
    let (test, remote) = remote_test(runbook, &[("vm", &server)]);
    let empty = test.path().join("empty_known_hosts");
    std::fs::write(&empty, "").unwrap();
    let empty = empty.to_string_lossy().into_owned();
    let refused = run(test.env("RUNBOOK_KNOWN_HOSTS", &empty), &remote, &[]);
    refused
        .code(1)
        .stdout_has("the host key of vm (runbook-test@127.0.0.1:")
        .stdout_has("--accept-new-host-keys");
    let (test, remote) = remote_test(runbook, &[("vm", &server)]);
    let fresh = test.path().join("fresh_known_hosts");
    std::fs::write(&fresh, "").unwrap();
    let fresh_text = fresh.to_string_lossy().into_owned();
    let accepted = run(
        test.env("RUNBOOK_KNOWN_HOSTS", &fresh_text),
        &remote,
        &["--accept-new-host-keys"],
    );
    accepted.code(0);
    let recorded = std::fs::read_to_string(&fresh).unwrap();
    assert!(
        recorded.contains(&format!("[127.0.0.1]:{}", server.port())),
        "{recorded}"
    );
}

#[test]
fn a_changed_host_key_is_always_refused_with_both_fingerprints() {
    let server = Sshd::start();
    let impostor = Sshd::start();
    let (test, remote) = remote_test(
        r#"runbook "r" {
  param dir: string
@HOSTS@
  procedure p on vm { step s { run("true"); } }
}"#,
        &[("vm", &server)],
    );
    // known_hosts records the impostor's key under the real server's address.
    let known = test.path().join("known_hosts");
    let line = impostor
        .known_hosts_line()
        .replace(&impostor.port().to_string(), &server.port().to_string());
    std::fs::write(&known, format!("{line}\n")).unwrap();
    let out = run(test, &remote, &["--accept-new-host-keys"]);
    out.code(1)
        .stdout_has("the host key of vm")
        .stdout_has("has CHANGED")
        .stdout_has("SHA256:");
    let fingerprints: std::collections::BTreeSet<&str> = out
        .stdout
        .split_whitespace()
        .filter(|w| w.starts_with("SHA256:"))
        .map(|w| w.trim_end_matches([',', ';']))
        .collect();
    assert_eq!(fingerprints.len(), 2, "{}", out.stdout);
}

#[test]
fn a_refused_key_says_passwords_are_not_supported() {
    let server = Sshd::start();
    let (test, remote) = remote_test(
        r#"runbook "r" {
  param dir: string
@HOSTS@
  procedure p on vm { step s { run("true"); } }
}"#,
        &[("vm", &server)],
    );
    let stranger = sshd::stranger_key().display().to_string();
    let client = sshd::client_key().display().to_string();
    let text = std::fs::read_to_string(test.path().join("main.rb42"))
        .unwrap()
        .replace(&client, &stranger);
    let out = run(test.file("main.rb42", text), &remote, &[]);
    out.code(1)
        .stdout_has("vm (runbook-test@127.0.0.1:")
        .stdout_has("refused authentication")
        .stdout_has("password authentication is not supported")
        .stdout_has("ssh-copy-id");
}

#[test]
fn an_unreachable_host_is_named() {
    let server = Sshd::start();
    let port = server.port();
    drop(server);
    let text = format!(
        r#"runbook "r" {{
  host vm "{}@127.0.0.1:{port}"
  procedure p on vm {{ step s {{ run("true"); }} }}
}}"#,
        sshd::USER
    );
    let out = Test::new()
        .runbook(&text)
        .env("RUNBOOK_SSH_CONFIG", "none")
        .args(["run", "main.rb42"])
        .run();
    out.code(1).stdout_has(&format!(
        "cannot reach vm (runbook-test@127.0.0.1:{port}): connection refused"
    ));
}

#[test]
fn a_server_killed_mid_step_fails_the_step_and_the_rollback_reports_it_unreachable() {
    let mut server = Sshd::start();
    let (test, remote) = remote_test(
        r#"runbook "r" {
  param dir: string
@HOSTS@
  procedure p on vm {
    step a { run(`touch ${dir}/a`); } rollback { run(`rm ${dir}/a`); }
    step hang { run(`touch ${dir}/started; sleep 60`); }
  }
}"#,
        &[("vm", &server)],
    );
    let dir = format!("dir={}", remote.display());
    // Kept alive until the end: it owns the runbook's directory.
    let test = test.args(["run", "main.rb42", "-p", &dir]);
    let child = test
        .command()
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = remote.join("started");
    for _ in 0..400 {
        if started.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert!(started.exists(), "the long step started");
    server.kill();
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(stdout.contains("connection to vm was lost"), "{stdout}");
    assert!(
        stdout.contains("ROLLBACK OF a on vm FAILED: cannot reach vm"),
        "{stdout}"
    );
    // The rollback stays owed in the journal, for `runbook rollback RUN` once the host is back.
    let state = test.path().join(".runbook");
    let run = std::fs::read_dir(state.join("runs"))
        .expect("a journal")
        .flatten()
        .next()
        .expect("one run")
        .file_name()
        .to_string_lossy()
        .trim_end_matches(".jsonl")
        .to_string();
    let show = Test::new()
        .args(["show", &run, "--state-dir"])
        .arg_path(&state)
        .run();
    show.code(0)
        .stdout_has("rollbacks owed")
        .stdout_has("  a on vm");
}

#[test]
fn a_hung_remote_command_is_stopped_at_the_step_timeout() {
    let server = Sshd::start();
    let (test, remote) = remote_test(
        r#"runbook "r" {
  param dir: string
@HOSTS@
  procedure p on vm {
    step hang timeout 1s { run("sleep 4321"); }
  }
}"#,
        &[("vm", &server)],
    );
    let out = run(test, &remote, &[]);
    out.code(1).stdout_has("timed out");
    let left = std::process::Command::new("pgrep")
        .args(["-f", "sleep 4321"])
        .output()
        .expect("pgrep");
    assert!(
        left.stdout.is_empty(),
        "the remote command still runs: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}

#[test]
fn a_deploy_to_a_vm_restores_the_previous_release_when_a_later_step_fails() {
    let server = Sshd::start();
    let (test, remote) = remote_test(
        r#"runbook "deploy" {
  param dir: string
@HOSTS@
  procedure deploy on vm {
    guard "the application directory exists" { remote_exists(`${dir}/app`) }
    step backup "Sauvegarder l'application" {
      let archive = `${dir}/backup.tgz`;
      run(["tar", "czf", archive, "-C", `${dir}/app`, "."]);
      publish("archive", archive);
    }
    step copy "Copier la release" {
      upload("release", `${dir}/app`);
    } rollback {
      run(`rm -rf ${dir}/app && mkdir ${dir}/app && tar xzf ${archive} -C ${dir}/app`);
    }
    step health "Vérifier /health" {
      let version = remote_read(`${dir}/app/VERSION`);
      if version != "2" { fail(`unhealthy: version ${version}`); }
      run("echo health check failed >&2; exit 1");
    }
  }
}"#,
        &[("vm", &server)],
    );
    std::fs::create_dir_all(remote.join("app")).unwrap();
    std::fs::write(remote.join("app/VERSION"), "1").unwrap();
    std::fs::write(remote.join("app/old.txt"), "only in v1").unwrap();
    sshd::remote_dir(&remote.join("app"));
    let owned = std::process::Command::new("chown")
        .args(["-R", sshd::USER])
        .arg(remote.join("app"))
        .status()
        .expect("chown");
    assert!(owned.success());
    let test = test
        .file("release/VERSION", "2")
        .file("release/new.txt", "only in v2");
    let out = run(test, &remote, &[]);
    out.code(1)
        .stdout_has("health check failed")
        .stdout_has("rolled back copy on vm");
    assert_eq!(
        std::fs::read_to_string(remote.join("app/VERSION")).unwrap(),
        "1"
    );
    assert!(remote.join("app/old.txt").exists());
    assert!(
        !remote.join("app/new.txt").exists(),
        "the new release was removed"
    );
}

#[test]
fn a_group_from_an_ansible_inventory_fans_out_with_its_variables() {
    let servers = [Sshd::start(), Sshd::start()];
    let (test, remote) = remote_test(
        r#"runbook "r" {
  param dir: string
  inventory "hosts.ini"
  procedure p {
    step hello on prod forks 2 {
      let me = target();
      run(`echo ${me.vars.role} > ${dir}/${me.name}`);
    }
  }
}"#,
        &[("a", &servers[0]), ("b", &servers[1])],
    );
    let key = sshd::client_key().display().to_string();
    let inventory = format!(
        "[web]\nweb1 ansible_host=127.0.0.1 ansible_port={}\nweb2 ansible_host=127.0.0.1 ansible_port={}\n\n\
         [web:vars]\nansible_user={}\nansible_ssh_private_key_file={key}\nrole=front\n\n\
         [prod:children]\nweb\n",
        servers[0].port(),
        servers[1].port(),
        sshd::USER
    );
    let out = run(test.file("hosts.ini", inventory), &remote, &[]);
    out.code(0).stdout_has("✓ web1").stdout_has("✓ web2");
    for host in ["web1", "web2"] {
        assert_eq!(
            std::fs::read_to_string(remote.join(host)).unwrap(),
            "front\n"
        );
    }
}

/// `[web]` with a host on each server, their user and key in `[web:vars]`, and `prod` above.
fn inventory_of(servers: &[Sshd]) -> String {
    let hosts: String = servers
        .iter()
        .enumerate()
        .map(|(i, server)| {
            format!(
                "web{} ansible_host=127.0.0.1 ansible_port={}\n",
                i + 1,
                server.port()
            )
        })
        .collect();
    format!(
        "[web]\n{hosts}\n[web:vars]\nansible_user={}\nansible_ssh_private_key_file={}\n\
         role=front\n\n[prod:children]\nweb\n",
        sshd::USER,
        sshd::client_key().display()
    )
}

#[test]
fn an_inventory_given_with_dash_i_gives_its_targets_to_a_runbook_that_declares_none() {
    let servers = [Sshd::start(), Sshd::start()];
    let (test, remote) = remote_test(
        r#"runbook "r" {
  param dir: string
  procedure p {
    step hello on prod forks 2 {
      let me = target();
      run(`echo ${me.vars.role} > ${dir}/${me.name}`);
    }
    step one on web2 { run(`touch ${dir}/only-web2`); }
  }
}"#,
        &[("a", &servers[0]), ("b", &servers[1])],
    );
    let test = test.file("hosts.ini", inventory_of(&servers));
    let out = run(test, &remote, &["-i", "hosts.ini"]);
    out.code(0).stdout_has("✓ web1").stdout_has("✓ web2");
    for host in ["web1", "web2"] {
        assert_eq!(
            std::fs::read_to_string(remote.join(host)).unwrap(),
            "front\n"
        );
    }
    assert!(remote.join("only-web2").exists());
}

#[test]
fn an_inventory_given_with_dash_i_replaces_the_runbooks_own() {
    let server = Sshd::start();
    let (test, remote) = remote_test(
        r#"runbook "r" {
  param dir: string
  inventory "stale.ini"
  procedure p { step hello on web { run(`touch ${dir}/${target().name}`); } }
}"#,
        &[("a", &server)],
    );
    // The runbook's own inventory points at a port nothing listens on.
    let stale = "[web]\nold ansible_host=127.0.0.1 ansible_port=1\n";
    let test = test
        .file("stale.ini", stale)
        .file("hosts.ini", inventory_of(std::slice::from_ref(&server)));
    let out = run(test, &remote, &["--inventory", "hosts.ini"]);
    out.code(0).stdout_has("✓ web1");
    assert!(remote.join("web1").exists());
    assert!(!remote.join("old").exists());
}
