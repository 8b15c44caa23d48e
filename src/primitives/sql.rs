//! SQL primitives: `query`, `query_one`, `scalar`, `execute`, `transaction`, `wait_ready`,
//! `pg_env` (libpq variables for client tools), on
//! `postgres://` and `sqlite://` URLs. Values are bound as parameters, never interpolated. A
//! password in a URL becomes a secret: masked everywhere from the first use. In a body on a
//! host, a PostgreSQL connection starts from that host (`via: "local"` says this machine); a
//! SQLite file is always one of this machine.

use super::compose_target::{self, ComposeTarget, postgres_service, with_hostaddr};
use super::connection_origin::{self, origin};
use super::options::Options;
use super::process_output::shortened;
use super::{Outcome, error, probed, unless_stopped};
use crate::context::column_orders::ColumnOrders;
use crate::context::event::{Effect, Level};
use crate::context::run_context::RunContext;
use crate::context::unknown_value;
use crate::diagnostic::error_kind::ErrorKind;
use crate::hosts::host_spec::HostSpec;
use crate::sql::address::{Address, libpq_env, redact};
use crate::sql::connections::{self, Connection};
use crate::sql::{Cell, Row};
use crate::ssh::via::Via;
use rhai::{Array, Dynamic, Engine, FnPtr, Map, NativeCallContext};
use std::sync::Arc;
use std::time::Duration;

/// How a statement runs.
struct SqlOptions {
    read: Option<bool>,
    timeout: Option<Duration>,
}

impl SqlOptions {
    fn parse(map: &Map, primitive: &'static str) -> Outcome<Self> {
        let o = Options::new(
            map,
            primitive,
            &[
                "read",
                "timeout",
                connection_origin::VIA,
                compose_target::COMPOSE,
            ],
        )?;
        Ok(Self {
            read: o.bool("read")?,
            timeout: o.seconds("timeout")?,
        })
    }
}

/// Where a database connection starts, and how plans name it: `sql@vm` and the statement
/// followed by the URL from a host, else the URL and the statement.
struct Place {
    from: Option<HostSpec>,
    /// The URL, its password masked.
    shown_url: String,
}

impl Place {
    fn new(ctx: &RunContext, url: &str, opts: &Map, primitive: &str) -> Outcome<Place> {
        Ok(Place {
            shown_url: target(ctx, url)?,
            from: origin(ctx, opts, primitive)?,
        })
    }

    fn target(&self) -> String {
        match &self.from {
            Some(host) => format!("sql@{}", host.name),
            None => self.shown_url.clone(),
        }
    }

    /// `command` as plans show it: from a host, with the URL it goes to.
    fn command(&self, command: &str) -> String {
        match &self.from {
            Some(_) => format!("{command}  -- in {}", self.shown_url),
            None => command.to_string(),
        }
    }

    fn via<'a>(&'a self, ctx: &'a RunContext) -> Via<'a> {
        match &self.from {
            Some(host) => Via::Host {
                ssh: &ctx.ssh,
                host,
            },
            None => Via::Local,
        }
    }

    /// How messages name the database: the URL, and the host it is reached from.
    fn named(&self) -> String {
        match &self.from {
            Some(host) => format!("{} from {}", self.shown_url, host.name),
            None => self.shown_url.clone(),
        }
    }
}

/// What a statement returns to the body.
#[derive(Clone, Copy)]
enum Shape {
    Rows,
    One,
    Scalar,
    Affected,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Rows => "query",
            Shape::One => "query_one",
            Shape::Scalar => "scalar",
            Shape::Affected => "execute",
        }
    }
}

