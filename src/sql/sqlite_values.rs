//! SQLite values both ways, as [`Cell`]s.

use super::Cell;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};

impl rusqlite::ToSql for Cell {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Owned(match self {
            Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Integer(i64::from(*b)),
            Cell::Int(i) => Value::Integer(*i),
            Cell::Float(f) => Value::Real(*f),
            Cell::Text(t) => Value::Text(t.clone()),
            Cell::Json(j) => Value::Text(j.to_string()),
            Cell::Bytes(b) => Value::Blob(b.clone()),
        }))
    }
}

/// A column value as a [`Cell`].
pub fn cell(value: ValueRef<'_>) -> Cell {
    match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(i) => Cell::Int(i),
        ValueRef::Real(f) => Cell::Float(f),
        ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Cell::Bytes(b.to_vec()),
    }
}
