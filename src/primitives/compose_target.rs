//! The `compose:` option of the HTTP and SQL primitives: the URL's host is a service of that
//! Compose project (`http://web:8000/health`, `postgres://app@db:5432/app`), reached the way
//! its neighbours reach it: at one of its containers' addresses on the project's network,
//! found through the Engine API of the body's target (its `on` host, or this machine).

use super::docker::engine_of;
use super::{Outcome, error};
use crate::context::event::Level;
use crate::context::run_context::RunContext;
use crate::diagnostic::error_kind::{ErrorKind, TypedError};
use crate::docker::compose_service::{project_name_of_dir, service_address};
use crate::hosts::host_spec::HostSpec;
use crate::sql::address::Address;
use rhai::{Dynamic, Map};
use std::net::IpAddr;
use std::str::FromStr as _;
use tokio_postgres::config::Host;

/// The option's name.
pub const COMPOSE: &str = "compose";

/// A service of a Compose project, named by a URL's host under a `compose:` option.
#[derive(Debug, Clone, PartialEq)]
pub struct ComposeTarget {
    pub project: String,
    pub service: String,
}

impl ComposeTarget {
    /// The target of a call whose options are `opts` and whose URL's host is `service` (none
    /// when it cannot name one). `compose: "atmr"`, or a project map as `stdlib/compose.rhai`
    /// takes it: its `name`, else the name Compose gives its directory (`dir`, else the
    /// directory of `file`).
    pub fn of(primitive: &str, opts: &Map, service: Option<String>) -> Outcome<Option<Self>> {
        let Some(project) = project(primitive, opts.get(COMPOSE))? else {
            return Ok(None);
        };
        Ok(service.map(|service| Self { project, service }))
    }

    /// What plans add after the request: `(compose project atmr)`.
    pub fn shown(&self) -> String {
        format!("(compose project {})", self.project)
    }

    /// The service's address, on the engine of `host` (this machine when none); the log says
    /// which container answers when the service has several.
    pub async fn address(
        &self,
        ctx: &RunContext,
        host: Option<&HostSpec>,
    ) -> Result<IpAddr, TypedError> {
        let engine = engine_of(ctx, host).await?;
        let found = service_address(&engine, &self.project, &self.service)
            .await
            .map_err(|e| ErrorKind::Unreachable.error(e))?;
        if let Some(choice) = &found.choice {
            ctx.log(Level::Info, choice.clone());
        }
        found.ip.parse().map_err(|_| {
            ErrorKind::Docker.error(format!(
                "container {} of service `{}` has no valid address: {}",
                found.container, self.service, found.ip
            ))
        })
    }
}

/// The project a `compose:` option names, if given.
fn project(primitive: &str, value: Option<&Dynamic>) -> Outcome<Option<String>> {
    let Some(value) = value else {
        return Ok(None);
    };
    let name = if let Ok(name) = value.clone().into_string() {
        name
    } else if let Some(map) = value.clone().try_cast::<Map>() {
        let text = |key: &str| map.get(key).map(ToString::to_string);
        text("name")
            .or_else(|| text("dir").map(|d| project_name_of_dir(&d)))
            .or_else(|| {
                text("file")
                    .map(|f| project_name_of_dir(f.rsplit_once('/').map_or(".", |(dir, _)| dir)))
            })
            .unwrap_or_default()
    } else {
        return error(
            ErrorKind::Script,
            format!(
                "{primitive}: option `compose` must be a project name or a project map, not {}",
                value.type_name()
            ),
        );
    };
    if name.is_empty() {
        return error(
            ErrorKind::Script,
            format!(
                "{primitive}: option `compose` names no project (give a name, or a map with \
                 `name`, `dir` or `file`)"
            ),
        );
    }
    Ok(Some(name))
}

/// The service an HTTP URL's host names, when it can name one.
pub fn http_service(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    names_a_service(host).then(|| host.to_string())
}

/// The service a PostgreSQL URL's one host names, when it can name one and the URL does not
/// already say where to connect (`hostaddr`).
pub fn postgres_service(url: &str) -> Option<String> {
    let Ok(Address::Postgres { url, .. }) = Address::parse(url) else {
        return None;
    };
    let config = tokio_postgres::Config::from_str(&url).ok()?;
    match (config.get_hosts(), config.get_hostaddrs()) {
        ([Host::Tcp(name)], []) if names_a_service(name) => Some(name.clone()),
        _ => None,
    }
}

/// `url` connecting to `ip` under its own host name (libpq's `hostaddr`): TLS still checks the
/// name, and a body on a host connects there through the host.
pub fn with_hostaddr(url: &str, ip: &str) -> String {
    let (base, fragment) = url.split_once('#').unwrap_or((url, ""));
    let joiner = if base.contains('?') { '&' } else { '?' };
    let fragment = if fragment.is_empty() {
        String::new()
    } else {
        format!("#{fragment}")
    };
    format!("{base}{joiner}hostaddr={ip}{fragment}")
}

/// Whether `host` (a URL's) can name a Compose service: an IP address or `localhost` never
/// does, so a URL to them goes where it says even with `compose:`.
fn names_a_service(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    !(bare.eq_ignore_ascii_case("localhost") || bare.parse::<std::net::IpAddr>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_can_be_services() {
        assert_eq!(
            http_service("http://web:8000/health").as_deref(),
            Some("web")
        );
        assert_eq!(http_service("http://localhost:8000/health"), None);
        assert_eq!(http_service("https://10.0.0.5/"), None);
        assert_eq!(http_service("http://[::1]:80/"), None);
        assert_eq!(
            postgres_service("postgres://app:pw@db:5432/app?sslmode=require").as_deref(),
            Some("db")
        );
        assert_eq!(postgres_service("postgres://app@127.0.0.1:5432/app"), None);
        assert_eq!(
            postgres_service("postgres://app@db/app?hostaddr=10.0.0.7"),
            None
        );
        assert_eq!(postgres_service("postgres://app@a,b/app"), None);
        assert_eq!(postgres_service("sqlite://x.db"), None);
    }

    #[test]
    fn pins_the_address_and_keeps_the_name() {
        assert_eq!(
            with_hostaddr("postgres://app@db:5432/app", "172.18.0.3"),
            "postgres://app@db:5432/app?hostaddr=172.18.0.3"
        );
        assert_eq!(
            with_hostaddr("postgres://app@db/app?sslmode=require", "172.18.0.3"),
            "postgres://app@db/app?sslmode=require&hostaddr=172.18.0.3"
        );
    }
}
