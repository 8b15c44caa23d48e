//! One connection per database URL per run, opened on first use: queries with bound
//! parameters, statements, transaction control, cancellation, and waiting until a server
//! accepts connections.

use super::address::{Address, SqlitePath, Tls, redact};
use super::sqlite_values::cell;
use super::through_host::Server;
use super::{Cell, Row};
use crate::diagnostic::error_kind::{ErrorKind, TypedError};
use crate::ssh::forward::{LocalEnd, LocalKind};
use crate::ssh::via::Via;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;
use tokio_postgres::types::ToSql;

/// An open connection.
#[derive(Clone)]
pub enum Connection {
    Postgres(Arc<tokio_postgres::Client>),
    Sqlite(Arc<Mutex<rusqlite::Connection>>),
}

/// The connections of a run, by URL.
#[derive(Default)]
pub struct Databases {
    open: Mutex<HashMap<String, Arc<OnceCell<Connection>>>>,
}

impl Databases {
    /// The connection to `url` (relative SQLite paths resolve against `base_dir`) from where
    /// `via` says. A `read_only` one (a dry-run's probe) opens a SQLite file read-only: it
    /// never creates it.
    pub async fn connect(
        &self,
        url: &str,
        base_dir: &Path,
        read_only: bool,
        via: Via<'_>,
    ) -> Result<Connection, TypedError> {
        let mut key = via.host().map(|h| format!("{h} ")).unwrap_or_default();
        if read_only {
            key.push_str("read-only ");
        }
        key.push_str(url);
        let slot = Arc::clone(
            self.open
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key)
                .or_default(),
        );
        slot.get_or_try_init(|| open(url, base_dir, read_only, via))
            .await
            .cloned()
    }
}

async fn open(
    url: &str,
    base_dir: &Path,
    read_only: bool,
    via: Via<'_>,
) -> Result<Connection, TypedError> {
    match Address::parse(url).map_err(|e| ErrorKind::Script.error(e))? {
        // A file of this machine, wherever the body runs (the reference says so).
        Address::Sqlite(path) => {
            let connection = match &path {
                SqlitePath::Memory => rusqlite::Connection::open_in_memory(),
                // Read-only: no file is created, and an attached one (`VACUUM INTO`) neither.
                SqlitePath::File(file) if read_only => rusqlite::Connection::open_with_flags(
                    base_dir.join(file),
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                ),
                SqlitePath::File(file) => rusqlite::Connection::open(base_dir.join(file)),
            }
            .map_err(|e| ErrorKind::Sql.error(format!("cannot open {url}: {e}")))?;
            connection
                .busy_timeout(Duration::from_secs(5))
                .map_err(|e| ErrorKind::Sql.error(e.to_string()))?;
            Ok(Connection::Sqlite(Arc::new(Mutex::new(connection))))
        }
        Address::Postgres {
            url: pg_url, tls, ..
        } => {
            let shown = redact(url);
            let script = |e: String| ErrorKind::Script.error(e);
            let (config, forward) = match via {
                Via::Local => (
                    tokio_postgres::Config::from_str(&pg_url)
                        .map_err(|e| script(format!("`{shown}`: {e}")))?,
                    None,
                ),
                Via::Host { ssh, host } => {
                    let server = Server::of(&pg_url).map_err(script)?;
                    let forward = ssh
                        .forward(host, &server.address, LocalKind::LoopbackPort)
                        .await?;
                    let LocalEnd::Tcp(local) = forward.local else {
                        return Err(ErrorKind::Io.error("a database forward is not a port"));
                    };
                    let config = server.through(&pg_url, local).map_err(script)?;
                    let mark = forward.mark();
                    (config, Some((ssh, forward, mark)))
                }
            };
            let connected = match tls {
                Tls::Off => connect_with(&config, tokio_postgres::NoTls).await,
                Tls::Verified { root } => {
                    let config_tls =
                        tls_config(root.as_deref()).map_err(|e| ErrorKind::Io.error(e))?;
                    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(config_tls);
                    connect_with(&config, tls).await
                }
            };
            match (connected, forward) {
                (Ok(client), _) => Ok(Connection::Postgres(Arc::new(client))),
                // Nothing answered through the forward: the host says why.
                (Err(e), Some((ssh, forward, mark))) if e.as_db_error().is_none() => {
                    let tunnel = ssh.tunnel_failure(&forward, mark, &pg_error(&e)).await;
                    Err(tunnel
                        .unwrap_or_else(|| refused(&format!("{shown} from {}", forward.host), &e)))
                }
                (Err(e), _) => Err(refused(&shown, &e)),
            }
        }
    }
}

/// Connects with `config`; the connection runs on its own task.
async fn connect_with<T>(
    config: &tokio_postgres::Config,
    tls: T,
) -> Result<tokio_postgres::Client, tokio_postgres::Error>
where
    T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(connection);
    Ok(client)
}

fn tls_config(root: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    match root {
        None => {
            use rustls_platform_verifier::ConfigVerifierExt;
            rustls::ClientConfig::with_platform_verifier().map_err(|e| e.to_string())
        }
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            {
                let cert = cert.map_err(|e| format!("{}: {e}", path.display()))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
            Ok(rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth())
        }
    }
}

/// A connection PostgreSQL did not open: the server refused the login (`auth`) or something
/// else (`sql`), or nothing answered (`unreachable`).
fn refused(shown: &str, error: &tokio_postgres::Error) -> TypedError {
    let kind = match error.as_db_error() {
        // SQLSTATE class 28: invalid authorization specification.
        Some(db) if db.code().code().starts_with("28") => ErrorKind::Auth,
        Some(_) => ErrorKind::Sql,
        None => ErrorKind::Unreachable,
    };
    kind.error(format!("cannot connect to {shown}: {}", pg_error(error)))
}

