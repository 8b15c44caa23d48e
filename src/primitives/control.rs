//! Flow and state inside bodies: `log`, `log_table`, `warn`, `assert`, `fail`, `sleep`, `wait_until`, `env`,
//! `publish`, `dry_run`.

use super::{Outcome, error};
use crate::context::acting_host;
use crate::context::event::{Effect, Event, Level};
use crate::context::ordered_json;
use crate::context::run_context::RunContext;
use crate::context::unknown_value;
use crate::diagnostic::error_kind::ErrorKind;
use rhai::{Dynamic, Engine, FnPtr, NativeCallContext};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn register(engine: &mut Engine, ctx: &Arc<RunContext>) {
    let c = Arc::clone(ctx);
    engine.register_fn("log", move |message: Dynamic| {
        c.log(Level::Info, unknown_value::written(&message).to_string())
    });
    let c = Arc::clone(ctx);
    engine.register_fn("warn", move |message: Dynamic| {
        c.log(Level::Warn, unknown_value::written(&message).to_string())
    });
    let c = Arc::clone(ctx);
    engine.register_fn("log_table", move |rows: Dynamic| log_table(&c, &rows, None));
    let c = Arc::clone(ctx);
    engine.register_fn("log_table", move |rows: Dynamic, columns: rhai::Array| {
        let columns = columns.iter().map(ToString::to_string).collect();
        log_table(&c, &rows, Some(columns))
    });
    engine.register_fn("assert", |ok: bool| {
        if ok {
            Ok(())
        } else {
            error(ErrorKind::Assertion, "assertion failed")
        }
    });
    engine.register_fn("assert", |ok: bool, message: &str| {
        if ok {
            Ok(())
        } else {
            error(ErrorKind::Assertion, format!("assertion failed: {message}"))
        }
    });
    engine.register_fn("fail", |message: &str| -> Outcome<()> {
        error(ErrorKind::Assertion, message)
    });
    engine.register_fn("env", |name: &str| {
        std::env::var(name).map_or(Dynamic::UNIT, Dynamic::from)
    });
    engine.register_fn("env", |name: &str, default: Dynamic| {
        std::env::var(name).map_or(default, Dynamic::from)
    });
    let c = Arc::clone(ctx);
    engine.register_fn("sleep", move |secs: i64| sleep(&c, secs as f64));
    let c = Arc::clone(ctx);
    engine.register_fn("sleep", move |secs: f64| sleep(&c, secs));
    let c = Arc::clone(ctx);
    engine.register_fn("publish", move |name: &str, value: Dynamic| {
        publish(&c, name, value)
    });
    let c = Arc::clone(ctx);
    engine.register_fn("dry_run", move || c.is_dry_run());
    let c = Arc::clone(ctx);
    engine.register_fn(
        "wait_until",
        move |call: NativeCallContext, condition: FnPtr, timeout: i64, interval: i64| {
            wait_until(&c, &call, &condition, timeout, interval)
        },
    );
}

fn seconds(secs: f64, what: &str) -> Outcome<Duration> {
    if secs.is_finite() && (0.0..=86_400.0 * 7.0).contains(&secs) {
        Ok(Duration::from_secs_f64(secs))
    } else {
        error(
            ErrorKind::Script,
            format!("{what}: {secs} is not a number of seconds between 0 and 7 days"),
        )
    }
}

/// Waits, unless the step must stop; a dry-run does not wait.
fn pause(ctx: &RunContext, duration: Duration) -> Outcome<()> {
    if ctx.is_dry_run() {
        return Ok(());
    }
    ctx.runtime.block_on(async {
        tokio::select! {
            () = tokio::time::sleep(duration) => Ok(()),
            reason = ctx.stop.wait() => error(reason.kind(), reason.to_string()),
        }
    })
}

fn sleep(ctx: &RunContext, secs: f64) -> Outcome<()> {
    pause(ctx, seconds(secs, "sleep")?)
}

fn publish(ctx: &RunContext, name: &str, value: Dynamic) -> Outcome<()> {
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return error(
            ErrorKind::Script,
            format!("publish: `{name}` is not a valid name (letters, digits, _)"),
        );
    }
    let Some(step) = ctx.cursor().step else {
        return error(ErrorKind::Script, "publish: only steps publish values");
    };
    // On a host, the value is that host's (each host of a fan-out publishes its own).
    let host = acting_host::current();
    ctx.emit(&Event::Published {
        step,
        host: host.clone(),
        name: name.into(),
        value: unknown_value::shown(&value),
        json: ordered_json::json(&value, &ctx.column_orders).unwrap_or_default(),
    });
    ctx.publish(name, host.as_deref(), value);
    Ok(())
}

fn wait_until(
    ctx: &RunContext,
    call: &NativeCallContext,
    condition: &FnPtr,
    timeout: i64,
    interval: i64,
) -> Outcome<bool> {
    let timeout = seconds(timeout as f64, "wait_until timeout")?;
    let interval = seconds(interval as f64, "wait_until interval")?.max(Duration::from_millis(10));
    let limit = crate::language::duration::format(timeout);
    ctx.act(
        "wait_until",
        "local",
        &format!("wait until the condition holds (at most {limit})"),
        Effect::Read,
    );
    let started = Instant::now();
    let mut tries = 0u32;
    loop {
        tries += 1;
        let holds = condition.call_within_context::<Dynamic>(call, ())?;
        let holds = holds
            .as_bool()
            .map_err(|t| format!("wait_until: the condition returned {t}, not a bool"))?;
        if holds || ctx.is_dry_run() {
            return Ok(true);
        }
        let waited = started.elapsed();
        if waited >= timeout {
            return error(
                ErrorKind::Timeout,
                format!("wait_until: the condition did not hold within {limit} ({tries} tries)"),
            );
        }
        ctx.log(
            Level::Info,
            format!(
                "waiting… {} of {limit}",
                crate::language::duration::elapsed(waited)
            ),
        );
        pause(ctx, interval.min(timeout - waited))?;
    }
}

/// `log_table(rows)`: an array of maps logged as an aligned table, one log line per row (the
/// columns given, else the query's order, else every key met); anything else is logged as
/// `log` would.
fn log_table(ctx: &RunContext, rows: &Dynamic, columns: Option<Vec<String>>) {
    // Values only a real run knows (a plan's query rows, or cells) show as their origin.
    let rows = unknown_value::written(rows);
    let text = match rows.read_lock::<rhai::Array>() {
        Some(items) if !items.is_empty() => {
            crate::value_table::rows_table(&items, columns, &|keys| {
                ctx.column_orders.order_of(keys)
            })
        }
        Some(_) => "(no rows)".to_string(),
        None => rows.to_string(),
    };
    for line in text.lines() {
        ctx.log(Level::Info, line.to_string());
    }
}
