//! The group graph: groups and hosts as written, `[parent:children]` edges, the implicit
//! `all` and `ungrouped` groups, the order and depth of every group, cycles, and each group's
//! hosts once its children are expanded.

use super::InventoryError;
use super::line_tokens::excerpt;
use crate::diagnostic::source::Location;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// `all`, the first group the builder creates.
pub(super) const ALL_ID: usize = 0;
/// `ungrouped`, the second.
pub(super) const UNGROUPED_ID: usize = 1;

/// A group as written, before children are expanded.
#[derive(Debug, Default)]
pub(super) struct GroupEntry {
    pub(super) name: String,
    /// Defined by `[name]`, `[name:children]` or by being listed as a child; `[name:vars]` alone
    /// does not define a group (Ansible rejects vars for a group that does not exist).
    pub(super) defined: bool,
    pub(super) first_vars_header: Option<Location>,
    pub(super) hosts: BTreeSet<usize>,
    pub(super) children: Vec<ChildEntry>,
    pub(super) vars: BTreeMap<String, String>,
}

/// A line of a `[parent:children]` section.
#[derive(Debug, Clone, Copy)]
pub(super) struct ChildEntry {
    pub(super) group: usize,
    pub(super) at: Location,
}

/// A host as written: the groups it is listed in and its host line variables.
#[derive(Debug)]
pub(super) struct HostEntry {
    pub(super) name: String,
    pub(super) groups: BTreeSet<usize>,
    pub(super) vars: BTreeMap<String, String>,
}

/// Groups in an order where every parent comes before its children, with their depths.
#[derive(Debug)]
pub(super) struct GroupOrder {
    pub(super) parents_first: Vec<usize>,
    /// `all` is 0, a group no one lists as a child is 1, a child is one deeper than its
    /// deepest parent (Ansible's depth).
    pub(super) depths: Vec<usize>,
}

/// Orders groups parents first (Kahn's algorithm, so deep nesting cannot overflow the stack);
/// groups left over sit on or below a cycle, which is reported.
pub(super) fn order_groups(groups: &[GroupEntry]) -> Result<GroupOrder, InventoryError> {
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

/// Each group's hosts, its descendants' included, as host ids in inventory order.
pub(super) fn members(
    groups: &[GroupEntry],
    hosts: &[HostEntry],
    parents_first: &[usize],
) -> Vec<BTreeSet<usize>> {
    let mut members: Vec<BTreeSet<usize>> =
        groups.iter().map(|group| group.hosts.clone()).collect();
    // As in Ansible, a host is ungrouped only when no other group lists it.
    members[UNGROUPED_ID] = (0..hosts.len())
        .filter(|&h| {
            let groups = &hosts[h].groups;
            groups.iter().all(|&g| g == ALL_ID || g == UNGROUPED_ID)
        })
        .collect();
    for &group in parents_first.iter().rev() {
        let mut hosts = std::mem::take(&mut members[group]);
        for child in &groups[group].children {
            hosts.extend(members[child.group].iter().copied());
        }
        members[group] = hosts;
    }
    members[ALL_ID] = (0..hosts.len()).collect();
    members
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
        .unwrap_or(Location::new(1, 1));
    InventoryError::new(
        at,
        format!(
            "groups form a cycle: {}; a group cannot contain itself",
            names.join(" → ")
        ),
    )
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
