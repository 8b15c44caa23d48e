//! Variable precedence: child groups over parents, deeper over shallower, names in order,
//! the host line last; connection settings across legacy names.

use super::*;

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
    let inventory = parsed("[beta]\nh1\n[alpha]\nh1\n[beta:vars]\nx=beta\n[alpha:vars]\nx=alpha\n");
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
