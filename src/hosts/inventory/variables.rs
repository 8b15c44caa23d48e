//! Variables: a host's variables merged from every level that sets them, with Ansible's
//! precedence ([all:vars] < parent groups < child groups < the host line), and the connection
//! settings (`ansible_host`, `ansible_port`, …) read from the result.

use super::InventoryHost;
use super::group_graph::{GroupEntry, HostEntry};
use super::host_pattern::parse_port;
use super::line_tokens::excerpt;
use std::collections::{BTreeMap, BTreeSet};

/// Merged variables with the precedence rank of the level that set each one.
pub(super) type RankedVars = BTreeMap<String, (String, usize)>;

/// The variables that hold a port; their values must be port numbers.
const PORT_KEYS: [&str; 2] = ["ansible_port", "ansible_ssh_port"];

/// Each host's variables: groups by (depth, name), later ones winning, then the host line.
pub(super) fn merged_vars(
    groups: &[GroupEntry],
    hosts: &[HostEntry],
    depths: &[usize],
    members: &[BTreeSet<usize>],
) -> Vec<RankedVars> {
    let mut by_precedence: Vec<usize> = (0..groups.len()).collect();
    by_precedence.sort_by_key(|&g| (depths[g], groups[g].name.as_str()));
    let mut vars = vec![RankedVars::new(); hosts.len()];
    for (rank, group) in by_precedence.into_iter().enumerate() {
        for &host in &members[group] {
            add_ranked(&mut vars[host], &groups[group].vars, rank);
        }
    }
    for (merged, host) in vars.iter_mut().zip(hosts) {
        add_ranked(merged, &host.vars, usize::MAX);
    }
    vars
}

fn add_ranked(merged: &mut RankedVars, vars: &BTreeMap<String, String>, rank: usize) {
    for (key, value) in vars {
        merged.insert(key.clone(), (value.clone(), rank));
    }
}

/// `ansible_port` and `ansible_ssh_port` must hold a port number.
pub(super) fn check_port_variable(key: &str, value: &str) -> Result<(), String> {
    if !PORT_KEYS.contains(&key) || parse_port(value).is_ok() {
        return Ok(());
    }
    Err(format!(
        "`{key}` must be a port number from 1 to 65535, found `{}`",
        excerpt(value)
    ))
}

impl InventoryHost {
    /// Takes each connection setting from the most specific level that sets one of its names;
    /// when one level sets both names, the `ansible_ssh_*` one wins, as in Ansible's ssh plugin.
    pub(super) fn from_ranked(name: String, ranked: RankedVars) -> Self {
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
