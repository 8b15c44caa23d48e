//! Section headers: `[group]`, `[group:hosts]`, `[group:vars]` and `[group:children]`, told
//! apart from host lines that also start with `[` (`[::1]:22`, `[a:c]-web`), and group names.

use super::InventoryError;
use super::line_tokens::{Line, excerpt, is_blank, strip_trailing_comment};
use crate::diagnostic::source::Location;
use std::net::Ipv6Addr;

/// What the lines under a section header hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SectionKind {
    /// `[group]` (or `[group:hosts]`): host lines.
    Hosts,
    /// `[group:vars]`: `key=value` lines.
    Vars,
    /// `[group:children]`: one group name per line.
    Children,
}

/// A `[name:kind]` line.
#[derive(Debug)]
pub(super) struct SectionHeader<'a> {
    pub(super) name: &'a str,
    pub(super) kind: SectionKind,
    /// Where the group name starts.
    pub(super) at: Location,
}

/// A line starting with `[` is a section header, unless it is a host such as `[::1]:22`,
/// `[fe80::1]` or `[a:c]-web` (something other than a comment follows the `]` directly).
pub(super) fn parse_section_header(
    line: Line<'_>,
    start: usize,
) -> Result<Option<SectionHeader<'_>>, InventoryError> {
    let content = line.rest(start);
    if !content.starts_with('[') {
        return Ok(None);
    }
    let Some(close) = content.find(']') else {
        return Err(line.error(
            start,
            format!(
                "the section header `{}` is not closed: expected `]`",
                excerpt(strip_trailing_comment(content).trim_end())
            ),
        ));
    };
    let inner = &content[1..close];
    let after = &content[close + 1..];
    let ends_header = after.is_empty() || after.starts_with(|c: char| is_blank(c) || c == '#');
    if !ends_header || inner.parse::<Ipv6Addr>().is_ok() {
        return Ok(None);
    }
    check_header_end(line, start + close + 1)?;
    let name_at = start + 1;
    let (name, suffix) = match inner.split_once(':') {
        Some((name, suffix)) => (name, Some(suffix)),
        None => (inner, None),
    };
    check_group_name(name).map_err(|message| line.error(name_at, message))?;
    let kind = match suffix {
        None | Some("hosts") => SectionKind::Hosts,
        Some("vars") => SectionKind::Vars,
        Some("children") => SectionKind::Children,
        Some(other) => {
            return Err(line.error(
                name_at + name.len() + 1,
                format!(
                    "unknown section type `{}` in `[{}]`: expected `[{name}]`, \
                     `[{name}:vars]` or `[{name}:children]`",
                    excerpt(other),
                    excerpt(inner)
                ),
            ));
        }
    };
    Ok(Some(SectionHeader {
        name,
        kind,
        at: line.location(name_at),
    }))
}

/// Only a comment may follow a section header's `]`.
fn check_header_end(line: Line, from: usize) -> Result<(), InventoryError> {
    let after = line.rest(from);
    let rest = after.trim_start_matches(is_blank);
    if rest.is_empty() || rest.starts_with(['#', ';']) {
        return Ok(());
    }
    let word = rest.split(is_blank).next().unwrap_or(rest);
    Err(line.error(
        from + (after.len() - rest.len()),
        format!(
            "unexpected `{}` after the section header: only a comment may follow `]`",
            excerpt(word)
        ),
    ))
}

/// Group names: letters, digits, `_` and (unlike Ansible, which only warns) `-`.
pub(super) fn check_group_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("missing group name: a section header looks like `[webservers]`".to_owned());
    }
    let Some(bad) = name
        .chars()
        .find(|&c| !(c.is_alphanumeric() || c == '_' || c == '-'))
    else {
        return Ok(());
    };
    let what = if is_blank(bad) {
        "spaces are".to_owned()
    } else {
        format!("`{bad}` is")
    };
    Err(format!(
        "invalid group name `{}`: {what} not allowed; use letters, digits, `_` and `-`",
        excerpt(name)
    ))
}
