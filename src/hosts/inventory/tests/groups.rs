//! Sections and groups: `ungrouped`, `all`, children, `:hosts`, comments between sections.

use super::*;

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
