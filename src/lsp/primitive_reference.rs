//! Hover text for primitives: their rows in the reference tables of `grammar/README.md` §6,
//! embedded so the reference shown is the one the binary was built with.

const REFERENCE: &str = include_str!("../../grammar/README.md");

/// The reference of primitive `name`: every table row whose first cell names it as a call
/// (a code span starting with `` `name( ``), under its table's header. `None` when no row
/// does, so a name never shows someone else's row.
pub fn reference(name: &str) -> Option<String> {
    let call = format!("`{name}(");
    let mut header: Option<(&str, &str)> = None;
    let mut previous = "";
    let mut shown_header = None;
    let mut out = String::new();
    for line in REFERENCE.lines() {
        if !line.starts_with('|') {
            header = None;
        } else if line.starts_with("|---") {
            header = Some((previous, line));
        } else if let Some((head, rule)) = header
            && first_cell(line).contains(&call)
        {
            if shown_header != Some(head) {
                out.push_str(&format!("{head}\n{rule}\n"));
                shown_header = Some(head);
            }
            out.push_str(line);
            out.push('\n');
        }
        previous = line;
    }
    (!out.is_empty()).then_some(out)
}

/// The first cell of a table row; `\|` inside it is text, not a separator.
fn first_cell(row: &str) -> &str {
    let bytes = row.as_bytes();
    (1..bytes.len())
        .find(|&i| bytes[i] == b'|' && bytes[i - 1] != b'\\')
        .map_or(row, |end| &row[1..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_primitive_shows_its_row_under_its_table_header() {
        let sh = reference("sh").expect("sh is documented");
        let mut lines = sh.lines();
        assert_eq!(
            lines.next(),
            Some("| Signature | Returns | World | In a dry-run |")
        );
        assert_eq!(lines.next(), Some("|---|---|---|---|"));
        assert!(
            lines
                .next()
                .is_some_and(|row| row.starts_with("| `sh(cmd)`"))
        );
        assert_eq!(lines.next(), None, "{sh}");
    }

    #[test]
    fn a_name_later_in_a_first_cell_finds_that_row() {
        let head = reference("http_head").expect("http_head is documented");
        assert!(head.contains("| `http_get(url)`"), "{head}");
        assert!(reference("timestamp").is_some_and(|r| r.contains("`now()`")));
    }

    #[test]
    fn every_primitive_has_a_row_and_an_unknown_name_none() {
        let without: Vec<&str> = crate::primitives::NAMES
            .iter()
            .copied()
            .filter(|name| reference(name).is_none())
            .collect();
        assert!(without.is_empty(), "{without:?}");
        assert!(reference("docker").is_some_and(|r| r.contains("`docker(host)`")));
        assert_eq!(reference("shell"), None);
        assert_eq!(reference("read"), None, "an option of sh is not a call");
    }
}
