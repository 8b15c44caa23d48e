//! HTTP primitives: `http_get`, `http_head`, `http_post`, `http_put`, `http_patch`,
//! `http_delete`, `http_wait`, `ws_check`, and the checks `expect_status`, `json_path`,
//! `body_contains`. GET and HEAD read; the others change. In a body on a host, a request starts
//! from that host (`localhost` is the host's), unless it says `via: "local"`. TLS is verified unless a request
//! says `insecure: true`, which plans show. A `--probe` sends only GET, HEAD and OPTIONS, looks
//! once where a run would wait, and a request that fails leaves its response unknown.

mod wait;

use super::compose_target::{self, ComposeTarget, http_service};
use super::connection_origin::{self, origin};
use super::options::Options;
use super::{Outcome, error, probed, unless_stopped};
use crate::context::event::Effect;
use crate::context::ordered_json;
use crate::context::run_context::RunContext;
use crate::context::unknown_value;
use crate::diagnostic::error_kind::{ErrorKind, TypedError};
use crate::hosts::host_spec::HostSpec;
use crate::http::dispatch;
use crate::http::request::{Body, Request, Response, TlsPolicy, json_path};
use crate::http::websocket;
use crate::ssh::via::Via;
use reqwest::Method;
use rhai::{Dynamic, Engine, Map};
use std::sync::Arc;
use std::time::Duration;

/// Options of a request.
const REQUEST_KEYS: &[&str] = &[
    "headers",
    "query",
    "bearer",
    "basic",
    "json",
    "form",
    "body",
    "timeout",
    "redirects",
    "insecure",
    "ca",
    "expect",
    connection_origin::VIA,
    compose_target::COMPOSE,
];

pub fn register(engine: &mut Engine, ctx: &Arc<RunContext>) {
    for (name, method) in [
        ("http_get", Method::GET),
        ("http_head", Method::HEAD),
        ("http_post", Method::POST),
        ("http_put", Method::PUT),
        ("http_patch", Method::PATCH),
        ("http_delete", Method::DELETE),
    ] {
        let c = Arc::clone(ctx);
        let m = method.clone();
        engine.register_fn(name, move |url: &str| http(&c, m.clone(), url, &Map::new()));
        let c = Arc::clone(ctx);
        engine.register_fn(name, move |url: &str, opts: Map| {
            http(&c, method.clone(), url, &opts)
        });
    }
    let c = Arc::clone(ctx);
    engine.register_fn("http_wait", move |url: &str, opts: Map| {
        wait::http_wait(&c, url, &opts)
    });
    let c = Arc::clone(ctx);
    engine.register_fn("ws_check", move |url: &str| ws_check(&c, url, &Map::new()));
    let c = Arc::clone(ctx);
    engine.register_fn("ws_check", move |url: &str, opts: Map| {
        ws_check(&c, url, &opts)
    });
    engine.register_fn("expect_status", |response: Map, status: i64| {
        expect_status(response, status)
    });
    engine.register_fn(
        "json_path",
        |value: Dynamic, path: &str| -> Outcome<Dynamic> {
            let document = match value.clone().try_cast::<Map>() {
                Some(map) if map.contains_key("json") && map.contains_key("status") => {
                    map.get("json").cloned().unwrap_or(Dynamic::UNIT)
                }
                _ => value,
            };
            // Parsing a body only a real run knows is a decision on it.
            if let Some(unknown) = document.read_lock::<unknown_value::Unknown>() {
                return Err(unknown.stop());
            }
            let json: serde_json::Value = rhai::serde::from_dynamic(&document)?;
            Ok(json_path(&json, path).map_or(Dynamic::UNIT, to_dynamic))
        },
    );
    engine.register_fn(
        "body_contains",
        |response: Map, text: &str| -> Outcome<bool> {
            if let Some(unknown) = unknown_text(&response) {
                return Err(unknown.stop());
            }
            Ok(response
                .get("text")
                .is_some_and(|t| t.to_string().contains(text)))
        },
    );
}

