//! A fan-out over several real sshd hosts, seen as one path: the rollbacks of a step follow
//! the place and the fan-out policy of the step (a procedure's `on web forks 2` too); a value
//! published on a host is that host's, for its later steps, its rollback (also with
//! `runbook rollback RUN` after a `kill -9`); a step elsewhere sees every host's value by host.

use crate::harness::Test;
use crate::harness::run_id;
use crate::journal::{kill9, show, wait_for};
use crate::ssh::remote_test;
use crate::sshd::Sshd;
use std::path::Path;
use std::process::Stdio;

/// Four servers named a, b, c, d in group `web`.
fn four() -> [Sshd; 4] {
    [Sshd::start(), Sshd::start(), Sshd::start(), Sshd::start()]
}

/// The most hosts a phase saw inside it at once: each host writes how many were inside when it
/// entered (`in-PHASE-HOST` directories, one per host inside).
fn peak(remote: &Path, phase: &str) -> usize {
    ["a", "b", "c", "d"]
        .iter()
        .map(|h| {
            let seen = std::fs::read_to_string(remote.join(format!("peak-{phase}-{h}")))
                .unwrap_or_else(|_| panic!("{phase} never ran on {h}"));
            seen.trim().parse::<usize>().expect("a count")
        })
        .max()
        .unwrap_or_default()
}

#[test]
fn a_procedure_on_web_forks_2_rolls_back_2_hosts_at_a_time_like_its_steps() {
    let servers = four();
    // Each host stays inside a phase for a while, so hosts running together overlap; the
    // assertion is about how many ever overlapped, not about time.
    let inside = |phase: &str| {
        format!(
            "run(`mkdir ${{dir}}/in-{phase}-${{target().name}}; \
             ls -d ${{dir}}/in-{phase}-* | wc -l > ${{dir}}/peak-{phase}-${{target().name}}; \
             sleep 1; rmdir ${{dir}}/in-{phase}-${{target().name}}`);"
        )
    };
    let runbook = format!(
        r#"runbook "r" {{
  param dir: string
@HOSTS@
  group web [a, b, c, d]
  procedure p on web forks 2 {{
    step work {{ {} }} rollback {{ {} }}
    step boom {{ if target().name == "d" {{ fail("d is broken"); }} }}
  }}
}}"#,
        inside("step"),
        inside("rollback")
    );
    let (test, remote) = remote_test(
        &runbook,
        &[
            ("a", &servers[0]),
            ("b", &servers[1]),
            ("c", &servers[2]),
            ("d", &servers[3]),
        ],
    );
    let dir = format!("dir={}", remote.display());
    let out = test.args(["run", "main.rb42", "-p", &dir]).run();
    out.code(1)
        .stdout_has("d: d is broken")
        .stdout_has("rolled back work on a");
    assert!(peak(&remote, "step") <= 2, "the step ran 2 hosts at a time");
    assert!(
        peak(&remote, "rollback") <= 2,
        "its rollback follows the same policy: 2 hosts at a time, not {}",
        peak(&remote, "rollback")
    );
}

/// Three hosts publish three different values; later steps, the rollback and a step here read
/// them.
const PUBLISH: &str = r#"runbook "r" {
  param dir: string
@HOSTS@
  group web [web1, web2, web3]
  procedure p {
    step backup on web {
      let me = target().name;
      run(`echo ${me} > ${dir}/backup-of-${me}`);
      publish("backup", `${dir}/backup-of-${me}`);
    } rollback {
      run(`cat ${backup} > ${dir}/restored-on-${target().name}`);
    }
    step check on web {
      run(`cat ${backup} > ${dir}/seen-on-${target().name}`);
      run(`touch ${dir}/started-${target().name}; SLEEP`);
    }
    step here {
      sh(`echo ${backup.web1} ${backup.web2} ${backup.web3} > seen-here`);
      fail("stop here");
    }
  }
}"#;

fn three() -> [Sshd; 3] {
    [Sshd::start(), Sshd::start(), Sshd::start()]
}

