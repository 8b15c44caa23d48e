//! Where an HTTP request, a WebSocket check or a database connection starts: from the host the
//! body acts on (`on vm` means on vm: `localhost` is vm's), through its SSH connection; from
//! this machine in a body without a host, or when the call says `via: "local"`.

use super::remote::host_named;
use super::{Outcome, error};
use crate::context::acting_host;
use crate::context::run_context::RunContext;
use crate::diagnostic::error_kind::ErrorKind;
use crate::hosts::host_spec::HostSpec;
use rhai::Map;

/// The option that says where a connection starts.
pub const VIA: &str = "via";

/// The host a connection of `primitive` starts from, if not this machine.
pub fn origin(ctx: &RunContext, opts: &Map, primitive: &str) -> Outcome<Option<HostSpec>> {
    match opts.get(VIA) {
        None => {}
        Some(via) if via.clone().into_string().is_ok_and(|v| v == "local") => return Ok(None),
        Some(other) => {
            return error(
                ErrorKind::Script,
                format!(
                    "{primitive}: `via` is \"local\" (connect from this machine), not {other}; \
                     without it, a body on a host connects from that host"
                ),
            );
        }
    }
    acting_host::current()
        .map(|name| host_named(ctx, &name))
        .transpose()
}