fn to_dynamic(value: &serde_json::Value) -> Dynamic {
    rhai::serde::to_dynamic(value).unwrap_or(Dynamic::UNIT)
}

/// Builds a request from a method, a URL and the options map; a relative `ca` is a path from
/// the runbook's directory.
fn build(ctx: &RunContext, method: Method, url: &str, opts: &Map) -> Outcome<Request> {
    let o = Options::new(opts, "http", REQUEST_KEYS)?;
    if !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with("ws")) {
        return error(
            ErrorKind::Script,
            format!("`{url}` is not an http:// or https:// URL"),
        );
    }
    let pairs = |key: &str| -> Outcome<Vec<(String, String)>> {
        Ok(o.map(key)?
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect())
    };
    let body = match (opts.get("json"), opts.get("form"), o.string("body")?) {
        (Some(json), None, None) => Body::Json(ordered_json::json(
            &unknown_value::written(json),
            &ctx.column_orders,
        )?),
        (None, Some(_), None) => Body::Form(pairs("form")?),
        (None, None, Some(text)) => Body::Text(text),
        (None, None, None) => Body::Empty,
        _ => {
            return error(
                ErrorKind::Script,
                "http: give one of `json`, `form` or `body`",
            );
        }
    };
    let tls = match (o.bool("insecure")?.unwrap_or(false), o.string("ca")?) {
        (true, _) => TlsPolicy::Unverified,
        (false, Some(ca)) => TlsPolicy::ExtraCa(ctx.path(&ca)),
        (false, None) => TlsPolicy::Verified,
    };
    let redirects = match opts.get("redirects") {
        None => 10,
        Some(v) => v
            .as_int()
            .ok()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or("http: `redirects` must be a whole number")?,
    };
    Ok(Request {
        method,
        url: url.to_string(),
        headers: pairs("headers")?,
        query: pairs("query")?,
        bearer: o.string("bearer")?,
        basic: basic_auth(&o)?,
        body,
        timeout: o.seconds("timeout")?.unwrap_or(Duration::from_secs(30)),
        redirects,
        tls,
        resolve: None,
    })
}

/// `basic: #{user: "ops", password: secret}`.
fn basic_auth(o: &Options) -> Outcome<Option<(String, String)>> {
    let Some(map) = o.map("basic")? else {
        return Ok(None);
    };
    let field = |key: &str| {
        map.get(key)
            .and_then(|v| v.clone().into_string().ok())
            .ok_or_else(|| format!("http: `basic` needs a text `{key}`"))
    };
    if let Some(other) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "user" | "password"))
    {
        return error(
            ErrorKind::Script,
            format!("http: `basic` takes `user` and `password`, not `{other}`"),
        );
    }
    Ok(Some((field("user")?, field("password")?)))
}

/// `GET https://x/health` plus what a reviewer must see: body kind, auth, TLS exceptions, the
/// Compose project whose service the URL names.
fn describe(request: &Request, compose: Option<&ComposeTarget>) -> String {
    let mut shown = format!("{} {}", request.method, request.url);
    if !request.query.is_empty() {
        let query: Vec<String> = request
            .query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        shown.push_str(&format!("?{}", query.join("&")));
    }
    match &request.body {
        Body::Empty => {}
        Body::Text(t) => shown.push_str(&format!(" (body, {} bytes)", t.len())),
        Body::Json(j) => shown.push_str(&format!(" (json {j})")),
        Body::Form(f) => shown.push_str(&format!(" (form, {} fields)", f.len())),
    }
    if request.bearer.is_some() {
        shown.push_str(" (bearer token)");
    }
    if let Some((user, _)) = &request.basic {
        shown.push_str(&format!(" (basic auth as {user})"));
    }
    match &request.tls {
        TlsPolicy::Verified => {}
        TlsPolicy::ExtraCa(ca) => shown.push_str(&format!(" [TLS: also trusts {}]", ca.display())),
        TlsPolicy::Unverified => shown.push_str(" [TLS NOT VERIFIED]"),
    }
    if let Some(compose) = compose {
        shown.push_str(&format!(" {}", compose.shown()));
    }
    shown
}

