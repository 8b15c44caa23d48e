//! Clock and calendar functions: `now()`, `now(format)` (strftime), `timestamp()` (Unix
//! seconds), and the arithmetic helpers between texts and Unix seconds: `parse_time`,
//! `format_time`, `parse_duration`, `format_duration`. Times without an offset are local, as
//! `now()` prints them.

use super::{Outcome, error};
use crate::context::run_context::unknown_parts;
use crate::context::unknown_value::stop_error;
use crate::diagnostic::error_kind::ErrorKind;
use crate::language::duration;
use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone};
use rhai::Engine;
use std::time::Duration;

pub fn register(engine: &mut Engine) {
    engine.register_fn("now", || {
        Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    });
    engine.register_fn("now", |format: &str| -> Outcome<String> {
        Ok(Local::now()
            .format_with_items(items("now", format)?.into_iter())
            .to_string())
    });
    engine.register_fn("timestamp", || chrono::Utc::now().timestamp());
    engine.register_fn("parse_time", |text: &str| {
        known(text)?;
        DateTime::parse_from_rfc3339(text.trim())
            .map(|t| t.timestamp())
            .or_else(|e| bad("parse_time", text, "an RFC 3339 time", &e))
    });
    engine.register_fn("parse_time", parse_formatted);
    engine.register_fn("format_time", |seconds: i64| {
        local("format_time", seconds).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
    });
    engine.register_fn(
        "format_time",
        |seconds: i64, format: &str| -> Outcome<String> {
            let items = items("format_time", format)?;
            Ok(local("format_time", seconds)?
                .format_with_items(items.into_iter())
                .to_string())
        },
    );
    engine.register_fn("parse_duration", |text: &str| {
        known(text)?;
        duration::parse(text)
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            .map_or_else(
                || {
                    bad(
                        "parse_duration",
                        text,
                        "a duration such as 90s or 1h30m",
                        &"",
                    )
                },
                Ok,
            )
    });
    engine.register_fn("format_duration", |seconds: i64| {
        u64::try_from(seconds).map_or_else(
            |_| {
                format!(
                    "-{}",
                    duration::format(Duration::from_secs(seconds.unsigned_abs()))
                )
            },
            |s| duration::format(Duration::from_secs(s)),
        )
    });
}

/// A text only a real run knows stops the plan here: what it parses to decides what follows.
fn known(text: &str) -> Outcome<()> {
    match unknown_parts(text).first() {
        Some(origin) => Err(stop_error(origin)),
        None => Ok(()),
    }
}

/// The strftime items of `format`; a bad format is an error, never a panic.
fn items<'a>(primitive: &str, format: &'a str) -> Outcome<Vec<Item<'a>>> {
    let items: Vec<Item<'_>> = StrftimeItems::new(format).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return error(
            ErrorKind::Script,
            format!("{primitive}: `{format}` is not a valid strftime format"),
        );
    }
    Ok(items)
}

fn bad<T>(primitive: &str, text: &str, wanted: &str, why: &dyn std::fmt::Display) -> Outcome<T> {
    let why = why.to_string();
    let why = if why.is_empty() {
        String::new()
    } else {
        format!(" ({why})")
    };
    error(
        ErrorKind::Script,
        format!("{primitive}: `{text}` is not {wanted}{why}"),
    )
}

/// Unix seconds of `text` read with the strftime `format`: with its offset (`%z`) when the
/// format has one, else as a local time; a format without a time of day reads midnight.
fn parse_formatted(text: &str, format: &str) -> Outcome<i64> {
    known(text)?;
    items("parse_time", format)?;
    let wanted = format!("a time in the format `{format}`");
    if let Ok(t) = DateTime::parse_from_str(text, format) {
        return Ok(t.timestamp());
    }
    let naive = NaiveDateTime::parse_from_str(text, format).or_else(|e| {
        NaiveDate::parse_from_str(text, format)
            .map(|d| d.and_time(chrono::NaiveTime::MIN))
            .map_err(|_| e)
    });
    match naive {
        Ok(t) => Local
            .from_local_datetime(&t)
            .earliest()
            .map(|t| t.timestamp())
            .map_or_else(
                || bad("parse_time", text, "a local time that exists", &""),
                Ok,
            ),
        Err(e) => bad("parse_time", text, &wanted, &e),
    }
}

fn local(primitive: &str, seconds: i64) -> Outcome<DateTime<Local>> {
    Local.timestamp_opt(seconds, 0).single().map_or_else(
        || {
            error(
                ErrorKind::Script,
                format!("{primitive}: {seconds} is out of range"),
            )
        },
        Ok,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_with_an_offset_read_as_unix_seconds_in_any_zone() {
        assert_eq!(
            parse_formatted("20240131T235959+0000", "%Y%m%dT%H%M%S%z").ok(),
            Some(1_706_745_599)
        );
        assert!(parse_formatted("31/01/2024", "%Y-%m-%d").is_err());
    }
}
