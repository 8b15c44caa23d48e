//! The inventories of this repository, and tricky ones, read as Ansible reads them.
//!
//! Each `ansible/NAME.json` is what `ansible-inventory -i ansible/NAME.ini --list` printed
//! (ansible-core 2.19.14), kept as written so no test needs Ansible. To add a case, write the
//! `.ini`, run that command into the `.json`, and add a test below.
//!
//! The comparison takes what both tools promise: the same hosts, each group standing for the
//! same hosts once its children are expanded, and the same variables on every host. Ansible
//! turns a value that reads as a Python literal into that literal (`8081` is a number); runbook
//! keeps every value a string, so numbers are compared as the text they were written as. The
//! order of a group's hosts is not compared: Ansible keeps the order the group lists them in,
//! runbook the order of their first appearance in the file.
//!
//! Where runbook reads an inventory differently on purpose, the last test says how.

use super::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Asserts that runbook reads `ini` as Ansible did when it printed `listed`.
fn assert_reads_like_ansible(ini: &str, listed: &str) {
    let ours = parsed(ini);
    let theirs: Value = serde_json::from_str(listed).expect("ansible-inventory's JSON");
    let their_groups = theirs.as_object().expect("a JSON object");
    let mut names: BTreeSet<&str> = their_groups.keys().map(String::as_str).collect();
    names.remove("_meta");
    names.extend(ours.groups.keys().map(String::as_str));
    for name in names {
        let ours: BTreeSet<&str> = ours.groups.get(name).map_or_else(BTreeSet::new, |hosts| {
            hosts.iter().map(String::as_str).collect()
        });
        assert_eq!(ours, expanded(&theirs, name), "the hosts of group `{name}`");
    }
    let hostvars = &theirs["_meta"]["hostvars"];
    for host in &ours.hosts {
        let theirs: BTreeMap<String, String> = hostvars
            .get(&host.name)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(key, value)| (key.clone(), as_written(value)))
            .collect();
        assert_eq!(host.vars, theirs, "the variables of host `{}`", host.name);
    }
}

/// The hosts of a group of `ansible-inventory --list`, its children's included. A group the
/// listing leaves out (Ansible omits empty ones) has none.
fn expanded<'a>(listed: &'a Value, group: &str) -> BTreeSet<&'a str> {
    let entry = &listed[group];
    let names = |key: &str| {
        entry[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
    };
    let mut hosts: BTreeSet<&str> = names("hosts").collect();
    for child in names("children") {
        hosts.extend(expanded(listed, child));
    }
    hosts
}

/// A value as the inventory wrote it: Ansible's strings as they are, its numbers as digits.
fn as_written(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) if number.is_u64() || number.is_i64() => number.to_string(),
        other => panic!("pick a fixture whose values are strings or integers, not {other}"),
    }
}

macro_rules! reads_like_ansible {
    ($($test:ident: $name:literal,)*) => {$(
        #[test]
        fn $test() {
            assert_reads_like_ansible(
                include_str!(concat!("ansible/", $name, ".ini")),
                include_str!(concat!("ansible/", $name, ".json")),
            );
        }
    )*};
}

reads_like_ansible! {
    // The inventories this repository's tests and benchmarks use.
    the_site_inventory_of_these_tests: "site",
    the_fan_out_inventory_of_the_ssh_tests: "ssh_fan_out",
    the_inventory_of_the_check_tests: "check_targets",
    the_inventory_of_the_ssh_benchmark: "bench_ssh",
    the_inventory_of_the_fleet_benchmark: "bench_fleet",
    // Tricky ones.
    numeric_and_alphabetic_ranges: "ranges",
    ipv6_addresses_with_and_without_ports: "ipv6",
    precedence_by_depth_then_name_then_host_line: "precedence",
    ungrouped_all_nested_children_and_late_definitions: "groups",
    quotes_escapes_and_comments_in_values: "values",
    legacy_ssh_variable_names_beside_the_new_ones: "legacy",
    unicode_group_host_and_variable_names: "unicode",
}

#[test]
fn crlf_line_endings_read_as_ansible_reads_them() {
    assert_reads_like_ansible(
        &SITE.replace('\n', "\r\n"),
        include_str!("ansible/site.json"),
    );
}

/// What runbook reads differently from Ansible 2.19, on purpose; Ansible's reading in the
/// comment above each case.
#[test]
fn differences_from_ansible_are_deliberate() {
    // A `#` inside a host line's word is kept: Ansible's shlex cuts `pw=abc#123` to `abc`,
    // silently losing the rest of a password.
    assert_eq!(var(&parsed("h1 pw=abc#123\n"), "h1", "pw"), Some("abc#123"));
    // A comment after an unquoted `[group:vars]` value is dropped: Ansible keeps
    // `spaced value   # note` (it drops the comment only after a Python literal).
    let inventory = parsed("[all:vars]\na = spaced value   # note\n[web]\nh1\n");
    assert_eq!(var(&inventory, "h1", "a"), Some("spaced value"));
    // A bracketed IPv6 address alone on a line is a host: Ansible refuses it as a section.
    assert_eq!(host_names(&parsed("[2001:db8::5]\n")), ["2001:db8::5"]);
    // A child group no section defines is an empty group: Ansible refuses the inventory.
    assert_eq!(
        group(&parsed("[prod:children]\nweb\n"), "web"),
        Vec::<&str>::new()
    );
    // A byte-order mark before the first line is skipped: Ansible reads it as part of a host.
    assert_eq!(group(&parsed("\u{feff}[web]\nh1\n"), "web"), ["h1"]);
    // A group's hosts come in the order of their first appearance in the file: Ansible lists
    // `dbservers` as db1, db2, web1, in the order of its section.
    assert_eq!(group(&parsed(SITE), "dbservers"), ["web1", "db1", "db2"]);
}
