//! Literals of the draft: rhai strings and templates for bodies, `.rb42` strings for titles,
//! descriptions and help.

/// A piece of a string expression: text, or a rhai expression spliced in.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Text(String),
    Expr(String),
}

/// A rhai string literal.
pub fn string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A string expression: a literal, a template (`` `cd ${quote(dir)}` ``) when the text allows
/// one, else a concatenation.
pub fn expression(segments: &[Segment]) -> String {
    let exprs = segments
        .iter()
        .filter(|s| matches!(s, Segment::Expr(_)))
        .count();
    let text: String = segments
        .iter()
        .filter_map(|s| match s {
            Segment::Text(t) => Some(t.as_str()),
            Segment::Expr(_) => None,
        })
        .collect();
    if exprs == 0 {
        return string(&text);
    }
    if let [Segment::Expr(only)] = segments {
        return only.clone();
    }
    // A template cannot hold a literal backtick or `${`, and has no escapes for control
    // characters.
    let template_safe = !text.contains('`')
        && !text.contains("${")
        && !text.ends_with('$')
        && !text.chars().any(|c| c.is_control() && c != '\n');
    if template_safe {
        let mut out = String::from("`");
        for s in segments {
            match s {
                Segment::Text(t) => out.push_str(t),
                Segment::Expr(e) => {
                    out.push_str("${");
                    out.push_str(e);
                    out.push('}');
                }
            }
        }
        out.push('`');
        return out;
    }
    segments
        .iter()
        .map(|s| match s {
            Segment::Text(t) => string(t),
            Segment::Expr(e) => format!("`${{{e}}}`"),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// A `.rb42` string literal (the grammar's escapes).
pub fn rb42_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `//` comment's text on one line.
pub fn comment_text(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_and_templates_used_when_they_can_be() {
        assert_eq!(string("a \"b\" \\ c\n"), r#""a \"b\" \\ c\n""#);
        let segments = [
            Segment::Text("git clone ".into()),
            Segment::Expr("quote(url)".into()),
        ];
        assert_eq!(expression(&segments), "`git clone ${quote(url)}`");
        let awkward = [
            Segment::Text("echo `x` ".into()),
            Segment::Expr("quote(v)".into()),
        ];
        assert_eq!(expression(&awkward), "\"echo `x` \" + `${quote(v)}`");
        assert_eq!(expression(&[Segment::Expr("v".into())]), "v");
        assert_eq!(rb42_string("l'« a »\t\"b\""), "\"l'« a »\\t\\\"b\\\"\"");
    }
}
