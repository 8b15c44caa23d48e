//! How a value shows as text, in the REPL and in `log_table`: `()` not at all, a string as its
//! text, a map as a two-column table, an array of maps as a table with one column per key,
//! anything else as rhai prints it.

use crate::context::column_orders::ColumnOrders;
use chrono::DateTime;
use rhai::{Array, Dynamic, Map};
use std::collections::BTreeSet;

/// A map or array in a table cell wider than this is folded to its size.
const FOLD_WIDTH: usize = 40;

/// The text to show for `value`, or none for `()`. Query results show their columns in the
/// query's order (`orders`).
pub fn render(value: &Dynamic, orders: &ColumnOrders) -> Option<String> {
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
        let rows = ordered_keys(&map, orders)
            .into_iter()
            .map(|k| {
                let v = &map[k.as_str()];
                let cell = time_cell(&k, v).unwrap_or_else(|| inline(v));
                vec![k, cell]
            })
            .collect();
        return Some(table(&["key".into(), "value".into()], rows));
    }
    if let Some(items) = value.read_lock::<Array>()
        && !items.is_empty()
        && items.iter().all(|i| i.is_map())
    {
        return Some(rows_table(&items, None, orders));
    }
    Some(value.to_string())
}

/// A map's keys: in the order of the query that returned it, else sorted.
fn ordered_keys(map: &Map, orders: &ColumnOrders) -> Vec<String> {
    let keys: BTreeSet<&str> = map.keys().map(|k| k.as_str()).collect();
    orders
        .order_of(&keys)
        .unwrap_or_else(|| keys.iter().map(|k| (*k).to_string()).collect())
}

/// An array of maps as a table: one row per map, the columns given (in that order), else the
/// order of the query that returned them, else every key met, in the order met. A row that is
/// not a map is one cell. Unix times show as dates, and wide maps and arrays are folded.
pub fn rows_table(
    items: &[Dynamic],
    columns: Option<Vec<String>>,
    orders: &ColumnOrders,
) -> String {
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
        let keys: BTreeSet<&str> = met.iter().map(String::as_str).collect();
        orders.order_of(&keys).unwrap_or(met)
    });
    let rows = maps
        .iter()
        .map(|m| {
            columns
                .iter()
                .map(|c| m.get(c.as_str()).map(|v| cell(c, v)).unwrap_or_default())
                .collect()
        })
        .collect();
    table(&columns, rows)
}

/// A table cell: a Unix time as a date, a wide map or array as its size, else [`inline`].
fn cell(column: &str, value: &Dynamic) -> String {
    if let Some(date) = time_cell(column, value) {
        return date;
    }
    let text = inline(value);
    if text.chars().count() <= FOLD_WIDTH {
        return text;
    }
    if let Some(map) = value.read_lock::<Map>() {
        return format!("#{{… {} keys}}", map.len());
    }
    if let Some(items) = value.read_lock::<Array>() {
        return format!("[… {} items]", items.len());
    }
    text
}

/// A Unix time in seconds, in a column named for a time (`created`, `updated_at`, `time`…) and
/// within 1990–2100, as a UTC date: `2026-12-04 09:30:00 UTC`.
fn time_cell(column: &str, value: &Dynamic) -> Option<String> {
    const PLAUSIBLE: std::ops::Range<i64> = 631_152_000..4_102_444_800;
    let named = [
        "created",
        "updated",
        "started",
        "finished",
        "time",
        "timestamp",
        "since",
    ]
    .contains(&column)
        || column.ends_with("_at")
        || column.ends_with("_time");
    let seconds = value
        .as_int()
        .ok()
        .filter(|s| named && PLAUSIBLE.contains(s))?;
    DateTime::from_timestamp(seconds, 0).map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
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
    use super::render as render_with;
    use crate::context::column_orders::ColumnOrders;
    use rhai::{Array, Dynamic, Map};

    fn render(value: &Dynamic) -> Option<String> {
        render_with(value, &ColumnOrders::default())
    }

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

    #[test]
    fn query_rows_keep_the_query_s_column_order() {
        let orders = ColumnOrders::default();
        orders.remember(vec!["id".into(), "full_name".into(), "email".into()]);
        let rows: Array = vec![
            map(&[
                ("email", "a@x".into()),
                ("full_name", "Ada".into()),
                ("id", 1_i64.into()),
            ])
            .into(),
        ];
        let text = render_with(&rows.into(), &orders).expect("text");
        assert!(text.starts_with("id │ full_name │ email"), "{text}");
    }

    #[test]
    fn unix_times_show_as_dates_and_wide_maps_fold() {
        let labels = map(&[
            ("com.docker.compose.project", "shop".into()),
            ("com.docker.compose.service", "web".into()),
            ("com.docker.compose.version", "2.20.2".into()),
        ]);
        let rows: Array = vec![
            map(&[
                ("name", "shop-web-1".into()),
                ("created", 1_733_304_600_i64.into()),
                ("labels", labels.into()),
                ("port", 5432_i64.into()),
            ])
            .into(),
        ];
        let text = render(&rows.into()).expect("text");
        assert!(text.contains("2024-12-04 09:30:00 UTC"), "{text}");
        assert!(text.contains("#{… 3 keys}"), "{text}");
        assert!(text.contains("5432"), "a port is not a time: {text}");
    }
}
