//! What a run executed (its journal), what its plan shows of each part of the procedure, and
//! the three rules by which a planned part covers an executed action (see `tests/fidelity.rs`).

use super::command_match::{normalize, wildcard_match};
use serde_json::Value;
use std::fmt::Write as _;

/// How many executed actions each rule covered.
#[derive(Default)]
pub struct Counts {
    pub actions: usize,
    pub listed: usize,
    pub might: usize,
    pub stop: usize,
}

/// An action the run executed, as its journal tells it.
pub struct Executed {
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

/// Holds a run's journal against a JSON plan: how many actions each rule covered, and the
/// actions none covered, by part, each part with its plan (empty when all are covered).
pub fn hold(plan: &Value, journal: &str) -> (Counts, String) {
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

/// Every action a journal records, with its part and rank.
pub fn executed(journal: &str) -> Vec<Executed> {
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
    after_stop.then_some(Rule::Stop)
}

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
