//! Images and the engine itself: list, pull (with progress), tag, remove; version and info
//! for guards such as "Docker ≥ 24".

use super::containers::Engine;
use super::failure::{explain, not_found};
use bollard::query_parameters::{
    CreateImageOptions, ListImagesOptions, RemoveImageOptions, TagImageOptions,
};
use futures_util::StreamExt;
use serde_json::{Value, json};

pub async fn list(engine: &Engine) -> Result<Vec<Value>, String> {
    let found = engine
        .docker
        .list_images(Some(ListImagesOptions::default()))
        .await
        .map_err(|e| explain(&engine.name, "listing images", &e))?;
    Ok(found
        .iter()
        .map(|i| {
            json!({
                "id": i.id.trim_start_matches("sha256:").chars().take(12).collect::<String>(),
                "tags": i.repo_tags,
                "size": i.size,
                "created": i.created,
            })
        })
        .collect())
}

/// Every `repo:tag` on the engine, for "did you mean".
async fn tags(engine: &Engine) -> Vec<String> {
    list(engine)
        .await
        .unwrap_or_default()
        .iter()
        .flat_map(|i| {
            i["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `name[:tag]` split, `latest` by default (a digest stays whole).
fn split(image: &str) -> (String, String) {
    if image.contains('@') {
        return (image.to_string(), String::new());
    }
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), tag.to_string()),
        _ => (image.to_string(), "latest".to_string()),
    }
}

/// Pulls an image; `progress` hears each status line ("Downloading", "Pull complete", …).
pub async fn pull(
    engine: &Engine,
    image: &str,
    mut progress: impl FnMut(&str),
) -> Result<(), String> {
    let (repo, tag) = split(image);
    let options = CreateImageOptions {
        from_image: Some(repo),
        tag: (!tag.is_empty()).then_some(tag),
        ..Default::default()
    };
    let mut stream = engine.docker.create_image(Some(options), None, None);
    let mut last = String::new();
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| pull_failed(engine, image, &e))?;
        if let Some(detail) = info.error_detail.and_then(|d| d.message) {
            return Err(format!(
                "pull of {image} on {} failed: {detail}",
                engine.name
            ));
        }
        let line = [info.id.as_deref(), info.status.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !line.is_empty() && line != last {
            progress(&line);
            last = line;
        }
    }
    Ok(())
}

/// A failed pull in the engine's words, which relay the registry's answer ("manifest for … not
/// found: manifest unknown", "connection refused"): the engine answers 404 for a tag the
/// registry lacks, which is not a missing local image.
fn pull_failed(engine: &Engine, image: &str, error: &bollard::errors::Error) -> String {
    let answer = match error {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => explain(&engine.name, image, other),
    };
    format!("pull of {image} on {} failed: {answer}", engine.name)
}

pub async fn tag(engine: &Engine, source: &str, target: &str) -> Result<(), String> {
    let (repo, tag) = split(target);
    let options = TagImageOptions {
        repo: Some(repo),
        tag: Some(tag),
    };
    match engine.docker.tag_image(source, Some(options)).await {
        Ok(()) => Ok(()),
        Err(e) => Err(missing(engine, source, &e).await),
    }
}

pub async fn remove(engine: &Engine, image: &str, force: bool) -> Result<(), String> {
    let options = RemoveImageOptions {
        force,
        ..Default::default()
    };
    match engine.docker.remove_image(image, Some(options), None).await {
        Ok(_) => Ok(()),
        Err(e) => Err(missing(engine, image, &e).await),
    }
}

async fn missing(engine: &Engine, image: &str, error: &bollard::errors::Error) -> String {
    match error {
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        } => not_found(&engine.name, "image", image, &tags(engine).await),
        other => explain(&engine.name, image, other),
    }
}

/// `#{version, api_version, os, arch, kernel}`.
pub async fn version(engine: &Engine) -> Result<Value, String> {
    let v = engine
        .docker
        .version()
        .await
        .map_err(|e| explain(&engine.name, "version", &e))?;
    Ok(json!({
        "version": v.version,
        "api_version": v.api_version,
        "os": v.os,
        "arch": v.arch,
        "kernel": v.kernel_version,
    }))
}

/// `#{name, server_version, containers, running, images, cpus, memory}`.
pub async fn info(engine: &Engine) -> Result<Value, String> {
    let i = engine
        .docker
        .info()
        .await
        .map_err(|e| explain(&engine.name, "info", &e))?;
    Ok(json!({
        "name": i.name,
        "server_version": i.server_version,
        "containers": i.containers,
        "running": i.containers_running,
        "images": i.images,
        "cpus": i.ncpu,
        "memory": i.mem_total,
    }))
}
