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
//!    (commands normalized: times and run ids, see [`normalize`]);
//! 2. **might**: a planned action of that part marked *might* accounts for it: same primitive,
//!    same target, and its command matches with each `⟨…⟩` part standing for any text (empty
//!    included; with a shell quote on either side of it, `'⟨…⟩'`, as the real value is quoted
//!    its own way: see [`wildcard_match`]). A *read* whose command shows `⟨…⟩` parts accounts for it the
//!    same way: the engine keeps a read a read whatever it is built from (only changes become
//!    *might*, `RunContext::act`), and the plan shows the unknown part where it goes;
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
//! the actions executed, how many each rule covered, and how many a known lie explains (see
//! [`KNOWN_LIES`]: lies whose fix is under way elsewhere, counted apart, covered by no rule).

use crate::harness::Test;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt::Write as _;
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

/// How many executed actions each rule covered.
#[derive(Default)]
struct Counts {
    actions: usize,
    listed: usize,
    might: usize,
    stop: usize,
    known_lies: usize,
}

/// An action the run executed, as its journal tells it.
struct Executed {
    part: Part,
    primitive: String,
    target: String,
    command: String,
    /// Its rank among the actions of its attempt (of a step) or of its guard, rollback, finally.
    rank: usize,
}

/// The part of a procedure an action belongs to.
#[derive(Clone, PartialEq)]
enum Part {
    /// The `n`th guard (from 0).
    Guard(usize),
    /// A step's `when` or body.
    Step(String),
    Rollback(String),
    Finally,
}

/// What the plan shows of one part.
struct Planned<'p> {
    actions: Vec<&'p Value>,
    /// The plan of the part stopped on an unknown after recording `actions`.
    stopped: bool,
    /// The stop names no host: ranks tell what came after it.
    exact: bool,
    /// How the plan words this part, for a failing check.
    shown: String,
}

