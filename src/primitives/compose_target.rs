//! The `compose:` option of the HTTP and SQL primitives: the URL's host is a service of that
//! Compose project (`http://web:8000/health`, `postgres://app@db:5432/app`), reached the way
//! its neighbours reach it: at one of its containers' addresses on the project's network,
//! found through the Engine API of the body's target (its `on` host, or this machine).

use super::docker::engine_of;
use super::{Outcome, error};
use crate::context::event::Level;
use crate::context::run_context::RunContext;
use crate::diagnostic::error_kind::ErrorKind;
use crate::docker::compose_service::{project_name_of_dir, service_address};
use rhai::{Dynamic, Map};

/// A Compose project named by a `compose:` option.
#[derive(Debug, Clone, PartialEq)]
pub struct ComposeTarget {
    pub project: String,
}

impl ComposeTarget {
    /// `compose: "atmr"`, or a project map as `stdlib/compose.rhai` takes it: its `name`, else
    /// the name Compose gives its directory (`dir`, else the directory of `file`).
    pub fn from_option(primitive: &str, value: Option<&Dynamic>) -> Outcome<Option<Self>> {
        let Some(value) = value else {
            return Ok(None);
        };
        if let Ok(name) = value.clone().into_string() {
            return Self::named(primitive, name).map(Some);
        }
        let Some(map) = value.clone().try_cast::<Map>() else {
            return error(
                ErrorKind::Script,
                format!(
                    "{primitive}: option `compose` must be a project name or a project map, not {}",
                    value.type_name()
                ),
            );
        };
        let text = |key: &str| map.get(key).map(ToString::to_string);
        let name = text("name")
            .or_else(|| text("dir").map(|d| project_name_of_dir(&d)))
            .or_else(|| {
                text("file").map(|f| {
                    project_name_of_dir(f.rsplit_once('/').map_or(".", |(dir, _)| dir))
                })
            })
            .unwrap_or_default();
        Self::named(primitive, name).map(Some)
    }

    fn named(primitive: &str, name: String) -> Outcome<Self> {
        if name.is_empty() {
            return error(
                ErrorKind::Script,
                format!(
                    "{primitive}: option `compose` names no project (give a name, or a map with \
                     `name`, `dir` or `file`)"
                ),
            );
        }
        Ok(Self { project: name })
    }

    /// What plans add after the request: `(compose project atmr)`.
    pub fn shown(&self) -> String {
        format!("(compose project {})", self.project)
    }

    /// The address of `service` on the engine of `host` (this machine when none); says which
    /// container it chose when the service has several.
    pub async fn resolve(
        &self,
        ctx: &RunContext,
        host: Option<&str>,
        service: &str,
    ) -> Outcome<String> {
        let engine = engine_of(ctx, host).await?;
        let found = match service_address(&engine, &self.project, service).await {
            Ok(found) => found,
            Err(e) => return error(ErrorKind::Unreachable, e),
        };
        if let Some(choice) = &found.choice {
            ctx.log(Level::Info, choice.clone());
        }
        Ok(found.ip)
    }
}

/// Whether `host` (a URL's) can name a Compose service: an IP address or `localhost` never
/// does, so a URL to them goes where it says even with `compose:`.
pub fn names_a_service(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    !(bare.eq_ignore_ascii_case("localhost") || bare.parse::<std::net::IpAddr>().is_ok())
}