pub fn register(engine: &mut Engine, ctx: &Arc<RunContext>) {
    for shape in [Shape::Rows, Shape::One, Shape::Scalar, Shape::Affected] {
        let name = shape.name();
        let c = Arc::clone(ctx);
        engine.register_fn(name, move |url: &str, sql: &str| {
            statement(&c, shape, url, sql, &Array::new(), &Map::new())
        });
        let c = Arc::clone(ctx);
        engine.register_fn(name, move |url: &str, sql: &str, params: Array| {
            statement(&c, shape, url, sql, &params, &Map::new())
        });
        let c = Arc::clone(ctx);
        engine.register_fn(
            name,
            move |url: &str, sql: &str, params: Array, opts: Map| {
                statement(&c, shape, url, sql, &params, &opts)
            },
        );
    }
    let c = Arc::clone(ctx);
    engine.register_fn(
        "transaction",
        move |call: NativeCallContext, url: &str, body: FnPtr| transaction(&c, &call, url, &body),
    );
    let c = Arc::clone(ctx);
    engine.register_fn("pg_env", move |url: &str| -> Outcome<Map> {
        target(&c, url)?;
        Ok(libpq_env(url)
            .or_else(|e| error(ErrorKind::Script, e))?
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    });
    let c = Arc::clone(ctx);
    engine.register_fn("wait_ready", move |url: &str, timeout: i64| {
        wait_ready(&c, url, timeout, &Map::new())
    });
    let c = Arc::clone(ctx);
    engine.register_fn("wait_ready", move |url: &str, timeout: i64, opts: Map| {
        wait_ready(&c, url, timeout, &opts)
    });
}

/// Masks the URL's password from now on; the URL as plans show it.
fn target(ctx: &RunContext, url: &str) -> Outcome<String> {
    // A URL only a real run knows (a secret a plan or a page stands in for) is shown as is.
    if ctx.is_dry_run() && url.starts_with(crate::context::run_context::UNKNOWN_OPEN) {
        return Ok(url.to_string());
    }
    if let Address::Postgres {
        password: Some(password),
        ..
    } = Address::parse(url).or_else(|e| error(ErrorKind::Script, e))?
    {
        ctx.add_secret(&password);
    }
    Ok(redact(url))
}

/// Statements that only read, by their first word.
fn reads(sql: &str) -> bool {
    let first = sql
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "SELECT" | "WITH" | "SHOW" | "VALUES" | "EXPLAIN" | "TABLE"
    )
}

fn cell(value: &Dynamic) -> Outcome<Cell> {
    if value.is_unit() {
        return Ok(Cell::Null);
    }
    if let Ok(b) = value.as_bool() {
        return Ok(Cell::Bool(b));
    }
    if let Ok(i) = value.as_int() {
        return Ok(Cell::Int(i));
    }
    if let Ok(f) = value.as_float() {
        return Ok(Cell::Float(f));
    }
    if value.is_string() || value.is::<unknown_value::Unknown>() {
        return Ok(Cell::Text(unknown_value::shown(value)));
    }
    if value.is_map() || value.is_array() {
        let json: serde_json::Value = rhai::serde::from_dynamic(value)?;
        return Ok(Cell::Json(json));
    }
    if let Some(blob) = value.clone().try_cast::<rhai::Blob>() {
        return Ok(Cell::Bytes(blob));
    }
    error(
        ErrorKind::Script,
        format!("a {} cannot be a SQL parameter", value.type_name()),
    )
}

/// A parameter's value as plans show it: text as an SQL literal, bytes by their size.
fn shown_cell(cell: &Cell) -> String {
    match cell {
        Cell::Null => "NULL".into(),
        Cell::Bool(b) => b.to_string(),
        Cell::Int(i) => i.to_string(),
        Cell::Float(f) => f.to_string(),
        Cell::Text(t) => format!("'{}'", t.replace('\'', "''")),
        Cell::Json(j) => format!("'{}'", j.to_string().replace('\'', "''")),
        Cell::Bytes(b) => format!("<{} byte(s)>", b.len()),
    }
}

fn dynamic(cell: Cell) -> Dynamic {
    match cell {
        Cell::Null => Dynamic::UNIT,
        Cell::Bool(b) => b.into(),
        Cell::Int(i) => i.into(),
        Cell::Float(f) => f.into(),
        Cell::Text(t) => t.into(),
        Cell::Json(j) => rhai::serde::to_dynamic(&j).unwrap_or(Dynamic::UNIT),
        Cell::Bytes(b) => Dynamic::from_blob(b),
    }
}

