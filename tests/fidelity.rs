//! Plans never claim less than a run does: a real `runbook run` is held against its plan.
//!
//! Before the run, the same procedure is planned with the same inputs (parameters, env file,
//! inventory, SSH settings, environment, standard input, working directory), so against the same
//! state. After it, the run's journal tells every action it executed, and each one must be
//! *covered* by the plan of its part of the procedure: a guard's actions by that guard's plan, a
//! step's (`when` and body) by that step's actions, a rollback's by the step's rollback preview,
//! `finally`'s by the planned `finally`. An executed action is covered by one of three rules,
//! tried in order:
//!
//! 1. **listed**: a planned action of that part has the same primitive, target and command
//!    (commands normalized: times and run ids, see [`command_match::normalize`]);
//! 2. **might**: a planned action of that part marked *might* accounts for it: same primitive,
//!    same target, and its command matches with each `⟨…⟩` part standing for any text (empty
//!    included; with a shell quote on either side of it, `'⟨…⟩'`, as the real value is quoted
//!    its own way: see [`command_match::wildcard_match`]). A *read* whose command shows `⟨…⟩`
//!    parts accounts for it the same way: the engine keeps a read a read whatever it is built
//!    from (only changes become *might*, `RunContext::act`), and the plan shows the unknown part
//!    where it goes;
//! 3. **stop**: the plan of that part stopped on a value only a real run knows, before this
//!    action: a step's `stops`, its `rollback_stops`, a guard that decided on an unknown, or a
//!    step's note `⚠ planned up to an unknown value: …` (a failure after an unknown value was
//!    handed out, that the engine cannot pin on one value: the JSON plan does not list it in
//!    `stops`). For a step planned here (its stop names no host), or a guard that decided on an
//!    unknown, "before" is exact: the action comes, in its attempt, after as many actions as
//!    the plan recorded before stopping. For a step on hosts, a stop on one host covers the
//!    step's actions past the recorded ones on every host: actions do not say which host's body
//!    ran them (a SQL or HTTP target is no host).
//!
//! Which runs are checked: every `run` of a runbook of the repository's runbooks/ (by path, or a
//! byte-for-byte copy such as the quickstart written into a test's directory), from any test;
//! and every `run` made by a test of [`MODULES`], whose custom runbooks exercise the same
//! seeds and lying cases. `RUNBOOK_FIDELITY=all` checks every real run of the suite (a survey).
//! `RUNBOOK_FIDELITY_LOG=FILE` appends one line per checked run: the runbook, the procedure,
//! the actions executed, and how many each rule covered.

mod command_match;
mod coverage;

use crate::harness::Test;
use coverage::{Counts, executed, hold};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The test modules every real run of which is checked.
pub const MODULES: &[&str] = &[
    "quickstart",
    "seed_000",
    "seed_002",
    "seed_003",
    "seed_004",
    "unknown_values",
];

/// Options of `run` that take a value (as the next argument).
const WITH_VALUE: &[&str] = &[
    "-p",
    "--param",
    "--env-file",
    "--log-file",
    "--age-identity",
    "-i",
    "--inventory",
    "--known-hosts",
    "--ssh-config",
    "--connect-timeout",
    "--confirm",
    "--format",
    "--from",
    "--only",
    "--state-dir",
];

/// Options of `run` a plan has no use for: answers, output, where to start, the lock, the
/// journal (a plan keeps none) and the tool's own log.
const RUN_ONLY: &[&str] = &[
    "-y",
    "--yes",
    "--confirm",
    "--step",
    "--format",
    "--from",
    "--only",
    "--break-lock",
    "--state-dir",
    "--log-file",
];

/// The plan of a run, taken before it; [`Fidelity::check`] holds the run against it. Dropping
/// it unchecked fails the test: a run planned is a run to check.
pub struct Fidelity {
    /// `runbook run …`, for messages.
    label: String,
    /// The JSON plan, or why there is none.
    plan: Result<Value, String>,
    /// `STATE/runs`, and the journals already in it.
    runs: PathBuf,
    before: BTreeSet<PathBuf>,
    checked: bool,
}

