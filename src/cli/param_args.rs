//! `-p NAME=VALUE` arguments, as every subcommand that takes parameters reads them.

/// The pairs, in order; or every argument that is not `NAME=VALUE`, as messages.
pub fn parse(raw: &[String]) -> Result<Vec<(String, String)>, Vec<String>> {
    let mut pairs = Vec::new();
    let mut bad = Vec::new();
    for arg in raw {
        match arg.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                pairs.push((name.trim().to_string(), value.to_string()));
            }
            _ => bad.push(format!("--param `{arg}` is not NAME=VALUE")),
        }
    }
    if bad.is_empty() { Ok(pairs) } else { Err(bad) }
}

/// [`parse`] for a subcommand that stops at a bad argument: the messages on stderr, then
/// `Err(exit code)`.
pub fn parse_or_exit(raw: &[String]) -> Result<Vec<(String, String)>, i32> {
    parse(raw).map_err(|bad| {
        for message in bad {
            eprintln!("error: {message}");
        }
        crate::exit_code::USAGE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_keep_everything_after_the_first_equals_sign() {
        let raw = [
            "host=vm-1".to_string(),
            " url =postgres://a:b@h/db?x=1".to_string(),
        ];
        assert_eq!(
            parse(&raw).unwrap(),
            [
                ("host".to_string(), "vm-1".to_string()),
                ("url".to_string(), "postgres://a:b@h/db?x=1".to_string())
            ]
        );
    }

    #[test]
    fn every_malformed_argument_is_named() {
        let raw = ["ok=1".to_string(), "novalue".to_string(), "=x".to_string()];
        assert_eq!(
            parse(&raw).unwrap_err(),
            [
                "--param `novalue` is not NAME=VALUE",
                "--param `=x` is not NAME=VALUE"
            ]
        );
    }
}
