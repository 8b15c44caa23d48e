//! Where a request leaves from: this machine, or a host through its SSH connection. The one
//! entry point of the HTTP primitives and the WebSocket check.

use super::request::{Request, Response, client, exchange, failure, limited};
use crate::diagnostic::error_kind::TypedError;
use crate::ssh::via::Via;
use std::time::Instant;

/// Sends the request; an answer of any status is a response, not an error.
pub async fn send(request: &Request, via: Via<'_>) -> Result<Response, TypedError> {
    match via {
        Via::Local => {
            let client = client(request, limited(request.redirects), request.timeout, None)?;
            exchange(&client, request, &request.url, Instant::now())
                .await
                .map_err(|e| failure(request, None, &e))
        }
        Via::Host { ssh, host } => super::through_host::send(request, ssh, host).await,
    }
}
