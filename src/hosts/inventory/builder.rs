//! The builder: reads the inventory line by line into sections (hosts, vars, children of a
//! group), then, in `finish`, checks what only the whole text can tell, expands the groups and
//! merges each host's variables.

use super::group_graph::{ChildEntry, GroupEntry, HostEntry, UNGROUPED_ID, members, order_groups};
use super::host_pattern::parse_host_pattern;
use super::line_tokens::{
    Assignment, Line, blank_len, check_variable_name, excerpt, is_blank, read_vars_value,
    strip_trailing_comment, tokenize,
};
use super::section_header::{SectionHeader, SectionKind, check_group_name, parse_section_header};
use super::variables::{check_port_variable, merged_vars};
use super::{Inventory, InventoryError, InventoryHost};
use crate::diagnostic::did_you_mean;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The section the next line belongs to.
#[derive(Debug, Clone, Copy)]
struct Section {
    group: usize,
    kind: SectionKind,
}

/// Collects sections line by line, then expands groups and merges variables in `finish`.
#[derive(Debug)]
pub(super) struct InventoryBuilder {
    section: Section,
    hosts: Vec<HostEntry>,
    host_ids: HashMap<String, usize>,
    groups: Vec<GroupEntry>,
    group_ids: HashMap<String, usize>,
}

impl InventoryBuilder {
    pub(super) fn new() -> Self {
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

    pub(super) fn read_line(&mut self, line: Line) -> Result<(), InventoryError> {
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
            let Assignment {
                key,
                value,
                value_at,
            } = token.assignment(line)?;
            check_port_variable(key, value).map_err(|message| line.error(value_at, message))?;
            vars.push((key.to_owned(), value.to_owned()));
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

    pub(super) fn finish(self) -> Result<Inventory, InventoryError> {
        self.check_vars_groups_defined()?;
        let order = order_groups(&self.groups)?;
        let members = members(&self.groups, &self.hosts, &order.parents_first);
        let vars = merged_vars(&self.groups, &self.hosts, &order.depths, &members);
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
        let hint = did_you_mean(full_name, defined.map(|group| group.name.as_str()))
            .map(|close| format!("; did you mean `{close}`?"))
            .unwrap_or_default();
        Err(InventoryError::new(
            at,
            format!(
                "[{name}:vars] sets variables for `{name}`, but no [{name}] or [{name}:children] \
             section defines that group{hint}"
            ),
        ))
    }
}