fn publish_test(servers: &[Sshd; 3], sleep: &str) -> (Test, std::path::PathBuf) {
    remote_test(
        &PUBLISH.replace("SLEEP", sleep),
        &[
            ("web1", &servers[0]),
            ("web2", &servers[1]),
            ("web3", &servers[2]),
        ],
    )
}

fn read(remote: &Path, name: &str) -> String {
    std::fs::read_to_string(remote.join(name))
        .unwrap_or_else(|_| panic!("{name} was not written"))
        .trim()
        .to_string()
}

#[test]
fn a_value_published_on_each_host_is_that_hosts_for_its_later_steps_and_its_rollback() {
    let servers = three();
    let (test, remote) = publish_test(&servers, "true");
    let dir = format!("dir={}", remote.display());
    let out = test.args(["run", "main.rb42", "-p", &dir]).run();
    out.code(1).stdout_has("stop here").stdout_has(&format!(
        "web2: backup = {}/backup-of-web2",
        remote.display()
    ));
    for host in ["web1", "web2", "web3"] {
        assert_eq!(
            read(&remote, &format!("seen-on-{host}")),
            host,
            "a later step"
        );
        assert_eq!(
            read(&remote, &format!("restored-on-{host}")),
            host,
            "the rollback"
        );
    }
    // A step here sees every host's value, by host.
    let here = out.read("seen-here").expect("the step here ran");
    let expected: Vec<String> = ["web1", "web2", "web3"]
        .iter()
        .map(|h| format!("{}/backup-of-{h}", remote.display()))
        .collect();
    assert_eq!(here.trim(), expected.join(" "));
}

#[test]
fn after_kill_9_rollback_run_gives_each_host_its_own_published_value() {
    let servers = three();
    let (test, remote) = publish_test(&servers, "sleep 60");
    let dir = format!("dir={}", remote.display());
    let mut child = test
        .command()
        .args(["run", "main.rb42", "-p", &dir])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn runbook");
    for host in ["web1", "web2", "web3"] {
        wait_for(&remote.join(format!("started-{host}")));
    }
    kill9(&mut child);
    let id = run_id(test.path());
    let show = show(test.path(), &id);
    show.code(0)
        .stdout_has(&format!(
            "backup on web3 = \"{}/backup-of-web3\"",
            remote.display()
        ))
        .stdout_has("rollbacks owed");
    let owed = show.lines_with(&["  backup on "]);
    let last = owed.last().expect("backup owed");
    for host in ["web1", "web2", "web3"] {
        assert!(last.contains(host), "{last}");
    }
    let back = test.args(["rollback", &id, "--yes"]).run();
    back.code(0).stdout_has("rolled back backup on web1");
    for host in ["web1", "web2", "web3"] {
        assert_eq!(read(&remote, &format!("restored-on-{host}")), host);
    }
}

/// `runbook repl` on a runbook whose procedure `p` is `procedure`, over hosts a and b (group
/// `web`), reading `input`.
fn repl_on_two(procedure: &str, input: &str) -> crate::harness::Output {
    let servers = [Sshd::start(), Sshd::start()];
    let runbook = format!(
        "runbook \"r\" {{\n  param dir: string\n@HOSTS@\n  group web [a, b]\n  procedure p {{\n{procedure}\n  }}\n}}"
    );
    let (test, remote) = remote_test(&runbook, &[("a", &servers[0]), ("b", &servers[1])]);
    let dir = format!("dir={}", remote.display());
    test.env("RUNBOOK_HISTORY", "")
        .args(["repl", "main.rb42", "-p", &dir])
        .stdin(input)
        .run()
}

