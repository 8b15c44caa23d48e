//! A production-like inventory (`site.ini`): hosts, connection settings, variables, groups,
//! and looking names up in it.

use super::*;

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
