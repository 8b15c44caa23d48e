//! How a plan diff is drawn: text for a terminal, Markdown for a pull request
//! (`templates/plan_diff.md.j2`), JSON for tools.

use super::{Change, Line, PlanDiff};
use crate::output::style::Style;
use crate::output::titled::titled;
use crate::render::templates::longest_backtick_run;

impl PlanDiff {
    pub fn render_text(&self, style: Style) -> String {
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        line(format!(
            "{} {}: {} → {}",
            style.bold("Plan diff"),
            self.runbook,
            self.base,
            self.head
        ));
        if self.is_empty() {
            line("no change in what would run".into());
            return out;
        }
        line(format!("{} {}", style.dim("summary:"), self.summary_line()));
        for note in &self.notes {
            line(format!("  {note}"));
        }
        let sign = |change: Change| match change {
            Change::Added => style.green("+"),
            Change::Removed => style.red("-"),
            Change::Changed => style.yellow("~"),
            Change::Unchanged => " ".into(),
        };
        let diff_line = |l: &Line| match l.sign {
            "+" => style.green(&format!("+ {}", l.text)),
            "-" => style.red(&format!("- {}", l.text)),
            _ => style.dim(&format!("  {}", l.text)),
        };
        let unchanged: Vec<&str> = self
            .procedures
            .iter()
            .filter(|p| p.change == Change::Unchanged)
            .map(|p| p.id.as_str())
            .collect();
        for p in self
            .procedures
            .iter()
            .filter(|p| p.change != Change::Unchanged)
        {
            line(String::new());
            line(format!(
                "{} procedure {}{} ({})",
                sign(p.change),
                style.bold(&p.id),
                titled(&p.id, &p.title),
                change_word(p.change)
            ));
            for note in &p.notes {
                line(format!("    {note}"));
            }
            for step in &p.steps {
                let (number, after) = match step.change {
                    Change::Removed => (
                        String::new(),
                        format!(" (removed; was step {})", step.number),
                    ),
                    Change::Added => (format!("{}. ", step.number), " (added)".to_string()),
                    _ => (format!("{}. ", step.number), String::new()),
                };
                line(format!(
                    "  {} {number}{}{}{after}",
                    sign(step.change),
                    style.bold(&step.id),
                    titled(&step.id, &step.title),
                ));
                for note in &step.notes {
                    line(format!("        {note}"));
                }
                for l in &step.commands {
                    line(format!("        {}", diff_line(l)));
                }
                if !step.rollback.is_empty() {
                    line(format!("        {}", style.dim("rollback:")));
                    for l in &step.rollback {
                        line(format!("          {}", diff_line(l)));
                    }
                }
            }
            if !p.finally.is_empty() {
                line(format!("  {} finally", sign(Change::Changed)));
                for l in &p.finally {
                    line(format!("        {}", diff_line(l)));
                }
            }
        }
        if !unchanged.is_empty() {
            line(String::new());
            line(format!(
                "{} {}",
                style.dim("unchanged:"),
                unchanged.join(", ")
            ));
        }
        out
    }

    pub fn render_markdown(&self) -> String {
        let mut env = minijinja::Environment::new();
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        env.add_function("titled", |id: String, title: String| titled(&id, &title));
        env.add_function("fence", |lines: Vec<minijinja::Value>| {
            let longest = lines
                .iter()
                .filter_map(|l| l.get_attr("text").ok())
                .map(|t| longest_backtick_run(&t.to_string()))
                .max()
                .unwrap_or(0);
            "`".repeat(longest.max(2) + 1)
        });
        let rendered = env
            .template_from_str(include_str!("../templates/plan_diff.md.j2"))
            .and_then(|t| {
                t.render(minijinja::context! {
                    diff => minijinja::Value::from(minijinja::value::Serde(self)),
                    summary_line => self.summary_line(),
                    empty => self.is_empty(),
                })
            });
        rendered.unwrap_or_else(|e| format!("cannot render the plan diff: {e}\n"))
    }

    pub fn render_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

fn change_word(change: Change) -> &'static str {
    match change {
        Change::Added => "added",
        Change::Removed => "removed",
        Change::Changed => "changed",
        Change::Unchanged => "unchanged",
    }
}
