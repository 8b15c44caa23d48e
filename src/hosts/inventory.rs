//! Ansible INI inventories: `[group]`, `[group:vars]` and `[group:children]` sections, host
//! lines with `key=value` variables, `host:port`, `[::1]:2222` and ranges such as `web[01:03]`.
//! Parsing is pure (text in, [`Inventory`] out): every group is expanded to its hosts and every
//! host's variables are merged the way Ansible merges them. Values stay strings.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::net::Ipv6Addr;

/// A parsed inventory: hosts with their merged variables, and groups (children expanded).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    /// Hosts in order of first appearance.
    pub hosts: Vec<InventoryHost>,
    /// Group name → host names (in inventory order, no duplicates), children groups expanded
    /// recursively. Always contains "all" (every host) and "ungrouped" (hosts listed before any
    /// section or only in [ungrouped]).
    pub groups: BTreeMap<String, Vec<String>>,
}

/// One host of an inventory, with the connection settings taken from its variables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InventoryHost {
    /// The inventory hostname (as written, e.g. "web1" or "db.example.org").
    pub name: String,
    /// `ansible_host` (or legacy `ansible_ssh_host`); None = connect to `name`.
    pub address: Option<String>,
    /// From `name:port`, or `ansible_port` / `ansible_ssh_port`.
    pub port: Option<u16>,
    /// `ansible_user` / `ansible_ssh_user`.
    pub user: Option<String>,
    /// `ansible_ssh_private_key_file` / `ansible_private_key_file`.
    pub identity: Option<String>,
    /// Every variable that applies to the host, merged with Ansible precedence:
    /// [all:vars] < vars of parent groups < vars of child groups < host line vars. Includes the
    /// ansible_* keys too.
    pub vars: BTreeMap<String, String>,
}

/// A problem at a 1-based line and column (in characters) of the inventory text.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for InventoryError {}

/// Parses the text of an Ansible INI inventory.
///
/// # Errors
///
/// The first problem found, at its line and column: a malformed section header, host pattern,
/// range, port, quote or variable, `[group:vars]` for a group nothing defines, or a cycle of
/// `[group:children]`.
pub fn parse(text: &str) -> Result<Inventory, InventoryError> {
    let mut builder = InventoryBuilder::new();
    for (index, text) in text.lines().enumerate() {
        builder.read_line(Line {
            number: index + 1,
            text,
        })?;
    }
    builder.finish()
}

impl Inventory {
    /// The host names a name stands for: a group's hosts, or a single host; None if unknown.
    /// A group wins over a host of the same name, as in Ansible patterns.
    pub fn resolve(&self, name: &str) -> Option<Vec<String>> {
        if let Some(hosts) = self.groups.get(name) {
            return Some(hosts.clone());
        }
        self.host(name).map(|host| vec![host.name.clone()])
    }

    /// The host with this inventory hostname.
    pub fn host(&self, name: &str) -> Option<&InventoryHost> {
        self.hosts.iter().find(|host| host.name == name)
    }
}

impl InventoryHost {
    /// Takes each connection setting from the most specific level that sets one of its names;
    /// when one level sets both names, the `ansible_ssh_*` one wins, as in Ansible's ssh plugin.
    fn from_ranked(name: String, ranked: RankedVars) -> Self {
        let pick = |keys: [&str; 2]| {
            let found = keys.iter().enumerate().filter_map(|(order, key)| {
                ranked
                    .get(*key)
                    .map(|(value, rank)| ((*rank, order), value))
            });
            found
                .max_by_key(|(rank, _)| *rank)
                .map(|(_, value)| value.clone())
        };
        let address = pick(["ansible_host", "ansible_ssh_host"]);
        // Port values were checked when they were set, so this parse cannot fail.
        let port = pick(PORT_KEYS).and_then(|port| port.parse().ok());
        let user = pick(["ansible_user", "ansible_ssh_user"]);
        let identity = pick(["ansible_private_key_file", "ansible_ssh_private_key_file"]);
        let vars = ranked
            .into_iter()
            .map(|(key, (value, _))| (key, value))
            .collect();
        Self {
            name,
            address,
            port,
            user,
            identity,
            vars,
        }
    }
}

/// Merged variables with the precedence rank of the level that set each one.
type RankedVars = BTreeMap<String, (String, usize)>;

/// Ranges multiply, so one short line could otherwise ask for billions of hosts.
const MAX_HOSTS_PER_LINE: u64 = 100_000;
/// The variables that hold a port; their values must be port numbers.
const PORT_KEYS: [&str; 2] = ["ansible_port", "ansible_ssh_port"];
/// The letters of an alphabetic host range, in Ansible's order (`string.ascii_letters`).
const RANGE_LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// User text quoted in a message is cut to this many characters.
const EXCERPT_CHARS: usize = 40;
const ALL_ID: usize = 0;
const UNGROUPED_ID: usize = 1;

/// One line of the inventory text.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    number: usize,
    text: &'a str,
}

impl<'a> Line<'a> {
    /// The text from a byte offset on (empty past the end).
    fn rest(self, byte: usize) -> &'a str {
        self.text.get(byte..).unwrap_or_default()
    }

    /// The position of a byte offset of this line.
    fn location(self, byte: usize) -> Location {
        let before = self.text.get(..byte).unwrap_or(self.text);
        Location {
            line: self.number,
            column: before.chars().count() + 1,
        }
    }

    fn error(self, byte: usize, message: impl Into<String>) -> InventoryError {
        self.location(byte).error(message)
    }
}

/// A remembered position, for problems found after the whole text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Location {
    line: usize,
    column: usize,
}

impl Location {
    fn error(self, message: impl Into<String>) -> InventoryError {
        InventoryError {
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }
}

/// Whitespace, plus the byte-order mark an editor may put before the first line.
fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// The byte length of the blank run that starts `text`.
fn blank_len(text: &str) -> usize {
    text.len() - text.trim_start_matches(is_blank).len()
}

/// User text for a message, cut short so a hostile line cannot flood the terminal.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// `text` without a trailing comment: a `#` at the start or after whitespace.
fn strip_trailing_comment(text: &str) -> &str {
    let mut previous_blank = true;
    for (at, c) in text.char_indices() {
        if c == '#' && previous_blank {
            return &text[..at];
        }
        previous_blank = is_blank(c);
    }
    text
}

/// What the lines under a section header hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SectionKind {
    /// `[group]` (or `[group:hosts]`): host lines.
    Hosts,
    /// `[group:vars]`: `key=value` lines.
    Vars,
    /// `[group:children]`: one group name per line.
    Children,
}

/// The section the next line belongs to.
#[derive(Debug, Clone, Copy)]
struct Section {
    group: usize,
    kind: SectionKind,
}

/// A `[name:kind]` line.
#[derive(Debug)]
struct SectionHeader<'a> {
    name: &'a str,
    kind: SectionKind,
    /// Where the group name starts.
    at: Location,
}

/// A group as written, before children are expanded.
#[derive(Debug, Default)]
struct GroupEntry {
    name: String,
    /// Defined by `[name]`, `[name:children]` or by being listed as a child; `[name:vars]` alone
    /// does not define a group (Ansible rejects vars for a group that does not exist).
    defined: bool,
    first_vars_header: Option<Location>,
    hosts: BTreeSet<usize>,
    children: Vec<ChildEntry>,
    vars: BTreeMap<String, String>,
}

