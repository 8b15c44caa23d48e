//! `http_wait`: GETs until the answer has a status, a value at a JSON path, a text; each miss
//! is logged, the failure shows the last answer. A probe looks once.

use super::{REQUEST_KEYS, build, compose_of, describe, planned, response_map, send, target};
use crate::context::event::{Effect, Level};
use crate::context::run_context::RunContext;
use crate::diagnostic::error_kind::ErrorKind;
use crate::hosts::host_spec::HostSpec;
use crate::http::request::{Request, Response, json_path};
use crate::primitives::compose_target::ComposeTarget;
use crate::primitives::connection_origin::origin;
use crate::primitives::options::Options;
use crate::primitives::{Outcome, error, probed, unless_stopped};
use reqwest::Method;
use rhai::{Dynamic, Map};
use std::time::{Duration, Instant};

/// Options `http_wait` adds.
const WAIT_KEYS: &[&str] = &[
    "status", "path", "equals", "contains", "interval", "backoff", "wait",
];

/// What `http_wait` waits for, in words: the status, the value at `path`, the text in the body.
fn wait_condition(
    status: i64,
    path: Option<&str>,
    equals: Option<&Dynamic>,
    contains: Option<&str>,
) -> Outcome<String> {
    let mut condition = format!("status {status}");
    if let Some(p) = path {
        let wanted = match equals {
            Some(e) => {
                let json: serde_json::Value = rhai::serde::from_dynamic(e)?;
                format!("== {json}")
            }
            None => "present".to_string(),
        };
        condition.push_str(&format!(", {p} {wanted}"));
    }
    if let Some(c) = contains {
        condition.push_str(&format!(", body contains {c:?}"));
    }
    Ok(condition)
}

/// `http_wait`: checks its options, records the wait, then [`poll`]s.
pub(super) fn http_wait(ctx: &RunContext, url: &str, opts: &Map) -> Outcome<Map> {
    let request_opts: Map = opts
        .iter()
        .filter(|(k, _)| !WAIT_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // `status` says what the wait expects: `expect` would contradict it.
    let known: Vec<&str> = REQUEST_KEYS
        .iter()
        .chain(WAIT_KEYS)
        .copied()
        .filter(|k| *k != "expect")
        .collect();
    let o = Options::new(opts, "http_wait", &known)?;
    let mut request = build(ctx, Method::GET, url, &request_opts)?;
    let status = o.int("status")?.unwrap_or(200);
    let path = o.string("path")?;
    let equals = opts.get("equals").cloned();
    if equals.is_some() && path.is_none() {
        return error(
            ErrorKind::Script,
            "http_wait: `equals` compares the value at `path`: give a `path` too",
        );
    }
    let contains = o.string("contains")?;
    let limit = o.seconds("wait")?.unwrap_or(Duration::from_secs(60));
    let interval = o.seconds("interval")?.unwrap_or(Duration::from_secs(2));
    let backoff = o.number("backoff")?.unwrap_or(1.0);
    if !(1.0..=10.0).contains(&backoff) {
        return error(
            ErrorKind::Script,
            "http_wait: `backoff` must be between 1 and 10",
        );
    }
    request.timeout = request.timeout.min(limit.max(Duration::from_secs(1)));
    let condition = wait_condition(
        status,
        path.as_deref(),
        equals.as_ref(),
        contains.as_deref(),
    )?;
    let compose = compose_of("http_wait", url, opts)?;
    let shown = format!(
        "{} until {condition} (up to {}s)",
        describe(&request, compose.as_ref()),
        limit.as_secs()
    );
    let from = origin(ctx, opts, "http_wait")?;
    if !ctx.act(
        "http_wait",
        &target(url, from.as_ref()),
        &shown,
        Effect::Read,
    ) {
        return Ok(planned(ctx, &request));
    }
    let wanted_json: Option<serde_json::Value> = match &equals {
        Some(e) => Some(rhai::serde::from_dynamic(e)?),
        None => None,
    };
    let matches = |r: &Response| {
        i64::from(r.status) == status
            && contains
                .as_ref()
                .is_none_or(|c| r.text.contains(c.as_str()))
            && path.as_ref().is_none_or(|p| {
                let found = r.json.as_ref().and_then(|j| json_path(j, p));
                match &wanted_json {
                    Some(w) => found == Some(w),
                    None => found.is_some(),
                }
            })
    };
    let pace = Pace {
        limit,
        interval,
        backoff,
    };
    let route = (from.as_ref(), compose.as_ref());
    poll(ctx, &request, route, matches, &condition, pace)
}

/// How `http_wait` polls: for up to `limit`, `interval` apart, growing by `backoff`.
struct Pace {
    limit: Duration,
    interval: Duration,
    backoff: f64,
}

/// GETs until an answer `matches`; each miss is logged; the failure shows the last one. A
/// probe sees today's state, before the changes the plan leads up to: it looks once.
fn poll(
    ctx: &RunContext,
    request: &Request,
    (from, compose): (Option<&HostSpec>, Option<&ComposeTarget>),
    matches: impl Fn(&Response) -> bool,
    condition: &str,
    pace: Pace,
) -> Outcome<Map> {
    let Pace {
        limit,
        mut interval,
        backoff,
    } = pace;
    let url = &request.url;
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let answer =
            ctx.runtime
                .block_on(unless_stopped(ctx, &format!("waiting for {url}"), async {
                    Ok(send(ctx, request, from, compose).await)
                }))?;
        let last = match &answer {
            Ok(r) if matches(r) => return Ok(response_map(r)),
            Ok(r) => r.summary(),
            Err(e) => e.message.clone(),
        };
        if ctx.is_dry_run() {
            let looked = error(
                ErrorKind::Timeout,
                format!(
                    "{url} does not answer {condition} now (a probe does not wait); last: {last}"
                ),
            );
            return probed(ctx, looked, || planned(ctx, request));
        }
        ctx.log(
            Level::Info,
            format!("GET {url} → {last} (attempt {attempt})"),
        );
        if started.elapsed() + interval > limit {
            return error(
                ErrorKind::Timeout,
                format!(
                    "{url} did not answer {condition} within {}s ({attempt} attempts); last: {last}",
                    limit.as_secs()
                ),
            );
        }
        ctx.runtime
            .block_on(unless_stopped(ctx, &format!("waiting for {url}"), async {
                tokio::time::sleep(interval).await;
                Ok(())
            }))?;
        interval = interval.mul_f64(backoff).min(Duration::from_secs(300));
    }
}
