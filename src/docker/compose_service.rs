//! Where a Compose service answers: the address of one of its containers on the project's
//! network, as its neighbours (and the engine's host) reach it, found by Compose's labels.

use super::containers::{Engine, PROJECT_LABEL, SERVICE_LABEL};
use super::failure::explain;
use crate::diagnostic::did_you_mean;
use bollard::models::{ContainerSummary, ContainerSummaryStateEnum};
use bollard::query_parameters::ListContainersOptions;
use std::collections::{BTreeSet, HashMap};

/// Compose's label holding a replica's number (1, 2, …).
const NUMBER_LABEL: &str = "com.docker.compose.container-number";

/// The container chosen for a service, and how to reach it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceAddress {
    /// The container's name (`atmr-db-1`).
    pub container: String,
    /// Its address on the project's network, as the engine's host reaches it.
    pub ip: String,
    /// Why this container, when the service has several running.
    pub choice: Option<String>,
}

/// The project name Compose derives from a directory: its last part, lowercase, without the
/// characters a project name cannot hold (as `docker compose` and `docker-compose` do).
pub fn project_name_of_dir(dir: &str) -> String {
    let last = dir
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    last.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect()
}

/// The address of `service` in Compose project `project` on `engine`: the first running
/// replica that is healthy (or has no health check), by replica number.
pub async fn service_address(
    engine: &Engine,
    project: &str,
    service: &str,
) -> Result<ServiceAddress, String> {
    let mut replicas = containers(engine, &[format!("{PROJECT_LABEL}={project}")]).await?;
    let project_services: BTreeSet<String> = replicas
        .iter()
        .filter_map(|c| label(c, SERVICE_LABEL))
        .map(str::to_string)
        .collect();
    replicas.retain(|c| label(c, SERVICE_LABEL) == Some(service));
    if replicas.is_empty() {
        return Err(missing_service(engine, project, service, &project_services));
    }
    replicas.sort_by_key(|c| {
        label(c, NUMBER_LABEL)
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(u32::MAX)
    });
    let running: Vec<&ContainerSummary> = replicas.iter().filter(|c| is_running(c)).collect();
    let Some(chosen) = running
        .iter()
        .find(|c| health(c) != Some("unhealthy") && health(c) != Some("starting"))
        .or_else(|| running.first())
    else {
        let states: Vec<String> = replicas
            .iter()
            .map(|c| format!("{} {}", name(c), c.status.as_deref().unwrap_or("stopped")))
            .collect();
        return Err(format!(
            "service `{service}` of Compose project `{project}` on {} is not running ({})",
            engine.name,
            states.join(", ")
        ));
    };
    let ip = address(chosen, project).ok_or_else(|| {
        format!(
            "service `{service}` of Compose project `{project}` on {}: container {} has no \
             network address (network_mode host or none?); reach it by the host's own address",
            engine.name,
            name(chosen)
        )
    })?;
    let choice = (running.len() > 1).then(|| {
        format!(
            "{} running replicas of `{service}`, using {}{}",
            running.len(),
            name(chosen),
            health(chosen)
                .map(|h| format!(" ({h})"))
                .unwrap_or_default()
        )
    });
    Ok(ServiceAddress {
        container: name(chosen),
        ip,
        choice,
    })
}

async fn containers(engine: &Engine, labels: &[String]) -> Result<Vec<ContainerSummary>, String> {
    let filters = HashMap::from([("label".to_string(), labels.to_vec())]);
    let options = ListContainersOptions {
        all: true,
        filters: Some(filters),
        ..Default::default()
    };
    engine
        .docker
        .list_containers(Some(options))
        .await
        .map_err(|e| explain(&engine.name, "listing Compose containers", &e))
}

/// No container of `service`: says whether the project exists and which services it has.
fn missing_service(
    engine: &Engine,
    project: &str,
    service: &str,
    services: &BTreeSet<String>,
) -> String {
    if services.is_empty() {
        return format!(
            "no Compose project `{project}` on {}: no container has the label \
             {PROJECT_LABEL}={project} (is the project up, under that name?)",
            engine.name
        );
    }
    let close = did_you_mean(service, services.iter().map(String::as_str))
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default();
    let listed: Vec<&str> = services.iter().map(String::as_str).collect();
    format!(
        "no service `{service}` in Compose project `{project}` on {} (its services: {}){close}",
        engine.name,
        listed.join(", ")
    )
}

fn label<'a>(c: &'a ContainerSummary, key: &str) -> Option<&'a str> {
    c.labels.as_ref()?.get(key).map(String::as_str)
}

fn name(c: &ContainerSummary) -> String {
    c.names
        .as_ref()
        .and_then(|n| n.first())
        .map(|n| n.trim_start_matches('/').to_string())
        .unwrap_or_else(|| c.id.clone().unwrap_or_default())
}

fn is_running(c: &ContainerSummary) -> bool {
    c.state == Some(ContainerSummaryStateEnum::RUNNING)
}

/// `healthy`, `unhealthy`, `starting`, or none without a health check (from the status text,
/// as the list call reports it).
fn health(c: &ContainerSummary) -> Option<&'static str> {
    let status = c.status.as_deref()?;
    [
        ("(healthy)", "healthy"),
        ("(unhealthy)", "unhealthy"),
        ("(health: starting)", "starting"),
    ]
    .into_iter()
    .find(|(text, _)| status.contains(text))
    .map(|(_, h)| h)
}

/// The container's address on its project's network (`PROJECT_…`), else on any network.
fn address(c: &ContainerSummary, project: &str) -> Option<String> {
    let networks = c.network_settings.as_ref()?.networks.as_ref()?;
    let mut named: Vec<(&String, &str)> = networks
        .iter()
        .filter_map(|(net, e)| {
            e.ip_address
                .as_deref()
                .filter(|ip| !ip.is_empty())
                .map(|ip| (net, ip))
        })
        .collect();
    named.sort_by_key(|(net, _)| (!net.starts_with(&format!("{project}_")), (*net).clone()));
    named.first().map(|(_, ip)| (*ip).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_names_its_project_as_compose_does() {
        assert_eq!(project_name_of_dir("/srv/atmr"), "atmr");
        assert_eq!(project_name_of_dir("/srv/My App.v2/"), "myappv2");
        assert_eq!(project_name_of_dir("shop_front-1"), "shop_front-1");
    }
}