/// A line of a `[parent:children]` section.
#[derive(Debug, Clone, Copy)]
struct ChildEntry {
    group: usize,
    at: Location,
}

/// A host as written: the groups it is listed in and its host line variables.
#[derive(Debug)]
struct HostEntry {
    name: String,
    groups: BTreeSet<usize>,
    vars: BTreeMap<String, String>,
}

/// Collects sections line by line, then expands groups and merges variables in `finish`.
#[derive(Debug)]
struct InventoryBuilder {
    section: Section,
    hosts: Vec<HostEntry>,
    host_ids: HashMap<String, usize>,
    groups: Vec<GroupEntry>,
    group_ids: HashMap<String, usize>,
}

impl InventoryBuilder {
    fn new() -> Self {
        let mut builder = Self {
            section: Section {
                group: UNGROUPED_ID,
                kind: SectionKind::Hosts,
            },
            hosts: Vec::new(),
            host_ids: HashMap::new(),
            groups: Vec::new(),
            group_ids: HashMap::new(),
        };
        for implicit in ["all", "ungrouped"] {
            let id = builder.group_id(implicit);
            builder.groups[id].defined = true;
        }
        builder
    }

    fn group_id(&mut self, name: &str) -> usize {
        if let Some(&id) = self.group_ids.get(name) {
            return id;
        }
        let id = self.groups.len();
        self.group_ids.insert(name.to_owned(), id);
        self.groups.push(GroupEntry {
            name: name.to_owned(),
            ..GroupEntry::default()
        });
        id
    }

    fn host_id(&mut self, name: String) -> usize {
        if let Some(&id) = self.host_ids.get(&name) {
            return id;
        }
        let id = self.hosts.len();
        self.host_ids.insert(name.clone(), id);
        self.hosts.push(HostEntry {
            name,
            groups: BTreeSet::new(),
            vars: BTreeMap::new(),
        });
        id
    }

    fn read_line(&mut self, line: Line) -> Result<(), InventoryError> {
        let start = blank_len(line.text);
        let content = line.rest(start);
        if content.trim_end().is_empty() || content.starts_with(['#', ';']) {
            return Ok(());
        }
        if let Some(header) = parse_section_header(line, start)? {
            self.enter_section(&header);
            return Ok(());
        }
        match self.section.kind {
            SectionKind::Hosts => self.read_host_line(line, start),
            SectionKind::Vars => self.read_vars_line(line, start),
            SectionKind::Children => self.read_child_line(line, start),
        }
    }

    fn enter_section(&mut self, header: &SectionHeader) {
        let group = self.group_id(header.name);
        let entry = &mut self.groups[group];
        if header.kind == SectionKind::Vars {
            entry.first_vars_header.get_or_insert(header.at);
        } else {
            entry.defined = true;
        }
        self.section = Section {
            group,
            kind: header.kind,
        };
    }

    /// `name[:port] key=value …`, possibly standing for several hosts through ranges.
    fn read_host_line(&mut self, line: Line, start: usize) -> Result<(), InventoryError> {
        let tokens = tokenize(line, start)?;
        let Some((pattern, assignments)) = tokens.split_first() else {
            return Ok(());
        };
        let (names, port) = parse_host_pattern(line, pattern)?;
        let mut vars = Vec::with_capacity(assignments.len() + 1);
        // Ansible turns `name:port` into the ansible_port host variable; the line's own
        // variables come after it and may override it.
        if let Some(port) = port {
            vars.push(("ansible_port".to_owned(), port.to_string()));
        }
        for token in assignments {
            vars.push(parse_assignment(line, token)?);
        }
        for name in names {
            self.add_host(name, &vars);
        }
        Ok(())
    }

    fn add_host(&mut self, name: String, vars: &[(String, String)]) {
        let group = self.section.group;
        let id = self.host_id(name);
        let host = &mut self.hosts[id];
        host.groups.insert(group);
        host.vars.extend(vars.iter().cloned());
        self.groups[group].hosts.insert(id);
    }

    /// `key=value`, `key = value` or `key="quoted value"`, with an optional trailing comment.
    fn read_vars_line(&mut self, line: Line, start: usize) -> Result<(), InventoryError> {
        let group = self.section.group;
        let content = line.rest(start);
        let Some(equals) = content.find('=') else {
            return Err(line.error(
                start,
                format!(
                    "expected `key=value` in the [{}:vars] section, found `{}`",
                    excerpt(&self.groups[group].name),
                    excerpt(strip_trailing_comment(content).trim_end())
                ),
            ));
        };
        let key = content[..equals].trim_end();
        check_variable_name(key).map_err(|message| line.error(start, message))?;
        let (value, value_at) = read_vars_value(line, start + equals + 1)?;
        check_port_variable(key, &value).map_err(|message| line.error(value_at, message))?;
        self.groups[group].vars.insert(key.to_owned(), value);
        Ok(())
    }

    /// One child group name, with an optional trailing comment.
    fn read_child_line(&mut self, line: Line, start: usize) -> Result<(), InventoryError> {
        let content = strip_trailing_comment(line.rest(start)).trim_end();
        let name_len = content.find(is_blank).unwrap_or(content.len());
        let (name, extra) = content.split_at(name_len);
        let extra_at = start + name_len + blank_len(extra);
        if !extra.trim_start().is_empty() {
            return Err(line.error(
                extra_at,
                format!(
                    "unexpected `{}` after the child group `{}`: list one group per line",
                    excerpt(extra.trim_start()),
                    excerpt(name)
                ),
            ));
        }
        check_group_name(name).map_err(|message| line.error(start, message))?;
        if name == "all" {
            return Err(line.error(
                start,
                "`all` cannot be a child group: it already contains every group",
            ));
        }
        let child = self.group_id(name);
        // A child that no section defines is an empty group.
        self.groups[child].defined = true;
        let parent = self.section.group;
        self.groups[parent].children.push(ChildEntry {
            group: child,
            at: line.location(start),
        });
        Ok(())
    }

    fn finish(self) -> Result<Inventory, InventoryError> {
        self.check_vars_groups_defined()?;
        let order = order_groups(&self.groups)?;
        let members = self.members(&order.parents_first);
        let vars = self.merged_vars(&order.depths, &members);
        let groups = self
            .groups
            .iter()
            .zip(&members)
            .map(|(group, members)| {
                let names = members.iter().map(|&h| self.hosts[h].name.clone());
                (group.name.clone(), names.collect())
            })
            .collect();
        let hosts = self
            .hosts
            .into_iter()
            .zip(vars)
            .map(|(host, vars)| InventoryHost::from_ranked(host.name, vars))
            .collect();
        Ok(Inventory { hosts, groups })
    }

