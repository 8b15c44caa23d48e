//! The values steps publish for later bodies, in publication order and by name: a procedure of
//! thousands of steps may publish thousands, and each body looks up only the few it names.

use rhai::Dynamic;
use std::collections::{HashMap, HashSet};

#[derive(Default)]
pub struct Published {
    /// In publication order; a value published again moves to the end.
    values: Vec<(String, Dynamic)>,
    /// Where each name stands in `values`.
    index: HashMap<String, usize>,
}

impl Published {
    pub fn insert(&mut self, name: &str, value: Dynamic) {
        if self.index.contains_key(name) {
            self.values.retain(|(n, _)| n != name);
            self.index = self
                .values
                .iter()
                .enumerate()
                .map(|(at, (n, _))| (n.clone(), at))
                .collect();
        }
        self.index.insert(name.to_string(), self.values.len());
        self.values.push((name.to_string(), value));
    }

    pub fn all(&self) -> Vec<(String, Dynamic)> {
        self.values.clone()
    }

    /// The values whose names are among `names`, in publication order.
    pub fn named(&self, names: &HashSet<&str>) -> Vec<(String, Dynamic)> {
        let mut found: Vec<usize> = names
            .iter()
            .filter_map(|name| self.index.get(*name).copied())
            .collect();
        found.sort_unstable();
        found
            .into_iter()
            .map(|at| self.values[at].clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_values_keep_publication_order_and_the_latest_value() {
        let mut published = Published::default();
        published.insert("a", Dynamic::from(1_i64));
        published.insert("b", Dynamic::from(2_i64));
        published.insert("c", Dynamic::from(3_i64));
        published.insert("a", Dynamic::from(4_i64));
        let found = published.named(&HashSet::from(["a", "c", "unknown"]));
        let found: Vec<(String, i64)> = found
            .into_iter()
            .map(|(n, v)| (n, v.as_int().unwrap_or_default()))
            .collect();
        assert_eq!(found, [("c".to_string(), 3), ("a".to_string(), 4)]);
        assert_eq!(published.all().len(), 3);
    }
}