impl Fidelity {
    /// The plan of the run `test` is about to make, when it is a run to check.
    pub fn before(test: &Test) -> Option<Fidelity> {
        let args = test.arguments();
        if !applies(test) {
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

/// Holds a run's journal against a JSON plan: how many actions each rule covered, and the
/// actions none covered, by part, each part with its plan (empty when all are covered).
fn hold(plan: &Value, journal: &str) -> (Counts, String) {
    let mut counts = Counts::default();
    // Per part, in the order met: the actions no rule covered, then the part's plan.
    let mut lies: Vec<(Part, String, String)> = Vec::new();
    for action in &executed(journal) {
        counts.actions += 1;
        let planned = planned(plan, &action.part);
        match cover(action, &planned) {
            Some(Rule::Listed) => counts.listed += 1,
            Some(Rule::Might) => counts.might += 1,
            Some(Rule::Stop) => counts.stop += 1,
            Some(Rule::KnownLie) => counts.known_lies += 1,
            None => {
                let line = format!(
                    "\n  executed {} on {}: {}",
                    action.primitive, action.target, action.command
                );
                match lies.iter_mut().find(|(part, ..)| *part == action.part) {
                    Some((_, lines, _)) => lines.push_str(&line),
                    None => lies.push((action.part.clone(), line, planned.shown)),
                }
            }
        }
    }
    let lies = lies
        .iter()
        .map(|(part, lines, shown)| {
            format!(
                "\n{}:{lines}\n  {}",
                part.describe(),
                shown.replace('\n', "\n  ")
            )
        })
        .collect();
    (counts, lies)
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
    /// Whether `test`'s command is a real run to check.
    pub fn applies(test: &Test) -> bool {
        applies(test)
    }
}

fn applies(test: &Test) -> bool {
    let args = test.arguments();
    if args.first().map(String::as_str) != Some("run") || args.iter().any(|a| a == "--dry-run") {
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

/// Every action a journal records, with its part and rank.
fn executed(journal: &str) -> Vec<Executed> {
    let mut found = Vec::new();
    let mut guard = 0;
    let mut rank = 0;
    let mut part = None;
    for line in journal.lines() {
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let text = |key: &str| event[key].as_str().unwrap_or_default().to_string();
        match event["event"].as_str().unwrap_or_default() {
            "guard_checked" => {
                guard += 1;
                rank = 0;
            }
            // Each attempt of a step, and each rollback, starts counting again.
            "step_started" | "rollback_started" => rank = 0,
            "action" => {
                let step = text("step");
                let this = match event["phase"].as_str().unwrap_or_default() {
                    "guard" => Part::Guard(guard),
                    "rollback" => Part::Rollback(step),
                    "finally" => Part::Finally,
                    _ => Part::Step(step),
                };
                if part.as_ref() != Some(&this) {
                    rank = 0;
                    part = Some(this.clone());
                }
                found.push(Executed {
                    part: this,
                    primitive: text("primitive"),
                    target: text("target"),
                    command: text("command"),
                    rank,
                });
                rank += 1;
            }
            _ => {}
        }
    }
    found
}

/// What the plan shows of `part`.
fn planned<'p>(plan: &'p Value, part: &Part) -> Planned<'p> {
    let list = |v: &'p Value| v.as_array().map(|a| a.iter().collect()).unwrap_or_default();
    let step = |id: &str| {
        plan["items"]
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .find(|i| i["kind"] == "step" && i["id"].as_str() == Some(id))
            })
            .unwrap_or(&Value::Null)
    };
    let (actions, stops, notes): (Vec<&Value>, Vec<&Value>, Vec<&Value>) = match part {
        Part::Guard(n) => {
            let guard = &plan["guards"][n];
            let stops = if guard["status"] == "unknown" {
                vec![&guard["message"]]
            } else {
                Vec::new()
            };
            (list(&guard["actions"]), stops, Vec::new())
        }
        Part::Step(id) => {
            let step = step(id);
            let notes = list(&step["notes"]);
            let mut stops = list(&step["stops"]);
            stops.extend(notes.iter().filter(|n| is_untold_stop(n)));
            (list(&step["actions"]), stops, notes)
        }
        Part::Rollback(id) => {
            let step = step(id);
            (
                list(&step["rollback"]),
                list(&step["rollback_stops"]),
                Vec::new(),
            )
        }
        Part::Finally => (list(&plan["finally"]), Vec::new(), Vec::new()),
    };
    let exact = stops
        .iter()
        .all(|s| s.get("host").is_none() && s.as_str().is_none_or(|n| n.starts_with(UNTOLD_STOP)));
    let mut shown = format!("the plan of {}:", part.describe());
    for action in &actions {
        let _ = write!(
            shown,
            "\n  {:<6} {} on {}: {}",
            action["effect"].as_str().unwrap_or_default(),
            action["primitive"].as_str().unwrap_or_default(),
            action["target"].as_str().unwrap_or_default(),
            action["command"].as_str().unwrap_or_default()
        );
    }
    if actions.is_empty() {
        shown.push_str("\n  (no action)");
    }
    // A stop is told once: by the step's note about it when there is one.
    let told = |stop: &Value| {
        let origin = stop["origin"].as_str();
        notes.iter().any(|n| {
            *n == stop || origin.is_some_and(|o| n.as_str().is_some_and(|n| n.contains(o)))
        })
    };
    let untold = stops.iter().filter(|s| !told(s));
    for note in notes.iter().chain(untold) {
        let _ = write!(shown, "\n  note: {}", compact(note));
    }
    Planned {
        actions,
        stopped: !stops.is_empty(),
        exact,
        shown,
    }
}

/// A step's note when its plan stopped at a failure that followed an unknown value, without
/// naming it (`⚠ planned up to an unknown value: …`, `⚠ web1: planned up to …`): a stop the JSON
/// plan's `stops` does not list.
const UNTOLD_STOP: &str = "⚠ planned up to an unknown value";

fn is_untold_stop(note: &Value) -> bool {
    note.as_str().is_some_and(|n| {
        n.strip_prefix("⚠ ").is_some_and(|rest| {
            rest.split_once(": ")
                .map_or(
                    rest,
                    |(host, after)| if host.contains(' ') { rest } else { after },
                )
                .starts_with("planned up to an unknown value")
        })
    })
}

/// A note as it reads, a stop as `stopped: [host: ]⟨origin⟩ (location)`.
fn compact(value: &Value) -> String {
    if let Some(text) = value.as_str() {
        return text.to_string();
    }
    let field = |key: &str| value[key].as_str().unwrap_or_default().to_string();
    let on = value["host"]
        .as_str()
        .map(|h| format!("{h}: "))
        .unwrap_or_default();
    let at = value["location"]
        .as_str()
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    format!("stopped: {on}{}{at}", field("origin"))
}

/// The rule that covers an executed action.
enum Rule {
    Listed,
    Might,
    Stop,
    /// Not covered: one of [`KNOWN_LIES`].
    KnownLie,
}

fn cover(action: &Executed, planned: &Planned<'_>) -> Option<Rule> {
    let command = normalize(&action.command);
    let candidates: Vec<(&Value, String)> = planned
        .actions
        .iter()
        .filter(|p| p["primitive"] == *action.primitive && p["target"] == *action.target)
        .map(|p| (*p, normalize(p["command"].as_str().unwrap_or_default())))
        .collect();
    if candidates.iter().any(|(_, c)| *c == command) {
        return Some(Rule::Listed);
    }
    if candidates
        .iter()
        .any(|(p, c)| (p["effect"] == "might" || c.contains('⟨')) && wildcard_match(c, &command))
    {
        return Some(Rule::Might);
    }
    let after_stop = planned.stopped && (!planned.exact || action.rank >= planned.actions.len());
    if after_stop {
        return Some(Rule::Stop);
    }
    KNOWN_LIES
        .iter()
        .any(|lie| candidates.iter().any(|(_, c)| (lie.explains)(c, &command)))
        .then_some(Rule::KnownLie)
}

/// A lie of today's plans that a change under way fixes elsewhere.
struct KnownLie {
    /// What the plan hides, and where the fix is.
    #[allow(dead_code, reason = "read by whoever removes the entry")]
    what: &'static str,
    /// Whether it explains an executed command, given a planned one (both normalized).
    explains: fn(&str, &str) -> bool,
}

/// The lies the harness knows of: an action they explain is no covered action, it is counted
/// apart (`RUNBOOK_FIDELITY_LOG`'s last column) so that the closing note reports it. Remove an
/// entry once its fix lands: the runs are then held to the three rules again.
const KNOWN_LIES: &[KnownLie] = &[KnownLie {
    what: "the plan names `docker compose` where the run uses `docker-compose`: stdlib/compose.rhai \
           `cli()` decides on a dry-run's made-up answer (issue 15 item 6, \"the plan names the \
           program the run uses\")",
    explains: |planned, executed| planned.replace("docker compose ", "docker-compose ") == executed,
}];

impl Part {
    fn describe(&self) -> String {
        match self {
            Part::Guard(n) => format!("guard #{}", n + 1),
            Part::Step(id) => format!("step `{id}`"),
            Part::Rollback(id) => format!("the rollback of `{id}`"),
            Part::Finally => "`finally`".into(),
        }
    }
}

/// Appends the counts of a checked run to `RUNBOOK_FIDELITY_LOG`, one tab-separated line:
/// runbook, file, procedure, actions, listed, might, stop, known lies.
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
        "{}\t{file}\t{}\t{}\t{}\t{}\t{}\t{}\n",
        name("runbook"),
        name("procedure"),
        counts.actions,
        counts.listed,
        counts.might,
        counts.stop,
        counts.known_lies
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

/// A command with what changes from one run to the next replaced: times (`20261203200256`,
/// `2026-12-03T20:03:06Z`, epoch seconds and milliseconds: any run of 8 digits or more, with
/// the `-HHMMSS` or `THH:MM:SS…` that follows) become `⟨time⟩`, and a run id
/// (`20261203-200306-bdb6`) becomes `⟨time⟩` too.
pub fn normalize(command: &str) -> String {
    let chars: Vec<char> = command.chars().collect();
    let mut out = String::with_capacity(command.len());
    let mut i = 0;
    while i < chars.len() {
        let digits = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let starts_word = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        if starts_word && (digits >= 8 || is_iso_date(&chars[i..])) {
            i += digits;
            i += time_tail(&chars[i..]);
            out.push_str("⟨time⟩");
            continue;
        }
        if digits > 0 {
            out.extend(&chars[i..i + digits]);
            i += digits;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// `2026-12-03`.
fn is_iso_date(chars: &[char]) -> bool {
    let pattern = "dddd-dd-dd";
    chars.len() >= pattern.len()
        && pattern.chars().zip(chars).all(|(p, c)| {
            if p == 'd' {
                c.is_ascii_digit()
            } else {
                p == *c
            }
        })
}

/// How many characters after a date's first digits still belong to the time: `-12-03`,
/// `T20:03:06.123Z`, `-200306`, `_200306`, and a run id's `-bdb6`.
fn time_tail(chars: &[char]) -> usize {
    let mut i = 0;
    let time_like =
        |c: char| c.is_ascii_digit() || matches!(c, ':' | '.' | '-' | '_' | 'T' | 'Z' | '+');
    while i < chars.len() && time_like(chars[i]) {
        // A separator must be followed by a digit to belong to the time.
        if !chars[i].is_ascii_digit()
            && chars[i] != 'Z'
            && !chars.get(i + 1).is_some_and(char::is_ascii_digit)
        {
            break;
        }
        i += 1;
    }
    // A run id ends in `-` and four hexadecimal digits.
    let hex = chars[i..]
        .iter()
        .skip(1)
        .take_while(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        .count();
    if chars.get(i) == Some(&'-')
        && hex == 4
        && !chars.get(i + 5).is_some_and(char::is_ascii_alphanumeric)
    {
        i += 5;
    }
    i
}

/// Whether `text` matches `pattern`, where each `⟨…⟩` of the pattern stands for any text
/// (empty included) and everything else must be equal.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut parts = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('⟨') {
        let Some(close) = rest[open..].find('⟩') else {
            break;
        };
        let mut end = open + close + '⟩'.len_utf8();
        let mut start = open;
        // Quoted for the shell (`'⟨…⟩'`, or `"⟨…⟩'` when the placeholder holds quotes): the
        // real value has its own quoting, or none.
        if rest[..open].ends_with(['\'', '"']) {
            start -= 1;
        }
        if rest[end..].starts_with(['\'', '"']) {
            end += 1;
        }
        parts.push(&rest[..start]);
        rest = &rest[end..];
    }
    parts.push(rest);
    let Some((first, others)) = parts.split_first() else {
        return pattern == text;
    };
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    if others.is_empty() {
        return remaining.is_empty();
    }
    let (last, middle) = others.split_last().expect("at least one part");
    for part in middle {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.ends_with(last)
}

#[test]
fn normalizing_replaces_times_and_run_ids_only() {
    assert_eq!(
        normalize("tar czf /d/app_20261203200256.tgz -C /d/app ."),
        "tar czf /d/app_⟨time⟩.tgz -C /d/app ."
    );
    assert_eq!(
        normalize("runbook show 20261203-200306-bdb6"),
        "runbook show ⟨time⟩"
    );
    assert_eq!(normalize("at 2026-12-03T20:03:06Z done"), "at ⟨time⟩ done");
    assert_eq!(
        normalize("backup_db_20261203_200306.dump"),
        "backup_db_⟨time⟩.dump"
    );
    assert_eq!(
        normalize("sleep 5; curl :8080/v2 -m 30"),
        "sleep 5; curl :8080/v2 -m 30"
    );
    assert_eq!(normalize("sha256 ab12345678"), "sha256 ab12345678");
}

#[test]
fn a_might_pattern_matches_each_unknown_part_as_any_text() {
    assert!(wildcard_match("rm -f ⟨x⟩", "rm -f /a /b"));
    assert!(wildcard_match("echo '⟨l⟩' done", "echo '' done"));
    assert!(wildcard_match("⟨a⟩ and ⟨b⟩", "x and y and z"));
    assert!(!wildcard_match("rm -f ⟨x⟩ now", "rm -rf / later"));
    assert!(!wildcard_match("ls ⟨x⟩", "rm -rf /"));
    assert!(wildcard_match(
        "test '⟨v⟩' = 1.4.2",
        "test 0.0.0-broken = 1.4.2"
    ));
    assert!(wildcard_match("test '⟨v⟩' = 1", "test 'a b' = 1"));
    assert!(wildcard_match(
        "tar czf \"⟨output of sh -c 'f=\\\"\"'$0.tgz\"⟩' -C /app .",
        "tar czf /opt/b_1.tgz -C /app ."
    ));
    assert!(wildcard_match("plain", "plain"));
    assert!(!wildcard_match("plain", "plainer"));
}

/// One journal line: an action of `step` (none: a guard) in `phase`.
#[cfg(test)]
fn action_line(step: Option<&str>, phase: &str, target: &str, command: &str) -> String {
    serde_json::json!({
        "event": "action", "step": step, "phase": phase, "primitive": "run",
        "target": target, "command": command, "effect": "change", "reason": null
    })
    .to_string()
}

#[test]
fn an_action_no_rule_covers_is_told_with_its_step_and_the_step_plan() {
    let planned = |command: &str, effect: &str| serde_json::json!({"primitive": "run", "target": "local", "command": command, "effect": effect});
    let plan = serde_json::json!({
        "guards": [{"title": "g", "status": "passed", "actions": [planned("test -d /srv", "read")]}],
        "items": [
            {"kind": "step", "id": "copy", "actions": [planned("cp a /srv/app_20261203200256", "change")],
             "rollback": [planned("rm -f ⟨output of ls⟩", "might")], "notes": []},
            {"kind": "step", "id": "prune", "actions": [planned("ls /srv", "read")],
             "stops": [{"origin": "⟨output of ls /srv⟩"}], "rollback": null, "notes": []},
            {"kind": "step", "id": "hide", "actions": [planned("echo ok", "change")],
             "rollback": null, "notes": []}
        ],
        "finally": null
    });
    let journal = [
        action_line(None, "guard", "local", "test -d /srv"),
        r#"{"event":"guard_checked","title":"g","status":"passed"}"#.to_string(),
        r#"{"event":"step_started","step":"copy"}"#.to_string(),
        action_line(
            Some("copy"),
            "body",
            "local",
            "cp a /srv/app_20261203201011",
        ),
        r#"{"event":"step_started","step":"prune"}"#.to_string(),
        // Before the stop, the plan recorded `ls /srv`: in its place, another action is a lie.
        action_line(Some("prune"), "body", "local", "rm -rf /srv"),
        action_line(Some("prune"), "body", "local", "rm -f /srv/old"),
        r#"{"event":"step_started","step":"hide"}"#.to_string(),
        action_line(Some("hide"), "body", "local", "echo ok"),
        action_line(Some("hide"), "body", "local", "rm -rf /srv/data"),
        action_line(Some("hide"), "body", "vm", "echo ok"),
        r#"{"event":"rollback_started","step":"copy"}"#.to_string(),
        action_line(
            Some("copy"),
            "rollback",
            "local",
            "rm -f /srv/app_20261203201011",
        ),
    ]
    .join("\n");
    let (counts, lies) = hold(&plan, &journal);
    assert_eq!(
        (counts.actions, counts.listed, counts.might, counts.stop),
        (8, 3, 1, 1),
        "{lies}"
    );
    assert_eq!(
        lies,
        "\nstep `prune`:\n  executed run on local: rm -rf /srv\n  the plan of step `prune`:\n    \
         read   run on local: ls /srv\n    note: stopped: ⟨output of ls /srv⟩\n\
         step `hide`:\n  executed run on local: rm -rf /srv/data\n  executed run on vm: echo ok\n  \
         the plan of step `hide`:\n    change run on local: echo ok"
    );
}
