//! Host ranges: the inside of `[01:10]`, `[a:f]` or `[1:10:2]` in a host pattern, as Ansible
//! expands them (zero padding kept, letters in `string.ascii_letters` order, a step).

use super::line_tokens::excerpt;

/// The letters of an alphabetic host range, in Ansible's order (`string.ascii_letters`).
const RANGE_LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The inside of `[01:10]`, `[a:f]` or `[1:10:2]`.
#[derive(Debug)]
pub(super) struct HostRange {
    first: u64,
    last: u64,
    step: u64,
    format: RangeFormat,
}

#[derive(Debug, Clone, Copy)]
enum RangeFormat {
    Letters,
    /// Numbers zero-padded to `width` digits (0 = no padding).
    Numbers {
        width: usize,
    },
}

impl HostRange {
    pub(super) fn parse(spec: &str) -> Result<Self, String> {
        let shown = excerpt(spec);
        let parts: Vec<&str> = spec.split(':').collect();
        let (start, end, step) = match parts.as_slice() {
            [start, end] => (*start, *end, None),
            [start, end, step] => (*start, *end, Some(*step)),
            _ => {
                return Err(format!(
                    "invalid host range `[{shown}]`: write `[start:end]` or \
                     `[start:end:step]`, e.g. `[01:10]` or `[a:f]`"
                ));
            }
        };
        let step = match step {
            None => 1,
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|&step| step > 0)
                .ok_or_else(|| {
                    format!(
                        "invalid step `{}` in host range `[{shown}]`: expected a positive number",
                        excerpt(text)
                    )
                })?,
        };
        if end.is_empty() {
            return Err(format!("host range `[{shown}]` has no end value"));
        }
        // As in Ansible, `[:5]` starts at 0.
        let start = if start.is_empty() { "0" } else { start };
        let (first, last, format) = range_bounds(start, end, &shown)?;
        if first > last {
            return Err(format!(
                "host range `[{shown}]` counts down: its start must not be greater than its end"
            ));
        }
        Ok(Self {
            first,
            last,
            step,
            format,
        })
    }

    pub(super) fn len(&self) -> u64 {
        (self.last - self.first) / self.step + 1
    }

    pub(super) fn values(&self) -> Vec<String> {
        let mut values = Vec::new();
        let mut value = self.first;
        while value <= self.last {
            values.push(self.format.show(value));
            match value.checked_add(self.step) {
                Some(next) => value = next,
                None => break,
            }
        }
        values
    }
}

impl RangeFormat {
    fn show(self, value: u64) -> String {
        match self {
            Self::Numbers { width } => format!("{value:0width$}"),
            Self::Letters => usize::try_from(value)
                .ok()
                .and_then(|index| RANGE_LETTERS.get(index..=index))
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

/// Both bounds as numbers (or letter positions) and how to write the values.
fn range_bounds(start: &str, end: &str, shown: &str) -> Result<(u64, u64, RangeFormat), String> {
    if let (Some(first), Some(last)) = (letter_index(start), letter_index(end)) {
        return Ok((first, last, RangeFormat::Letters));
    }
    let is_number = |text: &str| text.chars().all(|c| c.is_ascii_digit());
    if !is_number(start) || !is_number(end) {
        return Err(format!(
            "invalid host range `[{shown}]`: its bounds must be two numbers or two letters"
        ));
    }
    let width = if start.len() > 1 && start.starts_with('0') {
        if start.len() != end.len() {
            return Err(format!(
                "zero-padded host range `[{shown}]` needs bounds of the same width, e.g. `[01:10]`"
            ));
        }
        start.len()
    } else {
        0
    };
    let number = |text: &str| {
        text.parse::<u64>()
            .map_err(|_| format!("host range `[{shown}]` has a bound that is too large"))
    };
    Ok((number(start)?, number(end)?, RangeFormat::Numbers { width }))
}

fn letter_index(text: &str) -> Option<u64> {
    let mut chars = text.chars();
    let letter = chars.next().filter(|_| chars.next().is_none())?;
    let index = RANGE_LETTERS.find(letter)?;
    u64::try_from(index).ok()
}
