//! Reading the `#{…}` option maps primitives accept, with errors that name the bad key.

use super::{Outcome, error};
use crate::diagnostic::error_kind::ErrorKind;
use rhai::{Dynamic, Map};

/// Option map accessor that refuses unknown keys and ill-typed values.
pub struct Options<'a> {
    map: &'a Map,
    primitive: &'static str,
}

impl<'a> Options<'a> {
    pub fn new(map: &'a Map, primitive: &'static str, known: &[&str]) -> Outcome<Self> {
        if let Some(key) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return error(
                ErrorKind::Script,
                format!(
                    "{primitive}: unknown option `{key}` (known: {})",
                    known.join(", ")
                ),
            );
        }
        Ok(Self { map, primitive })
    }

    pub fn bool(&self, key: &str) -> Outcome<Option<bool>> {
        self.get(key, "true or false", Dynamic::as_bool)
    }

    pub fn int(&self, key: &str) -> Outcome<Option<i64>> {
        self.get(key, "a whole number", Dynamic::as_int)
    }

    /// A number, given as an int or a float.
    pub fn number(&self, key: &str) -> Outcome<Option<f64>> {
        self.get(key, "a number", |d| {
            d.as_int().map(|i| i as f64).or_else(|_| d.as_float())
        })
    }

    pub fn string(&self, key: &str) -> Outcome<Option<String>> {
        self.get(key, "a string", |d| d.clone().into_string())
    }

    /// Seconds, given as an int or a float.
    pub fn seconds(&self, key: &str) -> Outcome<Option<std::time::Duration>> {
        let secs = self.number(key)?;
        match secs {
            Some(s) if s.is_finite() && s >= 0.0 => Ok(Some(std::time::Duration::from_secs_f64(s))),
            Some(_) => error(
                ErrorKind::Script,
                format!(
                    "{}: `{key}` must be a positive number of seconds",
                    self.primitive
                ),
            ),
            None => Ok(None),
        }
    }

    pub fn map(&self, key: &str) -> Outcome<Option<Map>> {
        self.get(key, "a map", |d| {
            d.clone().try_cast::<Map>().ok_or("not a map")
        })
    }

    fn get<T, E>(
        &self,
        key: &str,
        what: &str,
        convert: impl Fn(&Dynamic) -> Result<T, E>,
    ) -> Outcome<Option<T>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(value) => match convert(value) {
                Ok(v) => Ok(Some(v)),
                Err(_) => error(
                    ErrorKind::Script,
                    format!(
                        "{}: option `{key}` must be {what}, not {}",
                        self.primitive,
                        value.type_name()
                    ),
                ),
            },
        }
    }
}
