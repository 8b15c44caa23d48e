//! The values steps publish for later bodies, in publication order and by name: a procedure of
//! thousands of steps may publish thousands, and each body looks up only the few it names.
//!
//! A value published by a body running on a host is that host's: the host's later bodies (and
//! its rollback) see it, other hosts do not. A body that runs elsewhere (here, or on a host that
//! published nothing under that name) sees a map from host to value.

use rhai::{Dynamic, Map};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One published value: its name, the host it was published on (none: here), the value.
#[derive(Debug, Clone)]
struct PublishedValue {
    pub name: String,
    pub host: Option<String>,
    pub value: Dynamic,
}

#[derive(Default, Clone)]
pub struct Published {
    /// In publication order; a value published again (by the same host) moves to the end.
    values: Vec<PublishedValue>,
    /// Where each name stands in `values`, per host (none: here).
    index: HashMap<String, BTreeMap<Option<String>, usize>>,
}

impl Published {
    pub fn insert(&mut self, name: &str, host: Option<&str>, value: Dynamic) {
        let key = host.map(str::to_string);
        if let Some(&at) = self.index.get(name).and_then(|hosts| hosts.get(&key)) {
            self.values.remove(at);
            self.reindex();
        }
        self.index
            .entry(name.to_string())
            .or_default()
            .insert(key.clone(), self.values.len());
        self.values.push(PublishedValue {
            name: name.to_string(),
            host: key,
            value,
        });
    }

    fn reindex(&mut self) {
        self.index.clear();
        for (at, v) in self.values.iter().enumerate() {
            self.index
                .entry(v.name.clone())
                .or_default()
                .insert(v.host.clone(), at);
        }
    }

    /// Every name with the value a body on `host` (none: here) sees, in publication order.
    pub fn seen_from(&self, host: Option<&str>) -> Vec<(String, Dynamic)> {
        let names: HashSet<&str> = self.index.keys().map(String::as_str).collect();
        self.named(&names, host)
    }

    /// The values whose names are among `names`, as a body on `host` (none: here) sees them,
    /// in publication order.
    pub fn named(&self, names: &HashSet<&str>, host: Option<&str>) -> Vec<(String, Dynamic)> {
        let mut found: Vec<(usize, String, Dynamic)> = names
            .iter()
            .filter_map(|name| {
                let hosts = self.index.get(*name)?;
                let (at, value) = self.seen(hosts, host)?;
                Some((at, (*name).to_string(), value))
            })
            .collect();
        found.sort_unstable_by_key(|(at, _, _)| *at);
        found.into_iter().map(|(_, n, v)| (n, v)).collect()
    }

    /// What a body on `host` sees of one name: its own value or the one published here,
    /// whichever is newer; else the map of every host's value.
    fn seen(
        &self,
        hosts: &BTreeMap<Option<String>, usize>,
        host: Option<&str>,
    ) -> Option<(usize, Dynamic)> {
        let here = hosts.get(&None).copied();
        let own = host.and_then(|h| hosts.get(&Some(h.to_string())).copied());
        let newest_elsewhere = hosts
            .iter()
            .filter(|(h, _)| h.is_some() && h.as_deref() != host)
            .map(|(_, at)| *at)
            .max();
        let direct = match (own, here) {
            (Some(own), Some(here)) => Some(own.max(here)),
            (Some(own), None) => Some(own),
            // Here, a value published here counts only if no host published one since.
            (None, Some(here)) if host.is_some() || newest_elsewhere.is_none_or(|e| e < here) => {
                Some(here)
            }
            _ => None,
        };
        if let Some(at) = direct {
            return Some((at, self.values[at].value.clone()));
        }
        let map: Map = hosts
            .iter()
            .filter_map(|(h, at)| Some((h.as_deref()?.into(), self.values[*at].value.clone())))
            .collect();
        Some((newest_elsewhere?, map.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(found: Vec<(String, Dynamic)>) -> Vec<(String, i64)> {
        found
            .into_iter()
            .map(|(n, v)| (n, v.as_int().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn named_values_keep_publication_order_and_the_latest_value() {
        let mut published = Published::default();
        published.insert("a", None, Dynamic::from(1_i64));
        published.insert("b", None, Dynamic::from(2_i64));
        published.insert("c", None, Dynamic::from(3_i64));
        published.insert("a", None, Dynamic::from(4_i64));
        let found = published.named(&HashSet::from(["a", "c", "unknown"]), None);
        assert_eq!(ints(found), [("c".to_string(), 3), ("a".to_string(), 4)]);
        assert_eq!(published.seen_from(None).len(), 3);
    }

    #[test]
    fn a_value_published_on_a_host_is_that_hosts() {
        let mut published = Published::default();
        for (host, value) in [("web1", 1_i64), ("web2", 2), ("web3", 3)] {
            published.insert("path", Some(host), Dynamic::from(value));
        }
        let names = HashSet::from(["path"]);
        for (host, value) in [("web1", 1_i64), ("web2", 2), ("web3", 3)] {
            assert_eq!(
                ints(published.named(&names, Some(host))),
                [("path".to_string(), value)]
            );
        }
        // Here, and on a host that published nothing: every host's value by host.
        for elsewhere in [None, Some("db")] {
            let seen = published.named(&names, elsewhere);
            let map = seen[0].1.clone().cast::<Map>();
            let by_host: Vec<(String, i64)> = map
                .into_iter()
                .map(|(h, v)| (h.to_string(), v.as_int().unwrap_or_default()))
                .collect();
            assert_eq!(
                by_host,
                [
                    ("web1".to_string(), 1),
                    ("web2".to_string(), 2),
                    ("web3".to_string(), 3)
                ]
            );
        }
    }

    #[test]
    fn the_newer_of_a_hosts_own_value_and_the_one_published_here_wins() {
        let mut published = Published::default();
        let names = HashSet::from(["v"]);
        published.insert("v", Some("web1"), Dynamic::from(1_i64));
        published.insert("v", None, Dynamic::from(9_i64));
        assert_eq!(
            ints(published.named(&names, Some("web1"))),
            [("v".into(), 9)]
        );
        assert_eq!(ints(published.named(&names, None)), [("v".into(), 9)]);
        published.insert("v", Some("web1"), Dynamic::from(2_i64));
        assert_eq!(
            ints(published.named(&names, Some("web1"))),
            [("v".into(), 2)]
        );
        assert_eq!(
            ints(published.named(&names, Some("web2"))),
            [("v".into(), 9)]
        );
        assert!(published.named(&names, None)[0].1.is_map());
    }
}
