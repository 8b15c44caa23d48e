//! Container operations on one engine: list, inspect, lifecycle, logs, exec, stats, and
//! waiting for a state. Results are JSON shaped for runbooks (snake_case, the fields an
//! operator checks), built from the Engine API's own JSON.

use super::failure::{explain, not_found};
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::query_parameters::{
    KillContainerOptions, ListContainersOptions, LogsOptions, RemoveContainerOptions,
    RestartContainerOptions, StatsOptions, StopContainerOptions,
};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Compose's labels, which tell projects and services apart.
pub const PROJECT_LABEL: &str = "com.docker.compose.project";
pub const SERVICE_LABEL: &str = "com.docker.compose.service";

/// An engine and how messages name it.
#[derive(Clone)]
pub struct Engine {
    pub docker: Docker,
    pub name: String,
}

/// Which containers `list` returns.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub name: Option<String>,
    /// `key` or `key=value`.
    pub labels: Vec<String>,
    pub project: Option<String>,
    pub service: Option<String>,
    /// created, running, exited, paused, …; any status includes stopped containers.
    pub status: Option<String>,
    pub all: bool,
}

/// Output of a container (logs, exec), line by line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Out,
    Err,
}

pub async fn list(engine: &Engine, filter: &Filter) -> Result<Vec<Value>, String> {
    let mut filters: HashMap<String, Vec<String>> = HashMap::new();
    let mut labels = filter.labels.clone();
    labels.extend(
        filter
            .project
            .iter()
            .map(|p| format!("{PROJECT_LABEL}={p}")),
    );
    labels.extend(
        filter
            .service
            .iter()
            .map(|s| format!("{SERVICE_LABEL}={s}")),
    );
    if !labels.is_empty() {
        filters.insert("label".into(), labels);
    }
    if let Some(name) = &filter.name {
        filters.insert("name".into(), vec![name.clone()]);
    }
    if let Some(status) = &filter.status {
        filters.insert("status".into(), vec![status.clone()]);
    }
    let options = ListContainersOptions {
        all: filter.all || filter.status.is_some(),
        filters: (!filters.is_empty()).then_some(filters),
        ..Default::default()
    };
    let found = engine
        .docker
        .list_containers(Some(options))
        .await
        .map_err(|e| explain(&engine.name, "listing containers", &e))?;
    Ok(found
        .iter()
        .map(|c| summary(&serde_json::to_value(c).unwrap_or_default()))
        .collect())
}

fn summary(c: &Value) -> Value {
    let name = c["Names"][0].as_str().unwrap_or("").trim_start_matches('/');
    let status = c["Status"].as_str().unwrap_or("");
    let health = ["healthy", "unhealthy", "health: starting"]
        .iter()
        .find(|h| status.contains(&format!("({h})")))
        .map(|h| h.trim_start_matches("health: ").to_string());
    json!({
        "name": name,
        "id": short_id(c["Id"].as_str().unwrap_or("")),
        "image": c["Image"],
        "state": c["State"],
        "status": status,
        "health": health,
        "project": c["Labels"][PROJECT_LABEL],
        "service": c["Labels"][SERVICE_LABEL],
        "labels": c["Labels"],
        "created": c["Created"],
    })
}

fn short_id(id: &str) -> String {
    id.chars().take(12).collect()
}

/// Every container name on the engine, for "did you mean".
async fn names(engine: &Engine) -> Vec<String> {
    let all = Filter {
        all: true,
        ..Filter::default()
    };
    list(engine, &all)
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect()
}

/// Turns a 404 into "no container NAME … did you mean".
async fn missing(engine: &Engine, name: &str, error: &bollard::errors::Error) -> String {
    match error {
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        } => not_found(&engine.name, "container", name, &names(engine).await),
        other => explain(&engine.name, name, other),
    }
}

