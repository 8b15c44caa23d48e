//! SQL databases: PostgreSQL (tokio-postgres) and SQLite (rusqlite), one connection per URL per
//! run, typed rows, bound parameters only, transactions, and readiness waits.

pub mod address;
pub mod connections;
pub mod pg_values;
pub mod sqlite_values;
pub mod through_host;

/// A database value, typed, as runbooks see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    /// JSON documents, parsed.
    Json(serde_json::Value),
    Bytes(Vec<u8>),
}

/// Rows as column name → value, in column order.
pub type Row = Vec<(String, Cell)>;
