//! Many host names said in a few words: numbered names in a row as a range (`h001–h020`), and a
//! long list folded after its first names (`h001, h005, h009, … and 17 more`).

/// Up to this many names or ranges, all are said.
const EVERY_ITEM_UP_TO: usize = 5;
/// A longer list says this many, then how many more.
const FIRST_ITEMS: usize = 3;
/// From this many consecutive numbers, names make a range.
const RANGE_FROM: usize = 3;

/// `hosts` in natural order (`h2` before `h10`), numbered names in a row as ranges, folded
/// after the first few when long.
pub fn host_list(hosts: &[String]) -> String {
    let mut sorted: Vec<&str> = hosts.iter().map(String::as_str).collect();
    sorted.sort_by_key(|h| natural_key(h));
    sorted.dedup();
    // (the words for a name or a range, how many hosts they stand for)
    let mut items: Vec<(String, usize)> = Vec::new();
    let mut at = 0;
    while at < sorted.len() {
        let mut end = at + 1;
        while end < sorted.len() && follows(sorted[end - 1], sorted[end]) {
            end += 1;
        }
        if end - at >= RANGE_FROM {
            items.push((format!("{}–{}", sorted[at], sorted[end - 1]), end - at));
        } else {
            items.extend(sorted[at..end].iter().map(|h| ((*h).to_string(), 1)));
        }
        at = end;
    }
    if items.len() <= EVERY_ITEM_UP_TO {
        return join(&items);
    }
    let more: usize = items[FIRST_ITEMS..].iter().map(|(_, n)| n).sum();
    format!("{}, … and {more} more", join(&items[..FIRST_ITEMS]))
}

fn join(items: &[(String, usize)]) -> String {
    items
        .iter()
        .map(|(words, _)| words.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A name's text before its trailing digits, and those digits (empty when it has none).
fn split(name: &str) -> (&str, &str) {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    name.split_at(name.len() - digits)
}

fn natural_key(name: &str) -> (&str, u128, &str) {
    let (stem, digits) = split(name);
    (stem, digits.parse().unwrap_or(0), name)
}

/// Whether `next` is the name after `name` in a numbered series: `web09` → `web10`, `h9` →
/// `h10`, not `h09` → `h10` (a different width of zero-padding).
fn follows(name: &str, next: &str) -> bool {
    let ((stem, digits), (next_stem, next_digits)) = (split(name), split(next));
    let (Ok(n), Ok(m)) = (digits.parse::<u128>(), next_digits.parse::<u128>()) else {
        return false;
    };
    let padded = |d: &str| d.len() > 1 && d.starts_with('0');
    let same_width = digits.len() == next_digits.len() || !padded(digits) && !padded(next_digits);
    stem == next_stem && m == n + 1 && same_width
}

#[cfg(test)]
mod tests {
    use super::host_list;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    fn numbered(numbers: impl IntoIterator<Item = usize>) -> Vec<String> {
        numbers.into_iter().map(|n| format!("h{n:03}")).collect()
    }

    #[test]
    fn a_few_names_are_all_said_in_natural_order() {
        assert_eq!(host_list(&names(&["web", "db2", "db10"])), "db2, db10, web");
        assert_eq!(host_list(&names(&["h1", "h2"])), "h1, h2");
    }

    #[test]
    fn numbered_names_in_a_row_make_a_range() {
        assert_eq!(host_list(&numbered(1..=20)), "h001–h020");
        assert_eq!(
            host_list(&numbered((1..=20).chain([150, 152]))),
            "h001–h020, h150, h152"
        );
        let unpadded = names(&["h8", "h9", "h10", "h11"]);
        assert_eq!(host_list(&unpadded), "h8–h11");
        assert_eq!(host_list(&names(&["h08", "h09", "h10"])), "h08–h10");
        assert_eq!(host_list(&names(&["h9", "h010", "h011"])), "h9, h010, h011");
    }

    #[test]
    fn a_long_list_says_its_first_names_and_how_many_more() {
        let every_other = numbered((1..=40).step_by(2));
        assert_eq!(host_list(&every_other), "h001, h003, h005, … and 17 more");
        let ranges = numbered((1..=5).chain(10..=14).chain(20..=24).chain([30, 40, 50]));
        assert_eq!(
            host_list(&ranges),
            "h001–h005, h010–h014, h020–h024, … and 3 more"
        );
    }
}
