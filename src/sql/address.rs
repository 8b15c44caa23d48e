//! Database URLs: `postgres://user:password@host:port/db?sslmode=require&sslrootcert=ca.pem`,
//! `sqlite:///abs/path.db`, `sqlite://relative.db`, `sqlite::memory:`. The password is a secret.

use std::path::PathBuf;

/// Where a database is and how to reach it.
#[derive(Debug, Clone, PartialEq)]
pub enum Address {
    Postgres {
        /// The URL as tokio-postgres reads it (TLS options removed).
        url: String,
        tls: Tls,
        password: Option<String>,
    },
    Sqlite(SqlitePath),
}

#[derive(Debug, Clone, PartialEq)]
pub enum SqlitePath {
    File(PathBuf),
    Memory,
}

/// TLS to PostgreSQL.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Tls {
    /// `sslmode=disable` (the default on loopback and without `sslmode`).
    #[default]
    Off,
    /// `sslmode=require|verify-full`: verified against the system roots and `sslrootcert`.
    Verified { root: Option<PathBuf> },
}

impl Address {
    pub fn parse(url: &str) -> Result<Address, String> {
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            return match rest {
                "" => Err(format!("`{url}`: no database file after sqlite://")),
                ":memory:" => Ok(Address::Sqlite(SqlitePath::Memory)),
                path => Ok(Address::Sqlite(SqlitePath::File(PathBuf::from(path)))),
            };
        }
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(format!(
                "`{}`: a database URL starts with postgres:// or sqlite://",
                redact(url)
            ));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        let mut mode = "disable".to_string();
        let mut root = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("sslmode", value)) => mode = value.to_string(),
                Some(("sslrootcert", value)) => root = Some(PathBuf::from(value)),
                _ => kept.push(pair),
            }
        }
        let tls = match mode.as_str() {
            "disable" | "allow" | "prefer" => Tls::Off,
            "require" | "verify-ca" | "verify-full" => Tls::Verified { root },
            other => {
                return Err(format!(
                    "sslmode `{other}` is not one of disable, allow, prefer, require, verify-ca, verify-full"
                ));
            }
        };
        let url = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok(Address::Postgres {
            password: password(&url),
            url,
            tls,
        })
    }
}

/// The parts of a PostgreSQL URL as libpq's environment variables name them (`PGHOST`, …), so
/// client tools get the password without it appearing on a command line.
pub fn libpq_env(url: &str) -> Result<Vec<(&'static str, String)>, String> {
    let rest = url
        .split_once("://")
        .map(|(_, r)| r)
        .ok_or_else(|| format!("`{}` is not a URL", redact(url)))?;
    let rest = rest.split('?').next().unwrap_or(rest);
    let (authority, database) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let mut env = Vec::new();
    if let Some(userinfo) = userinfo {
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        env.push(("PGUSER", user.to_string()));
        if !password.is_empty() {
            env.push(("PGPASSWORD", password.to_string()));
        }
    }
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => (h, Some(p)),
        _ => (hostport, None),
    };
    if !host.is_empty() {
        env.push((
            "PGHOST",
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
        ));
    }
    if let Some(port) = port {
        env.push(("PGPORT", port.to_string()));
    }
    if !database.is_empty() {
        env.push(("PGDATABASE", database.to_string()));
    }
    Ok(env)
}

/// The password in `scheme://user:password@host…`, if any.
pub fn password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    userinfo
        .split_once(':')
        .map(|(_, p)| p.to_string())
        .filter(|p| !p.is_empty())
}

/// The URL with its password replaced by `***`, for plans and messages.
pub fn redact(url: &str) -> String {
    match password(url) {
        Some(p) => url.replacen(&format!(":{p}@"), ":***@", 1),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_postgres_and_sqlite_urls() {
        let a = Address::parse(
            "postgres://app:s3cr%t@127.0.0.1:5432/db?sslmode=require&application_name=x",
        )
        .unwrap();
        assert_eq!(
            a,
            Address::Postgres {
                url: "postgres://app:s3cr%t@127.0.0.1:5432/db?application_name=x".into(),
                tls: Tls::Verified { root: None },
                password: Some("s3cr%t".into()),
            }
        );
        assert_eq!(
            Address::parse("sqlite:///var/lib/app.db").unwrap(),
            Address::Sqlite(SqlitePath::File("/var/lib/app.db".into()))
        );
        assert_eq!(
            Address::parse("sqlite::memory:").unwrap(),
            Address::Sqlite(SqlitePath::Memory)
        );
        assert!(Address::parse("mysql://x").is_err());
        assert!(Address::parse("postgres://h/db?sslmode=maybe").is_err());
    }

    #[test]
    fn splits_a_url_for_client_tools() {
        let env = libpq_env("postgres://app:pw@db.example.org:5433/shop?sslmode=require").unwrap();
        assert_eq!(
            env,
            vec![
                ("PGUSER", "app".to_string()),
                ("PGPASSWORD", "pw".to_string()),
                ("PGHOST", "db.example.org".to_string()),
                ("PGPORT", "5433".to_string()),
                ("PGDATABASE", "shop".to_string()),
            ]
        );
    }

    #[test]
    fn redacts_the_password() {
        assert_eq!(
            redact("postgres://app:pw@h:5432/db"),
            "postgres://app:***@h:5432/db"
        );
        assert_eq!(redact("postgres://app@h/db"), "postgres://app@h/db");
    }
}