fn row_map(row: Row) -> Map {
    row.into_iter()
        .map(|(name, value)| (name.into(), dynamic(value)))
        .collect()
}

fn statement(
    ctx: &RunContext,
    shape: Shape,
    url: &str,
    sql: &str,
    params: &Array,
    opts: &Map,
) -> Outcome<Dynamic> {
    let compose = ComposeTarget::of(shape.name(), opts, postgres_service(url))?;
    let place = Place::new(ctx, url, opts, shape.name())?;
    let opts = SqlOptions::parse(opts, shape.name())?;
    let cells = params.iter().map(cell).collect::<Outcome<Vec<_>>>()?;
    let read = match shape {
        Shape::Affected => opts.read.unwrap_or(false),
        _ => opts.read.unwrap_or_else(|| reads(sql)),
    };
    let effect = if read { Effect::Read } else { Effect::Change };
    let shown = if cells.is_empty() {
        sql.trim().to_string()
    } else {
        let values: Vec<String> = cells.iter().map(shown_cell).collect();
        format!("{}  -- parameters: {}", sql.trim(), values.join(", "))
    };
    // What only a real run knows: the rows, or how many rows the statement changes.
    let not_run = || match shape {
        Shape::Affected => ctx.unknown_value(&format!("rows changed by {}", shortened(sql.trim()))),
        _ => ctx.unknown_value(&format!("{} of {}", shape.name(), shortened(sql.trim()))),
    };
    let shown = match &compose {
        Some(compose) => format!("{shown}  -- {}", compose.shown()),
        None => shown,
    };
    if !ctx.act(
        shape.name(),
        &place.target(),
        &place.command(&shown),
        effect,
    ) {
        return Ok(not_run());
    }
    // A dry-run probe runs only what reads by its text (whatever `read:` says), in a read-only
    // transaction.
    let read_only = ctx.is_dry_run();
    if read_only && !reads(sql) {
        return Ok(not_run());
    }
    let result = ctx.runtime.block_on(async {
        let url = addressed(ctx, url, compose.as_ref(), &place).await?;
        let connection = connect(ctx, &url, &place).await?;
        let work = async {
            match shape {
                Shape::Affected => connection
                    .execute(sql, &cells, read_only)
                    .await
                    .map(|n| Dynamic::from(i64::try_from(n).unwrap_or(i64::MAX))),
                _ => connection
                    .query(sql, &cells, read_only)
                    .await
                    .and_then(|rows| shaped(shape, rows, &ctx.column_orders)),
            }
        };
        let limited = async {
            match opts.timeout {
                Some(limit) => match tokio::time::timeout(limit, work).await {
                    Ok(result) => result.map_err(|e| ErrorKind::Sql.error(e)),
                    Err(_) => {
                        connection.cancel().await;
                        Err(ErrorKind::Timeout
                            .error(format!("timed out after {}s", limit.as_secs_f64())))
                    }
                },
                None => work.await.map_err(|e| ErrorKind::Sql.error(e)),
            }
        };
        let what = format!("{} on {}", shape.name(), place.named());
        let result = unless_stopped(ctx, &what, async {
            limited.await.map_err(|e| e.context(&what))
        })
        .await;
        if result.is_err() && ctx.stop.check().is_some() {
            connection.cancel().await;
        }
        result
    });
    probed(ctx, result, not_run)
}

/// The rows as the script sees them; their columns' order is remembered for tables, since a
/// map sorts its keys.
fn shaped(shape: Shape, mut rows: Vec<Row>, orders: &ColumnOrders) -> Result<Dynamic, String> {
    if let Some(first) = rows.first()
        && matches!(shape, Shape::Rows | Shape::One)
    {
        orders.remember(first.iter().map(|(name, _)| name.clone()).collect());
    }
    Ok(match shape {
        Shape::Rows => rows
            .into_iter()
            .map(|r| Dynamic::from_map(row_map(r)))
            .collect::<Array>()
            .into(),
        Shape::One => match rows.len() {
            1 => Dynamic::from_map(row_map(rows.remove(0))),
            n => return Err(format!("expected exactly one row, got {n}")),
        },
        Shape::Scalar => rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .map_or(Dynamic::UNIT, |(_, v)| dynamic(v)),
        Shape::Affected => Dynamic::UNIT,
    })
}

