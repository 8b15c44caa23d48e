//! Output lines a journal left out, in words: `… 123,456 lines (45.6 MB) left out of the journal …`.
//! `runbook show` prints it between the head and the tail of a step's output it kept.

/// The sentence for `lines` lines of `bytes` bytes.
pub fn left_out(lines: u64, bytes: u64) -> String {
    let noun = if lines == 1 { "line" } else { "lines" };
    format!(
        "… {} {noun} ({}) left out of the journal …",
        grouped(lines),
        size(bytes)
    )
}

/// `123456` as `123,456`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in decimal units with one decimal: `45.6 MB`.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    #[allow(clippy::cast_precision_loss, reason = "a size shown with one decimal")]
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::left_out;

    #[test]
    fn counts_and_sizes_are_worded_for_people() {
        assert_eq!(
            left_out(123_456, 45_600_000),
            "… 123,456 lines (45.6 MB) left out of the journal …"
        );
        assert_eq!(left_out(1, 7), "… 1 line (7 B) left out of the journal …");
        assert_eq!(
            left_out(1_000_000, 999_999_999),
            "… 1,000,000 lines (1.0 GB) left out of the journal …"
        );
    }
}