/// Where plans say a request goes: `http@vm` from a host, else `http@host:port`.
fn target(url: &str, from: Option<&HostSpec>) -> String {
    if let Some(host) = from {
        return format!("http@{}", host.name);
    }
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    format!("http@{}", rest.split(['/', '?']).next().unwrap_or(rest))
}

/// How the transport is told where a request starts.
fn via<'a>(ctx: &'a RunContext, from: Option<&'a HostSpec>) -> Via<'a> {
    match from {
        Some(host) => Via::Host {
            ssh: &ctx.ssh,
            host,
        },
        None => Via::Local,
    }
}

fn response_map(r: &Response) -> Map {
    let mut map = Map::new();
    map.insert("status".into(), i64::from(r.status).into());
    map.insert("ok".into(), (200..300).contains(&r.status).into());
    map.insert("url".into(), r.url.clone().into());
    let headers: Map = r
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().into(), v.clone().into()))
        .collect();
    map.insert("headers".into(), headers.into());
    map.insert("text".into(), r.text.clone().into());
    map.insert(
        "json".into(),
        r.json.as_ref().map_or(Dynamic::UNIT, to_dynamic),
    );
    let elapsed = i64::try_from(r.elapsed.as_millis()).unwrap_or(i64::MAX);
    map.insert("elapsed_ms".into(), elapsed.into());
    map
}

/// What a dry-run returns instead of a response: every part of it only a real run knows.
fn planned(ctx: &RunContext, request: &Request) -> Map {
    let mut map = Map::new();
    map.insert("url".into(), request.url.clone().into());
    let request = format!("{} {}", request.method, request.url);
    for (key, what) in [
        ("status", "status"),
        ("ok", "success"),
        ("headers", "headers"),
        ("json", "JSON"),
        ("elapsed_ms", "time"),
        // Last: the origin a stop names when rhai names none.
        ("text", "response"),
    ] {
        map.insert(
            key.into(),
            ctx.unknown_value(&format!("{what} of {request}")),
        );
    }
    map
}

/// The unknown value a dry-run's response holds instead of its `text`.
fn unknown_text(response: &Map) -> Option<unknown_value::Unknown> {
    response
        .get("text")
        .and_then(|t| t.read_lock::<unknown_value::Unknown>().map(|u| u.clone()))
}

fn effect(method: &Method) -> Effect {
    if matches!(*method, Method::GET | Method::HEAD) {
        Effect::Read
    } else {
        Effect::Change
    }
}

/// Sends `request`, unless it is a dry-run's and its method may change something: a probe
/// sends only GET, HEAD and OPTIONS, whatever else decided it reads.
async fn send(
    ctx: &RunContext,
    request: &Request,
    from: Option<&HostSpec>,
    compose: Option<&ComposeTarget>,
) -> Result<Response, TypedError> {
    if ctx.is_dry_run() && !matches!(request.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Err(ErrorKind::Script.error(format!(
            "a probe never sends {} {}",
            request.method, request.url
        )));
    }
    let request = addressed(ctx, request, from, compose).await?;
    dispatch::send(&request, via(ctx, from)).await
}

/// `request` as sent: to the address of the Compose service its URL names, if any, as `from`
/// reaches it (looked up at each attempt: a wait outlives a container that is replaced).
async fn addressed(
    ctx: &RunContext,
    request: &Request,
    from: Option<&HostSpec>,
    compose: Option<&ComposeTarget>,
) -> Result<Request, TypedError> {
    let mut request = request.clone();
    if let Some(compose) = compose {
        let ip = compose.address(ctx, from).await?;
        request.resolve = Some((compose.service.clone(), ip));
    }
    Ok(request)
}

/// The `compose:` target of a call on `url`.
fn compose_of(primitive: &str, url: &str, opts: &Map) -> Outcome<Option<ComposeTarget>> {
    ComposeTarget::of(primitive, opts, http_service(&websocket::http_url(url)))
}