/// A PostgreSQL error with the server's own words (tokio-postgres alone says "db error").
pub fn pg_error(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => {
            let mut text = format!("{} ({})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(&format!(": {detail}"));
            }
            text
        }
        None => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(inner) = source {
                text.push_str(&format!(": {inner}"));
                source = inner.source();
            }
            text
        }
    }
}

impl Connection {
    /// Runs a statement and returns its rows. `read_only` runs it in a read-only transaction
    /// (PostgreSQL) or with `query_only` (SQLite): a dry-run's probe cannot change anything.
    pub async fn query(
        &self,
        sql: &str,
        params: &[Cell],
        read_only: bool,
    ) -> Result<Vec<Row>, String> {
        self.read_only_if(read_only, self.rows(sql, params)).await
    }

    /// Runs a statement; the number of rows it changed. `read_only` as for [`Self::query`]:
    /// a statement that would change something fails instead.
    pub async fn execute(
        &self,
        sql: &str,
        params: &[Cell],
        read_only: bool,
    ) -> Result<u64, String> {
        self.read_only_if(read_only, self.affected(sql, params))
            .await
    }

    /// Runs `work` inside a read-only transaction (PostgreSQL) or with `query_only` (SQLite)
    /// when `read_only`, and ends it whatever happened.
    async fn read_only_if<T>(
        &self,
        read_only: bool,
        work: impl Future<Output = Result<T, String>>,
    ) -> Result<T, String> {
        if !read_only {
            return work.await;
        }
        self.set_read_only(true).await?;
        let result = work.await;
        let _ = self.set_read_only(false).await;
        result
    }

    async fn set_read_only(&self, on: bool) -> Result<(), String> {
        match self {
            Connection::Postgres(client) => client
                .batch_execute(if on { "BEGIN READ ONLY" } else { "ROLLBACK" })
                .await
                .map_err(|e| pg_error(&e)),
            Connection::Sqlite(connection) => connection
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pragma_update(None, "query_only", on)
                .map_err(|e| e.to_string()),
        }
    }

    async fn rows(&self, sql: &str, params: &[Cell]) -> Result<Vec<Row>, String> {
        match self {
            Connection::Postgres(client) => {
                let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
                let rows = client.query(sql, &refs).await.map_err(|e| pg_error(&e))?;
                rows.iter()
                    .map(|row| {
                        row.columns()
                            .iter()
                            .enumerate()
                            .map(|(i, column)| {
                                row.try_get::<_, Cell>(i)
                                    .map(|v| (column.name().to_string(), v))
                                    .map_err(|e| {
                                        format!("column {}: {}", column.name(), pg_error(&e))
                                    })
                            })
                            .collect()
                    })
                    .collect()
            }
            Connection::Sqlite(connection) => {
                let connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
                sqlite_query(&connection, sql, params)
            }
        }
    }

    async fn affected(&self, sql: &str, params: &[Cell]) -> Result<u64, String> {
        match self {
            Connection::Postgres(client) => {
                let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
                client.execute(sql, &refs).await.map_err(|e| pg_error(&e))
            }
            Connection::Sqlite(connection) => {
                let connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
                let changed = connection
                    .execute(sql, rusqlite::params_from_iter(params.iter()))
                    .map_err(|e| e.to_string())?;
                Ok(u64::try_from(changed).unwrap_or(u64::MAX))
            }
        }
    }

    /// Runs statements without parameters (`BEGIN`, `COMMIT`, `ROLLBACK`, scripts).
    pub async fn batch(&self, sql: &str) -> Result<(), String> {
        match self {
            Connection::Postgres(client) => {
                client.batch_execute(sql).await.map_err(|e| pg_error(&e))
            }
            Connection::Sqlite(connection) => connection
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .execute_batch(sql)
                .map_err(|e| e.to_string()),
        }
    }

    /// Asks the server to stop the running statement (PostgreSQL; SQLite runs in our thread).
    pub async fn cancel(&self) {
        if let Connection::Postgres(client) = self {
            let _ = client
                .cancel_token()
                .cancel_query(tokio_postgres::NoTls)
                .await;
        }
    }
}

fn sqlite_query(
    connection: &rusqlite::Connection,
    sql: &str,
    params: &[Cell],
) -> Result<Vec<Row>, String> {
    let mut statement = connection.prepare(sql).map_err(|e| e.to_string())?;
    let names: Vec<String> = statement.column_names().map(str::to_string).collect();
    let mut rows = statement
        .query(rusqlite::params_from_iter(params.iter()))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let mut values = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let value = row.get_ref(i).map_err(|e| e.to_string())?;
            values.push((name.clone(), cell(value)));
        }
        out.push(values);
    }
    Ok(out)
}

/// Tries to connect until it works or `timeout` passes; `attempt` hears each failure.
/// `read_only` as for [`Databases::connect`].
pub async fn wait_ready(
    url: &str,
    base_dir: &Path,
    read_only: bool,
    via: Via<'_>,
    timeout: Duration,
    mut attempt: impl FnMut(u32, &str),
) -> Result<u32, TypedError> {
    let started = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        let error = match open(url, base_dir, read_only, via).await {
            Ok(connection) => match connection.query("SELECT 1", &[], false).await {
                Ok(_) => return Ok(tries),
                Err(e) => e,
            },
            Err(e) => e.message,
        };
        attempt(tries, &error);
        if started.elapsed() >= timeout {
            return Err(ErrorKind::Timeout.error(format!(
                "{} not ready after {}s ({tries} attempts): {error}",
                redact(url),
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