/// `:step` fans a step out over two hosts; one fails (tolerated). `:rollback` then tells its
/// own run: its host table is the rollback's, and a rollback that fails on a host is counted as
/// failed, never "✓ succeeded".
#[test]
fn the_repl_rollback_tells_its_own_run_and_counts_a_failed_host_as_failed() {
    let out = repl_on_two(
        r#"    step work on web tolerate all {
      if target().name == "b" { fail("b is broken"); }
    } rollback {
      run("true");
    }"#,
        ":step work\n:rollback\n:quit\n",
    );
    out.code(0).stdout_has("✓ succeeded (0 done, 1 rolled back");
    // After `:rollback`, the table counts the rollback only: b failed in `:step`, not here.
    let after = out
        .stdout
        .split("↩ rollback work")
        .nth(1)
        .expect("the rollback ran");
    assert!(
        !after.lines().any(|l| l.trim_start().starts_with("b ")),
        "{after}"
    );

    let out = repl_on_two(
        r#"    step other on web {
      run("true");
    } rollback {
      if target().name == "b" { fail("cannot undo on b"); }
    }"#,
        ":step other\n:rollback\n:quit\n",
    );
    out.stdout_has("ROLLBACK OF other on b FAILED: cannot undo on b")
        .stdout_has("1 rollback failed")
        .stdout_lacks("✓ succeeded (0 done");
}

#[test]
fn hosts_failing_with_the_same_error_are_named_together_once() {
    let servers = four();
    let runbook = r#"runbook "r" {
  param dir: string
@HOSTS@
  group web [a, b, c, d]
  procedure p on web tolerate all {
    step check {
      if target().name == "b" { fail("disk full on /srv"); }
      fail("the release is missing");
    }
  }
}"#;
    let (test, _remote) = remote_test(
        runbook,
        &[
            ("a", &servers[0]),
            ("b", &servers[1]),
            ("c", &servers[2]),
            ("d", &servers[3]),
        ],
    );
    let out = test.args(["run", "main.rb42", "-p", "dir=/tmp"]).run();
    // Every host runs (tolerate all): which ones fail is known, not a race.
    out.stdout_has("tolerated: a, c, d: the release is missing; b: disk full on /srv");
    let failure = out.lines_with(&["tolerated:"]);
    assert_eq!(failure.len(), 1, "{}", out.stdout);
    assert_eq!(
        failure[0].matches("the release is missing").count(),
        1,
        "three hosts, one mention: {}",
        failure[0]
    );
}

/// Twenty hosts (twenty names for one server), two of which fail the same way: the summary
/// names the two with their error and counts the eighteen others on one line, and the
/// step's failure names the two hosts once, with the error once.
#[test]
fn a_fleet_summary_lists_the_failed_hosts_and_counts_the_rest() {
    let server = Sshd::start();
    let names: Vec<String> = (1..=20).map(|n| format!("h{n:02}")).collect();
    let servers: Vec<(&str, &Sshd)> = names.iter().map(|n| (n.as_str(), &server)).collect();
    let runbook = format!(
        r#"runbook "r" {{
  param dir: string
@HOSTS@
  group fleet [{}]
  procedure p on fleet tolerate all {{
    step first {{ run("true"); }}
    step check {{
      if target().name == "h07" || target().name == "h15" {{ run("echo 'disk /var is 97% full' >&2; exit 3"); }}
    }}
  }}
}}"#,
        names.join(", ")
    );
    let (test, remote) = remote_test(&runbook, &servers);
    let dir = format!("dir={}", remote.display());
    let out = test.args(["run", "main.rb42", "-p", &dir]).run();
    let all = format!("{}{}", out.stdout, out.stderr);
    let rows: Vec<&str> = all
        .lines()
        .filter(|l| l.trim_start().starts_with("h07, h15 (2 hosts)"))
        .collect();
    assert_eq!(
        rows.len(),
        1,
        "one summary row for the two failed hosts:\n{all}"
    );
    assert!(
        rows[0].split_whitespace().nth(5) == Some("1") && rows[0].contains("disk /var is 97% full"),
        "the row says each failed once, with the error:\n{all}"
    );
    assert!(
        all.lines()
            .any(|l| l.trim_start().starts_with("18 other hosts")
                && l.split_whitespace().nth(3) == Some("2")),
        "the 18 others on one line, 2 steps ok each:\n{all}"
    );
    let warning: Vec<&str> = all.lines().filter(|l| l.contains("tolerated:")).collect();
    assert!(
        warning.len() == 1 && warning[0].contains("tolerated: h07, h15: command"),
        "the two hosts named together once in the step's warning:\n{all}"
    );
}

