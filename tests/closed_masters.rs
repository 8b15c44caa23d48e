//! A host's SSH master closes as soon as the procedure has nothing left to run there: over
//! many hosts a run keeps about `forks` masters, not one per host, and still connects once per
//! host for all its steps; a rollback owed on a host already closed connects to it again.

use crate::harness::{Output, Test};
use crate::ssh::remote_test;
use crate::sshd::Sshd;
use std::path::Path;

/// The test with its own temporary directory, where runbook makes its control directory: a
/// body can count the masters open (`.ssh-connection*`, one per master) with `sh`.
fn counting(runbook: &str, servers: &[(&str, &Sshd)]) -> (Test, std::path::PathBuf) {
    let (test, remote) = remote_test(runbook, servers);
    let tmp = test.path().join("tmp");
    std::fs::create_dir_all(&tmp).expect("mkdir tmp");
    let test = test.env("TMPDIR", &tmp.to_string_lossy());
    (test, remote)
}

fn masters_seen(remote: &Path, host: &str, out: &Output) -> usize {
    let seen = std::fs::read_to_string(remote.join(format!("masters-{host}")))
        .unwrap_or_else(|_| panic!("the last step never ran on {host}:\n{}", out.stdout));
    seen.trim().parse().expect("a count")
}

#[test]
fn hosts_done_with_their_last_step_close_their_masters_and_each_host_connects_once() {
    let server = Sshd::start();
    let names: Vec<String> = (1..=6).map(|n| format!("h{n}")).collect();
    let servers: Vec<(&str, &Sshd)> = names.iter().map(|n| (n.as_str(), &server)).collect();
    let runbook = format!(
        r#"runbook "r" {{
  param dir: string
@HOSTS@
  group fleet [{}]
  procedure p on fleet forks 1 {{
    step one {{ run("true"); }}
    step two {{ run("true"); }}
    step count {{
      run("true");
      sh(`ls -d "$TMPDIR"/runbook-ssh-*/.ssh-connection* | wc -l > ${{dir}}/masters-${{target().name}}`);
    }}
  }}
}}"#,
        names.join(", ")
    );
    let (test, remote) = counting(&runbook, &servers);
    let dir = format!("dir={}", remote.display());
    let out = test.args(["run", "main.rb42", "-p", &dir]).run();
    out.code(0);
    // One host at a time: when the sixth runs its last step, the five before it are done.
    let last = masters_seen(&remote, "h6", &out);
    assert!(
        last <= 2,
        "the masters of the hosts done closed: {last} open on the last host, not 6"
    );
    assert_eq!(
        server.connections(),
        6,
        "three steps on six hosts: one connection per host\n{}",
        server.log()
    );
}

#[test]
fn a_rollback_owed_on_hosts_done_with_their_steps_reconnects_to_them() {
    let server = Sshd::start();
    let servers = [("a", &server), ("b", &server), ("c", &server)];
    let (test, remote) = counting(
        r#"runbook "r" {
  param dir: string
@HOSTS@
  group web [a, b, c]
  procedure p {
    step first on web forks 1 {
      run(`touch ${dir}/first-${target().name}`);
    } rollback {
      run(`touch ${dir}/undone-${target().name}`);
    }
    step boom on c { fail("c is broken"); }
  }
}"#,
        &servers,
    );
    let dir = format!("dir={}", remote.display());
    let out = test.args(["run", "main.rb42", "-p", &dir]).run();
    out.code(1)
        .stdout_has("c: c is broken")
        .stdout_has("rolled back first on a, b, c");
    for host in ["a", "b", "c"] {
        assert!(
            remote.join(format!("undone-{host}")).exists(),
            "the rollback ran on {host}"
        );
    }
    assert_eq!(
        server.connections(),
        5,
        "a and b closed after their last step and connected again for the rollback; c kept \
         its master\n{}",
        server.log()
    );
}
