//! How much of a step's output its run's journal keeps, per step and host: `--journal-output
//! LINES|all` (or `RUNBOOK_JOURNAL_OUTPUT`) for a run, `journal LINES|all` on a step.
//! `journal::output_bound` applies it.

/// Output lines kept per step and host, by default: 500 first and 500 last.
pub const DEFAULT_LINES: usize = 1000;

/// What the journal keeps of each step's output on each host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputLimit {
    /// Every line.
    All,
    /// The first `head` and the last `tail` lines.
    Lines { head: usize, tail: usize },
}

impl Default for OutputLimit {
    fn default() -> Self {
        Self::lines(DEFAULT_LINES)
    }
}

impl OutputLimit {
    /// `lines` lines per step and host, half the first ones, half the last ones.
    pub fn lines(lines: usize) -> Self {
        let head = lines / 2;
        Self::Lines {
            head,
            tail: lines - head,
        }
    }

    /// `--journal-output` and `journal`: a number of lines, or `all`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text == "all" {
            return Ok(Self::All);
        }
        text.parse::<usize>().map(Self::lines).map_err(|_| {
            format!("`{text}` is not a number of output lines to journal per step, nor `all`")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::OutputLimit;

    #[test]
    fn a_number_of_lines_is_split_into_head_and_tail() {
        assert_eq!(OutputLimit::parse("all"), Ok(OutputLimit::All));
        assert_eq!(
            OutputLimit::parse("1001"),
            Ok(OutputLimit::Lines {
                head: 500,
                tail: 501
            })
        );
        assert_eq!(OutputLimit::default(), OutputLimit::lines(1000));
        assert!(OutputLimit::parse("-3").is_err());
    }
}