async fn connect(ctx: &RunContext, url: &str, place: &Place) -> Outcome<Connection> {
    unless_stopped(
        ctx,
        &format!("connecting to {}", place.named()),
        ctx.databases
            .connect(url, &ctx.base_dir, ctx.is_dry_run(), place.via(ctx)),
    )
    .await
}

/// `url` as connected to: at the address of the Compose service its host names, if any.
async fn addressed(
    ctx: &RunContext,
    url: &str,
    compose: Option<&ComposeTarget>,
    place: &Place,
) -> Outcome<String> {
    let Some(compose) = compose else {
        return Ok(url.to_string());
    };
    let finding = format!(
        "finding service `{}` of {} for {}",
        compose.service,
        compose.project,
        place.named()
    );
    let ip = unless_stopped(ctx, &finding, compose.address(ctx, place.from.as_ref())).await?;
    Ok(with_hostaddr(url, &ip.to_string()))
}

/// `transaction(url, || { … })`: BEGIN, the closure, then COMMIT, or ROLLBACK if it failed.
fn transaction(
    ctx: &RunContext,
    call: &NativeCallContext,
    url: &str,
    body: &FnPtr,
) -> Outcome<Dynamic> {
    let place = Place::new(ctx, url, &Map::new(), "transaction")?;
    let control = |sql: &str| -> Outcome<()> {
        if !ctx.act(
            "transaction",
            &place.target(),
            &place.command(sql),
            Effect::Change,
        ) {
            return Ok(());
        }
        ctx.runtime.block_on(async {
            let connection = connect(ctx, url, &place).await?;
            connection
                .batch(sql)
                .await
                .or_else(|e| error(ErrorKind::Sql, format!("{sql} on {}: {e}", place.named())))
        })
    };
    control("BEGIN")?;
    match body.call_within_context::<Dynamic>(call, ()) {
        Ok(value) => {
            control("COMMIT")?;
            Ok(value)
        }
        Err(failure) => {
            if let Err(e) = control("ROLLBACK") {
                ctx.log(
                    Level::Warn,
                    format!("the rollback of the transaction failed: {e}"),
                );
            }
            Err(failure)
        }
    }
}

/// `wait_ready(url, secs)`: the `pg_isready` of runbooks (`#{via: "local"}` as a third
/// argument connects from this machine; under `compose:`, the service is looked up once, when
/// the wait starts).
fn wait_ready(ctx: &RunContext, url: &str, timeout: i64, opts: &Map) -> Outcome<bool> {
    Options::new(
        opts,
        "wait_ready",
        &[connection_origin::VIA, compose_target::COMPOSE],
    )?;
    let compose = ComposeTarget::of("wait_ready", opts, postgres_service(url))?;
    let place = Place::new(ctx, url, opts, "wait_ready")?;
    let shown = place.named();
    let secs = u64::try_from(timeout).unwrap_or(0);
    let mut command = format!("wait until the database accepts connections (up to {secs}s)");
    if let Some(compose) = &compose {
        command.push_str(&format!(" {}", compose.shown()));
    }
    if !ctx.act(
        "wait_ready",
        &place.target(),
        &place.command(&command),
        Effect::Read,
    ) {
        return Ok(true);
    }
    ctx.runtime.block_on(async {
        let url = addressed(ctx, url, compose.as_ref(), &place).await?;
        let attempt = |n: u32, why: &str| {
            ctx.log(
                Level::Info,
                format!("{shown} not ready (attempt {n}): {why}"),
            );
        };
        let waiting = connections::wait_ready(
            &url,
            &ctx.base_dir,
            ctx.is_dry_run(),
            place.via(ctx),
            Duration::from_secs(secs),
            attempt,
        );
        unless_stopped(ctx, &format!("waiting for {shown}"), waiting).await?;
        Ok(true)
    })
}
