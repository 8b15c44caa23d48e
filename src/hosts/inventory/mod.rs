//! Ansible INI inventories: `[group]`, `[group:vars]` and `[group:children]` sections, host
//! lines with `key=value` variables, `host:port`, `[::1]:2222` and ranges such as `web[01:03]`.
//! Parsing is pure (text in, [`Inventory`] out): every group is expanded to its hosts and every
//! host's variables are merged the way Ansible merges them. Values stay strings.
//!
//! The reading goes down these files: `line_tokens` lexes a line (blanks, comments, quoted
//! words, `key=value`), `section_header` reads `[name:kind]`, `host_pattern` and `host_range`
//! turn `web[01:03]:2222` into host names and a port, and the `builder` collects the sections
//! line by line. Once the whole text is read, `group_graph` orders the groups (`:children`,
//! `all`, `ungrouped`, cycles) and expands them, and `variables` merges each host's variables.

mod builder;
mod group_graph;
mod host_pattern;
mod host_range;
mod line_tokens;
mod section_header;
#[cfg(test)]
mod tests;
mod variables;

use crate::diagnostic::source::Location;
use builder::InventoryBuilder;
use line_tokens::Line;
use std::collections::BTreeMap;
use std::fmt;

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
    /// Line and column (in characters) in the inventory's text.
    pub at: Location,
    pub message: String,
}

impl InventoryError {
    pub(super) fn new(at: Location, message: impl Into<String>) -> Self {
        Self {
            at,
            message: message.into(),
        }
    }
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.at.line, self.at.col, self.message
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
