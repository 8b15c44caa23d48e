//! PostgreSQL values both ways: any column into a [`Cell`] (typed where the type is known,
//! NUMERIC and UUID decoded, other types refused with a hint to cast), and [`Cell`] parameters
//! encoded as the type the server expects.

use super::Cell;
use bytes::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, Kind, ToSql, Type, to_sql_checked};

type Problem = Box<dyn std::error::Error + Sync + Send>;

impl<'a> FromSql<'a> for Cell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Problem> {
        Ok(match *ty {
            Type::BOOL => Cell::Bool(bool::from_sql(ty, raw)?),
            Type::INT2 => Cell::Int(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => Cell::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => Cell::Int(i64::from_sql(ty, raw)?),
            Type::OID => Cell::Int(u32::from_sql(ty, raw)?.into()),
            Type::FLOAT4 => Cell::Float(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Cell::Float(f64::from_sql(ty, raw)?),
            Type::NUMERIC => Cell::Float(numeric(raw)?),
            Type::JSON | Type::JSONB => Cell::Json(serde_json::Value::from_sql(ty, raw)?),
            Type::TIMESTAMPTZ => {
                Cell::Text(chrono::DateTime::<chrono::Utc>::from_sql(ty, raw)?.to_rfc3339())
            }
            Type::TIMESTAMP => Cell::Text(
                chrono::NaiveDateTime::from_sql(ty, raw)?
                    .format("%Y-%m-%dT%H:%M:%S%.f")
                    .to_string(),
            ),
            Type::DATE => Cell::Text(chrono::NaiveDate::from_sql(ty, raw)?.to_string()),
            Type::UUID => Cell::Text(uuid(raw)?),
            Type::BYTEA => Cell::Bytes(raw.to_vec()),
            _ if text_like(ty) => Cell::Text(String::from_utf8_lossy(raw).into_owned()),
            _ => {
                return Err(format!(
                    "values of type {} cannot be read yet: cast the column, e.g. `::text`",
                    ty.name()
                )
                .into());
            }
        })
    }

    fn from_sql_null(_: &Type) -> Result<Self, Problem> {
        Ok(Cell::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Types whose binary form is their UTF-8 text.
fn text_like(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::CHAR
    ) || matches!(ty.kind(), Kind::Enum(_))
}

/// NUMERIC's binary form: digit count, weight, sign, scale, then base-10000 digits.
fn numeric(raw: &[u8]) -> Result<f64, Problem> {
    let word = |i: usize| -> Result<i16, Problem> {
        raw.get(i..i + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated NUMERIC".into())
    };
    let count = usize::try_from(word(0)?).map_err(|_| "bad NUMERIC")?;
    let weight = i32::from(word(2)?);
    let sign = word(4)? as u16;
    if sign == 0xC000 {
        return Ok(f64::NAN);
    }
    let mut exact = 0.0;
    for i in 0..count {
        let digit = f64::from(word(8 + 2 * i)?);
        let power = weight - i32::try_from(i).map_err(|_| "bad NUMERIC")?;
        exact += digit * 10_000f64.powi(power);
    }
    Ok(if sign == 0x4000 { -exact } else { exact })
}

fn uuid(raw: &[u8]) -> Result<String, Problem> {
    if raw.len() != 16 {
        return Err("a UUID is 16 bytes".into());
    }
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

impl ToSql for Cell {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Problem> {
        let text = |c: &Cell| match c {
            Cell::Text(t) => t.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Json(j) => j.to_string(),
            Cell::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            Cell::Null => String::new(),
        };
        let int = |c: &Cell| -> Result<i64, Problem> {
            match c {
                Cell::Int(i) => Ok(*i),
                Cell::Text(t) => t
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{t}` is not a whole number").into()),
                other => Err(format!("{other:?} is not a whole number").into()),
            }
        };
        let float = |c: &Cell| -> Result<f64, Problem> {
            match c {
                Cell::Float(f) => Ok(*f),
                Cell::Int(i) => Ok(*i as f64),
                Cell::Text(t) => t
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{t}` is not a number").into()),
                other => Err(format!("{other:?} is not a number").into()),
            }
        };
        if *self == Cell::Null {
            return Ok(IsNull::Yes);
        }
        match *ty {
            Type::BOOL => match self {
                Cell::Bool(b) => b.to_sql(ty, out),
                other => Err(format!("{other:?} is not true or false").into()),
            },
            Type::INT2 => i16::try_from(int(self)?)?.to_sql(ty, out),
            Type::INT4 => i32::try_from(int(self)?)?.to_sql(ty, out),
            Type::INT8 => int(self)?.to_sql(ty, out),
            Type::OID => u32::try_from(int(self)?)?.to_sql(ty, out),
            Type::FLOAT4 => (float(self)? as f32).to_sql(ty, out),
            Type::FLOAT8 => float(self)?.to_sql(ty, out),
            Type::JSON | Type::JSONB => match self {
                Cell::Json(j) => j.to_sql(ty, out),
                other => serde_json::Value::String(text(other)).to_sql(ty, out),
            },
            Type::BYTEA => match self {
                Cell::Bytes(b) => b.as_slice().to_sql(ty, out),
                other => text(other).as_bytes().to_sql(ty, out),
            },
            Type::TIMESTAMPTZ => chrono::DateTime::parse_from_rfc3339(&text(self))?
                .with_timezone(&chrono::Utc)
                .to_sql(ty, out),
            Type::TIMESTAMP => {
                chrono::NaiveDateTime::parse_from_str(&text(self), "%Y-%m-%dT%H:%M:%S%.f")
                    .or_else(|_| {
                        chrono::NaiveDateTime::parse_from_str(&text(self), "%Y-%m-%d %H:%M:%S%.f")
                    })?
                    .to_sql(ty, out)
            }
            Type::DATE => {
                chrono::NaiveDate::parse_from_str(&text(self), "%Y-%m-%d")?.to_sql(ty, out)
            }
            _ if text_like(ty) => {
                out.extend_from_slice(text(self).as_bytes());
                Ok(IsNull::No)
            }
            _ => Err(format!(
                "parameters of type {} cannot be sent yet: cast it in SQL, e.g. `$1::text::{}`",
                ty.name(),
                ty.name()
            )
            .into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}
