//! rhai limits against hostile step bodies: deep recursion, huge strings, arrays and BLOBs, and
//! endless loops end in a clear error naming the step, within a bounded address space.

use crate::harness::Test;
use crate::journal::wait_for;
use std::process::Command;

/// The address space each hostile run gets: a body that grew without limit would die of a
/// failed allocation (abort) instead of failing its step cleanly.
const ADDRESS_SPACE_KIB: u32 = 4 << 20;

fn hostile(attributes: &str, body: &str) -> Test {
    Test::new().runbook(&format!(
        "runbook \"r\" {{\n  procedure p {{\n    step hostile {attributes} {{ {body} }}\n  }}\n}}\n"
    ))
}

/// Waits until the process `pid` has no child process left, in any of its threads.
fn wait_for_no_child_process(pid: u32) {
    for _ in 0..400 {
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("read the tasks");
        let busy = tasks.flatten().any(|task| {
            std::fs::read_to_string(task.path().join("children"))
                .is_ok_and(|children| !children.trim().is_empty())
        });
        if !busy {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("runbook (pid {pid}) kept a child process");
}

/// `runbook run main.rb42` under `ulimit -v`.
fn run_bounded(test: &Test) -> (i32, String) {
    let out = Command::new("sh")
        .args([
            "-c",
            &format!("ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" run main.rb42"),
            env!("CARGO_BIN_EXE_runbook"),
        ])
        .current_dir(test.path())
        .env("NO_COLOR", "1")
        .env("RUNBOOK_STATE_DIR", test.path().join(".runbook"))
        .output()
        .expect("run runbook");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn each_limit_stops_a_hostile_body_with_an_error_naming_the_step() {
    for (attributes, body, error) in [
        ("", "fn f(n) { f(n + 1) } f(0);", "Stack overflow"),
        (
            "",
            r#"let s = "x"; loop { s += s; }"#,
            "Length of string too large",
        ),
        (
            "",
            r#"let s = "x"; s.pad(2_000_000_000, "y");"#,
            "Length of string too large",
        ),
        (
            "",
            "let a = [0]; loop { a += a; }",
            "Size of array/BLOB too large",
        ),
        (
            "",
            "let a = []; a.pad(2_000_000_000, 0);",
            "Size of array/BLOB too large",
        ),
        (
            "",
            "let b = blob(10_000_000_000);",
            "Size of array/BLOB too large",
        ),
        (
            // Each turn formats the clock: slow in time, cheap in operations, so the timeout
            // ends the loop long before the operations limit would, on any machine.
            "timeout 1s",
            r#"loop { let t = now("%A %e %B %Y %H:%M:%S %z"); }"#,
            "timed out after 1s",
        ),
    ] {
        let (code, output) = run_bounded(&hostile(attributes, body));
        assert_eq!(code, 1, "{body}: exit code\n{output}");
        assert!(
            output.contains(&format!("✗ hostile failed: {error}")),
            "{body}: expected `{error}`\n{output}"
        );
        assert!(
            output.contains("--> main.rb42:3:"),
            "{body}: no place\n{output}"
        );
    }
}

#[test]
fn ctrl_c_stops_an_endless_loop_that_has_no_timeout() {
    // Appending to an array up to its limit checks the whole array's size at each push, so
    // neither the size limit nor the operations limit ends it in reasonable time: Ctrl-C must.
    let test = hostile(
        "",
        r#"sh("touch started"); let a = []; loop { a.push(a.len()); }"#,
    )
    .args(["run", "main.rb42"]);
    let child = test
        .command()
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for(&test.path().join("started"));
    // The file exists before `touch` is reaped: Ctrl-C must reach the loop, not the command.
    wait_for_no_child_process(child.id());
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("send SIGINT");
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("✗ hostile failed: interrupted"), "{stdout}");
}
