//! Commands compared across a plan and a run: what changes from one run to the next (times,
//! run ids) normalized away, and a planned command's `⟨…⟩` parts matched as wildcards.

/// A command with what changes from one run to the next replaced: times (`20261203200256`,
/// `2026-12-03T20:03:06Z`, epoch seconds and milliseconds: any run of 8 digits or more, with
/// the `-HHMMSS` or `THH:MM:SS…` that follows) become `⟨time⟩`, and a run id
/// (`20261203-200306-bdb6`) becomes `⟨time⟩` too.
pub fn normalize(command: &str) -> String {
    let chars: Vec<char> = command.chars().collect();
    let mut out = String::with_capacity(command.len());
    let mut i = 0;
    while i < chars.len() {
        let digits = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let starts_word = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        if starts_word && (digits >= 8 || is_iso_date(&chars[i..])) {
            i += digits;
            i += time_tail(&chars[i..]);
            out.push_str("⟨time⟩");
            continue;
        }
        if digits > 0 {
            out.extend(&chars[i..i + digits]);
            i += digits;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// `2026-12-03`.
fn is_iso_date(chars: &[char]) -> bool {
    let pattern = "dddd-dd-dd";
    chars.len() >= pattern.len()
        && pattern.chars().zip(chars).all(|(p, c)| {
            if p == 'd' {
                c.is_ascii_digit()
            } else {
                p == *c
            }
        })
}

/// How many characters after a date's first digits still belong to the time: `-12-03`,
/// `T20:03:06.123Z`, `-200306`, `_200306`, and a run id's `-bdb6`.
fn time_tail(chars: &[char]) -> usize {
    let mut i = 0;
    let time_like =
        |c: char| c.is_ascii_digit() || matches!(c, ':' | '.' | '-' | '_' | 'T' | 'Z' | '+');
    while i < chars.len() && time_like(chars[i]) {
        // A separator must be followed by a digit to belong to the time.
        if !chars[i].is_ascii_digit()
            && chars[i] != 'Z'
            && !chars.get(i + 1).is_some_and(char::is_ascii_digit)
        {
            break;
        }
        i += 1;
    }
    // A run id ends in `-` and four hexadecimal digits.
    let hex = chars[i..]
        .iter()
        .skip(1)
        .take_while(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        .count();
    if chars.get(i) == Some(&'-')
        && hex == 4
        && !chars.get(i + 5).is_some_and(char::is_ascii_alphanumeric)
    {
        i += 5;
    }
    i
}

/// Whether `text` matches `pattern`, where each `⟨…⟩` of the pattern stands for any text
/// (empty included) and everything else must be equal.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    // The literal parts between placeholders.
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('⟨') {
        let Some(close) = rest[open..].find('⟩') else {
            break;
        };
        let mut end = open + close + '⟩'.len_utf8();
        let mut start = open;
        // Quoted for the shell (`'⟨…⟩'`, `"⟨…⟩'` when the placeholder holds quotes, or
        // `"⟨…⟩.json'` when the word goes on after it): the real value has its own quoting, or
        // none, so the quotes around the word are dropped.
        let opened = rest[..open].ends_with(['\'', '"']);
        if opened {
            start -= 1;
        }
        current.push_str(&rest[..start]);
        parts.push(std::mem::take(&mut current));
        if rest[end..].starts_with(['\'', '"']) {
            end += 1;
        } else if opened {
            let word = rest[end..].find(' ').map_or(rest.len(), |at| end + at);
            let tail = &rest[end..word];
            if !tail.contains('⟨') && tail.ends_with(['\'', '"']) {
                current.push_str(&tail[..tail.len() - 1]);
                end = word;
            }
        }
        rest = &rest[end..];
    }
    current.push_str(rest);
    parts.push(current);
    let Some((first, others)) = parts.split_first() else {
        return pattern == text;
    };
    let Some(mut remaining) = text.strip_prefix(first.as_str()) else {
        return false;
    };
    if others.is_empty() {
        return remaining.is_empty();
    }
    let (last, middle) = others.split_last().expect("at least one part");
    for part in middle {
        match remaining.find(part.as_str()) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.ends_with(last.as_str())
}

#[test]
fn normalizing_replaces_times_and_run_ids_only() {
    assert_eq!(
        normalize("tar czf /d/app_20261203200256.tgz -C /d/app ."),
        "tar czf /d/app_⟨time⟩.tgz -C /d/app ."
    );
    assert_eq!(
        normalize("runbook show 20261203-200306-bdb6"),
        "runbook show ⟨time⟩"
    );
    assert_eq!(normalize("at 2026-12-03T20:03:06Z done"), "at ⟨time⟩ done");
    assert_eq!(
        normalize("backup_db_20261203_200306.dump"),
        "backup_db_⟨time⟩.dump"
    );
    assert_eq!(
        normalize("sleep 5; curl :8080/v2 -m 30"),
        "sleep 5; curl :8080/v2 -m 30"
    );
    assert_eq!(normalize("sha256 ab12345678"), "sha256 ab12345678");
}

#[test]
fn a_might_pattern_matches_each_unknown_part_as_any_text() {
    assert!(wildcard_match("rm -f ⟨x⟩", "rm -f /a /b"));
    assert!(wildcard_match("echo '⟨l⟩' done", "echo '' done"));
    assert!(wildcard_match("⟨a⟩ and ⟨b⟩", "x and y and z"));
    assert!(!wildcard_match("rm -f ⟨x⟩ now", "rm -rf / later"));
    assert!(!wildcard_match("ls ⟨x⟩", "rm -rf /"));
    assert!(wildcard_match(
        "test '⟨v⟩' = 1.4.2",
        "test 0.0.0-broken = 1.4.2"
    ));
    assert!(wildcard_match("test '⟨v⟩' = 1", "test 'a b' = 1"));
    assert!(wildcard_match(
        "tar czf \"⟨output of sh -c 'f=\\\"\"'$0.tgz\"⟩' -C /app .",
        "tar czf /opt/b_1.tgz -C /app ."
    ));
    assert!(wildcard_match(
        "tee -- \"⟨output of sh -c 'f=\\\"\"'$0\"⟩.manifest.json'",
        "tee -- /opt/b_1.dump.manifest.json"
    ));
    assert!(!wildcard_match(
        "tee -- \"⟨output of sh -c 'f=\\\"\"'$0\"⟩.manifest.json'",
        "tee -- /opt/b_1.dump.manifest.txt"
    ));
    assert!(wildcard_match("plain", "plain"));
    assert!(!wildcard_match("plain", "plainer"));
}
