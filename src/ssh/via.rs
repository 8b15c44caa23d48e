//! Where a connection starts: this machine, or a host through its SSH master connection.

use super::pool::ConnectionPool;
use crate::hosts::host_spec::HostSpec;

/// Where a connection starts.
#[derive(Clone, Copy)]
pub enum Via<'a> {
    /// This machine.
    Local,
    /// The host, through a forward of its SSH master connection: addresses are as the host
    /// sees them.
    Host {
        ssh: &'a ConnectionPool,
        host: &'a HostSpec,
    },
}

impl Via<'_> {
    /// The host's name, if not this machine.
    pub fn host(&self) -> Option<&str> {
        match self {
            Via::Local => None,
            Via::Host { host, .. } => Some(&host.name),
        }
    }
}
