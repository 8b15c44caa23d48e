//! One HTTP request and its response, as runbooks see them.

use crate::diagnostic::error_kind::ErrorKind::{HttpStatus, Io, Timeout, Unreachable};
use crate::diagnostic::error_kind::TypedError;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What to send.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub bearer: Option<String>,
    /// HTTP basic authentication: user and password.
    pub basic: Option<(String, String)>,
    pub body: Body,
    pub timeout: Duration,
    /// Redirects followed at most; 0 returns the redirect itself.
    pub redirects: usize,
    pub tls: TlsPolicy,
    /// A host name connected to at this address instead of its own (a Compose service's
    /// container), still named in the Host header and to TLS.
    pub resolve: Option<(String, IpAddr)>,
}

#[derive(Debug, Clone, Default)]
pub enum Body {
    #[default]
    Empty,
    Text(String),
    Json(serde_json::Value),
    Form(Vec<(String, String)>),
}

/// How server certificates are checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum TlsPolicy {
    /// Against the system's roots (the default).
    #[default]
    Verified,
    /// Against the system's roots and the certificates in this file (PEM), each trusted as a
    /// CA or as the exact certificate the server presents.
    ExtraCa(PathBuf),
    /// Not at all (`insecure: true`), shown in plans.
    Unverified,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub url: String,
    /// Lowercase names; repeated headers joined with ", ".
    pub headers: BTreeMap<String, String>,
    pub text: String,
    pub json: Option<serde_json::Value>,
    pub elapsed: Duration,
}

impl Response {
    /// `500 {"error": …}` cut to a line, for messages.
    pub fn summary(&self) -> String {
        let body: String = self.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let cut: String = body.chars().take(160).collect();
        let more = if cut.len() < body.len() { "…" } else { "" };
        format!("{} {cut}{more}", self.status).trim().to_string()
    }
}

/// A client for `request` with this redirect policy and time left; `socket` sends every
/// connection there (a forward) while the URL's host stays the Host header and the TLS name.
pub(super) fn client(
    request: &Request,
    redirects: reqwest::redirect::Policy,
    timeout: Duration,
    socket: Option<&Path>,
) -> Result<reqwest::Client, TypedError> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(redirects)
        .user_agent(concat!("runbook/", env!("CARGO_PKG_VERSION")));
    if let Some(socket) = socket {
        builder = builder.unix_socket(socket);
    } else if let Some((name, ip)) = &request.resolve {
        // The port is the URL's: reqwest ignores this one.
        builder = builder.resolve(name, SocketAddr::new(*ip, 0));
    }
    match &request.tls {
        TlsPolicy::Verified => {}
        TlsPolicy::ExtraCa(path) => {
            builder = builder.tls_backend_preconfigured(super::pinned::client_config(path)?);
        }
        TlsPolicy::Unverified => builder = builder.tls_danger_accept_invalid_certs(true),
    }
    builder
        .build()
        .map_err(|e| Io.error(format!("cannot set up HTTP: {}", chain(&e))))
}

/// Redirects followed at most `limit` times, as `redirects:` says; 0 returns the redirect.
pub(super) fn limited(limit: usize) -> reqwest::redirect::Policy {
    if limit == 0 {
        reqwest::redirect::Policy::none()
    } else {
        reqwest::redirect::Policy::limited(limit)
    }
}

/// Sends `request` to `url` with `client` and reads the answer; `started` is when the first
/// request of a chain of redirects left.
pub(super) async fn exchange(
    client: &reqwest::Client,
    request: &Request,
    url: &str,
    started: Instant,
) -> Result<Response, reqwest::Error> {
    let mut builder = client.request(request.method.clone(), url);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    if !request.query.is_empty() {
        builder = builder.query(&request.query);
    }
    if let Some(token) = &request.bearer {
        builder = builder.bearer_auth(token);
    }
    if let Some((user, password)) = &request.basic {
        builder = builder.basic_auth(user, Some(password));
    }
    builder = match &request.body {
        Body::Empty => builder,
        Body::Text(text) => builder.body(text.clone()),
        Body::Json(json) => builder.json(json),
        Body::Form(fields) => builder.form(fields),
    };
    let answer = builder.send().await?;
    let status = answer.status().as_u16();
    let url = answer.url().to_string();
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in answer.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_string())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let text = answer.text().await?;
    let json = serde_json::from_str(&text).ok();
    Ok(Response {
        status,
        url,
        headers,
        text,
        json,
        elapsed: started.elapsed(),
    })
}

/// A request that got no answer, worded as the operator reads it: `GET URL: what happened`
/// (`GET URL from vm: …` when sent from a host).
pub(super) fn failure(request: &Request, from: Option<&str>, e: &reqwest::Error) -> TypedError {
    let (kind, what) = if e.is_timeout() {
        (
            Timeout,
            format!("no answer within {}s", request.timeout.as_secs_f64()),
        )
    } else if e.is_redirect() {
        (
            HttpStatus,
            format!("more than {} redirects", request.redirects),
        )
    } else if e.is_connect() {
        (Unreachable, chain(e))
    } else if e.is_body() || e.is_decode() {
        (Io, format!("reading the body: {}", chain(e)))
    } else {
        (Io, chain(e))
    };
    let from = from.map(|host| format!(" from {host}")).unwrap_or_default();
    kind.error(format!("{} {}{from}: {what}", request.method, request.url))
}

/// An error with its causes: reqwest's own message is often only "error sending request".
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let more = inner.to_string();
        if !text.contains(&more) {
            text.push_str(&format!(": {more}"));
        }
        source = inner.source();
    }
    text
}

/// `db.ok`, `items[0].name`, `[1]`: a value inside a JSON document.
pub fn json_path<'a>(value: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let mut current = value;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, indexes) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            current = current.get(key)?;
        }
        for index in indexes.split('[').filter(|i| !i.is_empty()) {
            let n: usize = index.trim_end_matches(']').parse().ok()?;
            current = current.get(n)?;
        }
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values_by_path() {
        let doc = serde_json::json!({"status": "healthy", "db": {"ok": true}, "items": [{"name": "a"}, {"name": "b"}]});
        assert_eq!(
            json_path(&doc, "status"),
            Some(&serde_json::json!("healthy"))
        );
        assert_eq!(json_path(&doc, "db.ok"), Some(&serde_json::json!(true)));
        assert_eq!(
            json_path(&doc, "items[1].name"),
            Some(&serde_json::json!("b"))
        );
        assert_eq!(json_path(&doc, "items[7].name"), None);
        assert_eq!(json_path(&doc, "nope.deeper"), None);
    }
}
