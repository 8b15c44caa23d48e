//! A target's fan-out policy in words, the same on a doc page and in a plan: `2 at a time`,
//! `up to 20% of the hosts may fail`, `every host runs whatever the others do`.

use super::ast::{Target, Tolerance};

/// The clauses of `target`'s policy, in order; none when it keeps the defaults.
pub fn policy_clauses(target: &Target) -> Vec<String> {
    let mut clauses = Vec::new();
    if let Some(forks) = target.forks {
        clauses.push(format!("{forks} at a time"));
    }
    match target.tolerate {
        Tolerance::None => {}
        Tolerance::Percent(p) => clauses.push(format!("up to {p}% of the hosts may fail")),
        Tolerance::All => clauses.push("every host runs whatever the others do".into()),
    }
    clauses
}

/// `on web, 2 at a time, up to 20% of the hosts may fail`: where a step runs, for a plan.
pub fn runs_on(target: &Target) -> String {
    let mut text = format!("on {}", target.name.text);
    for clause in policy_clauses(target) {
        text.push_str(", ");
        text.push_str(&clause);
    }
    text
}
