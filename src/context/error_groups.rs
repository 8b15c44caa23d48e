//! The errors of many hosts, grouped: one group per distinct error, naming the hosts it hit,
//! so that twenty hosts refusing the same key say it once. Two errors are the same when they
//! differ only by the host they name: its name, and the `user@address:port` that ssh's errors
//! give in parentheses after it.

use super::host_list::host_list;

/// Stands for each host of a group where its errors named the host.
pub const EACH_HOST: &str = "⟨host⟩";

/// Groups of errors in the order they first happened.
#[derive(Debug, Default, Clone)]
pub struct ErrorGroups {
    groups: Vec<ErrorGroup>,
}

#[derive(Debug, Clone)]
struct ErrorGroup {
    /// The error with its host's own words replaced: what errors are compared by.
    shared: String,
    /// The first error as it was said, for a group of one host.
    first: String,
    hosts: Vec<String>,
}

impl ErrorGroups {
    pub fn add(&mut self, host: &str, error: &str) {
        let shared = without_host(error, host);
        match self.groups.iter_mut().find(|g| g.shared == shared) {
            Some(group) => group.hosts.push(host.to_string()),
            None => self.groups.push(ErrorGroup {
                shared,
                first: error.to_string(),
                hosts: vec![host.to_string()],
            }),
        }
    }

    /// How many hosts failed.
    pub fn hosts(&self) -> usize {
        self.groups.iter().map(|g| g.hosts.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// One line per distinct error: `h001–h020: cannot reach ⟨host⟩: connection refused`, or
    /// `h150: disk full` for a single host.
    pub fn lines(&self) -> Vec<String> {
        self.groups
            .iter()
            .map(|g| format!("{}: {}", host_list(&g.hosts), g.error()))
            .collect()
    }

    /// [`Self::lines`] under a headline: four spaces in, each ended by `\n`, an error of
    /// several lines keeping them under its first.
    pub fn indented(&self) -> String {
        self.lines()
            .iter()
            .map(|line| format!("    {}\n", line.replace('\n', "\n      ")))
            .collect()
    }

    /// The hosts and their error, group by group: for a summary's rows.
    pub fn each(&self) -> impl Iterator<Item = (&[String], &str)> {
        self.groups.iter().map(|g| (g.hosts.as_slice(), g.error()))
    }
}

impl ErrorGroup {
    /// The error as said for the group: as it happened on a single host, with [`EACH_HOST`]
    /// for the host's words on several.
    fn error(&self) -> &str {
        if self.hosts.len() == 1 {
            &self.first
        } else {
            &self.shared
        }
    }
}

/// `error` with `host`'s name, and the `(user@address:port)` after it, replaced by
/// [`EACH_HOST`] wherever they appear as words of their own.
fn without_host(error: &str, host: &str) -> String {
    let mut words = vec![host.to_string()];
    let mut from = 0;
    while let Some(at) = find_word(&error[from..], host).map(|at| at + from) {
        let after = &error[at + host.len()..];
        if let Some(destination) = after
            .strip_prefix(" (")
            .and_then(|rest| rest.split_once(')'))
            .map(|(inside, _)| inside)
            .filter(|inside| !inside.is_empty() && !inside.contains(char::is_whitespace))
        {
            words.insert(0, format!("{host} ({destination})"));
            words.push(destination.to_string());
            break;
        }
        from = at + host.len();
    }
    words
        .iter()
        .fold(error.to_string(), |text, word| replace_word(&text, word))
}

/// Where `word` first appears in `text` not as part of a longer name (`h1` is not in `h10`,
/// nor `web` in `web-2`).
fn find_word(text: &str, word: &str) -> Option<usize> {
    let in_name = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let mut from = 0;
    while let Some(at) = text[from..].find(word).map(|at| at + from) {
        let before = text[..at].chars().next_back();
        let rest = &text[at + word.len()..];
        let mut next = rest.chars();
        let after = next.next();
        // A dot ends a sentence, or continues a name (`web1.example.com`).
        let continues = after.is_some_and(in_name)
            || after == Some('.') && next.next().is_some_and(char::is_alphanumeric);
        if !before.is_some_and(in_name) && !continues {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

fn replace_word(text: &str, word: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = find_word(rest, word) {
        out.push_str(&rest[..at]);
        out.push_str(EACH_HOST);
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::ErrorGroups;

    #[test]
    fn the_same_error_on_twenty_hosts_is_one_line_naming_them() {
        let mut groups = ErrorGroups::default();
        for n in 1..=20 {
            groups.add(&format!("h{n:03}"), "exit 3: the release is missing");
        }
        groups.add("h150", "disk full on /srv");
        assert_eq!(groups.hosts(), 21);
        assert_eq!(
            groups.lines(),
            [
                "h001–h020: exit 3: the release is missing",
                "h150: disk full on /srv"
            ]
        );
    }

    #[test]
    fn errors_that_differ_only_by_their_host_are_one() {
        let mut groups = ErrorGroups::default();
        for (n, port) in [(1, 2201), (2, 2202), (3, 2203), (7, 2207)] {
            let who = format!("web{n} (deploy@127.0.0.1:{port})");
            groups.add(
                &format!("web{n}"),
                &format!(
                    "{who} refused authentication: run `ssh-copy-id -i key.pub deploy@127.0.0.1:{port}` once"
                ),
            );
        }
        groups.add("web10", "web10 is out of disk space");
        assert_eq!(
            groups.lines(),
            [
                "web1–web3, web7: ⟨host⟩ refused authentication: run `ssh-copy-id -i key.pub ⟨host⟩` once",
                "web10: web10 is out of disk space"
            ]
        );
    }

    #[test]
    fn a_host_name_inside_a_longer_name_is_not_the_host() {
        let mut groups = ErrorGroups::default();
        groups.add("h1", "h10 answered for h1.");
        groups.add("h2", "h10 answered for h2.");
        groups.add("h3", "web-h3 is down");
        assert_eq!(
            groups.lines(),
            ["h1, h2: h10 answered for ⟨host⟩.", "h3: web-h3 is down"]
        );
    }
}
