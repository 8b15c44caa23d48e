//! Hover text for the language's keywords: the passage of `grammar/README.md` §4 that
//! explains the construct, with the example that follows it, embedded so the reference shown
//! is the one the binary was built with.

const REFERENCE: &str = include_str!("../../grammar/README.md");

/// Where each keyword's passage starts: a paragraph's bold lead, or a bullet under "Steps".
const PASSAGES: &[(&str, &str)] = &[
    ("let", "**Values.**"),
    ("optional", "* `optional`:"),
    ("none", "* `rollback none \"why\"`:"),
    ("if", "**Conditional confirmations.**"),
    ("when", "* `when { … }`:"),
    ("retry", "* `retry N`:"),
    ("timeout", "* `timeout`:"),
    ("journal", "* `journal N` / `journal all`:"),
    ("guard", "**Guards.**"),
    ("finally", "**Finally.**"),
    ("secret", "**Secrets.**"),
    ("param", "**Parameters.**"),
];

/// The reference passage of keyword `word`, as Markdown: its paragraph or bullet, then the
/// `rb42` example right after it, if any.
pub fn reference(word: &str) -> Option<String> {
    let marker = PASSAGES.iter().find(|(k, _)| *k == word)?.1;
    let start = REFERENCE.find(&format!("\n{marker}"))? + 1;
    let mut lines = REFERENCE[start..].lines().peekable();
    let mut out = String::new();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let ends = lines.peek().is_none_or(|next| {
            next.is_empty() || next.starts_with("* ") || next.starts_with("```")
        });
        if ends {
            break;
        }
    }
    while lines.peek().is_some_and(|l| l.is_empty()) {
        lines.next();
    }
    if lines.peek().is_some_and(|l| l.starts_with("```rb42")) {
        out.push('\n');
        for line in lines.by_ref() {
            out.push_str(line);
            out.push('\n');
            if line == "```" {
                break;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_listed_finds_its_passage_and_a_grammar_keyword() {
        let keywords = crate::language::parser::keywords();
        for (word, marker) in PASSAGES {
            assert!(keywords.iter().any(|k| k == word), "`{word}` is no keyword");
            let passage = reference(word).unwrap_or_default();
            assert!(passage.starts_with(marker), "`{word}`: {passage}");
        }
        assert_eq!(reference("procedure_x"), None);
    }

    #[test]
    fn a_passage_ends_at_its_bullet_and_brings_its_example() {
        let none = reference("none").expect("rollback none");
        assert!(none.contains("The reason may not be empty."), "{none}");
        assert!(
            none.contains("} rollback none \"les sauvegardes sont conservées"),
            "{none}"
        );
        assert!(!none.contains("Conditional confirmations"), "{none}");
        let optional = reference("optional").expect("optional");
        assert!(optional.contains("```rb42\nstep restart_api"), "{optional}");
        assert!(!optional.contains("`journal N`"), "{optional}");
    }
}
