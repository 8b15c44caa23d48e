//! The WebSocket upgrade check: send the opening handshake over HTTP/1.1, expect
//! `101 Switching Protocols` with the right `Sec-WebSocket-Accept`, then close.

use super::dispatch::send;
use super::request::{Body, Request, Response};
use crate::diagnostic::error_kind::TypedError;
use crate::ssh::via::Via;

/// The handshake's fixed key; the server must answer its accept value.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// base64(SHA-1(KEY + the RFC 6455 GUID)), precomputed (RFC 6455, section 1.3).
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// `ws://` → `http://`, `wss://` → `https://`.
pub fn http_url(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("ws://") {
        format!("http://{rest}")
    } else if let Some(rest) = url.strip_prefix("wss://") {
        format!("https://{rest}")
    } else {
        url.to_string()
    }
}

/// Performs the upgrade; the response, and whether it is a valid WebSocket accept.
pub async fn check(base: &Request, via: Via<'_>) -> Result<(Response, bool), TypedError> {
    let mut request = base.clone();
    request.method = reqwest::Method::GET;
    request.url = http_url(&base.url);
    request.body = Body::Empty;
    request.redirects = 0;
    request.headers.extend(
        [
            ("Connection", "Upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", KEY),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let response = send(&request, via).await?;
    let accepted = response.status == 101
        && response
            .headers
            .get("sec-websocket-accept")
            .is_some_and(|v| v == ACCEPT);
    Ok((response, accepted))
}
