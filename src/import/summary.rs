//! What an import made, counted for the operator (on stderr) and for tests.

/// The counts of a draft.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub procedures: usize,
    /// Procedures titled as a rollback or a restore.
    pub rollback_procedures: usize,
    pub steps: usize,
    /// Source command lines turned into code (calls, or the `cwd`/`env`/host they set).
    pub code: usize,
    /// Source command lines left as TODO.
    pub todo: usize,
    pub params: usize,
    pub secrets: usize,
    pub hosts: usize,
    /// `// TODO(import):` comments in the draft, commands and prose alike.
    pub todos: usize,
}

impl Summary {
    pub fn commands(&self) -> usize {
        self.code + self.todo
    }

    /// The share of command lines turned into code, in whole percent.
    pub fn code_percent(&self) -> usize {
        match self.commands() {
            0 => 0,
            n => (self.code * 100 + n / 2) / n,
        }
    }

    /// The lines printed on stderr after an import.
    pub fn render(&self, from: &str, to: &str) -> String {
        let todo_percent = if self.commands() == 0 {
            0
        } else {
            100 - self.code_percent()
        };
        format!(
            "imported {from} into {to}\n  procedures: {} ({} rollback or restore)\n  steps:      {}\n  commands:   {} ({} as code, {}%; {} left as TODO, {}%)\n  parameters: {}\n  secrets:    {}\n  hosts:      {}\n  TODOs:      {} (search the draft for TODO(import))\n",
            self.procedures,
            self.rollback_procedures,
            self.steps,
            self.commands(),
            self.code,
            self.code_percent(),
            self.todo,
            todo_percent,
            self.params,
            self.secrets,
            self.hosts,
            self.todos,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_rounded_and_add_up() {
        let s = Summary {
            code: 2,
            todo: 1,
            ..Summary::default()
        };
        assert_eq!(s.code_percent(), 67);
        assert!(
            s.render("a.md", "a.rb42")
                .contains("commands:   3 (2 as code, 67%; 1 left as TODO, 33%)")
        );
        assert_eq!(Summary::default().code_percent(), 0);
    }
}
