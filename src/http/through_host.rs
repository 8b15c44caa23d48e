//! A request sent from a host: every connection goes to a forward of the host's SSH master to
//! the URL's authority as the host sees it, while the URL's host stays the Host header and the
//! TLS name (SNI, certificate check, `ca:` pinning).
//!
//! Redirects behave as they do locally: within one authority the client follows them through
//! the same forward; a redirect to another authority stops the client, and the next request
//! goes through that authority's forward, counting toward the same limit and the same timeout.

use super::request::{Body, Request, Response, chain, client, exchange, failure};
use crate::diagnostic::error_kind::ErrorKind::{HttpStatus, Io, Timeout};
use crate::diagnostic::error_kind::TypedError;
use crate::hosts::host_spec::HostSpec;
use crate::ssh::forward::{LocalEnd, LocalKind, RemoteAddress};
use crate::ssh::pool::ConnectionPool;
use reqwest::{Method, Url};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Sends `request` from `host`; see the module's comment.
pub async fn send(
    request: &Request,
    ssh: &ConnectionPool,
    host: &HostSpec,
) -> Result<Response, TypedError> {
    let started = Instant::now();
    let mut leg = request.clone();
    let mut followed = 0;
    loop {
        let url = Url::parse(&leg.url)
            .map_err(|e| Io.error(format!("{} {}: {e}", request.method, leg.url)))?;
        let remote = authority(&url, leg.resolve.as_ref()).ok_or_else(|| {
            Io.error(format!(
                "{} {}: no host in the URL",
                request.method, leg.url
            ))
        })?;
        let forward = ssh.forward(host, &remote, LocalKind::UnixSocket).await?;
        let LocalEnd::Unix(socket) = &forward.local else {
            return Err(Io.error("an HTTP forward is not a socket"));
        };
        let left = request.timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(Timeout.error(format!(
                "{} {} from {}: no answer within {}s",
                request.method,
                request.url,
                host.name,
                request.timeout.as_secs_f64()
            )));
        }
        let counter = Arc::new(AtomicUsize::new(0));
        let policy = if request.redirects == 0 {
            reqwest::redirect::Policy::none()
        } else {
            same_authority(request.redirects - followed, Arc::clone(&counter))
        };
        let client = client(&leg, policy, left, Some(socket))?;
        let mark = forward.mark();
        let response = match exchange(&client, &leg, &leg.url, started).await {
            Ok(response) => response,
            Err(e) if e.is_timeout() || e.is_redirect() => {
                return Err(failure(request, Some(&host.name), &e));
            }
            Err(e) => {
                let tunnel = ssh.tunnel_failure(&forward, mark, &chain(&e)).await;
                return Err(tunnel.unwrap_or_else(|| failure(request, Some(&host.name), &e)));
            }
        };
        followed += counter.load(Ordering::SeqCst);
        let Some(next) = next_leg(&leg, &response) else {
            return Ok(response);
        };
        if followed >= request.redirects {
            return if request.redirects == 0 {
                Ok(response)
            } else {
                Err(HttpStatus.error(format!(
                    "{} {} from {}: more than {} redirects",
                    request.method, request.url, host.name, request.redirects
                )))
            };
        }
        followed += 1;
        leg = next;
    }
}

/// The authority of `url` as an address the host connects to; a name `resolve` gives an
/// address for (a Compose service's container) is connected to there.
fn authority(url: &Url, resolve: Option<&(String, IpAddr)>) -> Option<RemoteAddress> {
    let host = match url.host()? {
        url::Host::Domain(name) => match resolve {
            Some((resolved, ip)) if resolved == name => ip.to_string(),
            _ => name.to_string(),
        },
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => ip.to_string(),
    };
    Some(RemoteAddress::Tcp {
        host,
        port: url.port_or_known_default()?,
    })
}

/// Follows at most `limit` redirects (counted in `followed`), none to another authority:
/// those end the client's chain and are followed through their own forward.
fn same_authority(limit: usize, followed: Arc<AtomicUsize>) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let origin = attempt.previous().last().map(key);
        if origin.as_ref() != Some(&key(attempt.url())) {
            return attempt.stop();
        }
        if followed.load(Ordering::SeqCst) >= limit {
            return attempt.error(format!("more than {limit} redirects"));
        }
        followed.fetch_add(1, Ordering::SeqCst);
        attempt.follow()
    })
}

/// Scheme, host and port: what a forward and a connection are for.
fn key(url: &Url) -> (String, Option<String>, Option<u16>) {
    (
        url.scheme().to_string(),
        url.host_str().map(str::to_string),
        url.port_or_known_default(),
    )
}

/// The request a redirect to another authority leads to, as reqwest would make it: 301, 302
/// and 303 turn a request other than HEAD into a bodiless GET; credentials are not sent to
/// another authority.
fn next_leg(leg: &Request, response: &Response) -> Option<Request> {
    if !matches!(response.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.headers.get("location")?;
    let next = Url::parse(&response.url).ok()?.join(location).ok()?;
    if !matches!(next.scheme(), "http" | "https") {
        return None;
    }
    let mut request = leg.clone();
    request.url = next.to_string();
    request.query.clear();
    if matches!(response.status, 301..=303) && request.method != Method::HEAD {
        request.method = Method::GET;
        request.body = Body::Empty;
    }
    request.bearer = None;
    request.basic = None;
    request.headers.retain(|(name, _)| {
        ![
            "authorization",
            "cookie",
            "proxy-authorization",
            "www-authenticate",
        ]
        .contains(&name.to_ascii_lowercase().as_str())
    });
    Some(request)
}
