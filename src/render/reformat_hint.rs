//! `runbook fmt --check`: where a runbook would change, as the first hunk of a diff.

/// At most this many lines of each side of a change are shown.
const HINT_LINES: usize = 6;

/// The first lines that differ, as a diff hunk: the lines between the common start and the
/// common end, `-` before and `+` after.
pub fn hint(old: &str, new: &str) -> String {
    let old: Vec<&str> = old.split('\n').collect();
    let new: Vec<&str> = new.split('\n').collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let mut text = format!("@@ line {} @@\n", prefix + 1);
    for (sign, lines) in [
        ('-', &old[prefix..old.len() - suffix]),
        ('+', &new[prefix..new.len() - suffix]),
    ] {
        for line in lines.iter().take(HINT_LINES) {
            text.push_str(&format!("{sign}{line}\n"));
        }
        if lines.len() > HINT_LINES {
            text.push_str(&format!(
                "{sign}… {} more lines\n",
                lines.len() - HINT_LINES
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::hint;

    #[test]
    fn shows_the_changed_lines_between_the_common_start_and_end() {
        let old = "a\nb\n  c\nd\n";
        let new = "a\nb\nc\nd\n";
        assert_eq!(hint(old, new), "@@ line 3 @@\n-  c\n+c\n");
    }

    #[test]
    fn cuts_a_long_change_short() {
        let old = "x\n".repeat(10);
        let new = "y\n".repeat(10);
        let shown = hint(&old, &new);
        assert!(shown.contains("-… 4 more lines\n"), "{shown}");
        assert!(shown.contains("+… 4 more lines\n"), "{shown}");
    }
}
