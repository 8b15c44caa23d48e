//! `sqlite_backup(url, file)` and `sqlite_restore(url, file)`: a SQLite database copied page by
//! page through SQLite's online backup API, consistent while other connections write, instead
//! of `sh(["sqlite3", db, ".backup …"])`. A SQLite file is one of this machine: in a body on a
//! host, they refuse to act unless told `#{via: "local"}`.

use super::connection_origin::{self, origin};
use super::options::Options;
use super::{Outcome, error};
use crate::context::event::Effect;
use crate::context::run_context::RunContext;
use crate::diagnostic::error_kind::ErrorKind;
use crate::sql::address::{Address, SqlitePath};
use rhai::{Dynamic, Engine, Map};
use rusqlite::{Connection, MAIN_DB, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn register(engine: &mut Engine, ctx: &Arc<RunContext>) {
    for (name, copy) in [
        ("sqlite_backup", Copy::Backup),
        ("sqlite_restore", Copy::Restore),
    ] {
        let c = Arc::clone(ctx);
        engine.register_fn(name, move |url: &str, file: &str| {
            copy.run(&c, url, file, &Map::new())
        });
        let c = Arc::clone(ctx);
        engine.register_fn(name, move |url: &str, file: &str, opts: Map| {
            copy.run(&c, url, file, &opts)
        });
    }
}

#[derive(Clone, Copy)]
enum Copy {
    /// The database into a file.
    Backup,
    /// A file over the database.
    Restore,
}

impl Copy {
    fn name(self) -> &'static str {
        match self {
            Copy::Backup => "sqlite_backup",
            Copy::Restore => "sqlite_restore",
        }
    }

    fn run(self, ctx: &RunContext, url: &str, file: &str, opts: &Map) -> Outcome<Map> {
        let name = self.name();
        Options::new(opts, name, &[connection_origin::VIA])?;
        if let Some(host) = origin(ctx, opts, name)? {
            return error(
                ErrorKind::Script,
                format!(
                    "{name}: {url} is a file of this machine, and this body runs on {}; \
                     give #{{via: \"local\"}} to copy this machine's file",
                    host.name
                ),
            );
        }
        let database = match Address::parse(url) {
            Ok(Address::Sqlite(SqlitePath::File(path))) => ctx.base_dir.join(path),
            Ok(Address::Sqlite(SqlitePath::Memory)) => {
                return error(
                    ErrorKind::Script,
                    format!("{name}: an in-memory database has no file to copy"),
                );
            }
            Ok(Address::Postgres { .. }) => {
                return error(
                    ErrorKind::Script,
                    format!(
                        "{name} takes a sqlite:// URL; a PostgreSQL database is dumped and \
                         restored with the database stdlib (database::dump, database::restore)"
                    ),
                );
            }
            Err(e) => return error(ErrorKind::Script, format!("{name}: {e}")),
        };
        let other = ctx.base_dir.join(file);
        let command = match self {
            Copy::Backup => format!("back up {url} to {file} (SQLite backup API)"),
            Copy::Restore => format!(
                "restore {url} from {file} (SQLite backup API): every table of the database is \
                 replaced"
            ),
        };
        if !ctx.act(name, url, &command, Effect::Change) {
            let mut planned = Map::new();
            planned.insert("file".into(), Dynamic::from(file.to_string()));
            planned.insert(
                "bytes".into(),
                ctx.unknown_value(&format!("size of {file}")),
            );
            return Ok(planned);
        }
        let result = match self {
            Copy::Backup => backup(&database, &other),
            Copy::Restore => restore(&database, &other),
        };
        let bytes = result.or_else(|e| error(ErrorKind::Sql, format!("{name} {url}: {e}")))?;
        let mut done = Map::new();
        done.insert("file".into(), Dynamic::from(file.to_string()));
        done.insert(
            "bytes".into(),
            Dynamic::from(i64::try_from(bytes).unwrap_or(i64::MAX)),
        );
        Ok(done)
    }
}

/// Copies `database` into `file`: first beside it, renamed into place once whole, so that a
/// failed backup never leaves a truncated file where the last good one was. Returns its size.
fn backup(database: &Path, file: &Path) -> Result<u64, String> {
    if !database.is_file() {
        return Err(format!("{} does not exist", database.display()));
    }
    let source = Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| e.to_string())?;
    let partial = partial_path(file);
    let copied = source
        .backup(MAIN_DB, &partial, None::<fn(rusqlite::backup::Progress)>)
        .map_err(|e| format!("cannot write {}: {e}", file.display()))
        .and_then(|()| {
            std::fs::rename(&partial, file)
                .map_err(|e| format!("cannot move the backup to {}: {e}", file.display()))
        });
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::metadata(file)
        .map(|m| m.len())
        .map_err(|e| e.to_string())
}

/// Replaces `database` with the copy in `file`, after checking that `file` is a whole SQLite
/// database (`PRAGMA integrity_check`). Returns the copy's size.
fn restore(database: &Path, file: &Path) -> Result<u64, String> {
    let copy = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    let verdict: String = copy
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(|e| format!("{} is not a SQLite database: {e}", file.display()))?;
    if verdict != "ok" {
        return Err(format!(
            "{} fails SQLite's integrity check: {verdict}",
            file.display()
        ));
    }
    drop(copy);
    let mut target = Connection::open(database).map_err(|e| e.to_string())?;
    target
        .restore(MAIN_DB, file, None::<fn(rusqlite::backup::Progress)>)
        .map_err(|e| e.to_string())?;
    std::fs::metadata(file)
        .map(|m| m.len())
        .map_err(|e| e.to_string())
}

/// `FILE.partial` beside `file`.
fn partial_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}
