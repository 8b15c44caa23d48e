//! Run timelines (`runbook show RUN --format html|json`) as a reviewer sees them: a fan-out over
//! real SSH servers that succeeded, a local run that failed after a retry and was rolled back
//! (with a secret and markup in its output), and a run killed with `kill -9`. The pages are
//! opened in headless Chromium: lanes, bars and rows are read back from what it laid out.

use crate::chromium;
use crate::harness::{Test, run_id};
use crate::journal::wait_for;
use crate::ssh::remote_test;
use crate::sshd::Sshd;
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;

/// What `runbook show RUN --format FORMAT` prints.
fn show(dir: &Path, format: &str) -> String {
    let id = run_id(dir);
    let out = Test::new()
        .args(["show", &id, "--format", format, "--state-dir"])
        .arg_path(&dir.join(".runbook"))
        .run();
    out.code(0);
    out.stdout.clone()
}

/// The bars of a lane of the JSON model, as `kind:step`.
fn bars(model: &Value, lane: &str) -> Vec<String> {
    let lane = model["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == lane)
        .unwrap_or_else(|| panic!("no lane {lane}"));
    lane["bars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            format!(
                "{}:{}",
                b["kind"].as_str().unwrap(),
                b["step"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn lanes(model: &Value) -> Vec<String> {
    model["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_string())
        .collect()
}

/// Writes the HTML page, opens it in Chromium, and returns what its script reports it laid out;
/// every bar must have been drawn inside its lane.
fn open(dir: &Path, name: &str) -> Value {
    let html = show(dir, "html");
    let page = dir.join(format!("{name}.html"));
    std::fs::write(&page, &html).unwrap();
    let dom = chromium::dom(&page);
    let summary: Value = serde_json::from_str(
        &chromium::element_text(&dom, "layout-summary").expect("the page's script ran"),
    )
    .unwrap();
    for lane in summary["lanes"].as_array().unwrap() {
        for bar in lane["bars"].as_array().unwrap() {
            assert_eq!(
                bar["visible"], true,
                "{name}: a bar not drawn in its lane: {bar}"
            );
        }
    }
    let png = dir.join(format!("{name}.png"));
    chromium::screenshot(&page, &png, 1280, 900);
    chromium::keep(&png, &format!("{name}.png"));
    summary
}

fn laid_out(summary: &Value) -> Vec<(String, usize)> {
    summary["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let name = l["name"].as_str().unwrap().to_string();
            (name, l["bars"].as_array().unwrap().len())
        })
        .collect()
}

const FAN_OUT: &str = r#"runbook "fleet" {
  param dir: string
@HOSTS@
  group web [a, b, c]
  procedure deploy "Déployer sur le groupe web" {
    step prepare "Préparer la version" { sh("sleep 0.1"); }
    confirm "Déployer sur les 3 serveurs ?"
    step release "Publier" on web forks 2 {
      run(`sleep 0.2; touch ${dir}/${target().name}`);
    } rollback {
      run(`rm -f ${dir}/${target().name}`);
    }
    step check "Vérifier" on web { run("true"); }
  }
}"#;

#[test]
fn a_fan_out_shows_one_lane_per_host() {
    let servers = [Sshd::start(), Sshd::start(), Sshd::start()];
    let (test, remote) = remote_test(
        FAN_OUT,
        &[("a", &servers[0]), ("b", &servers[1]), ("c", &servers[2])],
    );
    let param = format!("dir={}", remote.display());
    let run = test.args(["run", "main.rb42", "--yes", "-p", &param]).run();
    run.code(0);
    let dir = run.dir.clone();
    let model: Value = serde_json::from_str(&show(&dir, "json")).unwrap();
    assert_eq!(model["status"], "succeeded");
    assert_eq!(lanes(&model), ["local", "a", "b", "c"]);
    assert_eq!(
        bars(&model, "local"),
        ["step:prepare", "confirmation:release"]
    );
    for host in ["a", "b", "c"] {
        assert_eq!(bars(&model, host), ["step:release", "step:check"], "{host}");
    }
    let release = &model["lanes"][1]["bars"][0];
    assert!(release["duration_ms"].as_u64().unwrap() >= 200, "{release}");
    let summary = open(&dir, "timeline-fan-out");
    assert_eq!(summary["status"], "succeeded");
    assert_eq!(
        laid_out(&summary),
        [
            ("local".into(), 2),
            ("a".into(), 2),
            ("b".into(), 2),
            ("c".into(), 2)
        ]
    );
    assert!(summary["rows"].as_u64().unwrap() > 10);
}

const FAILING: &str = r#"runbook "publish" {
  secret token from env "TL_TOKEN"
  procedure p "Publier puis échouer" {
    step prepare "Préparer" { sh("sleep 0.1"); } rollback { sh("sleep 0.05"); }
    step publish "Publier" { sh(`echo "publishing with ${token}"`); } rollback { sh("true"); }
    step check "Contrôler" retry 1 every 300ms {
      sh("echo '<script>alert(1)</script> & <b>bold</b>'; exit 3");
    }
  }
}"#;

#[test]
fn a_failed_run_shows_the_retry_the_failure_and_the_rollbacks() {
    let test = Test::new()
        .runbook(FAILING)
        .env("TL_TOKEN", "tl-secret-4711");
    let run = test.args(["run", "main.rb42"]).run();
    run.code(1);
    let dir = run.dir.clone();
    let json = show(&dir, "json");
    let model: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(model["status"], "failed");
    assert_eq!(lanes(&model), ["local"]);
    assert_eq!(
        bars(&model, "local"),
        [
            "step:prepare",
            "step:publish",
            "failed:check",
            "retry_wait:check",
            "failed:check",
            "rollback:publish",
            "rollback:prepare"
        ]
    );
    let html = show(&dir, "html");
    for text in [&json, &html] {
        assert!(!text.contains("tl-secret-4711"), "the secret leaked");
    }
    assert!(
        html.contains("publishing with ***"),
        "the masked line is there"
    );
    assert!(!html.contains("<script>alert(1)"), "output is escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; &lt;b&gt;"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing fetched"
    );
    let summary = open(&dir, "timeline-failed");
    assert_eq!(summary["status"], "failed");
    assert_eq!(laid_out(&summary), [("local".into(), 7)]);
    let kinds: Vec<&str> = summary["lanes"][0]["bars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[2..5], ["failed", "retry_wait", "failed"]);
}

#[test]
fn a_run_killed_with_kill_9_shows_where_it_died_and_what_it_owes() {
    let test = Test::new().runbook(
        r#"runbook "j" {
  procedure p {
    step a { sh("touch a"); } rollback { sh("rm a"); }
    step b { sh("touch started; sleep 30"); } rollback { sh("true"); }
  }
}"#,
    );
    let dir = test.path().to_path_buf();
    let mut command = test.command();
    command
        .args(["run", "main.rb42"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("spawn runbook");
    wait_for(&dir.join("started"));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("kill -9");
    child.wait().expect("reap");
    let model: Value = serde_json::from_str(&show(&dir, "json")).unwrap();
    assert_eq!(model["status"], "died");
    assert_eq!(bars(&model, "local"), ["step:a", "unfinished:b"]);
    assert_eq!(model["owed"][0]["step"], "a");
    let html = show(&dir, "html");
    assert!(html.contains("Rollbacks still owed") && html.contains("runbook rollback "));
    assert!(html.contains("no end journaled"));
}
