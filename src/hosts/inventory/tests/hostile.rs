//! Hostile input: empty files, CRLF and byte-order marks, Unicode, huge lines, deep nesting,
//! garbage.

use super::*;

#[test]
fn only_comments_and_whitespace_is_an_empty_inventory() {
    let inventory = parsed("# one\n; two\n\n \t \r\n   # three\n");
    assert!(inventory.hosts.is_empty());
    assert_eq!(inventory, parsed(""));
}

#[test]
fn crlf_line_endings_and_byte_order_mark() {
    let inventory = parsed("\u{feff}[web]\r\nh1 x=1\r\n");
    assert_eq!(group(&inventory, "web"), ["h1"]);
    assert_eq!(var(&inventory, "h1", "x"), Some("1"));
    // The mark counts as a character, as in the source renderer.
    assert_error("\u{feff}[web:nope]\n", 1, 7, "unknown section type");
}

#[test]
fn unicode_names_parse_and_columns_count_characters() {
    let inventory = parsed("[группа]\nсервер-1 роль=база\nホスト[1:2]\n");
    assert_eq!(
        group(&inventory, "группа"),
        ["сервер-1", "ホスト1", "ホスト2"]
    );
    assert_eq!(var(&inventory, "сервер-1", "роль"), Some("база"));
    assert_error("[группа]\nсервер:x\n", 2, 8, "invalid port `x`");
}

#[test]
fn long_group_names_are_cut_in_messages() {
    let name = "g".repeat(100_000);
    let cycle = error(&format!("[{name}:children]\n{name}\n"));
    let vars = error(&format!("[{name}:vars]\nx=1\n"));
    let line = error(&format!("[{name}:vars]\nnot a pair\n"));
    for error in [cycle, vars, line] {
        assert!(error.message.len() < 400, "{}", error.message);
    }
}

#[test]
fn a_very_long_line_parses_and_errors_stay_short() {
    let long_name = "h".repeat(200_000);
    let inventory = parsed(&format!("{long_name} x={long_name}\n"));
    assert_eq!(inventory.hosts[0].name.len(), 200_000);
    let error = error(&format!("web:{long_name}\n"));
    assert!(error.message.len() < 200, "{}", error.message);
}

#[test]
fn a_deep_chain_of_children_does_not_overflow_the_stack() {
    let chain = (1..20_000).map(|depth| format!("[g{depth}:children]\ng{}\n", depth - 1));
    let text = format!("[g0]\nh1\n{}", chain.collect::<String>());
    let inventory = parsed(&text);
    assert_eq!(group(&inventory, "g19999"), ["h1"]);
}

#[test]
fn garbage_lines_never_panic() {
    let garbage = [
        "[",
        "]",
        "[[[",
        "]]]",
        "[]]",
        "=",
        "\"",
        "'",
        "\\",
        "h \\",
        ":",
        "::::",
        "[::]",
        "[a:b:c:d]",
        "x[",
        "x]",
        "[a]b",
        "[a:b]",
        "h[]",
        "h[:]",
        "h[::]",
        "#",
        "[#]",
        "[a] ;",
        "h1 'a'b\"c\"",
        "h1 a=\"\\",
        "[ ]",
        "[\u{0}]",
        "\u{0}",
        "h\u{200b}1",
        "[a:vars]",
        "[a:children]\n[a]",
        "h1 ansible_port=",
        "[x:vars]\nansible_port=0",
    ];
    for section in ["", "[web]\n", "[web:vars]\n", "[web:children]\n"] {
        for line in garbage {
            let _ = parse(&format!("{section}{line}\n{line}"));
        }
    }
}
