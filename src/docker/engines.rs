//! One engine client per target, connected on first use and shared by the run: the local
//! engine (`DOCKER_HOST`, else the default socket), or a host's engine through a Unix socket
//! forwarded over its SSH master connection.

use super::failure::unreachable_engine;
use crate::diagnostic::error_kind::ErrorKind;
use crate::diagnostic::error_kind::TypedError;
use crate::hosts::host_spec::HostSpec;
use crate::ssh::forward::{LocalEnd, LocalKind, RemoteAddress};
use crate::ssh::pool::ConnectionPool;
use bollard::Docker;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::OnceCell;

/// The engine's socket on remote hosts.
pub const REMOTE_SOCKET: &str = "/var/run/docker.sock";

/// Seconds a single API call may take (pulls stream and are not bound by it).
const CALL_TIMEOUT: u64 = 120;

/// Connected engines, by target ("local" or a host name).
#[derive(Default)]
pub struct EnginePool {
    engines: Mutex<HashMap<String, Arc<OnceCell<Docker>>>>,
}

impl EnginePool {
    fn slot(&self, key: &str) -> Arc<OnceCell<Docker>> {
        Arc::clone(
            self.engines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key.to_string())
                .or_default(),
        )
    }

    /// The engine of this machine.
    pub async fn local(&self) -> Result<Docker, TypedError> {
        let slot = self.slot("local");
        slot.get_or_try_init(|| async {
            let docker = Docker::connect_with_local_defaults().map_err(|e| {
                ErrorKind::Docker.error(unreachable_engine(&local_name(), &e.to_string()))
            })?;
            negotiate(docker, &local_name()).await
        })
        .await
        .cloned()
    }

    /// The engine of `host`, through its SSH connection.
    pub async fn remote(
        &self,
        ssh: &ConnectionPool,
        host: &HostSpec,
    ) -> Result<Docker, TypedError> {
        let slot = self.slot(&host.name);
        slot.get_or_try_init(|| async {
            let remote = RemoteAddress::Unix(REMOTE_SOCKET.into());
            let forward = ssh.forward(host, &remote, LocalKind::UnixSocket).await?;
            let LocalEnd::Unix(socket) = &forward.local else {
                return Err(ErrorKind::Io.error("the Docker engine's forward is not a socket"));
            };
            let docker = Docker::connect_with_unix(
                &socket.to_string_lossy(),
                CALL_TIMEOUT,
                bollard::API_DEFAULT_VERSION,
            )
            .map_err(|e| ErrorKind::Docker.error(unreachable_engine(&host.name, &e.to_string())))?;
            negotiate(docker, &format!("{} ({REMOTE_SOCKET} over SSH)", host.name)).await
        })
        .await
        .cloned()
    }
}

/// How the local engine is named in messages: `DOCKER_HOST` or the default socket.
pub fn local_name() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
}

/// Agrees on an API version both sides speak (engines older than bollard's default answer
/// with their own).
async fn negotiate(docker: Docker, name: &str) -> Result<Docker, TypedError> {
    docker
        .negotiate_version()
        .await
        .map_err(|e| ErrorKind::Docker.error(unreachable_engine(name, &e.to_string())))
}
