//! A value as JSON, each query row with its columns in the query's order. A rhai map sorts its
//! keys, so `serde` alone would write `SELECT id, full_name, email` as
//! `{"email", "full_name", "id"}`; published values, request bodies, templates and `to_json`
//! go through here instead.

use super::column_orders::ColumnOrders;
use rhai::{Array, Dynamic, EvalAltResult, Map};
use std::collections::BTreeSet;

/// `value` as JSON: a map whose keys are exactly a recent query's columns in that query's
/// order, any other map by its sorted keys. Fails where `serde` would (a value JSON cannot
/// hold).
pub fn json(
    value: &Dynamic,
    orders: &ColumnOrders,
) -> Result<serde_json::Value, Box<EvalAltResult>> {
    if let Some(map) = value.read_lock::<Map>() {
        let keys: BTreeSet<&str> = map.keys().map(|k| k.as_str()).collect();
        let order = orders.order_of(&keys);
        let names: Vec<&str> = match &order {
            Some(columns) => columns.iter().map(String::as_str).collect(),
            None => keys.into_iter().collect(),
        };
        let mut object = serde_json::Map::new();
        for name in names {
            if let Some(item) = map.get(name) {
                object.insert(name.to_string(), json(item, orders)?);
            }
        }
        return Ok(object.into());
    }
    if let Some(array) = value.read_lock::<Array>() {
        return array
            .iter()
            .map(|item| json(item, orders))
            .collect::<Result<Vec<_>, _>>()
            .map(serde_json::Value::Array);
    }
    rhai::serde::from_dynamic(value)
}

#[cfg(test)]
mod tests {
    use super::{ColumnOrders, json};
    use rhai::{Dynamic, Engine};

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn rows_keep_their_query_s_order_and_other_maps_sort() {
        let orders = ColumnOrders::default();
        orders.remember(names(&["id", "full_name", "email"]));
        let rows: Dynamic = Engine::new_raw()
            .eval(r#"[#{id: 1, full_name: "Ada", email: "a@x", tags: #{b: 2, a: 1}}, #{email: "b@x", full_name: "Bo", id: 2}]"#)
            .expect("eval");
        let text = serde_json::to_string(&json(&rows, &orders).expect("json")).expect("text");
        assert_eq!(
            text,
            r#"[{"email":"a@x","full_name":"Ada","id":1,"tags":{"a":1,"b":2}},{"id":2,"full_name":"Bo","email":"b@x"}]"#
        );
    }
}