/// `confirm … if` on a step over several hosts: the condition is read on each host; the
/// question is asked once when it holds on any of them, and not at all when it holds on none.
#[test]
fn a_conditional_confirmation_over_hosts_asks_once_where_any_host_needs_it() {
    let servers = [Sshd::start(), Sshd::start()];
    let runbook = r#"runbook "r" {
  param dir: string
@HOSTS@
  group web [a, b]
  procedure p {
    step restart on web confirm "Redémarrer l'API ?" if { remote_exists(`${dir}/flag-${target().name}`) } {
      run(`touch ${dir}/ran-${target().name}`);
    }
  }
}"#;
    let (test, remote) = remote_test(runbook, &[("a", &servers[0]), ("b", &servers[1])]);
    let dir = format!("dir={}", remote.display());
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "main.rb42", "-p", &dir];
        args.extend_from_slice(extra);
        let out = test.command().args(args).output().expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let ran = |host: &str| remote.join(format!("ran-{host}")).exists();

    let (code, stdout) = run(&[]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("not asked"), "{stdout}");
    assert!(ran("a") && ran("b"), "{stdout}");
    for host in ["a", "b"] {
        std::fs::remove_file(remote.join(format!("ran-{host}"))).expect("remove");
    }

    std::fs::write(remote.join("flag-b"), "").expect("flag");
    let (code, stdout) = run(&[]);
    assert_eq!(code, Some(3), "no terminal: refused\n{stdout}");
    assert_eq!(
        stdout.matches("Redémarrer l'API ?").count(),
        1,
        "asked once for both hosts:\n{stdout}"
    );
    assert!(!ran("a") && !ran("b"), "{stdout}");

    let (code, stdout) = run(&["--confirm", "restart"]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(ran("a") && ran("b"), "{stdout}");
}

/// Twenty hosts failing with the same error, each naming itself in it, and two with errors of
/// their own: the step's failure says each distinct error once, on a line naming its hosts,
/// and the summary has one row for the twenty.
#[test]
fn hosts_with_the_same_error_print_it_once_naming_the_hosts() {
    let server = Sshd::start();
    let names: Vec<String> = (1..=24).map(|n| format!("h{n:02}")).collect();
    let servers: Vec<(&str, &Sshd)> = names.iter().map(|n| (n.as_str(), &server)).collect();
    // Up to 21 failures tolerated, 22 happen: the step fails once every host has run.
    let runbook = format!(
        r#"runbook "r" {{
  param dir: string
@HOSTS@
  group fleet [{}]
  procedure p on fleet tolerate 90% {{
    step check "Check the release" {{
      let name = target().name;
      if name == "h23" {{ run("echo 'disk /var is 97% full' >&2; exit 3"); }}
      if name == "h24" {{ fail("the service answered 503"); }}
      if name != "h01" && name != "h02" {{ fail(`no release on ${{name}}, expected 1.4.2`); }}
    }}
  }}
}}"#,
        names.join(", ")
    );
    let (test, remote) = remote_test(&runbook, &servers);
    let dir = format!("dir={}", remote.display());
    let out = test.args(["run", "main.rb42", "-p", &dir]).run();
    out.code(1);
    let all = format!("{}{}", out.stdout, out.stderr);
    let failure: Vec<&str> = all
        .lines()
        .skip_while(|l| !l.contains("check failed on 22 hosts:"))
        .take(4)
        .collect();
    assert_eq!(failure.len(), 4, "the failure and a line per error:\n{all}");
    // Groups come in the order the hosts failed.
    let mut errors: Vec<&str> = failure[1..].iter().map(|l| l.trim()).collect();
    errors.sort_unstable();
    assert_eq!(
        errors[0], "h03–h22: no release on ⟨host⟩, expected 1.4.2",
        "{all}"
    );
    assert!(
        errors[1].starts_with("h23: ") && errors[1].ends_with("97% full"),
        "{all}"
    );
    assert_eq!(errors[2], "h24: the service answered 503", "{all}");
    assert!(
        !all.contains("no release on h0") && !all.contains("no release on h1"),
        "no host's own copy of the shared error:\n{all}"
    );
    assert!(
        all.lines()
            .any(|l| l.trim_start().starts_with("h03–h22 (20 hosts)")
                && l.ends_with("no release on ⟨host⟩, expected 1.4.2")),
        "one summary row for the twenty:\n{all}"
    );
}

