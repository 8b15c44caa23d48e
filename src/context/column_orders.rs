//! The column order of recent query results. A rhai map sorts its keys, so a row forgets the
//! order of its query's `SELECT`; tables (the REPL, `log_table`) ask here for the order of the
//! query whose columns are exactly a row's keys.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Mutex, PoisonError};

/// How many distinct column lists are remembered, newest first.
const KEPT: usize = 64;

#[derive(Debug, Default)]
pub struct ColumnOrders {
    recent: Mutex<VecDeque<Vec<String>>>,
}

impl ColumnOrders {
    /// Remembers the columns of a result, in the query's order.
    pub fn remember(&self, columns: Vec<String>) {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        recent.retain(|known| *known != columns);
        recent.push_front(columns);
        recent.truncate(KEPT);
    }

    /// The order of the newest result whose columns are exactly `keys`.
    pub fn order_of(&self, keys: &BTreeSet<&str>) -> Option<Vec<String>> {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        recent
            .iter()
            .find(|columns| {
                columns.len() == keys.len() && columns.iter().all(|c| keys.contains(c.as_str()))
            })
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::ColumnOrders;
    use std::collections::BTreeSet;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn the_newest_result_with_exactly_these_columns_gives_the_order() {
        let orders = ColumnOrders::default();
        orders.remember(names(&["id", "full_name", "email"]));
        orders.remember(names(&["email", "id"]));
        let keys: BTreeSet<&str> = ["email", "full_name", "id"].into();
        assert_eq!(
            orders.order_of(&keys),
            Some(names(&["id", "full_name", "email"]))
        );
        let other: BTreeSet<&str> = ["id", "name"].into();
        assert_eq!(orders.order_of(&other), None);
        orders.remember(names(&["full_name", "email", "id"]));
        assert_eq!(
            orders.order_of(&keys),
            Some(names(&["full_name", "email", "id"]))
        );
    }
}
