//! Secret values never leave the process unmasked: every event passes through here before any
//! consumer sees it, so output, plans and (later) journals only ever hold `***`.

use super::event::Event;

pub const MASK: &str = "***";

/// The secret values of a run, longest first so a secret containing another masks whole.
#[derive(Debug, Default, Clone)]
pub struct SecretMask {
    values: Vec<String>,
}

/// A secret as it may travel: itself, base64 (with and without padding), percent-encoded.
fn encodings(value: &str) -> Vec<String> {
    let b64 = base64(value.as_bytes());
    let mut all = vec![
        value.to_string(),
        b64.trim_end_matches('=').to_string(),
        b64,
        percent_encoded(value),
    ];
    all.retain(|v| !v.is_empty());
    all.dedup();
    all
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn percent_encoded(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

impl SecretMask {
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut values: Vec<String> = values
            .into_iter()
            .filter(|v| !v.is_empty())
            .flat_map(|v| encodings(&v))
            .collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Self { values }
    }

    /// Adds a value found during the run (a password inside a database URL).
    pub fn add(&mut self, value: &str) {
        if value.is_empty() || self.values.iter().any(|v| v == value) {
            return;
        }
        self.values.extend(encodings(value));
        self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        self.values.dedup();
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The text with every secret value replaced by `***`.
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), MASK);
            }
        }
        out
    }

    /// The event with every string in it masked.
    pub fn mask_event(&self, event: &Event) -> Event {
        if self.values.is_empty() {
            return event.clone();
        }
        let mut value = match serde_json::to_value(event) {
            Ok(v) => v,
            Err(_) => return event.clone(),
        };
        self.mask_json(&mut value);
        serde_json::from_value(value).unwrap_or_else(|_| event.clone())
    }

    fn mask_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => *s = self.mask(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.mask_json(v)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| self.mask_json(v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_occurrence_longest_first() {
        let mask = SecretMask::new(["abc".to_string(), "abcdef".to_string()]);
        assert_eq!(mask.mask("x abcdef y abc"), "x *** y ***");
    }
}