/// `--format json` keeps one event per host at 200 hosts: grouping is the terminal's.
#[test]
fn a_200_host_failure_in_json_is_one_event_per_host() {
    let closed = crate::harness::free_port();
    let inventory: String = (1..=200)
        .map(|n| format!("h{n:03} ansible_host=127.0.0.1 ansible_port={closed}\n"))
        .collect();
    let out = Test::new()
        .runbook(
            r#"runbook "r" {
  procedure p on all forks 50 tolerate all {
    step check { run("true"); }
  }
}"#,
        )
        .file("hosts.ini", format!("[fleet]\n{inventory}"))
        .env("RUNBOOK_SSH_CONFIG", "none")
        .args(["run", "main.rb42", "-i", "hosts.ini", "--format", "json"])
        .run();
    let events: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON event per line"))
        .collect();
    let hosts: std::collections::BTreeSet<&str> = events
        .iter()
        .filter(|e| e["event"] == "host_finished")
        .inspect(|e| assert_eq!(e["ok"], false, "{e}"))
        .filter_map(|e| e["host"].as_str())
        .collect();
    let finished = events
        .iter()
        .filter(|e| e["event"] == "host_finished")
        .count();
    assert_eq!((finished, hosts.len()), (200, 200), "{}", out.stdout);
    assert!(hosts.contains("h001") && hosts.contains("h200"));
}

/// Twenty-four hosts, a step failing on two of them after the others succeeded: everything
/// rolls back, and the rollbacks read like the steps: one line per outcome naming its hosts
/// (the failed rollbacks by error), not two lines per host; the header says the untitled
/// procedure once.
#[test]
fn a_fleet_rolls_back_in_a_few_lines_naming_the_hosts() {
    let server = Sshd::start();
    let names: Vec<String> = (1..=24).map(|n| format!("h{n:02}")).collect();
    let servers: Vec<(&str, &Sshd)> = names.iter().map(|n| (n.as_str(), &server)).collect();
    let runbook = format!(
        r#"runbook "r" {{
  param dir: string
@HOSTS@
  group fleet [{}]
  procedure p {{
    step prepare on fleet {{ run("true"); }} rollback {{
      let name = target().name;
      if name == "h20" || name == "h21" {{ fail(`cannot restore ${{name}}`); }}
      run("true");
    }}
    step apply on fleet tolerate all {{
      let name = target().name;
      if name == "h03" || name == "h17" {{ fail("the release is missing"); }}
    }} rollback {{ run("true"); }}
    step stop {{ fail("stop here"); }}
  }}
}}"#,
        names.join(", ")
    );
    let (test, remote) = remote_test(&runbook, &servers);
    let dir = format!("dir={}", remote.display());
    let out = test.args(["run", "main.rb42", "-p", &dir]).run();
    out.code(4);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.lines()
            .next()
            .is_some_and(|l| l.ends_with("r › p (3 steps)")),
        "the untitled procedure said once:\n{all}"
    );
    let rolled = out.lines_with(&["rolled back ", "ROLLBACK OF", "rollback "]);
    assert!(
        rolled.len() <= 8,
        "a few lines for 46 rollbacks, not two per host:\n{all}"
    );
    out.stdout_has("rolled back apply on h01, h02, h04–h16, h18–h24 (22 hosts)")
        .stdout_has("rolled back prepare on h01–h19, h22–h24 (22 hosts)")
        .stdout_has("ROLLBACK OF prepare FAILED on 2 hosts:\n    h20, h21: cannot restore ⟨host⟩")
        .stdout_lacks("rolled back prepare on h05");
}