pub async fn inspect(engine: &Engine, name: &str) -> Result<Value, String> {
    let found = match engine.docker.inspect_container(name, None).await {
        Ok(found) => found,
        Err(e) => return Err(missing(engine, name, &e).await),
    };
    let c = serde_json::to_value(&found).unwrap_or_default();
    let state = &c["State"];
    let health_log = state["Health"]["Log"]
        .as_array()
        .and_then(|log| log.last())
        .and_then(|last| last["Output"].as_str())
        .map(|o| o.trim().to_string());
    Ok(json!({
        "name": c["Name"].as_str().unwrap_or("").trim_start_matches('/'),
        "id": short_id(c["Id"].as_str().unwrap_or("")),
        "image": c["Config"]["Image"],
        "image_id": c["Image"],
        "status": state["Status"],
        "running": state["Running"],
        "health": state["Health"]["Status"],
        "health_output": health_log,
        "exit_code": state["ExitCode"],
        "oom_killed": state["OOMKilled"],
        "restart_count": c["RestartCount"],
        "started_at": state["StartedAt"],
        "finished_at": state["FinishedAt"],
        "ports": ports(&c["NetworkSettings"]["Ports"]),
        "labels": c["Config"]["Labels"],
        "project": c["Config"]["Labels"][PROJECT_LABEL],
        "service": c["Config"]["Labels"][SERVICE_LABEL],
    }))
}

/// `["0.0.0.0:8080->80/tcp", "443/tcp"]`.
fn ports(map: &Value) -> Value {
    let Some(map) = map.as_object() else {
        return json!([]);
    };
    let mut out = Vec::new();
    for (port, bindings) in map {
        match bindings.as_array() {
            Some(list) if !list.is_empty() => {
                for b in list {
                    let ip = b["HostIp"].as_str().unwrap_or("");
                    let host = b["HostPort"].as_str().unwrap_or("");
                    out.push(format!("{ip}:{host}->{port}"));
                }
            }
            _ => out.push(port.clone()),
        }
    }
    json!(out)
}

/// Start, stop, restart, kill or remove.
#[derive(Debug, Clone, PartialEq)]
pub enum Lifecycle {
    Start,
    Stop { timeout: Option<i32> },
    Restart { timeout: Option<i32> },
    Kill { signal: String },
    Remove { force: bool, volumes: bool },
}

pub async fn lifecycle(engine: &Engine, name: &str, action: &Lifecycle) -> Result<(), String> {
    let docker = &engine.docker;
    let result = match action {
        Lifecycle::Start => docker.start_container(name, None).await,
        Lifecycle::Stop { timeout } => {
            let options = StopContainerOptions {
                t: *timeout,
                ..Default::default()
            };
            docker.stop_container(name, Some(options)).await
        }
        Lifecycle::Restart { timeout } => {
            let options = RestartContainerOptions {
                t: *timeout,
                ..Default::default()
            };
            docker.restart_container(name, Some(options)).await
        }
        Lifecycle::Kill { signal } => {
            let options = KillContainerOptions {
                signal: signal.clone(),
            };
            docker.kill_container(name, Some(options)).await
        }
        Lifecycle::Remove { force, volumes } => {
            let options = RemoveContainerOptions {
                force: *force,
                v: *volumes,
                ..Default::default()
            };
            docker.remove_container(name, Some(options)).await
        }
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) => Err(missing(engine, name, &e).await),
    }
}

/// Which log lines to fetch.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    /// The last N lines (all when none).
    pub tail: Option<i64>,
    /// Only lines newer than this many seconds.
    pub since: Option<i64>,
    /// Keep following new lines for this long.
    pub follow: Option<Duration>,
    /// Only lines containing this text, case ignored.
    pub grep: Option<String>,
}

/// The matching log lines; each is also handed to `seen` as it arrives.
pub async fn logs(
    engine: &Engine,
    name: &str,
    query: &LogQuery,
    mut seen: impl FnMut(Channel, &str),
) -> Result<Vec<String>, String> {
    if let Err(e) = engine.docker.inspect_container(name, None).await {
        return Err(missing(engine, name, &e).await);
    }
    let since = query.since.map_or(0, |s| {
        let now = chrono::Utc::now().timestamp();
        i32::try_from(now - s).unwrap_or(0)
    });
    let options = LogsOptions {
        stdout: true,
        stderr: true,
        follow: query.follow.is_some(),
        tail: query.tail.map_or("all".into(), |n| n.to_string()),
        since,
        ..Default::default()
    };
    let needle = query.grep.as_ref().map(|g| g.to_lowercase());
    let mut stream = engine.docker.logs(name, Some(options));
    let deadline = query.follow.map(|f| tokio::time::Instant::now() + f);
    let mut matched = Vec::new();
    let mut pending = String::new();
    loop {
        let next = match deadline {
            Some(at) => match tokio::time::timeout_at(at, stream.next()).await {
                Ok(next) => next,
                Err(_) => break,
            },
            None => stream.next().await,
        };
        let Some(item) = next else { break };
        let (channel, bytes) = match item.map_err(|e| explain(&engine.name, name, &e))? {
            LogOutput::StdErr { message } => (Channel::Err, message),
            LogOutput::StdOut { message } | LogOutput::Console { message } => {
                (Channel::Out, message)
            }
            LogOutput::StdIn { .. } => continue,
        };
        pending.push_str(&String::from_utf8_lossy(&bytes));
        while let Some(end) = pending.find('\n') {
            let line: String = pending.drain(..=end).collect();
            let line = line.trim_end_matches(['\n', '\r']);
            if needle
                .as_ref()
                .is_none_or(|n| line.to_lowercase().contains(n))
            {
                seen(channel, line);
                matched.push(line.to_string());
            }
        }
    }
    if !pending.is_empty()
        && needle
            .as_ref()
            .is_none_or(|n| pending.to_lowercase().contains(n))
    {
        seen(Channel::Out, &pending);
        matched.push(pending);
    }
    Ok(matched)
}

