//! Host patterns: the first word of a host line, `web1`, `web1:2222`, `db[01:03].example.org`,
//! `fe80::1`, `[::1]` or `[::1]:2222`, turned into host names and a port.

use super::InventoryError;
use super::host_range::HostRange;
use super::line_tokens::{Line, Token, excerpt};
use std::net::Ipv6Addr;

/// Ranges multiply, so one short line could otherwise ask for billions of hosts.
const MAX_HOSTS_PER_LINE: u64 = 100_000;

/// The host names and port of a host pattern: `web1`, `web1:2222`, `db[01:03].example.org`,
/// `fe80::1`, `[::1]` or `[::1]:2222`.
pub(super) fn parse_host_pattern(
    line: Line,
    token: &Token,
) -> Result<(Vec<String>, Option<u16>), InventoryError> {
    let pattern = token.text.as_str();
    if token.equals.is_some() {
        return Err(line.error(
            token.start,
            format!(
                "expected a host name, found the variable `{}`: variables go after the host name",
                excerpt(pattern)
            ),
        ));
    }
    if pattern.parse::<Ipv6Addr>().is_ok() {
        return Ok((vec![pattern.to_owned()], None));
    }
    if let Some((address, after)) = bracketed_ipv6(pattern) {
        let port = parse_ipv6_port(line, token, address, after)?;
        return Ok((vec![address.to_owned()], port));
    }
    let (name, port) = match split_port(pattern) {
        Some((name, port)) => {
            let port_at = token.start + name.len() + 1;
            let port = parse_port(port).map_err(|message| line.error(port_at, message))?;
            (name, Some(port))
        }
        None => (pattern, None),
    };
    if name.is_empty() {
        return Err(line.error(token.start, "missing host name before `:`"));
    }
    let names = expand_ranges(name)
        .map_err(|(offset, message)| line.error(token.start + offset, message))?;
    if let Some(bad) = names.iter().find(|name| name.contains(':')) {
        return Err(line.error(
            token.start,
            format!(
                "invalid host name `{}`: only one `:port` may follow a name; \
                 write an IPv6 address with a port as `[2001:db8::1]:22`",
                excerpt(bad)
            ),
        ));
    }
    Ok((names, port))
}

/// A port from `name:port`: digits, 1 to 65535.
pub(super) fn parse_port(text: &str) -> Result<u16, String> {
    if text.is_empty() {
        return Err("missing port number after `:`".to_owned());
    }
    if !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "invalid port `{}`: expected a number from 1 to 65535",
            excerpt(text)
        ));
    }
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!(
            "port {} is out of range: expected a number from 1 to 65535",
            excerpt(text)
        )),
    }
}

/// `[address]` and what follows it, when `address` is an IPv6 address.
fn bracketed_ipv6(pattern: &str) -> Option<(&str, &str)> {
    let (address, after) = pattern.strip_prefix('[')?.split_once(']')?;
    address.parse::<Ipv6Addr>().ok()?;
    Some((address, after))
}

/// The `:port` after a bracketed IPv6 address, if any.
fn parse_ipv6_port(
    line: Line,
    token: &Token,
    address: &str,
    after: &str,
) -> Result<Option<u16>, InventoryError> {
    let after_at = token.start + address.len() + 2;
    if after.is_empty() {
        return Ok(None);
    }
    let Some(port) = after.strip_prefix(':') else {
        return Err(line.error(
            after_at,
            format!(
                "unexpected `{}` after the IPv6 address `[{address}]`: expected `:port`",
                excerpt(after)
            ),
        ));
    };
    let port = parse_port(port).map_err(|message| line.error(after_at + 1, message))?;
    Ok(Some(port))
}

/// Splits `name:port` at the last `:` outside range brackets.
fn split_port(pattern: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    let mut colon = None;
    for (at, c) in pattern.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => colon = Some(at),
            _ => {}
        }
    }
    colon.map(|at| (&pattern[..at], &pattern[at + 1..]))
}

/// Expands every `[start:end]` or `[start:end:step]` of a host name, left to right. Errors
/// carry the byte offset in `name` of the offending bracket.
fn expand_ranges(name: &str) -> Result<Vec<String>, (usize, String)> {
    let mut names = vec![String::new()];
    let mut count: u64 = 1;
    let mut from = 0;
    while let Some(open) = name[from..].find('[').map(|offset| from + offset) {
        let literal = &name[from..open];
        check_no_closing_bracket(literal, from)?;
        let Some(close) = name[open..].find(']').map(|offset| open + offset) else {
            return Err((open, "host range is not closed: expected `]`".to_owned()));
        };
        let range = HostRange::parse(&name[open + 1..close]).map_err(|message| (open, message))?;
        count = count.saturating_mul(range.len());
        if count > MAX_HOSTS_PER_LINE {
            return Err((
                open,
                format!("host ranges expand to more than {MAX_HOSTS_PER_LINE} hosts on one line"),
            ));
        }
        let values = range.values();
        names = names
            .iter()
            .flat_map(|prefix| {
                values
                    .iter()
                    .map(move |value| format!("{prefix}{literal}{value}"))
            })
            .collect();
        from = close + 1;
    }
    let tail = &name[from..];
    check_no_closing_bracket(tail, from)?;
    Ok(names.into_iter().map(|prefix| prefix + tail).collect())
}

fn check_no_closing_bracket(literal: &str, offset: usize) -> Result<(), (usize, String)> {
    match literal.find(']') {
        Some(at) => Err((
            offset + at,
            "unexpected `]` in host name: a host range looks like `web[01:10]`".to_owned(),
        )),
        None => Ok(()),
    }
}