/// The statuses a response must have (`expect: 200` or `expect: [200, 204]`).
fn expected(opts: &Map) -> Outcome<Option<Vec<i64>>> {
    match opts.get("expect") {
        None => Ok(None),
        Some(v) => match (v.as_int(), v.clone().try_cast::<rhai::Array>()) {
            (Ok(n), _) => Ok(Some(vec![n])),
            (_, Some(list)) => Ok(Some(list.iter().filter_map(|d| d.as_int().ok()).collect())),
            _ => error(
                ErrorKind::Script,
                "http: `expect` is a status or a list of statuses",
            ),
        },
    }
}

fn http(ctx: &RunContext, method: Method, url: &str, opts: &Map) -> Outcome<Map> {
    let request = build(ctx, method, url, opts)?;
    let expect = expected(opts)?;
    let compose = compose_of("http", url, opts)?;
    let from = origin(ctx, opts, "http")?;
    if !ctx.act(
        "http",
        &target(url, from.as_ref()),
        &describe(&request, compose.as_ref()),
        effect(&request.method),
    ) {
        return Ok(planned(ctx, &request));
    }
    let answer = ctx
        .runtime
        .block_on(unless_stopped(
            ctx,
            &format!("{} {url}", request.method),
            send(ctx, &request, from.as_ref(), compose.as_ref()),
        ))
        .and_then(|response| match expect {
            Some(statuses) if !statuses.contains(&i64::from(response.status)) => error(
                ErrorKind::HttpStatus,
                format!(
                    "{} {url}: expected {}, got {}",
                    request.method,
                    join(&statuses),
                    response.summary()
                ),
            ),
            _ => Ok(response_map(&response)),
        });
    probed(ctx, answer, || planned(ctx, &request))
}

fn join(statuses: &[i64]) -> String {
    statuses
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

fn expect_status(response: Map, status: i64) -> Outcome<Map> {
    let got = response.get("status").cloned().unwrap_or(Dynamic::UNIT);
    if got.as_int().ok() == Some(status) {
        return Ok(response);
    }
    // A dry-run's response: its status is a decision on a value only a real run knows.
    if let Some(unknown) = unknown_text(&response) {
        return Err(unknown.stop());
    }
    let url = response
        .get("url")
        .map(|u| u.to_string())
        .unwrap_or_default();
    let body = response
        .get("text")
        .map(|t| t.to_string())
        .unwrap_or_default();
    let text: String = body
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(160)
        .collect();
    error(
        ErrorKind::HttpStatus,
        format!("{url}: expected status {status}, got {got} {text}"),
    )
}

fn ws_check(ctx: &RunContext, url: &str, opts: &Map) -> Outcome<Map> {
    // An upgrade request has no body, follows no redirect and expects 101.
    let known: Vec<&str> = REQUEST_KEYS
        .iter()
        .copied()
        .filter(|k| !matches!(*k, "json" | "form" | "body" | "redirects" | "expect"))
        .collect();
    Options::new(opts, "ws_check", &known)?;
    let request = build(ctx, Method::GET, url, opts)?;
    let compose = compose_of("ws_check", url, opts)?;
    let mut shown = format!("WebSocket upgrade {url} (expects 101)");
    if let Some(compose) = &compose {
        shown.push_str(&format!(" {}", compose.shown()));
    }
    let from = origin(ctx, opts, "ws_check")?;
    if !ctx.act(
        "ws_check",
        &target(url, from.as_ref()),
        &shown,
        Effect::Read,
    ) {
        return Ok(planned(ctx, &request));
    }
    let answer = ctx
        .runtime
        .block_on(unless_stopped(
            ctx,
            &format!("WebSocket upgrade {url}"),
            async {
                let request = addressed(ctx, &request, from.as_ref(), compose.as_ref()).await?;
                websocket::check(&request, via(ctx, from.as_ref())).await
            },
        ))
        .and_then(|(response, accepted)| {
            if accepted {
                Ok(response_map(&response))
            } else {
                error(
                    ErrorKind::HttpStatus,
                    format!(
                        "{url}: the WebSocket upgrade was refused: {}",
                        response.summary()
                    ),
                )
            }
        });
    probed(ctx, answer, || planned(ctx, &request))
}