/// How to run a command inside a container.
#[derive(Debug, Clone, Default)]
pub struct ExecSpec {
    pub argv: Vec<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub env: Vec<String>,
}

/// Runs a command in a running container: exit code, stdout, stderr (each line also handed
/// to `seen`).
pub async fn exec(
    engine: &Engine,
    name: &str,
    spec: &ExecSpec,
    mut seen: impl FnMut(Channel, &str),
) -> Result<(i64, String, String), String> {
    let options = CreateExecOptions {
        cmd: Some(spec.argv.clone()),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        user: spec.user.clone(),
        working_dir: spec.workdir.clone(),
        env: (!spec.env.is_empty()).then(|| spec.env.clone()),
        ..Default::default()
    };
    let created = match engine.docker.create_exec(name, options).await {
        Ok(created) => created,
        Err(e) => return Err(missing(engine, name, &e).await),
    };
    let started = engine
        .docker
        .start_exec(&created.id, None)
        .await
        .map_err(|e| explain(&engine.name, name, &e))?;
    let (mut out, mut err) = (String::new(), String::new());
    if let StartExecResults::Attached { mut output, .. } = started {
        let (mut out_line, mut err_line) = (String::new(), String::new());
        while let Some(item) = output.next().await {
            let (channel, bytes) = match item.map_err(|e| explain(&engine.name, name, &e))? {
                LogOutput::StdErr { message } => (Channel::Err, message),
                LogOutput::StdOut { message } | LogOutput::Console { message } => {
                    (Channel::Out, message)
                }
                LogOutput::StdIn { .. } => continue,
            };
            let text = String::from_utf8_lossy(&bytes);
            let (all, partial) = match channel {
                Channel::Out => (&mut out, &mut out_line),
                Channel::Err => (&mut err, &mut err_line),
            };
            all.push_str(&text);
            partial.push_str(&text);
            while let Some(end) = partial.find('\n') {
                let line: String = partial.drain(..=end).collect();
                seen(channel, line.trim_end_matches(['\n', '\r']));
            }
        }
        for (channel, rest) in [(Channel::Out, out_line), (Channel::Err, err_line)] {
            if !rest.is_empty() {
                seen(channel, &rest);
            }
        }
    }
    let inspected = engine
        .docker
        .inspect_exec(&created.id)
        .await
        .map_err(|e| explain(&engine.name, name, &e))?;
    let code = inspected.exit_code.unwrap_or(-1);
    let trim = |s: String| s.trim_end_matches(['\n', '\r']).to_string();
    Ok((code, trim(out), trim(err)))
}

/// CPU % and memory of a container, from one sample.
pub async fn stats(engine: &Engine, name: &str) -> Result<Value, String> {
    let options = StatsOptions {
        stream: false,
        one_shot: false,
    };
    let mut stream = engine.docker.stats(name, Some(options));
    let sample = match stream.next().await {
        Some(Ok(sample)) => serde_json::to_value(&sample).unwrap_or_default(),
        Some(Err(e)) => return Err(missing(engine, name, &e).await),
        None => {
            return Err(format!(
                "{name}: the engine on {} sent no stats",
                engine.name
            ));
        }
    };
    let number = |v: &Value| v.as_f64().unwrap_or(0.0);
    let cpu = &sample["cpu_stats"];
    let pre = &sample["precpu_stats"];
    let cpu_delta =
        number(&cpu["cpu_usage"]["total_usage"]) - number(&pre["cpu_usage"]["total_usage"]);
    let system_delta = number(&cpu["system_cpu_usage"]) - number(&pre["system_cpu_usage"]);
    let cpus = cpu["online_cpus"]
        .as_f64()
        .filter(|n| *n > 0.0)
        .unwrap_or(1.0);
    let cpu_percent = if system_delta > 0.0 && cpu_delta >= 0.0 {
        cpu_delta / system_delta * cpus * 100.0
    } else {
        0.0
    };
    let memory = &sample["memory_stats"];
    let cache = memory["stats"]["inactive_file"]
        .as_f64()
        .or_else(|| memory["stats"]["cache"].as_f64())
        .unwrap_or(0.0);
    let used = (number(&memory["usage"]) - cache).max(0.0);
    let limit = number(&memory["limit"]);
    Ok(json!({
        "name": name,
        "cpu_percent": (cpu_percent * 100.0).round() / 100.0,
        "memory_bytes": used as i64,
        "memory_limit": limit as i64,
        "memory_percent": if limit > 0.0 { (used / limit * 10000.0).round() / 100.0 } else { 0.0 },
    }))
}

