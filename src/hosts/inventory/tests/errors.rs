//! Every error message, at its line and column.

use super::*;

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