impl Fidelity {
    /// The plan of the run `test` is about to make, when it is a run to check.
    pub fn before(test: &Test) -> Option<Fidelity> {
        let args = test.arguments();
        if !Fidelity::applies(test) {
            return None;
        }
        let mut plan_args = vec!["plan".to_string()];
        let mut rest = args[1..].iter();
        while let Some(arg) = rest.next() {
            let name = arg.split('=').next().unwrap_or(arg);
            let value = (WITH_VALUE.contains(&name) && !arg.contains('='))
                .then(|| rest.next().cloned())
                .flatten();
            if !RUN_ONLY.contains(&name) {
                plan_args.push(arg.clone());
                plan_args.extend(value);
            }
        }
        plan_args.extend(["--format".to_string(), "json".to_string()]);
        let out = test.execute(&plan_args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let plan = serde_json::from_str(&stdout).map_err(|_| {
            format!(
                "`runbook {}` gave no JSON plan (exit {:?}):\n{stdout}{}",
                plan_args.join(" "),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let runs = state_dir(test).join("runs");
        Some(Fidelity {
            label: format!("runbook {}", args.join(" ")),
            plan,
            before: journals(&runs),
            runs,
            checked: false,
        })
    }

    /// Holds what the run executed (its new journal) against the plan.
    pub fn check(mut self) {
        self.checked = true;
        let new: Vec<PathBuf> = journals(&self.runs)
            .difference(&self.before)
            .cloned()
            .collect();
        // No journal: the run stopped before anything ran (bad input, a lock held).
        let Some(journal) = new.first() else {
            return;
        };
        assert_eq!(new.len(), 1, "one run, one journal: {new:?}");
        let text = std::fs::read_to_string(journal).expect("read the run's journal");
        let plan = match &self.plan {
            Ok(plan) => plan,
            Err(_) if executed(&text).is_empty() => return,
            Err(why) => panic!(
                "fidelity: `{}` executed actions but its plan failed: {why}",
                self.label
            ),
        };
        let (counts, lies) = hold(plan, &text);
        log(plan, &counts);
        assert!(
            lies.is_empty(),
            "fidelity: `{}` executed actions its plan neither listed, nor marked might, nor \
             stopped before:{lies}",
            self.label
        );
    }
}

impl Drop for Fidelity {
    fn drop(&mut self) {
        if !self.checked && !std::thread::panicking() {
            panic!(
                "fidelity: `{}` was planned but never checked: call Fidelity::check after the run",
                self.label
            );
        }
    }
}

impl Fidelity {
    /// Whether `test`'s command is a real run to check. The module of the running test is the
    /// name libtest gives its thread (`seed_000::a_release_…`).
    pub fn applies(test: &Test) -> bool {
        let args = test.arguments();
        if args.first().map(String::as_str) != Some("run") || args.iter().any(|a| a == "--dry-run")
        {
            return false;
        }
        if std::env::var("RUNBOOK_FIDELITY").as_deref() == Ok("all") {
            return true;
        }
        let thread = std::thread::current();
        let module = thread.name().and_then(|n| n.split("::").next());
        if module.is_some_and(|m| MODULES.contains(&m)) {
            return true;
        }
        runbook_file(args).is_some_and(|file| is_repository_runbook(&test.path().join(file)))
    }
}

/// The FILE argument of `run …`: its first positional argument.
fn runbook_file(args: &[String]) -> Option<&str> {
    let mut rest = args[1..].iter();
    while let Some(arg) = rest.next() {
        if arg.starts_with('-') {
            if WITH_VALUE.contains(&arg.as_str()) {
                rest.next();
            }
            continue;
        }
        return Some(arg);
    }
    None
}

/// A runbook of runbooks/, or a byte-for-byte copy of one.
fn is_repository_runbook(file: &Path) -> bool {
    static SEEDS: OnceLock<Vec<(PathBuf, Vec<u8>)>> = OnceLock::new();
    let seeds = SEEDS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
        std::fs::read_dir(&dir)
            .expect("runbooks/")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "rb42"))
            .filter_map(|p| Some((p.canonicalize().ok()?, std::fs::read(&p).ok()?)))
            .collect()
    });
    let path = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
    let text = std::fs::read(&path).unwrap_or_default();
    seeds
        .iter()
        .any(|(seed, seed_text)| *seed == path || *seed_text == text)
}

/// Where the run journals: `--state-dir`, else `RUNBOOK_STATE_DIR`, else the test's `.runbook/`.
fn state_dir(test: &Test) -> PathBuf {
    let args = test.arguments();
    let from_args = args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--state-dir=")
            .map(str::to_string)
            .or_else(|| {
                (a == "--state-dir")
                    .then(|| args.get(i + 1).cloned())
                    .flatten()
            })
    });
    let dir = from_args
        .or_else(|| test.env_value("RUNBOOK_STATE_DIR"))
        .map_or_else(|| test.path().join(".runbook"), PathBuf::from);
    test.path().join(dir)
}

fn journals(runs: &Path) -> BTreeSet<PathBuf> {
    std::fs::read_dir(runs)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// Appends the counts of a checked run to `RUNBOOK_FIDELITY_LOG`, one tab-separated line:
/// runbook, file, procedure, actions, listed, might, stop.
fn log(plan: &Value, counts: &Counts) {
    let Some(path) = std::env::var_os("RUNBOOK_FIDELITY_LOG") else {
        return;
    };
    let name = |key: &str| plan[key].as_str().unwrap_or_default().to_string();
    let file = name("file");
    let file = Path::new(&file)
        .file_name()
        .map_or(file.clone(), |f| f.to_string_lossy().into_owned());
    let line = format!(
        "{}\t{file}\t{}\t{}\t{}\t{}\t{}\n",
        name("runbook"),
        name("procedure"),
        counts.actions,
        counts.listed,
        counts.might,
        counts.stop
    );
    use std::io::Write;
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .expect("RUNBOOK_FIDELITY_LOG");
    // One write per line: parallel tests append whole lines.
    log.write_all(line.as_bytes())
        .expect("write RUNBOOK_FIDELITY_LOG");
}
