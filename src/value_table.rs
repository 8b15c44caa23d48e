//! How a value shows as text, in the REPL and in `log_table`: `()` not at all, a string as its
//! text, a map as a two-column table, an array of maps as a table with one column per key,
//! anything else as rhai prints it.

use rhai::{Array, Dynamic, Map};

/// The text to show for `value`, or none for `()`.
pub fn render(value: &Dynamic) -> Option<String> {
    if value.is_unit() {
        return None;
    }
    if let Some(text) = value.read_lock::<rhai::ImmutableString>() {
        // Command output ends with a newline the prompt would show as a blank line.
        return Some(text.strip_suffix('\n').unwrap_or(&text).to_string());
    }
    if let Some(map) = value.read_lock::<Map>() {
        if map.is_empty() {
            return Some("#{}".into());
        }
        let rows = map
            .iter()
            .map(|(k, v)| vec![k.to_string(), inline(v)])
            .collect();
        return Some(table(&["key".into(), "value".into()], rows));
    }
    if let Some(items) = value.read_lock::<Array>()
        && !items.is_empty()
        && items.iter().all(|i| i.is_map())
    {
        return Some(rows_table(&items, None));
    }
    Some(value.to_string())
}

/// An array of maps as a table: one row per map, the columns given (in that order), or else
/// every key met, in the order met. A row that is not a map is one cell.
pub fn rows_table(items: &[Dynamic], columns: Option<Vec<String>>) -> String {
    let maps: Vec<Map> = items
        .iter()
        .map(|i| match i.read_lock::<Map>() {
            Some(m) => m.clone(),
            None => Map::from_iter([("".into(), i.clone())]),
        })
        .collect();
    let columns = columns.unwrap_or_else(|| {
        let mut met: Vec<String> = Vec::new();
        for map in &maps {
            for key in map.keys() {
                if !met.iter().any(|c| c == key.as_str()) {
                    met.push(key.to_string());
                }
            }
        }
        met
    });
    let rows = maps
        .iter()
        .map(|m| {
            columns
                .iter()
                .map(|c| m.get(c.as_str()).map(inline).unwrap_or_default())
                .collect()
        })
        .collect();
    table(&columns, rows)
}

/// A value on one line, as inside a table cell.
pub fn inline(value: &Dynamic) -> String {
    let text = if value.is_unit() {
        String::new()
    } else if value.is_string() {
        value.to_string()
    } else {
        format!("{value:?}")
    };
    text.trim_end()
        .replace('\r', "")
        .replace('\n', "⏎")
        .replace('\t', " ")
}

fn width(text: &str) -> usize {
    text.chars().count()
}

/// Columns aligned, a rule under the header.
pub fn table(header: &[String], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(c));
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - width(c))))
            .collect();
        padded.join(" │ ").trim_end().to_string()
    };
    let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
    let mut out = vec![line(header), rule.join("─┼─")];
    out.extend(rows.iter().map(|r| line(r)));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::render;
    use rhai::{Array, Dynamic, Map};

    fn map(pairs: &[(&str, Dynamic)]) -> Map {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), v.clone()))
            .collect()
    }

    #[test]
    fn unit_is_silent_and_strings_are_plain() {
        assert_eq!(render(&Dynamic::UNIT), None);
        assert_eq!(render(&Dynamic::from("a \"b\"")), Some("a \"b\"".into()));
        assert_eq!(render(&Dynamic::from(42_i64)), Some("42".into()));
    }

    #[test]
    fn a_map_is_a_table_of_keys_and_values() {
        let m = map(&[("code", 0_i64.into()), ("stdout", "hi\n".into())]);
        assert_eq!(
            render(&m.into()).expect("text"),
            "key    │ value\n───────┼──────\ncode   │ 0\nstdout │ hi"
        );
    }

    #[test]
    fn an_array_of_maps_is_a_table_with_a_column_per_key() {
        let rows: Array = vec![
            map(&[("name", "web".into()), ("up", true.into())]).into(),
            map(&[("name", "db".into()), ("port", 5432_i64.into())]).into(),
        ];
        assert_eq!(
            render(&rows.into()).expect("text"),
            "name │ up   │ port\n─────┼──────┼─────\nweb  │ true │\ndb   │      │ 5432"
        );
    }
}