    /// `[name:vars]` needs a group that some `[name]` or `[name:children]` defines: a typo in
    /// the name would otherwise silently drop the variables.
    fn check_vars_groups_defined(&self) -> Result<(), InventoryError> {
        let undefined = self
            .groups
            .iter()
            .filter(|group| !group.defined)
            .filter_map(|group| Some((group.first_vars_header?, &group.name)))
            .min();
        let Some((at, full_name)) = undefined else {
            return Ok(());
        };
        let name = excerpt(full_name);
        let defined = self.groups.iter().filter(|group| group.defined);
        let hint = closest_name(full_name, defined.map(|group| group.name.as_str()))
            .map(|close| format!("; did you mean `{close}`?"))
            .unwrap_or_default();
        Err(at.error(format!(
            "[{name}:vars] sets variables for `{name}`, but no [{name}] or [{name}:children] \
             section defines that group{hint}"
        )))
    }

    /// Each group's hosts, its descendants' included, as host ids in inventory order.
    fn members(&self, parents_first: &[usize]) -> Vec<BTreeSet<usize>> {
        let mut members: Vec<BTreeSet<usize>> = self
            .groups
            .iter()
            .map(|group| group.hosts.clone())
            .collect();
        // As in Ansible, a host is ungrouped only when no other group lists it.
        members[UNGROUPED_ID] = (0..self.hosts.len())
            .filter(|&h| {
                let groups = &self.hosts[h].groups;
                groups.iter().all(|&g| g == ALL_ID || g == UNGROUPED_ID)
            })
            .collect();
        for &group in parents_first.iter().rev() {
            let mut hosts = std::mem::take(&mut members[group]);
            for child in &self.groups[group].children {
                hosts.extend(members[child.group].iter().copied());
            }
            members[group] = hosts;
        }
        members[ALL_ID] = (0..self.hosts.len()).collect();
        members
    }

    /// Each host's variables: groups by (depth, name), later ones winning, then the host line.
    fn merged_vars(&self, depths: &[usize], members: &[BTreeSet<usize>]) -> Vec<RankedVars> {
        let mut by_precedence: Vec<usize> = (0..self.groups.len()).collect();
        by_precedence.sort_by_key(|&g| (depths[g], self.groups[g].name.as_str()));
        let mut vars = vec![RankedVars::new(); self.hosts.len()];
        for (rank, group) in by_precedence.into_iter().enumerate() {
            for &host in &members[group] {
                add_ranked(&mut vars[host], &self.groups[group].vars, rank);
            }
        }
        for (merged, host) in vars.iter_mut().zip(&self.hosts) {
            add_ranked(merged, &host.vars, usize::MAX);
        }
        vars
    }
}

fn add_ranked(merged: &mut RankedVars, vars: &BTreeMap<String, String>, rank: usize) {
    for (key, value) in vars {
        merged.insert(key.clone(), (value.clone(), rank));
    }
}

