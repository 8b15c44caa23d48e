//! The one "did you mean": the closest known name to a mistyped one, by `strsim`'s
//! optimal-string-alignment distance (insert, delete, replace, swap two neighbours).

/// The closest of `candidates` to `name`, if close enough to be a likely typo: at most one edit
/// per three characters of the longer name.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // The distance costs length × length: a name longer than any typo is not compared.
    if name.len() > MAX_TYPO_LEN {
        return None;
    }
    let chars = name.chars().count();
    let allowed = |c: &str| (chars.max(c.chars().count()) / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| c.chars().count().abs_diff(chars) <= allowed(c))
        .map(|c| (strsim::osa_distance(name, c), c))
        .filter(|(d, c)| *d <= allowed(c))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Longer names get no "did you mean".
const MAX_TYPO_LEN: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("deplyo", ["deploy", "rollback"]),
            Some("deploy")
        );
        assert_eq!(did_you_mean("zzz", ["deploy", "rollback"]), None);
    }

    #[test]
    fn a_swap_of_neighbours_is_one_edit() {
        assert_eq!(did_you_mean("tset", ["test", "zest9"]), Some("test"));
        assert_eq!(did_you_mean("web", ["wbe"]), Some("wbe"));
    }
}