/// What `wait` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    Running,
    Healthy,
}

/// Polls until the container is running (or healthy); on timeout the error carries its last
/// health check output and last log lines. `progress` hears each new state. Waiting for health
/// stops at once when the engine reports `unhealthy` (its health check used up its retries),
/// unless `keep_waiting`: a container that may recover is waited for until the timeout.
pub async fn wait(
    engine: &Engine,
    name: &str,
    until: Until,
    timeout: Duration,
    keep_waiting: bool,
    mut progress: impl FnMut(&str),
) -> Result<Value, String> {
    let started = Instant::now();
    let mut last_state = String::new();
    loop {
        let state = inspect(engine, name).await?;
        let running = state["running"].as_bool().unwrap_or(false);
        let health = state["health"].as_str().unwrap_or("");
        let now = match until {
            Until::Running => state["status"].as_str().unwrap_or("").to_string(),
            Until::Healthy if health.is_empty() => {
                return Err(format!("{name} on {} has no health check", engine.name));
            }
            Until::Healthy => format!("{} ({health})", state["status"].as_str().unwrap_or("")),
        };
        if now != last_state {
            progress(&now);
            last_state = now;
        }
        let done = match until {
            Until::Running => running,
            Until::Healthy => health == "healthy",
        };
        if done {
            return Ok(state);
        }
        let exited = matches!(state["status"].as_str(), Some("exited" | "dead"));
        let unhealthy = until == Until::Healthy && health == "unhealthy" && !keep_waiting;
        if exited || unhealthy || started.elapsed() >= timeout {
            let why = if exited {
                NotReady::Exited
            } else if unhealthy {
                NotReady::Unhealthy(started.elapsed())
            } else {
                NotReady::TimedOut
            };
            return Err(not_ready(engine, name, until, timeout, &state, why).await);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Why a wait gave up.
enum NotReady {
    Exited,
    /// The engine marked the container unhealthy after this long.
    Unhealthy(Duration),
    TimedOut,
}

async fn not_ready(
    engine: &Engine,
    name: &str,
    until: Until,
    timeout: Duration,
    state: &Value,
    why: NotReady,
) -> String {
    let wanted = match until {
        Until::Running => "running",
        Until::Healthy => "healthy",
    };
    let mut message = match why {
        NotReady::Exited => format!(
            "{name} on {} exited (code {}) instead of becoming {wanted}",
            engine.name, state["exit_code"]
        ),
        NotReady::Unhealthy(after) => format!(
            "{name} on {} is unhealthy: its health check failed as many times as it retries \
             (after {}s of the {}s allowed; `#{{keep_waiting: true}}` waits for a recovery)",
            engine.name,
            after.as_secs(),
            timeout.as_secs()
        ),
        NotReady::TimedOut => format!(
            "{name} on {} is not {wanted} after {}s (status {}, health {})",
            engine.name,
            timeout.as_secs(),
            state["status"].as_str().unwrap_or("?"),
            state["health"].as_str().unwrap_or("none")
        ),
    };
    if let Some(output) = state["health_output"].as_str().filter(|o| !o.is_empty()) {
        message.push_str(&format!("; last health check: {output}"));
    }
    let query = LogQuery {
        tail: Some(5),
        ..LogQuery::default()
    };
    if let Ok(lines) = logs(engine, name, &query, |_, _| {}).await
        && !lines.is_empty()
    {
        message.push_str(&format!("; last log lines: {}", lines.join(" | ")));
    }
    message
}
