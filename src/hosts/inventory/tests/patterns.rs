//! Host patterns: IPv6 addresses, ports, numeric and alphabetic ranges.

use super::*;

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
