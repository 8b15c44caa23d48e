//! One action in words, the same in a plan and in the live view of a run (and so in
//! `runbook show`): `change web1$ API_TOKEN=*** systemctl restart app  (why)`. The command is
//! the action's own text: its environment, SQL parameter values and `⟨…⟩` parts included, its
//! secrets already masked by the event stream.

use super::style::Style;
use crate::context::event::Effect;

/// `change`, `read  ` or `might ` (padded to one width), the target, `$`, the command, and the
/// reason dimmed.
pub fn action_line(
    effect: Effect,
    target: &str,
    command: &str,
    reason: Option<&str>,
    style: Style,
) -> String {
    let label = match effect {
        Effect::Change => style.yellow("change"),
        Effect::Read => style.green("read  "),
        Effect::Might => style.cyan("might "),
    };
    let reason = reason
        .map(|r| style.dim(&format!("  ({r})")))
        .unwrap_or_default();
    format!("{label} {target}$ {command}{reason}")
}
