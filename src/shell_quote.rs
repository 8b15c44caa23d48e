//! POSIX shell quoting of one word, shared by the primitives (commands shown and run) and the
//! SSH transfers (remote shell commands): a leaf, so that `ssh` need not import `primitives`.

/// Quotes a word for a POSIX shell (`'…'` only when needed). A NUL byte stays inside the
/// quotes: no command line can carry one, so the command is refused where it would start (see
/// `primitives::process_output::refuse_nul`), never run with the value cut short.
pub fn quote(word: &str) -> String {
    shlex::try_quote(word).map_or_else(
        |_| format!("'{}'", word.replace('\'', "'\\''")),
        |q| q.into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quoted_words_stay_data_even_with_nul_bytes() {
        for word in [
            "x\0'; touch pwned; '",
            "a b",
            "it's",
            "$(id)",
            "`id`",
            "\n;|&",
        ] {
            let quoted = quote(word);
            let words = shlex::split(&quoted).expect("one word");
            assert_eq!(words, [word], "{quoted}");
        }
    }
}
