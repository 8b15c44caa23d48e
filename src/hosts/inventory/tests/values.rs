//! Values: quotes, escapes and comments on host lines and in `[group:vars]`.

use super::*;

#[test]
fn host_line_values_drop_quotes_and_keep_inner_hashes() {
    let inventory = parsed(
        r#"h1 motd="hello world" who='single "q"' say="a \"b\" \\ c" pw=abc#123 empty= # note"#,
    );
    assert_eq!(var(&inventory, "h1", "motd"), Some("hello world"));
    assert_eq!(var(&inventory, "h1", "who"), Some(r#"single "q""#));
    assert_eq!(var(&inventory, "h1", "say"), Some(r#"a "b" \ c"#));
    assert_eq!(var(&inventory, "h1", "pw"), Some("abc#123"));
    assert_eq!(var(&inventory, "h1", "empty"), Some(""));
    assert_eq!(host(&inventory, "h1").vars.len(), 5);
}

#[test]
fn vars_section_values_are_trimmed_unquoted_and_uncommented() {
    let inventory = parsed(
        "[all:vars]\na = spaced value   # comment\nb=\"quoted # kept\"  # dropped\n\
         c='single'\nd=x#y\ne =\nf = it's\ng=k=v\n[web]\nh1\n",
    );
    let vars = &host(&inventory, "h1").vars;
    let get = |key: &str| vars.get(key).map(String::as_str);
    assert_eq!(get("a"), Some("spaced value"));
    assert_eq!(get("b"), Some("quoted # kept"));
    assert_eq!(get("c"), Some("single"));
    assert_eq!(get("d"), Some("x#y"));
    assert_eq!(get("e"), Some(""));
    assert_eq!(get("f"), Some("it's"));
    assert_eq!(get("g"), Some("k=v"));
}