/// A line starting with `[` is a section header, unless it is a host such as `[::1]:22`,
/// `[fe80::1]` or `[a:c]-web` (something other than a comment follows the `]` directly).
fn parse_section_header(
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
fn check_group_name(name: &str) -> Result<(), String> {
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

/// Variable names are identifiers: a letter or `_`, then letters, digits or `_`.
fn check_variable_name(key: &str) -> Result<(), String> {
    let mut chars = key.chars();
    let valid = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else if key.is_empty() {
        Err("missing variable name before `=`".to_owned())
    } else {
        Err(format!(
            "invalid variable name `{}`: use letters, digits and `_`, not starting with a digit",
            excerpt(key)
        ))
    }
}

/// A port from `name:port`: digits, 1 to 65535.
fn parse_port(text: &str) -> Result<u16, String> {
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

/// `ansible_port` and `ansible_ssh_port` must hold a port number.
fn check_port_variable(key: &str, value: &str) -> Result<(), String> {
    if !PORT_KEYS.contains(&key) || parse_port(value).is_ok() {
        return Ok(());
    }
    Err(format!(
        "`{key}` must be a port number from 1 to 65535, found `{}`",
        excerpt(value)
    ))
}

/// A word of a host line, quotes removed.
#[derive(Debug)]
struct Token {
    /// Byte offset in the line where the word starts.
    start: usize,
    text: String,
    /// The first `=` outside quotes: its byte offset in the line and in `text`.
    equals: Option<(usize, usize)>,
}

/// Splits a host line into words the way Ansible's `shlex` does: quotes group and are removed,
/// a backslash escapes the next character, a `#` starting a word starts a comment. Unlike
/// `shlex`, a `#` inside a word (`password=abc#1`) is kept.
fn tokenize(line: Line, start: usize) -> Result<Vec<Token>, InventoryError> {
    let mut tokens = Vec::new();
    let mut current: Option<Token> = None;
    let mut at = start;
    while let Some(c) = line.rest(at).chars().next() {
        let mut next = at + c.len_utf8();
        if is_blank(c) {
            tokens.extend(current.take());
        } else if c == '#' && current.is_none() {
            break;
        } else {
            let token = current.get_or_insert_with(|| Token {
                start: at,
                text: String::new(),
                equals: None,
            });
            match c {
                '"' | '\'' => {
                    let (text, end) = read_quoted(line, at)?;
                    token.text.push_str(&text);
                    next = end;
                }
                '\\' => match line.rest(next).chars().next() {
                    Some(escaped) => {
                        token.text.push(escaped);
                        next += escaped.len_utf8();
                    }
                    None => token.text.push('\\'),
                },
                '=' if token.equals.is_none() => {
                    token.equals = Some((at, token.text.len()));
                    token.text.push('=');
                }
                _ => token.text.push(c),
            }
        }
        at = next;
    }
    tokens.extend(current);
    Ok(tokens)
}

/// The text of the quoted string opening at byte `open`, and the byte after its closing quote.
/// Inside double quotes, `\"` and `\\` stand for `"` and `\`; single quotes take text as is.
fn read_quoted(line: Line, open: usize) -> Result<(String, usize), InventoryError> {
    let quote = line.rest(open).chars().next().unwrap_or('"');
    let body_start = open + quote.len_utf8();
    let mut text = String::new();
    let mut chars = line.rest(body_start).char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            c if c == quote => return Ok((text, body_start + offset + c.len_utf8())),
            '\\' if quote == '"' => match chars.next() {
                Some((_, escaped @ ('"' | '\\'))) => text.push(escaped),
                Some((_, other)) => {
                    text.push('\\');
                    text.push(other);
                }
                None => text.push('\\'),
            },
            _ => text.push(c),
        }
    }
    let name = if quote == '"' { "double" } else { "single" };
    Err(line.error(
        open,
        format!("unterminated quote: the {name} quote opened here is never closed"),
    ))
}

/// A `[group:vars]` value from byte `from` (just after `=`): trimmed, quotes removed, trailing
/// comment dropped. Returns the value and the byte where it starts.
fn read_vars_value(line: Line, from: usize) -> Result<(String, usize), InventoryError> {
    let at = from + blank_len(line.rest(from));
    let value = line.rest(at);
    if !value.starts_with(['"', '\'']) {
        return Ok((strip_trailing_comment(value).trim_end().to_owned(), at));
    }
    let (text, end) = read_quoted(line, at)?;
    let after = line.rest(end).trim_start_matches(is_blank);
    if after.is_empty() || after.starts_with('#') {
        return Ok((text, at));
    }
    Err(line.error(
        line.text.len() - after.len(),
        format!(
            "unexpected `{}` after the quoted value: quote the whole value",
            excerpt(after.trim_end())
        ),
    ))
}

/// `key=value` after the host name.
fn parse_assignment(line: Line, token: &Token) -> Result<(String, String), InventoryError> {
    let Some((equals_byte, equals_index)) = token.equals else {
        return Err(line.error(
            token.start,
            format!(
                "expected `key=value` after the host name, found `{}`",
                excerpt(&token.text)
            ),
        ));
    };
    let key = &token.text[..equals_index];
    let value = &token.text[equals_index + 1..];
    check_variable_name(key).map_err(|message| line.error(token.start, message))?;
    check_port_variable(key, value).map_err(|message| line.error(equals_byte + 1, message))?;
    Ok((key.to_owned(), value.to_owned()))
}

/// The host names and port of a host pattern: `web1`, `web1:2222`, `db[01:03].example.org`,
/// `fe80::1`, `[::1]` or `[::1]:2222`.
fn parse_host_pattern(
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

/// The inside of `[01:10]`, `[a:f]` or `[1:10:2]`.
#[derive(Debug)]
struct HostRange {
    first: u64,
    last: u64,
    step: u64,
    format: RangeFormat,
}

#[derive(Debug, Clone, Copy)]
enum RangeFormat {
    Letters,
    /// Numbers zero-padded to `width` digits (0 = no padding).
    Numbers {
        width: usize,
    },
}

impl HostRange {
    fn parse(spec: &str) -> Result<Self, String> {
        let shown = excerpt(spec);
        let parts: Vec<&str> = spec.split(':').collect();
        let (start, end, step) = match parts.as_slice() {
            [start, end] => (*start, *end, None),
            [start, end, step] => (*start, *end, Some(*step)),
            _ => {
                return Err(format!(
                    "invalid host range `[{shown}]`: write `[start:end]` or \
                     `[start:end:step]`, e.g. `[01:10]` or `[a:f]`"
                ));
            }
        };
        let step = match step {
            None => 1,
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|&step| step > 0)
                .ok_or_else(|| {
                    format!(
                        "invalid step `{}` in host range `[{shown}]`: expected a positive number",
                        excerpt(text)
                    )
                })?,
        };
        if end.is_empty() {
            return Err(format!("host range `[{shown}]` has no end value"));
        }
        // As in Ansible, `[:5]` starts at 0.
        let start = if start.is_empty() { "0" } else { start };
        let (first, last, format) = range_bounds(start, end, &shown)?;
        if first > last {
            return Err(format!(
                "host range `[{shown}]` counts down: its start must not be greater than its end"
            ));
        }
        Ok(Self {
            first,
            last,
            step,
            format,
        })
    }

    fn len(&self) -> u64 {
        (self.last - self.first) / self.step + 1
    }

    fn values(&self) -> Vec<String> {
        let mut values = Vec::new();
        let mut value = self.first;
        while value <= self.last {
            values.push(self.format.show(value));
            match value.checked_add(self.step) {
                Some(next) => value = next,
                None => break,
            }
        }
        values
    }
}

impl RangeFormat {
    fn show(self, value: u64) -> String {
        match self {
            Self::Numbers { width } => format!("{value:0width$}"),
            Self::Letters => usize::try_from(value)
                .ok()
                .and_then(|index| RANGE_LETTERS.get(index..=index))
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

/// Both bounds as numbers (or letter positions) and how to write the values.
fn range_bounds(start: &str, end: &str, shown: &str) -> Result<(u64, u64, RangeFormat), String> {
    if let (Some(first), Some(last)) = (letter_index(start), letter_index(end)) {
        return Ok((first, last, RangeFormat::Letters));
    }
    let is_number = |text: &str| text.chars().all(|c| c.is_ascii_digit());
    if !is_number(start) || !is_number(end) {
        return Err(format!(
            "invalid host range `[{shown}]`: its bounds must be two numbers or two letters"
        ));
    }
    let width = if start.len() > 1 && start.starts_with('0') {
        if start.len() != end.len() {
            return Err(format!(
                "zero-padded host range `[{shown}]` needs bounds of the same width, e.g. `[01:10]`"
            ));
        }
        start.len()
    } else {
        0
    };
    let number = |text: &str| {
        text.parse::<u64>()
            .map_err(|_| format!("host range `[{shown}]` has a bound that is too large"))
    };
    Ok((number(start)?, number(end)?, RangeFormat::Numbers { width }))
}

fn letter_index(text: &str) -> Option<u64> {
    let mut chars = text.chars();
    let letter = chars.next().filter(|_| chars.next().is_none())?;
    let index = RANGE_LETTERS.find(letter)?;
    u64::try_from(index).ok()
}

/// Groups in an order where every parent comes before its children, with their depths.
#[derive(Debug)]
struct GroupOrder {
    parents_first: Vec<usize>,
    /// `all` is 0, a group no one lists as a child is 1, a child is one deeper than its
    /// deepest parent (Ansible's depth).
    depths: Vec<usize>,
}

/// Orders groups parents first (Kahn's algorithm, so deep nesting cannot overflow the stack);
/// groups left over sit on or below a cycle, which is reported.
fn order_groups(groups: &[GroupEntry]) -> Result<GroupOrder, InventoryError> {
    let mut parent_count = vec![0usize; groups.len()];
    for group in groups {
        for child in &group.children {
            parent_count[child.group] += 1;
        }
    }
    let mut ready: VecDeque<usize> = (0..groups.len())
        .filter(|&g| parent_count[g] == 0)
        .collect();
    let mut depths: Vec<usize> = (0..groups.len())
        .map(|g| usize::from(g != ALL_ID))
        .collect();
    let mut parents_first = Vec::with_capacity(groups.len());
    while let Some(group) = ready.pop_front() {
        parents_first.push(group);
        for child in &groups[group].children {
            depths[child.group] = depths[child.group].max(depths[group] + 1);
            parent_count[child.group] -= 1;
            if parent_count[child.group] == 0 {
                ready.push_back(child.group);
            }
        }
    }
    if parents_first.len() < groups.len() {
        return Err(cycle_error(groups, &parent_count));
    }
    Ok(GroupOrder {
        parents_first,
        depths,
    })
}

/// Names one cycle among the groups left unordered (those with a parent count above zero).
fn cycle_error(groups: &[GroupEntry], parent_count: &[usize]) -> InventoryError {
    let cycle = find_cycle(groups, parent_count);
    let mut names: Vec<String> = cycle.iter().map(|&g| excerpt(&groups[g].name)).collect();
    names.extend(names.first().cloned());
    // Point at the child line that closes the cycle, the last one written.
    let at = cycle
        .iter()
        .zip(cycle.iter().cycle().skip(1))
        .filter_map(|(&parent, &child)| {
            let entries = groups[parent].children.iter();
            entries
                .filter(|entry| entry.group == child)
                .map(|entry| entry.at)
                .max()
        })
        .max()
        .unwrap_or(Location { line: 1, column: 1 });
    at.error(format!(
        "groups form a cycle: {}; a group cannot contain itself",
        names.join(" → ")
    ))
}

/// A cycle, parent to child, starting at its earliest defined group. Every left-over group has
/// a left-over parent, so walking up from one must come back to a group already seen.
fn find_cycle(groups: &[GroupEntry], parent_count: &[usize]) -> Vec<usize> {
    let left_over = |g: usize| parent_count[g] > 0;
    let mut parents = vec![Vec::new(); groups.len()];
    for (parent, group) in groups.iter().enumerate() {
        for child in &group.children {
            parents[child.group].push(parent);
        }
    }
    let Some(start) = (0..groups.len()).find(|&g| left_over(g)) else {
        return Vec::new();
    };
    let mut position = vec![None; groups.len()];
    let mut path = vec![start];
    position[start] = Some(0);
    for _ in 0..groups.len() {
        let current = path[path.len() - 1];
        let Some(&parent) = parents[current].iter().find(|&&p| left_over(p)) else {
            break;
        };
        if let Some(seen) = position[parent] {
            let mut cycle: Vec<usize> = path[seen..].iter().rev().copied().collect();
            let earliest = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
            cycle.rotate_left(earliest);
            return cycle;
        }
        position[parent] = Some(path.len());
        path.push(parent);
    }
    path
}

/// The name closest to `name` (at most two edits away), for a "did you mean".
fn closest_name<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .filter(|candidate| candidate.len() <= 64 && name.len() <= 64)
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|&(distance, _)| distance <= 2)
        .min()
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A production-like inventory: every construct at least once.
    const SITE: &str = r#"# Production inventory
bastion.example.org ansible_user=jump

[webservers]
web1 ansible_host=10.0.0.11
web2:2222 ansible_host=10.0.0.12 http_port=8080
web[03:04].example.org

[dbservers]
db1 ansible_host=10.0.1.10 ansible_port=5522 ansible_user=postgres
db2 ansible_ssh_host=10.0.1.11 ansible_ssh_port=2200 ansible_ssh_user=legacy
web1 cache=redis   # web1 also runs a database

[prod:children]
webservers
dbservers

; variables
[all:vars]
ansible_user = deploy
ntp_server=ntp.example.org
env=unknown

[prod:vars]
env=production
http_port=80

[webservers:vars]
ansible_user=www
http_port = 8081   # webservers listen here
ansible_ssh_private_key_file="~/.ssh/web key"
"#;

    fn parsed(text: &str) -> Inventory {
        parse(text).unwrap_or_else(|error| panic!("{error}"))
    }

    fn error(text: &str) -> InventoryError {
        match parse(text) {
            Err(error) => error,
            Ok(inventory) => panic!("expected an error, parsed {inventory:?}"),
        }
    }

    /// The error's position, and a fragment its message must contain.
    fn assert_error(text: &str, line: usize, column: usize, fragment: &str) {
        let error = error(text);
        assert_eq!((error.line, error.column), (line, column), "{error}");
        assert!(
            error.message.contains(fragment),
            "`{}` does not mention `{fragment}`",
            error.message
        );
    }

    fn host<'a>(inventory: &'a Inventory, name: &str) -> &'a InventoryHost {
        inventory
            .host(name)
            .unwrap_or_else(|| panic!("no host {name}"))
    }

    fn var<'a>(inventory: &'a Inventory, host_name: &str, key: &str) -> Option<&'a str> {
        host(inventory, host_name).vars.get(key).map(String::as_str)
    }

    fn group<'a>(inventory: &'a Inventory, name: &str) -> Vec<&'a str> {
        let hosts = inventory.groups.get(name);
        let hosts = hosts.unwrap_or_else(|| panic!("no group {name}"));
        hosts.iter().map(String::as_str).collect()
    }

    fn host_names(inventory: &Inventory) -> Vec<&str> {
        inventory.hosts.iter().map(|h| h.name.as_str()).collect()
    }

    // --- a realistic inventory -------------------------------------------------------------

    #[test]
    fn site_hosts_are_listed_once_in_order_of_first_appearance() {
        let inventory = parsed(SITE);
        assert_eq!(
            host_names(&inventory),
            [
                "bastion.example.org",
                "web1",
                "web2",
                "web03.example.org",
                "web04.example.org",
                "db1",
                "db2"
            ]
        );
    }

    #[test]
    fn site_connection_settings() {
        let inventory = parsed(SITE);
        let web1 = host(&inventory, "web1");
        assert_eq!(web1.address.as_deref(), Some("10.0.0.11"));
        assert_eq!(web1.port, None);
        assert_eq!(web1.user.as_deref(), Some("www"));
        assert_eq!(web1.identity.as_deref(), Some("~/.ssh/web key"));

        let web2 = host(&inventory, "web2");
        assert_eq!(web2.address.as_deref(), Some("10.0.0.12"));
        assert_eq!(web2.port, Some(2222));

        let web3 = host(&inventory, "web03.example.org");
        assert_eq!((web3.address.as_deref(), web3.port), (None, None));

        let db1 = host(&inventory, "db1");
        assert_eq!(db1.address.as_deref(), Some("10.0.1.10"));
        assert_eq!(db1.port, Some(5522));
        assert_eq!(db1.user.as_deref(), Some("postgres"));
        assert_eq!(db1.identity, None);

        let db2 = host(&inventory, "db2");
        assert_eq!(db2.address.as_deref(), Some("10.0.1.11"));
        assert_eq!(db2.port, Some(2200));
        assert_eq!(db2.user.as_deref(), Some("legacy"));

        let bastion = host(&inventory, "bastion.example.org");
        assert_eq!(bastion.user.as_deref(), Some("jump"));
        assert_eq!((bastion.address.as_deref(), bastion.port), (None, None));
    }

    #[test]
    fn site_vars_merge_with_ansible_precedence() {
        let inventory = parsed(SITE);
        let expected: BTreeMap<String, String> = [
            ("ansible_host", "10.0.0.11"),
            ("ansible_ssh_private_key_file", "~/.ssh/web key"),
            ("ansible_user", "www"),
            ("cache", "redis"),
            ("env", "production"),
            ("http_port", "8081"),
            ("ntp_server", "ntp.example.org"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(host(&inventory, "web1").vars, expected);
        // Host line beats [webservers:vars], which beats [prod:vars].
        assert_eq!(var(&inventory, "web2", "http_port"), Some("8080"));
        assert_eq!(var(&inventory, "web2", "ansible_port"), Some("2222"));
        assert_eq!(var(&inventory, "db1", "http_port"), Some("80"));
        assert_eq!(var(&inventory, "db1", "env"), Some("production"));
        // Only [all:vars] applies outside prod.
        assert_eq!(
            var(&inventory, "bastion.example.org", "env"),
            Some("unknown")
        );
        assert_eq!(var(&inventory, "bastion.example.org", "http_port"), None);
        assert_eq!(var(&inventory, "db2", "ansible_user"), Some("deploy"));
    }

    #[test]
    fn site_groups_expand_children() {
        let inventory = parsed(SITE);
        let web = ["web1", "web2", "web03.example.org", "web04.example.org"];
        assert_eq!(group(&inventory, "webservers"), web);
        assert_eq!(group(&inventory, "dbservers"), ["web1", "db1", "db2"]);
        assert_eq!(
            group(&inventory, "prod"),
            [web.as_slice(), &["db1", "db2"]].concat()
        );
        assert_eq!(group(&inventory, "all"), host_names(&inventory));
        assert_eq!(group(&inventory, "ungrouped"), ["bastion.example.org"]);
        let names: Vec<&str> = inventory.groups.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["all", "dbservers", "prod", "ungrouped", "webservers"]
        );
    }

    // --- precedence -------------------------------------------------------------------------

    #[test]
    fn child_group_vars_beat_parent_vars_wherever_written() {
        let inventory = parsed(
            "[app:vars]\ncolor=blue\n[app]\nh1\n[parent:children]\napp\n\
             [parent:vars]\ncolor=red\nsize=large\n",
        );
        assert_eq!(var(&inventory, "h1", "color"), Some("blue"));
        assert_eq!(var(&inventory, "h1", "size"), Some("large"));
    }

    #[test]
    fn deeper_groups_beat_shallower_ones_across_branches() {
        // h1 is in `leaf` (depth 3 via top → mid → leaf) and in `side` (depth 1).
        let inventory = parsed(
            "[top:children]\nmid\n[mid:children]\nleaf\n[leaf]\nh1\n[side]\nh1\n\
             [side:vars]\nx=side\n[leaf:vars]\nx=leaf\n[top:vars]\nx=top\ny=top\n",
        );
        assert_eq!(var(&inventory, "h1", "x"), Some("leaf"));
        assert_eq!(var(&inventory, "h1", "y"), Some("top"));
    }

    #[test]
    fn same_depth_groups_apply_in_name_order() {
        // Ansible sorts by depth then name: `beta` wins over `alpha` though written first.
        let inventory =
            parsed("[beta]\nh1\n[alpha]\nh1\n[beta:vars]\nx=beta\n[alpha:vars]\nx=alpha\n");
        assert_eq!(var(&inventory, "h1", "x"), Some("beta"));
    }

    #[test]
    fn all_vars_lose_to_every_group() {
        let inventory = parsed("[web]\nh1\n[web:vars]\nx=web\n[all:vars]\nx=all\ny=all\n");
        assert_eq!(var(&inventory, "h1", "x"), Some("web"));
        assert_eq!(var(&inventory, "h1", "y"), Some("all"));
    }

    #[test]
    fn a_host_in_several_groups_is_one_host_with_merged_vars() {
        let inventory = parsed("[a]\nh1 x=1 y=1\n[b]\nh1 y=2 z=2\n");
        assert_eq!(host_names(&inventory), ["h1"]);
        assert_eq!(var(&inventory, "h1", "x"), Some("1"));
        assert_eq!(var(&inventory, "h1", "y"), Some("2"));
        assert_eq!(var(&inventory, "h1", "z"), Some("2"));
        assert_eq!(group(&inventory, "a"), ["h1"]);
        assert_eq!(group(&inventory, "b"), ["h1"]);
        assert!(group(&inventory, "ungrouped").is_empty());
    }

    #[test]
    fn the_most_specific_connection_setting_wins_across_legacy_names() {
        let inventory = parsed(
            "[web]\nh1 ansible_ssh_user=legacy\nh2\n[web:vars]\nansible_user=deploy\n\
             [all:vars]\nansible_ssh_port=2200\n",
        );
        assert_eq!(host(&inventory, "h1").user.as_deref(), Some("legacy"));
        assert_eq!(host(&inventory, "h2").user.as_deref(), Some("deploy"));
        assert_eq!(host(&inventory, "h2").port, Some(2200));
    }

    #[test]
    fn legacy_names_win_when_set_at_the_same_level_as_in_ansible() {
        let inventory = parsed("h1:22 ansible_ssh_port=2200 ansible_user=a ansible_ssh_user=b\n");
        let h1 = host(&inventory, "h1");
        assert_eq!((h1.port, h1.user.as_deref()), (Some(2200), Some("b")));
    }

    #[test]
    fn host_line_ansible_port_overrides_the_colon_port() {
        let inventory = parsed("h1:2222 ansible_port=2323\n");
        assert_eq!(host(&inventory, "h1").port, Some(2323));
    }

    #[test]
    fn identity_comes_from_either_key_name() {
        let inventory =
            parsed("h1 ansible_private_key_file=/k1\nh2 ansible_ssh_private_key_file=/k2\n");
        assert_eq!(host(&inventory, "h1").identity.as_deref(), Some("/k1"));
        assert_eq!(host(&inventory, "h2").identity.as_deref(), Some("/k2"));
    }

    // --- sections and groups ----------------------------------------------------------------

    #[test]
    fn hosts_before_any_section_and_in_ungrouped_are_ungrouped() {
        let inventory = parsed("h1\n[web]\nh2\n[ungrouped]\nh3\n[all]\nh4\n");
        assert_eq!(group(&inventory, "ungrouped"), ["h1", "h3", "h4"]);
        assert_eq!(group(&inventory, "all"), ["h1", "h2", "h3", "h4"]);
    }

    #[test]
    fn an_undefined_child_is_an_empty_group() {
        let inventory = parsed("[prod:children]\nweb\nlater\n[later]\nh1\n");
        assert_eq!(group(&inventory, "web"), Vec::<&str>::new());
        assert_eq!(group(&inventory, "prod"), ["h1"]);
        assert_eq!(inventory.resolve("web"), Some(Vec::new()));
    }

    #[test]
    fn implicit_groups_exist_in_an_empty_inventory() {
        let inventory = parsed("");
        assert_eq!(inventory.hosts, []);
        let names: Vec<&str> = inventory.groups.keys().map(String::as_str).collect();
        assert_eq!(names, ["all", "ungrouped"]);
    }

    #[test]
    fn vars_may_come_before_their_group() {
        let inventory = parsed("[web:vars]\nx=1\n[web]\nh1\n");
        assert_eq!(var(&inventory, "h1", "x"), Some("1"));
    }

    #[test]
    fn hosts_suffix_is_a_plain_group_and_dashes_are_accepted() {
        let inventory = parsed("[web-eu:hosts]\nh1\n[edge:children]\nweb-eu\n");
        assert_eq!(group(&inventory, "edge"), ["h1"]);
    }

    #[test]
    fn nested_children_expand_recursively_without_duplicates() {
        let inventory = parsed("[a:children]\nb\nc\n[b:children]\nc\n[c]\nh2\nh1\n[b]\nh1\nh3\n");
        assert_eq!(group(&inventory, "a"), ["h2", "h1", "h3"]);
    }

    #[test]
    fn comments_blank_lines_and_header_comments_are_skipped() {
        let inventory = parsed(
            "  # indented comment\n; semicolon comment\n\n   \n[web]   # the web tier\n\
             h1 # trailing\n\t\n",
        );
        assert_eq!(group(&inventory, "web"), ["h1"]);
        assert!(host(&inventory, "h1").vars.is_empty());
    }

    // --- values -----------------------------------------------------------------------------

    #[test]
    fn host_line_values_drop_quotes_and_keep_inner_hashes() {
        let inventory = parsed(
            r#"h1 motd="hello world" who='single "q"' say="a \"b\" \\ c" pw=abc#123 empty= # note"#,
        );
        assert_eq!(var(&inventory, "h1", "motd"), Some("hello world"));
        assert_eq!(var(&inventory, "h1", "who"), Some(r#"single "q""#));
        assert_eq!(var(&inventory, "h1", "say"), Some(r#"a "b" \ c"#));
        assert_eq!(var(&inventory, "h1", "pw"), Some("abc#123"));
        assert_eq!(var(&inventory, "h1", "empty"), Some(""));
        assert_eq!(host(&inventory, "h1").vars.len(), 5);
    }

    #[test]
    fn vars_section_values_are_trimmed_unquoted_and_uncommented() {
        let inventory = parsed(
            "[all:vars]\na = spaced value   # comment\nb=\"quoted # kept\"  # dropped\n\
             c='single'\nd=x#y\ne =\nf = it's\ng=k=v\n[web]\nh1\n",
        );
        let vars = &host(&inventory, "h1").vars;
        let get = |key: &str| vars.get(key).map(String::as_str);
        assert_eq!(get("a"), Some("spaced value"));
        assert_eq!(get("b"), Some("quoted # kept"));
        assert_eq!(get("c"), Some("single"));
        assert_eq!(get("d"), Some("x#y"));
        assert_eq!(get("e"), Some(""));
        assert_eq!(get("f"), Some("it's"));
        assert_eq!(get("g"), Some("k=v"));
    }

    // --- hosts, ports, ranges ---------------------------------------------------------------

    #[test]
    fn ipv6_hosts_with_and_without_ports() {
        let inventory = parsed("[::1]:2222\nfe80::1\n[2001:db8::5]\n[::2]:22 x=1\n");
        assert_eq!(
            host_names(&inventory),
            ["::1", "fe80::1", "2001:db8::5", "::2"]
        );
        assert_eq!(host(&inventory, "::1").port, Some(2222));
        assert_eq!(host(&inventory, "fe80::1").port, None);
        assert_eq!(host(&inventory, "2001:db8::5").port, None);
        assert_eq!(var(&inventory, "::2", "x"), Some("1"));
    }

    #[test]
    fn numeric_ranges_keep_zero_padding() {
        let inventory = parsed("web[08:11].example.org\n");
        assert_eq!(
            host_names(&inventory),
            [
                "web08.example.org",
                "web09.example.org",
                "web10.example.org",
                "web11.example.org"
            ]
        );
    }

    #[test]
    fn alphabetic_ranges_strides_and_several_ranges() {
        assert_eq!(host_names(&parsed("db-[a:c]")), ["db-a", "db-b", "db-c"]);
        assert_eq!(host_names(&parsed("n[1:10:4]")), ["n1", "n5", "n9"]);
        assert_eq!(host_names(&parsed("x[:2]")), ["x0", "x1", "x2"]);
        assert_eq!(host_names(&parsed("[a:b]-web")), ["a-web", "b-web"]);
        assert_eq!(
            host_names(&parsed("r[1:2]-[a:b]")),
            ["r1-a", "r1-b", "r2-a", "r2-b"]
        );
        // Letters run through Ansible's `ascii_letters`: lowercase, then uppercase.
        assert_eq!(host_names(&parsed("z[y:B]")), ["zy", "zz", "zA", "zB"]);
    }

    #[test]
    fn a_range_with_a_port_and_vars_applies_to_every_host() {
        let inventory = parsed("[web]\nweb[1:2]:2200 role=front\n");
        for name in ["web1", "web2"] {
            assert_eq!(host(&inventory, name).port, Some(2200));
            assert_eq!(var(&inventory, name, "role"), Some("front"));
        }
    }

    // --- resolve and host -------------------------------------------------------------------

    #[test]
    fn resolve_groups_hosts_and_unknown_names() {
        let inventory = parsed(SITE);
        assert_eq!(
            inventory.resolve("dbservers"),
            Some(vec!["web1".to_owned(), "db1".to_owned(), "db2".to_owned()])
        );
        assert_eq!(inventory.resolve("db2"), Some(vec!["db2".to_owned()]));
        assert_eq!(inventory.resolve("nope"), None);
        assert_eq!(inventory.resolve("all").map(|hosts| hosts.len()), Some(7));
    }

    #[test]
    fn resolve_prefers_a_group_over_a_host_of_the_same_name() {
        let inventory = parsed("web\n[web]\nh1\n");
        assert_eq!(inventory.resolve("web"), Some(vec!["h1".to_owned()]));
    }

    #[test]
    fn host_looks_up_by_inventory_name() {
        let inventory = parsed(SITE);
        assert_eq!(inventory.host("web2").map(|h| h.port), Some(Some(2222)));
        assert!(inventory.host("10.0.0.12").is_none());
    }

    // --- errors -----------------------------------------------------------------------------

    #[test]
    fn error_unclosed_section_header() {
        assert_error("h1\n  [web\n", 2, 3, "section header `[web` is not closed");
    }

    #[test]
    fn error_unknown_section_suffix() {
        assert_error("[web:foo]\n", 1, 6, "unknown section type `foo`");
        assert_error("[web:]\n", 1, 6, "unknown section type ``");
    }

    #[test]
    fn error_text_after_section_header() {
        assert_error(
            "[web] extra\n",
            1,
            7,
            "unexpected `extra` after the section header",
        );
    }

    #[test]
    fn error_bad_group_names() {
        assert_error("[web servers]\n", 1, 2, "spaces are not allowed");
        assert_error("[web.eu]\n", 1, 2, "`.` is not allowed");
        assert_error("[]\n", 1, 2, "missing group name");
        assert_error("[:vars]\n", 1, 2, "missing group name");
    }

    #[test]
    fn error_port_out_of_range() {
        assert_error("[web]\nweb:99999\n", 2, 5, "port 99999 is out of range");
        assert_error("web:0\n", 1, 5, "port 0 is out of range");
    }

    #[test]
    fn error_port_not_a_number() {
        assert_error("web:abc\n", 1, 5, "invalid port `abc`");
        assert_error("web: x=1\n", 1, 5, "missing port number");
        assert_error("[::1]:ssh\n", 1, 7, "invalid port `ssh`");
    }

    #[test]
    fn error_malformed_vars_line() {
        assert_error(
            "[web:vars]\n  just_a_word\n",
            2,
            3,
            "expected `key=value` in the [web:vars] section",
        );
        assert_error("[web]\nh\n[web:vars]\n= 1\n", 4, 1, "missing variable name");
        assert_error(
            "[web]\nh\n[web:vars]\nbad-name = 1\n",
            4,
            1,
            "invalid variable name `bad-name`",
        );
    }

    #[test]
    fn error_host_word_without_equals() {
        assert_error(
            "web1 foo\n",
            1,
            6,
            "expected `key=value` after the host name, found `foo`",
        );
    }

    #[test]
    fn error_invalid_host_variable_name() {
        assert_error("web1 1x=2\n", 1, 6, "invalid variable name `1x`");
        assert_error("web1 =2\n", 1, 6, "missing variable name");
    }

    #[test]
    fn error_variable_where_a_host_name_belongs() {
        assert_error(
            "[web]\nansible_host=10.0.0.1\n",
            2,
            1,
            "expected a host name",
        );
    }

    #[test]
    fn error_bad_ranges() {
        assert_error("web[3:1]\n", 1, 4, "counts down");
        assert_error("db-[c:a]\n", 1, 4, "counts down");
        assert_error("web[a:3]\n", 1, 4, "two numbers or two letters");
        assert_error("web[01:100]\n", 1, 4, "same width");
        assert_error("web[1:5:0]\n", 1, 4, "invalid step `0`");
        assert_error("web[1]\n", 1, 4, "write `[start:end]`");
        assert_error("web[1:]\n", 1, 4, "no end value");
        assert_error("x y=1\nweb[1:5\n", 2, 4, "host range is not closed");
        assert_error("web]1\n", 1, 4, "unexpected `]`");
        assert_error("h[0:99999999999999999999999]\n", 1, 2, "too large");
        assert_error("h[0:999]-[0:999]\n", 1, 10, "more than 100000 hosts");
    }

    #[test]
    fn error_unterminated_quotes() {
        assert_error(
            "web1 motd=\"hello\n",
            1,
            11,
            "the double quote opened here is never closed",
        );
        assert_error("[all:vars]\nmotd = 'hi\n", 2, 8, "single quote");
        assert_error(
            "[all:vars]\nmotd = \"a\" b\n",
            2,
            12,
            "unexpected `b` after the quoted value",
        );
    }

    #[test]
    fn error_ansible_port_not_a_number() {
        assert_error(
            "web1 ansible_port=ssh\n",
            1,
            19,
            "`ansible_port` must be a port number",
        );
        assert_error(
            "[all:vars]\nansible_ssh_port = twenty-two\n",
            2,
            20,
            "`ansible_ssh_port` must be a port number from 1 to 65535, found `twenty-two`",
        );
        assert_error("web1 ansible_port=70000\n", 1, 19, "found `70000`");
    }

    #[test]
    fn error_cycle_names_the_groups() {
        assert_error(
            "[a:children]\nb\n[b:children]\nc\n[c:children]\na\n",
            6,
            1,
            "groups form a cycle: a → b → c → a",
        );
        assert_error("[a:children]\n  a\n", 2, 3, "a → a");
    }

    #[test]
    fn error_cycle_below_a_healthy_parent_is_still_found() {
        assert_error(
            "[top:children]\nx\n[x:children]\ny\n[y:children]\nx\n",
            6,
            1,
            "x → y → x",
        );
    }

    #[test]
    fn error_child_lines() {
        assert_error("[p:children]\nweb servers\n", 2, 5, "unexpected `servers`");
        assert_error("[p:children]\nweb:vars\n", 2, 1, "`:` is not allowed");
        assert_error("[p:children]\nall\n", 2, 1, "`all` cannot be a child group");
    }

    #[test]
    fn error_vars_for_an_undefined_group_suggests_a_name() {
        assert_error(
            "[webservers]\nh1\n[webserver:vars]\nx=1\n",
            3,
            2,
            "[webserver:vars] sets variables for `webserver`, but no [webserver] or \
             [webserver:children] section defines that group; did you mean `webservers`?",
        );
    }

    #[test]
    fn error_bad_host_names() {
        assert_error("a:b:22\n", 1, 1, "invalid host name `a:b`");
        assert_error(":22\n", 1, 1, "missing host name");
        assert_error("[::1]x\n", 1, 6, "unexpected `x` after the IPv6 address");
    }

    #[test]
    fn error_display_reads_as_position_then_message() {
        let shown = error("web:abc").to_string();
        assert_eq!(
            shown,
            "line 1, column 5: invalid port `abc`: expected a number from 1 to 65535"
        );
    }

    // --- hostile input ----------------------------------------------------------------------

    #[test]
    fn only_comments_and_whitespace_is_an_empty_inventory() {
        let inventory = parsed("# one\n; two\n\n \t \r\n   # three\n");
        assert!(inventory.hosts.is_empty());
        assert_eq!(inventory, parsed(""));
    }

    #[test]
    fn crlf_line_endings_and_byte_order_mark() {
        let inventory = parsed("\u{feff}[web]\r\nh1 x=1\r\n");
        assert_eq!(group(&inventory, "web"), ["h1"]);
        assert_eq!(var(&inventory, "h1", "x"), Some("1"));
        // The mark counts as a character, as in the source renderer.
        assert_error("\u{feff}[web:nope]\n", 1, 7, "unknown section type");
    }

    #[test]
    fn unicode_names_parse_and_columns_count_characters() {
        let inventory = parsed("[группа]\nсервер-1 роль=база\nホスト[1:2]\n");
        assert_eq!(
            group(&inventory, "группа"),
            ["сервер-1", "ホスト1", "ホスト2"]
        );
        assert_eq!(var(&inventory, "сервер-1", "роль"), Some("база"));
        assert_error("[группа]\nсервер:x\n", 2, 8, "invalid port `x`");
    }

    #[test]
    fn long_group_names_are_cut_in_messages() {
        let name = "g".repeat(100_000);
        let cycle = error(&format!("[{name}:children]\n{name}\n"));
        let vars = error(&format!("[{name}:vars]\nx=1\n"));
        let line = error(&format!("[{name}:vars]\nnot a pair\n"));
        for error in [cycle, vars, line] {
            assert!(error.message.len() < 400, "{}", error.message);
        }
    }

    #[test]
    fn a_very_long_line_parses_and_errors_stay_short() {
        let long_name = "h".repeat(200_000);
        let inventory = parsed(&format!("{long_name} x={long_name}\n"));
        assert_eq!(inventory.hosts[0].name.len(), 200_000);
        let error = error(&format!("web:{long_name}\n"));
        assert!(error.message.len() < 200, "{}", error.message);
    }

    #[test]
    fn a_deep_chain_of_children_does_not_overflow_the_stack() {
        let chain = (1..20_000).map(|depth| format!("[g{depth}:children]\ng{}\n", depth - 1));
        let text = format!("[g0]\nh1\n{}", chain.collect::<String>());
        let inventory = parsed(&text);
        assert_eq!(group(&inventory, "g19999"), ["h1"]);
    }

    #[test]
    fn garbage_lines_never_panic() {
        let garbage = [
            "[",
            "]",
            "[[[",
            "]]]",
            "[]]",
            "=",
            "\"",
            "'",
            "\\",
            "h \\",
            ":",
            "::::",
            "[::]",
            "[a:b:c:d]",
            "x[",
            "x]",
            "[a]b",
            "[a:b]",
            "h[]",
            "h[:]",
            "h[::]",
            "#",
            "[#]",
            "[a] ;",
            "h1 'a'b\"c\"",
            "h1 a=\"\\",
            "[ ]",
            "[\u{0}]",
            "\u{0}",
            "h\u{200b}1",
            "[a:vars]",
            "[a:children]\n[a]",
            "h1 ansible_port=",
            "[x:vars]\nansible_port=0",
        ];
        for section in ["", "[web]\n", "[web:vars]\n", "[web:children]\n"] {
            for line in garbage {
                let _ = parse(&format!("{section}{line}\n{line}"));
            }
        }
    }
}
